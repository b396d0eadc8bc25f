//! The web wallet's accessibility and phone layout, end to end: every
//! screen checked by axe-core in the light and the dark colour scheme, for
//! sideways overflow, and for where the keyboard focus lands; the swap page
//! on a phone leads with its state, countdown and action, its checks folded
//! into one line. Needs `bash scripts/build-web.sh` and `bash
//! scripts/setup.sh` (axe-core). Screenshots: `artifacts/e2e/<test>/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{DESKTOP, PHONE, Page, Stack, run};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

const PW: &str = "correct horse battery";
const SWAP: Duration = Duration::from_secs(90);

/// What is wrong, screen by screen: every check of every screen runs, and
/// the test fails at the end listing all of them.
#[derive(Default)]
struct Findings(Vec<String>);

impl Findings {
    /// axe-core in both schemes and sideways overflow on the screen shown.
    async fn audit(&mut self, p: &Page, what: &str) {
        self.0.extend(p.audit(what).await);
    }

    /// As `audit`, for a screen just opened: the focus is on its heading.
    async fn new_screen(&mut self, p: &Page, what: &str) {
        if let Some(wrong) = p.focus_off_heading().await {
            self.0.push(format!("{what}: {wrong}"));
        }
        self.audit(p, what).await;
    }

    /// A tab chosen from the tab bar: the focus stays on the selected tab.
    async fn tab(&mut self, p: &Page, name: &str) {
        p.tab(name).await;
        p.wait(
            &format!("the {name} tab"),
            Duration::from_secs(10),
            || async {
                p.attr(&format!("tab-{name}"), "aria-selected")
                    .await
                    .filter(|selected| selected == "true")
            },
        )
        .await;
        let (focused, selected) = p.focused_tab().await;
        if focused.as_deref() != Some(&format!("tab-{name}")) || !selected {
            self.0.push(format!(
                "tab {name}: the focus is on {focused:?} (the selected tab: {selected})"
            ));
        }
        self.audit(p, &format!("tab-{name}")).await;
    }

