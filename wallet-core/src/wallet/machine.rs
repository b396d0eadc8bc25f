//! The transfer and swap state machines (DESIGN.md, "The state machines").
//!
//! Each record has an explicit phase and is advanced by a pure function
//! `(record, event, now) -> (record, actions)`. The host persists the new
//! record *before* performing the actions, so a crash between the two makes
//! it repeat an action, and every action is idempotent at the relay. On
//! start the host feeds [`Event::Resume`], which re-issues the actions the
//! current phase needs. Timeouts are events tagged with the phase that armed
//! them; a stale one does nothing.

pub mod receive;
pub mod send;
pub mod swap;
#[cfg(test)]
mod tests;

use crate::address::Address;
use crate::descriptor::Descriptor;
use crate::error::ErrorCode;
use crate::message::TransferMessage;
use crate::receipt::Receipt;
use crate::types::{Hash32, Id, Point, Scalar};
use crate::verify::Report;
use crate::wire::BatchStatus;
use serde::{Deserialize, Serialize};

/// A coin this wallet owns, and the address index whose keys own it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedCoin {
    pub statechain_id: Id,
    pub amount: u64,
    pub aggregated_pubkey: Point,
    /// The `seq` of this wallet's ownership (the next transfer signs `seq + 1`).
    pub seq: u64,
    pub index: u32,
}

/// An incoming line this wallet expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    pub statechain_id: Id,
    pub amount: u64,
}

/// Which armed timer fired: the phase that armed it and its due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimerTag {
    pub phase: swap::SwapPhase,
    pub at: u64,
}

/// What the host must do next. Actions carry everything needed to perform
/// them except secrets, which the host's executor derives from `index`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// `/transfer/sender` for `coin` to `to`, in `batch` if given. With
    /// `by_hash` the batch is known to exist: join naming it by its hash
    /// (a short join, §6.3), not with all its lines.
    Register {
        coin: OwnedCoin,
        to: Address,
        batch: Option<Descriptor>,
        #[serde(default)]
        by_hash: bool,
    },
    /// Build, encrypt and upload the transfer message (needs the `x1` the relay returned).
    Upload {
        coin: OwnedCoin,
        to: Address,
        batch_id: Option<Id>,
        x1: Scalar,
    },
    /// Fetch messages addressed to `index`, and verify those for `expect`.
    /// `batch` is the batch and descriptor hash the user agreed to.
    FetchIncoming {
        index: u32,
        expect: Vec<Expected>,
        batch: Option<(Id, Hash32)>,
    },
    /// `/transfer/unlock` signed by the receiving key `index`.
    Unlock { coin: Id, batch_id: Id, index: u32 },
    /// Watch the batch (long-poll from `since`).
    WatchBatch { batch_id: Id, since: u64 },
    /// `/transfer/receiver` with the verified message, signed by `index`.
    Receive {
        coin: Id,
        index: u32,
        msg: TransferMessage,
    },
    /// `/transfer/abort` signed by the owner key `index` of `coin`.
    Abort { coin: Id, batch_id: Id, index: u32 },
    /// Send `coin` back to this wallet's fresh address `to_index` and
    /// complete the receive (sender, upload, receiver), skipping steps the
    /// relay shows as done.
    Reclaim { coin: OwnedCoin, to_index: u32 },
    /// Deliver [`Event::Timer`] with `tag` at relay time `tag.at`.
    ArmTimer { tag: TimerTag },
}

impl Action {
    /// Whether the action only looks (messages, the batch): it may be
    /// long-polled, raced and dropped half-way; every other action changes
    /// something at the relay and is performed to its answer, in order.
    pub fn is_poll(&self) -> bool {
        matches!(
            self,
            Action::WatchBatch { .. } | Action::FetchIncoming { .. }
        )
    }
}

/// What happened: relay answers, user intents, timers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
// Events are short-lived values passed by move; boxing the report would
// only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Event {
    /// The host (re)started: re-issue what the current phase needs.
    Resume,
    Registered {
        coin: Id,
        x1: Scalar,
    },
    Uploaded {
        coin: Id,
    },
    /// A message for an expected coin arrived and was verified (§7).
    Checked {
        coin: Id,
        msg: Box<TransferMessage>,
        report: Report,
    },
    Unlocked {
        coin: Id,
        status: BatchStatus,
    },
    BatchSeen {
        status: BatchStatus,
    },
    Received {
        coin: Id,
        receipt: Receipt,
    },
    Reclaimed {
        coin: Id,
        new_coin: OwnedCoin,
        receipt: Receipt,
    },
    /// The relay refused an action with `code`.
    Refused {
        coin: Option<Id>,
        code: ErrorCode,
    },
    UserAbort,
    /// The user confirms unlocking after reading the checks (manual mode).
    UserConfirm,
    Timer {
        tag: TimerTag,
    },
}

/// Deterministic inputs a step may consume besides the event.
pub struct StepCtx<'a> {
    /// The relay's clock (device clock plus the measured offset).
    pub now: u64,
    /// The wallet's next unused address index; a step that needs a fresh
    /// address takes it from here.
    pub next_index: &'a mut u32,
}

impl StepCtx<'_> {
    pub fn fresh_index(&mut self) -> u32 {
        let i = *self.next_index;
        *self.next_index += 1;
        i
    }
}
