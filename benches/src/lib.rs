//! Fixtures and primitive lower bounds for the keypackage benchmarks.
//!
//! Each bench reads as a ratio to its own lower bound: creating a key
//! package cannot cost less than two HPKE key generations and two
//! signatures, and validating one cannot cost less than two signature
//! verifications (and, for the NIST curves, checking that the two HPKE
//! public keys are points on the curve). [`Bound`] performs exactly those
//! operations with the libraries the backend itself calls, over the real
//! `SignContent` messages of a real key package, so that `bound_create` and
//! `bound_validate` can be measured in the same criterion run as `create`
//! and `validate` (see `BENCHMARKS.md` at the repository root).
//!
//! What the bounds count, per backend:
//!
//! * **rustcrypto**: HPKE key generation is `Nsk` bytes from the OS
//!   (`rand::rngs::SysRng`, as the backend draws them) and the public key
//!   (x25519-dalek, or the RustCrypto NIST crate, uncompressed encoding).
//!   Ed25519 verification parses the key once (ed25519-dalek decompresses
//!   it) and verifies twice; ECDSA parses the SEC1 key once, then parses the
//!   DER signature and verifies, twice.
//! * **ring**: key generation as in the backend's Diffie-Hellman seam (ring's
//!   random source, then x25519-dalek or p256/p384 for the public key);
//!   signing and verifying with ring, whose `verify` takes the encoded key
//!   and decodes it on every call, so no separate parse is counted.
//! * For the NIST suites both validate bounds also parse the two HPKE
//!   public keys (uncompressed SEC1, on the curve): KP-INIT-KEY and
//!   KP-ENC-KEY cannot be checked for less. For X25519 those checks are byte
//!   comparisons and are not counted.

use std::time::{SystemTime, UNIX_EPOCH};

use ed25519_dalek::Signer as _;
use keypackage_core::labeled::{self, KEY_PACKAGE_TBS_LABEL, LEAF_NODE_TBS_LABEL};
use keypackage_core::traits::{
    CipherSuite, CipherSuiteProvider, KemAlgorithm, OpenMlsCrypto, SignatureScheme,
};
use keypackage_core::{Credential, KeyPackageBuilder, KeyPackageIn};
use rand::TryRng as _;
use ring::rand::SecureRandom as _;
use ring::signature::KeyPair as _;

/// A failed fixture: benches have nothing to measure without one.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Seconds since the Unix epoch (the fixtures' validation time).
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The short label of a suite in bench names (`suite-1`, …).
pub fn suite_label(suite: CipherSuite) -> String {
    format!("suite-{}", suite.0)
}

/// One backend and suite, with a signer and one key package made by it.
pub struct Fixture<C: OpenMlsCrypto> {
    /// The provider.
    pub crypto: C,
    /// The suite.
    pub suite: CipherSuite,
    /// The signer every key package of this fixture is made with.
    pub signer: <C::Suite as CipherSuiteProvider>::Signer,
    /// The raw signature private key behind `signer`.
    pub signature_private: Vec<u8>,
    /// One key package.
    pub key_package: KeyPackageIn,
    /// Its encoding.
    pub encoded: Vec<u8>,
    /// `SignContent("LeafNodeTBS", LeafNodeTBS)` of that key package.
    pub leaf_sign_content: Vec<u8>,
    /// `SignContent("KeyPackageTBS", KeyPackageTBS)`.
    pub kp_sign_content: Vec<u8>,
}

impl<C: OpenMlsCrypto> Fixture<C> {
    /// A signer and one key package for `suite`, with the builder's
    /// defaults (capability GREASE on, 84-day lifetime).
    pub fn new(crypto: C, suite: CipherSuite) -> Result<Self, Error> {
        let provider = crypto.suite(suite)?;
        let pair = provider.signature_generate_key_pair()?;
        let signer = provider.signer(&pair.private)?;
        let bundle =
            KeyPackageBuilder::new().build(&crypto, suite, Credential::basic("bench"), &signer)?;
        let key_package = bundle.key_package().as_untrusted().clone();
        let (encoded, spans) = key_package.encode_with_spans()?;
        let leaf_tbs = encoded
            .get(spans.leaf_start..spans.leaf_tbs_end)
            .ok_or("leaf span")?;
        let tbs = encoded.get(..spans.tbs_end).ok_or("tbs span")?;
        let leaf_sign_content = labeled::sign_content(LEAF_NODE_TBS_LABEL, leaf_tbs)?;
        let kp_sign_content = labeled::sign_content(KEY_PACKAGE_TBS_LABEL, tbs)?;
        Ok(Self {
            crypto,
            suite,
            signer,
            signature_private: pair.private.expose().to_vec(),
            key_package,
            encoded,
            leaf_sign_content,
            kp_sign_content,
        })
    }

