//! The state machines driven through every path with a fake clock: events
//! are fed by hand, exactly as a host would after each relay answer.

use super::swap::{GetState, GiveState, Swap, SwapPhase, step};
use super::*;
use crate::address::Network;
use crate::descriptor::BatchTransfer;
use crate::entropy::{Entropy, SeededEntropy};
use crate::keys::{Mnemonic, WalletKeys};
use crate::receipt::{CoinStatus, ReceiptBody};
use crate::verify::{Check, CheckId, Report};
use crate::wire::{BatchState, BatchStatus};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const T0: u64 = 1_800_000_000;
const DEADLINE: u64 = T0 + 120;

struct Fixture {
    batch_id: Id,
    mine: OwnedCoin,
    theirs: Id,
    my_address: Address,
    their_address: Address,
    relay: crate::keys::AuthKey,
}

fn addr(keys: &WalletKeys, i: u32) -> Address {
    let k = keys.address(i).unwrap();
    Address {
        network: Network::Demo,
        user_pubkey: k.user_pubkey(),
        auth_pubkey: k.auth_pubkey(),
    }
}

fn fixture() -> Fixture {
    let mut rng = SeededEntropy::new(1);
    let me = WalletKeys::from_mnemonic(&Mnemonic::from_entropy([1; 16]));
    let them = WalletKeys::from_mnemonic(&Mnemonic::from_entropy([2; 16]));
    let mine = OwnedCoin {
        statechain_id: rng.uuid_v4(),
        amount: 5_000,
        aggregated_pubkey: rng.scalar().public(),
        seq: 0,
        index: 0,
    };
    Fixture {
        batch_id: rng.uuid_v4(),
        mine,
        theirs: rng.uuid_v4(),
        my_address: addr(&me, 5),
        their_address: addr(&them, 0),
        relay: crate::keys::AuthKey::from_scalar(&rng.scalar()),
    }
}

fn new_swap(f: &Fixture, manual: bool) -> Swap {
    let d = Descriptor::new(
        f.batch_id,
        vec![
            BatchTransfer {
                statechain_id: f.mine.statechain_id,
                new_user_auth_key: f.their_address.auth_pubkey,
                amount: 5_000,
            },
            BatchTransfer {
                statechain_id: f.theirs,
                new_user_auth_key: f.my_address.auth_pubkey,
                amount: 7_000,
            },
        ],
        1000,
    )
    .unwrap();
    Swap::new(
        d,
        vec![(f.mine.clone(), f.their_address)],
        5,
        &f.my_address.auth_pubkey,
        manual,
        T0,
    )
}

fn report(passed: bool) -> Report {
    Report {
        checks: vec![Check {
            id: CheckId::T1Matches,
            passed,
            ran: true,
            detail: "t1·G = O1 + X1".into(),
        }],
        equivocation: None,
        verified_prefix: None,
        signatures_checked: 0,
    }
}

fn message(f: &Fixture) -> Box<TransferMessage> {
    let mut rng = SeededEntropy::new(9);
    Box::new(TransferMessage {
        version: 1,
        statechain_id: f.theirs,
        amount: 7_000,
        aggregated_pubkey: rng.scalar().public(),
        sender_user_pubkey: rng.scalar().public(),
        recipient_user_pubkey: f.my_address.user_pubkey,
        recipient_auth_pubkey: f.my_address.auth_pubkey,
        batch_id: Some(f.batch_id),
        seq: 1,
        t1: rng.scalar(),
        transfer_sig: f.relay.sign("x", [0; 32]),
    })
}

fn status(f: &Fixture, state: BatchState, version: u64, now: u64) -> BatchStatus {
    BatchStatus {
        batch_id: f.batch_id,
        state,
        joined: 2,
        locked: 0,
        batch_time: T0,
        deadline: DEADLINE,
        server_time: now,
        version,
    }
}

fn receipt(f: &Fixture, coin: Id, seq: u64) -> crate::receipt::Receipt {
    ReceiptBody {
        statechain_id: coin,
        seq,
        owner_user_pubkey: f.my_address.user_pubkey,
        owner_auth_pubkey: f.my_address.auth_pubkey,
        server_pubkey: f.my_address.user_pubkey,
        aggregated_pubkey: f.my_address.user_pubkey,
        amount: 7_000,
        batch_id: Some(f.batch_id),
        status: CoinStatus::Owned,
        time: T0,
    }
    .sign(&f.relay, [3; 32])
}

