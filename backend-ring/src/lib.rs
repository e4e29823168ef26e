//! The ring crypto backend of keypackage: MLS cipher suites 1, 2, 3 and 7
//! (RFC 9420 §17.1) behind the [`OpenMlsCrypto`] trait.
//!
//! | suite | KEM | AEAD | hash | signature |
//! |---|---|---|---|---|
//! | 1 `MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519` | X25519 | AES-128-GCM | SHA-256 | Ed25519 |
//! | 2 `MLS_128_DHKEMP256_AES128GCM_SHA256_P256` | P-256 | AES-128-GCM | SHA-256 | ECDSA P-256 |
//! | 3 `MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519` | X25519 | ChaCha20-Poly1305 | SHA-256 | Ed25519 |
//! | 7 `MLS_256_DHKEMP384_AES256GCM_SHA384_P384` | P-384 | AES-256-GCM | SHA-384 | ECDSA P-384 |
//!
//! # What ring does, and what it cannot
//!
//! [ring] does the hashing (SHA-256/384/512), HMAC and HKDF, the AEADs
//! (AES-128/256-GCM, ChaCha20-Poly1305), Ed25519 and ECDSA P-256/P-384
//! signatures (DER, RFC 9420 §5.1.2), and supplies all randomness
//! (`SystemRandom`).
//!
//! **ring cannot load or export a static key-agreement key.** Its
//! `agreement` module takes only ephemeral private keys that it makes
//! itself and never reveals. HPKE (RFC 9180) needs static keys: the holder
//! of a key package decapsulates with its stored init key, and
//! `DeriveKeyPair` turns bytes into a private key. So the Diffie-Hellman
//! groups (`dh.rs`) are a small, documented seam filled with x25519-dalek
//! (X25519) and RustCrypto's p256/p384 (ECDH). Nothing uses ring's hidden
//! or test-only APIs. An ECDSA private key is loaded with ring's
//! `EcdsaKeyPair::from_private_key_and_public_key` (the public key
//! computed from the scalar by the seam), an Ed25519 seed with
//! `Ed25519KeyPair::from_seed_unchecked`.
//!
//! # How
//!
//! This crate supplies primitives; backend-common writes the rest once for
//! both backends (the provider traits, DHKEM and `DeriveKeyPair`, HPKE with
//! hpke-rs running the key schedule, key generation, the key policies). The
//! public face is [`RingCrypto`], its per-suite [`RingSuite`], and the
//! in-memory [`RingSigner`]. The modules mirror the other backend's:
//! `primitives.rs` (ring: hashes, HMAC/HKDF, AEADs, randomness), `dh.rs`
//! (the seam), `signature.rs` (ring: Ed25519, ECDSA), `provider.rs` (the
//! suite list and the two type aliases).
//!
//! # Encoding rules (docs/DESIGN.md §3 P7)
//!
//! The same accept/refuse answer as the RustCrypto backend, for every input,
//! most of it from the same code in backend-common:
//!
//! * P-256/P-384 public keys (HPKE and ECDSA) only as uncompressed SEC1
//!   points, on the curve, not the identity; private scalars exactly `Nsk`
//!   bytes in `[1, n)` (`dh.rs`);
//! * an all-zero X25519 shared secret is [`CryptoError::ZeroSharedSecret`]
//!   (RFC 9180 §7.1.4), in encryption and decryption alike;
//! * `validate_hpke_public_key` (KP-INIT-KEY, KP-ENC-KEY) also refuses
//!   X25519 keys that are non-canonical or of small order, by the shared
//!   table of [`backend_common::montgomery`];
//! * ECDSA signatures are DER; high-S signatures verify;
//! * Ed25519 follows [`ED25519_POLICY`]: backend-common's pre-check when a
//!   key is parsed (plus a point decompression here, since ring decodes `A`
//!   only inside `verify`) and before each verification, then ring's
//!   cofactorless verification. On the 914 C2SP CCTV edge-case vectors
//!   (`interop-tests/tests/cctv_ed25519.rs`) both backends accept the same
//!   43: ring alone accepts 208.
//!
//! Secrets (private keys, PRKs, plaintexts) are [`Secret`]s or
//! `Zeroizing` buffers: zeroized on drop and redacted in `Debug`. ring does
//! not wipe its own key state (signing keys, HMAC and AEAD keys);
//! docs/DESIGN.md §7.4 lists what stays behind.
//!
//! # Example
//!
//! ```
//! use backend_ring::RingCrypto;
//! use keypackage_traits::{CipherSuiteProvider, CipherSuite, OpenMlsCrypto, Signer};
//!
//! let crypto = RingCrypto::new();
//! let suite = crypto.suite(CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256)?;
//!
//! // Sign and verify (ECDSA P-256, DER).
//! let keys = suite.signature_generate_key_pair()?;
//! let signer = suite.signer(&keys.private)?;
//! let signature = signer.sign(b"key package")?;
//! suite.verify(signer.public_key(), b"key package", &signature)?;
//!
//! // HPKE to an init key, and back with the stored private key.
//! let init = suite.hpke_derive_key_pair(&[7u8; 32])?;
//! let sealed = suite.hpke_seal(&init.public, b"info", b"", b"secret")?;
//! let opened = suite.hpke_open(
//!     &init.private,
//!     sealed.kem_output.as_slice(),
//!     b"info",
//!     b"",
//!     sealed.ciphertext.as_slice(),
//! )?;
//! assert_eq!(opened.expose(), b"secret");
//! # Ok::<(), keypackage_traits::CryptoError>(())
//! ```
//!
//! [ring]: https://docs.rs/ring
//! [`OpenMlsCrypto`]: keypackage_traits::OpenMlsCrypto
//! [`CryptoError::ZeroSharedSecret`]: keypackage_traits::CryptoError::ZeroSharedSecret
//! [`ED25519_POLICY`]: backend_common::ED25519_POLICY
//! [`Secret`]: keypackage_traits::Secret

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod dh;
mod primitives;
mod provider;
mod signature;

pub use provider::{RingCrypto, RingSuite};
pub use signature::RingSigner;
