//! The X.509 [`CredentialValidator`]: the MLS checks of RFC 9420 §5.3.1
//! and §5.1.2 on the end-entity certificate, then certificate path
//! validation (RFC 5280 §6) by rustls-webpki with our backends' signature
//! algorithms, then the application's identity rule (docs/DESIGN.md §11).

use std::fmt;
use std::time::Duration;

use const_oid::ObjectIdentifier;
use keypackage_core::traits::{OpenMlsCrypto, SignatureScheme};
use keypackage_core::{
    Credential, CredentialInput, CredentialRejected, CredentialRejection, CredentialValidator,
};
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use webpki::{
    CertRevocationList, EndEntityCert, ExpirationPolicy, ExtendedKeyUsageValidator, KeyPurposeId,
    KeyPurposeIdIter, OwnedCertRevocationList, RevocationCheckDepth, RevocationOptionsBuilder,
    UnknownStatusPolicy,
};

use crate::algorithms::Algorithms;
use crate::cert::{CertificateInfo, format_time};
use crate::error::X509Error;
use crate::load::{certificates_from_pem, is_pem, load_crls};
use crate::name::{DistinguishedName, X509Identity};
use crate::oid;

/// The certificates an application trusts to issue credentials (RFC 5280
/// §6.1.1 (d): the trust anchor information). Their own signatures and
/// validity are not checked: trusting one is the application's decision.
#[derive(Default)]
pub struct TrustAnchors {
    anchors: Vec<TrustAnchor<'static>>,
    subjects: Vec<DistinguishedName>,
}

impl fmt::Debug for TrustAnchors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.subjects.iter().map(ToString::to_string))
            .finish()
    }
}

impl TrustAnchors {
    /// No anchor: every credential is refused (unknown issuer).
    pub fn new() -> Self {
        Self::default()
    }

    /// Every `CERTIFICATE` of a PEM text, or one DER certificate.
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<Self, X509Error> {
        let mut anchors = Self::new();
        if is_pem(bytes) {
            for der in certificates_from_pem(bytes)? {
                anchors.add_der(&der)?;
            }
        } else {
            anchors.add_der(bytes)?;
        }
        Ok(anchors)
    }

    /// Every `CERTIFICATE` of a PEM text.
    pub fn from_pem(pem: &[u8]) -> Result<Self, X509Error> {
        let mut anchors = Self::new();
        for der in certificates_from_pem(pem)? {
            anchors.add_der(&der)?;
        }
        Ok(anchors)
    }

    /// DER certificates.
    pub fn from_der<I, B>(certificates: I) -> Result<Self, X509Error>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        let mut anchors = Self::new();
        for der in certificates {
            anchors.add_der(der.as_ref())?;
        }
        Ok(anchors)
    }

    /// Adds one DER certificate as a trust anchor.
    pub fn add_der(&mut self, der: &[u8]) -> Result<(), X509Error> {
        let info = CertificateInfo::parse(der)?;
        let certificate = CertificateDer::from(der);
        let anchor = webpki::anchor_from_trusted_cert(&certificate)
            .map_err(|e| X509Error::Malformed {
                what: "trust anchor",
                detail: format!("{e:?}"),
            })?
            .to_owned();
        self.anchors.push(anchor);
        self.subjects.push(info.subject);
        Ok(())
    }

    /// How many anchors.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// The anchors' subjects, in the order they were added.
    pub fn subjects(&self) -> &[DistinguishedName] {
        &self.subjects
    }
}

