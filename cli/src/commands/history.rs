//! `history`, `receipt export`, `receipt verify`.

use super::ctx::{Ctx, find_id};
use crate::error::{CliError, Exit};
use crate::host;
use crate::render;
use crate::store;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;
use wallet_core::XOnly;
use wallet_core::receipt::Receipt;

pub(super) fn history(ctx: &Ctx) -> Result<Exit, CliError> {
    let (_store, wallet) = ctx.open_read()?;
    let mut entries: Vec<_> = wallet.history.iter().collect();
    entries.sort_by_key(|h| h.time);
    let mut human: String = entries
        .iter()
        .map(|h| render::history_text(h) + "\n")
        .collect();
    if entries.is_empty() {
        human = "No history yet.".into();
    }
    ctx.emit(
        &human,
        json!({"history": entries.iter().map(|h| render::history_json(h)).collect::<Vec<_>>(), "balance": wallet.balance()}),
    );
    Ok(Exit::Ok)
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ReceiptFile {
    format: String,
    relay_pubkey: Option<XOnly>,
    receipt: Receipt,
}

const RECEIPT_FORMAT: &str = "lockstep-receipt-v1";

pub(super) fn receipt_export(
    ctx: &Ctx,
    coin: &str,
    seq: Option<u64>,
    out: Option<&Path>,
) -> Result<Exit, CliError> {
    let (_store, wallet) = ctx.open_read()?;
    let ids = wallet
        .history
        .iter()
        .map(|h| h.statechain_id)
        .chain(wallet.coins.keys().copied());
    let id = find_id(
        ids,
        coin,
        "coin",
        "Run `lockstep history` to list coins with receipts.",
    )?;
    let receipts = wallet.known_receipts(&id);
    let receipt = match seq {
        Some(n) => receipts.into_iter().find(|r| r.seq == n),
        None => receipts.into_iter().max_by_key(|r| r.seq),
    }
    .ok_or_else(|| {
        CliError::usage(format!(
            "This wallet holds no receipt for coin {id}{}.",
            seq.map(|n| format!(" at seq {n}")).unwrap_or_default()
        ))
    })?;
    let file = ReceiptFile {
        format: RECEIPT_FORMAT.into(),
        relay_pubkey: wallet.relay_pubkey,
        receipt,
    };
    let text = serde_json::to_string_pretty(&file)
        .map_err(|e| CliError::new(Exit::Failure, "internal", e.to_string()))?;
    match out {
        Some(p) => {
            store::write_new(p, text.as_bytes())?;
            ctx.emit(
                &format!("Wrote the receipt to {}.", p.display()),
                json!({"file": p}),
            );
        }
        None => println!("{text}"),
    }
    Ok(Exit::Ok)
}

pub(super) async fn receipt_verify(
    ctx: &Ctx,
    file: &Path,
    relay_key: Option<&str>,
) -> Result<Exit, CliError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::usage(format!("Cannot read {}: {e}.", file.display())))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| CliError::usage(format!("{} is not JSON: {e}.", file.display())))?;
    let (embedded, receipt): (Option<XOnly>, Receipt) = if value.get("receipt").is_some() {
        let f: ReceiptFile = serde_json::from_value(value).map_err(|e| {
            CliError::usage(format!("{} is not a receipt file: {e}.", file.display()))
        })?;
        (f.relay_pubkey, f.receipt)
    } else {
        let r: Receipt = serde_json::from_value(value).map_err(|e| {
            CliError::usage(format!("{} is not a relay receipt: {e}.", file.display()))
        })?;
        (None, r)
    };
    let (key, source) = match relay_key {
        Some(k) => (XOnly::parse(k.trim())?, "given with --relay-key"),
        None => {
            let live = match ctx.relay() {
                Ok(relay) => {
                    tokio::time::timeout(Duration::from_secs(5), host::relay_config(&relay))
                        .await
                        .ok()
                        .and_then(Result::ok)
                        .map(|(c, _)| c.relay_pubkey)
                }
                Err(_) => None,
            };
            match (embedded, live) {
                (Some(e), Some(l)) if e != l => {
                    return Err(CliError::new(
                        Exit::Verification,
                        "wrong_relay_key",
                        format!(
                            "The receipt file names relay key {e}, but the relay at {} has key {l}: it is not this relay's receipt.",
                            ctx.g.relay
                        ),
                    ));
                }
                (_, Some(l)) => (l, "the relay's key, fetched from the relay"),
                (Some(e), None) => (
                    e,
                    "the key in the file (the relay did not answer to confirm it; compare it with the relay's published key)",
                ),
                (None, None) => {
                    return Err(CliError::usage(
                        "The file names no relay key and the relay does not answer: give --relay-key.",
                    ));
                }
            }
        }
    };
    let valid = receipt.verify(&key);
    let summary = json!({
        "valid": valid,
        "relay_pubkey": key,
        "key_source": source,
        "statechain_id": receipt.statechain_id,
        "seq": receipt.seq,
        "status": receipt.status,
        "owner_auth_pubkey": receipt.owner_auth_pubkey,
        "amount": receipt.amount,
        "batch_id": receipt.batch_id,
        "time": receipt.time,
    });
    if !valid {
        if ctx.json() {
            println!("{summary}");
        }
        return Err(CliError::new(
            Exit::Verification,
            "invalid_receipt",
            format!(
                "The receipt's signature does not verify under relay key {key} ({source}): it was altered or not signed by this relay."
            ),
        ));
    }
    ctx.emit(
        &format!(
            "Valid receipt: coin {} step {} ({}), {}, owner key {}, at {}{}.\nSigned by relay key {key} ({source}).",
            receipt.statechain_id,
            receipt.seq,
            receipt.status.as_str(),
            render::sat(receipt.amount),
            receipt.owner_auth_pubkey,
            render::utc(receipt.time),
            receipt.batch_id.map(|b| format!(", in swap {b}")).unwrap_or_default()
        ),
        summary,
    );
    Ok(Exit::Ok)
}