/// Drives one step at `now` with a wallet index counter starting at 100,
/// and round-trips the record through JSON, as a host persisting it would.
fn feed(s: Swap, e: Event, now: u64) -> (Swap, Vec<Action>) {
    let mut next = 100;
    let (s, a) = step(
        s,
        e,
        &mut StepCtx {
            now,
            next_index: &mut next,
        },
    );
    let json = serde_json::to_string(&s).unwrap();
    (serde_json::from_str(&json).unwrap(), a)
}

fn x1() -> Scalar {
    SeededEntropy::new(7).scalar()
}

/// Through joining and upload: the state every later path starts from.
fn joined(f: &Fixture, manual: bool) -> Swap {
    let s = new_swap(f, manual);
    let (s, a) = feed(s, Event::Resume, T0);
    assert!(matches!(&a[0], Action::Register { batch: Some(_), .. }));
    let (s, a) = feed(
        s,
        Event::Registered {
            coin: f.mine.statechain_id,
            x1: x1(),
        },
        T0,
    );
    assert!(matches!(&a[0], Action::Upload { x1: x, .. } if *x == x1()));
    let (s, a) = feed(
        s,
        Event::Uploaded {
            coin: f.mine.statechain_id,
        },
        T0,
    );
    assert_eq!(s.phase, SwapPhase::Verifying);
    assert!(
        a.iter()
            .any(|a| matches!(a, Action::FetchIncoming { index: 5, .. }))
    );
    let (s, a) = feed(
        s,
        Event::BatchSeen {
            status: status(f, BatchState::Open, 1, T0),
        },
        T0,
    );
    assert!(a.contains(&Action::ArmTimer {
        tag: TimerTag {
            phase: SwapPhase::Verifying,
            at: DEADLINE + 1
        }
    }));
    s
}

/// Swap `s` after its incoming coin passed every check, at `T0 + 5`.
fn checked(f: &Fixture, s: Swap) -> Swap {
    let event = Event::Checked {
        coin: f.theirs,
        msg: message(f),
        report: report(true),
    };
    feed(s, event, T0 + 5).0
}

/// Swap `s` after its unlock was answered with the batch `state`, at `T0 + 6`.
fn unlocked(f: &Fixture, s: Swap, state: BatchState) -> (Swap, Vec<Action>) {
    let event = Event::Unlocked {
        coin: f.theirs,
        status: status(f, state, 2, T0 + 6),
    };
    feed(s, event, T0 + 6)
}

#[test]
fn happy_swap_commits_then_completes() {
    let f = fixture();
    let s = joined(&f, false);
    let (s, a) = feed(
        s,
        Event::Checked {
            coin: f.theirs,
            msg: message(&f),
            report: report(true),
        },
        T0 + 5,
    );
    assert_eq!(s.phase, SwapPhase::Unlocking);
    assert!(a.contains(&Action::Unlock {
        coin: f.theirs,
        batch_id: f.batch_id,
        index: 5
    }));
    let (s, _) = unlocked(&f, s, BatchState::Open);
    assert_eq!(s.phase, SwapPhase::AwaitingCommit);
    let (s, a) = feed(
        s,
        Event::BatchSeen {
            status: status(&f, BatchState::Committed, 3, T0 + 7),
        },
        T0 + 7,
    );
    assert_eq!(s.phase, SwapPhase::Committed);
    assert!(s.gives.iter().all(|g| g.state == GiveState::Transferred));
    assert!(matches!(&a[..], [Action::Receive { index: 5, .. }]));
    let (s, a) = feed(
        s,
        Event::Received {
            coin: f.theirs,
            receipt: receipt(&f, f.theirs, 1),
        },
        T0 + 8,
    );
    assert_eq!(s.phase, SwapPhase::Completed);
    assert!(a.is_empty());
}

#[test]
fn commit_reported_by_unlock_answer_skips_awaiting() {
    let f = fixture();
    let s = joined(&f, false);
    let s = checked(&f, s);
    let (s, a) = unlocked(&f, s, BatchState::Committed);
    assert_eq!(s.phase, SwapPhase::Committed);
    assert!(a.iter().any(|a| matches!(a, Action::Receive { .. })));
}

