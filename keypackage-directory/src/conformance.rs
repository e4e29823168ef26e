//! The conformance suite every [`Store`] must pass, through a
//! [`Directory`] with a [`ManualClock`] and real key packages (suite 1,
//! RustCrypto). Each check takes a fresh, empty store and panics on the
//! first broken expectation. `tests/sqlite.rs` and `tests/postgres.rs` run
//! it on both engines; another engine runs it the same way.
//!
//! The expected values are written down here (counts, rule IDs, which
//! reference comes back), never computed by the code under test.

// A conformance suite reports by panicking, as a test does.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashSet;
use std::sync::Arc;

use keypackage_core::rustcrypto::{RustCrypto, RustCryptoSigner};
use keypackage_core::traits::SignatureScheme;
use keypackage_core::traits::{CipherSuite, KeyPackageRef};
use keypackage_core::{
    Credential, KeyPackageBuilder, KeyPackageIn, Lifetime, encode_key_package_message,
};

use crate::{
    BasicIdentityPolicy, Claim, Directory, Limits, ManualClock, Published, RateLimit, Store,
};

/// The time the suite starts at (2027-01-15).
pub const T0: u64 = 1_800_000_000;

/// The suite of the fixtures' key packages.
pub const SUITE: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;

/// A day.
pub const DAY: u64 = 86_400;

/// Key packages, a clock and a policy for the checks.
pub struct Fixture {
    crypto: RustCrypto,
    /// The directory's clock, at [`T0`] to start with.
    pub clock: Arc<ManualClock>,
    /// Basic identities, owner = identity.
    pub policy: Arc<BasicIdentityPolicy<RustCrypto>>,
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

impl Fixture {
    /// The clock at [`T0`].
    pub fn new() -> Self {
        Self {
            crypto: RustCrypto::new(),
            clock: Arc::new(ManualClock::new(T0)),
            policy: Arc::new(BasicIdentityPolicy::new(RustCrypto::new())),
        }
    }

    /// A directory over `store` with this fixture's clock.
    pub fn directory(&self, store: Arc<dyn Store>) -> Directory {
        Directory::new(store, self.clock.clone())
    }

    /// One suite-1 key package of `owner` (a basic credential), valid from
    /// an hour before [`T0`] until `not_after`, in its bare encoding.
    pub fn key_package_until(&self, owner: &str, not_after: u64, last_resort: bool) -> Vec<u8> {
        let signer = RustCryptoSigner::generate(SignatureScheme::Ed25519).unwrap();
        let mut builder = KeyPackageBuilder::new().lifetime(Lifetime::new(T0 - 3600, not_after));
        if last_resort {
            builder = builder.last_resort();
        }
        builder
            .build(&self.crypto, SUITE, Credential::basic(owner), &signer)
            .unwrap()
            .key_package()
            .encode()
            .unwrap()
    }

    /// `n` key packages of `owner` valid for 30 days from [`T0`].
    pub fn key_packages(&self, owner: &str, n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|_| self.key_package_until(owner, T0 + 30 * DAY, false))
            .collect()
    }

    /// A last-resort key package of `owner` valid for 30 days from [`T0`].
    pub fn last_resort(&self, owner: &str) -> Vec<u8> {
        self.key_package_until(owner, T0 + 30 * DAY, true)
    }

    /// The reference of a key package this fixture made.
    pub fn reference(&self, bytes: &[u8]) -> KeyPackageRef {
        let ctx =
            keypackage_core::ValidationContext::new(T0, &keypackage_core::AcceptAnyCredential);
        KeyPackageIn::decode(bytes)
            .unwrap()
            .validate(&self.crypto, &ctx)
            .unwrap()
            .reference()
            .clone()
    }

