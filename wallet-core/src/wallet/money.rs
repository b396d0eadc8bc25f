//! Where the wallet's money is: free to use, or tied up. The balance a
//! person sees is split by what holds each coin, so a coin locked in a swap
//! is never counted as spendable.

use crate::wallet::{Record, Wallet};

/// The balance split by what each coin is doing (satoshis). The parts add
/// up to [`Wallet::balance`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BalanceSplit {
    /// Free to send or swap.
    pub available: u64,
    /// At stake in a swap that has not finished.
    pub in_swaps: u64,
    /// Offered in an invite nobody has answered yet.
    pub offered: u64,
    /// Being sent (the transfer has not finished).
    pub sending: u64,
}

impl BalanceSplit {
    pub fn total(&self) -> u64 {
        self.available + self.in_swaps + self.offered + self.sending
    }
}

impl Wallet {
    /// The balance split: each coin counted once, by what holds it (a
    /// record first, then an open invite, else available).
    pub fn balance_split(&self) -> BalanceSplit {
        let locked = self.locked();
        let available: Vec<_> = self.available().iter().map(|c| c.statechain_id).collect();
        let mut split = BalanceSplit::default();
        for coin in self.coins.values() {
            let id = coin.statechain_id;
            let part = match locked.get(&id).and_then(|rid| self.records.get(rid)) {
                Some(Record::Swap(_)) => &mut split.in_swaps,
                Some(_) => &mut split.sending,
                None if available.contains(&id) => &mut split.available,
                None => &mut split.offered,
            };
            *part += coin.amount;
        }
        split
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Network;
    use crate::entropy::{Entropy, SeededEntropy};
    use crate::keys::{Mnemonic, WalletKeys};
    use crate::machine::OwnedCoin;
    use crate::testkit::held_coin;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const NOW: u64 = 1_800_000_000;

    #[test]
    fn coins_in_swaps_invites_and_sends_are_not_available() {
        let mut rng = SeededEntropy::new(11);
        let keys = WalletKeys::from_mnemonic(&Mnemonic::from_entropy(rng.bytes()));
        let mut w = Wallet::new("w", Network::Demo);
        let (a, b, c, d) = (
            held_coin(&mut w, &keys, &mut rng, 12_000),
            held_coin(&mut w, &keys, &mut rng, 5_000),
            held_coin(&mut w, &keys, &mut rng, 3_000),
            held_coin(&mut w, &keys, &mut rng, 1_000),
        );
        assert_eq!(
            w.balance_split(),
            BalanceSplit {
                available: 21_000,
                ..BalanceSplit::default()
            }
        );

        // b offered in an invite; c being sent; d given in a joined swap.
        let mut ids = SeededEntropy::new(12);
        w.create_invite(
            &keys,
            &[b.statechain_id],
            4_000,
            ids.uuid_v4(),
            NOW + 600,
            NOW,
        )
        .unwrap();
        let to = w.new_address(&keys, NOW).unwrap();
        w.start_send(&c.statechain_id, to, NOW).unwrap();
        let other = WalletKeys::from_mnemonic(&Mnemonic::from_entropy([5; 16]));
        let mut them = Wallet::new("them", Network::Demo);
        let theirs = OwnedCoin {
            statechain_id: ids.uuid_v4(),
            amount: 900,
            aggregated_pubkey: other.address(0).unwrap().user_pubkey(),
            seq: 0,
            index: 0,
        };
        them.coins.insert(theirs.statechain_id, theirs.clone());
        let invite = them
            .create_invite(
                &other,
                &[theirs.statechain_id],
                1_000,
                ids.uuid_v4(),
                NOW + 600,
                NOW,
            )
            .unwrap();
        w.join_invite(
            &keys,
            &invite.encode(),
            &[d.statechain_id],
            false,
            1000,
            NOW,
        )
        .unwrap();

        let split = w.balance_split();
        assert_eq!(
            split,
            BalanceSplit {
                available: a.amount,
                in_swaps: d.amount,
                offered: b.amount,
                sending: c.amount,
            }
        );
        assert_eq!(split.total(), w.balance());
    }
}
