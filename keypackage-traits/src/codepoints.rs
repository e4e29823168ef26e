//! Open code points (RFC 9420 §17): `u16` newtypes with named constants.
//!
//! MLS registries are open: a peer may send a value we have never heard of
//! (a newer extension, a private-use value, or GREASE, RFC 9420 §13.5). These
//! types therefore hold any `u16`, decode and re-encode it unchanged, and leave
//! to validation the decision whether a value is acceptable where it appears.

use std::fmt;

use tls_codec::{Deserialize, DeserializeBytes, Serialize, Size};

/// Whether `value` is one of the 15 GREASE values of RFC 9420 §13.5
/// (0x0A0A, 0x1A1A, …, 0xEAEA).
pub const fn is_grease_value(value: u16) -> bool {
    let [hi, lo] = value.to_be_bytes();
    hi == lo && (hi & 0x0F) == 0x0A && hi != 0xFA
}

/// The 15 GREASE values of RFC 9420 §13.5, in ascending order.
pub const GREASE_VALUES: [u16; 15] = [
    0x0A0A, 0x1A1A, 0x2A2A, 0x3A3A, 0x4A4A, 0x5A5A, 0x6A6A, 0x7A7A, 0x8A8A, 0x9A9A, 0xAAAA, 0xBABA,
    0xCACA, 0xDADA, 0xEAEA,
];

