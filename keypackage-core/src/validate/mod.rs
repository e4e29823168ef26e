//! Validation: the only way from an untrusted [`KeyPackageIn`] to a trusted
//! [`KeyPackage`] (docs/DESIGN.md §3 P1).
//!
//! Every rule of the table in docs/DESIGN.md §4 (and the README) is applied,
//! and the error names the rule. The order reports the most useful reason
//! first and does the cheap work first: version and suite, structure and
//! policy (the `checks` module), the lifetime, key encodings, then the two
//! signatures, then the application's checks (registered extension bodies,
//! the credential validator), which may be expensive and should only see
//! authenticated input.
//!
//! Unknown code points, GREASE among them, get no special treatment (RFC
//! 9420 §13.5): they are ignored in capability lists and in
//! `KeyPackage.extensions`, and must be listed when they appear in
//! `LeafNode.extensions`.

mod checks;
mod context;
mod error;

use std::fmt;

use keypackage_traits::{CipherSuiteProvider, CryptoError, OpenMlsCrypto};

pub(crate) use checks::check_credential_structure;
pub use context::{
    AcceptAnyCredential, CredentialInput, CredentialRejected, CredentialRejection,
    CredentialValidator, ExtensionBodyValidator, GroupParameters, RecognisedExtension,
    RequiredCapabilities, ValidationContext,
};
pub use error::ValidationError;

use crate::key_package::{KeyPackage, KeyPackageIn, check_encoded_len};
use crate::labeled::{self, KEY_PACKAGE_TBS_LABEL, LEAF_NODE_TBS_LABEL};
use crate::message::MlsMessageIn;

fn internal(e: impl fmt::Display) -> ValidationError {
    ValidationError::Internal {
        detail: e.to_string(),
    }
}

/// A key package's one encoding and what its two signatures cover.
pub(crate) struct SignedContent {
    /// The full encoding, for the reference.
    pub(crate) encoded: Vec<u8>,
    /// `SignContent("LeafNodeTBS", LeafNodeTBS)`.
    leaf: Vec<u8>,
    /// `SignContent("KeyPackageTBS", KeyPackageTBS)`, `None` when the TBS is
    /// too long to be signed.
    key_package: Option<Vec<u8>>,
}

impl SignedContent {
    /// Appends the [`CipherSuiteProvider::verify_each`] items of `kp`'s
    /// signatures under `key`: the leaf's, then the key package's.
    pub(crate) fn push_items<'a, K>(
        &'a self,
        kp: &'a KeyPackageIn,
        key: &'a K,
        items: &mut Vec<(&'a K, &'a [u8], &'a [u8])>,
    ) {
        items.push((key, &self.leaf, kp.leaf_node.signature.as_slice()));
        if let Some(content) = &self.key_package {
            items.push((key, content, kp.signature.as_slice()));
        }
    }

    /// KP-LEAF-SIG (§7.3), then KP-SIG (§10.1), from the verdicts of the
    /// items [`SignedContent::push_items`] appended, in that order.
    pub(crate) fn judge(
        &self,
        verdicts: &[Result<(), CryptoError>],
    ) -> Result<(), ValidationError> {
        // VerifyWithLabel(signature_key, "LeafNodeTBS", LeafNodeTBS).
        if !matches!(verdicts.first(), Some(Ok(()))) {
            return Err(ValidationError::LeafSignature);
        }
        // VerifyWithLabel(signature_key, "KeyPackageTBS", KeyPackageTBS).
        if self.key_package.is_none() || !matches!(verdicts.get(1), Some(Ok(()))) {
            return Err(ValidationError::Signature);
        }
        Ok(())
    }
}

impl KeyPackageIn {
    /// Validates the key package under `ctx` with `crypto`, yielding the
    /// trusted [`KeyPackage`] and its reference. See the module docs for
    /// the order of the rules.
    pub fn validate<C: OpenMlsCrypto>(
        self,
        crypto: &C,
        ctx: &ValidationContext<'_>,
    ) -> Result<KeyPackage, ValidationError> {
        let suite = self.check_before_signatures(crypto, ctx)?;
        // KP-SIG-KEY: parsed once, used for both signatures.
        let key = suite
            .verifying_key(&self.leaf_node.signature_key)
            .map_err(ValidationError::SignatureKey)?;
        self.check_signatures_and_finish(&suite, &key, ctx)
    }

    /// The rest of [`KeyPackageIn::validate`] once the suite is known, every
    /// rule before the signatures holds and `key` is the parsed
    /// `leaf_node.signature_key`: both signatures, the credential, the
    /// reference. Batch validation runs the same three steps
    /// ([`KeyPackageIn::signed_content`], [`SignedContent::judge`],
    /// `finish`), with the signatures of many key packages in one
    /// [`CipherSuiteProvider::verify_each`] call.
    pub(crate) fn check_signatures_and_finish<S: CipherSuiteProvider>(
        self,
        suite: &S,
        key: &S::VerifyingKey,
        ctx: &ValidationContext<'_>,
    ) -> Result<KeyPackage, ValidationError> {
        let signed = self.signed_content()?;
        let mut items = Vec::with_capacity(2);
        signed.push_items(&self, key, &mut items);
        let verdicts = suite.verify_each(&items);
        signed.judge(&verdicts)?;
        self.finish(suite, ctx, &signed.encoded)
    }

