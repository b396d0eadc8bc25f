//! Every request and response body of §8, shared by the relay and clients.
//!
//! Decoding is strict: unknown fields are refused and every key, scalar,
//! signature and id is validated while parsing (see [`crate::types`]).

use crate::descriptor::{BatchJoin, BatchTransfer, Descriptor, DescriptorWire, ShortJoinWire};
use crate::error::{Error, ErrorCode};
use crate::keys::AddressKeys;
use crate::receipt::{CoinStatus, Receipt};
use crate::signing;
use crate::types::{Hash32, HexBytes, Id, Point, Scalar, Sig, XOnly};
use serde::{Deserialize, Serialize};

pub const PROTOCOL_VERSION: u64 = 1;

/// Parses a JSON body strictly into `T`.
pub fn decode<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| Error::InvalidJson(e.to_string()))
}

pub fn encode<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| unreachable!("wire types always serialize"))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
}

/// `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code,
                message: message.into(),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigResponse {
    pub network: crate::address::Network,
    pub relay_pubkey: XOnly,
    pub batch_timeout: u64,
    pub auth_window: u64,
    pub max_batch_size: u64,
    pub max_message_bytes: u64,
    pub max_demo_amount: u64,
    pub server_time: u64,
    pub version: u64,
}

/// A request the relay authenticates with `ts` and `auth_sig` (§4).
pub trait SignedRequest {
    /// The coin the request is about.
    fn statechain_id(&self) -> Option<&Id>;
    fn ts(&self) -> u64;
    fn auth_sig(&self) -> &Sig;
    /// The §4 signing string. For `/transfer/sender` this needs the
    /// validated descriptor, so it is computed by the caller there.
    fn signing_string(&self) -> String;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepositRequest {
    pub user_pubkey: Point,
    pub auth_pubkey: XOnly,
    pub amount: u64,
    pub ts: u64,
    pub auth_sig: Sig,
}

impl DepositRequest {
    pub fn signed(keys: &AddressKeys, amount: u64, ts: u64, aux: [u8; 32]) -> Self {
        let (user_pubkey, auth_pubkey) = (keys.user_pubkey(), keys.auth_pubkey());
        let auth_sig = keys.auth.sign(
            &signing::deposit(&user_pubkey, &auth_pubkey, amount, ts),
            aux,
        );
        DepositRequest {
            user_pubkey,
            auth_pubkey,
            amount,
            ts,
            auth_sig,
        }
    }
}

impl SignedRequest for DepositRequest {
    fn statechain_id(&self) -> Option<&Id> {
        None
    }
    fn ts(&self) -> u64 {
        self.ts
    }
    fn auth_sig(&self) -> &Sig {
        &self.auth_sig
    }
    fn signing_string(&self) -> String {
        signing::deposit(&self.user_pubkey, &self.auth_pubkey, self.amount, self.ts)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepositResponse {
    pub statechain_id: Id,
    pub server_pubkey: Point,
    pub aggregated_pubkey: Point,
    pub receipt: Receipt,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainEntry {
    pub seq: u64,
    pub owner_user_pubkey: Point,
    pub owner_auth_pubkey: XOnly,
    pub batch_id: Option<Id>,
    pub transfer_sig: Option<Sig>,
    pub receipt: Receipt,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingInfo {
    pub new_user_pubkey: Point,
    pub new_user_auth_key: XOnly,
    pub x1_pub: Point,
    pub batch_id: Option<Id>,
    pub locked: bool,
    pub has_msg: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatechainInfo {
    pub statechain_id: Id,
    pub amount: u64,
    pub aggregated_pubkey: Point,
    pub server_pubkey: Point,
    pub owner_user_pubkey: Point,
    pub owner_auth_pubkey: XOnly,
    pub seq: u64,
    pub status: CoinStatus,
    pub chain: Vec<ChainEntry>,
    pub pending: Option<PendingInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerResponse {
    pub statechain_ids: Vec<Id>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SenderRequest {
    pub statechain_id: Id,
    pub new_user_pubkey: Point,
    pub new_user_auth_key: XOnly,
    #[serde(default)]
    pub batch: Option<BatchWire>,
    pub ts: u64,
    pub auth_sig: Sig,
}

/// The `batch` field of `/transfer/sender`: the descriptor's lines, or once
/// the batch exists, its hash alone (a short join, §6.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum BatchWire {
    Full(DescriptorWire),
    Short(ShortJoinWire),
}

/// Read field by field (not as serde's untagged, which would buffer a
/// whole 1000-line descriptor before choosing): `batch_id` and exactly one
/// of `transfers` (bounded while parsing) and `descriptor_hash`.
impl<'de> Deserialize<'de> for BatchWire {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error as _, MapAccess, Visitor};
        struct Lines(Vec<crate::descriptor::BatchTransfer>);
        impl<'de> Deserialize<'de> for Lines {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                crate::descriptor::lines::bounded(d).map(Lines)
            }
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = BatchWire;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("{batch_id, transfers} or {batch_id, descriptor_hash}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<BatchWire, A::Error> {
                let (mut id, mut lines, mut hash) = (None, None, None);
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "batch_id" if id.is_none() => id = Some(map.next_value::<Id>()?),
                        "transfers" if lines.is_none() => {
                            lines = Some(map.next_value::<Lines>()?.0)
                        }
                        "descriptor_hash" if hash.is_none() => {
                            hash = Some(map.next_value::<Hash32>()?)
                        }
                        "batch_id" | "transfers" | "descriptor_hash" => {
                            return Err(A::Error::custom(format!("duplicate field `{key}`")));
                        }
                        other => {
                            return Err(A::Error::unknown_field(
                                other,
                                &["batch_id", "transfers", "descriptor_hash"],
                            ));
                        }
                    }
                }
                let batch_id = id.ok_or_else(|| A::Error::missing_field("batch_id"))?;
                match (lines, hash) {
                    (Some(transfers), None) => Ok(BatchWire::Full(DescriptorWire {
                        batch_id,
                        transfers,
                    })),
                    (None, Some(descriptor_hash)) => Ok(BatchWire::Short(ShortJoinWire {
                        batch_id,
                        descriptor_hash,
                    })),
                    (Some(_), Some(_)) => Err(A::Error::custom(
                        "batch carries both transfers and descriptor_hash; send one",
                    )),
                    (None, None) => Err(A::Error::missing_field("transfers")),
                }
            }
        }
        d.deserialize_map(V)
    }
}

impl BatchWire {
    fn of(join: &BatchJoin) -> BatchWire {
        match join {
            BatchJoin::Full(d) => BatchWire::Full(d.to_wire()),
            BatchJoin::Short {
                batch_id,
                descriptor_hash,
            } => BatchWire::Short(ShortJoinWire {
                batch_id: *batch_id,
                descriptor_hash: *descriptor_hash,
            }),
        }
    }
}

impl SenderRequest {
    /// Signed by the coin's current owner auth key; `batch` joins with the
    /// descriptor's lines.
    pub fn signed(
        statechain_id: Id,
        owner: &AddressKeys,
        to: &crate::address::Address,
        batch: Option<&Descriptor>,
        ts: u64,
        aux: [u8; 32],
    ) -> Self {
        let join = batch.map(|d| BatchJoin::Full(d.clone()));
        SenderRequest::signed_join(statechain_id, owner, to, join.as_ref(), ts, aux)
    }

