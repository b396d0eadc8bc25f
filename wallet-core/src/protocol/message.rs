//! The encrypted transfer message (§3): ECIES over secp256k1 with
//! HKDF-SHA256 and ChaCha20-Poly1305, and its JSON plaintext.

use crate::error::Error;
use crate::types::{Id, Point, Scalar, Sig, XOnly};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

const INFO: &[u8] = b"lockstep/v1/transfer-msg";
/// `E` (33) + `iv` (12) + Poly1305 tag (16).
pub const OVERHEAD: usize = 33 + 12 + 16;

/// What the sender tells the receiver (§3 plaintext).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferMessage {
    pub version: u64,
    pub statechain_id: Id,
    pub amount: u64,
    pub aggregated_pubkey: Point,
    pub sender_user_pubkey: Point,
    pub recipient_user_pubkey: Point,
    pub recipient_auth_pubkey: XOnly,
    pub batch_id: Option<Id>,
    pub seq: u64,
    pub t1: Scalar,
    pub transfer_sig: Sig,
}

fn shared_key(ecdh: &k256::ProjectivePoint, e_pub: &Point, o2: &Point) -> Result<Key, Error> {
    // x-coordinate of the shared point; identity is impossible for valid keys
    // but is refused rather than trusted.
    let z = Point::from_projective(ecdh)
        .ok_or(Error::DecryptionFailed)?
        .x_bytes();
    let mut salt = [0u8; 66];
    salt[..33].copy_from_slice(&e_pub.to_bytes());
    salt[33..].copy_from_slice(&o2.to_bytes());
    let mut okm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(&salt), &z)
        .expand(INFO, &mut okm)
        .map_err(|_| Error::DecryptionFailed)?;
    Ok(Key::from(okm))
}

/// Encrypts `plaintext` to the receiver's user key `o2_pub` with the caller's
/// ephemeral scalar `e` and nonce `iv`. Returns `E ‖ iv ‖ c`.
pub fn encrypt(o2_pub: &Point, plaintext: &[u8], e: &Scalar, iv: [u8; 12]) -> Vec<u8> {
    let e_pub = e.public();
    let ecdh = o2_pub.to_projective() * e.to_k256();
    // Both keys are valid points and e is non-zero, so this cannot fail.
    let key = shared_key(&ecdh, &e_pub, o2_pub).unwrap_or_else(|_| unreachable!());
    let c = ChaCha20Poly1305::new(&key)
        .encrypt(
            &Nonce::from(iv),
            Payload {
                msg: plaintext,
                aad: &e_pub.to_bytes(),
            },
        )
        .unwrap_or_else(|_| unreachable!("ChaCha20-Poly1305 encryption has no failure mode here"));
    let mut out = Vec::with_capacity(OVERHEAD + plaintext.len());
    out.extend_from_slice(&e_pub.to_bytes());
    out.extend_from_slice(&iv);
    out.extend_from_slice(&c);
    out
}

/// Decrypts `E ‖ iv ‖ c` with the receiver's user secret `o2`. Any failure is
/// [`Error::DecryptionFailed`]; no partial plaintext ever escapes.
pub fn decrypt(o2: &Scalar, wire: &[u8]) -> Result<Vec<u8>, Error> {
    if wire.len() < OVERHEAD {
        return Err(Error::DecryptionFailed);
    }
    let mut e_bytes = [0u8; 33];
    e_bytes.copy_from_slice(&wire[..33]);
    let e_pub = Point::from_bytes(&e_bytes).map_err(|_| Error::DecryptionFailed)?;
    let mut iv = [0u8; 12];
    iv.copy_from_slice(&wire[33..45]);
    let o2_pub = o2.public();
    let ecdh = e_pub.to_projective() * o2.to_k256();
    let key = shared_key(&ecdh, &e_pub, &o2_pub)?;
    ChaCha20Poly1305::new(&key)
        .decrypt(
            &Nonce::from(iv),
            Payload {
                msg: &wire[45..],
                aad: &e_bytes,
            },
        )
        .map_err(|_| Error::DecryptionFailed)
}

impl TransferMessage {
    pub fn seal(&self, o2_pub: &Point, e: &Scalar, iv: [u8; 12]) -> Vec<u8> {
        let json =
            serde_json::to_vec(self).unwrap_or_else(|_| unreachable!("plain struct serializes"));
        encrypt(o2_pub, &json, e, iv)
    }

