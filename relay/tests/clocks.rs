//! PROTOCOL §6.2 (revision 2): a batch's outcome does not depend on a
//! clock agreeing with itself or with another process. Injected clocks jump
//! ahead, step back and disagree between two relay processes; each test
//! asserts that a take-back of a coin and the commit of its batch never
//! both succeed. SQLite where it applies (one process), PostgreSQL with
//! one and with two processes.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use relay::clock::TestClock;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wallet_core::wire::{ReceiverResponse, WithdrawRequest};

/// Alice and Bob have joined; Bob (receiving coin A) has unlocked it. Only
/// Alice's unlock of coin B is missing for a commit.
async fn one_unlock_from_commit(r: &TestRelay) -> Swap {
    let s = Swap::new(r).await;
    s.join_both(r).await;
    r.unlock(s.coin_a, s.id(), &s.a_to).await.ok::<Value>();
    s
}

fn deadline(batch: &Value) -> u64 {
    batch["deadline"].as_u64().unwrap()
}

/// Moves the relay's clock (and on PostgreSQL the database's) 5 s past
/// the batch's deadline; returns by how much.
async fn jump_past_deadline(r: &TestRelay, s: &Swap) -> u64 {
    let jump = deadline(&r.batch(s.id()).await) + 5 - r.now();
    r.advance(jump).await;
    jump
}

/// Steps the clocks `jump` moved back again.
async fn step_back(r: &TestRelay, jump: u64) {
    r.clock.step_back(jump);
    if let Some(db) = &r.pg {
        db.set_clock_offset(0).await;
    }
}

/// The relay's clock jumps past the deadline: Alice takes coin A back.
/// The clock steps back: Alice's unlock of Bob's coin must not commit.
async fn take_back_then_clock_steps_back_does_not_commit(r: TestRelay) {
    let s = one_unlock_from_commit(&r).await;
    let jump = jump_past_deadline(&r, &s).await;
    let home = keys();
    let back = r.send(s.coin_a, &s.alice, &home, None).await;
    step_back(&r, jump).await;
    r.unlock(s.coin_b, s.id(), &s.b_to)
        .await
        .err("batch_expired");
    assert_eq!(state(&r.batch(s.id()).await), "expired");
    // Both coins go home; nothing is stuck.
    r.receiver(&back, &home).await.ok::<ReceiverResponse>();
    let bob_home = keys();
    let back_b = r.send(s.coin_b, &s.bob, &bob_home, None).await;
    r.receiver(&back_b, &bob_home)
        .await
        .ok::<ReceiverResponse>();
}

/// The same with a withdrawal as the take-back.
async fn withdraw_then_clock_steps_back_does_not_commit(r: TestRelay) {
    let s = one_unlock_from_commit(&r).await;
    let jump = jump_past_deadline(&r, &s).await;
    r.post(
        "/withdraw",
        &WithdrawRequest::signed(s.coin_a, &s.alice, r.now(), aux()),
    )
    .await
    .ok::<Value>();
    step_back(&r, jump).await;
    r.unlock(s.coin_b, s.id(), &s.b_to)
        .await
        .err("batch_expired");
    assert_eq!(state(&r.batch(s.id()).await), "expired");
}

/// A process never decides with a time earlier than one it has used, and
/// reports the time it decides with.
async fn relay_now_never_goes_backwards(r: TestRelay) {
    let s = Swap::new(&r).await;
    s.join_both(&r).await;
    let d = deadline(&r.batch(s.id()).await);
    let jump = d + 5 - r.now();
    r.advance(jump).await;
    let ahead: Value = r.get("/info/config").await.ok();
    let ahead = ahead["server_time"].as_u64().unwrap();
    assert!(ahead > d);
    step_back(&r, jump).await;
    let later: Value = r.get("/info/config").await.ok();
    assert!(later["server_time"].as_u64().unwrap() >= ahead);
    let b = r.batch(s.id()).await;
    assert_eq!(state(&b), "expired", "still past the deadline");
    assert!(b["server_time"].as_u64().unwrap() >= ahead);
    // Requests signed with the stepped-back wall clock are still fresh.
    r.unlock(s.coin_a, s.id(), &s.a_to)
        .await
        .err("batch_expired");
}

/// The expiry is in the database, not in a process's memory: a relay
/// restarted with its clock behind still refuses to commit.
#[tokio::test]
async fn sqlite_a_restart_with_the_clock_behind_keeps_the_recorded_expiry() {
    let r = TestRelay::start().await;
    let s = one_unlock_from_commit(&r).await;
    let jump = jump_past_deadline(&r, &s).await;
    r.send(s.coin_a, &s.alice, &keys(), None).await;
    r.clock.step_back(jump);
    let r = r.restart().await;
    let b = r.batch(s.id()).await;
    assert_eq!(state(&b), "expired");
    assert!(
        b["server_time"].as_u64().unwrap() <= deadline(&b),
        "the clock is behind"
    );
    r.unlock(s.coin_b, s.id(), &s.b_to)
        .await
        .err("batch_expired");
    r.abort(s.coin_b, s.id(), &s.bob).await.err("batch_expired");
}

