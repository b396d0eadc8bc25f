//! BIP340 batch verification.
//!
//! Checking `u` signatures `(Pᵢ, mᵢ, (rᵢ, sᵢ))` one by one costs `u`
//! double-scalar multiplications. The batch check of BIP340 replaces them by
//! one multi-scalar multiplication:
//!
//! ```text
//! (Σ aᵢ·sᵢ)·G  =  Σ aᵢ·Rᵢ  +  Σ (aᵢ·eᵢ)·Pᵢ
//! ```
//!
//! where `Rᵢ = lift_x(rᵢ)` (the point with x = `rᵢ` and even y),
//! `eᵢ = int(hash_BIP0340/challenge(rᵢ ‖ Pᵢ ‖ mᵢ)) mod n`, `a₀ = 1` and the
//! other `aᵢ` are 128-bit randomizers. As BIP340 suggests, the randomizers
//! come from a hash of every input (no RNG): an attacker who changes any
//! signature, key or message changes every `aᵢ`, so a forged batch passes with
//! probability about 2⁻¹²⁸ per attempt. The equation holds for a batch of
//! valid signatures, and fails (with that probability bound) as soon as one is
//! invalid.
//!
//! What makes it fast for Lockstep's chains, where the relay signs about
//! half of the signatures: all terms with the same key are folded into one
//! scalar multiple of that key; the multi-scalar multiplication is a
//! Pippenger (bucket) method with signed digits, written over k256's public
//! `ProjectivePoint`/`AffinePoint` API; the randomizers are 128-bit, and the
//! full-width key scalars `Σ aᵢ·eᵢ` are split in two 128-bit halves with the
//! secp256k1 endomorphism, so the whole sum needs only 128 doublings.
//!
//! When the batch equation fails, [`invalid_signatures`] falls back to
//! verifying each signature on its own to name the bad ones.
//!
//! Everything here is variable-time: it handles public data only.

use crate::signing;
use crate::sorted_map::SortedMap;
use crate::types::{Sig, XOnly};
use k256::elliptic_curve::ops::Reduce;
use k256::elliptic_curve::scalar::IsHigh;
use k256::elliptic_curve::{BatchNormalize, PrimeField};
use k256::{AffinePoint, FieldBytes, ProjectivePoint, Scalar};
use sha2::{Digest, Sha256};

/// One signature to check: BIP340 over the 32-byte message `msg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigItem {
    pub key: XOnly,
    pub msg: [u8; 32],
    pub sig: Sig,
}

impl SigItem {
    pub fn new(key: XOnly, msg: [u8; 32], sig: Sig) -> Self {
        SigItem { key, msg, sig }
    }

    /// The item for a signature over `SHA256(utf8(signing_string))` (§1).
    pub fn over_string(key: XOnly, signing_string: &str, sig: Sig) -> Self {
        SigItem {
            key,
            msg: signing::message_hash(signing_string),
            sig,
        }
    }

    /// Verifies this one signature on its own.
    pub fn verify(&self) -> bool {
        signing::verify_digest(&self.key, &self.msg, &self.sig)
    }
}

/// Domain separation for the randomizer seed.
const SEED_TAG: &[u8] = b"lockstep/v1/bip340-batch-randomizers";

/// `true` when every signature in `items` is valid (an empty batch is).
///
/// A `false` says that at least one is invalid; [`invalid_signatures`] says
/// which.
pub fn verify_batch(items: &[SigItem]) -> bool {
    match items.len() {
        0 => true,
        // A single signature: the ordinary check is as fast and simpler.
        1 => items[0].verify(),
        _ => batch_equation_holds(items),
    }
}

/// Indices of the signatures that fail on their own, in order.
pub fn verify_each(items: &[SigItem]) -> Vec<usize> {
    items
        .iter()
        .enumerate()
        .filter(|(_, item)| !item.verify())
        .map(|(i, _)| i)
        .collect()
}

/// Indices of the invalid signatures in `items` (empty when all are valid):
/// one batch check, and only if it fails, one check per signature.
pub fn invalid_signatures(items: &[SigItem]) -> Vec<usize> {
    if verify_batch(items) {
        Vec::new()
    } else {
        verify_each(items)
    }
}

