//! Load generator for the Lockstep relay (README "Benchmarks").
//!
//! Starts a relay in-process on loopback (SQLite in a temporary file with
//! `synchronous=FULL`, or a temporary PostgreSQL database on the local
//! server, created and dropped), or targets one already running, and drives
//! it over real HTTP with native wallet-core clients:
//! - **transfers**: N clients each doing complete transfers in a loop
//!   (deposit → sender → update_msg → get_msg_addr → decrypt → receiver);
//! - **swaps**: N clients each running two-party swaps end to end with
//!   wallet-core's testkit parties (the state machines and the receiver's §7
//!   verification, exactly as the wallets run them);
//! - **group commit**: SQLite's write requests per commit (per fsync);
//! - **batch scaling**: one batch of 2, 100, 1000 coins, joined and then
//!   unlocked one request at a time, comparing the first unlocks with the
//!   last ones (the last one commits the batch).
//!
//! Every loop is bounded by a count and a time; all traffic is loopback.

pub mod abuse;

use relay::clock::SystemClock;
use relay::config::Config;
use relay::store::AnyStore;
use relay::store::sqlite::Stats;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::task::JoinSet;
use wallet_core::client::{HttpRequest, HttpResponse, MAX_MESSAGE_PAGES, RelayClient, Transport};
use wallet_core::descriptor::{BatchJoin, BatchTransfer, Descriptor};
use wallet_core::keys::{self, AddressKeys, AuthKey};
use wallet_core::keyshare;
use wallet_core::machine::swap::SwapPhase;
use wallet_core::message::TransferMessage;
use wallet_core::signing;
use wallet_core::testkit::{Party, World, run_until, scenarios};
use wallet_core::types::{Id, Point, Scalar, XOnly};
use wallet_core::wallet::Record;
use wallet_core::wire::{
    BatchCoinRequest, DepositRequest, ReceiverRequest, SenderRequest, UpdateMsgRequest,
};

pub type BenchResult<T> = Result<T, String>;

// ----- randomness and keys -----

pub fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).unwrap_or_else(|e| panic!("no OS randomness: {e}"));
    b
}

fn scalar() -> Scalar {
    keys::random_scalar(getrandom::fill).unwrap_or_else(|e| panic!("no OS randomness: {e}"))
}

/// A fresh key pair (no derivation: the wallet's BIP32 path is not what is
/// measured here).
pub fn fresh_keys() -> AddressKeys {
    AddressKeys {
        index: 0,
        user: scalar(),
        auth: AuthKey::from_scalar(&scalar()),
    }
}

pub fn random_id() -> Id {
    Id::new_v4(random::<16>())
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

// ----- latency per endpoint -----

/// Latencies (µs) and non-200 answers per endpoint.
#[derive(Default)]
pub struct Recorder {
    inner: Mutex<BTreeMap<&'static str, (Vec<u64>, u64)>>,
}

impl Recorder {
    fn record(&self, endpoint: &'static str, took: Duration, ok: bool) {
        if let Ok(mut m) = self.inner.lock() {
            let e = m.entry(endpoint).or_default();
            e.0.push(took.as_micros() as u64);
            if !ok {
                e.1 += 1;
            }
        }
    }

    /// Everything recorded so far, leaving the recorder empty.
    pub fn take(&self) -> BTreeMap<&'static str, (Vec<u64>, u64)> {
        self.inner
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default()
    }
}

/// The endpoint of a request path, ids left out.
pub fn endpoint(path: &str) -> &'static str {
    let p = path.split('?').next().unwrap_or("");
    const FIXED: [&str; 8] = [
        "/info/config",
        "/deposit/init",
        "/transfer/sender",
        "/transfer/update_msg",
        "/transfer/unlock",
        "/transfer/abort",
        "/transfer/receiver",
        "/withdraw",
    ];
    const PREFIXED: [(&str, &str); 5] = [
        ("/info/statechain/", "GET /info/statechain"),
        ("/info/owner/", "GET /info/owner"),
        ("/transfer/get_msg_addr/", "GET /transfer/get_msg_addr"),
        ("/transfer/batch/", "GET /transfer/batch"),
        ("/transfer/receipt/", "GET /transfer/receipt"),
    ];
    if let Some(f) = FIXED.iter().find(|f| **f == p) {
        return f;
    }
    PREFIXED
        .iter()
        .find(|(pre, _)| p.starts_with(pre))
        .map_or("other", |(_, name)| name)
}

