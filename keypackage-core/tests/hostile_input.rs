//! Regression tests for the classes of bug that MLS implementations have
//! shipped when decoding and validating untrusted key packages:
//!
//! 1. a panic on an extension exactly 16,383 bytes long (the largest body a
//!    2-byte varint can state): extension data and extension lists of 0, 63,
//!    64, 16,383 and 16,384 bytes in valid, signed key packages;
//! 2. trailing bytes accepted inside an extension payload;
//! 3. a constant-time compare that accepted an empty tag: AEAD and HPKE
//!    ciphertexts of 0 to `Nt - 1` bytes, and forged all-zero tags;
//! 4. missing all-zero X25519 (and X448) shared-secret checks: HPKE to and
//!    from every small-order point;
//! 5. validation cost growing with the product of two list lengths: 100,000
//!    entries in every capability list and 100,000 extensions.
//!
//! Crypto tests go through the generic traits and run under each backend
//! compiled in (`rustcrypto` by default; `ring` with `--features ring`, as in
//! `cargo test --workspace`).

#![cfg(any(feature = "rustcrypto", feature = "ring"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use keypackage_core::traits::codec::varint_len;
use keypackage_core::traits::{CipherSuite, ExtensionType};
use keypackage_core::traits::{
    CipherSuiteProvider, CryptoError, HpkePublicKey, KemAlgorithm, OpenMlsCrypto,
};
use keypackage_core::{
    AcceptAnyCredential, Credential, Extension, KeyPackageBuilder, KeyPackageIn,
    RequiredCapabilities, ValidationContext, ValidationError, fuzz,
};

const SUITE_1: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;

/// An unknown (private-use) extension type, listed by the builder.
const PRIVATE_TYPE: ExtensionType = ExtensionType(0xF0F0);

/// Each backend compiled in, by name.
fn for_each_backend(mut f: impl FnMut(&dyn Fn(&mut dyn FnMut(&dyn Backend)))) {
    let run = |g: &mut dyn FnMut(&dyn Backend)| {
        #[cfg(feature = "rustcrypto")]
        g(&keypackage_core::rustcrypto::RustCrypto::new());
        #[cfg(feature = "ring")]
        g(&keypackage_core::ring::RingCrypto::new());
    };
    f(&run);
}

/// The object-safe part of a backend these tests need.
trait Backend {
    fn name(&self) -> &'static str;
    fn build(&self, builder: &KeyPackageBuilder, suite: CipherSuite) -> Vec<u8>;
    fn validate(
        &self,
        kp: KeyPackageIn,
        ctx: &ValidationContext<'_>,
    ) -> Result<(), ValidationError>;
    fn resign_hostile(&self, n: usize) -> KeyPackageIn;
    fn resign_changed(&self, change: &dyn Fn(&mut KeyPackageIn)) -> KeyPackageIn;
    fn check_aead_short_tags(&self);
    fn check_small_order_points(&self);
}

impl<C: OpenMlsCrypto> Backend for C {
    fn name(&self) -> &'static str {
        OpenMlsCrypto::name(self)
    }

    fn build(&self, builder: &KeyPackageBuilder, suite: CipherSuite) -> Vec<u8> {
        let s = self.suite(suite).unwrap();
        let keys = s.signature_generate_key_pair().unwrap();
        let signer = s.signer(&keys.private).unwrap();
        let bundle = builder
            .build(self, suite, Credential::basic("hostile"), &signer)
            .unwrap();
        bundle.key_package().encode().unwrap()
    }

    fn validate(
        &self,
        kp: KeyPackageIn,
        ctx: &ValidationContext<'_>,
    ) -> Result<(), ValidationError> {
        kp.validate(self, ctx).map(|_| ())
    }

    fn resign_hostile(&self, n: usize) -> KeyPackageIn {
        self.resign_changed(&|kp| fuzz::hostile_lists(kp, n))
    }

    fn resign_changed(&self, change: &dyn Fn(&mut KeyPackageIn)) -> KeyPackageIn {
        let s = self.suite(SUITE_1).unwrap();
        let keys = s.signature_generate_key_pair().unwrap();
        let signer = s.signer(&keys.private).unwrap();
        let bundle = KeyPackageBuilder::new()
            .grease(false)
            .build(self, SUITE_1, Credential::basic("hostile"), &signer)
            .unwrap();
        let mut kp = bundle.key_package().clone().into_untrusted();
        change(&mut kp);
        kp.resign(&signer).unwrap();
        kp
    }

    fn check_aead_short_tags(&self) {
        for &cs in self.supported_cipher_suites() {
            aead_short_tags(&self.suite(cs).unwrap(), OpenMlsCrypto::name(self));
        }
    }

    fn check_small_order_points(&self) {
        for &cs in self.supported_cipher_suites() {
            small_order_points(&self.suite(cs).unwrap(), OpenMlsCrypto::name(self));
        }
    }
}