#[test]
fn missing_coin_deadline_passes_and_own_coin_is_reclaimed() {
    let f = fixture();
    let s = joined(&f, false);
    // The counterparty never sends: the armed timer fires after the deadline.
    let tag = TimerTag {
        phase: SwapPhase::Verifying,
        at: DEADLINE + 1,
    };
    let (s, a) = feed(s, Event::Timer { tag }, DEADLINE + 1);
    assert_eq!(
        a,
        vec![Action::WatchBatch {
            batch_id: f.batch_id,
            since: 0
        }]
    );
    assert_eq!(
        s.phase,
        SwapPhase::Verifying,
        "the wallet waits for the relay's word"
    );
    let (s, a) = feed(
        s,
        Event::BatchSeen {
            status: status(&f, BatchState::Expired, 1, DEADLINE + 1),
        },
        DEADLINE + 1,
    );
    assert_eq!(s.phase, SwapPhase::BackingOut);
    assert_eq!(
        a,
        vec![Action::Reclaim {
            coin: f.mine.clone(),
            to_index: 100
        }]
    );
    assert!(s.gets.iter().all(|g| g.state == GetState::Forgone));
    let back = OwnedCoin {
        index: 100,
        seq: 2,
        ..f.mine.clone()
    };
    let (s, a) = feed(
        s,
        Event::Reclaimed {
            coin: f.mine.statechain_id,
            new_coin: back.clone(),
            receipt: receipt(&f, f.mine.statechain_id, 2),
        },
        DEADLINE + 2,
    );
    assert_eq!(s.phase, SwapPhase::BackedOut);
    assert_eq!(s.gives[0].state, GiveState::Reclaimed { coin: back });
    assert!(a.is_empty());
}

#[test]
fn stale_timer_does_nothing() {
    let f = fixture();
    let s = joined(&f, false);
    let before = s.clone();
    let (s, a) = feed(
        s,
        Event::Timer {
            tag: TimerTag {
                phase: SwapPhase::Joining,
                at: DEADLINE + 1,
            },
        },
        DEADLINE + 1,
    );
    assert!(a.is_empty());
    assert_eq!(s.phase, before.phase);
    assert_eq!(s.gives, before.gives);
}

#[test]
fn abort_by_this_side_backs_out() {
    let f = fixture();
    let s = joined(&f, false);
    let (s, a) = feed(s, Event::UserAbort, T0 + 3);
    assert_eq!(
        a,
        vec![Action::Abort {
            coin: f.mine.statechain_id,
            batch_id: f.batch_id,
            index: 0
        }]
    );
    let (s, a) = feed(
        s,
        Event::BatchSeen {
            status: status(&f, BatchState::Aborted, 2, T0 + 3),
        },
        T0 + 3,
    );
    assert_eq!(s.phase, SwapPhase::BackingOut);
    assert!(matches!(&a[..], [Action::Reclaim { .. }]));
}

#[test]
fn abort_by_other_side_is_seen_and_backs_out() {
    let f = fixture();
    let s = joined(&f, false);
    let s = checked(&f, s);
    let (s, _) = unlocked(&f, s, BatchState::Open);
    assert_eq!(s.phase, SwapPhase::AwaitingCommit);
    let (s, a) = feed(
        s,
        Event::BatchSeen {
            status: status(&f, BatchState::Aborted, 3, T0 + 9),
        },
        T0 + 9,
    );
    assert_eq!(s.phase, SwapPhase::BackingOut);
    assert!(matches!(&a[..], [Action::Reclaim { .. }]));
}

#[test]
fn abort_refused_because_committed_completes_instead() {
    let f = fixture();
    let s = joined(&f, false);
    let (s, _) = feed(s, Event::UserAbort, T0 + 3);
    let (s, _) = feed(
        s,
        Event::Refused {
            coin: None,
            code: ErrorCode::BatchCompleted,
        },
        T0 + 3,
    );
    assert_eq!(s.phase, SwapPhase::Committed);
}

