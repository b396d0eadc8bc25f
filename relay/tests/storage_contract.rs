//! The storage contract: one suite of scenarios, instantiated for SQLite and
//! for PostgreSQL (the local server at 127.0.0.1:5432; each test creates and
//! drops its own database). PostgreSQL also runs the scenarios that need two
//! relay processes sharing one database.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wallet_core::wire::{MessagesResponse, ReceiverResponse};

async fn plain_transfer(r: TestRelay) {
    let (a, b) = (keys(), keys());
    let coin = r.deposit(&a, 42).await;
    let msg = r.send(coin, &a, &b, None).await;
    assert_eq!(r.fetch(coin, &b).await, msg);
    let done: ReceiverResponse = r.receiver(&msg, &b).await.ok();
    let info = r.info(&coin).await;
    assert_eq!(
        (info.seq, info.owner_auth_pubkey, info.chain.len()),
        (1, b.auth_pubkey(), 2)
    );
    assert!(
        info.chain
            .iter()
            .all(|e| e.receipt.verify(&r.relay_pubkey()))
    );
    assert_eq!(info.chain[1].receipt, done.receipt);
    let owned: Value = r
        .get(&format!("/info/owner/{}", b.auth_pubkey()))
        .await
        .ok();
    assert_eq!(owned["statechain_ids"][0], coin.to_string());
}

async fn swap_commits(r: TestRelay) {
    let s = Swap::new(&r).await;
    let (ma, mb) = s.commit(&r).await;
    r.receiver(&ma, &s.a_to).await.ok::<ReceiverResponse>();
    r.receiver(&mb, &s.b_to).await.ok::<ReceiverResponse>();
    let b = r.batch(s.id()).await;
    assert_eq!(
        (state(&b), b["members"].as_array().unwrap().len()),
        ("committed", 2)
    );
}

async fn abort_and_recover(r: TestRelay) {
    let s = Swap::new(&r).await;
    let (ma, _) = s.join_both(&r).await;
    assert_eq!(
        state(&r.abort(s.coin_a, s.id(), &s.a_to).await.ok::<Value>()),
        "aborted"
    );
    r.receiver(&ma, &s.a_to).await.err("batch_aborted");
    let home = keys();
    let back = r.send(s.coin_a, &s.alice, &home, None).await;
    r.receiver(&back, &home).await.ok::<ReceiverResponse>();
}

async fn deadline(r: TestRelay) {
    let s = Swap::new(&r).await;
    let (ma, _) = s.join_both(&r).await;
    r.advance(121).await;
    assert_eq!(state(&r.batch(s.id()).await), "expired");
    r.unlock(s.coin_a, s.id(), &s.a_to)
        .await
        .err("batch_expired");
    r.receiver(&ma, &s.a_to).await.err("batch_expired");
    let s2 = Swap::new(&r).await;
    let (ma, _) = s2.commit(&r).await;
    r.advance(1000).await;
    r.receiver(&ma, &s2.a_to).await.ok::<ReceiverResponse>();
}

async fn refusals_roll_back(r: TestRelay) {
    let s = Swap::new(&r).await;
    // A refused first join leaves no batch and no pending transfer.
    let bad = descriptor(random_id(), &[(s.coin_a, &s.a_to, 1)]);
    r.sender(s.coin_a, &s.alice, &s.a_to, Some(&bad))
        .await
        .err("amount_mismatch");
    r.get(&format!("/transfer/batch/{}", bad.batch_id()))
        .await
        .err("not_found");
    assert!(r.info(&s.coin_a).await.pending.is_none());
    // The refused request's signature was not consumed; an accepted one is.
    let (a, b) = (keys(), keys());
    let coin = r.deposit(&a, 10).await;
    let x1: Value = r.sender(coin, &a, &b, None).await.ok();
    let info = r.info(&coin).await;
    let x1 = wallet_core::Scalar::parse(x1["x1"].as_str().unwrap()).unwrap();
    let msg = r.message(&info, &a, &b, None, &x1);
    let req = r.receiver_req(&msg, &b);
    r.post("/transfer/receiver", &req).await.err("no_message");
    r.upload(coin, &a, &b, None, &x1).await;
    r.post("/transfer/receiver", &req)
        .await
        .ok::<ReceiverResponse>();
    r.post("/transfer/receiver", &req)
        .await
        .err("replayed_request");
}

