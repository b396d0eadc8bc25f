//! The bounded PostgreSQL pool (`--db-pool`, PROTOCOL §9) and the answers
//! when the database cannot serve: 503 `unavailable` with `Retry-After`,
//! within a bounded time, never 500; and recovery after.
//!
//! Connections are held by making the relay's own transactions wait on a
//! real lock taken by the test's connection; the database is made
//! unreachable by stopping a real server.
#![allow(clippy::unwrap_used)]

mod common;

use common::cluster::Cluster;
use common::*;
use relay::clock::TestClock;
use relay::store::pg_pool::POOL_WAIT;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wallet_core::wire::DepositRequest;

async fn connect_plain(url: &str) -> tokio_postgres::Client {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    c
}

/// A relay with `--db-pool pool` on `db`, its connections named `app`.
async fn relay(db: &Arc<PgDb>, pool: u32, app: &str) -> TestRelay {
    let url = format!("{}?application_name={app}", db.url);
    TestRelay::postgres_on(
        db.clone(),
        move |c| {
            c.database = url;
            c.db_pool = pool;
        },
        TestClock::new(),
    )
    .await
}

/// The relay's connections the server sees: (all, waiting on a lock).
async fn backends(admin: &tokio_postgres::Client, app: &str) -> (i64, i64) {
    let row = admin
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE wait_event_type = 'Lock') \
             FROM pg_stat_activity WHERE application_name = $1",
            &[&app],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

