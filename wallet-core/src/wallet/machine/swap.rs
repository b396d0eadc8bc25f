//! The swap (atomic batch) record: this wallet's side of one batch.
//!
//! Phases, forward only:
//! `Joining → Verifying → Unlocking → AwaitingCommit` then either
//! `Committed → Completed` (the commit is the point of no return) or
//! `BackingOut → BackedOut` (from any phase before commit). Both branches are
//! entered only on the relay's word: a commit, an abort or an expiry it
//! reported. Before commit, every phase has the backout path; after it, the
//! wallet completes every receive it is owed, whenever it next runs.
//!
//! One crossing is allowed: `BackingOut → Committed`. An "expired" the
//! relay *reported* (computed from its clock) is not a recorded expiry
//! (PROTOCOL §6.2 rev 2): until one of this wallet's take-backs succeeds,
//! and records it, the batch can still commit. A wallet that started
//! backing out and then hears of a commit (from the batch, or as a
//! take-back refused with `batch_completed`) follows the commit and
//! receives what it is owed; no coin is left behind.

use super::{Action, Event, Expected, OwnedCoin, StepCtx, TimerTag};
use crate::address::Address;
use crate::descriptor::Descriptor;
use crate::error::ErrorCode;
use crate::message::TransferMessage;
use crate::receipt::Receipt;
use crate::types::{Id, Scalar};
use crate::verify::Report;
use crate::wire::{BatchState, BatchStatus};
use serde::{Deserialize, Serialize};

/// Seconds before a take-back the relay refused is tried again.
pub const BACKOUT_RETRY_SECS: u64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SwapPhase {
    /// Sending this wallet's coins into the batch and uploading their messages.
    Joining,
    /// Waiting for the incoming coins' messages and checking them (§7).
    Verifying,
    /// Every check passed: unlocking the incoming coins.
    Unlocking,
    /// Unlocked; waiting for the others until the batch commits.
    AwaitingCommit,
    /// The batch committed (point of no return): completing receives.
    Committed,
    /// Every incoming coin received.
    Completed,
    /// The batch was aborted or expired: taking this wallet's coins back.
    BackingOut,
    /// Every coin this wallet gave is back under a fresh key.
    BackedOut,
}

impl SwapPhase {
    pub fn before_commit(self) -> bool {
        matches!(
            self,
            SwapPhase::Joining
                | SwapPhase::Verifying
                | SwapPhase::Unlocking
                | SwapPhase::AwaitingCommit
        )
    }

    pub fn is_final(self) -> bool {
        matches!(self, SwapPhase::Completed | SwapPhase::BackedOut)
    }

    fn rank(self) -> u8 {
        match self {
            SwapPhase::Joining => 0,
            SwapPhase::Verifying => 1,
            SwapPhase::Unlocking => 2,
            SwapPhase::AwaitingCommit => 3,
            SwapPhase::Committed | SwapPhase::BackingOut => 4,
            SwapPhase::Completed | SwapPhase::BackedOut => 5,
        }
    }

    /// Forward-only: later phases on the same branch, and from any phase
    /// before commit into either branch.
    pub fn can_move_to(self, to: SwapPhase) -> bool {
        use SwapPhase::*;
        match (self, to) {
            (a, b) if a.before_commit() && b.before_commit() => b.rank() > a.rank(),
            (a, Committed | BackingOut) if a.before_commit() => true,
            // A reported expiry is not final until a take-back records it.
            (BackingOut, Committed) => true,
            (Committed, Completed) | (BackingOut, BackedOut) => true,
            _ => false,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SwapPhase::Joining => "sending your coins into the swap",
            SwapPhase::Verifying => "waiting for and checking the other side's coins",
            SwapPhase::Unlocking => "unlocking",
            SwapPhase::AwaitingCommit => "waiting for the other side to unlock",
            SwapPhase::Committed => "committed: receiving your coins",
            SwapPhase::Completed => "completed",
            SwapPhase::BackingOut => "recovering your coins",
            SwapPhase::BackedOut => "backed out: your coins are back",
        }
    }
}

/// One coin this wallet gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Give {
    pub coin: OwnedCoin,
    pub to: Address,
    pub state: GiveState,
}

