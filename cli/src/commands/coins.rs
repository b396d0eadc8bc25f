//! `address`, `deposit`, `coins`, `send`, `receive`.

use super::ctx::{Ctx, drive_blocked, find_id, interrupted, keys_of, stop_signal};
use crate::error::{CliError, Exit};
use crate::host::{self, End, Mode};
use crate::render;
use crate::store::OsEntropy;
use serde_json::json;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use wallet_core::Id;
use wallet_core::address::Address;
use wallet_core::deposit;
use wallet_core::entropy::Entropy;
use wallet_core::machine::receive::ReceivePhase;
use wallet_core::machine::send::SendPhase;
use wallet_core::wallet::{Record, Wallet};
use wallet_core::wire::DepositRequest;

pub(super) fn address(ctx: &Ctx) -> Result<Exit, CliError> {
    let (mut store, mut wallet, keys, _lock) = ctx.open_locked()?;
    let a = wallet.new_address(&keys, host::device_now())?;
    store.save(&wallet)?;
    let index = wallet.next_index - 1;
    ctx.emit(&a.encode(), json!({"address": a.encode(), "index": index}));
    Ok(Exit::Ok)
}

pub(super) async fn deposit(ctx: &Ctx, amount: u64) -> Result<Exit, CliError> {
    let mut h = ctx.host().await?;
    if amount == 0 || amount > h.config.max_demo_amount {
        return Err(CliError::usage(format!(
            "A demo deposit is between 1 and {} sat.",
            h.config.max_demo_amount
        )));
    }
    // The index is taken and saved first: a crash after the relay credits
    // the coin must not hand the same key out again.
    let index = h.wallet.take_index();
    h.persist()?;
    let k = h.keys.address(index)?;
    let now = h.now();
    let req = DepositRequest::signed(&k, amount, now, OsEntropy.bytes());
    let resp = h.relay.deposit(&req).await?;
    let coin = match deposit::check(&resp, &k, index, amount, &h.config.relay_pubkey) {
        Err(wallet_core::Error::BadSignature) => {
            return Err(CliError::new(
                Exit::Verification,
                "bad_receipt",
                "The relay's deposit receipt does not verify; the coin was not added.",
            ));
        }
        checked => checked?,
    };
    h.wallet.add_deposit(coin, resp.receipt, now);
    h.persist()?;
    ctx.note(&format!(
        "Deposited {} of demo coins (not real bitcoin).",
        render::sat(amount)
    ));
    ctx.emit(
        &resp.statechain_id.to_string(),
        json!({"coin": resp.statechain_id, "amount": amount, "index": index}),
    );
    Ok(Exit::Ok)
}

/// A coin of this wallet by id or unique prefix.
pub(super) fn find_coin(wallet: &Wallet, text: &str) -> Result<Id, CliError> {
    find_id(
        wallet.coins.keys().copied(),
        text,
        "coin",
        "Run `lockstep coins` to list them.",
    )
}

pub(super) fn coins(ctx: &Ctx) -> Result<Exit, CliError> {
    let (store, wallet) = ctx.open_read()?;
    let keys = keys_of(&store)?;
    let locked = wallet.locked();
    let available: BTreeSet<Id> = wallet.available().iter().map(|c| c.statechain_id).collect();
    let mut rows = Vec::new();
    let mut human = String::new();
    for c in wallet.coins.values() {
        let (state, record) = match locked.get(&c.statechain_id) {
            Some(rid) => ("in_progress", Some(rid.clone())),
            None if available.contains(&c.statechain_id) => ("available", None),
            None => ("offered_in_invite", None),
        };
        let auth = keys.address(c.index)?.auth_pubkey();
        human.push_str(&format!(
            "{}  {:>14}  {}{}\n",
            c.statechain_id,
            render::sat(c.amount),
            state.replace('_', " "),
            record
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ));
        rows.push(json!({
            "coin": c.statechain_id, "amount": c.amount, "seq": c.seq, "index": c.index,
            "state": state, "record": record, "auth_pubkey": auth,
        }));
    }
    let available_total: u64 = wallet.available().iter().map(|c| c.amount).sum();
    if wallet.coins.is_empty() {
        human.push_str("No coins. Get demo coins with `lockstep deposit --amount 10000`.\n");
    }
    human.push_str(&format!(
        "Balance: {} ({} available)",
        render::sat(wallet.balance()),
        render::sat(available_total)
    ));
    ctx.emit(
        &human,
        json!({"coins": rows, "balance": wallet.balance(), "available": available_total}),
    );
    Ok(Exit::Ok)
}

