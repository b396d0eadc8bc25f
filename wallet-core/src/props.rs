//! Property tests for the encodings: every value round-trips through its
//! text form, and no input text makes a decoder panic. Natively proptest
//! drives each property (with shrinking); in the browser, where proptest's
//! RNG setup does not build, a seeded generator drives the same functions
//! under the same test names.

use crate::address::{Address, Network};
use crate::descriptor::{BatchTransfer, Descriptor};
use crate::hex;
use crate::message;
use crate::types::{Id, Point, Scalar, XOnly};

fn hex_round_trip(bytes: &[u8]) {
    assert_eq!(hex::decode(&hex::encode(bytes)).unwrap(), bytes);
}

fn address_round_trip(o: [u8; 32], a: [u8; 32], bitcoin: bool) {
    let (Ok(o), Ok(a)) = (Scalar::from_bytes(&o), Scalar::from_bytes(&a)) else {
        return;
    };
    let network = if bitcoin {
        Network::Bitcoin
    } else {
        Network::Demo
    };
    let auth = crate::keys::AuthKey::from_scalar(&a).public();
    let addr = Address {
        network,
        user_pubkey: o.public(),
        auth_pubkey: auth,
    };
    let text = addr.encode();
    assert_eq!(Address::decode(&text).unwrap(), addr);
    assert_eq!(Address::decode(&text.to_uppercase()).unwrap(), addr);
}

fn decoders_never_panic(text: &str) {
    let _ = Address::decode(text);
    let _ = hex::decode(text);
    let _ = Id::parse(text);
    let _ = Point::parse(text);
    let _ = XOnly::parse(text);
    let _ = Scalar::parse(text);
    let _ = crate::types::Sig::parse(text);
    let _ = crate::keys::Mnemonic::parse(text);
    let _ = crate::invite::Invite::decode(text, Network::Demo);
    let _ = crate::wire::decode::<crate::wire::SenderRequest>(text.as_bytes());
}

fn values_round_trip(bytes: [u8; 32], id: [u8; 16]) {
    let id = Id::from_bytes(id);
    assert_eq!(Id::parse(&id.to_string()).unwrap(), id);
    if let Ok(s) = Scalar::from_bytes(&bytes) {
        assert_eq!(Scalar::parse(&s.to_string()).unwrap(), s);
        let p = s.public();
        assert_eq!(Point::parse(&p.to_string()).unwrap(), p);
        let x = crate::keys::AuthKey::from_scalar(&s).public();
        assert_eq!(XOnly::parse(&x.to_string()).unwrap(), x);
    }
}

fn descriptor_hash_ignores_order(ids: Vec<[u8; 16]>, rotate: usize) {
    let key = crate::keys::AuthKey::from_scalar(&Scalar::from_bytes(&[7; 32]).unwrap()).public();
    let lines: Vec<BatchTransfer> = ids
        .iter()
        .enumerate()
        .map(|(i, b)| BatchTransfer {
            statechain_id: Id::from_bytes(*b),
            new_user_auth_key: key,
            amount: i as u64 + 1,
        })
        .collect();
    let batch = Id::from_bytes([9; 16]);
    let Ok(d) = Descriptor::new(batch, lines.clone(), 1000) else {
        return;
    };
    let mut rotated = lines;
    let n = rotated.len();
    rotated.rotate_left(rotate % n);
    assert_eq!(
        Descriptor::new(batch, rotated, 1000).unwrap().hash(),
        d.hash()
    );
}

fn message_round_trip(plain: &[u8], o: [u8; 32], e: [u8; 32], tamper: usize) {
    let (Ok(o), Ok(e)) = (Scalar::from_bytes(&o), Scalar::from_bytes(&e)) else {
        return;
    };
    let wire = message::encrypt(&o.public(), plain, &e, [3; 12]);
    assert_eq!(message::decrypt(&o, &wire).unwrap(), plain);
    let mut bad = wire.clone();
    let i = tamper % bad.len();
    bad[i] ^= 0x01;
    assert!(
        message::decrypt(&o, &bad).is_err(),
        "a flipped byte at {i} must fail whole"
    );
}

// Both runs use one module name, so each test has the same name natively
// and in the browser (scripts/test.sh compares the two lists by name).
#[cfg(not(target_arch = "wasm32"))]
mod cases {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn hex_text_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            hex_round_trip(&bytes);
        }

        #[test]
        fn addresses_round_trip(o in any::<[u8; 32]>(), a in any::<[u8; 32]>(), bitcoin in any::<bool>()) {
            address_round_trip(o, a, bitcoin);
        }

        #[test]
        fn decoders_never_panic_on_any_text(s in "\\PC{0,200}") {
            decoders_never_panic(&s);
        }

        #[test]
        fn ids_scalars_points_round_trip(bytes in any::<[u8; 32]>(), id in any::<[u8; 16]>()) {
            values_round_trip(bytes, id);
        }

        #[test]
        fn descriptor_hash_is_order_independent(ids in proptest::collection::vec(any::<[u8; 16]>(), 1..20), r in any::<usize>()) {
            descriptor_hash_ignores_order(ids, r);
        }

        #[test]
        fn messages_round_trip_and_tampering_fails(plain in proptest::collection::vec(any::<u8>(), 0..300), o in any::<[u8; 32]>(), e in any::<[u8; 32]>(), t in any::<usize>()) {
            message_round_trip(&plain, o, e, t);
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod cases {
    use super::*;
    use crate::entropy::{Entropy, SeededEntropy};
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const CASES: usize = 24;

    fn vec(rng: &mut SeededEntropy, max: usize) -> Vec<u8> {
        let n = rng.bytes::<1>()[0] as usize % max;
        let mut v = vec![0u8; n];
        rng.fill(&mut v);
        v
    }

    #[test]
    fn hex_text_round_trips() {
        let mut r = SeededEntropy::new(1);
        for _ in 0..CASES {
            let v = vec(&mut r, 100);
            hex_round_trip(&v);
        }
    }

    #[test]
    fn addresses_round_trip() {
        let mut r = SeededEntropy::new(2);
        for i in 0..CASES {
            address_round_trip(r.bytes(), r.bytes(), i % 2 == 0);
        }
    }

    #[test]
    fn decoders_never_panic_on_any_text() {
        let mut r = SeededEntropy::new(3);
        for _ in 0..CASES {
            let v = vec(&mut r, 200);
            decoders_never_panic(&String::from_utf8_lossy(&v));
        }
    }

    #[test]
    fn ids_scalars_points_round_trip() {
        let mut r = SeededEntropy::new(4);
        for _ in 0..CASES {
            values_round_trip(r.bytes(), r.bytes());
        }
    }

    #[test]
    fn descriptor_hash_is_order_independent() {
        let mut r = SeededEntropy::new(5);
        for _ in 0..CASES {
            let n = 1 + r.bytes::<1>()[0] as usize % 19;
            let ids = (0..n).map(|_| r.bytes()).collect();
            descriptor_hash_ignores_order(ids, r.bytes::<1>()[0] as usize);
        }
    }

    #[test]
    fn messages_round_trip_and_tampering_fails() {
        let mut r = SeededEntropy::new(6);
        for _ in 0..CASES {
            let v = vec(&mut r, 300);
            message_round_trip(&v, r.bytes(), r.bytes(), r.bytes::<2>()[0] as usize);
        }
    }
}
