//! The wallet's user journeys as steps a test composes: create, unlock,
//! restore, demo coins, invites and joins, the swap page, history.

use crate::page::{Page, STEP};
use serde_json::Value;
use std::time::Duration;

/// A coin as the coin list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coin {
    pub id: String,
    pub state: String,
    pub sats: u64,
}

impl Page {
    /// Creates a wallet (welcome screen → phrase → confirmation) and
    /// returns its 12-word recovery phrase.
    pub async fn create_wallet(&self, name: &str, password: &str) -> Vec<String> {
        self.click("Create a new wallet").await;
        self.fill("wallet-name-input", name).await;
        self.fill("password", password).await;
        self.fill("password2", password).await;
        self.click("Create wallet").await;
        self.wait_for("phrase").await;
        let words = self
            .js(
                "return Array.from(document.querySelectorAll(\"[data-testid='phrase'] li\")).map(li => li.textContent.trim());",
                vec![],
            )
            .await;
        let words: Vec<String> =
            serde_json::from_value(words).expect("the phrase is a list of words");
        assert_eq!(
            words.len(),
            12,
            "{}: a 12-word phrase: {words:?}",
            self.name
        );
        self.screenshot("recovery-phrase").await;
        self.click("I have written it down").await;
        // The confirmation asks for some words by position (1-based).
        let asked = self
            .js(
                "return Array.from(document.querySelectorAll(\"[data-testid^='confirm-word-']\")).map(e => e.getAttribute('data-testid'));",
                vec![],
            )
            .await;
        let asked: Vec<String> = serde_json::from_value(asked).unwrap();
        assert!(!asked.is_empty(), "{}: no word asked back", self.name);
        for testid in asked {
            let n: usize = testid
                .trim_start_matches("confirm-word-")
                .parse()
                .expect("confirm-word-N");
            self.fill(&testid, &words[n - 1]).await;
        }
        self.click("Confirm and open the wallet").await;
        self.wait_open().await;
        words
    }

    /// Opens a wallet from the welcome screen with its password.
    pub async fn unlock(&self, name: &str, password: &str) {
        self.click(&format!("Open {name}")).await;
        self.fill("password", password).await;
        self.click("Unlock").await;
        self.wait_open().await;
    }

    /// Restores a wallet from its phrase (on the welcome screen).
    pub async fn restore(&self, phrase: &[String], name: &str, password: &str) {
        self.click("Restore from phrase").await;
        self.fill("restore-phrase", &phrase.join(" ")).await;
        self.fill("wallet-name-input", name).await;
        self.fill("password", password).await;
        self.fill("password2", password).await;
        self.click("Restore wallet").await;
        self.wait_open().await;
    }

    /// Waits for the open wallet (its balance in the header).
    async fn wait_open(&self) {
        self.wait_for("balance").await;
    }

    pub async fn tab(&self, name: &str) {
        self.click_css(&format!("[data-testid='tab-{name}']")).await;
    }

    /// The balance in satoshis, as the header shows it.
    pub async fn balance(&self) -> u64 {
        self.attr("balance", "data-sats")
            .await
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{}: no balance shown", self.name))
    }

    /// Waits until the balance is `sats`.
    pub async fn wait_balance(&self, sats: u64, limit: Duration) {
        let want = sats.to_string();
        self.wait_attr("balance", "data-sats", limit, |v| v == want)
            .await;
    }

    /// The coin list (Coins tab).
    pub async fn coins(&self) -> Vec<Coin> {
        self.tab("coins").await;
        let v = self
            .js(
                "return Array.from(document.querySelectorAll(\"[data-testid='coin-list'] li[data-coin]\")).map(li => [li.getAttribute('data-coin'), li.getAttribute('data-state'), li.getAttribute('data-sats') || '']);",
                vec![],
            )
            .await;
        let rows: Vec<(String, String, String)> = serde_json::from_value(v).unwrap();
        rows.into_iter()
            .map(|(id, state, sats)| Coin {
                id,
                state,
                sats: sats.parse().unwrap_or(0),
            })
            .collect()
    }

    /// Waits until the coin list is exactly these ids, all available.
    pub async fn wait_coins_available(&self, ids: &[&str], limit: Duration) {
        let mut want: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        want.sort();
        self.tab("coins").await;
        self.wait(&format!("the coins {want:?}, available"), limit, || async {
            let coins = self.coins().await;
            let mut have: Vec<String> = coins.iter().map(|c| c.id.clone()).collect();
            have.sort();
            (have == want && coins.iter().all(|c| c.state == "available")).then_some(())
        })
        .await;
    }

