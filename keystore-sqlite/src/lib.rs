//! A durable SQLite store for MLS key-package bundles: [`SqliteKeyStore`]
//! implements [`KeyStore`](keypackage_traits::KeyStore), so the private keys
//! behind a published key package (RFC 9420 §10) survive crashes and power
//! loss until their Welcome arrives, are handed out exactly once (a
//! last-resort one: any number of times), and are then erased.
//!
//! SQLite is compiled into the crate (rusqlite's `bundled` feature), so a
//! fresh machine needs no system library.
//!
//! ```
//! use keypackage_traits::{BundleHeader, HpkePublicKey, KeyPackageRef, KeyStore, Secret, StoredKeyPackage};
//! use keystore_sqlite::SqliteKeyStore;
//!
//! # let dir = std::env::temp_dir().join(format!("keystore-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! let store = SqliteKeyStore::open(dir.join("keys.db"))?;
//! // A real entry comes from `KeyPackageBundle::to_stored` (keypackage-core);
//! // every field of it is read from the bundle's header.
//! let mut bundle = Vec::new();
//! BundleHeader {
//!     reference: KeyPackageRef::new(vec![7; 32]),
//!     init_key: HpkePublicKey::new(vec![8; 32]),
//!     not_after: 2_000_000_000,
//!     last_resort: false,
//! }
//! .encode(&mut bundle)?;
//! bundle.extend_from_slice(b"key package and private keys");
//! let entry = StoredKeyPackage::from_bundle(Secret::new(bundle))?;
//! let reference = entry.reference().clone();
//! store.store(entry)?;
//!
//! // Two-phase join: reserve, process the Welcome, then confirm (or release).
//! let entry = store.reserve(&reference, 1_700_000_000)?.expect("stored");
//! assert!(store.take(&reference)?.is_none()); // nobody else gets it meanwhile
//! assert!(store.confirm(&reference)?);        // the Welcome worked: erased
//! assert!(store.get(&reference)?.is_none());
//! # drop(store); std::fs::remove_dir_all(&dir).unwrap();
//! # let _ = entry;
//! # Ok::<(), keypackage_traits::KeyStoreError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod file;
pub mod schema;
pub mod store;

pub use schema::SCHEMA_VERSION;
pub use store::{BUSY_TIMEOUT, SqliteKeyStore};
