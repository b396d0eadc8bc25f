//! The backup file both wallets write and read (`lockstep-wallet-backup`,
//! version 1): the wallet's name in clear, and the recovery phrase, the
//! wallet state and the unlock setting sealed in a [`Vault`]. One
//! definition, so a backup made by the web wallet opens in the CLI and the
//! other way round. How the vault is sealed (a password, or a key already
//! derived from it) is the shell's business.

use crate::vault::Vault;
use crate::wallet::Wallet;
use serde::{Deserialize, Serialize};

/// The `format` field of a backup file.
pub const BACKUP_FORMAT: &str = "lockstep-wallet-backup";
/// The only `version` this code writes and reads.
pub const BACKUP_VERSION: u32 = 1;

/// A backup file: its name shows before the password is asked for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupFile {
    pub format: String,
    pub version: u32,
    pub name: String,
    pub vault: Vault,
}

impl BackupFile {
    /// A version-1 backup of wallet `name` whose sealed content is `vault`.
    pub fn new(name: &str, vault: Vault) -> BackupFile {
        BackupFile {
            format: BACKUP_FORMAT.into(),
            version: BACKUP_VERSION,
            name: name.into(),
            vault,
        }
    }

    /// Whether this code can open it (the right format and version).
    pub fn is_supported(&self) -> bool {
        self.format == BACKUP_FORMAT && self.version == BACKUP_VERSION
    }
}

/// What a backup's vault holds (JSON).
#[derive(Serialize, Deserialize)]
pub struct BackupPlain {
    pub phrase: String,
    pub wallet: Wallet,
    /// The web wallet's unlock setting (the CLI asks per swap: `--manual`).
    pub manual_confirm: bool,
}
