//! Keys (§2): a 12-word BIP39 phrase, BIP32 derivation of the user key at
//! `m/86'/0'/0'/0/i` and the auth key at `m/89'/0'/0'/0/i`.
//!
//! BIP39 is written here (wordlist, checksum, PBKDF2 seed) rather than taken
//! from the `bip39` crate, which brought a second SHA-2 implementation and
//! Unicode tables into the web wallet.

use crate::error::Error;
use crate::signing::message_hash;
use crate::types::{Point, Scalar, Sig, XOnly};
use hmac::{Hmac, KeyInit, Mac};
use k256::elliptic_curve::PrimeField;
use k256::{FieldBytes, schnorr};
use sha2::{Digest, Sha256, Sha512};

/// The BIP39 English wordlist, one word a line, sorted.
const WORDLIST: &str = include_str!("bip39-english.txt");

fn word(index: u16) -> &'static str {
    WORDLIST.lines().nth(usize::from(index)).unwrap_or_default()
}

fn word_index(word: &str) -> Option<u16> {
    // 2048 entries: fits a u16.
    WORDLIST.lines().position(|w| w == word).map(|i| i as u16)
}

/// A validated 12-word English recovery phrase (BIP39, 128 bits of
/// entropy and a 4-bit checksum).
#[derive(Clone, PartialEq, Eq)]
pub struct Mnemonic([u8; 16]);

impl Mnemonic {
    /// A new phrase from 16 bytes of caller-supplied CSPRNG output.
    pub fn from_entropy(entropy: [u8; 16]) -> Self {
        Mnemonic(entropy)
    }