    /// Gets a demo coin of `sats` (Coins tab) and returns its id.
    pub async fn demo_coin(&self, sats: u64) -> String {
        let before: Vec<String> = self.coins().await.into_iter().map(|c| c.id).collect();
        self.fill("deposit-amount", &sats.to_string()).await;
        self.click("Get demo coins").await;
        let coin = self
            .wait(&format!("a new {sats}-sat demo coin"), STEP, || async {
                self.coins()
                    .await
                    .into_iter()
                    .find(|c| !before.contains(&c.id) && c.state == "available")
            })
            .await;
        assert_eq!(coin.sats, sats, "{}: the demo coin's amount", self.name);
        coin.id
    }

    /// Swap tab: offers `coin` for at least `want` sats; returns the invite.
    pub async fn create_invite(&self, coin: &str, want: u64) -> String {
        self.tab("swap").await;
        self.click_css(&format!(
            "[data-testid='coin-picker'] input[data-coin='{coin}']"
        ))
        .await;
        self.fill("want-amount", &want.to_string()).await;
        self.click("Create invite").await;
        self.wait_for("invite-code").await;
        self.screenshot("invite").await;
        self.text("invite-code").await.expect("the invite code")
    }

    /// Swap tab: reads `invite`, joins it with `coin`; returns the answer.
    pub async fn join(&self, invite: &str, coin: &str) -> String {
        self.tab("swap").await;
        self.fill("invite-input", invite).await;
        self.click("Read invite").await;
        self.wait_for("invite-preview").await;
        self.click_css(&format!(
            "[data-testid='invite-preview'] input[data-coin='{coin}']"
        ))
        .await;
        self.screenshot("invite-read").await;
        self.click("Join swap").await;
        self.wait_for("join-answer").await;
        self.screenshot("join-answer").await;
        self.text("join-answer").await.expect("the join answer")
    }

    /// Swap tab: pastes the join answer and starts the swap.
    pub async fn accept(&self, answer: &str) {
        self.fill("answer-input", answer).await;
        self.click("Start swap").await;
        self.wait_for("swap-state").await;
    }

    /// The open swap's phase (`data-phase` of `swap-state`).
    pub async fn phase(&self) -> Option<String> {
        self.attr("swap-state", "data-phase").await
    }

    /// Waits until the open swap reaches `phase`.
    pub async fn wait_phase(&self, phase: &str, limit: Duration) {
        self.wait_attr("swap-state", "data-phase", limit, |p| p == phase)
            .await;
    }

    /// Opens the only (or latest) swap from the Swap tab's list.
    pub async fn open_latest_swap(&self) {
        self.tab("swap").await;
        self.wait_for("swap-list").await;
        self.click("Open swap").await;
        self.wait_for("swap-state").await;
    }

    /// Settings: ask before unlocking (manual confirmation) or not.
    pub async fn set_manual_confirm(&self, on: bool) {
        self.tab("settings").await;
        self.wait_for("manual-confirm").await;
        let checked = self
            .js(
                "return document.querySelector(\"[data-testid='manual-confirm']\").checked;",
                vec![],
            )
            .await;
        if checked != Value::Bool(on) {
            self.click_css("[data-testid='manual-confirm']").await;
        }
        let want = Value::Bool(on);
        self.wait("the manual-confirm setting to take", STEP, || async {
            (self
                .js(
                    "return document.querySelector(\"[data-testid='manual-confirm']\").checked;",
                    vec![],
                )
                .await
                == want)
                .then_some(())
        })
        .await;
    }

    /// History tab, newest first: each item's kind (`deposit`, `sent`,
    /// `received`, `swap`, `recovered`: a swap called off) and its first
    /// receipt's check on the device (`true`/`false`, `None` without one).
    pub async fn history(&self) -> Vec<(String, Option<String>)> {
        self.tab("history").await;
        self.wait_for("history").await;
        let v = self
            .js(
                "return Array.from(document.querySelectorAll(\"[data-testid='history'] li[data-kind]\")).map(li => { const r = li.querySelector(\"[data-testid='receipt-status']\"); return [li.getAttribute('data-kind'), r ? r.getAttribute('data-valid') : null]; });",
                vec![],
            )
            .await;
        serde_json::from_value(v).unwrap()
    }

    /// The receiving address (Receive tab; makes one if there is none).
    pub async fn address(&self) -> String {
        self.tab("receive").await;
        if self.text("address").await.is_none() {
            self.click("New address").await;
            self.wait_for("address").await;
        }
        self.text("address").await.expect("an address")
    }

    /// Send tab: sends `coin` to `address`.
    pub async fn send(&self, coin: &str, address: &str) {
        self.tab("send").await;
        self.wait_for("send-coin").await;
        self.js(
            "const s = document.querySelector(\"[data-testid='send-coin']\"); s.value = arguments[0]; s.dispatchEvent(new Event('change', {bubbles: true})); return s.value;",
            vec![Value::String(coin.to_string())],
        )
        .await;
        self.fill("send-address", address).await;
        self.click("Send coin").await;
    }
}
