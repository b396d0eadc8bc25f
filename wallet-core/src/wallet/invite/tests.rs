//! Invites and join answers: text round trips, the known-answer payload,
//! every defect refused when creating or decoding, and both sides agreeing
//! on one descriptor (or refusing a mismatched answer).

use super::*;
use std::collections::HashSet;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use crate::keys::{AuthKey, Mnemonic, WalletKeys};
use crate::types::Scalar;

fn id(n: u8) -> Id {
    Id::new_v4([n; 16])
}

fn address(wallet: u8, index: u32) -> Address {
    let k = WalletKeys::from_mnemonic(&Mnemonic::from_entropy([wallet; 16]))
        .address(index)
        .unwrap();
    Address {
        network: Network::Demo,
        user_pubkey: k.user_pubkey(),
        auth_pubkey: k.auth_pubkey(),
    }
}

fn offers(ids: &[u8], amount: u64) -> Vec<Offer> {
    ids.iter()
        .map(|&n| Offer {
            statechain_id: id(n),
            amount,
        })
        .collect()
}

fn invite_with(gives: Vec<Offer>, want: u64) -> Invite {
    Invite::new(
        Network::Demo,
        id(0xba),
        gives,
        want,
        address(1, 0),
        1_800_000_000,
    )
    .unwrap()
}

fn invite() -> Invite {
    invite_with(offers(&[1], 50_000), 40_000)
}

fn answer(inv: &Invite) -> JoinAnswer {
    JoinAnswer::new(inv, offers(&[2, 3], 25_000), address(2, 0)).unwrap()
}

fn answer_with_one_coin() -> JoinAnswer {
    JoinAnswer::new(&invite(), offers(&[2], 40_000), address(2, 0)).unwrap()
}

fn invalid(r: Result<impl fmt::Debug, Error>) -> &'static str {
    match r {
        Err(Error::InvalidInvite(why)) => why,
        other => panic!("expected InvalidInvite, got {other:?}"),
    }
}

#[test]
fn invite_round_trip_and_case_and_whitespace() {
    let inv = invite();
    let text = inv.encode();
    assert!(text.starts_with("lsi1"));
    assert_eq!(Invite::decode(&text, Network::Demo).unwrap(), inv);
    assert_eq!(
        Invite::decode(&text.to_uppercase(), Network::Demo).unwrap(),
        inv
    );
    let wrapped: String = text
        .chars()
        .enumerate()
        .flat_map(|(i, c)| if i % 40 == 39 { vec![c, '\n'] } else { vec![c] })
        .collect();
    assert_eq!(
        Invite::decode(&format!("  {wrapped}\n"), Network::Demo).unwrap(),
        inv
    );
    assert_eq!(inv.to_string(), text);
}

#[test]
fn answer_round_trip() {
    let inv = invite();
    let ans = answer(&inv);
    let text = ans.encode();
    assert!(text.starts_with("lsj1"));
    assert_eq!(JoinAnswer::decode(&text, Network::Demo).unwrap(), ans);
    assert_eq!(ans.invite_digest(), inv.digest());
    assert_eq!(ans.batch_id(), inv.batch_id());
}

/// Lengths, for QR-code sizing. Upper-cased, the texts use the QR
/// alphanumeric mode, which at error-correction level M holds 221
/// characters in a version 8 symbol (49×49 modules) and 366 in version 11
/// (61×61): one coin fits version 8, five coins version 11.
#[test]
fn text_lengths_for_one_and_five_coins() {
    let one = invite_with(offers(&[1], 1), 1);
    let five = invite_with(offers(&[1, 2, 3, 4, 5], 1), 1);
    assert_eq!(one.to_bytes().len(), 125);
    assert_eq!(five.to_bytes().len(), 221);
    assert_eq!(one.encode().len(), 210);
    assert_eq!(five.encode().len(), 364);
    let a1 = JoinAnswer::new(&one, offers(&[11], 1), address(2, 0)).unwrap();
    let a5 = JoinAnswer::new(&one, offers(&[11, 12, 13, 14, 15], 1), address(2, 0)).unwrap();
    assert_eq!(a1.to_bytes().len(), 117);
    assert_eq!(a1.encode().len(), 198);
    assert_eq!(a5.encode().len(), 351);
    let fifty = invite_with(
        (1..=50)
            .map(|n| Offer {
                statechain_id: id(n),
                amount: 1,
            })
            .collect(),
        1,
    );
    assert_eq!(fifty.encode().len(), 2092);
    assert!(fifty.encode().len() <= MAX_TEXT_LEN);
}