/// The validation time for a key package the builder just made (valid from
/// an hour ago): now.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

// ---------------------------------------------------------------------------
// 1. Extension lengths at the varint boundaries

const BOUNDARIES: [usize; 5] = [0, 63, 64, 16383, 16384];

/// Builds, with each backend, key packages whose extension data (in both
/// lists) or whose whole extension list is exactly at a varint boundary;
/// each decodes, re-encodes byte for byte, and validates under every
/// backend.
#[test]
fn extension_data_and_lists_at_varint_boundaries_validate() {
    let accept = AcceptAnyCredential;
    let ctx = ValidationContext::new(now(), &accept);
    for_each_backend(|builders| {
        builders(&mut |maker| {
            for len in BOUNDARIES {
                // (a) extension_data of `len` bytes in both lists.
                let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
                let builder = KeyPackageBuilder::new()
                    .key_package_extension(Extension::new(PRIVATE_TYPE, data.clone()))
                    .leaf_extension(Extension::new(ExtensionType(0xF0F1), data.clone()));
                // (b) a KeyPackage.extensions list whose body is `len` bytes:
                // one extension of 2 + varint + d bytes (none for len 0).
                let list_builder = match list_data_len(len) {
                    Some(d) => KeyPackageBuilder::new()
                        .key_package_extension(Extension::new(PRIVATE_TYPE, vec![0xA5; d])),
                    None => KeyPackageBuilder::new(),
                };
                for (what, builder) in [("data", builder), ("list", list_builder)] {
                    let bytes = maker.build(&builder, SUITE_1);
                    let kp = KeyPackageIn::decode(&bytes).unwrap_or_else(|e| {
                        panic!(
                            "{}: {what} of {len} bytes does not decode: {e}",
                            maker.name()
                        )
                    });
                    assert_eq!(kp.encode().unwrap(), bytes, "{what} {len}: round trip");
                    if what == "data" {
                        let found = kp.extensions.find(PRIVATE_TYPE).unwrap();
                        assert_eq!(found.extension_data.as_slice(), data.as_slice());
                        let leaf = kp.leaf_node.extensions.find(ExtensionType(0xF0F1)).unwrap();
                        assert_eq!(leaf.extension_data.as_slice(), data.as_slice());
                    } else {
                        let body: usize = kp
                            .extensions
                            .iter()
                            .map(|e| {
                                2 + varint_len(e.extension_data.as_slice().len()).unwrap()
                                    + e.extension_data.as_slice().len()
                            })
                            .sum();
                        assert_eq!(body, len, "list body length");
                    }
                    for_each_backend(|validators| {
                        validators(&mut |validator| {
                            let verdict = validator.validate(kp.clone(), &ctx);
                            assert!(
                                verdict.is_ok(),
                                "{what} of {len} bytes, made by {}, refused by {}: {verdict:?}",
                                maker.name(),
                                validator.name()
                            );
                        });
                    });
                    // Every prefix around the end of the extension fails.
                    for cut in [1, 2, 3, 64.min(bytes.len())] {
                        assert!(KeyPackageIn::decode(&bytes[..bytes.len() - cut]).is_err());
                    }
                }
            }
        });
    });
}

