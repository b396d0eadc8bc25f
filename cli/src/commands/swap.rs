//! `swap create`, `join`, `accept`, `confirm`, `abort`, and finding a
//! swap by its batch id.

use super::coins::find_coin;
use super::ctx::{Ctx, drive_blocked, find_id, interrupted};
use crate::error::{CliError, Exit};
use crate::host::{End, Host};
use crate::render;
use crate::store::OsEntropy;
use serde_json::{Value, json};
use wallet_core::Id;
use wallet_core::entropy::Entropy;
use wallet_core::invite::Invite;
use wallet_core::machine::Event;
use wallet_core::machine::swap::{Swap, SwapPhase};
use wallet_core::wallet::{Record, Wallet};

pub(super) async fn swap_create(
    ctx: &Ctx,
    give: &[String],
    want: u64,
    expires_in: u64,
) -> Result<Exit, CliError> {
    let mut h = ctx.host().await?;
    let coins = give
        .iter()
        .map(|g| find_coin(&h.wallet, g))
        .collect::<Result<Vec<_>, _>>()?;
    let batch_id = OsEntropy.uuid_v4();
    let now = h.now();
    let invite = h.wallet.create_invite(
        &h.keys,
        &coins,
        want,
        batch_id,
        now.saturating_add(expires_in),
        now,
    )?;
    h.persist()?;
    let code = invite.encode();
    let link = format!("{}/#join={code}", ctx.g.relay.trim_end_matches('/'));
    ctx.note(&format!(
        "Invite for swap {}: you give {}, you want at least {}.\nGive it to the other party (or this link, which opens the web wallet's join form: {link});\nthey run `lockstep swap join <invite> --give <coin>` and send you their answer, which you accept with `lockstep swap accept <answer>`.",
        render::short(&batch_id),
        render::sat(u64::try_from(invite.gives_total()).unwrap_or(u64::MAX)),
        render::sat(want)
    ));
    ctx.emit(
        &code,
        json!({"invite": code, "link": link, "batch_id": batch_id, "gives": invite.gives(), "want": want, "expires_at": invite.expires_at()}),
    );
    Ok(Exit::Ok)
}

pub(super) async fn swap_join(
    ctx: &Ctx,
    code: &str,
    give: &[String],
    manual: bool,
    no_wait: bool,
) -> Result<Exit, CliError> {
    let mut h = ctx.host().await?;
    // The web wallet shares invites as links too: `https://relay/#join=lsi1…`.
    let code = match code.split_once("#join=") {
        Some((_, c)) => c.trim(),
        None => code.trim(),
    };
    let invite = Invite::decode(code, h.wallet.network)?;
    let now = h.now();
    if invite.is_expired(now) {
        return Err(CliError::usage(format!(
            "This invite expired at {}; ask for a new one.",
            render::utc(invite.expires_at())
        )));
    }
    let coins = give
        .iter()
        .map(|g| find_coin(&h.wallet, g))
        .collect::<Result<Vec<_>, _>>()?;
    let max = usize::try_from(h.config.max_batch_size).unwrap_or(usize::MAX);
    let keys = h.keys.clone();
    let (answer, rid, actions) = h
        .wallet
        .join_invite(&keys, code, &coins, manual, max, now)?;
    h.start(&rid, actions)?;
    let answer = answer.encode();
    ctx.note(&format!(
        "Joined swap {}: you give {}, you get {}. Send this answer to the invite's creator:",
        render::short(&invite.batch_id()),
        render::sat(
            coins
                .iter()
                .filter_map(|c| h.wallet.coins.get(c))
                .map(|c| c.amount)
                .sum()
        ),
        render::sat(u64::try_from(invite.gives_total()).unwrap_or(u64::MAX))
    ));
    if !ctx.json() {
        println!("{answer}");
    }
    let end = if no_wait {
        End::Blocked
    } else {
        drive_blocked(&mut h).await?
    };
    finish_swap_command(ctx, &h, &rid, end, json!({"answer": answer}))
}

pub(super) async fn swap_accept(
    ctx: &Ctx,
    answer: &str,
    manual: bool,
    no_wait: bool,
) -> Result<Exit, CliError> {
    let mut h = ctx.host().await?;
    let now = h.now();
    let max = usize::try_from(h.config.max_batch_size).unwrap_or(usize::MAX);
    let (rid, actions) = h.wallet.accept_answer(answer.trim(), manual, max, now)?;
    h.start(&rid, actions)?;
    let end = if no_wait {
        End::Blocked
    } else {
        drive_blocked(&mut h).await?
    };
    finish_swap_command(ctx, &h, &rid, end, json!({}))
}

/// Prints where a swap stands after a command drove it as far as it could.
fn finish_swap_command(
    ctx: &Ctx,
    h: &Host,
    rid: &str,
    end: End,
    extra: Value,
) -> Result<Exit, CliError> {
    if end == End::Stopped {
        return Err(interrupted());
    }
    let s = swap_record(h, rid)?;
    let now = h.now();
    let mut j = render::swap_json(s, now);
    if let (Value::Object(m), Value::Object(e)) = (&mut j, extra) {
        m.extend(e);
    }
    let next = match s.phase {
        SwapPhase::Completed => "",
        SwapPhase::BackedOut => "",
        _ if s.awaits_confirmation() => {
            "Read the checks, then `lockstep swap confirm` to unlock (or `lockstep swap abort`)."
        }
        _ => {
            "Waiting for the other party: `lockstep daemon` or `lockstep swap status --watch` finishes the swap."
        }
    };
    if !ctx.json() {
        eprint!("{}", render::swap_text(s, now, "relay clock"));
        if !next.is_empty() {
            eprintln!("{next}");
        }
    } else {
        println!("{j}");
    }
    Ok(if s.phase == SwapPhase::BackedOut {
        Exit::BackedOut
    } else {
        Exit::Ok
    })
}