    fn assert_none(self, who: &str) {
        assert!(
            self.0.is_empty(),
            "{who}: {} accessibility or layout problem(s):\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

/// One person through every screen they can reach alone, on a screen of
/// `size`: the welcome, create, phrase and confirmation screens, every tab
/// (with coins, an address, an invite, a read invite, the delete
/// confirmation), the wallet list, unlock, restore and import, and the
/// wallet opened in a second tab while the first holds it.
async fn every_screen(s: Arc<Stack>, size: (u32, u32), mobile: bool) {
    let p = s.browser("carol").await;
    p.emulate_screen(size, mobile).await;
    let mut found = Findings::default();
    found.new_screen(&p, "welcome-empty").await;

    p.click("Create a new wallet").await;
    p.wait_for("password2").await;
    found.new_screen(&p, "create").await;
    p.fill("wallet-name-input", "Carol").await;
    p.fill("password", PW).await;
    p.fill("password2", PW).await;
    p.click("Create wallet").await;
    p.wait_for("phrase").await;
    found.new_screen(&p, "phrase").await;
    let words: Vec<String> = serde_json::from_value(
        p.js(
            "return Array.from(document.querySelectorAll(\"[data-testid='phrase'] li\")).map(li => li.textContent.trim());",
            vec![],
        )
        .await,
    )
    .unwrap();
    p.click("I have written it down").await;
    p.wait_button("Confirm and open the wallet").await;
    found.new_screen(&p, "confirm-phrase").await;
    let asked: Vec<String> = serde_json::from_value(
        p.js(
            "return Array.from(document.querySelectorAll(\"[data-testid^='confirm-word-']\")).map(e => e.getAttribute('data-testid'));",
            vec![],
        )
        .await,
    )
    .unwrap();
    for testid in asked {
        let n: usize = testid.trim_start_matches("confirm-word-").parse().unwrap();
        p.fill(&testid, &words[n - 1]).await;
    }
    p.click("Confirm and open the wallet").await;
    p.wait_for("balance").await;
    found.new_screen(&p, "wallet-empty").await;

    let coin = p.demo_coin(10_000).await;
    p.demo_coin(5_000).await;
    found.tab(&p, "coins").await;

    found.tab(&p, "receive").await;
    p.click("New address").await;
    p.wait_for("address").await;
    found.audit(&p, "receive-address").await;

    found.tab(&p, "send").await;

    found.tab(&p, "swap").await;
    let invite = p.create_invite(&coin, 7_000).await;
    found.audit(&p, "swap-invite-made").await;
    p.fill("invite-input", &invite).await;
    p.click("Read invite").await;
    p.wait_for("own-invite").await;
    found.audit(&p, "swap-invite-read").await;

    found.tab(&p, "history").await;

    found.tab(&p, "settings").await;
    p.click("Delete wallet").await;
    p.wait_button("Really delete it from this browser").await;
    found.audit(&p, "settings-delete-asked").await;

    // Arrow keys move along the tab bar, and the focus goes with them.
    let settings = p.wait_button("Settings").await;
    settings.send_keys("\u{E012}").await.unwrap(); // ArrowLeft
    p.wait(
        "ArrowLeft to select History",
        Duration::from_secs(10),
        || async {
            (p.focused_tab().await == (Some("tab-history".to_string()), true)).then_some(())
        },
    )
    .await;

    p.click("Lock").await;
    p.wait_for("wallet-list").await;
    found.new_screen(&p, "welcome-list").await;
    p.click("Open Carol").await;
    p.wait_button("Unlock").await;
    found.new_screen(&p, "unlock").await;
    p.click("Back").await;
    p.click("Restore from phrase").await;
    p.wait_for("restore-phrase").await;
    found.new_screen(&p, "restore").await;
    p.click("Back").await;
    p.click("Import backup file").await;
    p.wait_for("backup-file").await;
    found.new_screen(&p, "import").await;
    p.click("Back").await;
    p.unlock("Carol", PW).await;
    found.new_screen(&p, "wallet-unlocked").await;

    // The same wallet opened in a second tab while this one holds it.
    p.open_second_tab().await;
    p.click("Open Carol").await;
    p.fill("password", PW).await;
    p.click("Unlock").await;
    p.wait_for("held-banner").await;
    found.new_screen(&p, "held-elsewhere").await;

    found.assert_none(&p.name);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_on_a_phone_fits_focuses_its_heading_and_passes_axe_light_and_dark() {
    run("a11y-phone", 120, |s| every_screen(s, PHONE, true)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_on_a_desktop_focuses_its_heading_and_passes_axe_light_and_dark() {
    run("a11y-desktop", 120, |s| every_screen(s, DESKTOP, false)).await;
}

/// The swap's state, countdown and actions are above `below` (a CSS
/// selector) on the page; the problems found otherwise.
async fn swap_leads(p: &Page, below: &str) -> Vec<String> {
    let Some(limit) = p.top_of(below).await else {
        return vec![format!("{}: no {below} shown", p.name)];
    };
    let mut wrong = Vec::new();
    for css in [
        "[data-testid='swap-state']",
        "[data-testid='countdown']",
        "[data-testid='swap-actions'] button",
    ] {
        match p.top_of(css).await {
            Some(top) if top < limit => {}
            Some(top) => wrong.push(format!(
                "{}: {css} at {top} is below {below} at {limit}",
                p.name
            )),
            None => wrong.push(format!("{}: no {css} shown", p.name)),
        }
    }
    // And all of them on the first screen, without scrolling.
    let height = p.js("return window.innerHeight;", vec![]).await;
    if let (Some(actions), Some(height)) = (
        p.top_of("[data-testid='swap-actions'] button").await,
        height.as_f64(),
    ) && actions + 40.0 > height
    {
        wrong.push(format!(
            "{}: the swap's action at {actions} is off a {height}-pixel screen",
            p.name
        ));
    }
    wrong
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_the_swap_leads_with_state_countdown_and_action_and_folds_its_checks() {
    run("a11y-swap-phone", 120, |s| async move {
        let alice = s.browser("alice").await;
        let bob = s.browser("bob").await;
        for p in [&alice, &bob] {
            p.emulate_screen(PHONE, true).await;
        }
        alice.create_wallet("Alice", PW).await;
        bob.create_wallet("Bob", PW).await;
        let a = alice.demo_coin(10_000).await;
        let b = bob.demo_coin(8_000).await;
        // Alice confirms by hand: her swap waits with every check passed.
        alice.set_manual_confirm(true).await;
        let mut found = Findings::default();

        let invite = alice.create_invite(&a, 8_000).await;
        bob.join(&invite, &b).await;
        // Bob's swap page: his answer to send comes after the swap's state.
        found.0.extend(swap_leads(&bob, "[data-testid='join-answer']").await);
        found.new_screen(&bob, "swap-joined").await;

        alice.tab("swap").await;
        alice.fill("answer-input", &bob.text("join-answer").await.unwrap()).await;
        alice.click("Start swap").await;
        alice.wait_button("Confirm and unlock").await;
        alice
            .wait_attr("verification", "data-passed", SWAP, |v| v == "true")
            .await;
        alice.screenshot("awaiting-confirmation").await;
        found.0.extend(swap_leads(&alice, "[data-testid='checks-summary']").await);
        found.new_screen(&alice, "swap-awaiting-confirmation").await;

        // The checks fold into one line: "N of N checks passed", closed.
        let summary = alice.text("checks-summary").await.unwrap();
        let counts: Vec<&str> = summary.split(" of ").collect();
        assert!(
            counts.len() == 2
                && counts[1] == format!("{} checks passed", counts[0])
                && counts[0].parse::<u32>().is_ok_and(|n| n > 0),
            "alice: the checks' summary says all passed: {summary:?}"
        );
        // (A closed <details> hides its content with `content-visibility`:
        // `checkVisibility` sees that, a layout box check does not.)
        let shown = "return document.querySelector(\"[data-testid='verification']\").checkVisibility();";
        assert_eq!(alice.js(shown, vec![]).await, Value::Bool(false), "alice: the checks start folded");
        alice.click_css("[data-testid='checks-summary']").await;
        assert_eq!(alice.js(shown, vec![]).await, Value::Bool(true), "alice: the summary unfolds the checks");
        let listed = alice
            .js("return document.querySelectorAll(\"[data-testid='verification'] li.check.pass\").length;", vec![])
            .await;
        assert_eq!(listed.to_string(), counts[0], "alice: every check listed");
        found.audit(&alice, "swap-checks-unfolded").await;

        alice.click("Confirm and unlock").await;
        for p in [&alice, &bob] {
            p.wait_attr("swap-state", "data-phase", SWAP, |phase| phase == "completed")
                .await;
            found.audit(p, "swap-completed").await;
        }
        found.assert_none("the swap on a phone");
    })
    .await;
}