#[test]
fn deadline_after_commit_still_completes_the_receive() {
    let f = fixture();
    let s = joined(&f, false);
    let s = checked(&f, s);
    let (s, _) = unlocked(&f, s, BatchState::Committed);
    // The wallet was closed until long after the deadline.
    let late = DEADLINE + 3600;
    let (s, a) = feed(
        s,
        Event::Timer {
            tag: TimerTag {
                phase: SwapPhase::Verifying,
                at: DEADLINE + 1,
            },
        },
        late,
    );
    assert!(a.is_empty(), "a timer after commit is stale");
    let (s, a) = feed(s, Event::Resume, late);
    assert!(matches!(&a[..], [Action::Receive { .. }]));
    let (s, _) = feed(
        s,
        Event::Received {
            coin: f.theirs,
            receipt: receipt(&f, f.theirs, 1),
        },
        late,
    );
    assert_eq!(s.phase, SwapPhase::Completed);
}

#[test]
fn failed_check_blocks_unlock_and_aborts() {
    let f = fixture();
    let s = joined(&f, false);
    let (s, a) = feed(
        s,
        Event::Checked {
            coin: f.theirs,
            msg: message(&f),
            report: report(false),
        },
        T0 + 5,
    );
    assert_eq!(s.phase, SwapPhase::Verifying);
    assert!(matches!(s.gets[0].state, GetState::Rejected { .. }));
    assert!(!a.iter().any(|a| matches!(a, Action::Unlock { .. })));
    assert!(a.iter().any(|a| matches!(a, Action::Abort { .. })));
    assert!(s.note.is_some());
}

#[test]
fn manual_confirmation_waits_for_the_user() {
    let f = fixture();
    let s = joined(&f, true);
    let (s, a) = feed(
        s,
        Event::Checked {
            coin: f.theirs,
            msg: message(&f),
            report: report(true),
        },
        T0 + 5,
    );
    assert_eq!(s.phase, SwapPhase::Verifying);
    assert!(!a.iter().any(|a| matches!(a, Action::Unlock { .. })));
    let (s, a) = feed(s, Event::UserConfirm, T0 + 6);
    assert_eq!(s.phase, SwapPhase::Unlocking);
    assert!(a.iter().any(|a| matches!(a, Action::Unlock { .. })));
}

#[test]
fn join_refused_by_descriptor_rules_aborts() {
    for code in [
        ErrorCode::NotInDescriptor,
        ErrorCode::DescriptorMismatch,
        ErrorCode::AmountMismatch,
        ErrorCode::BatchLocked,
    ] {
        let f = fixture();
        let (s, _) = feed(new_swap(&f, false), Event::Resume, T0);
        let (s, a) = feed(
            s,
            Event::Refused {
                coin: Some(f.mine.statechain_id),
                code,
            },
            T0,
        );
        assert!(s.abort_requested, "{code}");
        assert!(
            a.iter().any(|a| matches!(a, Action::Abort { .. })),
            "{code}"
        );
    }
}

#[test]
fn join_refused_as_expired_backs_out() {
    let f = fixture();
    let (s, _) = feed(new_swap(&f, false), Event::Resume, T0);
    let (s, a) = feed(
        s,
        Event::Refused {
            coin: Some(f.mine.statechain_id),
            code: ErrorCode::BatchExpired,
        },
        T0,
    );
    assert_eq!(s.phase, SwapPhase::BackingOut);
    assert!(matches!(&a[..], [Action::Reclaim { .. }]));
}

/// Unlocked, then the relay reported the batch expired (from its clock,
/// not recorded): the wallet starts backing out.
fn backing_out_after_a_reported_expiry(f: &Fixture) -> (Swap, Vec<Action>) {
    let s = joined(f, false);
    let (s, _) = feed(
        s,
        Event::Checked {
            coin: f.theirs,
            msg: message(f),
            report: report(true),
        },
        T0 + 5,
    );
    let (s, _) = feed(
        s,
        Event::Unlocked {
            coin: f.theirs,
            status: status(f, BatchState::Open, 2, T0 + 6),
        },
        T0 + 6,
    );
    assert_eq!(s.phase, SwapPhase::AwaitingCommit);
    let (s, a) = feed(
        s,
        Event::BatchSeen {
            status: status(f, BatchState::Expired, 2, DEADLINE + 1),
        },
        DEADLINE + 1,
    );
    assert_eq!(s.phase, SwapPhase::BackingOut);
    assert!(s.gets.iter().all(|g| g.state == GetState::Forgone));
    (s, a)
}

