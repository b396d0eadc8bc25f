//! The agenda's policy, one test per rule, under a fake clock (plain
//! millisecond numbers: the agenda reads no clock).

use super::*;
use crate::machine::swap::SwapPhase;
use crate::types::Id;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn id(n: u64) -> Id {
    Id::parse(&format!("00000000-0000-4000-8000-{n:012}")).unwrap_or_else(|e| panic!("{e}"))
}

fn unlock(n: u64) -> Action {
    Action::Unlock {
        coin: id(n),
        batch_id: id(100),
        index: 0,
    }
}

fn watch(since: u64) -> Action {
    Action::WatchBatch {
        batch_id: id(100),
        since,
    }
}

fn timer(at: u64) -> Action {
    Action::ArmTimer {
        tag: TimerTag {
            phase: SwapPhase::Joining,
            at,
        },
    }
}

fn act(rid: &str, action: Action) -> Next {
    Next::Act {
        rid: rid.into(),
        action,
    }
}

const A: &str = "swap:a";
const B: &str = "swap:b";

#[test]
fn actions_go_one_at_a_time_in_the_order_asked() {
    let mut g = Agenda::new();
    g.add(A, vec![unlock(1), unlock(2)]);
    assert_eq!(g.next_among(&[A], None, 0), act(A, unlock(1)));
    g.done(A);
    assert_eq!(g.next_among(&[A], None, 0), act(A, unlock(2)));
}

#[test]
fn an_action_asked_for_twice_is_performed_once() {
    let mut g = Agenda::new();
    g.add(A, vec![unlock(1), unlock(1)]);
    g.add(A, vec![unlock(1)]);
    assert_eq!(g.next_among(&[A], None, 0), act(A, unlock(1)));
    g.done(A);
    assert_eq!(g.next_among(&[A], None, 0), Next::Resume { rid: A.into() });
}

#[test]
fn actions_go_before_timers_and_polls() {
    let mut g = Agenda::new();
    g.add(A, vec![watch(0), timer(1), unlock(1)]);
    assert_eq!(g.next_among(&[A], None, 5_000), act(A, unlock(1)));
}

#[test]
fn a_timer_fires_once_when_the_relay_clock_reaches_it() {
    let mut g = Agenda::new();
    g.add(A, vec![timer(10), timer(10), watch(0)]);
    // Not yet due: the polls race until the timer's time.
    match g.next_among(&[A], None, 9_999) {
        Next::Poll { until_ms, .. } => assert_eq!(until_ms, 10_000),
        other => panic!("{other:?}"),
    }
    let Next::Feed { rid, events } = g.next_among(&[A], None, 10_000) else {
        panic!("the timer is due")
    };
    assert_eq!(rid, A);
    assert_eq!(events.len(), 1, "armed twice, fired once");
    assert!(matches!(events[0], Event::Timer { tag } if tag.at == 10));
    // Delivered once; the poll went out in the race, so the record resumes.
    assert_eq!(
        g.next_among(&[A], None, 10_000),
        Next::Resume { rid: A.into() }
    );
}

#[test]
fn polls_are_asked_once_and_raced_together() {
    let mut g = Agenda::new();
    g.add(A, vec![watch(0), watch(0)]);
    g.add(B, vec![watch(3)]);
    let Next::Poll { polls, .. } = g.next_among(&[A, B], None, 0) else {
        panic!("both records poll")
    };
    assert_eq!(polls, vec![(A.into(), watch(0)), (B.into(), watch(3))]);
}

#[test]
fn a_record_with_nothing_queued_is_resumed() {
    let mut g = Agenda::new();
    assert_eq!(g.next_among(&[A], None, 0), Next::Resume { rid: A.into() });
    // What the resume asks for comes next.
    g.add(A, vec![watch(0)]);
    assert!(matches!(g.next_among(&[A], None, 0), Next::Poll { .. }));
}

#[test]
fn a_resume_that_asks_for_nothing_is_repeated_after_the_idle_period() {
    let mut g = Agenda::new();
    assert_eq!(g.next_among(&[A], None, 0), Next::Resume { rid: A.into() });
    g.add(A, vec![]);
    assert_eq!(
        g.next_among(&[A], None, 1),
        Next::Sleep {
            until_ms: IDLE_RESUME_MS
        }
    );
    assert_eq!(
        g.next_among(&[A], None, IDLE_RESUME_MS),
        Next::Resume { rid: A.into() }
    );
}