async fn wait_for_lock_waiters(admin: &tokio_postgres::Client, app: &str, n: i64) {
    let t = Instant::now();
    loop {
        if backends(admin, app).await.1 == n {
            return;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{n} requests never reached the lock: {:?}",
            backends(admin, app).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// GET in a task of its own; the answer's status.
fn spawn_get(r: &TestRelay, path: String) -> tokio::task::JoinHandle<(u16, Value)> {
    let (http, base) = (r.http.clone(), r.base.clone());
    tokio::spawn(async move {
        let resp = http.get(format!("{base}{path}")).send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    })
}

fn spawn_post(r: &TestRelay, path: &str, body: Value) -> tokio::task::JoinHandle<(u16, Value)> {
    let (http, base, path) = (r.http.clone(), r.base.clone(), path.to_string());
    tokio::spawn(async move {
        let resp = http
            .post(format!("{base}{path}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_pool_answers_503_in_bounded_time_then_recovers() {
    let db = Arc::new(PgDb::create().await);
    let app = format!("{}_full", db.name());
    let r = relay(&db, 2, &app).await;
    let coin = r.deposit(&keys(), 100).await;
    let admin = pg_admin().await;

    // The test's transaction locks the coins table: the relay's reads of a
    // coin wait on it, each holding one of the two connections.
    let locker = connect_plain(&db.url).await;
    locker
        .batch_execute("BEGIN; LOCK TABLE coins IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let held: Vec<_> = (0..2)
        .map(|_| spawn_get(&r, format!("/info/statechain/{coin}")))
        .collect();
    wait_for_lock_waiters(&admin, &app, 2).await;

    // Everything else finds no connection: reads and writes alike are 503
    // `unavailable` with Retry-After, after the pool's wait and not much more.
    let owner = keys();
    let deposit_req = DepositRequest::signed(&owner, 5, r.now(), aux());
    let owner_path = format!("/info/owner/{}", owner.auth_pubkey());
    let t = Instant::now();
    let (config, deposit, owned) = tokio::join!(
        r.get_any("/info/config"),
        r.post_any("/deposit/init", &deposit_req),
        r.get_any(&owner_path),
    );
    let waited = t.elapsed();
    for a in [&config, &deposit, &owned] {
        a.assert_unavailable();
    }
    assert!(
        waited >= POOL_WAIT - Duration::from_millis(50) && waited < POOL_WAIT * 2,
        "answered after {waited:?} (pool wait {POOL_WAIT:?})"
    );
    // Never more connections than the pool's size.
    assert_eq!(backends(&admin, &app).await, (2, 2));

    // The lock goes: the held requests finish, and the relay serves again.
    locker.batch_execute("COMMIT").await.unwrap();
    for h in held {
        let (status, body) = h.await.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    r.get("/info/config").await.ok::<Value>();
    let again = r.deposit(&owner, 5).await;
    assert_eq!(r.info(&again).await.amount, 5);
    assert!(backends(&admin, &app).await.0 <= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_is_not_overtaken_by_reads_queued_after_it() {
    let db = Arc::new(PgDb::create().await);
    let app = format!("{}_fifo", db.name());
    let r = relay(&db, 1, &app).await;
    let coin = r.deposit(&keys(), 100).await;
    let admin = pg_admin().await;
    let locker = connect_plain(&db.url).await;
    locker
        .batch_execute("BEGIN; LOCK TABLE coins IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    // The only connection is held by a read waiting on the lock.
    let first = spawn_get(&r, format!("/info/statechain/{coin}"));
    wait_for_lock_waiters(&admin, &app, 1).await;
    // Then a write queues for the connection, then reads that look for
    // what the write creates.
    let owner = keys();
    let body = serde_json::to_value(DepositRequest::signed(&owner, 9, r.now(), aux())).unwrap();
    let write = spawn_post(&r, "/deposit/init", body);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let reads: Vec<_> = (0..4)
        .map(|_| spawn_get(&r, format!("/info/owner/{}", owner.auth_pubkey())))
        .collect();
    tokio::time::sleep(Duration::from_millis(150)).await;
    locker.batch_execute("COMMIT").await.unwrap();

    assert_eq!(first.await.unwrap().0, 200);
    let (status, deposited) = write.await.unwrap();
    assert_eq!(status, 200, "{deposited}");
    // First come, first served: every read ran after the write committed.
    for h in reads {
        let (status, body) = h.await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["statechain_ids"],
            serde_json::json!([deposited["statechain_id"]]),
            "a read queued after the write ran before it"
        );
    }
}

/// Ends the relay's connections from the server's side and waits until
/// they are gone; how many there were.
async fn end_connections(admin: &tokio_postgres::Client, app: &str) -> i64 {
    let killed: i64 = admin
        .query_one(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = $1) t",
            &[&app],
        )
        .await
        .unwrap()
        .get(0);
    let t = Instant::now();
    while backends(admin, app).await.0 > 0 {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "backends outlived termination"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    killed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_the_server_ended_is_not_used_again() {
    let db = Arc::new(PgDb::create().await);
    let app = format!("{}_killed", db.name());
    let r = relay(&db, 2, &app).await;
    let owner = keys();
    let coin = r.deposit(&owner, 100).await;
    let admin = pg_admin().await;

    // Lost in the middle of a transaction: that request is 503, not 500.
    let locker = connect_plain(&db.url).await;
    locker
        .batch_execute("BEGIN; LOCK TABLE coins IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let cut = spawn_get(&r, format!("/info/statechain/{coin}"));
    wait_for_lock_waiters(&admin, &app, 1).await;
    assert!(end_connections(&admin, &app).await >= 1);
    let (status, body) = cut.await.unwrap();
    assert_eq!(
        (status, &body["error"]["code"]),
        (503, &Value::from("unavailable")),
        "{body}"
    );
    locker.batch_execute("COMMIT").await.unwrap();

    // Idle connections the server ended are replaced before anything runs
    // on them: the next requests just work.
    for round in 0..3 {
        for _ in 0..3 {
            assert_eq!(r.info(&coin).await.amount, 100);
        }
        let c = r.deposit(&owner, 7).await;
        assert_eq!(r.info(&c).await.amount, 7);
        assert!(backends(&admin, &app).await.0 <= 2);
        assert!(end_connections(&admin, &app).await >= 1, "round {round}");
    }
    assert_eq!(r.info(&coin).await.amount, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_503_not_500() {
    let cluster = Cluster::start(None);
    let url = cluster.url("127.0.0.1", "sslmode=disable");
    let r = TestRelay::with(move |c| {
        c.database = url;
        c.db_pool = 2;
    })
    .await;
    let owner = keys();
    let coin = r.deposit(&owner, 100).await;

    // The server goes away: its port is closed.
    cluster.stop();
    for round in 0..2 {
        let t = Instant::now();
        r.get_any("/info/config").await.assert_unavailable();
        r.get_any(&format!("/info/statechain/{coin}"))
            .await
            .assert_unavailable();
        r.post_any(
            "/deposit/init",
            &DepositRequest::signed(&owner, 5, r.now(), aux()),
        )
        .await
        .assert_unavailable();
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "round {round}: {:?}",
            t.elapsed()
        );
    }

    // It comes back: so does the relay, without a restart.
    cluster.resume();
    assert_eq!(r.info(&coin).await.amount, 100);
    let c = r.deposit(&owner, 5).await;
    assert_eq!(r.info(&c).await.amount, 5);
}