crate::tagged::stored_enum! {
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[serde(tag = "state", rename_all = "snake_case")]
    pub enum GiveState {
        /// Not yet accepted into the batch by the relay.
        Pending,
        Registered {
            x1: Scalar,
        },
        Uploaded,
        /// The batch committed: the coin belongs to its recipient now.
        Transferred,
        /// Backing out: being sent back to this wallet's address `to_index`.
        Reclaiming {
            to_index: u32,
        },
        /// Back in this wallet as `coin` (the same coin, under a fresh key).
        Reclaimed {
            coin: OwnedCoin,
        },
    }
    twin GiveStateTwin = "GiveState", tag "state"
}

/// One coin this wallet receives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Get {
    pub statechain_id: Id,
    pub amount: u64,
    pub state: GetState,
}

crate::tagged::stored_enum! {
    #[derive(Debug, Clone, PartialEq, Serialize)]
    #[serde(tag = "state", rename_all = "snake_case")]
    pub enum GetState {
        Awaiting,
        /// Every check passed.
        Checked {
            msg: Box<TransferMessage>,
            report: Report,
        },
        /// A check failed: unlock is blocked and the swap is aborted.
        Rejected {
            report: Report,
        },
        Unlocked {
            msg: Box<TransferMessage>,
            report: Report,
        },
        Received {
            coin: OwnedCoin,
            receipt: Receipt,
        },
        /// The batch did not commit: this coin stays with its sender.
        Forgone,
    }
    twin GetStateTwin = "GetState", tag "state"
}

impl GetState {
    fn msg(&self) -> Option<&TransferMessage> {
        match self {
            GetState::Checked { msg, .. } | GetState::Unlocked { msg, .. } => Some(msg),
            _ => None,
        }
    }

    /// The §7 report of this incoming coin, once it was checked.
    pub fn report(&self) -> Option<&Report> {
        match self {
            GetState::Checked { report, .. }
            | GetState::Unlocked { report, .. }
            | GetState::Rejected { report } => Some(report),
            _ => None,
        }
    }

    /// This incoming coin's state, in words a user reads.
    pub fn label(&self) -> &'static str {
        match self {
            GetState::Awaiting => "waiting for the other side to send it",
            GetState::Checked { .. } => "checked: every check passed",
            GetState::Rejected { .. } => "rejected: a check failed",
            GetState::Unlocked { .. } => "unlocked: waiting for the swap to commit",
            GetState::Received { .. } => "received",
            GetState::Forgone => "not received: the swap did not complete",
        }
    }
}

