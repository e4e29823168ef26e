#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The two backends against each other, on every suite they share (1, 2, 3
//! and 7): signatures made by one verify under the other, EncryptWithLabel
//! under one opens under the other, DeriveKeyPair and RefHash give the same
//! bytes, and both refuse the same malformed inputs.

use backend_ring::RingCrypto;
use backend_rustcrypto::RustCrypto;
use keypackage_core::{
    AcceptAnyCredential, Credential, KeyPackageBuilder, KeyPackageBundle, KeyPackageIn,
    ValidationContext, labeled,
};
use keypackage_traits::{
    CipherSuite, CipherSuiteProvider, HpkePrivateKey, HpkePublicKey, OpenMlsCrypto,
    SignaturePrivateKey, SignaturePublicKey, SignatureScheme, Signer,
};

/// The suites both backends implement.
const COMMON: [u16; 4] = [1, 2, 3, 7];

fn ring() -> RingCrypto {
    RingCrypto::new()
}

fn rustcrypto() -> RustCrypto {
    RustCrypto::default()
}

#[test]
fn both_backends_offer_the_common_suites() {
    for value in COMMON {
        assert!(
            ring().supports(CipherSuite(value)),
            "ring lacks suite {value}"
        );
        assert!(
            rustcrypto().supports(CipherSuite(value)),
            "rustcrypto lacks suite {value}"
        );
    }
}

/// Keys made by `a` sign; `b` loads the same private key, computes the same
/// public key, and verifies `a`'s signatures (plain and SignWithLabel).
fn signatures_cross<A: OpenMlsCrypto, B: OpenMlsCrypto>(a: &A, b: &B) {
    for value in COMMON {
        let suite = CipherSuite(value);
        let (sa, sb) = (a.suite(suite).unwrap(), b.suite(suite).unwrap());
        for round in 0..4 {
            let keys = sa.signature_generate_key_pair().unwrap();
            assert_eq!(
                sb.signature_public_key(&keys.private).unwrap(),
                keys.public,
                "{} -> {}, suite {value}: public keys differ",
                a.name(),
                b.name()
            );
            let signer = sa.signer(&keys.private).unwrap();
            let message = format!("message {round} of suite {value}");
            let signature = signer.sign(message.as_bytes()).unwrap();
            sb.verify(&keys.public, message.as_bytes(), &signature)
                .unwrap_or_else(|e| panic!("{} -> {}, suite {value}: {e}", a.name(), b.name()));
            assert!(
                sb.verify(&keys.public, b"another message", &signature)
                    .is_err()
            );

            let labeled_sig =
                labeled::sign_with_label(&signer, b"LeafNodeTBS", message.as_bytes()).unwrap();
            let key = sb.verifying_key(&keys.public).unwrap();
            labeled::verify_with_label(&sb, &key, b"LeafNodeTBS", message.as_bytes(), &labeled_sig)
                .unwrap();
            assert!(
                labeled::verify_with_label(
                    &sb,
                    &key,
                    b"KeyPackageTBS",
                    message.as_bytes(),
                    &labeled_sig
                )
                .is_err()
            );

            // Ed25519 is deterministic (RFC 8032 §5.1.6): the same key signs
            // the same message to the same bytes under both backends.
            if sa.info().signature == SignatureScheme::Ed25519 {
                let other = sb
                    .signer(&keys.private)
                    .unwrap()
                    .sign(message.as_bytes())
                    .unwrap();
                assert_eq!(other, signature, "suite {value}: Ed25519 signatures differ");
            }
        }
    }
}

#[test]
fn signatures_made_by_ring_verify_under_rustcrypto() {
    signatures_cross(&ring(), &rustcrypto());
}

#[test]
fn signatures_made_by_rustcrypto_verify_under_ring() {
    signatures_cross(&rustcrypto(), &ring());
}