#[test]
fn a_poll_answered_at_once_does_not_spin() {
    let mut g = Agenda::new();
    g.add(A, vec![watch(0)]);
    assert!(matches!(g.next_among(&[A], None, 0), Next::Poll { .. }));
    g.polled(A, 0);
    // Answered 10 ms after it started: resumed, but the next poll waits.
    assert_eq!(
        g.next_among(&[A], None, 10),
        Next::Sleep {
            until_ms: POLL_GUARD_MS
        }
    );
    assert_eq!(
        g.next_among(&[A], None, POLL_GUARD_MS),
        Next::Resume { rid: A.into() }
    );
    g.add(A, vec![watch(1)]);
    assert!(matches!(
        g.next_among(&[A], None, POLL_GUARD_MS),
        Next::Poll { .. }
    ));
}

#[test]
fn a_long_poll_that_waited_polls_again_at_once() {
    let mut g = Agenda::new();
    g.add(A, vec![watch(0)]);
    assert!(matches!(g.next_among(&[A], None, 0), Next::Poll { .. }));
    g.polled(A, 0);
    assert_eq!(
        g.next_among(&[A], None, 25_000),
        Next::Resume { rid: A.into() }
    );
}

#[test]
fn retries_back_off_from_one_second_doubling_to_the_cap() {
    let delays: Vec<u64> = (1..=7).map(retry_delay_ms).collect();
    assert_eq!(
        delays,
        vec![1_000, 2_000, 4_000, 8_000, 16_000, 16_000, 16_000]
    );
    assert_eq!(retry_delay_ms(u32::MAX), RETRY_CAP_MS);
}

#[test]
fn a_failed_action_goes_first_again_after_its_delay() {
    let mut g = Agenda::new();
    g.add(A, vec![unlock(1), unlock(2)]);
    let Next::Act { action, .. } = g.next_among(&[A], None, 0) else {
        panic!()
    };
    assert_eq!(g.failed(A, action, 0), (1, 1_000));
    assert!(g.retrying());
    assert_eq!(
        g.next_among(&[A], None, 500),
        Next::Sleep { until_ms: 1_000 }
    );
    assert_eq!(g.next_among(&[A], None, 1_000), act(A, unlock(1)));
    assert_eq!(g.failed(A, unlock(1), 1_000), (2, 2_000));
    assert_eq!(g.next_among(&[A], None, 3_000), act(A, unlock(1)));
    g.done(A);
    assert!(!g.retrying());
    assert_eq!(g.next_among(&[A], None, 3_000), act(A, unlock(2)));
}

#[test]
fn a_record_backing_off_does_not_hold_up_the_others() {
    let mut g = Agenda::new();
    g.add(A, vec![unlock(1)]);
    g.add(B, vec![unlock(2)]);
    assert_eq!(g.next_among(&[A, B], None, 0), act(A, unlock(1)));
    g.failed(A, unlock(1), 0);
    assert_eq!(g.next_among(&[A, B], None, 0), act(B, unlock(2)));
}

#[test]
fn a_failed_poll_waits_before_the_record_polls_again() {
    let mut g = Agenda::new();
    g.add(A, vec![watch(0)]);
    assert!(matches!(g.next_among(&[A], None, 0), Next::Poll { .. }));
    assert_eq!(g.poll_failed(A, 0), (1, 1_000));
    assert_eq!(
        g.next_among(&[A], None, 10),
        Next::Sleep { until_ms: 1_000 }
    );
    assert_eq!(
        g.next_among(&[A], None, 1_000),
        Next::Resume { rid: A.into() }
    );
}

#[test]
fn a_poll_race_lasts_until_the_next_timer_at_most_the_longest_wait() {
    let mut g = Agenda::new();
    g.add(A, vec![watch(0)]);
    let Next::Poll { until_ms, .. } = g.next_among(&[A], None, 0) else {
        panic!()
    };
    assert_eq!(until_ms, MAX_WAIT_MS);
}

#[test]
fn one_records_view_sees_only_that_record() {
    let mut g = Agenda::new();
    g.add(A, vec![unlock(1)]);
    g.add(B, vec![watch(0)]);
    let Next::Poll { polls, .. } = g.next_among(&[A, B], Some(B), 0) else {
        panic!("B's worker polls")
    };
    assert_eq!(polls, vec![(B.into(), watch(0))]);
    assert_eq!(g.next_among(&[A, B], Some(A), 0), act(A, unlock(1)));
}