/// Known-answer vector: the payload layout is fixed, byte for byte.
/// Wallet `[1; 16]` entropy address 0 creates (batch `babababa-…`, gives
/// coin `01010101-…` of 50,000, wants 40,000, expires 1,800,000,000);
/// wallet `[2; 16]` address 0 joins with coins `02020202-…` and
/// `03030303-…` of 25,000 each. Digest, texts and descriptor hash were
/// checked independently (Python: hashlib, BIP350 reference bech32m).
#[test]
fn known_answer_payload() {
    let inv = invite();
    let bytes = inv.to_bytes();
    assert_eq!(&bytes[..3], &[1, 1, 1]);
    assert_eq!(&bytes[3..19], &id(0xba).to_bytes());
    assert_eq!(&bytes[19..27], &1_800_000_000u64.to_be_bytes());
    assert_eq!(&bytes[27..35], &40_000u64.to_be_bytes());
    assert_eq!(&bytes[35..68], &address(1, 0).user_pubkey.to_bytes());
    assert_eq!(&bytes[68..100], &address(1, 0).auth_pubkey.to_bytes());
    assert_eq!(bytes[100], 1);
    assert_eq!(&bytes[101..117], &id(1).to_bytes());
    assert_eq!(&bytes[117..125], &50_000u64.to_be_bytes());
    assert_eq!(hex::encode(&inv.digest()), INVITE_DIGEST_KAT);
    assert_eq!(inv.encode(), INVITE_TEXT_KAT);
    assert_eq!(answer(&inv).encode(), ANSWER_TEXT_KAT);
    assert_eq!(agreed().descriptor_hash().to_string(), TERMS_HASH_KAT);
    let from_texts = SwapTerms::agree(
        &Invite::decode(INVITE_TEXT_KAT, Network::Demo).unwrap(),
        &JoinAnswer::decode(ANSWER_TEXT_KAT, Network::Demo).unwrap(),
        1000,
    )
    .unwrap();
    assert_eq!(from_texts.descriptor_hash().to_string(), TERMS_HASH_KAT);
}

const INVITE_DIGEST_KAT: &str = "3b09da898fe2c706";
const INVITE_TEXT_KAT: &str = "lsi1qyqsrw46h2at4wj2h2at4w46h2at4wsqqqqqq66f6gqqqqqqqqqqp8zqqfwcm3aaadrh3udlk6grnhwfsqmmss4rkqy27prxaxxde5lfeh6kdxyprsejjx52z9xja52zspgy9lgdw5pfvh0d0l2e4htv7e6s39ktqyqszqgpqyq5zqvpqyqszqgpqyqsqqqqqqqqps6sn3dhva";
const ANSWER_TEXT_KAT: &str = "lsj1qypqrw46h2at4wj2h2at4w46h2at4w3mp8dgnrlzcurq890wjaqrulllntarllwzf7xa80ggfnngawnadlgnky8w3l3j052aj60zfte34j7805qvlf52ln84evfsfpnxg4tkr94vw2t2wrhlfu2qyqszqgpqyqjzq2pqyqszqgpqyqsqqqqqqqqqvx5qxqcrqvpsxscrsvpsxqcrqvpsxqqqqqqqqqrp4qw5q0fq";
const TERMS_HASH_KAT: &str = "e98f502af5a90d1b1c474a3d053d5544901b2fe8f8d947901926b8d2895f5461";

fn agreed() -> SwapTerms {
    let inv = invite();
    SwapTerms::agree(&inv, &answer(&inv), 1000).unwrap()
}

