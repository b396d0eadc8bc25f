//! The relay's rules (§4–§6) as pure functions over the rows one request
//! touches: the coin, its batch, and the coin's line in that batch.
//!
//! The relay loads these rows inside one transaction that serialises on the
//! batch, calls a rule, and writes the rows back only on `Ok`. No rule ever
//! sees, let alone scans, the other members of a batch: commit is decided
//! from the counters in the batch row. The same functions run the in-memory
//! relay used by wallet-core's state-machine tests.

use super::rows::{Batch, Coin, LastTransfer, Limits, Member, Pending, StoredBatchState};
use crate::descriptor::{BatchJoin, BatchTransfer};
use crate::error::ErrorCode;
use crate::keys::AuthKey;
use crate::keyshare;
use crate::receipt::{CoinStatus, Receipt, ReceiptBody};
use crate::signing::{self, Verified};
use crate::types::{Id, Point, Scalar, Sig, XOnly};
use crate::wire::{
    BatchCoinRequest, BatchState, BatchStatus, ChainEntry, DepositRequest, PendingInfo,
    ReceiverRequest, SenderRequest, SignedRequest, WithdrawRequest,
};

/// A rule's refusal: the wire code and a sentence for the `message` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
}

impl Refusal {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
        }
    }
}

pub type RuleResult<T> = Result<T, Refusal>;

fn refuse<T>(code: ErrorCode, message: &str) -> RuleResult<T> {
    Err(Refusal::new(code, message))
}

/// Freshness and signature (§4), in that order: 401s. `sigs` holds the
/// signatures this request already had verified (and learns this one).
pub fn authenticate(
    signing_string: &str,
    ts: u64,
    sig: &Sig,
    keys: &[XOnly],
    now: u64,
    limits: &Limits,
    sigs: &mut Verified,
) -> RuleResult<()> {
    if ts.abs_diff(now) > limits.auth_window {
        return refuse(
            ErrorCode::StaleRequest,
            "the request time is outside the relay's window; sign again with the current time",
        );
    }
    if keys.iter().any(|k| sigs.verify(k, signing_string, sig)) {
        Ok(())
    } else {
        refuse(
            ErrorCode::BadSignature,
            "the signature does not verify under the key this request needs",
        )
    }
}

/// Authenticates a request that implements [`SignedRequest`].
pub fn authenticate_request(
    req: &impl SignedRequest,
    keys: &[XOnly],
    now: u64,
    limits: &Limits,
    sigs: &mut Verified,
) -> RuleResult<()> {
    authenticate(
        &req.signing_string(),
        req.ts(),
        req.auth_sig(),
        keys,
        now,
        limits,
        sigs,
    )
}

// ----- deposit -----

/// Validates a deposit (amount, signature); the caller checks replay, then
/// calls [`deposit_create`].
pub fn deposit_check(
    req: &DepositRequest,
    now: u64,
    limits: &Limits,
    sigs: &mut Verified,
) -> RuleResult<()> {
    if req.amount == 0 || req.amount > limits.max_demo_amount {
        return refuse(
            ErrorCode::BadRequest,
            "amount must be between 1 and max_demo_amount",
        );
    }
    authenticate_request(req, &[req.auth_pubkey], now, limits, sigs)
}