pub(super) async fn send(ctx: &Ctx, coin: &str, to: &str, no_wait: bool) -> Result<Exit, CliError> {
    let mut h = ctx.host().await?;
    let id = find_coin(&h.wallet, coin)?;
    let to = Address::decode_for(to.trim(), h.wallet.network)?;
    let now = h.now();
    let (rid, actions) = h.wallet.start_send(&id, to, now)?;
    h.start(&rid, actions)?;
    if !no_wait && drive_blocked(&mut h).await? == End::Stopped {
        return Err(interrupted());
    }
    let Some(Record::Send(s)) = h.wallet.records.get(&rid) else {
        return Err(CliError::new(
            Exit::Failure,
            "internal",
            "The send record vanished.",
        ));
    };
    let out = render::send_json(s);
    match &s.phase {
        SendPhase::Failed { code } => Err(CliError::new(
            Exit::Refused,
            code.as_str(),
            format!(
                "The relay refused the transfer: {} The coin stays yours.",
                code.user_message()
            ),
        )),
        SendPhase::Sent => {
            ctx.emit("", out);
            Ok(Exit::Ok)
        }
        _ => {
            ctx.emit(
                "The transfer is started; `lockstep daemon` (or this wallet's next command) finishes it.",
                out,
            );
            Ok(Exit::Ok)
        }
    }
}

pub(super) async fn receive(ctx: &Ctx, wait: u64) -> Result<Exit, CliError> {
    let mut h = ctx.host().await?;
    // The full reports go to stdout below, not as progress lines.
    h.log.human = false;
    let stop = stop_signal();
    if h.wallet.addresses.is_empty() {
        ctx.note("This wallet has handed out no address yet: create one with `lockstep address`.");
    }
    let before: BTreeSet<String> = h.wallet.records.keys().cloned().collect();
    let pending: Vec<String> = h
        .wallet
        .records
        .iter()
        .filter(|(_, r)| matches!(r, Record::Receive(_)) && !r.is_final())
        .map(|(k, _)| k.clone())
        .collect();
    let deadline = Instant::now().checked_add(Duration::from_secs(wait));
    let mut reports = std::collections::BTreeMap::new();
    loop {
        let started = h.receive_pass().await?;
        for rid in &started {
            if let Some(Record::Receive(r)) = h.wallet.records.get(rid)
                && let ReceivePhase::Receiving { report, .. } = &r.phase
            {
                reports.insert(rid.clone(), report.clone());
            }
        }
        if h.drive(&Mode::Blocked, &stop, None, &mut |_| {}).await? == End::Stopped {
            return Err(interrupted());
        }
        if !started.is_empty()
            || !pending.is_empty()
            || deadline.is_some_and(|d| Instant::now() >= d)
        {
            break;
        }
        if stop.sleep(Duration::from_secs(1)).await {
            return Err(interrupted());
        }
    }
    let mut exit = Exit::Ok;
    let mut rows = Vec::new();
    let mut human = String::new();
    for (rid, r) in &h.wallet.records {
        let Record::Receive(rec) = r else { continue };
        if before.contains(rid) && !pending.contains(rid) {
            continue;
        }
        let mut row = render::receive_json(rec);
        if let Some(report) = reports.get(rid) {
            row["report"] = render::report_json(report);
        }
        rows.push(row);
        let id = rec.statechain_id;
        match &rec.phase {
            ReceivePhase::Received { coin, receipt } => {
                human.push_str(&format!(
                    "Received coin {id} ({}), receipt seq {}.\n",
                    render::sat(coin.amount),
                    receipt.seq
                ));
                if let Some(report) = reports.get(rid) {
                    human.push_str(&render::report_text(report, "  "));
                }
            }
            ReceivePhase::Receiving { report, .. } => human.push_str(&format!(
                "Coin {id}: every check passed; completing it did not finish yet (the daemon retries).\n{}",
                render::report_text(report, "  ")
            )),
            ReceivePhase::Rejected { report } => {
                exit = Exit::Verification;
                human.push_str(&format!(
                    "Coin {id} REJECTED: a check failed, so it was not accepted.\n{}",
                    render::report_text(report, "  ")
                ))
            }
            ReceivePhase::Failed { code, report } => {
                exit = Exit::Verification;
                human.push_str(&format!(
                    "Coin {id}: the relay refused to complete the transfer: {}\n{}",
                    code.user_message(),
                    render::report_text(report, "  ")
                ))
            }
        }
    }
    if rows.is_empty() {
        human.push_str("No incoming coins.");
    }
    ctx.emit(&human, json!({"received": rows}));
    Ok(exit)
}