/// The workspace's HTTP transport ([`cli::http::Http`]), timing every
/// exchange.
#[derive(Clone)]
pub struct Http {
    pub net: cli::http::Http,
    pub rec: Arc<Recorder>,
}

impl Http {
    /// A transport to the relay at `base` over `client`, recording into
    /// `rec`.
    pub fn new(client: reqwest::Client, base: &str, rec: Arc<Recorder>) -> BenchResult<Http> {
        let net = cli::http::Http::with_client(client, base).map_err(|e| e.to_string())?;
        Ok(Http { net, rec })
    }

    /// The same transport, speaking for client `ip`: sent as
    /// `X-Forwarded-For`, for a relay that trusts the loopback peer as its
    /// proxy (abuse mode).
    pub fn as_client(&self, ip: String) -> Http {
        Http {
            net: self.net.clone().with_header("x-forwarded-for", &ip),
            rec: self.rec.clone(),
        }
    }
}

impl Transport for Http {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, wallet_core::Error> {
        let endpoint = endpoint(&req.path);
        let started = Instant::now();
        let resp = self.net.send(req).await?;
        self.rec
            .record(endpoint, started.elapsed(), resp.status == 200);
        Ok(resp)
    }
}

/// The relay as the testkit's scenarios see it: the system clock (the
/// relay's own), which nobody can advance.
pub struct Net {
    pub client: RelayClient<Http>,
}

impl World for Net {
    type T = Http;
    fn relay(&self) -> &RelayClient<Http> {
        &self.client
    }
    fn now(&self) -> u64 {
        unix_now()
    }
    fn advance(&self, _secs: u64) {}
}

// ----- the relay under test -----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// A temporary PostgreSQL database, dropped with this value.
pub struct PgDb {
    admin: String,
    name: String,
    pub url: String,
}

impl PgDb {
    /// Creates `lockstep_bench_<random>` on the server of `admin_url` (a
    /// URL of an existing database such as `postgres`).
    pub async fn create(admin_url: &str) -> BenchResult<PgDb> {
        let (client, conn) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls)
            .await
            .map_err(|e| format!("cannot reach PostgreSQL at {admin_url}: {e}"))?;
        tokio::spawn(conn);
        let name = format!(
            "lockstep_bench_{}",
            wallet_core::hex::encode(&random::<6>())
        );
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(|e| format!("cannot create database {name}: {e}"))?;
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url, |(base, _)| base);
        Ok(PgDb {
            admin: admin_url.to_string(),
            url: format!("{base}/{name}"),
            name,
        })
    }

    pub async fn drop_db(&self) -> BenchResult<()> {
        let (client, conn) = tokio_postgres::connect(&self.admin, tokio_postgres::NoTls)
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        client
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await
            .map_err(|e| e.to_string())
    }
}

/// A relay started in-process on its own runtime (so the clients' work and
/// the relay's are scheduled apart), on loopback.
pub struct LocalRelay {
    rt: Option<tokio::runtime::Runtime>,
    relay: Option<relay::Relay>,
    pub base: String,
    pub backend: Backend,
    pg: Option<PgDb>,
    _dir: tempfile::TempDir,
}

impl LocalRelay {
    /// Must be called outside any async runtime.
    pub fn start(
        backend: Backend,
        pg_admin: &str,
        batch_timeout: u64,
        threads: usize,
    ) -> BenchResult<LocalRelay> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("relay")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(rt.block_on(PgDb::create(pg_admin))?),
        };
        let mut config = Config::defaults();
        config.listen = "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?;
        config.database = match &pg {
            None => format!("sqlite://{}", dir.path().join("relay.db").display()),
            Some(db) => db.url.clone(),
        };
        config.rate_limit = 0;
        config.batch_timeout = batch_timeout;
        let relay = rt.block_on(relay::start(config, Arc::new(SystemClock)))?;
        Ok(LocalRelay {
            base: format!("http://{}", relay.addr),
            relay: Some(relay),
            rt: Some(rt),
            backend,
            pg,
            _dir: dir,
        })
    }

    /// SQLite's group-commit counters (commits = fsyncs, write requests).
    pub fn stats(&self) -> Option<Arc<Stats>> {
        match &self.relay.as_ref()?.state.0.store {
            AnyStore::Sqlite(s) => Some(s.stats.clone()),
            AnyStore::Postgres(_) => None,
        }
    }

    pub fn stop(mut self) -> BenchResult<()> {
        let rt = self.rt.take().ok_or("stopped twice")?;
        if let Some(relay) = self.relay.take() {
            rt.block_on(relay.shutdown()).map_err(|e| e.to_string())?;
        }
        if let Some(db) = self.pg.take() {
            rt.block_on(db.drop_db())?;
        }
        rt.shutdown_timeout(Duration::from_secs(5));
        Ok(())
    }
}

