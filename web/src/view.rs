//! What the page shows. The submodules draw it, one file per screen (Yew
//! `html!`, as methods of `App`); this file is the display logic they share,
//! computed from wallet-core values without any browser API: amounts, coin
//! states, swap lines (the money view's words: `money_text`). Pure, so it is unit-tested natively
//! and in the browser.

mod coins;
mod field_tools;
mod frame;
mod history;
pub mod money_text;
mod onboarding;
mod password;
mod settings;
mod swap;
mod wallet;
pub mod widgets;

use crate::clock::{Countdown, swap_countdown};
use wallet_core::Id;
use wallet_core::machine::receive::ReceivePhase;
use wallet_core::machine::send::SendPhase;
use wallet_core::wallet::{Record, Wallet, send_rid};

/// The invite code in a page address's fragment (`#join=lsi1…`).
pub fn invite_from_hash(hash: &str) -> Option<String> {
    let code = hash
        .strip_prefix('#')
        .unwrap_or(hash)
        .strip_prefix("join=")?;
    let code = code.trim();
    (code.starts_with("lsi1") && code.len() < 5_000).then(|| code.to_string())
}

/// `12 345 sat`.
pub fn sats(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(ch);
    }
    format!("{out} sat")
}

/// The review line before a join or a send: "You give X · You get Y".
pub fn review_line(give: u64, get: u64) -> String {
    format!("You give {} · You get {}", sats(give), sats(get))
}

/// A warning when a swap gives much more than it gets (over one and a
/// half times as much), saying by how much; `None` otherwise.
pub fn overpay_warning(give: u64, get: u64) -> Option<String> {
    (u128::from(give) * 2 > u128::from(get) * 3).then(|| {
        format!(
            "Check the amounts: you give {} more than you get.",
            sats(give - get)
        )
    })
}

/// The one line a folded list of §7 checks shows ("16 of 16 checks
/// passed"), and whether the list starts unfolded: it does when something
/// failed, so a refusal is never hidden behind a click.
pub fn checks_summary(report: &wallet_core::verify::Report) -> (String, bool) {
    let total = report.checks.len();
    let passed = report.checks.iter().filter(|check| check.passed).count();
    let failed = report
        .checks
        .iter()
        .filter(|check| check.ran && !check.passed)
        .count();
    let skipped = total - passed - failed;
    let mut text = format!("{passed} of {total} checks passed");
    if failed > 0 {
        text = format!(
            "{failed} check{} failed · {text}",
            if failed == 1 { "" } else { "s" }
        );
    }
    if skipped > 0 {
        text.push_str(&format!(" · {skipped} not run"));
    }
    if report.equivocation.is_some() {
        text.push_str(" · relay misbehaviour");
    }
    (text, failed > 0 || report.equivocation.is_some())
}

/// The first 8 characters of an id, for lists.
pub fn short_id(id: &Id) -> String {
    id.to_string().chars().take(8).collect()
}

/// A coin's line in the coin list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoinView {
    pub id: Id,
    pub amount: u64,
    /// `available`, `offered`, `sending`, `swap`, `gone` (moved on at the
    /// relay since an imported backup: not this wallet's any more).
    pub state: &'static str,
    /// The sentence shown beside it.
    pub label: String,
    /// For a coin locked in a swap: its record and countdown.
    pub swap: Option<(String, Countdown)>,
}