#[test]
fn both_sides_agree_on_the_same_descriptor() {
    let inv = invite();
    let ans = answer(&inv);
    let (invite_text, answer_text) = (inv.encode(), ans.encode());
    // The creator kept its invite and decodes the answer text.
    let creator = SwapTerms::agree(
        &inv,
        &JoinAnswer::decode(&answer_text, Network::Demo).unwrap(),
        1000,
    )
    .unwrap();
    // The joiner decodes both texts.
    let joiner = SwapTerms::agree(
        &Invite::decode(&invite_text, Network::Demo).unwrap(),
        &JoinAnswer::decode(&answer_text, Network::Demo).unwrap(),
        1000,
    )
    .unwrap();
    assert_eq!(creator, joiner);
    assert_eq!(creator.descriptor_hash(), joiner.descriptor_hash());

    let d = creator.descriptor();
    assert_eq!(d.batch_id(), inv.batch_id());
    assert_eq!(d.len(), 3);
    let line = |n| *d.line(&id(n)).unwrap();
    assert_eq!(line(1).new_user_auth_key, address(2, 0).auth_pubkey);
    assert_eq!(line(1).amount, 50_000);
    assert_eq!(line(2).new_user_auth_key, address(1, 0).auth_pubkey);
    assert_eq!(line(3).amount, 25_000);

    assert_eq!(creator.recipient_of(&id(1)), Some(address(2, 0)));
    assert_eq!(creator.recipient_of(&id(2)), Some(address(1, 0)));
    assert_eq!(creator.recipient_of(&id(3)), Some(address(1, 0)));
    assert_eq!(creator.recipient_of(&id(9)), None);
    assert_eq!(creator.creator_gives(), inv.gives());
    assert_eq!(creator.joiner_gives(), ans.gives());
    assert_eq!(creator.creator_receive(), inv.receive());
    assert_eq!(creator.joiner_receive(), ans.receive());
}

#[test]
fn serde_round_trips_and_checks() {
    let inv = invite();
    let ans = answer(&inv);
    let terms = agreed();
    let j = serde_json::to_string(&inv).unwrap();
    assert_eq!(serde_json::from_str::<Invite>(&j).unwrap(), inv);
    let j = serde_json::to_string(&ans).unwrap();
    assert_eq!(serde_json::from_str::<JoinAnswer>(&j).unwrap(), ans);
    let j = serde_json::to_string(&terms).unwrap();
    assert_eq!(serde_json::from_str::<SwapTerms>(&j).unwrap(), terms);

    // A stored record whose descriptor disagrees with its own lists is refused.
    let mut v: serde_json::Value = serde_json::from_str(&j).unwrap();
    v["creator_gives"][0]["amount"] = 49_999.into();
    assert!(serde_json::from_value::<SwapTerms>(v).is_err());
    let mut v: serde_json::Value = serde_json::to_value(&inv).unwrap();
    v["want"] = 0.into();
    assert!(serde_json::from_value::<Invite>(v).is_err());
    let mut v: serde_json::Value = serde_json::to_value(&ans).unwrap();
    v["invite_digest"] = "00".into();
    assert!(serde_json::from_value::<JoinAnswer>(v).is_err());
    let mut v: serde_json::Value = serde_json::to_value(&ans).unwrap();
    v["extra"] = 1.into();
    assert!(serde_json::from_value::<JoinAnswer>(v).is_err());
}

