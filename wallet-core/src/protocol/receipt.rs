//! Relay receipts (§8) and the equivocation proof (§7.5): two valid receipts
//! for one coin and `seq` that say different things.

use crate::keys::AuthKey;
use crate::signing;
use crate::types::{Id, Point, Sig, XOnly};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoinStatus {
    Owned,
    Withdrawn,
}

impl CoinStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CoinStatus::Owned => "owned",
            CoinStatus::Withdrawn => "withdrawn",
        }
    }
}

/// What a receipt states, before the relay signs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptBody {
    pub statechain_id: Id,
    pub seq: u64,
    pub owner_user_pubkey: Point,
    pub owner_auth_pubkey: XOnly,
    pub server_pubkey: Point,
    pub aggregated_pubkey: Point,
    pub amount: u64,
    pub batch_id: Option<Id>,
    pub status: CoinStatus,
    pub time: u64,
}

/// A relay-signed statement that `owner` holds coin `statechain_id` at `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub statechain_id: Id,
    pub seq: u64,
    pub owner_user_pubkey: Point,
    pub owner_auth_pubkey: XOnly,
    pub server_pubkey: Point,
    pub aggregated_pubkey: Point,
    pub amount: u64,
    pub batch_id: Option<Id>,
    pub status: CoinStatus,
    pub time: u64,
    pub sig: Sig,
}

impl ReceiptBody {
    pub fn signing_string(&self) -> String {
        format!(
            "lockstep/v1/receipt\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}",
            self.statechain_id,
            self.seq,
            self.owner_user_pubkey,
            self.owner_auth_pubkey,
            self.server_pubkey,
            self.aggregated_pubkey,
            self.amount,
            self.batch_id
                .map_or_else(|| "-".to_string(), |b| b.to_string()),
            self.status.as_str(),
            self.time
        )
    }

    /// Relay side: signs with the relay key.
    pub fn sign(self, relay_key: &AuthKey, aux_rand: [u8; 32]) -> Receipt {
        let sig = relay_key.sign(&self.signing_string(), aux_rand);
        Receipt {
            statechain_id: self.statechain_id,
            seq: self.seq,
            owner_user_pubkey: self.owner_user_pubkey,
            owner_auth_pubkey: self.owner_auth_pubkey,
            server_pubkey: self.server_pubkey,
            aggregated_pubkey: self.aggregated_pubkey,
            amount: self.amount,
            batch_id: self.batch_id,
            status: self.status,
            time: self.time,
            sig,
        }
    }
}

impl Receipt {
    pub fn body(&self) -> ReceiptBody {
        ReceiptBody {
            statechain_id: self.statechain_id,
            seq: self.seq,
            owner_user_pubkey: self.owner_user_pubkey,
            owner_auth_pubkey: self.owner_auth_pubkey,
            server_pubkey: self.server_pubkey,
            aggregated_pubkey: self.aggregated_pubkey,
            amount: self.amount,
            batch_id: self.batch_id,
            status: self.status,
            time: self.time,
        }
    }

    pub fn signing_string(&self) -> String {
        self.body().signing_string()
    }

    /// Checks the relay's signature; works offline given the relay key.
    pub fn verify(&self, relay_pubkey: &XOnly) -> bool {
        signing::verify(relay_pubkey, &self.signing_string(), &self.sig)
    }
}

/// Proof that the relay signed two different states for one coin and `seq`.
/// Anyone holding the relay's public key can check it offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EquivocationProof {
    pub relay_pubkey: XOnly,
    pub first: Receipt,
    pub second: Receipt,
}

impl EquivocationProof {
    /// `Some` when both receipts are validly signed by `relay_pubkey`, name
    /// the same coin and `seq`, and state different things.
    pub fn detect(relay_pubkey: &XOnly, first: &Receipt, second: &Receipt) -> Option<Self> {
        let conflict = first.statechain_id == second.statechain_id
            && first.seq == second.seq
            && first.signing_string() != second.signing_string()
            && first.verify(relay_pubkey)
            && second.verify(relay_pubkey);
        conflict.then(|| EquivocationProof {
            relay_pubkey: *relay_pubkey,
            first: first.clone(),
            second: second.clone(),
        })
    }

    pub fn is_valid(&self) -> bool {
        Self::detect(&self.relay_pubkey, &self.first, &self.second).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Scalar;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn key(v: u64) -> AuthKey {
        AuthKey::from_scalar(&Scalar::parse(&format!("{v:064x}")).unwrap())
    }

    pub(crate) fn body(owner: u64) -> ReceiptBody {
        let o = Scalar::parse(&format!("{owner:064x}")).unwrap();
        ReceiptBody {
            statechain_id: Id::parse("22222222-2222-4222-8222-222222222222").unwrap(),
            seq: 3,
            owner_user_pubkey: o.public(),
            owner_auth_pubkey: key(owner).public(),
            server_pubkey: o.public(),
            aggregated_pubkey: o.public(),
            amount: 1000,
            batch_id: None,
            status: CoinStatus::Owned,
            time: 1_700_000_000,
        }
    }

    #[test]
    fn receipt_verifies_and_detects_tampering() {
        let relay = key(77);
        let r = body(5).sign(&relay, [1; 32]);
        assert!(r.verify(&relay.public()));
        let mut t = r.clone();
        t.amount += 1;
        assert!(!t.verify(&relay.public()));
        assert!(!r.verify(&key(78).public()));
    }

    #[test]
    fn conflicting_receipts_are_an_equivocation_proof() {
        let relay = key(77);
        let a = body(5).sign(&relay, [1; 32]);
        let b = body(6).sign(&relay, [2; 32]);
        let proof = EquivocationProof::detect(&relay.public(), &a, &b).unwrap();
        assert!(proof.is_valid());
        let json = serde_json::to_string(&proof).unwrap();
        let back: EquivocationProof = serde_json::from_str(&json).unwrap();
        assert!(back.is_valid());
        // The same statement signed twice is not a conflict.
        let a2 = body(5).sign(&relay, [3; 32]);
        assert!(EquivocationProof::detect(&relay.public(), &a, &a2).is_none());
        // A forged second receipt proves nothing.
        let forged = body(6).sign(&key(1), [2; 32]);
        assert!(EquivocationProof::detect(&relay.public(), &a, &forged).is_none());
    }
}
