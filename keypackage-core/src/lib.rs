//! MLS key packages (RFC 9420 §10): wire structures, creation, validation,
//! bundles and storage.
//!
//! * Decoding ([`KeyPackageIn::decode`], [`MlsMessageIn::decode`]) is strict
//!   and canonical (rule KP-DECODE) and yields an untrusted [`KeyPackageIn`].
//! * The only way to a trusted [`KeyPackage`] is
//!   [`KeyPackageIn::validate`], which applies every rule of the table in
//!   [`rules::Rule`] and names the rule a bad key package breaks, or our own
//!   [`KeyPackageBuilder`], whose output passes that validation under the
//!   default policy (it refuses to build what the default policy refuses,
//!   such as a lifetime over the maximum, unless the caller lifts the cap).
//! * A [`KeyPackageBundle`] keeps the private keys until the Welcome arrives;
//!   a [`traits::KeyStore`] ([`MemoryKeyStore`], or the `keystore-sqlite`
//!   crate) hands each key package out once.
//!
//! The crypto comes from a backend chosen with Cargo features: `rustcrypto`
//! (default, re-exported as [`rustcrypto`]; `x448` adds suites 4 and 6) and
//! `ring` (re-exported as `ring`). Features are additive; [`DefaultCrypto`]
//! is the RustCrypto provider whenever its feature is on.
//!
//! ```
//! # #[cfg(feature = "rustcrypto")] {
//! use keypackage_core::rustcrypto::{RustCrypto, RustCryptoSigner};
//! use keypackage_core::traits::{CipherSuite, SignatureScheme};
//! use keypackage_core::{
//!     AcceptAnyCredential, Credential, KeyPackageBuilder, KeyPackageIn, Rule, ValidationContext,
//! };
//!
//! let crypto = RustCrypto::new();
//! let suite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
//! let signer = RustCryptoSigner::generate(SignatureScheme::Ed25519).unwrap();
//!
//! // A client makes a key package and keeps the bundle (private keys).
//! let bundle = KeyPackageBuilder::new()
//!     .build(&crypto, suite, Credential::basic("alice"), &signer)
//!     .unwrap();
//! let published = bundle.key_package().encode().unwrap();
//!
//! // A delivery service validates what it receives. The clock is an input.
//! let not_before = bundle.key_package().leaf_node().leaf_node_source.lifetime().unwrap().not_before;
//! let ctx = ValidationContext::new(not_before + 60, &AcceptAnyCredential);
//! let key_package = KeyPackageIn::decode(&published).unwrap().validate(&crypto, &ctx).unwrap();
//! assert_eq!(key_package.reference(), bundle.reference());
//!
//! // One flipped byte in the signature: refused, and the rule is named.
//! let mut tampered = published.clone();
//! let last = tampered.len() - 1;
//! tampered[last] ^= 1;
//! let err = KeyPackageIn::decode(&tampered).unwrap().validate(&crypto, &ctx).unwrap_err();
//! assert_eq!(err.rule(), Some(Rule::Signature));
//! # }
//! ```

#![forbid(unsafe_code)]

mod batch;
mod builder;
mod bundle;
mod capabilities;
mod credential;
mod error;
mod extensions;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;
mod key_package;
pub mod labeled;
mod last_resort;
mod leaf_node;
mod lifetime;
mod memory_store;
mod message;
mod pool;
mod rules;
#[cfg(any(feature = "test-utils", feature = "fuzzing"))]
mod test_utils;
mod validate;
mod welcome;

pub use batch::{
    BatchOptions, DEFAULT_CHUNK_SIZE, validate_batch, validate_batch_with, validate_encoded_batch,
};
pub use builder::{CreationError, DEFAULT_BACKDATE, DEFAULT_LIFETIME, KeyPackageBuilder};
pub use bundle::{BUNDLE_FORMAT_V1, BUNDLE_FORMAT_V2, BundleError, KeyPackageBundle};
pub use capabilities::Capabilities;
pub use credential::{Certificate, Credential};
pub use error::{DecodeError, EncodeError, LabeledError};
pub use extensions::{Extension, Extensions};
pub use key_package::{KeyPackage, KeyPackageIn, SignedSpans};
pub use last_resort::LAST_RESORT_COMPONENT_ID;
pub use leaf_node::{LeafNode, LeafNodeSource};
pub use lifetime::{DAY, DEFAULT_CLOCK_SKEW, DEFAULT_MAX_LIFETIME, HOUR, Lifetime};
pub use memory_store::MemoryKeyStore;
pub use message::{
    EncryptedGroupSecrets, GroupSecrets, MlsMessageIn, PreSharedKeyId, Welcome, WireFormat,
    encode_key_package_message,
};
pub use pool::{DEFAULT_POOL_BATCH, KeyPackagePool, PoolError, PoolFailure, PoolReport};
pub use rules::Rule;
#[cfg(any(feature = "test-utils", feature = "fuzzing"))]
pub use test_utils::app_data_dictionary_last_resort;
pub use validate::{
    AcceptAnyCredential, CredentialInput, CredentialRejected, CredentialRejection,
    CredentialValidator, ExtensionBodyValidator, GroupParameters, RecognisedExtension,
    RequiredCapabilities, ValidationContext, ValidationError,
};
pub use welcome::{FoundBy, JoinError, JoinOptions, Joining, WelcomeError, reserve_for_welcome};

/// The traits crate: code points, key types, the provider and store traits.
/// Its items have this one path in this crate (`keypackage_core::traits::*`).
pub use keypackage_traits as traits;

/// The pure-Rust backend (feature `rustcrypto`, on by default).
#[cfg(feature = "rustcrypto")]
pub use backend_rustcrypto as rustcrypto;

/// The ring backend (feature `ring`).
#[cfg(feature = "ring")]
pub use backend_ring as ring;

/// The documented default provider: the RustCrypto backend whenever its
/// feature is on (whether or not `ring` is on too), else the ring backend.
#[cfg(feature = "rustcrypto")]
pub type DefaultCrypto = backend_rustcrypto::RustCrypto;

/// The documented default provider: the RustCrypto backend whenever its
/// feature is on (whether or not `ring` is on too), else the ring backend.
#[cfg(all(feature = "ring", not(feature = "rustcrypto")))]
pub type DefaultCrypto = backend_ring::RingCrypto;