    /// `n` fresh key packages made with the fixture's signer, encoded.
    pub fn encoded_key_packages(&self, n: usize) -> Result<Vec<Vec<u8>>, Error> {
        let builder = KeyPackageBuilder::new();
        (0..n)
            .map(|_| {
                let bundle = builder.build(
                    &self.crypto,
                    self.suite,
                    Credential::basic("bench"),
                    &self.signer,
                )?;
                Ok(bundle.key_package().encode()?)
            })
            .collect()
    }

    /// The primitive lower bound of this fixture, with the libraries
    /// `backend` uses.
    pub fn bound(&self, backend: BackendKind) -> Result<Bound, Error> {
        Bound::new(
            backend,
            self.suite,
            &self.signature_private,
            self.key_package.leaf_node.signature_key.as_slice(),
            [
                (
                    self.leaf_sign_content.clone(),
                    self.key_package.leaf_node.signature.as_slice().to_vec(),
                ),
                (
                    self.kp_sign_content.clone(),
                    self.key_package.signature.as_slice().to_vec(),
                ),
            ],
            [
                self.key_package.init_key.as_slice().to_vec(),
                self.key_package
                    .leaf_node
                    .encryption_key
                    .as_slice()
                    .to_vec(),
            ],
        )
    }
}

/// Which backend's libraries a [`Bound`] uses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BackendKind {
    /// RustCrypto, dalek, hpke-rs.
    RustCrypto,
    /// ring, with the Diffie-Hellman seam (x25519-dalek, p256, p384).
    Ring,
}

impl BackendKind {
    /// The name in bench ids.
    pub fn name(self) -> &'static str {
        match self {
            Self::RustCrypto => "rustcrypto",
            Self::Ring => "ring",
        }
    }
}

enum SignKey {
    DalekEd25519(ed25519_dalek::SigningKey),
    RustCryptoP256(p256::ecdsa::SigningKey),
    RustCryptoP384(p384::ecdsa::SigningKey),
    RustCryptoP521(p521::ecdsa::SigningKey),
    RingEd25519(ring::signature::Ed25519KeyPair),
    RingEcdsa(ring::signature::EcdsaKeyPair, ring::rand::SystemRandom),
}