impl GiveState {
    /// This given coin's state, in words a user reads.
    pub fn label(&self) -> &'static str {
        match self {
            GiveState::Pending => "not yet in the swap",
            GiveState::Registered { .. } => "registered with the relay",
            GiveState::Uploaded => "sent into the swap",
            GiveState::Transferred => "transferred",
            GiveState::Reclaiming { .. } => "coming back to you",
            GiveState::Reclaimed { .. } => "back in your wallet",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Swap {
    pub batch_id: Id,
    pub descriptor: Descriptor,
    /// The address index this wallet receives its incoming coins at.
    pub receive_index: u32,
    pub gives: Vec<Give>,
    pub gets: Vec<Get>,
    pub phase: SwapPhase,
    /// The relay's `batch_time` and `deadline`, once the batch exists.
    pub batch_time: Option<u64>,
    pub deadline: Option<u64>,
    /// The last batch `version` seen (for long-polling with `since`).
    pub version: u64,
    /// Unlock only after [`Event::UserConfirm`].
    pub manual_confirm: bool,
    pub confirmed: bool,
    pub abort_requested: bool,
    /// A sentence about the last notable thing (a refusal, a failed check).
    pub note: Option<String>,
    pub updated_at: u64,
    /// The joiner's answer code (`lsj1…`), kept so that the swap page can
    /// show it again (after a reload too) until the swap commits or backs
    /// out: a lost answer would leave the coins locked until the deadline.
    /// `None` on the creator's side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

impl Swap {
    /// A new swap from the agreed descriptor: `gives` are this wallet's coins
    /// with their recipients; incoming lines are the descriptor lines whose
    /// new owner is `receive_auth` (this wallet's key at `receive_index`).
    pub fn new(
        descriptor: Descriptor,
        gives: Vec<(OwnedCoin, Address)>,
        receive_index: u32,
        receive_auth: &crate::types::XOnly,
        manual_confirm: bool,
        now: u64,
    ) -> Swap {
        let gets = descriptor
            .transfers()
            .iter()
            .filter(|t| t.new_user_auth_key == *receive_auth)
            .map(|t| Get {
                statechain_id: t.statechain_id,
                amount: t.amount,
                state: GetState::Awaiting,
            })
            .collect();
        Swap {
            batch_id: descriptor.batch_id(),
            descriptor,
            receive_index,
            gives: gives
                .into_iter()
                .map(|(coin, to)| Give {
                    coin,
                    to,
                    state: GiveState::Pending,
                })
                .collect(),
            gets,
            phase: SwapPhase::Joining,
            batch_time: None,
            deadline: None,
            version: 0,
            manual_confirm,
            confirmed: false,
            abort_requested: false,
            note: None,
            updated_at: now,
            answer: None,
        }
    }

    fn give_mut(&mut self, coin: &Id) -> Option<&mut Give> {
        self.gives
            .iter_mut()
            .find(|g| g.coin.statechain_id == *coin)
    }

    fn get_mut(&mut self, coin: &Id) -> Option<&mut Get> {
        self.gets.iter_mut().find(|g| g.statechain_id == *coin)
    }

    /// Whether the user may give the go-ahead to unlock now or ahead of the
    /// checks: manual confirmation, not given yet, not aborting, and the
    /// batch not decided.
    pub fn may_confirm(&self) -> bool {
        self.manual_confirm
            && !self.confirmed
            && !self.abort_requested
            && self.phase.before_commit()
    }

    /// Whether the swap waits for the user: every incoming coin passed its
    /// checks and only the go-ahead ([`Event::UserConfirm`]) is missing.
    pub fn awaits_confirmation(&self) -> bool {
        self.may_confirm()
            && !self.gets.is_empty()
            && self
                .gets
                .iter()
                .all(|g| matches!(g.state, GetState::Checked { .. }))
    }

    /// Whether the swap waits on this wallet's user: for the go-ahead
    /// ([`Swap::awaits_confirmation`]), or, on the joiner's side, for the
    /// answer to reach the creator (nothing has arrived from the other side
    /// yet, so they may not have it).
    pub fn waits_on_user(&self) -> bool {
        self.awaits_confirmation()
            || (self.answer.is_some()
                && !self.abort_requested
                && self.phase.before_commit()
                && self
                    .gets
                    .iter()
                    .all(|g| matches!(g.state, GetState::Awaiting)))
    }

    /// The answer to show on the swap page: only while it can still matter
    /// (before the swap commits or backs out).
    pub fn answer_to_share(&self) -> Option<&str> {
        self.answer
            .as_deref()
            .filter(|_| self.phase.before_commit() && !self.abort_requested)
    }

    /// Whether an abort can still change anything.
    pub fn can_abort(&self) -> bool {
        self.phase.before_commit() && !self.abort_requested
    }

    /// Seconds left before the relay's deadline, by the relay's clock.
    pub fn seconds_left(&self, relay_now: u64) -> Option<u64> {
        self.deadline.map(|d| d.saturating_sub(relay_now))
    }

    /// The coins this wallet still has at stake (for the UI's "locked").
    pub fn locked_coins(&self) -> impl Iterator<Item = &OwnedCoin> {
        self.gives
            .iter()
            .filter(|g| {
                !matches!(
                    g.state,
                    GiveState::Transferred | GiveState::Reclaimed { .. }
                )
            })
            .map(|g| &g.coin)
    }

    fn move_to(&mut self, to: SwapPhase, out: &mut Vec<Action>, ctx: &mut StepCtx<'_>) {
        if !self.phase.can_move_to(to) {
            return;
        }
        let from = self.phase;
        self.phase = to;
        match to {
            SwapPhase::Committed => {
                for g in &mut self.gives {
                    match g.state {
                        // The relay committed, so no take-back of ours
                        // succeeded; a coin already back contradicts it.
                        GiveState::Reclaimed { .. } => {
                            self.note = Some(
                                "The relay reported a commit after returning one of your coins: \
                                 this contradicts the protocol; keep this swap's receipts."
                                    .into(),
                            );
                        }
                        _ => g.state = GiveState::Transferred,
                    }
                }
                if from == SwapPhase::BackingOut {
                    // Owed after all: fetch their messages again.
                    for g in &mut self.gets {
                        if g.state == GetState::Forgone {
                            g.state = GetState::Awaiting;
                        }
                    }
                }
            }
            SwapPhase::BackingOut => {
                for g in &mut self.gives {
                    g.state = GiveState::Reclaiming {
                        to_index: ctx.fresh_index(),
                    };
                }
                for g in &mut self.gets {
                    if !matches!(g.state, GetState::Received { .. }) {
                        g.state = GetState::Forgone;
                    }
                }
            }
            _ => {}
        }
        out.extend(self.outstanding());
        self.settle(out, ctx);
    }

    /// Moves on when every line of the current phase is done.
    fn settle(&mut self, out: &mut Vec<Action>, ctx: &mut StepCtx<'_>) {
        let all_uploaded = self.gives.iter().all(|g| g.state == GiveState::Uploaded);
        let all_checked = self.gets.iter().all(|g| {
            matches!(
                g.state,
                GetState::Checked { .. } | GetState::Unlocked { .. }
            )
        });
        let all_unlocked = self
            .gets
            .iter()
            .all(|g| matches!(g.state, GetState::Unlocked { .. }));
        let may_unlock = !self.manual_confirm || self.confirmed;
        let next = match self.phase {
            SwapPhase::Joining if all_uploaded => Some(SwapPhase::Verifying),
            SwapPhase::Verifying if all_checked && may_unlock && !self.abort_requested => {
                Some(SwapPhase::Unlocking)
            }
            SwapPhase::Unlocking if all_unlocked => Some(SwapPhase::AwaitingCommit),
            SwapPhase::Committed
                if self
                    .gets
                    .iter()
                    .all(|g| matches!(g.state, GetState::Received { .. })) =>
            {
                Some(SwapPhase::Completed)
            }
            SwapPhase::BackingOut
                if self
                    .gives
                    .iter()
                    .all(|g| matches!(g.state, GiveState::Reclaimed { .. })) =>
            {
                Some(SwapPhase::BackedOut)
            }
            _ => None,
        };
        if let Some(p) = next {
            self.move_to(p, out, ctx);
        }
    }

    /// Everything the current phase still needs; what [`Event::Resume`] emits.
    pub fn outstanding(&self) -> Vec<Action> {
        let mut out = Vec::new();
        let watch = Action::WatchBatch {
            batch_id: self.batch_id,
            since: self.version,
        };
        match self.phase {
            SwapPhase::Joining => {
                for g in &self.gives {
                    match &g.state {
                        GiveState::Pending => out.push(Action::Register {
                            coin: g.coin.clone(),
                            to: g.to,
                            batch: Some(self.descriptor.clone()),
                            // Seen the batch: it exists, join by hash.
                            by_hash: self.batch_time.is_some(),
                        }),
                        GiveState::Registered { x1 } => out.push(Action::Upload {
                            coin: g.coin.clone(),
                            to: g.to,
                            batch_id: Some(self.batch_id),
                            x1: *x1,
                        }),
                        _ => {}
                    }
                }
                out.push(watch);
            }
            SwapPhase::Verifying => {
                let expect: Vec<Expected> = self
                    .gets
                    .iter()
                    .filter(|g| g.state == GetState::Awaiting)
                    .map(|g| Expected {
                        statechain_id: g.statechain_id,
                        amount: g.amount,
                    })
                    .collect();
                if !expect.is_empty() {
                    out.push(Action::FetchIncoming {
                        index: self.receive_index,
                        expect,
                        batch: Some((self.batch_id, self.descriptor.hash())),
                    });
                }
                out.push(watch);
            }
            SwapPhase::Unlocking => {
                for g in &self.gets {
                    if matches!(g.state, GetState::Checked { .. }) {
                        out.push(Action::Unlock {
                            coin: g.statechain_id,
                            batch_id: self.batch_id,
                            index: self.receive_index,
                        });
                    }
                }
                out.push(watch);
            }
            SwapPhase::AwaitingCommit => out.push(watch),
            SwapPhase::Committed => {
                let mut refetch = Vec::new();
                for g in &self.gets {
                    match g.state.msg() {
                        Some(msg) => out.push(Action::Receive {
                            coin: g.statechain_id,
                            index: self.receive_index,
                            msg: msg.clone(),
                        }),
                        None if !matches!(g.state, GetState::Received { .. }) => {
                            refetch.push(Expected {
                                statechain_id: g.statechain_id,
                                amount: g.amount,
                            })
                        }
                        None => {}
                    }
                }
                if !refetch.is_empty() {
                    out.push(Action::FetchIncoming {
                        index: self.receive_index,
                        expect: refetch,
                        batch: None,
                    });
                }
            }
            SwapPhase::BackingOut => {
                for g in &self.gives {
                    if let GiveState::Reclaiming { to_index } = g.state {
                        out.push(Action::Reclaim {
                            coin: g.coin.clone(),
                            to_index,
                        });
                    }
                }
            }
            SwapPhase::Completed | SwapPhase::BackedOut => {}
        }
        if self.phase.before_commit() {
            if self.abort_requested {
                out.extend(self.abort_action());
            }
            if let Some(d) = self.deadline {
                out.push(Action::ArmTimer {
                    tag: TimerTag {
                        phase: self.phase,
                        at: d + 1,
                    },
                });
            }
        }
        out
    }

    fn abort_action(&self) -> Option<Action> {
        self.gives.first().map(|g| Action::Abort {
            coin: g.coin.statechain_id,
            batch_id: self.batch_id,
            index: g.coin.index,
        })
    }

    fn observe(&mut self, status: &BatchStatus, out: &mut Vec<Action>, ctx: &mut StepCtx<'_>) {
        if status.batch_id != self.batch_id {
            return;
        }
        let new_deadline = self.deadline != Some(status.deadline);
        self.batch_time = Some(status.batch_time);
        self.deadline = Some(status.deadline);
        self.version = self.version.max(status.version);
        match status.state {
            BatchState::Committed => self.move_to(SwapPhase::Committed, out, ctx),
            BatchState::Aborted | BatchState::Expired => {
                self.move_to(SwapPhase::BackingOut, out, ctx)
            }
            BatchState::Open => {
                if new_deadline && self.phase.before_commit() {
                    out.push(Action::ArmTimer {
                        tag: TimerTag {
                            phase: self.phase,
                            at: status.deadline + 1,
                        },
                    });
                }
            }
        }
    }

    fn refused(
        &mut self,
        coin: Option<Id>,
        code: ErrorCode,
        out: &mut Vec<Action>,
        ctx: &mut StepCtx<'_>,
    ) {
        self.note = Some(code.user_message().to_string());
        match code {
            ErrorCode::BatchAborted | ErrorCode::BatchExpired => {
                self.move_to(SwapPhase::BackingOut, out, ctx)
            }
            // Also while backing out: a take-back refused because the batch
            // committed means the commit is ours to follow.
            ErrorCode::BatchCompleted
                if self.phase.before_commit() || self.phase == SwapPhase::BackingOut =>
            {
                self.move_to(SwapPhase::Committed, out, ctx)
            }
            // Our coin cannot enter this batch: nothing can commit, abort it.
            ErrorCode::DescriptorMismatch
            | ErrorCode::NotInDescriptor
            | ErrorCode::AmountMismatch
            | ErrorCode::BatchLocked
            | ErrorCode::Withdrawn
                if self.phase.before_commit() =>
            {
                self.abort_requested = true;
                out.extend(self.abort_action());
            }
            // An abort of a batch that was never created: nothing of ours is
            // in it, so backing out (which finds the coins untouched) is safe.
            ErrorCode::NotFound if self.phase.before_commit() && coin.is_none() => {
                self.move_to(SwapPhase::BackingOut, out, ctx)
            }
            // Anything else: learn the batch's state and decide from it.
            _ => {
                out.push(Action::WatchBatch {
                    batch_id: self.batch_id,
                    since: 0,
                });
                if self.phase == SwapPhase::BackingOut {
                    // The relay did not let a coin of ours out (for its
                    // clock the batch may still be open): try again after
                    // the deadline, and not in a tight loop.
                    let at = self
                        .deadline
                        .map_or(0, |d| d + 1)
                        .max(ctx.now + BACKOUT_RETRY_SECS);
                    out.push(Action::ArmTimer {
                        tag: TimerTag {
                            phase: self.phase,
                            at,
                        },
                    });
                }
            }
        }
    }
}

/// The pure step: `(record, event, now) -> (record, actions)`.
pub fn step(mut s: Swap, event: Event, ctx: &mut StepCtx<'_>) -> (Swap, Vec<Action>) {
    let mut out = Vec::new();
    s.updated_at = ctx.now;
    match event {
        Event::Resume => out = s.outstanding(),
        Event::Registered { coin, x1 } => {
            let (batch_id, joining) = (s.batch_id, s.phase == SwapPhase::Joining);
            if let Some(g) = s
                .give_mut(&coin)
                .filter(|g| g.state == GiveState::Pending && joining)
            {
                g.state = GiveState::Registered { x1 };
                out.push(Action::Upload {
                    coin: g.coin.clone(),
                    to: g.to,
                    batch_id: Some(batch_id),
                    x1,
                });
            }
        }
        Event::Uploaded { coin } => {
            if let Some(g) = s
                .give_mut(&coin)
                .filter(|g| matches!(g.state, GiveState::Registered { .. }))
            {
                g.state = GiveState::Uploaded;
            }
        }
        Event::Checked { coin, msg, report } => {
            let (phase, receive_index) = (s.phase, s.receive_index);
            let mut rejected = false;
            if let Some(g) = s.get_mut(&coin).filter(|g| g.state == GetState::Awaiting) {
                if phase == SwapPhase::Committed {
                    // After commit the coin is owed to us whatever a late check says.
                    out.push(Action::Receive {
                        coin,
                        index: receive_index,
                        msg: (*msg).clone(),
                    });
                    g.state = GetState::Unlocked { msg, report };
                } else if phase.before_commit() && report.all_passed() {
                    g.state = GetState::Checked { msg, report };
                } else if phase.before_commit() {
                    g.state = GetState::Rejected { report };
                    rejected = true;
                }
            }
            if rejected {
                s.note =
                    Some("A check on an incoming coin failed: the swap is being aborted.".into());
                if !s.abort_requested {
                    s.abort_requested = true;
                    out.extend(s.abort_action());
                }
            }
        }
        Event::UserConfirm => s.confirmed = true,
        Event::Unlocked { coin, status } => {
            if let Some(g) = s.get_mut(&coin)
                && let GetState::Checked { msg, report } = g.state.clone()
            {
                g.state = GetState::Unlocked { msg, report };
            }
            s.observe(&status, &mut out, ctx);
        }
        Event::BatchSeen { status } => s.observe(&status, &mut out, ctx),
        // Receives happen only after commit; the relay refuses them before.
        Event::Received { coin, receipt } if s.phase == SwapPhase::Committed => {
            let index = s.receive_index;
            if let Some(g) = s
                .get_mut(&coin)
                .filter(|g| !matches!(g.state, GetState::Received { .. } | GetState::Forgone))
            {
                g.state = GetState::Received {
                    coin: OwnedCoin {
                        statechain_id: coin,
                        amount: receipt.amount,
                        aggregated_pubkey: receipt.aggregated_pubkey,
                        seq: receipt.seq,
                        index,
                    },
                    receipt,
                };
            }
        }
        Event::Received { .. } => {}
        Event::Reclaimed { coin, new_coin, .. } => {
            if let Some(g) = s
                .give_mut(&coin)
                .filter(|g| matches!(g.state, GiveState::Reclaiming { .. }))
            {
                g.state = GiveState::Reclaimed { coin: new_coin };
            }
        }
        Event::Refused { coin, code } => s.refused(coin, code, &mut out, ctx),
        Event::UserAbort => {
            if s.phase.before_commit() && !s.abort_requested {
                s.abort_requested = true;
                out.extend(s.abort_action());
            }
        }
        Event::Timer { tag } => {
            if tag.phase == s.phase && s.phase.before_commit() {
                out.push(Action::WatchBatch {
                    batch_id: s.batch_id,
                    since: 0,
                });
            } else if tag.phase == s.phase && s.phase == SwapPhase::BackingOut {
                // Try the take-backs again, and look at the batch: it may
                // have committed meanwhile.
                out = s.outstanding();
                out.push(Action::WatchBatch {
                    batch_id: s.batch_id,
                    since: 0,
                });
            }
        }
    }
    s.settle(&mut out, ctx);
    // Phase moves can re-emit an action another path emitted already.
    let mut unique: Vec<Action> = Vec::with_capacity(out.len());
    for a in out {
        if !unique.contains(&a) {
            unique.push(a);
        }
    }
    (s, unique)
}
