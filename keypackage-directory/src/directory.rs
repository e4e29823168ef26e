//! [`Directory`]: validated publish, claim-once, count, prune, delete, over
//! any [`Store`].

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use keypackage_core::traits::{CipherSuite, KeyPackageRef};
use keypackage_core::{BatchOptions, validate_batch_with};
use keypackage_core::{KeyPackageIn, MlsMessageIn, Rule, ValidationContext, ValidationError};

use crate::clock::Clock;
use crate::policy::PublishPolicy;
use crate::store::{
    Claim, ClaimRequest, InsertOutcome, NewKeyPackage, PruneReport, RateLimit, Store, StoreError,
    SuiteCount,
};

/// Bounds on what one call may ask, so that a hostile publisher or claimer
/// costs a bounded amount of memory and work.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Limits {
    /// The longest upload item (a key package or an MLSMessage) accepted;
    /// longer ones are refused unread (`DIR-SIZE`). Default 64 KiB.
    pub max_key_package_len: usize,
    /// Items per publish call; the rest are refused unread
    /// (`DIR-UPLOAD-LIMIT`). Default 10,000.
    pub max_upload_items: usize,
    /// Bytes per publish call, all items together; items past the budget are
    /// refused unread (`DIR-UPLOAD-LIMIT`). Default 16 MiB.
    pub max_upload_bytes: usize,
    /// Items validated and stored together: the working set of a publish
    /// besides its input. Default 1,024.
    pub chunk: usize,
    /// Owners per claim call. Default 1,000.
    pub max_owners_per_claim: usize,
    /// The longest owner or requester name, in bytes. Default 512.
    pub max_name_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_key_package_len: 64 * 1024,
            max_upload_items: 10_000,
            max_upload_bytes: 16 * 1024 * 1024,
            chunk: 1024,
            max_owners_per_claim: 1000,
            max_name_len: 512,
        }
    }
}

/// Why a whole call failed (a refused key package is not an error: it is a
/// [`Refusal`] in the [`PublishReport`]).
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryError {
    /// The storage engine failed; the call changed nothing.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An owner or requester name is empty, too long, or contains NUL (the
    /// caller's fault).
    #[error("invalid {what} name: {reason}")]
    InvalidName {
        /// `"owner"` or `"requester"`.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// More owners in one claim than [`Limits::max_owners_per_claim`].
    #[error("{count} owners in one claim, at most {max}")]
    TooManyOwners {
        /// Owners asked for.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A validation task failed to complete (a bug).
    #[error("internal error: {detail}")]
    Internal {
        /// What went wrong.
        detail: String,
    },
}

impl DirectoryError {
    /// Whose fault the error is.
    pub const fn fault(&self) -> keypackage_core::traits::Fault {
        use keypackage_core::traits::Fault;
        match self {
            Self::Store(e) => e.fault(),
            Self::InvalidName { .. } | Self::TooManyOwners { .. } => Fault::Caller,
            Self::Internal { .. } => Fault::Bug,
        }
    }
}

/// Why an uploaded item was not stored.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Refusal {
    /// Invalid: the validation rule it breaks (KP-DECODE for garbage,
    /// KP-CREDENTIAL when the owner check refuses it, …).
    Invalid(ValidationError),
    /// Longer than [`Limits::max_key_package_len`]; not read.
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Past the upload's item or byte budget ([`Limits`]); not read.
    OverUploadLimit,
    /// Its init key is already stored, for another key package or another
    /// owner: RFC 9420 §10 forbids reusing an init key.
    InitKeyInUse,
    /// This key package was published before and has been handed out: it is
    /// never handed out again (RFC 9420 §10, §16.8).
    AlreadyClaimed,
}

impl Refusal {
    /// The rule ID: a validation rule's (`KP-SIG`, …; `KP-INTERNAL` for our
    /// own failure) or the directory's (`DIR-SIZE`, `DIR-UPLOAD-LIMIT`,
    /// `DIR-INIT-KEY`, `DIR-CLAIMED`).
    pub fn id(&self) -> &'static str {
        match self {
            Self::Invalid(error) => error.rule().map_or("KP-INTERNAL", Rule::id),
            Self::TooLarge { .. } => "DIR-SIZE",
            Self::OverUploadLimit => "DIR-UPLOAD-LIMIT",
            Self::InitKeyInUse => "DIR-INIT-KEY",
            Self::AlreadyClaimed => "DIR-CLAIMED",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // A validation error's text starts with its rule ID already.
            Self::Invalid(error) => match error.rule() {
                Some(_) => write!(f, "{error}"),
                None => write!(f, "KP-INTERNAL: {error}"),
            },
            Self::TooLarge { len, max } => {
                write!(f, "DIR-SIZE: {len} bytes, at most {max} accepted")
            }
            Self::OverUploadLimit => {
                write!(f, "DIR-UPLOAD-LIMIT: past the upload's item or byte budget")
            }
            Self::InitKeyInUse => write!(
                f,
                "DIR-INIT-KEY: the init key is already stored for another key package (RFC 9420 §10)"
            ),
            Self::AlreadyClaimed => write!(
                f,
                "DIR-CLAIMED: this key package was handed out already and is never handed out again"
            ),
        }
    }
}