/// The application's identity rule: shown the identity a credential
/// asserts (after the path validated) and the rest of the input, it
/// accepts or refuses (with a reason, reported as
/// [`CredentialRejection::Identity`]).
pub trait IdentityRule: Send + Sync {
    /// Accepts `identity`, or says why not.
    fn check(&self, identity: &X509Identity, input: &CredentialInput<'_>) -> Result<(), String>;
}

impl<F> IdentityRule for F
where
    F: Fn(&X509Identity, &CredentialInput<'_>) -> Result<(), String> + Send + Sync,
{
    fn check(&self, identity: &X509Identity, input: &CredentialInput<'_>) -> Result<(), String> {
        self(identity, input)
    }
}

/// What a successful validation established.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VerifiedX509Credential {
    /// The end-entity certificate (`certificates[0]`).
    pub end_entity: CertificateInfo,
    /// How many of the credential's intermediates the path used.
    pub intermediates_used: usize,
    /// The subject of the trust anchor the path ends at.
    pub anchor: Option<DistinguishedName>,
}

impl VerifiedX509Credential {
    /// The identity the credential asserts: subject and SANs of the end
    /// entity.
    pub fn identity(&self) -> X509Identity {
        self.end_entity.identity()
    }
}

/// Validates `x509` credentials (RFC 9420 §5.3.1) against trust anchors,
/// with the caller's backend verifying every certificate and CRL signature.
///
/// The checks, in order (docs/DESIGN.md §11 says why each and what stays
/// the application's):
///
/// 1. the credential is `x509` (else [`CredentialRejection::Unsupported`]);
///    every certificate parses, and each names the previous one's issuer as
///    its subject, RFC 9420 §5.3 (else `Malformed`);
/// 2. its key algorithm is the suite's signature scheme, RFC 9420 §5.1.2
///    (`AlgorithmMismatch`: an X25519 key is not an Ed25519 key, whatever
///    its bytes);
/// 3. its key is the leaf's `signature_key`, byte for byte, §5.3.1
///    (`KeyMismatch`);
/// 4. it is not a CA, RFC 5280 §4.2.1.9 (`CaAsEndEntity`);
/// 5. if keyUsage is present, it allows `digitalSignature`, §4.2.1.3
///    (`KeyUsage`);
/// 6. it lists every required extended key usage, §4.2.1.12
///    (`ExtendedKeyUsage`);
/// 7. a path from it through the credential's other certificates to a
///    trust anchor, RFC 5280 §6, at the validation time `now`: signatures,
///    validity (`Expired`, `NotYetValid`), issuer names, CA basic
///    constraints and path lengths (`PathLength`), name constraints
///    (`NameConstraints`), required EKUs wherever a CA restricts them, and
///    CRLs if configured (`Revoked`); no path is `UnknownIssuer`, a bad
///    signature `BadSignature`;
/// 8. the identity rule, if any (`Identity`).
pub struct X509CredentialValidator {
    algorithms: Algorithms,
    anchors: TrustAnchors,
    crls: Vec<CertRevocationList<'static>>,
    require_revocation_status: bool,
    allow_expired_crls: bool,
    required_ekus: Vec<ObjectIdentifier>,
    identity_rule: Option<Box<dyn IdentityRule>>,
}

impl fmt::Debug for X509CredentialValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("X509CredentialValidator")
            .field("schemes", &self.algorithms)
            .field("anchors", &self.anchors)
            .field("crls", &self.crls.len())
            .field("require_revocation_status", &self.require_revocation_status)
            .field("allow_expired_crls", &self.allow_expired_crls)
            .field(
                "required_ekus",
                &self
                    .required_ekus
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>(),
            )
            .field("identity_rule", &self.identity_rule.is_some())
            .finish()
    }
}

impl X509CredentialValidator {
    /// A validator trusting `anchors`, whose certificate signatures are
    /// verified by `crypto`'s suite providers (Ed25519, Ed448, ECDSA P-256
    /// / SHA-256, P-384 / SHA-384, P-521 / SHA-512, as far as `crypto` has
    /// a suite with that scheme).
    pub fn new<C>(crypto: &C, anchors: TrustAnchors) -> Self
    where
        C: OpenMlsCrypto,
        C::Suite: 'static,
    {
        Self {
            algorithms: Algorithms::new(crypto),
            anchors,
            crls: Vec::new(),
            require_revocation_status: false,
            allow_expired_crls: false,
            required_ekus: Vec::new(),
            identity_rule: None,
        }
    }

    /// The signature schemes this validator can verify certificates with.
    pub fn schemes(&self) -> &[SignatureScheme] {
        self.algorithms.schemes()
    }

    /// The trust anchors.
    pub fn anchors(&self) -> &TrustAnchors {
        &self.anchors
    }

    /// Adds the CRLs of a PEM text (`X509 CRL`) or one DER CRL. Each CRL's
    /// signature is verified, with our backends, against the issuer it
    /// names, when a certificate of that issuer is checked.
    pub fn add_crls(&mut self, pem_or_der: &[u8]) -> Result<(), X509Error> {
        for der in load_crls(pem_or_der)? {
            let crl =
                OwnedCertRevocationList::from_der(&der).map_err(|e| X509Error::Malformed {
                    what: "CRL",
                    detail: format!("{e:?}"),
                })?;
            self.crls.push(CertRevocationList::from(crl));
        }
        Ok(())
    }

