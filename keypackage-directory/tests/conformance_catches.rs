//! The conformance suite can fail: each check below runs against an engine
//! with one deliberate fault (a wrapper around the SQLite engine that breaks
//! one rule) and must panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::{Arc, Mutex};

use keypackage_directory::conformance;
use keypackage_directory::{
    BoxFuture, Claim, ClaimRequest, InsertOutcome, NewKeyPackage, PruneReport, Store, StoreError,
    SuiteCount,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Hands out the first claimed key package again and again.
    ReplaysClaims,
    /// Calls the last resort a normal key package.
    MislabelsLastResort,
    /// Ignores the rate limit.
    NoRateLimit,
    /// Judges expiry at time 0.
    FrozenClock,
    /// Reports a repeated publish as newly stored.
    NotIdempotent,
    /// Stores a key package whose init key is in use.
    InitKeyUnchecked,
    /// Prunes nothing.
    NoPrune,
}

struct Faulty {
    inner: Arc<dyn Store>,
    fault: Fault,
    first: Mutex<Option<Claim>>,
}

impl Store for Faulty {
    fn engine(&self) -> &'static str {
        "faulty"
    }

    fn publish(
        &self,
        owner: String,
        items: Vec<NewKeyPackage>,
        now: u64,
    ) -> BoxFuture<'_, Result<Vec<InsertOutcome>, StoreError>> {
        Box::pin(async move {
            let outcomes = self.inner.publish(owner, items, now).await?;
            Ok(outcomes
                .into_iter()
                .map(|o| match (self.fault, o) {
                    (Fault::NotIdempotent, InsertOutcome::AlreadyStored)
                    | (Fault::InitKeyUnchecked, InsertOutcome::InitKeyInUse) => {
                        InsertOutcome::Stored
                    }
                    (_, o) => o,
                })
                .collect())
        })
    }

    fn claim(&self, mut request: ClaimRequest) -> BoxFuture<'_, Result<Vec<Claim>, StoreError>> {
        Box::pin(async move {
            match self.fault {
                Fault::NoRateLimit => request.rate_limit = None,
                Fault::FrozenClock => request.now = 0,
                _ => {}
            }
            let claims = self.inner.claim(request).await?;
            Ok(claims
                .into_iter()
                .map(|claim| match (self.fault, claim) {
                    (Fault::ReplaysClaims, claim @ Claim::KeyPackage(_)) => {
                        self.first.lock().unwrap().get_or_insert(claim).clone()
                    }
                    (Fault::MislabelsLastResort, Claim::LastResort(kp)) => Claim::KeyPackage(kp),
                    (_, claim) => claim,
                })
                .collect())
        })
    }

    fn count(
        &self,
        owner: Option<String>,
        now: u64,
    ) -> BoxFuture<'_, Result<Vec<SuiteCount>, StoreError>> {
        let now = if self.fault == Fault::FrozenClock {
            0
        } else {
            now
        };
        self.inner.count(owner, now)
    }

    fn prune(&self, now: u64) -> BoxFuture<'_, Result<PruneReport, StoreError>> {
        if self.fault == Fault::NoPrune {
            return Box::pin(async { Ok(PruneReport::default()) });
        }
        self.inner.prune(now)
    }

    fn delete_owner(&self, owner: String) -> BoxFuture<'_, Result<u64, StoreError>> {
        self.inner.delete_owner(owner)
    }
}

async fn faulty(fault: Fault) -> Arc<dyn Store> {
    Arc::new(Faulty {
        inner: common::sqlite_store().await.unwrap(),
        fault,
        first: Mutex::new(None),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "handed out twice")]
async fn catches_a_key_package_handed_out_twice() {
    conformance::claim_once(faulty(Fault::ReplaysClaims).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "expected the last resort")]
async fn catches_a_last_resort_handed_out_as_normal() {
    conformance::last_resort_fallback(faulty(Fault::MislabelsLastResort).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "RateLimited")]
async fn catches_a_missing_rate_limit() {
    conformance::rate_limit(faulty(Fault::NoRateLimit).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "assertion")]
async fn catches_expiry_that_ignores_the_clock() {
    conformance::expiry_with_injected_clock(faulty(Fault::FrozenClock).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "already-stored")]
async fn catches_a_publish_that_is_not_idempotent() {
    conformance::idempotent_publish(faulty(Fault::NotIdempotent).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "DIR-INIT-KEY")]
async fn catches_a_reused_init_key() {
    conformance::duplicate_init_key_refused(faulty(Fault::InitKeyUnchecked).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "assertion")]
async fn catches_a_prune_that_removes_nothing() {
    conformance::prune(faulty(Fault::NoPrune).await).await;
}