/// Creates the coin with a fresh server share and its `seq` 0 receipt.
/// `None` only if `O + S` is the identity; the caller draws another share.
pub fn deposit_create(
    req: &DepositRequest,
    statechain_id: Id,
    server_secret: Scalar,
    relay_key: &AuthKey,
    aux: [u8; 32],
    now: u64,
) -> Option<(Coin, ChainEntry)> {
    let server_pubkey = server_secret.public();
    let aggregated_pubkey = keyshare::aggregate(&req.user_pubkey, &server_pubkey)?;
    let receipt = ReceiptBody {
        statechain_id,
        seq: 0,
        owner_user_pubkey: req.user_pubkey,
        owner_auth_pubkey: req.auth_pubkey,
        server_pubkey,
        aggregated_pubkey,
        amount: req.amount,
        batch_id: None,
        status: CoinStatus::Owned,
        time: now,
    }
    .sign(relay_key, aux);
    let coin = Coin {
        statechain_id,
        amount: req.amount,
        aggregated_pubkey,
        server_secret,
        owner_user_pubkey: req.user_pubkey,
        owner_auth_pubkey: req.auth_pubkey,
        seq: 0,
        status: CoinStatus::Owned,
        pending: None,
        last: None,
    };
    let entry = ChainEntry {
        seq: 0,
        owner_user_pubkey: req.user_pubkey,
        owner_auth_pubkey: req.auth_pubkey,
        batch_id: None,
        transfer_sig: None,
        receipt,
    };
    Some((coin, entry))
}

// ----- sender (join) -----

/// The rows `/transfer/sender` touches.
pub struct SenderRows<'a> {
    pub coin: &'a mut Coin,
    /// The batch of the coin's current pending transfer, if any. A
    /// take-back that is allowed because it expired records the expiry here.
    pub current_batch: Option<&'a mut Batch>,
    /// The batch the request joins, if it names one and it exists.
    pub target_batch: Option<&'a mut Batch>,
    /// The coin's descriptor line in the target batch, as stored when the
    /// batch was created (`None`: not a line, or no such batch).
    pub target_line: Option<BatchTransfer>,
    /// The coin's member row in the target batch (default when absent).
    pub target_member: &'a mut Member,
}

/// What the caller must write besides the mutated rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SenderOutcome {
    /// Same new owner and batch as the pending transfer: same `x1`, no writes.
    Repeat { x1: Scalar },
    /// A new pending transfer; `create_batch` when this call creates the batch.
    Registered {
        x1: Scalar,
        create_batch: Option<Batch>,
    },
}

impl SenderOutcome {
    pub fn x1(&self) -> Scalar {
        match self {
            SenderOutcome::Repeat { x1 } | SenderOutcome::Registered { x1, .. } => *x1,
        }
    }
}

/// Validates the request body (400s) before any row is read.
pub fn sender_join(req: &SenderRequest, limits: &Limits) -> RuleResult<Option<BatchJoin>> {
    req.join(limits.max_batch_size)
        .map_err(|e| Refusal::new(ErrorCode::BadRequest, e.to_string()))
}

/// Signature by the coin's current owner (401).
pub fn sender_authenticate(
    req: &SenderRequest,
    join: Option<&BatchJoin>,
    coin: &Coin,
    now: u64,
    limits: &Limits,
    sigs: &mut Verified,
) -> RuleResult<()> {
    authenticate(
        &req.signing_string_with(join),
        req.ts,
        &req.auth_sig,
        &[coin.owner_auth_pubkey],
        now,
        limits,
        sigs,
    )
}