    /// [`add_crls`](Self::add_crls), builder style.
    pub fn with_crls(mut self, pem_or_der: &[u8]) -> Result<Self, X509Error> {
        self.add_crls(pem_or_der)?;
        Ok(self)
    }

    /// With CRLs: refuse a certificate that no CRL covers (default: accept
    /// it; only certificates whose issuer published a CRL are checked).
    pub fn require_revocation_status(mut self, on: bool) -> Self {
        self.require_revocation_status = on;
        self
    }

    /// Accept a CRL whose `nextUpdate` has passed (default: refuse the
    /// certificates it would judge, since a stale CRL may miss a
    /// revocation).
    pub fn allow_expired_crls(mut self, on: bool) -> Self {
        self.allow_expired_crls = on;
        self
    }

    /// Requires the extended key usage `oid` (dotted, e.g.
    /// `"1.3.6.1.5.5.7.3.2"`): the end entity must list it, and a CA on the
    /// path that restricts its EKUs must list it or `anyExtendedKeyUsage`.
    pub fn require_extended_key_usage(mut self, oid: &str) -> Result<Self, X509Error> {
        let oid = ObjectIdentifier::new(oid).map_err(|e| X509Error::Malformed {
            what: "object identifier",
            detail: e.to_string(),
        })?;
        self.required_ekus.push(oid);
        Ok(self)
    }

    /// Sets the identity rule, which runs last, on a validated path.
    pub fn with_identity_rule(mut self, rule: impl IdentityRule + 'static) -> Self {
        self.identity_rule = Some(Box::new(rule));
        self
    }

    /// This validator with one more identity rule, borrowed: for a rule
    /// that depends on the request (the account that uploads the key
    /// package). The validator's own rule, if any, runs first.
    pub fn with_rule<'a>(&'a self, rule: &'a dyn IdentityRule) -> WithIdentityRule<'a> {
        WithIdentityRule {
            validator: self,
            rule,
        }
    }

    /// Validates the credential of `input` and returns what it established.
    pub fn verify(
        &self,
        input: &CredentialInput<'_>,
    ) -> Result<VerifiedX509Credential, CredentialRejected> {
        self.verify_with(input, None)
    }

