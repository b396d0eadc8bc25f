//! One function per command. Protocol decisions all happen in wallet-core
//! (`Wallet`, the state machines, `Executor`); these only gather input,
//! drive the host loop and print.

use crate::args::{Cli, Command, Global, ReceiptCmd, SwapCmd, WalletCmd};
use crate::error::{CliError, Exit};
use crate::host::{self, End, Host, Log, Mode, Stop};
use crate::render;
use crate::store::{self, DataDir, OsEntropy, Store, WalletLock};
use cli::http::Http;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};
use wallet_core::address::{Address, Network};
use wallet_core::client::RelayClient;
use wallet_core::deposit;
use wallet_core::entropy::Entropy;
use wallet_core::invite::Invite;
use wallet_core::keys::{Mnemonic, WalletKeys};
use wallet_core::machine::Event;
use wallet_core::machine::receive::ReceivePhase;
use wallet_core::machine::send::SendPhase;
use wallet_core::machine::swap::SwapPhase;
use wallet_core::receipt::Receipt;
use wallet_core::restore;
use wallet_core::wallet::{Record, Wallet};
use wallet_core::wire::DepositRequest;
use wallet_core::{Id, XOnly};

pub struct Ctx {
    pub g: Global,
    pub data: DataDir,
    pub name: String,
}

impl Ctx {
    fn json(&self) -> bool {
        self.g.json
    }

    /// Progress lines: sentences on stderr unless --json.
    fn log(&self) -> Log {
        Log {
            human: !self.g.json,
            events: false,
            stamp: false,
        }
    }

    /// Prints a command's result: `human` on stdout, or `json` with --json.
    fn emit(&self, human: &str, json: Value) {
        if self.json() {
            println!("{json}");
        } else if !human.is_empty() {
            println!("{}", human.trim_end());
        }
    }

    /// A note for humans on stderr (never mixed into stdout's result).
    fn note(&self, text: &str) {
        if !self.json() {
            eprintln!("{text}");
        }
    }

    fn relay(&self) -> Result<RelayClient<Http>, CliError> {
        Ok(RelayClient::new(Http::new(&self.g.relay)?))
    }

