//! What a certificate says: a read-only view of the fields that MLS and
//! people care about (RFC 5280 §4.1, §4.2.1). Parsing is strict DER and
//! never panics; it is not validation (that is
//! [`crate::X509CredentialValidator`]'s job).

use std::fmt;

use der::asn1::{GeneralizedTime, UtcTime};
use der::{Tag, Tagged as _};
use keypackage_core::traits::SignatureScheme;

use crate::der_util::{ParseResult, Reader, context, dotted, hex};
use crate::error::X509Error;
use crate::name::{DistinguishedName, SubjectAltName, X509Identity, parse_general_names};
use crate::oid;

/// The algorithm of a certificate's subject public key.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum PublicKeyAlgorithm {
    /// Ed25519 (RFC 8410).
    Ed25519,
    /// Ed448 (RFC 8410).
    Ed448,
    /// X25519 (RFC 8410): a key-agreement key, never a signature key.
    X25519,
    /// X448 (RFC 8410): a key-agreement key, never a signature key.
    X448,
    /// ECDSA / ECDH on P-256 (`id-ecPublicKey`, `secp256r1`).
    EcP256,
    /// P-384.
    EcP384,
    /// P-521.
    EcP521,
    /// `id-ecPublicKey` on another curve (the curve's OID, dotted).
    EcOther(String),
    /// RSA.
    Rsa,
    /// Anything else (dotted OID; ` with parameters` when an RFC 8410
    /// algorithm carries the parameters it must not have).
    Other(String),
}

impl PublicKeyAlgorithm {
    /// The MLS signature scheme of a key of this algorithm: Ed25519,
    /// Ed448, and the three NIST curves (each with the hash RFC 9420 pairs
    /// it with). `None` for anything else.
    pub fn signature_scheme(&self) -> Option<SignatureScheme> {
        match self {
            Self::Ed25519 => Some(SignatureScheme::Ed25519),
            Self::Ed448 => Some(SignatureScheme::Ed448),
            Self::EcP256 => Some(SignatureScheme::EcdsaSecp256r1Sha256),
            Self::EcP384 => Some(SignatureScheme::EcdsaSecp384r1Sha384),
            Self::EcP521 => Some(SignatureScheme::EcdsaSecp521r1Sha512),
            _ => None,
        }
    }

    /// Parses an `AlgorithmIdentifier` body (OID, optional parameters).
    fn parse(body: &[u8]) -> ParseResult<Self> {
        let mut r = Reader::new(body, "public key algorithm")?;
        let alg = r.expect(Tag::ObjectIdentifier, "public key algorithm")?;
        let params = if r.is_empty() {
            None
        } else {
            Some(r.any("public key algorithm parameters")?)
        };
        r.finish("public key algorithm")?;
        let rfc8410 = [
            (&oid::ED25519, Self::Ed25519),
            (&oid::ED448, Self::Ed448),
            (&oid::X25519, Self::X25519),
            (&oid::X448, Self::X448),
        ];
        for (o, algorithm) in rfc8410 {
            if oid::is(alg, o) {
                // RFC 8410 §3: "the parameters MUST be absent".
                return Ok(match params {
                    None => algorithm,
                    Some(_) => Self::Other(format!("{} with parameters", dotted(alg))),
                });
            }
        }
        if oid::is(alg, &oid::EC_PUBLIC_KEY) {
            // RFC 5480 §2.1.1: namedCurve only.
            let Some(curve) = params.filter(|p| p.tag() == Tag::ObjectIdentifier) else {
                return Ok(Self::EcOther("no named curve".to_owned()));
            };
            let curve = curve.value();
            return Ok(if oid::is(curve, &oid::SECP256R1) {
                Self::EcP256
            } else if oid::is(curve, &oid::SECP384R1) {
                Self::EcP384
            } else if oid::is(curve, &oid::SECP521R1) {
                Self::EcP521
            } else {
                Self::EcOther(dotted(curve))
            });
        }
        if oid::is(alg, &oid::RSA_ENCRYPTION) {
            return Ok(Self::Rsa);
        }
        Ok(Self::Other(dotted(alg)))
    }
}

impl fmt::Display for PublicKeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ed25519 => f.write_str("Ed25519"),
            Self::Ed448 => f.write_str("Ed448"),
            Self::X25519 => f.write_str("X25519"),
            Self::X448 => f.write_str("X448"),
            Self::EcP256 => f.write_str("P-256"),
            Self::EcP384 => f.write_str("P-384"),
            Self::EcP521 => f.write_str("P-521"),
            Self::EcOther(curve) => write!(f, "EC ({curve})"),
            Self::Rsa => f.write_str("RSA"),
            Self::Other(o) => f.write_str(o),
        }
    }
}