/// §6.3 "Join" and "Sender on a batched coin", after authentication,
/// replay and batch existence (a short join names an existing batch).
/// `fresh_x1` is used only when a new transfer is registered.
pub fn sender(
    req: &SenderRequest,
    join: Option<&BatchJoin>,
    rows: SenderRows<'_>,
    fresh_x1: Scalar,
    now: u64,
    limits: &Limits,
) -> RuleResult<SenderOutcome> {
    let coin = rows.coin;
    if coin.status == CoinStatus::Withdrawn {
        return refuse(ErrorCode::Withdrawn, "this coin has been withdrawn");
    }
    let request_batch = join.map(BatchJoin::batch_id);
    if let Some(p) = &coin.pending {
        let same = p.new_user_pubkey == req.new_user_pubkey
            && p.new_user_auth_key == req.new_user_auth_key
            && p.batch_id == request_batch;
        match (p.batch_id, rows.current_batch) {
            (Some(_), Some(cb)) => match cb.state_at(now) {
                BatchState::Committed => {
                    return refuse(
                        ErrorCode::BatchCompleted,
                        "this coin's batch has committed; it cannot be sent again",
                    );
                }
                BatchState::Open => {
                    let same_terms = join.is_some_and(|j| j.hash() == cb.descriptor_hash);
                    if same && same_terms {
                        return Ok(SenderOutcome::Repeat { x1: p.x1 });
                    }
                    return refuse(
                        ErrorCode::BatchLocked,
                        "this coin is locked in an open batch",
                    );
                }
                // Aborted: the sender may recover the coin.
                BatchState::Aborted => {}
                // Expired: the sender may recover the coin, and the batch is
                // written down as expired in this transaction, so nothing
                // can commit it afterwards (§6.2 rev 2).
                BatchState::Expired => cb.record_expiry(now),
            },
            (None, _) if same => return Ok(SenderOutcome::Repeat { x1: p.x1 }),
            _ => {}
        }
    }

    let mut create_batch = None;
    if let Some(j) = join {
        if rows
            .target_batch
            .as_deref()
            .is_some_and(|b| b.descriptor_hash != j.hash())
        {
            return refuse(
                ErrorCode::DescriptorMismatch,
                "the descriptor differs from the one this batch was created with",
            );
        }
        // The stored line once the batch exists (same hash, same lines);
        // the request's own lines when it creates the batch.
        let line = match (&rows.target_batch, j) {
            (Some(_), _) => rows.target_line,
            (None, BatchJoin::Full(d)) => d.line(&coin.statechain_id).copied(),
            (None, BatchJoin::Short { .. }) => {
                return refuse(
                    ErrorCode::NotFound,
                    "no such batch yet: the first join must carry the descriptor's lines",
                );
            }
        };
        let line = match line {
            Some(l) if l.new_user_auth_key == req.new_user_auth_key => l,
            _ => {
                return refuse(
                    ErrorCode::NotInDescriptor,
                    "this coin and new owner are not a line of the descriptor",
                );
            }
        };
        if line.amount != coin.amount {
            return refuse(
                ErrorCode::AmountMismatch,
                "the descriptor line's amount differs from the coin's amount",
            );
        }
        match (rows.target_batch, j) {
            (Some(b), _) => {
                match b.state_at(now) {
                    BatchState::Committed => {
                        return refuse(
                            ErrorCode::BatchCompleted,
                            "this batch has already committed",
                        );
                    }
                    BatchState::Aborted => {
                        return refuse(ErrorCode::BatchAborted, "this batch was aborted");
                    }
                    BatchState::Expired => {
                        return refuse(ErrorCode::BatchExpired, "this batch passed its deadline");
                    }
                    BatchState::Open => {}
                }
                if !rows.target_member.joined {
                    b.joined += 1;
                    b.locked += 1;
                    b.version += 1;
                }
            }
            (None, BatchJoin::Full(d)) => {
                create_batch = Some(Batch {
                    batch_id: d.batch_id(),
                    descriptor_hash: d.hash(),
                    size: d.len() as u64,
                    batch_time: now,
                    deadline: now.saturating_add(limits.batch_timeout),
                    joined: 1,
                    locked: 1,
                    state: StoredBatchState::Open,
                    version: 1,
                });
            }
            (None, BatchJoin::Short { .. }) => {
                return refuse(ErrorCode::NotFound, "no such batch yet");
            }
        }
        *rows.target_member = Member {
            joined: true,
            locked: true,
        };
    }
    coin.pending = Some(Pending {
        new_user_pubkey: req.new_user_pubkey,
        new_user_auth_key: req.new_user_auth_key,
        x1: fresh_x1,
        batch_id: request_batch,
        enc_msg: None,
        msg_cursor: None,
    });
    Ok(SenderOutcome::Registered {
        x1: fresh_x1,
        create_batch,
    })
}

// ----- update_msg -----

/// The pending transfer's receiver, or `no_pending_transfer` saying `why`.
fn pending_receiver(coin: &Coin, why: &str) -> RuleResult<XOnly> {
    coin.pending
        .as_ref()
        .map(|p| p.new_user_auth_key)
        .ok_or_else(|| Refusal::new(ErrorCode::NoPendingTransfer, why))
}

