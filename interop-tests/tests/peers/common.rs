//! Shared by `peers_openmls.rs` and `peers_mls_rs.rs`: the variants of our
//! key packages offered to a peer, the malformed key packages of the
//! negative-agreement tests, our own verdict on bytes, and the verdict table
//! each test prints.
// Each test file uses a part of this module.
#![allow(dead_code)]

use interop_tests::{SignerOf, fresh_signer, now};
use keypackage_core::traits::ExtensionType;
use keypackage_core::traits::{CipherSuite, OpenMlsCrypto};
use keypackage_core::{
    AcceptAnyCredential, Credential, Extension, GroupSecrets, KeyPackage, KeyPackageBuilder,
    KeyPackageBundle, KeyPackageIn, LeafNodeSource, Lifetime, MlsMessageIn, Rule,
    ValidationContext, ValidationError, encode_key_package_message, labeled,
};

/// A private-use extension type our leaf carries in the `LeafExtension`
/// variant (listed in capabilities, as the builder does).
pub(crate) const APP_EXTENSION: ExtensionType = ExtensionType(0xFF01);

/// The key packages we offer a peer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Variant {
    /// The builder's defaults: GREASE in the four capability lists.
    Plain,
    /// `last_resort()`: extension 0x000A in `KeyPackage.extensions`, listed.
    LastResort,
    /// A private-use leaf extension (0xFF01), listed.
    LeafExtension,
    /// `grease_leaf_extension()`: a GREASE type in `LeafNode.extensions`, listed.
    GreaseLeafExtension,
    /// `grease_key_package_extension()`: a GREASE type in
    /// `KeyPackage.extensions`, listed.
    GreaseKeyPackageExtension,
}

impl Variant {
    /// Every variant, in table order.
    pub(crate) const ALL: [Variant; 5] = [
        Variant::Plain,
        Variant::LastResort,
        Variant::LeafExtension,
        Variant::GreaseLeafExtension,
        Variant::GreaseKeyPackageExtension,
    ];

    /// The name used in the verdict table.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Variant::Plain => "default (GREASE caps)",
            Variant::LastResort => "last_resort()",
            Variant::LeafExtension => "leaf extension 0xFF01",
            Variant::GreaseLeafExtension => "grease_leaf_extension()",
            Variant::GreaseKeyPackageExtension => "grease_key_package_extension()",
        }
    }

    /// The builder for this variant.
    pub(crate) fn builder(self) -> KeyPackageBuilder {
        let builder = KeyPackageBuilder::new();
        match self {
            Variant::Plain => builder,
            Variant::LastResort => builder.last_resort(),
            Variant::LeafExtension => {
                builder.leaf_extension(Extension::new(APP_EXTENSION, b"app data".to_vec()))
            }
            Variant::GreaseLeafExtension => builder.grease_leaf_extension(),
            Variant::GreaseKeyPackageExtension => builder.grease_key_package_extension(),
        }
    }
}

/// One of our key packages for `suite`, made by `crypto` with a fresh
/// signature key; also returns the signer (for mutations that re-sign).
pub(crate) fn ours<C: OpenMlsCrypto>(
    crypto: &C,
    suite: CipherSuite,
    variant: Variant,
) -> (KeyPackageBundle, SignerOf<C>) {
    let signer = fresh_signer(crypto, suite).unwrap();
    let bundle = variant
        .builder()
        .build(crypto, suite, Credential::basic("ours"), &signer)
        .unwrap_or_else(|e| panic!("{suite:?} {}: {e}", crypto.name()));
    (bundle, signer)
}

