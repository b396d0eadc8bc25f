//! The money view's words, pure: the balance split line, a coin's state
//! after a failed send, history items as sentences with their date and
//! time. No jargon reaches the history: it speaks of deposits, sending,
//! receiving and swaps, never of the protocol's internals.

use super::sats;
use wallet_core::ErrorCode;
use wallet_core::wallet::history_items::{HistoryItem, ItemKind};
use wallet_core::wallet::money::BalanceSplit;

/// "12 000 sat available · 5 000 sat locked in a swap": the available part
/// always, the others only when there is something in them.
pub fn balance_line(split: &BalanceSplit) -> String {
    let mut parts = vec![format!("{} available", sats(split.available))];
    if split.in_swaps > 0 {
        parts.push(format!("{} locked in a swap", sats(split.in_swaps)));
    }
    if split.offered > 0 {
        parts.push(format!("{} offered in an invite", sats(split.offered)));
    }
    if split.sending > 0 {
        parts.push(format!("{} being sent", sats(split.sending)));
    }
    parts.join(" · ")
}

/// A coin's state after its send failed: what happened, and that the coin
/// is still this wallet's.
pub fn send_failed_label(code: ErrorCode) -> String {
    let why = match code {
        ErrorCode::RateLimited | ErrorCode::Unavailable | ErrorCode::Internal => {
            "the relay could not take it now"
        }
        ErrorCode::Withdrawn | ErrorCode::NotFound => "the relay no longer has this coin",
        ErrorCode::CoinLocked => "the coin is tied up in a swap at the relay",
        _ => "the relay refused it",
    };
    format!("send failed: {why} — still yours")
}

/// The data-kind of a history item: `deposit`, `sent`, `received`, `swap`,
/// and `recovered` for a swap called off whose coins came back.
pub fn item_kind(item: &HistoryItem) -> &'static str {
    if item.kind == ItemKind::Swap && item.gave == 0 && item.got == 0 {
        "recovered"
    } else {
        item.kind.as_str()
    }
}

/// A history item as one sentence.
pub fn history_text(item: &HistoryItem) -> String {
    match item.kind {
        ItemKind::Deposit => format!("Demo coins: you got {}", sats(item.got)),
        ItemKind::Sent => format!("You sent {}", sats(item.gave)),
        ItemKind::Received => format!("You received {}", sats(item.got)),
        ItemKind::Swap if item.gave == 0 && item.got == 0 => {
            format!("Swap called off: your {} came back", sats(item.came_back))
        }
        ItemKind::Swap if item.got == 0 => format!(
            "Swap: you gave {}, what you get is on its way",
            sats(item.gave)
        ),
        ItemKind::Swap => format!(
            "Swap: you gave {}, you got {}",
            sats(item.gave),
            sats(item.got)
        ),
    }
}

/// `2026-12-03 15:44`: a Unix time in seconds shown at an offset east of
/// UTC in minutes (the browser's time zone; a pure input here).
pub fn date_time(unix_secs: u64, offset_minutes: i64) -> String {
    let local = unix_secs as i64 + offset_minutes * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        secs / 3_600,
        (secs % 3_600) / 60
    )
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn item(kind: ItemKind, gave: u64, got: u64, came_back: u64) -> HistoryItem {
        HistoryItem {
            kind,
            time: 0,
            gave,
            got,
            came_back,
            entries: vec![0],
        }
    }

    #[test]
    fn the_balance_line_names_available_and_locked_money() {
        let split = BalanceSplit {
            available: 12_000,
            in_swaps: 5_000,
            offered: 0,
            sending: 0,
        };
        assert_eq!(
            balance_line(&split),
            "12\u{202f}000 sat available · 5\u{202f}000 sat locked in a swap"
        );
        assert_eq!(balance_line(&BalanceSplit::default()), "0 sat available");
        let all = BalanceSplit {
            available: 1,
            in_swaps: 2,
            offered: 3,
            sending: 4,
        };
        assert_eq!(
            balance_line(&all),
            "1 sat available · 2 sat locked in a swap · 3 sat offered in an invite · 4 sat being sent"
        );
    }

    #[test]
    fn a_failed_send_says_the_coin_is_still_yours() {
        assert_eq!(
            send_failed_label(ErrorCode::BadSignature),
            "send failed: the relay refused it — still yours"
        );
        for code in ErrorCode::ALL {
            assert!(send_failed_label(code).ends_with("still yours"));
        }
    }

    #[test]
    fn history_items_read_as_sentences_without_jargon() {
        let cases = [
            (
                item(ItemKind::Deposit, 0, 10_000, 0),
                "Demo coins: you got 10\u{202f}000 sat",
                "deposit",
            ),
            (item(ItemKind::Sent, 500, 0, 0), "You sent 500 sat", "sent"),
            (
                item(ItemKind::Received, 0, 900, 0),
                "You received 900 sat",
                "received",
            ),
            (
                item(ItemKind::Swap, 10_000, 8_000, 0),
                "Swap: you gave 10\u{202f}000 sat, you got 8\u{202f}000 sat",
                "swap",
            ),
            (
                item(ItemKind::Swap, 10_000, 0, 0),
                "Swap: you gave 10\u{202f}000 sat, what you get is on its way",
                "swap",
            ),
            (
                item(ItemKind::Swap, 0, 0, 7_000),
                "Swap called off: your 7\u{202f}000 sat came back",
                "recovered",
            ),
        ];
        for (item, text, kind) in cases {
            let shown = history_text(&item);
            assert_eq!(shown, text);
            assert_eq!(item_kind(&item), kind);
            let lower = shown.to_lowercase();
            for jargon in [
                "batch",
                "descriptor",
                "statechain",
                "seq",
                "commit",
                "backout",
                "backed out",
            ] {
                assert!(!lower.contains(jargon), "{shown:?} says {jargon}");
            }
        }
    }

    #[test]
    fn dates_and_times_in_the_given_time_zone() {
        assert_eq!(date_time(0, 0), "1970-01-01 00:00");
        // 2026-12-03 15:44:09 UTC.
        assert_eq!(date_time(1_796_312_649, 0), "2026-12-03 15:44");
        assert_eq!(date_time(1_796_312_649, 60), "2026-12-03 16:44");
        assert_eq!(date_time(1_796_312_649, -16 * 60), "2026-12-02 23:44");
        // A leap day.
        assert_eq!(date_time(951_782_400, 0), "2000-02-29 00:00");
    }
}