/// The key whose message list an upload for this coin goes to: the
/// pending transfer's receiver (409 if there is none to upload for).
pub fn update_msg_recipient(coin: &Coin) -> RuleResult<XOnly> {
    if coin.status == CoinStatus::Withdrawn {
        return refuse(ErrorCode::Withdrawn, "this coin has been withdrawn");
    }
    pending_receiver(coin, "call /transfer/sender before uploading a message")
}

/// Stores the message on the pending transfer, with its `cursor` (the next
/// one of the receiver's key). Signed by the current owner.
pub fn update_msg(coin: &mut Coin, enc_msg: Vec<u8>, cursor: u64) -> RuleResult<()> {
    update_msg_recipient(coin)?;
    if let Some(p) = &mut coin.pending {
        p.enc_msg = Some(enc_msg);
        p.msg_cursor = Some(cursor);
    }
    Ok(())
}

// ----- unlock -----

/// The key that signs an unlock: the pending receiver (409 if none).
pub fn unlock_signer(coin: &Coin) -> RuleResult<XOnly> {
    pending_receiver(coin, "this coin has no pending transfer")
}

/// §6.3 "Unlock", after authentication, replay and batch existence.
pub fn unlock(
    req: &BatchCoinRequest,
    coin: &Coin,
    batch: &mut Batch,
    member: &mut Member,
    now: u64,
) -> RuleResult<BatchStatus> {
    if coin.pending.as_ref().and_then(|p| p.batch_id) != Some(req.batch_id) || !member.joined {
        return refuse(
            ErrorCode::NoPendingTransfer,
            "this coin's pending transfer is not in that batch",
        );
    }
    if !member.locked {
        return Ok(batch.status(now));
    }
    match batch.state_at(now) {
        BatchState::Aborted => return refuse(ErrorCode::BatchAborted, "this batch was aborted"),
        BatchState::Expired => {
            return refuse(ErrorCode::BatchExpired, "this batch passed its deadline");
        }
        // Committed with a locked member cannot happen; refuse rather than trust.
        BatchState::Committed => {
            return refuse(
                ErrorCode::BatchCompleted,
                "this batch has already committed",
            );
        }
        BatchState::Open => {}
    }
    member.locked = false;
    batch.locked = batch.locked.saturating_sub(1);
    batch.version += 1;
    if batch.joined == batch.size && batch.locked == 0 {
        // The single commit point.
        batch.state = StoredBatchState::Committed;
    }
    Ok(batch.status(now))
}

// ----- abort -----

/// Keys that may sign an abort for this coin: its owner and pending receiver.
pub fn abort_signers(coin: &Coin) -> Vec<XOnly> {
    let mut keys = vec![coin.owner_auth_pubkey];
    keys.extend(coin.pending.as_ref().map(|p| p.new_user_auth_key));
    keys
}

/// §6.3 "Abort". `is_line` says whether the coin is a descriptor line.
pub fn abort(is_line: bool, batch: &mut Batch, now: u64) -> RuleResult<BatchStatus> {
    if !is_line {
        return refuse(
            ErrorCode::NotInDescriptor,
            "this coin is not part of that batch",
        );
    }
    match batch.state_at(now) {
        BatchState::Committed => refuse(
            ErrorCode::BatchCompleted,
            "this batch has already committed",
        ),
        BatchState::Aborted => Ok(batch.status(now)),
        BatchState::Expired => refuse(ErrorCode::BatchExpired, "this batch passed its deadline"),
        BatchState::Open => {
            batch.state = StoredBatchState::Aborted;
            batch.version += 1;
            Ok(batch.status(now))
        }
    }
}

// ----- receiver -----