/// `SHA256(tag) ‖ SHA256(tag)` already absorbed: the BIP340 tagged-hash prefix.
fn challenge_hasher() -> Sha256 {
    let tag = Sha256::digest(b"BIP0340/challenge");
    let mut h = Sha256::new();
    h.update(tag);
    h.update(tag);
    h
}

/// A 128-bit randomizer, never zero (a zero would drop a signature from the
/// equation).
fn randomizer(seed: &[u8; 32], index: u64) -> Scalar {
    let mut h = Sha256::new();
    h.update(seed);
    h.update(index.to_le_bytes());
    let digest: [u8; 32] = h.finalize().into();
    let mut bytes = [0u8; 32];
    bytes[16..].copy_from_slice(&digest[..16]);
    let a = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(bytes));
    if bool::from(a.is_zero()) {
        Scalar::ONE
    } else {
        a
    }
}

fn batch_equation_holds(items: &[SigItem]) -> bool {
    // The seed commits to every input, in order.
    let mut seed = Sha256::new();
    seed.update(SEED_TAG);
    seed.update((items.len() as u64).to_le_bytes());
    for item in items {
        seed.update(item.key.to_bytes());
        seed.update(item.msg);
        seed.update(item.sig.to_bytes());
    }
    let seed: [u8; 32] = seed.finalize().into();
    let challenge = challenge_hasher();

    let mut s_sum = Scalar::ZERO;
    let mut points: Vec<AffinePoint> = Vec::with_capacity(items.len() + 8);
    let mut scalars: Vec<Scalar> = Vec::with_capacity(items.len() + 8);
    // Folded key terms: key bytes → index into `key_terms` (a sorted list,
    // not a hash map: no hasher and no hash table code in the web wallet).
    let mut key_index: SortedMap<[u8; 32], usize> = SortedMap::new();
    let mut key_terms: Vec<(AffinePoint, Scalar)> = Vec::new();

    for (i, item) in items.iter().enumerate() {
        let sig = item.sig.to_bytes();
        let mut r_bytes = [0u8; 32];
        r_bytes.copy_from_slice(&sig[..32]);
        let mut s_bytes = [0u8; 32];
        s_bytes.copy_from_slice(&sig[32..]);
        // s < n, and R = lift_x(r): r < p and on the curve, even y.
        let Some(s) = Option::<Scalar>::from(Scalar::from_repr(FieldBytes::from(s_bytes))) else {
            return false;
        };
        let Some(r_point) = crate::types::lift_x(&r_bytes, false) else {
            return false;
        };
        let key_bytes = item.key.to_bytes();
        let mut h = challenge.clone();
        h.update(r_bytes);
        h.update(key_bytes);
        h.update(item.msg);
        let e = <Scalar as Reduce<FieldBytes>>::reduce(&h.finalize());

        let a = if i == 0 {
            Scalar::ONE
        } else {
            randomizer(&seed, i as u64)
        };
        s_sum += a * s;
        points.push(r_point);
        scalars.push(a);
        let ae = a * e;
        match key_index.get(&key_bytes) {
            Some(&k) => key_terms[k].1 += ae,
            None => {
                key_index.insert(key_bytes, key_terms.len());
                key_terms.push((*item.key.verifying_key().as_affine(), ae));
            }
        }
    }
    for (p, c) in key_terms {
        points.push(p);
        scalars.push(c);
    }
    let rhs = multi_scalar_mul(&points, &scalars);
    let lhs = ProjectivePoint::mul_by_generator_vartime(&s_sum);
    lhs == rhs
}

