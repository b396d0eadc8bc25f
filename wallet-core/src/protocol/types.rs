//! Validated wire values: every key, scalar, signature, hash and id is parsed
//! into one of these types at the edge, so code past the edge never sees an
//! invalid one. Each serializes as the canonical string of §1 and refuses any
//! other spelling.

use crate::error::Error;
use crate::hex;
use k256::elliptic_curve::PrimeField;
use k256::elliptic_curve::hazmat::FieldArithmetic;
use k256::elliptic_curve::point::AffineCoordinates;
use k256::elliptic_curve::sec1::ToSec1Point;
use k256::schnorr;
use k256::{AffinePoint, FieldBytes, NonZeroScalar, ProjectivePoint, PublicKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Implements Display/FromStr/Serialize/Deserialize from `to_text`/`parse`.
macro_rules! text_type {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_text())
            }
        }
        impl FromStr for $t {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                <$t>::parse(s)
            }
        }
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_text())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                <$t>::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// secp256k1's base field element (k256 names it only through this trait).
type Fe = <k256::Secp256k1 as FieldArithmetic>::FieldElement;

// Out of line on purpose: k256 inlines its field multiplication at every
// use, which made its own square root (`AffinePoint::decompress`) 23 KB of
// the web wallet's wasm; the same chain through these two calls is small,
// and as fast within measurement.
#[inline(never)]
fn fe_mul(a: &Fe, b: &Fe) -> Fe {
    a.mul(b)
}

/// `a^(2^n)`.
#[inline(never)]
fn fe_sqn(a: &Fe, n: u32) -> Fe {
    let mut x = *a;
    for _ in 0..n {
        x = x.square();
    }
    x
}

/// The curve point with x-coordinate `x` and a y of parity `odd`, if there
/// is one: SEC1 decompression, and BIP340's `lift_x` with `odd = false`.
pub(crate) fn lift_x(x: &[u8; 32], odd: bool) -> Option<AffinePoint> {
    let xf: Fe = Option::from(Fe::from_bytes(&FieldBytes::from(*x)))?;
    let a = fe_mul(&fe_sqn(&xf, 1), &xf) + Fe::from_u64(7);
    // a^((p+1)/4), k256's addition chain: (p+1)/4 has blocks of 1s of
    // lengths 223, 22 and 2.
    let x2 = fe_mul(&fe_sqn(&a, 1), &a);
    let x3 = fe_mul(&fe_sqn(&x2, 1), &a);
    let x6 = fe_mul(&fe_sqn(&x3, 3), &x3);
    let x9 = fe_mul(&fe_sqn(&x6, 3), &x3);
    let x11 = fe_mul(&fe_sqn(&x9, 2), &x2);
    let x22 = fe_mul(&fe_sqn(&x11, 11), &x11);
    let x44 = fe_mul(&fe_sqn(&x22, 22), &x22);
    let x88 = fe_mul(&fe_sqn(&x44, 44), &x44);
    let x176 = fe_mul(&fe_sqn(&x88, 88), &x88);
    let x220 = fe_mul(&fe_sqn(&x176, 44), &x44);
    let x223 = fe_mul(&fe_sqn(&x220, 3), &x3);
    let t = fe_mul(&fe_sqn(&x223, 23), &x22);
    let y = fe_sqn(&fe_mul(&fe_sqn(&t, 6), &x2), 2).normalize();
    let y = if bool::from(y.is_odd()) == odd {
        y
    } else {
        y.negate(1).normalize()
    };
    // Checks y² = x³ + 7: fails when a has no square root.
    Option::from(AffinePoint::from_coordinates(
        &FieldBytes::from(*x),
        &y.to_bytes(),
    ))
}

/// A SEC1-compressed secp256k1 point (33 bytes, 66 hex chars), never the identity.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Point(PublicKey);

impl Point {
    pub fn parse(text: &str) -> Result<Self, Error> {
        Self::from_bytes(&hex::decode_array::<33>(text)?)
    }
    pub fn from_bytes(bytes: &[u8; 33]) -> Result<Self, Error> {
        if bytes[0] != 0x02 && bytes[0] != 0x03 {
            return Err(Error::InvalidPoint);
        }
        let mut x = [0u8; 32];
        x.copy_from_slice(&bytes[1..]);
        lift_x(&x, bytes[0] == 0x03)
            .and_then(|p| PublicKey::from_affine(p).ok())
            .map(Point)
            .ok_or(Error::InvalidPoint)
    }
    /// `None` for the identity, which is not a valid key.
    pub fn from_projective(p: &ProjectivePoint) -> Option<Self> {
        PublicKey::from_affine(p.to_affine()).ok().map(Point)
    }
    pub fn from_secret(s: &Scalar) -> Self {
        Point(PublicKey::from_secret_scalar(&s.0))
    }
    pub fn to_bytes(&self) -> [u8; 33] {
        let enc = self.0.as_affine().to_sec1_point(true);
        let mut out = [0u8; 33];
        out.copy_from_slice(enc.as_bytes());
        out
    }
    pub fn to_projective(&self) -> ProjectivePoint {
        self.0.to_projective()
    }
    /// The 32-byte x coordinate.
    pub fn x_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(&self.to_bytes()[1..]);
        out
    }
    fn to_text(self) -> String {
        hex::encode(&self.to_bytes())
    }
}
text_type!(Point);
impl fmt::Debug for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Point({})", self.to_text())
    }
}

