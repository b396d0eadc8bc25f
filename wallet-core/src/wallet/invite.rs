//! Swap invites (DESIGN.md, "Swap"): the creator's [`Invite`], the joiner's
//! [`JoinAnswer`], and the [`SwapTerms`] both sides derive from the pair,
//! including the batch [`Descriptor`] (§6.1) they will both send to the relay.
//!
//! # Text form
//!
//! Each is a compact binary payload wrapped in bech32m (BIP350 checksum, no
//! length limit): HRP `lsi` for an invite, `lsj` for a join answer. Decoding
//! forgives case (a QR code in alphanumeric mode is upper case) and
//! whitespace (line breaks added by messengers). All integers are big-endian.
//!
//! Invite (`101 + 24·n` bytes):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | version = 1 |
//! | 1 | 1 | kind = 1 (invite) |
//! | 2 | 1 | network: 1 = demo (`tml`), 2 = bitcoin (`ml`) |
//! | 3 | 16 | batch_id (UUID bytes) |
//! | 19 | 8 | expires_at (Unix seconds, informational) |
//! | 27 | 8 | want (satoshis, ≥ 1) |
//! | 35 | 33 | receive: user key `O` (compressed) |
//! | 68 | 32 | receive: auth key `A` (x-only) |
//! | 100 | 1 | n = number of coins given, 1..=50 |
//! | 101 | 24·n | per coin: statechain_id (16), amount (8, ≥ 1) |
//!
//! Join answer (`93 + 24·n` bytes):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | version = 1 |
//! | 1 | 1 | kind = 2 (join answer) |
//! | 2 | 1 | network |
//! | 3 | 16 | batch_id (the invite's) |
//! | 19 | 8 | invite_digest: first 8 bytes of SHA256 of the invite's payload |
//! | 27 | 33 | receive: user key `O` |
//! | 60 | 32 | receive: auth key `A` |
//! | 92 | 1 | n, 1..=50 |
//! | 93 | 24·n | per coin: statechain_id (16), amount (8, ≥ 1) |
//!
//! The encoding is canonical: every field has one spelling, so decoding and
//! encoding again gives the same bytes, and the digest the joiner computed
//! is the one the creator computes from its own invite. An invite with one
//! coin is 210 characters, with five 364 (a join answer: 198 and 351).
//!
//! # Agreement
//!
//! [`SwapTerms::agree`] checks that the answer is bound to this invite
//! (same network, batch id and digest), that no coin is on both sides, that
//! the two sides receive at different addresses and that the joiner gives at
//! least what the creator wants; then builds the descriptor: the creator's
//! coins go to the joiner's auth key, the joiner's coins to the creator's.
//! Both sides computing it from the same two texts get the same descriptor
//! hash, and the relay refuses any sender whose descriptor differs.

mod encoding;
mod terms;
#[cfg(test)]
mod tests;

pub use terms::{SwapTerms, SwapTermsWire};

use encoding::{Reader, network_byte, open_payload, put_address, put_offers};

use crate::address::{Address, Network};
use crate::bech32m;
use crate::error::Error;
use crate::hex;
use crate::types::Id;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// HRP of an invite's text form.
pub const INVITE_HRP: &str = "lsi";
/// HRP of a join answer's text form.
pub const ANSWER_HRP: &str = "lsj";
/// The only payload version this code reads and writes.
pub const VERSION: u8 = 1;
const KIND_INVITE: u8 = 1;
const KIND_ANSWER: u8 = 2;
/// At most this many coins on each side of a swap.
pub const MAX_OFFERS: usize = 50;
/// Texts longer than this are refused before decoding (the largest valid
/// one, an invite with 50 coins, is 2,092 characters).
pub const MAX_TEXT_LEN: usize = 4096;

const OFFER_LEN: usize = 16 + 8;
const INVITE_FIXED_LEN: usize = 101;
const ANSWER_FIXED_LEN: usize = 93;

/// One coin a side gives, with its amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    pub statechain_id: Id,
    pub amount: u64,
}

