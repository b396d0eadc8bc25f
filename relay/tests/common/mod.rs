//! A real relay in-process on 127.0.0.1:0 with a temporary SQLite file, and
//! native wallet-core clients that talk to it over HTTP.
#![allow(dead_code, clippy::unwrap_used)]

pub mod cluster;

use relay::clock::{Clock, TestClock};
use relay::config::Config;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use wallet_core::address::{Address, Network};
use wallet_core::descriptor::{BatchTransfer, Descriptor};
use wallet_core::keys::{AddressKeys, Mnemonic, WalletKeys};
use wallet_core::message::TransferMessage;
use wallet_core::types::{Id, Scalar};
use wallet_core::wire::{
    BatchCoinRequest, DepositRequest, DepositResponse, MessagesResponse, ReceiverRequest,
    SenderRequest, StatechainInfo, UpdateMsgRequest,
};
use wallet_core::{keyshare, signing};

static COUNTER: AtomicU64 = AtomicU64::new(1);

/// Fresh auxiliary randomness for every signature, so no two collide by accident.
pub fn aux() -> [u8; 32] {
    let mut a = [0u8; 32];
    getrandom::fill(&mut a).unwrap();
    a
}

pub fn random_id() -> Id {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).unwrap();
    Id::new_v4(b)
}

/// A fresh address of a fresh wallet.
pub fn keys() -> AddressKeys {
    let mut e = [0u8; 16];
    getrandom::fill(&mut e).unwrap();
    let w = WalletKeys::from_mnemonic(&Mnemonic::from_entropy(e));
    w.address(COUNTER.fetch_add(1, Ordering::Relaxed) as u32 % 1000)
        .unwrap()
}

pub fn address(k: &AddressKeys) -> Address {
    Address {
        network: Network::Demo,
        user_pubkey: k.user_pubkey(),
        auth_pubkey: k.auth_pubkey(),
    }
}

pub struct TestRelay {
    pub relay: Option<relay::Relay>,
    pub clock: Arc<TestClock>,
    pub http: reqwest::Client,
    pub base: String,
    pub config: Config,
    pub dir: Arc<tempfile::TempDir>,
    /// The PostgreSQL database this relay uses, dropped with the last user.
    pub pg: Option<Arc<PgDb>>,
    pub key: wallet_core::XOnly,
}

pub struct Resp {
    pub status: u16,
    pub body: Value,
}

impl Resp {
    pub fn ok<T: DeserializeOwned>(self) -> T {
        assert_eq!(
            self.status, 200,
            "expected 200, got {}: {}",
            self.status, self.body
        );
        serde_json::from_value(self.body).unwrap()
    }
    /// Asserts a spec error body with this code and the code's status.
    pub fn err(&self, code: &str) {
        let status = wallet_core::ErrorCode::from_str_code(code)
            .unwrap()
            .http_status();
        assert_eq!(
            self.status, status,
            "expected {status} {code}, got {}: {}",
            self.status, self.body
        );
        assert_eq!(self.body["error"]["code"], code, "body {}", self.body);
        assert!(self.body["error"]["message"].is_string());
        assert_eq!(self.body.as_object().unwrap().len(), 1);
    }
}

impl TestRelay {
    pub async fn start() -> TestRelay {
        TestRelay::with(|_| {}).await
    }

    pub async fn with(f: impl FnOnce(&mut Config)) -> TestRelay {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::defaults();
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.database = format!("sqlite://{}", dir.path().join("relay.db").display());
        config.rate_limit = 0;
        f(&mut config);
        let clock = TestClock::new();
        TestRelay::boot(config, clock, Arc::new(dir), None).await
    }

    /// A relay on a fresh PostgreSQL database of its own.
    pub async fn postgres() -> TestRelay {
        TestRelay::postgres_on(
            Arc::new(PgDb::create_with_test_clock().await),
            |_| {},
            TestClock::new(),
        )
        .await
    }

    /// A relay on the PostgreSQL database `db`, with this process clock.
    pub async fn postgres_on(
        db: Arc<PgDb>,
        f: impl FnOnce(&mut Config),
        clock: Arc<TestClock>,
    ) -> TestRelay {
        let mut config = Config::defaults();
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.database = db.url.clone();
        config.rate_limit = 0;
        f(&mut config);
        TestRelay::boot(
            config,
            clock,
            Arc::new(tempfile::tempdir().unwrap()),
            Some(db),
        )
        .await
    }

