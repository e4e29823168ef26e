//! The crypto backend conformance suite.
//!
//! * [`run`] checks one [`OpenMlsCrypto`] against the trait's contract, for
//!   every suite it claims: known answers from the RFCs, round trips, and the
//!   refusals docs/DESIGN.md §3 P7 asks for.
//! * [`cross_verify`] checks two backends against each other on every suite
//!   both support.
//!
//! Each backend calls them from a one-line test. They panic, naming the
//! backend, the suite and the check, on the first failure.
//!
//! Known answers embedded here, each from its RFC:
//!
//! * SHA-256/384/512 of `"abc"` (FIPS 180-4 examples, RFC 6234 §8.5);
//! * HKDF-SHA256 test case 1 (RFC 5869 Appendix A.1);
//! * AES-128-GCM and AES-256-GCM with an all-zero key, nonce and block
//!   (McGrew and Viega, *The Galois/Counter Mode of Operation*, test cases 2
//!   and 14), ChaCha20-Poly1305 (RFC 8439 §2.8.2);
//! * Ed25519 tests 1–3 (RFC 8032 §7.1);
//! * `DeriveKeyPair` and base-mode `Open` of the first encryption, for
//!   DHKEM(X25519) (RFC 9180 A.1), DHKEM(P-256) (A.3) and DHKEM(P-521)
//!   (A.6), whose KDF and AEAD equal those of MLS suites 1, 2 and 5;
//!   `DeriveKeyPair` for DHKEM(P-384) from the CFRG test vectors the
//!   appendix was taken from.
//!
//! Beyond the known answers: round trips, tampering, the refusals of
//! docs/DESIGN.md §3 P7 (point encodings, the all-zero DH output, the
//! Ed25519, Ed448 and X25519/X448 key policies), keys of another suite's
//! scheme, and inputs of every length that must never panic.

// Test support: a failed check panics with a message, as a test would.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use crate::crypto::{CipherSuiteProvider, CryptoError, OpenMlsCrypto, Signer};
use crate::keys::{HpkePrivateKey, HpkePublicKey, SignaturePrivateKey, SignaturePublicKey};
use crate::suite::{AeadAlgorithm, HashAlgorithm, KemAlgorithm, SUITES, SignatureScheme};
use crate::{CipherSuite, HpkeKeyPair};

/// Decodes a hex constant of this file.
fn h(text: &str) -> Vec<u8> {
    hex::decode(text).unwrap_or_else(|e| panic!("bad hex constant {text}: {e}"))
}

/// Deterministic test bytes of length `len`.
fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// `bytes` with one bit flipped at `index`.
fn flip(bytes: &[u8], index: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[index] ^= 0x01;
    out
}

/// Where a check runs, for the failure message.
struct Ctx {
    backend: &'static str,
    suite: CipherSuite,
}

impl Ctx {
    fn fail(&self, what: &str) -> ! {
        panic!(
            "crypto conformance [{}] {:?}: {what}",
            self.backend, self.suite
        )
    }

    fn check(&self, ok: bool, what: &str) {
        if !ok {
            self.fail(what);
        }
    }

    fn ok<T>(&self, result: Result<T, CryptoError>, what: &str) -> T {
        result.unwrap_or_else(|e| self.fail(&format!("{what}: unexpected error {e:?}")))
    }

    fn err<T>(&self, result: Result<T, CryptoError>, what: &str) -> CryptoError {
        match result {
            Ok(_) => self.fail(&format!("{what}: accepted, must be refused")),
            Err(e) => e,
        }
    }

    fn err_is<T>(
        &self,
        result: Result<T, CryptoError>,
        what: &str,
        want: fn(&CryptoError) -> bool,
    ) {
        let e = self.err(result, what);
        if !want(&e) {
            self.fail(&format!("{what}: refused with the wrong error {e:?}"));
        }
    }
}

fn is_invalid_public_key(e: &CryptoError) -> bool {
    matches!(e, CryptoError::InvalidPublicKey { .. })
}

fn is_invalid_private_key(e: &CryptoError) -> bool {
    matches!(e, CryptoError::InvalidPrivateKey { .. })
}

fn is_invalid_signature(e: &CryptoError) -> bool {
    matches!(e, CryptoError::InvalidSignature)
}

fn is_decryption_failed(e: &CryptoError) -> bool {
    matches!(e, CryptoError::DecryptionFailed)
}

fn is_invalid_length(e: &CryptoError) -> bool {
    matches!(e, CryptoError::InvalidLength { .. })
}

fn is_zero_shared_secret(e: &CryptoError) -> bool {
    matches!(e, CryptoError::ZeroSharedSecret)
}

fn is_scheme_mismatch(e: &CryptoError) -> bool {
    matches!(e, CryptoError::SignatureSchemeMismatch { .. })
}

/// Runs the whole suite against `crypto`; panics on the first failure.
pub fn run<C: OpenMlsCrypto>(crypto: &C) {
    supported_ciphersuites_are_truthful(crypto);
    random_bytes_are_random(crypto);
    for &suite in crypto.supported_cipher_suites() {
        let ctx = Ctx {
            backend: crypto.name(),
            suite,
        };
        let s = ctx.ok(crypto.suite(suite), "suite()");
        hash_known_answers(&ctx, &s);
        kdf(&ctx, &s);
        aead(&ctx, &s);
        signatures(&ctx, &s);
        signature_known_answers(&ctx, &s);
        bad_signature_keys(&ctx, &s);
        hpke_round_trips(&ctx, &s);
        derive_key_pair(&ctx, &s);
        hpke_known_answers(&ctx, &s);
        bad_hpke_keys(&ctx, &s);
        montgomery_key_policy(&ctx, &s);
        untrusted_inputs_never_panic(&ctx, crypto, &s);
    }
    keys_of_another_scheme_are_refused(crypto);
}

/// `supported_cipher_suites` is ascending, and `suite()` succeeds exactly
/// for the suites it lists.
fn supported_ciphersuites_are_truthful<C: OpenMlsCrypto>(crypto: &C) {
    let supported = crypto.supported_cipher_suites();
    assert!(
        !supported.is_empty(),
        "crypto conformance [{}]: no suite supported",
        crypto.name()
    );
    assert!(
        supported.windows(2).all(|w| w[0] < w[1]),
        "crypto conformance [{}]: supported_cipher_suites not strictly ascending: {supported:?}",
        crypto.name()
    );
    let mut candidates: Vec<CipherSuite> = SUITES.iter().map(|row| row.suite).collect();
    candidates.extend([0u16, 8, 0x0A0A, 0xF000, 0xFFFF].map(CipherSuite));
    for suite in candidates {
        let ctx = Ctx {
            backend: crypto.name(),
            suite,
        };
        let listed = supported.contains(&suite);
        ctx.check(
            crypto.supports(suite) == listed,
            "supports() disagrees with the list",
        );
        match crypto.suite(suite) {
            Ok(s) => {
                ctx.check(listed, "suite() succeeds for a suite that is not listed");
                ctx.check(
                    s.cipher_suite() == suite,
                    "suite().cipher_suite() is another suite",
                );
                ctx.check(s.info().suite == suite, "suite().info() is another suite");
            }
            Err(e) => {
                ctx.check(!listed, "suite() fails for a listed suite");
                ctx.check(
                    e == CryptoError::UnsupportedCipherSuite {
                        cipher_suite: suite,
                    },
                    "an unsupported suite is not UnsupportedCipherSuite",
                );
            }
        }
    }
}

