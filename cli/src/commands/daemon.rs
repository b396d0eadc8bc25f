//! `daemon`: drives the wallet until stopped.

use super::ctx::{Ctx, stop_signal};
use crate::error::{CliError, Exit};
use crate::host::{self, Log, Mode};
use serde_json::json;
use std::time::Duration;

pub(super) async fn daemon(ctx: &Ctx, poll: u64, receive: bool) -> Result<Exit, CliError> {
    // Say "no such wallet" before taking any lock.
    ctx.data.read_vault(&ctx.name)?;
    let _daemon = ctx.data.daemon_lock(&ctx.name)?;
    let log = Log {
        human: !ctx.json(),
        events: ctx.json(),
        stamp: true,
    };
    // Listen for signals before saying "started": a supervisor may stop us
    // as soon as it reads that line.
    let stop = stop_signal();
    tokio::task::yield_now().await;
    // A daemon started before its relay waits for it.
    let relay = ctx.relay()?;
    let mut delay = 1u64;
    loop {
        match host::relay_config(&relay).await {
            Ok(_) => break,
            Err(e) if e.exit == Exit::Unreachable => {
                log.say(
                    &format!("{} Trying again in {delay} s.", e.message),
                    json!({"event": "relay_unreachable", "retry_in": delay}),
                );
                if stop.sleep(Duration::from_secs(delay)).await {
                    return Ok(Exit::Ok);
                }
                delay = (delay * 2).min(30);
            }
            Err(e) => return Err(e),
        }
    }
    let mut h = ctx.host().await?;
    h.share_lock(ctx.data.clone(), ctx.name.clone());
    h.log = log;
    let pending = h.wallet.records.values().filter(|r| !r.is_final()).count();
    h.log.say(
        &format!(
            "Daemon for wallet \"{}\" on {}: {pending} transfer(s)/swap(s) in progress. Ctrl-c to stop.",
            ctx.name,
            ctx.g.relay
        ),
        json!({"event": "started", "wallet": ctx.name, "pending": pending, "pid": std::process::id()}),
    );
    let mode = Mode::Forever {
        receive,
        poll: Duration::from_secs(poll.clamp(1, 3600)),
    };
    h.drive(&mode, &stop, None, &mut |_| {}).await?;
    h.log.say(
        "Stopped. Everything is saved; the next start resumes where this one left off.",
        json!({"event": "stopped"}),
    );
    Ok(Exit::Ok)
}