/// A file of keypackage-x509's OpenSSL fixtures (valid 2025–2045).
pub(crate) fn x509_fixture(alg: &str, file: &str) -> Vec<u8> {
    let path = format!(
        "{}/../keypackage-x509/tests/fixtures/{alg}/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The fixture (`ed25519`, `p256`, `p384`) for `suite`'s signature scheme.
pub(crate) fn x509_fixture_for(suite: CipherSuite) -> &'static str {
    match suite.info().unwrap().signature {
        keypackage_core::traits::SignatureScheme::Ed25519 => "ed25519",
        keypackage_core::traits::SignatureScheme::EcdsaSecp256r1Sha256 => "p256",
        keypackage_core::traits::SignatureScheme::EcdsaSecp384r1Sha384 => "p384",
        other => panic!("no x509 fixture for {other:?}"),
    }
}

/// Our key package with an `x509` credential (the fixture chain, end
/// entity and intermediate, signed with the end entity's PKCS#8 key), and
/// the same with the end entity's certificate signature broken: a
/// credential no path validation accepts, signed with the same key.
pub(crate) fn ours_x509<C: OpenMlsCrypto>(
    crypto: &C,
    suite: CipherSuite,
) -> (KeyPackageBundle, KeyPackageBundle) {
    use keypackage_x509::{BuildX509, X509Signer, x509_credential};
    let alg = x509_fixture_for(suite);
    let signer = X509Signer::from_files(
        crypto,
        suite,
        &x509_fixture(alg, "chain.pem"),
        &x509_fixture(alg, "ee.key.pem"),
    )
    .unwrap();
    // RFC 9420 §7.3: a new member supports every credential type in use,
    // and the peers' groups use basic credentials.
    let builder = KeyPackageBuilder::new()
        .supports_credential(keypackage_core::traits::CredentialType::BASIC);
    let good = builder.build_x509(crypto, suite, &signer).unwrap();
    let mut chain = signer.chain().to_vec();
    *chain[0].last_mut().unwrap() ^= 1;
    let broken = builder
        .build(crypto, suite, x509_credential(chain), &signer)
        .unwrap();
    (good, broken)
}

/// Our verdict on an x509 key package, with the fixture's root as the only
/// trust anchor, at the validation time `now()`.
pub(crate) fn our_x509_verdict<C: OpenMlsCrypto>(
    crypto: &C,
    suite: CipherSuite,
    message: &[u8],
) -> Result<KeyPackage, ValidationError>
where
    C::Suite: 'static,
{
    use keypackage_x509::{TrustAnchors, X509CredentialValidator};
    let roots = TrustAnchors::from_pem(&x509_fixture(x509_fixture_for(suite), "root.pem")).unwrap();
    let validator = X509CredentialValidator::new(crypto, roots);
    let ctx = ValidationContext::new(now(), &validator);
    KeyPackageIn::validate_message(message, crypto, &ctx)
}

/// The `MLSMessage` (mls_key_package) form of a key package.
pub(crate) fn message(key_package: &KeyPackage) -> Vec<u8> {
    encode_key_package_message(key_package).unwrap()
}

/// Wraps bare key-package bytes in an `MLSMessage` header (mls10,
/// mls_key_package), whatever the bytes are.
pub(crate) fn wrap(bare: &[u8]) -> Vec<u8> {
    let mut out = vec![0x00, 0x01, 0x00, 0x05];
    out.extend_from_slice(bare);
    out
}

/// Our verdict on an `MLSMessage` carrying a key package, under the default
/// policy (or with KP-NO-DEFAULTS off).
pub(crate) fn our_verdict<C: OpenMlsCrypto>(
    crypto: &C,
    message: &[u8],
    refuse_listed_defaults: bool,
) -> Result<KeyPackage, ValidationError> {
    let ctx = ValidationContext::new(now(), &AcceptAnyCredential)
        .with_refuse_listed_defaults(refuse_listed_defaults);
    KeyPackageIn::validate_message(message, crypto, &ctx)
}

/// "accept", or "refuse (<error>)", the error starting with its rule ID.
pub(crate) fn describe_ours(verdict: &Result<KeyPackage, ValidationError>) -> String {
    match verdict {
        Ok(_) => "accept".to_string(),
        Err(e) => {
            let text = e.to_string();
            assert!(text.starts_with(rule_id(e)), "{text}");
            format!("refuse ({text})")
        }
    }
}

/// The rule ID of a validation error ("internal" for a bug of ours).
pub(crate) fn rule_id(e: &ValidationError) -> &'static str {
    e.rule().map_or("internal", Rule::id)
}

/// The malformed key packages of the negative-agreement tests. Those that
/// change a field re-sign with the right key, so the intended rule is hit,
/// not a signature check.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Malformed {
    /// The last byte of the KeyPackage signature flipped.
    BadKeyPackageSignature,
    /// The last byte of the LeafNode signature flipped.
    BadLeafSignature,
    /// One byte after the key package.
    TrailingByte,
    /// The last byte of the key package missing.
    Truncated,
    /// `init_key` set to the leaf's `encryption_key`, re-signed.
    InitKeyEqualsEncryptionKey,
    /// A lifetime that ended a day ago, re-signed.
    Expired,
    /// A private-use leaf extension not listed in capabilities, re-signed.
    UnlistedLeafExtension,
    /// A last-resort extension removed from capabilities, re-signed.
    UnlistedLastResort,
}

impl Malformed {
    /// Every case, in table order.
    pub(crate) const ALL: [Malformed; 8] = [
        Malformed::BadKeyPackageSignature,
        Malformed::BadLeafSignature,
        Malformed::TrailingByte,
        Malformed::Truncated,
        Malformed::InitKeyEqualsEncryptionKey,
        Malformed::Expired,
        Malformed::UnlistedLeafExtension,
        Malformed::UnlistedLastResort,
    ];

