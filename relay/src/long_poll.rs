//! Long-polls (§8 `get_msg_addr?wait=S`, `batch?wait=S&since=V`) with one
//! waiter per key or batch.
//!
//! A long-poll reads once; if its answer is not there yet it joins the
//! [`SharedWaiter`] of its key (a message key or a batch id), created by
//! the first one and ended when the last one leaves. The shared waiter
//! wakes when a local commit changed its key ([`Waiters::notify`], from
//! what the request's [`wallet_core::serve::Reply`] says it changed; on
//! PostgreSQL every relay process announces its changes with `NOTIFY` and
//! hears the others', and looks anyway every [`POLL_INTERVAL`] in case a
//! notification was lost; a batch's waiter also every
//! [`BATCH_POLL_INTERVAL`], for an expiry no write announces). It
//! re-reads a probe once and publishes it on a `watch`; each waiting
//! request compares the probe with its own condition (`after`, `since`)
//! and only then reads its own answer. Many long-polls on one key cost one
//! database read per wake-up, not one each, and a commit wakes only the
//! keys it touched: waiters on keys nobody writes cost nothing.
//!
//! Probes: for messages, the highest cursor seen (read as the messages
//! above the lowest point any waiter needs, which are new ones only: each
//! waiter's own read found nothing above its `after`, and a key's cursors
//! only grow, in the order they become visible); for a batch, its
//! `version` and `state`, from its short status (no member list: O(1)).

use crate::error::ApiError;
use crate::http::AppState;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use wallet_core::serve::{Change, Read, ReadReply};
use wallet_core::types::{Id, XOnly};
use wallet_core::wire::BatchState;

/// Longest `wait` a long-poll honours (§8).
pub const MAX_WAIT_SECS: u64 = 30;
/// How often a shared waiter re-reads the database without being told of
/// a change, when other relay processes may write to it (PostgreSQL). They
/// announce their writes (`LISTEN`/`NOTIFY`), so this only covers a
/// notification lost while the listener reconnects.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// How often a batch's waiter re-reads it regardless: a batch turns
/// expired with the clock, without any write.
pub const BATCH_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// What a group of long-polls waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum WaitKey {
    Messages(XOnly),
    Batch(Id),
}

/// The value a shared waiter publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// Nothing read yet.
    Nothing,
    /// The highest message cursor seen for the key.
    Cursor(u64),
    Batch {
        version: u64,
        state: BatchState,
    },
}

/// Counters for tests and logs.
#[derive(Debug, Default)]
pub struct WaitStats {
    /// Wake-ups of shared waiters (a local commit or the poll interval).
    pub wakeups: AtomicU64,
    /// Database reads by shared waiters.
    pub probes: AtomicU64,
    /// Database reads by long-poll requests themselves (first and last).
    pub reads: AtomicU64,
    /// Long-poll requests waiting now.
    pub waiting: AtomicUsize,
}

/// The shared waiters, by key: an entry lives as long as its waiter's task.
#[derive(Default)]
pub struct Waiters {
    registry: Mutex<HashMap<WaitKey, Weak<SharedWaiter>>>,
    pub stats: WaitStats,
}