enum VerifyKey {
    Dalek([u8; 32]),
    RustCryptoP256(Vec<u8>),
    RustCryptoP384(Vec<u8>),
    RustCryptoP521(Vec<u8>),
    Ring(&'static ring::signature::EdDSAParameters, Vec<u8>),
    RingEcdsa(
        &'static ring::signature::EcdsaVerificationAlgorithm,
        Vec<u8>,
    ),
}

/// The operations creation and validation cannot avoid, for one backend and
/// suite (see the crate docs for what each counts).
pub struct Bound {
    backend: BackendKind,
    kem: KemAlgorithm,
    sign_key: SignKey,
    verify_key: VerifyKey,
    /// (SignContent, signature) of the leaf and of the key package.
    signed: [(Vec<u8>, Vec<u8>); 2],
    /// The init key and the leaf encryption key.
    hpke_public: [Vec<u8>; 2],
}

fn check(ok: bool, what: &'static str) -> Result<(), Error> {
    if ok { Ok(()) } else { Err(what.into()) }
}

impl Bound {
    /// Loads the keys into the underlying libraries.
    pub fn new(
        backend: BackendKind,
        suite: CipherSuite,
        signature_private: &[u8],
        signature_public: &[u8],
        signed: [(Vec<u8>, Vec<u8>); 2],
        hpke_public: [Vec<u8>; 2],
    ) -> Result<Self, Error> {
        let info = suite.info().ok_or("unknown suite")?;
        let public = signature_public.to_vec();
        let (sign_key, verify_key) = match (backend, info.signature) {
            (BackendKind::RustCrypto, SignatureScheme::Ed25519) => {
                let seed: [u8; 32] = signature_private.try_into()?;
                (
                    SignKey::DalekEd25519(ed25519_dalek::SigningKey::from_bytes(&seed)),
                    VerifyKey::Dalek(signature_public.try_into()?),
                )
            }
            (BackendKind::RustCrypto, SignatureScheme::EcdsaSecp256r1Sha256) => (
                SignKey::RustCryptoP256(p256::ecdsa::SigningKey::from_slice(signature_private)?),
                VerifyKey::RustCryptoP256(public),
            ),
            (BackendKind::RustCrypto, SignatureScheme::EcdsaSecp384r1Sha384) => (
                SignKey::RustCryptoP384(p384::ecdsa::SigningKey::from_slice(signature_private)?),
                VerifyKey::RustCryptoP384(public),
            ),
            (BackendKind::RustCrypto, SignatureScheme::EcdsaSecp521r1Sha512) => (
                SignKey::RustCryptoP521(p521::ecdsa::SigningKey::from_slice(signature_private)?),
                VerifyKey::RustCryptoP521(public),
            ),
            (BackendKind::Ring, SignatureScheme::Ed25519) => (
                SignKey::RingEd25519(
                    ring::signature::Ed25519KeyPair::from_seed_unchecked(signature_private)
                        .map_err(|_| "ring refused the Ed25519 seed")?,
                ),
                VerifyKey::Ring(&ring::signature::ED25519, public),
            ),
            (BackendKind::Ring, SignatureScheme::EcdsaSecp256r1Sha256) => {
                let rng = ring::rand::SystemRandom::new();
                let pair = ring::signature::EcdsaKeyPair::from_private_key_and_public_key(
                    &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                    signature_private,
                    &public,
                    &rng,
                )
                .map_err(|_| "ring refused the ECDSA key")?;
                check(pair.public_key().as_ref() == public, "ring public key")?;
                (
                    SignKey::RingEcdsa(pair, rng),
                    VerifyKey::RingEcdsa(&ring::signature::ECDSA_P256_SHA256_ASN1, public),
                )
            }
            (BackendKind::Ring, SignatureScheme::EcdsaSecp384r1Sha384) => {
                let rng = ring::rand::SystemRandom::new();
                let pair = ring::signature::EcdsaKeyPair::from_private_key_and_public_key(
                    &ring::signature::ECDSA_P384_SHA384_ASN1_SIGNING,
                    signature_private,
                    &public,
                    &rng,
                )
                .map_err(|_| "ring refused the ECDSA key")?;
                (
                    SignKey::RingEcdsa(pair, rng),
                    VerifyKey::RingEcdsa(&ring::signature::ECDSA_P384_SHA384_ASN1, public),
                )
            }
            _ => return Err("no primitive bound for this backend and suite".into()),
        };
        let bound = Self {
            backend,
            kem: info.kem,
            sign_key,
            verify_key,
            signed,
            hpke_public,
        };
        // The bound must do real work: the real signatures verify.
        check(
            bound.verify_both(),
            "the fixture's signatures do not verify",
        )?;
        check(bound.hpke_public_keys_valid(), "HPKE public keys")?;
        bound.hpke_keygen()?;
        Ok(bound)
    }