/// The swap record `rid` of the wallet `h` drives.
fn swap_record<'h>(h: &'h Host, rid: &str) -> Result<&'h Swap, CliError> {
    match h.wallet.records.get(rid) {
        Some(Record::Swap(s)) => Ok(s),
        _ => Err(CliError::new(
            Exit::Failure,
            "internal",
            "The swap record vanished.",
        )),
    }
}

pub(super) enum Target {
    Swap(String),
    Invite(Id),
}

/// A swap (or unanswered invite) named by batch prefix, or the only one
/// `pick` accepts.
pub(super) fn find_swap(
    wallet: &Wallet,
    batch: Option<&str>,
    pick: impl Fn(&Record) -> bool,
) -> Result<Target, CliError> {
    let swaps: Vec<(Id, String)> = wallet
        .records
        .iter()
        .filter_map(|(rid, r)| match r {
            Record::Swap(s) => Some((s.batch_id, rid.clone())),
            _ => None,
        })
        .collect();
    if let Some(b) = batch {
        let ids = swaps
            .iter()
            .map(|(id, _)| *id)
            .chain(wallet.invites.keys().copied());
        let id = find_id(ids, b, "swap", "Run `lockstep swap status` to list them.")?;
        return Ok(match swaps.iter().find(|(i, _)| *i == id) {
            Some((_, rid)) => Target::Swap(rid.clone()),
            None => Target::Invite(id),
        });
    }
    let live: Vec<&String> = swaps
        .iter()
        .filter(|(_, rid)| wallet.records.get(rid).is_some_and(&pick))
        .map(|(_, rid)| rid)
        .collect();
    let invites: Vec<Id> = wallet.invites.keys().copied().collect();
    match (live.as_slice(), invites.as_slice()) {
        ([one], []) => Ok(Target::Swap((*one).clone())),
        ([], [one]) => Ok(Target::Invite(*one)),
        ([], []) => Err(CliError::usage(
            "There is no swap in progress in this wallet.",
        )),
        _ => Err(CliError::usage(
            "Several swaps are in progress: name one by its batch id (see `lockstep swap status`).",
        )),
    }
}

pub(super) async fn swap_confirm(ctx: &Ctx, batch: Option<&str>) -> Result<Exit, CliError> {
    let mut h = ctx.host().await?;
    let rid = match find_swap(
        &h.wallet,
        batch,
        |r| matches!(r, Record::Swap(s) if s.may_confirm()),
    )? {
        Target::Swap(rid) => rid,
        Target::Invite(_) => return Err(CliError::usage("An invite has nothing to confirm yet.")),
    };
    h.feed(&rid, Event::UserConfirm)?;
    let end = drive_blocked(&mut h).await?;
    finish_swap_command(ctx, &h, &rid, end, json!({}))
}

pub(super) async fn swap_abort(
    ctx: &Ctx,
    batch: Option<&str>,
    no_wait: bool,
) -> Result<Exit, CliError> {
    // Cancelling an invite needs no relay.
    {
        let (mut store, mut wallet, _keys, lock) = ctx.open_locked()?;
        if let Target::Invite(id) = find_swap(&wallet, batch, |r| !r.is_final())? {
            wallet.cancel_invite(&id)?;
            store.save(&wallet)?;
            drop(lock);
            ctx.emit(
                &format!(
                    "Invite {} cancelled; its coins are free again.",
                    render::short(&id)
                ),
                json!({"batch_id": id, "cancelled": true}),
            );
            return Ok(Exit::Ok);
        }
    }
    let mut h = ctx.host().await?;
    let rid = match find_swap(&h.wallet, batch, |r| !r.is_final())? {
        Target::Swap(rid) => rid,
        Target::Invite(_) => return Err(CliError::usage("No such swap.")),
    };
    if let Some(Record::Swap(s)) = h.wallet.records.get(&rid)
        && !s.phase.before_commit()
    {
        let msg = match s.phase {
            SwapPhase::BackingOut | SwapPhase::BackedOut => {
                "This swap is already backing out.".to_string()
            }
            _ => "Too late to abort: the swap committed, so every transfer completes.".to_string(),
        };
        return Err(CliError::new(Exit::Refused, "swap_committed", msg));
    }
    h.feed(&rid, Event::UserAbort)?;
    let end = if no_wait {
        End::Blocked
    } else {
        drive_blocked(&mut h).await?
    };
    if end == End::Stopped {
        return Err(interrupted());
    }
    let s = swap_record(&h, &rid)?;
    let now = h.now();
    ctx.emit(
        &render::swap_text(s, now, "relay clock"),
        render::swap_json(s, now),
    );
    match s.phase {
        SwapPhase::Completed | SwapPhase::Committed => Err(CliError::new(
            Exit::Refused,
            "swap_committed",
            "Too late to abort: the swap committed, so every transfer completes.",
        )),
        _ => Ok(Exit::Ok),
    }
}
