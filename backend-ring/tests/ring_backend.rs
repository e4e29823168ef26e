#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

//! Known answers from RFC 9180 Appendix A, the encoding rules of docs/DESIGN.md §3 P7
//! principle 7, and the handling of secrets.

use backend_ring::{RingCrypto, RingSigner, RingSuite};
use keypackage_traits::{
    CipherSuiteProvider, Ciphersuite, CryptoError, HpkePrivateKey, HpkePublicKey, OpenMlsCrypto,
    Secret, SignaturePrivateKey, SignaturePublicKey, SignatureScheme, Signer,
};

fn suite(value: u16) -> RingSuite {
    RingCrypto::new().suite(Ciphersuite(value)).unwrap()
}

fn unhex(text: &str) -> Vec<u8> {
    hex::decode(text).unwrap()
}

/// RFC 9180 A.1.1 and A.3.1 share info, plaintext and the first AAD.
const INFO: &str = "4f6465206f6e2061204772656369616e2055726e";
const PT: &str = "4265617574792069732074727574682c20747275746820626561757479";
const AAD0: &str = "436f756e742d30";

#[test]
fn rfc9180_a1_1_x25519_derive_key_pair_and_open() {
    // DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM = suite 1's HPKE.
    let s = suite(1);
    let recipient = s
        .hpke_derive_key_pair(&unhex(
            "6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037",
        ))
        .unwrap();
    assert_eq!(
        recipient.private.expose(),
        unhex("4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8")
    );
    assert_eq!(
        recipient.public.as_slice(),
        unhex("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d")
    );
    let ephemeral = s
        .hpke_derive_key_pair(&unhex(
            "7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234",
        ))
        .unwrap();
    assert_eq!(
        ephemeral.private.expose(),
        unhex("52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736")
    );
    let enc = unhex("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431");
    assert_eq!(ephemeral.public.as_slice(), enc);
    let ct = unhex(
        "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a",
    );
    let pt = s
        .hpke_open(&recipient.private, &enc, &unhex(INFO), &unhex(AAD0), &ct)
        .unwrap();
    assert_eq!(pt.expose(), unhex(PT));
    // One flipped bit of the tag.
    let mut bad = ct.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert_eq!(
        s.hpke_open(&recipient.private, &enc, &unhex(INFO), &unhex(AAD0), &bad),
        Err(CryptoError::DecryptionFailed)
    );
}

#[test]
fn rfc9180_a3_1_p256_derive_key_pair_and_open() {
    // DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM = suite 2's HPKE.
    let s = suite(2);
    let recipient = s
        .hpke_derive_key_pair(&unhex(
            "668b37171f1072f3cf12ea8a236a45df23fc13b82af3609ad1e354f6ef817550",
        ))
        .unwrap();
    assert_eq!(
        recipient.private.expose(),
        unhex("f3ce7fdae57e1a310d87f1ebbde6f328be0a99cdbcadf4d6589cf29de4b8ffd2")
    );
    assert_eq!(
        recipient.public.as_slice(),
        unhex(
            "04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0"
        )
    );
    let ephemeral = s
        .hpke_derive_key_pair(&unhex(
            "4270e54ffd08d79d5928020af4686d8f6b7d35dbe470265f1f5aa22816ce860e",
        ))
        .unwrap();
    assert_eq!(
        ephemeral.private.expose(),
        unhex("4995788ef4b9d6132b249ce59a77281493eb39af373d236a1fe415cb0c2d7beb")
    );
    let enc = unhex(
        "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4",
    );
    assert_eq!(ephemeral.public.as_slice(), enc);
    let ct = unhex(
        "5ad590bb8baa577f8619db35a36311226a896e7342a6d836d8b7bcd2f20b6c7f9076ac232e3ab2523f39513434",
    );
    let pt = s
        .hpke_open(&recipient.private, &enc, &unhex(INFO), &unhex(AAD0), &ct)
        .unwrap();
    assert_eq!(pt.expose(), unhex(PT));
}

#[test]
fn rfc9180_p384_derive_key_pair() {
    // DHKEM(P-384, HKDF-SHA384): ikmE -> skEm of RFC 9180 A.6.
    let pair = suite(7)
        .hpke_derive_key_pair(&unhex(
            "65fca3ea3b6db29a62bff28ec53c08710fab10b3798e59b678d3224296d5883f039123471784ce57b0d85a17cd521196",
        ))
        .unwrap();
    assert_eq!(
        pair.private.expose(),
        unhex(
            "679172205e04663f40fda1018cd46c18ebaa876ede6998ba86b051614ca4d5e4bfbea34b720617a4b958cc80f6305244"
        )
    );
    assert_eq!(pair.public.as_slice().len(), 97);
    assert_eq!(pair.public.as_slice()[0], 0x04);
}

