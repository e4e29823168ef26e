//! The labeled operations of RFC 9420 §5 and §8, generic over the backend.
//!
//! Every label gets the prefix `"MLS 1.0 "` except where RFC 9420 gives the
//! full string (RefHash's `"MLS 1.0 KeyPackage Reference"`).

use keypackage_traits::codec::{prefixed_len, write_varint};
use keypackage_traits::{
    CipherSuiteProvider, CryptoError, HpkeCiphertext, HpkePrivateKey, HpkePublicKey, KeyPackageRef,
    Secret, Signer,
};

use crate::error::LabeledError;

/// The prefix of every MLS 1.0 label.
pub const LABEL_PREFIX: &[u8] = b"MLS 1.0 ";

/// The RefHash label of key packages (RFC 9420 §5.2).
pub const KEY_PACKAGE_REF_LABEL: &[u8] = b"MLS 1.0 KeyPackage Reference";

/// Label of the LeafNode signature (RFC 9420 §7.2).
pub const LEAF_NODE_TBS_LABEL: &[u8] = b"LeafNodeTBS";

/// Label of the KeyPackage signature (RFC 9420 §10).
pub const KEY_PACKAGE_TBS_LABEL: &[u8] = b"KeyPackageTBS";

/// Label of the Welcome's EncryptWithLabel (RFC 9420 §12.4.3.1).
pub const WELCOME_LABEL: &[u8] = b"Welcome";

/// Appends `opaque value<V>` to `out`.
fn push_prefixed(out: &mut Vec<u8>, parts: &[&[u8]]) -> Result<(), LabeledError> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    write_varint(len, out)?;
    for part in parts {
        out.extend_from_slice(part);
    }
    Ok(())
}

/// `struct { opaque label<V>; opaque content<V>; }` with label
/// `"MLS 1.0 " + label`: the SignContent, EncryptContext and (with a
/// full label) RefHashInput encodings.
fn labeled_pair(prefix: &[u8], label: &[u8], content: &[u8]) -> Result<Vec<u8>, LabeledError> {
    let label_len = prefix.len() + label.len();
    let mut out = Vec::with_capacity(prefixed_len(label_len) + prefixed_len(content.len()));
    push_prefixed(&mut out, &[prefix, label])?;
    push_prefixed(&mut out, &[content])?;
    Ok(out)
}

/// The `SignContent` encoding for `label` (without prefix) and `content`.
pub fn sign_content(label: &[u8], content: &[u8]) -> Result<Vec<u8>, LabeledError> {
    labeled_pair(LABEL_PREFIX, label, content)
}

/// `SignWithLabel(SignatureKey, Label, Content)` (RFC 9420 §5.1.2).
pub fn sign_with_label<G: Signer + ?Sized>(
    signer: &G,
    label: &[u8],
    content: &[u8],
) -> Result<Vec<u8>, LabeledError> {
    Ok(signer.sign(&sign_content(label, content)?)?)
}

/// `VerifyWithLabel(VerificationKey, Label, Content, SignatureValue)` under a
/// parsed key (RFC 9420 §5.1.2).
pub fn verify_with_label<S: CipherSuiteProvider>(
    suite: &S,
    key: &S::VerifyingKey,
    label: &[u8],
    content: &[u8],
    signature: &[u8],
) -> Result<(), LabeledError> {
    Ok(suite.verify_with(key, &sign_content(label, content)?, signature)?)
}

/// `EncryptWithLabel(PublicKey, Label, Context, Plaintext)` (RFC 9420 §5.1.3).
pub fn encrypt_with_label<S: CipherSuiteProvider>(
    suite: &S,
    public: &HpkePublicKey,
    label: &[u8],
    context: &[u8],
    plaintext: &[u8],
) -> Result<HpkeCiphertext, LabeledError> {
    let info = labeled_pair(LABEL_PREFIX, label, context)?;
    Ok(suite.hpke_seal(public, &info, &[], plaintext)?)
}

/// `DecryptWithLabel(PrivateKey, Label, Context, KEMOutput, Ciphertext)`
/// (RFC 9420 §5.1.3).
pub fn decrypt_with_label<S: CipherSuiteProvider>(
    suite: &S,
    private: &HpkePrivateKey,
    label: &[u8],
    context: &[u8],
    ciphertext: &HpkeCiphertext,
) -> Result<Secret, LabeledError> {
    let info = labeled_pair(LABEL_PREFIX, label, context)?;
    Ok(suite.hpke_open(
        private,
        ciphertext.kem_output.as_slice(),
        &info,
        &[],
        ciphertext.ciphertext.as_slice(),
    )?)
}

/// `RefHash(label, value)` (RFC 9420 §5.2); `label` is used as given.
pub fn ref_hash<S: CipherSuiteProvider>(
    suite: &S,
    label: &[u8],
    value: &[u8],
) -> Result<Vec<u8>, LabeledError> {
    Ok(suite.hash(&labeled_pair(&[], label, value)?)?)
}

/// `MakeKeyPackageRef(value)` (RFC 9420 §5.2) of an encoded KeyPackage.
pub fn key_package_ref<S: CipherSuiteProvider>(
    suite: &S,
    encoded_key_package: &[u8],
) -> Result<KeyPackageRef, LabeledError> {
    Ok(KeyPackageRef::new(ref_hash(
        suite,
        KEY_PACKAGE_REF_LABEL,
        encoded_key_package,
    )?))
}

/// `ExpandWithLabel(Secret, Label, Context, Length)` (RFC 9420 §8).
pub fn expand_with_label<S: CipherSuiteProvider>(
    suite: &S,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    length: u16,
) -> Result<Secret, LabeledError> {
    let mut info = Vec::with_capacity(
        2 + prefixed_len(LABEL_PREFIX.len() + label.len()) + prefixed_len(context.len()),
    );
    info.extend_from_slice(&length.to_be_bytes());
    push_prefixed(&mut info, &[LABEL_PREFIX, label])?;
    push_prefixed(&mut info, &[context])?;
    Ok(suite.kdf_expand(secret, &info, usize::from(length))?)
}

/// `DeriveSecret(Secret, Label)` = `ExpandWithLabel(Secret, Label, "", Nh)`
/// (RFC 9420 §8).
pub fn derive_secret<S: CipherSuiteProvider>(
    suite: &S,
    secret: &[u8],
    label: &[u8],
) -> Result<Secret, LabeledError> {
    let nh = u16::try_from(suite.info().hash_len()).map_err(|_| CryptoError::Internal {
        detail: "hash length exceeds u16",
    })?;
    expand_with_label(suite, secret, label, &[], nh)
}

/// `DeriveTreeSecret(Secret, Label, Generation, Length)` =
/// `ExpandWithLabel(Secret, Label, Generation as uint32, Length)` (RFC 9420 §9).
pub fn derive_tree_secret<S: CipherSuiteProvider>(
    suite: &S,
    secret: &[u8],
    label: &[u8],
    generation: u32,
    length: u16,
) -> Result<Secret, LabeledError> {
    expand_with_label(suite, secret, label, &generation.to_be_bytes(), length)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_content_layout_matches_rfc_9420() {
        let encoded = sign_content(b"LeafNodeTBS", &[0xAA, 0xBB]).unwrap();
        let mut expected = vec![19];
        expected.extend_from_slice(b"MLS 1.0 LeafNodeTBS");
        expected.extend_from_slice(&[2, 0xAA, 0xBB]);
        assert_eq!(encoded, expected);
    }
}
