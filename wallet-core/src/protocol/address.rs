//! Addresses (§2): bech32m over `0x00 ‖ O (33) ‖ A (32 x-only)`, HRP by network.

use crate::bech32m::{self, DecodeError};
use crate::error::Error;
use crate::types::{Point, XOnly};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The relay's network. Only `demo` runs today; `bitcoin` is reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    Demo,
    Bitcoin,
}

impl Network {
    pub fn hrp(self) -> &'static str {
        match self {
            Network::Demo => "tml",
            Network::Bitcoin => "ml",
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Network::Demo => "demo",
            Network::Bitcoin => "bitcoin",
        }
    }
    fn from_hrp(hrp: &str) -> Option<Network> {
        match hrp {
            "tml" => Some(Network::Demo),
            "ml" => Some(Network::Bitcoin),
            _ => None,
        }
    }
}

/// Where a coin can be sent: the receiver's user key `O` and auth key `A`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Address {
    pub network: Network,
    pub user_pubkey: Point,
    pub auth_pubkey: XOnly,
}

const VERSION: u8 = 0;

impl Address {
    pub fn encode(&self) -> String {
        let mut data = Vec::with_capacity(66);
        data.push(VERSION);
        data.extend_from_slice(&self.user_pubkey.to_bytes());
        data.extend_from_slice(&self.auth_pubkey.to_bytes());
        bech32m::encode(self.network.hrp(), &data)
    }

    /// Decodes any network's address; see [`Address::decode_for`].
    pub fn decode(text: &str) -> Result<Address, Error> {
        let (hrp, data) = bech32m::decode(text.trim()).map_err(|e| match e {
            DecodeError::Checksum => Error::AddressChecksum,
            DecodeError::MixedCase => Error::AddressFormat("it mixes upper and lower case"),
            DecodeError::NoSeparator => Error::AddressFormat("it has no separator"),
            DecodeError::InvalidChar => {
                Error::AddressFormat("it contains a character bech32m does not use")
            }
            DecodeError::Padding => Error::AddressFormat("its length is wrong"),
        })?;
        let network = Network::from_hrp(&hrp).ok_or(Error::AddressFormat("unknown prefix"))?;
        if data.len() != 66 {
            return Err(Error::AddressFormat("its length is wrong"));
        }
        if data[0] != VERSION {
            return Err(Error::AddressFormat("unsupported address version"));
        }
        let mut o = [0u8; 33];
        o.copy_from_slice(&data[1..34]);
        let mut a = [0u8; 32];
        a.copy_from_slice(&data[34..66]);
        Ok(Address {
            network,
            user_pubkey: Point::from_bytes(&o)
                .map_err(|_| Error::AddressFormat("its user key is not a curve point"))?,
            auth_pubkey: XOnly::from_bytes(&a)
                .map_err(|_| Error::AddressFormat("its auth key is not a curve point"))?,
        })
    }

    /// Decodes and insists on `network`.
    pub fn decode_for(text: &str, network: Network) -> Result<Address, Error> {
        let a = Address::decode(text)?;
        if a.network != network {
            return Err(Error::WrongNetwork {
                expected: network.name().into(),
                found: a.network.name().into(),
            });
        }
        Ok(a)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.encode())
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Address::decode(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Mnemonic, WalletKeys};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn sample() -> Address {
        let k = WalletKeys::from_mnemonic(&Mnemonic::from_entropy([0; 16]))
            .address(0)
            .unwrap();
        Address {
            network: Network::Demo,
            user_pubkey: k.user_pubkey(),
            auth_pubkey: k.auth_pubkey(),
        }
    }

    #[test]
    fn round_trip_and_prefix() {
        let a = sample();
        let s = a.encode();
        assert!(s.starts_with("tml1"));
        assert_eq!(Address::decode(&s).unwrap(), a);
        assert_eq!(Address::decode(&s.to_uppercase()).unwrap(), a);
    }

    #[test]
    fn rejects_wrong_network_version_length_and_point() {
        let a = sample();
        let main = Address {
            network: Network::Bitcoin,
            ..a
        }
        .encode();
        assert!(main.starts_with("ml1"));
        assert!(matches!(
            Address::decode_for(&main, Network::Demo),
            Err(Error::WrongNetwork { .. })
        ));

        let mut data = vec![1u8];
        data.extend_from_slice(&a.user_pubkey.to_bytes());
        data.extend_from_slice(&a.auth_pubkey.to_bytes());
        assert!(Address::decode(&bech32m::encode("tml", &data)).is_err());
        assert!(Address::decode(&bech32m::encode("tml", &data[..65])).is_err());
        data[0] = 0;
        data[1] = 0x05;
        assert!(Address::decode(&bech32m::encode("tml", &data)).is_err());
        assert!(Address::decode(&bech32m::encode("xyz", &[0u8; 66])).is_err());
    }

    #[test]
    fn rejects_a_typo() {
        let s = sample().encode();
        let mut chars: Vec<char> = s.chars().collect();
        chars[10] = if chars[10] == 'q' { 'p' } else { 'q' };
        let typo: String = chars.into_iter().collect();
        assert_eq!(Address::decode(&typo), Err(Error::AddressChecksum));
    }
}

#[cfg(test)]
mod vectors {
    use super::*;
    use crate::keys::{Mnemonic, WalletKeys};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Known-answer vector, also printed in docs/PROTOCOL-NOTES.md: the
    /// phrase "abandon … about", address index 0, demo network.
    #[test]
    fn known_answer_vector() {
        let k = WalletKeys::from_mnemonic(&Mnemonic::from_entropy([0; 16]))
            .address(0)
            .unwrap();
        let a = Address {
            network: Network::Demo,
            user_pubkey: k.user_pubkey(),
            auth_pubkey: k.auth_pubkey(),
        };
        assert_eq!(k.user_pubkey().to_string(), ADDRESS_KAT.0);
        assert_eq!(k.auth_pubkey().to_string(), ADDRESS_KAT.1);
        assert_eq!(a.encode(), ADDRESS_KAT.2);
    }

    const ADDRESS_KAT: (&str, &str, &str) = (
        "03cc8a4bc64d897bddc5fbc2f670f7a8ba0b386779106cf1223c6fc5d7cd6fc115",
        "f06e759122dcc3624190d66db9052e3d19ada4d92ddada94abb41ab7886cb57e",
        "tml1qqpuezjtcexcj77achau9ans775t5zecvau3qm83yg7xl3whe4huz90sde6ezgkucd3yryxkdkus2t3arxk6fkfdmtdff2a5r2mcsm940cerjq7n",
    );
}
