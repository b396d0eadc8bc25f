//! What every command shares: the context (flags, data directory, wallet
//! name) and how it opens the wallet and the relay, the stop signal, and
//! finding an id by its prefix.

use crate::args::Global;
use crate::error::{CliError, Exit};
use crate::host::{End, Host, Log, Mode, Stop};
use crate::store::{DataDir, Store, WalletLock};
use cli::http::Http;
use serde_json::Value;
use std::collections::BTreeSet;
use wallet_core::Id;
use wallet_core::client::RelayClient;
use wallet_core::keys::{Mnemonic, WalletKeys};
use wallet_core::wallet::Wallet;

pub(super) struct Ctx {
    pub(super) g: Global,
    pub(super) data: DataDir,
    pub(super) name: String,
}

impl Ctx {
    pub(super) fn json(&self) -> bool {
        self.g.json
    }

    /// Progress lines: sentences on stderr unless --json.
    pub(super) fn log(&self) -> Log {
        Log {
            human: !self.g.json,
            events: false,
            stamp: false,
        }
    }

    /// Prints a command's result: `human` on stdout, or `json` with --json.
    pub(super) fn emit(&self, human: &str, json: Value) {
        if self.json() {
            println!("{json}");
        } else if !human.is_empty() {
            println!("{}", human.trim_end());
        }
    }

    /// A note for humans on stderr (never mixed into stdout's result).
    pub(super) fn note(&self, text: &str) {
        if !self.json() {
            eprintln!("{text}");
        }
    }

    pub(super) fn relay(&self) -> Result<RelayClient<Http>, CliError> {
        Ok(RelayClient::new(Http::new(&self.g.relay)?))
    }

    /// The wallet password: --password-file, LOCKSTEP_PASSWORD, or a prompt.
    pub(super) fn password(&self, confirm: bool) -> Result<String, CliError> {
        if let Some(path) = &self.g.password_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::new(
                    Exit::Password,
                    "password_file",
                    format!("Cannot read the password file {}: {e}.", path.display()),
                )
            })?;
            return Ok(text.lines().next().unwrap_or("").to_string());
        }
        if let Ok(p) = std::env::var("LOCKSTEP_PASSWORD") {
            return Ok(p);
        }
        let prompt = |p: &str| {
            rpassword::prompt_password(p).map_err(|_| {
                CliError::new(
                    Exit::Password,
                    "no_password",
                    "No password: there is no terminal to ask on. Give --password-file or set LOCKSTEP_PASSWORD.",
                )
            })
        };
        let first = prompt(&format!("Password for wallet \"{}\": ", self.name))?;
        if confirm {
            let again = prompt("Repeat the password: ")?;
            if again != first {
                return Err(CliError::new(
                    Exit::Password,
                    "password_mismatch",
                    "The two passwords differ. Nothing was created.",
                ));
            }
        }
        Ok(first)
    }

    /// Opens the wallet without its lock (reading only).
    pub(super) fn open_read(&self) -> Result<(Store, Wallet), CliError> {
        // Say "no such wallet" before asking for a password.
        self.data.read_vault(&self.name)?;
        let password = self.password(false)?;
        Store::open(&self.data, &self.name, &password)
    }

    /// Opens the wallet holding its lock (to change it).
    pub(super) fn open_locked(&self) -> Result<(Store, Wallet, WalletKeys, WalletLock), CliError> {
        let lock = self.data.lock(&self.name)?;
        let (store, wallet) = self.open_read()?;
        let keys = keys_of(&store)?;
        Ok((store, wallet, keys, lock))
    }

    /// The wallet, locked and connected to its relay.
    pub(super) async fn host(&self) -> Result<Host, CliError> {
        let (store, wallet, keys, lock) = self.open_locked()?;
        Host::connect(store, wallet, keys, self.relay()?, lock, self.log()).await
    }
}

pub(super) fn keys_of(store: &Store) -> Result<WalletKeys, CliError> {
    let m = Mnemonic::parse(store.phrase())
        .map_err(|_| CliError::storage("The wallet file holds an invalid recovery phrase."))?;
    Ok(WalletKeys::from_mnemonic(&m))
}

/// Listens for ctrl-c and SIGTERM (only while a command drives the wallet,
/// so a password prompt can still be interrupted). A second signal exits at
/// once; the wallet file is consistent at every instant anyway.
pub(super) fn stop_signal() -> Stop {
    let (tx, rx) = tokio::sync::watch::channel(false);
    // Install both handlers now, before the caller prints anything: a
    // supervisor (or a test) may signal as soon as it sees output, and a
    // handler installed later inside the task would miss it.
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt()).ok();
    let mut term = signal(SignalKind::terminate()).ok();
    tokio::spawn(async move {
        let mut count = 0;
        loop {
            let got = match (int.as_mut(), term.as_mut()) {
                (Some(i), Some(t)) => tokio::select! {
                    v = i.recv() => v,
                    v = t.recv() => v,
                },
                (Some(i), None) => i.recv().await,
                (None, Some(t)) => t.recv().await,
                (None, None) => None,
            };
            if got.is_none() {
                // No handler could be installed: never signal a stop.
                std::future::pending::<()>().await;
            }
            count += 1;
            if count > 1 {
                std::process::exit(Exit::Interrupted.code().into());
            }
            let _ = tx.send(true);
        }
    });
    Stop(rx)
}

pub(super) fn interrupted() -> CliError {
    CliError::new(
        Exit::Interrupted,
        "interrupted",
        "Interrupted. The wallet saved its progress; `lockstep daemon` or `lockstep swap status --watch` carries on.",
    )
}

/// Drives the wallet as far as it goes without waiting for anyone; ctrl-c
/// or SIGTERM stops it.
pub(super) async fn drive_blocked(h: &mut Host) -> Result<End, CliError> {
    let stop = stop_signal();
    h.drive(&Mode::Blocked, &stop, None, &mut |_| {}).await
}

pub(super) fn find_id(
    ids: impl Iterator<Item = Id>,
    text: &str,
    what: &str,
    hint: &str,
) -> Result<Id, CliError> {
    let t = text.trim().to_ascii_lowercase();
    if t.is_empty() {
        return Err(CliError::usage(format!("Name a {what}.")));
    }
    let found: Vec<Id> = ids
        .filter(|id| id.to_string().starts_with(&t))
        .collect::<BTreeSet<Id>>()
        .into_iter()
        .collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(CliError::usage(format!(
            "This wallet has no {what} {text}. {hint}"
        ))),
        many => Err(CliError::usage(format!(
            "\"{text}\" matches {} {what}s; give more of the id.",
            many.len()
        ))),
    }
}
