//! An in-memory relay: the real relay's endpoint logic ([`crate::serve`])
//! over maps instead of a database, with a clock you advance and seeded
//! randomness, answering [`HttpRequest`]s as the relay's HTTP layer does.
//!
//! Not a mock: decoding, the §4 check order, authentication, replay memory,
//! the batch rules and the key update all run the code the relay runs; the
//! sim supplies only storage, a clock, randomness and routing. Each request
//! is one all-or-nothing transaction: it works on a copy of the state
//! (made on its first write) that replaces the state only on success, so a
//! refused request changes nothing and consumes no signature.
//!
//! Long-polls (`wait`, `since`) are accepted and answered at once: the sim
//! never waits, so every future it returns is ready when first polled
//! ([`block_on`] drives them, natively and in wasm).
//!
//! Differences from the relay, all outside the protocol: no rate limit,
//! concurrency limit or request timeout; no `Content-Type` check (an
//! [`HttpRequest`] carries no headers); paths are taken as the client
//! builds them (no percent-decoding); no static files.

use crate::client::{HttpRequest, HttpResponse, Method, RelayClient, Transport};
use crate::descriptor::BatchTransfer;
use crate::entropy::{Entropy, SeededEntropy};
use crate::error::{Error, ErrorCode};
use crate::keys::{self, AuthKey};
use crate::rows::{Batch, Coin, Limits, Member};
use crate::rules::Refusal;
use crate::serve::decode::{self, Endpoint};
use crate::serve::{
    self, Clock, Ctx, Op, RandomSource, Read, ReadReply, Reply, ServeError, StoreError,
    StoreResult, SyncTx,
};
use crate::types::{HexBytes, Id, Scalar, Sig, XOnly};
use crate::wire::{self, ChainEntry, ErrorBody, MessageEntry};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

#[cfg(test)]
mod atomicity_tests;
#[cfg(test)]
mod tests;

/// Runs a future that never waits to completion: one poll. The sim's
/// answers, and anything that awaits only the sim (the scenarios), are
/// such futures.
///
/// # Panics
/// If the future is pending: it waits for something the sim cannot give.
pub fn block_on<F: Future>(future: F) -> F::Output {
    now_or_never(future)
        .unwrap_or_else(|| panic!("block_on: the future is pending, but the sim never waits"))
}

/// The future's output if it is ready when first polled, else `None`.
pub fn now_or_never<F: Future>(future: F) -> Option<F::Output> {
    match pin!(future)
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

/// The sim's clock: starts at a fixed time, moves only when told to.
#[derive(Debug)]
pub struct SimClock {
    now: AtomicU64,
}

impl SimClock {
    /// 2023-11-14T22:13:20Z, an arbitrary fixed start.
    pub const START: u64 = 1_700_000_000;

    pub fn new(now: u64) -> SimClock {
        SimClock {
            now: AtomicU64::new(now),
        }
    }
    pub fn advance(&self, secs: u64) {
        self.now.fetch_add(secs, Ordering::SeqCst);
    }
    /// Sets the wall clock, backwards too (a step by NTP, say).
    pub fn set(&self, now: u64) {
        self.now.store(now, Ordering::SeqCst);
    }
}

impl Clock for SimClock {
    fn now(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }
}

/// Deterministic randomness for the sim ([`SeededEntropy`] behind a lock).
/// Never for real keys.
#[derive(Debug)]
pub struct SeededRandom(Mutex<SeededEntropy>);

impl SeededRandom {
    pub fn new(seed: u64) -> SeededRandom {
        SeededRandom(Mutex::new(SeededEntropy::new(seed)))
    }
}

impl RandomSource for SeededRandom {
    fn fill(&self, out: &mut [u8]) -> StoreResult<()> {
        self.0
            .lock()
            .map_err(|_| StoreError::new("randomness lock poisoned"))?
            .fill(out);
        Ok(())
    }
}

/// Everything the relay stores, in the shape of its tables.
#[derive(Debug, Clone, Default)]
struct State {
    coins: BTreeMap<Id, Coin>,
    batches: BTreeMap<Id, Batch>,
    /// Per batch, its descriptor lines (sorted by coin id) with their member rows.
    lines: BTreeMap<Id, BTreeMap<Id, (BatchTransfer, Member)>>,
    /// Per coin, its chain by `seq`.
    chain: BTreeMap<Id, BTreeMap<u64, ChainEntry>>,
    /// Per receiving key, the last message cursor given.
    cursors: BTreeMap<[u8; 32], u64>,
    /// Remembered signatures and when they may be forgotten.
    sigs: BTreeMap<[u8; 64], u64>,
    relay_key: Option<Scalar>,
}

/// One transaction: reads the committed state, copies it on the first
/// write. Its writes become the state only if the request succeeds.
struct SimTx<'a> {
    state: Cow<'a, State>,
}