#[test]
fn creation_rejects_bad_choices() {
    let r = address(1, 0);
    let new = |gives, want, receive| Invite::new(Network::Demo, id(0xba), gives, want, receive, 0);
    assert_eq!(
        new(vec![], 1, r),
        Err(Error::InvalidSwap("choose at least one coin to give"))
    );
    assert!(matches!(
        new(
            (0..51)
                .map(|n| Offer {
                    statechain_id: id(n),
                    amount: 1
                })
                .collect(),
            1,
            r
        ),
        Err(Error::InvalidSwap(_))
    ));
    assert!(matches!(
        new(offers(&[1], 0), 1, r),
        Err(Error::InvalidAmount(_))
    ));
    assert!(matches!(
        new(offers(&[1, 1], 5), 1, r),
        Err(Error::DuplicateCoin(_))
    ));
    assert!(matches!(
        new(offers(&[1], 5), 0, r),
        Err(Error::InvalidAmount(_))
    ));
    let main = Address {
        network: Network::Bitcoin,
        ..r
    };
    assert!(matches!(
        new(offers(&[1], 5), 1, main),
        Err(Error::WrongNetwork { .. })
    ));

    let inv = invite();
    let join = |gives, receive| JoinAnswer::new(&inv, gives, receive);
    let me = address(2, 0);
    assert!(matches!(join(vec![], me), Err(Error::InvalidSwap(_))));
    assert!(matches!(
        join(offers(&[1], 40_000), me),
        Err(Error::InvalidSwap(_))
    ));
    assert!(matches!(
        join(offers(&[2], 39_999), me),
        Err(Error::InvalidSwap(_))
    ));
    assert!(matches!(
        join(offers(&[2], 40_000), inv.receive()),
        Err(Error::InvalidSwap(_))
    ));
    assert!(matches!(
        join(
            offers(&[2], 40_000),
            Address {
                network: Network::Bitcoin,
                ..me
            }
        ),
        Err(Error::WrongNetwork { .. })
    ));
    assert!(matches!(
        join(offers(&[2, 2], 40_000), me),
        Err(Error::DuplicateCoin(_))
    ));
    assert!(join(offers(&[2], 40_000), me).is_ok());
    for e in [Error::InvalidSwap("x"), Error::InvalidInvite("x")] {
        assert!(e.to_string().ends_with("x."));
    }
}

/// Re-wraps a hand-edited payload in a valid checksum.
fn wrap(hrp: &str, bytes: &[u8]) -> String {
    bech32m::encode(hrp, bytes)
}

#[test]
fn decoding_rejects_every_defect() {
    let inv = invite();
    let good = inv.to_bytes();
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = good.clone();
        f(&mut b);
        Invite::decode(&wrap(INVITE_HRP, &b), Network::Demo)
    };
    assert!(invalid(with(&|b| b[0] = 2)).contains("another version"));
    assert!(invalid(with(&|b| b[0] = 0)).contains("another version"));
    assert!(invalid(with(&|b| b[1] = KIND_ANSWER)).contains("does not match its prefix"));
    assert!(invalid(with(&|b| b[2] = 9)).contains("unknown network"));
    assert!(invalid(with(&|b| b[2] = 2)).contains("another network"));
    assert!(invalid(with(&|b| b.push(0))).contains("extra data"));
    assert!(invalid(with(&|b| b.truncate(b.len() - 1))).contains("cut short"));
    assert!(invalid(with(&|b| b.truncate(50))).contains("cut short"));
    assert!(invalid(with(&|b| b.clear())).contains("cut short"));
    assert!(invalid(with(&|b| b[117..125].copy_from_slice(&0u64.to_be_bytes()))).contains("zero"));
    assert!(invalid(with(&|b| b[27..35].copy_from_slice(&0u64.to_be_bytes()))).contains("zero"));
    assert!(
        invalid(with(&|b| {
            b[100] = 0;
            b.truncate(101);
        }))
        .contains("no coins")
    );
    assert!(invalid(with(&|b| b[100] = 51)).contains("more than 50"));
    assert!(invalid(with(&|b| b[100] = 2)).contains("cut short"));
    assert!(
        invalid(with(&|b| {
            b[100] = 2;
            let coin = b[101..125].to_vec();
            b.extend_from_slice(&coin);
        }))
        .contains("same coin twice")
    );
    assert!(invalid(with(&|b| b[35] = 0x05)).contains("receiving address"));
    assert!(
        invalid(with(&|b| b[68..100].copy_from_slice(&[0xff; 32]))).contains("receiving address")
    );
    // The network a wallet expects.
    assert!(invalid(Invite::decode(&inv.encode(), Network::Bitcoin)).contains("another network"));
    // Wrong kind by prefix, in both directions, and other prefixes.
    let ans = answer(&inv);
    assert!(
        invalid(Invite::decode(&ans.encode(), Network::Demo))
            .contains("join answer, not an invite")
    );
    assert!(
        invalid(JoinAnswer::decode(&inv.encode(), Network::Demo))
            .contains("invite, not a join answer")
    );
    assert!(
        invalid(Invite::decode(&address(1, 0).encode(), Network::Demo)).contains("wallet address")
    );
    assert!(
        invalid(Invite::decode(&wrap("xyz", &good), Network::Demo))
            .contains("not a Lockstep swap code")
    );
    // Payload kind must agree with the prefix, whatever the prefix.
    assert!(
        invalid(JoinAnswer::decode(&wrap(ANSWER_HRP, &good), Network::Demo))
            .contains("does not match its prefix")
    );
}

