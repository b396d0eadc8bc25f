//! The batch check on the official BIP340 vectors and on corrupted, swapped
//! and repeated-key batches; the multi-scalar multiplication and its GLV
//! split and signed digits against plain arithmetic.

use super::*;
use crate::hex;
use crate::keys::AuthKey;
use crate::types::Scalar as WScalar;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

/// The valid official BIP340 vectors (public key, message, signature).
const VALID: &[(&str, &str, &str)] = &[
    (
        "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "e907831f80848d1069a5371b402410364bdf1c5f8307b0084c55f1ce2dca821525f66a4a85ea8b71e482a74f382d2ce5ebeee8fdb2172f477df4900d310536c0",
    ),
    (
        "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",
        "243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89",
        "6896bd60eeae296db48a229ff71dfe071bde413e6d43f917dc8dcf8c78de33418906d11ac976abccb20b091292bff4ea897efcb639ea871cfa95f6de339e4b0a",
    ),
    (
        "dd308afec5777e13121fa72b9cc1b7cc0139715309b086c960e18fd969774eb8",
        "7e2d58d8b3bcdf1abadec7829054f90dda9805aab56c77333024b9d0a508b75c",
        "5831aaeed7b44bb74e5eab94ba9d4294c49bcf2a60728d8b4c200f50dd313c1bab745879a5ad954a72c45a91c3a51d3c7adea98d82f8481e0e1e03674a6f3fb7",
    ),
    (
        "25d1dff95105f5253c4022f628a996ad3a0d95fbf21d468a1b33f8c160d8f517",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "7eb0509757e246f19449885651611cb965ecc1a187dd51b64fda1edc9637d5ec97582b9cb13db3933705b32ba982af5af25fd78881ebb32771fc5922efc66ea3",
    ),
    (
        "d69c3509bb99e412e68b0fe8544e72837dfa30746d8be2aa65975f29d22dc7b9",
        "4df3c3f68fcc83b27e9d42c90431a72499f17875c81a599b566c9889b9696703",
        "00000000000000000000003b78ce563f89a0ed9414f5aa28ad0d96d6795f9c6376afb1548af603b3eb45c9f8207dee1060cb71c04e80f593060b07d28308d7f4",
    ),
];

fn valid_items() -> Vec<SigItem> {
    VALID
        .iter()
        .map(|(pk, msg, sig)| SigItem {
            key: XOnly::parse(pk).unwrap(),
            msg: hex::decode_array(msg).unwrap(),
            sig: Sig::parse(sig).unwrap(),
        })
        .collect()
}

fn key(v: u64) -> AuthKey {
    AuthKey::from_scalar(&WScalar::parse(&format!("{v:064x}")).unwrap())
}

/// `count` signatures by `keys` distinct keys, round robin.
fn signed(count: usize, keys: u64) -> Vec<SigItem> {
    (0..count)
        .map(|i| {
            let k = key(1000 + i as u64 % keys);
            let text = format!("message {i}");
            SigItem::over_string(k.public(), &text, k.sign(&text, [i as u8; 32]))
        })
        .collect()
}

#[test]
fn official_valid_vectors_pass_as_a_batch() {
    let items = valid_items();
    assert!(items.iter().all(SigItem::verify));
    assert!(verify_batch(&items));
    assert!(invalid_signatures(&items).is_empty());
    // Every prefix and every pair too (covers the one- and two-item paths).
    for n in 0..=items.len() {
        assert!(verify_batch(&items[..n]), "prefix {n}");
    }
    for i in 0..items.len() {
        for j in 0..items.len() {
            assert!(verify_batch(&[items[i], items[j]]), "pair {i} {j}");
        }
    }
}

#[test]
fn empty_batch_is_valid() {
    assert!(verify_batch(&[]));
    assert!(invalid_signatures(&[]).is_empty());
    assert_eq!(multi_scalar_mul(&[], &[]), ProjectivePoint::IDENTITY);
}