/// What is wrong with a list of offers; mapped onto a creation error or a
/// decoding error depending on where the list came from.
enum OffersProblem {
    Empty,
    TooMany,
    ZeroAmount,
    Duplicate(Id),
}

fn check_offers(offers: &[Offer]) -> Result<(), OffersProblem> {
    if offers.is_empty() {
        return Err(OffersProblem::Empty);
    }
    if offers.len() > MAX_OFFERS {
        return Err(OffersProblem::TooMany);
    }
    if offers.iter().any(|o| o.amount == 0) {
        return Err(OffersProblem::ZeroAmount);
    }
    // At most MAX_OFFERS (checked above): a quadratic scan is a few
    // thousand comparisons, and no hash table code in the web wallet.
    for (i, o) in offers.iter().enumerate() {
        if offers[..i]
            .iter()
            .any(|p| p.statechain_id == o.statechain_id)
        {
            return Err(OffersProblem::Duplicate(o.statechain_id));
        }
    }
    Ok(())
}

/// For a caller building an invite or answer from its own choices.
fn creation_error(p: OffersProblem) -> Error {
    match p {
        OffersProblem::Empty => Error::InvalidSwap("choose at least one coin to give"),
        OffersProblem::TooMany => {
            Error::InvalidSwap("a swap takes at most 50 coins from each side")
        }
        OffersProblem::ZeroAmount => {
            Error::InvalidAmount("every coin given must have an amount above zero")
        }
        OffersProblem::Duplicate(id) => Error::DuplicateCoin(id.to_string()),
    }
}

/// For a text received from the other side.
fn decoding_error(p: OffersProblem) -> Error {
    Error::InvalidInvite(match p {
        OffersProblem::Empty => "it gives no coins",
        OffersProblem::TooMany => "it lists more than 50 coins",
        OffersProblem::ZeroAmount => "a coin in it has an amount of zero",
        OffersProblem::Duplicate(_) => "it lists the same coin twice",
    })
}

fn total(offers: &[Offer]) -> u128 {
    offers.iter().map(|o| u128::from(o.amount)).sum()
}

fn check_network(receive: &Address, network: Network) -> Result<(), Error> {
    if receive.network != network {
        return Err(Error::WrongNetwork {
            expected: network.name().into(),
            found: receive.network.name().into(),
        });
    }
    Ok(())
}

/// Two addresses share a key: coins meant for one side could be claimed by
/// the other, so the two sides must receive at unrelated addresses.
fn same_address(a: &Address, b: &Address) -> bool {
    a.user_pubkey == b.user_pubkey || a.auth_pubkey == b.auth_pubkey
}

/// The creator's offer: "I give these coins and want at least `want` back,
/// paid to `receive`". Always valid: 1..=50 distinct coins with non-zero
/// amounts, `want ≥ 1`, `receive` on `network`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "InviteWire", into = "InviteWire")]
pub struct Invite {
    network: Network,
    batch_id: Id,
    gives: Vec<Offer>,
    want: u64,
    receive: Address,
    expires_at: u64,
}

/// The serde shape of an [`Invite`] (checked like [`Invite::new`] on input).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteWire {
    pub network: Network,
    pub batch_id: Id,
    pub gives: Vec<Offer>,
    pub want: u64,
    pub receive: Address,
    pub expires_at: u64,
}

impl Invite {
    /// A new invite. `batch_id` is a fresh v4 UUID from the caller's CSPRNG
    /// ([`Id::new_v4`]); `expires_at` is informational (the relay's batch
    /// deadline is what counts).
    pub fn new(
        network: Network,
        batch_id: Id,
        gives: Vec<Offer>,
        want: u64,
        receive: Address,
        expires_at: u64,
    ) -> Result<Invite, Error> {
        check_offers(&gives).map_err(creation_error)?;
        if want == 0 {
            return Err(Error::InvalidAmount(
                "the amount wanted in return must be above zero",
            ));
        }
        check_network(&receive, network)?;
        Ok(Invite {
            network,
            batch_id,
            gives,
            want,
            receive,
            expires_at,
        })
    }

