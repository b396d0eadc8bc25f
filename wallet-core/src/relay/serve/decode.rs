//! From the wire to an [`Op`] or a [`Read`]: the first check of §4's order
//! (body and field syntax). Malformed JSON, an unknown field, bad hex, a
//! point off the curve, a non-canonical UUID or an invalid descriptor is
//! `400 bad_request`; a body or an `enc_msg` over the limits is
//! `413 payload_too_large`. Nothing here reads storage.

use super::Op;
use crate::error::ErrorCode;
use crate::rows::Limits;
use crate::rules::{self, Refusal};
use crate::types::{Id, XOnly};
use crate::wire::{self, SenderRequest, UpdateMsgRequest};
use serde::de::DeserializeOwned;

/// The POST endpoints of §8 (every state-changing request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Deposit,
    Sender,
    UpdateMsg,
    Unlock,
    Abort,
    Receiver,
    Withdraw,
}

impl Endpoint {
    pub const ALL: [Endpoint; 7] = [
        Endpoint::Deposit,
        Endpoint::Sender,
        Endpoint::UpdateMsg,
        Endpoint::Unlock,
        Endpoint::Abort,
        Endpoint::Receiver,
        Endpoint::Withdraw,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Deposit => "/deposit/init",
            Endpoint::Sender => "/transfer/sender",
            Endpoint::UpdateMsg => "/transfer/update_msg",
            Endpoint::Unlock => "/transfer/unlock",
            Endpoint::Abort => "/transfer/abort",
            Endpoint::Receiver => "/transfer/receiver",
            Endpoint::Withdraw => "/withdraw",
        }
    }

    pub fn from_path(path: &str) -> Option<Endpoint> {
        Endpoint::ALL.into_iter().find(|e| e.path() == path)
    }
}

pub fn bad_request(message: impl Into<String>) -> Refusal {
    Refusal::new(ErrorCode::BadRequest, message)
}

/// The largest body the relay reads: the largest `enc_msg` as hex, plus
/// room for the other fields.
pub fn body_limit(limits: &Limits) -> usize {
    limits
        .max_message_bytes
        .saturating_mul(2)
        .saturating_add(64 * 1024)
}

/// The refusal of a body over [`body_limit`].
pub fn too_large(limit: usize) -> Refusal {
    Refusal::new(
        ErrorCode::PayloadTooLarge,
        format!("the body exceeds {limit} bytes"),
    )
}

/// A JSON body decoded strictly (unknown fields refused) into a wire type.
pub fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    wire::decode::<T>(body).map_err(|e| bad_request(e.to_string()))
}

/// `/transfer/sender`: the descriptor is syntax (PROTOCOL-NOTES reading 3),
/// checked before any row is read; its hash is computed here, once.
pub fn sender(req: SenderRequest, limits: &Limits) -> Result<Op, Refusal> {
    let join = rules::sender_join(&req, limits)?;
    Ok(Op::Sender { req, join })
}

/// A `/transfer/sender` body, its descriptor's lines bounded by
/// `max_batch_size` while parsing (a body with more is refused at the
/// first line too many).
pub fn sender_body(body: &[u8], limits: &Limits) -> Result<Op, Refusal> {
    let req = crate::descriptor::lines::with_limit(limits.max_batch_size, || json(body))?;
    sender(req, limits)
}

/// `/transfer/update_msg`: an `enc_msg` over `max_message_bytes` (decoded)
/// is 413 (§9).
pub fn update_msg(req: UpdateMsgRequest, limits: &Limits) -> Result<Op, Refusal> {
    let max = limits.max_message_bytes;
    if req.enc_msg.0.len() > max {
        return Err(Refusal::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "enc_msg is {} bytes; the relay takes at most {max}",
                req.enc_msg.0.len()
            ),
        ));
    }
    Ok(Op::UpdateMsg(req))
}

/// A whole POST body for `endpoint`: size, strict JSON, then the
/// endpoint's own syntax checks.
pub fn op(endpoint: Endpoint, body: &[u8], limits: &Limits) -> Result<Op, Refusal> {
    let limit = body_limit(limits);
    if body.len() > limit {
        return Err(too_large(limit));
    }
    match endpoint {
        Endpoint::Deposit => Ok(Op::Deposit(json(body)?)),
        Endpoint::Sender => sender_body(body, limits),
        Endpoint::UpdateMsg => update_msg(json(body)?, limits),
        Endpoint::Unlock => Ok(Op::Unlock(json(body)?)),
        Endpoint::Abort => Ok(Op::Abort(json(body)?)),
        Endpoint::Receiver => Ok(Op::Receiver(json(body)?)),
        Endpoint::Withdraw => Ok(Op::Withdraw(json(body)?)),
    }
}

/// A coin or batch id in a path.
pub fn id(text: &str) -> Result<Id, Refusal> {
    Id::parse(text).map_err(|e| bad_request(e.to_string()))
}

/// An auth key in a path.
pub fn xonly(text: &str) -> Result<XOnly, Refusal> {
    XOnly::parse(text).map_err(|e| bad_request(e.to_string()))
}

/// A `seq` in a path.
pub fn seq(text: &str) -> Result<u64, Refusal> {
    text.parse::<u64>()
        .map_err(|_| bad_request("seq must be a non-negative integer"))
}

/// A non-negative integer query parameter (`wait`, `since`), if present.
pub fn query_u64(query: Option<&str>, name: &str) -> Result<Option<u64>, Refusal> {
    let Some(q) = query else {
        return Ok(None);
    };
    for pair in q.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == name {
            return v.parse::<u64>().map(Some).map_err(|_| {
                bad_request(format!(
                    "query parameter {name} must be a non-negative integer"
                ))
            });
        }
    }
    Ok(None)
}