/// `(commits, requests)` so far, to take differences.
pub fn counters(stats: &Option<Arc<Stats>>) -> Option<(u64, u64)> {
    stats.as_ref().map(|s| {
        (
            s.commits.load(Ordering::Relaxed),
            s.requests.load(Ordering::Relaxed),
        )
    })
}

// ----- one complete transfer -----

/// What a coin's owner needs to send it on.
#[derive(Clone)]
pub struct Coin {
    pub id: Id,
    pub amount: u64,
    pub aggregated: Point,
    pub seq: u64,
    pub owner: AddressKeys,
}

pub async fn deposit(c: &RelayClient<Http>, amount: u64) -> BenchResult<Coin> {
    let owner = fresh_keys();
    let r = c
        .deposit(&DepositRequest::signed(
            &owner,
            amount,
            unix_now(),
            random(),
        ))
        .await
        .map_err(|e| format!("deposit: {e}"))?;
    Ok(Coin {
        id: r.statechain_id,
        amount,
        aggregated: r.aggregated_pubkey,
        seq: 0,
        owner,
    })
}

/// `/transfer/sender` and `/transfer/update_msg`: the sender's half.
pub async fn send(
    c: &RelayClient<Http>,
    coin: &Coin,
    to: &AddressKeys,
    batch: Option<&BatchJoin>,
) -> BenchResult<()> {
    let x1 = c
        .sender(&SenderRequest::signed_join(
            coin.id,
            &coin.owner,
            &address(to),
            batch,
            unix_now(),
            random(),
        ))
        .await
        .map_err(|e| format!("sender: {e}"))?
        .x1;
    let batch_id = batch.map(BatchJoin::batch_id);
    let seq = coin.seq + 1;
    let transfer_sig = coin.owner.auth.sign(
        &signing::transfer(
            &coin.id,
            seq,
            &to.user_pubkey(),
            &to.auth_pubkey(),
            batch_id.as_ref(),
        ),
        random(),
    );
    let msg = TransferMessage {
        version: 1,
        statechain_id: coin.id,
        amount: coin.amount,
        aggregated_pubkey: coin.aggregated,
        sender_user_pubkey: coin.owner.user_pubkey(),
        recipient_user_pubkey: to.user_pubkey(),
        recipient_auth_pubkey: to.auth_pubkey(),
        batch_id,
        seq,
        t1: keyshare::t1(&coin.owner.user, &x1).map_err(|e| e.to_string())?,
        transfer_sig,
    };
    let enc = msg.seal(&to.user_pubkey(), &scalar(), random());
    c.update_msg(&UpdateMsgRequest::signed(
        coin.id,
        &coin.owner,
        enc,
        unix_now(),
        random(),
    ))
    .await
    .map_err(|e| format!("update_msg: {e}"))?;
    Ok(())
}

/// The receiver's half: fetch and open the message, complete the transfer,
/// check the receipt. Returns the coin as its new owner holds it.
pub async fn receive(
    c: &RelayClient<Http>,
    coin: &Coin,
    me: &AddressKeys,
    relay_key: &XOnly,
) -> BenchResult<Coin> {
    let msgs = c
        .all_messages(&me.auth_pubkey(), None, MAX_MESSAGE_PAGES)
        .await
        .map_err(|e| format!("get_msg_addr: {e}"))?;
    let m = msgs
        .iter()
        .find(|m| m.statechain_id == coin.id)
        .ok_or("no message for the coin")?;
    let msg = TransferMessage::open(&me.user, &m.enc_msg.0).map_err(|e| e.to_string())?;
    let t2 = keyshare::t2(&msg.t1, &me.user).map_err(|e| e.to_string())?;
    let r = c
        .receiver(&ReceiverRequest::signed(
            coin.id,
            t2,
            msg.transfer_sig,
            me,
            unix_now(),
            random(),
        ))
        .await
        .map_err(|e| format!("receiver: {e}"))?;
    if !r.receipt.verify(relay_key) {
        return Err("the receipt does not verify".into());
    }
    Ok(Coin {
        id: coin.id,
        amount: coin.amount,
        aggregated: coin.aggregated,
        seq: msg.seq,
        owner: me.clone(),
    })
}

