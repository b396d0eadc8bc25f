//! Each endpoint's orchestration, generic over [`Tx`].
//!
//! Check order (PROTOCOL §4): body syntax (400, [`super::decode`], before
//! this module) → the named coin exists (404) → for unlock and receiver, a
//! transfer names the signer (409) → freshness and signatures (401) →
//! replay (409) → the named batch exists (404) → the rules of
//! [`crate::rules`] (409).

use super::{Ctx, ServeError, StoreError, Tx};
use crate::address::Network;
use crate::descriptor::BatchJoin;
use crate::error::ErrorCode;
use crate::receipt::Receipt;
use crate::rows::{Batch, Coin, Limits, Member};
use crate::rules::{self, ReceiverOutcome, Refusal, SenderOutcome, SenderRows};
use crate::signing::Verified;
use crate::types::{Id, Scalar, Sig, XOnly};
use crate::wire::{
    BatchCoinRequest, BatchInfo, BatchMember, BatchStatus, ConfigResponse, DepositRequest,
    DepositResponse, MESSAGE_PAGE_BYTES, MESSAGES_PER_PAGE, MessageEntry, MessagesResponse,
    OkResponse, OwnerResponse, PROTOCOL_VERSION, ReceiverRequest, ReceiverResponse, SenderRequest,
    SenderResponse, StatechainInfo, UpdateMsgRequest, WithdrawRequest,
};
use serde::{Serialize, Serializer};

/// A state-changing request, already syntax-checked.
#[derive(Debug, Clone)]
pub enum Op {
    Deposit(DepositRequest),
    Sender {
        req: SenderRequest,
        join: Option<BatchJoin>,
    },
    UpdateMsg(UpdateMsgRequest),
    Unlock(BatchCoinRequest),
    Abort(BatchCoinRequest),
    Receiver(ReceiverRequest),
    Withdraw(WithdrawRequest),
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Deposit(_) => "deposit",
            Op::Sender { .. } => "sender",
            Op::UpdateMsg(_) => "update_msg",
            Op::Unlock(_) => "unlock",
            Op::Abort(_) => "abort",
            Op::Receiver(_) => "receiver",
            Op::Withdraw(_) => "withdraw",
        }
    }

    /// The request's signature and time, for the replay memory.
    fn signature(&self) -> (&Sig, u64) {
        match self {
            Op::Deposit(r) => (&r.auth_sig, r.ts),
            Op::Sender { req, .. } => (&req.auth_sig, req.ts),
            Op::UpdateMsg(r) => (&r.auth_sig, r.ts),
            Op::Unlock(r) | Op::Abort(r) => (&r.auth_sig, r.ts),
            Op::Receiver(r) => (&r.auth_sig, r.ts),
            Op::Withdraw(r) => (&r.auth_sig, r.ts),
        }
    }
}

/// A state-changing request's answer, and (for the host's long-polls)
/// what it changed; only the wire response is serialized.
#[derive(Debug, Clone)]
pub enum Reply {
    Deposit(DepositResponse),
    /// `batches`: the batches whose row this request wrote (joined,
    /// created, or recorded as expired by a take-back).
    Sender {
        response: SenderResponse,
        batches: Vec<Id>,
    },
    /// A message stored for `recipient`'s key.
    Uploaded {
        recipient: XOnly,
    },
    Status(BatchStatus),
    Receiver(ReceiverResponse),
    /// `expired`: the batch a withdrawal recorded as expired.
    Withdrawn {
        receipt: Receipt,
        expired: Option<Id>,
    },
}

/// Something a committed request changed that a long-poll may wait on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    /// A new message for this key (`get_msg_addr`).
    Messages(XOnly),
    /// This batch's row (`transfer/batch?since`).
    Batch(Id),
}