async fn restart_keeps_everything(r: TestRelay) {
    let key = r.relay_pubkey();
    let s = Swap::new(&r).await;
    let (ma, _) = s.join_both(&r).await;
    r.unlock(s.coin_a, s.id(), &s.a_to).await.ok::<Value>();
    let replay = r.sender_req(s.coin_b, &s.bob, &s.b_to, Some(&s.d));
    let before = r.batch(s.id()).await;
    let r = r.restart().await;
    assert_eq!(r.relay_pubkey(), key);
    let after = r.batch(s.id()).await;
    assert_eq!(
        (&before["version"], &before["members"]),
        (&after["version"], &after["members"])
    );
    r.post("/transfer/sender", &replay).await.ok::<Value>(); // a fresh signature: idempotent repeat
    r.post("/transfer/sender", &replay)
        .await
        .err("replayed_request");
    r.unlock(s.coin_b, s.id(), &s.b_to).await.ok::<Value>();
    r.receiver(&ma, &s.a_to).await.ok::<ReceiverResponse>();
}

async fn concurrent_receivers(r: TestRelay) {
    let r = Arc::new(r);
    let (a, b) = (keys(), keys());
    let coin = r.deposit(&a, 10).await;
    let msg = r.send(coin, &a, &b, None).await;
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let (r, msg, b) = (r.clone(), msg.clone(), b.clone());
            tokio::spawn(async move { r.receiver(&msg, &b).await.ok::<ReceiverResponse>() })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(r.info(&coin).await.chain.len(), 2);
}

async fn racing_first_joins(r: TestRelay) {
    let r = Arc::new(r);
    for _ in 0..3 {
        let s = Arc::new(Swap::new(&r).await);
        let ja = {
            let (r, s) = (r.clone(), s.clone());
            tokio::spawn(async move { r.sender(s.coin_a, &s.alice, &s.a_to, Some(&s.d)).await })
        };
        let jb = {
            let (r, s) = (r.clone(), s.clone());
            tokio::spawn(async move { r.sender(s.coin_b, &s.bob, &s.b_to, Some(&s.d)).await })
        };
        ja.await.unwrap().ok::<Value>();
        jb.await.unwrap().ok::<Value>();
        let b = r.batch(s.id()).await;
        let joined = b["members"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["joined"] == true)
            .count();
        assert_eq!(joined, 2);
        let st: Value = r.unlock(s.coin_a, s.id(), &s.a_to).await.ok();
        assert_eq!(
            (st["joined"].as_u64(), st["locked"].as_u64()),
            (Some(2), Some(1))
        );
    }
}

async fn unlock_racing_abort(r: TestRelay) {
    let r = Arc::new(r);
    for _ in 0..4 {
        let s = Arc::new(Swap::new(&r).await);
        s.join_both(&r).await;
        r.unlock(s.coin_a, s.id(), &s.a_to).await.ok::<Value>();
        race_unlock_against_abort(&s, &r, &r).await;
    }
}

async fn long_poll(r: TestRelay) {
    let r = Arc::new(r);
    let waited = message_wakes_a_long_poll(&r, &r).await;
    assert!(waited < Duration::from_secs(5));
}