/// The extension data length `d` that makes a one-extension list body
/// exactly `body` bytes (2-byte type, varint, data); `None` for an empty list.
fn list_data_len(body: usize) -> Option<usize> {
    if body == 0 {
        return None;
    }
    (0..body).find(|d| 2 + varint_len(*d).unwrap() + d == body)
}

#[test]
fn list_data_len_hits_every_boundary() {
    assert_eq!(list_data_len(63), Some(60));
    assert_eq!(list_data_len(64), Some(61));
    assert_eq!(list_data_len(16383), Some(16379));
    assert_eq!(list_data_len(16384), Some(16380));
}

/// The same boundaries straight through the codec: an extension whose data
/// length is stated with a one-byte-longer prefix than needed, or one byte
/// too long, never decodes.
#[test]
fn extension_length_prefixes_at_boundaries_are_exact() {
    use tls_codec::DeserializeBytes;
    for len in BOUNDARIES {
        let ext = Extension::new(PRIVATE_TYPE, vec![7; len]);
        let bytes = tls_codec::Serialize::tls_serialize_detached(&ext).unwrap();
        assert_eq!(bytes.len(), 2 + varint_len(len).unwrap() + len);
        let (back, rest) = Extension::tls_deserialize_bytes(&bytes).unwrap();
        assert_eq!((back, rest.len()), (ext, 0));
        // One byte short: the data overruns the input.
        assert!(Extension::tls_deserialize_bytes(&bytes[..bytes.len() - 1]).is_err());
    }
}

// ---------------------------------------------------------------------------
// 2. Trailing bytes inside extension payloads

/// The decoder delimits every extension by its own length: bytes inside a
/// payload stay in that payload (kept byte for byte, never read as the next
/// extension), and a payload longer than its list is refused.
#[test]
fn trailing_bytes_stay_inside_their_extension_payload() {
    use tls_codec::DeserializeBytes;
    // A list of two extensions; the first payload's last bytes look like an
    // extension header.
    let list = keypackage_core::Extensions::from(vec![
        Extension::new(ExtensionType::LAST_RESORT, vec![0x00, 0x0A, 0x00]),
        Extension::new(PRIVATE_TYPE, vec![1, 2, 3]),
    ]);
    let bytes = tls_codec::Serialize::tls_serialize_detached(&list).unwrap();
    let (back, rest) = keypackage_core::Extensions::tls_deserialize_bytes(&bytes).unwrap();
    assert!(rest.is_empty());
    assert_eq!(back, list);
    assert_eq!(back.len(), 2);

    // The first payload claims one byte more than its list holds.
    let mut overrun = bytes.clone();
    assert_eq!(overrun[3], 3, "layout: list<V>, type, data<V>");
    overrun[3] = 4 + 2 + 1 + 3;
    assert!(keypackage_core::Extensions::tls_deserialize_bytes(&overrun).is_err());
}

/// The `app_data_dictionary` form of the last-resort marker is only read
/// from a body that is exactly one dictionary: trailing bytes after it (or
/// inside its entry list) do not make a key package last resort.
#[test]
fn a_dictionary_with_trailing_bytes_is_not_a_last_resort_marker() {
    use keypackage_core::app_data_dictionary_last_resort;
    for_each_backend(|run| {
        run(&mut |b| {
            let mut kp = b.resign_changed(&|_| {});
            let mut with = |body: Vec<u8>| {
                kp.extensions =
                    vec![Extension::new(ExtensionType::APP_DATA_DICTIONARY, body)].into();
                kp.is_last_resort()
            };
            let exact = app_data_dictionary_last_resort();
            assert!(with(exact.clone()));
            let mut trailing = exact.clone();
            trailing.push(0x00);
            assert!(!with(trailing));
            // The list states one byte more than the entry has: no marker.
            let mut long_list = exact;
            long_list[0] += 1;
            long_list.push(0xFF);
            assert!(!with(long_list));
        });
    });
}

