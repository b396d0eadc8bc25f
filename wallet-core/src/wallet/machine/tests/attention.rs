//! `wallet::attention`: which swap the wallet list shows, and which
//! notices a host gives, over swaps driven through the machine as above.

use super::*;
use crate::wallet::Wallet;
use crate::wallet::attention::{
    APP_TITLE, Notice, NoticeKind, SwapStatus, fresh, notices, running_swap, tab_title,
};
use crate::wallet::model::Record;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn wallet_with(swaps: Vec<(&str, Swap)>) -> Wallet {
    let mut w = Wallet::new("w", Network::Demo);
    for (rid, s) in swaps {
        w.records.insert(rid.into(), Record::Swap(Box::new(s)));
    }
    w
}

fn kinds(w: &Wallet, now: u64) -> Vec<NoticeKind> {
    notices(w, now).into_iter().map(|n| n.kind).collect()
}

#[test]
fn the_joiner_waits_on_the_user_until_the_other_side_comes_in() {
    let f = fixture();
    let mut s = joined(&f, false);
    assert!(
        !s.waits_on_user(),
        "the creator's side has no answer to send"
    );
    s.answer = Some("lsj1answer".into());
    assert!(s.waits_on_user());
    assert_eq!(s.answer_to_share(), Some("lsj1answer"));
    let s = checked(&f, s);
    assert!(!s.waits_on_user(), "their coin came: the answer arrived");
    assert_eq!(
        s.answer_to_share(),
        Some("lsj1answer"),
        "still before commit"
    );
    let (s, _) = unlocked(&f, s, BatchState::Committed);
    assert_eq!(
        s.answer_to_share(),
        None,
        "committed: the answer is of no use"
    );
}

#[test]
fn an_aborted_swap_no_longer_shares_its_answer() {
    let f = fixture();
    let mut s = joined(&f, false);
    s.answer = Some("lsj1answer".into());
    let (s, _) = feed(s, Event::UserAbort, T0 + 1);
    assert_eq!(s.answer_to_share(), None);
    assert!(!s.waits_on_user());
}

#[test]
fn the_wallet_list_shows_the_swap_that_waits_on_the_user_first() {
    let f = fixture();
    let plain = joined(&f, false);
    let mut waiting = joined(&f, true);
    waiting.deadline = Some(DEADLINE + 500);
    let waiting = checked(&f, waiting);
    assert!(waiting.awaits_confirmation());
    let w = wallet_with(vec![("swap:a", plain), ("swap:b", waiting)]);
    assert_eq!(
        running_swap(&w),
        Some(SwapStatus {
            rid: "swap:b".into(),
            deadline: Some(DEADLINE + 500),
            waits_on_user: true,
        })
    );
}

#[test]
fn the_wallet_list_shows_the_nearest_deadline_and_no_finished_swap() {
    let f = fixture();
    let mut later = joined(&f, false);
    later.deadline = Some(DEADLINE + 60);
    let sooner = joined(&f, false);
    let (done, _) = unlocked(&f, checked(&f, joined(&f, false)), BatchState::Committed);
    let (done, _) = feed(
        done,
        Event::Received {
            coin: f.theirs,
            receipt: receipt(&f, f.theirs, 1),
        },
        T0 + 8,
    );
    assert!(done.phase.is_final());
    let w = wallet_with(vec![
        ("swap:a", later),
        ("swap:b", sooner),
        ("swap:c", done.clone()),
    ]);
    let status = running_swap(&w).unwrap();
    assert_eq!(
        (status.rid.as_str(), status.deadline),
        ("swap:b", Some(DEADLINE))
    );
    assert!(!status.waits_on_user);
    assert_eq!(running_swap(&wallet_with(vec![("swap:c", done)])), None);
    assert_eq!(running_swap(&wallet_with(vec![])), None);
}

#[test]
fn their_coin_arriving_is_a_notice_once() {
    let f = fixture();
    let before = wallet_with(vec![("swap:a", joined(&f, false))]);
    let seen = notices(&before, T0 + 1);
    assert!(seen.is_empty(), "nothing came in yet");
    let after = wallet_with(vec![("swap:a", checked(&f, joined(&f, false)))]);
    let now = notices(&after, T0 + 5);
    assert_eq!(
        fresh(&seen, &now),
        vec![Notice {
            rid: "swap:a".into(),
            kind: NoticeKind::AnswerArrived
        }]
    );
    assert!(
        fresh(&now, &notices(&after, T0 + 6)).is_empty(),
        "told once"
    );
}

#[test]
fn a_swap_waiting_for_confirmation_is_a_notice() {
    let f = fixture();
    let w = wallet_with(vec![("swap:a", checked(&f, joined(&f, true)))]);
    assert_eq!(
        kinds(&w, T0 + 5),
        vec![NoticeKind::AnswerArrived, NoticeKind::AwaitsConfirmation]
    );
    let (confirmed, _) = feed(checked(&f, joined(&f, true)), Event::UserConfirm, T0 + 6);
    let w = wallet_with(vec![("swap:a", confirmed)]);
    assert_eq!(kinds(&w, T0 + 6), vec![NoticeKind::AnswerArrived]);
}

#[test]
fn a_deadline_is_near_from_thirty_seconds_before_it_until_it_passes() {
    let f = fixture();
    let w = wallet_with(vec![("swap:a", joined(&f, false))]);
    assert!(kinds(&w, DEADLINE - 31).is_empty());
    assert_eq!(kinds(&w, DEADLINE - 30), vec![NoticeKind::DeadlineNear]);
    assert_eq!(kinds(&w, DEADLINE), vec![NoticeKind::DeadlineNear]);
    assert!(
        kinds(&w, DEADLINE + 1).is_empty(),
        "passed: the swap backs out"
    );
    let (aborting, _) = feed(joined(&f, false), Event::UserAbort, T0 + 1);
    let w = wallet_with(vec![("swap:a", aborting)]);
    assert!(
        kinds(&w, DEADLINE - 10).is_empty(),
        "an abort asked: nothing to rush"
    );
}

#[test]
fn a_deadline_after_commit_is_no_notice() {
    let f = fixture();
    let (s, _) = unlocked(&f, checked(&f, joined(&f, false)), BatchState::Committed);
    let w = wallet_with(vec![("swap:a", s)]);
    assert_eq!(kinds(&w, DEADLINE - 5), vec![NoticeKind::AnswerArrived]);
}

#[test]
fn the_tab_title_counts_what_the_user_has_not_seen() {
    assert_eq!(tab_title(0, None), APP_TITLE);
    assert_eq!(tab_title(0, Some(NoticeKind::CoinArrived)), APP_TITLE);
    assert_eq!(
        tab_title(1, Some(NoticeKind::AnswerArrived)),
        "(1) Answer arrived · Lockstep wallet"
    );
    assert_eq!(
        tab_title(3, Some(NoticeKind::DeadlineNear)),
        "(3) Swap deadline near · Lockstep wallet"
    );
}
