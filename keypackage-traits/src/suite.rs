//! The algorithm table of the RFC 9420 cipher suites (§5.1, §17.1).
//!
//! An algorithm is a row of data, not a type: a backend looks up the row for a
//! suite and dispatches on its fields. Adding a suite is a table edit.

use std::fmt;

use crate::codepoints::CipherSuite;

/// Hash function of a suite.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum HashAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// Output length in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }
}

/// HPKE KEM identifier (RFC 9180 §7.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(u16)]
pub enum KemAlgorithm {
    /// DHKEM(P-256, HKDF-SHA256).
    DhKemP256 = 0x0010,
    /// DHKEM(P-384, HKDF-SHA384).
    DhKemP384 = 0x0011,
    /// DHKEM(P-521, HKDF-SHA512).
    DhKemP521 = 0x0012,
    /// DHKEM(X25519, HKDF-SHA256).
    DhKemX25519 = 0x0020,
    /// DHKEM(X448, HKDF-SHA512).
    DhKemX448 = 0x0021,
}

impl KemAlgorithm {
    /// `Npk`: length of an encoded public key (uncompressed point for the NIST curves).
    pub const fn public_key_len(self) -> usize {
        match self {
            Self::DhKemP256 => 65,
            Self::DhKemP384 => 97,
            Self::DhKemP521 => 133,
            Self::DhKemX25519 => 32,
            Self::DhKemX448 => 56,
        }
    }

    /// `Nsk`: length of an encoded private key.
    pub const fn private_key_len(self) -> usize {
        match self {
            Self::DhKemP256 => 32,
            Self::DhKemP384 => 48,
            Self::DhKemP521 => 66,
            Self::DhKemX25519 => 32,
            Self::DhKemX448 => 56,
        }
    }

    /// `Nenc`: length of the encapsulated key (equals `Npk` for DHKEMs).
    pub const fn enc_len(self) -> usize {
        self.public_key_len()
    }

    /// `Nsecret`: length of the KEM shared secret.
    pub const fn shared_secret_len(self) -> usize {
        match self {
            Self::DhKemP256 | Self::DhKemX25519 => 32,
            Self::DhKemP384 => 48,
            Self::DhKemP521 | Self::DhKemX448 => 64,
        }
    }
}

/// HPKE KDF identifier (RFC 9180 §7.2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(u16)]
pub enum KdfAlgorithm {
    /// HKDF-SHA256.
    HkdfSha256 = 0x0001,
    /// HKDF-SHA384.
    HkdfSha384 = 0x0002,
    /// HKDF-SHA512.
    HkdfSha512 = 0x0003,
}

impl KdfAlgorithm {
    /// The hash function under the HKDF.
    pub const fn hash(self) -> HashAlgorithm {
        match self {
            Self::HkdfSha256 => HashAlgorithm::Sha256,
            Self::HkdfSha384 => HashAlgorithm::Sha384,
            Self::HkdfSha512 => HashAlgorithm::Sha512,
        }
    }
}

/// HPKE AEAD identifier (RFC 9180 §7.3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(u16)]
pub enum AeadAlgorithm {
    /// AES-128-GCM.
    Aes128Gcm = 0x0001,
    /// AES-256-GCM.
    Aes256Gcm = 0x0002,
    /// ChaCha20-Poly1305.
    ChaCha20Poly1305 = 0x0003,
}

impl AeadAlgorithm {
    /// `Nk`: key length in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            Self::Aes128Gcm => 16,
            Self::Aes256Gcm | Self::ChaCha20Poly1305 => 32,
        }
    }

    /// `Nn`: nonce length in bytes.
    pub const fn nonce_len(self) -> usize {
        12
    }

    /// `Nt`: tag length in bytes.
    pub const fn tag_len(self) -> usize {
        16
    }
}

/// Signature scheme of a suite, named by its TLS `SignatureScheme` code point
/// (RFC 8446 §4.2.3), as RFC 9420 §5.1.1 does.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u16)]
pub enum SignatureScheme {
    /// ECDSA over P-256 with SHA-256; DER-encoded signatures.
    EcdsaSecp256r1Sha256 = 0x0403,
    /// ECDSA over P-384 with SHA-384; DER-encoded signatures.
    EcdsaSecp384r1Sha384 = 0x0503,
    /// ECDSA over P-521 with SHA-512; DER-encoded signatures.
    EcdsaSecp521r1Sha512 = 0x0603,
    /// Ed25519 (RFC 8032).
    Ed25519 = 0x0807,
    /// Ed448 (RFC 8032), empty context.
    Ed448 = 0x0808,
}

impl SignatureScheme {
    /// Length of an encoded public key (uncompressed point for ECDSA).
    pub const fn public_key_len(self) -> usize {
        match self {
            Self::EcdsaSecp256r1Sha256 => 65,
            Self::EcdsaSecp384r1Sha384 => 97,
            Self::EcdsaSecp521r1Sha512 => 133,
            Self::Ed25519 => 32,
            Self::Ed448 => 57,
        }
    }

    /// Length of an encoded private key (the scalar for ECDSA, the seed for EdDSA).
    pub const fn private_key_len(self) -> usize {
        match self {
            Self::EcdsaSecp256r1Sha256 | Self::Ed25519 => 32,
            Self::EcdsaSecp384r1Sha384 => 48,
            Self::EcdsaSecp521r1Sha512 => 66,
            Self::Ed448 => 57,
        }
    }