/// `a` makes the key pair and opens; `b` encrypts with EncryptWithLabel.
fn encrypt_cross<A: OpenMlsCrypto, B: OpenMlsCrypto>(a: &A, b: &B) {
    for value in COMMON {
        let suite = CipherSuite(value);
        let (sa, sb) = (a.suite(suite).unwrap(), b.suite(suite).unwrap());
        for round in 0u8..4 {
            let pair = sa.hpke_generate_key_pair().unwrap();
            assert_eq!(sb.hpke_public_key(&pair.private).unwrap(), pair.public);
            sb.validate_hpke_public_key(&pair.public).unwrap();
            let plaintext = vec![round; usize::from(round) * 17];
            let context = [round, 0xC0];
            let sealed =
                labeled::encrypt_with_label(&sb, &pair.public, b"Welcome", &context, &plaintext)
                    .unwrap();
            let opened =
                labeled::decrypt_with_label(&sa, &pair.private, b"Welcome", &context, &sealed)
                    .unwrap_or_else(|e| panic!("{} -> {}, suite {value}: {e}", b.name(), a.name()));
            assert_eq!(opened.expose(), plaintext.as_slice());
            // Another label or context gives another key: refused.
            assert!(
                labeled::decrypt_with_label(&sa, &pair.private, b"Welcome2", &context, &sealed)
                    .is_err()
            );
            assert!(
                labeled::decrypt_with_label(&sa, &pair.private, b"Welcome", &[], &sealed).is_err()
            );
        }
    }
}

#[test]
fn encrypt_with_label_under_rustcrypto_opens_under_ring() {
    encrypt_cross(&ring(), &rustcrypto());
}

#[test]
fn encrypt_with_label_under_ring_opens_under_rustcrypto() {
    encrypt_cross(&rustcrypto(), &ring());
}

#[test]
fn derive_key_pair_gives_identical_keys() {
    let (a, b) = (ring(), rustcrypto());
    let inputs: Vec<Vec<u8>> = vec![
        vec![],
        vec![0u8; 32],
        vec![0xFF; 32],
        (0u8..64).collect(),
        b"MLS 1.0 init key".to_vec(),
        vec![0x5A; 200],
    ];
    for value in COMMON {
        let suite = CipherSuite(value);
        let (sa, sb) = (a.suite(suite).unwrap(), b.suite(suite).unwrap());
        for ikm in &inputs {
            let (ka, kb) = (
                sa.hpke_derive_key_pair(ikm).unwrap(),
                sb.hpke_derive_key_pair(ikm).unwrap(),
            );
            assert_eq!(
                ka.private,
                kb.private,
                "suite {value}, ikm {}",
                hex::encode(ikm)
            );
            assert_eq!(
                ka.public,
                kb.public,
                "suite {value}, ikm {}",
                hex::encode(ikm)
            );
            assert_eq!(ka.public.as_slice().len(), sa.info().kem.public_key_len());
        }
    }
}

#[test]
fn ref_hash_gives_identical_references() {
    let (a, b) = (ring(), rustcrypto());
    for value in COMMON {
        let suite = CipherSuite(value);
        let (sa, sb) = (a.suite(suite).unwrap(), b.suite(suite).unwrap());
        for len in [0usize, 1, 63, 64, 1000, 20_000] {
            let encoded: Vec<u8> = (0..len).map(|i| (i * 7 + value as usize) as u8).collect();
            let (ra, rb) = (
                labeled::key_package_ref(&sa, &encoded).unwrap(),
                labeled::key_package_ref(&sb, &encoded).unwrap(),
            );
            assert_eq!(ra, rb, "suite {value}, {len} bytes");
            assert_eq!(ra.as_slice().len(), sa.info().hash_len());
        }
    }
}