impl Reply {
    /// What this answer's request changed, for waking long-polls.
    pub fn changes(&self) -> Vec<Change> {
        match self {
            Reply::Sender { batches, .. } => batches.iter().map(|b| Change::Batch(*b)).collect(),
            Reply::Uploaded { recipient } => vec![Change::Messages(*recipient)],
            Reply::Status(s) => vec![Change::Batch(s.batch_id)],
            Reply::Withdrawn { expired, .. } => expired.iter().map(|b| Change::Batch(*b)).collect(),
            Reply::Deposit(_) | Reply::Receiver(_) => Vec::new(),
        }
    }
}

/// A read-only request.
#[derive(Debug, Clone)]
pub enum Read {
    Statechain(Id),
    Owner(XOnly),
    /// Messages for a key with a cursor above `after` (0: from the start).
    Messages {
        auth: XOnly,
        after: u64,
    },
    Batch(Id),
    /// A batch's short status (no member list: O(1)), for a host's own
    /// use (the relay's long-poll probe); no endpoint answers with it.
    BatchStatus(Id),
    Receipt(Id, u64),
}

#[derive(Debug, Clone)]
pub enum ReadReply {
    Statechain(Box<StatechainInfo>),
    Owner(OwnerResponse),
    Messages(MessagesResponse),
    Batch(Box<BatchInfo>),
    Status(BatchStatus),
    Receipt(Box<Receipt>),
}

fn not_found(message: String) -> ServeError {
    Refusal::new(ErrorCode::NotFound, message).into()
}

async fn load_coin<T: Tx>(tx: &mut T, id: &Id) -> Result<Coin, ServeError> {
    tx.coin(id)
        .await?
        .ok_or_else(|| not_found(format!("no coin {id}")))
}

async fn load_batch<T: Tx>(tx: &mut T, id: &Id) -> Result<Batch, ServeError> {
    tx.batch(id)
        .await?
        .ok_or_else(|| not_found(format!("no batch {id}")))
}

/// The answer's JSON body is the wire response the variant holds.
impl Serialize for Reply {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Reply::Deposit(r) => r.serialize(s),
            Reply::Sender { response, .. } => response.serialize(s),
            Reply::Uploaded { .. } => OkResponse { ok: true }.serialize(s),
            Reply::Status(r) => r.serialize(s),
            Reply::Receiver(r) => r.serialize(s),
            Reply::Withdrawn { receipt, .. } => receipt.serialize(s),
        }
    }
}

impl Serialize for ReadReply {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ReadReply::Statechain(r) => r.serialize(s),
            ReadReply::Owner(r) => r.serialize(s),
            ReadReply::Messages(r) => r.serialize(s),
            ReadReply::Batch(r) => r.serialize(s),
            ReadReply::Status(r) => r.serialize(s),
            ReadReply::Receipt(r) => r.serialize(s),
        }
    }
}

/// Replay check (§4): an accepted signature is remembered past the window.
async fn remember<T: Tx>(
    tx: &mut T,
    sig: &Sig,
    ts: u64,
    now: u64,
    limits: &Limits,
) -> Result<(), ServeError> {
    let expires = ts
        .max(now)
        .saturating_add(limits.auth_window)
        .saturating_add(1);
    if tx.remember_sig(sig, expires).await? {
        Ok(())
    } else {
        Err(Refusal::new(
            ErrorCode::ReplayedRequest,
            "this exact signed request was already accepted; sign a new one",
        )
        .into())
    }
}