/// The coin owed after a commit the relay reports while backing out.
fn receives_what_it_is_owed(f: &Fixture, s: Swap, a: Vec<Action>) {
    assert_eq!(s.phase, SwapPhase::Committed);
    assert!(s.gives.iter().all(|g| g.state == GiveState::Transferred));
    assert!(s.gets.iter().all(|g| g.state == GetState::Awaiting));
    assert!(
        a.contains(&Action::FetchIncoming {
            index: 5,
            expect: vec![Expected {
                statechain_id: f.theirs,
                amount: 7_000
            }],
            batch: None,
        }),
        "{a:?}"
    );
    let (s, a) = feed(
        s,
        Event::Checked {
            coin: f.theirs,
            msg: message(f),
            report: report(true),
        },
        DEADLINE + 3,
    );
    assert!(
        a.iter()
            .any(|a| matches!(a, Action::Receive { index: 5, .. }))
    );
    let (s, _) = feed(
        s,
        Event::Received {
            coin: f.theirs,
            receipt: receipt(f, f.theirs, 1),
        },
        DEADLINE + 4,
    );
    assert_eq!(s.phase, SwapPhase::Completed);
}

#[test]
fn backing_out_follows_a_commit_the_relay_reports_and_receives_what_it_is_owed() {
    let f = fixture();
    let (s, _) = backing_out_after_a_reported_expiry(&f);
    let (s, a) = feed(
        s,
        Event::BatchSeen {
            status: status(&f, BatchState::Committed, 3, DEADLINE + 2),
        },
        DEADLINE + 2,
    );
    receives_what_it_is_owed(&f, s, a);
}

#[test]
fn a_take_back_refused_as_batch_completed_follows_the_commit() {
    let f = fixture();
    let (s, a) = backing_out_after_a_reported_expiry(&f);
    assert!(matches!(&a[..], [Action::Reclaim { .. }]));
    let (s, a) = feed(
        s,
        Event::Refused {
            coin: Some(f.mine.statechain_id),
            code: ErrorCode::BatchCompleted,
        },
        DEADLINE + 2,
    );
    receives_what_it_is_owed(&f, s, a);
}

#[test]
fn a_take_back_the_relay_still_holds_is_tried_again_later() {
    let f = fixture();
    let (s, _) = backing_out_after_a_reported_expiry(&f);
    // The relay's clock is behind the one that reported the expiry.
    let (s, a) = feed(
        s,
        Event::Refused {
            coin: Some(f.mine.statechain_id),
            code: ErrorCode::BatchLocked,
        },
        DEADLINE + 2,
    );
    assert_eq!(s.phase, SwapPhase::BackingOut);
    let retry = TimerTag {
        phase: SwapPhase::BackingOut,
        at: DEADLINE + 2 + swap::BACKOUT_RETRY_SECS,
    };
    assert!(a.contains(&Action::ArmTimer { tag: retry }), "{a:?}");
    assert!(a.iter().any(|a| matches!(a, Action::WatchBatch { .. })));
    let (s, a) = feed(s, Event::Timer { tag: retry }, retry.at);
    assert!(
        a.iter().any(|a| matches!(a, Action::Reclaim { .. })),
        "{a:?}"
    );
    assert!(a.iter().any(|a| matches!(a, Action::WatchBatch { .. })));
    // Its take-back succeeded this time: the batch can no longer commit.
    let back = OwnedCoin {
        index: 100,
        seq: 2,
        ..f.mine.clone()
    };
    let (s, _) = feed(
        s,
        Event::Reclaimed {
            coin: f.mine.statechain_id,
            new_coin: back.clone(),
            receipt: receipt(&f, f.mine.statechain_id, 2),
        },
        retry.at,
    );
    assert_eq!(s.phase, SwapPhase::BackedOut);
    // Final: a later (impossible) commit report changes nothing.
    let (s, a) = feed(
        s,
        Event::BatchSeen {
            status: status(&f, BatchState::Committed, 9, retry.at + 1),
        },
        retry.at + 1,
    );
    assert_eq!(s.phase, SwapPhase::BackedOut);
    assert!(a.is_empty());
}