/// The name of a signature algorithm OID, for people.
fn signature_algorithm_name(value: &[u8]) -> String {
    let known = [
        (&oid::ECDSA_WITH_SHA256, "ecdsa-with-SHA256"),
        (&oid::ECDSA_WITH_SHA384, "ecdsa-with-SHA384"),
        (&oid::ECDSA_WITH_SHA512, "ecdsa-with-SHA512"),
        (&oid::ED25519, "Ed25519"),
        (&oid::ED448, "Ed448"),
        (&oid::SHA256_WITH_RSA, "sha256WithRSAEncryption"),
        (&oid::SHA384_WITH_RSA, "sha384WithRSAEncryption"),
        (&oid::SHA512_WITH_RSA, "sha512WithRSAEncryption"),
        (&oid::RSA_PSS, "RSASSA-PSS"),
    ];
    known
        .iter()
        .find(|(o, _)| oid::is(value, o))
        .map_or_else(|| dotted(value), |(_, name)| (*name).to_owned())
}

/// The keyUsage bits (RFC 5280 §4.2.1.3), bit 0 (`digitalSignature`) as
/// the least significant bit of the value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct KeyUsage(pub u16);

impl KeyUsage {
    const NAMES: [&'static str; 9] = [
        "digitalSignature",
        "nonRepudiation",
        "keyEncipherment",
        "dataEncipherment",
        "keyAgreement",
        "keyCertSign",
        "cRLSign",
        "encipherOnly",
        "decipherOnly",
    ];

    /// Whether bit `n` is set (0 = `digitalSignature`, 5 = `keyCertSign`).
    pub fn has(self, n: u8) -> bool {
        n < 16 && self.0 & (1 << n) != 0
    }

    /// Whether `digitalSignature` is set: MLS signatures need it.
    pub fn digital_signature(self) -> bool {
        self.has(0)
    }

    /// The names of the bits set.
    pub fn names(self) -> Vec<&'static str> {
        (0u8..)
            .zip(Self::NAMES)
            .filter(|(n, _)| self.has(*n))
            .map(|(_, name)| name)
            .collect()
    }

    fn parse(der: &[u8]) -> ParseResult<Self> {
        let mut r = Reader::new(der, "keyUsage")?;
        let bits = r.expect(Tag::BitString, "keyUsage")?;
        r.finish("keyUsage")?;
        let Some((&unused, bytes)) = bits.split_first() else {
            return Err("keyUsage: empty bit string".to_owned());
        };
        if unused > 7 || (bytes.is_empty() && unused != 0) {
            return Err("keyUsage: bad unused-bits count".to_owned());
        }
        let mut value = 0u16;
        for (i, byte) in bytes.iter().take(2).enumerate() {
            for bit in 0..8u8 {
                if byte & (0x80 >> bit) != 0 {
                    let n = u32::try_from(i * 8).unwrap_or(0) + u32::from(bit);
                    value |= 1u16.checked_shl(n).unwrap_or(0);
                }
            }
        }
        Ok(Self(value))
    }
}

impl fmt::Display for KeyUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(","))
    }
}

/// The basicConstraints extension (RFC 5280 §4.2.1.9).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct BasicConstraints {
    /// `cA`: the key may sign certificates.
    pub ca: bool,
    /// `pathLenConstraint`, if present.
    pub path_len: Option<u64>,
}

impl BasicConstraints {
    fn parse(der: &[u8]) -> ParseResult<Self> {
        let mut outer = Reader::new(der, "basicConstraints")?;
        let body = outer.expect(Tag::Sequence, "basicConstraints")?;
        outer.finish("basicConstraints")?;
        let mut r = Reader::new(body, "basicConstraints")?;
        let ca = match r.optional(Tag::Boolean, "basicConstraints cA")? {
            Some([0xFF]) => true,
            // DER: a DEFAULT FALSE is omitted, never encoded (X.690 §11.5).
            Some(_) => return Err("basicConstraints: cA not DER TRUE".to_owned()),
            None => false,
        };
        let path_len = match r.optional(Tag::Integer, "pathLenConstraint")? {
            Some(bytes) => Some(small_unsigned(bytes, "pathLenConstraint")?),
            None => None,
        };
        r.finish("basicConstraints")?;
        Ok(Self { ca, path_len })
    }
}