#[test]
fn decoding_rejects_bad_text() {
    let text = invite().encode();
    let mut typo: Vec<char> = text.chars().collect();
    typo[20] = if typo[20] == 'q' { 'p' } else { 'q' };
    let typo: String = typo.into_iter().collect();
    assert!(invalid(Invite::decode(&typo, Network::Demo)).contains("checksum"));
    assert!(invalid(Invite::decode(&text[..text.len() - 1], Network::Demo)).contains("checksum"));
    let mixed = format!("{}{}", &text[..10].to_uppercase(), &text[10..]);
    assert!(invalid(Invite::decode(&mixed, Network::Demo)).contains("upper and lower"));
    assert!(invalid(Invite::decode(&text.replace('q', "b"), Network::Demo)).contains("character"));
    assert!(invalid(Invite::decode("", Network::Demo)).contains("not a Lockstep swap code"));
    assert!(invalid(Invite::decode("hello", Network::Demo)).contains("not a Lockstep swap code"));
    assert!(invalid(Invite::decode("lsi1é", Network::Demo)).contains("character"));
    assert!(
        invalid(Invite::decode(&"q".repeat(MAX_TEXT_LEN + 1), Network::Demo)).contains("longer")
    );
    // Groups that do not regroup into whole bytes (an extra group, or
    // non-zero padding bits), under a valid checksum.
    let groups = bech32m::convert_bits(&invite().to_bytes(), 8, 5, true).unwrap();
    assert_eq!(encode_groups(INVITE_HRP, &groups), text);
    let mut extra = groups.clone();
    extra.push(0);
    assert!(
        invalid(Invite::decode(
            &encode_groups(INVITE_HRP, &extra),
            Network::Demo
        ))
        .contains("length")
    );
    // A one-coin answer is 117 bytes: 188 groups with 4 padding bits.
    let ans = answer_with_one_coin();
    let mut padding = bech32m::convert_bits(&ans.to_bytes(), 8, 5, true).unwrap();
    assert_eq!(encode_groups(ANSWER_HRP, &padding), ans.encode());
    *padding.last_mut().unwrap() |= 1;
    assert!(
        invalid(JoinAnswer::decode(
            &encode_groups(ANSWER_HRP, &padding),
            Network::Demo
        ))
        .contains("length")
    );
    let ans = answer(&invite()).encode();
    assert!(invalid(JoinAnswer::decode(&ans[..ans.len() - 2], Network::Demo)).contains("checksum"));
}

/// bech32m over raw 5-bit groups, with its own checksum code (BIP350),
/// to build texts whose groups do not regroup into whole bytes.
fn encode_groups(hrp: &str, groups: &[u8]) -> String {
    const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut values: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    values.push(0);
    values.extend(hrp.bytes().map(|b| b & 31));
    values.extend_from_slice(groups);
    values.extend_from_slice(&[0; 6]);
    let mut chk: u32 = 1;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x01ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    let pm = chk ^ 0x2bc8_30a3;
    let mut out = format!("{hrp}1");
    out.extend(groups.iter().map(|&g| CHARSET[g as usize] as char));
    out.extend((0..6).map(|i| CHARSET[((pm >> (5 * (5 - i))) & 31) as usize] as char));
    out
}

