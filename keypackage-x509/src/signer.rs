//! Making X.509 key packages: a [`Signer`] that carries its certificate
//! chain, built from the backend's own signer and checked against the
//! end-entity certificate (RFC 9420 §5.3.1, §5.1.2).

use keypackage_core::traits::{
    CipherSuite, CipherSuiteProvider, CryptoError, OpenMlsCrypto, SignaturePublicKey,
    SignatureScheme, Signer,
};
use keypackage_core::{
    Certificate, CreationError, Credential, KeyPackageBuilder, KeyPackageBundle,
};

use crate::cert::CertificateInfo;
use crate::error::X509Error;
use crate::key::PrivateKey;
use crate::load::load_certificates;

/// An `x509` credential of `chain` (DER certificates, end entity first).
pub fn x509_credential<I, B>(chain: I) -> Credential
where
    I: IntoIterator<Item = B>,
    B: Into<Vec<u8>>,
{
    Credential::X509 {
        certificates: chain
            .into_iter()
            .map(|der| Certificate {
                cert_data: der.into().into(),
            })
            .collect::<Vec<_>>()
            .into(),
    }
}

/// A signer bound to a certificate chain: the key is the end-entity
/// certificate's, of the scheme the certificate names. Use it with
/// [`BuildX509::build_x509`], or pass [`X509Signer::credential`] and the
/// signer to [`KeyPackageBuilder::build`].
#[derive(Debug)]
pub struct X509Signer<S> {
    inner: S,
    chain: Vec<Vec<u8>>,
    end_entity: CertificateInfo,
}

impl<S: Signer> X509Signer<S> {
    /// Binds any signer (an in-memory key, a platform key store, an HSM)
    /// to `chain` (DER, end entity first): the end-entity certificate's key
    /// must be of the signer's scheme and equal its public key.
    pub fn new(signer: S, chain: Vec<Vec<u8>>) -> Result<Self, X509Error> {
        let end_entity = end_entity(&chain)?;
        check_certificate_algorithm(&end_entity, signer.signature_scheme())?;
        if end_entity.public_key.as_slice() != signer.public_key().as_slice() {
            return Err(X509Error::KeyMismatch);
        }
        Ok(Self {
            inner: signer,
            chain,
            end_entity,
        })
    }

    /// The `x509` credential: the chain, end entity first.
    pub fn credential(&self) -> Credential {
        x509_credential(self.chain.iter().cloned())
    }

    /// The chain, DER, end entity first.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// The end-entity certificate.
    pub fn end_entity(&self) -> &CertificateInfo {
        &self.end_entity
    }

    /// The wrapped signer.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: Signer> X509Signer<S> {
    /// The backend's own signer for `key`, in `cipher_suite`, bound to
    /// `chain`. Refused, before any signing: a suite the backend does not
    /// have; a key or a certificate whose algorithm is not the suite's
    /// signature scheme; a key that is not the certificate's.
    pub fn from_private_key<C>(
        crypto: &C,
        cipher_suite: CipherSuite,
        chain: Vec<Vec<u8>>,
        key: &PrivateKey,
    ) -> Result<Self, X509Error>
    where
        C: OpenMlsCrypto,
        C::Suite: CipherSuiteProvider<Signer = S>,
    {
        let provider = crypto.suite(cipher_suite)?;
        let scheme = provider.info().signature;
        let end_entity = end_entity(&chain)?;
        check_certificate_algorithm(&end_entity, scheme)?;
        if key.scheme() != scheme {
            return Err(X509Error::KeyAlgorithmMismatch {
                key: key.scheme(),
                suite: scheme,
            });
        }
        let signer = provider.signer(key.secret())?;
        if let Some(public) = key.embedded_public()
            && public != signer.public_key().as_slice()
        {
            return Err(X509Error::InconsistentKey);
        }
        Self::new(signer, chain)
    }

    /// [`from_private_key`](Self::from_private_key) from file contents: the
    /// chain as PEM (end entity first, in file order) or one DER
    /// certificate; the key as PEM or DER PKCS#8 (or SEC1 for ECDSA).
    pub fn from_files<C>(
        crypto: &C,
        cipher_suite: CipherSuite,
        chain: &[u8],
        key: &[u8],
    ) -> Result<Self, X509Error>
    where
        C: OpenMlsCrypto,
        C::Suite: CipherSuiteProvider<Signer = S>,
    {
        let chain = load_certificates(chain)?;
        let key = if crate::load::is_pem(key) {
            PrivateKey::from_pem(key)?
        } else {
            PrivateKey::from_der(key)?
        };
        Self::from_private_key(crypto, cipher_suite, chain, &key)
    }
}

impl<S: Signer> Signer for X509Signer<S> {
    fn signature_scheme(&self) -> SignatureScheme {
        self.inner.signature_scheme()
    }

    fn public_key(&self) -> &SignaturePublicKey {
        self.inner.public_key()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.inner.sign(message)
    }
}

/// Key packages with an `x509` credential.
pub trait BuildX509 {
    /// Makes one key package whose credential is `signer`'s chain, signed
    /// with its key.
    fn build_x509<C: OpenMlsCrypto, S: Signer>(
        &self,
        crypto: &C,
        cipher_suite: CipherSuite,
        signer: &X509Signer<S>,
    ) -> Result<KeyPackageBundle, CreationError>;
}

impl BuildX509 for KeyPackageBuilder {
    fn build_x509<C: OpenMlsCrypto, S: Signer>(
        &self,
        crypto: &C,
        cipher_suite: CipherSuite,
        signer: &X509Signer<S>,
    ) -> Result<KeyPackageBundle, CreationError> {
        self.build(crypto, cipher_suite, signer.credential(), signer)
    }
}

/// The end entity of `chain`, once every certificate parsed and the chain
/// is in the order RFC 9420 §5.3 requires.
fn end_entity(chain: &[Vec<u8>]) -> Result<CertificateInfo, X509Error> {
    let parsed = chain
        .iter()
        .map(|der| CertificateInfo::parse(der))
        .collect::<Result<Vec<_>, _>>()?;
    crate::validator::check_chain_order(&parsed).map_err(|detail| X509Error::Malformed {
        what: "certificate chain",
        detail,
    })?;
    parsed.into_iter().next().ok_or(X509Error::Missing {
        what: "certificate",
    })
}

/// RFC 9420 §5.1.2: the end-entity key is of the suite's scheme.
fn check_certificate_algorithm(
    end_entity: &CertificateInfo,
    scheme: SignatureScheme,
) -> Result<(), X509Error> {
    if end_entity.public_key_algorithm.signature_scheme() == Some(scheme) {
        Ok(())
    } else {
        Err(X509Error::CertificateAlgorithmMismatch {
            certificate: end_entity.public_key_algorithm.to_string(),
            suite: scheme,
        })
    }
}