fn small_unsigned(bytes: &[u8], what: &str) -> ParseResult<u64> {
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        return Err(format!("{what}: negative"));
    }
    if bytes.len() > 8 {
        return Err(format!("{what}: too large"));
    }
    Ok(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// A certificate's fields, as far as MLS and people need them.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CertificateInfo {
    /// The serial number, hex (as encoded, two's complement).
    pub serial: String,
    /// The signature algorithm of the issuer's signature, named.
    pub signature_algorithm: String,
    /// The issuer.
    pub issuer: DistinguishedName,
    /// The subject.
    pub subject: DistinguishedName,
    /// `notBefore`, seconds since the Unix epoch.
    pub not_before: u64,
    /// `notAfter`, seconds since the Unix epoch.
    pub not_after: u64,
    /// The subject public key's algorithm.
    pub public_key_algorithm: PublicKeyAlgorithm,
    /// The subject public key (the BIT STRING's bytes: an uncompressed
    /// point for ECDSA, the raw key for EdDSA).
    pub public_key: Vec<u8>,
    /// The subject alternative names (empty without the extension).
    pub subject_alt_names: Vec<SubjectAltName>,
    /// keyUsage, if present.
    pub key_usage: Option<KeyUsage>,
    /// basicConstraints, if present.
    pub basic_constraints: Option<BasicConstraints>,
    /// extKeyUsage purposes (dotted OIDs), if the extension is present.
    pub extended_key_usage: Option<Vec<String>>,
}

impl CertificateInfo {
    /// Parses one DER certificate. Strict DER; any failure is
    /// [`X509Error::Malformed`].
    pub fn parse(der: &[u8]) -> Result<Self, X509Error> {
        parse(der).map_err(|detail| X509Error::Malformed {
            what: "certificate",
            detail,
        })
    }

    /// Whether `basicConstraints` says `cA`.
    pub fn is_ca(&self) -> bool {
        self.basic_constraints.is_some_and(|b| b.ca)
    }

    /// Whether `now` is inside `[notBefore, notAfter]` (RFC 5280 §4.1.2.5:
    /// both ends inclusive).
    pub fn is_valid_at(&self, now: u64) -> bool {
        self.not_before <= now && now <= self.not_after
    }

    /// The identity the certificate asserts: subject and SANs.
    pub fn identity(&self) -> X509Identity {
        X509Identity {
            subject: self.subject.clone(),
            subject_alt_names: self.subject_alt_names.clone(),
        }
    }
}

/// `2030-01-01T00:00:00Z` for a Unix time; the number itself if it is out
/// of the range of X.509 times.
pub fn format_time(unix: u64) -> String {
    der::DateTime::from_unix_duration(std::time::Duration::from_secs(unix))
        .map_or_else(|_| unix.to_string(), |t| t.to_string())
}

fn parse_time(any: der::asn1::AnyRef<'_>) -> ParseResult<u64> {
    let duration = match any.tag() {
        Tag::UtcTime => any
            .decode_as::<UtcTime>()
            .map_err(|e| format!("validity: {e}"))?
            .to_unix_duration(),
        Tag::GeneralizedTime => any
            .decode_as::<GeneralizedTime>()
            .map_err(|e| format!("validity: {e}"))?
            .to_unix_duration(),
        other => return Err(format!("validity: {other} is no time")),
    };
    Ok(duration.as_secs())
}