#[test]
fn any_single_corruption_fails_and_is_named() {
    let items = signed(9, 4);
    assert!(verify_batch(&items));
    // At every position, in turn: a wrong message, a wrong key, a flipped
    // bit in s, and a flipped bit in r.
    for bad in 0..items.len() {
        let mut c = items.clone();
        match bad % 4 {
            0 => c[bad].msg[0] ^= 1,
            1 => c[bad].key = key(7).public(),
            kind => {
                let mut bytes = c[bad].sig.to_bytes();
                bytes[if kind == 2 { 63 } else { 31 }] ^= 1;
                c[bad].sig = Sig::from_bytes(bytes).unwrap();
            }
        }
        assert!(!verify_batch(&c), "position {bad}");
        assert_eq!(invalid_signatures(&c), vec![bad], "position {bad}");
    }
}

#[test]
fn r_not_on_the_curve_or_odd_y_fails() {
    let mut items = signed(3, 3);
    // BIP340 vector 11: r is not the x of a curve point.
    let mut bytes = items[1].sig.to_bytes();
    bytes[..32].copy_from_slice(
        &hex::decode_array::<32>(
            "4a298dacae57395a15d0795ddbfd1dcb564da82b0f269bc70a74f8220429ba1d",
        )
        .unwrap(),
    );
    items[1].sig = Sig::from_bytes(bytes).unwrap();
    assert!(!verify_batch(&items));
    assert_eq!(invalid_signatures(&items), vec![1]);
    // BIP340 vectors 6 and 7 (R has odd y / negated message): invalid in a batch too.
    let pk = "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659";
    let msg = "243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89";
    for sig in [
        "fff97bd5755eeea420453a14355235d382f6472f8568a18b2f057a14602975563cc27944640ac607cd107ae10923d9ef7a73c643e166be5ebeafa34b1ac553e2",
        "1fa62e331edbc21c394792d2ab1100a7b432b013df3f6ff4f99fcb33e0e1515f28890b3edb6e7189b630448b515ce4f8622a954cfe545735aaea5134fccdb2bd",
    ] {
        let bad = SigItem {
            key: XOnly::parse(pk).unwrap(),
            msg: hex::decode_array(msg).unwrap(),
            sig: Sig::parse(sig).unwrap(),
        };
        let mut all = valid_items();
        all.push(bad);
        assert!(!verify_batch(&all));
        assert_eq!(invalid_signatures(&all), vec![all.len() - 1]);
    }
}

#[test]
fn repeated_keys_are_folded() {
    // One key for everything, two keys, and all distinct.
    for keys in [1, 2, 40] {
        let items = signed(40, keys);
        assert!(verify_batch(&items), "{keys} keys");
        let mut bad = items.clone();
        bad[17].msg[5] ^= 0x80;
        assert_eq!(invalid_signatures(&bad), vec![17], "{keys} keys");
    }
    // The very same signature twice is still valid.
    let one = signed(1, 1)[0];
    assert!(verify_batch(&[one, one, one]));
}

#[test]
fn two_bad_signatures_are_both_named() {
    let mut items = signed(9, 3);
    items[2].msg[1] ^= 1;
    items[7].msg[1] ^= 1;
    assert_eq!(invalid_signatures(&items), vec![2, 7]);
}

#[test]
fn swapped_signatures_do_not_cancel_out() {
    // Two valid signatures swapped between their messages.
    let mut items = signed(4, 1);
    let (a, b) = (items[1].sig, items[2].sig);
    items[1].sig = b;
    items[2].sig = a;
    assert!(!verify_batch(&items));
    assert_eq!(invalid_signatures(&items), vec![1, 2]);
}