fn random_bytes_are_random<C: OpenMlsCrypto>(crypto: &C) {
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    crypto.random_bytes(&mut a).unwrap();
    crypto.random_bytes(&mut b).unwrap();
    assert!(
        a != b && a != [0u8; 32],
        "crypto conformance [{}]: random_bytes repeats or is zero",
        crypto.name()
    );
}

fn hash_known_answers<S: CipherSuiteProvider>(ctx: &Ctx, s: &S) {
    let want = match s.info().hash {
        HashAlgorithm::Sha256 => "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        HashAlgorithm::Sha384 => {
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
             8086072ba1e7cc2358baeca134c825a7"
        }
        HashAlgorithm::Sha512 => {
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        }
    };
    ctx.check(
        ctx.ok(s.hash(b"abc"), "hash") == h(want),
        "Hash(\"abc\") differs from FIPS 180-4",
    );
    let long = bytes(70_000, 3);
    let digest = ctx.ok(s.hash(&long), "hash of 70000 bytes");
    ctx.check(digest.len() == s.info().hash_len(), "hash length is not Nh");
    ctx.check(
        digest != ctx.ok(s.hash(&flip(&long, 69_999)), "hash"),
        "hash ignores the last byte",
    );
}

fn kdf<S: CipherSuiteProvider>(ctx: &Ctx, s: &S) {
    let nh = s.info().hash_len();
    if s.info().kdf.hash() == HashAlgorithm::Sha256 {
        // RFC 5869 Appendix A.1.
        let ikm = [0x0b; 22];
        let salt = h("000102030405060708090a0b0c");
        let info = h("f0f1f2f3f4f5f6f7f8f9");
        let prk = ctx.ok(s.kdf_extract(&salt, &ikm), "kdf_extract");
        ctx.check(
            prk.expose()
                == h("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5").as_slice(),
            "HKDF-Extract differs from RFC 5869 A.1",
        );
        let okm = ctx.ok(s.kdf_expand(prk.expose(), &info, 42), "kdf_expand");
        ctx.check(
            okm.expose()
                == h("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c\
                      5db02d56ecc4c5bf34007208d5b887185865")
                .as_slice(),
            "HKDF-Expand differs from RFC 5869 A.1",
        );
    }
    let prk = ctx.ok(s.kdf_extract(b"salt", b"input key material"), "kdf_extract");
    ctx.check(prk.len() == nh, "HKDF-Extract output is not Nh bytes");
    ctx.check(
        ctx.ok(s.kdf_extract(b"", b"ikm"), "kdf_extract with an empty salt")
            .len()
            == nh,
        "HKDF-Extract with an empty salt",
    );
    let long = ctx.ok(
        s.kdf_expand(prk.expose(), b"info", 255 * nh),
        "kdf_expand 255 * Nh",
    );
    ctx.check(long.len() == 255 * nh, "HKDF-Expand output length");
    let short = ctx.ok(s.kdf_expand(prk.expose(), b"info", 10), "kdf_expand 10");
    ctx.check(
        long.expose().starts_with(short.expose()),
        "HKDF-Expand of different lengths disagree on the prefix",
    );
    let other = ctx.ok(s.kdf_expand(prk.expose(), b"infp", 10), "kdf_expand");
    ctx.check(other != short, "HKDF-Expand ignores info");
    ctx.err_is(
        s.kdf_expand(prk.expose(), b"info", 255 * nh + 1),
        "HKDF-Expand longer than 255 * Nh",
        is_invalid_length,
    );
    // RFC 5869 §2.3: "a pseudorandom key of at least HashLen octets".
    ctx.err_is(
        s.kdf_expand(&prk.expose()[1..], b"info", 10),
        "HKDF-Expand with a key shorter than Nh",
        is_invalid_length,
    );
}

fn aead<S: CipherSuiteProvider>(ctx: &Ctx, s: &S) {
    let alg = s.info().aead;
    let (nk, nn, nt) = (alg.key_len(), alg.nonce_len(), alg.tag_len());
    // Known answers.
    let (key, nonce, aad, plaintext, want) = match alg {
        AeadAlgorithm::Aes128Gcm => (
            vec![0; 16],
            vec![0; 12],
            vec![],
            vec![0; 16],
            "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf",
        ),
        AeadAlgorithm::Aes256Gcm => (
            vec![0; 32],
            vec![0; 12],
            vec![],
            vec![0; 16],
            "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919",
        ),
        AeadAlgorithm::ChaCha20Poly1305 => (
            (0x80..=0x9f).collect(),
            h("070000004041424344454647"),
            h("50515253c0c1c2c3c4c5c6c7"),
            b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip \
              for the future, sunscreen would be it."
                .to_vec(),
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6\
             3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36\
             92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc\
             3ff4def08e4b7a9de576d26586cec64b61161ae10b594f09e26a7e902ecbd060\
             0691",
        ),
    };
    let sealed = ctx.ok(
        s.aead_seal(&key, &nonce, &aad, &plaintext),
        "aead_seal known answer",
    );
    ctx.check(sealed == h(want), "AEAD known answer differs");
    let opened = ctx.ok(
        s.aead_open(&key, &nonce, &aad, &sealed),
        "aead_open known answer",
    );
    ctx.check(
        opened.expose() == plaintext.as_slice(),
        "AEAD known answer does not open",
    );

    // Round trips and tampering.
    let key = bytes(nk, 1);
    let nonce = bytes(nn, 2);
    for len in [0usize, 1, 16, 17, 1000] {
        let plaintext = bytes(len, 9);
        let ct = ctx.ok(s.aead_seal(&key, &nonce, b"aad", &plaintext), "aead_seal");
        ctx.check(
            ct.len() == len + nt,
            "AEAD ciphertext is not plaintext + Nt bytes",
        );
        let pt = ctx.ok(s.aead_open(&key, &nonce, b"aad", &ct), "aead_open");
        ctx.check(pt.expose() == plaintext.as_slice(), "AEAD round trip");
        for index in [0, ct.len() / 2, ct.len() - 1] {
            ctx.err_is(
                s.aead_open(&key, &nonce, b"aad", &flip(&ct, index)),
                "AEAD ciphertext with a flipped bit",
                is_decryption_failed,
            );
        }
        ctx.err_is(
            s.aead_open(&key, &nonce, b"aae", &ct),
            "AEAD with other aad",
            is_decryption_failed,
        );
        ctx.err_is(
            s.aead_open(&key, &flip(&nonce, 0), b"aad", &ct),
            "AEAD with another nonce",
            is_decryption_failed,
        );
        ctx.err_is(
            s.aead_open(&flip(&key, 0), &nonce, b"aad", &ct),
            "AEAD with another key",
            is_decryption_failed,
        );
        ctx.err_is(
            s.aead_open(&key, &nonce, b"aad", &ct[..ct.len() - 1]),
            "AEAD truncated ciphertext",
            is_decryption_failed,
        );
    }
    ctx.err_is(
        s.aead_open(&key, &nonce, b"", &[0u8; 15]),
        "AEAD ciphertext shorter than the tag",
        is_decryption_failed,
    );
    ctx.err_is(
        s.aead_open(&key, &nonce, b"", &[]),
        "AEAD empty ciphertext",
        is_decryption_failed,
    );
    ctx.err_is(
        s.aead_seal(&key[1..], &nonce, b"", b"x"),
        "AEAD short key",
        is_invalid_length,
    );
    ctx.err_is(
        s.aead_seal(&[key.clone(), vec![0]].concat(), &nonce, b"", b"x"),
        "AEAD long key",
        is_invalid_length,
    );
    ctx.err_is(
        s.aead_seal(&key, &nonce[1..], b"", b"x"),
        "AEAD short nonce",
        is_invalid_length,
    );
    ctx.err_is(
        s.aead_open(&key[1..], &nonce, b"", &[0; 32]),
        "AEAD open, short key",
        is_invalid_length,
    );
    ctx.err_is(
        s.aead_open(&key, &[0; 16], b"", &[0; 32]),
        "AEAD open, long nonce",
        is_invalid_length,
    );
}

