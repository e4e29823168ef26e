//! Certificate signature verification with our own backends: each
//! algorithm rustls-webpki may use is one suite provider of the caller's
//! [`OpenMlsCrypto`], so the ring build verifies certificates with ring and
//! the RustCrypto build with RustCrypto (docs/DESIGN.md §11).
//!
//! The pairs are exactly those of the MLS suites (RFC 9420 §17.1): Ed25519,
//! Ed448, ECDSA P-256 with SHA-256, P-384 with SHA-384, P-521 with SHA-512.
//! A certificate signed with another pair (P-384 key with SHA-256, RSA, …)
//! does not verify ([`keypackage_core::CredentialRejection::Unsupported`]).

use std::fmt;

use keypackage_core::traits::suite::SUITES;
use keypackage_core::traits::{
    CipherSuiteProvider, OpenMlsCrypto, SignaturePublicKey, SignatureScheme,
};
use rustls_pki_types::{
    AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm, alg_id,
};

/// The (scheme, public key algorithm, signature algorithm) triples we
/// accept in certificates and CRLs.
const PAIRS: [(SignatureScheme, AlgorithmIdentifier, AlgorithmIdentifier); 5] = [
    (SignatureScheme::Ed25519, alg_id::ED25519, alg_id::ED25519),
    (SignatureScheme::Ed448, alg_id::ED448, alg_id::ED448),
    (
        SignatureScheme::EcdsaSecp256r1Sha256,
        alg_id::ECDSA_P256,
        alg_id::ECDSA_SHA256,
    ),
    (
        SignatureScheme::EcdsaSecp384r1Sha384,
        alg_id::ECDSA_P384,
        alg_id::ECDSA_SHA384,
    ),
    (
        SignatureScheme::EcdsaSecp521r1Sha512,
        alg_id::ECDSA_P521,
        alg_id::ECDSA_SHA512,
    ),
];

/// One signature algorithm, verified by a suite provider whose signature
/// scheme it is.
struct BackendAlgorithm<P> {
    provider: P,
    scheme: SignatureScheme,
    public_key_alg_id: AlgorithmIdentifier,
    signature_alg_id: AlgorithmIdentifier,
}

impl<P> fmt::Debug for BackendAlgorithm<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BackendAlgorithm({:?})", self.scheme)
    }
}

impl<P: CipherSuiteProvider> SignatureVerificationAlgorithm for BackendAlgorithm<P> {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        // `verifying_key` applies the backend's key checks (uncompressed,
        // on-curve points; the Ed25519 policy), `verify_with` the
        // signature's (DER ECDSA, docs/DESIGN.md §5.7; §5.6 for Ed25519).
        let key = self
            .provider
            .verifying_key(&SignaturePublicKey::from(public_key))
            .map_err(|_| InvalidSignature)?;
        self.provider
            .verify_with(&key, message, signature)
            .map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.public_key_alg_id
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.signature_alg_id
    }
}

/// The algorithms `crypto` can verify, and the schemes they are.
pub(crate) struct Algorithms {
    algorithms: Vec<Box<dyn SignatureVerificationAlgorithm>>,
    schemes: Vec<SignatureScheme>,
}

impl fmt::Debug for Algorithms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.schemes).finish()
    }
}

impl Algorithms {
    /// For each pair, the first suite of `crypto` with that signature
    /// scheme verifies it; a scheme the backend has no suite for is left out.
    pub(crate) fn new<C>(crypto: &C) -> Self
    where
        C: OpenMlsCrypto,
        C::Suite: 'static,
    {
        let mut algorithms: Vec<Box<dyn SignatureVerificationAlgorithm>> = Vec::new();
        let mut schemes = Vec::new();
        for (scheme, public_key_alg_id, signature_alg_id) in PAIRS {
            let provider = SUITES
                .iter()
                .filter(|row| row.signature == scheme)
                .find_map(|row| crypto.suite(row.suite).ok());
            if let Some(provider) = provider {
                algorithms.push(Box::new(BackendAlgorithm {
                    provider,
                    scheme,
                    public_key_alg_id,
                    signature_alg_id,
                }));
                schemes.push(scheme);
            }
        }
        Self {
            algorithms,
            schemes,
        }
    }

    pub(crate) fn as_refs(&self) -> Vec<&dyn SignatureVerificationAlgorithm> {
        self.algorithms.iter().map(|a| a.as_ref()).collect()
    }

    pub(crate) fn schemes(&self) -> &[SignatureScheme] {
        &self.schemes
    }
}