/// One key's waiter, held by every request waiting on it.
struct SharedWaiter {
    /// Cloned by each request that joins; the task's `watch::Sender`
    /// sees all of them gone when the last request leaves.
    probe: watch::Receiver<Probe>,
    /// Messages: the cursor the probe reads above (`u64::MAX`: no waiter
    /// has said yet). Lowered by waiters to their `after`, raised by the
    /// probe to the highest cursor it saw.
    floor: Mutex<u64>,
    /// Told by [`Waiters::notify`] when a local commit changed this key.
    wake: Arc<Notify>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Waiters {
    /// Wakes the waiters of what a committed request changed: only those,
    /// so a commit costs one probe per key it touched, not one per key
    /// anyone waits on.
    pub fn notify(&self, changes: &[Change]) {
        if changes.is_empty() {
            return;
        }
        let registry = lock(&self.registry);
        for c in changes {
            let key = match *c {
                Change::Messages(auth) => WaitKey::Messages(auth),
                Change::Batch(id) => WaitKey::Batch(id),
            };
            if let Some(w) = registry.get(&key).and_then(Weak::upgrade) {
                w.wake.notify_one();
            }
        }
    }

    /// Long-poll shared waiters for keys being waited on now.
    pub fn keys(&self) -> usize {
        lock(&self.registry).len()
    }

    fn join(&self, s: &AppState, key: WaitKey) -> (Arc<SharedWaiter>, watch::Receiver<Probe>) {
        let mut registry = lock(&self.registry);
        if let Some(shared) = registry.get(&key).and_then(Weak::upgrade) {
            let rx = shared.probe.clone();
            return (shared, rx);
        }
        let (tx, rx) = watch::channel(Probe::Nothing);
        let wake = Arc::new(Notify::new());
        let shared = Arc::new(SharedWaiter {
            probe: rx.clone(),
            floor: Mutex::new(u64::MAX),
            wake: wake.clone(),
        });
        let weak = Arc::downgrade(&shared);
        registry.insert(key, weak.clone());
        tokio::spawn(shared_waiter(s.clone(), key, tx, weak, wake));
        (shared, rx)
    }
}

/// Counts a request waiting while it lives.
struct Waiting<'a>(&'a WaitStats);

