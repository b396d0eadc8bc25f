//! The first load of the wallet, as served: what goes over the wire and how
//! long a new visitor waits for the welcome screen, on the loopback link
//! and on an emulated slow one (Chrome DevTools network emulation through
//! chromedriver). Figures: README "Web wallet: first load".
//!
//! `cargo test -p e2e --test first_load -- --nocapture` after
//! `bash scripts/build-web.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{Page, run};
use serde_json::json;
use std::time::Duration;

/// The target for wasm + JS + CSS + the page, as served (bytes):
/// not met yet (README "Size" says by how much); the test prints the gap.
const FIRST_LOAD_TARGET: u64 = 300_000;
/// What the first load may not grow past meanwhile: the size measured after
/// the sorted-list maps, ASCII-only text handling and compact hashes (about
/// 318 KB with headers), plus a little room. A change that crosses it must
/// win the bytes back elsewhere, or move this line with a reason in its
/// commit.
const FIRST_LOAD_CEILING: u64 = 325_000;

/// The slow link: 1.6 Mbit/s down, 750 kbit/s up, 150 ms round trip
/// (DevTools' "Fast 3G" shape).
const SLOW_DOWN_BYTES_PER_S: f64 = 1_600_000.0 / 8.0;
const SLOW_UP_BYTES_PER_S: f64 = 750_000.0 / 8.0;
const SLOW_RTT_MS: f64 = 150.0;

/// Records (in the page, before any of its own scripts run) the time since
/// navigation at which the welcome screen's heading first appears.
const WELCOME_WATCH: &str = "
    new MutationObserver((_, observer) => {
        const h = document.querySelector('h1');
        if (h && h.textContent.trim() === 'Your wallets') {
            window.__welcomeAt = performance.now();
            observer.disconnect();
        }
    }).observe(document, { childList: true, subtree: true });";

struct Load {
    /// The page's own files (html, js, wasm, css): path, bytes over the wire.
    files: Vec<(String, u64)>,
    welcome_ms: f64,
}

impl Load {
    fn bytes(&self) -> u64 {
        self.files.iter().map(|(_, b)| b).sum()
    }
}

/// A cold first load (fresh profile, empty cache) in `page`.
async fn first_load(page: &Page) -> Load {
    page.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": WELCOME_WATCH }),
    )
    .await;
    page.open().await;
    let welcome_ms = page
        .wait("the welcome screen", Duration::from_secs(60), || async {
            page.js("return window.__welcomeAt ?? null", vec![])
                .await
                .as_f64()
        })
        .await;
    // transferSize: body as encoded plus the response headers.
    let files = page
        .js(
            "const e = [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')];
             return e.filter(r => r.entryType === 'navigation' || /\\.(js|wasm|css|html)$/.test(new URL(r.name).pathname))
                     .map(r => [new URL(r.name).pathname, r.transferSize]);",
            vec![],
        )
        .await;
    Load {
        files: serde_json::from_value(files).unwrap(),
        welcome_ms,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_load_stays_under_its_ceiling_and_reaches_the_welcome_screen_on_a_slow_link() {
    run("first_load", 120, |s| async move {
        let fast = first_load(&s.session("unthrottled").await).await;

        let slow_page = s.session("throttled").await;
        slow_page.cdp("Network.enable", json!({})).await;
        slow_page
            .cdp(
                "Network.emulateNetworkConditions",
                json!({
                    "offline": false,
                    "latency": SLOW_RTT_MS,
                    "downloadThroughput": SLOW_DOWN_BYTES_PER_S,
                    "uploadThroughput": SLOW_UP_BYTES_PER_S,
                }),
            )
            .await;
        let slow = first_load(&slow_page).await;

        for (name, load) in [("unthrottled", &fast), ("1.6 Mbit/s, 150 ms RTT", &slow)] {
            eprintln!(
                "first load, {name}: {} bytes over the wire {:?}; welcome screen after {:.0} ms",
                load.bytes(),
                load.files,
                load.welcome_ms
            );
        }
        for ext in ["js", "wasm", "css"] {
            assert!(
                fast.files.iter().any(|(p, _)| p.ends_with(ext)),
                "no .{ext} in {:?}",
                fast.files
            );
        }
        eprintln!(
            "first load: {} bytes, {} over the {FIRST_LOAD_TARGET}-byte target",
            fast.bytes(),
            fast.bytes().saturating_sub(FIRST_LOAD_TARGET)
        );
        assert!(
            fast.bytes() <= FIRST_LOAD_CEILING,
            "the first load moves {} bytes, over its {FIRST_LOAD_CEILING}-byte ceiling: {:?}",
            fast.bytes(),
            fast.files
        );
        // The slow link's floor: every byte at its rate, plus a few round
        // trips (page, then the scripts and wasm it names).
        let floor_ms = slow.bytes() as f64 / SLOW_DOWN_BYTES_PER_S * 1000.0 + 3.0 * SLOW_RTT_MS;
        assert!(
            slow.welcome_ms >= floor_ms * 0.9,
            "the emulation did not slow the load ({:.0} ms, floor {floor_ms:.0} ms)",
            slow.welcome_ms
        );
        assert!(
            fast.welcome_ms < 5_000.0 && slow.welcome_ms < floor_ms + 5_000.0,
            "welcome screen too late: {:.0} ms unthrottled, {:.0} ms throttled (floor {floor_ms:.0} ms)",
            fast.welcome_ms,
            slow.welcome_ms
        );
    })
    .await;
}