#[test]
fn only_suites_1_2_3_7_are_offered() {
    let crypto = RingCrypto::new();
    let offered: Vec<u16> = crypto
        .supported_ciphersuites()
        .iter()
        .map(|s| s.0)
        .collect();
    assert_eq!(offered, [1, 2, 3, 7]);
    for value in [0u16, 4, 5, 6, 8, 0x0A0A] {
        assert_eq!(
            crypto.suite(Ciphersuite(value)).unwrap_err(),
            CryptoError::UnsupportedCiphersuite(Ciphersuite(value))
        );
    }
}

#[test]
fn compressed_and_identity_nist_keys_are_refused() {
    for (value, len) in [(2u16, 65usize), (7, 97)] {
        let s = suite(value);
        let pair = s.hpke_generate_key_pair().unwrap();
        let public = pair.public.as_slice();
        assert_eq!(public.len(), len);
        let coordinate = (len - 1) / 2;
        let mut compressed = vec![0x02 | (public[len - 1] & 1)];
        compressed.extend_from_slice(&public[1..=coordinate]);
        let compressed = HpkePublicKey::new(compressed);
        assert!(matches!(
            s.validate_hpke_public_key(&compressed),
            Err(CryptoError::InvalidPublicKey(_))
        ));
        assert!(matches!(
            s.hpke_seal(&compressed, b"", b"", b"x"),
            Err(CryptoError::InvalidPublicKey(_))
        ));
        // The SEC1 identity encoding, and an all-zero point.
        for bad in [vec![0u8], vec![0u8; len], {
            let mut v = vec![0u8; len];
            v[0] = 4;
            v
        }] {
            assert!(
                s.validate_hpke_public_key(&HpkePublicKey::new(bad.clone()))
                    .is_err()
            );
            assert!(s.verifying_key(&SignaturePublicKey::new(bad)).is_err());
        }
        // A compressed encapsulation is refused before any decryption.
        assert!(matches!(
            s.hpke_open(&pair.private, compressed.as_slice(), b"", b"", &[0u8; 32]),
            Err(CryptoError::InvalidPublicKey(_))
        ));
        // ECDSA keys follow the same rule.
        let keys = s.signature_generate_key_pair().unwrap();
        let sig_public = keys.public.as_slice();
        let mut compressed = vec![0x02 | (sig_public[len - 1] & 1)];
        compressed.extend_from_slice(&sig_public[1..=coordinate]);
        assert!(
            s.verifying_key(&SignaturePublicKey::new(compressed))
                .is_err()
        );
    }
}

#[test]
fn all_zero_x25519_output_is_refused_both_ways() {
    for value in [1u16, 3] {
        let s = suite(value);
        // u = 0 and u = 1 are of small order.
        for low_order in [[0u8; 32], {
            let mut one = [0u8; 32];
            one[0] = 1;
            one
        }] {
            assert_eq!(
                s.hpke_seal(&HpkePublicKey::new(low_order.to_vec()), b"", b"", b"x"),
                Err(CryptoError::ZeroSharedSecret)
            );
            let pair = s.hpke_generate_key_pair().unwrap();
            assert_eq!(
                s.hpke_open(&pair.private, &low_order, b"", b"", &[0u8; 32]),
                Err(CryptoError::ZeroSharedSecret)
            );
        }
    }
}