    /// The same key package with its lifetime moved by one second and both
    /// signatures renewed (the owner's signer is not kept, so a new one
    /// signs, and the signature key changes): another key package, another
    /// reference, the same init key.
    pub fn same_init_key(&self, bytes: &[u8]) -> Vec<u8> {
        let signer = RustCryptoSigner::generate(SignatureScheme::Ed25519).unwrap();
        let mut kp = KeyPackageIn::decode(bytes).unwrap();
        kp.leaf_node.signature_key = keypackage_core::traits::SignaturePublicKey::new(
            keypackage_core::traits::Signer::public_key(&signer)
                .as_slice()
                .to_vec(),
        );
        if let keypackage_core::LeafNodeSource::KeyPackage(lifetime) =
            &mut kp.leaf_node.leaf_node_source
        {
            lifetime.not_after -= 1;
        }
        kp.resign(&signer).unwrap();
        kp.encode().unwrap()
    }
}

fn refs(report: &crate::PublishReport) -> Vec<KeyPackageRef> {
    report
        .outcomes
        .iter()
        .map(|o| match o {
            Published::Stored(r) => r.clone(),
            other => panic!("not stored: {other:?}"),
        })
        .collect()
}

fn ids(report: &crate::PublishReport) -> Vec<&'static str> {
    report
        .outcomes
        .iter()
        .map(|o| match o {
            Published::Stored(_) => "stored",
            Published::AlreadyStored(_) => "already-stored",
            Published::Refused(r) => r.id(),
        })
        .collect()
}

fn got(claim: &Claim) -> KeyPackageRef {
    match claim {
        Claim::KeyPackage(kp) => kp.reference.clone(),
        other => panic!("expected a key package, got {other:?}"),
    }
}

/// Each published key package is handed out exactly once, bytes intact;
/// then nothing.
pub async fn claim_once(store: Arc<dyn Store>) {
    let fx = Fixture::new();
    let dir = fx.directory(store);
    let uploads = fx.key_packages("alice", 5);
    let report = dir
        .publish(&fx.policy, "alice", uploads.clone())
        .await
        .unwrap();
    let published: HashSet<_> = refs(&report).into_iter().collect();
    assert_eq!(published.len(), 5);
    let mut claimed = HashSet::new();
    for _ in 0..5 {
        let claim = dir.claim("alice", SUITE, "bob").await.unwrap();
        let kp = claim.key_package().unwrap();
        assert_eq!(kp.cipher_suite, SUITE);
        assert_eq!(kp.not_after, T0 + 30 * DAY);
        assert!(uploads.contains(&kp.key_package), "bytes changed");
        assert_eq!(fx.reference(&kp.key_package), kp.reference);
        assert!(claimed.insert(got(&claim)), "handed out twice");
    }
    assert_eq!(claimed, published);
    assert_eq!(
        dir.claim("alice", SUITE, "bob").await.unwrap(),
        Claim::Empty
    );
    assert_eq!(
        dir.claim("carol", SUITE, "bob").await.unwrap(),
        Claim::Empty
    );
    assert!(dir.count("alice").await.unwrap().is_empty());
}

/// The last resort is handed out only when nothing else is left, and stays.
pub async fn last_resort_fallback(store: Arc<dyn Store>) {
    let fx = Fixture::new();
    let dir = fx.directory(store);
    let last = fx.last_resort("alice");
    let last_ref = fx.reference(&last);
    let mut uploads = vec![last.clone()];
    uploads.extend(fx.key_packages("alice", 2));
    dir.publish(&fx.policy, "alice", uploads).await.unwrap();
    let counts = dir.count("alice").await.unwrap();
    assert_eq!(counts.len(), 1);
    assert_eq!((counts[0].available, counts[0].last_resort), (2, 1));
    assert!(counts[0].has_last_resort());
    for _ in 0..2 {
        let claim = dir.claim("alice", SUITE, "bob").await.unwrap();
        assert_ne!(got(&claim), last_ref, "the last resort came first");
    }
    for _ in 0..3 {
        match dir.claim("alice", SUITE, "bob").await.unwrap() {
            Claim::LastResort(kp) => {
                assert_eq!(kp.reference, last_ref);
                assert_eq!(kp.key_package, last);
            }
            other => panic!("expected the last resort, got {other:?}"),
        }
    }
    let counts = dir.count("alice").await.unwrap();
    assert_eq!((counts[0].available, counts[0].last_resort), (0, 1));
    // Another suite has nothing.
    let suite2 = CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256;
    assert_eq!(
        dir.claim("alice", suite2, "bob").await.unwrap(),
        Claim::Empty
    );
}

