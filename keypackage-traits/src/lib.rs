//! Shared types and traits of the keypackage workspace.
//!
//! * [`codepoints`]: open `u16` code points (`CipherSuite`, `ExtensionType`, …)
//!   with the RFC 9420 names, GREASE detection and a readable `Debug`.
//! * [`suite`]: the algorithm table of the seven RFC 9420 cipher suites.
//! * [`codec`]: the strict variable-length vector codec of RFC 9420 §2.1.2.
//! * [`keys`]: public-key newtypes and zeroizing, redacted private keys.
//! * [`crypto`]: the [`OpenMlsCrypto`] provider trait, its per-suite
//!   [`CipherSuiteProvider`], and the [`Signer`] trait.
//! * [`key_store`]: the [`KeyStore`] trait for key-package bundles.
//!
//! Backends depend on this crate only; `keypackage-core` builds the protocol
//! on top of it without knowing which backend runs.
//!
//! ```
//! use keypackage_traits::{CipherSuite, ExtensionType};
//!
//! let suite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
//! let info = suite.info().unwrap();
//! assert_eq!(info.hash_len(), 32);
//! assert!(ExtensionType(0x2A2A).is_grease());
//! assert_eq!(format!("{:?}", ExtensionType(0x2A2A)), "GREASE(0x2a2a)");
//! ```

#![forbid(unsafe_code)]

pub mod codec;
pub mod codepoints;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod crypto;
pub mod fault;
pub mod key_store;
pub mod keys;
pub mod suite;

pub use codepoints::{
    CipherSuite, CredentialType, ExtensionLocation, ExtensionType, GREASE_VALUES, ProposalType,
    ProtocolVersion, is_grease_value,
};
pub use crypto::{CipherSuiteProvider, CryptoError, HpkeCiphertext, OpenMlsCrypto, Signer};
pub use fault::Fault;
pub use key_store::{
    BUNDLE_FORMAT_WITH_HEADER, BundleHeader, KeyStore, KeyStoreError, StoreCounts,
    StoredKeyPackage, StoredSummary,
};
pub use keys::{
    HpkeKeyPair, HpkePrivateKey, HpkePublicKey, KeyPackageRef, Secret, SignatureKeyPair,
    SignaturePrivateKey, SignaturePublicKey,
};
pub use suite::{
    AeadAlgorithm, HashAlgorithm, KdfAlgorithm, KemAlgorithm, SUITES, SignatureScheme, SuiteInfo,
};