#[test]
fn hpke_round_trip_and_wrong_lengths() {
    for value in [1u16, 2, 3, 7] {
        let s = suite(value);
        let pair = s.hpke_generate_key_pair().unwrap();
        assert_eq!(s.hpke_public_key(&pair.private).unwrap(), pair.public);
        let sealed = s
            .hpke_seal(&pair.public, b"info", b"aad", b"hello")
            .unwrap();
        let opened = s
            .hpke_open(
                &pair.private,
                sealed.kem_output.as_slice(),
                b"info",
                b"aad",
                sealed.ciphertext.as_slice(),
            )
            .unwrap();
        assert_eq!(opened.expose(), b"hello");
        assert_eq!(
            s.hpke_open(
                &pair.private,
                sealed.kem_output.as_slice(),
                b"other",
                b"aad",
                sealed.ciphertext.as_slice()
            ),
            Err(CryptoError::DecryptionFailed)
        );
        let short = HpkePrivateKey::new(vec![1u8; 5]);
        assert!(matches!(
            s.hpke_open(
                &short,
                sealed.kem_output.as_slice(),
                b"info",
                b"aad",
                sealed.ciphertext.as_slice()
            ),
            Err(CryptoError::InvalidPrivateKey(_))
        ));
        assert!(matches!(
            s.hpke_open(
                &pair.private,
                &sealed.kem_output.as_slice()[1..],
                b"info",
                b"aad",
                sealed.ciphertext.as_slice()
            ),
            Err(CryptoError::InvalidPublicKey(_))
        ));
        // AEAD: wrong key and nonce lengths, short ciphertexts.
        let nk = s.info().aead.key_len();
        assert!(matches!(
            s.aead_seal(&vec![0; nk + 1], &[0; 12], b"", b""),
            Err(CryptoError::InvalidLength(_))
        ));
        assert!(matches!(
            s.aead_seal(&vec![0; nk], &[0; 11], b"", b""),
            Err(CryptoError::InvalidLength(_))
        ));
        for len in [0usize, 1, 15] {
            assert_eq!(
                s.aead_open(&vec![0; nk], &[0; 12], b"", &vec![0; len]),
                Err(CryptoError::DecryptionFailed)
            );
        }
        // HKDF-Expand: PRK shorter than Nh, output longer than 255 * Nh.
        let nh = s.info().hash_len();
        assert!(s.kdf_expand(&vec![0; nh - 1], b"", 1).is_err());
        assert!(s.kdf_expand(&vec![0; nh], b"", 255 * nh + 1).is_err());
        assert_eq!(
            s.kdf_expand(&vec![0; nh], b"", 255 * nh).unwrap().len(),
            255 * nh
        );
    }
}

#[test]
fn signatures_round_trip_and_refuse_tampering() {
    for value in [1u16, 2, 3, 7] {
        let s = suite(value);
        let keys = s.signature_generate_key_pair().unwrap();
        let signer = s.signer(&keys.private).unwrap();
        assert_eq!(signer.public_key(), &keys.public);
        assert_eq!(s.signature_public_key(&keys.private).unwrap(), keys.public);
        let sig = signer.sign(b"message").unwrap();
        s.verify(&keys.public, b"message", &sig).unwrap();
        assert_eq!(
            s.verify(&keys.public, b"massage", &sig),
            Err(CryptoError::InvalidSignature)
        );
        let mut bad = sig.clone();
        bad[sig.len() / 2] ^= 0x10;
        assert_eq!(
            s.verify(&keys.public, b"message", &bad),
            Err(CryptoError::InvalidSignature)
        );
        if s.info().signature != SignatureScheme::Ed25519 {
            // DER: SEQUENCE tag first; a raw r || s signature is refused.
            assert_eq!(sig[0], 0x30);
            assert!(sig.len() <= s.info().signature.max_signature_len());
        }
        assert!(s.verify(&keys.public, b"message", &[]).is_err());
    }
}

#[test]
fn out_of_range_signature_keys_are_refused() {
    let p256 = suite(2);
    let p384 = suite(7);
    for bad in [vec![0u8; 32], vec![0xFF; 32], vec![1u8; 31], vec![1u8; 33]] {
        assert!(matches!(
            p256.signer(&SignaturePrivateKey::new(bad)),
            Err(CryptoError::InvalidPrivateKey(_))
        ));
    }
    assert!(
        p384.signer(&SignaturePrivateKey::new(vec![0xFF; 48]))
            .is_err()
    );
    assert!(
        suite(1)
            .signer(&SignaturePrivateKey::new(vec![1u8; 31]))
            .is_err()
    );
    assert!(matches!(
        RingSigner::generate(SignatureScheme::Ed448),
        Err(CryptoError::UnsupportedSignatureScheme(
            SignatureScheme::Ed448
        ))
    ));
}

#[test]
fn ed25519_keys_off_the_curve_or_of_small_order_are_refused_when_parsed() {
    let s = suite(1);
    // y = 2 gives x^2 = 3 / (4d + 1), not a square: no point.
    let mut off_curve = [0u8; 32];
    off_curve[0] = 2;
    assert!(matches!(
        s.verifying_key(&SignaturePublicKey::new(off_curve.to_vec())),
        Err(CryptoError::InvalidPublicKey(_))
    ));
    // The identity (y = 1) has small order.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert!(
        s.verifying_key(&SignaturePublicKey::new(identity.to_vec()))
            .is_err()
    );
    assert!(
        s.verifying_key(&SignaturePublicKey::new(vec![0x58; 31]))
            .is_err()
    );
}

