//! Crash safety: the real `relay` binary is killed with SIGKILL in the middle
//! of swaps and of a burst of writes, restarted on the same SQLite file, and
//! every swap finishes, every acknowledged write is there, the key is kept.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use wallet_core::wire::{DepositRequest, DepositResponse, ReceiverResponse};

struct Proc {
    child: Child,
    base: String,
}

async fn spawn(db: &std::path::Path) -> Proc {
    for _ in 0..20 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_relay"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--database", &format!("sqlite://{}", db.display())])
            .args(["--rate-limit", "0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut p = Proc {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..100 {
            if reqwest::get(format!("{}/info/config", p.base))
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return p;
            }
            if p.child.try_wait().unwrap().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = p.child.kill();
        let _ = p.child.wait();
    }
    panic!("the relay binary did not start");
}

impl Proc {
    fn kill9(mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_swaps_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let p1 = spawn(&db).await;
    let r = Arc::new(TestRelay::remote(p1.base.clone()).await);
    let key = r.relay_pubkey();

    // Swaps left at several points.
    let open = Swap::new(&r).await;
    let (open_ma, open_mb) = open.join_both(&r).await;
    r.unlock(open.coin_a, open.id(), &open.a_to)
        .await
        .ok::<Value>();
    let half_joined = Swap::new(&r).await;
    r.send(
        half_joined.coin_a,
        &half_joined.alice,
        &half_joined.a_to,
        Some(&half_joined.d),
    )
    .await;
    let committed = Swap::new(&r).await;
    let (c_ma, c_mb) = committed.commit(&r).await;
    let half_received = Swap::new(&r).await;
    let (h_ma, h_mb) = half_received.commit(&r).await;
    let first: ReceiverResponse = r.receiver(&h_ma, &half_received.a_to).await.ok();

    // A burst of writes, killed in the middle: every acknowledged one must survive.
    let burst: Vec<_> = (0..40)
        .map(|i| {
            let r = r.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(i * 5)).await;
                let k = keys();
                let req = DepositRequest::signed(&k, 1, r.now(), aux());
                let resp = r
                    .http
                    .post(format!("{}/deposit/init", r.base))
                    .json(&req)
                    .send()
                    .await
                    .ok()?;
                if resp.status() != 200 {
                    return None;
                }
                let d: DepositResponse = resp.json().await.ok()?;
                Some(d.statechain_id)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    p1.kill9();
    let mut acknowledged = Vec::new();
    for t in burst {
        if let Some(id) = t.await.unwrap() {
            acknowledged.push(id);
        }
    }

    let p2 = spawn(&db).await;
    let r = TestRelay::remote(p2.base.clone()).await;
    assert_eq!(r.relay_pubkey(), key, "relay key unchanged");
    for id in &acknowledged {
        r.info(id).await;
    }

    // Finish or recover every swap.
    assert_eq!(
        state(
            &r.unlock(open.coin_b, open.id(), &open.b_to)
                .await
                .ok::<Value>()
        ),
        "committed"
    );
    r.receiver(&open_ma, &open.a_to)
        .await
        .ok::<ReceiverResponse>();
    r.receiver(&open_mb, &open.b_to)
        .await
        .ok::<ReceiverResponse>();
    r.abort(half_joined.coin_a, half_joined.id(), &half_joined.alice)
        .await
        .ok::<Value>();
    let home = keys();
    let back = r
        .send(half_joined.coin_a, &half_joined.alice, &home, None)
        .await;
    r.receiver(&back, &home).await.ok::<ReceiverResponse>();
    r.receiver(&c_ma, &committed.a_to)
        .await
        .ok::<ReceiverResponse>();
    r.receiver(&c_mb, &committed.b_to)
        .await
        .ok::<ReceiverResponse>();
    let again: ReceiverResponse = r.receiver(&h_ma, &half_received.a_to).await.ok();
    assert_eq!(again, first);
    r.receiver(&h_mb, &half_received.b_to)
        .await
        .ok::<ReceiverResponse>();
    p2.kill9();
}
