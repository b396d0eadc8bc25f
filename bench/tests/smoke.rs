//! The load generator still runs (not a timed test: it asserts only that
//! every operation completed, never how fast): a few transfers and swaps,
//! a batch of 3, against SQLite and PostgreSQL, then the database is gone.
#![allow(clippy::unwrap_used)]

use lockstep_bench::*;
use std::sync::Arc;
use std::time::Duration;
use wallet_core::client::RelayClient;

fn smoke(backend: Backend) {
    let relay = LocalRelay::start(
        backend,
        "postgres://postgres@127.0.0.1:5432/postgres",
        600,
        2,
    )
    .unwrap();
    let stats = relay.stats();
    assert_eq!(stats.is_some(), backend == Backend::Sqlite);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rec = Arc::new(Recorder::default());
    let http = Http::new(reqwest::Client::new(), &relay.base, rec.clone()).unwrap();
    rt.block_on(async {
        let client = RelayClient::new(http.clone());
        let key = client.config().await.unwrap().relay_pubkey;
        let bound = Duration::from_secs(60);
        let c = client.clone();
        let p = run_phase("transfers", 2, bound, 4, &rec, &stats, move |_| {
            let c = c.clone();
            async move { transfer(&c, &key).await }
        })
        .await;
        assert_eq!((p.ops, p.failures.len()), (4, 0), "{:?}", p.failures);
        assert!(p.endpoints.contains_key("/transfer/receiver"));
        if backend == Backend::Sqlite {
            let (commits, requests) = p.group_commit.unwrap();
            assert!(
                commits >= 1 && requests >= 16,
                "{commits} commits, {requests} requests"
            );
        }
        let h = http.clone();
        let seed = u64::from_le_bytes(random::<8>()) >> 8;
        let p = run_phase("swaps", 2, bound, 2, &rec, &stats, move |i| {
            let w = Net {
                client: RelayClient::new(h.clone()),
            };
            async move { swap(&w, seed + 4 * i).await }
        })
        .await;
        assert_eq!((p.ops, p.failures.len()), (2, 0), "{:?}", p.failures);
        let s = batch_scaling(&client, key, 3, 4).await.unwrap();
        assert_eq!((s.final_state.as_str(), s.received), ("committed", 3));
        assert_eq!((s.joins.len(), s.unlocks.len()), (3, 3));
        assert!(scaling_row(backend, &s).starts_with('|'));
    });
    relay.stop().unwrap();
}

#[test]
fn loadgen_runs_against_sqlite() {
    smoke(Backend::Sqlite);
}

#[test]
fn loadgen_runs_against_postgres() {
    smoke(Backend::Postgres);
}