    /// One HPKE key generation: a private key from the OS random source and
    /// its encoded public key, as the backend does it.
    pub fn hpke_keygen(&self) -> Result<Vec<u8>, Error> {
        use p256::elliptic_curve::Generate as _;
        use p256::elliptic_curve::sec1::ToSec1Point as _;
        let mut sk = [0u8; 32];
        match self.backend {
            BackendKind::RustCrypto => match self.kem {
                // The backend: `Nsk` bytes from SysRng, then the fixed-base
                // clamped multiplication (x25519-dalek's is the same code).
                KemAlgorithm::DhKemX25519 => rand::rngs::SysRng.try_fill_bytes(&mut sk)?,
                // The backend: rejection sampling of `Nsk` bytes from SysRng
                // (backend-common's; elliptic-curve's here, the same cost),
                // then the uncompressed public key.
                KemAlgorithm::DhKemP256 => {
                    let secret = p256::SecretKey::try_generate_from_rng(&mut rand::rngs::SysRng)?;
                    return Ok(secret.public_key().to_sec1_point(false).as_bytes().to_vec());
                }
                KemAlgorithm::DhKemP384 => {
                    let secret = p384::SecretKey::try_generate_from_rng(&mut rand::rngs::SysRng)?;
                    return Ok(secret.public_key().to_sec1_point(false).as_bytes().to_vec());
                }
                KemAlgorithm::DhKemP521 => {
                    let secret = p521::SecretKey::try_generate_from_rng(&mut rand::rngs::SysRng)?;
                    return Ok(secret.public_key().to_sec1_point(false).as_bytes().to_vec());
                }
                KemAlgorithm::DhKemX448 => return Err("X448 has no bound here".into()),
            },
            // The Diffie-Hellman seam: `Nsk` bytes from ring, then x25519-dalek
            // or p256/p384 (a NIST candidate out of range, probability
            // below 2^-32, fails the bench).
            BackendKind::Ring => match self.kem {
                KemAlgorithm::DhKemX25519 | KemAlgorithm::DhKemP256 => {
                    ring::rand::SystemRandom::new()
                        .fill(&mut sk)
                        .map_err(|_| "ring random")?;
                }
                KemAlgorithm::DhKemP384 => {
                    let mut sk = [0u8; 48];
                    ring::rand::SystemRandom::new()
                        .fill(&mut sk)
                        .map_err(|_| "ring random")?;
                    return Ok(p384::SecretKey::from_slice(&sk)?
                        .public_key()
                        .to_sec1_point(false)
                        .as_bytes()
                        .to_vec());
                }
                _ => return Err("ring has no such KEM".into()),
            },
        }
        Ok(match self.kem {
            KemAlgorithm::DhKemX25519 => {
                let secret = x25519_dalek::StaticSecret::from(sk);
                x25519_dalek::PublicKey::from(&secret).as_bytes().to_vec()
            }
            _ => p256::SecretKey::from_slice(&sk)?
                .public_key()
                .to_sec1_point(false)
                .as_bytes()
                .to_vec(),
        })
    }