macro_rules! code_point {
    (
        $(#[$meta:meta])*
        $name:ident, $registry:literal {
            $( $(#[$cmeta:meta])* $const:ident = $value:literal => $label:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(transparent))]
        pub struct $name(pub u16);

        impl $name {
            $( $(#[$cmeta])* pub const $const: Self = Self($value); )*

            /// Every value with a name in this crate, in registry order.
            pub const NAMED: &'static [Self] = &[$(Self::$const),*];

            /// The numeric code point.
            pub const fn value(self) -> u16 {
                self.0
            }

            /// The registry name (RFC 9420 §17), or `None` for an unnamed value.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some($label), )*
                    _ => None,
                }
            }

            /// Whether this is a GREASE value (RFC 9420 §13.5).
            pub const fn is_grease(self) -> bool {
                is_grease_value(self.0)
            }
        }

        impl From<u16> for $name {
            fn from(value: u16) -> Self {
                Self(value)
            }
        }

        impl From<$name> for u16 {
            fn from(value: $name) -> u16 {
                value.0
            }
        }

        /// Prints the registry name, `GREASE(0x0a0a)`, or the hex value.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(name) => f.write_str(name),
                    None if self.is_grease() => write!(f, "GREASE(0x{:04x})", self.0),
                    None => write!(f, "{}(0x{:04x})", $registry, self.0),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self, f)
            }
        }

        impl Size for $name {
            fn tls_serialized_len(&self) -> usize {
                2
            }
        }

        impl Serialize for $name {
            fn tls_serialize<W: std::io::Write>(&self, writer: &mut W) -> Result<usize, tls_codec::Error> {
                self.0.tls_serialize(writer)
            }
        }

        impl Deserialize for $name {
            fn tls_deserialize<R: std::io::Read>(bytes: &mut R) -> Result<Self, tls_codec::Error> {
                u16::tls_deserialize(bytes).map(Self)
            }
        }

        impl DeserializeBytes for $name {
            fn tls_deserialize_bytes(bytes: &[u8]) -> Result<(Self, &[u8]), tls_codec::Error> {
                u16::tls_deserialize_bytes(bytes).map(|(v, rest)| (Self(v), rest))
            }
        }
    };
}

code_point! {
    /// `ProtocolVersion` (RFC 9420 §6). Only `MLS10` is defined.
    ProtocolVersion, "ProtocolVersion" {
        /// `reserved(0)`.
        RESERVED = 0x0000 => "reserved",
        /// `mls10(1)`.
        MLS10 = 0x0001 => "mls10",
    }
}

code_point! {
    /// `CipherSuite` (RFC 9420 §17.1).
    CipherSuite, "CipherSuite" {
        /// MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519
        MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519 = 0x0001 => "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
        /// MLS_128_DHKEMP256_AES128GCM_SHA256_P256
        MLS_128_DHKEMP256_AES128GCM_SHA256_P256 = 0x0002 => "MLS_128_DHKEMP256_AES128GCM_SHA256_P256",
        /// MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519
        MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519 = 0x0003 => "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519",
        /// MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448
        MLS_256_DHKEMX448_AES256GCM_SHA512_ED448 = 0x0004 => "MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448",
        /// MLS_256_DHKEMP521_AES256GCM_SHA512_P521
        MLS_256_DHKEMP521_AES256GCM_SHA512_P521 = 0x0005 => "MLS_256_DHKEMP521_AES256GCM_SHA512_P521",
        /// MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448
        MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_ED448 = 0x0006 => "MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448",
        /// MLS_256_DHKEMP384_AES256GCM_SHA384_P384
        MLS_256_DHKEMP384_AES256GCM_SHA384_P384 = 0x0007 => "MLS_256_DHKEMP384_AES256GCM_SHA384_P384",
    }
}

code_point! {
    /// `ExtensionType` (RFC 9420 §17.3), plus the last-resort extension.
    ExtensionType, "ExtensionType" {
        /// `application_id` (LeafNode).
        APPLICATION_ID = 0x0001 => "application_id",
        /// `ratchet_tree` (GroupInfo).
        RATCHET_TREE = 0x0002 => "ratchet_tree",
        /// `required_capabilities` (GroupContext).
        REQUIRED_CAPABILITIES = 0x0003 => "required_capabilities",
        /// `external_pub` (GroupInfo).
        EXTERNAL_PUB = 0x0004 => "external_pub",
        /// `external_senders` (GroupContext).
        EXTERNAL_SENDERS = 0x0005 => "external_senders",
        /// `last_resort` (KeyPackage), draft-ietf-mls-extensions -04/-05.
        LAST_RESORT = 0x000A => "last_resort",
        /// `app_data_dictionary`, draft-ietf-mls-extensions -06 on; carries the
        /// last-resort component 0x0004 among others.
        APP_DATA_DICTIONARY = 0x0006 => "app_data_dictionary",
    }
}

code_point! {
    /// `ProposalType` (RFC 9420 §17.4).
    ProposalType, "ProposalType" {
        /// `add`.
        ADD = 0x0001 => "add",
        /// `update`.
        UPDATE = 0x0002 => "update",
        /// `remove`.
        REMOVE = 0x0003 => "remove",
        /// `psk`.
        PSK = 0x0004 => "psk",
        /// `reinit`.
        REINIT = 0x0005 => "reinit",
        /// `external_init`.
        EXTERNAL_INIT = 0x0006 => "external_init",
        /// `group_context_extensions`.
        GROUP_CONTEXT_EXTENSIONS = 0x0007 => "group_context_extensions",
    }
}

code_point! {
    /// `CredentialType` (RFC 9420 §17.5).
    CredentialType, "CredentialType" {
        /// `basic`.
        BASIC = 0x0001 => "basic",
        /// `x509`.
        X509 = 0x0002 => "x509",
    }
}

/// Where an extension sits in a key package.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ExtensionLocation {
    /// `KeyPackage.extensions`.
    KeyPackage,
    /// `LeafNode.extensions`.
    LeafNode,
}

impl fmt::Display for ExtensionLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::KeyPackage => "KeyPackage.extensions",
            Self::LeafNode => "LeafNode.extensions",
        })
    }
}

impl ExtensionType {
    /// Whether every MLS client must support this type without listing it
    /// (RFC 9420 §7.2: the default extension types 0x0001–0x0005).
    pub const fn is_default(self) -> bool {
        matches!(self.0, 0x0001..=0x0005)
    }