#[test]
fn phases_only_move_forward() {
    use SwapPhase::*;
    let all = [
        Joining,
        Verifying,
        Unlocking,
        AwaitingCommit,
        Committed,
        Completed,
        BackingOut,
        BackedOut,
    ];
    for a in all {
        for b in all {
            let allowed = a.can_move_to(b);
            if a == b || b == Joining || a.is_final() {
                assert!(!allowed, "{a:?} -> {b:?}");
            }
            if a == Committed {
                assert_eq!(allowed, b == Completed, "{a:?} -> {b:?}");
            }
            if a == BackingOut {
                // A reported expiry is not final: a commit can still come.
                assert_eq!(allowed, b == BackedOut || b == Committed, "{a:?} -> {b:?}");
            }
        }
    }
}

/// Crash and reload at every phase: the record survives serialization and
/// `Resume` re-issues exactly what the phase still needs.
#[test]
fn resume_after_reload_reissues_the_outstanding_actions() {
    let f = fixture();
    let path: Vec<(Event, u64)> = vec![
        (Event::Resume, T0),
        (
            Event::Registered {
                coin: f.mine.statechain_id,
                x1: x1(),
            },
            T0,
        ),
        (
            Event::Uploaded {
                coin: f.mine.statechain_id,
            },
            T0,
        ),
        (
            Event::BatchSeen {
                status: status(&f, BatchState::Open, 1, T0),
            },
            T0,
        ),
        (
            Event::Checked {
                coin: f.theirs,
                msg: message(&f),
                report: report(true),
            },
            T0 + 5,
        ),
        (
            Event::Unlocked {
                coin: f.theirs,
                status: status(&f, BatchState::Open, 2, T0 + 6),
            },
            T0 + 6,
        ),
        (
            Event::BatchSeen {
                status: status(&f, BatchState::Committed, 3, T0 + 7),
            },
            T0 + 7,
        ),
        (
            Event::Received {
                coin: f.theirs,
                receipt: receipt(&f, f.theirs, 1),
            },
            T0 + 8,
        ),
    ];
    let mut s = new_swap(&f, false);
    for (e, now) in path {
        let (next, _) = feed(s, e, now);
        let reloaded: Swap = serde_json::from_str(&serde_json::to_string(&next).unwrap()).unwrap();
        let (again, a) = feed(reloaded.clone(), Event::Resume, now);
        assert_eq!(again.phase, next.phase);
        assert_eq!(a, next.outstanding(), "phase {:?}", next.phase);
        s = next;
    }
    assert_eq!(s.phase, SwapPhase::Completed);
}

/// Any sequence of events leaves the record in a valid phase: coins given
/// away only after commit, reclaimed only after backout, never both.
#[test]
fn random_event_sequences_keep_the_record_valid() {
    let f = fixture();
    let built = Built {
        msg: message(&f),
        r1: receipt(&f, f.theirs, 1),
        r2: receipt(&f, f.mine.statechain_id, 2),
        x1: x1(),
    };
    let mut rng = SeededEntropy::new(42);
    for _run in 0..150 {
        let mut s = new_swap(&f, rng.bytes::<1>()[0] % 2 == 0);
        let mut now = T0;
        for _ in 0..25 {
            now += u64::from(rng.bytes::<1>()[0] % 30);
            let e = random_event(&f, &built, &mut rng, now);
            let before = s.phase;
            let (next, _) = feed(s, e, now);
            assert!(
                before == next.phase
                    || before.can_move_to(next.phase)
                    || reachable(before, next.phase)
            );
            check_invariants(&next);
            s = next;
        }
    }
}

fn reachable(from: SwapPhase, to: SwapPhase) -> bool {
    // One event may cross several phases (e.g. Joining → Verifying → Unlocking).
    let all = [
        SwapPhase::Joining,
        SwapPhase::Verifying,
        SwapPhase::Unlocking,
        SwapPhase::AwaitingCommit,
        SwapPhase::Committed,
        SwapPhase::Completed,
        SwapPhase::BackingOut,
        SwapPhase::BackedOut,
    ];
    from.can_move_to(to)
        || all
            .iter()
            .any(|m| from.can_move_to(*m) && m.can_move_to(to))
}

