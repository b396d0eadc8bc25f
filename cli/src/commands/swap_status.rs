//! `swap status`, once or `--watch`ing.

use super::ctx::{Ctx, interrupted, keys_of, stop_signal};
use super::swap::{Target, find_swap};
use crate::error::{CliError, Exit};
use crate::host::{self, End, Host, Log, Mode};
use crate::render;
use serde_json::{Value, json};
use std::io::IsTerminal;
use std::time::Duration;
use wallet_core::machine::swap::SwapPhase;
use wallet_core::wallet::Record;

async fn relay_now_or_device(ctx: &Ctx) -> (u64, &'static str) {
    if let Ok(relay) = ctx.relay()
        && let Ok(Ok((_, offset))) =
            tokio::time::timeout(Duration::from_secs(3), host::relay_config(&relay)).await
    {
        return (
            ((host::device_now() as i64) + offset).max(0) as u64,
            "relay clock",
        );
    }
    (host::device_now(), "device clock: the relay did not answer")
}

pub(super) async fn swap_status(ctx: &Ctx, batch: Option<&str>) -> Result<Exit, CliError> {
    let (_store, wallet) = ctx.open_read()?;
    let (now, clock) = relay_now_or_device(ctx).await;
    if let Some(b) = batch {
        let target = find_swap(&wallet, Some(b), |_| true)?;
        match target {
            Target::Swap(rid) => {
                if let Some(Record::Swap(s)) = wallet.records.get(&rid) {
                    ctx.emit(&render::swap_text(s, now, clock), render::swap_json(s, now));
                }
            }
            Target::Invite(id) => {
                if let Some(p) = wallet.invites.get(&id) {
                    ctx.emit(&render::invite_text(&id, p), render::invite_json(&id, p));
                }
            }
        }
        return Ok(Exit::Ok);
    }
    let mut human = String::new();
    let mut swaps: Vec<&wallet_core::machine::swap::Swap> = wallet
        .records
        .values()
        .filter_map(|r| match r {
            Record::Swap(s) => Some(s.as_ref()),
            _ => None,
        })
        .collect();
    swaps.sort_by_key(|s| (s.phase.is_final(), std::cmp::Reverse(s.updated_at)));
    for (id, p) in &wallet.invites {
        human.push_str(&render::invite_text(id, p));
    }
    for s in &swaps {
        human.push_str(&render::swap_text(s, now, clock));
    }
    if human.is_empty() {
        human =
            "No swaps. Start one with `lockstep swap create --give <coin> --want <amount>`.".into();
    }
    ctx.emit(
        &human,
        json!({
            "relay_time": now,
            "invites": wallet.invites.iter().map(|(id, p)| render::invite_json(id, p)).collect::<Vec<_>>(),
            "swaps": swaps.iter().map(|s| render::swap_json(s, now)).collect::<Vec<_>>(),
        }),
    );
    Ok(Exit::Ok)
}

/// What a live view prints: the whole status, redrawn on a terminal,
/// printed again on change otherwise.
struct Viewer {
    json: bool,
    tty: bool,
    last: String,
}

impl Viewer {
    fn show(&mut self, s: &wallet_core::machine::swap::Swap, now: u64, clock: &str) {
        if self.json {
            let mut j = render::swap_json(s, now);
            // Only print when something other than the clock changed.
            let key = {
                let mut k = j.clone();
                k["relay_time"] = Value::Null;
                k["seconds_left"] = Value::Null;
                k.to_string()
            };
            if key != self.last {
                self.last = key;
                j["event"] = json!("swap_status");
                println!("{j}");
            }
        } else if self.tty {
            print!("\x1b[2J\x1b[H{}", render::swap_text(s, now, clock));
            println!(
                "(ctrl-c to stop watching; the swap carries on with the next command or daemon)"
            );
        } else {
            let text = render::swap_text(s, now, clock);
            // Without a terminal, the countdown line alone is no news.
            let key: String = text.lines().filter(|l| !l.contains("deadline:")).collect();
            if key != self.last {
                self.last = key;
                println!("{text}");
            }
        }
    }
}

