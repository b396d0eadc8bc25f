//! Two-party swaps with the real `lockstep` binary against a real relay:
//! the happy path with receipts, back-out after the deadline and after an
//! abort, and `kill -9` of the daemon at several points, then a restart:
//! every swap completes or backs out and no coin is lost.

mod common;

use common::{Cli, TestRelay, kill9, terminate, wait_until};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(90);

struct Pair {
    relay: TestRelay,
    cli: Cli,
    coin_a: String,
    coin_b: String,
}

/// Alice (5 000) and Bob (7 000), funded.
fn funded(batch_timeout: u64) -> Pair {
    let relay = TestRelay::start(batch_timeout);
    let cli = Cli::new(&relay);
    cli.create("alice");
    cli.create("bob");
    let coin_a = cli.deposit("alice", 5_000);
    let coin_b = cli.deposit("bob", 7_000);
    Pair {
        relay,
        cli,
        coin_a,
        coin_b,
    }
}

impl Pair {
    /// Alice invites (her coin for 7 000); returns the invite.
    fn invite(&self) -> String {
        let invite = self.cli.ok(
            "alice",
            &["swap", "create", "--give", &self.coin_a, "--want", "7000"],
        );
        assert!(invite.starts_with("lsi1"), "{invite}");
        invite
    }

    /// Bob joins (extra flags after the coin); returns the join answer.
    fn join(&self, invite: &str, extra: &[&str]) -> String {
        let mut args = vec!["swap", "join", invite, "--give", &self.coin_b];
        args.extend_from_slice(extra);
        let o = self.cli.run("bob", &args);
        assert_eq!(o.code, 0, "join: {}", o.stderr);
        let answer = o.stdout.trim().to_string();
        assert!(answer.starts_with("lsj1"), "{answer}");
        answer
    }

    fn phase(&self, w: &str) -> String {
        self.cli.phase(w)
    }

    fn wait_phase(&self, w: &str, phases: &[&str]) {
        wait_until(LIMIT, &format!("{w} in {phases:?}"), || {
            phases.contains(&self.phase(w).as_str())
        });
    }

    /// Nothing lost or duplicated, and the relay agrees with both wallets.
    fn assert_conserved(&self) {
        let (a, b) = (self.cli.balance("alice"), self.cli.balance("bob"));
        assert_eq!(a + b, 12_000, "alice {a} + bob {b}");
        common::assert_owns(&self.cli, &self.relay, "alice");
        common::assert_owns(&self.cli, &self.relay, "bob");
    }
}