/// A last-resort extension (0x000A) must have an empty body (`struct {}` in
/// draft-ietf-mls-extensions; OpenMLS decodes it exactly): KP-EXT-BODY,
/// even listed and correctly signed.
#[test]
fn a_last_resort_extension_with_a_body_is_refused() {
    use keypackage_core::Rule;
    let accept = AcceptAnyCredential;
    let ctx = ValidationContext::new(now(), &accept);
    for_each_backend(|run| {
        run(&mut |b| {
            let kp = b.resign_changed(&|kp| {
                kp.leaf_node
                    .capabilities
                    .extensions
                    .0
                    .push(ExtensionType::LAST_RESORT);
                kp.extensions
                    .push(Extension::new(ExtensionType::LAST_RESORT, vec![0x00]));
            });
            let err = b.validate(kp, &ctx).unwrap_err();
            assert_eq!(err.rule(), Some(Rule::ExtensionBody), "{}: {err}", b.name());
        });
    });
}

// ---------------------------------------------------------------------------
// 3. Empty and short tags

/// Every ciphertext shorter than the tag (0 to Nt - 1 bytes), and a full
/// tag of zeros over an empty plaintext, is DecryptionFailed, for every
/// suite; a real ciphertext of the same key opens (so the key is right).
fn aead_short_tags<S: CipherSuiteProvider>(s: &S, backend: &str) {
    let aead = s.info().aead;
    let key = vec![0x42; aead.key_len()];
    let nonce = vec![0x24; aead.nonce_len()];
    let sealed = s.aead_seal(&key, &nonce, b"aad", b"").unwrap();
    assert_eq!(sealed.len(), aead.tag_len());
    assert!(s.aead_open(&key, &nonce, b"aad", &sealed).is_ok());
    let suite = s.cipher_suite();
    for len in 0..aead.tag_len() {
        for fill in [0x00, 0xFF] {
            assert_eq!(
                s.aead_open(&key, &nonce, b"aad", &vec![fill; len])
                    .map(|_| ()),
                Err(CryptoError::DecryptionFailed),
                "{backend} {suite:?}: {len}-byte ciphertext of {fill:#04x}"
            );
            // The prefix of the real tag is no better.
            assert_eq!(
                s.aead_open(&key, &nonce, b"aad", &sealed[..len])
                    .map(|_| ()),
                Err(CryptoError::DecryptionFailed),
                "{backend} {suite:?}: {len}-byte prefix of the tag"
            );
        }
    }
    for forged in [vec![0u8; aead.tag_len()], vec![0xFF; aead.tag_len()]] {
        assert_eq!(
            s.aead_open(&key, &nonce, b"aad", &forged).map(|_| ()),
            Err(CryptoError::DecryptionFailed),
            "{backend} {suite:?}: forged tag"
        );
    }

    // HPKE: a real `enc` with a short or empty ciphertext.
    let keys = s.hpke_generate_key_pair().unwrap();
    let ct = s.hpke_seal(&keys.public, b"info", b"aad", b"").unwrap();
    let enc = ct.kem_output.as_slice();
    assert!(
        s.hpke_open(
            &keys.private,
            enc,
            b"info",
            b"aad",
            ct.ciphertext.as_slice()
        )
        .is_ok()
    );
    for len in 0..aead.tag_len() {
        assert_eq!(
            s.hpke_open(
                &keys.private,
                enc,
                b"info",
                b"aad",
                &ct.ciphertext.as_slice()[..len]
            )
            .map(|_| ()),
            Err(CryptoError::DecryptionFailed),
            "{backend} {suite:?}: HPKE {len}-byte ciphertext"
        );
    }
}

#[test]
fn empty_and_short_tags_are_decryption_failed() {
    for_each_backend(|run| run(&mut |b| b.check_aead_short_tags()));
}

// ---------------------------------------------------------------------------
// 4. All-zero X25519 / X448 shared secrets