#[test]
fn msm_matches_naive_sum() {
    let g = ProjectivePoint::GENERATOR;
    for n in [1usize, 2, 3, 17, 70] {
        let points: Vec<AffinePoint> = (0..n)
            .map(|i| (g * Scalar::from(i as u64 + 3)).to_affine())
            .collect();
        let scalars: Vec<Scalar> = (0..n)
            .map(|i| {
                let mut b = [0u8; 32];
                b[0] = 0x7f;
                b[5] = i as u8;
                b[31] = 0xff - i as u8;
                let s = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(b));
                if i % 3 == 0 {
                    -s
                } else if i % 3 == 1 {
                    s.shr_vartime(130)
                } else {
                    s
                }
            })
            .collect();
        let naive = points
            .iter()
            .zip(&scalars)
            .fold(ProjectivePoint::IDENTITY, |acc, (p, s)| {
                acc + ProjectivePoint::from(*p) * s
            });
        assert_eq!(multi_scalar_mul(&points, &scalars), naive, "n = {n}");
    }
    // Scalars whose signed digits carry all the way up: all-ones 64-,
    // 127-, 128-bit and 256-bit values, and n − 1.
    let ones = |bits: usize| {
        let mut b = [0u8; 32];
        for i in 0..bits {
            b[31 - i / 8] |= 1 << (i % 8);
        }
        <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(b))
    };
    // Points i·G, so the naive sum is (Σ i·kᵢ)·G.
    for edge in [
        ones(64),
        ones(127),
        ones(128),
        ones(129),
        ones(255),
        ones(256),
        -Scalar::ONE,
    ] {
        for n in [1usize, 3, 40, 150] {
            let mut points = Vec::with_capacity(n);
            let mut p = ProjectivePoint::IDENTITY;
            for _ in 0..n {
                p += ProjectivePoint::GENERATOR;
                points.push(p.to_affine());
            }
            let scalars: Vec<Scalar> = (0..n)
                .map(|i| if i % 2 == 0 { edge } else { ones(128) })
                .collect();
            let weight = scalars
                .iter()
                .enumerate()
                .fold(Scalar::ZERO, |acc, (i, k)| {
                    acc + Scalar::from(i as u64 + 1) * k
                });
            assert_eq!(multi_scalar_mul(&points, &scalars), g * weight, "n = {n}");
        }
    }
    // Zero scalars and the order minus one.
    let p = ProjectivePoint::GENERATOR.to_affine();
    assert_eq!(
        multi_scalar_mul(&[p], &[Scalar::ZERO]),
        ProjectivePoint::IDENTITY
    );
    assert_eq!(
        multi_scalar_mul(&[p, p], &[-Scalar::ONE, Scalar::ONE]),
        ProjectivePoint::IDENTITY
    );
}

#[test]
fn glv_halves_are_short_and_recombine() {
    let lambda = -constant(&MINUS_LAMBDA);
    let mut cases: Vec<Scalar> = vec![
        Scalar::ONE,
        -Scalar::ONE,
        lambda,
        -lambda,
        Scalar::from(u64::MAX),
    ];
    for i in 0..64u64 {
        let mut h = Sha256::new();
        h.update(i.to_le_bytes());
        cases.push(<Scalar as Reduce<FieldBytes>>::reduce(&h.finalize()));
    }
    for k in cases {
        let (k1, k2) = glv_decompose(&k);
        assert_eq!(k1 + k2 * lambda, k);
        for half in [k1, k2] {
            let short = if bool::from(half.is_high()) {
                -half
            } else {
                half
            };
            assert!(bit_length(&to_limbs(&short)) <= 128);
        }
    }
    // λ·G really is the endomorphism.
    let g = ProjectivePoint::GENERATOR;
    assert_eq!(g.endomorphism(), g * lambda);
}

#[test]
fn signed_digits_reconstruct_the_scalar() {
    let limbs = [
        u64::MAX,
        0x0123_4567_89ab_cdef,
        u64::MAX,
        0xfffe_ffff_ffff_ffff,
    ];
    for c in 2..=12u32 {
        let windows = 258usize.div_ceil(c as usize);
        let mut d = vec![0i32; windows];
        signed_digits(&limbs, c, &mut d);
        let half = 1i32 << (c - 1);
        assert!(d.iter().all(|&x| -half <= x && x <= half), "c = {c}");
        // Σ d_w·2^(cw) as a Scalar equals the scalar.
        let mut acc = Scalar::ZERO;
        for &x in d.iter().rev() {
            acc *= Scalar::from(1u64 << c);
            acc += if x >= 0 {
                Scalar::from(x as u64)
            } else {
                -Scalar::from((-x) as u64)
            };
        }
        let mut be = [0u8; 32];
        for i in 0..4 {
            be[32 - 8 * (i + 1)..32 - 8 * i].copy_from_slice(&limbs[i].to_be_bytes());
        }
        let expect = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(be));
        assert_eq!(acc, expect, "c = {c}");
    }
}