/// `Σ scalars[i]·points[i]`, by Pippenger's bucket method with signed
/// window digits. Scalars longer than 128 bits are first split with the
/// secp256k1 endomorphism (`k·P = k1·P + k2·λP`, both halves < 2^128), so
/// every window above bit 129 is empty. Variable-time.
pub fn multi_scalar_mul(points: &[AffinePoint], scalars: &[Scalar]) -> ProjectivePoint {
    let n = points.len().min(scalars.len());
    if n == 0 {
        return ProjectivePoint::IDENTITY;
    }
    let mut terms: Vec<(AffinePoint, Scalar)> = Vec::with_capacity(2 * n);
    let mut split: Vec<(usize, Scalar)> = Vec::new();
    let mut lambda_points: Vec<ProjectivePoint> = Vec::new();
    for (p, k) in points[..n].iter().zip(&scalars[..n]) {
        if bit_length(&to_limbs(k)) <= 128 {
            terms.push((*p, *k));
            continue;
        }
        let (k1, k2) = glv_decompose(k);
        terms.push(signed_term(*p, k1));
        split.push((terms.len(), k2));
        terms.push((*p, Scalar::ZERO)); // replaced below by λ·P
        lambda_points.push(ProjectivePoint::from(*p).endomorphism());
    }
    if !lambda_points.is_empty() {
        // λ·P = (β·x, y): one shared inversion brings them all back to affine.
        let affine =
            <ProjectivePoint as BatchNormalize<[ProjectivePoint]>>::batch_normalize(&lambda_points);
        for ((slot, k2), lp) in split.into_iter().zip(affine) {
            terms[slot] = signed_term(lp, k2);
        }
    }
    pippenger(&terms)
}

/// `(P, k)` or `(−P, −k)`, whichever has the short scalar.
fn signed_term(p: AffinePoint, k: Scalar) -> (AffinePoint, Scalar) {
    if bool::from(k.is_high()) {
        (-p, -k)
    } else {
        (p, k)
    }
}

fn pippenger(terms: &[(AffinePoint, Scalar)]) -> ProjectivePoint {
    let n = terms.len();
    let limbs: Vec<[u64; 4]> = terms.iter().map(|(_, k)| to_limbs(k)).collect();
    let bits: Vec<u32> = limbs.iter().map(bit_length).collect();
    let max_bits = bits.iter().copied().max().unwrap_or(0) as usize;
    let c = window_bits(&bits);
    // The signed recoding carries into the window above a scalar's top bit;
    // with two spare bits the top digit stays below 2^(c-1) and nothing is
    // carried out.
    let windows = (max_bits + 2).div_ceil(c as usize);

    let mut digits = vec![0i32; n * windows];
    for (t, l) in limbs.iter().enumerate() {
        signed_digits(l, c, &mut digits[t * windows..(t + 1) * windows]);
    }
    // One past the highest non-zero digit of each term.
    let top: Vec<usize> = (0..n)
        .map(|t| {
            digits[t * windows..(t + 1) * windows]
                .iter()
                .rposition(|&d| d != 0)
                .map_or(0, |w| w + 1)
        })
        .collect();
    // Terms sorted by that, highest first, so the terms that can have a
    // digit in window w are a prefix of the list. (A counting sort, stable:
    // `top` takes at most `windows + 1` values, and a general sort would be
    // one more 3.5 KB monomorphization in the web wallet.)
    let mut order: Vec<usize> = Vec::with_capacity(n);
    for w in (0..=windows).rev() {
        order.extend((0..n).filter(|&t| top[t] == w));
    }
    let active: Vec<usize> = (0..windows)
        .map(|w| order.iter().take_while(|&&t| top[t] > w).count())
        .collect();
    let pos: Vec<AffinePoint> = order.iter().map(|&t| terms[t].0).collect();
    let neg: Vec<AffinePoint> = pos.iter().map(|p| -*p).collect();

    let buckets_len = 1usize << (c - 1);
    let mut buckets = vec![ProjectivePoint::IDENTITY; buckets_len];
    let mut touched = vec![false; buckets_len];
    let mut acc: Option<ProjectivePoint> = None;
    for w in (0..windows).rev() {
        if let Some(a) = acc.as_mut() {
            for _ in 0..c {
                *a = a.double();
            }
        }
        let window = Window {
            w,
            windows,
            order: &order[..active[w]],
            digits: &digits,
            pos: &pos,
            neg: &neg,
        };
        if let Some(total) = window.sum(&mut buckets, &mut touched) {
            acc = Some(match acc {
                Some(a) => a + total,
                None => total,
            });
        }
    }
    acc.unwrap_or(ProjectivePoint::IDENTITY)
}