    fn verify_with(
        &self,
        input: &CredentialInput<'_>,
        extra_rule: Option<&dyn IdentityRule>,
    ) -> Result<VerifiedX509Credential, CredentialRejected> {
        use CredentialRejection as K;
        let reject = |kind, detail: String| Err(CredentialRejected::new(kind, detail));

        // 1. RFC 9420 §5.3: an x509 credential, end entity first.
        let Credential::X509 { certificates } = input.credential else {
            return reject(
                K::Unsupported,
                format!(
                    "a {:?} credential; this validator accepts x509 credentials only",
                    input.credential.credential_type()
                ),
            );
        };
        let chain: Vec<&[u8]> = certificates
            .iter()
            .map(|c| c.cert_data.as_slice())
            .collect();
        let Some((&ee_der, intermediates)) = chain.split_first() else {
            return reject(K::Malformed, "an empty certificate chain".to_owned());
        };
        let mut parsed = Vec::with_capacity(chain.len());
        for (index, der) in chain.iter().enumerate() {
            match CertificateInfo::parse(der) {
                Ok(info) => parsed.push(info),
                Err(e) => return reject(K::Malformed, format!("certificate {index}: {e}")),
            }
        }
        if let Err(detail) = check_chain_order(&parsed) {
            return reject(K::Malformed, detail);
        }
        let mut parsed = parsed.into_iter();
        let Some(ee) = parsed.next() else {
            return reject(K::Malformed, "an empty certificate chain".to_owned());
        };

        // 2. RFC 9420 §5.1.2: the credential's key is of the suite's
        // signature scheme.
        if ee.public_key_algorithm.signature_scheme() != Some(input.signature_scheme) {
            return reject(
                K::AlgorithmMismatch,
                format!(
                    "the end-entity key is {}, the suite {:?} signs with {:?}",
                    ee.public_key_algorithm, input.cipher_suite, input.signature_scheme
                ),
            );
        }
        // 3. RFC 9420 §5.3.1: the credential binds the leaf's signature key.
        if ee.public_key.as_slice() != input.signature_key.as_slice() {
            return reject(
                K::KeyMismatch,
                "the end-entity certificate's public key is not the leaf's signature_key"
                    .to_owned(),
            );
        }
        // 4. RFC 5280 §4.2.1.9: a CA certificate is no end entity.
        if ee.is_ca() {
            return reject(
                K::CaAsEndEntity,
                format!("certificate 0 ({}) is a CA certificate", ee.subject),
            );
        }
        // 5. RFC 5280 §4.2.1.3: MLS signs with the key.
        if let Some(usage) = ee.key_usage
            && !usage.digital_signature()
        {
            return reject(
                K::KeyUsage,
                format!("keyUsage {usage} does not allow digitalSignature"),
            );
        }
        // 6. RFC 5280 §4.2.1.12: every required purpose, listed by the end
        // entity itself.
        for required in &self.required_ekus {
            let listed = ee
                .extended_key_usage
                .as_ref()
                .is_some_and(|ekus| ekus.iter().any(|e| *e == required.to_string()));
            if !listed {
                return reject(
                    K::ExtendedKeyUsage,
                    format!(
                        "the end entity does not list the required extended key usage {required} (it lists {})",
                        ee.extended_key_usage
                            .as_ref()
                            .map_or_else(|| "none".to_owned(), |e| e.join(", "))
                    ),
                );
            }
        }

        // 7. RFC 5280 §6: the path, at the validation time.
        let ee_certificate = CertificateDer::from(ee_der);
        let end_entity = EndEntityCert::try_from(&ee_certificate)
            .map_err(|e| describe(&e, input.now, &chain))?;
        let intermediates: Vec<CertificateDer<'_>> = intermediates
            .iter()
            .map(|d| CertificateDer::from(*d))
            .collect();
        let time = UnixTime::since_unix_epoch(Duration::from_secs(input.now));
        let algorithms = self.algorithms.as_refs();
        // rustls-webpki consults one CRL per issuer (the first it finds);
        // with several CRLs of one issuer, one pass per CRL, so that every
        // configured CRL is checked (its signature too). One pass without
        // CRLs.
        let mut found = None;
        for crls in self.crl_passes() {
            let revocation = match RevocationOptionsBuilder::new(&crls) {
                Ok(builder) => Some(
                    builder
                        .with_depth(RevocationCheckDepth::Chain)
                        .with_status_policy(if self.require_revocation_status {
                            UnknownStatusPolicy::Deny
                        } else {
                            UnknownStatusPolicy::Allow
                        })
                        .with_expiration_policy(if self.allow_expired_crls {
                            ExpirationPolicy::Ignore
                        } else {
                            ExpirationPolicy::Enforce
                        })
                        .build(),
                ),
                // No CRL configured.
                Err(_) => None,
            };
            let path = end_entity
                .verify_for_usage(
                    &algorithms,
                    &self.anchors.anchors,
                    &intermediates,
                    time,
                    EkuPolicy {
                        required: &self.required_ekus,
                    },
                    revocation,
                    None,
                )
                .map_err(|e| describe(&e, input.now, &chain))?;
            let anchor = path.anchor();
            let anchor = self
                .anchors
                .anchors
                .iter()
                .position(|a| {
                    a.subject_public_key_info.as_ref() == anchor.subject_public_key_info.as_ref()
                        && a.subject.as_ref() == anchor.subject.as_ref()
                })
                .and_then(|i| self.anchors.subjects.get(i))
                .cloned();
            found = Some((path.intermediate_certificates().count(), anchor));
        }
        let Some((intermediates_used, anchor)) = found else {
            return reject(K::Other, "no path validation ran".to_owned());
        };

        let verified = VerifiedX509Credential {
            end_entity: ee,
            intermediates_used,
            anchor,
        };

        // 8. The application's identity rule (RFC 9420 §5.3.1).
        let identity = verified.identity();
        for rule in self.identity_rule.as_deref().into_iter().chain(extra_rule) {
            if let Err(reason) = rule.check(&identity, input) {
                return reject(K::Identity, reason);
            }
        }
        Ok(verified)
    }
}

