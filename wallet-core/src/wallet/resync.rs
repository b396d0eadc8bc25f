//! Checking a wallet's coins with the relay after its state came from
//! somewhere older than the relay's word, such as an imported backup file:
//! a coin sent away (or withdrawn) from another copy of the wallet since
//! the backup was made must not show as spendable. Each coin no record of
//! this wallet is moving is looked up (`/info/statechain`), and one that
//! moved on is taken out of the coin list and kept in [`Wallet::gone`]
//! with the reason, so the page can say what happened to it.
//!
//! The decision ([`standing`]) and the bookkeeping ([`Wallet::mark_gone`])
//! are pure; [`resync`] only asks over an injected [`Transport`].

use crate::client::{RelayClient, Transport};
use crate::error::{Error, ErrorCode};
use crate::keys::{AddressKeys, WalletKeys};
use crate::machine::OwnedCoin;
use crate::receipt::CoinStatus;
use crate::types::Id;
use crate::wallet::Wallet;
use crate::wire::StatechainInfo;
use serde::{Deserialize, Serialize};

/// Why a coin the wallet had is no longer this wallet's to spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoneReason {
    /// The relay shows another owner, or a later transfer of it.
    MovedOn,
    /// It was withdrawn.
    Withdrawn,
    /// A transfer of it to someone else was started, not by this copy.
    Leaving,
    /// The relay does not know the coin at all.
    Unknown,
}

impl GoneReason {
    /// The coin's state in words, for the coin list.
    pub fn sentence(self) -> &'static str {
        match self {
            GoneReason::MovedOn => {
                "spent since this backup: it was sent from another copy of this wallet"
            }
            GoneReason::Withdrawn => "withdrawn since this backup",
            GoneReason::Leaving => "being sent from another copy of this wallet",
            GoneReason::Unknown => "unknown to this relay",
        }
    }
}

/// A coin taken out of the coin list by a resync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoneCoin {
    pub coin: OwnedCoin,
    pub reason: GoneReason,
    /// When the relay said so (relay time).
    pub seen_at: u64,
}

/// Whether the relay's record of `coin` still shows it as this wallet's,
/// as the wallet has it (same owner keys, same ownership `seq`, nothing
/// leaving): `None` if so, else why not.
pub fn standing(coin: &OwnedCoin, keys: &AddressKeys, info: &StatechainInfo) -> Option<GoneReason> {
    if info.status == CoinStatus::Withdrawn {
        return Some(GoneReason::Withdrawn);
    }
    if info.statechain_id != coin.statechain_id
        || info.seq != coin.seq
        || info.owner_auth_pubkey != keys.auth_pubkey()
        || info.owner_user_pubkey != keys.user_pubkey()
    {
        return Some(GoneReason::MovedOn);
    }
    info.pending.as_ref().map(|_| GoneReason::Leaving)
}

impl Wallet {
    /// Takes a coin that moved on out of the coin list (and out of any
    /// open invite that offered it: that invite can no longer complete).
    pub fn mark_gone(&mut self, id: &Id, reason: GoneReason, now: u64) {
        let Some(coin) = self.coins.remove(id) else {
            return;
        };
        let network = self.network;
        self.invites.retain(|_, pending| {
            crate::invite::Invite::decode(&pending.code, network)
                .map(|invite| !invite.gives().iter().any(|o| o.statechain_id == *id))
                .unwrap_or(true)
        });
        self.gone.insert(
            *id,
            GoneCoin {
                coin,
                reason,
                seen_at: now,
            },
        );
    }

    /// The coins a resync must ask about: every coin no unfinished record
    /// has at stake (those records find out for themselves when they
    /// resume).
    pub fn coins_to_resync(&self) -> Vec<OwnedCoin> {
        let locked = self.locked();
        self.coins
            .values()
            .filter(|c| !locked.contains_key(&c.statechain_id))
            .cloned()
            .collect()
    }
}