/// The demo address of `to`.
pub fn address(to: &AddressKeys) -> wallet_core::address::Address {
    wallet_core::address::Address {
        network: wallet_core::address::Network::Demo,
        user_pubkey: to.user_pubkey(),
        auth_pubkey: to.auth_pubkey(),
    }
}

/// A complete transfer of a fresh demo coin to a fresh address.
pub async fn transfer(c: &RelayClient<Http>, relay_key: &XOnly) -> BenchResult<()> {
    let coin = deposit(c, 1_000).await?;
    let to = fresh_keys();
    send(c, &coin, &to, None).await?;
    receive(c, &coin, &to, relay_key).await?;
    Ok(())
}

/// A two-party swap, run by wallet-core's testkit parties until both are
/// final; fails unless both completed.
pub async fn swap(w: &Net, seed: u64) -> BenchResult<()> {
    let mut s = scenarios::setup(w, seed, false, true).await;
    let rid = s.rid.clone();
    let done = run_until(w, &mut [&mut s.a, &mut s.b], 0, |ps: &[&mut Party]| {
        ps.iter().all(|p| p.is_final(&rid))
    })
    .await;
    let completed = |p: &Party| matches!(p.record(&rid), Some(Record::Swap(sw)) if sw.phase == SwapPhase::Completed);
    if done && completed(&s.a) && completed(&s.b) {
        Ok(())
    } else {
        Err(format!("swap {rid} did not complete"))
    }
}

// ----- phases -----

/// Figures of one timed phase.
pub struct Phase {
    pub name: String,
    pub clients: usize,
    pub ops: u64,
    pub failures: Vec<String>,
    pub elapsed: Duration,
    /// Latency of whole operations (µs).
    pub op_latency: Vec<u64>,
    pub endpoints: BTreeMap<&'static str, (Vec<u64>, u64)>,
    /// (commits, write requests) during the phase, SQLite only.
    pub group_commit: Option<(u64, u64)>,
}

impl Phase {
    pub fn rate(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs `op` on `clients` concurrent tasks until `duration` has passed or
/// `max_ops` operations were started in all (both bounds always apply).
pub async fn run_phase<F, Fut>(
    name: &str,
    clients: usize,
    duration: Duration,
    max_ops: u64,
    rec: &Arc<Recorder>,
    stats: &Option<Arc<Stats>>,
    op: F,
) -> Phase
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = BenchResult<()>> + Send + 'static,
{
    rec.take();
    let before = counters(stats);
    let op = Arc::new(op);
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = JoinSet::new();
    for _ in 0..clients.max(1) {
        let (op, next) = (op.clone(), next.clone());
        tasks.spawn(async move {
            let mut lat = Vec::new();
            let mut failures = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= max_ops || started.elapsed() >= duration {
                    break;
                }
                let t = Instant::now();
                match op(n).await {
                    Ok(()) => lat.push(t.elapsed().as_micros() as u64),
                    Err(e) => failures.push(e),
                }
            }
            (lat, failures)
        });
    }
    let mut op_latency = Vec::new();
    let mut failures = Vec::new();
    while let Some(r) = tasks.join_next().await {
        match r {
            Ok((l, f)) => {
                op_latency.extend(l);
                failures.extend(f);
            }
            Err(e) => failures.push(format!("a client panicked: {e}")),
        }
    }
    let elapsed = started.elapsed();
    let group_commit = match (before, counters(stats)) {
        (Some((c0, r0)), Some((c1, r1))) => Some((c1 - c0, r1 - r0)),
        _ => None,
    };
    Phase {
        name: name.to_string(),
        clients,
        ops: op_latency.len() as u64,
        failures,
        elapsed,
        op_latency,
        endpoints: rec.take(),
        group_commit,
    }
}

// ----- batch scaling -----

pub struct Scaling {
    pub coins: usize,
    /// Per-request latency (µs), in request order.
    pub joins: Vec<u64>,
    pub unlocks: Vec<u64>,
    pub final_state: String,
    pub received: usize,
    pub elapsed: Duration,
}

/// Runs `f` over `items` with at most `parallel` at once, keeping order.
async fn par_map<T, R, F, Fut>(items: Vec<T>, parallel: usize, f: F) -> BenchResult<Vec<R>>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = BenchResult<R>> + Send + 'static,
{
    let f = Arc::new(f);
    let slots = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let mut set = JoinSet::new();
    for (i, item) in items.into_iter().enumerate() {
        let (f, slots) = (f.clone(), slots.clone());
        set.spawn(async move {
            let _slot = slots.acquire_owned().await.map_err(|e| e.to_string())?;
            f(item).await.map(|r| (i, r))
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.map_err(|e| e.to_string())??);
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, r)| r).collect())
}