impl SimTx<'_> {
    fn write(&mut self) -> &mut State {
        self.state.to_mut()
    }

    fn write_coin(&mut self, coin: &Coin, insert: bool) -> StoreResult<()> {
        let exists = self.state.coins.contains_key(&coin.statechain_id);
        if exists == insert {
            return Err(StoreError::new(if insert {
                "coin row already exists"
            } else {
                "coin row not written"
            }));
        }
        self.write().coins.insert(coin.statechain_id, coin.clone());
        Ok(())
    }
}

impl SyncTx for SimTx<'_> {
    fn shared_now_sync(&mut self) -> StoreResult<Option<u64>> {
        // One relay, one process: its own (monotonic) clock decides.
        Ok(None)
    }

    fn coin_sync(&mut self, id: &Id) -> StoreResult<Option<Coin>> {
        Ok(self.state.coins.get(id).cloned())
    }

    fn insert_coin_sync(&mut self, coin: &Coin) -> StoreResult<()> {
        self.write_coin(coin, true)
    }

    fn put_coin_sync(&mut self, coin: &Coin) -> StoreResult<()> {
        self.write_coin(coin, false)
    }

    fn batch_sync(&mut self, id: &Id) -> StoreResult<Option<Batch>> {
        Ok(self.state.batches.get(id).cloned())
    }

    fn insert_batch_sync(&mut self, batch: &Batch, lines: &[BatchTransfer]) -> StoreResult<()> {
        if self.state.batches.contains_key(&batch.batch_id) {
            return Err(StoreError::retry("batch row already exists"));
        }
        let s = self.write();
        s.batches.insert(batch.batch_id, batch.clone());
        s.lines.insert(
            batch.batch_id,
            lines
                .iter()
                .map(|l| (l.statechain_id, (*l, Member::default())))
                .collect(),
        );
        Ok(())
    }

    fn put_batch_sync(&mut self, batch: &Batch) -> StoreResult<()> {
        if !self.state.batches.contains_key(&batch.batch_id) {
            return Err(StoreError::new("batch row not written"));
        }
        self.write().batches.insert(batch.batch_id, batch.clone());
        Ok(())
    }

    fn line_sync(&mut self, batch: &Id, coin: &Id) -> StoreResult<Option<(BatchTransfer, Member)>> {
        Ok(self
            .state
            .lines
            .get(batch)
            .and_then(|l| l.get(coin))
            .copied())
    }

    fn member_sync(&mut self, batch: &Id, coin: &Id) -> StoreResult<Option<Member>> {
        Ok(self
            .state
            .lines
            .get(batch)
            .and_then(|l| l.get(coin))
            .map(|(_, m)| *m))
    }

    fn put_member_sync(&mut self, batch: &Id, coin: &Id, member: Member) -> StoreResult<()> {
        if self.member_sync(batch, coin)?.is_none() {
            return Err(StoreError::new("member row not written"));
        }
        if let Some((_, m)) = self
            .write()
            .lines
            .get_mut(batch)
            .and_then(|l| l.get_mut(coin))
        {
            *m = member;
        }
        Ok(())
    }

    fn append_chain_sync(&mut self, coin: &Id, entry: &ChainEntry) -> StoreResult<()> {
        let taken = self
            .state
            .chain
            .get(coin)
            .is_some_and(|c| c.contains_key(&entry.seq));
        if taken {
            return Err(StoreError::new("chain entry already exists"));
        }
        self.write()
            .chain
            .entry(*coin)
            .or_default()
            .insert(entry.seq, entry.clone());
        Ok(())
    }

    fn chain_entry_sync(&mut self, coin: &Id, seq: u64) -> StoreResult<Option<ChainEntry>> {
        Ok(self
            .state
            .chain
            .get(coin)
            .and_then(|c| c.get(&seq))
            .cloned())
    }

    fn next_message_cursor_sync(&mut self, auth: &XOnly) -> StoreResult<u64> {
        let last = self.write().cursors.entry(auth.to_bytes()).or_insert(0);
        *last += 1;
        Ok(*last)
    }

    fn remember_sig_sync(&mut self, sig: &Sig, expires: u64) -> StoreResult<bool> {
        let key = sig.to_bytes();
        if self.state.sigs.contains_key(&key) {
            return Ok(false);
        }
        self.write().sigs.insert(key, expires);
        Ok(true)
    }

    fn relay_key_sync(&mut self) -> StoreResult<Option<Scalar>> {
        Ok(self.state.relay_key)
    }

    fn put_relay_key_sync(&mut self, key: &Scalar) -> StoreResult<()> {
        if self.state.relay_key.is_none() {
            self.write().relay_key = Some(*key);
        }
        Ok(())
    }

    fn chain_sync(&mut self, coin: &Id) -> StoreResult<Vec<ChainEntry>> {
        Ok(self
            .state
            .chain
            .get(coin)
            .map(|c| c.values().cloned().collect())
            .unwrap_or_default())
    }

    fn coins_by_owner_sync(&mut self, auth: &XOnly) -> StoreResult<Vec<Id>> {
        Ok(self
            .state
            .coins
            .values()
            .filter(|c| c.owner_auth_pubkey == *auth)
            .map(|c| c.statechain_id)
            .collect())
    }

    fn messages_for_sync(
        &mut self,
        auth: &XOnly,
        after: u64,
        limit: usize,
    ) -> StoreResult<Vec<MessageEntry>> {
        let mut found: Vec<MessageEntry> = self
            .state
            .coins
            .values()
            .filter_map(|c| {
                let p = c.pending.as_ref()?;
                let msg = p.enc_msg.as_ref()?;
                let cursor = p.msg_cursor?;
                (p.new_user_auth_key == *auth && cursor > after).then(|| MessageEntry {
                    statechain_id: c.statechain_id,
                    enc_msg: HexBytes(msg.clone()),
                    cursor,
                })
            })
            .collect();
        found.sort_by_key(|m| m.cursor);
        found.truncate(limit);
        Ok(found)
    }

    fn batch_lines_sync(&mut self, batch: &Id) -> StoreResult<Vec<(BatchTransfer, Member)>> {
        Ok(self
            .state
            .lines
            .get(batch)
            .map(|l| l.values().copied().collect())
            .unwrap_or_default())
    }
}

