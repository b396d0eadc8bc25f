//! Keys (§2): a 12-word BIP39 phrase, BIP32 derivation of the user key at
//! `m/86'/0'/0'/0/i` and the auth key at `m/89'/0'/0'/0/i`.

use crate::error::Error;
use crate::signing::message_hash;
use crate::types::{Point, Scalar, Sig, XOnly};
use bip32::{ChildNumber, DerivationPath, XPrv};
use k256::schnorr;
use std::str::FromStr;

/// A validated 12-word English recovery phrase.
#[derive(Clone, PartialEq, Eq)]
pub struct Mnemonic(bip39::Mnemonic);

impl Mnemonic {
    /// A new phrase from 16 bytes of caller-supplied CSPRNG output.
    pub fn from_entropy(entropy: [u8; 16]) -> Self {
        // 128 bits is a valid BIP39 entropy length, so this cannot fail.
        Mnemonic(bip39::Mnemonic::from_entropy(&entropy).unwrap_or_else(|_| unreachable!()))
    }

    /// Parses a phrase typed by a person: case and extra spaces are forgiven,
    /// a wrong word or checksum is named.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
        if words.len() != 12 {
            return Err(Error::MnemonicWordCount(words.len()));
        }
        let normalized = words.join(" ");
        match bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &normalized) {
            Ok(m) => Ok(Mnemonic(m)),
            Err(bip39::Error::UnknownWord(i)) => Err(Error::UnknownMnemonicWord {
                position: i + 1,
                word: words.get(i).cloned().unwrap_or_default(),
            }),
            Err(bip39::Error::InvalidChecksum) => Err(Error::MnemonicChecksum),
            Err(_) => Err(Error::MnemonicWordCount(words.len())),
        }
    }

    pub fn words(&self) -> Vec<&'static str> {
        self.0.words().collect()
    }

    pub fn phrase(&self) -> String {
        self.words().join(" ")
    }

    /// The BIP39 seed (empty passphrase).
    pub fn to_seed(&self) -> [u8; 64] {
        self.0.to_seed_normalized("")
    }
}

impl std::fmt::Debug for Mnemonic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Mnemonic(..)")
    }
}

/// A BIP340 signing key (the auth key of an address, or the relay's key).
#[derive(Clone)]
pub struct AuthKey(schnorr::SigningKey);

impl AuthKey {
    pub fn from_scalar(s: &Scalar) -> Self {
        AuthKey(schnorr::SigningKey::from(s.0))
    }
    pub fn public(&self) -> XOnly {
        XOnly::from_verifying_key(*self.0.verifying_key())
    }
    /// Signs `SHA256(utf8(signing_string))` (§1) with fresh auxiliary randomness.
    pub fn sign(&self, signing_string: &str, aux_rand: [u8; 32]) -> Sig {
        self.sign_digest(&message_hash(signing_string), aux_rand)
    }
    /// BIP340 over a 32-byte message.
    pub fn sign_digest(&self, msg: &[u8; 32], aux_rand: [u8; 32]) -> Sig {
        // sign_raw only fails when the nonce is zero: probability 2^-256.
        let sig = self
            .0
            .sign_raw(msg, &aux_rand)
            .unwrap_or_else(|_| unreachable!("BIP340 nonce was zero"));
        let bytes: [u8; 64] = sig.to_bytes();
        Sig::from_bytes(bytes).unwrap_or_else(|_| unreachable!())
    }
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.0.to_bytes().into()
    }
}

impl std::fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuthKey({})", self.public())
    }
}

/// The key pair of one address index.
#[derive(Clone, Debug)]
pub struct AddressKeys {
    pub index: u32,
    /// `o`: the user key share of coins sent to this address.
    pub user: Scalar,
    /// `a`: signs requests about coins owned through this address.
    pub auth: AuthKey,
}

impl AddressKeys {
    pub fn user_pubkey(&self) -> Point {
        self.user.public()
    }
    pub fn auth_pubkey(&self) -> XOnly {
        self.auth.public()
    }
}

/// The account-level keys of a wallet, from which every address is derived.
#[derive(Clone)]
pub struct WalletKeys {
    user_account: XPrv,
    auth_account: XPrv,
}

const USER_PATH: &str = "m/86'/0'/0'/0";
const AUTH_PATH: &str = "m/89'/0'/0'/0";