    /// The name used in the verdict table.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Malformed::BadKeyPackageSignature => "bad KeyPackage signature",
            Malformed::BadLeafSignature => "bad LeafNode signature",
            Malformed::TrailingByte => "trailing byte",
            Malformed::Truncated => "truncated by one byte",
            Malformed::InitKeyEqualsEncryptionKey => "init_key == encryption_key (re-signed)",
            Malformed::Expired => "expired lifetime (re-signed)",
            Malformed::UnlistedLeafExtension => "unlisted leaf extension 0xFF01 (re-signed)",
            Malformed::UnlistedLastResort => "unlisted last_resort (re-signed)",
        }
    }

    /// The rule our validator must name.
    pub(crate) fn our_rule(self) -> Rule {
        match self {
            Malformed::BadKeyPackageSignature => Rule::Signature,
            Malformed::BadLeafSignature => Rule::LeafSignature,
            Malformed::TrailingByte | Malformed::Truncated => Rule::Decode,
            Malformed::InitKeyEqualsEncryptionKey => Rule::Distinct,
            Malformed::Expired => Rule::Lifetime,
            Malformed::UnlistedLeafExtension => Rule::LeafExtensions,
            Malformed::UnlistedLastResort => Rule::Extensions,
        }
    }

    /// The malformed key package, as bare bytes (a decoder meets the
    /// trailing or missing byte at the end of the key package itself).
    pub(crate) fn bare_bytes<C: OpenMlsCrypto>(self, crypto: &C, suite: CipherSuite) -> Vec<u8> {
        let variant = match self {
            Malformed::UnlistedLastResort => Variant::LastResort,
            _ => Variant::Plain,
        };
        let (bundle, signer) = ours(crypto, suite, variant);
        let mut kp = bundle.key_package().clone().into_untrusted();
        match self {
            Malformed::BadKeyPackageSignature => flip_last(&mut kp.signature.0),
            Malformed::BadLeafSignature => flip_last(&mut kp.leaf_node.signature.0),
            Malformed::TrailingByte | Malformed::Truncated => {}
            Malformed::InitKeyEqualsEncryptionKey => {
                kp.init_key = kp.leaf_node.encryption_key.clone();
                kp.resign(&signer).unwrap();
            }
            Malformed::Expired => {
                let now = now();
                kp.leaf_node.leaf_node_source =
                    LeafNodeSource::KeyPackage(Lifetime::new(now - 2 * 86_400, now - 86_400));
                kp.resign(&signer).unwrap();
            }
            Malformed::UnlistedLeafExtension => {
                kp.leaf_node
                    .extensions
                    .push(Extension::new(APP_EXTENSION, b"unlisted".to_vec()));
                kp.resign(&signer).unwrap();
            }
            Malformed::UnlistedLastResort => {
                kp.leaf_node
                    .capabilities
                    .extensions
                    .0
                    .retain(|t| *t != ExtensionType::LAST_RESORT);
                kp.resign(&signer).unwrap();
            }
        }
        let mut bytes = kp.encode().unwrap();
        match self {
            Malformed::TrailingByte => bytes.push(0),
            Malformed::Truncated => {
                bytes.pop();
            }
            _ => {}
        }
        bytes
    }
}

fn flip_last(bytes: &mut [u8]) {
    let last = bytes.last_mut().unwrap();
    *last ^= 0x01;
}

/// The Welcome's group secrets for our key package, opened as a joiner
/// would: find the entry for our KeyPackageRef, DecryptWithLabel with the
/// bundle's init private key, decode GroupSecrets. Also checks that the
/// wrong private key (the leaf's) does not open it.
pub(crate) fn open_welcome<C: OpenMlsCrypto>(
    crypto: &C,
    bundle: &KeyPackageBundle,
    welcome_message: &[u8],
) -> GroupSecrets {
    let MlsMessageIn::Welcome { version, welcome } = MlsMessageIn::decode(welcome_message).unwrap()
    else {
        panic!("not a Welcome");
    };
    assert_eq!(version, keypackage_core::traits::ProtocolVersion::MLS10);
    let suite = bundle.key_package().cipher_suite();
    assert_eq!(welcome.cipher_suite, suite);
    let entry = welcome
        .secrets_for(bundle.reference())
        .expect("the Welcome has no entry for our KeyPackageRef");
    let provider = crypto.suite(suite).unwrap();
    let open = |key| {
        labeled::decrypt_with_label(
            &provider,
            key,
            labeled::WELCOME_LABEL,
            welcome.encrypted_group_info.as_slice(),
            &entry.encrypted_group_secrets,
        )
    };
    assert!(
        open(bundle.encryption_private_key()).is_err(),
        "the leaf key must not open the group secrets"
    );
    let plaintext = open(bundle.init_private_key())
        .unwrap_or_else(|e| panic!("DecryptWithLabel under {}: {e}", crypto.name()));
    let secrets = GroupSecrets::decode(plaintext.expose()).unwrap();
    assert_eq!(
        secrets.joiner_secret.as_slice().len(),
        suite.info().unwrap().hash_len()
    );
    secrets
}

/// The verdict table a test prints (Markdown, so it can be pasted into
/// docs/INTEROP.md).
pub(crate) struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these columns.
    pub(crate) fn new(header: &[&'static str]) -> Self {
        Self {
            header: header.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (one cell per column).
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        assert_eq!(cells.len(), self.header.len());
        self.rows.push(cells);
    }

    /// Prints the table under a title.
    pub(crate) fn print(&self, title: &str) {
        println!("\n### {title}\n");
        println!("| {} |", self.header.join(" | "));
        println!("|{}", "---|".repeat(self.header.len()));
        for row in &self.rows {
            println!("| {} |", row.join(" | ").replace('\n', " "));
        }
    }
}

/// The suite's short name in the tables ("1", "2", ...).
pub(crate) fn suite_name(suite: CipherSuite) -> String {
    suite.0.to_string()
}
