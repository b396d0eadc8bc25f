//! The relay's clock as this page sees it, and how deadlines are shown.
//!
//! Every time the wallet uses (request timestamps, deadlines, the
//! countdown) is the relay's: the device clock plus an offset measured from
//! `/info/config`'s `server_time`. Pure, so it is tested natively and in
//! the browser alike.

use wallet_core::machine::swap::{Swap, SwapPhase};
use wallet_core::wallet::attention::SwapStatus;

/// Device clock → relay clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RelayClock {
    /// Relay time minus device time, in milliseconds.
    pub offset_ms: i64,
}

impl RelayClock {
    /// The offset from one `/info/config` answer: `server_time` (whole
    /// seconds) was read somewhere between `sent_ms` and `received_ms`
    /// (device clock, ms). The midpoint is the best estimate; the relay's
    /// truncation to whole seconds is half a second on average.
    pub fn measure(server_time: u64, sent_ms: f64, received_ms: f64) -> RelayClock {
        let midpoint = (sent_ms + received_ms) / 2.0;
        let server_ms = server_time as f64 * 1000.0 + 500.0;
        RelayClock {
            offset_ms: (server_ms - midpoint).round() as i64,
        }
    }

    /// Relay time in milliseconds for device time `device_ms`.
    pub fn relay_ms(&self, device_ms: f64) -> f64 {
        device_ms + self.offset_ms as f64
    }

    /// Relay time in whole Unix seconds for device time `device_ms`.
    pub fn now_secs(&self, device_ms: f64) -> u64 {
        let ms = self.relay_ms(device_ms);
        if ms <= 0.0 { 0 } else { (ms / 1000.0) as u64 }
    }

    /// Device milliseconds until relay time `at` (seconds); 0 if past.
    pub fn ms_until(&self, at: u64, device_ms: f64) -> f64 {
        (at as f64 * 1000.0 - self.relay_ms(device_ms)).max(0.0)
    }

    /// A sentence about a large offset, for the status area.
    pub fn skew_note(&self) -> Option<String> {
        let secs = self.offset_ms.abs() / 1000;
        (secs >= 30).then(|| {
            let dir = if self.offset_ms > 0 {
                "behind"
            } else {
                "ahead of"
            };
            format!(
                "This device's clock is {} {dir} the relay's; the wallet uses the relay's clock.",
                format_duration(secs as u64)
            )
        })
    }
}

/// `m:ss` below an hour, `h:mm:ss` above.
pub fn format_countdown(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// "45 seconds", "2 minutes", "1 hour 5 minutes".
pub fn format_duration(secs: u64) -> String {
    fn unit(n: u64, one: &str) -> String {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    }
    if secs < 60 {
        unit(secs, "second")
    } else if secs < 3600 {
        unit(secs / 60, "minute")
    } else {
        let (h, m) = (secs / 3600, (secs % 3600) / 60);
        if m == 0 {
            unit(h, "hour")
        } else {
            format!("{} {}", unit(h, "hour"), unit(m, "minute"))
        }
    }
}

/// What the countdown of a swap shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Countdown {
    /// The text shown (`1:59`, `committed`, …).
    pub text: String,
    /// A stable word for styling and tests: `running`, `urgent`, `waiting`,
    /// `checking`, `committed`, `aborted`, `recovering`.
    pub state: &'static str,
}

/// The countdown for a swap at relay time `relay_now` (seconds).
pub fn swap_countdown(swap: &Swap, relay_now: u64) -> Countdown {
    let fixed = |text: &str, state: &'static str| Countdown {
        text: text.into(),
        state,
    };
    match swap.phase {
        SwapPhase::Committed | SwapPhase::Completed => fixed("committed", "committed"),
        SwapPhase::BackingOut => fixed("recovering", "recovering"),
        SwapPhase::BackedOut => fixed("aborted", "aborted"),
        _ if swap.abort_requested => fixed("aborting", "recovering"),
        _ => match swap.deadline {
            None => fixed("not started", "waiting"),
            Some(d) if relay_now > d => fixed("0:00", "checking"),
            Some(d) => {
                let left = d - relay_now;
                Countdown {
                    text: format_countdown(left),
                    state: if left <= 30 { "urgent" } else { "running" },
                }
            }
        },
    }
}

/// The wallet list's line for a wallet's running swap: "swap in progress ·
/// 0:43" (the countdown to its deadline on the relay's clock), "swap waits
/// for you · …" when it does.
pub fn swap_status_line(status: &SwapStatus, relay_now: u64) -> String {
    let what = if status.waits_on_user {
        "swap waits for you"
    } else {
        "swap in progress"
    };
    match status.deadline {
        Some(deadline) => format!(
            "{what} · {}",
            format_countdown(deadline.saturating_sub(relay_now))
        ),
        None => what.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_wallet_list_counts_down_to_the_swap_deadline() {
        let status = |deadline, waits_on_user| SwapStatus {
            rid: "swap:x".into(),
            deadline,
            waits_on_user,
        };
        assert_eq!(
            swap_status_line(&status(Some(1_043), false), 1_000),
            "swap in progress · 0:43"
        );
        assert_eq!(
            swap_status_line(&status(Some(1_000), true), 1_005),
            "swap waits for you · 0:00"
        );
        assert_eq!(
            swap_status_line(&status(None, false), 1_000),
            "swap in progress"
        );
    }

    #[test]
    fn offset_from_server_time() {
        // Device at 1000.0 s, relay said 1100 in a 200 ms round trip.
        let c = RelayClock::measure(1_100, 1_000_000.0, 1_000_200.0);
        assert_eq!(c.offset_ms, 100_400);
        assert_eq!(c.now_secs(1_000_200.0), 1_100);
        assert_eq!(c.now_secs(1_010_000.0), 1_110);
        // A device ahead of the relay: negative offset.
        let c = RelayClock::measure(1_000, 1_060_000.0, 1_060_000.0);
        assert_eq!(c.offset_ms, -59_500);
        assert_eq!(c.now_secs(1_060_000.0), 1_000);
        assert_eq!(c.ms_until(1_010, 1_060_000.0), 9_500.0);
        assert_eq!(c.ms_until(900, 1_060_000.0), 0.0);
    }

    #[test]
    fn skew_is_mentioned_only_when_large() {
        assert_eq!(RelayClock { offset_ms: 5_000 }.skew_note(), None);
        let note = RelayClock {
            offset_ms: -125_000,
        }
        .skew_note()
        .unwrap();
        assert!(note.contains("2 minutes ahead of"), "{note}");
    }

    #[test]
    fn countdown_formatting() {
        assert_eq!(format_countdown(0), "0:00");
        assert_eq!(format_countdown(5), "0:05");
        assert_eq!(format_countdown(65), "1:05");
        assert_eq!(format_countdown(120), "2:00");
        assert_eq!(format_countdown(3599), "59:59");
        assert_eq!(format_countdown(3600), "1:00:00");
        assert_eq!(format_countdown(3725), "1:02:05");
        assert_eq!(format_duration(1), "1 second");
        assert_eq!(format_duration(59), "59 seconds");
        assert_eq!(format_duration(61), "1 minute");
        assert_eq!(format_duration(7260), "2 hours 1 minute");
        assert_eq!(format_duration(3600), "1 hour");
    }
}