/// Encodings of the X25519 points of small order: the u-coordinates of
/// order 1, 2, 4 and 8, the non-canonical p and p + 1, and each of them with
/// the top bit set, which RFC 7748 §5 says to ignore. DH with any clamped
/// scalar gives all zeros.
fn x25519_small_order() -> Vec<Vec<u8>> {
    let canonical = [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ];
    let mut out: Vec<Vec<u8>> = canonical.iter().map(|h| hex::decode(h).unwrap()).collect();
    let high: Vec<Vec<u8>> = out
        .iter()
        .map(|p| {
            let mut p = p.clone();
            p[31] |= 0x80;
            p
        })
        .collect();
    out.extend(high);
    out
}

/// X448: u = 0, 1 and p - 1 (order 4, 1 and 2), and the non-canonical p and
/// p + 1, with p = 2^448 - 2^224 - 1 (little endian: 28 bytes 0xFF, 0xFE,
/// 27 bytes 0xFF).
fn x448_small_order() -> Vec<Vec<u8>> {
    let zero = vec![0u8; 56];
    let mut one = zero.clone();
    one[0] = 1;
    let mut p = vec![0xFFu8; 56];
    p[28] = 0xFE;
    let mut p_minus_1 = p.clone();
    p_minus_1[0] = 0xFE;
    // p + 1 = 2^448 - 2^224: 28 zero bytes, then 28 bytes 0xFF.
    let mut p_plus_1 = vec![0u8; 28];
    p_plus_1.extend([0xFFu8; 28]);
    vec![zero, one, p_minus_1, p, p_plus_1]
}

/// HPKE to a small-order X25519/X448 public key, and HPKE opened from a
/// small-order `enc`, fail: never an all-zero shared secret fed to the KDF
/// (RFC 9180 §7.1.4; hpke-rs and mls-rs once missed this).
fn small_order_points<S: CipherSuiteProvider>(s: &S, backend: &str) {
    let points = match s.info().kem {
        KemAlgorithm::DhKemX25519 => x25519_small_order(),
        KemAlgorithm::DhKemX448 => x448_small_order(),
        _ => return,
    };
    let suite = s.cipher_suite();
    let keys = s.hpke_generate_key_pair().unwrap();
    let ct = s.hpke_seal(&keys.public, b"", b"", b"x").unwrap();
    assert!(
        s.hpke_open(
            &keys.private,
            ct.kem_output.as_slice(),
            b"",
            b"",
            ct.ciphertext.as_slice()
        )
        .is_ok()
    );
    for point in points {
        let refused = |r: Result<(), CryptoError>| {
            matches!(
                r,
                Err(CryptoError::ZeroSharedSecret | CryptoError::InvalidPublicKey { .. })
            )
        };
        let seal = s
            .hpke_seal(&HpkePublicKey::new(point.clone()), b"", b"", b"x")
            .map(|_| ());
        assert!(
            refused(seal.clone()),
            "{backend} {suite:?}: HPKE seal to {} gave {seal:?}",
            hex::encode(&point)
        );
        let open = s
            .hpke_open(&keys.private, &point, b"", b"", ct.ciphertext.as_slice())
            .map(|_| ());
        assert!(
            refused(open.clone()),
            "{backend} {suite:?}: HPKE open from enc {} gave {open:?}",
            hex::encode(&point)
        );
    }
}

#[test]
fn all_zero_shared_secrets_are_refused() {
    for_each_backend(|run| run(&mut |b| b.check_small_order_points()));
}

/// The same points as a key package's `init_key` or leaf `encryption_key`:
/// refused at validation (KP-INIT-KEY, KP-ENC-KEY), before any Welcome is
/// encrypted to them.
#[test]
fn key_packages_with_small_order_hpke_keys_are_refused() {
    let accept = AcceptAnyCredential;
    let ctx = ValidationContext::new(now(), &accept);
    for_each_backend(|run| {
        run(&mut |b| {
            for point in x25519_small_order() {
                let key = HpkePublicKey::new(point.clone());
                let init = b.resign_changed(&|kp| kp.init_key = key.clone());
                let verdict = b.validate(init, &ctx);
                assert!(
                    matches!(verdict, Err(ValidationError::InitKey(_))),
                    "{}: init_key {}: {verdict:?}",
                    b.name(),
                    hex::encode(&point)
                );
                let enc = b.resign_changed(&|kp| kp.leaf_node.encryption_key = key.clone());
                let verdict = b.validate(enc, &ctx);
                assert!(
                    matches!(verdict, Err(ValidationError::EncryptionKey(_))),
                    "{}: encryption_key {}: {verdict:?}",
                    b.name(),
                    hex::encode(&point)
                );
            }
        });
    });
}

