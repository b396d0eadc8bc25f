//! One function per command, in one file per command group; this file
//! only dispatches. Protocol decisions all happen in wallet-core (`Wallet`,
//! the state machines, `Executor`); the commands only gather input, drive
//! the host loop and print.

mod coins;
mod ctx;
mod daemon;
mod history;
mod swap;
mod swap_status;
mod wallet;

use crate::args::{Cli, Command, ReceiptCmd, SwapCmd, WalletCmd};
use crate::error::{CliError, Exit};
use crate::store::{self, DataDir};
use coins::{address, coins, deposit, receive, send};
use ctx::Ctx;
use daemon::daemon;
use history::{history, receipt_export, receipt_verify};
use swap::{swap_abort, swap_accept, swap_confirm, swap_create, swap_join};
use swap_status::{swap_status, swap_watch};
use wallet::{wallet_create, wallet_export, wallet_import, wallet_list, wallet_restore};

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
