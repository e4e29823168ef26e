//! Opening a Welcome with a bundle (RFC 9420 §12.4.3.1), and the strictness
//! of what a Welcome carries: the suite and version checks, `GroupSecrets`
//! decoding (PSK usage range, §8.4), constant-time equality, and the
//! LeafNodeTBS of leaves that need a group context (§7.2).
#![cfg(feature = "rustcrypto")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use keypackage_core::rustcrypto::RustCrypto;
use keypackage_core::traits::codec::{VarBytes, VarVec};
use keypackage_core::traits::{CipherSuite, KeyPackageRef, OpenMlsCrypto, ProtocolVersion};
use keypackage_core::{
    Credential, EncodeError, EncryptedGroupSecrets, GroupSecrets, KeyPackageBuilder,
    KeyPackageBundle, LeafNodeSource, MlsMessageIn, PreSharedKeyId, Welcome, WelcomeError, labeled,
};
use tls_codec::{Serialize, Size};

const SUITE1: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;

fn bundle(crypto: &RustCrypto) -> KeyPackageBundle {
    let suite = crypto.suite(SUITE1).unwrap();
    let private = keypackage_core::traits::CipherSuiteProvider::signature_generate_key_pair(&suite)
        .unwrap()
        .private;
    let signer = keypackage_core::traits::CipherSuiteProvider::signer(&suite, &private).unwrap();
    KeyPackageBuilder::new()
        .build(crypto, SUITE1, Credential::basic("joiner"), &signer)
        .unwrap()
}

/// `GroupSecrets` with a joiner secret of 32 bytes of `fill`, no path
/// secret, and `psks`.
fn group_secrets_bytes(fill: u8, psks: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    VarBytes(vec![fill; 32]).tls_serialize(&mut out).unwrap();
    out.push(0); // no path secret
    let body: Vec<u8> = psks.concat();
    VarBytes(body).tls_serialize(&mut out).unwrap();
    out
}

/// A Welcome in `suite` whose one entry, for `reference`, seals
/// `plaintext` to `bundle`'s init key.
fn welcome_for(
    crypto: &RustCrypto,
    bundle: &KeyPackageBundle,
    suite: CipherSuite,
    reference: KeyPackageRef,
    plaintext: &[u8],
) -> Welcome {
    let provider = crypto.suite(SUITE1).unwrap();
    let encrypted_group_info = VarBytes(b"encrypted group info".to_vec());
    let sealed = labeled::encrypt_with_label(
        &provider,
        bundle.key_package().init_key(),
        labeled::WELCOME_LABEL,
        encrypted_group_info.as_slice(),
        plaintext,
    )
    .unwrap();
    Welcome {
        cipher_suite: suite,
        secrets: VarVec(vec![EncryptedGroupSecrets {
            new_member: reference,
            encrypted_group_secrets: sealed,
        }]),
        encrypted_group_info,
    }
}

fn welcome_message(version: u16, welcome: &Welcome) -> Vec<u8> {
    let mut out = Vec::new();
    version.tls_serialize(&mut out).unwrap();
    3u16.tls_serialize(&mut out).unwrap(); // mls_welcome
    welcome.tls_serialize(&mut out).unwrap();
    out
}

#[test]
fn a_bundle_opens_the_welcome_addressed_to_it() {
    let crypto = RustCrypto::new();
    let bundle = bundle(&crypto);
    let plaintext = group_secrets_bytes(7, &[]);
    let welcome = welcome_for(
        &crypto,
        &bundle,
        SUITE1,
        bundle.reference().clone(),
        &plaintext,
    );
    let message = welcome_message(1, &welcome);
    let decoded = MlsMessageIn::decode_welcome(&message).unwrap();
    let secrets = bundle.open_welcome(&crypto, &decoded).unwrap();
    assert_eq!(secrets.joiner_secret.as_slice(), &[7u8; 32][..]);
    assert!(secrets.path_secret.is_none());
}