#[test]
fn two_wallets_swap_and_their_receipts_verify() {
    let p = funded(120);
    let cli = &p.cli;
    let invite = p.invite();
    // Alice's coin is reserved by her invite.
    let coins = cli.json("alice", &["coins"]);
    assert_eq!(coins["coins"][0]["state"], "offered_in_invite");
    assert_eq!(p.phase("alice"), "none");

    // Bob joins: his coin goes into the swap; he waits for Alice's.
    let answer = p.join(&invite, &[]);
    assert_eq!(p.phase("bob"), "verifying");
    // Alice accepts: she sends hers, checks Bob's and unlocks it.
    let o = cli.run("alice", &["swap", "accept", &answer]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("all 16 checks passed"), "{}", o.stderr);
    assert_eq!(p.phase("alice"), "awaiting_commit");
    // Bob follows it live to the end; Alice's daemon finishes her side.
    let mut daemon = cli.daemon("alice");
    daemon.wait_started();
    // While her daemon holds her wallet, Alice's own --watch follows it.
    let alice_watch = cli.command("alice", &["--json", "swap", "status", "--watch"]);
    let alice_watch = {
        let mut c = alice_watch;
        c.spawn().unwrap()
    };
    let watch = cli.run("bob", &["swap", "status", "--watch"]);
    assert_eq!(watch.code, 0, "{}", watch.stderr);
    assert!(watch.stdout.contains("completed"), "{}", watch.stdout);
    p.wait_phase("alice", &["completed"]);
    let followed = common::finish(alice_watch, LIMIT);
    assert_eq!(followed.code, 0, "{}", followed.stderr);
    assert!(followed.stderr.contains("following"), "{}", followed.stderr);
    let last: serde_json::Value =
        serde_json::from_str(followed.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["phase"], "completed");
    assert_eq!(last["event"], "swap_status");
    assert_eq!(terminate(daemon), 0, "the daemon stops cleanly on SIGTERM");

    assert_eq!(cli.balance("alice"), 7_000);
    assert_eq!(cli.balance("bob"), 5_000);
    p.assert_conserved();
    let status = cli.json("alice", &["swap", "status"]);
    let gets = &status["swaps"][0]["gets"][0];
    assert_eq!(gets["coin"], p.coin_b.as_str());
    assert_eq!(gets["state"], "received");

    // Histories: deposit, gave, got.
    for (w, gave, got) in [
        ("alice", &p.coin_a, &p.coin_b),
        ("bob", &p.coin_b, &p.coin_a),
    ] {
        let h = cli.json(w, &["history"]);
        let h = h["history"].as_array().unwrap();
        let kinds: Vec<(&str, &str)> = h
            .iter()
            .map(|e| (e["kind"].as_str().unwrap(), e["coin"].as_str().unwrap()))
            .collect();
        assert!(
            kinds.contains(&("deposit", gave.as_str())),
            "{w}: {kinds:?}"
        );
        assert!(
            kinds.contains(&("swap_gave", gave.as_str())),
            "{w}: {kinds:?}"
        );
        assert!(
            kinds.contains(&("swap_got", got.as_str())),
            "{w}: {kinds:?}"
        );
        // Every receipt verifies offline, and a doctored one does not.
        let file = cli.data.path().join(format!("{w}.receipt.json"));
        cli.ok(
            w,
            &["receipt", "export", got, "--out", file.to_str().unwrap()],
        );
        let v = cli.json(w, &["receipt", "verify", file.to_str().unwrap()]);
        assert_eq!(v["valid"], true);
        assert_eq!(v["seq"], 1);
        let key = v["relay_pubkey"].as_str().unwrap().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        let doctored = text
            .replace("\"amount\": 7000", "\"amount\": 7001")
            .replace("\"amount\": 5000", "\"amount\": 5001");
        assert_ne!(doctored, text);
        let bad = cli.data.path().join(format!("{w}.doctored.json"));
        common::write(&bad, &doctored);
        let mut cmd = cli.command(w, &["receipt", "verify", bad.to_str().unwrap()]);
        cmd.env("LOCKSTEP_RELAY", "http://127.0.0.1:9"); // offline: the key given
        cmd.args(["--relay-key", &key]);
        let o = cli.run_with(cmd, LIMIT);
        assert_eq!(o.code, 6, "{}", o.stderr);
        assert!(o.stderr.contains("does not verify"), "{}", o.stderr);
    }
    // Too late to abort a completed swap.
    let batch = status["swaps"][0]["batch_id"].as_str().unwrap();
    let o = cli.run("alice", &["swap", "abort", batch]);
    assert_eq!(o.code, 5, "{}", o.stderr);
}