    /// Signs `message` once.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(match &self.sign_key {
            SignKey::DalekEd25519(key) => key.sign(message).to_bytes().to_vec(),
            SignKey::RustCryptoP256(key) => {
                let sig: p256::ecdsa::DerSignature = key.try_sign(message)?;
                sig.as_bytes().to_vec()
            }
            SignKey::RustCryptoP384(key) => {
                let sig: p384::ecdsa::DerSignature = key.try_sign(message)?;
                sig.as_bytes().to_vec()
            }
            SignKey::RustCryptoP521(key) => {
                let sig: p521::ecdsa::DerSignature = key.try_sign(message)?;
                sig.as_bytes().to_vec()
            }
            SignKey::RingEd25519(pair) => pair.sign(message).as_ref().to_vec(),
            SignKey::RingEcdsa(pair, rng) => pair
                .sign(rng, message)
                .map_err(|_| "ring ECDSA signing")?
                .as_ref()
                .to_vec(),
        })
    }

    /// Both real signatures verified, with the one key parse the library
    /// needs; `true` if both verify.
    pub fn verify_both(&self) -> bool {
        use p256::ecdsa::signature::Verifier as _;
        let [(m1, s1), (m2, s2)] = &self.signed;
        match &self.verify_key {
            VerifyKey::Dalek(bytes) => {
                let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(bytes) else {
                    return false;
                };
                let ok = |m: &[u8], s: &[u8]| {
                    ed25519_dalek::Signature::from_slice(s).is_ok_and(|s| key.verify(m, &s).is_ok())
                };
                ok(m1, s1) && ok(m2, s2)
            }
            VerifyKey::RustCryptoP256(bytes) => {
                let Ok(key) = p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes) else {
                    return false;
                };
                let ok = |m: &[u8], s: &[u8]| {
                    p256::ecdsa::DerSignature::from_bytes(s)
                        .is_ok_and(|s| key.verify(m, &s).is_ok())
                };
                ok(m1, s1) && ok(m2, s2)
            }
            VerifyKey::RustCryptoP384(bytes) => {
                let Ok(key) = p384::ecdsa::VerifyingKey::from_sec1_bytes(bytes) else {
                    return false;
                };
                let ok = |m: &[u8], s: &[u8]| {
                    p384::ecdsa::DerSignature::from_bytes(s)
                        .is_ok_and(|s| key.verify(m, &s).is_ok())
                };
                ok(m1, s1) && ok(m2, s2)
            }
            VerifyKey::RustCryptoP521(bytes) => {
                let Ok(key) = p521::ecdsa::VerifyingKey::from_sec1_bytes(bytes) else {
                    return false;
                };
                let ok = |m: &[u8], s: &[u8]| {
                    p521::ecdsa::DerSignature::from_bytes(s)
                        .is_ok_and(|s| key.verify(m, &s).is_ok())
                };
                ok(m1, s1) && ok(m2, s2)
            }
            VerifyKey::Ring(alg, bytes) => {
                let key = ring::signature::UnparsedPublicKey::new(*alg, bytes);
                key.verify(m1, s1).is_ok() && key.verify(m2, s2).is_ok()
            }
            VerifyKey::RingEcdsa(alg, bytes) => {
                let key = ring::signature::UnparsedPublicKey::new(*alg, bytes);
                key.verify(m1, s1).is_ok() && key.verify(m2, s2).is_ok()
            }
        }
    }

    /// KP-INIT-KEY and KP-ENC-KEY where they are curve operations (NIST
    /// points parsed and checked on the curve); `true` for X25519, whose
    /// checks are byte comparisons.
    pub fn hpke_public_keys_valid(&self) -> bool {
        self.hpke_public.iter().all(|key| match self.kem {
            KemAlgorithm::DhKemP256 => p256::PublicKey::from_sec1_bytes(key).is_ok(),
            KemAlgorithm::DhKemP384 => p384::PublicKey::from_sec1_bytes(key).is_ok(),
            KemAlgorithm::DhKemP521 => p521::PublicKey::from_sec1_bytes(key).is_ok(),
            KemAlgorithm::DhKemX25519 | KemAlgorithm::DhKemX448 => true,
        })
    }

    /// The create bound: two HPKE key generations, then the two signatures
    /// over messages of the real `SignContent` sizes.
    pub fn create(&self) -> Result<(), Error> {
        self.hpke_keygen()?;
        self.hpke_keygen()?;
        let [(leaf, _), (kp, _)] = &self.signed;
        self.sign(leaf)?;
        self.sign(kp)?;
        Ok(())
    }

    /// The validate bound: the HPKE key checks that are curve operations,
    /// the signature key parse the library needs, two verifications.
    pub fn validate(&self) -> bool {
        self.hpke_public_keys_valid() && self.verify_both()
    }

    /// The leaf's SignContent (to sign in a single-signature bench).
    pub fn leaf_message(&self) -> &[u8] {
        let [(leaf, _), _] = &self.signed;
        leaf
    }
}

/// Encoded key packages for `suite`: `signers` fresh signature keys, each
/// signing `per_signer` key packages in a row (as a delivery service sees a
/// client's upload), in that order.
pub fn key_package_set<C: OpenMlsCrypto>(
    crypto: &C,
    suite: CipherSuite,
    signers: usize,
    per_signer: usize,
) -> Result<Vec<Vec<u8>>, Error> {
    let provider = crypto.suite(suite)?;
    let builder = KeyPackageBuilder::new();
    let mut out = Vec::with_capacity(signers.saturating_mul(per_signer));
    for _ in 0..signers {
        let pair = provider.signature_generate_key_pair()?;
        let signer = provider.signer(&pair.private)?;
        for _ in 0..per_signer {
            let bundle = builder.build(crypto, suite, Credential::basic("bench"), &signer)?;
            out.push(bundle.key_package().encode()?);
        }
    }
    Ok(out)
}

/// Decodes what [`key_package_set`] made.
pub fn decode_all(encoded: &[Vec<u8>]) -> Result<Vec<KeyPackageIn>, Error> {
    encoded
        .iter()
        .map(|bytes| Ok(KeyPackageIn::decode(bytes)?))
        .collect()
}

/// A field of `/proc/self/status` in KiB (`VmHWM`, `VmRSS`, …), or `None`
/// off Linux.
pub fn proc_status_kib(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