    /// Largest encoded signature (DER for ECDSA).
    pub const fn max_signature_len(self) -> usize {
        match self {
            Self::EcdsaSecp256r1Sha256 => 72,
            Self::EcdsaSecp384r1Sha384 => 104,
            Self::EcdsaSecp521r1Sha512 => 139,
            Self::Ed25519 => 64,
            Self::Ed448 => 114,
        }
    }
}

/// One row of the suite table: every algorithm and length of a cipher suite.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SuiteInfo {
    /// The suite's code point.
    pub suite: CipherSuite,
    /// The registry name.
    pub name: &'static str,
    /// Security level in bits (128 or 256).
    pub security_bits: u16,
    /// The HPKE KEM (init and encryption keys).
    pub kem: KemAlgorithm,
    /// The HPKE and MLS KDF.
    pub kdf: KdfAlgorithm,
    /// The HPKE and MLS AEAD.
    pub aead: AeadAlgorithm,
    /// The MLS hash (RefHash, transcript hashes).
    pub hash: HashAlgorithm,
    /// The signature scheme (leaf and key package signatures).
    pub signature: SignatureScheme,
}

impl SuiteInfo {
    /// `Nh`: output length of the suite's hash and KDF.
    pub const fn hash_len(&self) -> usize {
        self.hash.output_len()
    }
}

impl fmt::Debug for SuiteInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// The seven cipher suites of RFC 9420 §17.1.
pub static SUITES: [SuiteInfo; 7] = [
    SuiteInfo {
        suite: CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
        name: "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
        security_bits: 128,
        kem: KemAlgorithm::DhKemX25519,
        kdf: KdfAlgorithm::HkdfSha256,
        aead: AeadAlgorithm::Aes128Gcm,
        hash: HashAlgorithm::Sha256,
        signature: SignatureScheme::Ed25519,
    },
    SuiteInfo {
        suite: CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256,
        name: "MLS_128_DHKEMP256_AES128GCM_SHA256_P256",
        security_bits: 128,
        kem: KemAlgorithm::DhKemP256,
        kdf: KdfAlgorithm::HkdfSha256,
        aead: AeadAlgorithm::Aes128Gcm,
        hash: HashAlgorithm::Sha256,
        signature: SignatureScheme::EcdsaSecp256r1Sha256,
    },
    SuiteInfo {
        suite: CipherSuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519,
        name: "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519",
        security_bits: 128,
        kem: KemAlgorithm::DhKemX25519,
        kdf: KdfAlgorithm::HkdfSha256,
        aead: AeadAlgorithm::ChaCha20Poly1305,
        hash: HashAlgorithm::Sha256,
        signature: SignatureScheme::Ed25519,
    },
    SuiteInfo {
        suite: CipherSuite::MLS_256_DHKEMX448_AES256GCM_SHA512_ED448,
        name: "MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448",
        security_bits: 256,
        kem: KemAlgorithm::DhKemX448,
        kdf: KdfAlgorithm::HkdfSha512,
        aead: AeadAlgorithm::Aes256Gcm,
        hash: HashAlgorithm::Sha512,
        signature: SignatureScheme::Ed448,
    },
    SuiteInfo {
        suite: CipherSuite::MLS_256_DHKEMP521_AES256GCM_SHA512_P521,
        name: "MLS_256_DHKEMP521_AES256GCM_SHA512_P521",
        security_bits: 256,
        kem: KemAlgorithm::DhKemP521,
        kdf: KdfAlgorithm::HkdfSha512,
        aead: AeadAlgorithm::Aes256Gcm,
        hash: HashAlgorithm::Sha512,
        signature: SignatureScheme::EcdsaSecp521r1Sha512,
    },
    SuiteInfo {
        suite: CipherSuite::MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_ED448,
        name: "MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448",
        security_bits: 256,
        kem: KemAlgorithm::DhKemX448,
        kdf: KdfAlgorithm::HkdfSha512,
        aead: AeadAlgorithm::ChaCha20Poly1305,
        hash: HashAlgorithm::Sha512,
        signature: SignatureScheme::Ed448,
    },
    SuiteInfo {
        suite: CipherSuite::MLS_256_DHKEMP384_AES256GCM_SHA384_P384,
        name: "MLS_256_DHKEMP384_AES256GCM_SHA384_P384",
        security_bits: 256,
        kem: KemAlgorithm::DhKemP384,
        kdf: KdfAlgorithm::HkdfSha384,
        aead: AeadAlgorithm::Aes256Gcm,
        hash: HashAlgorithm::Sha384,
        signature: SignatureScheme::EcdsaSecp384r1Sha384,
    },
];

impl CipherSuite {
    /// The algorithm table row of an RFC 9420 suite, `None` for any other value.
    pub fn info(self) -> Option<&'static SuiteInfo> {
        SUITES.iter().find(|row| row.suite == self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_match_their_code_points_and_names() {
        for row in &SUITES {
            assert_eq!(row.suite.name(), Some(row.name));
            assert_eq!(row.kdf.hash(), row.hash, "{}", row.name);
            assert_eq!(CipherSuite(row.suite.0).info(), Some(row));
        }
        assert!(CipherSuite(8).info().is_none());
        assert!(CipherSuite(0x0A0A).info().is_none());
    }
}
