//! Signature private keys from PKCS#8 (RFC 5958; RFC 8410 for EdDSA,
//! RFC 5915 inside for ECDSA) or SEC1 `EC PRIVATE KEY`, in PEM or DER, as
//! the raw keys our backends take (Ed25519: the 32-byte seed; ECDSA: the
//! fixed-length big-endian scalar; Ed448: the 57-byte seed).

use std::fmt;

use der::{Tag, Tagged as _};
use keypackage_core::traits::{SignaturePrivateKey, SignatureScheme};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject as _;
use zeroize::Zeroizing;

use crate::der_util::{Reader, dotted};
use crate::error::X509Error;
use crate::oid;

/// A signature private key, loaded and identified, not yet bound to a
/// backend. Zeroized on drop; `Debug` shows the scheme only.
pub struct PrivateKey {
    scheme: SignatureScheme,
    secret: SignaturePrivateKey,
    /// The public key the file carries, if it carries one (PKCS#8 v2,
    /// ECPrivateKey `publicKey`): checked against the private key's.
    embedded_public: Option<Vec<u8>>,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// The key's signature scheme (ECDSA keys get their curve's hash, as in
    /// the MLS suites).
    pub fn scheme(&self) -> SignatureScheme {
        self.scheme
    }

    /// The raw private key, as [`keypackage_core::traits::CipherSuiteProvider::signer`]
    /// takes it.
    pub fn secret(&self) -> &SignaturePrivateKey {
        &self.secret
    }

    /// The public key stored beside the private key in the file, if any.
    pub(crate) fn embedded_public(&self) -> Option<&[u8]> {
        self.embedded_public.as_deref()
    }

    /// A PEM `PRIVATE KEY` (PKCS#8) or `EC PRIVATE KEY` (SEC1); the first
    /// key in the text. An `ENCRYPTED PRIVATE KEY` is refused
    /// ([`X509Error::EncryptedKey`]).
    pub fn from_pem(pem: &[u8]) -> Result<Self, X509Error> {
        match PrivateKeyDer::from_pem_slice(pem) {
            Ok(PrivateKeyDer::Pkcs8(key)) => Self::from_pkcs8_der(key.secret_pkcs8_der()),
            Ok(PrivateKeyDer::Sec1(key)) => Self::from_sec1_der(key.secret_sec1_der(), None),
            Ok(PrivateKeyDer::Pkcs1(_)) => Err(X509Error::UnsupportedKey("RSA".to_owned())),
            Ok(_) => Err(X509Error::UnsupportedKey("unknown PEM key type".to_owned())),
            Err(rustls_pki_types::pem::Error::NoItemsFound) => {
                if contains(pem, b"ENCRYPTED PRIVATE KEY") {
                    Err(X509Error::EncryptedKey)
                } else {
                    Err(X509Error::Missing("private key"))
                }
            }
            Err(e) => Err(X509Error::Pem(e.to_string())),
        }
    }

    /// DER: PKCS#8 `PrivateKeyInfo` / `OneAsymmetricKey`, or else SEC1
    /// `ECPrivateKey` (which names its curve).
    pub fn from_der(der: &[u8]) -> Result<Self, X509Error> {
        if pkcs8::PrivateKeyInfoRef::try_from(der).is_ok() {
            return Self::from_pkcs8_der(der);
        }
        Self::from_sec1_der(der, None).map_err(|_| X509Error::Malformed {
            what: "private key",
            detail: "neither PKCS#8 nor SEC1".to_owned(),
        })
    }

