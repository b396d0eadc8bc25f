//! The command line.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

pub const ABOUT: &str =
    "Lockstep wallet for the command line: statecoins, transfers and atomic swaps";

pub const AFTER_HELP: &str = "\
Exit codes: 0 ok, 1 unexpected failure, 2 usage error or invalid input,
3 wrong or missing password, 4 relay unreachable, 5 relay refused,
6 verification failed, 7 swap backed out, 8 wallet busy (another process),
9 wallet file missing/exists/damaged, 10 interrupted before the swap finished.

Environment: LOCKSTEP_RELAY, LOCKSTEP_WALLET, LOCKSTEP_DATA_DIR,
LOCKSTEP_PASSWORD, LOCKSTEP_PASSWORD_FILE, LOCKSTEP_PHRASE (restore).";

#[derive(Debug, Parser)]
#[command(name = "lockstep", version, about = ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The relay's URL.
    #[arg(
        long,
        global = true,
        env = "LOCKSTEP_RELAY",
        default_value = "http://127.0.0.1:8080"
    )]
    pub relay: String,
    /// Which wallet (a name; files live in the data directory).
    #[arg(
        long,
        short = 'w',
        global = true,
        env = "LOCKSTEP_WALLET",
        default_value = "default"
    )]
    pub wallet: String,
    /// Where wallet files live [default: $XDG_DATA_HOME/lockstep or ~/.local/share/lockstep].
    #[arg(long, global = true, env = "LOCKSTEP_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Machine-readable output: one JSON document (JSON lines for daemon and --watch).
    #[arg(long, global = true)]
    pub json: bool,
    /// Read the wallet password from this file (first line). Otherwise
    /// LOCKSTEP_PASSWORD, otherwise a prompt on the terminal.
    #[arg(long, global = true, env = "LOCKSTEP_PASSWORD_FILE")]
    pub password_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, restore, list, back up and import wallets.
    #[command(subcommand)]
    Wallet(WalletCmd),
    /// A fresh address to receive a coin at.
    Address,
    /// Get demo coins from the relay's demo network.
    Deposit {
        /// Amount in satoshis.
        #[arg(long)]
        amount: u64,
    },
    /// The coins this wallet holds.
    Coins,
    /// Send a coin to an address.
    Send {
        /// The coin (its id, or a unique prefix of it).
        coin: String,
        /// The receiver's address (tml1…).
        address: String,
        /// Start the transfer and return at once (the daemon finishes it).
        #[arg(long)]
        no_wait: bool,
    },
    /// Fetch coins sent to this wallet's addresses, verify them (§7) and complete the transfers.
    Receive {
        /// Wait up to this many seconds for an incoming coin.
        #[arg(long, default_value_t = 0)]
        wait: u64,
    },
    /// Atomic swaps.
    #[command(subcommand)]
    Swap(SwapCmd),
    /// Transfers, swaps and deposits, with their receipts.
    History,
    /// Relay receipts.
    #[command(subcommand)]
    Receipt(ReceiptCmd),
    /// Keep every pending transfer and swap moving until interrupted.
    Daemon {
        /// Seconds between looks for new incoming coins.
        #[arg(long, default_value_t = 10)]
        poll: u64,
        /// Do not complete plain incoming transfers, only swaps and sends.
        #[arg(long)]
        no_receive: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum WalletCmd {
    /// Create a new wallet (prints its 12-word recovery phrase).
    Create,
    /// Restore a wallet from its recovery phrase and find its coins at the relay.
    Restore {
        /// Read the phrase from this file (else LOCKSTEP_PHRASE, else a prompt).
        #[arg(long)]
        phrase_file: Option<PathBuf>,
        /// Stop after this many unused addresses in a row.
        #[arg(long, default_value_t = 20)]
        gap: u32,
    },
    /// List the wallets in the data directory.
    List,
    /// Write an encrypted backup of the wallet (phrase and state) to a file.
    Export {
        /// The backup file to write.
        file: PathBuf,
    },
    /// Import an encrypted backup as a wallet (named by --wallet).
    Import {
        /// The backup file to read.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum SwapCmd {
    /// Offer coins for an amount: prints the invite to give the other party.
    Create {
        /// Coins to give (ids or unique prefixes).
        #[arg(long, required = true, num_args = 1..)]
        give: Vec<String>,
        /// The least amount wanted in return, in satoshis.
        #[arg(long)]
        want: u64,
        /// Seconds the invite is meant to stay valid (informational).
        #[arg(long, default_value_t = 3600)]
        expires_in: u64,
    },
    /// Join an invite with coins: prints the join answer for the creator.
    Join {
        /// The invite (lsi1…), or a web wallet link ending in #join=lsi1…
        invite: String,
        /// Coins to give (ids or unique prefixes).
        #[arg(long, required = true, num_args = 1..)]
        give: Vec<String>,
        /// Unlock only after `lockstep swap confirm`.
        #[arg(long)]
        manual: bool,
        /// Return after printing the answer; the daemon does the rest.
        #[arg(long)]
        no_wait: bool,
    },
    /// Accept a join answer to one of this wallet's invites and start the swap.
    Accept {
        /// The join answer (lsj1…).
        answer: String,
        /// Unlock only after `lockstep swap confirm`.
        #[arg(long)]
        manual: bool,
        /// Return at once; the daemon does the rest.
        #[arg(long)]
        no_wait: bool,
    },
    /// Show swaps and invites (or one), with checks and the countdown.
    Status {
        /// A batch id or prefix (default: every swap).
        batch: Option<String>,
        /// Follow the swap live, driving it to its end (unless a daemon already is).
        #[arg(long)]
        watch: bool,
    },
    /// Confirm unlocking a swap started with --manual, after reading its checks.
    Confirm {
        /// A batch id or prefix (default: the only swap waiting).
        batch: Option<String>,
    },
    /// Abort a swap before it commits (every coin goes back), or cancel an unanswered invite.
    Abort {
        /// A batch id or prefix (default: the only swap in progress).
        batch: Option<String>,
        /// Request the abort and return; the daemon recovers the coins.
        #[arg(long)]
        no_wait: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReceiptCmd {
    /// Write a coin's relay receipt (with the relay's key) as JSON.
    Export {
        /// The coin (id or unique prefix) from this wallet's history.
        coin: String,
        /// Which step of the coin's chain (default: the latest this wallet holds).
        #[arg(long)]
        seq: Option<u64>,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verify a receipt file offline against the relay's key.
    Verify {
        /// A file from `receipt export`, or a bare receipt.
        file: PathBuf,
        /// The relay's key (x-only hex); default: the key in the file, checked
        /// against the relay's if the relay answers.
        #[arg(long)]
        relay_key: Option<String>,
    },
}