/// Expiry follows the injected clock: inclusive `not_after`, for normal and
/// last-resort key packages; the soonest-expiring is handed out first; an
/// expired upload is refused with KP-LIFETIME.
pub async fn expiry_with_injected_clock(store: Arc<dyn Store>) {
    let fx = Fixture::new();
    let dir = fx.directory(store);
    let soon = fx.key_package_until("alice", T0 + 100, false);
    let later = fx.key_package_until("alice", T0 + 200, false);
    let last = fx.key_package_until("alice", T0 + 300, true);
    let report = dir
        .publish(
            &fx.policy,
            "alice",
            vec![later.clone(), soon.clone(), last.clone()],
        )
        .await
        .unwrap();
    assert_eq!(ids(&report), ["stored", "stored", "stored"]);

    // Soonest expiry first.
    let claim = dir.claim("alice", SUITE, "bob").await.unwrap();
    assert_eq!(got(&claim), fx.reference(&soon));
    dir.delete_owner("alice").await.unwrap();
    dir.publish(&fx.policy, "alice", vec![later.clone(), last.clone()])
        .await
        .unwrap();

    // At not_after exactly: still valid (RFC 9420 §7.3, KP-LIFETIME).
    fx.clock.set(T0 + 200);
    assert_eq!(dir.count("alice").await.unwrap()[0].available, 1);
    // One second later: expired, and the last resort answers.
    fx.clock.set(T0 + 201);
    assert_eq!(dir.count("alice").await.unwrap()[0].available, 0);
    match dir.claim("alice", SUITE, "bob").await.unwrap() {
        Claim::LastResort(kp) => assert_eq!(kp.reference, fx.reference(&last)),
        other => panic!("expected the last resort, got {other:?}"),
    }
    fx.clock.set(T0 + 301);
    assert_eq!(
        dir.claim("alice", SUITE, "bob").await.unwrap(),
        Claim::Empty
    );
    assert!(dir.count("alice").await.unwrap().is_empty());
    assert!(dir.count_all().await.unwrap().is_empty());

    // Uploaded after its expiry: refused by validation.
    let report = dir
        .publish(
            &fx.policy,
            "alice",
            vec![fx.key_package_until("alice", T0 + 300, false)],
        )
        .await
        .unwrap();
    assert_eq!(ids(&report), ["KP-LIFETIME"]);
}

/// Publishing the same key package again, bare or as an MLSMessage, in the
/// same upload or a later one, changes nothing.
pub async fn idempotent_publish(store: Arc<dyn Store>) {
    let fx = Fixture::new();
    let dir = fx.directory(store);
    let kp = fx.key_packages("alice", 1).remove(0);
    let in_message = {
        let ctx =
            keypackage_core::ValidationContext::new(T0, &keypackage_core::AcceptAnyCredential);
        let valid = KeyPackageIn::decode(&kp)
            .unwrap()
            .validate(&fx.crypto, &ctx)
            .unwrap();
        encode_key_package_message(&valid).unwrap()
    };
    let report = dir
        .publish(
            &fx.policy,
            "alice",
            vec![kp.clone(), kp.clone(), in_message.clone()],
        )
        .await
        .unwrap();
    assert_eq!(ids(&report), ["stored", "already-stored", "already-stored"]);
    let reference = fx.reference(&kp);
    assert_eq!(
        report.outcomes[2],
        Published::AlreadyStored(reference.clone())
    );
    let report = dir
        .publish(&fx.policy, "alice", vec![in_message, kp.clone()])
        .await
        .unwrap();
    assert_eq!(ids(&report), ["already-stored", "already-stored"]);
    assert_eq!(report.already_stored(), 2);
    assert_eq!(dir.count("alice").await.unwrap()[0].available, 1);
    // Handed out once, and stored bare whatever form it came in.
    match dir.claim("alice", SUITE, "bob").await.unwrap() {
        Claim::KeyPackage(claimed) => assert_eq!(claimed.key_package, kp),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        dir.claim("alice", SUITE, "bob").await.unwrap(),
        Claim::Empty
    );
}

