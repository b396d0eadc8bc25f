//! The wallet's storage in IndexedDB: which wallets exist, each one's
//! password vault (the recovery phrase, encrypted) and its state (the
//! wallet-core `Wallet`: coins, records, history; no secrets), and the
//! lease that lets one tab drive a wallet at a time.
//!
//! The page keeps the state in memory and writes the whole of it in one
//! short transaction after every change, before it performs the actions
//! that change asked for.

use crate::errors::UiError;
use crate::idb::{Db, IdbError};
use serde::{Deserialize, Serialize};
use wallet_core::wallet::Wallet;
use wallet_core::wallet::attention::{SwapStatus, running_swap};

/// The database the page uses.
pub const DB_NAME: &str = "lockstep";
const DB_VERSION: u32 = 1;
const STORES: &[&str] = &["wallets", "vaults", "states", "leases"];

/// How long a lease lasts without renewal, and how often it is renewed (ms).
pub const LEASE_MS: f64 = 12_000.0;
pub const LEASE_RENEW_MS: f64 = 4_000.0;

/// What the wallet list shows, and per-wallet settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalletMeta {
    pub name: String,
    /// Device time of creation (ms).
    #[serde(serialize_with = "whole_ms")]
    pub created_ms: f64,
    /// Unlock in a swap only after the user confirms the checks.
    #[serde(default)]
    pub manual_confirm: bool,
    /// Show browser notifications (the browser's permission asked when the
    /// user turned this on).
    #[serde(default)]
    pub notify: bool,
    /// The wallet's running swap, read from its state by [`Store::list`]
    /// (never stored here).
    #[serde(skip)]
    pub swap: Option<SwapStatus>,
}

/// One tab's claim on a wallet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lease {
    pub tab: String,
    /// Device time until which the claim holds (ms).
    #[serde(serialize_with = "whole_ms")]
    pub until_ms: f64,
}

/// A device time in ms written as a whole number (`Date.now()` gives whole
/// ms): no float formatting code in the wasm. Reading takes either form, so
/// what older builds wrote (`1733245123456.0`) still reads.
fn whole_ms<S: serde::Serializer>(ms: &f64, s: S) -> Result<S::Ok, S::Error> {
    let whole = if ms.is_finite() && *ms > 0.0 {
        ms.round() as u64
    } else {
        0
    };
    s.serialize_u64(whole)
}

/// The outcome of trying to take or renew a lease.
#[derive(Debug, Clone, PartialEq)]
pub enum LeaseDecision {
    /// This tab holds it (write `Lease`).
    Held(Lease),
    /// Another live tab holds it.
    Other(Lease),
}

/// Pure lease rule: a tab may take the lease when nobody holds it, it has
/// lapsed, it is this tab's own, or the user asked to take over.
pub fn decide_lease(
    current: Option<&Lease>,
    tab: &str,
    now_ms: f64,
    take_over: bool,
) -> LeaseDecision {
    match current {
        Some(l) if l.tab != tab && l.until_ms > now_ms && !take_over => {
            LeaseDecision::Other(l.clone())
        }
        _ => LeaseDecision::Held(Lease {
            tab: tab.to_string(),
            until_ms: now_ms + LEASE_MS,
        }),
    }
}

fn storage_error(e: IdbError) -> UiError {
    match e {
        IdbError::Unavailable => UiError::StorageUnavailable,
        IdbError::QuotaExceeded => UiError::StorageFull,
        IdbError::Exists => UiError::NameTaken,
        IdbError::Failed(_) => UiError::StorageFailed,
    }
}

fn corrupt(why: &'static str) -> UiError {
    UiError::Core(wallet_core::Error::CorruptWalletFile(why))
}

/// The wallet storage.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
}

impl Store {
    /// Opens the page's database; fails with [`UiError::StorageUnavailable`]
    /// in private windows and wherever IndexedDB is blocked.
    pub async fn open() -> Result<Store, UiError> {
        Self::open_named(DB_NAME).await
    }

