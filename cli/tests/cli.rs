//! The `lockstep` binary against a real relay: wallets, coins, plain
//! transfers, and every documented error path.

mod common;

use common::{Cli, TestRelay, password_of};
use std::time::Duration;

#[test]
fn plain_send_and_receive_show_the_report() {
    let relay = TestRelay::start(120);
    let cli = Cli::new(&relay);
    cli.create("alice");
    cli.create("bob");
    let coin = cli.deposit("alice", 3_000);
    assert_eq!(cli.balance("alice"), 3_000);
    let addr = cli.ok("bob", &["address"]);
    assert!(addr.starts_with("tml1"), "{addr}");
    // Nothing has arrived yet.
    let none = cli.run("bob", &["receive"]);
    assert_eq!(none.code, 0);
    assert!(none.stdout.contains("No incoming coins"), "{}", none.stdout);

    let sent = cli.run("alice", &["send", &coin[..8], &addr]);
    assert_eq!(sent.code, 0, "{}", sent.stderr);
    assert!(sent.stderr.contains("Sent coin"), "{}", sent.stderr);
    assert_eq!(cli.balance("alice"), 0);

    let got = cli.run("bob", &["receive"]);
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert!(got.stdout.contains("Received coin"), "{}", got.stdout);
    // The §7 report, check by check.
    for check in [
        "[ok  ] Message decrypts",
        "[ok  ] Owner signed this transfer",
        "[ok  ] Ownership history is valid",
    ] {
        assert!(got.stdout.contains(check), "{check} in {}", got.stdout);
    }
    assert_eq!(cli.balance("bob"), 3_000);
    common::assert_owns(&cli, &relay, "bob");

    let hist = cli.json("bob", &["history"]);
    assert_eq!(hist["history"][0]["kind"], "received");
    let hist = cli.json("alice", &["history"]);
    let kinds: Vec<&str> = hist["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["deposit", "sent"]);

    // Sending a coin the wallet no longer has is an input error.
    let again = cli.run("alice", &["send", &coin, &addr]);
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(again.stderr.contains("no coin"), "{}", again.stderr);
}

#[test]
fn wrong_password_bad_input_and_unreachable_relay_are_clear_errors() {
    let relay = TestRelay::start(120);
    let cli = Cli::new(&relay);
    cli.create("alice");

    // Wrong password: exit 3, a sentence, and a JSON error for scripts.
    let mut cmd = cli.command("alice", &["coins"]);
    cmd.env("LOCKSTEP_PASSWORD", "not the password");
    let o = cli.run_with(cmd, Duration::from_secs(60));
    assert_eq!(o.code, 3);
    assert!(o.stderr.contains("Wrong password"), "{}", o.stderr);
    assert!(!o.stderr.contains("panicked"));
    let mut cmd = cli.command("alice", &["--json", "coins"]);
    cmd.env("LOCKSTEP_PASSWORD", "nope");
    let o = cli.run_with(cmd, Duration::from_secs(60));
    assert_eq!(o.code, 3);
    assert_eq!(o.json()["error"]["code"], "wrong_password");
    assert_eq!(o.json()["error"]["exit"], 3);

    // The password from a file works; a missing password with no terminal is exit 3.
    let pw = cli.data.path().join("pw");
    common::write(&pw, &format!("{}\n", password_of("alice")));
    let mut cmd = cli.command("alice", &["coins"]);
    cmd.env_remove("LOCKSTEP_PASSWORD")
        .arg("--password-file")
        .arg(&pw);
    assert_eq!(cli.run_with(cmd, Duration::from_secs(60)).code, 0);
    let mut cmd = cli.command("alice", &["coins"]);
    cmd.env_remove("LOCKSTEP_PASSWORD");
    let o = cli.run_with(cmd, Duration::from_secs(60));
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o.stderr.contains("LOCKSTEP_PASSWORD"), "{}", o.stderr);

    // Bad invite text: exit 2 and what is wrong with it.
    let coin = cli.deposit("alice", 1_000);
    for bad in ["lsi1qqqqqqqq", "hello", "lsj1notaninvite"] {
        let o = cli.run("alice", &["swap", "join", bad, "--give", &coin]);
        assert_eq!(o.code, 2, "{bad}: {}", o.stderr);
        assert!(
            o.stderr.contains("This swap code is not valid"),
            "{bad}: {}",
            o.stderr
        );
    }
    let o = cli.run("alice", &["swap", "accept", "lsj1qqqq"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    // A bad address, an unknown coin, a bad amount.
    let o = cli.run("alice", &["send", &coin, "tml1nonsense"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    let o = cli.run("alice", &["send", "ffffffff", "tml1x"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    let o = cli.run("alice", &["deposit", "--amount", "0"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    // Usage errors.
    assert_eq!(cli.run("alice", &["frobnicate"]).code, 2);
    assert_eq!(cli.run("alice", &["deposit"]).code, 2);
    // A wallet that does not exist: exit 9; creating one twice: exit 9.
    let o = cli.run("nobody", &["coins"]);
    assert_eq!(o.code, 9, "{}", o.stderr);
    assert!(o.stderr.contains("no wallet \"nobody\""), "{}", o.stderr);
    assert_eq!(cli.run("alice", &["wallet", "create"]).code, 9);
    // The relay unreachable: exit 4.
    let mut cmd = cli.command("alice", &["deposit", "--amount", "5"]);
    cmd.env("LOCKSTEP_RELAY", "http://127.0.0.1:9");
    let o = cli.run_with(cmd, Duration::from_secs(60));
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(o.stderr.contains("cannot be reached"), "{}", o.stderr);
    // A daemon started before its relay waits for it, and stops cleanly.
    let log = cli.data.path().join("waiting-daemon.log");
    let mut cmd = cli.command("alice", &["daemon"]);
    cmd.env("LOCKSTEP_RELAY", "http://127.0.0.1:9")
        .stderr(std::fs::File::create(&log).unwrap());
    let mut d = cmd.spawn().unwrap();
    common::wait_until(
        Duration::from_secs(30),
        "the daemon to wait for its relay",
        || {
            std::fs::read_to_string(&log)
                .unwrap_or_default()
                .contains("Trying again")
        },
    );
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &d.id().to_string()])
        .status();
    let status = d.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    // More than the relay's demo network gives: refused before asking.
    let o = cli.run("alice", &["deposit", "--amount", "100000001"]);
    assert_eq!(o.code, 2, "{}", o.stderr);

    // Another process holds the wallet: exit 8 (a receive waiting for coins).
    let mut waiting = cli.command("alice", &["receive", "--wait", "20"]);
    waiting.stdout(std::process::Stdio::null());
    let mut waiting = waiting.spawn().unwrap();
    // The holder writes its process id into the lock file.
    let lock_file = cli.data_dir().join("alice.lock");
    let pid = waiting.id().to_string();
    common::wait_until(
        Duration::from_secs(30),
        "the receive to hold the lock",
        || std::fs::read_to_string(&lock_file).is_ok_and(|s| s.trim() == pid),
    );
    let o = cli.run("alice", &["address"]);
    assert_eq!(o.code, 8, "{}", o.stderr);
    assert!(
        o.stderr.contains("in use by another lockstep process"),
        "{}",
        o.stderr
    );
    // Reading still works meanwhile.
    assert_eq!(cli.balance("alice"), 1_000);
    let _ = waiting.kill();
    let _ = waiting.wait();

    // A daemon lets other commands in between its events; a second
    // daemon on the same wallet is refused.
    let mut daemon = cli.daemon("alice");
    daemon.wait_started();
    assert!(
        daemon.child.try_wait().unwrap().is_none(),
        "{}",
        daemon.log()
    );
    cli.ok("alice", &["address"]);
    let o = cli.run("alice", &["daemon"]);
    assert_eq!(o.code, 8, "{}", o.stderr);
    assert!(o.stderr.contains("already runs"), "{}", o.stderr);
    assert_eq!(common::terminate(daemon), 0);
}

#[test]
fn export_import_and_restore_find_the_coins() {
    let relay = TestRelay::start(120);
    let cli = Cli::new(&relay);
    let created = cli.json("alice", &["wallet", "create"]);
    let phrase = created["phrase"].as_str().unwrap().to_string();
    assert_eq!(phrase.split(' ').count(), 12);
    cli.deposit("alice", 4_000);
    cli.deposit("alice", 6_000);
    // Unused addresses in between do not hide later coins from a restore.
    for _ in 0..3 {
        cli.ok("alice", &["address"]);
    }
    cli.deposit("alice", 500);

    let list = cli.json("x", &["wallet", "list"]);
    assert_eq!(list["wallets"], serde_json::json!(["alice"]));

    let backup = cli.data.path().join("alice.backup");
    cli.ok("alice", &["wallet", "export", backup.to_str().unwrap()]);
    let text = std::fs::read_to_string(&backup).unwrap();
    assert!(!text.contains(&phrase[..10]), "the backup is encrypted");
    // Exporting over an existing file is refused.
    assert_eq!(
        cli.run("alice", &["wallet", "export", backup.to_str().unwrap()])
            .code,
        9
    );
    // Import under another name with the backup's password.
    let mut cmd = cli.command("copy", &["wallet", "import", backup.to_str().unwrap()]);
    cmd.env("LOCKSTEP_PASSWORD", "wrong");
    assert_eq!(cli.run_with(cmd, Duration::from_secs(60)).code, 3);
    let mut cmd = cli.command("copy", &["wallet", "import", backup.to_str().unwrap()]);
    cmd.env("LOCKSTEP_PASSWORD", password_of("alice"));
    let o = cli.run_with(cmd, Duration::from_secs(60));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let mut cmd = cli.command("copy", &["--json", "coins"]);
    cmd.env("LOCKSTEP_PASSWORD", password_of("alice"));
    let copy = cli.run_with(cmd, Duration::from_secs(60)).json();
    assert_eq!(copy["balance"], 10_500);

    // Restore from the phrase alone finds every coin at the relay.
    let mut cmd = cli.command("restored", &["--json", "wallet", "restore"]);
    cmd.env("LOCKSTEP_PHRASE", &phrase);
    let o = cli.run_with(cmd, Duration::from_secs(60));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.json()["balance"], 10_500);
    assert_eq!(cli.balance("restored"), 10_500);
    common::assert_owns(&cli, &relay, "restored");
    // A new address of the restored wallet is not one the scan saw in use.
    let v = cli.json("restored", &["address"]);
    assert!(v["index"].as_u64().unwrap() >= 6, "{v}");
    // A mistyped phrase is an input error.
    let mut cmd = cli.command("typo", &["wallet", "restore"]);
    cmd.env("LOCKSTEP_PHRASE", phrase.replacen(' ', "x ", 1));
    assert_eq!(cli.run_with(cmd, Duration::from_secs(60)).code, 2);
}

/// A dishonest sender: its transfer message claims more than the coin
/// holds. The receiver's §7 checks catch it; `receive` shows the failed
/// check, accepts nothing and exits 6.
#[test]
fn a_transfer_that_fails_a_check_is_rejected_with_exit_6() {
    use wallet_core::address::{Address, Network};
    use wallet_core::client::RelayClient;
    use wallet_core::driver::{Executor, Outcome};
    use wallet_core::entropy::{Entropy, SeededEntropy};
    use wallet_core::keys::{Mnemonic, WalletKeys};
    use wallet_core::machine::{Action, Event, OwnedCoin};
    use wallet_core::wallet::Wallet;
    use wallet_core::wire::DepositRequest;

    let relay = TestRelay::start(120);
    let cli = Cli::new(&relay);
    cli.create("bob");
    let to = Address::decode(&cli.ok("bob", &["address"])).unwrap();

    let client = RelayClient::new(cli::http::Http::new(&relay.base).unwrap());
    let mut rng = SeededEntropy::new(77);
    let keys = WalletKeys::from_mnemonic(&Mnemonic::from_entropy(rng.bytes()));
    let k = keys.address(0).unwrap();
    let relay_pubkey = relay.block_on(client.config()).unwrap().relay_pubkey;
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let dep = relay
        .block_on(client.deposit(&DepositRequest::signed(&k, 2_000, now(), rng.bytes())))
        .unwrap();
    // The lie: the message will say 2 500.
    let coin = OwnedCoin {
        statechain_id: dep.statechain_id,
        amount: 2_500,
        aggregated_pubkey: dep.aggregated_pubkey,
        seq: 0,
        index: 0,
    };
    let wallet = Wallet::new("mallory", Network::Demo);
    let mut exec = Executor {
        relay: &client,
        keys: &keys,
        rng: SeededEntropy::new(78),
        relay_pubkey,
        wait: None,
    };
    let register = Action::Register {
        coin: coin.clone(),
        to,
        batch: None,
        by_hash: false,
    };
    let x1 = match relay.block_on(exec.perform(&register, now(), &wallet)) {
        Outcome::Events(e) => match e.as_slice() {
            [Event::Registered { x1, .. }] => *x1,
            other => panic!("{other:?}"),
        },
        Outcome::Retry(e) => panic!("{e}"),
    };
    let upload = Action::Upload {
        coin,
        to,
        batch_id: None,
        x1,
    };
    assert!(matches!(
        relay.block_on(exec.perform(&upload, now(), &wallet)),
        Outcome::Events(_)
    ));

    let o = cli.run("bob", &["receive"]);
    assert_eq!(o.code, 6, "{}\n{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("REJECTED"), "{}", o.stdout);
    assert!(o.stdout.contains("[FAIL] Amount matches"), "{}", o.stdout);
    assert!(o.stdout.contains("[ok  ] Message decrypts"), "{}", o.stdout);
    assert_eq!(cli.balance("bob"), 0);
    // JSON: the same report, check by check.
    let rec = cli.json("bob", &["swap", "status"]);
    assert_eq!(rec["swaps"], serde_json::json!([]));
    // The coin is still the sender's at the relay.
    let info = relay.coin(&dep.statechain_id.to_string());
    assert_eq!(info["owner_auth_pubkey"], k.auth_pubkey().to_string());
}

/// PROTOCOL §8 rev 2: a flood of junk for a wallet's address (300 messages
/// nobody can open, from free demo coins) cannot hide the real one: the
/// wallet pages through them all and receives the coin sent after them.
#[test]
fn a_real_coin_behind_300_junk_messages_is_received() {
    use wallet_core::address::Address;
    use wallet_core::client::RelayClient;
    let relay = TestRelay::start(120);
    let cli = Cli::new(&relay);
    cli.create("alice");
    cli.create("bob");
    let coin = cli.deposit("alice", 4_000);
    let addr = cli.ok("bob", &["address"]);
    let to = Address::decode(&addr).unwrap();
    let client = RelayClient::new(cli::http::Http::new(&relay.base).unwrap());
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let junk = relay
        .block_on(wallet_core::testkit::junk_messages(
            &client, &to, 300, 200, now, 91,
        ))
        .unwrap();
    assert_eq!(junk.len(), 300);
    let sent = cli.run("alice", &["send", &coin[..8], &addr]);
    assert_eq!(sent.code, 0, "{}", sent.stderr);
    // The real message is the 301st: past three full pages of junk.
    let got = cli.run("bob", &["receive"]);
    assert_eq!(got.code, 0, "{}\n{}", got.stdout, got.stderr);
    assert!(got.stdout.contains("Received coin"), "{}", got.stdout);
    assert_eq!(cli.balance("bob"), 4_000);
    common::assert_owns(&cli, &relay, "bob");
}
