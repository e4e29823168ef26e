//! Names: distinguished names (RFC 5280 §4.1.2.4) and subject alternative
//! names (RFC 5280 §4.2.1.6), and the identity a credential asserts.

use std::fmt;
use std::net::IpAddr;

use der::{Tag, Tagged as _};

use crate::der_util::{ParseResult, Reader, context, dotted, hex, single_tlv};
use crate::oid;

/// One attribute of a distinguished name (`CN=alice`).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct NameAttribute {
    /// The attribute type, dotted (`2.5.4.3`).
    pub oid: String,
    /// The short name of RFC 4514 §3 (`CN`, `O`, …), if it has one.
    pub short_name: Option<&'static str>,
    /// The value as text, when it is a string type; otherwise `#` and the
    /// hex of its DER encoding (RFC 4514 §2.4).
    pub value: String,
    /// Whether `value` is text (false: the `#hex` form).
    pub is_text: bool,
}

/// A distinguished name: its DER encoding, and its attributes in the order
/// of the encoding (most significant RDN first).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct DistinguishedName {
    der: Vec<u8>,
    rdns: Vec<Vec<NameAttribute>>,
}

impl DistinguishedName {
    /// Parses a DER `Name` (with its SEQUENCE tag).
    pub(crate) fn parse(der: &[u8]) -> ParseResult<Self> {
        let mut outer = Reader::new(der, "name")?;
        let body = outer.expect(Tag::Sequence, "name")?;
        outer.finish("name")?;
        let mut rdns = Vec::new();
        let mut reader = Reader::new(body, "name")?;
        while !reader.is_empty() {
            let set = reader.expect(Tag::Set, "relative distinguished name")?;
            let mut attributes = Vec::new();
            let mut set_reader = Reader::new(set, "relative distinguished name")?;
            while !set_reader.is_empty() {
                let atv = set_reader.expect(Tag::Sequence, "name attribute")?;
                let mut atv_reader = Reader::new(atv, "name attribute")?;
                let oid_value = atv_reader.expect(Tag::ObjectIdentifier, "attribute type")?;
                let value_start = atv_reader.any("attribute value")?;
                atv_reader.finish("name attribute")?;
                let short_name = oid::NAME_ATTRIBUTES
                    .iter()
                    .find(|(o, _)| oid::is(oid_value, o))
                    .map(|(_, name)| *name);
                let text = string_value(value_start.tag(), value_start.value());
                let is_text = text.is_some();
                let value = text.unwrap_or_else(|| {
                    // Not a string: RFC 4514 §2.4, `#` + hex of the encoding.
                    let mut tlv = Vec::new();
                    let _ = der::Encode::encode_to_vec(&value_start, &mut tlv);
                    format!("#{}", hex(&tlv))
                });
                attributes.push(NameAttribute {
                    oid: dotted(oid_value),
                    short_name,
                    value,
                    is_text,
                });
            }
            if attributes.is_empty() {
                return Err("relative distinguished name: empty".to_owned());
            }
            rdns.push(attributes);
        }
        Ok(Self {
            der: der.to_vec(),
            rdns,
        })
    }

    /// The DER encoding, SEQUENCE tag included.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The relative distinguished names, most significant first (the order
    /// of the encoding; RFC 4514 text reverses it).
    pub fn rdns(&self) -> &[Vec<NameAttribute>] {
        &self.rdns
    }

    /// Every value of the attribute with short name `short_name` (`"CN"`,
    /// `"O"`, …), in encoding order.
    pub fn values<'a>(&'a self, short_name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.rdns
            .iter()
            .flatten()
            .filter(move |a| a.is_text && a.short_name == Some(short_name))
            .map(|a| a.value.as_str())
    }

    /// The first common name (`CN`), if any.
    pub fn common_name(&self) -> Option<&str> {
        self.values("CN").next()
    }

    /// Whether the name has no RDN (an empty subject, legal when the
    /// subject alternative names carry the identity).
    pub fn is_empty(&self) -> bool {
        self.rdns.is_empty()
    }
}

/// RFC 4514 text: the last RDN first, `,` between RDNs, `+` inside one.
impl fmt::Display for DistinguishedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, rdn) in self.rdns.iter().rev().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            for (j, attribute) in rdn.iter().enumerate() {
                if j > 0 {
                    f.write_str("+")?;
                }
                match attribute.short_name {
                    Some(name) => f.write_str(name)?,
                    None => f.write_str(&attribute.oid)?,
                }
                f.write_str("=")?;
                if attribute.is_text {
                    write_escaped(f, &attribute.value)?;
                } else {
                    f.write_str(&attribute.value)?;
                }
            }
        }
        Ok(())
    }
}

/// RFC 4514 §2.4 escaping.
fn write_escaped(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if c == '\0' {
            f.write_str("\\00")?;
        } else {
            if special {
                f.write_str("\\")?;
            }
            write!(f, "{c}")?;
        }
    }
    Ok(())
}

