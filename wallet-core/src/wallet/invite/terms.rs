//! What both sides of a swap agree to: [`SwapTerms`], built from an
//! [`Invite`] and the [`JoinAnswer`] to it.

use crate::address::Address;
use crate::descriptor::{ABSOLUTE_MAX_LINES, BatchTransfer, Descriptor};
use crate::error::Error;
use crate::types::{Hash32, Id};
use serde::{Deserialize, Serialize};

use super::{Invite, JoinAnswer, Offer, same_address, total};

/// What both sides agreed to: the batch descriptor and who gets which coin.
/// Always consistent: the descriptor is exactly the one built from the two
/// sides' coins and addresses (checked again on deserialization).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "SwapTermsWire", into = "SwapTermsWire")]
pub struct SwapTerms {
    descriptor: Descriptor,
    creator_receive: Address,
    joiner_receive: Address,
    creator_gives: Vec<Offer>,
    joiner_gives: Vec<Offer>,
}

/// The serde shape of [`SwapTerms`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwapTermsWire {
    pub descriptor: Descriptor,
    pub creator_receive: Address,
    pub joiner_receive: Address,
    pub creator_gives: Vec<Offer>,
    pub joiner_gives: Vec<Offer>,
}

impl SwapTerms {
    /// Checks that `answer` answers exactly `invite` and that the swap is
    /// fair to the creator, then builds the descriptor (at most
    /// `max_batch_size` lines, the relay's limit). Both sides run this on
    /// the same two texts and get the same descriptor hash.
    pub fn agree(
        invite: &Invite,
        answer: &JoinAnswer,
        max_batch_size: usize,
    ) -> Result<SwapTerms, Error> {
        if answer.network != invite.network {
            return Err(Error::InvalidInvite(
                "the answer is for another network than the invite",
            ));
        }
        if answer.batch_id != invite.batch_id {
            return Err(Error::InvalidInvite("the answer is for another swap"));
        }
        if answer.invite_digest != invite.digest() {
            return Err(Error::InvalidInvite(
                "the answer was made for a different invite (the invite it answers was changed)",
            ));
        }
        if total(&answer.gives) < u128::from(invite.want) {
            return Err(Error::InvalidInvite(
                "the coins the answer gives add up to less than the invite asks for",
            ));
        }
        SwapTerms::build(
            invite.batch_id,
            invite.receive,
            answer.receive,
            invite.gives.clone(),
            answer.gives.clone(),
            max_batch_size,
        )
    }

    fn build(
        batch_id: Id,
        creator_receive: Address,
        joiner_receive: Address,
        creator_gives: Vec<Offer>,
        joiner_gives: Vec<Offer>,
        max_batch_size: usize,
    ) -> Result<SwapTerms, Error> {
        if creator_receive.network != joiner_receive.network {
            return Err(Error::InvalidInvite(
                "the two sides' addresses are on different networks",
            ));
        }
        // Both lists are at most MAX_OFFERS long: a scan, no hash table.
        if joiner_gives.iter().any(|o| {
            creator_gives
                .iter()
                .any(|c| c.statechain_id == o.statechain_id)
        }) {
            return Err(Error::InvalidInvite("the same coin is given by both sides"));
        }
        if same_address(&creator_receive, &joiner_receive) {
            return Err(Error::InvalidInvite(
                "both sides would receive at the same address",
            ));
        }
        let line = |o: &Offer, to: &Address| BatchTransfer {
            statechain_id: o.statechain_id,
            new_user_auth_key: to.auth_pubkey,
            amount: o.amount,
        };
        let lines = creator_gives
            .iter()
            .map(|o| line(o, &joiner_receive))
            .chain(joiner_gives.iter().map(|o| line(o, &creator_receive)))
            .collect();
        let descriptor = Descriptor::new(batch_id, lines, max_batch_size)?;
        Ok(SwapTerms {
            descriptor,
            creator_receive,
            joiner_receive,
            creator_gives,
            joiner_gives,
        })
    }

    pub fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }
    pub fn descriptor_hash(&self) -> Hash32 {
        self.descriptor.hash()
    }
    pub fn batch_id(&self) -> Id {
        self.descriptor.batch_id()
    }
    /// Where the creator receives the joiner's coins.
    pub fn creator_receive(&self) -> Address {
        self.creator_receive
    }
    /// Where the joiner receives the creator's coins.
    pub fn joiner_receive(&self) -> Address {
        self.joiner_receive
    }
    pub fn creator_gives(&self) -> &[Offer] {
        &self.creator_gives
    }
    pub fn joiner_gives(&self) -> &[Offer] {
        &self.joiner_gives
    }

    /// The full address (user key and auth key) coin `statechain_id` goes
    /// to, or `None` for a coin not in this swap.
    pub fn recipient_of(&self, statechain_id: &Id) -> Option<Address> {
        if self
            .creator_gives
            .iter()
            .any(|o| o.statechain_id == *statechain_id)
        {
            Some(self.joiner_receive)
        } else if self
            .joiner_gives
            .iter()
            .any(|o| o.statechain_id == *statechain_id)
        {
            Some(self.creator_receive)
        } else {
            None
        }
    }
}

impl TryFrom<SwapTermsWire> for SwapTerms {
    type Error = Error;
    fn try_from(w: SwapTermsWire) -> Result<Self, Error> {
        let terms = SwapTerms::build(
            w.descriptor.batch_id(),
            w.creator_receive,
            w.joiner_receive,
            w.creator_gives,
            w.joiner_gives,
            ABSOLUTE_MAX_LINES,
        )?;
        if terms.descriptor != w.descriptor {
            return Err(Error::InvalidInvite(
                "its descriptor does not match the coins and addresses it lists",
            ));
        }
        Ok(terms)
    }
}

impl From<SwapTerms> for SwapTermsWire {
    fn from(t: SwapTerms) -> Self {
        SwapTermsWire {
            descriptor: t.descriptor,
            creator_receive: t.creator_receive,
            joiner_receive: t.joiner_receive,
            creator_gives: t.creator_gives,
            joiner_gives: t.joiner_gives,
        }
    }
}