impl<'a> Waiting<'a> {
    fn new(stats: &'a WaitStats) -> Self {
        stats.waiting.fetch_add(1, Ordering::Relaxed);
        Waiting(stats)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The task behind one [`SharedWaiter`]: one probe per wake-up, until no
/// request waits any more.
async fn shared_waiter(
    s: AppState,
    key: WaitKey,
    tx: watch::Sender<Probe>,
    shared: Weak<SharedWaiter>,
    wake: Arc<Notify>,
) {
    let waiters = &s.0.waiters;
    // Without a write to be told of: another process's (PostgreSQL), or
    // for a batch, the clock passing its deadline.
    let poll = match (key, s.0.store.shared_by_processes()) {
        (_, true) => Some(POLL_INTERVAL),
        (WaitKey::Batch(_), false) => Some(BATCH_POLL_INTERVAL),
        (WaitKey::Messages(_), false) => None,
    };
    loop {
        tokio::select! {
            _ = tx.closed() => break,
            _ = wake.notified() => {}
            _ = async {
                match poll {
                    Some(p) => tokio::time::sleep(p).await,
                    None => std::future::pending().await,
                }
            } => {}
        }
        let Some(waiter) = shared.upgrade() else {
            break;
        };
        waiters.stats.wakeups.fetch_add(1, Ordering::Relaxed);
        let q = match key {
            WaitKey::Messages(auth) => {
                let after = *lock(&waiter.floor);
                if after == u64::MAX {
                    continue;
                }
                Read::Messages { auth, after }
            }
            // The short status: version and state, no member list.
            WaitKey::Batch(id) => Read::BatchStatus(id),
        };
        drop(waiter);
        waiters.stats.probes.fetch_add(1, Ordering::Relaxed);
        let probe = match s.0.store.read(s.0.ctx.clone(), q.clone()).await {
            Ok(ReadReply::Messages(m)) => match m.messages.last() {
                Some(last) => {
                    if let (Some(waiter), Read::Messages { after, .. }) = (shared.upgrade(), &q) {
                        let mut floor = lock(&waiter.floor);
                        // Unless a waiter lowered it meanwhile.
                        if *floor == *after {
                            *floor = last.cursor.max(*after);
                        }
                    }
                    Probe::Cursor(last.cursor)
                }
                None => continue,
            },
            Ok(ReadReply::Status(b)) => Probe::Batch {
                version: b.version,
                state: b.state,
            },
            Ok(_) => continue,
            Err(e) => {
                tracing::debug!(error = %e, "long-poll probe failed");
                continue;
            }
        };
        tx.send_if_modified(|current| {
            let newer = match (*current, probe) {
                (Probe::Cursor(old), Probe::Cursor(new)) => new > old,
                (old, new) => old != new,
            };
            if newer {
                *current = probe;
            }
            newer
        });
    }
    let mut registry = lock(&waiters.registry);
    if registry.get(&key).is_some_and(|w| Weak::ptr_eq(w, &shared)) {
        registry.remove(&key);
    }
}

/// A read by the request itself, counted.
async fn own_read(s: &AppState, q: &Read) -> Result<ReadReply, ApiError> {
    s.0.waiters.stats.reads.fetch_add(1, Ordering::Relaxed);
    s.0.store.read(s.0.ctx.clone(), q.clone()).await
}

/// Waits on `rx` for a probe `wake` accepts, until `deadline` or shutdown,
/// reading the answer each time and returning it once `done`; after the
/// wait, the answer as it is then.
async fn wait(
    s: &AppState,
    q: &Read,
    deadline: Instant,
    mut rx: watch::Receiver<Probe>,
    mut wake: impl FnMut(Probe) -> bool,
    mut done: impl FnMut(&ReadReply) -> bool,
) -> Result<ReadReply, ApiError> {
    let _waiting = Waiting::new(&s.0.waiters.stats);
    let mut shutdown = s.0.shutdown.subscribe();
    if *shutdown.borrow_and_update() {
        return own_read(s, q).await;
    }
    loop {
        tokio::select! {
            r = rx.changed() => {
                if r.is_err() {
                    break;
                }
            }
            _ = tokio::time::sleep_until(deadline) => break,
            _ = shutdown.changed() => break,
        }
        let probe = *rx.borrow_and_update();
        if wake(probe) {
            let v = own_read(s, q).await?;
            if done(&v) {
                return Ok(v);
            }
        }
    }
    own_read(s, q).await
}

fn deadline(wait_secs: u64) -> Instant {
    Instant::now() + Duration::from_secs(wait_secs.min(MAX_WAIT_SECS))
}

/// `get_msg_addr`: the messages above `after`, waiting up to `wait_secs`
/// for one to exist.
pub async fn messages(
    s: &AppState,
    auth: XOnly,
    after: u64,
    wait_secs: u64,
) -> Result<ReadReply, ApiError> {
    let q = Read::Messages { auth, after };
    if wait_secs == 0 {
        return s.0.store.read(s.0.ctx.clone(), q).await;
    }
    let deadline = deadline(wait_secs);
    let any = |r: &ReadReply| matches!(r, ReadReply::Messages(m) if !m.messages.is_empty());
    let (shared, mut rx) = s.0.waiters.join(s, WaitKey::Messages(auth));
    // Cursors published before this read belong to messages it sees (or
    // that are gone): only a higher one is news.
    let seen = match *rx.borrow_and_update() {
        Probe::Cursor(c) => c,
        _ => 0,
    };
    let first = own_read(s, &q).await?;
    if any(&first) {
        return Ok(first);
    }
    {
        let mut floor = lock(&shared.floor);
        *floor = (*floor).min(after);
    }
    let mut threshold = after.max(seen);
    wait(
        s,
        &q,
        deadline,
        rx,
        |p| match p {
            Probe::Cursor(c) if c > threshold => {
                // Whatever this read finds, cursors up to `c` are not news after it.
                threshold = c;
                true
            }
            _ => false,
        },
        any,
    )
    .await
}

/// `batch`: the batch, waiting up to `wait_secs` (only with `since`) for
/// its version to pass `since` or its state to change from the first read.
pub async fn batch(
    s: &AppState,
    id: Id,
    since: Option<u64>,
    wait_secs: u64,
) -> Result<ReadReply, ApiError> {
    let q = Read::Batch(id);
    let Some(since) = since.filter(|_| wait_secs > 0) else {
        return s.0.store.read(s.0.ctx.clone(), q).await;
    };
    let deadline = deadline(wait_secs);
    let (_shared, mut rx) = s.0.waiters.join(s, WaitKey::Batch(id));
    rx.borrow_and_update();
    let first = own_read(s, &q).await?;
    let ReadReply::Batch(b) = &first else {
        return Ok(first);
    };
    let first_state = b.state;
    let news = move |version: u64, state: BatchState| version > since || state != first_state;
    if news(b.version, b.state) {
        return Ok(first);
    }
    wait(
        s,
        &q,
        deadline,
        rx,
        |p| matches!(p, Probe::Batch { version, state } if news(version, state)),
        |r| match r {
            ReadReply::Batch(b) => news(b.version, b.state),
            _ => true,
        },
    )
    .await
}