/// An init key already stored is refused (RFC 9420 §10): under another key
/// package, in the same upload or later, and under another owner.
pub async fn duplicate_init_key_refused(store: Arc<dyn Store>) {
    let fx = Fixture::new();
    let dir = fx.directory(store);
    let first = fx.key_packages("alice", 1).remove(0);
    let twin = fx.same_init_key(&first);
    assert_ne!(fx.reference(&first), fx.reference(&twin));
    let report = dir
        .publish(&fx.policy, "alice", vec![first.clone(), twin.clone()])
        .await
        .unwrap();
    assert_eq!(ids(&report), ["stored", "DIR-INIT-KEY"]);
    let report = dir.publish(&fx.policy, "alice", vec![twin]).await.unwrap();
    assert_eq!(ids(&report), ["DIR-INIT-KEY"]);
    // Someone else's key package: refused by the owner check first.
    let report = dir
        .publish(&fx.policy, "mallory", vec![first])
        .await
        .unwrap();
    assert_eq!(ids(&report), ["KP-CREDENTIAL"]);
    assert_eq!(dir.count("alice").await.unwrap()[0].available, 1);
    assert!(dir.count("mallory").await.unwrap().is_empty());
}

/// A key package handed out is never handed out again, even when it is
/// published anew; after it expires and is pruned, validation refuses it.
pub async fn claimed_stays_claimed(store: Arc<dyn Store>) {
    let fx = Fixture::new();
    let dir = fx.directory(store);
    let kp = fx.key_package_until("alice", T0 + 100, false);
    dir.publish(&fx.policy, "alice", vec![kp.clone()])
        .await
        .unwrap();
    got(&dir.claim("alice", SUITE, "bob").await.unwrap());
    let report = dir
        .publish(&fx.policy, "alice", vec![kp.clone()])
        .await
        .unwrap();
    assert_eq!(ids(&report), ["DIR-CLAIMED"]);
    assert_eq!(
        dir.claim("alice", SUITE, "bob").await.unwrap(),
        Claim::Empty
    );
    fx.clock.set(T0 + 101);
    let pruned = dir.prune().await.unwrap();
    assert_eq!((pruned.expired, pruned.claimed), (0, 1));
    let report = dir.publish(&fx.policy, "alice", vec![kp]).await.unwrap();
    assert_eq!(ids(&report), ["KP-LIFETIME"]);
}

/// Invalid items are refused with their rule ID and do not stop the valid
/// ones of the same upload; nothing of them is stored.
pub async fn invalid_items_are_refused_alone(store: Arc<dyn Store>) {
    let fx = Fixture::new();
    let dir = fx.directory(store).with_limits(Limits {
        max_key_package_len: 4096,
        max_upload_items: 7,
        ..Limits::default()
    });
    let valid = fx.key_packages("alice", 3);
    let mut tampered = fx.key_packages("alice", 1).remove(0);
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let uploads = vec![
        valid[0].clone(),
        tampered,
        b"garbage".to_vec(),
        fx.key_packages("bob", 1).remove(0),
        vec![0; 5000],
        valid[1].clone(),
        Vec::new(),
        valid[2].clone(),
    ];
    let report = dir.publish(&fx.policy, "alice", uploads).await.unwrap();
    assert_eq!(
        ids(&report),
        [
            "stored",
            "KP-SIG",
            "KP-DECODE",
            "KP-CREDENTIAL",
            "DIR-SIZE",
            "stored",
            "KP-DECODE",
            "DIR-UPLOAD-LIMIT"
        ]
    );
    assert_eq!(report.stored(), 2);
    assert_eq!(report.refused().count(), 6);
    assert_eq!(dir.count("alice").await.unwrap()[0].available, 2);
    assert!(dir.count("bob").await.unwrap().is_empty());
}