/// One batch of `n` coins (each its own owner and its own receiver): all
/// deposited and all joined (one `sender` request at a time, then the
/// messages), then unlocked one request at a time; the last unlock commits.
/// Then every receiver completes its transfer.
pub async fn batch_scaling(
    c: &RelayClient<Http>,
    relay_key: XOnly,
    n: usize,
    parallel: usize,
) -> BenchResult<Scaling> {
    let started = Instant::now();
    let coins = par_map((0..n).collect(), parallel, {
        let c = c.clone();
        move |_| {
            let c = c.clone();
            async move { deposit(&c, 1_000).await }
        }
    })
    .await?;
    let receivers: Vec<AddressKeys> = (0..n).map(|_| fresh_keys()).collect();
    let lines = coins
        .iter()
        .zip(&receivers)
        .map(|(coin, to)| BatchTransfer {
            statechain_id: coin.id,
            new_user_auth_key: to.auth_pubkey(),
            amount: coin.amount,
        })
        .collect();
    let d = Descriptor::new(random_id(), lines, n).map_err(|e| e.to_string())?;
    // The first join carries the lines and creates the batch; every later
    // one names it by hash (§6.3), as wallets do: O(1) bytes a join.
    let full = BatchJoin::Full(d.clone());
    let short = BatchJoin::Short {
        batch_id: d.batch_id(),
        descriptor_hash: d.hash(),
    };
    // Joins, one at a time, timed alone.
    let mut joins = Vec::with_capacity(n);
    let mut x1s = Vec::with_capacity(n);
    for (i, (coin, to)) in coins.iter().zip(&receivers).enumerate() {
        let join = if i == 0 { &full } else { &short };
        let req = SenderRequest::signed_join(
            coin.id,
            &coin.owner,
            &address(to),
            Some(join),
            unix_now(),
            random(),
        );
        let t = Instant::now();
        let r = c.sender(&req).await.map_err(|e| format!("join: {e}"))?;
        joins.push(t.elapsed().as_micros() as u64);
        x1s.push(r.x1);
    }
    // The messages (the sender's half again: its x1 repeat is idempotent).
    let pairs: Vec<(Coin, AddressKeys)> = coins.iter().cloned().zip(receivers.clone()).collect();
    par_map(pairs, parallel, {
        let (c, short) = (c.clone(), short.clone());
        move |(coin, to)| {
            let (c, short) = (c.clone(), short.clone());
            async move { send(&c, &coin, &to, Some(&short)).await }
        }
    })
    .await?;
    // Unlocks, one at a time, timed alone.
    let mut unlocks = Vec::with_capacity(n);
    let mut final_state = String::new();
    for (coin, to) in coins.iter().zip(&receivers) {
        let req = BatchCoinRequest::unlock(coin.id, d.batch_id(), to, unix_now(), random());
        let t = Instant::now();
        let s = c.unlock(&req).await.map_err(|e| format!("unlock: {e}"))?;
        unlocks.push(t.elapsed().as_micros() as u64);
        final_state = format!("{:?}", s.state).to_lowercase();
    }
    // Every receiver completes.
    let pairs: Vec<(Coin, AddressKeys)> = coins.into_iter().zip(receivers).collect();
    let received = par_map(pairs, parallel, {
        let c = c.clone();
        move |(coin, to)| {
            let c = c.clone();
            async move { receive(&c, &coin, &to, &relay_key).await }
        }
    })
    .await?
    .len();
    Ok(Scaling {
        coins: n,
        joins,
        unlocks,
        final_state,
        received,
        elapsed: started.elapsed(),
    })
}