#[test]
fn agree_rejects_every_mismatch() {
    let inv = invite();
    let ans = answer(&inv);
    assert!(SwapTerms::agree(&inv, &ans, 1000).is_ok());

    let mut a = ans.clone();
    a.network = Network::Bitcoin;
    assert!(invalid(SwapTerms::agree(&inv, &a, 1000)).contains("another network"));

    let mut a = ans.clone();
    a.batch_id = id(0xbb);
    assert!(invalid(SwapTerms::agree(&inv, &a, 1000)).contains("another swap"));

    let mut a = ans.clone();
    a.invite_digest[0] ^= 1;
    assert!(invalid(SwapTerms::agree(&inv, &a, 1000)).contains("different invite"));

    // The invite was altered after the answer was made (e.g. a different `want`).
    let altered = invite_with(offers(&[1], 50_000), 40_001);
    assert!(invalid(SwapTerms::agree(&altered, &ans, 1000)).contains("different invite"));

    // Joiner gives too little.
    let stingy = JoinAnswer {
        gives: offers(&[2], 39_999),
        ..ans.clone()
    };
    assert!(invalid(SwapTerms::agree(&inv, &stingy, 1000)).contains("less than"));
    // Exactly `want` is enough, more is fine.
    assert!(
        SwapTerms::agree(
            &inv,
            &JoinAnswer {
                gives: offers(&[2], 40_000),
                ..ans.clone()
            },
            1000
        )
        .is_ok()
    );

    // Same coin on both sides.
    let both = JoinAnswer {
        gives: offers(&[1, 2], 40_000),
        ..ans.clone()
    };
    assert!(invalid(SwapTerms::agree(&inv, &both, 1000)).contains("both sides"));

    // Same receiving address, or a shared key.
    let same = JoinAnswer {
        receive: inv.receive(),
        ..ans.clone()
    };
    assert!(invalid(SwapTerms::agree(&inv, &same, 1000)).contains("same address"));
    let shared_auth = JoinAnswer {
        receive: Address {
            auth_pubkey: inv.receive().auth_pubkey,
            ..ans.receive()
        },
        ..ans.clone()
    };
    assert!(invalid(SwapTerms::agree(&inv, &shared_auth, 1000)).contains("same address"));

    // The relay's batch size limit.
    assert_eq!(
        SwapTerms::agree(&inv, &ans, 2),
        Err(Error::DescriptorTooLarge { max: 2, found: 3 })
    );
}

#[test]
fn different_answers_give_different_hashes() {
    let inv = invite();
    let a = SwapTerms::agree(&inv, &answer(&inv), 1000).unwrap();
    let other = JoinAnswer::new(&inv, offers(&[2, 3], 25_001), address(2, 0)).unwrap();
    let b = SwapTerms::agree(&inv, &other, 1000).unwrap();
    assert_ne!(a.descriptor_hash(), b.descriptor_hash());
}

#[test]
fn expiry_is_informational() {
    let inv = invite();
    assert!(!inv.is_expired(1_800_000_000));
    assert!(inv.is_expired(1_800_000_001));
    assert_eq!(inv.gives_total(), 50_000);
    assert_eq!(answer(&inv).gives_total(), 50_000);
}

// Property tests. Each property is a plain function; natively proptest
// drives it (with shrinking), and in the browser, where proptest's
// default features do not build, a seeded generator drives the same
// function under the same test name, so both runs count the same tests.
const CASES: u32 = 64;

fn address_from(network: Network, o: [u8; 32], a: [u8; 32]) -> Option<Address> {
    let o = Scalar::from_bytes(&o).ok()?;
    let a = Scalar::from_bytes(&a).ok()?;
    Some(Address {
        network,
        user_pubkey: o.public(),
        auth_pubkey: AuthKey::from_scalar(&a).public(),
    })
}

/// Text, serde and upper-case round trips of a valid invite.
fn invite_round_trip(inv: &Invite) {
    let text = inv.encode();
    assert!(text.len() <= MAX_TEXT_LEN);
    assert_eq!(&Invite::decode(&text, inv.network()).unwrap(), inv);
    assert_eq!(
        &Invite::decode(&text.to_uppercase(), inv.network()).unwrap(),
        inv
    );
    let json = serde_json::to_string(inv).unwrap();
    assert_eq!(&serde_json::from_str::<Invite>(&json).unwrap(), inv);
}