/// Message sizes for signatures: empty, one byte, a block, and larger than
/// any buffer a backend might use.
const MESSAGE_SIZES: [usize; 5] = [0, 1, 64, 1000, 70_000];

fn signatures<S: CipherSuiteProvider>(ctx: &Ctx, s: &S) {
    let scheme = s.info().signature;
    let keys = ctx.ok(
        s.signature_generate_key_pair(),
        "signature_generate_key_pair",
    );
    ctx.check(
        keys.public.as_slice().len() == scheme.public_key_len(),
        "signature public key length",
    );
    ctx.check(
        keys.private.expose().len() == scheme.private_key_len(),
        "signature private key length",
    );
    ctx.check(
        ctx.ok(
            s.signature_public_key(&keys.private),
            "signature_public_key",
        ) == keys.public,
        "signature_public_key(private) is not the generated public key",
    );
    let signer = ctx.ok(s.signer(&keys.private), "signer");
    ctx.check(signer.public_key() == &keys.public, "signer public key");
    ctx.check(signer.signature_scheme() == scheme, "signer scheme");
    let key = ctx.ok(s.verifying_key(&keys.public), "verifying_key");
    let other = ctx.ok(s.signature_generate_key_pair(), "second key pair");
    ctx.check(other.public != keys.public, "two generated keys are equal");
    let other_key = ctx.ok(s.verifying_key(&other.public), "verifying_key");

    for size in MESSAGE_SIZES {
        let message = bytes(size, size as u8);
        let signature = ctx.ok(signer.sign(&message), "sign");
        ctx.check(
            signature.len() <= scheme.max_signature_len(),
            "signature longer than the scheme allows",
        );
        match scheme {
            SignatureScheme::Ed25519 | SignatureScheme::Ed448 => {
                ctx.check(
                    signature.len() == scheme.max_signature_len(),
                    "EdDSA signature length",
                );
                ctx.check(
                    ctx.ok(signer.sign(&message), "sign again") == signature,
                    "EdDSA signing is not deterministic",
                );
            }
            _ => ctx.check(
                signature.first() == Some(&0x30),
                "ECDSA signature is not DER",
            ),
        }
        ctx.ok(s.verify(&keys.public, &message, &signature), "verify");
        ctx.ok(s.verify_with(&key, &message, &signature), "verify_with");

        for index in [0, signature.len() / 2, signature.len() - 1] {
            ctx.err_is(
                s.verify_with(&key, &message, &flip(&signature, index)),
                "signature with a flipped bit",
                is_invalid_signature,
            );
        }
        let tampered = if message.is_empty() {
            vec![0]
        } else {
            flip(&message, message.len() - 1)
        };
        ctx.err_is(
            s.verify_with(&key, &tampered, &signature),
            "tampered message",
            is_invalid_signature,
        );
        ctx.err_is(
            s.verify_with(&key, &message, &signature[..signature.len() - 1]),
            "truncated signature",
            is_invalid_signature,
        );
        ctx.err_is(
            s.verify_with(&key, &message, &[signature.clone(), vec![0]].concat()),
            "signature with a trailing byte",
            is_invalid_signature,
        );
        ctx.err_is(
            s.verify_with(&key, &message, &[]),
            "empty signature",
            is_invalid_signature,
        );
        ctx.err_is(
            s.verify_with(&other_key, &message, &signature),
            "signature under another key",
            is_invalid_signature,
        );
    }

    let m1 = bytes(10, 1);
    let m2 = bytes(20, 2);
    let s1 = ctx.ok(signer.sign(&m1), "sign");
    let s2 = ctx.ok(signer.sign(&m2), "sign");
    // verify_each: one verdict per item, each verify_with's, whatever its
    // neighbours (good, bad, another key, malformed) are.
    let flipped = flip(&s2, 0);
    let short = &s2[..s2.len() - 1];
    let items: [(&S::VerifyingKey, &[u8], &[u8]); 7] = [
        (&key, &m1, &s1),
        (&key, &m2, &s1),
        (&key, &m2, &s2),
        (&other_key, &m2, &s2),
        (&key, &m2, &flipped),
        (&key, &m2, short),
        (&key, &m1, &s1),
    ];
    let each = s.verify_each(&items);
    let single: Vec<_> = items
        .iter()
        .map(|(k, m, sig)| s.verify_with(k, m, sig))
        .collect();
    ctx.check(each == single, "verify_each differs from verify_with");
    ctx.check(
        each.iter().map(Result::is_ok).collect::<Vec<_>>()
            == [true, false, true, false, false, false, true],
        "verify_each verdicts",
    );
    ctx.check(s.verify_each(&[]).is_empty(), "verify_each of nothing");
}