/// The checks of §4's order before replay, for any state-changing
/// request: the named coin exists (404), for unlock and receiver a
/// transfer names the signer (409), freshness and signatures (401).
/// Returns the coin (none for a deposit). Run by [`precheck`] outside the
/// writer and again by [`execute`] inside the transaction.
async fn authenticated<T: Tx>(
    tx: &mut T,
    op: &Op,
    now: u64,
    limits: &Limits,
    sigs: &mut Verified,
) -> Result<Option<Coin>, ServeError> {
    let id = match op {
        Op::Deposit(req) => {
            rules::deposit_check(req, now, limits, sigs)?;
            return Ok(None);
        }
        Op::Sender { req, .. } => req.statechain_id,
        Op::UpdateMsg(req) => req.statechain_id,
        Op::Unlock(req) | Op::Abort(req) => req.statechain_id,
        Op::Receiver(req) => req.statechain_id,
        Op::Withdraw(req) => req.statechain_id,
    };
    let coin = load_coin(tx, &id).await?;
    match op {
        Op::Deposit(_) => {}
        Op::Sender { req, join } => {
            rules::sender_authenticate(req, join.as_ref(), &coin, now, limits, sigs)?
        }
        Op::UpdateMsg(req) => {
            rules::authenticate_request(req, &[coin.owner_auth_pubkey], now, limits, sigs)?
        }
        Op::Unlock(req) => {
            let signer = rules::unlock_signer(&coin)?;
            rules::authenticate(
                &req.unlock_string(),
                req.ts,
                &req.auth_sig,
                &[signer],
                now,
                limits,
                sigs,
            )?
        }
        Op::Abort(req) => rules::authenticate(
            &req.abort_string(),
            req.ts,
            &req.auth_sig,
            &rules::abort_signers(&coin),
            now,
            limits,
            sigs,
        )?,
        Op::Receiver(req) => {
            rules::receiver_signer(&coin)?;
            rules::receiver_authenticate(req, &coin, now, limits, sigs)?
        }
        Op::Withdraw(req) => {
            rules::authenticate_request(req, &[coin.owner_auth_pubkey], now, limits, sigs)?
        }
    }
    Ok(Some(coin))
}

/// The checks up to the signatures (§4: 404, 409 for a missing signer,
/// 401), on a read-only transaction: a host with a single writer runs this
/// first, so a junk-signed request is refused without waiting for (or
/// occupying) the writer. Returns the signatures that verified, for
/// [`execute_verified`]; reads only, so a refusal here changes nothing.
pub async fn precheck<T: Tx>(tx: &mut T, ctx: &Ctx, op: &Op) -> Result<Verified, ServeError> {
    let now = ctx.now(tx).await?;
    let mut sigs = Verified::default();
    authenticated(tx, op, now, &ctx.limits, &mut sigs).await?;
    Ok(sigs)
}

/// Runs one state-changing request inside `tx`.
pub async fn execute<T: Tx>(tx: &mut T, ctx: &Ctx, op: &Op) -> Result<Reply, ServeError> {
    execute_verified(tx, ctx, op, Verified::default()).await
}