/// A BIP340 x-only public key (32 bytes, 64 hex chars): auth keys and the relay key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct XOnly(schnorr::VerifyingKey);

impl XOnly {
    pub fn parse(text: &str) -> Result<Self, Error> {
        Self::from_bytes(&hex::decode_array::<32>(text)?)
    }
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, Error> {
        lift_x(bytes, false)
            .and_then(|p| schnorr::VerifyingKey::try_from(p).ok())
            .map(XOnly)
            .ok_or(Error::InvalidXOnlyKey)
    }
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes().into()
    }
    pub(crate) fn verifying_key(&self) -> &schnorr::VerifyingKey {
        &self.0
    }
    pub(crate) fn from_verifying_key(k: schnorr::VerifyingKey) -> Self {
        XOnly(k)
    }
    fn to_text(self) -> String {
        hex::encode(&self.to_bytes())
    }
}
text_type!(XOnly);
impl fmt::Debug for XOnly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "XOnly({})", self.to_text())
    }
}
impl std::hash::Hash for XOnly {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.to_bytes().hash(state)
    }
}

/// A scalar in `[1, n-1]` (64 hex chars): `x1`, `t1`, `t2`, key shares.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Scalar(pub(crate) NonZeroScalar);

impl Scalar {
    pub fn parse(text: &str) -> Result<Self, Error> {
        Self::from_bytes(&hex::decode_array::<32>(text)?)
    }
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, Error> {
        Option::from(NonZeroScalar::from_repr(FieldBytes::from(*bytes)))
            .map(Scalar)
            .ok_or(Error::InvalidScalar)
    }
    /// `None` when the value is zero.
    pub fn from_k256(s: k256::Scalar) -> Option<Self> {
        Option::from(NonZeroScalar::new(s)).map(Scalar)
    }
    pub fn to_k256(&self) -> k256::Scalar {
        *self.0
    }
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_repr().into()
    }
    pub fn public(&self) -> Point {
        Point::from_secret(self)
    }
    fn to_text(self) -> String {
        hex::encode(&self.to_bytes())
    }
}
text_type!(Scalar);
impl fmt::Debug for Scalar {
    // Scalars are often secrets: never print them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Scalar(..)")
    }
}

/// A BIP340 signature (64 bytes, 128 hex chars), range-checked on parse.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Sig([u8; 64]);

impl Sig {
    pub fn parse(text: &str) -> Result<Self, Error> {
        Self::from_bytes(hex::decode_array::<64>(text)?)
    }
    pub fn from_bytes(bytes: [u8; 64]) -> Result<Self, Error> {
        schnorr::Signature::try_from(&bytes[..]).map_err(|_| Error::InvalidSignatureEncoding)?;
        Ok(Sig(bytes))
    }
    pub fn to_bytes(&self) -> [u8; 64] {
        self.0
    }
    pub(crate) fn to_k256(self) -> Option<schnorr::Signature> {
        schnorr::Signature::try_from(&self.0[..]).ok()
    }
    fn to_text(self) -> String {
        hex::encode(&self.0)
    }
}
text_type!(Sig);
impl fmt::Debug for Sig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sig({})", self.to_text())
    }
}
impl std::hash::Hash for Sig {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}

/// A 32-byte hash (64 hex chars), e.g. a descriptor hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash32(pub [u8; 32]);

impl Hash32 {
    pub fn parse(text: &str) -> Result<Self, Error> {
        Ok(Hash32(hex::decode_array::<32>(text)?))
    }
    fn to_text(self) -> String {
        hex::encode(&self.0)
    }
}
text_type!(Hash32);
impl fmt::Debug for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash32({})", self.to_text())
    }
}

/// Bytes carried as lowercase hex (the encrypted message).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct HexBytes(pub Vec<u8>);

impl HexBytes {
    pub fn parse(text: &str) -> Result<Self, Error> {
        Ok(HexBytes(hex::decode(text)?))
    }
    fn to_text(&self) -> String {
        hex::encode(&self.0)
    }
}
text_type!(HexBytes);
impl fmt::Debug for HexBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HexBytes({} bytes)", self.0.len())
    }
}