/// RFC 8032 §7.1 tests 1–3: secret key, public key, message, signature.
const ED25519_RFC8032: [(&str, &str, &str, &str); 3] = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
         5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
         085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac\
         18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
];

fn signature_known_answers<S: CipherSuiteProvider>(ctx: &Ctx, s: &S) {
    if s.info().signature != SignatureScheme::Ed25519 {
        return;
    }
    for (secret, public, message, signature) in ED25519_RFC8032 {
        let private = SignaturePrivateKey::new(h(secret));
        let public = SignaturePublicKey::new(h(public));
        ctx.check(
            ctx.ok(s.signature_public_key(&private), "Ed25519 public key") == public,
            "Ed25519 public key differs from RFC 8032",
        );
        let signer = ctx.ok(s.signer(&private), "Ed25519 signer");
        ctx.check(
            ctx.ok(signer.sign(&h(message)), "Ed25519 sign") == h(signature),
            "Ed25519 signature differs from RFC 8032",
        );
        ctx.ok(
            s.verify(&public, &h(message), &h(signature)),
            "RFC 8032 signature",
        );
    }
}

/// Compresses an uncompressed SEC1 point (`0x02 | (y & 1)`, then X).
fn compress(point: &[u8]) -> Vec<u8> {
    let coordinate = (point.len() - 1) / 2;
    let mut out = vec![0x02 | (point[point.len() - 1] & 1)];
    out.extend_from_slice(&point[1..=coordinate]);
    out
}

/// Encodings of a NIST-curve point that must be refused, derived from a
/// valid uncompressed `point`.
fn bad_points(point: &[u8]) -> Vec<(Vec<u8>, &'static str)> {
    let len = point.len();
    let mut hybrid = point.to_vec();
    hybrid[0] = 0x06 | (point[len - 1] & 1);
    vec![
        (compress(point), "compressed point"),
        (vec![0x00], "identity point"),
        (vec![0u8; len], "all-zero encoding"),
        (flip(point, len - 1), "point off the curve"),
        (hybrid, "hybrid encoding"),
        (point[..len - 1].to_vec(), "truncated point"),
        ([point, &[0]].concat(), "point with a trailing byte"),
        (Vec::new(), "empty key"),
    ]
}