    /// Signed by the coin's current owner auth key, joining as `join` says
    /// (with the lines, or by hash once the batch exists).
    pub fn signed_join(
        statechain_id: Id,
        owner: &AddressKeys,
        to: &crate::address::Address,
        join: Option<&BatchJoin>,
        ts: u64,
        aux: [u8; 32],
    ) -> Self {
        let s = signing::sender(
            &statechain_id,
            &to.user_pubkey,
            &to.auth_pubkey,
            join.map(BatchJoin::batch_id).as_ref(),
            join.map(BatchJoin::hash).as_ref(),
            ts,
        );
        SenderRequest {
            statechain_id,
            new_user_pubkey: to.user_pubkey,
            new_user_auth_key: to.auth_pubkey,
            batch: join.map(BatchWire::of),
            ts,
            auth_sig: owner.auth.sign(&s, aux),
        }
    }

    /// The batch this request joins, its descriptor validated against the
    /// relay's size limit (once: the descriptor's hash is computed here).
    pub fn join(&self, max: usize) -> Result<Option<BatchJoin>, Error> {
        Ok(match &self.batch {
            None => None,
            Some(BatchWire::Full(w)) => {
                Some(BatchJoin::Full(Descriptor::from_wire(w.clone(), max)?))
            }
            Some(BatchWire::Short(s)) => Some(BatchJoin::Short {
                batch_id: s.batch_id,
                descriptor_hash: s.descriptor_hash,
            }),
        })
    }