/// What became of one uploaded item.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Published {
    /// Valid and stored now.
    Stored(KeyPackageRef),
    /// Valid, and already stored for this owner: nothing changed.
    AlreadyStored(KeyPackageRef),
    /// Not stored, and why.
    Refused(Refusal),
}

/// One outcome per uploaded item, in upload order.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct PublishReport {
    /// The outcomes.
    pub outcomes: Vec<Published>,
}

impl PublishReport {
    /// How many were stored now.
    pub fn stored(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o, Published::Stored(_)))
            .count()
    }

    /// How many were already there.
    pub fn already_stored(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o, Published::AlreadyStored(_)))
            .count()
    }

    /// The refusals, with the index of their item.
    pub fn refused(&self) -> impl Iterator<Item = (usize, &Refusal)> {
        self.outcomes
            .iter()
            .enumerate()
            .filter_map(|(i, o)| match o {
                Published::Refused(r) => Some((i, r)),
                _ => None,
            })
    }
}

/// The key package directory: what a delivery service runs between the
/// clients that publish key packages and those who claim them to add the
/// clients to groups. Cheap to clone; every clone shares the store.
#[derive(Clone)]
pub struct Directory {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    limits: Limits,
    rate_limit: Option<RateLimit>,
    batch: Option<BatchOptions>,
}

impl fmt::Debug for Directory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Directory")
            .field("engine", &self.store.engine())
            .field("limits", &self.limits)
            .field("rate_limit", &self.rate_limit)
            .finish_non_exhaustive()
    }
}

/// Checks an owner or requester name.
fn check_name(what: &'static str, name: &str, max: usize) -> Result<(), DirectoryError> {
    let reason = if name.is_empty() {
        "empty".to_owned()
    } else if name.len() > max {
        format!("{} bytes, at most {max}", name.len())
    } else if name.contains('\0') {
        "contains NUL".to_owned()
    } else {
        return Ok(());
    };
    Err(DirectoryError::InvalidName { what, reason })
}

/// Decodes an upload item: an `MLSMessage` carrying a key package (its
/// version checked as [`KeyPackageIn::validate_message`] does, KP-VER), or a
/// bare `KeyPackage`. Returns the key package and its bare encoding's
/// offset in `bytes`.
fn decode_item(
    bytes: &[u8],
    ctx: &ValidationContext<'_>,
) -> Result<(KeyPackageIn, usize), ValidationError> {
    let message_error = match MlsMessageIn::decode_key_package(bytes) {
        Ok((version, kp)) => {
            // KP-VER (RFC 9420 §6, §10).
            if version != ctx.expected_version {
                return Err(ValidationError::Version {
                    found: version,
                    expected: ctx.expected_version,
                });
            }
            if kp.version != version {
                return Err(ValidationError::Version {
                    found: kp.version,
                    expected: version,
                });
            }
            return Ok((kp, MESSAGE_HEADER_LEN));
        }
        Err(e) => e,
    };
    match KeyPackageIn::decode(bytes) {
        Ok(kp) => Ok((kp, 0)),
        // Neither decodes: report the reading the header points to (an
        // MLSMessage of a key package starts 0001 0005 0001).
        Err(bare_error) if bytes.get(2..6) == Some(&[0, 5, 0, 1][..]) => {
            let _ = bare_error;
            Err(message_error.into())
        }
        Err(bare_error) => Err(bare_error.into()),
    }
}

/// `MLSMessage` version and wire format, before the key package.
const MESSAGE_HEADER_LEN: usize = 4;

