//! Abuse mode (README "Benchmarks", issue 9 §5): honest clients run
//! transfers and swaps while attackers, each within the documented
//! per-client limits, flood one key with maximal junk messages, hold their
//! maximum of long-polls, and send junk-signed maximal joins. The relay is
//! the real `relay` binary in a process of its own (its memory measured
//! from `/proc`), with the default limits and `--trusted-proxies
//! 127.0.0.1/32`: every client, honest or not, names itself in
//! `X-Forwarded-For`, so the relay limits each one as it would behind a
//! proxy. Honest users are many (a fresh address per operation, as many
//! people each doing a little); each attacker is one address.

use crate::{
    Backend, BenchResult, Coin, Http, PgDb, Recorder, address, deposit, fresh_keys, random,
    random_id, receive, send, unix_now,
};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use wallet_core::client::RelayClient;
use wallet_core::descriptor::{BatchJoin, BatchTransfer, Descriptor};
use wallet_core::keys::AddressKeys;
use wallet_core::wire::{SenderRequest, UpdateMsgRequest};

/// The relay binary in a process of its own.
pub struct ChildRelay {
    child: Child,
    pub base: String,
    pg: Option<PgDb>,
    _dir: tempfile::TempDir,
}

/// A free loopback port (bound and released: the relay binds it next).
fn free_port() -> BenchResult<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// The `relay` binary beside this executable (`target/release/relay`).
pub fn default_relay_bin() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("relay")))
        .unwrap_or_else(|| PathBuf::from("relay"))
}

impl ChildRelay {
    /// Starts `bin` on a free loopback port, on a temporary SQLite file or
    /// a temporary PostgreSQL database, with the default per-client limits
    /// and the loopback peer trusted to name its clients.
    pub async fn start(bin: &Path, backend: Backend, pg_admin: &str) -> BenchResult<ChildRelay> {
        if !bin.is_file() {
            return Err(format!(
                "no relay binary at {} (cargo build --release -p relay, or --relay-bin)",
                bin.display()
            ));
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgDb::create(pg_admin).await?),
        };
        let database = match &pg {
            None => format!("sqlite://{}", dir.path().join("relay.db").display()),
            Some(db) => db.url.clone(),
        };
        let port = free_port()?;
        let child = Command::new(bin)
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database",
                &database,
                "--batch-timeout",
                "600",
                "--trusted-proxies",
                "127.0.0.1/32",
            ])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let r = ChildRelay {
            child,
            base: format!("http://127.0.0.1:{port}"),
            pg,
            _dir: dir,
        };
        let probe = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(resp) = probe.get(format!("{}/info/config", r.base)).send().await
                && resp.status().is_success()
            {
                return Ok(r);
            }
            if started.elapsed() > Duration::from_secs(20) {
                return Err("the relay did not answer within 20 s".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the relay (SIGTERM, then SIGKILL after 10 s) and drops its database.
    pub async fn stop(mut self) -> BenchResult<()> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().map_err(|e| e.to_string())?.is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if let Some(db) = self.pg.take() {
            db.drop_db().await?;
        }
        Ok(())
    }
}

