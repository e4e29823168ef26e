//! X.509 credentials for MLS key packages (RFC 9420 §5.3), in pure Rust
//! under either backend (docs/DESIGN.md §11).
//!
//! * [`X509CredentialValidator`]: a [`keypackage_core::CredentialValidator`]
//!   that checks what RFC 9420 §5.3.1 asks of an `x509` credential — the
//!   end-entity certificate binds the leaf's `signature_key`, with the
//!   suite's algorithm (§5.1.2) — and validates the certificate path to the
//!   application's trust anchors at the validation context's `now`
//!   (rustls-webpki, with *our* backend verifying every signature), then
//!   runs the application's [`IdentityRule`]. A refusal is
//!   `KP-CREDENTIAL` with a typed [`keypackage_core::CredentialRejection`].
//! * [`X509Identity`]: what the credential asserts (subject, SANs), for the
//!   application to compare with the account that uploaded the key package.
//! * [`X509Signer`], [`PrivateKey`], [`BuildX509`]: key packages with an
//!   `x509` credential, from a chain and its PKCS#8 key (PEM or DER).
//! * [`CertificateInfo`]: a read-only view of a certificate, for tools.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use keypackage_core::rustcrypto::RustCrypto;
//! use keypackage_core::traits::CipherSuite;
//! use keypackage_core::{KeyPackageBuilder, KeyPackageIn, Lifetime, ValidationContext};
//! use keypackage_x509::{BuildX509, TrustAnchors, X509CredentialValidator, X509Signer};
//!
//! # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/p256");
//! # let chain_pem = std::fs::read(format!("{dir}/chain.pem"))?;
//! # let key_pem = std::fs::read(format!("{dir}/ee.key.pem"))?;
//! # let roots_pem = std::fs::read(format!("{dir}/root.pem"))?;
//! # let now = 1_893_456_000; // 2030-01-01, inside the fixtures' validity
//! let crypto = RustCrypto::new();
//! let suite = CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256;
//!
//! // A client: its certificate chain (end entity first) and PKCS#8 key.
//! let signer = X509Signer::from_files(&crypto, suite, &chain_pem, &key_pem)?;
//! let bundle = KeyPackageBuilder::new()
//!     .lifetime(Lifetime::new(now - 3600, now + 86_400))
//!     .build_x509(&crypto, suite, &signer)?;
//! let bytes = bundle.key_package().encode()?;
//!
//! // A delivery service: path validation to its roots, at `now`, and an
//! // identity rule (here: the uploader's e-mail address is in the SANs).
//! let validator = X509CredentialValidator::new(&crypto, TrustAnchors::from_pem(&roots_pem)?);
//! let uploader = "alice@example.com";
//! let rule = |id: &keypackage_x509::X509Identity, _: &keypackage_core::CredentialInput<'_>| {
//!     if id.emails().any(|e| e == uploader) { Ok(()) } else { Err(format!("not {uploader}")) }
//! };
//! let per_upload = validator.with_rule(&rule);
//! let ctx = ValidationContext::new(now, &per_upload);
//! let key_package = KeyPackageIn::decode(&bytes)?.validate(&crypto, &ctx)?;
//! assert_eq!(key_package.reference(), bundle.reference());
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

mod algorithms;
pub mod cert;
mod der_util;
pub mod error;
pub mod key;
pub mod load;
pub mod name;
mod oid;
pub mod signer;
pub mod validator;

pub use cert::{BasicConstraints, CertificateInfo, KeyUsage, PublicKeyAlgorithm, format_time};
pub use error::X509Error;
pub use key::PrivateKey;
pub use load::{certificates_from_pem, load_certificates, load_crls};
pub use name::{DistinguishedName, NameAttribute, SubjectAltName, X509Identity};
pub use signer::{BuildX509, X509Signer, x509_credential};
pub use validator::{
    IdentityRule, TrustAnchors, VerifiedX509Credential, WithIdentityRule, X509CredentialValidator,
};
