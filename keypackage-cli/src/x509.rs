//! X.509 credentials in `kp`, through keypackage-x509: the signer of
//! `generate --certificate --private-key`, the credential check of
//! `validate --trust-anchors [--crl]`, and the certificate lines of
//! `inspect` (docs/DESIGN.md §11).

use std::path::{Path, PathBuf};

use keypackage_core::traits::{CipherSuite, CipherSuiteProvider, OpenMlsCrypto};
use keypackage_core::{Credential, CredentialInput, CredentialRejected, CredentialValidator};
use keypackage_x509::{CertificateInfo, TrustAnchors, X509CredentialValidator, X509Signer};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::error::CliError;
use crate::time::rfc3339;

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::io("cannot read", Some(path), &e))
}

/// The signer of `kp generate --certificate CHAIN --private-key KEY`: the
/// chain in file order (end entity first), the key bound to it. A key that
/// is not the certificate's, or a certificate or key whose algorithm is
/// not the suite's, is a usage error.
pub(crate) fn signer<C>(
    crypto: &C,
    suite: CipherSuite,
    certificate: &Path,
    private_key: &Path,
) -> Result<X509Signer<<C::Suite as CipherSuiteProvider>::Signer>, CliError>
where
    C: OpenMlsCrypto,
{
    let chain = read(certificate)?;
    let key = Zeroizing::new(read(private_key)?);
    X509Signer::from_files(crypto, suite, &chain, &key).map_err(|e| {
        CliError::usage(format!(
            "--certificate {} with --private-key {}: {e}",
            certificate.display(),
            private_key.display()
        ))
    })
}

/// `kp validate --trust-anchors`: x509 credentials are path-validated;
/// other credential types are not checked, as without the flag.
pub(crate) struct X509Only {
    validator: X509CredentialValidator,
}

impl CredentialValidator for X509Only {
    fn validate(&self, input: &CredentialInput<'_>) -> Result<(), CredentialRejected> {
        match input.credential {
            Credential::X509 { .. } => self.validator.validate(input),
            _ => Ok(()),
        }
    }
}

/// The validator of `--trust-anchors ROOTS [--crl FILE]...`; a file that
/// holds no certificate (or CRL), or does not decode, is a usage error.
pub(crate) fn validator<C>(
    crypto: &C,
    anchors: &Path,
    crls: &[PathBuf],
) -> Result<X509Only, CliError>
where
    C: OpenMlsCrypto,
    C::Suite: 'static,
{
    let anchors_bytes = read(anchors)?;
    let roots = TrustAnchors::from_pem_or_der(&anchors_bytes)
        .map_err(|e| CliError::usage(format!("--trust-anchors {}: {e}", anchors.display())))?;
    let mut validator = X509CredentialValidator::new(crypto, roots);
    for crl in crls {
        validator
            .add_crls(&read(crl)?)
            .map_err(|e| CliError::usage(format!("--crl {}: {e}", crl.display())))?;
    }
    Ok(X509Only { validator })
}

/// `inspect`: what one certificate says, as `key: value` lines (without
/// indent); one `error:` line for a certificate that does not decode.
pub(crate) fn certificate_lines(der: &[u8]) -> Vec<String> {
    let info = match CertificateInfo::parse(der) {
        Ok(info) => info,
        Err(e) => return vec![format!("error: {e}")],
    };
    let sans: Vec<String> = info
        .subject_alt_names
        .iter()
        .map(ToString::to_string)
        .collect();
    vec![
        format!("subject: {}", info.subject),
        format!("issuer: {}", info.issuer),
        format!(
            "not_before: {} ({})",
            rfc3339(info.not_before),
            info.not_before
        ),
        format!(
            "not_after: {} ({})",
            rfc3339(info.not_after),
            info.not_after
        ),
        format!(
            "subject_alt_names: {}",
            if sans.is_empty() {
                "(none)".to_owned()
            } else {
                sans.join(", ")
            }
        ),
        format!("public_key: {}", info.public_key_algorithm),
        format!("ca: {}", if info.is_ca() { "yes" } else { "no" }),
    ]
}

/// `inspect --json`: the same, as an object (`{"error": ...}` for a
/// certificate that does not decode).
pub(crate) fn certificate_json(der: &[u8]) -> Value {
    let info = match CertificateInfo::parse(der) {
        Ok(info) => info,
        Err(e) => return json!({ "error": e.to_string() }),
    };
    json!({
        "subject": info.subject.to_string(),
        "issuer": info.issuer.to_string(),
        "serial": info.serial,
        "not_before": info.not_before,
        "not_after": info.not_after,
        "not_before_rfc3339": rfc3339(info.not_before),
        "not_after_rfc3339": rfc3339(info.not_after),
        "subject_alt_names": info
            .subject_alt_names
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        "public_key_algorithm": info.public_key_algorithm.to_string(),
        "ca": info.is_ca(),
        "key_usage": info.key_usage.map(|k| k.names()),
        "extended_key_usage": info.extended_key_usage,
    })
}
