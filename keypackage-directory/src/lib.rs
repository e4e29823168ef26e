//! The delivery service's side of key packages: a directory that takes the
//! key packages clients publish, validates them, and hands each out at most
//! once to whoever wants to add the client to a group (RFC 9420 §10,
//! §16.8), from one process or from many directory nodes at once.
//!
//! * **Publish** ([`Directory::publish`]): an owner (the client identity, as
//!   the application names it) uploads key packages, bare or as
//!   `MLSMessage`s. Each is validated by keypackage-core's batch validator
//!   under the application's [`PublishPolicy`] (its crypto provider, its
//!   credential validator, the directory's clock) and checked to belong to
//!   the owner. Valid ones are stored by `KeyPackageRef`; publishing one
//!   again changes nothing; an init key already stored is refused; an
//!   invalid item is refused with its rule ID and does not stop the others.
//! * **Claim** ([`Directory::claim`], [`Directory::claim_many`]): for
//!   (owner, cipher suite, requester), atomically take one unexpired normal
//!   key package (it is never handed out again, not even if it is published
//!   anew); if there is none, hand out the owner's unexpired last-resort one
//!   and keep it; else nothing. Concurrent claimers never get the same key
//!   package and never wait for each other on one row.
//! * **Rate limit** ([`RateLimit`]) per (requester, owner) and fixed
//!   window, counted inside the claim's transaction, so it holds across
//!   directory nodes.
//! * **Count**, **prune**, **delete** of an owner's key packages.
//!
//! Two engines implement [`Store`] and pass one conformance suite
//! (`conformance`, feature `conformance`): [`SqliteStore`] (embedded, the
//! default: one file, nothing to install) and [`PostgresStore`] (many
//! stateless directory nodes over one database; claims with `FOR UPDATE
//! SKIP LOCKED`). Both version their schema and migrate it on open.
//!
//! Everything is async and never blocks the executor: SQLite runs on its
//! own writer thread and on blocking threads, validation on blocking threads,
//! PostgreSQL through `tokio-postgres`. The clock is an input ([`Clock`]):
//! nothing here reads the system time except [`SystemClock`], which the
//! application passes in.
//!
//! ```no_run
//! # async fn demo(uploads: Vec<Vec<u8>>) -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use keypackage_core::traits::CipherSuite;
//! use keypackage_core::rustcrypto::RustCrypto;
//! use keypackage_directory::{BasicIdentityPolicy, Claim, Directory, SystemClock, open_store};
//!
//! let store = open_store("sqlite:directory.sqlite").await?;
//! let directory = Directory::new(store, Arc::new(SystemClock));
//! let policy = Arc::new(BasicIdentityPolicy::new(RustCrypto::new()));
//!
//! let report = directory.publish(&policy, "alice", uploads).await?;
//! for (index, refusal) in report.refused() {
//!     eprintln!("item {index}: {} {refusal}", refusal.id());
//! }
//!
//! let suite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
//! match directory.claim("alice", suite, "bob").await? {
//!     Claim::KeyPackage(kp) | Claim::LastResort(kp) => { /* add alice with kp.key_package */ }
//!     Claim::Empty | Claim::RateLimited { .. } => { /* try later */ }
//! }
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

pub mod clock;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod directory;
pub mod policy;
pub mod postgres;
pub mod sqlite;
pub mod store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use directory::{
    Directory, DirectoryError, Limits, PublishReport, Published, Refusal, open_store,
};
pub use policy::{BasicIdentityPolicy, PublishPolicy};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use store::{
    BoxFuture, Claim, ClaimRequest, ClaimedKeyPackage, InsertOutcome, NewKeyPackage, PruneReport,
    RateLimit, Store, StoreError, SuiteCount,
};
