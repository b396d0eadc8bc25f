//! The web wallet end to end: the Trunk build in `dist/` served by the real
//! relay, two (or three) independent headless Chromium sessions as the
//! parties, driven through WebDriver by visible button labels and the
//! README's `data-testid` hooks. Needs `bash scripts/build-web.sh` first
//! (scripts/test.sh runs it before these tests). Screenshots of the key
//! screens: `artifacts/e2e/<test>/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{Page, Stack, run};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use wallet_core::wire::StatechainInfo;

const PW: &str = "correct horse battery";
const SWAP: Duration = Duration::from_secs(90);

/// Two people with a wallet and one demo coin each (10 000 and 8 000 sat).
async fn two_people(s: &Arc<Stack>) -> (Page, String, Page, String) {
    let alice = s.browser("alice").await;
    let bob = s.browser("bob").await;
    alice.screenshot("welcome").await;
    alice.create_wallet("Alice", PW).await;
    bob.create_wallet("Bob", PW).await;
    let a = alice.demo_coin(10_000).await;
    let b = bob.demo_coin(8_000).await;
    alice.screenshot("coins").await;
    assert_eq!(alice.balance().await, 10_000);
    assert_eq!(bob.balance().await, 8_000);
    (alice, a, bob, b)
}

/// The relay's word on who holds a coin now (its owner's auth key).
async fn owner(s: &Stack, coin: &str) -> String {
    let v = s.relay_get(&format!("/info/statechain/{coin}")).await;
    let info: StatechainInfo =
        serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("not a statechain ({e}): {v}"));
    serde_json::to_string(&info.owner_auth_pubkey).unwrap()
}