/// Who signs a receiver call: the pending receiver, or for an idempotent
/// repeat the new owner of the last completed transfer.
pub fn receiver_signer(coin: &Coin) -> RuleResult<XOnly> {
    match (&coin.pending, &coin.last) {
        (Some(p), _) => Ok(p.new_user_auth_key),
        (None, Some(_)) => Ok(coin.owner_auth_pubkey),
        (None, None) => refuse(
            ErrorCode::NoPendingTransfer,
            "this coin has no pending transfer",
        ),
    }
}

/// Signature and `transfer_sig` (401s) for a receiver call.
pub fn receiver_authenticate(
    req: &ReceiverRequest,
    coin: &Coin,
    now: u64,
    limits: &Limits,
    sigs: &mut Verified,
) -> RuleResult<()> {
    let signer = receiver_signer(coin)?;
    authenticate_request(req, &[signer], now, limits, sigs)?;
    let ok = match &coin.pending {
        Some(p) => sigs.verify(
            &coin.owner_auth_pubkey,
            &signing::transfer(
                &coin.statechain_id,
                coin.seq + 1,
                &p.new_user_pubkey,
                &p.new_user_auth_key,
                p.batch_id.as_ref(),
            ),
            &req.transfer_sig,
        ),
        None => coin
            .last
            .as_ref()
            .is_some_and(|l| l.transfer_sig == req.transfer_sig),
    };
    if ok {
        Ok(())
    } else {
        refuse(
            ErrorCode::BadSignature,
            "transfer_sig does not verify under the current owner's key",
        )
    }
}

/// The outcome of a receiver call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // short-lived, returned once per request
pub enum ReceiverOutcome {
    /// Already done: same answer, nothing written.
    Repeat {
        server_pubkey: Point,
        receipt: Receipt,
    },
    /// The key update happened; append `entry` to the chain.
    Completed {
        server_pubkey: Point,
        receipt: Receipt,
        entry: ChainEntry,
    },
}

/// §5 step 6 and §6.3 "Receiver", after authentication and replay.
/// `batch` is the pending transfer's batch row when it has one.
pub fn receiver(
    req: &ReceiverRequest,
    coin: &mut Coin,
    batch: Option<&Batch>,
    relay_key: &AuthKey,
    aux: [u8; 32],
    now: u64,
) -> RuleResult<ReceiverOutcome> {
    let Some(p) = coin.pending.clone() else {
        return match &coin.last {
            Some(l) => Ok(ReceiverOutcome::Repeat {
                server_pubkey: l.receipt.server_pubkey,
                receipt: l.receipt.clone(),
            }),
            None => refuse(
                ErrorCode::NoPendingTransfer,
                "this coin has no pending transfer",
            ),
        };
    };
    if coin.status == CoinStatus::Withdrawn {
        return refuse(ErrorCode::Withdrawn, "this coin has been withdrawn");
    }
    if p.batch_id.is_some() {
        match batch.map(|b| b.state_at(now)) {
            Some(BatchState::Committed) => {}
            Some(BatchState::Open) => {
                return refuse(ErrorCode::CoinLocked, "the batch has not committed yet");
            }
            Some(BatchState::Aborted) => {
                return refuse(ErrorCode::BatchAborted, "this batch was aborted");
            }
            Some(BatchState::Expired) => {
                return refuse(
                    ErrorCode::BatchExpired,
                    "this batch passed its deadline uncommitted",
                );
            }
            None => {
                return refuse(
                    ErrorCode::NotFound,
                    "the pending transfer's batch is unknown",
                );
            }
        }
    }
    if p.enc_msg.is_none() {
        return refuse(
            ErrorCode::NoMessage,
            "the sender has not uploaded the transfer message",
        );
    }
    let s2 = keyshare::server_update(
        &coin.server_secret,
        &req.t2,
        &p.x1,
        &p.new_user_pubkey,
        &coin.aggregated_pubkey,
    )
    .map_err(|_| {
        Refusal::new(
            ErrorCode::KeyUpdateInvalid,
            "t2 does not reproduce the coin's public key; nothing changed",
        )
    })?;
    let server_pubkey = s2.public();
    let seq = coin.seq + 1;
    let receipt = ReceiptBody {
        statechain_id: coin.statechain_id,
        seq,
        owner_user_pubkey: p.new_user_pubkey,
        owner_auth_pubkey: p.new_user_auth_key,
        server_pubkey,
        aggregated_pubkey: coin.aggregated_pubkey,
        amount: coin.amount,
        batch_id: p.batch_id,
        status: CoinStatus::Owned,
        time: now,
    }
    .sign(relay_key, aux);
    let entry = ChainEntry {
        seq,
        owner_user_pubkey: p.new_user_pubkey,
        owner_auth_pubkey: p.new_user_auth_key,
        batch_id: p.batch_id,
        transfer_sig: Some(req.transfer_sig),
        receipt: receipt.clone(),
    };
    coin.last = Some(LastTransfer {
        previous_owner_auth: coin.owner_auth_pubkey,
        transfer_sig: req.transfer_sig,
        receipt: receipt.clone(),
    });
    coin.server_secret = s2;
    coin.owner_user_pubkey = p.new_user_pubkey;
    coin.owner_auth_pubkey = p.new_user_auth_key;
    coin.seq = seq;
    coin.pending = None;
    Ok(ReceiverOutcome::Completed {
        server_pubkey,
        receipt,
        entry,
    })
}