    /// Parses a phrase typed by a person: case and extra spaces are forgiven,
    /// a wrong word or checksum is named.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let words: Vec<String> = text
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        if words.len() != 12 {
            return Err(Error::MnemonicWordCount(words.len()));
        }
        let mut bits: u128 = 0;
        let mut last = 0;
        for (i, w) in words.iter().enumerate() {
            let index = word_index(w).ok_or_else(|| Error::UnknownMnemonicWord {
                position: i + 1,
                word: w.clone(),
            })?;
            if i < 11 {
                bits |= u128::from(index) << (128 - 11 * (i + 1));
            } else {
                last = index;
            }
        }
        // The last word: the entropy's low 7 bits, then the 4 checksum bits.
        bits |= u128::from(last >> 4);
        let m = Mnemonic(bits.to_be_bytes());
        if m.checksum() != last & 0xf {
            return Err(Error::MnemonicChecksum);
        }
        Ok(m)
    }

    /// The first 4 bits of SHA-256 of the entropy.
    fn checksum(&self) -> u16 {
        u16::from(Sha256::digest(self.0)[0] >> 4)
    }

    pub fn words(&self) -> Vec<&'static str> {
        let bits = u128::from_be_bytes(self.0);
        let mut out: Vec<&'static str> = (0..11)
            .map(|i| word(((bits >> (128 - 11 * (i + 1))) & 0x7ff) as u16))
            .collect();
        out.push(word(((bits & 0x7f) as u16) << 4 | self.checksum()));
        out
    }

    pub fn phrase(&self) -> String {
        self.words().join(" ")
    }

    /// The BIP39 seed (empty passphrase).
    pub fn to_seed(&self) -> [u8; 64] {
        self.seed("")
    }

    /// PBKDF2-HMAC-SHA512 of the phrase, salt `"mnemonic" ‖ passphrase`,
    /// 2048 rounds. The phrase is ASCII, so already in NFKD form; so must
    /// `passphrase` be.
    fn seed(&self, passphrase: &str) -> [u8; 64] {
        let mac = Hmac::<Sha512>::new_from_slice(self.phrase().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        let mut round = mac.clone();
        round.update(b"mnemonic");
        round.update(passphrase.as_bytes());
        round.update(&1u32.to_be_bytes());
        let mut u: [u8; 64] = round.finalize().into_bytes().into();
        let mut out = u;
        for _ in 1..2048 {
            let mut round = mac.clone();
            round.update(&u);
            u = round.finalize().into_bytes().into();
            for (o, b) in out.iter_mut().zip(u) {
                *o ^= b;
            }
        }
        out
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

/// A BIP32 extended private key: the key and its chain code.
#[derive(Clone)]
struct ExtendedKey {
    key: Scalar,
    chain_code: [u8; 32],
}

const HARDENED: u32 = 1 << 31;

/// A uniformly random scalar in `[1, n-1]` by rejection sampling: 32 bytes
/// from `fill` (the caller's CSPRNG: wallet-core has none) until they are a
/// valid non-zero scalar, which all but about 2⁻¹²⁸ of draws are. A failure
/// of `fill` is returned as it is.
pub fn random_scalar<E>(mut fill: impl FnMut(&mut [u8]) -> Result<(), E>) -> Result<Scalar, E> {
    let mut bytes = [0u8; 32];
    loop {
        fill(&mut bytes)?;
        if let Ok(s) = Scalar::from_bytes(&bytes) {
            return Ok(s);
        }
    }
}

fn hmac_sha512(key: &[u8], parts: &[&[u8]]) -> [u8; 64] {
    let mut mac = Hmac::<Sha512>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

impl ExtendedKey {
    /// `I = HMAC-SHA512(c, data)`; the child key is `parse256(I_L) + k`.
    /// `None` when that is not a valid key (probability about 2^-127).
    fn from_hmac(i: [u8; 64], parent: Option<&Scalar>) -> Option<ExtendedKey> {
        let (mut il, mut chain_code) = ([0u8; 32], [0u8; 32]);
        il.copy_from_slice(&i[..32]);
        chain_code.copy_from_slice(&i[32..]);
        let tweak: k256::Scalar = Option::from(k256::Scalar::from_repr(FieldBytes::from(il)))?;
        let key = Scalar::from_k256(parent.map_or(tweak, |k| tweak + k.to_k256()))?;
        Some(ExtendedKey { key, chain_code })
    }

    fn master(seed: &[u8]) -> Option<ExtendedKey> {
        Self::from_hmac(hmac_sha512(b"Bitcoin seed", &[seed]), None)
    }

    /// CKDpriv: hardened from the private key, otherwise from the public key.
    fn child(&self, index: u32) -> Option<ExtendedKey> {
        let i = if index >= HARDENED {
            let key = self.key.to_bytes();
            hmac_sha512(&self.chain_code, &[&[0], &key, &index.to_be_bytes()])
        } else {
            let point = self.key.public().to_bytes();
            hmac_sha512(&self.chain_code, &[&point, &index.to_be_bytes()])
        };
        Self::from_hmac(i, Some(&self.key))
    }

    fn derive(seed: &[u8], path: &[u32]) -> Option<ExtendedKey> {
        path.iter()
            .try_fold(Self::master(seed)?, |k, &index| k.child(index))
    }
}

/// The account-level keys of a wallet, from which every address is derived
/// (BIP32, written here: a few lines over HMAC-SHA512 and the curve).
#[derive(Clone)]
pub struct WalletKeys {
    user_account: ExtendedKey,
    auth_account: ExtendedKey,
}

/// `m/86'/0'/0'/0`
const USER_PATH: [u32; 4] = [86 | HARDENED, HARDENED, HARDENED, 0];
/// `m/89'/0'/0'/0`
const AUTH_PATH: [u32; 4] = [89 | HARDENED, HARDENED, HARDENED, 0];

impl WalletKeys {
    pub fn from_mnemonic(m: &Mnemonic) -> Self {
        Self::from_seed(&m.to_seed())
    }

    pub fn from_seed(seed: &[u8; 64]) -> Self {
        // Fails only for a seed whose derived key is invalid (2^-127).
        let derive = |path: &[u32]| {
            ExtendedKey::derive(seed, path).unwrap_or_else(|| unreachable!("invalid BIP32 seed"))
        };
        WalletKeys {
            user_account: derive(&USER_PATH),
            auth_account: derive(&AUTH_PATH),
        }
    }

    /// Keys of address index `i` (non-hardened, below 2^31).
    pub fn address(&self, index: u32) -> Result<AddressKeys, Error> {
        if index >= HARDENED {
            return Err(Error::InvalidAmount("address index must be below 2^31"));
        }
        let child = |account: &ExtendedKey| -> Result<Scalar, Error> {
            Ok(account.child(index).ok_or(Error::InvalidScalar)?.key)
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

    // The official BIP39 vectors with 128 bits of entropy (Trezor set,
    // passphrase "TREZOR"): entropy, phrase, seed.
    const BIP39_VECTORS: [(&str, &str, &str); 8] = [
        (
            "00000000000000000000000000000000",
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
            "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04",
        ),
        (
            "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f",
            "legal winner thank year wave sausage worth useful legal winner thank yellow",
            "2e8905819b8723fe2c1d161860e5ee1830318dbf49a83bd451cfb8440c28bd6fa457fe1296106559a3c80937a1c1069be3a3a5bd381ee6260e8d9739fce1f607",
        ),
        (
            "80808080808080808080808080808080",
            "letter advice cage absurd amount doctor acoustic avoid letter advice cage above",
            "d71de856f81a8acc65e6fc851a38d4d7ec216fd0796d0a6827a3ad6ed5511a30fa280f12eb2e47ed2ac03b5c462a0358d18d69fe4f985ec81778c1b370b652a8",
        ),
        (
            "ffffffffffffffffffffffffffffffff",
            "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong",
            "ac27495480225222079d7be181583751e86f571027b0497b5b5d11218e0a8a13332572917f0f8e5a589620c6f15b11c61dee327651a14c34e18231052e48c069",
        ),
        (
            "9e885d952ad362caeb4efe34a8e91bd2",
            "ozone drill grab fiber curtain grace pudding thank cruise elder eight picnic",
            "274ddc525802f7c828d8ef7ddbcdc5304e87ac3535913611fbbfa986d0c9e5476c91689f9c8a54fd55bd38606aa6a8595ad213d4c9c9f9aca3fb217069a41028",
        ),
        (
            "c0ba5a8e914111210f2bd131f3d5e08d",
            "scheme spot photo card baby mountain device kick cradle pact join borrow",
            "ea725895aaae8d4c1cf682c1bfd2d358d52ed9f0f0591131b559e2724bb234fca05aa9c02c57407e04ee9dc3b454aa63fbff483a8b11de949624b9f1831a9612",
        ),
        (
            "23db8160a31d3e0dca3688ed941adbf3",
            "cat swing flag economy stadium alone churn speed unique patch report train",
            "deb5f45449e615feff5640f2e49f933ff51895de3b4381832b3139941c57b59205a42480c52175b6efcffaa58a2503887c1e8b363a707256bdd2b587b46541f5",
        ),
        (
            "f30f8c1da665478f49b001d94c5fc452",
            "vessel ladder alter error federal sibling chat ability sun glass valve picture",
            "2aaa9242daafcee6aa9d7269f17d4efe271e1b9a529178d7dc139cd18747090bf9d60295d0ce74309a78852a9caadf0af48aae1c6253839624076224374bc63f",
        ),
    ];

    #[test]
    fn bip39_official_vectors() {
        for (entropy, phrase, seed) in BIP39_VECTORS {
            let entropy: [u8; 16] = crate::hex::decode(entropy).unwrap().try_into().unwrap();
            let m = Mnemonic::from_entropy(entropy);
            assert_eq!(m.phrase(), phrase);
            assert_eq!(Mnemonic::parse(phrase).unwrap(), m);
            assert_eq!(crate::hex::encode(&m.seed("TREZOR")), seed);
        }
    }

    #[test]
    fn wordlist_is_the_bip39_english_list() {
        use sha2::{Digest, Sha256};
        // SHA-256 of the official english.txt (bitcoin/bips, bip-0039).
        assert_eq!(
            crate::hex::encode(&Sha256::digest(WORDLIST.as_bytes())),
            "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"
        );
        let words: Vec<&str> = WORDLIST.lines().collect();
        assert_eq!(words.len(), 2048);
        assert!(
            words.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates"
        );
        assert_eq!(
            (words[0], words[1000], words[2047]),
            ("abandon", "laptop", "zoo")
        );
        assert_eq!(word_index("zoo"), Some(2047));
        assert_eq!(word_index("zoos"), None);
    }

    #[test]
    fn to_seed_has_an_empty_passphrase() {
        // The seed of the all-zero phrase that the key vectors in
        // PROTOCOL-NOTES.md start from (computed independently with
        // Python's hashlib.pbkdf2_hmac).
        let m = Mnemonic::from_entropy([0u8; 16]);
        assert_eq!(m.to_seed(), m.seed(""));
        assert_eq!(
            crate::hex::encode(&m.to_seed()),
            "5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc19a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4"
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

    // BIP32 test vector 1 (seed 000102…0f): key and chain code of m/0H/1
    // and m/0H/1/2H/2/1000000000, decoded from the published xprv strings
    // ("xprv9wTYmMFdV23N2TdNG573…" and "xprvA41z7zogVVwxVSgdKUHD…").
    #[test]
    fn bip32_vector_1() {
        let seed = crate::hex::decode("000102030405060708090a0b0c0d0e0f").unwrap();
        let h = HARDENED;
        let cases: [(&[u32], &str, &str); 2] = [
            (
                &[h, 1],
                "3c6cb8d0f6a264c91ea8b5030fadaa8e538b020f0a387421a12de9319dc93368",
                "2a7857631386ba23dacac34180dd1983734e444fdbf774041578e9b6adb37c19",
            ),
            (
                &[h, 1, 2 | h, 2, 1_000_000_000],
                "471b76e389e528d6de6d816857e012c5455051cad6660850e58372a6c3e6e7c8",
                "c783e67b921d2beb8f6b389cc646d7263b4145701dadd2161548a8b078e65e9e",
            ),
        ];
        for (path, key, chain_code) in cases {
            let k = ExtendedKey::derive(&seed, path).unwrap();
            assert_eq!(crate::hex::encode(&k.key.to_bytes()), key);
            assert_eq!(crate::hex::encode(&k.chain_code), chain_code);
        }
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
