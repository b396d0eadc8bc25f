//! The binary payloads' pieces (see the module documentation of
//! [`super`]): the network byte, keys and offers written and read, and the
//! bech32m text opened and its header checked.

use crate::address::{Address, Network};
use crate::bech32m::{self, DecodeError};
use crate::error::Error;
use crate::types::{Id, Point, XOnly};

use super::{
    ANSWER_HRP, INVITE_HRP, KIND_INVITE, MAX_OFFERS, MAX_TEXT_LEN, OFFER_LEN, Offer, OffersProblem,
    VERSION, check_offers, decoding_error,
};

pub(super) fn network_byte(n: Network) -> u8 {
    match n {
        Network::Demo => 1,
        Network::Bitcoin => 2,
    }
}

pub(super) fn network_from_byte(b: u8) -> Option<Network> {
    match b {
        1 => Some(Network::Demo),
        2 => Some(Network::Bitcoin),
        _ => None,
    }
}

pub(super) fn put_address(out: &mut Vec<u8>, a: &Address) {
    out.extend_from_slice(&a.user_pubkey.to_bytes());
    out.extend_from_slice(&a.auth_pubkey.to_bytes());
}

pub(super) fn put_offers(out: &mut Vec<u8>, offers: &[Offer]) {
    // Construction keeps 1..=50 offers, so the count fits one byte.
    out.push(offers.len() as u8);
    for o in offers {
        out.extend_from_slice(&o.statechain_id.to_bytes());
        out.extend_from_slice(&o.amount.to_be_bytes());
    }
}

/// Reads fixed-width fields off a payload; running out is "cut short".
pub(super) struct Reader<'a> {
    pub(super) rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(super) fn take<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        if self.rest.len() < N {
            return Err(Error::InvalidInvite("it is cut short"));
        }
        let (head, tail) = self.rest.split_at(N);
        self.rest = tail;
        let mut out = [0u8; N];
        out.copy_from_slice(head);
        Ok(out)
    }
    pub(super) fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take::<1>()?[0])
    }
    pub(super) fn u64(&mut self) -> Result<u64, Error> {
        Ok(u64::from_be_bytes(self.take::<8>()?))
    }
    pub(super) fn id(&mut self) -> Result<Id, Error> {
        Ok(Id::from_bytes(self.take::<16>()?))
    }
    pub(super) fn address(&mut self, network: Network) -> Result<Address, Error> {
        let bad = |_| Error::InvalidInvite("its receiving address is not a valid key pair");
        let user_pubkey = Point::from_bytes(&self.take::<33>()?).map_err(bad)?;
        let auth_pubkey = XOnly::from_bytes(&self.take::<32>()?).map_err(bad)?;
        Ok(Address {
            network,
            user_pubkey,
            auth_pubkey,
        })
    }
    pub(super) fn offers(&mut self) -> Result<Vec<Offer>, Error> {
        let n = usize::from(self.u8()?);
        if n > MAX_OFFERS {
            return Err(decoding_error(OffersProblem::TooMany));
        }
        if self.rest.len() < n * OFFER_LEN {
            return Err(Error::InvalidInvite("it is cut short"));
        }
        let mut offers = Vec::with_capacity(n);
        for _ in 0..n {
            let statechain_id = self.id()?;
            let amount = self.u64()?;
            offers.push(Offer {
                statechain_id,
                amount,
            });
        }
        check_offers(&offers).map_err(decoding_error)?;
        Ok(offers)
    }
    pub(super) fn finish(&self) -> Result<(), Error> {
        if !self.rest.is_empty() {
            return Err(Error::InvalidInvite("it has extra data at the end"));
        }
        Ok(())
    }
}

/// Unwraps the bech32m text and checks the prefix and the header (version,
/// kind, network); returns the whole payload, whose fields start at byte 3.
pub(super) fn open_payload(text: &str, kind: u8, network: Network) -> Result<Vec<u8>, Error> {
    if text.len() > MAX_TEXT_LEN {
        return Err(Error::InvalidInvite("it is far longer than any swap code"));
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let (hrp, payload) = bech32m::decode(&compact).map_err(|e| {
        Error::InvalidInvite(match e {
            DecodeError::Checksum => {
                "a character is wrong or missing (its checksum does not match)"
            }
            DecodeError::MixedCase => "it mixes upper and lower case",
            DecodeError::NoSeparator => "it is not a Lockstep swap code",
            DecodeError::InvalidChar => "it contains a character swap codes do not use",
            DecodeError::Padding => "its length is wrong: it was cut short or has extra characters",
        })
    })?;
    let expected_hrp = if kind == KIND_INVITE {
        INVITE_HRP
    } else {
        ANSWER_HRP
    };
    if hrp != expected_hrp {
        return Err(Error::InvalidInvite(match hrp.as_str() {
            INVITE_HRP => "this is an invite, not a join answer: paste it where you join a swap",
            ANSWER_HRP => "this is a join answer, not an invite: open it on the swap you created",
            "tml" | "ml" => "this is a wallet address, not a swap code",
            _ => "it is not a Lockstep swap code",
        }));
    }
    let mut r = Reader { rest: &payload };
    if r.u8()? != VERSION {
        return Err(Error::InvalidInvite(
            "it was made by another version of Lockstep: update both wallets",
        ));
    }
    if r.u8()? != kind {
        return Err(Error::InvalidInvite(
            "its content does not match its prefix",
        ));
    }
    match network_from_byte(r.u8()?) {
        None => return Err(Error::InvalidInvite("it names an unknown network")),
        Some(n) if n != network => {
            return Err(Error::InvalidInvite(
                "it is for another network than this wallet's",
            ));
        }
        Some(_) => {}
    }
    Ok(payload)
}
