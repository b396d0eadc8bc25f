//! The batch descriptor (§6.1): the exact list of transfers every party
//! agreed to, and its canonical hash.

use crate::error::Error;
use crate::types::{Hash32, Id, XOnly};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One line: this coin goes to this auth key, and carries this amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchTransfer {
    pub statechain_id: Id,
    pub new_user_auth_key: XOnly,
    pub amount: u64,
}

/// A validated descriptor: 1..=max lines, each coin once, sorted by coin
/// id, and its hash, computed once when it is built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DescriptorWire", into = "DescriptorWire")]
pub struct Descriptor {
    batch_id: Id,
    transfers: Vec<BatchTransfer>,
    hash: Hash32,
}

/// The wire shape of a descriptor (the `batch` field of `/transfer/sender`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescriptorWire {
    pub batch_id: Id,
    #[serde(deserialize_with = "lines::bounded")]
    pub transfers: Vec<BatchTransfer>,
}

/// How a join names its batch (§6.3): with the descriptor's lines (the
/// first join, which creates the batch, must), or once the batch exists,
/// by its hash alone: O(1) bytes whatever the batch's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchJoin {
    Full(Descriptor),
    Short {
        batch_id: Id,
        descriptor_hash: Hash32,
    },
}

impl BatchJoin {
    pub fn batch_id(&self) -> Id {
        match self {
            BatchJoin::Full(d) => d.batch_id(),
            BatchJoin::Short { batch_id, .. } => *batch_id,
        }
    }

    pub fn hash(&self) -> Hash32 {
        match self {
            BatchJoin::Full(d) => d.hash(),
            BatchJoin::Short {
                descriptor_hash, ..
            } => *descriptor_hash,
        }
    }

    pub fn descriptor(&self) -> Option<&Descriptor> {
        match self {
            BatchJoin::Full(d) => Some(d),
            BatchJoin::Short { .. } => None,
        }
    }
}

/// Reading a descriptor's lines with their number bounded while parsing:
/// a body with more lines than the relay takes is refused at the first
/// line too many, before the rest is read, validated or stored.
pub mod lines {
    use super::{ABSOLUTE_MAX_LINES, BatchTransfer};
    use serde::de::{Deserializer, Error as _, SeqAccess, Visitor};
    use std::cell::Cell;
    use std::fmt;

    thread_local! {
        // serde's derive cannot pass a bound into a nested field, so the
        // bound of one synchronous parse is set around it ([`with_limit`]).
        static LIMIT: Cell<usize> = const { Cell::new(ABSOLUTE_MAX_LINES) };
    }

    /// Runs `parse` with descriptors bounded to `max` lines (and never more
    /// than [`ABSOLUTE_MAX_LINES`]).
    pub fn with_limit<R>(max: usize, parse: impl FnOnce() -> R) -> R {
        let before = LIMIT.with(|l| l.replace(max.min(ABSOLUTE_MAX_LINES)));
        let r = parse();
        LIMIT.with(|l| l.set(before));
        r
    }

    /// The lines, at most the current limit of them.
    pub fn bounded<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<BatchTransfer>, D::Error> {
        struct Lines(usize);
        impl<'de> Visitor<'de> for Lines {
            type Value = Vec<BatchTransfer>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a list of at most {} transfers", self.0)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(self.0));
                while let Some(line) = seq.next_element::<BatchTransfer>()? {
                    if out.len() == self.0 {
                        return Err(A::Error::custom(format!(
                            "the descriptor has more than {} transfers",
                            self.0
                        )));
                    }
                    out.push(line);
                }
                Ok(out)
            }
        }
        d.deserialize_seq(Lines(LIMIT.with(Cell::get)))
    }
}

/// No descriptor may exceed this, whatever the relay's configuration: it
/// bounds memory before any configuration is consulted.
pub const ABSOLUTE_MAX_LINES: usize = 100_000;

impl Descriptor {
    /// Builds a descriptor, rejecting an empty list, a coin listed twice, or
    /// more than `max` lines. Line order does not matter.
    pub fn new(batch_id: Id, mut transfers: Vec<BatchTransfer>, max: usize) -> Result<Self, Error> {
        if transfers.is_empty() {
            return Err(Error::EmptyDescriptor);
        }
        if transfers.len() > max.min(ABSOLUTE_MAX_LINES) {
            return Err(Error::DescriptorTooLarge {
                max,
                found: transfers.len(),
            });
        }
        transfers.sort_by_key(|t| t.statechain_id);
        if let Some(w) = transfers
            .windows(2)
            .find(|w| w[0].statechain_id == w[1].statechain_id)
        {
            return Err(Error::DuplicateCoin(w[0].statechain_id.to_string()));
        }
        let hash = hash(&batch_id, &transfers);
        Ok(Descriptor {
            batch_id,
            transfers,
            hash,
        })
    }

    pub fn batch_id(&self) -> Id {
        self.batch_id
    }