/// Resident memory of process `pid` in KiB (`VmRSS`), Linux only.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// CPU seconds (user + system) process `pid` has used, Linux only
/// (`/proc/PID/stat`, in the kernel's 100 Hz clock ticks).
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name in parentheses: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Samples a process's resident memory every 100 ms until stopped; the
/// highest value seen.
pub struct MemorySampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl MemorySampler {
    pub fn start(pid: u32) -> MemorySampler {
        let peak = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        let task = tokio::spawn(async move {
            while !s.load(Ordering::Relaxed) {
                if let Some(kib) = rss_kib(pid) {
                    p.fetch_max(kib, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        MemorySampler { peak, stop, task }
    }

    /// The peak in KiB.
    pub async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        self.peak.load(Ordering::Relaxed)
    }
}

/// The address honest operation `n` comes from: one of 65 536 users.
pub fn honest_ip(n: u64) -> String {
    Ipv4Addr::new(10, 1, (n >> 8) as u8, n as u8).to_string()
}

/// What the attackers did, counted by answer.
#[derive(Debug, Default)]
pub struct AttackStats {
    pub requests: AtomicU64,
    pub ok: AtomicU64,
    pub rate_limited: AtomicU64,
    pub refused: AtomicU64,
    pub failed: AtomicU64,
    pub junk_messages: AtomicU64,
    pub junk_joins: AtomicU64,
    pub polls_held: AtomicU64,
    pub polls_refused: AtomicU64,
}

impl AttackStats {
    fn count(&self, status: Option<u16>) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let c = match status {
            Some(200) => &self.ok,
            Some(429) => &self.rate_limited,
            Some(_) => &self.refused,
            None => &self.failed,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// One attacker: its own address, its own coin for junk joins.
struct Attacker {
    http: reqwest::Client,
    base: String,
    ip: String,
    stats: Arc<AttackStats>,
}

impl Attacker {
    async fn post(&self, path: &str, body: String) -> Option<u16> {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("x-forwarded-for", &self.ip)
            .body(body)
            .send()
            .await;
        let status = match r {
            Ok(resp) => {
                let s = resp.status().as_u16();
                let _ = resp.bytes().await;
                Some(s)
            }
            Err(_) => None,
        };
        self.stats.count(status);
        status
    }

    /// One long-poll held as long as the relay lets it (30 s), again and
    /// again until `stop`.
    async fn hold_poll(&self, key: String, stop: Arc<AtomicBool>) {
        while !stop.load(Ordering::Relaxed) {
            let r = self
                .http
                .get(format!(
                    "{}/transfer/get_msg_addr/{key}?wait=30&after=1000000000",
                    self.base
                ))
                .header("x-forwarded-for", &self.ip)
                .timeout(Duration::from_secs(40))
                .send()
                .await;
            match r {
                Ok(resp) if resp.status().as_u16() == 429 => {
                    self.stats.polls_refused.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Ok(resp) => {
                    self.stats.polls_held.fetch_add(1, Ordering::Relaxed);
                    let _ = resp.bytes().await;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }
}

/// Attack configuration.
pub struct Attack {
    pub attackers: usize,
    /// Requests per second each attacker sends (the relay allows 50).
    pub rate: f64,
    /// Long-polls each attacker holds (the relay allows 32).
    pub polls: usize,
    /// The key the flood goes to (and half the long-polls wait on).
    pub victim: AddressKeys,
}

/// Starts the attackers; they run until `stop` is set. The returned set
/// ends when they have stopped.
pub async fn start_attack(
    base: &str,
    a: &Attack,
    stats: Arc<AttackStats>,
    stop: Arc<AtomicBool>,
) -> BenchResult<JoinSet<()>> {
    let mut set = JoinSet::new();
    let victim = address(&a.victim);
    for k in 0..a.attackers {
        let attacker = Arc::new(Attacker {
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .build()
                .map_err(|e| e.to_string())?,
            base: base.to_string(),
            ip: Ipv4Addr::new(10, 66, (k >> 8) as u8, k as u8).to_string(),
            stats: stats.clone(),
        });
        // Its maximum of long-polls: half on the victim's key, half on
        // keys of its own (each a waiter of its own at the relay).
        for i in 0..a.polls {
            let key = if i % 2 == 0 {
                a.victim.auth_pubkey().to_string()
            } else {
                fresh_keys().auth_pubkey().to_string()
            };
            let (att, stop) = (attacker.clone(), stop.clone());
            set.spawn(async move { att.hold_poll(key, stop).await });
        }
        // Paced requests: a maximal junk join, then a maximal junk message
        // for the victim (deposit, sender, update_msg), and again. Paced
        // as the relay counts: a request is one token, plus one per
        // 4 KiB of body (relay::limits::body_tokens).
        let (att, stop, rate) = (attacker.clone(), stop.clone(), a.rate);
        set.spawn(async move {
            let owner = fresh_keys();
            let mut next = tokio::time::Instant::now();
            let mut pace = |body: usize| {
                let tokens = 1.0 + relay::limits::body_tokens(body);
                next += Duration::from_secs_f64(tokens / rate.max(0.1));
                tokio::time::sleep_until(next)
            };
            // A coin of its own that the junk joins name (so each gets as
            // far as the signature check), and a 1000-line descriptor.
            pace(0).await;
            let own = deposit_raw(&att, &owner).await;
            let lines: Vec<BatchTransfer> = (0..1000)
                .map(|i| BatchTransfer {
                    statechain_id: if i == 0 {
                        own.unwrap_or_else(random_id)
                    } else {
                        random_id()
                    },
                    new_user_auth_key: fresh_keys().auth_pubkey(),
                    amount: 1,
                })
                .collect();
            let d = match Descriptor::new(random_id(), lines, 1000) {
                Ok(d) => BatchJoin::Full(d),
                Err(_) => return,
            };
            let stranger = fresh_keys();
            while !stop.load(Ordering::Relaxed) {
                // Junk-signed: by a key that does not own the coin.
                let req = SenderRequest::signed_join(
                    own.unwrap_or_else(random_id),
                    &stranger,
                    &address(&stranger),
                    Some(&d),
                    unix_now(),
                    random(),
                );
                let body = wallet_core::wire::encode(&req);
                pace(body.len()).await;
                att.post("/transfer/sender", body).await;
                att.stats.junk_joins.fetch_add(1, Ordering::Relaxed);
                // A maximal junk message for the victim.
                pace(0).await;
                let Some(coin) = deposit_raw(&att, &owner).await else {
                    continue;
                };
                let req = SenderRequest::signed(coin, &owner, &victim, None, unix_now(), random());
                let body = wallet_core::wire::encode(&req);
                pace(body.len()).await;
                if att.post("/transfer/sender", body).await != Some(200) {
                    continue;
                }
                // Random: nothing for the database to compress away.
                let mut junk = vec![0u8; 65_536];
                getrandom::fill(&mut junk).unwrap_or_default();
                let req = UpdateMsgRequest::signed(coin, &owner, junk, unix_now(), random());
                let body = wallet_core::wire::encode(&req);
                pace(body.len()).await;
                if att.post("/transfer/update_msg", body).await == Some(200) {
                    att.stats.junk_messages.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    Ok(set)
}

/// A 1-sat demo coin for an attacker; its id if the relay took it.
async fn deposit_raw(att: &Attacker, owner: &AddressKeys) -> Option<wallet_core::Id> {
    let req = wallet_core::wire::DepositRequest::signed(owner, 1, unix_now(), random());
    let r = att
        .http
        .post(format!("{}/deposit/init", att.base))
        .header("content-type", "application/json")
        .header("x-forwarded-for", &att.ip)
        .body(wallet_core::wire::encode(&req))
        .send()
        .await;
    let (status, body) = match r {
        Ok(resp) => {
            let s = resp.status().as_u16();
            (Some(s), resp.bytes().await.ok())
        }
        Err(_) => (None, None),
    };
    att.stats.count(status);
    if status != Some(200) {
        return None;
    }
    let dep: wallet_core::wire::DepositResponse = wallet_core::wire::decode(&body?).ok()?;
    Some(dep.statechain_id)
}

/// After an attack: one real coin sent to the flooded key, and the time
/// the victim's wallet takes to find and receive it (paging through every
/// junk message first).
pub async fn victim_receives(
    base: &str,
    victim: &AddressKeys,
    relay_key: &wallet_core::XOnly,
) -> BenchResult<Duration> {
    let http = Http::new(reqwest::Client::new(), base, Arc::new(Recorder::default()))?
        .as_client(honest_ip(65_000));
    let c = RelayClient::new(http);
    let coin: Coin = deposit(&c, 5_000).await?;
    send(&c, &coin, victim, None).await?;
    let started = Instant::now();
    receive(&c, &coin, victim, relay_key).await?;
    Ok(started.elapsed())
}