    /// A DER PKCS#8 key (RFC 5958): Ed25519, Ed448 (RFC 8410) or ECDSA on
    /// P-256, P-384, P-521 (RFC 5915 inside).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, X509Error> {
        let malformed = |e: pkcs8::Error| X509Error::Malformed {
            what: "PKCS#8 private key",
            detail: e.to_string(),
        };
        let info = pkcs8::PrivateKeyInfoRef::try_from(der).map_err(malformed)?;
        let algorithm = info.algorithm.oid;
        let embedded_public = info
            .public_key
            .as_ref()
            .and_then(|bits| bits.as_bytes())
            .map(<[u8]>::to_vec);
        let eddsa = [
            (oid::ED25519, SignatureScheme::Ed25519),
            (oid::ED448, SignatureScheme::Ed448),
        ];
        if let Some((_, scheme)) = eddsa.iter().find(|(o, _)| *o == algorithm) {
            if info.algorithm.parameters.is_some() {
                // RFC 8410 §3: "the parameters MUST be absent".
                return Err(X509Error::Malformed {
                    what: "PKCS#8 private key",
                    detail: "EdDSA algorithm with parameters".to_owned(),
                });
            }
            // RFC 8410 §7: the privateKey OCTET STRING holds a
            // CurvePrivateKey, itself an OCTET STRING.
            let seed = curve_private_key(info.private_key.as_bytes())?;
            if seed.len() != scheme.private_key_len() {
                return Err(X509Error::Malformed {
                    what: "PKCS#8 private key",
                    detail: format!("{} key of {} bytes", scheme_name(*scheme), seed.len()),
                });
            }
            return Ok(Self {
                scheme: *scheme,
                secret: SignaturePrivateKey::new(seed.to_vec()),
                embedded_public,
            });
        }
        if algorithm == oid::EC_PUBLIC_KEY {
            let curve = info
                .algorithm
                .parameters
                .filter(|p| p.tag() == Tag::ObjectIdentifier)
                .ok_or_else(|| X509Error::Malformed {
                    what: "PKCS#8 private key",
                    detail: "EC key without a named curve".to_owned(),
                })?;
            let curve = const_oid::ObjectIdentifier::from_bytes(curve.value()).map_err(|e| {
                X509Error::Malformed {
                    what: "PKCS#8 private key",
                    detail: e.to_string(),
                }
            })?;
            let mut key = Self::from_sec1_der(info.private_key.as_bytes(), Some(curve))?;
            if key.embedded_public.is_none() {
                key.embedded_public = embedded_public;
            }
            return Ok(key);
        }
        let name = if algorithm == oid::RSA_ENCRYPTION {
            "RSA".to_owned()
        } else if algorithm == oid::X25519 || algorithm == oid::X448 {
            format!("{} (a key-agreement key)", dotted(algorithm.as_bytes()))
        } else {
            dotted(algorithm.as_bytes())
        };
        Err(X509Error::UnsupportedKey(name))
    }

    /// A DER SEC1 `ECPrivateKey` (RFC 5915). `curve` is the curve the
    /// PKCS#8 wrapper names, if any; the key's own parameters, when
    /// present, must agree with it.
    fn from_sec1_der(
        der: &[u8],
        curve: Option<const_oid::ObjectIdentifier>,
    ) -> Result<Self, X509Error> {
        let malformed = |detail: String| X509Error::Malformed {
            what: "EC private key",
            detail,
        };
        let key = sec1::EcPrivateKey::try_from(der).map_err(|e| malformed(e.to_string()))?;
        let own = key.parameters.and_then(|p| p.named_curve());
        let curve = match (curve, own) {
            (Some(a), Some(b)) if a != b => {
                return Err(malformed(
                    "the key's curve differs from its wrapper's".to_owned(),
                ));
            }
            (Some(a), _) | (None, Some(a)) => a,
            (None, None) => return Err(malformed("no named curve".to_owned())),
        };
        let scheme = if curve == oid::SECP256R1 {
            SignatureScheme::EcdsaSecp256r1Sha256
        } else if curve == oid::SECP384R1 {
            SignatureScheme::EcdsaSecp384r1Sha384
        } else if curve == oid::SECP521R1 {
            SignatureScheme::EcdsaSecp521r1Sha512
        } else {
            return Err(X509Error::UnsupportedKey(format!(
                "EC on curve {}",
                dotted(curve.as_bytes())
            )));
        };
        // RFC 5915 §3: the scalar is ceiling(log2(n)/8) octets; pad a
        // shorter encoding on the left, refuse a longer one.
        let len = scheme.private_key_len();
        let scalar = key.private_key;
        let Some(pad) = len.checked_sub(scalar.len()) else {
            return Err(malformed(format!(
                "a {}-byte scalar for a {len}-byte curve",
                scalar.len()
            )));
        };
        let mut fixed = Zeroizing::new(vec![0u8; pad]);
        fixed.extend_from_slice(scalar);
        Ok(Self {
            scheme,
            secret: SignaturePrivateKey::new(fixed.to_vec()),
            embedded_public: key.public_key.map(<[u8]>::to_vec),
        })
    }
}

/// RFC 8410 §7: `CurvePrivateKey ::= OCTET STRING`.
fn curve_private_key(der: &[u8]) -> Result<&[u8], X509Error> {
    let inner = || -> Result<&[u8], String> {
        let mut r = Reader::new(der, "CurvePrivateKey")?;
        let seed = r.expect(Tag::OctetString, "CurvePrivateKey")?;
        r.finish("CurvePrivateKey")?;
        Ok(seed)
    };
    inner().map_err(|detail| X509Error::Malformed {
        what: "PKCS#8 private key",
        detail,
    })
}

fn scheme_name(scheme: SignatureScheme) -> &'static str {
    match scheme {
        SignatureScheme::Ed25519 => "Ed25519",
        SignatureScheme::Ed448 => "Ed448",
        SignatureScheme::EcdsaSecp256r1Sha256 => "P-256",
        SignatureScheme::EcdsaSecp384r1Sha384 => "P-384",
        SignatureScheme::EcdsaSecp521r1Sha512 => "P-521",
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 5915 wants the scalar at full length; a shorter encoding (a
    /// leading zero dropped) is padded, a longer one refused.
    #[test]
    fn ec_scalars_are_padded_to_the_curve_length() {
        let p256 = "a00a06082a8648ce3d030107";
        let key = |scalar: &str| {
            let body = format!("020101{}{scalar}{p256}", der_len(scalar.len() / 2, "04"));
            let der = hex_decode(&format!("30{:02x}{body}", body.len() / 2));
            PrivateKey::from_der(&der)
        };
        let short = key(&"11".repeat(31)).unwrap();
        assert_eq!(short.scheme(), SignatureScheme::EcdsaSecp256r1Sha256);
        let mut expected = vec![0u8];
        expected.extend([0x11; 31]);
        assert_eq!(short.secret().expose(), expected);
        assert!(matches!(
            key(&"11".repeat(33)),
            Err(X509Error::Malformed { .. })
        ));
    }

    fn der_len(len: usize, tag: &str) -> String {
        format!("{tag}{len:02x}")
    }

    fn hex_decode(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .filter_map(|i| s.get(i..i + 2))
            .filter_map(|b| u8::from_str_radix(b, 16).ok())
            .collect()
    }
}