/// Decodes and validates one chunk (on a blocking thread); the owner check
/// runs on what validation accepted.
fn validate_chunk<P: PublishPolicy>(
    policy: &P,
    owner: &str,
    chunk: Vec<(usize, Vec<u8>)>,
    now: u64,
    batch: Option<BatchOptions>,
) -> Vec<(usize, Result<NewKeyPackage, Refusal>)> {
    let ctx = policy.context(now);
    // By default, every core with an even share: uploads are often small
    // (a client's 100), and 64 + 36 would leave a core idle part of the time.
    let batch = batch.unwrap_or_else(|| {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        BatchOptions::new().chunk_size(chunk.len().div_ceil(cores).clamp(8, 64))
    });
    let mut done = Vec::with_capacity(chunk.len());
    let mut decoded = Vec::with_capacity(chunk.len());
    let mut pending = Vec::with_capacity(chunk.len());
    for (index, bytes) in chunk {
        match decode_item(&bytes, &ctx) {
            Ok((kp, offset)) => {
                decoded.push(kp);
                pending.push((index, bytes, offset));
            }
            Err(e) => done.push((index, Err(Refusal::Invalid(e)))),
        }
    }
    let verdicts = validate_batch_with(decoded, policy.crypto(), &ctx, batch);
    for ((index, bytes, offset), verdict) in pending.into_iter().zip(verdicts) {
        let outcome = verdict.map_err(Refusal::Invalid).and_then(|kp| {
            policy
                .check_owner(owner, &kp)
                .map_err(|r| Refusal::Invalid(ValidationError::Credential(r)))?;
            let not_after = kp
                .leaf_node()
                .leaf_node_source
                .lifetime()
                .map(|l| l.not_after)
                .ok_or_else(|| {
                    Refusal::Invalid(ValidationError::Internal {
                        detail: "a validated key package has no lifetime".into(),
                    })
                })?;
            // The bare encoding as uploaded: decoding is canonical, so these
            // are exactly the bytes that were validated.
            let key_package = bytes.get(offset..).unwrap_or_default().to_vec();
            Ok(NewKeyPackage {
                reference: kp.reference().clone(),
                cipher_suite: kp.cipher_suite(),
                not_after,
                last_resort: kp.is_last_resort(),
                init_key: kp.init_key().as_slice().to_vec(),
                key_package,
            })
        });
        done.push((index, outcome));
    }
    done
}