fn check_invariants(s: &Swap) {
    let committed = matches!(s.phase, SwapPhase::Committed | SwapPhase::Completed);
    let backing = matches!(s.phase, SwapPhase::BackingOut | SwapPhase::BackedOut);
    for g in &s.gives {
        match g.state {
            GiveState::Transferred => assert!(committed),
            GiveState::Reclaiming { .. } | GiveState::Reclaimed { .. } => assert!(backing),
            _ => assert!(!committed && !backing, "{:?} in {:?}", g.state, s.phase),
        }
    }
    for g in &s.gets {
        if let GetState::Received { .. } = g.state {
            assert!(committed);
        }
    }
    if s.phase == SwapPhase::BackedOut {
        assert!(
            s.gives
                .iter()
                .all(|g| matches!(g.state, GiveState::Reclaimed { .. }))
        );
    }
    if s.phase == SwapPhase::Completed {
        assert!(
            s.gets
                .iter()
                .all(|g| matches!(g.state, GetState::Received { .. }))
        );
    }
}

struct Built {
    msg: Box<TransferMessage>,
    r1: crate::receipt::Receipt,
    r2: crate::receipt::Receipt,
    x1: Scalar,
}

fn random_event(f: &Fixture, b: &Built, rng: &mut SeededEntropy, now: u64) -> Event {
    let states = [
        BatchState::Open,
        BatchState::Committed,
        BatchState::Aborted,
        BatchState::Expired,
    ];
    let pick = rng.bytes::<2>();
    let state = states[pick[1] as usize % 4];
    let codes = ErrorCode::ALL;
    match pick[0] % 14 {
        0 => Event::Resume,
        1 => Event::Registered {
            coin: f.mine.statechain_id,
            x1: b.x1,
        },
        2 => Event::Uploaded {
            coin: f.mine.statechain_id,
        },
        3 => Event::Checked {
            coin: f.theirs,
            msg: b.msg.clone(),
            report: report(pick[1] % 4 != 0),
        },
        4 => Event::Unlocked {
            coin: f.theirs,
            status: status(f, state, u64::from(pick[1]), now),
        },
        5 | 6 => Event::BatchSeen {
            status: status(f, state, u64::from(pick[1]), now),
        },
        7 => Event::Received {
            coin: f.theirs,
            receipt: b.r1.clone(),
        },
        8 => Event::Reclaimed {
            coin: f.mine.statechain_id,
            new_coin: OwnedCoin {
                index: 100,
                ..f.mine.clone()
            },
            receipt: b.r2.clone(),
        },
        9 => Event::Refused {
            coin: None,
            code: codes[pick[1] as usize % codes.len()],
        },
        10 => Event::UserAbort,
        11 => Event::UserConfirm,
        _ => Event::Timer {
            tag: TimerTag {
                phase: SwapPhase::Verifying,
                at: now,
            },
        },
    }
}

#[test]
fn a_manual_swap_awaits_confirmation_only_once_every_check_passed() {
    let f = fixture();
    let s = joined(&f, true);
    assert!(s.may_confirm(), "the go-ahead may come early");
    assert!(!s.awaits_confirmation(), "nothing checked yet");
    let s = checked(&f, s);
    assert!(s.awaits_confirmation());
    assert!(s.can_abort());
    let (s, _) = feed(s, Event::UserConfirm, T0 + 6);
    assert!(!s.may_confirm() && !s.awaits_confirmation());
    // An automatic swap never waits for anyone.
    assert!(!joined(&f, false).may_confirm());
}

#[test]
fn polls_are_the_actions_that_only_look() {
    let f = fixture();
    let (_, a) = feed(new_swap(&f, false), Event::Resume, T0);
    let polls: Vec<bool> = a.iter().map(Action::is_poll).collect();
    assert_eq!(polls, vec![false, true], "Register, then WatchBatch: {a:?}");
}

#[test]
fn record_ids_name_their_record() {
    let coin = fixture().theirs;
    let rid = crate::wallet::receive_rid(&coin, 7);
    assert_eq!(crate::wallet::parse_receive_rid(&rid), Some((coin, 7)));
    assert_eq!(crate::wallet::parse_receive_rid("send:x:1"), None);
    assert_eq!(crate::wallet::parse_receive_rid("receive:nope:1"), None);
    assert!(crate::wallet::swap_rid(&coin).starts_with("swap:"));
}

mod attention;