    /// Opens a database of another name (tests).
    pub async fn open_named(name: &str) -> Result<Store, UiError> {
        let db = Db::open(name, DB_VERSION, STORES)
            .await
            .map_err(storage_error)?;
        // Some browsers open the database but refuse every transaction.
        db.keys("wallets").await.map_err(storage_error)?;
        Ok(Store { db })
    }

    pub fn close(&self) {
        self.db.close();
    }

    /// Every wallet in this browser, by name, each with its running swap.
    ///
    /// The list is shown before any password is typed, so it may only use
    /// what is readable without one. The state is: it is stored unsealed by
    /// design, as it holds no secret (every key derives from the phrase,
    /// which only the vault holds), so reading it here exposes nothing that
    /// was not already readable, and writes no second copy of anything.
    /// Of it, the list takes only the swap's deadline and whether it waits
    /// on the user ([`running_swap`]); no amount, coin or address.
    pub async fn list(&self) -> Result<Vec<WalletMeta>, UiError> {
        let mut out = Vec::new();
        for name in self.db.keys("wallets").await.map_err(storage_error)? {
            if let Some(text) = self.db.get("wallets", &name).await.map_err(storage_error)?
                && let Ok(mut meta) = serde_json::from_slice::<WalletMeta>(text.as_bytes())
            {
                // A state that cannot be read shows no swap; unlocking
                // reports it.
                meta.swap = self
                    .load_state(&name)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|wallet| running_swap(&wallet));
                out.push(meta);
            }
        }
        Ok(out)
    }

    /// Stores a new wallet (fails with [`UiError::NameTaken`] if the name is
    /// used): its list entry, vault and state in one transaction.
    pub async fn create(
        &self,
        meta: &WalletMeta,
        vault: &str,
        wallet: &Wallet,
    ) -> Result<(), UiError> {
        let m = serde_json::to_string(meta).map_err(|_| UiError::StorageFailed)?;
        let s = serde_json::to_string(wallet).map_err(|_| UiError::StorageFailed)?;
        self.db
            .write(
                &[
                    ("wallets", &meta.name, Some(&m)),
                    ("vaults", &meta.name, Some(vault)),
                    ("states", &meta.name, Some(&s)),
                ],
                true,
            )
            .await
            .map_err(storage_error)
    }

    /// Writes a wallet's state (one transaction).
    pub async fn save(&self, wallet: &Wallet) -> Result<(), UiError> {
        let s = serde_json::to_string(wallet).map_err(|_| UiError::StorageFailed)?;
        self.save_text(&wallet.name, &s).await
    }

    /// Writes an already serialized state (one transaction).
    pub async fn save_text(&self, name: &str, state: &str) -> Result<(), UiError> {
        self.db
            .write(&[("states", name, Some(state))], false)
            .await
            .map_err(storage_error)
    }

    pub async fn save_meta(&self, meta: &WalletMeta) -> Result<(), UiError> {
        let m = serde_json::to_string(meta).map_err(|_| UiError::StorageFailed)?;
        self.db
            .write(&[("wallets", &meta.name, Some(&m))], false)
            .await
            .map_err(storage_error)
    }

    /// A wallet's list entry, vault text and state.
    pub async fn load(&self, name: &str) -> Result<(WalletMeta, String, Wallet), UiError> {
        let get = |store: &'static str| async move {
            self.db
                .get(store, name)
                .await
                .map_err(storage_error)?
                .ok_or(corrupt("part of it is missing from this browser's storage"))
        };
        let meta = serde_json::from_slice(get("wallets").await?.as_bytes())
            .map_err(|_| corrupt("its list entry cannot be read"))?;
        let vault = get("vaults").await?;
        let wallet = serde_json::from_slice(get("states").await?.as_bytes())
            .map_err(|_| corrupt("its saved state cannot be read"))?;
        Ok((meta, vault, wallet))
    }

    /// The state alone (what a reload reads back).
    pub async fn load_state(&self, name: &str) -> Result<Option<Wallet>, UiError> {
        match self.db.get("states", name).await.map_err(storage_error)? {
            None => Ok(None),
            Some(t) => serde_json::from_slice(t.as_bytes())
                .map(Some)
                .map_err(|_| corrupt("its saved state cannot be read")),
        }
    }

    /// Deletes a wallet from this browser.
    pub async fn delete(&self, name: &str) -> Result<(), UiError> {
        self.db
            .write(
                &[
                    ("wallets", name, None),
                    ("vaults", name, None),
                    ("states", name, None),
                    ("leases", name, None),
                ],
                false,
            )
            .await
            .map_err(storage_error)
    }

    /// Takes or renews wallet `name`'s lease for tab `tab`, atomically.
    pub async fn lease(
        &self,
        name: &str,
        tab: &str,
        now_ms: f64,
        take_over: bool,
    ) -> Result<LeaseDecision, UiError> {
        let tab_owned = tab.to_string();
        let decision = std::rc::Rc::new(std::cell::RefCell::new(None));
        let d = decision.clone();
        self.db
            .update("leases", name, move |current| {
                let cur: Option<Lease> =
                    current.and_then(|t| serde_json::from_slice(t.as_bytes()).ok());
                let out = decide_lease(cur.as_ref(), &tab_owned, now_ms, take_over);
                let write = match &out {
                    LeaseDecision::Held(l) => serde_json::to_string(l).ok(),
                    LeaseDecision::Other(_) => None,
                };
                *d.borrow_mut() = Some(out);
                write
            })
            .await
            .map_err(storage_error)?;
        let out = decision.borrow_mut().take();
        out.ok_or(UiError::StorageFailed)
    }

    /// Gives the lease up (on lock), if this tab holds it.
    pub async fn release(&self, name: &str, tab: &str) -> Result<(), UiError> {
        let tab = tab.to_string();
        self.db
            .update("leases", name, move |current| {
                let cur: Option<Lease> =
                    current.and_then(|t| serde_json::from_slice(t.as_bytes()).ok());
                match cur {
                    Some(l) if l.tab == tab => {
                        serde_json::to_string(&Lease { tab, until_ms: 0.0 }).ok()
                    }
                    _ => None,
                }
            })
            .await
            .map(|_| ())
            .map_err(storage_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn times_are_written_whole_and_older_float_times_still_read() {
        let lease = Lease {
            tab: "a".into(),
            until_ms: 1_733_245_123_456.0,
        };
        let json = serde_json::to_string(&lease).unwrap();
        assert_eq!(json, r#"{"tab":"a","until_ms":1733245123456}"#);
        assert_eq!(serde_json::from_str::<Lease>(&json).unwrap(), lease);
        let older = r#"{"name":"Alice","created_ms":1733245123456.0}"#;
        let meta: WalletMeta = serde_json::from_str(older).unwrap();
        assert_eq!(meta.created_ms, 1_733_245_123_456.0);
    }

    #[test]
    fn lease_rules() {
        let mine = |until| Lease {
            tab: "a".into(),
            until_ms: until,
        };
        let other = |until| Lease {
            tab: "b".into(),
            until_ms: until,
        };
        assert!(
            matches!(decide_lease(None, "a", 0.0, false), LeaseDecision::Held(l) if l.until_ms == LEASE_MS)
        );
        assert!(matches!(
            decide_lease(Some(&mine(5.0)), "a", 10.0, false),
            LeaseDecision::Held(_)
        ));
        assert!(matches!(
            decide_lease(Some(&other(50.0)), "a", 10.0, false),
            LeaseDecision::Other(_)
        ));
        // A lapsed lease of another tab (closed without releasing) is free.
        assert!(matches!(
            decide_lease(Some(&other(5.0)), "a", 10.0, false),
            LeaseDecision::Held(_)
        ));
        // Taking over wins over a live lease.
        assert!(
            matches!(decide_lease(Some(&other(50.0)), "a", 10.0, true), LeaseDecision::Held(l) if l.tab == "a")
        );
    }
}