struct Inner {
    /// Shared with [`SimRelay::another_process`]es: the "database".
    state: Arc<Mutex<State>>,
    ctx: Ctx,
    clock: Arc<SimClock>,
}

/// The in-memory relay. Cloning gives another handle on the same relay.
#[derive(Clone)]
pub struct SimRelay(Arc<Inner>);

impl std::fmt::Debug for SimRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimRelay")
            .field("now", &self.now())
            .field("relay_pubkey", &self.relay_pubkey())
            .finish_non_exhaustive()
    }
}

impl SimRelay {
    /// A relay with the default limits (§9), its clock at
    /// [`SimClock::START`], all its randomness drawn from `seed`.
    pub fn new(seed: u64) -> SimRelay {
        SimRelay::with_limits(seed, Limits::default())
    }

    pub fn with_limits(seed: u64, limits: Limits) -> SimRelay {
        let clock = Arc::new(SimClock::new(SimClock::START));
        let random = Arc::new(SeededRandom::new(seed));
        // The relay's first start: its signing key, created and stored by
        // the same code the relay runs.
        let mut state = State::default();
        let key = keys::random_scalar(|b| random.fill(b))
            .unwrap_or_else(|e| panic!("seeded randomness does not fail: {e}"));
        let mut tx = SimTx {
            state: Cow::Borrowed(&state),
        };
        let stored = block_on(serve::init_relay_key(&mut tx, &key));
        if let Cow::Owned(s) = tx.state {
            state = s;
        }
        let key = stored.unwrap_or(key);
        SimRelay(Arc::new(Inner {
            state: Arc::new(Mutex::new(state)),
            ctx: Ctx::new(limits, AuthKey::from_scalar(&key), clock.clone(), random),
            clock,
        }))
    }

