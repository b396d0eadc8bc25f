//! Verified chain prefixes: what a host keeps so that the next verification
//! of a coin checks only the chain entries added since.

use crate::receipt::CoinStatus;
use crate::sorted_map::SortedMap;
use crate::types::{Hash32, Id, Point, XOnly};
use crate::wire::ChainEntry;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Report;

/// A chain prefix whose signatures were all verified: entries `0..=seq` of
/// coin `statechain_id` as signed by `relay_pubkey`, identified by a hash of
/// their full content (see [`chain_prefix_hashes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifiedPrefix {
    pub statechain_id: Id,
    pub relay_pubkey: XOnly,
    pub seq: u64,
    pub prefix_hash: Hash32,
}

/// The verified prefixes a host keeps between verifications, one per coin
/// (pure data; persist it anywhere, or not at all: it only saves time).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifiedPrefixCache {
    pub coins: SortedMap<Id, VerifiedPrefix>,
}

impl VerifiedPrefixCache {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, statechain_id: &Id) -> Option<&VerifiedPrefix> {
        self.coins.get(statechain_id)
    }

    /// Keeps `prefix` for its coin, replacing a shorter one.
    pub fn remember(&mut self, prefix: VerifiedPrefix) {
        match self.coins.get(&prefix.statechain_id) {
            Some(old) if old.seq > prefix.seq && old.relay_pubkey == prefix.relay_pubkey => {}
            _ => {
                self.coins.insert(prefix.statechain_id, prefix);
            }
        }
    }

    /// Keeps the report's verified prefix, if it has one.
    pub fn remember_report(&mut self, report: &Report) {
        if let Some(p) = report.verified_prefix {
            self.remember(p);
        }
    }

    pub fn forget(&mut self, statechain_id: &Id) {
        self.coins.remove(statechain_id);
    }

    pub fn len(&self) -> usize {
        self.coins.len()
    }

    pub fn is_empty(&self) -> bool {
        self.coins.is_empty()
    }
}

/// The running hashes `h₀ … h_{k}` over a chain: `hᵢ` commits to the coin,
/// its key `P` and amount, the relay key and the full content of entries
/// `0..=i` (every field of the entry and of its receipt, signatures included).
pub fn chain_prefix_hashes(
    statechain_id: &Id,
    aggregated_pubkey: &Point,
    amount: u64,
    relay_pubkey: &XOnly,
    chain: &[ChainEntry],
) -> Vec<Hash32> {
    let mut h: [u8; 32] = {
        let mut s = Sha256::new();
        s.update(b"lockstep/v1/verified-chain-prefix");
        s.update(statechain_id.to_bytes());
        s.update(aggregated_pubkey.to_bytes());
        s.update(amount.to_le_bytes());
        s.update(relay_pubkey.to_bytes());
        s.finalize().into()
    };
    let opt_id = |s: &mut Sha256, id: &Option<Id>| match id {
        Some(id) => {
            s.update([1]);
            s.update(id.to_bytes());
        }
        None => s.update([0]),
    };
    let mut out = Vec::with_capacity(chain.len());
    for e in chain {
        let mut s = Sha256::new();
        s.update(h);
        s.update(e.seq.to_le_bytes());
        s.update(e.owner_user_pubkey.to_bytes());
        s.update(e.owner_auth_pubkey.to_bytes());
        opt_id(&mut s, &e.batch_id);
        match &e.transfer_sig {
            Some(sig) => {
                s.update([1]);
                s.update(sig.to_bytes());
            }
            None => s.update([0]),
        }
        let r = &e.receipt;
        s.update(r.statechain_id.to_bytes());
        s.update(r.seq.to_le_bytes());
        s.update(r.owner_user_pubkey.to_bytes());
        s.update(r.owner_auth_pubkey.to_bytes());
        s.update(r.server_pubkey.to_bytes());
        s.update(r.aggregated_pubkey.to_bytes());
        s.update(r.amount.to_le_bytes());
        opt_id(&mut s, &r.batch_id);
        s.update([match r.status {
            CoinStatus::Owned => 0,
            CoinStatus::Withdrawn => 1,
        }]);
        s.update(r.time.to_le_bytes());
        s.update(r.sig.to_bytes());
        h = s.finalize().into();
        out.push(Hash32(h));
    }
    out
}