impl Directory {
    /// A directory over `store`, reading the time from `clock`, with the
    /// default [`Limits`] and no rate limit.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            limits: Limits::default(),
            rate_limit: None,
            batch: None,
        }
    }

    /// Sets the limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the claim rate limit per (requester, owner), or none. Every node
    /// of a shared database must use the same.
    pub fn with_rate_limit(mut self, rate_limit: Option<RateLimit>) -> Self {
        self.rate_limit = rate_limit;
        self
    }

    /// Sets how publish validation is spread over threads. By default every
    /// core, with the items split evenly between them.
    pub fn with_batch_options(mut self, batch: BatchOptions) -> Self {
        self.batch = Some(batch);
        self
    }

    /// The storage engine.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Publishes `uploads` (each a bare `KeyPackage` or an `MLSMessage`
    /// carrying one) for `owner`. Each is validated under the policy's
    /// context at the clock's time (the batch validator, on a blocking
    /// thread) and checked to belong to `owner`; the valid ones are stored.
    /// One outcome per item, in order: an invalid item is refused with its
    /// rule ID and does not stop the others. Publishing a stored key package
    /// again changes nothing; a key package whose init key is stored under
    /// another, or that was handed out already, is refused.
    pub async fn publish<P: PublishPolicy>(
        &self,
        policy: &Arc<P>,
        owner: &str,
        uploads: Vec<Vec<u8>>,
    ) -> Result<PublishReport, DirectoryError> {
        check_name("owner", owner, self.limits.max_name_len)?;
        let now = self.clock.now();
        let mut outcomes: Vec<Option<Published>> = vec![None; uploads.len()];
        let mut accepted = Vec::new();
        let mut budget = self.limits.max_upload_bytes;
        for (index, bytes) in uploads.into_iter().enumerate() {
            let refusal = if bytes.len() > self.limits.max_key_package_len {
                Some(Refusal::TooLarge {
                    len: bytes.len(),
                    max: self.limits.max_key_package_len,
                })
            } else if index >= self.limits.max_upload_items || bytes.len() > budget {
                Some(Refusal::OverUploadLimit)
            } else {
                budget -= bytes.len();
                None
            };
            match refusal {
                Some(refusal) => set(&mut outcomes, index, Published::Refused(refusal)),
                None => accepted.push((index, bytes)),
            }
        }

        // Within the upload: a reference seen before gets its first
        // occurrence's outcome; an init key seen before under another
        // reference is refused.
        let mut first_of: HashMap<KeyPackageRef, usize> = HashMap::new();
        let mut init_keys: HashSet<Vec<u8>> = HashSet::new();
        let mut repeats: Vec<(usize, usize)> = Vec::new();
        let chunk = self.limits.chunk.max(1);
        let mut rest = accepted.into_iter();
        loop {
            let work: Vec<(usize, Vec<u8>)> = rest.by_ref().take(chunk).collect();
            if work.is_empty() {
                break;
            }
            let policy_for_task = Arc::clone(policy);
            let owner_for_task = owner.to_owned();
            let batch = self.batch;
            let validated = tokio::task::spawn_blocking(move || {
                validate_chunk(&*policy_for_task, &owner_for_task, work, now, batch)
            })
            .await
            .map_err(|e| DirectoryError::Internal {
                detail: format!("validation task: {e}"),
            })?;

            let mut items = Vec::new();
            let mut slots = Vec::new();
            for (index, verdict) in validated {
                match verdict {
                    Err(refusal) => set(&mut outcomes, index, Published::Refused(refusal)),
                    Ok(item) => {
                        if let Some(&first) = first_of.get(&item.reference) {
                            repeats.push((index, first));
                        } else if !init_keys.insert(item.init_key.clone()) {
                            set(
                                &mut outcomes,
                                index,
                                Published::Refused(Refusal::InitKeyInUse),
                            );
                        } else {
                            first_of.insert(item.reference.clone(), index);
                            slots.push((index, item.reference.clone()));
                            items.push(item);
                        }
                    }
                }
            }
            if items.is_empty() {
                continue;
            }
            let stored = self.store.publish(owner.to_owned(), items, now).await?;
            if stored.len() != slots.len() {
                return Err(DirectoryError::Internal {
                    detail: format!(
                        "the engine answered {} outcomes for {} key packages",
                        stored.len(),
                        slots.len()
                    ),
                });
            }
            for ((index, reference), outcome) in slots.into_iter().zip(stored) {
                let published = match outcome {
                    InsertOutcome::Stored => Published::Stored(reference),
                    InsertOutcome::AlreadyStored => Published::AlreadyStored(reference),
                    InsertOutcome::InitKeyInUse => Published::Refused(Refusal::InitKeyInUse),
                    InsertOutcome::AlreadyClaimed => Published::Refused(Refusal::AlreadyClaimed),
                };
                set(&mut outcomes, index, published);
            }
        }
        for (index, first) in repeats {
            let repeated = match outcomes.get(first).cloned().flatten() {
                Some(Published::Stored(r) | Published::AlreadyStored(r)) => {
                    Published::AlreadyStored(r)
                }
                Some(refused) => refused,
                None => {
                    return Err(DirectoryError::Internal {
                        detail: "a repeated key package's first occurrence has no outcome".into(),
                    });
                }
            };
            set(&mut outcomes, index, repeated);
        }
        let outcomes = outcomes
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| DirectoryError::Internal {
                detail: "an upload item has no outcome".into(),
            })?;
        Ok(PublishReport { outcomes })
    }

    /// Claims one key package of `cipher_suite` for `owner`, on behalf of
    /// `requester` (see [`Directory::claim_many`]).
    pub async fn claim(
        &self,
        owner: &str,
        cipher_suite: CipherSuite,
        requester: &str,
    ) -> Result<Claim, DirectoryError> {
        let mut claims = self.claim_many(&[owner], cipher_suite, requester).await?;
        claims.pop().ok_or_else(|| DirectoryError::Internal {
            detail: "no answer for the owner".into(),
        })
    }

    /// Claims one key package of `cipher_suite` for each of `owners` (a
    /// user's devices), in one transaction, on behalf of `requester`. For
    /// each owner, in order: the rate limit is counted; an unexpired normal
    /// key package is handed out and removed, or else the unexpired
    /// last-resort one is handed out and kept, or else nothing.
    ///
    /// Dropping the returned future does not undo a claim already on its
    /// way to the database: the key packages it took are then lost, never
    /// handed out twice (at most once, as after a crash). Wrap the call in a
    /// timeout if the database may hang; the claim itself never waits on a
    /// row another claimer holds, except for the last free ones.
    pub async fn claim_many(
        &self,
        owners: &[&str],
        cipher_suite: CipherSuite,
        requester: &str,
    ) -> Result<Vec<Claim>, DirectoryError> {
        check_name("requester", requester, self.limits.max_name_len)?;
        if owners.len() > self.limits.max_owners_per_claim {
            return Err(DirectoryError::TooManyOwners {
                count: owners.len(),
                max: self.limits.max_owners_per_claim,
            });
        }
        for owner in owners {
            check_name("owner", owner, self.limits.max_name_len)?;
        }
        if owners.is_empty() {
            return Ok(Vec::new());
        }
        let request = ClaimRequest {
            owners: owners.iter().map(|o| (*o).to_owned()).collect(),
            cipher_suite,
            requester: requester.to_owned(),
            now: self.clock.now(),
            rate_limit: self.rate_limit,
        };
        let claims = self.store.claim(request).await?;
        if claims.len() != owners.len() {
            return Err(DirectoryError::Internal {
                detail: format!(
                    "the engine answered {} claims for {} owners",
                    claims.len(),
                    owners.len()
                ),
            });
        }
        Ok(claims)
    }

    /// Unexpired key packages of `owner` that a claim can hand out, by
    /// suite: normal ones and last-resort ones.
    pub async fn count(&self, owner: &str) -> Result<Vec<SuiteCount>, DirectoryError> {
        check_name("owner", owner, self.limits.max_name_len)?;
        Ok(self
            .store
            .count(Some(owner.to_owned()), self.clock.now())
            .await?)
    }

    /// The same, over every owner.
    pub async fn count_all(&self) -> Result<Vec<SuiteCount>, DirectoryError> {
        Ok(self.store.count(None, self.clock.now()).await?)
    }

    /// Removes what has expired (`not_after` before the clock's time) and
    /// the rate-limit counters of ended windows.
    pub async fn prune(&self) -> Result<PruneReport, DirectoryError> {
        Ok(self.store.prune(self.clock.now()).await?)
    }

    /// Removes every key package of `owner` not yet handed out; returns how
    /// many.
    pub async fn delete_owner(&self, owner: &str) -> Result<u64, DirectoryError> {
        check_name("owner", owner, self.limits.max_name_len)?;
        Ok(self.store.delete_owner(owner.to_owned()).await?)
    }
}

