//! The command-line wallet (`lockstep`, crate `cli`) as a party beside the
//! browser ones: the real binary as a subprocess against the stack's relay,
//! its wallets in the stack's temporary directory.

use crate::stack::Stack;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

/// What a finished `lockstep` run left.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub struct CliWallet {
    pub name: String,
    relay: String,
    data_dir: PathBuf,
}

/// The `lockstep` binary: `$LOCKSTEP_CLI`, else beside this test's own
/// binary in the target directory (`cargo build -p cli` puts it there;
/// scripts/test.sh does that before these tests).
pub fn lockstep_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("LOCKSTEP_CLI") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/<test> → target/<profile>/lockstep
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("lockstep"))
        .expect("a target directory");
    assert!(
        bin.is_file(),
        "no lockstep binary at {}: run `cargo build -p cli` first (or set LOCKSTEP_CLI)",
        bin.display()
    );
    bin
}

impl CliWallet {
    pub fn new(stack: &Stack, name: &str) -> CliWallet {
        CliWallet {
            name: name.to_string(),
            relay: stack.base.clone(),
            data_dir: stack.data_dir.join("cli-wallets"),
        }
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(lockstep_bin());
        c.args(["--wallet", &self.name])
            .args(args)
            .env("LOCKSTEP_DATA_DIR", &self.data_dir)
            .env("LOCKSTEP_RELAY", &self.relay)
            .env("LOCKSTEP_PASSWORD", format!("pw-of-{}", self.name))
            .env_remove("LOCKSTEP_WALLET")
            .env_remove("LOCKSTEP_PASSWORD_FILE")
            .env_remove("LOCKSTEP_PHRASE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        c
    }

    /// Runs `lockstep --wallet NAME args…` to its end (at most `limit`).
    pub async fn run(&self, args: &[&str], limit: Duration) -> Out {
        let child = self.command(args).spawn().expect("lockstep starts");
        let out = tokio::time::timeout(limit, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("lockstep {args:?} still running after {limit:?}"))
            .expect("lockstep's output");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs and asserts exit 0; returns stdout, trimmed.
    pub async fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args, Duration::from_secs(120)).await;
        assert_eq!(
            o.code, 0,
            "lockstep --wallet {} {args:?} failed: {}\n{}",
            self.name, o.stderr, o.stdout
        );
        o.stdout.trim().to_string()
    }

    /// `--json` run; the last line of stdout as JSON.
    pub async fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        let out = self.ok(&a).await;
        let line = out.lines().last().unwrap_or("");
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }

    pub async fn balance(&self) -> u64 {
        self.json(&["coins"]).await["balance"]
            .as_u64()
            .expect("a balance")
    }
}