#[test]
fn signer_scheme_must_match_the_suite() {
    let ed_signer = RingSigner::generate(SignatureScheme::Ed25519).unwrap();
    let p256 = suite(2);
    // A P-256 verifying key under suite 1 is refused as the wrong scheme's key.
    let key = p256
        .verifying_key(&p256.signature_generate_key_pair().unwrap().public)
        .unwrap();
    assert!(matches!(
        suite(1).verify_with(&key, b"m", &[0; 64]),
        Err(CryptoError::SignatureSchemeMismatch { .. })
    ));
    assert_eq!(ed_signer.signature_scheme(), SignatureScheme::Ed25519);
}

#[test]
fn secrets_never_print_and_zeroize_on_drop() {
    fn zeroizes_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    zeroizes_on_drop::<Secret>();

    let seed = SignaturePrivateKey::new(vec![0xAB; 32]);
    let signer = RingSigner::from_private(SignatureScheme::Ed25519, &seed).unwrap();
    let text = format!("{signer:?}");
    assert!(!text.to_lowercase().contains("abab"), "{text}");
    assert!(text.contains("redacted"));
    assert_eq!(signer.private_key(), &seed);

    let pair = suite(2).hpke_derive_key_pair(&[0xCD; 32]).unwrap();
    let hex_private = hex::encode(pair.private.expose());
    let text = format!("{pair:?}");
    assert!(!text.contains(&hex_private), "{text}");
    assert!(!text.contains(&hex_private[..8]), "{text}");

    let secret = suite(1).kdf_extract(b"salt", b"ikm").unwrap();
    assert!(format!("{secret:?}").contains("redacted"));
}

#[test]
fn untrusted_inputs_of_any_length_never_panic() {
    // Random keys, encapsulations, signatures and ciphertexts of every length
    // around the expected ones: each call returns, Ok or Err.
    let crypto = RingCrypto::new();
    let mut noise = vec![0u8; 300];
    for value in [1u16, 2, 3, 7] {
        let s = suite(value);
        let pair = s.hpke_generate_key_pair().unwrap();
        for len in 0..=140usize {
            crypto.random_bytes(&mut noise).unwrap();
            let bytes = &noise[..len];
            let _ = s.validate_hpke_public_key(&HpkePublicKey::new(bytes.to_vec()));
            let _ = s.hpke_seal(&HpkePublicKey::new(bytes.to_vec()), b"", b"", b"x");
            let _ = s.hpke_open(&pair.private, bytes, b"", b"", &noise[len..]);
            let _ = s.hpke_open(&HpkePrivateKey::new(bytes.to_vec()), bytes, b"", b"", bytes);
            let _ = s.hpke_public_key(&HpkePrivateKey::new(bytes.to_vec()));
            let _ = s.signer(&SignaturePrivateKey::new(bytes.to_vec()));
            if let Ok(key) = s.verifying_key(&SignaturePublicKey::new(bytes.to_vec())) {
                let _ = s.verify_with(&key, b"m", &noise[len..]);
            }
            let keys = s.signature_generate_key_pair().unwrap();
            let _ = s.verify(&keys.public, b"m", bytes);
            let _ = s.aead_open(&noise[..s.info().aead.key_len()], &[0; 12], b"", bytes);
            let _ = s.kdf_expand(bytes, bytes, len * 3);
        }
    }
}

#[test]
fn x25519_keys_of_small_order_or_non_canonical_fail_validation() {
    let s = suite(1);
    let mut nine = [0u8; 32];
    nine[0] = 9;
    s.validate_hpke_public_key(&HpkePublicKey::new(nine.to_vec()))
        .unwrap();
    let mut top_bit = nine;
    top_bit[31] = 0x80;
    let mut p_minus_1 = [0xFF; 32];
    p_minus_1[0] = 0xEC;
    p_minus_1[31] = 0x7F;
    for bad in [[0u8; 32], top_bit, p_minus_1, [0xFF; 32]] {
        assert!(matches!(
            s.validate_hpke_public_key(&HpkePublicKey::new(bad.to_vec())),
            Err(CryptoError::InvalidPublicKey(_))
        ));
    }
    // A fresh key always passes.
    for _ in 0..32 {
        let pair = s.hpke_generate_key_pair().unwrap();
        s.validate_hpke_public_key(&pair.public).unwrap();
    }
}