/// [`execute`], given the signatures a [`precheck`] verified: every check
/// runs again on the rows this transaction holds (the owner may have
/// changed meanwhile); only the curve arithmetic of a signature already
/// verified under the very key now required is skipped.
pub async fn execute_verified<T: Tx>(
    tx: &mut T,
    ctx: &Ctx,
    op: &Op,
    mut sigs: Verified,
) -> Result<Reply, ServeError> {
    let now = ctx.now(tx).await?;
    let limits = &ctx.limits;
    let coin = authenticated(tx, op, now, limits, &mut sigs).await?;
    let (sig, ts) = op.signature();
    remember(tx, sig, ts, now, limits).await?;
    let Some(mut coin) = coin else {
        let Op::Deposit(req) = op else {
            return Err(StoreError::new("a coin request without its coin").into());
        };
        return deposit(tx, ctx, req, now).await;
    };
    match op {
        Op::Deposit(_) => Err(StoreError::new("a deposit with a coin").into()),
        Op::Sender { req, join } => sender(tx, ctx, req, join.as_ref(), coin, now).await,
        Op::UpdateMsg(req) => {
            let recipient = rules::update_msg_recipient(&coin)?;
            let cursor = tx.next_message_cursor(&recipient).await?;
            rules::update_msg(&mut coin, req.enc_msg.0.clone(), cursor)?;
            tx.put_coin(&coin).await?;
            Ok(Reply::Uploaded { recipient })
        }
        Op::Unlock(req) => {
            let mut batch = load_batch(tx, &req.batch_id).await?;
            let mut member = tx
                .member(&req.batch_id, &req.statechain_id)
                .await?
                .unwrap_or_default();
            let (batch_before, member_before) = (batch.clone(), member);
            let status = rules::unlock(req, &coin, &mut batch, &mut member, now)?;
            if batch != batch_before {
                tx.put_batch(&batch).await?;
            }
            if member != member_before {
                tx.put_member(&req.batch_id, &req.statechain_id, member)
                    .await?;
            }
            Ok(Reply::Status(status))
        }
        Op::Abort(req) => {
            let mut batch = load_batch(tx, &req.batch_id).await?;
            let is_line = tx
                .member(&req.batch_id, &req.statechain_id)
                .await?
                .is_some();
            let before = batch.clone();
            let status = rules::abort(is_line, &mut batch, now)?;
            if batch != before {
                tx.put_batch(&batch).await?;
            }
            Ok(Reply::Status(status))
        }
        Op::Receiver(req) => {
            let batch = match coin.pending.as_ref().and_then(|p| p.batch_id) {
                Some(b) => Some(load_batch(tx, &b).await?),
                None => None,
            };
            match rules::receiver(
                req,
                &mut coin,
                batch.as_ref(),
                &ctx.relay_key,
                ctx.random()?,
                now,
            )? {
                ReceiverOutcome::Repeat {
                    server_pubkey,
                    receipt,
                } => Ok(Reply::Receiver(ReceiverResponse {
                    server_pubkey,
                    receipt,
                })),
                ReceiverOutcome::Completed {
                    server_pubkey,
                    receipt,
                    entry,
                } => {
                    tx.put_coin(&coin).await?;
                    tx.append_chain(&req.statechain_id, &entry).await?;
                    Ok(Reply::Receiver(ReceiverResponse {
                        server_pubkey,
                        receipt,
                    }))
                }
            }
        }
        Op::Withdraw(req) => {
            let mut batch = match coin.pending.as_ref().and_then(|p| p.batch_id) {
                Some(b) => tx.batch(&b).await?,
                None => None,
            };
            let before = batch.clone();
            let (receipt, entry) = rules::withdraw(
                req,
                &mut coin,
                batch.as_mut(),
                &ctx.relay_key,
                ctx.random()?,
                now,
            )?;
            // A withdrawal from an expired batch records the expiry.
            let expired = batch.as_ref().filter(|b| Some(*b) != before.as_ref());
            if let Some(b) = expired {
                tx.put_batch(b).await?;
            }
            tx.put_coin(&coin).await?;
            tx.append_chain(&req.statechain_id, &entry).await?;
            Ok(Reply::Withdrawn {
                receipt,
                expired: expired.map(|b| b.batch_id),
            })
        }
    }
}

async fn deposit<T: Tx>(
    tx: &mut T,
    ctx: &Ctx,
    req: &DepositRequest,
    now: u64,
) -> Result<Reply, ServeError> {
    loop {
        let id = Id::new_v4(ctx.random()?);
        if tx.coin(&id).await?.is_some() {
            continue;
        }
        let secret = ctx.random_scalar()?;
        if let Some((coin, entry)) =
            rules::deposit_create(req, id, secret, &ctx.relay_key, ctx.random()?, now)
        {
            tx.insert_coin(&coin).await?;
            tx.append_chain(&id, &entry).await?;
            return Ok(Reply::Deposit(DepositResponse {
                statechain_id: id,
                server_pubkey: secret.public(),
                aggregated_pubkey: coin.aggregated_pubkey,
                receipt: entry.receipt,
            }));
        }
    }
}

