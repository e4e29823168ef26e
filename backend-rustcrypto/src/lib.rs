//! The pure-Rust crypto backend of keypackage: RustCrypto primitives and
//! hpke-rs behind the [`OpenMlsCrypto`](keypackage_traits::OpenMlsCrypto)
//! trait, for the MLS cipher suites of RFC 9420 §17.1.
//!
//! | suite | KEM | AEAD | hash | signature | build |
//! |---|---|---|---|---|---|
//! | 1 `MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519` | X25519 | AES-128-GCM | SHA-256 | Ed25519 | default |
//! | 2 `MLS_128_DHKEMP256_AES128GCM_SHA256_P256` | P-256 | AES-128-GCM | SHA-256 | ECDSA P-256 | default |
//! | 3 `MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519` | X25519 | ChaCha20-Poly1305 | SHA-256 | Ed25519 | default |
//! | 4 `MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448` | X448 | AES-256-GCM | SHA-512 | Ed448 | feature `x448` |
//! | 5 `MLS_256_DHKEMP521_AES256GCM_SHA512_P521` | P-521 | AES-256-GCM | SHA-512 | ECDSA P-521 | default |
//! | 6 `MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448` | X448 | ChaCha20-Poly1305 | SHA-512 | Ed448 | feature `x448` |
//! | 7 `MLS_256_DHKEMP384_AES256GCM_SHA384_P384` | P-384 | AES-256-GCM | SHA-384 | ECDSA P-384 | default |
//!
//! Suites 4 and 6 sit behind the `x448` feature because the `x448` and
//! `ed448-goldilocks` crates are pre-releases;
//! [`supported_ciphersuites`](keypackage_traits::OpenMlsCrypto::supported_ciphersuites)
//! lists exactly the suites of the build.
//!
//! # How
//!
//! * Hashes, HKDF, AEADs: sha2, hkdf, aes-gcm, chacha20poly1305.
//! * HPKE (RFC 9180): hpke-rs over this crate's own `HpkeCrypto` provider,
//!   which hands X25519, P-256 and P-384 to hpke-rs-rust-crypto and
//!   implements DHKEM(P-521) and DHKEM(X448) itself (p521, x448).
//!   `DeriveKeyPair` (RFC 9180 §7.1.3) is this crate's, for every KEM.
//! * Signatures: ed25519-dalek, p256/p384/p521 ECDSA, ed448-goldilocks.
//! * Randomness: the operating system (`getrandom`), nothing else; there is
//!   no test-only random source.
//!
//! # Encoding rules (docs/DESIGN.md §3 P7)
//!
//! Enforced here, not left to the underlying crates:
//!
//! * P-256/P-384/P-521 public keys (HPKE and ECDSA) only as uncompressed
//!   SEC1 points, on the curve, not the identity; private scalars exactly
//!   `Nsk` bytes in `[1, n)`;
//! * an all-zero X25519/X448 shared secret is
//!   [`CryptoError::ZeroSharedSecret`](keypackage_traits::CryptoError::ZeroSharedSecret)
//!   (RFC 9180 §7.1.4), when encrypting and when decrypting;
//! * ECDSA signatures are DER, produced deterministically (RFC 6979);
//!   high-S signatures verify, as with every peer;
//! * Ed25519 follows the written policy
//!   [`ED25519_POLICY`](backend_common::ED25519_POLICY): the shared
//!   pre-check of [`backend_common::ed25519`] when a key is parsed
//!   (`check_public_key`: canonical, not of small order) and before each
//!   verification (`check_signature`: `S < L`, canonical `R` not of small
//!   order), then ed25519-dalek's cofactorless `verify`. The ring backend
//!   applies the same pre-check, so the two backends give the same answer.
//!
//! Private keys are [`Secret`](keypackage_traits::Secret)-backed
//! (zeroized on drop, redacted in `Debug`); so is [`RustCryptoSigner`].
//!
//! # Example
//!
//! ```
//! use backend_rustcrypto::RustCrypto;
//! use keypackage_traits::{CipherSuiteProvider, Ciphersuite, OpenMlsCrypto, Signer};
//!
//! let crypto = RustCrypto::new();
//! let suite = crypto.suite(Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519)?;
//!
//! // Sign with an in-memory signer, verify with the public key.
//! let keys = suite.signature_generate_key_pair()?;
//! let signer = suite.signer(&keys.private)?;
//! let signature = signer.sign(b"key package")?;
//! suite.verify(signer.public_key(), b"key package", &signature)?;
//!
//! // HPKE to an init key, and back with its private key.
//! let init = suite.hpke_generate_key_pair()?;
//! let sealed = suite.hpke_seal(&init.public, b"info", b"", b"group secrets")?;
//! let opened = suite.hpke_open(
//!     &init.private,
//!     sealed.kem_output.as_slice(),
//!     b"info",
//!     b"",
//!     sealed.ciphertext.as_slice(),
//! )?;
//! assert_eq!(opened.expose(), b"group secrets");
//! # Ok::<(), keypackage_traits::CryptoError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod hpke;
mod nist;
mod primitives;
mod provider;
mod signature;

#[cfg(test)]
mod wycheproof_tests;

pub use provider::{RustCrypto, RustCryptoSuite};
pub use signature::{RustCryptoSigner, RustCryptoVerifyingKey};