#[test]
fn a_welcome_in_another_suite_is_refused_before_decryption() {
    let crypto = RustCrypto::new();
    let bundle = bundle(&crypto);
    let other = CipherSuite::MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519;
    let welcome = welcome_for(
        &crypto,
        &bundle,
        other,
        bundle.reference().clone(),
        &group_secrets_bytes(7, &[]),
    );
    assert_eq!(
        bundle.open_welcome(&crypto, &welcome).unwrap_err(),
        WelcomeError::CipherSuiteMismatch {
            welcome: other,
            key_package: SUITE1
        }
    );
}

#[test]
fn a_welcome_message_of_another_version_is_refused() {
    let crypto = RustCrypto::new();
    let bundle = bundle(&crypto);
    let welcome = welcome_for(
        &crypto,
        &bundle,
        SUITE1,
        bundle.reference().clone(),
        &group_secrets_bytes(7, &[]),
    );
    assert_eq!(
        MlsMessageIn::decode_welcome(&welcome_message(2, &welcome)).unwrap_err(),
        WelcomeError::Version {
            version: ProtocolVersion(2)
        }
    );
}

#[test]
fn a_welcome_for_someone_else_or_tampered_is_refused() {
    let crypto = RustCrypto::new();
    let bundle = bundle(&crypto);
    let plaintext = group_secrets_bytes(7, &[]);
    let elsewhere = welcome_for(
        &crypto,
        &bundle,
        SUITE1,
        KeyPackageRef::new(vec![0xAB; 32]),
        &plaintext,
    );
    assert_eq!(
        bundle.open_welcome(&crypto, &elsewhere).unwrap_err(),
        WelcomeError::NotAddressed
    );
    let mut tampered = welcome_for(
        &crypto,
        &bundle,
        SUITE1,
        bundle.reference().clone(),
        &plaintext,
    );
    tampered.encrypted_group_info = VarBytes(b"another group info".to_vec());
    assert!(matches!(
        bundle.open_welcome(&crypto, &tampered),
        Err(WelcomeError::Decrypt(_))
    ));
    let garbage = welcome_for(
        &crypto,
        &bundle,
        SUITE1,
        bundle.reference().clone(),
        &[1, 2, 3],
    );
    assert!(matches!(
        bundle.open_welcome(&crypto, &garbage),
        Err(WelcomeError::GroupSecrets(_))
    ));
}

/// `resumption(2)` PSK id with the given usage byte.
fn resumption_psk(usage: u8) -> Vec<u8> {
    let psk = PreSharedKeyId::Resumption {
        usage,
        psk_group_id: VarBytes(b"group".to_vec()),
        psk_epoch: 9,
        psk_nonce: VarBytes(vec![0; 32]),
    };
    let mut out = Vec::new();
    psk.tls_serialize(&mut out).unwrap();
    out
}

#[test]
fn psk_ids_encode_as_rfc_9420_section_8_4_draws_them() {
    let external = PreSharedKeyId::External {
        psk_id: VarBytes(b"abc".to_vec()),
        psk_nonce: VarBytes(vec![7, 8]),
    };
    // psktype external(1), psk_id<V>, psk_nonce<V>.
    let external_bytes = [1, 3, b'a', b'b', b'c', 2, 7, 8];
    let mut group_id_and_epoch = vec![2, 2, 5];
    group_id_and_epoch.extend_from_slice(b"group");
    group_id_and_epoch.extend_from_slice(&9u64.to_be_bytes());
    // psktype resumption(2), usage reinit(2), psk_group_id<V>, psk_epoch,
    // psk_nonce<V> of 32 zero bytes.
    let mut resumption_bytes = group_id_and_epoch;
    resumption_bytes.push(32);
    resumption_bytes.extend_from_slice(&[0; 32]);
    let resumption = PreSharedKeyId::Resumption {
        usage: 2,
        psk_group_id: VarBytes(b"group".to_vec()),
        psk_epoch: 9,
        psk_nonce: VarBytes(vec![0; 32]),
    };
    for (psk, want) in [
        (external, &external_bytes[..]),
        (resumption, &resumption_bytes[..]),
    ] {
        let mut out = Vec::new();
        assert_eq!(psk.tls_serialize(&mut out).unwrap(), want.len());
        assert_eq!(out, want);
        assert_eq!(psk.tls_serialized_len(), want.len());
    }
}

