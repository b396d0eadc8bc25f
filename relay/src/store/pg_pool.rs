//! The bounded pool of PostgreSQL connections (`--db-pool`, PROTOCOL §9).
//!
//! At most `size` connections per relay process: a request first takes one
//! of `size` permits, then an idle connection or, if none is idle, a new
//! one. Idle and leased connections together never exceed `size`, since a
//! new connection is opened only by a permit holder when none is idle.
//!
//! Fairness: reads and writes share the pool, and the permits are tokio's
//! [`Semaphore`], which is fair (first come, first served), so a read that
//! queued after a write never gets a connection before it. A request keeps
//! its connection across the conflict retries of its transaction, so a
//! write that has begun never queues again behind reads that came later.
//!
//! A request that gets no permit within [`POOL_WAIT`] is answered 503
//! `unavailable`; so is one whose connection cannot be opened (the server
//! is unreachable) or is lost while in use. A connection that failed is
//! never handed out again.

use super::pg_tls::PgTarget;
use crate::error::ApiError;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_postgres::Client;

/// How long a request waits for a connection before it is answered 503.
/// Short: a transaction holds its connection for milliseconds, so a wait
/// this long means the pool is saturated (or the database is slow), and
/// the client is better told to come back than left hanging.
pub const POOL_WAIT: Duration = Duration::from_secs(2);

pub struct Pool {
    /// Boxed: the parsed configuration is large, and the pool sits in
    /// `AnyStore` beside the small SQLite store.
    target: Box<PgTarget>,
    size: usize,
    permits: Semaphore,
    idle: Mutex<Vec<Client>>,
}

impl Pool {
    /// A pool of at most `size` (at least 1) connections to `target`,
    /// starting with `first` idle.
    pub fn new(target: PgTarget, size: usize, first: Client) -> Pool {
        let size = size.max(1);
        Pool {
            target: Box::new(target),
            size,
            permits: Semaphore::new(size),
            idle: Mutex::new(vec![first]),
        }
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// Where the pool connects to (for a connection of its own, outside
    /// the pool: the change listener's).
    pub fn target(&self) -> &PgTarget {
        &self.target
    }

    /// A permit to use one connection, within [`POOL_WAIT`].
    pub async fn lease(&self) -> Result<Lease<'_>, ApiError> {
        match tokio::time::timeout(POOL_WAIT, self.permits.acquire()).await {
            Ok(Ok(permit)) => Ok(Lease {
                pool: self,
                _permit: permit,
                client: None,
                busy: false,
            }),
            Ok(Err(_)) => Err(ApiError::Unavailable(
                "the relay is shutting down; retry shortly".into(),
            )),
            Err(_) => {
                tracing::warn!(
                    pool = self.size,
                    wait_ms = POOL_WAIT.as_millis() as u64,
                    "no database connection free in time (--db-pool)"
                );
                Err(ApiError::Unavailable(
                    "the relay's database connections are all busy; retry shortly".into(),
                ))
            }
        }
    }

    fn pop_idle(&self) -> Option<Client> {
        let mut idle = self.idle.lock().ok()?;
        while let Some(c) = idle.pop() {
            if !c.is_closed() {
                return Some(c);
            }
        }
        None
    }
}

/// One request's hold on the pool: a permit and, once asked for, a
/// connection. Dropped, it returns the connection to the pool if the last
/// transaction on it finished ([`Lease::settle`]) and it is still open;
/// a connection abandoned mid-transaction (the request was cancelled) is
/// closed instead, so no one inherits its state.
pub struct Lease<'a> {
    pool: &'a Pool,
    _permit: SemaphorePermit<'a>,
    client: Option<Client>,
    /// A transaction may be open on `client`.
    busy: bool,
}

impl Lease<'_> {
    /// The leased connection: the one already held, an idle one, or a new
    /// one. A server that cannot be reached is 503 `unavailable`.
    pub async fn client(&mut self) -> Result<&mut Client, ApiError> {
        if self.client.as_ref().is_some_and(Client::is_closed) {
            self.client = None;
        }
        let client = match self.client.take() {
            Some(c) => c,
            None => match self.pool.pop_idle() {
                Some(c) => c,
                None => self.pool.target.connect().await.map_err(|e| {
                    tracing::warn!(error = %e, "database unreachable");
                    ApiError::Unavailable(
                        "the relay's database is unreachable; retry shortly".into(),
                    )
                })?,
            },
        };
        self.busy = true;
        Ok(self.client.insert(client))
    }

    /// The transaction on the connection has finished (committed or rolled
    /// back). Returns whether the connection was lost; a lost connection is
    /// dropped, and the next [`Lease::client`] opens another.
    pub fn settle(&mut self) -> bool {
        self.busy = false;
        let lost = self.client.as_ref().is_none_or(Client::is_closed);
        if lost {
            self.client = None;
        }
        lost
    }

    /// Drops the connection (it failed in a way that leaves it unusable).
    pub fn discard(&mut self) {
        self.client = None;
        self.busy = false;
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.client.take()
            && !self.busy
            && !c.is_closed()
            && let Ok(mut idle) = self.pool.idle.lock()
        {
            idle.push(c);
        }
    }
}