impl WalletKeys {
    pub fn from_mnemonic(m: &Mnemonic) -> Self {
        Self::from_seed(&m.to_seed())
    }

    pub fn from_seed(seed: &[u8; 64]) -> Self {
        let derive = |path: &str| {
            let path = DerivationPath::from_str(path).unwrap_or_else(|_| unreachable!());
            // Fails only for a seed whose derived key is invalid (2^-127).
            XPrv::derive_from_path(seed, &path)
                .unwrap_or_else(|_| unreachable!("invalid BIP32 seed"))
        };
        WalletKeys {
            user_account: derive(USER_PATH),
            auth_account: derive(AUTH_PATH),
        }
    }

    /// Keys of address index `i` (non-hardened, below 2^31).
    pub fn address(&self, index: u32) -> Result<AddressKeys, Error> {
        let child = |account: &XPrv| -> Result<Scalar, Error> {
            let n = ChildNumber::new(index, false)
                .map_err(|_| Error::InvalidAmount("address index must be below 2^31"))?;
            let key = account.derive_child(n).map_err(|_| Error::InvalidScalar)?;
            Scalar::from_bytes(&key.to_bytes())
        };
        Ok(AddressKeys {
            index,
            user: child(&self.user_account)?,
            auth: AuthKey::from_scalar(&child(&self.auth_account)?),
        })
    }
}

impl std::fmt::Debug for WalletKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WalletKeys(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    // BIP39 vector (Trezor set): entropy 0x00*16, passphrase "TREZOR".
    #[test]
    fn bip39_vector_all_zero_entropy() {
        let m = Mnemonic::from_entropy([0u8; 16]);
        assert_eq!(
            m.phrase(),
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
        );
        let seed = m.0.to_seed("TREZOR");
        assert_eq!(
            crate::hex::encode(&seed),
            "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
        );
    }

    #[test]
    fn bip39_vector_7f() {
        let m = Mnemonic::from_entropy([0x7f; 16]);
        assert_eq!(
            m.phrase(),
            "legal winner thank year wave sausage worth useful legal winner thank yellow"
        );
    }

    #[test]
    fn parse_names_the_wrong_word_and_checksum() {
        let ok = "legal winner thank year wave sausage worth useful legal winner thank yellow";
        assert!(Mnemonic::parse(ok).is_ok());
        assert!(Mnemonic::parse(&format!("  {}  ", ok.to_uppercase())).is_ok());
        let typo = ok.replace("sausage", "sausages");
        assert_eq!(
            Mnemonic::parse(&typo),
            Err(Error::UnknownMnemonicWord {
                position: 6,
                word: "sausages".into()
            })
        );
        let swapped = ok.replace("yellow", "legal");
        assert_eq!(Mnemonic::parse(&swapped), Err(Error::MnemonicChecksum));
        assert_eq!(
            Mnemonic::parse("legal winner"),
            Err(Error::MnemonicWordCount(2))
        );
    }

    // BIP32 test vector 1: seed 000102...0f, chain m/0H/1 private key.
    #[test]
    fn bip32_vector_1() {
        let seed = crate::hex::decode("000102030405060708090a0b0c0d0e0f").unwrap();
        let path = DerivationPath::from_str("m/0'/1").unwrap();
        let k = XPrv::derive_from_path(&seed, &path).unwrap();
        assert_eq!(
            k.to_string(bip32::Prefix::XPRV).as_str(),
            "xprv9wTYmMFdV23N2TdNG573QoEsfRrWKQgWeibmLntzniatZvR9BmLnvSxqu53Kw1UmYPxLgboyZQaXwTCg8MSY3H2EU4pWcQDnRnrVA1xe8fs"
        );
    }

    #[test]
    fn addresses_are_distinct_and_deterministic() {
        let keys = WalletKeys::from_mnemonic(&Mnemonic::from_entropy([1; 16]));
        let a0 = keys.address(0).unwrap();
        let a1 = keys.address(1).unwrap();
        assert_ne!(a0.user_pubkey(), a1.user_pubkey());
        assert_ne!(a0.auth_pubkey(), a1.auth_pubkey());
        assert_eq!(keys.address(0).unwrap().auth_pubkey(), a0.auth_pubkey());
        assert!(keys.address(1 << 31).is_err());
    }
}