#[test]
fn symmetric_primitives_agree() {
    let (a, b) = (ring(), rustcrypto());
    for value in COMMON {
        let suite = CipherSuite(value);
        let (sa, sb) = (a.suite(suite).unwrap(), b.suite(suite).unwrap());
        let nh = sa.info().hash_len();
        let prk = sa.kdf_extract(b"salt", b"input keying material").unwrap();
        assert_eq!(
            prk,
            sb.kdf_extract(b"salt", b"input keying material").unwrap()
        );
        for label in [&b"joiner"[..], b"epoch", b""] {
            assert_eq!(
                labeled::derive_secret(&sa, prk.expose(), label).unwrap(),
                labeled::derive_secret(&sb, prk.expose(), label).unwrap()
            );
        }
        let key = vec![0x11; sa.info().aead.key_len()];
        let nonce = [0x22; 12];
        let sealed = sa.aead_seal(&key, &nonce, b"aad", b"plaintext").unwrap();
        assert_eq!(
            sealed,
            sb.aead_seal(&key, &nonce, b"aad", b"plaintext").unwrap()
        );
        assert_eq!(
            sb.aead_open(&key, &nonce, b"aad", &sealed)
                .unwrap()
                .expose(),
            b"plaintext"
        );
        // Both refuse the same lengths.
        for (prk_len, out_len) in [(nh - 1, 1), (nh, 255 * nh + 1), (nh, 255 * nh), (0, 0)] {
            assert_eq!(
                sa.kdf_expand(&vec![1; prk_len], b"", out_len).is_ok(),
                sb.kdf_expand(&vec![1; prk_len], b"", out_len).is_ok(),
                "suite {value}: kdf_expand(prk {prk_len} bytes, {out_len})"
            );
        }
    }
}

/// Malformed keys and encapsulations: both backends give the same
/// accept/refuse answer (docs/DESIGN.md §3 P7).
#[test]
fn both_backends_refuse_the_same_malformed_inputs() {
    let (a, b) = (ring(), rustcrypto());
    for value in COMMON {
        let suite = CipherSuite(value);
        let (sa, sb) = (a.suite(suite).unwrap(), b.suite(suite).unwrap());
        let pair = sa.hpke_generate_key_pair().unwrap();
        let keys = sa.signature_generate_key_pair().unwrap();
        let mut publics: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0; pair.public.as_slice().len()],
            vec![0xFF; pair.public.as_slice().len()],
            pair.public.as_slice()[1..].to_vec(),
            [pair.public.as_slice(), &[0]].concat(),
        ];
        let mut sig_publics: Vec<Vec<u8>> = publics.clone();
        for (list, good) in [
            (&mut publics, pair.public.as_slice()),
            (&mut sig_publics, keys.public.as_slice()),
        ] {
            if good.len() > 33 {
                // Compressed form of a good point, and a point off the curve.
                let coordinate = (good.len() - 1) / 2;
                let mut compressed = vec![0x02 | (good[good.len() - 1] & 1)];
                compressed.extend_from_slice(&good[1..=coordinate]);
                list.push(compressed);
                let mut off = good.to_vec();
                off[good.len() - 1] ^= 1;
                list.push(off);
            } else {
                // Small-order and non-canonical encodings.
                let mut one = [0u8; 32];
                one[0] = 1;
                list.push(one.to_vec());
                list.push(
                    [0xEC; 1]
                        .iter()
                        .chain([0xFF; 30].iter())
                        .chain([0x7F].iter())
                        .copied()
                        .collect(),
                );
                let mut y2 = [0u8; 32];
                y2[0] = 2;
                list.push(y2.to_vec());
            }
        }
        for bytes in &publics {
            let key = HpkePublicKey::new(bytes.clone());
            assert_eq!(
                sa.validate_hpke_public_key(&key).is_ok(),
                sb.validate_hpke_public_key(&key).is_ok(),
                "suite {value}: validate_hpke_public_key({})",
                hex::encode(bytes)
            );
            let (ea, eb) = (
                sa.hpke_seal(&key, b"", b"", b"x"),
                sb.hpke_seal(&key, b"", b"", b"x"),
            );
            assert_eq!(
                ea.is_ok(),
                eb.is_ok(),
                "suite {value}: hpke_seal to {}",
                hex::encode(bytes)
            );
            if let (Err(ea), Err(eb)) = (&ea, &eb) {
                assert_eq!(
                    std::mem::discriminant(ea),
                    std::mem::discriminant(eb),
                    "suite {value}: hpke_seal to {}: {ea} vs {eb}",
                    hex::encode(bytes)
                );
            }
            let (oa, ob) = (
                sa.hpke_open(&pair.private, bytes, b"", b"", &[0; 32]),
                sb.hpke_open(&pair.private, bytes, b"", b"", &[0; 32]),
            );
            assert!(oa.is_err() && ob.is_err());
            assert_eq!(
                std::mem::discriminant(&oa.unwrap_err()),
                std::mem::discriminant(&ob.unwrap_err()),
                "suite {value}: hpke_open with enc {}",
                hex::encode(bytes)
            );
        }
        for bytes in &sig_publics {
            let key = SignaturePublicKey::new(bytes.clone());
            assert_eq!(
                sa.verifying_key(&key).is_ok(),
                sb.verifying_key(&key).is_ok(),
                "suite {value}: verifying_key({})",
                hex::encode(bytes)
            );
        }
        let nsk = sa.info().kem.private_key_len();
        for private in [
            vec![],
            vec![0; nsk],
            vec![0xFF; nsk],
            vec![1; nsk - 1],
            vec![1; nsk + 1],
        ] {
            let hpke_private = HpkePrivateKey::new(private.clone());
            assert_eq!(
                sa.hpke_public_key(&hpke_private).is_ok(),
                sb.hpke_public_key(&hpke_private).is_ok(),
                "suite {value}: hpke_public_key({})",
                hex::encode(&private)
            );
            let sig_private = SignaturePrivateKey::new(private.clone());
            assert_eq!(
                sa.signer(&sig_private).is_ok(),
                sb.signer(&sig_private).is_ok(),
                "suite {value}: signer({})",
                hex::encode(&private)
            );
        }
    }
}