    /// The lines, sorted by `statechain_id`.
    pub fn transfers(&self) -> &[BatchTransfer] {
        &self.transfers
    }

    pub fn line(&self, statechain_id: &Id) -> Option<&BatchTransfer> {
        self.transfers
            .binary_search_by_key(statechain_id, |t| t.statechain_id)
            .ok()
            .map(|i| &self.transfers[i])
    }

    pub fn len(&self) -> usize {
        self.transfers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.transfers.is_empty()
    }

    /// SHA256 of `lockstep/v1/batch\n{batch_id}\n` and one sorted line per
    /// transfer (computed once, when the descriptor was built).
    pub fn hash(&self) -> Hash32 {
        self.hash
    }

    /// Validates a descriptor received on the wire against a size limit.
    pub fn from_wire(w: DescriptorWire, max: usize) -> Result<Self, Error> {
        Descriptor::new(w.batch_id, w.transfers, max)
    }

    pub fn to_wire(&self) -> DescriptorWire {
        DescriptorWire {
            batch_id: self.batch_id,
            transfers: self.transfers.clone(),
        }
    }
}

/// The canonical hash (§6.1) of lines sorted by coin id.
fn hash(batch_id: &Id, sorted: &[BatchTransfer]) -> Hash32 {
    let mut h = Sha256::new();
    h.update(format!("lockstep/v1/batch\n{batch_id}\n").as_bytes());
    for t in sorted {
        h.update(format!("{}:{}:{}\n", t.statechain_id, t.new_user_auth_key, t.amount).as_bytes());
    }
    Hash32(h.finalize().into())
}

impl TryFrom<DescriptorWire> for Descriptor {
    type Error = Error;
    fn try_from(w: DescriptorWire) -> Result<Self, Error> {
        Descriptor::new(w.batch_id, w.transfers, ABSOLUTE_MAX_LINES)
    }
}

impl From<Descriptor> for DescriptorWire {
    fn from(d: Descriptor) -> Self {
        DescriptorWire {
            batch_id: d.batch_id,
            transfers: d.transfers,
        }
    }
}

/// The short form of a join's `batch` field (§6.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShortJoinWire {
    pub batch_id: Id,
    pub descriptor_hash: Hash32,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::keys::{Mnemonic, WalletKeys};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    pub(crate) fn fixed_descriptor() -> Descriptor {
        let keys = WalletKeys::from_mnemonic(&Mnemonic::from_entropy([0; 16]));
        let a = keys.address(0).unwrap().auth_pubkey();
        let b = keys.address(1).unwrap().auth_pubkey();
        Descriptor::new(
            Id::parse("11111111-1111-4111-8111-111111111111").unwrap(),
            vec![
                BatchTransfer {
                    statechain_id: Id::parse("33333333-3333-4333-8333-333333333333").unwrap(),
                    new_user_auth_key: a,
                    amount: 5000,
                },
                BatchTransfer {
                    statechain_id: Id::parse("22222222-2222-4222-8222-222222222222").unwrap(),
                    new_user_auth_key: b,
                    amount: 7000,
                },
            ],
            1000,
        )
        .unwrap()
    }

    #[test]
    fn order_does_not_matter() {
        let d = fixed_descriptor();
        let mut lines = d.transfers().to_vec();
        lines.reverse();
        let d2 = Descriptor::new(d.batch_id(), lines, 1000).unwrap();
        assert_eq!(d.hash(), d2.hash());
        assert_eq!(
            d.transfers()[0].statechain_id.to_string(),
            "22222222-2222-4222-8222-222222222222"
        );
    }

    #[test]
    fn rejects_empty_duplicate_and_oversized() {
        let d = fixed_descriptor();
        assert_eq!(
            Descriptor::new(d.batch_id(), vec![], 10),
            Err(Error::EmptyDescriptor)
        );
        let dup = vec![d.transfers()[0], d.transfers()[0]];
        assert!(matches!(
            Descriptor::new(d.batch_id(), dup, 10),
            Err(Error::DuplicateCoin(_))
        ));
        assert!(matches!(
            Descriptor::new(d.batch_id(), d.transfers().to_vec(), 1),
            Err(Error::DescriptorTooLarge { .. })
        ));
    }

    #[test]
    fn any_change_changes_the_hash() {
        let d = fixed_descriptor();
        let mut lines = d.transfers().to_vec();
        lines[0].amount += 1;
        assert_ne!(
            Descriptor::new(d.batch_id(), lines, 10).unwrap().hash(),
            d.hash()
        );
    }

    /// Known-answer vector, also printed in docs/PROTOCOL-NOTES.md.
    #[test]
    fn known_answer_vector() {
        assert_eq!(fixed_descriptor().hash().to_string(), DESCRIPTOR_KAT);
    }

    pub(crate) const DESCRIPTOR_KAT: &str =
        "79c5c6715690b6bc139ef23afcd9ecdbd8dfb8572a45460ead3d5e1f95740a29";
}