    /// The wallet password: --password-file, LOCKSTEP_PASSWORD, or a prompt.
    fn password(&self, confirm: bool) -> Result<String, CliError> {
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
    fn open_read(&self) -> Result<(Store, Wallet), CliError> {
        // Say "no such wallet" before asking for a password.
        self.data.read_vault(&self.name)?;
        let password = self.password(false)?;
        Store::open(&self.data, &self.name, &password)
    }

    /// Opens the wallet holding its lock (to change it).
    fn open_locked(&self) -> Result<(Store, Wallet, WalletKeys, WalletLock), CliError> {
        let lock = self.data.lock(&self.name)?;
        let (store, wallet) = self.open_read()?;
        let keys = keys_of(&store)?;
        Ok((store, wallet, keys, lock))
    }

    /// The wallet, locked and connected to its relay.
    async fn host(&self) -> Result<Host, CliError> {
        let (store, wallet, keys, lock) = self.open_locked()?;
        Host::connect(store, wallet, keys, self.relay()?, lock, self.log()).await
    }
}

fn keys_of(store: &Store) -> Result<WalletKeys, CliError> {
    let m = Mnemonic::parse(store.phrase())
        .map_err(|_| CliError::storage("The wallet file holds an invalid recovery phrase."))?;
    Ok(WalletKeys::from_mnemonic(&m))
}

/// Listens for ctrl-c and SIGTERM (only while a command drives the wallet,
/// so a password prompt can still be interrupted). A second signal exits at
/// once; the wallet file is consistent at every instant anyway.
fn stop_signal() -> Stop {
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

pub async fn run(cli: Cli) -> Result<Exit, CliError> {
    let Cli { global, command } = cli;
    store::check_name(&global.wallet)?;
    let dir = match &global.data_dir {
        Some(d) => d.clone(),
        None => store::default_data_dir().ok_or_else(|| {
            CliError::usage("No data directory: set HOME, XDG_DATA_HOME or LOCKSTEP_DATA_DIR, or give --data-dir.")
        })?,
    };
    let ctx = Ctx {
        name: global.wallet.clone(),
        g: global,
        data: DataDir { dir },
    };
    match command {
        Command::Wallet(w) => match w {
            WalletCmd::Create => wallet_create(&ctx),
            WalletCmd::Restore { phrase_file, gap } => {
                wallet_restore(&ctx, phrase_file.as_deref(), gap).await
            }
            WalletCmd::List => wallet_list(&ctx),
            WalletCmd::Export { file } => wallet_export(&ctx, &file),
            WalletCmd::Import { file } => wallet_import(&ctx, &file),
        },
        Command::Address => address(&ctx),
        Command::Deposit { amount } => deposit(&ctx, amount).await,
        Command::Coins => coins(&ctx),
        Command::Send {
            coin,
            address,
            no_wait,
        } => send(&ctx, &coin, &address, no_wait).await,
        Command::Receive { wait } => receive(&ctx, wait).await,
        Command::Swap(s) => match s {
            SwapCmd::Create {
                give,
                want,
                expires_in,
            } => swap_create(&ctx, &give, want, expires_in).await,
            SwapCmd::Join {
                invite,
                give,
                manual,
                no_wait,
            } => swap_join(&ctx, &invite, &give, manual, no_wait).await,
            SwapCmd::Accept {
                answer,
                manual,
                no_wait,
            } => swap_accept(&ctx, &answer, manual, no_wait).await,
            SwapCmd::Status { batch, watch } => {
                if watch {
                    swap_watch(&ctx, batch.as_deref()).await
                } else {
                    swap_status(&ctx, batch.as_deref()).await
                }
            }
            SwapCmd::Confirm { batch } => swap_confirm(&ctx, batch.as_deref()).await,
            SwapCmd::Abort { batch, no_wait } => swap_abort(&ctx, batch.as_deref(), no_wait).await,
        },
        Command::History => history(&ctx),
        Command::Receipt(r) => match r {
            ReceiptCmd::Export { coin, seq, out } => {
                receipt_export(&ctx, &coin, seq, out.as_deref())
            }
            ReceiptCmd::Verify { file, relay_key } => {
                receipt_verify(&ctx, &file, relay_key.as_deref()).await
            }
        },
        Command::Daemon { poll, no_receive } => daemon(&ctx, poll, !no_receive).await,
    }
}

// ----- wallets -----

fn wallet_create(ctx: &Ctx) -> Result<Exit, CliError> {
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

async fn wallet_restore(ctx: &Ctx, phrase_file: Option<&Path>, gap: u32) -> Result<Exit, CliError> {
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

fn wallet_list(ctx: &Ctx) -> Result<Exit, CliError> {
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

fn wallet_export(ctx: &Ctx, file: &Path) -> Result<Exit, CliError> {
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

fn wallet_import(ctx: &Ctx, file: &Path) -> Result<Exit, CliError> {
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

// ----- coins -----

fn address(ctx: &Ctx) -> Result<Exit, CliError> {
    let (mut store, mut wallet, keys, _lock) = ctx.open_locked()?;
    let a = wallet.new_address(&keys, host::device_now())?;
    store.save(&wallet)?;
    let index = wallet.next_index - 1;
    ctx.emit(&a.encode(), json!({"address": a.encode(), "index": index}));
    Ok(Exit::Ok)
}

async fn deposit(ctx: &Ctx, amount: u64) -> Result<Exit, CliError> {
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
fn find_coin(wallet: &Wallet, text: &str) -> Result<Id, CliError> {
    find_id(
        wallet.coins.keys().copied(),
        text,
        "coin",
        "Run `lockstep coins` to list them.",
    )
}

fn find_id(
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

fn coins(ctx: &Ctx) -> Result<Exit, CliError> {
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

async fn send(ctx: &Ctx, coin: &str, to: &str, no_wait: bool) -> Result<Exit, CliError> {
    let mut h = ctx.host().await?;
    let id = find_coin(&h.wallet, coin)?;
    let to = Address::decode_for(to.trim(), h.wallet.network)?;
    let now = h.now();
    let (rid, actions) = h.wallet.start_send(&id, to, now)?;
    h.start(&rid, actions)?;
    if !no_wait {
        let stop = stop_signal();
        if h.drive(&Mode::Blocked, &stop, None, &mut |_| {}).await? == End::Stopped {
            return Err(interrupted());
        }
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

async fn receive(ctx: &Ctx, wait: u64) -> Result<Exit, CliError> {
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

// ----- swaps -----

fn interrupted() -> CliError {
    CliError::new(
        Exit::Interrupted,
        "interrupted",
        "Interrupted. The wallet saved its progress; `lockstep daemon` or `lockstep swap status --watch` carries on.",
    )
}

async fn swap_create(
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

async fn swap_join(
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
    let mut end = End::Blocked;
    if !no_wait {
        let stop = stop_signal();
        end = h.drive(&Mode::Blocked, &stop, None, &mut |_| {}).await?;
    }
    finish_swap_command(ctx, &h, &rid, end, json!({"answer": answer}))
}

async fn swap_accept(
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
    let mut end = End::Blocked;
    if !no_wait {
        let stop = stop_signal();
        end = h.drive(&Mode::Blocked, &stop, None, &mut |_| {}).await?;
    }
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
    let Some(Record::Swap(s)) = h.wallet.records.get(rid) else {
        return Err(CliError::new(
            Exit::Failure,
            "internal",
            "The swap record vanished.",
        ));
    };
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

enum Target {
    Swap(String),
    Invite(Id),
}

/// A swap (or unanswered invite) named by batch prefix, or the only one
/// `pick` accepts.
fn find_swap(
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

async fn swap_status(ctx: &Ctx, batch: Option<&str>) -> Result<Exit, CliError> {
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

async fn swap_watch(ctx: &Ctx, batch: Option<&str>) -> Result<Exit, CliError> {
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

async fn swap_confirm(ctx: &Ctx, batch: Option<&str>) -> Result<Exit, CliError> {
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
    let stop = stop_signal();
    let end = h.drive(&Mode::Blocked, &stop, None, &mut |_| {}).await?;
    finish_swap_command(ctx, &h, &rid, end, json!({}))
}

async fn swap_abort(ctx: &Ctx, batch: Option<&str>, no_wait: bool) -> Result<Exit, CliError> {
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
    let mut end = End::Blocked;
    if !no_wait {
        let stop = stop_signal();
        end = h.drive(&Mode::Blocked, &stop, None, &mut |_| {}).await?;
    }
    if end == End::Stopped {
        return Err(interrupted());
    }
    let Some(Record::Swap(s)) = h.wallet.records.get(&rid) else {
        return Err(CliError::new(
            Exit::Failure,
            "internal",
            "The swap record vanished.",
        ));
    };
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

// ----- history, receipts -----

fn history(ctx: &Ctx) -> Result<Exit, CliError> {
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

fn receipt_export(
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

async fn receipt_verify(ctx: &Ctx, file: &Path, relay_key: Option<&str>) -> Result<Exit, CliError> {
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

// ----- daemon -----

async fn daemon(ctx: &Ctx, poll: u64, receive: bool) -> Result<Exit, CliError> {
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