    /// Decrypts and parses; refuses a version other than 1.
    pub fn open(o2: &Scalar, wire: &[u8]) -> Result<TransferMessage, Error> {
        let plain = decrypt(o2, wire)?;
        // The version first, so a later version is named as such rather
        // than refused for its unknown fields. (Two passes over the text
        // rather than one through `serde_json::Value`: that would compile a
        // second copy of the message's decoder, and `Value`'s, into the web
        // wallet.)
        // An object, as §3 says (serde would also read a struct from an array).
        if plain.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(Error::InvalidJson(
                "the message is not a JSON object".into(),
            ));
        }
        let probe: VersionProbe =
            serde_json::from_slice(&plain).map_err(|e| Error::InvalidJson(e.to_string()))?;
        match probe.version.0 {
            Some(1) => {}
            Some(v) => return Err(Error::UnsupportedMessageVersion(v)),
            None => return Err(Error::InvalidJson("the message has no version".into())),
        }
        serde_json::from_slice(&plain).map_err(|e| Error::InvalidJson(e.to_string()))
    }
}

/// A message's `version`, other fields ignored.
#[derive(Deserialize)]
struct VersionProbe {
    #[serde(default)]
    version: AsU64,
}

/// Any JSON value, kept only as `serde_json::Value::as_u64` would read it
/// (a non-negative integer, else `None`), without building the value.
#[derive(Default)]
struct AsU64(Option<u64>);

impl<'de> Deserialize<'de> for AsU64 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AsU64;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_u64<E>(self, v: u64) -> Result<AsU64, E> {
                Ok(AsU64(Some(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<AsU64, E> {
                Ok(AsU64(u64::try_from(v).ok()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<AsU64, E> {
                Ok(AsU64(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<AsU64, E> {
                Ok(AsU64(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<AsU64, E> {
                Ok(AsU64(None))
            }
            fn visit_unit<E>(self) -> Result<AsU64, E> {
                Ok(AsU64(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<AsU64, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(AsU64(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<AsU64, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(AsU64(None))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn scalar(v: u64) -> Scalar {
        Scalar::parse(&format!("{v:064x}")).unwrap()
    }

    #[test]
    fn round_trip() {
        let o2 = scalar(42);
        let wire = encrypt(&o2.public(), b"hello", &scalar(7), [1; 12]);
        assert_eq!(wire.len(), OVERHEAD + 5);
        assert_eq!(decrypt(&o2, &wire).unwrap(), b"hello");
    }

    #[test]
    fn wrong_key_tamper_or_truncation_fail_whole() {
        let o2 = scalar(42);
        let wire = encrypt(&o2.public(), b"hello", &scalar(7), [1; 12]);
        assert_eq!(decrypt(&scalar(43), &wire), Err(Error::DecryptionFailed));
        for i in [0, 33, 45, wire.len() - 1] {
            let mut t = wire.clone();
            t[i] ^= 1;
            assert_eq!(decrypt(&o2, &t), Err(Error::DecryptionFailed), "byte {i}");
        }
        assert_eq!(
            decrypt(&o2, &wire[..OVERHEAD - 1]),
            Err(Error::DecryptionFailed)
        );
    }

    #[test]
    fn the_version_is_read_first() {
        let o2 = scalar(42);
        let open = |plain: &str| {
            TransferMessage::open(
                &o2,
                &encrypt(&o2.public(), plain.as_bytes(), &scalar(7), [1; 12]),
            )
        };
        let no_version = Err(Error::InvalidJson("the message has no version".into()));
        assert_eq!(
            open(r#"{"version":2,"new":[1]}"#),
            Err(Error::UnsupportedMessageVersion(2))
        );
        for plain in [
            r#"{"a":{"b":[1,2]},"version":"1"}"#,
            r#"{"version":1.0}"#,
            r#"{"version":-1}"#,
            r#"{"version":null}"#,
            r#"{"version":{"v":1}}"#,
            r#"{}"#,
        ] {
            assert_eq!(open(plain), no_version, "{plain}");
        }
        for not_an_object in ["[1]", " [1, 2]", "1", "\"x\""] {
            assert_eq!(
                open(not_an_object),
                Err(Error::InvalidJson(
                    "the message is not a JSON object".into()
                )),
                "{not_an_object}"
            );
        }
        assert!(matches!(
            open(r#"{"version":1}"#),
            Err(Error::InvalidJson(_))
        ));
    }

    /// Known-answer vector, also printed in docs/PROTOCOL-NOTES.md.
    #[test]
    fn known_answer_vector() {
        let wire = encrypt(&scalar(2).public(), b"lockstep", &scalar(3), [0; 12]);
        assert_eq!(crate::hex::encode(&wire), ECIES_KAT);
    }

    pub(crate) const ECIES_KAT: &str = "02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f90000000000000000000000003e89881f1899a44878e50bebe40684367b75b68e5a949355";
}