fn swap_outcome(s: &wallet_core::machine::swap::Swap) -> Result<Exit, CliError> {
    match s.phase {
        SwapPhase::Completed => Ok(Exit::Ok),
        SwapPhase::BackedOut => Err(CliError::new(
            Exit::BackedOut,
            "backed_out",
            format!(
                "Swap {} backed out: it did not commit, and every coin went back to its sender.{}",
                render::short(&s.batch_id),
                s.note
                    .as_ref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            ),
        )),
        _ => Err(interrupted()),
    }
}

pub(super) async fn swap_watch(ctx: &Ctx, batch: Option<&str>) -> Result<Exit, CliError> {
    let mut viewer = Viewer {
        json: ctx.json(),
        tty: std::io::stdout().is_terminal(),
        last: String::new(),
    };
    let lock = if ctx.data.daemon_running(&ctx.name) {
        Err(CliError::new(
            Exit::Busy,
            "daemon_running",
            "a daemon drives this wallet",
        ))
    } else {
        ctx.data.lock(&ctx.name)
    };
    match lock {
        Ok(lock) => {
            let (store, wallet) = ctx.open_read()?;
            let keys = keys_of(&store)?;
            let rid = match find_swap(&wallet, batch, |r| !r.is_final())? {
                Target::Swap(rid) => rid,
                Target::Invite(_) => {
                    return Err(CliError::usage(
                        "This invite has no answer yet: accept one with `lockstep swap accept <answer>`, then watch.",
                    ));
                }
            };
            let mut h = Host::connect(
                store,
                wallet,
                keys,
                ctx.relay()?,
                lock,
                Log {
                    human: false,
                    events: false,
                    stamp: false,
                },
            )
            .await?;
            let stop = stop_signal();
            let mode = Mode::UntilFinal {
                rid: rid.clone(),
                poll: Duration::from_secs(10),
            };
            let mut observe = |h: &Host| {
                if let Some(Record::Swap(s)) = h.wallet.records.get(&rid) {
                    viewer.show(s, h.now(), "relay clock");
                }
            };
            observe(&h);
            let end = h
                .drive(&mode, &stop, Some(Duration::from_secs(1)), &mut observe)
                .await?;
            observe(&h);
            match (end, h.wallet.records.get(&rid)) {
                (End::Stopped, _) => Err(interrupted()),
                (_, Some(Record::Swap(s))) => swap_outcome(s),
                _ => Ok(Exit::Ok),
            }
        }
        Err(e) if e.exit == Exit::Busy => {
            // Another process (the daemon) drives the wallet: follow its file.
            let (store, wallet) = ctx.open_read()?;
            let rid = match find_swap(&wallet, batch, |r| !r.is_final())? {
                Target::Swap(rid) => rid,
                Target::Invite(_) => {
                    return Err(CliError::usage("This invite has no answer yet."));
                }
            };
            // stderr even with --json: stdout carries only the status lines.
            eprintln!(
                "Another lockstep process (the daemon?) is driving this wallet; following its progress."
            );
            let stop = stop_signal();
            let relay = ctx.relay()?;
            let offset = match host::relay_config(&relay).await {
                Ok((_, o)) => o,
                Err(_) => 0,
            };
            let mut current = wallet;
            loop {
                let now = (host::device_now() as i64 + offset).max(0) as u64;
                let Some(Record::Swap(s)) = current.records.get(&rid) else {
                    return Ok(Exit::Ok);
                };
                viewer.show(s, now, "relay clock");
                if s.phase.is_final() {
                    return swap_outcome(s);
                }
                if stop.sleep(Duration::from_secs(1)).await {
                    return Err(interrupted());
                }
                match store.reread() {
                    Ok(Some(w)) => current = w,
                    Ok(None) => {
                        // Sealed under another key: open it with the password again.
                        let (_, w) = ctx.open_read()?;
                        current = w;
                    }
                    Err(_) => {} // Mid-replace or unreadable for a moment: try again.
                }
            }
        }
        Err(e) => Err(e),
    }
}