/// A joiner answering with `extra` coins (minus any the invite gives)
/// plus one coin worth `want`, receiving at the key from `seed`: the
/// answer round-trips, and both sides agree on one descriptor that
/// sends every coin to the other side.
fn answer_round_trip_and_agree(inv: &Invite, extra: Vec<Offer>, seed: [u8; 32]) {
    let network = inv.network();
    let taken: HashSet<Id> = inv.gives().iter().map(|o| o.statechain_id).collect();
    let mut seed_id = [0u8; 16];
    seed_id.copy_from_slice(&seed[..16]);
    let cover = Offer {
        statechain_id: Id::from_bytes(seed_id),
        amount: inv.want(),
    };
    let Some(receive) = address_from(network, seed, seed) else {
        return;
    };
    if taken.contains(&cover.statechain_id) || same_address(&receive, &inv.receive()) {
        return;
    }
    let mut gives: Vec<Offer> = extra
        .into_iter()
        .filter(|o| !taken.contains(&o.statechain_id) && o.statechain_id != cover.statechain_id)
        .collect();
    gives.truncate(MAX_OFFERS - 1);
    gives.push(cover);
    let ans = JoinAnswer::new(inv, gives, receive).unwrap();
    let back = JoinAnswer::decode(&ans.encode(), network).unwrap();
    assert_eq!(back, ans);
    let creator = SwapTerms::agree(inv, &back, 1000).unwrap();
    let joiner = SwapTerms::agree(
        &Invite::decode(&inv.encode(), network).unwrap(),
        &back,
        1000,
    )
    .unwrap();
    assert_eq!(creator.descriptor_hash(), joiner.descriptor_hash());
    assert_eq!(
        creator.descriptor().len(),
        inv.gives().len() + ans.gives().len()
    );
    for o in inv.gives() {
        assert_eq!(creator.recipient_of(&o.statechain_id), Some(ans.receive()));
        let line = creator.descriptor().line(&o.statechain_id).unwrap();
        assert_eq!(
            (line.new_user_auth_key, line.amount),
            (ans.receive().auth_pubkey, o.amount)
        );
    }
    for o in ans.gives() {
        assert_eq!(creator.recipient_of(&o.statechain_id), Some(inv.receive()));
    }
    let json = serde_json::to_string(&creator).unwrap();
    assert_eq!(serde_json::from_str::<SwapTerms>(&json).unwrap(), creator);
}

/// Any payload under either prefix decodes or is refused, never
/// panics; what decodes re-encodes to the same bytes (canonical).
fn arbitrary_payload(bytes: &[u8], net: Network) {
    if let Ok(inv) = Invite::decode(&bech32m::encode(INVITE_HRP, bytes), net) {
        assert_eq!(inv.to_bytes(), bytes);
    }
    if let Ok(ans) = JoinAnswer::decode(&bech32m::encode(ANSWER_HRP, bytes), net) {
        assert_eq!(ans.to_bytes(), bytes);
    }
}

/// A valid invite with one byte changed is refused, or decodes to
/// something that re-encodes to exactly those bytes.
fn mutated_invite(inv: &Invite, pos: usize, val: u8) {
    let mut b = inv.to_bytes();
    let i = pos % b.len();
    b[i] = val;
    if let Ok(d) = Invite::decode(&bech32m::encode(INVITE_HRP, &b), inv.network()) {
        assert_eq!(d.to_bytes(), b);
    }
}