/// The rate limit counts claims per (requester, owner) and window, whatever
/// they return; a refused claim hands nothing out; the next window starts
/// afresh; prune removes ended windows' counters.
pub async fn rate_limit(store: Arc<dyn Store>) {
    let fx = Fixture::new();
    fx.clock.set(T0 - T0 % 60); // the start of a window
    let start = fx.clock.now_value();
    let dir = fx.directory(store).with_rate_limit(RateLimit::new(2, 60));
    dir.publish(&fx.policy, "alice", fx.key_packages("alice", 10))
        .await
        .unwrap();
    dir.publish(&fx.policy, "carol", fx.key_packages("carol", 1))
        .await
        .unwrap();
    got(&dir.claim("alice", SUITE, "bob").await.unwrap());
    fx.clock.set(start + 10);
    got(&dir.claim("alice", SUITE, "bob").await.unwrap());
    assert_eq!(
        dir.claim("alice", SUITE, "bob").await.unwrap(),
        Claim::RateLimited { retry_after: 50 }
    );
    // Other requesters and other owners are counted apart.
    got(&dir.claim("alice", SUITE, "dave").await.unwrap());
    got(&dir.claim("carol", SUITE, "bob").await.unwrap());
    // Claims that find nothing count too.
    assert_eq!(
        dir.claim("carol", SUITE, "bob").await.unwrap(),
        Claim::Empty
    );
    assert_eq!(
        dir.claim("carol", SUITE, "bob").await.unwrap(),
        Claim::RateLimited { retry_after: 50 }
    );
    assert_eq!(dir.count("alice").await.unwrap()[0].available, 7);
    // In a multi-owner claim, each owner is judged alone.
    let claims = dir
        .claim_many(&["alice", "carol"], SUITE, "erin")
        .await
        .unwrap();
    got(&claims[0]);
    assert_eq!(claims[1], Claim::Empty);
    // The next window.
    fx.clock.set(start + 60);
    got(&dir.claim("alice", SUITE, "bob").await.unwrap());
    // Prune removes the counters of windows that have ended (before now).
    fx.clock.set(start + 120);
    let pruned = dir.prune().await.unwrap();
    assert_eq!(pruned.rate_counters, 5);
}

/// Prune removes expired key packages (normal and last resort) and the
/// records of expired handed-out ones, and nothing unexpired.
pub async fn prune(store: Arc<dyn Store>) {
    let fx = Fixture::new();
    let dir = fx.directory(store);
    let uploads = [
        fx.key_package_until("alice", T0 + 100, false),
        fx.key_package_until("alice", T0 + 100, false),
        fx.key_package_until("alice", T0 + 100, true),
        fx.key_package_until("alice", T0 + 1000, false),
        fx.key_package_until("bob", T0 + 100, false),
    ];
    dir.publish(&fx.policy, "alice", uploads[..4].to_vec())
        .await
        .unwrap();
    dir.publish(&fx.policy, "bob", uploads[4..].to_vec())
        .await
        .unwrap();
    got(&dir.claim("alice", SUITE, "x").await.unwrap()); // expires at T0 + 100
    fx.clock.set(T0 + 100);
    assert_eq!(dir.prune().await.unwrap(), crate::PruneReport::default());
    fx.clock.set(T0 + 101);
    let pruned = dir.prune().await.unwrap();
    assert_eq!((pruned.expired, pruned.claimed), (3, 1));
    let counts = dir.count_all().await.unwrap();
    assert_eq!((counts[0].available, counts[0].last_resort), (1, 0));
    assert_eq!(dir.prune().await.unwrap(), crate::PruneReport::default());
}