/// `/transfer/sender` after authentication and replay: the batch named by
/// a short join must exist (404), then the rules.
async fn sender<T: Tx>(
    tx: &mut T,
    ctx: &Ctx,
    req: &SenderRequest,
    join: Option<&BatchJoin>,
    mut coin: Coin,
    now: u64,
) -> Result<Reply, ServeError> {
    let mut current_batch = match coin.pending.as_ref().and_then(|p| p.batch_id) {
        Some(b) => tx.batch(&b).await?,
        None => None,
    };
    let current_before = current_batch.clone();
    let mut target = match join {
        Some(j) => tx.batch(&j.batch_id()).await?,
        None => None,
    };
    if let (Some(BatchJoin::Short { batch_id, .. }), None) = (join, &target) {
        return Err(not_found(format!(
            "no batch {batch_id} yet: the first join must carry the descriptor's lines"
        )));
    }
    let (line, mut member) = match (join, &target) {
        (Some(j), Some(_)) => match tx.line(&j.batch_id(), &req.statechain_id).await? {
            Some((l, m)) => (Some(l), m),
            None => (None, Member::default()),
        },
        _ => (None, Member::default()),
    };
    let (target_before, member_before) = (target.clone(), member);
    let rows = SenderRows {
        coin: &mut coin,
        current_batch: current_batch.as_mut(),
        target_batch: target.as_mut(),
        target_line: line,
        target_member: &mut member,
    };
    match rules::sender(req, join, rows, ctx.random_scalar()?, now, &ctx.limits)? {
        SenderOutcome::Repeat { x1 } => Ok(Reply::Sender {
            response: SenderResponse { x1 },
            batches: Vec::new(),
        }),
        SenderOutcome::Registered { x1, create_batch } => {
            let mut batches = Vec::new();
            // A take-back from an expired batch records the expiry in this
            // transaction (§6.2 rev 2).
            if let Some(b) = current_batch
                .as_ref()
                .filter(|b| Some(*b) != current_before.as_ref())
            {
                tx.put_batch(b).await?;
                batches.push(b.batch_id);
            }
            if let Some(j) = join {
                match (&create_batch, j) {
                    (Some(b), BatchJoin::Full(d)) => tx.insert_batch(b, d.transfers()).await?,
                    (Some(_), BatchJoin::Short { .. }) => {
                        return Err(StoreError::new("a short join cannot create a batch").into());
                    }
                    (None, _) => {
                        if let Some(b) = target
                            .as_ref()
                            .filter(|b| Some(*b) != target_before.as_ref())
                        {
                            tx.put_batch(b).await?;
                        }
                    }
                }
                if create_batch.is_some() || member != member_before {
                    tx.put_member(&j.batch_id(), &req.statechain_id, member)
                        .await?;
                    batches.push(j.batch_id());
                }
            }
            tx.put_coin(&coin).await?;
            Ok(Reply::Sender {
                response: SenderResponse { x1 },
                batches,
            })
        }
    }
}

