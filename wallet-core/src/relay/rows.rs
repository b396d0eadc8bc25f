//! The rows the relay stores, in the shape the rules read and write them:
//! the coin (with its pending transfer), the batch (counters and a stored
//! state, never a member list), a descriptor line's progress, and the
//! relay's limits. The storage backends serialise these; the rules in
//! [`super::rules`] decide over them.

use crate::receipt::{CoinStatus, Receipt};
use crate::types::{Hash32, Id, Point, Scalar, Sig, XOnly};
use crate::wire::{BatchState, BatchStatus};
use serde::{Deserialize, Serialize};

/// The relay's tunables that rules depend on (§9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub batch_timeout: u64,
    pub auth_window: u64,
    pub max_batch_size: usize,
    pub max_message_bytes: usize,
    pub max_demo_amount: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            batch_timeout: 120,
            auth_window: 300,
            max_batch_size: 1000,
            max_message_bytes: 65_536,
            max_demo_amount: 100_000_000,
        }
    }
}

/// A transfer registered by `/transfer/sender` and not yet completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub new_user_pubkey: Point,
    pub new_user_auth_key: XOnly,
    pub x1: Scalar,
    pub batch_id: Option<Id>,
    /// The uploaded transfer message: deleted with the pending transfer
    /// when it completes or is replaced (§8).
    pub enc_msg: Option<Vec<u8>>,
    /// The message's cursor for `get_msg_addr` paging, given at upload.
    #[serde(default)]
    pub msg_cursor: Option<u64>,
}

/// What an idempotent `/transfer/receiver` repeat answers with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastTransfer {
    pub previous_owner_auth: XOnly,
    pub transfer_sig: Sig,
    pub receipt: Receipt,
}

/// The coin row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coin {
    pub statechain_id: Id,
    pub amount: u64,
    pub aggregated_pubkey: Point,
    pub server_secret: Scalar,
    pub owner_user_pubkey: Point,
    pub owner_auth_pubkey: XOnly,
    pub seq: u64,
    pub status: CoinStatus,
    pub pending: Option<Pending>,
    pub last: Option<LastTransfer>,
}

/// What a batch row stores. An open batch past its deadline *reads* as
/// expired; it is *stored* as `Expired` by the first rule that allows
/// something because of that (§6.2 rev 2), and from then on no clock can
/// make it open again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredBatchState {
    Open,
    Committed,
    Aborted,
    Expired,
}

/// The batch row: counters, never a member list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    pub batch_id: Id,
    pub descriptor_hash: Hash32,
    pub size: u64,
    pub batch_time: u64,
    pub deadline: u64,
    pub joined: u64,
    pub locked: u64,
    pub state: StoredBatchState,
    pub version: u64,
}

/// One descriptor line's progress (the member row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Member {
    pub joined: bool,
    pub locked: bool,
}

impl Batch {
    /// §6.2: "before the deadline" is `now <= deadline`.
    pub fn state_at(&self, now: u64) -> BatchState {
        match self.state {
            StoredBatchState::Committed => BatchState::Committed,
            StoredBatchState::Aborted => BatchState::Aborted,
            StoredBatchState::Expired => BatchState::Expired,
            StoredBatchState::Open if now > self.deadline => BatchState::Expired,
            StoredBatchState::Open => BatchState::Open,
        }
    }

    /// Records that this open batch is past its deadline (§6.2 rev 2):
    /// called by a rule that allows something *because* of the expiry, so
    /// that the batch row written in the same transaction makes the expiry
    /// final. A later request, whatever its clock says, then finds the
    /// batch `expired` and cannot commit it. Does nothing to a batch that
    /// is not open-and-past-its-deadline.
    pub fn record_expiry(&mut self, now: u64) {
        if self.state == StoredBatchState::Open && now > self.deadline {
            self.state = StoredBatchState::Expired;
            self.version += 1;
        }
    }

    pub fn status(&self, now: u64) -> BatchStatus {
        BatchStatus {
            batch_id: self.batch_id,
            state: self.state_at(now),
            joined: self.joined,
            locked: self.locked,
            batch_time: self.batch_time,
            deadline: self.deadline,
            server_time: now,
            version: self.version,
        }
    }
}
