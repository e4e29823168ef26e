//! Joining with a key store (`keypackage_core::reserve_for_welcome`), under
//! both backends: the normal path by `KeyPackageRef`, and the recovery when
//! an ECDSA key package reached the group under another reference (its
//! signature replaced by the twin `(r, n - s)`; docs/DESIGN.md §5.7).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use interop_tests::{ecdsa_p256_twin, fresh_signer, now};
use keypackage_core::traits::codec::{VarBytes, VarVec};
use keypackage_core::traits::{CipherSuite, KeyPackageRef, KeyStore, OpenMlsCrypto};
use keypackage_core::{
    AcceptAnyCredential, Credential, EncryptedGroupSecrets, FoundBy, JoinError, JoinOptions,
    KeyPackageBuilder, KeyPackageBundle, MemoryKeyStore, ValidationContext, Welcome, labeled,
    reserve_for_welcome,
};

const P256: CipherSuite = CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256;

fn bundle<C: OpenMlsCrypto>(crypto: &C) -> KeyPackageBundle {
    let signer = fresh_signer(crypto, P256).unwrap();
    KeyPackageBuilder::new()
        .build(crypto, P256, Credential::basic("joiner"), &signer)
        .unwrap()
}

/// `GroupSecrets` with a joiner secret of 32 bytes of `fill`.
fn group_secrets(fill: u8) -> Vec<u8> {
    let mut out = vec![32];
    out.extend([fill; 32]);
    out.extend([0, 0]); // no path secret, no PSKs
    out
}

/// A Welcome whose entries are `(new_member, bundle the entry is sealed to)`.
fn welcome<C: OpenMlsCrypto>(
    crypto: &C,
    entries: &[(KeyPackageRef, &KeyPackageBundle)],
) -> Welcome {
    let suite = crypto.suite(P256).unwrap();
    let encrypted_group_info = VarBytes(b"group info".to_vec());
    let secrets = entries
        .iter()
        .enumerate()
        .map(|(i, (new_member, to))| EncryptedGroupSecrets {
            new_member: new_member.clone(),
            encrypted_group_secrets: labeled::encrypt_with_label(
                &suite,
                to.key_package().init_key(),
                labeled::WELCOME_LABEL,
                encrypted_group_info.as_slice(),
                &group_secrets(i as u8),
            )
            .unwrap(),
        })
        .collect();
    Welcome {
        cipher_suite: P256,
        secrets: VarVec(secrets),
        encrypted_group_info,
    }
}

/// The reference of the key package with its signature replaced by the twin.
fn twin_reference<C: OpenMlsCrypto>(crypto: &C, bundle: &KeyPackageBundle) -> KeyPackageRef {
    let mut twin = bundle.key_package().clone().into_untrusted();
    twin.signature = VarBytes(ecdsa_p256_twin(twin.signature.as_slice()).unwrap());
    let ctx = ValidationContext::new(now(), &AcceptAnyCredential);
    let validated = twin.validate(crypto, &ctx).expect("the twin verifies");
    assert_ne!(validated.reference(), bundle.reference());
    validated.reference().clone()
}

fn store_with<C: OpenMlsCrypto>(
    crypto: &C,
    count: usize,
) -> (MemoryKeyStore, Vec<KeyPackageBundle>) {
    let store = MemoryKeyStore::new();
    let bundles: Vec<_> = (0..count).map(|_| bundle(crypto)).collect();
    for b in &bundles {
        store.store(b.to_stored().unwrap()).unwrap();
    }
    (store, bundles)
}

fn by_reference<C: OpenMlsCrypto>(crypto: &C) {
    let (store, bundles) = store_with(crypto, 3);
    let other = bundle(crypto);
    let welcome = welcome(
        crypto,
        &[
            (other.reference().clone(), &other),
            (bundles[1].reference().clone(), &bundles[1]),
        ],
    );
    let joining =
        reserve_for_welcome(&store, crypto, &welcome, now(), JoinOptions::default()).unwrap();
    assert_eq!(joining.found_by, FoundBy::Reference);
    assert_eq!(joining.bundle.reference(), bundles[1].reference());
    assert_eq!(
        joining.group_secrets.joiner_secret.as_slice(),
        &[1u8; 32][..]
    );
    // Reserved: a second attempt does not get it, then confirm erases it.
    assert!(store.take(bundles[1].reference()).unwrap().is_none());
    assert!(store.confirm(bundles[1].reference()).unwrap());
    assert!(store.get(bundles[1].reference()).unwrap().is_none());
}

fn by_trial_decryption<C: OpenMlsCrypto>(crypto: &C) {
    let (store, bundles) = store_with(crypto, 4);
    let renamed = twin_reference(crypto, &bundles[2]);
    let other = bundle(crypto);
    let welcome = welcome(
        crypto,
        &[
            (other.reference().clone(), &other),
            (renamed.clone(), &bundles[2]),
        ],
    );
    let joining =
        reserve_for_welcome(&store, crypto, &welcome, now(), JoinOptions::default()).unwrap();
    assert_eq!(
        joining.found_by,
        FoundBy::TrialDecryption {
            entry_reference: renamed
        }
    );
    assert_eq!(joining.bundle.reference(), bundles[2].reference());
    assert_eq!(
        joining.group_secrets.joiner_secret.as_slice(),
        &[1u8; 32][..]
    );
    // Reserved like the normal path: release makes it available again.
    assert!(store.take(bundles[2].reference()).unwrap().is_none());
    assert!(store.release(bundles[2].reference()).unwrap());
    assert!(store.take(bundles[2].reference()).unwrap().is_some());
}

fn bounded_and_not_found<C: OpenMlsCrypto>(crypto: &C) {
    let (store, bundles) = store_with(crypto, 5);
    let stranger = bundle(crypto);
    let for_stranger = welcome(crypto, &[(stranger.reference().clone(), &stranger)]);
    // Five bundles, one entry: five decryptions, none opens it.
    match reserve_for_welcome(&store, crypto, &for_stranger, now(), JoinOptions::default()) {
        Err(JoinError::NotFound { tried: 5 }) => {}
        other => panic!("{other:?}"),
    }
    // The limit holds, even when the right bundle would come later.
    let renamed = twin_reference(crypto, &bundles[4]);
    let twin_welcome = welcome(crypto, &[(renamed, &bundles[4])]);
    let limited = JoinOptions {
        max_trial_decryptions: 0,
    };
    match reserve_for_welcome(&store, crypto, &twin_welcome, now(), limited) {
        Err(JoinError::TrialLimit { tried: 0 }) => {}
        other => panic!("{other:?}"),
    }
    // Nothing was left reserved by the failed attempts.
    for b in &bundles {
        assert!(store.get(b.reference()).unwrap().is_some());
    }
    assert_eq!(store.count(now()).unwrap().reserved, 0);
}

macro_rules! under {
    ($backend:ident, $crypto:expr) => {
        mod $backend {
            #[test]
            fn by_reference() {
                super::by_reference(&$crypto)
            }
            #[test]
            fn by_trial_decryption() {
                super::by_trial_decryption(&$crypto)
            }
            #[test]
            fn bounded_and_not_found() {
                super::bounded_and_not_found(&$crypto)
            }
        }
    };
}

under!(rustcrypto, keypackage_core::rustcrypto::RustCrypto::new());
under!(ring, keypackage_core::ring::RingCrypto::new());
