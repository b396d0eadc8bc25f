//! Wallet files: one per wallet, `<data-dir>/<name>.wallet`, the text of a
//! [`Vault`] (Argon2id + ChaCha20-Poly1305) whose plaintext holds both the
//! recovery phrase and the whole wallet state. The key is derived once per
//! run ([`VaultKey`]); every save seals with a fresh nonce and replaces the
//! file atomically (temporary file, fsync, rename, fsync of the directory),
//! so a `kill -9` at any instant leaves either the old or the new state.
//! `<name>.lock` is held (an OS file lock) by the one process driving the
//! wallet; readers do not need it, since the file is only ever replaced whole.

use crate::error::{CliError, Exit};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use wallet_core::backup::{BACKUP_FORMAT, BACKUP_VERSION, BackupFile, BackupPlain};
use wallet_core::entropy::Entropy;
use wallet_core::vault::{KdfParams, Vault, VaultKey};
use wallet_core::wallet::Wallet;

pub const FILE_FORMAT: &str = "lockstep-cli-wallet";
pub const FILE_VERSION: u32 = 1;
const EXT: &str = "wallet";

/// The operating system's CSPRNG.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&mut self, out: &mut [u8]) {
        // getrandom fails only on exotic platforms without an entropy
        // source; carrying on with zeros would be worse than stopping.
        if let Err(e) = getrandom::fill(out) {
            eprintln!("lockstep: the system's random number generator failed: {e}");
            std::process::exit(Exit::Failure.code().into());
        }
    }
}

/// What the vault encrypts.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plain {
    pub format: String,
    pub version: u32,
    pub phrase: String,
    pub wallet: Wallet,
}

/// Opens a backup's text (the web wallet's format, or a CLI wallet file)
/// with `password`: the phrase and the wallet.
pub fn open_backup(text: &str, password: &str) -> Result<(String, Wallet), CliError> {
    if let Ok(file) = serde_json::from_str::<BackupFile>(text.trim_start_matches('\u{feff}')) {
        if !file.is_supported() {
            return Err(CliError::storage(format!(
                "This backup has format {} version {}; this lockstep reads {BACKUP_FORMAT} version {BACKUP_VERSION}.",
                file.format, file.version
            )));
        }
        let bytes = file.vault.open(password)?;
        let plain: BackupPlain = serde_json::from_slice(&bytes).map_err(|e| {
            CliError::storage(format!(
                "The backup opened but its content is not a wallet ({e})."
            ))
        })?;
        return Ok((plain.phrase, plain.wallet));
    }
    let vault = Vault::from_text(text)?;
    let plain = parse_plain(&vault.open(password)?)?;
    Ok((plain.phrase, plain.wallet))
}

/// Checks a wallet name: 1 to 64 letters, digits, `-`, `_` or `.`, not
/// starting with a dot.
pub fn check_name(name: &str) -> Result<(), CliError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(CliError::usage(format!(
            "\"{name}\" is not a usable wallet name: use 1 to 64 letters, digits, '-', '_' or '.', not starting with a dot."
        )))
    }
}

/// The data directory: `--data-dir`/`LOCKSTEP_DATA_DIR`, else
/// `$XDG_DATA_HOME/lockstep`, else `~/.local/share/lockstep`.
pub fn default_data_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("lockstep"));
    }
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(|h| PathBuf::from(h).join(".local/share/lockstep"))
}

#[derive(Debug, Clone)]
pub struct DataDir {
    pub dir: PathBuf,
}

