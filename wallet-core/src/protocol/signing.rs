//! Signing strings (§4) and BIP340 verification over `SHA256(utf8(S))`.
//!
//! Every signed thing in the protocol is built by exactly one function here,
//! so the relay and every client sign and check the same bytes.

use crate::types::{Hash32, Id, Point, Scalar, Sig, XOnly};
use sha2::{Digest, Sha256};

/// `m = SHA256(utf8(S))`.
pub fn message_hash(signing_string: &str) -> [u8; 32] {
    Sha256::digest(signing_string.as_bytes()).into()
}

/// Verifies a BIP340 signature over `SHA256(utf8(signing_string))`.
pub fn verify(key: &XOnly, signing_string: &str, sig: &Sig) -> bool {
    verify_digest(key, &message_hash(signing_string), sig)
}

/// Verifies a BIP340 signature over a 32-byte message.
pub fn verify_digest(key: &XOnly, msg: &[u8; 32], sig: &Sig) -> bool {
    match sig.to_k256() {
        Some(s) => key.verifying_key().verify_raw(msg, &s).is_ok(),
        None => false,
    }
}

/// The signatures one request has had verified, as `(key, message hash,
/// signature)` triples. The relay checks a request's signatures before it
/// queues the request for its single writer; the writer re-derives, from
/// the rows it holds, which key must have signed what, and skips only the
/// curve arithmetic for a triple that already verified. A triple that
/// verified once verifies forever, so nothing is trusted that was not
/// checked: a changed owner is a different key and is verified afresh.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verified(Vec<(XOnly, [u8; 32], Sig)>);

impl Verified {
    /// Like [`verify`], remembering a success.
    pub fn verify(&mut self, key: &XOnly, signing_string: &str, sig: &Sig) -> bool {
        let digest = message_hash(signing_string);
        if self
            .0
            .iter()
            .any(|(k, d, s)| k == key && *d == digest && s == sig)
        {
            return true;
        }
        let ok = verify_digest(key, &digest, sig);
        if ok {
            self.0.push((*key, digest, *sig));
        }
        ok
    }

