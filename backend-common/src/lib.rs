//! What keypackage's crypto backends share, written once so that they
//! cannot drift apart (docs/DESIGN.md §7.1).
//!
//! A backend supplies primitives: randomness, hashing, HMAC/HKDF and AEAD
//! ([`Primitives`]), the Diffie-Hellman group of each KEM it has ([`Dh`]),
//! and its signature keys ([`Signatures`]); [`Backend`] adds its name and
//! its suites. This crate turns them into the provider traits of
//! `keypackage-traits`:
//!
//! * [`Provider`] and [`Suite`] implement `OpenMlsCrypto` and
//!   `CipherSuiteProvider` for any backend: argument checks, key
//!   generation by rejection sampling, the key policies, scheme checks;
//! * DHKEM (RFC 9180 §4.1): `LabeledExtract`/`LabeledExpand`,
//!   `DeriveKeyPair` with the NIST rejection sampling and the P-521
//!   bitmask (§7.1.3), the all-zero check (§7.1.4), `Encap`/`Decap`;
//! * single-shot base-mode HPKE (§6.1), with hpke-rs running only the key
//!   schedule and the AEAD context over the backend's HKDF and AEAD;
//! * the key policies (docs/DESIGN.md §3 P11): [`ed25519`]
//!   ([`ED25519_POLICY`]), [`ed448`], and [`montgomery`] for X25519/X448
//!   public keys (KP-INIT-KEY, KP-ENC-KEY);
//! * with the `conformance` feature, `conformance::run`: keypackage-traits'
//!   crypto suite and the Wycheproof runner, which every backend calls from
//!   one test.
//!
//! A backend crate names the result:
//! `pub type RustCrypto = backend_common::Provider<RustCryptoBackend>;`.
//!
//! Secrets this crate makes (DH outputs, PRKs, candidate scalars, shared
//! secrets, plaintexts) are [`Secret`](keypackage_traits::Secret)s or
//! `Zeroizing` buffers, wiped on drop.

#![forbid(unsafe_code)]

mod backend;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod ed25519;
pub mod ed448;
mod hpke;
mod kem;
mod keygen;
#[cfg(test)]
mod lenient;
pub mod montgomery;
mod provider;
mod signer;
mod symmetric;

pub use backend::{AeadKey, Backend, CryptoResult, Dh, Primitives, Prk, Signatures};
pub use ed25519::ED25519_POLICY;
pub use provider::{Provider, Suite, VerifyingKey};
pub use signer::MemorySigner;