    pub fn network(&self) -> Network {
        self.network
    }
    pub fn batch_id(&self) -> Id {
        self.batch_id
    }
    pub fn gives(&self) -> &[Offer] {
        &self.gives
    }
    pub fn want(&self) -> u64 {
        self.want
    }
    /// Where the creator receives the joiner's coins.
    pub fn receive(&self) -> Address {
        self.receive
    }
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }
    /// Whether `now` (Unix seconds, the relay's clock) is past `expires_at`.
    pub fn is_expired(&self, now: u64) -> bool {
        now > self.expires_at
    }
    /// The total amount the creator gives.
    pub fn gives_total(&self) -> u128 {
        total(&self.gives)
    }

    /// The canonical binary payload (see the module documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(INVITE_FIXED_LEN + OFFER_LEN * self.gives.len());
        out.extend_from_slice(&[VERSION, KIND_INVITE, network_byte(self.network)]);
        out.extend_from_slice(&self.batch_id.to_bytes());
        out.extend_from_slice(&self.expires_at.to_be_bytes());
        out.extend_from_slice(&self.want.to_be_bytes());
        put_address(&mut out, &self.receive);
        put_offers(&mut out, &self.gives);
        out
    }

    /// First 8 bytes of SHA256 of [`Invite::to_bytes`]: what a join answer
    /// carries to say which exact invite it answers.
    pub fn digest(&self) -> [u8; 8] {
        let h = Sha256::digest(self.to_bytes());
        let mut out = [0u8; 8];
        out.copy_from_slice(&h[..8]);
        out
    }

    /// The text form, `lsi1…` (lower case; upper case it for a QR code's
    /// alphanumeric mode).
    pub fn encode(&self) -> String {
        bech32m::encode(INVITE_HRP, &self.to_bytes())
    }

    /// Decodes an invite for a wallet on `network`. Every defect is
    /// [`Error::InvalidInvite`] with the reason.
    pub fn decode(text: &str, network: Network) -> Result<Invite, Error> {
        let payload = open_payload(text, KIND_INVITE, network)?;
        let mut r = Reader {
            rest: &payload[3..],
        };
        let batch_id = r.id()?;
        let expires_at = r.u64()?;
        let want = r.u64()?;
        let receive = r.address(network)?;
        let gives = r.offers()?;
        r.finish()?;
        if want == 0 {
            return Err(Error::InvalidInvite("the amount it asks for is zero"));
        }
        Ok(Invite {
            network,
            batch_id,
            gives,
            want,
            receive,
            expires_at,
        })
    }
}

impl fmt::Display for Invite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl TryFrom<InviteWire> for Invite {
    type Error = Error;
    fn try_from(w: InviteWire) -> Result<Self, Error> {
        Invite::new(
            w.network,
            w.batch_id,
            w.gives,
            w.want,
            w.receive,
            w.expires_at,
        )
    }
}

impl From<Invite> for InviteWire {
    fn from(i: Invite) -> Self {
        InviteWire {
            network: i.network,
            batch_id: i.batch_id,
            gives: i.gives,
            want: i.want,
            receive: i.receive,
            expires_at: i.expires_at,
        }
    }
}

/// The joiner's reply to one exact invite: "I give these coins, send yours
/// to `receive`". Always valid: 1..=50 distinct coins with non-zero amounts,
/// `receive` on `network`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "JoinAnswerWire", into = "JoinAnswerWire")]
pub struct JoinAnswer {
    network: Network,
    batch_id: Id,
    invite_digest: [u8; 8],
    gives: Vec<Offer>,
    receive: Address,
}

/// The serde shape of a [`JoinAnswer`]; `invite_digest` is 16 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinAnswerWire {
    pub network: Network,
    pub batch_id: Id,
    pub invite_digest: String,
    pub gives: Vec<Offer>,
    pub receive: Address,
}

