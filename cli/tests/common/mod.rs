//! A real relay in-process on 127.0.0.1 (SQLite in a temporary directory,
//! the system clock) and the real `lockstep` binary run as a subprocess
//! against it. Every wait is bounded.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use relay::clock::SystemClock;
use relay::config::Config;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_lockstep");

pub struct TestRelay {
    pub base: String,
    relay: Option<relay::Relay>,
    rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl TestRelay {
    pub fn start(batch_timeout: u64) -> TestRelay {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::defaults();
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.database = format!("sqlite://{}", dir.path().join("relay.db").display());
        config.rate_limit = 0;
        config.batch_timeout = batch_timeout;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let relay = rt
            .block_on(relay::start(config, Arc::new(SystemClock)))
            .unwrap();
        TestRelay {
            base: format!("http://{}", relay.addr),
            relay: Some(relay),
            rt,
            _dir: dir,
        }
    }

    pub fn get(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.base);
        self.rt.block_on(async {
            reqwest::get(url)
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        })
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// `/info/statechain/{id}`.
    pub fn coin(&self, id: &str) -> Value {
        self.get(&format!("/info/statechain/{id}"))
    }
}

impl Drop for TestRelay {
    fn drop(&mut self) {
        if let Some(r) = self.relay.take() {
            let _ = self.rt.block_on(r.shutdown());
        }
    }
}

/// What a finished `lockstep` run left.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> Value {
        let line = self.stdout.lines().last().unwrap_or("");
        serde_json::from_str(line).unwrap_or_else(|e| {
            panic!("not JSON ({e}): {:?}\nstderr: {}", self.stdout, self.stderr)
        })
    }
}

/// A data directory and a relay URL: the environment of several wallets.
pub struct Cli {
    pub data: tempfile::TempDir,
    pub relay: String,
}

pub fn password_of(wallet: &str) -> String {
    format!("pw-of-{wallet}")
}

impl Cli {
    pub fn new(relay: &TestRelay) -> Cli {
        Cli {
            data: tempfile::tempdir().unwrap(),
            relay: relay.base.clone(),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data.path().join("wallets")
    }

    pub fn command(&self, wallet: &str, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(["--wallet", wallet])
            .args(args)
            .env("LOCKSTEP_DATA_DIR", self.data_dir())
            .env("LOCKSTEP_RELAY", &self.relay)
            .env("LOCKSTEP_PASSWORD", password_of(wallet))
            .env_remove("LOCKSTEP_WALLET")
            .env_remove("LOCKSTEP_PASSWORD_FILE")
            .env_remove("LOCKSTEP_PHRASE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    /// Runs `lockstep --wallet W args…` to its end (at most `limit`).
    pub fn run_with(&self, mut cmd: Command, limit: Duration) -> Out {
        let child = cmd.spawn().expect("lockstep runs");
        finish(child, limit)
    }

    pub fn run(&self, wallet: &str, args: &[&str]) -> Out {
        self.run_with(self.command(wallet, args), Duration::from_secs(120))
    }

    /// Runs and asserts exit 0; returns stdout, trimmed.
    pub fn ok(&self, wallet: &str, args: &[&str]) -> String {
        let o = self.run(wallet, args);
        assert_eq!(
            o.code, 0,
            "lockstep --wallet {wallet} {args:?} failed: {}\n{}",
            o.stderr, o.stdout
        );
        o.stdout.trim().to_string()
    }

    /// Runs with --json and asserts exit 0.
    pub fn json(&self, wallet: &str, args: &[&str]) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        let o = self.run(wallet, &a);
        assert_eq!(o.code, 0, "lockstep {args:?}: {}\n{}", o.stderr, o.stdout);
        o.json()
    }

    pub fn create(&self, wallet: &str) {
        self.ok(wallet, &["wallet", "create"]);
    }

    pub fn deposit(&self, wallet: &str, amount: u64) -> String {
        self.ok(wallet, &["deposit", "--amount", &amount.to_string()])
    }

    pub fn balance(&self, wallet: &str) -> u64 {
        self.json(wallet, &["coins"])["balance"].as_u64().unwrap()
    }

    /// The swap's phase as `swap status --json` shows it (read-only: works
    /// while a daemon holds the wallet).
    pub fn phase(&self, wallet: &str) -> String {
        let v = self.json(wallet, &["swap", "status"]);
        v["swaps"][0]["phase"]
            .as_str()
            .unwrap_or("none")
            .to_string()
    }

    /// Starts `lockstep daemon`; its stderr goes to a log file beside the
    /// wallets (read by [`terminate`] to know it is listening for signals).
    pub fn daemon(&self, wallet: &str) -> Daemon {
        self.daemon_with(wallet, &[])
    }

    /// `lockstep [extra…] daemon --poll 1`, stdout and stderr to files.
    pub fn daemon_with(&self, wallet: &str, extra: &[&str]) -> Daemon {
        let file = |suffix: &str| {
            tempfile::Builder::new()
                .prefix(&format!("{wallet}-daemon-"))
                .suffix(suffix)
                .tempfile_in(self.data.path())
                .unwrap()
                .into_temp_path()
                .keep()
                .unwrap()
        };
        let (log, out) = (file(".log"), file(".out"));
        let mut args = extra.to_vec();
        args.extend_from_slice(&["daemon", "--poll", "1"]);
        let mut c = self.command(wallet, &args);
        c.stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&log).unwrap());
        Daemon {
            child: c.spawn().expect("daemon starts"),
            log,
            out,
        }
    }
}