#[test]
fn unanswered_swap_backs_out_after_the_deadline() {
    let p = funded(3);
    let cli = &p.cli;
    let invite = p.invite();
    p.join(&invite, &[]);
    assert_eq!(p.phase("bob"), "verifying");
    // Alice never accepts. Bob's watch sees the deadline pass and takes
    // his coin back by itself: exit 7, "backed out".
    let watch = cli.run("bob", &["swap", "status", "--watch"]);
    assert_eq!(watch.code, 7, "{}\n{}", watch.stderr, watch.stdout);
    assert!(watch.stderr.contains("backed out"), "{}", watch.stderr);
    assert_eq!(p.phase("bob"), "backed_out");
    let coins = cli.json("bob", &["coins"]);
    assert_eq!(coins["coins"][0]["coin"], p.coin_b.as_str());
    assert_eq!(coins["coins"][0]["state"], "available");
    assert_ne!(coins["coins"][0]["index"], 0, "recovered under a fresh key");
    // Alice cancels her unanswered invite; her coin is free again.
    let o = cli.run("alice", &["swap", "abort"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        cli.json("alice", &["coins"])["coins"][0]["state"],
        "available"
    );
    p.assert_conserved();
    let h = cli.json("bob", &["history"]);
    assert!(
        h["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "recovered")
    );
}

#[test]
fn abort_before_unlock_returns_both_coins() {
    let p = funded(120);
    let cli = &p.cli;
    let invite = p.invite();
    // A stale copy of Alice's wallet, from before her coin entered the swap.
    let backup = cli.data.path().join("alice.backup");
    cli.ok("alice", &["wallet", "export", backup.to_str().unwrap()]);
    let mut cmd = cli.command("stale", &["wallet", "import", backup.to_str().unwrap()]);
    cmd.env("LOCKSTEP_PASSWORD", common::password_of("alice"));
    assert_eq!(cli.run_with(cmd, LIMIT).code, 0);
    let answer = p.join(&invite, &["--manual"]);
    let o = cli.run("alice", &["swap", "accept", &answer, "--manual"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // The stale copy tries to send the coin elsewhere: the relay refuses
    // (the coin is locked in the open swap), exit 5, nothing moves.
    let to = cli.ok("bob", &["address"]);
    let mut cmd = cli.command("stale", &["send", &p.coin_a, &to]);
    cmd.env("LOCKSTEP_PASSWORD", common::password_of("alice"));
    let o = cli.run_with(cmd, LIMIT);
    assert_eq!(o.code, 5, "{}", o.stderr);
    assert!(
        o.stderr.contains("The relay refused the transfer"),
        "{}",
        o.stderr
    );
    // Alice has checked Bob's coin and waits for her confirmation.
    let st = cli.json("alice", &["swap", "status"]);
    assert_eq!(st["swaps"][0]["phase"], "verifying");
    assert_eq!(st["swaps"][0]["gets"][0]["state"], "checked");
    assert_eq!(st["swaps"][0]["gets"][0]["report"]["all_passed"], true);
    // Bob watches, then stops watching (SIGTERM): exit 10, nothing lost.
    let out = cli.data.path().join("bob-watch.out");
    let mut cmd = cli.command("bob", &["swap", "status", "--watch"]);
    cmd.stdout(std::fs::File::create(&out).unwrap());
    let mut watch = cmd.spawn().unwrap();
    wait_until(LIMIT, "the watch's first view", || {
        std::fs::read_to_string(&out).is_ok_and(|s| s.contains("Swap "))
    });
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &watch.id().to_string()])
        .status();
    assert_eq!(watch.wait().unwrap().code(), Some(10));
    assert_eq!(p.phase("bob"), "verifying");
    // She aborts instead: she gets her coin back at once.
    let o = cli.run("alice", &["swap", "abort"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(p.phase("alice"), "backed_out");
    // Bob's daemon sees the abort and recovers his coin.
    let daemon = cli.daemon("bob");
    p.wait_phase("bob", &["backed_out"]);
    assert_eq!(terminate(daemon), 0);
    assert_eq!(cli.balance("alice"), 5_000);
    assert_eq!(cli.balance("bob"), 7_000);
    p.assert_conserved();
}

#[test]
fn daemon_killed_at_several_points_of_a_swap_loses_no_coin() {
    let p = funded(120);
    let cli = &p.cli;
    let invite = p.invite();
    // Bob joins without driving; Alice accepts without driving: both
    // records are saved in their first phase, nothing sent yet.
    let answer = p.join(&invite, &["--no-wait"]);
    cli.ok("alice", &["swap", "accept", &answer, "--no-wait"]);
    assert_eq!(p.phase("alice"), "joining");

    // 1. After join: Bob's daemon sends his coin in, then waits for Alice's.
    let mut bob = cli.daemon("bob");
    p.wait_phase("bob", &["verifying"]);
    kill9(&mut bob);

    // 2. After unlock: Alice's daemon sends hers, checks Bob's, unlocks.
    let mut alice = cli.daemon("alice");
    p.wait_phase("alice", &["awaiting_commit"]);
    kill9(&mut alice);

    // 3. Bob again: unlocks, the batch commits, he receives; he is killed
    //    at the first sign of the commit, possibly mid-receive.
    let mut bob = cli.daemon("bob");
    p.wait_phase("bob", &["committed", "completed"]);
    kill9(&mut bob);

    // 4. Alice is killed moments after starting, while she receives.
    for delay_ms in [0, 40, 120] {
        let mut alice = cli.daemon("alice");
        std::thread::sleep(Duration::from_millis(delay_ms));
        kill9(&mut alice);
    }

    // Restarted, both finish.
    let (alice, bob) = (cli.daemon("alice"), cli.daemon("bob"));
    p.wait_phase("alice", &["completed"]);
    p.wait_phase("bob", &["completed"]);
    assert_eq!(terminate(alice), 0);
    assert_eq!(terminate(bob), 0);
    assert_eq!(cli.balance("alice"), 7_000);
    assert_eq!(cli.balance("bob"), 5_000);
    p.assert_conserved();
}

#[test]
fn daemons_killed_at_random_instants_complete_or_back_out() {
    // A short deadline, so some rounds may pass it: then both back out.
    let p = funded(8);
    let cli = &p.cli;
    let invite = p.invite();
    let answer = p.join(&invite, &["--no-wait"]);
    cli.ok("alice", &["swap", "accept", &answer, "--no-wait"]);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for round in 0..6 {
        let mut a = cli.daemon("alice");
        let mut b = cli.daemon("bob");
        std::thread::sleep(Duration::from_millis(30 + rand(400)));
        match round % 3 {
            0 => kill9(&mut a),
            1 => kill9(&mut b),
            _ => {
                kill9(&mut a);
                kill9(&mut b);
            }
        }
        kill9(&mut a);
        kill9(&mut b);
    }
    let (a, b) = (cli.daemon("alice"), cli.daemon("bob"));
    let finals = ["completed", "backed_out"];
    p.wait_phase("alice", &finals);
    p.wait_phase("bob", &finals);
    assert_eq!(terminate(a), 0);
    assert_eq!(terminate(b), 0);
    let (pa, pb) = (p.phase("alice"), p.phase("bob"));
    assert_eq!(pa, pb, "both sides end the same way");
    if pa == "completed" {
        assert_eq!(cli.balance("alice"), 7_000);
    } else {
        assert_eq!(cli.balance("alice"), 5_000);
    }
    p.assert_conserved();
}

#[test]
fn daemon_killed_during_backout_still_recovers_the_coin() {
    let p = funded(2);
    let cli = &p.cli;
    let invite = p.invite();
    // Bob's coin goes in; Alice never answers.
    p.join(&invite, &[]);
    // Past the deadline, Bob's daemon backs out; kill it repeatedly meanwhile.
    std::thread::sleep(Duration::from_secs(3));
    for delay_ms in [0, 30, 80, 150, 300] {
        let mut bob = cli.daemon("bob");
        std::thread::sleep(Duration::from_millis(delay_ms));
        kill9(&mut bob);
    }
    let bob = cli.daemon("bob");
    p.wait_phase("bob", &["backed_out"]);
    assert_eq!(terminate(bob), 0);
    assert_eq!(cli.balance("bob"), 7_000);
    common::assert_owns(cli, &p.relay, "bob");
}

/// A service's way: the daemon runs all along; invites are made and
/// answers accepted beside it, and it carries every swap to its end.
#[test]
fn swap_commands_work_beside_a_running_daemon() {
    let p = funded(120);
    let cli = &p.cli;
    let mut alice = cli.daemon("alice");
    alice.wait_started();
    let invite = p.invite();
    // Joined through the web wallet's link form of the invite.
    let link = format!("{}/#join={invite}", p.relay.base);
    let answer = p.join(&link, &["--no-wait"]);
    let o = cli.run("alice", &["swap", "accept", &answer, "--no-wait"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let bob = cli.daemon_with("bob", &["--json"]);
    p.wait_phase("alice", &["completed"]);
    p.wait_phase("bob", &["completed"]);
    assert!(alice.log().contains("changed on disk"), "{}", alice.log());
    assert_eq!(terminate(alice), 0);
    let bob_out = {
        let out = bob.out.clone();
        assert_eq!(terminate(bob), 0);
        std::fs::read_to_string(out).unwrap()
    };
    // --json: one event per line, each with its time.
    let events: Vec<serde_json::Value> = bob_out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(events.iter().all(|e| e["time"].is_u64()), "{bob_out}");
    let names: Vec<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
    assert_eq!(names.first(), Some(&"started"), "{bob_out}");
    assert_eq!(names.last(), Some(&"stopped"), "{bob_out}");
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "swap_phase" && e["phase"] == "completed"),
        "{bob_out}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "checked" && e["report"]["all_passed"] == true),
        "{bob_out}"
    );
    assert_eq!(cli.balance("alice"), 7_000);
    p.assert_conserved();
}