/// The text of a directory string; `None` for a type that is no string.
fn string_value(tag: Tag, value: &[u8]) -> Option<String> {
    match tag {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::VisibleString => {
            String::from_utf8(value.to_vec()).ok()
        }
        // T.61 in theory, Latin-1 in practice.
        Tag::TeletexString => Some(value.iter().map(|&b| char::from(b)).collect()),
        Tag::BmpString => {
            if !value.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> = value
                .chunks_exact(2)
                .map(|c| match c {
                    [hi, lo] => u16::from_be_bytes([*hi, *lo]),
                    _ => 0xFFFD,
                })
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

/// A subject alternative name (RFC 5280 §4.2.1.6).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum SubjectAltName {
    /// `rfc822Name`: an e-mail address.
    Email(String),
    /// `dNSName`.
    Dns(String),
    /// `uniformResourceIdentifier`.
    Uri(String),
    /// `iPAddress`.
    Ip(IpAddr),
    /// `directoryName`.
    Directory(DistinguishedName),
    /// Any other form (`otherName`, `x400Address`, `ediPartyName`,
    /// `registeredID`), by its context tag number.
    Other(u32),
}

impl fmt::Display for SubjectAltName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Email(v) => write!(f, "email:{v}"),
            Self::Dns(v) => write!(f, "dns:{v}"),
            Self::Uri(v) => write!(f, "uri:{v}"),
            Self::Ip(v) => write!(f, "ip:{v}"),
            Self::Directory(v) => write!(f, "dirname:{v}"),
            Self::Other(tag) => write!(f, "other:[{tag}]"),
        }
    }
}

/// Parses `GeneralNames` (the value of the SAN extension).
pub(crate) fn parse_general_names(der: &[u8]) -> ParseResult<Vec<SubjectAltName>> {
    let mut outer = Reader::new(der, "subjectAltName")?;
    let body = outer.expect(Tag::Sequence, "subjectAltName")?;
    outer.finish("subjectAltName")?;
    let mut reader = Reader::new(body, "subjectAltName")?;
    let mut names = Vec::new();
    while !reader.is_empty() {
        let name = reader.any("general name")?;
        let ia5 = |what: &str| -> ParseResult<String> {
            let v = name.value();
            if v.is_ascii() {
                String::from_utf8(v.to_vec()).map_err(|e| format!("{what}: {e}"))
            } else {
                Err(format!("{what}: not IA5 (ASCII)"))
            }
        };
        let parsed = match name.tag() {
            t if t == context(1, false) => SubjectAltName::Email(ia5("rfc822Name")?),
            t if t == context(2, false) => SubjectAltName::Dns(ia5("dNSName")?),
            t if t == context(6, false) => SubjectAltName::Uri(ia5("uniformResourceIdentifier")?),
            t if t == context(7, false) => {
                let v = name.value();
                let ip = if let Ok(v4) = <[u8; 4]>::try_from(v) {
                    IpAddr::from(v4)
                } else if let Ok(v6) = <[u8; 16]>::try_from(v) {
                    IpAddr::from(v6)
                } else {
                    return Err(format!("iPAddress: {} bytes", v.len()));
                };
                SubjectAltName::Ip(ip)
            }
            t if t == context(4, true) => {
                let inner = single_tlv(name.value(), "directoryName")?;
                SubjectAltName::Directory(DistinguishedName::parse(inner)?)
            }
            Tag::ContextSpecific { number, .. } => SubjectAltName::Other(number.value()),
            other => return Err(format!("general name: unexpected tag {other}")),
        };
        names.push(parsed);
    }
    if names.is_empty() {
        // RFC 5280 §4.2.1.6: "at least one entry".
        return Err("subjectAltName: empty".to_owned());
    }
    Ok(names)
}

/// The identity an X.509 credential asserts: the end-entity certificate's
/// subject and subject alternative names. An application compares it with
/// the account that uploaded the key package (RFC 9420 §5.3.1: the
/// credential must be one the application expects for that client).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct X509Identity {
    /// The subject.
    pub subject: DistinguishedName,
    /// The subject alternative names, in certificate order.
    pub subject_alt_names: Vec<SubjectAltName>,
}

impl X509Identity {
    /// The e-mail addresses (`rfc822Name`).
    pub fn emails(&self) -> impl Iterator<Item = &str> {
        self.subject_alt_names.iter().filter_map(|n| match n {
            SubjectAltName::Email(v) => Some(v.as_str()),
            _ => None,
        })
    }

    /// The URIs (`uniformResourceIdentifier`).
    pub fn uris(&self) -> impl Iterator<Item = &str> {
        self.subject_alt_names.iter().filter_map(|n| match n {
            SubjectAltName::Uri(v) => Some(v.as_str()),
            _ => None,
        })
    }

    /// The DNS names (`dNSName`).
    pub fn dns_names(&self) -> impl Iterator<Item = &str> {
        self.subject_alt_names.iter().filter_map(|n| match n {
            SubjectAltName::Dns(v) => Some(v.as_str()),
            _ => None,
        })
    }
}