/// Runs one read-only request inside `tx`.
pub async fn read<T: Tx>(tx: &mut T, ctx: &Ctx, q: &Read) -> Result<ReadReply, ServeError> {
    let now = ctx.now(tx).await?;
    match q {
        Read::Statechain(id) => {
            let coin = load_coin(tx, id).await?;
            let chain = tx.chain(id).await?;
            let pending = match &coin.pending {
                Some(p) => {
                    let member = match p.batch_id {
                        Some(b) => tx.member(&b, id).await?,
                        None => None,
                    };
                    Some(rules::pending_info(p, member.as_ref()))
                }
                None => None,
            };
            Ok(ReadReply::Statechain(Box::new(StatechainInfo {
                statechain_id: coin.statechain_id,
                amount: coin.amount,
                aggregated_pubkey: coin.aggregated_pubkey,
                server_pubkey: coin.server_secret.public(),
                owner_user_pubkey: coin.owner_user_pubkey,
                owner_auth_pubkey: coin.owner_auth_pubkey,
                seq: coin.seq,
                status: coin.status,
                chain,
                pending,
            })))
        }
        Read::Owner(auth) => Ok(ReadReply::Owner(OwnerResponse {
            statechain_ids: tx.coins_by_owner(auth).await?,
        })),
        Read::Messages { auth, after } => {
            // One more than a page says whether anything remains.
            let found = tx.messages_for(auth, *after, MESSAGES_PER_PAGE + 1).await?;
            Ok(ReadReply::Messages(message_page(found)))
        }
        Read::Batch(id) => {
            let batch = load_batch(tx, id).await?;
            let lines = tx.batch_lines(id).await?;
            Ok(ReadReply::Batch(Box::new(BatchInfo {
                batch_id: batch.batch_id,
                descriptor_hash: batch.descriptor_hash,
                transfers: lines.iter().map(|(t, _)| *t).collect(),
                state: batch.state_at(now),
                batch_time: batch.batch_time,
                deadline: batch.deadline,
                server_time: now,
                version: batch.version,
                members: lines
                    .iter()
                    .map(|(t, m)| BatchMember {
                        statechain_id: t.statechain_id,
                        joined: m.joined,
                        locked: m.locked,
                    })
                    .collect(),
            })))
        }
        Read::BatchStatus(id) => Ok(ReadReply::Status(load_batch(tx, id).await?.status(now))),
        Read::Receipt(id, seq) => match tx.chain_entry(id, *seq).await? {
            Some(e) => Ok(ReadReply::Receipt(Box::new(e.receipt))),
            None => Err(not_found(format!("no receipt for coin {id} at seq {seq}"))),
        },
    }
}

/// The first page of `found` (in cursor order): at most
/// [`MESSAGES_PER_PAGE`] messages and [`MESSAGE_PAGE_BYTES`] of `enc_msg`,
/// but always at least one, so a client always makes progress.
fn message_page(found: Vec<MessageEntry>) -> MessagesResponse {
    let total = found.len();
    let mut bytes = 0;
    let mut messages = Vec::new();
    for m in found {
        bytes += m.enc_msg.0.len();
        if messages.len() == MESSAGES_PER_PAGE
            || (!messages.is_empty() && bytes > MESSAGE_PAGE_BYTES)
        {
            break;
        }
        messages.push(m);
    }
    let next = (messages.len() < total)
        .then(|| messages.last().map(|m| m.cursor))
        .flatten();
    MessagesResponse { messages, next }
}

/// Loads the relay key, storing `fresh` on first start.
pub async fn init_relay_key<T: Tx>(tx: &mut T, fresh: &Scalar) -> Result<Scalar, ServeError> {
    if let Some(k) = tx.relay_key().await? {
        return Ok(k);
    }
    tx.put_relay_key(fresh).await?;
    tx.relay_key()
        .await?
        .ok_or_else(|| StoreError::new("relay key vanished").into())
}

/// `version` of the protocol, for `/info/config`.
pub const VERSION: u64 = PROTOCOL_VERSION;

/// `GET /info/config`, with `server_time` read in `tx` like every rule's
/// `now`, so wallets count down to the clock that decides.
pub async fn config<T: Tx>(tx: &mut T, ctx: &Ctx) -> Result<ConfigResponse, ServeError> {
    let now = ctx.now(tx).await?;
    Ok(config_at(ctx, now))
}

fn config_at(ctx: &Ctx, now: u64) -> ConfigResponse {
    let l = &ctx.limits;
    ConfigResponse {
        network: Network::Demo,
        relay_pubkey: ctx.relay_key.public(),
        batch_timeout: l.batch_timeout,
        auth_window: l.auth_window,
        max_batch_size: l.max_batch_size as u64,
        max_message_bytes: l.max_message_bytes as u64,
        max_demo_amount: l.max_demo_amount,
        server_time: now,
        version: VERSION,
    }
}