/// Asks the relay about each of [`Wallet::coins_to_resync`] and returns
/// those that moved on, with why; `progress(checked, of)` after each. Any
/// failure to ask (the relay unreachable) is an error: nothing is decided
/// from a partial answer.
pub async fn resync<T: Transport>(
    relay: &RelayClient<T>,
    wallet: &Wallet,
    keys: &WalletKeys,
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<(Id, GoneReason)>, Error> {
    let coins = wallet.coins_to_resync();
    let mut gone = Vec::new();
    for (n, coin) in coins.iter().enumerate() {
        let verdict = match relay.statechain(&coin.statechain_id).await {
            Ok(info) => standing(coin, &keys.address(coin.index)?, &info),
            Err(Error::Relay {
                code: ErrorCode::NotFound,
                ..
            }) => Some(GoneReason::Unknown),
            Err(e) => return Err(e),
        };
        if let Some(reason) = verdict {
            gone.push((coin.statechain_id, reason));
        }
        progress(n + 1, coins.len());
    }
    Ok(gone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimWorld, block_on};
    use crate::testkit::{Party, World, run_until};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn an_old_backup_loses_the_coin_sent_away_since_and_keeps_the_rest() {
        let w = SimWorld::new(21);
        let relay_pubkey = w.sim.relay_pubkey();
        let mut a = Party::new("a", 21, relay_pubkey);
        let mut b = Party::new("b", 22, relay_pubkey);
        let sent = block_on(a.deposit(&w, 5_000)).unwrap();
        let kept = block_on(a.deposit(&w, 7_000)).unwrap();
        // The backup: the wallet as it was then.
        let backup = a.wallet.clone();
        assert!(
            block_on(resync(w.relay(), &backup, &a.keys, |_, _| {}))
                .unwrap()
                .is_empty()
        );

        // Since then, the other copy sent one coin away.
        let now = w.now();
        let to = b.fresh_address(now).unwrap();
        let (rid, actions) = a.wallet.start_send(&sent.statechain_id, to, now).unwrap();
        a.start(&rid, actions);
        assert!(block_on(
            run_until(&w, &mut [&mut a], 0, |ps| ps[0].is_final(&rid))
        ));

        let mut old = backup.clone();
        let mut seen = Vec::new();
        let gone = block_on(resync(w.relay(), &old, &a.keys, |n, of| seen.push((n, of)))).unwrap();
        assert_eq!(gone, [(sent.statechain_id, GoneReason::Leaving)]);
        assert_eq!(seen, [(1, 2), (2, 2)]);
        for (id, reason) in gone {
            old.mark_gone(&id, reason, w.now());
        }
        assert_eq!(old.balance(), kept.amount);
        assert_eq!(old.balance_split().available, kept.amount);
        assert!(!old.coins.contains_key(&sent.statechain_id));
        assert_eq!(old.gone[&sent.statechain_id].coin, sent);
        // Marking again changes nothing.
        let before = old.clone();
        old.mark_gone(&sent.statechain_id, GoneReason::MovedOn, w.now());
        assert_eq!(old, before);
    }

    #[test]
    fn standing_names_why_a_coin_moved_on() {
        let w = SimWorld::new(23);
        let mut a = Party::new("a", 23, w.sim.relay_pubkey());
        let coin = block_on(a.deposit(&w, 5_000)).unwrap();
        let info = block_on(w.relay().statechain(&coin.statechain_id)).unwrap();
        let keys = a.keys.address(coin.index).unwrap();
        assert_eq!(standing(&coin, &keys, &info), None);
        let mut later = info.clone();
        later.seq += 1;
        assert_eq!(standing(&coin, &keys, &later), Some(GoneReason::MovedOn));
        let other = a.keys.address(coin.index + 1).unwrap();
        assert_eq!(standing(&coin, &other, &info), Some(GoneReason::MovedOn));
        let mut withdrawn = info.clone();
        withdrawn.status = CoinStatus::Withdrawn;
        assert_eq!(
            standing(&coin, &keys, &withdrawn),
            Some(GoneReason::Withdrawn)
        );
    }

    #[test]
    fn a_coin_the_relay_does_not_know_is_gone() {
        let w = SimWorld::new(25);
        let mut a = Party::new("a", 25, w.sim.relay_pubkey());
        block_on(a.deposit(&w, 5_000)).unwrap();
        let mut wallet = a.wallet.clone();
        let ghost = OwnedCoin {
            statechain_id: a.random_id(),
            ..wallet.coins.values().next().unwrap().clone()
        };
        wallet.coins.insert(ghost.statechain_id, ghost.clone());
        let gone = block_on(resync(w.relay(), &wallet, &a.keys, |_, _| {})).unwrap();
        assert_eq!(gone, [(ghost.statechain_id, GoneReason::Unknown)]);
    }
}