/// B's unlock and A's abort sent at once (through `unlocker` and
/// `aborter`): exactly one wins, the other is refused for it.
async fn race_unlock_against_abort(
    s: &Arc<Swap>,
    unlocker: &Arc<TestRelay>,
    aborter: &Arc<TestRelay>,
) {
    let u = {
        let (r, s) = (unlocker.clone(), s.clone());
        tokio::spawn(async move { r.unlock(s.coin_b, s.id(), &s.b_to).await })
    };
    let a = {
        let (r, s) = (aborter.clone(), s.clone());
        tokio::spawn(async move { r.abort(s.coin_a, s.id(), &s.alice).await })
    };
    let (u, a) = (u.await.unwrap(), a.await.unwrap());
    match state(&aborter.batch(s.id()).await) {
        "committed" => {
            assert_eq!(u.status, 200);
            a.err("batch_completed");
        }
        "aborted" => {
            assert_eq!(a.status, 200);
            u.err("batch_aborted");
        }
        other => panic!("final state {other}"),
    }
}

/// A long-poll for B's messages through `waiter`, then a transfer to B
/// through `sender`: returns how long the poll took to answer.
async fn message_wakes_a_long_poll(waiter: &Arc<TestRelay>, sender: &TestRelay) -> Duration {
    let (a, b) = (keys(), keys());
    let coin = sender.deposit(&a, 10).await;
    let start = Instant::now();
    let poll = {
        let (r, path) = (
            waiter.clone(),
            format!("/transfer/get_msg_addr/{}?wait=10", b.auth_pubkey()),
        );
        tokio::spawn(async move { r.get(&path).await.ok::<MessagesResponse>() })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    sender.send(coin, &a, &b, None).await;
    assert_eq!(poll.await.unwrap().messages.len(), 1);
    start.elapsed()
}

// ----- two relay processes sharing one database (PostgreSQL) -----

async fn shared_same_key_and_state(r1: TestRelay) {
    let r2 = r1.sharing().await;
    assert_eq!(r1.relay_pubkey(), r2.relay_pubkey());
    let s = Swap::new(&r1).await;
    let ma = r1.send(s.coin_a, &s.alice, &s.a_to, Some(&s.d)).await;
    let mb = r2.send(s.coin_b, &s.bob, &s.b_to, Some(&s.d)).await;
    r2.unlock(s.coin_a, s.id(), &s.a_to).await.ok::<Value>();
    assert_eq!(
        state(&r1.unlock(s.coin_b, s.id(), &s.b_to).await.ok::<Value>()),
        "committed"
    );
    r2.receiver(&ma, &s.a_to).await.ok::<ReceiverResponse>();
    r1.receiver(&mb, &s.b_to).await.ok::<ReceiverResponse>();
    // A signature accepted by one relay is a replay on the other.
    let req = r1.sender_req(s.coin_a, &s.a_to, &keys(), None);
    r1.post("/transfer/sender", &req).await.ok::<Value>();
    r2.post("/transfer/sender", &req)
        .await
        .err("replayed_request");
}

async fn shared_concurrent_receivers(r1: TestRelay) {
    let r1 = Arc::new(r1);
    let r2 = Arc::new(r1.sharing().await);
    let (a, b) = (keys(), keys());
    let coin = r1.deposit(&a, 10).await;
    let msg = r1.send(coin, &a, &b, None).await;
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let r = if i % 2 == 0 { r1.clone() } else { r2.clone() };
            let (msg, b) = (msg.clone(), b.clone());
            tokio::spawn(async move { r.receiver(&msg, &b).await.ok::<ReceiverResponse>() })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "exactly one key update"
    );
    assert_eq!(r2.info(&coin).await.chain.len(), 2);
}

async fn shared_racing_first_joins_and_unlock_vs_abort(r1: TestRelay) {
    let r1 = Arc::new(r1);
    let r2 = Arc::new(r1.sharing().await);
    for _ in 0..3 {
        let s = Arc::new(Swap::new(&r1).await);
        let ja = {
            let (r, s) = (r1.clone(), s.clone());
            tokio::spawn(async move { r.send(s.coin_a, &s.alice, &s.a_to, Some(&s.d)).await })
        };
        let jb = {
            let (r, s) = (r2.clone(), s.clone());
            tokio::spawn(async move { r.send(s.coin_b, &s.bob, &s.b_to, Some(&s.d)).await })
        };
        ja.await.unwrap();
        jb.await.unwrap();
        r1.unlock(s.coin_a, s.id(), &s.a_to).await.ok::<Value>();
        race_unlock_against_abort(&s, &r1, &r2).await;
    }
}