/// One Pippenger window: the terms active in it and their digits.
struct Window<'a> {
    w: usize,
    windows: usize,
    order: &'a [usize],
    digits: &'a [i32],
    pos: &'a [AffinePoint],
    neg: &'a [AffinePoint],
}

impl Window<'_> {
    /// `Σ digit·point` over the window's terms, `None` when all digits are 0.
    ///
    /// Kept out of line: a browser engine compiles a wasm function with its
    /// optimizing tier only between calls, so the hot loop must be a function
    /// called once per window, not one call for the whole sum.
    #[inline(never)]
    fn sum(
        &self,
        buckets: &mut [ProjectivePoint],
        touched: &mut [bool],
    ) -> Option<ProjectivePoint> {
        touched.iter_mut().for_each(|t| *t = false);
        let mut any = false;
        for (slot, &t) in self.order.iter().enumerate() {
            let d = self.digits[t * self.windows + self.w];
            if d == 0 {
                continue;
            }
            let (b, p) = if d > 0 {
                ((d - 1) as usize, &self.pos[slot])
            } else {
                ((-d - 1) as usize, &self.neg[slot])
            };
            if touched[b] {
                buckets[b] += p;
            } else {
                buckets[b] = ProjectivePoint::from(*p);
                touched[b] = true;
            }
            any = true;
        }
        if !any {
            return None;
        }
        // Σ (j+1)·bucket[j] by running sums, skipping untouched buckets.
        let mut running: Option<ProjectivePoint> = None;
        let mut total: Option<ProjectivePoint> = None;
        for j in (0..buckets.len()).rev() {
            if touched[j] {
                running = Some(match running {
                    Some(r) => r + buckets[j],
                    None => buckets[j],
                });
            }
            if let Some(r) = running {
                total = Some(match total {
                    Some(t) => t + r,
                    None => r,
                });
            }
        }
        total
    }
}

// GLV constants of secp256k1 (as in libsecp256k1 and k256): the lattice
// basis and the rounded projections g1, g2 (see `glv_decompose`).
const MINUS_LAMBDA: [u8; 32] = [
    0xac, 0x9c, 0x52, 0xb3, 0x3f, 0xa3, 0xcf, 0x1f, 0x5a, 0xd9, 0xe3, 0xfd, 0x77, 0xed, 0x9b, 0xa4,
    0xa8, 0x80, 0xb9, 0xfc, 0x8e, 0xc7, 0x39, 0xc2, 0xe0, 0xcf, 0xc8, 0x10, 0xb5, 0x12, 0x83, 0xcf,
];
const MINUS_B1: [u8; 32] = [
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xe4, 0x43, 0x7e, 0xd6, 0x01, 0x0e, 0x88, 0x28, 0x6f, 0x54, 0x7f, 0xa9, 0x0a, 0xbf, 0xe4, 0xc3,
];
const MINUS_B2: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0x8a, 0x28, 0x0a, 0xc5, 0x07, 0x74, 0x34, 0x6d, 0xd7, 0x65, 0xcd, 0xa8, 0x3d, 0xb1, 0x56, 0x2c,
];
const G1: [u8; 32] = [
    0x30, 0x86, 0xd2, 0x21, 0xa7, 0xd4, 0x6b, 0xcd, 0xe8, 0x6c, 0x90, 0xe4, 0x92, 0x84, 0xeb, 0x15,
    0x3d, 0xaa, 0x8a, 0x14, 0x71, 0xe8, 0xca, 0x7f, 0xe8, 0x93, 0x20, 0x9a, 0x45, 0xdb, 0xb0, 0x31,
];
const G2: [u8; 32] = [
    0xe4, 0x43, 0x7e, 0xd6, 0x01, 0x0e, 0x88, 0x28, 0x6f, 0x54, 0x7f, 0xa9, 0x0a, 0xbf, 0xe4, 0xc4,
    0x22, 0x12, 0x08, 0xac, 0x9d, 0xf5, 0x06, 0xc6, 0x15, 0x71, 0xb4, 0xae, 0x8a, 0xc4, 0x7f, 0x71,
];

/// A constant below n as a scalar.
fn constant(bytes: &[u8; 32]) -> Scalar {
    <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(*bytes))
}