/// Two relay processes on one database whose clocks differ by a few
/// seconds: without one clock, a take-back through the fast one and an
/// unlock through the slow one could both succeed near the deadline. Many
/// swaps race both requests across the real deadline, each at its own
/// moment; on PostgreSQL the server's clock decides for both processes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_relays_with_skewed_clocks_never_commit_after_a_take_back() {
    let db = Arc::new(PgDb::create().await);
    let fast = Arc::new(
        TestRelay::postgres_on(db.clone(), |c| c.batch_timeout = 5, TestClock::skewed(4)).await,
    );
    let slow = Arc::new(fast.sharing_with(TestClock::skewed(-4)).await);
    const SWAPS: usize = 16;
    let mut races = Vec::new();
    for i in 0..SWAPS {
        let (fast, slow) = (fast.clone(), slow.clone());
        races.push(tokio::spawn(async move {
            let s = one_unlock_from_commit(&slow).await;
            // The first second past the deadline, on the server's clock
            // (the machine's: the database runs here).
            let expiry = Duration::from_secs(deadline(&slow.batch(s.id()).await) + 1);
            // Each request lands somewhere in the 3 s around the expiry.
            let spread = |k: usize| Duration::from_millis(((i * 7 + k * 3) % 16) as u64 * 200);
            let at = |k: usize| expiry.saturating_sub(Duration::from_millis(1500)) + spread(k);
            let wall = || SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            let take_back = {
                let (r, alice, coin) = (fast.clone(), s.alice.clone(), s.coin_a);
                let when = at(1);
                tokio::spawn(async move {
                    tokio::time::sleep(when.saturating_sub(wall())).await;
                    r.sender(coin, &alice, &keys(), None).await
                })
            };
            let unlock = {
                let (r, to, coin, id) = (slow.clone(), s.b_to.clone(), s.coin_b, s.id());
                let when = at(2);
                tokio::spawn(async move {
                    tokio::time::sleep(when.saturating_sub(wall())).await;
                    r.unlock(coin, id, &to).await
                })
            };
            let (t, u) = (take_back.await.unwrap(), unlock.await.unwrap());
            let final_state = state(&fast.batch(s.id()).await).to_string();
            match (t.status, u.status) {
                (200, 200) => panic!("swap {i}: a take-back and a commit both succeeded"),
                (200, _) => {
                    u.err("batch_expired");
                    assert_eq!(final_state, "expired", "swap {i}: the expiry was recorded");
                }
                (_, 200) => {
                    assert_eq!(state(&u.body), "committed");
                    assert_eq!(final_state, "committed");
                    assert!(
                        ["batch_locked", "batch_completed"]
                            .contains(&t.body["error"]["code"].as_str().unwrap()),
                        "swap {i}: {}",
                        t.body
                    );
                }
                // The take-back came too early (the batch was open) and
                // the unlock too late (it had expired): the batch is
                // expired and either sender can still take its coin back.
                _ => {
                    t.err("batch_locked");
                    u.err("batch_expired");
                    assert_eq!(final_state, "expired");
                }
            }
            (t.status == 200, u.status == 200)
        }));
    }
    let (mut took, mut committed) = (0, 0);
    for r in races {
        let (t, u) = r.await.unwrap();
        took += usize::from(t);
        committed += usize::from(u);
    }
    eprintln!("{SWAPS} races: {committed} committed, {took} taken back");
}

/// Both processes report the server's clock, whatever their own clocks
/// say, so wallets count down to the clock that decides.
#[tokio::test]
async fn postgres_every_process_reports_the_database_clock() {
    let db = Arc::new(PgDb::create_with_test_clock().await);
    let one = TestRelay::postgres_on(db.clone(), |_| {}, TestClock::skewed(90)).await;
    let two = one.sharing_with(TestClock::skewed(-90)).await;
    db.set_clock_offset(1000).await;
    let real = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for r in [&one, &two] {
        let c: Value = r.get("/info/config").await.ok();
        let t = c["server_time"].as_u64().unwrap();
        assert!(
            t.abs_diff(real + 1000) <= 2,
            "server_time {t}, database {}",
            real + 1000
        );
    }
}

/// The database server's clock jumps ahead: a take-back through one
/// process records the expiry. It steps back: an unlock through the other
/// process, which never saw the jump, still finds the batch expired.
#[tokio::test]
async fn postgres_a_database_clock_that_steps_back_cannot_commit_after_a_take_back() {
    let db = Arc::new(PgDb::create_with_test_clock().await);
    let one = TestRelay::postgres_on(db.clone(), |_| {}, TestClock::new()).await;
    let two = one.sharing_with(TestClock::new()).await;
    let s = one_unlock_from_commit(&two).await;
    let jump = deadline(&one.batch(s.id()).await) + 5 - one.now();
    db.set_clock_offset(jump as i64).await;
    one.clock.advance(jump);
    one.send(s.coin_a, &s.alice, &keys(), None).await;
    db.set_clock_offset(0).await;
    one.clock.step_back(jump);
    let b = two.batch(s.id()).await;
    assert!(b["server_time"].as_u64().unwrap() <= deadline(&b));
    assert_eq!(state(&b), "expired", "recorded, not computed");
    two.unlock(s.coin_b, s.id(), &s.b_to)
        .await
        .err("batch_expired");
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(TestRelay::start().await).await;
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(TestRelay::postgres().await).await;
                }
            )*
        }
    };
}

both_backends!(
    take_back_then_clock_steps_back_does_not_commit,
    withdraw_then_clock_steps_back_does_not_commit,
    relay_now_never_goes_backwards,
);