impl X509CredentialValidator {
    /// The CRL sets to validate with: with at most one CRL per issuer, one
    /// set of all of them; else set `i` holds each issuer's `i`-th CRL (its
    /// last, for an issuer with fewer). Without CRLs, one empty set.
    fn crl_passes(&self) -> Vec<Vec<&CertRevocationList<'static>>> {
        let mut by_issuer: Vec<Vec<&CertRevocationList<'static>>> = Vec::new();
        for crl in &self.crls {
            match by_issuer
                .iter_mut()
                .find(|group| group.first().is_some_and(|c| c.issuer() == crl.issuer()))
            {
                Some(group) => group.push(crl),
                None => by_issuer.push(vec![crl]),
            }
        }
        let passes = by_issuer.iter().map(Vec::len).max().unwrap_or(1);
        (0..passes)
            .map(|i| {
                by_issuer
                    .iter()
                    .filter_map(|group| group.get(i).or_else(|| group.last()).copied())
                    .collect()
            })
            .collect()
    }
}

impl CredentialValidator for X509CredentialValidator {
    fn validate(&self, input: &CredentialInput<'_>) -> Result<(), CredentialRejected> {
        self.verify(input).map(|_| ())
    }
}

/// An [`X509CredentialValidator`] with one more identity rule
/// ([`X509CredentialValidator::with_rule`]).
pub struct WithIdentityRule<'a> {
    validator: &'a X509CredentialValidator,
    rule: &'a dyn IdentityRule,
}

impl fmt::Debug for WithIdentityRule<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithIdentityRule")
            .field("validator", self.validator)
            .finish_non_exhaustive()
    }
}

impl WithIdentityRule<'_> {
    /// Validates and returns what the validation established.
    pub fn verify(
        &self,
        input: &CredentialInput<'_>,
    ) -> Result<VerifiedX509Credential, CredentialRejected> {
        self.validator.verify_with(input, Some(self.rule))
    }
}

impl CredentialValidator for WithIdentityRule<'_> {
    fn validate(&self, input: &CredentialInput<'_>) -> Result<(), CredentialRejected> {
        self.verify(input).map(|_| ())
    }
}

/// Required EKUs on the CAs of the path: a certificate that lists EKUs
/// must list each required one (or `anyExtendedKeyUsage`); one without the
/// extension is unrestricted. (The end entity's own list was checked
/// before, and more strictly: there the extension must be present and
/// `anyExtendedKeyUsage` does not stand in for a required purpose.)
struct EkuPolicy<'a> {
    required: &'a [ObjectIdentifier],
}

impl ExtendedKeyUsageValidator for EkuPolicy<'_> {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        if self.required.is_empty() {
            return Ok(());
        }
        let listed = iter.collect::<Result<Vec<_>, _>>()?;
        if listed.is_empty() {
            return Ok(());
        }
        let any = KeyPurposeId::new(oid::ANY_EXTENDED_KEY_USAGE.as_bytes());
        if listed.contains(&any) {
            return Ok(());
        }
        for required in self.required {
            if !listed.contains(&KeyPurposeId::new(required.as_bytes())) {
                #[allow(deprecated)]
                return Err(webpki::Error::RequiredEkuNotFound);
            }
        }
        Ok(())
    }
}