fn parse(der: &[u8]) -> ParseResult<CertificateInfo> {
    let mut outer = Reader::new(der, "certificate")?;
    let certificate = outer.expect(Tag::Sequence, "certificate")?;
    outer.finish("certificate")?;
    let mut cert = Reader::new(certificate, "certificate")?;
    let tbs = cert.expect(Tag::Sequence, "tbsCertificate")?;
    let outer_algorithm = cert.expect(Tag::Sequence, "signatureAlgorithm")?;
    cert.expect(Tag::BitString, "signatureValue")?;
    cert.finish("certificate")?;

    let mut r = Reader::new(tbs, "tbsCertificate")?;
    let version = match r.optional(context(0, true), "version")? {
        Some(v) => {
            let mut vr = Reader::new(v, "version")?;
            let n = small_unsigned(vr.expect(Tag::Integer, "version")?, "version")?;
            vr.finish("version")?;
            n
        }
        None => 0,
    };
    if version > 2 {
        return Err(format!("version: {version} is no X.509 version"));
    }
    let serial = hex(r.expect(Tag::Integer, "serialNumber")?);
    let inner_algorithm = r.expect(Tag::Sequence, "signature")?;
    if inner_algorithm != outer_algorithm {
        // RFC 5280 §4.1.1.2: "MUST contain the same algorithm identifier".
        return Err("signature algorithm differs inside and outside the TBS".to_owned());
    }
    let signature_algorithm = {
        let mut a = Reader::new(inner_algorithm, "signature")?;
        signature_algorithm_name(a.expect(Tag::ObjectIdentifier, "signature")?)
    };
    let issuer = DistinguishedName::parse(r.tlv("issuer")?)?;
    let validity = r.expect(Tag::Sequence, "validity")?;
    let mut v = Reader::new(validity, "validity")?;
    let not_before = parse_time(v.any("notBefore")?)?;
    let not_after = parse_time(v.any("notAfter")?)?;
    v.finish("validity")?;
    let subject = DistinguishedName::parse(r.tlv("subject")?)?;
    let spki = r.expect(Tag::Sequence, "subjectPublicKeyInfo")?;
    let mut s = Reader::new(spki, "subjectPublicKeyInfo")?;
    let public_key_algorithm =
        PublicKeyAlgorithm::parse(s.expect(Tag::Sequence, "subjectPublicKeyInfo algorithm")?)?;
    let bits = s.expect(Tag::BitString, "subjectPublicKey")?;
    s.finish("subjectPublicKeyInfo")?;
    let public_key = match bits.split_first() {
        Some((0, key)) => key.to_vec(),
        _ => return Err("subjectPublicKey: not a whole number of bytes".to_owned()),
    };
    r.optional(context(1, false), "issuerUniqueID")?;
    r.optional(context(2, false), "subjectUniqueID")?;
    let extensions = r.optional(context(3, true), "extensions")?;
    r.finish("tbsCertificate")?;

    let mut info = CertificateInfo {
        serial,
        signature_algorithm,
        issuer,
        subject,
        not_before,
        not_after,
        public_key_algorithm,
        public_key,
        subject_alt_names: Vec::new(),
        key_usage: None,
        basic_constraints: None,
        extended_key_usage: None,
    };
    if let Some(extensions) = extensions {
        if version != 2 {
            return Err("extensions in a certificate older than v3".to_owned());
        }
        parse_extensions(extensions, &mut info)?;
    }
    Ok(info)
}

fn parse_extensions(explicit: &[u8], info: &mut CertificateInfo) -> ParseResult<()> {
    let mut outer = Reader::new(explicit, "extensions")?;
    let list = outer.expect(Tag::Sequence, "extensions")?;
    outer.finish("extensions")?;
    let mut r = Reader::new(list, "extensions")?;
    let mut seen: Vec<&[u8]> = Vec::new();
    while !r.is_empty() {
        let extension = r.expect(Tag::Sequence, "extension")?;
        let mut e = Reader::new(extension, "extension")?;
        let id = e.expect(Tag::ObjectIdentifier, "extnID")?;
        match e.optional(Tag::Boolean, "critical")? {
            Some([0xFF]) | None => {}
            Some(_) => return Err("extension: critical not DER TRUE".to_owned()),
        }
        let value = e.expect(Tag::OctetString, "extnValue")?;
        e.finish("extension")?;
        if seen.contains(&id) {
            // RFC 5280 §4.2: "MUST NOT include more than one instance".
            return Err(format!("extension {} twice", dotted(id)));
        }
        seen.push(id);
        if oid::is(id, &oid::SUBJECT_ALT_NAME) {
            info.subject_alt_names = parse_general_names(value)?;
        } else if oid::is(id, &oid::KEY_USAGE) {
            info.key_usage = Some(KeyUsage::parse(value)?);
        } else if oid::is(id, &oid::BASIC_CONSTRAINTS) {
            info.basic_constraints = Some(BasicConstraints::parse(value)?);
        } else if oid::is(id, &oid::EXTENDED_KEY_USAGE) {
            let mut outer = Reader::new(value, "extKeyUsage")?;
            let body = outer.expect(Tag::Sequence, "extKeyUsage")?;
            outer.finish("extKeyUsage")?;
            let mut k = Reader::new(body, "extKeyUsage")?;
            let mut purposes = Vec::new();
            while !k.is_empty() {
                purposes.push(dotted(k.expect(Tag::ObjectIdentifier, "KeyPurposeId")?));
            }
            if purposes.is_empty() {
                return Err("extKeyUsage: empty".to_owned());
            }
            info.extended_key_usage = Some(purposes);
        }
    }
    Ok(())
}