#[test]
fn the_small_order_lists_are_what_they_claim() {
    let x25519 = x25519_small_order();
    assert_eq!(x25519.len(), 14);
    assert!(x25519.iter().all(|p| p.len() == 32));
    let x448 = x448_small_order();
    assert!(x448.iter().all(|p| p.len() == 56));
    // p - 1, p and p + 1 differ only in the lowest bytes, as they must.
    assert_eq!(x448[2][0], 0xFE);
    assert_eq!(x448[3][0], 0xFF);
    assert_eq!(x448[4][..28], [0u8; 28]);
    assert_eq!(x448[4][28..], [0xFFu8; 28]);
}

// ---------------------------------------------------------------------------
// 5. 100,000-entry lists

const HOSTILE_N: usize = 100_000;

/// How long `f` takes on this thread's CPU clock (`CLOCK_THREAD_CPUTIME_ID`),
/// so that other processes on a loaded machine, which only delay the thread,
/// do not inflate it. These tests compare the cost at n and at 10n to tell
/// linear from quadratic work; speed itself is measured by the
/// `hostile_lists` bench.
fn cost<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let now = || rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    let before = now();
    let value = f();
    let after = now();
    let nanos = |t: rustix::time::Timespec| {
        u128::try_from(t.tv_sec).unwrap_or(0) * 1_000_000_000
            + u128::try_from(t.tv_nsec).unwrap_or(0)
    };
    let elapsed = nanos(after).saturating_sub(nanos(before));
    (
        Duration::from_nanos(u64::try_from(elapsed).unwrap_or(u64::MAX)),
        value,
    )
}

/// Validation cost of `kp` under `ctx` with the given backend: the minimum
/// of `runs`.
fn min_validation_time(
    b: &dyn Backend,
    kp: &KeyPackageIn,
    ctx: &ValidationContext<'_>,
    runs: usize,
) -> Duration {
    (0..runs)
        .map(|_| {
            let copy = kp.clone();
            let (elapsed, verdict) = cost(|| b.validate(copy, ctx));
            assert!(verdict.is_ok(), "{verdict:?}");
            elapsed
        })
        .min()
        .unwrap()
}

/// 100,000 entries in each capability list, 100,000 extensions (60,000 in
/// the key package, 40,000 in the leaf, all listed), and the group's
/// required capabilities naming 40,000 extension and 100,000 proposal
/// types: valid, and validated in linear time.
#[test]
fn hundred_thousand_entry_lists_validate_in_linear_time() {
    let accept = AcceptAnyCredential;
    for_each_backend(|run| {
        run(&mut |b| {
            let kp = b.resign_hostile(HOSTILE_N);
            let caps = &kp.leaf_node.capabilities;
            assert_eq!(caps.versions.len(), HOSTILE_N);
            assert_eq!(caps.cipher_suites.len(), HOSTILE_N);
            assert_eq!(caps.extensions.len(), HOSTILE_N);
            assert_eq!(caps.proposals.len(), HOSTILE_N);
            assert_eq!(caps.credentials.len(), HOSTILE_N);
            assert_eq!(
                kp.extensions.len() + kp.leaf_node.extensions.len(),
                HOSTILE_N
            );

            let bytes = kp.encode().unwrap();
            let decoded = KeyPackageIn::decode(&bytes).unwrap();
            assert_eq!(decoded, kp);

            let required = RequiredCapabilities {
                extension_types: kp
                    .leaf_node
                    .extensions
                    .iter()
                    .map(|e| e.extension_type)
                    .collect(),
                proposal_types: caps.proposals.as_slice().to_vec(),
                credential_types: caps.credentials.as_slice().to_vec(),
            };
            let ctx = ValidationContext::new(now(), &accept).with_required_capabilities(required);
            assert!(b.validate(decoded, &ctx).is_ok());

            // The cost at n and 10n, interleaved: a quadratic check would
            // take ~100 times as long at 10n; linear is ~10. On-CPU time, so
            // a loaded machine does not skew it; the bound stays loose for
            // caches and allocation (the `hostile_lists` bench has the
            // precise numbers).
            let small = b.resign_hostile(HOSTILE_N / 10);
            let plain = ValidationContext::new(now(), &accept);
            let mut t_small = Duration::MAX;
            let mut t_large = Duration::MAX;
            for _ in 0..5 {
                t_small = t_small.min(min_validation_time(b, &small, &plain, 1));
                t_large = t_large.min(min_validation_time(b, &kp, &plain, 1));
            }
            let ratio = t_large.as_secs_f64() / t_small.as_secs_f64();
            eprintln!(
                "{}: validate n = 10,000: {t_small:?}; n = 100,000: {t_large:?}; ratio {ratio:.1}",
                b.name()
            );
            assert!(ratio < 40.0, "{}: 10n/n time ratio {ratio:.1}", b.name());
        });
    });
}

