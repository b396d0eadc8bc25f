//! `wallet create`, `restore`, `list`, `export`, `import`.

use super::ctx::Ctx;
use crate::error::{CliError, Exit};
use crate::host;
use crate::render;
use crate::store::{self, OsEntropy, Store};
use serde_json::json;
use std::path::Path;
use wallet_core::address::Network;
use wallet_core::entropy::Entropy;
use wallet_core::keys::{Mnemonic, WalletKeys};
use wallet_core::restore;
use wallet_core::wallet::Wallet;

pub(super) fn wallet_create(ctx: &Ctx) -> Result<Exit, CliError> {
    let _lock = ctx.data.lock(&ctx.name)?;
    refuse_existing(ctx)?;
    let password = ctx.password(true)?;
    let mnemonic = Mnemonic::from_entropy(OsEntropy.bytes());
    let phrase = mnemonic.phrase();
    let mut store = Store::create(&ctx.data, &ctx.name, &password, phrase.clone())?;
    store.save(&Wallet::new(&ctx.name, Network::Demo))?;
    ctx.emit(
        &format!(
            "Created wallet \"{}\" ({}).\nRecovery phrase: write it down and keep it secret; anyone who has it can take your coins:\n\n    {phrase}\n",
            ctx.name,
            store.path.display()
        ),
        json!({"wallet": ctx.name, "file": store.path, "network": "demo", "phrase": phrase}),
    );
    Ok(Exit::Ok)
}

fn refuse_existing(ctx: &Ctx) -> Result<(), CliError> {
    if ctx.data.exists(&ctx.name) {
        return Err(CliError::new(
            Exit::Storage,
            "wallet_exists",
            format!(
                "A wallet named \"{}\" already exists in {}. Choose another name with --wallet.",
                ctx.name,
                ctx.data.dir.display()
            ),
        ));
    }
    Ok(())
}

pub(super) async fn wallet_restore(
    ctx: &Ctx,
    phrase_file: Option<&Path>,
    gap: u32,
) -> Result<Exit, CliError> {
    let lock = ctx.data.lock(&ctx.name)?;
    refuse_existing(ctx)?;
    let text = match phrase_file {
        Some(p) => std::fs::read_to_string(p).map_err(|e| {
            CliError::usage(format!("Cannot read the phrase file {}: {e}.", p.display()))
        })?,
        None => match std::env::var("LOCKSTEP_PHRASE") {
            Ok(p) => p,
            Err(_) => rpassword::prompt_password("Recovery phrase (12 words): ").map_err(|_| {
                CliError::usage("No recovery phrase: give --phrase-file or set LOCKSTEP_PHRASE.")
            })?,
        },
    };
    let mnemonic = Mnemonic::parse(text.trim())?;
    let keys = WalletKeys::from_mnemonic(&mnemonic);
    let relay = ctx.relay()?;
    let (config, _) = host::relay_config(&relay).await?;
    let mut wallet = Wallet::new(&ctx.name, config.network);
    wallet.relay_pubkey = Some(config.relay_pubkey);
    let mut found = Vec::new();
    let out = restore::scan(
        &relay,
        &keys,
        &config.relay_pubkey,
        gap,
        |_| false,
        |f| found.push(f),
        |_, _| {},
    )
    .await?;
    for f in found {
        wallet.add_found(f);
    }
    let skipped = out.doubtful;
    // Never hand out an index the scan looked at: one may have a transfer in flight.
    wallet.next_index = wallet.next_index.max(out.next_index);
    let password = ctx.password(true)?;
    let mut store = Store::create(&ctx.data, &ctx.name, &password, mnemonic.phrase())?;
    store.save(&wallet)?;
    drop(lock);
    for id in &skipped {
        ctx.note(&format!(
            "Coin {id} is registered to this wallet's key but its relay record does not check out; it was left out."
        ));
    }
    ctx.emit(
        &format!(
            "Restored wallet \"{}\": {} coin(s), {} in total.",
            ctx.name,
            wallet.coins.len(),
            render::sat(wallet.balance())
        ),
        json!({"wallet": ctx.name, "coins": wallet.coins.len(), "balance": wallet.balance(), "next_index": wallet.next_index}),
    );
    Ok(Exit::Ok)
}

pub(super) fn wallet_list(ctx: &Ctx) -> Result<Exit, CliError> {
    let names = ctx.data.list()?;
    let human = if names.is_empty() {
        format!(
            "No wallets in {}. Create one with `lockstep --wallet NAME wallet create`.",
            ctx.data.dir.display()
        )
    } else {
        names.join("\n")
    };
    ctx.emit(&human, json!({"data_dir": ctx.data.dir, "wallets": names}));
    Ok(Exit::Ok)
}

pub(super) fn wallet_export(ctx: &Ctx, file: &Path) -> Result<Exit, CliError> {
    let (store, wallet) = ctx.open_read()?;
    let text = store.backup(&wallet)?;
    store::write_new(file, text.as_bytes())?;
    ctx.emit(
        &format!(
            "Wrote an encrypted backup of \"{}\" (phrase and state, same password) to {}. The web wallet imports it too.",
            ctx.name,
            file.display()
        ),
        json!({"wallet": ctx.name, "file": file}),
    );
    Ok(Exit::Ok)
}

pub(super) fn wallet_import(ctx: &Ctx, file: &Path) -> Result<Exit, CliError> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        CliError::storage(format!("Cannot read the backup {}: {e}.", file.display()))
    })?;
    let _lock = ctx.data.lock(&ctx.name)?;
    refuse_existing(ctx)?;
    let password = ctx.password(false)?;
    let (phrase, mut wallet) = store::open_backup(&text, &password)?;
    keys_of_phrase(&phrase)?;
    wallet.name = ctx.name.clone();
    let mut store = Store::create(&ctx.data, &ctx.name, &password, phrase)?;
    store.save(&wallet)?;
    ctx.emit(
        &format!(
            "Imported wallet \"{}\": {} coin(s), {}. Do not run the original copy at the same time.",
            ctx.name,
            wallet.coins.len(),
            render::sat(wallet.balance())
        ),
        json!({"wallet": ctx.name, "coins": wallet.coins.len(), "balance": wallet.balance()}),
    );
    Ok(Exit::Ok)
}

fn keys_of_phrase(phrase: &str) -> Result<WalletKeys, CliError> {
    let m = Mnemonic::parse(phrase)
        .map_err(|_| CliError::storage("The backup holds an invalid recovery phrase."))?;
    Ok(WalletKeys::from_mnemonic(&m))
}
