//! What the application decides at publish time: the crypto provider, the
//! validation context (its credential validator, its policy switches, the
//! time the directory's clock gives), and whether a key package's
//! credential belongs to the owner it is published for.

use keypackage_core::traits::OpenMlsCrypto;
use keypackage_core::{
    AcceptAnyCredential, Credential, CredentialRejected, CredentialRejection, KeyPackage,
    ValidationContext,
};

/// The application's side of [`Directory::publish`](crate::Directory::publish).
///
/// Validation runs on a blocking thread (it is CPU work: two signature
/// verifications per key package), so the policy is shared through an
/// `Arc` and must be `Send + Sync + 'static`.
pub trait PublishPolicy: Send + Sync + 'static {
    /// The crypto provider that validates.
    type Crypto: OpenMlsCrypto;

    /// The provider.
    fn crypto(&self) -> &Self::Crypto;

    /// The validation context for an upload at `now` (the directory's
    /// clock): the application's credential validator and policy switches.
    /// `now` must be used as the context's time.
    fn context(&self, now: u64) -> ValidationContext<'_>;

    /// Whether the credential of `key_package` (valid, its credential
    /// accepted by the context's validator) names `owner`, the client
    /// identity the upload is for. A refusal is reported as KP-CREDENTIAL
    /// (usually with [`CredentialRejection::Identity`]).
    fn check_owner(&self, owner: &str, key_package: &KeyPackage) -> Result<(), CredentialRejected>;
}

/// A policy for deployments whose clients use basic credentials and whose
/// owner names are those credentials' identities: the default validation
/// rules, any credential accepted by the validator
/// ([`AcceptAnyCredential`]: the upload itself is authenticated by the
/// application), and the owner check "a basic credential whose identity is
/// the owner's name, byte for byte". `kp directory publish` uses it.
#[derive(Debug, Default)]
pub struct BasicIdentityPolicy<C> {
    crypto: C,
}

impl<C: OpenMlsCrypto + 'static> BasicIdentityPolicy<C> {
    /// The policy with `crypto`.
    pub fn new(crypto: C) -> Self {
        Self { crypto }
    }
}

impl<C: OpenMlsCrypto + 'static> PublishPolicy for BasicIdentityPolicy<C> {
    type Crypto = C;

    fn crypto(&self) -> &C {
        &self.crypto
    }

    fn context(&self, now: u64) -> ValidationContext<'_> {
        ValidationContext::new(now, &AcceptAnyCredential)
    }

    fn check_owner(&self, owner: &str, key_package: &KeyPackage) -> Result<(), CredentialRejected> {
        match &key_package.leaf_node().credential {
            Credential::Basic { identity } if identity.0 == owner.as_bytes() => Ok(()),
            Credential::Basic { .. } => Err(CredentialRejected::new(
                CredentialRejection::Identity,
                format!("the basic credential's identity is not the owner {owner:?}"),
            )),
            other => Err(CredentialRejected::new(
                CredentialRejection::Unsupported,
                format!(
                    "credential type {:?}: this policy knows only basic identities",
                    other.credential_type()
                ),
            )),
        }
    }
}