/// A webpki refusal as a typed credential refusal, with the certificate
/// at fault where we can tell which.
#[allow(deprecated)] // webpki's older error variants, still produced
fn describe(error: &webpki::Error, now: u64, chain: &[&[u8]]) -> CredentialRejected {
    use CredentialRejection as K;
    use webpki::Error as E;
    let (kind, what) = match error {
        E::CertExpired { .. } => (K::Expired, out_of_validity(now, chain, "expired")),
        E::CertNotValidYet { .. } => (
            K::NotYetValid,
            out_of_validity(now, chain, "is not yet valid"),
        ),
        E::UnknownIssuer => (
            K::UnknownIssuer,
            "no path to a trust anchor (unknown issuer or missing intermediate)".to_owned(),
        ),
        E::CertDistrusted => (K::UnknownIssuer, "a distrusted key on the path".to_owned()),
        E::EndEntityUsedAsCa => (
            K::UnknownIssuer,
            "an issuer on the path is not a CA (basicConstraints)".to_owned(),
        ),
        E::CaUsedAsEndEntity => (K::CaAsEndEntity, "the end entity is a CA".to_owned()),
        E::InvalidSignatureForPublicKey | E::SignatureAlgorithmMismatch => (
            K::BadSignature,
            "a certificate signature on the path does not verify".to_owned(),
        ),
        E::UnsupportedSignatureAlgorithm
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKey
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => (
            K::Unsupported,
            "a certificate on the path is signed with an algorithm this backend does not verify \
             (accepted: Ed25519, Ed448, ECDSA P-256/SHA-256, P-384/SHA-384, P-521/SHA-512)"
                .to_owned(),
        ),
        E::UnsupportedCriticalExtension => (
            K::Unsupported,
            "a certificate on the path has a critical extension we do not process".to_owned(),
        ),
        E::UnsupportedCertVersion => (
            K::Unsupported,
            "a certificate on the path is not X.509 v3".to_owned(),
        ),
        E::PathLenConstraintViolated | E::MaximumPathDepthExceeded => (
            K::PathLength,
            "a path length constraint is exceeded".to_owned(),
        ),
        E::NameConstraintViolation => (
            K::NameConstraints,
            "a name on the path violates a CA's name constraints".to_owned(),
        ),
        E::MalformedNameConstraint | E::InvalidNetworkMaskConstraint => (
            K::NameConstraints,
            "a CA's name constraints are malformed".to_owned(),
        ),
        E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) => (
            K::ExtendedKeyUsage,
            "a CA on the path does not allow a required extended key usage".to_owned(),
        ),
        E::CertRevoked => (
            K::Revoked,
            "a certificate on the path is revoked".to_owned(),
        ),
        E::UnknownRevocationStatus => (
            K::Other,
            "revocation status unknown: no CRL covers a certificate on the path".to_owned(),
        ),
        E::CrlExpired { next_update, .. } => (
            K::Other,
            format!(
                "revocation status unknown: a CRL expired at {}",
                format_time(next_update.as_secs())
            ),
        ),
        E::InvalidCrlSignatureForPublicKey
        | E::IssuerNotCrlSigner
        | E::UnsupportedCrlSignatureAlgorithm
        | E::UnsupportedCrlSignatureAlgorithmContext(_)
        | E::UnsupportedCrlSignatureAlgorithmForPublicKey
        | E::UnsupportedCrlSignatureAlgorithmForPublicKeyContext(_) => (
            K::Other,
            "revocation status unknown: a CRL's signature does not verify".to_owned(),
        ),
        E::MaximumSignatureChecksExceeded
        | E::MaximumPathBuildCallsExceeded
        | E::MaximumNameConstraintComparisonsExceeded => (
            K::Other,
            "the certificate chain is too complex to validate".to_owned(),
        ),
        E::BadDer
        | E::BadDerTime
        | E::TrailingData(_)
        | E::MalformedExtensions
        | E::ExtensionValueInvalid
        | E::InvalidCertValidity
        | E::InvalidSerialNumber
        | E::EmptyEkuExtension => (
            K::Malformed,
            "a certificate on the path does not decode".to_owned(),
        ),
        _ => (K::Other, "the certificate path is refused".to_owned()),
    };
    CredentialRejected::new(kind, format!("{what} (webpki: {error:?})"))
}

/// RFC 9420 §5.3: "Each subsequent certificate in the chain MUST be the
/// issuer of the previous certificate" (by name here; path validation
/// checks the signatures).
pub(crate) fn check_chain_order(chain: &[CertificateInfo]) -> Result<(), String> {
    for (index, pair) in chain.windows(2).enumerate() {
        if let [subject, issuer] = pair
            && subject.issuer.der() != issuer.subject.der()
        {
            return Err(format!(
                "certificate {} ({}) is not the issuer of certificate {index}, issued by {}",
                index + 1,
                issuer.subject,
                subject.issuer
            ));
        }
    }
    Ok(())
}

/// "certificate 1 (CN=…) expired at …": the first certificate of the
/// chain whose validity excludes `now`.
fn out_of_validity(now: u64, chain: &[&[u8]], verb: &str) -> String {
    for (index, der) in chain.iter().enumerate() {
        if let Ok(info) = CertificateInfo::parse(der)
            && !info.is_valid_at(now)
        {
            let when = if now > info.not_after {
                format!("at {}", format_time(info.not_after))
            } else {
                format!("until {}", format_time(info.not_before))
            };
            return format!(
                "certificate {index} ({}) {verb} {when}; now is {}",
                info.subject,
                format_time(now)
            );
        }
    }
    format!("a certificate on the path {verb}")
}
