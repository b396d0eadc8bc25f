//! The command-line wallet and the web wallet swap with each other through
//! the same invite and join codes: the real `lockstep` binary on one side,
//! the real page in headless Chromium on the other, one real relay.
//! Needs `dist/` (scripts/build-web.sh) and the `lockstep` binary
//! (`cargo build -p cli`); scripts/test.sh builds both first.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::cli::CliWallet;
use e2e::{Page, run};
use std::time::Duration;

const PW: &str = "correct horse battery";
const SWAP: Duration = Duration::from_secs(90);

/// The ids of the coins a CLI wallet holds, sorted.
async fn cli_coins(w: &CliWallet) -> Vec<String> {
    let v = w.json(&["coins"]).await;
    let mut ids: Vec<String> = v["coins"]
        .as_array()
        .expect("a coin list")
        .iter()
        .map(|c| c["coin"].as_str().expect("a coin id").to_string())
        .collect();
    ids.sort();
    ids
}

/// Carol (CLI, gave `c`) follows her side to the end with `swap status
/// --watch` (check, unlock, receive); Alice's page (gave `a`) completes;
/// each holds the other's coin.
async fn both_end_well(carol: &CliWallet, alice: &Page, a: &str, c: &str) {
    let watch = carol.run(&["swap", "status", "--watch"], SWAP).await;
    assert_eq!(
        watch.code, 0,
        "carol's swap ends well: {}\n{}",
        watch.stderr, watch.stdout
    );
    alice.wait_phase("completed", SWAP).await;
    alice.screenshot("completed-with-cli").await;
    alice.wait_balance(8_000, SWAP).await;
    alice.wait_coins_available(&[c], SWAP).await;
    assert_eq!(carol.balance().await, 10_000);
    assert_eq!(cli_coins(carol).await, vec![a.to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_invite_joined_by_the_cli() {
    run("cli-joins-web", 120, |s| async move {
        let alice = s.browser("alice").await;
        alice.create_wallet("Alice", PW).await;
        let a = alice.demo_coin(10_000).await;
        let carol = CliWallet::new(&s, "carol");
        carol.ok(&["wallet", "create"]).await;
        let c = carol.ok(&["deposit", "--amount", "8000"]).await;

        let invite = alice.create_invite(&a, 8_000).await;
        let answer = carol.ok(&["swap", "join", &invite, "--give", &c]).await;
        assert!(answer.starts_with("lsj1"), "a join answer: {answer}");
        alice.accept(&answer).await;
        both_end_well(&carol, &alice, &a, &c).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_invite_joined_from_the_web() {
    run("web-joins-cli", 120, |s| async move {
        let carol = CliWallet::new(&s, "carol");
        carol.ok(&["wallet", "create"]).await;
        let c = carol.ok(&["deposit", "--amount", "8000"]).await;
        let alice = s.browser("alice").await;
        alice.create_wallet("Alice", PW).await;
        let a = alice.demo_coin(10_000).await;

        let invite = carol
            .ok(&["swap", "create", "--give", &c, "--want", "10000"])
            .await;
        let invite = invite
            .lines()
            .next()
            .expect("the invite line")
            .trim()
            .to_string();
        let answer = alice.join(&invite, &a).await;
        carol.ok(&["swap", "accept", &answer]).await;
        both_end_well(&carol, &alice, &a, &c).await;
    })
    .await;
}