    /// How many signatures verified (and are remembered).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

pub fn deposit(user_pubkey: &Point, auth_pubkey: &XOnly, amount: u64, ts: u64) -> String {
    format!("lockstep/v1/deposit\n{user_pubkey}\n{auth_pubkey}\n{amount}\n{ts}")
}

pub fn sender(
    statechain_id: &Id,
    new_user_pubkey: &Point,
    new_user_auth_key: &XOnly,
    batch_id: Option<&Id>,
    descriptor_hash: Option<&Hash32>,
    ts: u64,
) -> String {
    format!(
        "lockstep/v1/transfer-sender\n{statechain_id}\n{new_user_pubkey}\n{new_user_auth_key}\n{}\n{}\n{ts}",
        opt(batch_id),
        opt(descriptor_hash)
    )
}

/// `enc_msg` is the decoded bytes `E ‖ iv ‖ c`, hashed as bytes, not as hex.
pub fn update_msg(statechain_id: &Id, enc_msg: &[u8], ts: u64) -> String {
    let h = crate::hex::encode(&Sha256::digest(enc_msg));
    format!("lockstep/v1/transfer-update-msg\n{statechain_id}\n{h}\n{ts}")
}

pub fn unlock(statechain_id: &Id, batch_id: &Id, ts: u64) -> String {
    format!("lockstep/v1/transfer-unlock\n{statechain_id}\n{batch_id}\n{ts}")
}

pub fn abort(statechain_id: &Id, batch_id: &Id, ts: u64) -> String {
    format!("lockstep/v1/transfer-abort\n{statechain_id}\n{batch_id}\n{ts}")
}

pub fn receiver(statechain_id: &Id, t2: &Scalar, ts: u64) -> String {
    format!("lockstep/v1/transfer-receiver\n{statechain_id}\n{t2}\n{ts}")
}

pub fn withdraw(statechain_id: &Id, ts: u64) -> String {
    format!("lockstep/v1/withdraw\n{statechain_id}\n{ts}")
}

pub fn transfer(
    statechain_id: &Id,
    seq: u64,
    recipient_user_pubkey: &Point,
    recipient_auth_pubkey: &XOnly,
    batch_id: Option<&Id>,
) -> String {
    format!(
        "lockstep/v1/transfer\n{statechain_id}\n{seq}\n{recipient_user_pubkey}\n{recipient_auth_pubkey}\n{}",
        opt(batch_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex;
    use crate::keys::AuthKey;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// BIP340 official vectors 0-3 (signing) and 4-14 (verification only).
    /// (secret key or "", public key, aux_rand, message, signature, valid)
    const VECTORS: &[(&str, &str, &str, &str, &str, bool)] = &[
        (
            "0000000000000000000000000000000000000000000000000000000000000003",
            "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "e907831f80848d1069a5371b402410364bdf1c5f8307b0084c55f1ce2dca821525f66a4a85ea8b71e482a74f382d2ce5ebeee8fdb2172f477df4900d310536c0",
            true,
        ),
        (
            "b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef",
            "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",
            "0000000000000000000000000000000000000000000000000000000000000001",
            "243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89",
            "6896bd60eeae296db48a229ff71dfe071bde413e6d43f917dc8dcf8c78de33418906d11ac976abccb20b091292bff4ea897efcb639ea871cfa95f6de339e4b0a",
            true,
        ),
        (
            "c90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b14e5c9",
            "dd308afec5777e13121fa72b9cc1b7cc0139715309b086c960e18fd969774eb8",
            "c87aa53824b4d7ae2eb035a2b5bbbccc080e76cdc6d1692c4b0b62d798e6d906",
            "7e2d58d8b3bcdf1abadec7829054f90dda9805aab56c77333024b9d0a508b75c",
            "5831aaeed7b44bb74e5eab94ba9d4294c49bcf2a60728d8b4c200f50dd313c1bab745879a5ad954a72c45a91c3a51d3c7adea98d82f8481e0e1e03674a6f3fb7",
            true,
        ),
        (
            "0b432b2677937381aef05bb02a66ecd012773062cf3fa2549e44f58ed2401710",
            "25d1dff95105f5253c4022f628a996ad3a0d95fbf21d468a1b33f8c160d8f517",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "7eb0509757e246f19449885651611cb965ecc1a187dd51b64fda1edc9637d5ec97582b9cb13db3933705b32ba982af5af25fd78881ebb32771fc5922efc66ea3",
            true,
        ),
        (
            "",
            "d69c3509bb99e412e68b0fe8544e72837dfa30746d8be2aa65975f29d22dc7b9",
            "",
            "4df3c3f68fcc83b27e9d42c90431a72499f17875c81a599b566c9889b9696703",
            "00000000000000000000003b78ce563f89a0ed9414f5aa28ad0d96d6795f9c6376afb1548af603b3eb45c9f8207dee1060cb71c04e80f593060b07d28308d7f4",
            true,
        ),
        (
            "",
            "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",
            "",
            "243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89",
            "fff97bd5755eeea420453a14355235d382f6472f8568a18b2f057a14602975563cc27944640ac607cd107ae10923d9ef7a73c643e166be5ebeafa34b1ac553e2",
            false,
        ),
        (
            "",
            "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",
            "",
            "243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89",
            "1fa62e331edbc21c394792d2ab1100a7b432b013df3f6ff4f99fcb33e0e1515f28890b3edb6e7189b630448b515ce4f8622a954cfe545735aaea5134fccdb2bd",
            false,
        ),
        (
            "",
            "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",
            "",
            "243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89",
            "6cff5c3ba86c69ea4b7376f31a9bcb4f74c1976089b2d9963da2e5543e177769961764b3aa9b2ffcb6ef947b6887a226e8d7c93e00c5ed0c1834ff0d0c2e6da6",
            false,
        ),
        (
            "",
            "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",
            "",
            "243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89",
            "0000000000000000000000000000000000000000000000000000000000000000123dda8328af9c23a94c1feecfd123ba4fb73476f0d594dcb65c6425bd186051",
            false,
        ),
        (
            "",
            "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",
            "",
            "243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89",
            "00000000000000000000000000000000000000000000000000000000000000017615fbaf5ae28864013c099742deadb4dba87f11ac6754f93780d5a1837cf197",
            false,
        ),
        (
            "",
            "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",
            "",
            "243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89",
            "4a298dacae57395a15d0795ddbfd1dcb564da82b0f269bc70a74f8220429ba1d69e89b4c5564d00349106b8497785dd7d1d713a8ae82b32fa79d5f7fc407d39b",
            false,
        ),
        (
            "",
            "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",
            "",
            "243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89",
            "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f69e89b4c5564d00349106b8497785dd7d1d713a8ae82b32fa79d5f7fc407d39b",
            false,
        ),
        (
            "",
            "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",
            "",
            "243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89",
            "6cff5c3ba86c69ea4b7376f31a9bcb4f74c1976089b2d9963da2e5543e177769fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
            false,
        ),
    ];

    #[test]
    fn bip340_official_vectors() {
        for (i, (sk, pk, aux, msg, sig, valid)) in VECTORS.iter().enumerate() {
            let msg: [u8; 32] = hex::decode_array(msg).unwrap();
            let pk = XOnly::parse(pk).unwrap();
            if !sk.is_empty() {
                let key = AuthKey::from_scalar(&Scalar::parse(sk).unwrap());
                assert_eq!(key.public(), pk, "vector {i} public key");
                let made = key.sign_digest(&msg, hex::decode_array(aux).unwrap());
                assert_eq!(made.to_string(), *sig, "vector {i} signature");
            }
            let verdict = Sig::parse(sig)
                .map(|s| verify_digest(&pk, &msg, &s))
                .unwrap_or(false);
            assert_eq!(verdict, *valid, "vector {i} verification");
        }
    }

    #[test]
    fn public_key_not_on_curve_is_rejected_at_parse() {
        // BIP340 vector 5: x not on the curve.
        assert!(
            XOnly::parse("eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34")
                .is_err()
        );
    }

    #[test]
    fn public_key_x_at_or_above_p_is_rejected_at_parse() {
        // BIP340 vector 14: the public key's x exceeds the field size.
        assert!(
            XOnly::parse("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc30")
                .is_err()
        );
    }

    #[test]
    fn signing_strings_have_the_spec_shape() {
        let id = Id::parse("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
        assert_eq!(
            unlock(&id, &id, 7),
            "lockstep/v1/transfer-unlock\n67e55044-10b1-426f-9247-bb680e5fe0c8\n67e55044-10b1-426f-9247-bb680e5fe0c8\n7"
        );
        assert_eq!(
            withdraw(&id, 9),
            "lockstep/v1/withdraw\n67e55044-10b1-426f-9247-bb680e5fe0c8\n9"
        );
        let s = update_msg(&id, b"", 1);
        assert!(
            s.ends_with("\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n1")
        );
    }

    #[test]
    fn signature_binds_the_string() {
        let key = AuthKey::from_scalar(&Scalar::parse(&format!("{:064x}", 5)).unwrap());
        let sig = key.sign("a", [7; 32]);
        assert!(verify(&key.public(), "a", &sig));
        assert!(!verify(&key.public(), "b", &sig));
    }
}
