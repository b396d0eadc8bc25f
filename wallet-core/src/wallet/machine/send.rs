//! A plain (non-batched) outgoing transfer of one coin.
//!
//! `Registering → Uploading → Sent`, or `Failed` when the relay refuses
//! the transfer before the message is out (the coin then stays ours).

use super::{Action, Event, OwnedCoin, StepCtx};
use crate::address::Address;
use crate::error::ErrorCode;
use crate::types::Scalar;
use serde::{Deserialize, Serialize};

crate::tagged::stored_enum! {
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[serde(tag = "phase", rename_all = "snake_case")]
    pub enum SendPhase {
        Registering,
        Uploading {
            x1: Scalar,
        },
        /// The message is with the relay; the receiver completes when it likes.
        Sent,
        Failed {
            code: ErrorCode,
        },
    }
    twin SendPhaseTwin = "SendPhase", tag "phase"
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Send {
    pub coin: OwnedCoin,
    pub to: Address,
    pub phase: SendPhase,
    pub updated_at: u64,
}

impl Send {
    pub fn new(coin: OwnedCoin, to: Address, now: u64) -> Send {
        Send {
            coin,
            to,
            phase: SendPhase::Registering,
            updated_at: now,
        }
    }

    pub fn is_final(&self) -> bool {
        matches!(self.phase, SendPhase::Sent | SendPhase::Failed { .. })
    }

    pub fn outstanding(&self) -> Vec<Action> {
        match &self.phase {
            SendPhase::Registering => vec![Action::Register {
                coin: self.coin.clone(),
                to: self.to,
                batch: None,
                by_hash: false,
            }],
            SendPhase::Uploading { x1 } => {
                vec![Action::Upload {
                    coin: self.coin.clone(),
                    to: self.to,
                    batch_id: None,
                    x1: *x1,
                }]
            }
            SendPhase::Sent | SendPhase::Failed { .. } => vec![],
        }
    }
}

pub fn step(mut s: Send, event: Event, ctx: &mut StepCtx<'_>) -> (Send, Vec<Action>) {
    s.updated_at = ctx.now;
    let id = s.coin.statechain_id;
    match (&s.phase, event) {
        (_, Event::Resume) => {}
        (SendPhase::Registering, Event::Registered { coin, x1 }) if coin == id => {
            s.phase = SendPhase::Uploading { x1 }
        }
        (SendPhase::Uploading { .. }, Event::Uploaded { coin }) if coin == id => {
            s.phase = SendPhase::Sent
        }
        (SendPhase::Registering, Event::Refused { code, .. }) => {
            s.phase = SendPhase::Failed { code }
        }
        // Upload refused after registering: the coin is still ours; say so.
        (SendPhase::Uploading { .. }, Event::Refused { code, .. }) => {
            s.phase = SendPhase::Failed { code }
        }
        _ => return (s, vec![]),
    }
    let out = s.outstanding();
    (s, out)
}
