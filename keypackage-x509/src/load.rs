//! Reading certificates and CRLs from PEM or DER.

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer};

use crate::error::X509Error;

/// Whether `bytes` look like PEM text rather than DER.
pub(crate) fn is_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Every `CERTIFICATE` of a PEM text, in file order (DER each).
pub fn certificates_from_pem(pem: &[u8]) -> Result<Vec<Vec<u8>>, X509Error> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .map(|c| c.map(|c| c.as_ref().to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| X509Error::Pem(e.to_string()))?;
    if certificates.is_empty() {
        return Err(X509Error::Missing("certificate"));
    }
    Ok(certificates)
}

/// The certificates of a file: every `CERTIFICATE` of PEM text in file
/// order, or one DER certificate. Each must parse
/// ([`crate::CertificateInfo::parse`]), so a typo fails here and not at
/// the peer.
pub fn load_certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, X509Error> {
    let certificates = if is_pem(bytes) {
        certificates_from_pem(bytes)?
    } else if bytes.is_empty() {
        return Err(X509Error::Missing("certificate"));
    } else {
        vec![bytes.to_vec()]
    };
    for certificate in &certificates {
        crate::CertificateInfo::parse(certificate)?;
    }
    Ok(certificates)
}

/// The CRLs of a file: every `X509 CRL` of PEM text, or one DER CRL.
pub fn load_crls(bytes: &[u8]) -> Result<Vec<Vec<u8>>, X509Error> {
    let crls = if is_pem(bytes) {
        CertificateRevocationListDer::pem_slice_iter(bytes)
            .map(|c| c.map(|c| c.as_ref().to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| X509Error::Pem(e.to_string()))?
    } else if bytes.is_empty() {
        Vec::new()
    } else {
        vec![bytes.to_vec()]
    };
    if crls.is_empty() {
        return Err(X509Error::Missing("CRL"));
    }
    Ok(crls)
}