/// A coin or batch id: a UUID in canonical lowercase hyphenated form only.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(uuid::Uuid);

impl Id {
    pub fn parse(text: &str) -> Result<Self, Error> {
        let id = uuid::Uuid::try_parse(text).map_err(|_| Error::InvalidUuid)?;
        // `try_parse` also takes braces, urn: and uppercase; one spelling only.
        if text.len() != 36 || id.hyphenated().to_string() != text {
            return Err(Error::InvalidUuid);
        }
        Ok(Id(id))
    }
    /// A v4 UUID from 16 bytes of caller-supplied CSPRNG output.
    pub fn new_v4(random: [u8; 16]) -> Self {
        Id(uuid::Builder::from_random_bytes(random).into_uuid())
    }
    pub fn to_bytes(&self) -> [u8; 16] {
        *self.0.as_bytes()
    }
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Id(uuid::Uuid::from_bytes(bytes))
    }
    fn to_text(self) -> String {
        self.0.hyphenated().to_string()
    }
}
text_type!(Id);
impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.to_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const G_HEX: &str = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

    #[test]
    fn point_parses_generator_and_rejects_others() {
        let g = Point::parse(G_HEX).unwrap();
        assert_eq!(g.to_string(), G_HEX);
        // Uncompressed prefix, bad prefix, off-curve x, uppercase.
        assert!(Point::parse(&format!("04{}", &G_HEX[2..])).is_err());
        assert!(Point::parse(&format!("05{}", &G_HEX[2..])).is_err());
        assert!(Point::parse(&format!("02{}", "00".repeat(31) + "05")).is_err());
        assert!(Point::parse(&G_HEX.to_uppercase()).is_err());
    }

    /// The hand-written square root agrees with k256's own decompression
    /// for x values from a hash chain (about half have no point), both
    /// parities, and x at or above p (no field element: refused).
    #[test]
    fn lift_x_agrees_with_k256_decompress() {
        use k256::elliptic_curve::point::DecompressPoint;
        use sha2::{Digest, Sha256};
        let mut x: [u8; 32] = Sha256::digest(b"lift_x").into();
        let (mut on_curve, mut off_curve) = (0, 0);
        for _ in 0..64 {
            for odd in [false, true] {
                let ours = lift_x(&x, odd);
                let theirs: Option<AffinePoint> =
                    AffinePoint::decompress(&FieldBytes::from(x), u8::from(odd).into()).into();
                assert_eq!(ours, theirs, "x = {}", hex::encode(&x));
                if ours.is_some() {
                    on_curve += 1;
                } else {
                    off_curve += 1;
                }
            }
            x = Sha256::digest(x).into();
        }
        assert!(
            on_curve > 20 && off_curve > 20,
            "{on_curve} on, {off_curve} off"
        );
        // p, p + 1 and 2^256 - 1: not field elements (BIP340 vector 14's key).
        let p: [u8; 32] =
            hex::decode_array("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f")
                .unwrap();
        let mut p1 = p;
        p1[31] += 1;
        for x in [p, p1, [0xff; 32]] {
            assert!(lift_x(&x, false).is_none() && lift_x(&x, true).is_none());
        }
    }

    #[test]
    fn scalar_rejects_zero_and_order() {
        assert!(Scalar::parse(&"00".repeat(32)).is_err());
        let n = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
        assert!(Scalar::parse(n).is_err());
        let n_minus_1 = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140";
        assert_eq!(Scalar::parse(n_minus_1).unwrap().to_string(), n_minus_1);
    }

    #[test]
    fn uuid_only_canonical_lowercase() {
        let good = "67e55044-10b1-426f-9247-bb680e5fe0c8";
        assert_eq!(Id::parse(good).unwrap().to_string(), good);
        assert!(Id::parse(&good.to_uppercase()).is_err());
        assert!(Id::parse(&good.replace('-', "")).is_err());
        assert!(Id::parse(&format!("{{{good}}}")).is_err());
        assert!(Id::parse(&format!("urn:uuid:{good}")).is_err());
    }

    #[test]
    fn v4_from_random_bytes() {
        let id = Id::new_v4([0xff; 16]);
        assert_eq!(id.to_string(), "ffffffff-ffff-4fff-bfff-ffffffffffff");
    }

    #[test]
    fn serde_round_trip_and_strictness() {
        let g: Point = serde_json::from_str(&format!("\"{G_HEX}\"")).unwrap();
        assert_eq!(serde_json::to_string(&g).unwrap(), format!("\"{G_HEX}\""));
        assert!(serde_json::from_str::<Point>("12").is_err());
        assert!(serde_json::from_str::<Sig>(&format!("\"{}\"", "ff".repeat(64))).is_err());
    }
}