    /// Another relay process on the same database, with a clock of its own.
    pub async fn sharing_with(&self, clock: Arc<TestClock>) -> TestRelay {
        TestRelay::boot(
            self.config.clone(),
            clock,
            self.dir.clone(),
            self.pg.clone(),
        )
        .await
    }

    async fn boot(
        config: Config,
        clock: Arc<TestClock>,
        dir: Arc<tempfile::TempDir>,
        pg: Option<Arc<PgDb>>,
    ) -> TestRelay {
        let relay = relay::start(config.clone(), clock.clone()).await.unwrap();
        let base = format!("http://{}", relay.addr);
        let key = relay.relay_pubkey();
        TestRelay {
            relay: Some(relay),
            clock,
            http: reqwest::Client::new(),
            base,
            config,
            dir,
            pg,
            key,
        }
    }

    /// Another relay process on the same database (and the same clock).
    pub async fn sharing(&self) -> TestRelay {
        TestRelay::boot(
            self.config.clone(),
            self.clock.clone(),
            self.dir.clone(),
            self.pg.clone(),
        )
        .await
    }

    /// Stops the relay and starts a new process on the same database, with
    /// the same clock (which the new process has never read).
    pub async fn restart(mut self) -> TestRelay {
        self.relay.take().unwrap().shutdown().await.unwrap();
        TestRelay::boot(
            self.config.clone(),
            self.clock.clone(),
            self.dir.clone(),
            self.pg.clone(),
        )
        .await
    }

    /// Stops the relay, runs `between` (the process is gone), and starts a
    /// new process on the same database with the same clock.
    pub async fn restart_after(mut self, between: impl FnOnce()) -> TestRelay {
        self.relay.take().unwrap().shutdown().await.unwrap();
        between();
        TestRelay::boot(
            self.config.clone(),
            self.clock.clone(),
            self.dir.clone(),
            self.pg.clone(),
        )
        .await
    }

    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    /// Lets `secs` pass: on this relay's clock, and on PostgreSQL on the
    /// database server's clock too (the one that decides there).
    pub async fn advance(&self, secs: u64) {
        self.clock.advance(secs);
        if let Some(db) = &self.pg {
            db.advance(secs).await;
        }
    }

    pub fn relay_pubkey(&self) -> wallet_core::XOnly {
        self.key
    }

