//! What deserves the user's attention, decided once for every host: the
//! swap a wallet has running (for the wallet list, before unlock) and the
//! notices (a browser notification, the tab title) worth giving when a
//! coin arrives, a swap waits for the user, or a deadline is near.
//!
//! Pure: a host computes [`notices`] after every change and every second,
//! keeps the last list, and shows what [`fresh`] says is new.

use super::model::{Record, Wallet};
use crate::machine::swap::{GetState, Swap};

/// Seconds before a swap's deadline from which it counts as near (the
/// web's countdown turns `urgent` at the same point).
pub const DEADLINE_NEAR_SECS: u64 = 30;

/// A wallet's running swap, as the wallet list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwapStatus {
    pub rid: String,
    /// The relay's deadline (relay seconds), once the batch exists.
    pub deadline: Option<u64>,
    /// [`Swap::waits_on_user`]: unlocking opens this swap.
    pub waits_on_user: bool,
}

/// The unfinished swap most in need of the user: one that waits on them
/// first, then the one with the nearest deadline.
pub fn running_swap(wallet: &Wallet) -> Option<SwapStatus> {
    wallet
        .records
        .iter()
        .filter_map(|(rid, record)| match record {
            Record::Swap(swap) if !swap.phase.is_final() => Some(SwapStatus {
                rid: rid.clone(),
                deadline: swap.deadline,
                waits_on_user: swap.waits_on_user(),
            }),
            _ => None,
        })
        .min_by_key(|status| (!status.waits_on_user, status.deadline.unwrap_or(u64::MAX)))
}

/// Something worth telling the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// The other side's coin came into a swap (for the joiner: the creator
    /// used the answer).
    AnswerArrived,
    /// A coin was sent to one of this wallet's addresses.
    CoinArrived,
    /// Every check passed; the swap waits for the user's go-ahead.
    AwaitsConfirmation,
    /// A swap before commit has at most [`DEADLINE_NEAR_SECS`] left.
    DeadlineNear,
}

impl NoticeKind {
    /// A short line: the notification's title and the tab title's text.
    pub fn title(self) -> &'static str {
        match self {
            NoticeKind::AnswerArrived => "Answer arrived",
            NoticeKind::CoinArrived => "A coin arrived",
            NoticeKind::AwaitsConfirmation => "Swap waits for you",
            NoticeKind::DeadlineNear => "Swap deadline near",
        }
    }

    /// What it means and what to do, in a sentence.
    pub fn body(self) -> &'static str {
        match self {
            NoticeKind::AnswerArrived => {
                "The other side's coin is in the swap; the wallet checks it."
            }
            NoticeKind::CoinArrived => "A coin was sent to you; the wallet checks and receives it.",
            NoticeKind::AwaitsConfirmation => {
                "Every check passed: confirm to unlock, or abort the swap."
            }
            NoticeKind::DeadlineNear => {
                "Less than 30 seconds are left; if the swap does not commit, your coins come back."
            }
        }
    }
}

/// One notice about one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub rid: String,
    pub kind: NoticeKind,
}

/// Everything that deserves a notice in `wallet` at relay time `now`
/// (seconds). A host gives only those [`fresh`] against the last list.
pub fn notices(wallet: &Wallet, now: u64) -> Vec<Notice> {
    let mut out = Vec::new();
    for (rid, record) in &wallet.records {
        let mut add = |kind| {
            out.push(Notice {
                rid: rid.clone(),
                kind,
            })
        };
        match record {
            Record::Receive(_) => add(NoticeKind::CoinArrived),
            Record::Swap(swap) => {
                if their_coin_arrived(swap) {
                    add(NoticeKind::AnswerArrived);
                }
                if swap.awaits_confirmation() {
                    add(NoticeKind::AwaitsConfirmation);
                }
                if deadline_near(swap, now) {
                    add(NoticeKind::DeadlineNear);
                }
            }
            Record::Send(_) => {}
        }
    }
    out
}

fn their_coin_arrived(swap: &Swap) -> bool {
    swap.gets
        .iter()
        .any(|g| !matches!(g.state, GetState::Awaiting | GetState::Forgone))
}

fn deadline_near(swap: &Swap, now: u64) -> bool {
    swap.phase.before_commit()
        && !swap.abort_requested
        && swap
            .deadline
            .is_some_and(|d| d >= now && d - now <= DEADLINE_NEAR_SECS)
}

/// The notices in `now` that were not in `seen` (the list computed last).
pub fn fresh(seen: &[Notice], now: &[Notice]) -> Vec<Notice> {
    now.iter()
        .filter(|notice| !seen.contains(notice))
        .cloned()
        .collect()
}

/// The page's own title (`index.html`'s).
pub const APP_TITLE: &str = "Lockstep wallet";

/// The tab's title: the app's name, led by the count of notices the user
/// has not looked at yet and the latest one ("(1) Answer arrived ·
/// Lockstep wallet").
pub fn tab_title(unseen: usize, latest: Option<NoticeKind>) -> String {
    match latest {
        Some(kind) if unseen > 0 => format!("({unseen}) {} · {APP_TITLE}", kind.title()),
        _ => APP_TITLE.to_string(),
    }
}