/// `round(k·g / 2^384)` for a 256-bit `g`: below 2^129, returned as a scalar.
fn mul_shift_384(k: &[u64; 4], g: &[u64; 4]) -> Scalar {
    let mut wide = [0u64; 8];
    for i in 0..4 {
        let mut carry = 0u128;
        for j in 0..4 {
            let t = u128::from(k[i]) * u128::from(g[j]) + u128::from(wide[i + j]) + carry;
            wide[i + j] = t as u64;
            carry = t >> 64;
        }
        wide[i + 4] = carry as u64;
    }
    // Bits 384.. plus the rounding bit 383.
    let round = u128::from(wide[5] >> 63);
    // k < n and g < 2^256 keep this below 2^128; saturate rather than trust it.
    let v = (u128::from(wide[7]) << 64 | u128::from(wide[6])).saturating_add(round);
    let mut be = [0u8; 32];
    be[16..].copy_from_slice(&v.to_be_bytes());
    constant(&be)
}

/// `k = k1 + k2·λ (mod n)` with `k1`, `k2` or their negations below 2^128
/// (libsecp256k1's `scalar_split_lambda`).
fn glv_decompose(k: &Scalar) -> (Scalar, Scalar) {
    let limbs = to_limbs(k);
    let g1 = to_limbs(&constant(&G1));
    let g2 = to_limbs(&constant(&G2));
    let c1 = mul_shift_384(&limbs, &g1) * constant(&MINUS_B1);
    let c2 = mul_shift_384(&limbs, &g2) * constant(&MINUS_B2);
    let k2 = c1 + c2;
    let k1 = *k + k2 * constant(&MINUS_LAMBDA);
    (k1, k2)
}

/// Little-endian 64-bit limbs of a scalar.
fn to_limbs(s: &Scalar) -> [u64; 4] {
    let be: [u8; 32] = s.to_bytes().into();
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&be[32 - 8 * (i + 1)..32 - 8 * i]);
        *limb = u64::from_be_bytes(word);
    }
    limbs
}

fn bit_length(limbs: &[u64; 4]) -> u32 {
    for i in (0..4).rev() {
        if limbs[i] != 0 {
            return 64 * i as u32 + (64 - limbs[i].leading_zeros());
        }
    }
    0
}

/// `c` bits starting at bit `start` (c ≤ 32).
fn bits_at(limbs: &[u64; 4], start: usize, c: u32) -> u64 {
    let (limb, shift) = (start / 64, start % 64);
    if limb >= 4 {
        return 0;
    }
    let mut v = limbs[limb] >> shift;
    if shift + c as usize > 64 && limb + 1 < 4 {
        v |= limbs[limb + 1] << (64 - shift);
    }
    v & ((1u64 << c) - 1)
}

/// Signed base-2^c digits in `[-2^(c-1), 2^(c-1)]`, least significant first.
fn signed_digits(limbs: &[u64; 4], c: u32, out: &mut [i32]) {
    let half = 1i64 << (c - 1);
    let mut carry = 0i64;
    for (w, d) in out.iter_mut().enumerate() {
        let raw = bits_at(limbs, w * c as usize, c) as i64 + carry;
        if raw >= half {
            *d = (raw - (1i64 << c)) as i32;
            carry = 1;
        } else {
            *d = raw as i32;
            carry = 0;
        }
    }
}

/// The window width with the least estimated point additions for these
/// scalar lengths: per window, one addition per active term plus about
/// 2^c for the bucket sums.
fn window_bits(bits: &[u32]) -> u32 {
    let max_bits = bits.iter().copied().max().unwrap_or(0) as u64;
    let mut best = (u64::MAX, 4);
    for c in 2u32..=12 {
        let windows = (max_bits + 2).div_ceil(c as u64);
        let mut cost = 0u64;
        for w in 0..windows {
            let active = bits
                .iter()
                .filter(|&&b| b as u64 + 1 > w * c as u64)
                .count() as u64;
            if active > 0 {
                cost += active + (1u64 << c);
            }
        }
        if cost < best.0 {
            best = (cost, c);
        }
    }
    best.1
}

#[cfg(test)]
mod tests;