    /// A client of a relay running elsewhere (another process) on the system clock.
    pub async fn remote(base: String) -> TestRelay {
        let http = reqwest::Client::new();
        let c: Value = http
            .get(format!("{base}/info/config"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let key = wallet_core::XOnly::parse(c["relay_pubkey"].as_str().unwrap()).unwrap();
        TestRelay {
            relay: None,
            clock: TestClock::new(),
            http,
            base,
            config: Config::defaults(),
            dir: Arc::new(tempfile::tempdir().unwrap()),
            pg: None,
            key,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        Resp::from(r).await
    }

    pub async fn post<T: Serialize>(&self, path: &str, body: &T) -> Resp {
        self.post_raw(path, "application/json", serde_json::to_vec(body).unwrap())
            .await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Resp {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        Resp::from(r).await
    }

    // ----- protocol steps -----

    pub async fn deposit(&self, owner: &AddressKeys, amount: u64) -> Id {
        let req = DepositRequest::signed(owner, amount, self.now(), aux());
        let r: DepositResponse = self.post("/deposit/init", &req).await.ok();
        assert!(r.receipt.verify(&self.relay_pubkey()));
        r.statechain_id
    }

    pub async fn info(&self, coin: &Id) -> StatechainInfo {
        self.get(&format!("/info/statechain/{coin}")).await.ok()
    }

    pub fn sender_req(
        &self,
        coin: Id,
        owner: &AddressKeys,
        to: &AddressKeys,
        batch: Option<&Descriptor>,
    ) -> SenderRequest {
        SenderRequest::signed(coin, owner, &address(to), batch, self.now(), aux())
    }

    pub async fn sender(
        &self,
        coin: Id,
        owner: &AddressKeys,
        to: &AddressKeys,
        batch: Option<&Descriptor>,
    ) -> Resp {
        self.post("/transfer/sender", &self.sender_req(coin, owner, to, batch))
            .await
    }

    /// `/transfer/sender` joining `d` by its hash alone (a short join, §6.3).
    pub async fn sender_short(
        &self,
        coin: Id,
        owner: &AddressKeys,
        to: &AddressKeys,
        d: &Descriptor,
    ) -> Resp {
        let join = wallet_core::descriptor::BatchJoin::Short {
            batch_id: d.batch_id(),
            descriptor_hash: d.hash(),
        };
        let req =
            SenderRequest::signed_join(coin, owner, &address(to), Some(&join), self.now(), aux());
        self.post("/transfer/sender", &req).await
    }

    /// Requests the SQLite writer has run so far (`None` on PostgreSQL).
    pub fn writer_requests(&self) -> Option<u64> {
        match &self.relay.as_ref()?.state.0.store {
            relay::store::AnyStore::Sqlite(s) => Some(s.stats.requests.load(Ordering::Relaxed)),
            relay::store::AnyStore::Postgres(_) => None,
        }
    }

    /// `/transfer/sender` then `/transfer/update_msg`; returns the message.
    pub async fn send(
        &self,
        coin: Id,
        owner: &AddressKeys,
        to: &AddressKeys,
        batch: Option<&Descriptor>,
    ) -> TransferMessage {
        let r: Value = self.sender(coin, owner, to, batch).await.ok();
        let x1 = Scalar::parse(r["x1"].as_str().unwrap()).unwrap();
        self.upload(coin, owner, to, batch.map(Descriptor::batch_id), &x1)
            .await
    }

    pub fn message(
        &self,
        info: &StatechainInfo,
        owner: &AddressKeys,
        to: &AddressKeys,
        batch_id: Option<Id>,
        x1: &Scalar,
    ) -> TransferMessage {
        let seq = info.seq + 1;
        let transfer_sig = owner.auth.sign(
            &signing::transfer(
                &info.statechain_id,
                seq,
                &to.user_pubkey(),
                &to.auth_pubkey(),
                batch_id.as_ref(),
            ),
            aux(),
        );
        TransferMessage {
            version: 1,
            statechain_id: info.statechain_id,
            amount: info.amount,
            aggregated_pubkey: info.aggregated_pubkey,
            sender_user_pubkey: owner.user_pubkey(),
            recipient_user_pubkey: to.user_pubkey(),
            recipient_auth_pubkey: to.auth_pubkey(),
            batch_id,
            seq,
            t1: keyshare::t1(&owner.user, x1).unwrap(),
            transfer_sig,
        }
    }

    pub async fn upload(
        &self,
        coin: Id,
        owner: &AddressKeys,
        to: &AddressKeys,
        batch_id: Option<Id>,
        x1: &Scalar,
    ) -> TransferMessage {
        let info = self.info(&coin).await;
        let msg = self.message(&info, owner, to, batch_id, x1);
        let enc = msg.seal(
            &to.user_pubkey(),
            &Scalar::from_bytes(&aux()).unwrap(),
            [3; 12],
        );
        let req = UpdateMsgRequest::signed(coin, owner, enc, self.now(), aux());
        let r: Value = self.post("/transfer/update_msg", &req).await.ok();
        assert_eq!(r, serde_json::json!({"ok": true}));
        msg
    }

    /// The receiver's side: fetch and open its message for `coin`.
    pub async fn fetch(&self, coin: Id, to: &AddressKeys) -> TransferMessage {
        let r: MessagesResponse = self
            .get(&format!("/transfer/get_msg_addr/{}", to.auth_pubkey()))
            .await
            .ok();
        let m = r
            .messages
            .iter()
            .find(|m| m.statechain_id == coin)
            .expect("a message for this coin");
        TransferMessage::open(&to.user, &m.enc_msg.0).unwrap()
    }

    pub fn receiver_req(&self, msg: &TransferMessage, to: &AddressKeys) -> ReceiverRequest {
        let t2 = keyshare::t2(&msg.t1, &to.user).unwrap();
        ReceiverRequest::signed(
            msg.statechain_id,
            t2,
            msg.transfer_sig,
            to,
            self.now(),
            aux(),
        )
    }

    pub async fn receiver(&self, msg: &TransferMessage, to: &AddressKeys) -> Resp {
        self.post("/transfer/receiver", &self.receiver_req(msg, to))
            .await
    }

    pub async fn unlock(&self, coin: Id, batch: Id, signer: &AddressKeys) -> Resp {
        self.post(
            "/transfer/unlock",
            &BatchCoinRequest::unlock(coin, batch, signer, self.now(), aux()),
        )
        .await
    }

    pub async fn abort(&self, coin: Id, batch: Id, signer: &AddressKeys) -> Resp {
        self.post(
            "/transfer/abort",
            &BatchCoinRequest::abort(coin, batch, signer, self.now(), aux()),
        )
        .await
    }

    /// `n` coins of `owner` sent to `to`, each with `size` bytes of junk as
    /// its message (nobody can open it; the relay does not look), in order.
    pub async fn flood(
        &self,
        owner: &AddressKeys,
        to: &AddressKeys,
        n: usize,
        size: usize,
    ) -> Vec<Id> {
        let mut coins = Vec::with_capacity(n);
        for _ in 0..n {
            let coin = self.deposit(owner, 1).await;
            let _: Value = self.sender(coin, owner, to, None).await.ok();
            let mut junk = vec![0u8; size];
            getrandom::fill(&mut junk).unwrap();
            let req = UpdateMsgRequest::signed(coin, owner, junk, self.now(), aux());
            let _: Value = self.post("/transfer/update_msg", &req).await.ok();
            coins.push(coin);
        }
        coins
    }

    /// One page of `get_msg_addr` for `to`.
    pub async fn messages(&self, to: &AddressKeys, after: Option<u64>) -> MessagesResponse {
        let query = after.map(|a| format!("?after={a}")).unwrap_or_default();
        self.get(&format!(
            "/transfer/get_msg_addr/{}{query}",
            to.auth_pubkey()
        ))
        .await
        .ok()
    }

    pub async fn batch(&self, batch: Id) -> Value {
        self.get(&format!("/transfer/batch/{batch}")).await.ok()
    }
}

/// Any answer, 5xx included (`Resp` refuses those): status, `Retry-After`
/// and the JSON body.
pub struct AnyResp {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Value,
}

/// An answer's status, a header, and its body, which must be JSON.
async fn read_json(r: reqwest::Response, header: &str) -> (u16, Option<String>, Value) {
    let status = r.status().as_u16();
    let value = r
        .headers()
        .get(header)
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = r.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
        panic!(
            "status {status}: not JSON: {:?}",
            String::from_utf8_lossy(&bytes)
        )
    });
    (status, value, body)
}

impl AnyResp {
    async fn from(r: reqwest::Response) -> AnyResp {
        let (status, retry_after, body) = read_json(r, "retry-after").await;
        AnyResp {
            status,
            retry_after,
            body,
        }
    }

    /// 503 `unavailable` with a `Retry-After` of whole seconds.
    pub fn assert_unavailable(&self) {
        assert_eq!(
            self.status, 503,
            "expected 503, got {}: {}",
            self.status, self.body
        );
        assert_eq!(
            self.body["error"]["code"], "unavailable",
            "body {}",
            self.body
        );
        let secs = self
            .retry_after
            .as_deref()
            .expect("503 without Retry-After");
        assert!(
            secs.parse::<u32>().is_ok_and(|s| s >= 1),
            "Retry-After {secs:?}"
        );
    }
}

impl TestRelay {
    /// GET, any status.
    pub async fn get_any(&self, path: &str) -> AnyResp {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        AnyResp::from(r).await
    }

    /// POST JSON, any status.
    pub async fn post_any<T: Serialize>(&self, path: &str, body: &T) -> AnyResp {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .unwrap();
        AnyResp::from(r).await
    }
}

impl Resp {
    async fn from(r: reqwest::Response) -> Resp {
        let (status, ct, body) = read_json(r, "content-type").await;
        assert_eq!(ct.as_deref(), Some("application/json"), "status {status}");
        assert!(status < 500, "5xx: {status} {body}");
        Resp { status, body }
    }
}

/// A descriptor for `(coin, to, amount)` lines.
pub fn descriptor(batch: Id, lines: &[(Id, &AddressKeys, u64)]) -> Descriptor {
    Descriptor::new(
        batch,
        lines
            .iter()
            .map(|(c, k, a)| BatchTransfer {
                statechain_id: *c,
                new_user_auth_key: k.auth_pubkey(),
                amount: *a,
            })
            .collect(),
        1000,
    )
    .unwrap()
}

/// A uniquely named PostgreSQL database on the local server, dropped on drop.
pub struct PgDb {
    pub url: String,
    name: String,
    /// The database clock's offset from the real one, when it has a test clock.
    offset: std::sync::atomic::AtomicI64,
}

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub async fn pg_admin() -> tokio_postgres::Client {
    let mut tried_start = false;
    loop {
        match tokio_postgres::connect(PG_ADMIN, tokio_postgres::NoTls).await {
            Ok((client, conn)) => {
                tokio::spawn(conn);
                return client;
            }
            Err(e) if !tried_start => {
                // Try once to start the local cluster, as the README says.
                tried_start = true;
                eprintln!("PostgreSQL unreachable ({e}); trying pg_ctlcluster start");
                let _ = std::process::Command::new("sh")
                    .args([
                        "-c",
                        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
                    ])
                    .status();
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
            Err(e) => panic!(
                "PostgreSQL is not reachable at 127.0.0.1:5432 as user postgres with trust auth ({e}). \
                 These tests need it: install postgresql and start it with \
                 `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`."
            ),
        }
    }
}

impl PgDb {
    /// The database's name on the local server.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A database whose clock the test sets: `now()` there is the server's
    /// clock plus an offset ([`PgDb::set_clock_offset`]). The relay asks the
    /// server for `now()` like any client; a function of that name earlier
    /// on the database's `search_path` answers instead of `pg_catalog`'s.
    pub async fn create_with_test_clock() -> PgDb {
        let db = PgDb::create().await;
        let (c, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        c.batch_execute(&format!(
            "CREATE SCHEMA test_clock;
             CREATE TABLE test_clock.offset_secs (secs BIGINT NOT NULL);
             INSERT INTO test_clock.offset_secs VALUES (0);
             CREATE FUNCTION test_clock.now() RETURNS timestamptz LANGUAGE sql STABLE AS
               $$ SELECT pg_catalog.now()
                    + make_interval(secs => (SELECT secs FROM test_clock.offset_secs)::float8) $$;
             ALTER DATABASE {} SET search_path = public, test_clock, pg_catalog;",
            db.name
        ))
        .await
        .unwrap();
        db
    }

    /// Moves this database's clock forward by `secs`.
    pub async fn advance(&self, secs: u64) {
        let offset = self.offset.fetch_add(secs as i64, Ordering::SeqCst) + secs as i64;
        self.set_clock_offset(offset).await;
    }

    /// Moves this database's clock to `secs` seconds from the real one,
    /// backwards too.
    pub async fn set_clock_offset(&self, secs: i64) {
        self.offset.store(secs, Ordering::SeqCst);
        let (c, conn) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        c.execute("UPDATE test_clock.offset_secs SET secs = $1", &[&secs])
            .await
            .unwrap();
    }

    pub async fn create() -> PgDb {
        let admin = pg_admin().await;
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).unwrap();
        let name = format!("lockstep_test_{}", wallet_core::hex::encode(&b));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        PgDb {
            url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
            name,
            offset: std::sync::atomic::AtomicI64::new(0),
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok((c, conn)) =
                    tokio_postgres::connect(PG_ADMIN, tokio_postgres::NoTls).await
                {
                    tokio::spawn(conn);
                    let _ = c
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        })
        .join();
    }
}

/// Two parties, one coin each, and the descriptor that swaps them.
pub struct Swap {
    pub alice: AddressKeys,
    pub bob: AddressKeys,
    /// Where coin A goes (Bob's fresh address) and coin B goes (Alice's).
    pub a_to: AddressKeys,
    pub b_to: AddressKeys,
    pub coin_a: Id,
    pub coin_b: Id,
    pub d: Descriptor,
}

impl Swap {
    pub async fn new(r: &TestRelay) -> Swap {
        let (alice, bob, a_to, b_to) = (keys(), keys(), keys(), keys());
        let coin_a = r.deposit(&alice, 5000).await;
        let coin_b = r.deposit(&bob, 7000).await;
        let d = descriptor(random_id(), &[(coin_a, &a_to, 5000), (coin_b, &b_to, 7000)]);
        Swap {
            alice,
            bob,
            a_to,
            b_to,
            coin_a,
            coin_b,
            d,
        }
    }
    pub fn id(&self) -> Id {
        self.d.batch_id()
    }
    /// Both join and upload their messages.
    pub async fn join_both(&self, r: &TestRelay) -> (TransferMessage, TransferMessage) {
        let ma = r
            .send(self.coin_a, &self.alice, &self.a_to, Some(&self.d))
            .await;
        let mb = r
            .send(self.coin_b, &self.bob, &self.b_to, Some(&self.d))
            .await;
        (ma, mb)
    }
    pub async fn commit(&self, r: &TestRelay) -> (TransferMessage, TransferMessage) {
        let (ma, mb) = self.join_both(r).await;
        r.unlock(self.coin_a, self.id(), &self.a_to)
            .await
            .ok::<Value>();
        let s: Value = r.unlock(self.coin_b, self.id(), &self.b_to).await.ok();
        assert_eq!(s["state"], "committed");
        (ma, mb)
    }
}

pub fn state(v: &Value) -> &str {
    v["state"].as_str().unwrap()
}
