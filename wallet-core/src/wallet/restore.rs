//! Finding a restored phrase's coins again, the same way in every wallet:
//! ask the relay which coins each address index owns (`/info/owner`) until
//! `gap` indexes in a row own nothing, and keep a coin only if its relay
//! record names this wallet's keys and ends in a receipt the relay key
//! signed for exactly this coin, owner and `seq`.
//!
//! The decision ([`check`]) and the bookkeeping ([`Wallet::add_found`]) are
//! pure; [`scan`] only walks the indexes over an injected [`Transport`].

use crate::client::{RelayClient, Transport};
use crate::error::Error;
use crate::keys::{AddressKeys, WalletKeys};
use crate::machine::OwnedCoin;
use crate::receipt::{CoinStatus, Receipt};
use crate::types::{Id, XOnly};
use crate::wallet::{HistoryEntry, HistoryKind, Wallet};
use crate::wire::StatechainInfo;

/// Indexes in a row that own nothing before the scan stops (BIP44's gap).
pub const GAP_LIMIT: u32 = 20;
/// No scan looks past this index, whatever the relay answers.
pub const MAX_INDEX: u32 = 10_000;

/// A coin the relay's record shows this wallet owns, with the receipts
/// that prove it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCoin {
    pub coin: OwnedCoin,
    /// Every receipt of the coin's chain, oldest first (the last one is
    /// this wallet's ownership).
    pub receipts: Vec<Receipt>,
}

/// Whether the relay's record of a coin proves that the keys at `index`
/// own it: not withdrawn, both owner keys this wallet's, and
/// the last receipt signed by `relay_pubkey` for this coin, owner and seq.
pub fn check(
    info: &StatechainInfo,
    keys: &AddressKeys,
    index: u32,
    relay_pubkey: &XOnly,
) -> Option<FoundCoin> {
    let last = &info.chain.last()?.receipt;
    let sound = info.status == CoinStatus::Owned
        && info.owner_user_pubkey == keys.user_pubkey()
        && info.owner_auth_pubkey == keys.auth_pubkey()
        && last.statechain_id == info.statechain_id
        && last.seq == info.seq
        && last.owner_auth_pubkey == keys.auth_pubkey()
        && last.verify(relay_pubkey);
    sound.then(|| FoundCoin {
        coin: OwnedCoin {
            statechain_id: info.statechain_id,
            amount: info.amount,
            aggregated_pubkey: info.aggregated_pubkey,
            seq: info.seq,
            index,
        },
        receipts: info.chain.iter().map(|e| e.receipt.clone()).collect(),
    })
}

impl Wallet {
    /// Adds a coin found by a restore: the coin, its receipts (for
    /// equivocation checks) and one history entry with its last receipt.
    /// A coin already held is left as it is.
    pub fn add_found(&mut self, found: FoundCoin) {
        let id = found.coin.statechain_id;
        if self.coins.contains_key(&id) {
            return;
        }
        for r in &found.receipts {
            self.note_receipt(r);
        }
        if let Some(last) = found.receipts.last() {
            self.history.push(HistoryEntry {
                time: last.time,
                kind: if found.coin.seq == 0 {
                    HistoryKind::Deposit
                } else {
                    HistoryKind::Received
                },
                statechain_id: id,
                amount: found.coin.amount,
                batch_id: last.batch_id,
                counterparty: None,
                receipt: Some(last.clone()),
            });
        }
        self.next_index = self.next_index.max(found.coin.index + 1);
        self.coins.insert(id, found.coin);
    }
}

/// What a scan saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanOutcome {
    /// Coins handed to `found`.
    pub found: usize,
    /// Coins registered to one of this wallet's keys whose record does not
    /// check out (left out; worth telling the user).
    pub doubtful: Vec<Id>,
    /// The first index the scan did not look at: never hand out a lower
    /// one (a transfer to a scanned address may be in flight).
    pub next_index: u32,
}