/// The same lists, broken at their far end, so that every check must walk
/// all of them: 100,000 key package extensions (a duplicate after 65,280
/// distinct types), an unlisted leaf extension last, a required capability
/// missing last. Each is refused with its rule.
#[test]
fn hundred_thousand_entry_lists_are_refused_at_their_far_end() {
    let accept = AcceptAnyCredential;
    let ctx = ValidationContext::new(now(), &accept);
    for_each_backend(|run| {
        run(&mut |b| {
            let base = b.resign_hostile(HOSTILE_N);

            let mut dup = base.clone();
            dup.extensions = (0..HOSTILE_N)
                .map(|i| Extension::new(ExtensionType(0x0100 + (i % 0xFF00) as u16), Vec::new()))
                .collect::<Vec<_>>()
                .into();
            let bytes = dup.encode().unwrap();
            let dup = KeyPackageIn::decode(&bytes).unwrap();
            assert_eq!(
                b.validate(dup, &ctx).unwrap_err(),
                ValidationError::DuplicateExtension {
                    extension_type: ExtensionType(0x0100),
                    location: keypackage_core::traits::ExtensionLocation::KeyPackage,
                }
            );

            let mut unlisted = base.clone();
            unlisted
                .leaf_node
                .extensions
                .push(Extension::new(ExtensionType(0xFFFF), Vec::new()));
            unlisted
                .leaf_node
                .capabilities
                .extensions
                .0
                .retain(|t| t.0 != 0xFFFF);
            assert_eq!(
                b.validate(unlisted, &ctx).unwrap_err(),
                ValidationError::UnlistedLeafExtension {
                    extension_type: ExtensionType(0xFFFF)
                }
            );

            let mut required = RequiredCapabilities {
                extension_types: base
                    .leaf_node
                    .extensions
                    .iter()
                    .map(|e| e.extension_type)
                    .collect(),
                ..RequiredCapabilities::default()
            };
            required.extension_types.push(ExtensionType(0xFFFF));
            let missing =
                ValidationContext::new(now(), &accept).with_required_capabilities(required);
            let mut no_ffff = base.clone();
            no_ffff
                .leaf_node
                .capabilities
                .extensions
                .0
                .retain(|t| t.0 != 0xFFFF);
            assert_eq!(
                b.validate(no_ffff, &missing).unwrap_err(),
                ValidationError::MissingRequiredExtension {
                    extension_type: ExtensionType(0xFFFF)
                }
            );
        });
    });
}

