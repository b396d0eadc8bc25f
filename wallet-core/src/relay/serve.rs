//! The relay's side of every endpoint, written once: the real relay runs it
//! over SQLite or PostgreSQL, the in-memory relay ([`crate::sim`]) over
//! maps, and both answer the same way because this is the only copy.
//!
//! - [`decode`]: a request body (or path parameter) to an [`Op`] / [`Read`],
//!   with the 400 and 413 refusals of §8.
//! - [`execute`] / [`read`]: one request's orchestration inside one storage
//!   transaction ([`Tx`]), in the check order of PROTOCOL §4, calling the
//!   pure rules of [`crate::rules`]. A store whose calls never wait
//!   (SQLite, the sim) writes them as plain functions, [`SyncTx`], and is a
//!   [`Tx`] through it.
//!
//! Still no I/O here: the host supplies the transaction, the [`Clock`] and
//! the [`RandomSource`] through [`Ctx`]. Any `Err` makes the host roll the
//! whole transaction back, so a refused request changes nothing and does
//! not consume its signature.

pub mod decode;
mod endpoint;
mod tx;

pub use endpoint::{
    Change, Op, Read, ReadReply, Reply, VERSION, config, execute, execute_verified, init_relay_key,
    precheck, read,
};
pub use tx::{SyncTx, Tx};

use crate::error::ErrorCode;
use crate::keys::{self, AuthKey};
use crate::rows::Limits;
use crate::rules::Refusal;
use crate::types::Scalar;
use crate::wire::ErrorBody;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Unix seconds, the only time the protocol knows (§1): the relay's clock.
pub trait Clock: Send + Sync {
    fn now(&self) -> u64;
}

/// The relay's `now` for a rule (§6.2 rev 2): the store's shared clock when
/// it has one (PostgreSQL: the database server's, read in the rule's
/// transaction, so every process decides with one clock), else the
/// process's [`Clock`]; and never earlier than a time this process has
/// already used, so a wall clock stepped back (NTP) cannot take a decision
/// back.
pub struct RelayClock {
    source: Arc<dyn Clock>,
    latest: AtomicU64,
}

impl RelayClock {
    pub fn new(source: Arc<dyn Clock>) -> RelayClock {
        RelayClock {
            source,
            latest: AtomicU64::new(0),
        }
    }

    /// The time to decide with, given the store's shared reading (if any).
    pub fn now(&self, shared: Option<u64>) -> u64 {
        let t = shared.unwrap_or_else(|| self.source.now());
        self.latest.fetch_max(t, Ordering::SeqCst).max(t)
    }
}

impl fmt::Debug for RelayClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayClock")
            .field("latest", &self.latest.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

/// The relay's randomness (fresh `x1`, ids, the receipts' aux randomness).
/// A host passes a CSPRNG; tests may pass a seeded one. A failure is the
/// relay's own (a 500), never the request's.
pub trait RandomSource: Send + Sync {
    fn fill(&self, out: &mut [u8]) -> StoreResult<()>;
}

/// What every request's logic needs besides its transaction.
pub struct Ctx {
    pub limits: Limits,
    pub relay_key: AuthKey,
    pub clock: RelayClock,
    pub random: Arc<dyn RandomSource>,
}

impl Ctx {
    pub fn new(
        limits: Limits,
        relay_key: AuthKey,
        clock: Arc<dyn Clock>,
        random: Arc<dyn RandomSource>,
    ) -> Ctx {
        Ctx {
            limits,
            relay_key,
            clock: RelayClock::new(clock),
            random,
        }
    }

    /// The rule's `now`, read inside transaction `tx` ([`RelayClock`]).
    pub async fn now<T: Tx>(&self, tx: &mut T) -> StoreResult<u64> {
        Ok(self.clock.now(tx.shared_now().await?))
    }

    /// `N` fresh random bytes.
    pub fn random<const N: usize>(&self) -> StoreResult<[u8; N]> {
        let mut b = [0u8; N];
        self.random.fill(&mut b)?;
        Ok(b)
    }

    /// A uniformly random scalar in `[1, n-1]`.
    pub fn random_scalar(&self) -> StoreResult<Scalar> {
        keys::random_scalar(|b| self.random.fill(b))
    }
}

/// A storage failure; `retryable` marks serialization failures and unique
/// violations that a fresh transaction may not hit again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    pub message: String,
    pub retryable: bool,
}

impl StoreError {
    pub fn new(message: impl Into<String>) -> Self {
        StoreError {
            message: message.into(),
            retryable: false,
        }
    }
    pub fn retry(message: impl Into<String>) -> Self {
        StoreError {
            message: message.into(),
            retryable: true,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage: {}", self.message)
    }
}

impl std::error::Error for StoreError {}

pub type StoreResult<T> = Result<T, StoreError>;

/// Why a request got no answer: refused by a check (a §8 code), or the
/// relay's own failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServeError {
    Refused(Refusal),
    Store(StoreError),
}

impl ServeError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ServeError::Refused(r) => r.code,
            ServeError::Store(_) => ErrorCode::Internal,
        }
    }

    /// The HTTP status the relay answers with.
    pub fn status(&self) -> u16 {
        self.code().http_status()
    }

    /// The §8 error body. A storage failure's details stay with the relay.
    pub fn body(&self) -> ErrorBody {
        match self {
            ServeError::Refused(r) => ErrorBody::new(r.code, r.message.clone()),
            ServeError::Store(_) => ErrorBody::new(ErrorCode::Internal, INTERNAL_MESSAGE),
        }
    }
}

/// The message of every 500: nothing the client sent caused it.
pub const INTERNAL_MESSAGE: &str = "the relay could not complete the request; retry";

impl From<Refusal> for ServeError {
    fn from(r: Refusal) -> Self {
        ServeError::Refused(r)
    }
}

impl From<StoreError> for ServeError {
    fn from(e: StoreError) -> Self {
        ServeError::Store(e)
    }
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Refused(r) => write!(f, "{}: {}", r.code, r.message),
            ServeError::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ServeError {}
