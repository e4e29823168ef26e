//! Helpers for tests, tools and fuzzing (feature `test-utils`, which
//! `fuzzing` implies): re-signing a changed key package, its encoding with
//! the spans the signatures cover, and fixture bodies. Off by default, so a
//! user's build has no way to sign arbitrary key package contents.

use keypackage_traits::Signer;
use keypackage_traits::codec::VarBytes;

use crate::builder::CreationError;
use crate::error::EncodeError;
use crate::key_package::{KeyPackageIn, SignedSpans};
use crate::labeled::{self, KEY_PACKAGE_TBS_LABEL, LEAF_NODE_TBS_LABEL};

/// Encodes an `app_data_dictionary` body holding only the last-resort
/// component (16-bit `ComponentID` 0x0004, empty data).
pub fn app_data_dictionary_last_resort() -> Vec<u8> {
    // component_data<V> = [ { component_id: 0x0004, data: <empty> } ] = 3 bytes.
    vec![0x03, 0x00, 0x04, 0x00]
}

impl KeyPackageIn {
    /// The full encoding and where `LeafNodeTBS` and `KeyPackageTBS` sit in
    /// it (what validation signs and verifies).
    pub fn encode_with_spans(&self) -> Result<(Vec<u8>, SignedSpans), EncodeError> {
        self.encode_spans()
    }

    /// Writes `KeyPackageTBS`.
    pub fn serialize_tbs<W: std::io::Write>(
        &self,
        writer: &mut W,
    ) -> Result<usize, tls_codec::Error> {
        self.write_tbs(writer)
    }

    /// Signs the leaf node again (`LeafNodeTBS`, RFC 9420 §7.2) with
    /// `signer`, after its fields were changed. The key package signature
    /// must then be renewed too ([`KeyPackageIn::sign_key_package`]).
    ///
    /// Inside a key package the leaf is signed without group context: the
    /// TBS is the leaf's content, as validation computes it, whatever
    /// `leaf_node_source` says (so a test can re-sign a leaf whose source it
    /// changed, and see KP-LEAF-SOURCE rather than a signature failure).
    pub fn sign_leaf_node<G: Signer + ?Sized>(&mut self, signer: &G) -> Result<(), CreationError> {
        let mut tbs = Vec::with_capacity(self.leaf_node.content_len());
        self.leaf_node.serialize_content(&mut tbs)?;
        self.leaf_node.signature =
            VarBytes(labeled::sign_with_label(signer, LEAF_NODE_TBS_LABEL, &tbs)?);
        Ok(())
    }

    /// Signs the key package again (`KeyPackageTBS`, RFC 9420 §10).
    pub fn sign_key_package<G: Signer + ?Sized>(
        &mut self,
        signer: &G,
    ) -> Result<(), CreationError> {
        let mut tbs = Vec::with_capacity(self.tbs_len());
        self.write_tbs(&mut tbs)?;
        self.signature = VarBytes(labeled::sign_with_label(
            signer,
            KEY_PACKAGE_TBS_LABEL,
            &tbs,
        )?);
        Ok(())
    }

    /// Both signatures again, leaf first. For tools and tests that change a
    /// field and want the change, not a broken signature, to be judged.
    pub fn resign<G: Signer + ?Sized>(&mut self, signer: &G) -> Result<(), CreationError> {
        self.sign_leaf_node(signer)?;
        self.sign_key_package(signer)
    }
}