async fn shared_long_poll_sees_the_other_relay(r1: TestRelay) {
    let r1 = Arc::new(r1);
    let r2 = r1.sharing().await;
    let waited = message_wakes_a_long_poll(&r1, &r2).await;
    // Announced by the writing process (NOTIFY), not found by the
    // waiting one's fallback look (every 2 s).
    assert!(
        waited < Duration::from_millis(1500),
        "heard at once: {waited:?}"
    );
}

/// §8: pages of at most 100 in upload order, `after` continues, a long-poll
/// with `after` waits for a newer message, and messages of finished or
/// replaced transfers are gone.
async fn messages_page_and_finished_ones_are_deleted(r: TestRelay) {
    let r = Arc::new(r);
    let (junk_owner, to) = (keys(), keys());
    let coins = r.flood(&junk_owner, &to, 130, 64).await;
    let first = r.messages(&to, None).await;
    assert_eq!(first.messages.len(), 100);
    let rest = r.messages(&to, first.next).await;
    assert_eq!((rest.messages.len(), rest.next), (30, None));
    let order: Vec<_> = first.messages.iter().chain(&rest.messages).collect();
    assert!(order.windows(2).all(|w| w[0].cursor < w[1].cursor));
    assert_eq!(
        order.iter().map(|m| m.statechain_id).collect::<Vec<_>>(),
        coins
    );
    // Nothing after the last cursor: a long-poll from there waits for a new one.
    let last = rest.messages.last().unwrap().cursor;
    let waiter = {
        let (r, path) = (
            r.clone(),
            format!(
                "/transfer/get_msg_addr/{}?wait=10&after={last}",
                to.auth_pubkey()
            ),
        );
        tokio::spawn(async move { r.get(&path).await.ok::<MessagesResponse>() })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiter.is_finished(), "nothing newer yet");
    let (a, b) = (keys(), keys());
    let coin = r.deposit(&a, 10).await;
    let msg = r.send(coin, &a, &to, None).await;
    let newer = waiter.await.unwrap();
    assert_eq!(newer.messages.len(), 1);
    assert!(newer.messages[0].cursor > last);
    // Finished: received. Replaced: sent anew elsewhere. Both gone.
    r.receiver(&msg, &to).await.ok::<ReceiverResponse>();
    let _: Value = r.sender(coins[0], &junk_owner, &b, None).await.ok();
    let all = r.messages(&to, None).await;
    assert_eq!(all.messages.len(), 100);
    assert!(
        all.messages
            .iter()
            .all(|m| m.statechain_id != coin && m.statechain_id != coins[0])
    );
    assert_eq!(all.messages[0].statechain_id, coins[1]);
    assert!(r.messages(&to, Some(last)).await.messages.is_empty());
}

macro_rules! suite {
    ($backend:ident, $make:expr, [$($name:ident),* $(,)?]) => {
        mod $backend {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($make.await).await;
                }
            )*
        }
    };
}

suite!(
    sqlite,
    TestRelay::start(),
    [
        plain_transfer,
        swap_commits,
        abort_and_recover,
        deadline,
        refusals_roll_back,
        restart_keeps_everything,
        concurrent_receivers,
        racing_first_joins,
        unlock_racing_abort,
        long_poll,
        messages_page_and_finished_ones_are_deleted,
    ]
);

suite!(
    postgres,
    TestRelay::postgres(),
    [
        plain_transfer,
        swap_commits,
        abort_and_recover,
        deadline,
        refusals_roll_back,
        restart_keeps_everything,
        concurrent_receivers,
        racing_first_joins,
        unlock_racing_abort,
        long_poll,
        messages_page_and_finished_ones_are_deleted,
        shared_same_key_and_state,
        shared_concurrent_receivers,
        shared_racing_first_joins_and_unlock_vs_abort,
        shared_long_poll_sees_the_other_relay,
    ]
);