pub struct Daemon {
    pub child: Child,
    /// Its stderr (sentences).
    pub log: PathBuf,
    /// Its stdout (JSON lines with --json).
    pub out: PathBuf,
}

impl Daemon {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn out(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// Waits until the daemon holds the wallet and listens for signals.
    pub fn wait_started(&mut self) {
        wait_until(Duration::from_secs(30), "the daemon to start", || {
            self.log().contains("Ctrl-c to stop")
                || self.out().contains("\"event\":\"started\"")
                || self.child.try_wait().unwrap().is_some()
        });
    }
}

/// Waits for a child, killing it (and failing) past `limit`.
pub fn finish(mut child: Child, limit: Duration) -> Out {
    let start = Instant::now();
    // Read the pipes on threads so a chatty child never blocks on a full pipe.
    let mut so = child.stdout.take();
    let mut se = child.stderr.take();
    let t1 = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = so.as_mut() {
            let _ = p.read_to_string(&mut s);
        }
        s
    });
    let t2 = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = se.as_mut() {
            let _ = p.read_to_string(&mut s);
        }
        s
    });
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "lockstep did not finish within {limit:?}; stderr so far: {}",
                t2.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Out {
        code: status.code().unwrap_or(-1),
        stdout: t1.join().unwrap(),
        stderr: t2.join().unwrap(),
    }
}

/// Polls `cond` every 100 ms for at most `limit`.
pub fn wait_until(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// SIGKILL: no chance to clean up (what a power cut or `kill -9` does).
pub fn kill9(d: &mut Daemon) {
    let _ = d.child.kill();
    let _ = d.child.wait();
}

/// SIGTERM once the daemon says it runs, then its exit code (bounded).
pub fn terminate(mut d: Daemon) -> i32 {
    d.wait_started();
    let pid = d.child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let start = Instant::now();
    loop {
        if let Some(s) = d.child.try_wait().unwrap() {
            return s.code().unwrap_or(-1);
        }
        if start.elapsed() > Duration::from_secs(30) {
            kill9(&mut d);
            panic!(
                "the daemon did not stop within 30 s of SIGTERM; log: {}",
                d.log()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every coin a wallet lists is owned at the relay by that wallet's key,
/// at the same `seq`.
pub fn assert_owns(cli: &Cli, relay: &TestRelay, wallet: &str) {
    let v = cli.json(wallet, &["coins"]);
    for c in v["coins"].as_array().unwrap() {
        let info = relay.coin(c["coin"].as_str().unwrap());
        assert_eq!(
            info["owner_auth_pubkey"], c["auth_pubkey"],
            "{wallet}: owner of {c}"
        );
        assert_eq!(info["seq"], c["seq"], "{wallet}: seq of {c}");
    }
}

pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}