/// Every §7 check on the swap page passed (one `verification` list).
async fn checks_passed(p: &Page) {
    p.wait_attr("verification", "data-passed", SWAP, |v| v == "true")
        .await;
    let failed = p
        .js(
            "return document.querySelectorAll(\"[data-testid='verification'] li.fail\").length;",
            vec![],
        )
        .await;
    assert_eq!(failed, 0, "{}: a failed check is shown", p.name);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_party_swap_through_invite_and_join_codes() {
    run("swap", 120, |s| async move {
        let (alice, a, bob, b) = two_people(&s).await;
        let owner_a = owner(&s, &a).await;
        let owner_b = owner(&s, &b).await;

        let invite = alice.create_invite(&a, 8_000).await;
        assert!(invite.starts_with("lsi1"), "an invite code: {invite}");
        let answer = bob.join(&invite, &b).await;
        assert!(answer.starts_with("lsj1"), "a join answer: {answer}");
        alice.accept(&answer).await;
        alice.wait_for("countdown").await;
        alice.screenshot("swap-running").await;

        for p in [&alice, &bob] {
            p.wait_phase("completed", SWAP).await;
            checks_passed(p).await;
            p.screenshot("swap-completed").await;
        }
        // The coins changed hands (statechain ids are kept by a transfer).
        alice.wait_balance(8_000, SWAP).await;
        bob.wait_balance(10_000, SWAP).await;
        alice.wait_coins_available(&[&b], SWAP).await;
        bob.wait_coins_available(&[&a], SWAP).await;
        assert_ne!(owner(&s, &a).await, owner_a, "the relay moved Alice's coin");
        assert_ne!(owner(&s, &b).await, owner_b, "the relay moved Bob's coin");

        for (p, gave, got) in [(&alice, 10_000, 8_000), (&bob, 8_000, 10_000)] {
            let history = p.history().await;
            p.screenshot("history").await;
            let kinds: Vec<&str> = history.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(
                kinds,
                ["swap", "deposit"],
                "{}: history newest first, one item for the swap",
                p.name
            );
            let receipts: Vec<&str> = history.iter().filter_map(|(_, r)| r.as_deref()).collect();
            assert!(
                receipts.len() >= 2 && receipts.iter().all(|r| *r == "true"),
                "{}: every receipt verifies on the device: {history:?}",
                p.name
            );
            let amounts = p
                .js(
                    "return Array.from(document.querySelectorAll(\"[data-testid='history'] li[data-kind]\")).map(e => [e.getAttribute('data-gave'), e.getAttribute('data-got')]);",
                    vec![],
                )
                .await;
            assert_eq!(
                amounts,
                serde_json::json!([[gave.to_string(), got.to_string()], ["0", gave.to_string()]]),
                "{}: history amounts (gave, got)",
                p.name
            );
            let texts = p
                .js(
                    "return Array.from(document.querySelectorAll(\"[data-testid='history'] li[data-kind]\")).map(e => e.textContent + ' ' + e.querySelector(\"[data-testid='history-time']\").textContent);",
                    vec![],
                )
                .await;
            for text in texts.as_array().unwrap() {
                let text = digits_only(text.as_str().unwrap()).to_lowercase();
                for jargon in ["batch", "descriptor", "statechain"] {
                    assert!(!text.contains(jargon), "{}: {text}", p.name);
                }
                // A date and a time: 2026-12-03 15:44.
                assert!(
                    text.split_whitespace().any(|w| w.len() == 10 && w.as_bytes()[4] == b'-')
                        && text.contains(':'),
                    "{}: {text}",
                    p.name
                );
            }
            let swap_text = digits_only(&p.text("history-text").await.unwrap());
            assert_eq!(
                swap_text,
                format!("Swap: you gave {gave} sat, you got {got} sat"),
                "{}",
                p.name
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counterparty_never_sends_and_the_coin_comes_back_at_the_deadline() {
    // Bob joins Alice's invite (his coin goes into the batch at once);
    // Alice never starts her side, so her coin never arrives.
    const TIMEOUT: u64 = 25;
    run("deadline", TIMEOUT, |s| async move {
        let (alice, a, bob, b) = two_people(&s).await;
        let invite = alice.create_invite(&a, 8_000).await;
        bob.join(&invite, &b).await;

        // The countdown runs on the relay's clock and goes down to zero.
        let first = bob
            .wait("a running countdown", SWAP, || async {
                let state = bob.attr("countdown", "data-state").await?;
                let text = bob.text("countdown").await?;
                matches!(state.as_str(), "running" | "urgent").then(|| seconds(&text))?
            })
            .await;
        // The relay's clock is known to about a second (`server_time` is
        // in whole seconds), and the countdown rounds up.
        assert!(
            first <= TIMEOUT + 1,
            "the countdown starts at about the batch timeout: {first}s"
        );
        bob.screenshot("countdown-running").await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let later = bob.text("countdown").await.map(|t| seconds(&t));
        assert!(
            matches!(later, Some(Some(l)) if l < first) || later.is_none(),
            "the countdown goes down: {first}s then {later:?}"
        );
        // It runs down to zero; then the relay expires the batch and Bob's
        // wallet takes his coin back by itself.
        let lowest = std::sync::atomic::AtomicU64::new(first);
        bob.wait(
            "the swap to back out",
            Duration::from_secs(TIMEOUT + 60),
            || async {
                if let Some(left) = bob.text("countdown").await.as_deref().and_then(seconds) {
                    lowest.fetch_min(left, Ordering::SeqCst);
                }
                (bob.phase().await.as_deref() == Some("backedout")).then_some(())
            },
        )
        .await;
        assert!(
            lowest.load(Ordering::SeqCst) <= 2,
            "the countdown ran down to zero (lowest seen: {lowest:?}s)"
        );
        let end = bob
            .attr("countdown", "data-state")
            .await
            .expect("the countdown is still shown");
        assert!(
            matches!(end.as_str(), "aborted" | "recovering"),
            "after the deadline the countdown says so: {end}"
        );
        bob.screenshot("coin-back").await;
        bob.wait_balance(8_000, SWAP).await;
        bob.wait_coins_available(&[&b], SWAP).await;
        let history = bob.history().await;
        assert!(
            history.iter().any(|(k, _)| k == "recovered"),
            "Bob's history shows the recovery: {history:?}"
        );
        // Alice's coin never moved.
        assert_eq!(alice.balance().await, 10_000);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_from_one_side_returns_both_coins() {
    run("abort", 120, |s| async move {
        let (alice, a, bob, b) = two_people(&s).await;
        // Alice asks to confirm before unlocking, so the swap waits for her.
        alice.set_manual_confirm(true).await;
        let invite = alice.create_invite(&a, 8_000).await;
        let answer = bob.join(&invite, &b).await;
        alice.accept(&answer).await;
        checks_passed(&alice).await;
        alice.wait_button("Confirm and unlock").await;
        alice.screenshot("waiting-for-confirmation").await;
        bob.wait_phase("awaitingcommit", SWAP).await;

        alice.click("Abort swap").await;
        for p in [&alice, &bob] {
            p.wait_phase("backedout", SWAP).await;
            p.wait_attr("countdown", "data-state", SWAP, |v| v == "aborted")
                .await;
            p.screenshot("aborted").await;
        }
        alice.wait_balance(10_000, SWAP).await;
        bob.wait_balance(8_000, SWAP).await;
        alice.wait_coins_available(&[&a], SWAP).await;
        bob.wait_coins_available(&[&b], SWAP).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_after_unlock_before_receive_resumes_and_completes() {
    run("reload", 120, |s| async move {
        let (alice, a, bob, b) = two_people(&s).await;
        // Bob confirms by hand, so Alice unlocks first and then waits.
        bob.set_manual_confirm(true).await;
        let invite = alice.create_invite(&a, 8_000).await;
        let answer = bob.join(&invite, &b).await;
        alice.accept(&answer).await;
        alice.wait_phase("awaitingcommit", SWAP).await;
        alice.screenshot("unlocked-before-reload").await;

        // Alice's tab reloads; her wallet is closed while Bob confirms,
        // so the batch commits with her receive still owed.
        alice.reload().await;
        alice.screenshot("reloaded").await;
        checks_passed(&bob).await;
        bob.click("Confirm and unlock").await;
        bob.wait_phase("completed", SWAP).await;
        bob.screenshot("completed").await;

        alice.unlock("Alice", PW).await;
        alice.open_latest_swap().await;
        alice.wait_phase("completed", SWAP).await;
        alice.screenshot("resumed-completed").await;
        alice.wait_balance(8_000, SWAP).await;
        alice.wait_coins_available(&[&b], SWAP).await;
        bob.wait_coins_available(&[&a], SWAP).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_from_phrase_in_a_fresh_profile_finds_the_coins() {
    run("restore", 120, |s| async move {
        let alice = s.browser("alice").await;
        let bob = s.browser("bob").await;
        let phrase = alice.create_wallet("Alice", PW).await;
        bob.create_wallet("Bob", PW).await;
        let a = alice.demo_coin(5_000).await;
        let b = bob.demo_coin(7_000).await;
        // A coin received from someone else, at a fresh address.
        let address = alice.address().await;
        bob.send(&b, &address).await;
        alice.wait_balance(12_000, SWAP).await;
        alice.wait_coins_available(&[&a, &b], SWAP).await;
        alice.screenshot("before-restore").await;

        let restored = s.browser("alice-restored").await;
        restored
            .restore(&phrase, "Alice again", "another password")
            .await;
        restored.wait_coins_available(&[&a, &b], SWAP).await;
        restored.wait_balance(12_000, SWAP).await;
        restored.screenshot("restored").await;
    })
    .await;
}

/// Seconds in a countdown text such as `1:59` or `0:07`.
fn seconds(text: &str) -> Option<u64> {
    let (m, s) = text.trim().split_once(':')?;
    Some(m.trim().parse::<u64>().ok()? * 60 + s.trim().parse::<u64>().ok()?)
}

/// PROTOCOL §8 rev 2: 300 junk messages (free demo coins sent to Bob's
/// address with messages nobody can open) do not hide the real coin Alice
/// sends after them: Bob's wallet pages through them and receives it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_coin_behind_300_junk_messages_is_received() {
    run("flood", 120, |s| async move {
        let alice = s.browser("alice").await;
        let bob = s.browser("bob").await;
        alice.create_wallet("Alice", PW).await;
        bob.create_wallet("Bob", PW).await;
        let a = alice.demo_coin(6_000).await;
        let address = bob.address().await;
        let to = wallet_core::address::Address::decode(&address).unwrap();
        let relay = wallet_core::client::RelayClient::new(cli::http::Http::new(&s.base).unwrap());
        let now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        };
        let junk = wallet_core::testkit::junk_messages(&relay, &to, 300, 200, now, 17)
            .await
            .unwrap();
        assert_eq!(junk.len(), 300);
        alice.send(&a, &address).await;
        alice.wait_balance(0, SWAP).await;
        bob.wait_balance(6_000, SWAP).await;
        bob.wait_coins_available(&[&a], SWAP).await;
        bob.screenshot("received-behind-junk").await;
    })
    .await;
}

/// The page as the relay serves it: Brotli copies over the wire, the hashed
/// files from the browser's cache on a reload, and the whole wallet (load,
/// create a wallet, a demo coin) running under the relay's
/// Content-Security-Policy without one violation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wallet_is_served_compressed_cached_and_runs_under_its_csp() {
    run("served", 120, |s| async move {
        let page = reqwest::Client::new()
            .get(&s.base)
            .header("accept-encoding", "br")
            .send()
            .await
            .unwrap();
        assert_eq!(page.headers()["content-encoding"], "br");
        let csp = page.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("'wasm-unsafe-eval'") && csp.contains("'sha256-"), "{csp}");

        // Page::open fails on any CSP violation in the console.
        let alice = s.browser("alice").await;
        // What each file cost over the wire (Resource Timing): its .br.
        let sizes = alice
            .js(
                "const e = [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')];
                 return e.map(r => [new URL(r.name).pathname, r.encodedBodySize, r.decodedBodySize, r.transferSize]);",
                vec![],
            )
            .await;
        let sizes: Vec<(String, u64, u64, u64)> = serde_json::from_value(sizes).unwrap();
        eprintln!("served: first load (path, encoded, decoded, transfer): {sizes:?}");
        let mut seen = Vec::new();
        for (path, encoded, decoded, transfer) in &sizes {
            if *transfer == 0 {
                // Answered from a cache (the service worker's or the HTTP
                // cache: the manifest's icon is asked twice), so it says
                // nothing about what the relay sent.
                continue;
            }
            let file = if path == "/" { "index.html" } else { path.trim_start_matches('/') };
            let Ok(br) = std::fs::metadata(s.dist.join(format!("{file}.br"))) else {
                continue; // an API request
            };
            let raw = std::fs::metadata(s.dist.join(file)).unwrap().len();
            assert_eq!((*encoded, *decoded), (br.len(), raw), "{path}: not its .br");
            seen.push(file.rsplit('.').next().unwrap().to_string());
        }
        for ext in ["html", "css", "js", "wasm"] {
            assert!(seen.iter().any(|e| e == ext), "no .{ext} in {sizes:?}");
        }

        alice.create_wallet("Alice", PW).await;
        alice.demo_coin(1_000).await;
        alice.assert_no_csp_violation().await;

        // A reload: the page is asked again, the hashed files are not.
        alice.reload().await;
        let again = alice
            .js(
                "return performance.getEntriesByType('resource')
                   .filter(r => /-[0-9a-f]{8,16}(_bg)?\\.(js|wasm|css)$/.test(r.name))
                   .map(r => [new URL(r.name).pathname, r.transferSize]);",
                vec![],
            )
            .await;
        let again: Vec<(String, u64)> = serde_json::from_value(again).unwrap();
        eprintln!("served: after a reload (path, transfer): {again:?}");
        assert!(again.len() >= 3, "{again:?}");
        assert!(again.iter().all(|(_, t)| *t == 0), "fetched again: {again:?}");
        alice.assert_no_csp_violation().await;
    })
    .await;
}

/// An invite nobody in the test made (its coin does not exist): enough to
/// read and preview, never to join. `gives` sat offered for `want`.
fn made_up_invite(seed: u8, gives: u64, want: u64) -> String {
    use wallet_core::invite::{Invite, Offer};
    use wallet_core::keys::{Mnemonic, WalletKeys};
    use wallet_core::{Address, Id, Network};
    let key = WalletKeys::from_mnemonic(&Mnemonic::from_entropy([seed; 16]))
        .address(0)
        .unwrap();
    let receive = Address {
        network: Network::Demo,
        user_pubkey: key.user_pubkey(),
        auth_pubkey: key.auth_pubkey(),
    };
    let offer = Offer {
        statechain_id: Id::new_v4([seed.wrapping_add(1); 16]),
        amount: gives,
    };
    Invite::new(
        Network::Demo,
        Id::new_v4([seed; 16]),
        vec![offer],
        want,
        receive,
        4_000_000_000,
    )
    .unwrap()
    .encode()
}

/// The batch id an invite names.
fn batch_of(invite: &str) -> String {
    wallet_core::invite::Invite::decode(invite, wallet_core::Network::Demo)
        .unwrap()
        .batch_id()
        .to_string()
}

/// Whether a `<button>` with this visible text is on the page.
async fn has_button(p: &Page, label: &str) -> bool {
    p.js(
        "return Array.from(document.querySelectorAll('button')).some(b => b.textContent.trim() === arguments[0]);",
        vec![serde_json::Value::String(label.to_string())],
    )
    .await
        == serde_json::Value::Bool(true)
}

/// Whether the coin's box in the join picker is ticked.
async fn join_ticked(p: &Page, coin: &str) -> bool {
    p.js(
        "const e = document.querySelector(\"[data-testid='invite-preview'] input[data-coin='\" + arguments[0] + \"']\"); return !!(e && e.checked);",
        vec![serde_json::Value::String(coin.to_string())],
    )
    .await
        == serde_json::Value::Bool(true)
}

/// Issue 10 §1: Join acts on the invite that was read. Replacing the text
/// without pressing Read takes the preview (and the Join button) away;
/// reading the new text shows its terms, with the join ticks cleared; the
/// swap joined is the one previewed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_acts_on_the_invite_that_was_read() {
    run("join-what-you-read", 120, |s| async move {
        let (alice, a, bob, b) = two_people(&s).await;
        let x = alice.create_invite(&a, 7_000).await;
        let y = made_up_invite(0x77, 1, 17_000);

        bob.tab("swap").await;
        bob.fill("invite-input", &x).await;
        bob.click("Read invite").await;
        bob.wait_attr("invite-preview", "data-batch", STEP_WAIT, |v| {
            v == batch_of(&x)
        })
        .await;
        assert_eq!(bob.attr("invite-preview", "data-gives").await.as_deref(), Some("10000"));
        assert_eq!(bob.attr("invite-preview", "data-want").await.as_deref(), Some("7000"));
        bob.click_css(&format!(
            "[data-testid='invite-preview'] input[data-coin='{b}']"
        ))
        .await;
        assert!(join_ticked(&bob, &b).await);
        // The Create list has its own ticks.
        let create_ticked = bob
            .js(
                "const e = document.querySelector(\"form [data-testid='coin-picker'] input[data-coin='\" + arguments[0] + \"']\"); return !!(e && e.checked);",
                vec![serde_json::Value::String(b.clone())],
            )
            .await;
        assert_eq!(create_ticked, serde_json::Value::Bool(false), "the create picker's ticks are separate");

        // Y typed over X, Read not pressed: nothing to join.
        bob.fill("invite-input", &y).await;
        bob.wait("the preview to go", STEP_WAIT, || async {
            bob.text("invite-preview").await.is_none().then_some(())
        })
        .await;
        assert!(!has_button(&bob, "Join swap").await, "no Join without a Read");
        bob.screenshot("edited-not-read").await;

        // Read Y: its terms, no ticks carried over.
        bob.click("Read invite").await;
        bob.wait_attr("invite-preview", "data-batch", STEP_WAIT, |v| {
            v == batch_of(&y)
        })
        .await;
        assert_eq!(bob.attr("invite-preview", "data-gives").await.as_deref(), Some("1"));
        assert_eq!(bob.attr("invite-preview", "data-want").await.as_deref(), Some("17000"));
        assert!(!join_ticked(&bob, &b).await, "the join ticks start empty for a new preview");
        bob.screenshot("y-read").await;

        // Back to X, read and joined: the swap is X's batch.
        let answer = bob.join(&x, &b).await;
        assert!(answer.starts_with("lsj1"));
        assert_eq!(bob.attr("swap", "data-batch").await, Some(batch_of(&x)));
    })
    .await;
}

/// Issue 10 §1: a wallet cannot join its own invite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_invite_cannot_be_joined() {
    run("own-invite", 120, |s| async move {
        let alice = s.browser("alice").await;
        alice.create_wallet("Alice", PW).await;
        let a = alice.demo_coin(10_000).await;
        let _a2 = alice.demo_coin(3_000).await;
        let x = alice.create_invite(&a, 7_000).await;
        alice.fill("invite-input", &x).await;
        alice.click("Read invite").await;
        alice.wait_for("own-invite").await;
        let text = alice.text("own-invite").await.unwrap();
        assert!(text.contains("This is your own invite"), "{text}");
        assert!(
            !has_button(&alice, "Join swap").await,
            "no Join on one's own invite"
        );
        alice.screenshot("own-invite").await;
    })
    .await;
}

/// Issue 10 §1: before a join and a send, a review line says what you give
/// and what you get, and warns when you give much more than you get.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_line_shows_give_and_get_and_warns() {
    run("review-line", 120, |s| async move {
        let (alice, a, bob, b) = two_people(&s).await;
        let x = alice.create_invite(&a, 7_000).await;
        bob.tab("swap").await;
        bob.fill("invite-input", &x).await;
        bob.click("Read invite").await;
        bob.wait_for("invite-preview").await;
        bob.click_css(&format!(
            "[data-testid='invite-preview'] input[data-coin='{b}']"
        ))
        .await;
        bob.wait_for("review-line").await;
        let line = digits_only(&bob.text("review-line").await.unwrap());
        assert_eq!(line, "You give 8000 sat · You get 10000 sat");
        assert!(
            bob.text("review-warning").await.is_none(),
            "8 000 for 10 000: no warning"
        );

        // A made-up invite giving 1 000 sat: 8 000 for it is far too much.
        bob.fill("invite-input", &made_up_invite(0x55, 1_000, 1_000))
            .await;
        bob.click("Read invite").await;
        bob.wait_attr("invite-preview", "data-gives", STEP_WAIT, |v| v == "1000")
            .await;
        bob.click_css(&format!(
            "[data-testid='invite-preview'] input[data-coin='{b}']"
        ))
        .await;
        bob.wait_for("review-warning").await;
        let line = digits_only(&bob.text("review-line").await.unwrap());
        assert_eq!(line, "You give 8000 sat · You get 1000 sat");
        let warning = digits_only(&bob.text("review-warning").await.unwrap());
        assert!(warning.contains("7000 sat more than you get"), "{warning}");
        bob.screenshot("review-warning").await;

        // Sending: the whole coin goes, nothing comes back.
        bob.tab("send").await;
        bob.wait_for("review-line").await;
        let line = digits_only(&bob.text("review-line").await.unwrap());
        assert!(
            line.starts_with("You give 8000 sat · You get 0 sat"),
            "{line}"
        );
    })
    .await;
}

const STEP_WAIT: Duration = Duration::from_secs(20);

/// Amounts as plain digits (the page groups them with a narrow space).
fn digits_only(text: &str) -> String {
    text.replace('\u{202f}', "")
}

/// Issue 10 §2: a reload strands no swap. Bob joins, and his tab reloads
/// before he sent the answer: the wallet list (before unlock) says his
/// swap waits for him with its countdown; unlocking opens the swap page,
/// where the answer is again, and Alice finishes the swap with it. When
/// her coin arrives, Bob's tab title says so until he touches the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_strands_no_swap_the_answer_stays_on_its_page() {
    run("answer-after-reload", 120, |s| async move {
        let (alice, a, bob, b) = two_people(&s).await;
        let invite = alice.create_invite(&a, 8_000).await;
        let answer = bob.join(&invite, &b).await;
        bob.wait_attr("countdown", "data-state", SWAP, |v| v == "running")
            .await;
        bob.reload().await;

        bob.wait_for("wallet-swap").await;
        bob.screenshot("wallet-list-swap").await;
        let line = bob.text("wallet-swap").await.unwrap();
        let countdown = line
            .strip_prefix("swap waits for you · ")
            .unwrap_or_else(|| panic!("the wallet list's swap line: {line:?}"));
        let left = seconds(countdown).unwrap_or_else(|| panic!("a countdown: {line:?}"));
        assert!(
            left > 0 && left <= 120,
            "the countdown to the deadline: {line:?}"
        );
        assert_eq!(
            bob.attr("wallet-swap", "data-waits").await.as_deref(),
            Some("true")
        );

        bob.unlock("Bob", PW).await;
        // Unlocking opens the swap that waits, with its answer.
        bob.wait_for("join-answer").await;
        bob.wait_for("swap-state").await;
        bob.screenshot("answer-after-reload").await;
        assert_eq!(
            bob.text("join-answer").await.as_deref(),
            Some(answer.as_str())
        );
        assert!(
            bob.wait_button("Copy answer")
                .await
                .is_displayed()
                .await
                .unwrap()
        );
        assert_eq!(
            bob.js("return document.title;", vec![]).await,
            "Lockstep wallet"
        );

        alice.accept(&answer).await;
        for p in [&alice, &bob] {
            p.wait_phase("completed", SWAP).await;
        }
        bob.wait("the tab title to tell of the answer", SWAP, || async {
            (bob.js("return document.title;", vec![]).await
                == "(1) Answer arrived · Lockstep wallet")
                .then_some(())
        })
        .await;
        // Committed: the answer is of no more use and goes.
        assert_eq!(bob.text("join-answer").await, None);
        bob.screenshot("completed-title").await;
        bob.tab("coins").await;
        assert_eq!(
            bob.js("return document.title;", vec![]).await,
            "Lockstep wallet"
        );
        bob.wait_balance(10_000, SWAP).await;
        alice.wait_balance(8_000, SWAP).await;
    })
    .await;
}

/// Issue 10 §2: a relay that hangs (its process stopped, SIGSTOP: it
/// accepts connections and answers nothing) shows the relay banner within
/// seconds, and the banner goes within seconds of the relay answering
/// again (SIGCONT); the wallet then works. The times are printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_relay_shows_within_seconds_and_its_return_as_fast() {
    e2e::run_with_relay_process("hung-relay", 120, |s| async move {
        let alice = s.browser("alice").await;
        alice.create_wallet("Alice", PW).await;
        alice.demo_coin(5_000).await;
        // A receiving address: its long-poll is what is in flight.
        alice.address().await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(alice.text("relay-banner").await, None, "the relay answers");

        s.pause_relay();
        let stopped = std::time::Instant::now();
        alice
            .wait("the relay banner", Duration::from_secs(60), || async {
                alice.text("relay-banner").await
            })
            .await;
        let shown = stopped.elapsed();
        alice.screenshot("relay-hung").await;

        s.resume_relay();
        let resumed = std::time::Instant::now();
        alice
            .wait(
                "the relay banner to go",
                Duration::from_secs(60),
                || async { alice.text("relay-banner").await.is_none().then_some(()) },
            )
            .await;
        let cleared = resumed.elapsed();
        eprintln!(
            "hung relay: banner {:.1} s after SIGSTOP, gone {:.1} s after SIGCONT",
            shown.as_secs_f64(),
            cleared.as_secs_f64()
        );
        assert!(shown < Duration::from_secs(15), "banner after {shown:?}");
        assert!(
            cleared < Duration::from_secs(5),
            "banner gone after {cleared:?}"
        );
        alice.screenshot("relay-back").await;
        alice.demo_coin(1_000).await;
    })
    .await;
}

/// Issue 10 §3: a backup older than its coins. Alice backs up with two
/// coins, then sends one to Bob; her old backup imported in a fresh
/// browser is checked with the relay first: the coin sent away is shown
/// as gone, not available, and the balance counts only the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_backup_imported_does_not_show_a_coin_sent_since_as_available() {
    run("old-backup", 180, |s| async move {
        let alice = s.browser("alice").await;
        let bob = s.browser("bob").await;
        alice.create_wallet("Alice", PW).await;
        bob.create_wallet("Bob", PW).await;
        let sent = alice.demo_coin(10_000).await;
        let kept = alice.demo_coin(4_000).await;
        assert_eq!(
            alice.attr("balance-split", "data-available").await.as_deref(),
            Some("14000")
        );
        let backup = alice.export_backup(PW).await;
        assert!(backup.contains("lockstep-wallet-backup"), "a backup file");
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &backup).unwrap();

        let address = bob.address().await;
        alice.send(&sent, &address).await;
        bob.wait_balance(10_000, SWAP).await;
        alice.wait_coins_available(&[&kept], SWAP).await;

        let again = s.browser("alice-old-backup").await;
        again.import_backup(file.path(), PW, "Alice old").await;
        again.wait_for("balance").await;
        let coins = again.coins().await;
        again.screenshot("imported").await;
        let state = |id: &str| coins.iter().find(|c| c.id == id).map(|c| c.state.clone());
        assert_eq!(state(&kept).as_deref(), Some("available"), "{coins:?}");
        assert_eq!(state(&sent).as_deref(), Some("gone"), "{coins:?}");
        assert_eq!(again.balance().await, 4_000);
        assert_eq!(
            again.attr("balance-split", "data-available").await.as_deref(),
            Some("4000")
        );
        // The coin that left cannot be chosen to send.
        again.tab("send").await;
        again.wait_for("send-coin").await;
        let options = again
            .js(
                "return Array.from(document.querySelectorAll(\"[data-testid='send-coin'] option\")).map(o => o.value);",
                vec![],
            )
            .await;
        assert_eq!(options, serde_json::json!([kept]), "only the kept coin");
    })
    .await;
}

/// Issue 10 §3: a failure shows beside the form that was used, not at the
/// top of the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_is_reported_beside_the_form_that_was_used() {
    run("error-in-place", 120, |s| async move {
        let alice = s.browser("alice").await;
        alice.create_wallet("Alice", PW).await;
        alice.fill("deposit-amount", "").await;
        alice.click("Get demo coins").await;
        let e = alice.wait_error_at("deposit").await;
        assert!(e.contains("whole number"), "{e}");
        let coin = alice.demo_coin(5_000).await;
        alice.send(&coin, "tml1notanaddress").await;
        let e = alice.wait_error_at("send").await;
        assert!(e.contains("address"), "{e}");
        alice.screenshot("send-error").await;
        // Inside the send card, and the only error line on the page.
        let placed = alice
            .js(
                "const e = document.querySelectorAll(\"[data-testid='error']\"); return e.length === 1 && !!e[0].closest('section.card') && !!e[0].closest('section.card').querySelector(\"[data-testid='send-address']\");",
                vec![],
            )
            .await;
        assert_eq!(placed, serde_json::json!(true));
        let coins = alice.coins().await;
        assert_eq!(coins.len(), 1);
        assert_eq!(coins[0].state, "available", "nothing changed");
    })
    .await;
}

/// Issue 10 §3: new passwords have a minimum length and a strength hint;
/// the backup's password is typed twice; the phrase shows again in
/// Settings after the wallet's password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_follow_the_rule_and_the_phrase_shows_again() {
    run("passwords", 120, |s| async move {
        let alice = s.browser("alice").await;
        alice.click("Create a new wallet").await;
        alice.fill("wallet-name-input", "Alice").await;
        alice.fill("password", "short").await;
        alice.wait_attr("password-hint", "data-strength", STEP_WAIT, |v| v == "too-weak")
            .await;
        let hint = alice.text("password-hint").await.unwrap();
        assert!(hint.contains("at least 10"), "{hint}");
        alice.fill("password2", "short").await;
        alice.click("Create wallet").await;
        let e = alice
            .wait("the too-short error", STEP_WAIT, || async { alice.error().await })
            .await;
        assert!(e.contains("at least 10 characters"), "{e}");
        assert!(alice.text("phrase").await.is_none(), "no wallet made");
        alice.fill("password", "Correct horse battery 42").await;
        alice.wait_attr("password-hint", "data-strength", STEP_WAIT, |v| v == "strong")
            .await;
        alice.screenshot("strong-password").await;
        alice.click("Back").await;
        let phrase = alice.create_wallet("Alice", PW).await;

        // The backup: too short, then two different passwords: refused.
        alice.catch_downloads().await;
        alice.try_export_backup("short", "short").await;
        let e = alice.wait_error_at("backup").await;
        assert!(e.contains("at least 10 characters"), "{e}");
        alice.try_export_backup(PW, "correct horse batterz").await;
        alice
            .wait("the mismatch error", STEP_WAIT, || async {
                alice.error_at("backup").await.filter(|e| e.contains("differ"))
            })
            .await;
        assert!(alice.saved_files().await.is_empty(), "no file was saved");
        alice.screenshot("backup-mismatch").await;

        // The phrase again: a wrong password is refused, the right one shows it.
        alice.fill("phrase-password", "not the password").await;
        alice.click("Show recovery phrase").await;
        let e = alice.wait_error_at("phrase").await;
        assert!(e.contains("Wrong password"), "{e}");
        assert!(alice.text("phrase").await.is_none());
        alice.fill("phrase-password", PW).await;
        alice.click("Show recovery phrase").await;
        alice.wait_for("phrase").await;
        let words = alice
            .js(
                "return Array.from(document.querySelectorAll(\"[data-testid='phrase'] li\")).map(li => li.textContent.trim());",
                vec![],
            )
            .await;
        assert_eq!(words, serde_json::json!(phrase));
        alice.screenshot("phrase-again").await;
        alice.click("Hide phrase").await;
        alice
            .wait("the phrase hidden", STEP_WAIT, || async {
                alice.text("phrase").await.is_none().then_some(())
            })
            .await;
    })
    .await;
}

/// Records every notification the page shows (installed before the page's
/// own scripts run): the title, in `window.__notifications`.
const NOTIFICATION_RECORDER: &str = "
    const Real = window.Notification;
    window.__notifications = [];
    class Recorded extends Real {
        constructor(title, options) {
            window.__notifications.push(title);
            super(title, options);
        }
    }
    Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
    Recorded.requestPermission = (...args) => Real.requestPermission(...args);
    window.Notification = Recorded;";

/// Issue 10 §2: with notifications permitted and turned on in Settings, the
/// page shows one when a coin arrives, when a swap waits for the user's
/// confirmation, and when less than 30 s of a swap are left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_tell_of_a_coin_a_swap_waiting_and_a_deadline_near() {
    run("notifications", 45, |s| async move {
        let (alice, a, bob, b) = two_people(&s).await;
        bob.grant_permission("notifications").await;
        bob.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            serde_json::json!({ "source": NOTIFICATION_RECORDER }),
        )
        .await;
        bob.reload().await;
        bob.unlock("Bob", PW).await;
        bob.tab("settings").await;
        bob.wait_for("notify").await;
        bob.click_css("[data-testid='notify']").await;
        bob.wait("the notify setting to take", STEP_WAIT, || async {
            (bob.js(
                "return document.querySelector(\"[data-testid='notify']\").checked;",
                vec![],
            )
            .await
                == true)
                .then_some(())
        })
        .await;
        bob.set_manual_confirm(true).await;
        let shown = || async {
            let v = bob.js("return window.__notifications;", vec![]).await;
            serde_json::from_value::<Vec<String>>(v).unwrap()
        };
        let wait_shown = |title: &'static str| {
            let bob = &bob;
            async move {
                bob.wait_true(
                    &format!("a notification {title:?}"),
                    SWAP,
                    &format!("return window.__notifications.includes({title:?});"),
                )
                .await;
            }
        };
        assert!(shown().await.is_empty(), "{:?}", shown().await);

        // A coin arrives.
        let gift = alice.demo_coin(3_000).await;
        let address = bob.address().await;
        alice.send(&gift, &address).await;
        wait_shown("A coin arrived").await;

        // A swap waits for Bob's confirmation, and he lets it run out.
        let invite = alice.create_invite(&a, 8_000).await;
        let answer = bob.join(&invite, &b).await;
        alice.accept(&answer).await;
        wait_shown("Swap waits for you").await;
        wait_shown("Swap deadline near").await;
        eprintln!("notifications: {:?}", shown().await);
    })
    .await;
}