    /// Encodes the key package once and builds from that encoding the
    /// `SignContent` of both signatures.
    pub(crate) fn signed_content(&self) -> Result<SignedContent, ValidationError> {
        let (encoded, spans) = self.encode_spans().map_err(internal)?;
        // KP-DECODE (§2.1.2, §5.2): a key package longer than any opaque<V>
        // can have no reference; refused before any signature work.
        check_encoded_len(encoded.len())?;
        let leaf_tbs = encoded
            .get(spans.leaf_start..spans.leaf_tbs_end)
            .ok_or_else(|| internal("span"))?;
        let tbs = encoded
            .get(..spans.tbs_end)
            .ok_or_else(|| internal("span"))?;
        // A TBS too long for a SignContent cannot be signed: its signature
        // does not verify (KP-LEAF-SIG, or KP-SIG after the leaf verdict).
        let leaf = labeled::sign_content(LEAF_NODE_TBS_LABEL, leaf_tbs)
            .map_err(|_| ValidationError::LeafSignature)?;
        let key_package = labeled::sign_content(KEY_PACKAGE_TBS_LABEL, tbs).ok();
        Ok(SignedContent {
            encoded,
            leaf,
            key_package,
        })
    }

    /// Validates an `MLSMessage` carrying a key package: decoding (KP-DECODE),
    /// the message version (KP-VER: mls10, and equal to the key package's),
    /// then [`KeyPackageIn::validate`].
    pub fn validate_message<C: OpenMlsCrypto>(
        bytes: &[u8],
        crypto: &C,
        ctx: &ValidationContext<'_>,
    ) -> Result<KeyPackage, ValidationError> {
        let (version, kp) = MlsMessageIn::decode_key_package(bytes)?;
        // KP-VER (§6, §10): the message's version is the expected one and
        // the key package's version equals it.
        if version != ctx.expected_version {
            return Err(ValidationError::Version {
                found: version,
                expected: ctx.expected_version,
            });
        }
        if kp.version != version {
            return Err(ValidationError::Version {
                found: kp.version,
                expected: version,
            });
        }
        kp.validate(crypto, ctx)
    }

    /// Every rule before the signatures; returns the suite provider.
    pub(crate) fn check_before_signatures<C: OpenMlsCrypto>(
        &self,
        crypto: &C,
        ctx: &ValidationContext<'_>,
    ) -> Result<C::Suite, ValidationError> {
        // KP-VER (§10): a supported version, the one expected.
        if self.version != ctx.expected_version {
            return Err(ValidationError::Version {
                found: self.version,
                expected: ctx.expected_version,
            });
        }
        // KP-SUITE: decided before any signature work.
        let suite = match crypto.suite(self.cipher_suite) {
            Ok(suite) => suite,
            Err(CryptoError::UnsupportedCipherSuite { cipher_suite: cs }) => {
                return Err(ValidationError::UnsupportedCipherSuite { cipher_suite: cs });
            }
            Err(e) => return Err(internal(e)),
        };
        // KP-GROUP-SUITE (§10.1).
        if let Some(group) = ctx.group
            && (self.cipher_suite, self.version) != (group.cipher_suite, group.version)
        {
            return Err(ValidationError::GroupMismatch {
                found: (self.cipher_suite, self.version),
                expected: (group.cipher_suite, group.version),
            });
        }
        checks::check_structure(self, ctx)?;
        checks::check_lifetime(self, ctx)?;
        // KP-DISTINCT (§10.1).
        if self.init_key == self.leaf_node.encryption_key {
            return Err(ValidationError::InitKeyEqualsEncryptionKey);
        }
        // KP-INIT-KEY, KP-ENC-KEY (§10): valid HPKE public keys for the suite.
        suite
            .validate_hpke_public_key(&self.init_key)
            .map_err(ValidationError::InitKey)?;
        suite
            .validate_hpke_public_key(&self.leaf_node.encryption_key)
            .map_err(ValidationError::EncryptionKey)?;
        Ok(suite)
    }

    /// After the signatures: the credential validator (KP-CREDENTIAL), then
    /// the reference.
    pub(crate) fn finish<S: CipherSuiteProvider>(
        self,
        suite: &S,
        ctx: &ValidationContext<'_>,
        encoded: &[u8],
    ) -> Result<KeyPackage, ValidationError> {
        // KP-EXT-BODY for the types the application registered with a check.
        checks::check_registered_bodies(&self, ctx)?;
        // KP-CREDENTIAL (§5.3.1): the application vouches for the identity,
        // shown the suite so that it can check the credential's algorithm
        // (§5.1.2) and the time at which to judge it.
        let input = CredentialInput {
            credential: &self.leaf_node.credential,
            signature_key: &self.leaf_node.signature_key,
            cipher_suite: self.cipher_suite,
            signature_scheme: suite.info().signature,
            now: ctx.now,
        };
        ctx.credential_validator
            .validate(&input)
            .map_err(ValidationError::Credential)?;
        let reference = labeled::key_package_ref(suite, encoded).map_err(internal)?;
        Ok(KeyPackage::new_trusted(self, reference))
    }
}