impl JoinAnswer {
    /// Answers `invite` with the joiner's coins and receiving address.
    /// Refuses early what [`SwapTerms::agree`] would refuse: a coin the
    /// invite already gives, the invite's own receiving address, or coins
    /// adding up to less than the invite wants.
    pub fn new(invite: &Invite, gives: Vec<Offer>, receive: Address) -> Result<JoinAnswer, Error> {
        check_offers(&gives).map_err(creation_error)?;
        check_network(&receive, invite.network)?;
        if gives.iter().any(|o| {
            invite
                .gives
                .iter()
                .any(|t| t.statechain_id == o.statechain_id)
        }) {
            return Err(Error::InvalidSwap(
                "a coin you give is one the invite already gives",
            ));
        }
        if same_address(&receive, &invite.receive) {
            return Err(Error::InvalidSwap(
                "receive at an address of your own, not the one in the invite",
            ));
        }
        if total(&gives) < u128::from(invite.want) {
            return Err(Error::InvalidSwap(
                "the coins you give add up to less than the invite asks for",
            ));
        }
        Ok(JoinAnswer {
            network: invite.network,
            batch_id: invite.batch_id,
            invite_digest: invite.digest(),
            gives,
            receive,
        })
    }

    pub fn network(&self) -> Network {
        self.network
    }
    pub fn batch_id(&self) -> Id {
        self.batch_id
    }
    pub fn invite_digest(&self) -> [u8; 8] {
        self.invite_digest
    }
    pub fn gives(&self) -> &[Offer] {
        &self.gives
    }
    /// Where the joiner receives the creator's coins.
    pub fn receive(&self) -> Address {
        self.receive
    }
    /// The total amount the joiner gives.
    pub fn gives_total(&self) -> u128 {
        total(&self.gives)
    }

    /// The canonical binary payload (see the module documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(ANSWER_FIXED_LEN + OFFER_LEN * self.gives.len());
        out.extend_from_slice(&[VERSION, KIND_ANSWER, network_byte(self.network)]);
        out.extend_from_slice(&self.batch_id.to_bytes());
        out.extend_from_slice(&self.invite_digest);
        put_address(&mut out, &self.receive);
        put_offers(&mut out, &self.gives);
        out
    }

    /// The text form, `lsj1…`.
    pub fn encode(&self) -> String {
        bech32m::encode(ANSWER_HRP, &self.to_bytes())
    }

    /// Decodes a join answer for a wallet on `network`. Every defect is
    /// [`Error::InvalidInvite`] with the reason. Whether it answers *your*
    /// invite is [`SwapTerms::agree`]'s question.
    pub fn decode(text: &str, network: Network) -> Result<JoinAnswer, Error> {
        let payload = open_payload(text, KIND_ANSWER, network)?;
        let mut r = Reader {
            rest: &payload[3..],
        };
        let batch_id = r.id()?;
        let invite_digest = r.take::<8>()?;
        let receive = r.address(network)?;
        let gives = r.offers()?;
        r.finish()?;
        Ok(JoinAnswer {
            network,
            batch_id,
            invite_digest,
            gives,
            receive,
        })
    }
}

impl fmt::Display for JoinAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl TryFrom<JoinAnswerWire> for JoinAnswer {
    type Error = Error;
    fn try_from(w: JoinAnswerWire) -> Result<Self, Error> {
        check_offers(&w.gives).map_err(creation_error)?;
        check_network(&w.receive, w.network)?;
        let invite_digest = hex::decode_array::<8>(&w.invite_digest)?;
        Ok(JoinAnswer {
            network: w.network,
            batch_id: w.batch_id,
            invite_digest,
            gives: w.gives,
            receive: w.receive,
        })
    }
}

impl From<JoinAnswer> for JoinAnswerWire {
    fn from(a: JoinAnswer) -> Self {
        JoinAnswerWire {
            network: a.network,
            batch_id: a.batch_id,
            invite_digest: hex::encode(&a.invite_digest),
            gives: a.gives,
            receive: a.receive,
        }
    }
}