    /// A second relay process on the same storage, with a wall clock of its
    /// own (starting at this one's) and no memory of the times this one has
    /// used. The sim's storage has no clock of its own, so two such
    /// processes are the worst case PROTOCOL §6.2 guards against: only
    /// what the rules write down keeps them consistent.
    pub fn another_process(&self, seed: u64) -> SimRelay {
        let clock = Arc::new(SimClock::new(self.0.clock.now()));
        SimRelay(Arc::new(Inner {
            state: self.0.state.clone(),
            ctx: Ctx::new(
                self.0.ctx.limits,
                self.0.ctx.relay_key.clone(),
                clock.clone(),
                Arc::new(SeededRandom::new(seed)),
            ),
            clock,
        }))
    }

    /// The relay's clock (Unix seconds): the wall clock, except that it
    /// never goes back behind a time a rule has already used.
    pub fn now(&self) -> u64 {
        self.0.ctx.clock.now(None)
    }

    /// Moves the relay's wall clock forward.
    pub fn advance(&self, secs: u64) {
        self.0.clock.advance(secs);
    }

    /// Sets the relay's wall clock, backwards too: the relay keeps deciding
    /// with the latest time it has used (§6.2 rev 2).
    pub fn set_wall_clock(&self, now: u64) {
        self.0.clock.set(now);
    }

    pub fn relay_pubkey(&self) -> XOnly {
        self.0.ctx.relay_key.public()
    }

    pub fn limits(&self) -> Limits {
        self.0.ctx.limits
    }