/// Walks the address indexes from 0 until `gap` in a row own nothing (or
/// [`MAX_INDEX`]). Coins for which `known` is true are skipped; each coin
/// that passes [`check`] goes to `found`; `progress(scanned, found)` after
/// each index.
pub async fn scan<T: Transport>(
    relay: &RelayClient<T>,
    keys: &WalletKeys,
    relay_pubkey: &XOnly,
    gap: u32,
    known: impl Fn(&Id) -> bool,
    mut found: impl FnMut(FoundCoin),
    mut progress: impl FnMut(u32, usize),
) -> Result<ScanOutcome, Error> {
    let mut out = ScanOutcome::default();
    let (mut index, mut empty_run) = (0u32, 0u32);
    while empty_run < gap.max(1) && index < MAX_INDEX {
        let k = keys.address(index)?;
        let ids = relay.owner(&k.auth_pubkey()).await?.statechain_ids;
        empty_run = if ids.is_empty() { empty_run + 1 } else { 0 };
        for id in ids {
            if known(&id) {
                continue;
            }
            let info = relay.statechain(&id).await?;
            match check(&info, &k, index, relay_pubkey) {
                Some(f) => {
                    found(f);
                    out.found += 1;
                }
                None => out.doubtful.push(id),
            }
        }
        index += 1;
        progress(index, out.found);
    }
    out.next_index = index;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimWorld, block_on};
    use crate::testkit::{Party, World};
    use std::cell::RefCell;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A party with deposits at indexes 0 and 1 and nothing after.
    fn funded(w: &SimWorld) -> Party {
        let mut p = Party::new("alice", 7, w.sim.relay_pubkey());
        block_on(p.deposit(w, 5_000)).unwrap();
        block_on(p.deposit(w, 7_000)).unwrap();
        p
    }

    fn restore(w: &SimWorld, p: &Party, relay_pubkey: &XOnly) -> (Wallet, ScanOutcome) {
        let wallet = RefCell::new(Wallet::new("again", p.wallet.network));
        let out = block_on(scan(
            w.relay(),
            &p.keys,
            relay_pubkey,
            GAP_LIMIT,
            |id| wallet.borrow().coins.contains_key(id),
            |f| wallet.borrow_mut().add_found(f),
            |_, _| {},
        ))
        .unwrap();
        (wallet.into_inner(), out)
    }

    #[test]
    fn restore_finds_every_coin_of_the_phrase_with_its_history() {
        let w = SimWorld::new(1);
        let p = funded(&w);
        let (wallet, out) = restore(&w, &p, &w.sim.relay_pubkey());
        assert_eq!(out.found, 2);
        assert!(out.doubtful.is_empty());
        assert_eq!(wallet.coins, p.wallet.coins);
        assert_eq!(wallet.balance(), 12_000);
        assert_eq!(wallet.history.len(), 2);
        assert!(
            wallet
                .history
                .iter()
                .all(|h| h.kind == HistoryKind::Deposit)
        );
        // Indexes 0 and 1 own coins, then GAP_LIMIT empty ones.
        assert_eq!(out.next_index, 2 + GAP_LIMIT);
        assert!(wallet.next_index >= 2);
    }

    #[test]
    fn restore_skips_coins_already_held() {
        let w = SimWorld::new(2);
        let p = funded(&w);
        let mut calls = 0;
        let out = block_on(scan(
            w.relay(),
            &p.keys,
            &w.sim.relay_pubkey(),
            GAP_LIMIT,
            |id| p.wallet.coins.contains_key(id),
            |_| calls += 1,
            |_, _| {},
        ))
        .unwrap();
        assert_eq!((out.found, calls), (0, 0));
    }

    #[test]
    fn restore_leaves_out_a_coin_whose_receipt_another_key_signed() {
        let w = SimWorld::new(3);
        let p = funded(&w);
        let other = Party::new("x", 99, w.sim.relay_pubkey());
        let stranger = other.keys.address(0).unwrap().auth_pubkey();
        let (wallet, out) = restore(&w, &p, &stranger);
        assert_eq!(out.found, 0);
        assert_eq!(out.doubtful.len(), 2);
        assert!(wallet.coins.is_empty());
    }

    #[test]
    fn restore_check_refuses_a_record_for_other_keys() {
        let w = SimWorld::new(4);
        let p = funded(&w);
        let id = *p.wallet.coins.keys().next().unwrap();
        let info = block_on(w.relay().statechain(&id)).unwrap();
        let index = p.wallet.coins[&id].index;
        let relay = w.sim.relay_pubkey();
        assert!(check(&info, &p.keys.address(index).unwrap(), index, &relay).is_some());
        let wrong = p.keys.address(index + 5).unwrap();
        assert!(check(&info, &wrong, index, &relay).is_none());
        let mut withdrawn = info.clone();
        withdrawn.status = CoinStatus::Withdrawn;
        assert!(check(&withdrawn, &p.keys.address(index).unwrap(), index, &relay).is_none());
    }

    #[test]
    fn restore_stops_after_the_gap() {
        let w = SimWorld::new(5);
        let p = Party::new("empty", 5, w.sim.relay_pubkey());
        let mut seen = 0;
        let out = block_on(scan(
            w.relay(),
            &p.keys,
            &w.sim.relay_pubkey(),
            3,
            |_| false,
            |_| {},
            |i, _| seen = i,
        ))
        .unwrap();
        assert_eq!((out.found, out.next_index, seen), (0, 3, 3));
    }
}