#[test]
fn a_finished_record_is_idle_once_its_queue_is_empty() {
    let mut g = Agenda::new();
    g.add(A, vec![unlock(1), watch(0), timer(5)]);
    // Final now (not in `open`): its queued action is still performed,
    // its polls and timers are dropped.
    assert_eq!(g.next_among(&[], None, 0), act(A, unlock(1)));
    g.done(A);
    assert_eq!(g.next_among(&[], None, 10_000), Next::Idle);
    assert_eq!(g.next_among(&[], Some(A), 10_000), Next::Idle);
}

#[test]
fn waking_lets_an_idle_record_resume_and_a_guarded_poll_go_at_once() {
    let mut g = Agenda::new();
    assert_eq!(g.next_among(&[A], None, 0), Next::Resume { rid: A.into() });
    g.add(B, vec![watch(0)]);
    assert!(matches!(g.next_among(&[A, B], None, 0), Next::Poll { .. }));
    g.polled(B, 0);
    g.wake();
    assert_eq!(
        g.next_among(&[A, B], None, 1),
        Next::Resume { rid: A.into() }
    );
    assert_eq!(
        g.next_among(&[A, B], None, 1),
        Next::Resume { rid: B.into() }
    );
}

#[test]
fn a_relay_that_answers_again_ends_every_retry_wait() {
    let mut g = Agenda::new();
    g.add(A, vec![unlock(1)]);
    g.add(B, vec![watch(0)]);
    assert_eq!(g.next_among(&[A, B], None, 0), act(A, unlock(1)));
    g.failed(A, unlock(1), 0);
    g.failed(A, unlock(1), 1_000);
    assert!(matches!(
        g.next_among(&[A, B], None, 1_000),
        Next::Poll { .. }
    ));
    g.poll_failed(B, 1_000);
    assert!(matches!(
        g.next_among(&[A, B], None, 1_001),
        Next::Sleep { .. }
    ));
    g.retry_now();
    assert_eq!(g.next_among(&[A, B], None, 1_001), act(A, unlock(1)));
    // The count starts again: a new failure waits the first delay.
    assert_eq!(g.failed(A, unlock(1), 1_001), (1, RETRY_FIRST_MS));
}

#[test]
fn one_records_view_leaves_the_other_records_alone() {
    // A host with a worker per record asks with only that record in view
    // (`next_for`): the other records' timers and polls stay queued.
    let mut g = Agenda::new();
    g.add(A, vec![timer(10), watch(0)]);
    g.add(B, vec![unlock(2)]);
    assert_eq!(g.next_among(&[B], Some(B), 0), act(B, unlock(2)));
    g.done(B);
    assert!(matches!(
        g.next_among(&[B], Some(B), 0),
        Next::Resume { .. }
    ));
    let Next::Poll { polls, until_ms } = g.next_among(&[A], Some(A), 0) else {
        panic!("A's poll is still queued")
    };
    assert_eq!(polls, vec![(A.into(), watch(0))]);
    assert_eq!(until_ms, 10_000, "A's timer is still armed");
    assert!(matches!(
        g.next_among(&[A], Some(A), 10_000),
        Next::Feed { .. }
    ));
}

#[test]
fn a_silent_relay_is_probed_within_seconds_and_a_talking_one_rarely() {
    // Nothing asked yet: ask.
    assert!(probe_due(0, None, None));
    // Answers keep coming (a probe or anything else): only the periodic look.
    assert!(!probe_due(10_000, Some(9_000), Some(5_000)));
    assert!(!probe_due(100_000, Some(99_500), Some(0)));
    assert!(probe_due(
        CONFIG_EVERY_MS,
        Some(CONFIG_EVERY_MS - 10),
        Some(0)
    ));
    // Silent for PROBE_SILENCE_MS (a long-poll may be all that is in
    // flight): probe, but not more often than PROBE_EVERY_MS.
    assert!(probe_due(13_000, Some(10_000), Some(5_000)));
    assert!(!probe_due(12_999, Some(10_000), Some(5_000)));
    assert!(!probe_due(13_000, Some(10_000), Some(12_000)));
    assert!(probe_due(14_000, Some(10_000), Some(12_000)));
    // Failing probes: one every PROBE_EVERY_MS, so a relay that answers
    // again is seen within that.
    assert!(probe_due(30_000, None, Some(28_000)));
    assert!(!probe_due(29_999, None, Some(28_000)));
}