    /// A typed client over this relay.
    pub fn client(&self) -> RelayClient<SimRelay> {
        RelayClient::new(self.clone())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic mid-request never leaves a half-written state behind (the
        // state is swapped whole), so a poisoned lock is still consistent.
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One state-changing request in one all-or-nothing transaction.
    pub fn execute(&self, op: &Op) -> Result<Reply, ServeError> {
        let mut state = self.lock();
        let mut tx = SimTx {
            state: Cow::Borrowed(&*state),
        };
        let result = block_on(serve::execute(&mut tx, &self.0.ctx, op));
        let written = match tx.state {
            Cow::Owned(s) if result.is_ok() => Some(s),
            _ => None,
        };
        if let Some(s) = written {
            *state = s;
        }
        result
    }

    /// One read-only request.
    pub fn read(&self, q: &Read) -> Result<ReadReply, ServeError> {
        let state = self.lock();
        let mut tx = SimTx {
            state: Cow::Borrowed(&*state),
        };
        block_on(serve::read(&mut tx, &self.0.ctx, q))
    }

    /// `GET /info/config`.
    pub fn config(&self) -> Result<wire::ConfigResponse, ServeError> {
        let state = self.lock();
        let mut tx = SimTx {
            state: Cow::Borrowed(&*state),
        };
        block_on(serve::config(&mut tx, &self.0.ctx))
    }

    /// Forgets remembered signatures that expired before now (the relay's
    /// periodic pruning); returns how many.
    pub fn prune(&self) -> usize {
        let now = self.now();
        let mut state = self.lock();
        let before = state.sigs.len();
        state.sigs.retain(|_, expires| *expires >= now);
        before - state.sigs.len()
    }

    /// Answers one HTTP request as the relay does: same routes, status
    /// codes and JSON bodies.
    pub fn handle(&self, request: &HttpRequest) -> HttpResponse {
        match self.route(request) {
            Ok(body) => HttpResponse {
                status: 200,
                body: body.into_bytes(),
            },
            Err(Failure { status, body }) => HttpResponse {
                status,
                body: wire::encode(&body).into_bytes(),
            },
        }
    }

    /// The relay's routing: the path picks the endpoint, then the method is
    /// checked (405), then the path parameters and the body are decoded.
    fn route(&self, request: &HttpRequest) -> Result<String, Failure> {
        let (path, query) = match request.path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (request.path.as_str(), None),
        };
        if let Some(endpoint) = Endpoint::from_path(path) {
            method(request, Method::Post)?;
            let body = request.body.as_deref().unwrap_or("").as_bytes();
            let op = decode::op(endpoint, body, &self.0.ctx.limits)?;
            return Ok(wire::encode(&self.execute(&op)?));
        }
        let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
        if segments.contains(&"") {
            // Like the relay's router: no parameter is an empty segment.
            return Err(no_such_endpoint());
        }
        let read = match segments.as_slice() {
            ["info", "config"] => {
                method(request, Method::Get)?;
                return Ok(wire::encode(&self.config()?));
            }
            ["info", "statechain", id] => {
                method(request, Method::Get)?;
                Read::Statechain(decode::id(id)?)
            }
            ["info", "owner", auth] => {
                method(request, Method::Get)?;
                Read::Owner(decode::xonly(auth)?)
            }
            ["transfer", "get_msg_addr", auth] => {
                method(request, Method::Get)?;
                let auth = decode::xonly(auth)?;
                // Accepted, and answered at once: the sim never waits.
                decode::query_u64(query, "wait")?;
                let after = decode::query_u64(query, "after")?.unwrap_or(0);
                Read::Messages { auth, after }
            }
            ["transfer", "batch", id] => {
                method(request, Method::Get)?;
                let id = decode::id(id)?;
                decode::query_u64(query, "wait")?;
                decode::query_u64(query, "since")?;
                Read::Batch(id)
            }
            ["transfer", "receipt", id, seq] => {
                method(request, Method::Get)?;
                Read::Receipt(decode::id(id)?, decode::seq(seq)?)
            }
            _ => return Err(no_such_endpoint()),
        };
        Ok(wire::encode(&self.read(&read)?))
    }
}

/// An answer other than 200: the status and the §8 error body.
struct Failure {
    status: u16,
    body: ErrorBody,
}

impl From<ServeError> for Failure {
    fn from(e: ServeError) -> Self {
        Failure {
            status: e.status(),
            body: e.body(),
        }
    }
}

impl From<Refusal> for Failure {
    fn from(r: Refusal) -> Self {
        ServeError::Refused(r).into()
    }
}

fn no_such_endpoint() -> Failure {
    Refusal::new(ErrorCode::NotFound, "no such endpoint").into()
}

/// A known path with another method: 405 with a `bad_request` body, as the
/// relay answers.
fn method(request: &HttpRequest, wanted: Method) -> Result<(), Failure> {
    if request.method == wanted {
        return Ok(());
    }
    Err(Failure {
        status: 405,
        body: ErrorBody::new(
            ErrorCode::BadRequest,
            "this method is not allowed on this path",
        ),
    })
}

impl Transport for SimRelay {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        Ok(self.handle(&request))
    }
}

/// A scenario's world over the sim: the relay and a client of it.
#[cfg(any(test, feature = "testkit"))]
pub struct SimWorld {
    pub sim: SimRelay,
    pub client: RelayClient<SimRelay>,
}

#[cfg(any(test, feature = "testkit"))]
impl SimWorld {
    pub fn new(seed: u64) -> SimWorld {
        let sim = SimRelay::new(seed);
        SimWorld {
            client: sim.client(),
            sim,
        }
    }
}

#[cfg(any(test, feature = "testkit"))]
impl crate::testkit::World for SimWorld {
    type T = SimRelay;
    fn relay(&self) -> &RelayClient<SimRelay> {
        &self.client
    }
    fn now(&self) -> u64 {
        self.sim.now()
    }
    fn advance(&self, secs: u64) {
        self.sim.advance(secs);
    }
}