// ----- withdraw -----

/// Withdraws the coin, after authentication (owner) and replay.
/// A coin locked in an open batch, or in a committed one, cannot be
/// withdrawn; one whose batch is past its deadline can, and that batch is
/// recorded as expired (§6.2 rev 2).
pub fn withdraw(
    _req: &WithdrawRequest,
    coin: &mut Coin,
    batch: Option<&mut Batch>,
    relay_key: &AuthKey,
    aux: [u8; 32],
    now: u64,
) -> RuleResult<(Receipt, ChainEntry)> {
    if coin.status == CoinStatus::Withdrawn {
        return refuse(ErrorCode::Withdrawn, "this coin has already been withdrawn");
    }
    if coin.pending.as_ref().is_some_and(|p| p.batch_id.is_some())
        && let Some(b) = batch
    {
        match b.state_at(now) {
            BatchState::Open => {
                return refuse(
                    ErrorCode::BatchLocked,
                    "this coin is locked in an open batch",
                );
            }
            BatchState::Committed => {
                return refuse(ErrorCode::BatchCompleted, "this coin's batch has committed");
            }
            BatchState::Aborted => {}
            BatchState::Expired => b.record_expiry(now),
        }
    }
    let seq = coin.seq + 1;
    let receipt = ReceiptBody {
        statechain_id: coin.statechain_id,
        seq,
        owner_user_pubkey: coin.owner_user_pubkey,
        owner_auth_pubkey: coin.owner_auth_pubkey,
        server_pubkey: coin.server_secret.public(),
        aggregated_pubkey: coin.aggregated_pubkey,
        amount: coin.amount,
        batch_id: None,
        status: CoinStatus::Withdrawn,
        time: now,
    }
    .sign(relay_key, aux);
    let entry = ChainEntry {
        seq,
        owner_user_pubkey: coin.owner_user_pubkey,
        owner_auth_pubkey: coin.owner_auth_pubkey,
        batch_id: None,
        transfer_sig: None,
        receipt: receipt.clone(),
    };
    coin.seq = seq;
    coin.status = CoinStatus::Withdrawn;
    coin.pending = None;
    Ok((receipt, entry))
}

/// The public view of a pending transfer for `/info/statechain`.
pub fn pending_info(p: &Pending, member: Option<&Member>) -> PendingInfo {
    PendingInfo {
        new_user_pubkey: p.new_user_pubkey,
        new_user_auth_key: p.new_user_auth_key,
        x1_pub: p.x1.public(),
        batch_id: p.batch_id,
        locked: member.is_some_and(|m| m.locked),
        has_msg: p.enc_msg.is_some(),
    }
}