/// Any text is refused with a sentence, or decodes; never a panic.
fn arbitrary_text(s: &str) {
    let errors = [
        Invite::decode(s, Network::Demo).err(),
        JoinAnswer::decode(s, Network::Demo).err(),
    ];
    for e in errors.into_iter().flatten() {
        assert!(matches!(e, Error::InvalidInvite(_)), "{e:?}");
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod props {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use proptest::prelude::*;

    fn arb_network() -> impl Strategy<Value = Network> {
        prop_oneof![Just(Network::Demo), Just(Network::Bitcoin)]
    }

    fn arb_address(network: Network) -> impl Strategy<Value = Address> {
        (any::<[u8; 32]>(), any::<[u8; 32]>())
            .prop_filter_map("valid scalars", move |(o, a)| address_from(network, o, a))
    }

    fn arb_offers() -> impl Strategy<Value = Vec<Offer>> {
        proptest::collection::btree_map(any::<[u8; 16]>(), 1..=u64::MAX, 1..=MAX_OFFERS).prop_map(
            |m| {
                m.into_iter()
                    .map(|(k, amount)| Offer {
                        statechain_id: Id::from_bytes(k),
                        amount,
                    })
                    .collect()
            },
        )
    }

    fn arb_invite() -> impl Strategy<Value = Invite> {
        arb_network().prop_flat_map(|network| {
            (
                any::<[u8; 16]>(),
                arb_offers(),
                1..=u64::MAX,
                arb_address(network),
                any::<u64>(),
            )
                .prop_map(move |(b, gives, want, receive, expires_at)| {
                    Invite::new(network, Id::from_bytes(b), gives, want, receive, expires_at)
                        .unwrap()
                })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(CASES))]

        #[test]
        fn invite_text_round_trips(inv in arb_invite()) {
            invite_round_trip(&inv);
        }

        #[test]
        fn answer_round_trips_and_agrees(inv in arb_invite(), extra in arb_offers(), seed in any::<[u8; 32]>()) {
            answer_round_trip_and_agree(&inv, extra, seed);
        }

        #[test]
        fn arbitrary_payloads_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), net in arb_network()) {
            arbitrary_payload(&bytes, net);
        }

        #[test]
        fn mutated_invites_are_canonical(inv in arb_invite(), pos in any::<usize>(), val in any::<u8>()) {
            mutated_invite(&inv, pos, val);
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,300}") {
            arbitrary_text(&s);
        }
    }
}

/// The browser's driver: SplitMix64 from a fixed seed per test.
#[cfg(target_arch = "wasm32")]
mod props {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    struct Rng(u64);

    impl Rng {
        fn u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.u64() % n
        }
        fn bytes<const N: usize>(&mut self) -> [u8; N] {
            std::array::from_fn(|_| self.u64() as u8)
        }
        fn network(&mut self) -> Network {
            if self.below(2) == 0 {
                Network::Demo
            } else {
                Network::Bitcoin
            }
        }
        fn offers(&mut self) -> Vec<Offer> {
            let n = 1 + self.below(MAX_OFFERS as u64) as usize;
            let mut seen = HashSet::new();
            (0..n)
                .map(|_| Offer {
                    statechain_id: Id::from_bytes(self.bytes()),
                    amount: self.u64().max(1),
                })
                .filter(|o| seen.insert(o.statechain_id))
                .collect()
        }
        fn invite(&mut self) -> Invite {
            let network = self.network();
            let receive = loop {
                if let Some(a) = address_from(network, self.bytes(), self.bytes()) {
                    break a;
                }
            };
            let (batch, gives, want, expires) =
                (self.bytes(), self.offers(), self.u64().max(1), self.u64());
            Invite::new(
                network,
                Id::from_bytes(batch),
                gives,
                want,
                receive,
                expires,
            )
            .unwrap()
        }
    }

    #[test]
    fn invite_text_round_trips() {
        let mut r = Rng(1);
        for _ in 0..CASES {
            invite_round_trip(&r.invite());
        }
    }

    #[test]
    fn answer_round_trips_and_agrees() {
        let mut r = Rng(2);
        for _ in 0..CASES {
            let inv = r.invite();
            answer_round_trip_and_agree(&inv, r.offers(), r.bytes());
        }
    }

    #[test]
    fn arbitrary_payloads_never_panic() {
        let mut r = Rng(3);
        for _ in 0..CASES {
            let bytes: Vec<u8> = (0..r.below(400)).map(|_| r.u64() as u8).collect();
            arbitrary_payload(&bytes, r.network());
        }
    }

    #[test]
    fn mutated_invites_are_canonical() {
        let mut r = Rng(4);
        for _ in 0..CASES {
            let inv = r.invite();
            mutated_invite(&inv, r.u64() as usize, r.u64() as u8);
        }
    }

    #[test]
    fn arbitrary_text_never_panics() {
        let mut r = Rng(5);
        let alphabet: Vec<char> = "qpzry9x8gf2tvdw0s3jn54khce6mua7lQPZ1 \n\té€🔑bio-_"
            .chars()
            .collect();
        for _ in 0..CASES {
            let s: String = (0..r.below(300))
                .map(|_| alphabet[r.below(alphabet.len() as u64) as usize])
                .collect();
            arbitrary_text(&s);
            arbitrary_text(&format!("lsi1{s}"));
        }
    }
}