/// Decoding the 100,000-entry key package takes time linear in its size.
#[test]
fn hundred_thousand_entry_lists_decode_in_linear_time() {
    for_each_backend(|run| {
        run(&mut |b| {
            let large = b.resign_hostile(HOSTILE_N).encode().unwrap();
            let small = b.resign_hostile(HOSTILE_N / 10).encode().unwrap();
            let time = |bytes: &[u8]| {
                let (elapsed, kp) = cost(|| KeyPackageIn::decode(bytes));
                assert!(kp.is_ok());
                elapsed
            };
            let (mut t_small, mut t_large) = (Duration::MAX, Duration::MAX);
            for _ in 0..5 {
                t_small = t_small.min(time(&small));
                t_large = t_large.min(time(&large));
            }
            let ratio = t_large.as_secs_f64() / t_small.as_secs_f64();
            assert!(ratio < 40.0, "decode 10n/n time ratio {ratio:.1}");
        });
    });
}

/// Writes the boundary key packages (extension data of each boundary length,
/// in `KeyPackage.extensions` or in `LeafNode.extensions`; bare and as
/// MLSMessage) to `fuzz/regressions/`, which the corpus replay reads and the
/// fuzz campaign uses as seeds: inputs above 16 KiB that mutation alone would
/// not reach (each under the campaign's `-max_len=20000`). Run by hand when
/// the wire format changes: `cargo test -p keypackage-core --features ring
/// --test hostile_input -- --ignored write_boundary_seeds`.
#[test]
#[ignore = "generator: writes fuzz/regressions/"]
fn write_boundary_seeds() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    std::fs::create_dir_all(&dir).unwrap();
    for_each_backend(|run| {
        run(&mut |b| {
            for len in BOUNDARIES {
                let in_kp = KeyPackageBuilder::new()
                    .key_package_extension(Extension::new(PRIVATE_TYPE, vec![0x5A; len]));
                let in_leaf = KeyPackageBuilder::new()
                    .leaf_extension(Extension::new(PRIVATE_TYPE, vec![0xA5; len]));
                for (place, builder) in [("kp", in_kp), ("leaf", in_leaf)] {
                    let bare = b.build(&builder, SUITE_1);
                    assert!(bare.len() < 20_000);
                    let message = [&[0x00, 0x01, 0x00, 0x05][..], &bare].concat();
                    let name = format!("boundary_{place}_extension_{len}_{}", b.name());
                    std::fs::write(dir.join(format!("{name}.bare")), &bare).unwrap();
                    std::fs::write(dir.join(format!("{name}.message")), &message).unwrap();
                }
            }
        });
    });
}

/// A key package longer than the 2^30 - 1 bytes an `opaque<V>` can carry
/// could have no reference (RFC 9420 §5.2): KP-DECODE, named, before any
/// signature work, whether it arrives as bytes or as a structure; never an
/// internal error. (The long credential is a zeroed allocation: its pages
/// are touched only by the one encoding validation makes.)
#[test]
fn a_key_package_longer_than_any_vector_is_kp_decode() {
    use keypackage_core::traits::codec::{MAX_VARINT_LEN, VarBytes};
    use keypackage_core::{DecodeError, Rule};

    let too_long = vec![0u8; MAX_VARINT_LEN + 1];
    assert_eq!(
        KeyPackageIn::decode(&too_long).unwrap_err(),
        DecodeError::TooLong {
            len: MAX_VARINT_LEN + 1
        }
    );
    drop(too_long);

    for_each_backend(|run| {
        run(&mut |backend| {
            // The identity alone fits a vector; the whole key package not.
            // (Not re-signed: no signature can cover it, and the rule must
            // be named before the signatures are looked at.)
            let mut kp = backend.resign_changed(&|_| {});
            kp.leaf_node.credential = Credential::Basic {
                identity: VarBytes(vec![0u8; MAX_VARINT_LEN - 8]),
            };
            let ctx = ValidationContext::new(kp_now(&kp), &AcceptAnyCredential);
            let err = backend.validate(kp, &ctx).unwrap_err();
            assert_eq!(err.rule(), Some(Rule::Decode), "{}: {err}", backend.name());
            assert!(
                matches!(err, ValidationError::Decode(DecodeError::TooLong { len: n }) if n > MAX_VARINT_LEN),
                "{err:?}"
            );
        });
    });
}

fn kp_now(kp: &KeyPackageIn) -> u64 {
    kp.leaf_node.leaf_node_source.lifetime().unwrap().not_before + 1
}
