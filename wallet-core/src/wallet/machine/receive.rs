//! A plain incoming transfer: checked (§7), then completed with
//! `/transfer/receiver`. `Checking → Receiving → Received`, or `Rejected`.

use super::{Action, Event, OwnedCoin, StepCtx};
use crate::error::ErrorCode;
use crate::message::TransferMessage;
use crate::receipt::Receipt;
use crate::types::Id;
use crate::verify::Report;
use serde::{Deserialize, Serialize};

crate::tagged::stored_enum! {
    #[derive(Debug, Clone, PartialEq, Serialize)]
    #[serde(tag = "phase", rename_all = "snake_case")]
    pub enum ReceivePhase {
        Receiving {
            msg: Box<TransferMessage>,
            report: Report,
        },
        Received {
            coin: OwnedCoin,
            receipt: Receipt,
        },
        Rejected {
            report: Report,
        },
        Failed {
            code: ErrorCode,
            report: Report,
        },
    }
    twin ReceivePhaseTwin = "ReceivePhase", tag "phase"
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receive {
    pub statechain_id: Id,
    pub index: u32,
    pub phase: ReceivePhase,
    pub updated_at: u64,
}

impl ReceivePhase {
    /// The §7 report the receive was decided on (none once received: the
    /// coin is the wallet's, and the record no longer carries it).
    pub fn report(&self) -> Option<&Report> {
        match self {
            ReceivePhase::Receiving { report, .. }
            | ReceivePhase::Rejected { report }
            | ReceivePhase::Failed { report, .. } => Some(report),
            ReceivePhase::Received { .. } => None,
        }
    }
}

impl Receive {
    /// A record for a message found at address `index`, already checked.
    pub fn new(msg: TransferMessage, report: Report, index: u32, now: u64) -> Receive {
        let statechain_id = msg.statechain_id;
        let phase = if report.all_passed() {
            ReceivePhase::Receiving {
                msg: Box::new(msg),
                report,
            }
        } else {
            ReceivePhase::Rejected { report }
        };
        Receive {
            statechain_id,
            index,
            phase,
            updated_at: now,
        }
    }

    pub fn is_final(&self) -> bool {
        !matches!(self.phase, ReceivePhase::Receiving { .. })
    }

    pub fn outstanding(&self) -> Vec<Action> {
        match &self.phase {
            ReceivePhase::Receiving { msg, .. } => {
                vec![Action::Receive {
                    coin: self.statechain_id,
                    index: self.index,
                    msg: (**msg).clone(),
                }]
            }
            _ => vec![],
        }
    }
}

pub fn step(mut r: Receive, event: Event, ctx: &mut StepCtx<'_>) -> (Receive, Vec<Action>) {
    r.updated_at = ctx.now;
    let ReceivePhase::Receiving { msg, report } = &r.phase else {
        return (r, vec![]);
    };
    match event {
        Event::Resume => {}
        Event::Received { coin, receipt } if coin == r.statechain_id => {
            r.phase = ReceivePhase::Received {
                coin: OwnedCoin {
                    statechain_id: coin,
                    amount: msg.amount,
                    aggregated_pubkey: msg.aggregated_pubkey,
                    seq: receipt.seq,
                    index: r.index,
                },
                receipt,
            };
        }
        // A refusal that can never succeed later ends the record.
        Event::Refused { code, .. }
            if matches!(
                code,
                ErrorCode::KeyUpdateInvalid
                    | ErrorCode::Withdrawn
                    | ErrorCode::BadSignature
                    | ErrorCode::BatchAborted
            ) =>
        {
            r.phase = ReceivePhase::Failed {
                code,
                report: report.clone(),
            };
        }
        _ => return (r, vec![]),
    }
    let out = r.outstanding();
    (r, out)
}