/// The coin list, in the wallet's order, with each coin's state.
pub fn coin_views(w: &Wallet, relay_now: u64) -> Vec<CoinView> {
    let locked = w.locked();
    let available: Vec<Id> = w.available().iter().map(|c| c.statechain_id).collect();
    w.coins
        .values()
        .map(|c| {
            let id = c.statechain_id;
            let (state, label, swap) = match locked.get(&id) {
                Some(rid) => match w.records.get(rid) {
                    Some(Record::Swap(s)) => {
                        let cd = swap_countdown(s, relay_now);
                        let label = format!("in a swap: {}", s.phase.label());
                        ("swap", label, Some((rid.clone(), cd)))
                    }
                    _ => ("sending", "being sent".to_string(), None),
                },
                None if available.contains(&id) => {
                    // A send of this coin that failed says so, here.
                    let label = match w.records.get(&send_rid(&id, c.seq)) {
                        Some(Record::Send(s)) => match &s.phase {
                            SendPhase::Failed { code } => money_text::send_failed_label(*code),
                            _ => "available".to_string(),
                        },
                        _ => "available".to_string(),
                    };
                    ("available", label, None)
                }
                None => ("offered", "offered in an invite".to_string(), None),
            };
            CoinView {
                id,
                amount: c.amount,
                state,
                label,
                swap,
            }
        })
        .chain(w.gone.values().map(|g| CoinView {
            id: g.coin.statechain_id,
            amount: g.coin.amount,
            state: "gone",
            label: g.reason.sentence().to_string(),
            swap: None,
        }))
        .collect()
}