/// Deleting an owner removes its key packages and no one else's.
pub async fn delete_owner(store: Arc<dyn Store>) {
    let fx = Fixture::new();
    let dir = fx.directory(store);
    let mut uploads = fx.key_packages("alice", 3);
    uploads.push(fx.last_resort("alice"));
    dir.publish(&fx.policy, "alice", uploads.clone())
        .await
        .unwrap();
    dir.publish(&fx.policy, "bob", fx.key_packages("bob", 2))
        .await
        .unwrap();
    got(&dir.claim("alice", SUITE, "x").await.unwrap());
    assert_eq!(dir.delete_owner("alice").await.unwrap(), 3);
    assert_eq!(dir.claim("alice", SUITE, "x").await.unwrap(), Claim::Empty);
    assert_eq!(dir.count("bob").await.unwrap()[0].available, 2);
    assert_eq!(dir.delete_owner("alice").await.unwrap(), 0);
    // The deleted ones can be published again; the handed-out one cannot.
    let report = dir.publish(&fx.policy, "alice", uploads).await.unwrap();
    let mut outcome = ids(&report);
    outcome.sort_unstable();
    assert_eq!(outcome, ["DIR-CLAIMED", "stored", "stored", "stored"]);
}

/// One call claims for several owners (a user's devices), each answer in
/// the owners' order.
pub async fn claim_many(store: Arc<dyn Store>) {
    let fx = Fixture::new();
    let dir = fx.directory(store);
    let phone = fx.key_packages("alice/phone", 1).remove(0);
    let laptop = fx.last_resort("alice/laptop");
    dir.publish(&fx.policy, "alice/phone", vec![phone.clone()])
        .await
        .unwrap();
    dir.publish(&fx.policy, "alice/laptop", vec![laptop.clone()])
        .await
        .unwrap();
    let claims = dir
        .claim_many(
            &["alice/tablet", "alice/phone", "alice/laptop"],
            SUITE,
            "bob",
        )
        .await
        .unwrap();
    assert_eq!(claims.len(), 3);
    assert_eq!(claims[0], Claim::Empty);
    assert_eq!(got(&claims[1]), fx.reference(&phone));
    assert!(matches!(&claims[2], Claim::LastResort(kp) if kp.key_package == laptop));
    let claims = dir
        .claim_many(&["alice/phone", "alice/laptop"], SUITE, "bob")
        .await
        .unwrap();
    assert_eq!(claims[0], Claim::Empty);
    assert!(matches!(&claims[1], Claim::LastResort(_)));
    assert!(dir.claim_many(&[], SUITE, "bob").await.unwrap().is_empty());
    assert!(dir.claim_many(&["", "x"], SUITE, "bob").await.is_err());
    assert!(dir.claim("x", SUITE, "").await.is_err());
}

/// Claimers racing in one process (16 tasks on a shared directory) each get
/// different key packages; the rest get the last resort.
pub async fn concurrent_claims(store: Arc<dyn Store>) {
    let fx = Fixture::new();
    let dir = fx.directory(store);
    let mut uploads = fx.key_packages("alice", 40);
    uploads.push(fx.last_resort("alice"));
    let report = dir.publish(&fx.policy, "alice", uploads).await.unwrap();
    assert_eq!(report.stored(), 41);
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let dir = dir.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                for _ in 0..5 {
                    mine.push(dir.claim("alice", SUITE, &format!("r{i}")).await.unwrap());
                }
                mine
            })
        })
        .collect();
    let mut normal = HashSet::new();
    let mut last_resort = 0;
    for task in tasks {
        for claim in task.await.unwrap() {
            match claim {
                Claim::KeyPackage(kp) => assert!(normal.insert(kp.reference), "twice"),
                Claim::LastResort(_) => last_resort += 1,
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!((normal.len(), last_resort), (40, 40));
}

impl ManualClock {
    /// The time shown (as [`crate::Clock::now`]).
    pub fn now_value(&self) -> u64 {
        crate::Clock::now(self)
    }
}

/// Runs every check, each on a fresh store from `new_store`.
pub async fn run_all<F, Fut>(new_store: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    claim_once(new_store().await).await;
    last_resort_fallback(new_store().await).await;
    expiry_with_injected_clock(new_store().await).await;
    idempotent_publish(new_store().await).await;
    duplicate_init_key_refused(new_store().await).await;
    claimed_stays_claimed(new_store().await).await;
    invalid_items_are_refused_alone(new_store().await).await;
    rate_limit(new_store().await).await;
    prune(new_store().await).await;
    delete_owner(new_store().await).await;
    claim_many(new_store().await).await;
    concurrent_claims(new_store().await).await;
}
