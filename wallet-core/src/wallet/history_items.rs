//! History as a person reads it: one item per deposit, send or receive, and
//! one per swap (what was given and what was got, however many coins each
//! side moved), in the order they happened. The wallet's
//! [`HistoryEntry`] list stays one line per coin (each with its receipt);
//! this groups it.

use crate::types::Id;
use crate::wallet::{HistoryEntry, HistoryKind};

/// What an item is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Deposit,
    Sent,
    Received,
    /// A swap: its coins given, got, or back after it was called off.
    Swap,
}

impl ItemKind {
    /// A stable word for the page (`data-kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Deposit => "deposit",
            ItemKind::Sent => "sent",
            ItemKind::Received => "received",
            ItemKind::Swap => "swap",
        }
    }
}

/// One line of history as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryItem {
    pub kind: ItemKind,
    /// The latest of its entries' times (relay time, Unix seconds).
    pub time: u64,
    /// Satoshis that left the wallet (sent, or given in the swap).
    pub gave: u64,
    /// Satoshis that came in (deposited, received, or got in the swap).
    pub got: u64,
    /// Satoshis back after a swap was called off.
    pub came_back: u64,
    /// The indexes of its entries in the wallet's history (for receipts).
    pub entries: Vec<usize>,
}

/// Groups the history into items, oldest first: a swap's entries (by its
/// swap id) become one item, placed where its latest entry is.
pub fn history_items(history: &[HistoryEntry]) -> Vec<HistoryItem> {
    let mut items: Vec<HistoryItem> = Vec::new();
    // Swap id → position in `items`.
    let mut swaps: Vec<(Id, usize)> = Vec::new();
    for (index, entry) in history.iter().enumerate() {
        let swap = match entry.kind {
            HistoryKind::SwapGave | HistoryKind::SwapGot | HistoryKind::Recovered => entry.batch_id,
            _ => None,
        };
        let existing = swap.and_then(|id| swaps.iter().find(|(s, _)| *s == id).map(|(_, i)| *i));
        let position = match existing {
            // Move the swap's item to where its latest entry is.
            Some(at) => {
                let item = items.remove(at);
                for (_, i) in swaps.iter_mut() {
                    if *i > at {
                        *i -= 1;
                    }
                }
                items.push(item);
                let last = items.len() - 1;
                if let Some(entry) = swaps.iter_mut().find(|(s, _)| Some(*s) == swap) {
                    entry.1 = last;
                }
                last
            }
            None => {
                let kind = match entry.kind {
                    HistoryKind::Deposit => ItemKind::Deposit,
                    HistoryKind::Sent => ItemKind::Sent,
                    HistoryKind::Received => ItemKind::Received,
                    HistoryKind::SwapGave | HistoryKind::SwapGot | HistoryKind::Recovered => {
                        ItemKind::Swap
                    }
                };
                items.push(HistoryItem {
                    kind,
                    time: entry.time,
                    gave: 0,
                    got: 0,
                    came_back: 0,
                    entries: Vec::new(),
                });
                if let Some(id) = swap {
                    swaps.push((id, items.len() - 1));
                }
                items.len() - 1
            }
        };
        let item = &mut items[position];
        item.time = item.time.max(entry.time);
        item.entries.push(index);
        match entry.kind {
            HistoryKind::Sent | HistoryKind::SwapGave => item.gave += entry.amount,
            HistoryKind::Deposit | HistoryKind::Received | HistoryKind::SwapGot => {
                item.got += entry.amount
            }
            HistoryKind::Recovered => item.came_back += entry.amount,
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::{Entropy, SeededEntropy};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn entry(
        kind: HistoryKind,
        time: u64,
        amount: u64,
        swap: Option<Id>,
        coin: Id,
    ) -> HistoryEntry {
        HistoryEntry {
            time,
            kind,
            statechain_id: coin,
            amount,
            batch_id: swap,
            counterparty: None,
            receipt: None,
        }
    }

    #[test]
    fn a_swap_is_one_item_with_what_was_given_and_got() {
        let mut rng = SeededEntropy::new(3);
        let (s1, s2) = (rng.uuid_v4(), rng.uuid_v4());
        let coin = rng.uuid_v4();
        let history = vec![
            entry(HistoryKind::Deposit, 100, 10_000, None, coin),
            entry(HistoryKind::Deposit, 110, 2_000, None, coin),
            entry(HistoryKind::SwapGave, 200, 10_000, Some(s1), coin),
            entry(HistoryKind::SwapGave, 200, 2_000, Some(s1), coin),
            entry(HistoryKind::Sent, 205, 500, None, coin),
            entry(HistoryKind::SwapGot, 210, 7_000, Some(s1), coin),
            entry(HistoryKind::Recovered, 300, 7_000, Some(s2), coin),
            entry(HistoryKind::Received, 400, 900, None, coin),
        ];
        let items = history_items(&history);
        let kinds: Vec<_> = items.iter().map(|i| i.kind).collect();
        assert_eq!(
            kinds,
            [
                ItemKind::Deposit,
                ItemKind::Deposit,
                ItemKind::Sent,
                ItemKind::Swap,
                ItemKind::Swap,
                ItemKind::Received
            ]
        );
        let swap = &items[3];
        assert_eq!((swap.gave, swap.got, swap.came_back), (12_000, 7_000, 0));
        assert_eq!(swap.time, 210, "the swap's time is its latest entry's");
        assert_eq!(swap.entries, [2, 3, 5]);
        let called_off = &items[4];
        assert_eq!(
            (called_off.gave, called_off.got, called_off.came_back),
            (0, 0, 7_000)
        );
        assert_eq!((items[2].gave, items[2].got), (500, 0));
        assert_eq!((items[5].gave, items[5].got), (0, 900));
        // Every entry belongs to exactly one item.
        let mut all: Vec<usize> = items.iter().flat_map(|i| i.entries.clone()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..history.len()).collect::<Vec<_>>());
    }

    #[test]
    fn an_empty_history_has_no_items() {
        assert!(history_items(&[]).is_empty());
    }
}