fn bad_signature_keys<S: CipherSuiteProvider>(ctx: &Ctx, s: &S) {
    let scheme = s.info().signature;
    let keys = ctx.ok(
        s.signature_generate_key_pair(),
        "signature_generate_key_pair",
    );
    let mut bad: Vec<(Vec<u8>, &str)> = vec![
        (keys.public.as_slice()[1..].to_vec(), "short key"),
        ([keys.public.as_slice(), &[0]].concat(), "long key"),
        (Vec::new(), "empty key"),
    ];
    match scheme {
        SignatureScheme::Ed25519 => {
            let mut identity = vec![0u8; 32];
            identity[0] = 1;
            bad.push((identity, "Ed25519 identity point"));
            bad.push((
                h("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
                "Ed25519 non-canonical y = p",
            ));
            bad.push((
                h("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
                "Ed25519 point of order 8",
            ));
            // y = 2: x^2 = 3 / (4d + 1) is not a square, so no point.
            let mut off_curve = vec![0u8; 32];
            off_curve[0] = 2;
            bad.push((off_curve, "Ed25519 y with no point"));
        }
        SignatureScheme::Ed448 => {
            // RFC 8032 §5.2.3: x = 0 (y = 1) with the sign bit set.
            let mut x_zero = vec![0u8; 57];
            x_zero[0] = 1;
            x_zero[56] = 0x80;
            bad.push((x_zero, "Ed448 x = 0 with the sign bit"));
            let mut high_bits = keys.public.as_slice().to_vec();
            high_bits[56] |= 0x01;
            bad.push((high_bits, "Ed448 bits 448-454 set"));
        }
        _ => bad.extend(bad_points(keys.public.as_slice())),
    }
    for (public, what) in bad {
        ctx.err_is(
            s.verifying_key(&SignaturePublicKey::new(public.clone())),
            what,
            is_invalid_public_key,
        );
        ctx.err(
            s.verify(&SignaturePublicKey::new(public), b"m", &[0; 64]),
            what,
        );
    }

    let len = scheme.private_key_len();
    let mut bad_private = vec![
        (vec![1u8; len - 1], "short private key"),
        (vec![1u8; len + 1], "long private key"),
        (Vec::new(), "empty private key"),
    ];
    if !matches!(scheme, SignatureScheme::Ed25519 | SignatureScheme::Ed448) {
        bad_private.push((vec![0u8; len], "zero ECDSA scalar"));
        bad_private.push((vec![0xffu8; len], "ECDSA scalar above the group order"));
    }
    for (private, what) in bad_private {
        let private = SignaturePrivateKey::new(private);
        ctx.err_is(s.signer(&private), what, is_invalid_private_key);
        ctx.err_is(
            s.signature_public_key(&private),
            what,
            is_invalid_private_key,
        );
    }
}

fn hpke_round_trips<S: CipherSuiteProvider>(ctx: &Ctx, s: &S) {
    let kem = s.info().kem;
    let keys = ctx.ok(s.hpke_generate_key_pair(), "hpke_generate_key_pair");
    ctx.check(
        keys.private.expose().len() == kem.private_key_len(),
        "HPKE private key length",
    );
    ctx.check(
        keys.public.as_slice().len() == kem.public_key_len(),
        "HPKE public key length",
    );
    ctx.check(
        ctx.ok(s.hpke_public_key(&keys.private), "hpke_public_key") == keys.public,
        "hpke_public_key(private) is not the generated public key",
    );
    ctx.ok(
        s.validate_hpke_public_key(&keys.public),
        "validate a generated public key",
    );
    let other = ctx.ok(s.hpke_generate_key_pair(), "second key pair");
    ctx.check(
        other.public != keys.public,
        "two generated HPKE keys are equal",
    );

    for len in [0usize, 1, 100, 5000] {
        let plaintext = bytes(len, 5);
        let sealed = ctx.ok(
            s.hpke_seal(&keys.public, b"info", b"aad", &plaintext),
            "hpke_seal",
        );
        let (enc, ct) = (sealed.kem_output.as_slice(), sealed.ciphertext.as_slice());
        ctx.check(enc.len() == kem.enc_len(), "HPKE enc length is not Nenc");
        ctx.check(
            ct.len() == len + s.info().aead.tag_len(),
            "HPKE ciphertext length",
        );
        let opened = ctx.ok(
            s.hpke_open(&keys.private, enc, b"info", b"aad", ct),
            "hpke_open",
        );
        ctx.check(opened.expose() == plaintext.as_slice(), "HPKE round trip");
        let again = ctx.ok(
            s.hpke_seal(&keys.public, b"info", b"aad", &plaintext),
            "hpke_seal",
        );
        ctx.check(
            again.kem_output != sealed.kem_output,
            "HPKE reuses the ephemeral key",
        );

        for index in [0, ct.len() / 2, ct.len() - 1] {
            ctx.err_is(
                s.hpke_open(&keys.private, enc, b"info", b"aad", &flip(ct, index)),
                "HPKE ciphertext with a flipped bit",
                is_decryption_failed,
            );
        }
        ctx.err(
            s.hpke_open(
                &keys.private,
                &flip(enc, enc.len() - 1),
                b"info",
                b"aad",
                ct,
            ),
            "HPKE enc with a flipped bit",
        );
        ctx.err_is(
            s.hpke_open(&keys.private, enc, b"infp", b"aad", ct),
            "HPKE with another info",
            is_decryption_failed,
        );
        ctx.err_is(
            s.hpke_open(&keys.private, enc, b"info", b"aae", ct),
            "HPKE with another aad",
            is_decryption_failed,
        );
        ctx.err_is(
            s.hpke_open(&other.private, enc, b"info", b"aad", ct),
            "HPKE with another private key",
            is_decryption_failed,
        );
        ctx.err_is(
            s.hpke_open(&keys.private, enc, b"info", b"aad", &ct[..ct.len().min(15)]),
            "HPKE ciphertext shorter than the tag",
            is_decryption_failed,
        );
    }
}

fn derive_key_pair<S: CipherSuiteProvider>(ctx: &Ctx, s: &S) {
    let kem = s.info().kem;
    let ikm = bytes(kem.private_key_len(), 7);
    let a = ctx.ok(s.hpke_derive_key_pair(&ikm), "hpke_derive_key_pair");
    let b = ctx.ok(s.hpke_derive_key_pair(&ikm), "hpke_derive_key_pair again");
    ctx.check(a == b, "DeriveKeyPair is not deterministic");
    let c = ctx.ok(
        s.hpke_derive_key_pair(&flip(&ikm, 0)),
        "hpke_derive_key_pair",
    );
    ctx.check(
        c.public != a.public && c.private != a.private,
        "DeriveKeyPair ignores ikm",
    );
    for ikm in [Vec::new(), bytes(64, 1), bytes(200, 2)] {
        let pair = ctx.ok(s.hpke_derive_key_pair(&ikm), "hpke_derive_key_pair");
        ctx.check(
            pair.private.expose().len() == kem.private_key_len(),
            "derived private key length",
        );
        ctx.check(
            ctx.ok(s.hpke_public_key(&pair.private), "hpke_public_key") == pair.public,
            "derived public key is not pk(sk)",
        );
        ctx.ok(
            s.validate_hpke_public_key(&pair.public),
            "validate a derived key",
        );
        let sealed = ctx.ok(
            s.hpke_seal(&pair.public, b"", b"", b"derived"),
            "seal to a derived key",
        );
        let opened = ctx.ok(
            s.hpke_open(
                &pair.private,
                sealed.kem_output.as_slice(),
                b"",
                b"",
                sealed.ciphertext.as_slice(),
            ),
            "open with a derived key",
        );
        ctx.check(opened.expose() == b"derived", "derived key round trip");
    }
}

/// One RFC 9180 Appendix A base-mode case: `(ikm, skm, pkm)` for the
/// recipient and the ephemeral key, and the first encryption (sequence
/// number 0) of the shared plaintext.
struct HpkeVector {
    ikm_r: &'static str,
    sk_rm: &'static str,
    pk_rm: &'static str,
    ikm_e: &'static str,
    sk_em: &'static str,
    pk_em: &'static str,
    /// The AEAD of the case; the ciphertext is checked only under it.
    aead: AeadAlgorithm,
    ct0: &'static str,
}

/// `info` of every RFC 9180 Appendix A case ("Ode on a Grecian Urn").
const RFC9180_INFO: &str = "4f6465206f6e2061204772656369616e2055726e";
/// The plaintext of every encryption ("Beauty is truth, truth beauty").
const RFC9180_PT: &str = "4265617574792069732074727574682c20747275746820626561757479";
/// The aad of sequence number 0 ("Count-0").
const RFC9180_AAD0: &str = "436f756e742d30";

fn rfc9180_vector(kem: KemAlgorithm) -> Option<HpkeVector> {
    match kem {
        // A.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM.
        KemAlgorithm::DhKemX25519 => Some(HpkeVector {
            ikm_r: "6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037",
            sk_rm: "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8",
            pk_rm: "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d",
            ikm_e: "7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234",
            sk_em: "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736",
            pk_em: "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
            aead: AeadAlgorithm::Aes128Gcm,
            ct0: "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a9\
                  6d8770ac83d07bea87e13c512a",
        }),
        // A.3: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM.
        KemAlgorithm::DhKemP256 => Some(HpkeVector {
            ikm_r: "668b37171f1072f3cf12ea8a236a45df23fc13b82af3609ad1e354f6ef817550",
            sk_rm: "f3ce7fdae57e1a310d87f1ebbde6f328be0a99cdbcadf4d6589cf29de4b8ffd2",
            pk_rm: "04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a\
                    826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0",
            ikm_e: "4270e54ffd08d79d5928020af4686d8f6b7d35dbe470265f1f5aa22816ce860e",
            sk_em: "4995788ef4b9d6132b249ce59a77281493eb39af373d236a1fe415cb0c2d7beb",
            pk_em: "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325a\
                    c98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4",
            aead: AeadAlgorithm::Aes128Gcm,
            ct0: "5ad590bb8baa577f8619db35a36311226a896e7342a6d836d8b7bcd2f20b6c7f\
                  9076ac232e3ab2523f39513434",
        }),
        // A.6: DHKEM(P-521, HKDF-SHA512), HKDF-SHA512, AES-256-GCM.
        KemAlgorithm::DhKemP521 => Some(HpkeVector {
            ikm_r: "2ad954bbe39b7122529f7dde780bff626cd97f850d0784a432784e69d86eccaa\
                    de43b6c10a8ffdb94bf943c6da479db137914ec835a7e715e36e45e29b587bab3bf1",
            sk_rm: "01462680369ae375e4b3791070a7458ed527842f6a98a79ff5e0d4cbde83c271\
                    96a3916956655523a6a2556a7af62c5cadabe2ef9da3760bb21e005202f7b2462847",
            pk_rm: "0401b45498c1714e2dce167d3caf162e45e0642afc7ed435df7902ccae0e84ba\
                    0f7d373f646b7738bbbdca11ed91bdeae3cdcba3301f2457be452f271fa6837580\
                    e661012af49583a62e48d44bed350c7118c0d8dc861c238c72a2bda17f64704f46\
                    4b57338e7f40b60959480c0e58e6559b190d81663ed816e523b6b6a418f66d2451\
                    ec64",
            ikm_e: "7f06ab8215105fc46aceeb2e3dc5028b44364f960426eb0d8e4026c2f8b5d7e7\
                    a986688f1591abf5ab753c357a5d6f0440414b4ed4ede71317772ac98d9239f70904",
            sk_em: "014784c692da35df6ecde98ee43ac425dbdd0969c0c72b42f2e708ab9d535415\
                    a8569bdacfcc0a114c85b8e3f26acf4d68115f8c91a66178cdbd03b7bcc5291e374b",
            pk_em: "040138b385ca16bb0d5fa0c0665fbbd7e69e3ee29f63991d3e9b5fa740aab890\
                    0aaeed46ed73a49055758425a0ce36507c54b29cc5b85a5cee6bae0cf1c21f2731\
                    ece2013dc3fb7c8d21654bb161b463962ca19e8c654ff24c94dd2898de12051f1e\
                    d0692237fb02b2f8d1dc1c73e9b366b529eb436e98a996ee522aef863dd5739d2f\
                    29b0",
            aead: AeadAlgorithm::Aes256Gcm,
            ct0: "170f8beddfe949b75ef9c387e201baf4132fa7374593dfafa90768788b7b2b20\
                  0aafcc6d80ea4c795a7c5b841a",
        }),
        _ => None,
    }
}

/// `DeriveKeyPair` of the ephemeral key of the CFRG HPKE test vectors'
/// base-mode case for DHKEM(P-384, HKDF-SHA384) (`test-vectors.json` of
/// draft-irtf-cfrg-hpke, from which RFC 9180 Appendix A was taken; the
/// appendix prints no P-384 case): `(ikmE, skEm, pkEm)`.
const P384_DERIVE_KEY_PAIR: (&str, &str, &str) = (
    "65fca3ea3b6db29a62bff28ec53c08710fab10b3798e59b678d3224296d5883f\
     039123471784ce57b0d85a17cd521196",
    "679172205e04663f40fda1018cd46c18ebaa876ede6998ba86b051614ca4d5e4\
     bfbea34b720617a4b958cc80f6305244",
    "04a5f53da8564364255bc36850df793672782a5c9e4a7fb5fb2e2146eb12e4d8\
     477ab1f326a361dfd1e41212109510e813380547c68c0964c1908f16f67b902a\
     061be27b2f8b43f1fab1bf0dbf89f5167ce80aca2c210b8fc0f040699db9ee1229",
);

fn hpke_known_answers<S: CipherSuiteProvider>(ctx: &Ctx, s: &S) {
    if s.info().kem == KemAlgorithm::DhKemP384 {
        let (ikm, sk, pk) = P384_DERIVE_KEY_PAIR;
        let pair = ctx.ok(s.hpke_derive_key_pair(&h(ikm)), "P-384 DeriveKeyPair");
        ctx.check(
            pair.private == HpkePrivateKey::new(h(sk)) && pair.public == HpkePublicKey::new(h(pk)),
            "DeriveKeyPair of the CFRG P-384 ikmE differs from the vectors",
        );
    }
    let Some(v) = rfc9180_vector(s.info().kem) else {
        return;
    };
    for (ikm, sk, pk, who) in [
        (v.ikm_r, v.sk_rm, v.pk_rm, "recipient"),
        (v.ikm_e, v.sk_em, v.pk_em, "ephemeral"),
    ] {
        let pair = ctx.ok(s.hpke_derive_key_pair(&h(ikm)), "RFC 9180 DeriveKeyPair");
        let want = HpkeKeyPair {
            private: HpkePrivateKey::new(h(sk)),
            public: HpkePublicKey::new(h(pk)),
        };
        if pair != want {
            ctx.fail(&format!(
                "DeriveKeyPair of the RFC 9180 {who} ikm differs from the RFC"
            ));
        }
        ctx.check(
            ctx.ok(s.hpke_public_key(&want.private), "hpke_public_key") == want.public,
            "pk(sk) of the RFC 9180 key differs from the RFC",
        );
    }
    // The first encryption of the base-mode case, when the suite's KDF and
    // AEAD are those of the case (the KDF always is: the suites pair each
    // KEM with its own hash).
    if s.info().aead == v.aead {
        let opened = ctx.ok(
            s.hpke_open(
                &HpkePrivateKey::new(h(v.sk_rm)),
                &h(v.pk_em),
                &h(RFC9180_INFO),
                &h(RFC9180_AAD0),
                &h(v.ct0),
            ),
            "RFC 9180 base-mode Open",
        );
        ctx.check(
            opened.expose() == h(RFC9180_PT).as_slice(),
            "RFC 9180 plaintext differs",
        );
    }
}

fn bad_hpke_keys<S: CipherSuiteProvider>(ctx: &Ctx, s: &S) {
    let kem = s.info().kem;
    let keys = ctx.ok(s.hpke_generate_key_pair(), "hpke_generate_key_pair");
    let sealed = ctx.ok(s.hpke_seal(&keys.public, b"", b"", b"x"), "hpke_seal");
    let ct = sealed.ciphertext.as_slice();
    let public = keys.public.as_slice();

    let mut bad: Vec<(Vec<u8>, &str)> = vec![
        (public[1..].to_vec(), "short public key"),
        ([public, &[0]].concat(), "long public key"),
        (Vec::new(), "empty public key"),
    ];
    if matches!(
        kem,
        KemAlgorithm::DhKemP256 | KemAlgorithm::DhKemP384 | KemAlgorithm::DhKemP521
    ) {
        bad.extend(bad_points(public));
    }
    for (key, what) in bad {
        ctx.err_is(
            s.validate_hpke_public_key(&HpkePublicKey::new(key.clone())),
            what,
            is_invalid_public_key,
        );
        ctx.err_is(
            s.hpke_seal(&HpkePublicKey::new(key.clone()), b"", b"", b"x"),
            what,
            is_invalid_public_key,
        );
        ctx.err(s.hpke_open(&keys.private, &key, b"", b"", ct), what);
    }

    if matches!(kem, KemAlgorithm::DhKemX25519 | KemAlgorithm::DhKemX448) {
        // u = 0 and u = 1 have small order: DH gives all zeros (RFC 7748 §6),
        // which RFC 9180 §7.1.4 makes an error: ZeroSharedSecret, in Encap
        // and in Decap alike.
        for u in [0u8, 1] {
            let mut point = vec![0u8; kem.public_key_len()];
            point[0] = u;
            let what = if u == 0 {
                "all-zero public key"
            } else {
                "public key u = 1"
            };
            ctx.err_is(
                s.hpke_seal(&HpkePublicKey::new(point.clone()), b"", b"", b"x"),
                what,
                is_zero_shared_secret,
            );
            ctx.err_is(
                s.hpke_open(&keys.private, &point, b"", b"", ct),
                what,
                is_zero_shared_secret,
            );
        }
    }

    let len = kem.private_key_len();
    let mut bad_private = vec![
        (vec![1u8; len - 1], "short HPKE private key"),
        (vec![1u8; len + 1], "long HPKE private key"),
        (Vec::new(), "empty HPKE private key"),
    ];
    if matches!(
        kem,
        KemAlgorithm::DhKemP256 | KemAlgorithm::DhKemP384 | KemAlgorithm::DhKemP521
    ) {
        bad_private.push((vec![0u8; len], "zero HPKE scalar"));
        bad_private.push((vec![0xffu8; len], "HPKE scalar above the group order"));
    }
    for (private, what) in bad_private {
        let private = HpkePrivateKey::new(private);
        ctx.err_is(s.hpke_public_key(&private), what, is_invalid_private_key);
        ctx.err_is(
            s.hpke_open(&private, sealed.kem_output.as_slice(), b"", b"", ct),
            what,
            is_invalid_private_key,
        );
    }
}

/// X25519/X448 public keys (KP-INIT-KEY, KP-ENC-KEY): fresh ones pass,
/// small-order and non-canonical ones are refused by
/// `validate_hpke_public_key`, stricter than HPKE itself.
fn montgomery_key_policy<S: CipherSuiteProvider>(ctx: &Ctx, s: &S) {
    let kem = s.info().kem;
    let len = kem.public_key_len();
    let mut bad: Vec<(Vec<u8>, &str)> = match kem {
        KemAlgorithm::DhKemX25519 => {
            let mut top_bit = vec![0u8; 32];
            top_bit[0] = 9;
            top_bit[31] = 0x80;
            let mut p_minus_1 = vec![0xFF; 32];
            p_minus_1[0] = 0xEC;
            p_minus_1[31] = 0x7F;
            let mut p = p_minus_1.clone();
            p[0] = 0xED;
            vec![
                (top_bit, "X25519 key with the top bit set"),
                (p_minus_1, "X25519 key u = p - 1 (order 2)"),
                (p, "X25519 key u = p (non-canonical 0)"),
                (
                    h("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
                    "X25519 key of order 8",
                ),
            ]
        }
        KemAlgorithm::DhKemX448 => {
            let mut p = vec![0xFF; 56];
            p[28] = 0xFE;
            let mut p_minus_1 = p.clone();
            p_minus_1[0] = 0xFE;
            vec![
                (p, "X448 key u = p (non-canonical 0)"),
                (p_minus_1, "X448 key u = p - 1 (order 2)"),
            ]
        }
        _ => return,
    };
    for u in [0u8, 1] {
        let mut small = vec![0u8; len];
        small[0] = u;
        bad.push((small, "Montgomery key u = 0 or 1"));
    }
    for (key, what) in bad {
        ctx.err_is(
            s.validate_hpke_public_key(&HpkePublicKey::new(key)),
            what,
            is_invalid_public_key,
        );
    }
    for _ in 0..16 {
        let keys = ctx.ok(s.hpke_generate_key_pair(), "hpke_generate_key_pair");
        ctx.ok(
            s.validate_hpke_public_key(&keys.public),
            "a fresh key fails the policy",
        );
    }
}

/// Keys, encapsulations, signatures and ciphertexts of every length
/// around the expected ones, random bytes: every call returns, `Ok` or
/// `Err`, and a random key never verifies a random signature.
fn untrusted_inputs_never_panic<C: OpenMlsCrypto>(ctx: &Ctx, crypto: &C, s: &C::Suite) {
    let mut noise = vec![0u8; 300];
    let pair = ctx.ok(s.hpke_generate_key_pair(), "hpke_generate_key_pair");
    let keys = ctx.ok(
        s.signature_generate_key_pair(),
        "signature_generate_key_pair",
    );
    let nk = s.info().aead.key_len();
    let nn = s.info().aead.nonce_len();
    for len in 0..=140usize {
        ctx.ok(crypto.random_bytes(&mut noise), "random_bytes");
        let (bytes, rest) = noise.split_at(len);
        let _ = s.validate_hpke_public_key(&HpkePublicKey::new(bytes.to_vec()));
        let _ = s.hpke_seal(&HpkePublicKey::new(bytes.to_vec()), b"", b"", b"x");
        let _ = s.hpke_open(&pair.private, bytes, b"", b"", rest);
        let _ = s.hpke_open(&HpkePrivateKey::new(bytes.to_vec()), bytes, b"", b"", bytes);
        let _ = s.hpke_public_key(&HpkePrivateKey::new(bytes.to_vec()));
        let _ = s.signer(&SignaturePrivateKey::new(bytes.to_vec()));
        if let Ok(key) = s.verifying_key(&SignaturePublicKey::new(bytes.to_vec())) {
            ctx.check(
                s.verify_with(&key, b"m", rest).is_err(),
                "a random key verifies a random signature",
            );
        }
        ctx.check(
            s.verify(&keys.public, b"m", bytes).is_err(),
            "random bytes verify as a signature",
        );
        let _ = s.aead_open(&rest[..nk], &rest[nk..nk + nn], b"", bytes);
        let _ = s.kdf_expand(bytes, bytes, len * 3);
    }
}

/// A key parsed under a suite of one signature scheme is refused by a
/// suite of another, by name, in `verify_with` and `verify_each`.
fn keys_of_another_scheme_are_refused<C: OpenMlsCrypto>(crypto: &C) {
    let suites: Vec<C::Suite> = crypto
        .supported_cipher_suites()
        .iter()
        .map(|suite| crypto.suite(*suite).unwrap())
        .collect();
    for a in &suites {
        let Some(b) = suites
            .iter()
            .find(|b| b.info().signature != a.info().signature)
        else {
            continue;
        };
        let ctx = Ctx {
            backend: crypto.name(),
            suite: b.cipher_suite(),
        };
        let keys = ctx.ok(a.signature_generate_key_pair(), "signature key pair");
        let signer = ctx.ok(a.signer(&keys.private), "signer");
        let signature = ctx.ok(signer.sign(b"m"), "sign");
        let key = ctx.ok(a.verifying_key(&keys.public), "verifying_key");
        ctx.ok(a.verify_with(&key, b"m", &signature), "verify_with");
        ctx.err_is(
            b.verify_with(&key, b"m", &signature),
            "a key of another scheme",
            is_scheme_mismatch,
        );
        let each = b.verify_each(&[(&key, b"m", &signature)]);
        ctx.check(
            matches!(
                each.as_slice(),
                [Err(CryptoError::SignatureSchemeMismatch { .. })]
            ),
            "verify_each with a key of another scheme",
        );
    }
}

/// Checks two backends against each other on every suite both support:
/// signatures made by one verify under the other, HPKE sealed under one
/// opens under the other, and `DeriveKeyPair`, public-key derivation, hash,
/// KDF and AEAD give identical bytes. Panics on the first disagreement.
pub fn cross_verify<A: OpenMlsCrypto, B: OpenMlsCrypto>(a: &A, b: &B) {
    let common: Vec<CipherSuite> = a
        .supported_cipher_suites()
        .iter()
        .copied()
        .filter(|suite| b.supports(*suite))
        .collect();
    assert!(
        !common.is_empty(),
        "crypto conformance: [{}] and [{}] share no suite",
        a.name(),
        b.name()
    );
    for suite in common {
        let ctx = Ctx {
            backend: a.name(),
            suite,
        };
        let sa = ctx.ok(a.suite(suite), "suite() of the first backend");
        let sb = ctx.ok(b.suite(suite), "suite() of the second backend");
        let names = format!("{} -> {}", a.name(), b.name());
        let back = format!("{} -> {}", b.name(), a.name());
        signatures_cross(&ctx, &sa, &sb, &names);
        signatures_cross(&ctx, &sb, &sa, &back);
        hpke_cross(&ctx, &sa, &sb, &names);
        hpke_cross(&ctx, &sb, &sa, &back);
        deterministic_cross(&ctx, &sa, &sb);
    }
}

fn signatures_cross<X: CipherSuiteProvider, Y: CipherSuiteProvider>(
    ctx: &Ctx,
    x: &X,
    y: &Y,
    names: &str,
) {
    let keys = ctx.ok(
        x.signature_generate_key_pair(),
        "signature_generate_key_pair",
    );
    ctx.check(
        ctx.ok(
            y.signature_public_key(&keys.private),
            "signature_public_key",
        ) == keys.public,
        &format!("{names}: the public key of one private key differs"),
    );
    let signer = ctx.ok(x.signer(&keys.private), "signer");
    let key = ctx.ok(
        y.verifying_key(&keys.public),
        "verifying_key of the other backend",
    );
    for size in MESSAGE_SIZES {
        let message = bytes(size, 11);
        let signature = ctx.ok(signer.sign(&message), "sign");
        ctx.ok(
            y.verify_with(&key, &message, &signature),
            &format!("{names}: signature does not verify"),
        );
        ctx.err_is(
            y.verify_with(&key, &message, &flip(&signature, signature.len() / 2)),
            &format!("{names}: tampered signature"),
            is_invalid_signature,
        );
        if matches!(
            x.info().signature,
            SignatureScheme::Ed25519 | SignatureScheme::Ed448
        ) {
            let other_signer = ctx.ok(y.signer(&keys.private), "signer of the other backend");
            ctx.check(
                ctx.ok(other_signer.sign(&message), "sign") == signature,
                &format!("{names}: EdDSA signatures differ"),
            );
        }
    }
}

fn hpke_cross<X: CipherSuiteProvider, Y: CipherSuiteProvider>(
    ctx: &Ctx,
    x: &X,
    y: &Y,
    names: &str,
) {
    let keys = ctx.ok(y.hpke_generate_key_pair(), "hpke_generate_key_pair");
    ctx.ok(
        x.validate_hpke_public_key(&keys.public),
        &format!("{names}: refuses the other backend's public key"),
    );
    ctx.check(
        ctx.ok(x.hpke_public_key(&keys.private), "hpke_public_key") == keys.public,
        &format!("{names}: pk(sk) differs"),
    );
    for len in [0usize, 33, 1000] {
        let plaintext = bytes(len, 13);
        let sealed = ctx.ok(
            x.hpke_seal(&keys.public, b"info", b"aad", &plaintext),
            "hpke_seal",
        );
        let opened = ctx.ok(
            y.hpke_open(
                &keys.private,
                sealed.kem_output.as_slice(),
                b"info",
                b"aad",
                sealed.ciphertext.as_slice(),
            ),
            &format!("{names}: HPKE does not open"),
        );
        ctx.check(
            opened.expose() == plaintext.as_slice(),
            &format!("{names}: HPKE plaintext"),
        );
    }
    let alg = x.info().aead;
    let (key, nonce) = (bytes(alg.key_len(), 3), bytes(alg.nonce_len(), 4));
    let ct = ctx.ok(x.aead_seal(&key, &nonce, b"aad", b"plaintext"), "aead_seal");
    ctx.check(
        ctx.ok(
            y.aead_open(&key, &nonce, b"aad", &ct),
            &format!("{names}: AEAD does not open"),
        )
        .expose()
            == b"plaintext",
        &format!("{names}: AEAD plaintext"),
    );
}

fn deterministic_cross<X: CipherSuiteProvider, Y: CipherSuiteProvider>(ctx: &Ctx, x: &X, y: &Y) {
    let nsk = x.info().kem.private_key_len();
    for ikm in [bytes(nsk, 1), bytes(nsk, 2), bytes(64, 3), Vec::new()] {
        ctx.check(
            ctx.ok(x.hpke_derive_key_pair(&ikm), "hpke_derive_key_pair")
                == ctx.ok(y.hpke_derive_key_pair(&ikm), "hpke_derive_key_pair"),
            "DeriveKeyPair differs between the backends",
        );
    }
    let data = bytes(1000, 5);
    ctx.check(
        ctx.ok(x.hash(&data), "hash") == ctx.ok(y.hash(&data), "hash"),
        "Hash differs between the backends",
    );
    let prk = ctx.ok(x.kdf_extract(b"salt", &data), "kdf_extract");
    ctx.check(
        prk == ctx.ok(y.kdf_extract(b"salt", &data), "kdf_extract"),
        "HKDF-Extract differs between the backends",
    );
    ctx.check(
        ctx.ok(x.kdf_expand(prk.expose(), b"info", 100), "kdf_expand")
            == ctx.ok(y.kdf_expand(prk.expose(), b"info", 100), "kdf_expand"),
        "HKDF-Expand differs between the backends",
    );
    let alg = x.info().aead;
    let (key, nonce) = (bytes(alg.key_len(), 6), bytes(alg.nonce_len(), 7));
    ctx.check(
        ctx.ok(x.aead_seal(&key, &nonce, b"a", &data), "aead_seal")
            == ctx.ok(y.aead_seal(&key, &nonce, b"a", &data), "aead_seal"),
        "AEAD differs between the backends",
    );
}