fn set(outcomes: &mut [Option<Published>], index: usize, outcome: Published) {
    if let Some(slot) = outcomes.get_mut(index) {
        *slot = Some(outcome);
    }
}

/// Opens the store a database URL names: `sqlite:PATH` (the file is created
/// if needed) or `postgres://…` / `postgresql://…`. Both are migrated to this
/// build's schema.
pub async fn open_store(database: &str) -> Result<Arc<dyn Store>, StoreError> {
    if let Some(path) = database.strip_prefix("sqlite:") {
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.is_empty() {
            return Err(StoreError::Backend {
                detail: "sqlite: needs a file path".into(),
            });
        }
        Ok(Arc::new(crate::SqliteStore::open(path).await?))
    } else if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        Ok(Arc::new(crate::PostgresStore::connect(database).await?))
    } else {
        Err(StoreError::Backend {
            detail: format!(
                "unknown database {database:?}: expected sqlite:PATH or postgres://..."
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_name("owner", "alice", 8).is_ok());
        assert!(check_name("owner", "", 8).is_err());
        assert!(check_name("owner", "a\0b", 8).is_err());
        assert!(check_name("owner", "123456789", 8).is_err());
    }

    #[test]
    fn refusal_ids() {
        assert_eq!(Refusal::TooLarge { len: 2, max: 1 }.id(), "DIR-SIZE");
        assert_eq!(Refusal::OverUploadLimit.id(), "DIR-UPLOAD-LIMIT");
        assert_eq!(Refusal::InitKeyInUse.id(), "DIR-INIT-KEY");
        assert_eq!(Refusal::AlreadyClaimed.id(), "DIR-CLAIMED");
        assert_eq!(
            Refusal::Invalid(ValidationError::Signature).id(),
            Rule::Signature.id()
        );
    }
}
