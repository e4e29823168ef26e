//! What keypackage's crypto backends share, written once so that they
//! cannot drift apart (docs/DESIGN.md §3 P11):
//!
//! * [`ed25519`]: the Ed25519 verification policy ([`ED25519_POLICY`]);
//! * [`montgomery`]: the X25519/X448 public-key policy (KP-INIT-KEY,
//!   KP-ENC-KEY).

#![forbid(unsafe_code)]

pub mod ed25519;
pub mod montgomery;

pub use ed25519::ED25519_POLICY;