/// A plain transfer's state in words.
pub fn record_summary(r: &Record) -> (String, &'static str) {
    match r {
        Record::Send(s) => match &s.phase {
            SendPhase::Registering | SendPhase::Uploading { .. } => {
                (format!("Sending {}", sats(s.coin.amount)), "busy")
            }
            SendPhase::Sent => (format!("Sent {}", sats(s.coin.amount)), "done"),
            SendPhase::Failed { code } => {
                (format!("Send failed: {}", code.user_message()), "failed")
            }
        },
        Record::Receive(r) => match &r.phase {
            ReceivePhase::Receiving { msg, .. } => {
                (format!("Receiving {}", sats(msg.amount)), "busy")
            }
            ReceivePhase::Received { coin, .. } => {
                (format!("Received {}", sats(coin.amount)), "done")
            }
            ReceivePhase::Rejected { report } => (
                format!(
                    "Incoming coin rejected: {}",
                    report
                        .failures()
                        .first()
                        .map(|c| c.detail.as_str())
                        .unwrap_or("a check failed")
                ),
                "failed",
            ),
            ReceivePhase::Failed { code, .. } => {
                (format!("Receive failed: {}", code.user_message()), "failed")
            }
        },
        Record::Swap(s) => (format!("Swap: {}", s.phase.label()), "busy"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wallet_core::address::Network;
    use wallet_core::entropy::{Entropy, SeededEntropy};
    use wallet_core::keys::{Mnemonic, WalletKeys};
    use wallet_core::testkit::held_coin;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn amounts() {
        assert_eq!(sats(0), "0 sat");
        assert_eq!(sats(999), "999 sat");
        assert_eq!(sats(5_000), "5\u{202f}000 sat");
        assert_eq!(sats(100_000_000), "100\u{202f}000\u{202f}000 sat");
    }

    #[test]
    fn coin_states_follow_the_wallet() {
        let mut rng = SeededEntropy::new(9);
        let keys = WalletKeys::from_mnemonic(&Mnemonic::from_entropy(rng.bytes()));
        let mut w = Wallet::new("t", Network::Demo);
        let a = held_coin(&mut w, &keys, &mut rng, 5_000);
        let b = held_coin(&mut w, &keys, &mut rng, 7_000);
        let views = coin_views(&w, 0);
        assert!(views.iter().all(|v| v.state == "available"));
        let batch = rng.uuid_v4();
        w.create_invite(&keys, &[a.statechain_id], 1, batch, 100, 0)
            .unwrap();
        let views = coin_views(&w, 0);
        let va = views.iter().find(|v| v.id == a.statechain_id).unwrap();
        assert_eq!(va.state, "offered");
        let to = w.new_address(&keys, 0).unwrap();
        w.start_send(&b.statechain_id, to, 0).unwrap();
        let views = coin_views(&w, 0);
        let vb = views.iter().find(|v| v.id == b.statechain_id).unwrap();
        assert_eq!(vb.state, "sending");
    }

    #[test]
    fn a_failed_send_and_a_gone_coin_say_what_happened() {
        use wallet_core::ErrorCode;
        use wallet_core::wallet::resync::GoneReason;
        let mut rng = SeededEntropy::new(10);
        let keys = WalletKeys::from_mnemonic(&Mnemonic::from_entropy(rng.bytes()));
        let mut w = Wallet::new("t", Network::Demo);
        let (a, b) = (
            held_coin(&mut w, &keys, &mut rng, 5_000),
            held_coin(&mut w, &keys, &mut rng, 7_000),
        );
        let to = w.new_address(&keys, 0).unwrap();
        let (rid, _) = w.start_send(&a.statechain_id, to, 0).unwrap();
        if let Some(Record::Send(s)) = w.records.get_mut(&rid) {
            s.phase = SendPhase::Failed {
                code: ErrorCode::BadSignature,
            };
        }
        w.mark_gone(&b.statechain_id, GoneReason::MovedOn, 0);
        let views = coin_views(&w, 0);
        let va = views.iter().find(|v| v.id == a.statechain_id).unwrap();
        assert_eq!(va.state, "available");
        assert_eq!(va.label, "send failed: the relay refused it — still yours");
        let vb = views.iter().find(|v| v.id == b.statechain_id).unwrap();
        assert_eq!(vb.state, "gone");
        assert!(
            vb.label.starts_with("spent since this backup"),
            "{}",
            vb.label
        );
        assert_eq!(w.balance_split().available, 5_000);
    }

    #[test]
    fn invite_links() {
        assert_eq!(invite_from_hash("#join=lsi1abc"), Some("lsi1abc".into()));
        assert_eq!(invite_from_hash("join=lsi1abc"), Some("lsi1abc".into()));
        assert_eq!(invite_from_hash("#join=lsj1abc"), None);
        assert_eq!(invite_from_hash(""), None);
        assert_eq!(invite_from_hash("#other"), None);
    }

    #[test]
    fn review_line_and_overpay_warning() {
        assert_eq!(
            review_line(8_000, 10_000),
            "You give 8\u{202f}000 sat · You get 10\u{202f}000 sat"
        );
        assert_eq!(
            review_line(8_000, 0),
            "You give 8\u{202f}000 sat · You get 0 sat"
        );
        // Up to one and a half times what you get: no warning.
        assert_eq!(overpay_warning(8_000, 10_000), None);
        assert_eq!(overpay_warning(15_000, 10_000), None);
        assert_eq!(
            overpay_warning(15_001, 10_000).as_deref(),
            Some("Check the amounts: you give 5\u{202f}001 sat more than you get.")
        );
        assert_eq!(
            overpay_warning(8_000, 1_000).as_deref(),
            Some("Check the amounts: you give 7\u{202f}000 sat more than you get.")
        );
        assert_eq!(
            overpay_warning(17_000, 1).as_deref(),
            Some("Check the amounts: you give 16\u{202f}999 sat more than you get.")
        );
        assert!(overpay_warning(u64::MAX, u64::MAX / 2).is_some());
        assert_eq!(overpay_warning(u64::MAX, u64::MAX), None);
    }

    #[test]
    fn checks_fold_into_one_line_and_unfold_when_one_failed() {
        use wallet_core::verify::{Check, CheckId, Report};
        let check = |id, passed, ran| Check {
            id,
            passed,
            ran,
            detail: String::new(),
        };
        let mut report = Report {
            checks: vec![
                check(CheckId::ChainValid, true, true),
                check(CheckId::NoEquivocation, true, true),
                check(CheckId::DeadlineAhead, true, true),
            ],
            equivocation: None,
            verified_prefix: None,
            signatures_checked: 0,
        };
        assert_eq!(
            checks_summary(&report),
            ("3 of 3 checks passed".to_string(), false)
        );
        report.checks[2] = check(CheckId::DeadlineAhead, false, false);
        assert_eq!(
            checks_summary(&report),
            ("2 of 3 checks passed · 1 not run".to_string(), false)
        );
        report.checks[1] = check(CheckId::NoEquivocation, false, true);
        assert_eq!(
            checks_summary(&report),
            (
                "1 check failed · 1 of 3 checks passed · 1 not run".to_string(),
                true
            )
        );
    }
}