    /// Whether this type may appear in `location` (rule KP-EXT-PLACEMENT):
    /// the "Message(s)" column of the IANA "MLS Extension Types" registry
    /// (RFC 9420 §17.3), and the extensions draft for `last_resort` and
    /// `app_data_dictionary`. Unknown types have no placement rule.
    pub const fn allowed_in(self, location: ExtensionLocation) -> bool {
        match self {
            // application_id: LN.
            Self::APPLICATION_ID => matches!(location, ExtensionLocation::LeafNode),
            // ratchet_tree, external_pub: GI. required_capabilities,
            // external_senders: GC. Never in a key package or its leaf.
            Self::RATCHET_TREE
            | Self::REQUIRED_CAPABILITIES
            | Self::EXTERNAL_PUB
            | Self::EXTERNAL_SENDERS => false,
            // last_resort: KP.
            Self::LAST_RESORT => matches!(location, ExtensionLocation::KeyPackage),
            // app_data_dictionary: LN, GC, and KP (for the last-resort
            // component); unknown types: anywhere.
            _ => true,
        }
    }
}

impl ProposalType {
    /// Whether every MLS client must support this type without listing it
    /// (RFC 9420 §7.2: the default proposal types 0x0001–0x0007).
    pub const fn is_default(self) -> bool {
        matches!(self.0, 0x0001..=0x0007)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_read_as_the_rfc_9420_fields_they_are() {
        // The `extensions` fields of `struct KeyPackage` (§10) and
        // `struct LeafNode` (§7.2), as error messages name them.
        assert_eq!(
            ExtensionLocation::KeyPackage.to_string(),
            "KeyPackage.extensions"
        );
        assert_eq!(
            ExtensionLocation::LeafNode.to_string(),
            "LeafNode.extensions"
        );
    }

    #[test]
    fn placement_follows_the_registry() {
        use ExtensionLocation::{KeyPackage, LeafNode};
        let table = [
            (ExtensionType::APPLICATION_ID, false, true),
            (ExtensionType::RATCHET_TREE, false, false),
            (ExtensionType::REQUIRED_CAPABILITIES, false, false),
            (ExtensionType::EXTERNAL_PUB, false, false),
            (ExtensionType::EXTERNAL_SENDERS, false, false),
            (ExtensionType::LAST_RESORT, true, false),
            (ExtensionType::APP_DATA_DICTIONARY, true, true),
            (ExtensionType(0x0A0A), true, true),
            (ExtensionType(0xF000), true, true),
        ];
        for (t, in_key_package, in_leaf) in table {
            assert_eq!(
                t.allowed_in(KeyPackage),
                in_key_package,
                "{t:?} in KeyPackage"
            );
            assert_eq!(t.allowed_in(LeafNode), in_leaf, "{t:?} in LeafNode");
        }
        assert_eq!(KeyPackage.to_string(), "KeyPackage.extensions");
        assert_eq!(LeafNode.to_string(), "LeafNode.extensions");
    }

    #[test]
    fn grease_values_are_exactly_the_rfc_list() {
        let found: Vec<u16> = (0..=u16::MAX).filter(|v| is_grease_value(*v)).collect();
        assert_eq!(found, GREASE_VALUES.to_vec());
        assert!(!is_grease_value(0xFAFA));
        assert!(!is_grease_value(0x0A1A));
    }

    #[test]
    fn debug_prints_name_grease_or_hex() {
        assert_eq!(format!("{:?}", ExtensionType::LAST_RESORT), "last_resort");
        assert_eq!(format!("{:?}", ExtensionType(0x3A3A)), "GREASE(0x3a3a)");
        assert_eq!(format!("{:?}", CipherSuite(0xF001)), "CipherSuite(0xf001)");
    }

    #[test]
    fn defaults_match_rfc_9420_section_7_2() {
        assert!(ExtensionType(5).is_default() && !ExtensionType(6).is_default());
        assert!(ProposalType(7).is_default() && !ProposalType(8).is_default());
        assert!(!ExtensionType(0).is_default() && !ProposalType(0).is_default());
    }

    #[test]
    fn codec_round_trips_unknown_values() {
        let v = ExtensionType(0xBABA);
        let bytes = v.tls_serialize_detached().unwrap();
        assert_eq!(bytes, [0xBA, 0xBA]);
        assert_eq!(
            ExtensionType::tls_deserialize_exact_bytes(&bytes).unwrap(),
            v
        );
    }
}