impl DataDir {
    pub fn wallet_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.{EXT}"))
    }
    fn lock_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.lock"))
    }

    pub fn ensure(&self) -> Result<(), CliError> {
        fs::create_dir_all(&self.dir).map_err(|e| {
            CliError::storage(format!(
                "Cannot create the data directory {}: {e}.",
                self.dir.display()
            ))
        })?;
        // Wallet files are encrypted, but their names and sizes are nobody's business.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700));
        }
        Ok(())
    }

    /// The names of the wallets in the directory, sorted.
    pub fn list(&self) -> Result<Vec<String>, CliError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(CliError::io("Cannot read the data directory", &e)),
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let p = e.path();
                (p.extension()? == EXT)
                    .then(|| p.file_stem()?.to_str().map(str::to_string))
                    .flatten()
            })
            .filter(|n| check_name(n).is_ok())
            .collect();
        names.sort();
        Ok(names)
    }

    pub fn exists(&self, name: &str) -> bool {
        self.wallet_path(name).exists()
    }

    fn daemon_lock_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.daemon"))
    }

    /// Opens `path` and tries to lock it: `Ok(None)` when another process
    /// holds it (with that process's id, as it wrote it).
    fn try_lock_path(&self, path: &Path) -> Result<Result<File, String>, CliError> {
        self.ensure()?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(|e| CliError::io("Cannot open the wallet's lock file", &e))?;
        match file.try_lock() {
            Ok(()) => {
                let _ = file.set_len(0);
                let _ = write!(file, "{}", std::process::id());
                Ok(Ok(file))
            }
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                Ok(Err(holder.trim().to_string()))
            }
            Err(TryLockError::Error(e)) => Err(CliError::io("Cannot lock the wallet", &e)),
        }
    }

    /// Takes the wallet's lock if it is free.
    pub fn try_lock(&self, name: &str) -> Result<Result<WalletLock, String>, CliError> {
        Ok(self
            .try_lock_path(&self.lock_path(name))?
            .map(|f| WalletLock { _file: f }))
    }

    /// Whether `lockstep daemon` runs on wallet `name` (it holds
    /// `<name>.daemon` for its whole life, and the wallet lock only while
    /// it acts, so other commands can slip in between its events).
    pub fn daemon_running(&self, name: &str) -> bool {
        let path = self.daemon_lock_path(name);
        path.exists() && matches!(self.try_lock_path(&path), Ok(Err(_)))
    }

    /// Marks this process as the wallet's daemon; refuses a second one.
    pub fn daemon_lock(&self, name: &str) -> Result<WalletLock, CliError> {
        for _ in 0..5 {
            if let Ok(f) = self.try_lock_path(&self.daemon_lock_path(name))? {
                return Ok(WalletLock { _file: f });
            }
            // A command checking `daemon_running` holds it for an instant.
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Err(CliError::new(
            Exit::Busy,
            "daemon_running",
            format!("A lockstep daemon already runs on wallet \"{name}\"."),
        ))
    }

    /// Takes the wallet's lock, waiting up to 2 s for another command to
    /// finish, or up to 20 s for a daemon serving the wallet to let go
    /// between two events; then says who holds it.
    pub fn lock(&self, name: &str) -> Result<WalletLock, CliError> {
        let start = std::time::Instant::now();
        loop {
            let holder = match self.try_lock(name)? {
                Ok(lock) => return Ok(lock),
                Err(holder) => holder,
            };
            let daemon = self.daemon_running(name);
            // Another short command finishes in a moment; a daemon lets go
            // between events.
            let patience = if daemon { 20 } else { 2 };
            if start.elapsed() > std::time::Duration::from_secs(patience) {
                let who = match holder.as_str() {
                    "" => String::new(),
                    pid => format!(" (process {pid})"),
                };
                let what = if daemon {
                    "busy: its daemon"
                } else {
                    "in use by another lockstep process"
                };
                return Err(CliError::new(
                    Exit::Busy,
                    "wallet_busy",
                    format!(
                        "The wallet \"{name}\" is {what}{who} and did not let go. Wait for it or stop it, then try again."
                    ),
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Reads and parses the vault of wallet `name`.
    pub fn read_vault(&self, name: &str) -> Result<Vault, CliError> {
        let path = self.wallet_path(name);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(CliError::new(
                    Exit::Storage,
                    "no_such_wallet",
                    format!(
                        "There is no wallet \"{name}\" in {}. Create one with `lockstep --wallet {name} wallet create`, or list them with `lockstep wallet list`.",
                        self.dir.display()
                    ),
                ));
            }
            Err(e) => return Err(CliError::io("Cannot read the wallet file", &e)),
        };
        Ok(Vault::from_text(&text)?)
    }
}

/// Held while this process drives the wallet; released on exit, even a `kill -9`.
#[derive(Debug)]
pub struct WalletLock {
    _file: File,
}

/// Opens a vault's plaintext as a wallet file.
pub fn parse_plain(bytes: &[u8]) -> Result<Plain, CliError> {
    let plain: Plain = serde_json::from_slice(bytes).map_err(|e| {
        CliError::storage(format!(
            "The wallet file decrypted but its content is not a wallet this version understands ({e})."
        ))
    })?;
    if plain.format != FILE_FORMAT || plain.version != FILE_VERSION {
        return Err(CliError::storage(format!(
            "The wallet file has format {} version {}; this lockstep reads {FILE_FORMAT} version {FILE_VERSION}.",
            plain.format, plain.version
        )));
    }
    Ok(plain)
}

/// An open wallet file and its key.
pub struct Store {
    pub path: PathBuf,
    key: VaultKey,
    phrase: String,
    /// The wallet as last written, to skip writes that change nothing.
    last: String,
}

impl Store {
    /// A new key (fresh salt) for a wallet file about to be created.
    pub fn create(
        data: &DataDir,
        name: &str,
        password: &str,
        phrase: String,
    ) -> Result<Store, CliError> {
        let key = VaultKey::derive(password, KdfParams::DEFAULT, OsEntropy.bytes())?;
        Ok(Store {
            path: data.wallet_path(name),
            key,
            phrase,
            last: String::new(),
        })
    }

    /// Opens wallet `name` with `password`.
    pub fn open(data: &DataDir, name: &str, password: &str) -> Result<(Store, Wallet), CliError> {
        let vault = data.read_vault(name)?;
        let (key, bytes) = VaultKey::open(&vault, password)?;
        let plain = parse_plain(&bytes)?;
        let last = serde_json::to_string(&plain.wallet).unwrap_or_default();
        Ok((
            Store {
                path: data.wallet_path(name),
                key,
                phrase: plain.phrase,
                last,
            },
            plain.wallet,
        ))
    }

    /// Reads the file again with the key this store holds (no Argon2id)
    /// when it was sealed under the same key, as another process of this
    /// wallet keeps it; `None` when it was not.
    pub fn reread(&self) -> Result<Option<Wallet>, CliError> {
        let text = fs::read_to_string(&self.path)
            .map_err(|e| CliError::io("Cannot read the wallet file", &e))?;
        let vault = Vault::from_text(&text)?;
        match self.key.open_vault(&vault) {
            Ok(bytes) => Ok(Some(parse_plain(&bytes)?.wallet)),
            Err(_) => Ok(None),
        }
    }

    /// Whether `wallet` is what this process last wrote.
    pub fn is_current(&self, wallet: &Wallet) -> bool {
        serde_json::to_string(wallet).is_ok_and(|w| w == self.last)
    }

    /// Records `wallet` as the file's content (read back, not written).
    pub fn mark_saved(&mut self, wallet: &Wallet) {
        self.last = serde_json::to_string(wallet).unwrap_or_default();
    }

    pub fn phrase(&self) -> &str {
        &self.phrase
    }

    /// The file's content for `wallet`, sealed with a fresh nonce.
    pub fn seal(&self, wallet: &Wallet) -> Result<Vault, CliError> {
        let plain = Plain {
            format: FILE_FORMAT.into(),
            version: FILE_VERSION,
            phrase: self.phrase.clone(),
            wallet: wallet.clone(),
        };
        let bytes = serde_json::to_vec(&plain)
            .map_err(|e| CliError::storage(format!("The wallet cannot be serialized: {e}.")))?;
        Ok(self.key.seal(&bytes, OsEntropy.bytes())?)
    }

    /// A backup file of `wallet` in the web wallet's format, sealed under
    /// this wallet's key with a fresh nonce.
    pub fn backup(&self, wallet: &Wallet) -> Result<String, CliError> {
        let plain = BackupPlain {
            phrase: self.phrase.clone(),
            wallet: wallet.clone(),
            manual_confirm: false,
        };
        let bytes = serde_json::to_vec(&plain)
            .map_err(|e| CliError::storage(format!("The wallet cannot be serialized: {e}.")))?;
        let file = BackupFile::new(&wallet.name, self.key.seal(&bytes, OsEntropy.bytes())?);
        serde_json::to_string_pretty(&file)
            .map_err(|e| CliError::storage(format!("The backup cannot be serialized: {e}.")))
    }

    /// Writes `wallet` if it changed since the last write.
    pub fn save(&mut self, wallet: &Wallet) -> Result<(), CliError> {
        let now = serde_json::to_string(wallet)
            .map_err(|e| CliError::storage(format!("The wallet cannot be serialized: {e}.")))?;
        if now == self.last {
            return Ok(());
        }
        let vault = self.seal(wallet)?;
        write_atomic(&self.path, vault.to_text().as_bytes()).map_err(|e| {
            CliError::storage(format!(
                "Cannot write the wallet file {}: {e}. Nothing was sent to the relay after this failure.",
                self.path.display()
            ))
        })?;
        self.last = now;
        Ok(())
    }
}

/// Replaces `path` with `bytes` so that a crash leaves the old or the new
/// content, never a mix: a temporary file beside it, fsync, rename, fsync
/// of the directory (which makes the rename itself durable).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = dir.join(tmp_name);
    {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    File::open(dir)?.sync_all()
}

/// Like [`write_atomic`] but refuses to replace an existing file.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    if path.exists() {
        return Err(CliError::new(
            Exit::Storage,
            "file_exists",
            format!(
                "{} already exists; choose another name or move it away first.",
                path.display()
            ),
        ));
    }
    write_atomic(path, bytes)
        .map_err(|e| CliError::storage(format!("Cannot write {}: {e}.", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wallet_core::address::Network;

    #[test]
    fn names() {
        for ok in ["alice", "a", "bob-2", "m.m_1"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".hidden", "a/b", "../x", "white space", &"x".repeat(65)] {
            assert_eq!(check_name(bad).unwrap_err().exit, Exit::Usage, "{bad}");
        }
    }

    #[test]
    fn save_open_reread_and_lock() {
        let tmp = tempfile::tempdir().unwrap();
        let data = DataDir {
            dir: tmp.path().join("d"),
        };
        data.ensure().unwrap();
        let mut wallet = Wallet::new("w", Network::Demo);
        let mut store = Store::create(&data, "w", "pw", "phrase words".into()).unwrap();
        store.save(&wallet).unwrap();
        assert_eq!(data.list().unwrap(), vec!["w".to_string()]);
        let (s2, w2) = Store::open(&data, "w", "pw").unwrap();
        assert_eq!(w2, wallet);
        assert_eq!(s2.phrase(), "phrase words");
        let e = Store::open(&data, "w", "nope").err().unwrap();
        assert_eq!(e.exit, Exit::Password);
        wallet.next_index = 7;
        store.save(&wallet).unwrap();
        assert_eq!(s2.reread().unwrap().unwrap().next_index, 7);
        // The file holds no plaintext.
        let text = fs::read_to_string(data.wallet_path("w")).unwrap();
        assert!(!text.contains("phrase") && !text.contains("next_index"));
        let lock = data.lock("w").unwrap();
        assert_eq!(data.lock("w").unwrap_err().exit, Exit::Busy);
        drop(lock);
        assert!(data.lock("w").is_ok());
        // Backups: the web wallet's format, opened with the password.
        let text = store.backup(&wallet).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["format"], "lockstep-wallet-backup");
        assert_eq!(v["version"], 1);
        assert_eq!(v["name"], "w");
        assert_eq!(v["vault"]["kdf"]["alg"], "argon2id");
        let (phrase, back) = open_backup(&text, "pw").unwrap();
        assert_eq!((phrase.as_str(), back.next_index), ("phrase words", 7));
        assert_eq!(open_backup(&text, "no").err().unwrap().exit, Exit::Password);
        // A backup as the web wallet writes it (Vault::seal, its plaintext).
        let plain = serde_json::json!({"phrase": "p", "wallet": wallet, "manual_confirm": true});
        let web = serde_json::json!({
            "format": "lockstep-wallet-backup", "version": 1, "name": "from-web",
            "vault": Vault::seal(plain.to_string().as_bytes(), "pw", KdfParams { m_cost: 64, t_cost: 1, p_cost: 1 }, [1; 16], [2; 12]).unwrap(),
        });
        assert_eq!(open_backup(&web.to_string(), "pw").unwrap().0, "p");
        // A CLI wallet file is accepted as a backup too.
        let file = fs::read_to_string(data.wallet_path("w")).unwrap();
        assert_eq!(open_backup(&file, "pw").unwrap().1.next_index, 7);
        let missing = Store::open(&data, "nobody", "pw").err().unwrap();
        assert_eq!(missing.exit, Exit::Storage);
    }
}
