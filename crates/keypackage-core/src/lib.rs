//! MLS key packages (RFC 9420 §10): wire structures, creation, validation.
//!
//! Decoding yields an untrusted [`KeyPackageIn`]; the only way to a trusted
//! [`KeyPackage`] is validation, or our own builder.

#![forbid(unsafe_code)]

pub mod builder;
pub mod bundle;
pub mod capabilities;
pub mod credential;
pub mod error;
pub mod extensions;
#[doc(hidden)]
pub mod fuzz;
pub mod key_package;
pub mod labeled;
pub mod last_resort;
pub mod leaf_node;
pub mod lifetime;
pub mod memory_store;
pub mod message;
pub mod pool;
pub mod rules;
pub mod validate;

pub use builder::{CreationError, KeyPackageBuilder};
pub use bundle::{BundleError, KeyPackageBundle};
pub use capabilities::Capabilities;
pub use credential::{Certificate, Credential};
pub use error::{DecodeError, EncodeError, LabeledError};
pub use extensions::{Extension, Extensions};
pub use key_package::{KeyPackage, KeyPackageIn, SignedSpans};
pub use leaf_node::{LeafNode, LeafNodeSource};
pub use lifetime::Lifetime;
pub use memory_store::MemoryKeyStore;
pub use message::{
    EncryptedGroupSecrets, GroupSecrets, MlsMessageIn, PreSharedKeyId, Welcome, WireFormat,
    encode_key_package_message,
};
pub use rules::Rule;
pub use validate::{
    AcceptAnyCredential, CredentialRejected, CredentialValidator, GroupParameters,
    RequiredCapabilities, ValidationContext, ValidationError,
};

pub use keypackage_traits as traits;
pub use keypackage_traits::{
    Ciphersuite, CredentialType, ExtensionType, KeyPackageRef, ProposalType, ProtocolVersion,
};

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