/// A key package built under `a` validates under `b` with the same
/// reference; its bundle loads under `b`; a Welcome-style EncryptWithLabel
/// by `b` to its init key opens with the bundle's key under `a`.
fn key_packages_cross<A: OpenMlsCrypto, B: OpenMlsCrypto>(a: &A, b: &B) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let ctx = ValidationContext::new(now, &AcceptAnyCredential);
    for value in COMMON {
        let suite = CipherSuite(value);
        let (sa, sb) = (a.suite(suite).unwrap(), b.suite(suite).unwrap());
        let keys = sa.signature_generate_key_pair().unwrap();
        let signer = sa.signer(&keys.private).unwrap();
        let bundle = KeyPackageBuilder::new()
            .build(a, suite, Credential::basic("alice"), &signer)
            .unwrap();
        let bytes = bundle.key_package().encode().unwrap();
        let validated = KeyPackageIn::decode(&bytes)
            .unwrap()
            .validate(b, &ctx)
            .unwrap_or_else(|e| {
                panic!(
                    "made by {}, validated by {}, suite {value}: {e}",
                    a.name(),
                    b.name()
                )
            });
        assert_eq!(validated.reference(), bundle.reference());
        assert_eq!(
            labeled::key_package_ref(&sb, &bytes).unwrap(),
            *bundle.reference()
        );
        // One flipped bit in the trailing signature: refused by the other backend.
        let mut tampered = bytes.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(
            KeyPackageIn::decode(&tampered)
                .unwrap()
                .validate(b, &ctx)
                .is_err()
        );
        let stored = bundle.encode().unwrap();
        let reloaded = KeyPackageBundle::decode(stored.expose(), b).unwrap();
        assert_eq!(reloaded.reference(), bundle.reference());
        let sealed = labeled::encrypt_with_label(
            &sb,
            validated.init_key(),
            b"Welcome",
            b"encrypted group info",
            b"group secrets",
        )
        .unwrap();
        let opened = labeled::decrypt_with_label(
            &sa,
            bundle.init_private_key(),
            b"Welcome",
            b"encrypted group info",
            &sealed,
        )
        .unwrap();
        assert_eq!(opened.expose(), b"group secrets");
    }
}

#[test]
fn key_packages_made_by_ring_validate_under_rustcrypto() {
    key_packages_cross(&ring(), &rustcrypto());
}

#[test]
fn key_packages_made_by_rustcrypto_validate_under_ring() {
    key_packages_cross(&rustcrypto(), &ring());
}

#[test]
fn conformance_cross_verify_ring_then_rustcrypto() {
    keypackage_traits::conformance::crypto::cross_verify(&ring(), &rustcrypto());
}

#[test]
fn conformance_cross_verify_rustcrypto_then_ring() {
    keypackage_traits::conformance::crypto::cross_verify(&rustcrypto(), &ring());
}