// ----- reporting -----

/// The `p`-th percentile (nearest rank) of unsorted samples.
pub fn percentile(samples: &[u64], p: f64) -> u64 {
    if samples.is_empty() {
        return 0;
    }
    let mut v = samples.to_vec();
    v.sort_unstable();
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

pub fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

/// Writes and syncs 4 KiB `count` times in a temporary file under `dir`:
/// the disk's durable commits per second, for context.
pub fn fsync_probe(dir: &std::path::Path, count: u32) -> BenchResult<f64> {
    use std::io::Write;
    let path = dir.join(format!(
        "loadgen-fsync-probe-{}",
        wallet_core::hex::encode(&random::<4>())
    ));
    let mut f = std::fs::File::create(&path).map_err(|e| e.to_string())?;
    let block = [0x5au8; 4096];
    let started = Instant::now();
    for _ in 0..count {
        f.write_all(&block).map_err(|e| e.to_string())?;
        f.sync_data().map_err(|e| e.to_string())?;
    }
    let rate = f64::from(count) / started.elapsed().as_secs_f64().max(1e-9);
    let _ = std::fs::remove_file(&path);
    Ok(rate)
}

/// A Markdown table of a phase's endpoints.
pub fn endpoint_table(p: &Phase) -> String {
    let mut s = String::from(
        "| endpoint | requests | p50 ms | p99 ms | non-200 |\n|---|---:|---:|---:|---:|\n",
    );
    for (name, (lat, errors)) in &p.endpoints {
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} | {errors} |",
            lat.len(),
            ms(percentile(lat, 50.0)),
            ms(percentile(lat, 99.0))
        );
    }
    s
}

/// One line per phase for the summary table.
pub fn phase_row(backend: Backend, p: &Phase) -> String {
    let gc = match p.group_commit {
        Some((commits, requests)) if commits > 0 => {
            format!(
                "{:.1} ({requests}/{commits})",
                requests as f64 / commits as f64
            )
        }
        _ => "–".into(),
    };
    format!(
        "| {backend} | {} | {} | {} | {:.1} | {} | {} | {gc} | {} |",
        p.name,
        p.clients,
        p.ops,
        p.rate(),
        ms(percentile(&p.op_latency, 50.0)),
        ms(percentile(&p.op_latency, 99.0)),
        p.failures.len()
    )
}

pub const PHASE_HEADER: &str = "| backend | workload | clients | completed | per second | p50 ms | p99 ms | requests per fsync (requests/commits) | failed |\n|---|---|---:|---:|---:|---:|---:|---:|---:|";

/// How many requests at each end of a batch are compared: a tenth of the
/// batch, 1 to 50 (single requests are at the mercy of one fsync).
pub fn ends(n: usize) -> usize {
    (n / 10).clamp(1, 50)
}

pub fn scaling_row(backend: Backend, s: &Scaling) -> String {
    let k = ends(s.coins);
    let (n_u, n_j) = (s.unlocks.len(), s.joins.len());
    let first = percentile(&s.unlocks[..k.min(n_u)], 50.0);
    let last = percentile(&s.unlocks[n_u.saturating_sub(k)..], 50.0);
    format!(
        "| {backend} | {} | {k} | {} | {} | {} | {} | {:.2} | {} | {} | {} | {:.1} s |",
        s.coins,
        ms(s.unlocks.first().copied().unwrap_or(0)),
        ms(s.unlocks.last().copied().unwrap_or(0)),
        ms(first),
        ms(last),
        last as f64 / first.max(1) as f64,
        ms(percentile(&s.joins[..k.min(n_j)], 50.0)),
        ms(percentile(&s.joins[n_j.saturating_sub(k)..], 50.0)),
        s.final_state,
        s.elapsed.as_secs_f64()
    )
}

pub const SCALING_HEADER: &str = "| backend | coins | k | first unlock ms | last unlock (commits) ms | first k unlocks, median ms | last k unlocks, median ms | last/first (k medians) | first k joins, median ms | last k joins, median ms | batch | total |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|";