    /// The signing string, given the validated join.
    pub fn signing_string_with(&self, join: Option<&BatchJoin>) -> String {
        signing::sender(
            &self.statechain_id,
            &self.new_user_pubkey,
            &self.new_user_auth_key,
            join.map(BatchJoin::batch_id).as_ref(),
            join.map(BatchJoin::hash).as_ref(),
            self.ts,
        )
    }
}

impl SignedRequest for SenderRequest {
    fn statechain_id(&self) -> Option<&Id> {
        Some(&self.statechain_id)
    }
    fn ts(&self) -> u64 {
        self.ts
    }
    fn auth_sig(&self) -> &Sig {
        &self.auth_sig
    }
    fn signing_string(&self) -> String {
        let j = self
            .join(crate::descriptor::ABSOLUTE_MAX_LINES)
            .ok()
            .flatten();
        self.signing_string_with(j.as_ref())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SenderResponse {
    pub x1: Scalar,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateMsgRequest {
    pub statechain_id: Id,
    pub enc_msg: HexBytes,
    pub ts: u64,
    pub auth_sig: Sig,
}

impl UpdateMsgRequest {
    pub fn signed(
        statechain_id: Id,
        owner: &AddressKeys,
        enc_msg: Vec<u8>,
        ts: u64,
        aux: [u8; 32],
    ) -> Self {
        let auth_sig = owner
            .auth
            .sign(&signing::update_msg(&statechain_id, &enc_msg, ts), aux);
        UpdateMsgRequest {
            statechain_id,
            enc_msg: HexBytes(enc_msg),
            ts,
            auth_sig,
        }
    }
}

impl SignedRequest for UpdateMsgRequest {
    fn statechain_id(&self) -> Option<&Id> {
        Some(&self.statechain_id)
    }
    fn ts(&self) -> u64 {
        self.ts
    }
    fn auth_sig(&self) -> &Sig {
        &self.auth_sig
    }
    fn signing_string(&self) -> String {
        signing::update_msg(&self.statechain_id, &self.enc_msg.0, self.ts)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OkResponse {
    pub ok: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageEntry {
    pub statechain_id: Id,
    pub enc_msg: HexBytes,
    /// Its place in upload order (≥ 1, strictly increasing per key): what
    /// a client passes as `after` to page past it (§8).
    pub cursor: u64,
}

/// One page of `GET /transfer/get_msg_addr` (§8): at most
/// [`MESSAGES_PER_PAGE`] messages and [`MESSAGE_PAGE_BYTES`] of `enc_msg`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessagesResponse {
    pub messages: Vec<MessageEntry>,
    /// The `after` for the next page; `None` when nothing remains.
    pub next: Option<u64>,
}

/// Most messages in one answer of `get_msg_addr` (§8).
pub const MESSAGES_PER_PAGE: usize = 100;
/// Most bytes of decoded `enc_msg` in one answer of `get_msg_addr` (§8).
pub const MESSAGE_PAGE_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchState {
    Open,
    Committed,
    Aborted,
    /// Open and past its deadline: computed from the clock, never stored.
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchMember {
    pub statechain_id: Id,
    pub joined: bool,
    pub locked: bool,
}

/// `GET /transfer/batch/{id}`: the full view, one member per descriptor line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchInfo {
    pub batch_id: Id,
    pub descriptor_hash: Hash32,
    pub transfers: Vec<BatchTransfer>,
    pub state: BatchState,
    pub batch_time: u64,
    pub deadline: u64,
    pub server_time: u64,
    pub version: u64,
    pub members: Vec<BatchMember>,
}

/// The short batch status unlock and abort answer with (O(1)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchStatus {
    pub batch_id: Id,
    pub state: BatchState,
    pub joined: u64,
    pub locked: u64,
    pub batch_time: u64,
    pub deadline: u64,
    pub server_time: u64,
    pub version: u64,
}

impl BatchInfo {
    pub fn status(&self) -> BatchStatus {
        BatchStatus {
            batch_id: self.batch_id,
            state: self.state,
            joined: self.members.iter().filter(|m| m.joined).count() as u64,
            locked: self.members.iter().filter(|m| m.locked).count() as u64,
            batch_time: self.batch_time,
            deadline: self.deadline,
            server_time: self.server_time,
            version: self.version,
        }
    }
}

/// `/transfer/unlock` and `/transfer/abort` share this shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchCoinRequest {
    pub statechain_id: Id,
    pub batch_id: Id,
    pub ts: u64,
    pub auth_sig: Sig,
}

pub type UnlockRequest = BatchCoinRequest;
pub type AbortRequest = BatchCoinRequest;

impl BatchCoinRequest {
    pub fn unlock(
        statechain_id: Id,
        batch_id: Id,
        receiver: &AddressKeys,
        ts: u64,
        aux: [u8; 32],
    ) -> Self {
        let auth_sig = receiver
            .auth
            .sign(&signing::unlock(&statechain_id, &batch_id, ts), aux);
        BatchCoinRequest {
            statechain_id,
            batch_id,
            ts,
            auth_sig,
        }
    }
    pub fn abort(
        statechain_id: Id,
        batch_id: Id,
        signer: &AddressKeys,
        ts: u64,
        aux: [u8; 32],
    ) -> Self {
        let auth_sig = signer
            .auth
            .sign(&signing::abort(&statechain_id, &batch_id, ts), aux);
        BatchCoinRequest {
            statechain_id,
            batch_id,
            ts,
            auth_sig,
        }
    }
    pub fn unlock_string(&self) -> String {
        signing::unlock(&self.statechain_id, &self.batch_id, self.ts)
    }
    pub fn abort_string(&self) -> String {
        signing::abort(&self.statechain_id, &self.batch_id, self.ts)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiverRequest {
    pub statechain_id: Id,
    pub t2: Scalar,
    pub transfer_sig: Sig,
    pub ts: u64,
    pub auth_sig: Sig,
}

impl ReceiverRequest {
    pub fn signed(
        statechain_id: Id,
        t2: Scalar,
        transfer_sig: Sig,
        receiver: &AddressKeys,
        ts: u64,
        aux: [u8; 32],
    ) -> Self {
        let auth_sig = receiver
            .auth
            .sign(&signing::receiver(&statechain_id, &t2, ts), aux);
        ReceiverRequest {
            statechain_id,
            t2,
            transfer_sig,
            ts,
            auth_sig,
        }
    }
}

impl SignedRequest for ReceiverRequest {
    fn statechain_id(&self) -> Option<&Id> {
        Some(&self.statechain_id)
    }
    fn ts(&self) -> u64 {
        self.ts
    }
    fn auth_sig(&self) -> &Sig {
        &self.auth_sig
    }
    fn signing_string(&self) -> String {
        signing::receiver(&self.statechain_id, &self.t2, self.ts)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiverResponse {
    pub server_pubkey: Point,
    pub receipt: Receipt,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    pub statechain_id: Id,
    pub ts: u64,
    pub auth_sig: Sig,
}

impl WithdrawRequest {
    pub fn signed(statechain_id: Id, owner: &AddressKeys, ts: u64, aux: [u8; 32]) -> Self {
        let auth_sig = owner.auth.sign(&signing::withdraw(&statechain_id, ts), aux);
        WithdrawRequest {
            statechain_id,
            ts,
            auth_sig,
        }
    }
}

impl SignedRequest for WithdrawRequest {
    fn statechain_id(&self) -> Option<&Id> {
        Some(&self.statechain_id)
    }
    fn ts(&self) -> u64 {
        self.ts
    }
    fn auth_sig(&self) -> &Sig {
        &self.auth_sig
    }
    fn signing_string(&self) -> String {
        signing::withdraw(&self.statechain_id, self.ts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn unknown_fields_are_rejected() {
        let body = br#"{"statechain_id":"67e55044-10b1-426f-9247-bb680e5fe0c8","ts":1,"auth_sig":"00","extra":1}"#;
        assert!(decode::<WithdrawRequest>(body).is_err());
    }

    #[test]
    fn error_body_shape() {
        let e = ErrorBody::new(ErrorCode::BatchLocked, "locked");
        assert_eq!(
            encode(&e),
            r#"{"error":{"code":"batch_locked","message":"locked"}}"#
        );
    }

    #[test]
    fn float_and_negative_amounts_are_rejected() {
        let ok = r#"{"statechain_ids":[]}"#;
        assert!(decode::<OwnerResponse>(ok.as_bytes()).is_ok());
        let e = r#"{"batch_id":"67e55044-10b1-426f-9247-bb680e5fe0c8","transfers":[{"statechain_id":"67e55044-10b1-426f-9247-bb680e5fe0c8","new_user_auth_key":"f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9","amount":1.5}]}"#;
        assert!(decode::<DescriptorWire>(e.as_bytes()).is_err());
        let n = e.replace("1.5", "-1");
        assert!(decode::<DescriptorWire>(n.as_bytes()).is_err());
        let good = e.replace("1.5", "15");
        assert!(decode::<DescriptorWire>(good.as_bytes()).is_ok());
    }
}