#[test]
fn resumption_psk_usage_is_range_checked() {
    // application(1), reinit(2), branch(3) decode (§8.4) ...
    for usage in 1..=3 {
        let bytes = group_secrets_bytes(1, &[resumption_psk(usage)]);
        let secrets = GroupSecrets::decode(&bytes).unwrap();
        assert_eq!(secrets.psks.len(), 1);
    }
    // ... reserved(0) and everything above do not.
    for usage in [0u8, 4, 0x80, 0xFF] {
        let bytes = group_secrets_bytes(1, &[resumption_psk(usage)]);
        assert!(GroupSecrets::decode(&bytes).is_err(), "usage {usage}");
    }
}

#[test]
fn group_secrets_compare_by_value() {
    let a = GroupSecrets::decode(&group_secrets_bytes(1, &[])).unwrap();
    let same = GroupSecrets::decode(&group_secrets_bytes(1, &[])).unwrap();
    let other = GroupSecrets::decode(&group_secrets_bytes(2, &[])).unwrap();
    let with_psk = GroupSecrets::decode(&group_secrets_bytes(1, &[resumption_psk(1)])).unwrap();
    assert_eq!(a, same);
    assert_ne!(a, other);
    assert_ne!(a, with_psk);
    let mut with_path = a.clone();
    with_path.path_secret = Some(VarBytes(vec![1; 32]));
    assert_ne!(a, with_path);
    assert_ne!(with_path, a);
    // Both with a path secret: equal when the secrets are.
    assert_eq!(with_path, with_path.clone());
    let mut other_path = with_path.clone();
    other_path.path_secret = Some(VarBytes(vec![2; 32]));
    assert_ne!(with_path, other_path);
}

#[test]
fn group_secrets_debug_names_the_fields_and_hides_the_secrets() {
    let mut secrets =
        GroupSecrets::decode(&group_secrets_bytes(0xAB, &[resumption_psk(1)])).unwrap();
    secrets.path_secret = Some(VarBytes(vec![0xCD; 32]));
    let text = format!("{secrets:?}");
    assert_eq!(
        text,
        r#"GroupSecrets { joiner_secret: "<redacted>", path_secret: Some("<redacted>"), psks: 1 }"#
    );
    // Neither secret's bytes (0xAB = 171, 0xCD = 205) in any notation.
    for needle in ["171", "205", "ab", "cd", "AB", "CD"] {
        assert!(!text.contains(needle), "{needle} in {text}");
    }
}

#[test]
fn update_and_commit_leaves_need_the_group_context_for_their_tbs() {
    let crypto = RustCrypto::new();
    let bundle = bundle(&crypto);
    let mut leaf = bundle.key_package().leaf_node().clone();
    // A key-package leaf: the content alone, with or without a group.
    let alone = leaf.tbs(None).unwrap();
    assert_eq!(leaf.tbs(Some((b"g", 3))).unwrap(), alone);
    for source in [
        LeafNodeSource::Update,
        LeafNodeSource::Commit(VarBytes(vec![5; 32])),
    ] {
        leaf.leaf_node_source = source;
        assert_eq!(leaf.tbs(None), Err(EncodeError::MissingGroupContext));
        let with_group = leaf.tbs(Some((b"g", 3))).unwrap();
        // content || group_id<V> || uint32 leaf_index.
        assert!(with_group.ends_with(&[1, b'g', 0, 0, 0, 3]));
    }
}
