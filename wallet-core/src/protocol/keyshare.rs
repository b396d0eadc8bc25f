//! Key-share arithmetic (§5). `P = O + S` never changes; each transfer moves
//! the user share `o1 → o2` and the server share `s1 → s2` with
//! `s2 = s1 + t2 − x1 = s1 + o1 − o2`.

use crate::error::Error;
use crate::types::{Point, Scalar};

/// The aggregated key `P = O + S` of a new coin. `None` if it is the identity
/// (only when `S = −O`; the relay then draws another share).
pub fn aggregate(user_pubkey: &Point, server_pubkey: &Point) -> Option<Point> {
    Point::from_projective(&(user_pubkey.to_projective() + server_pubkey.to_projective()))
}

/// Sender: `t1 = o1 + x1`.
pub fn t1(o1: &Scalar, x1: &Scalar) -> Result<Scalar, Error> {
    Scalar::from_k256(o1.to_k256() + x1.to_k256()).ok_or(Error::InvalidScalar)
}

/// Receiver: `t2 = t1 − o2`.
pub fn t2(t1: &Scalar, o2: &Scalar) -> Result<Scalar, Error> {
    Scalar::from_k256(t1.to_k256() - o2.to_k256()).ok_or(Error::InvalidScalar)
}

/// Receiver check before decrypting anything else: `t1·G = O1 + X1` (§7.3).
pub fn t1_matches(t1: &Scalar, o1_pub: &Point, x1_pub: &Point) -> bool {
    Point::from_projective(&(o1_pub.to_projective() + x1_pub.to_projective())) == Some(t1.public())
}

/// Relay: `s2 = s1 + t2 − x1`, accepted only if `s2·G + O2 = P`.
pub fn server_update(
    s1: &Scalar,
    t2: &Scalar,
    x1: &Scalar,
    o2_pub: &Point,
    aggregated: &Point,
) -> Result<Scalar, Error> {
    let s2 = Scalar::from_k256(s1.to_k256() + t2.to_k256() - x1.to_k256())
        .ok_or(Error::KeyUpdateInvalid)?;
    let p = Point::from_projective(&(s2.public().to_projective() + o2_pub.to_projective()));
    if p != Some(*aggregated) {
        return Err(Error::KeyUpdateInvalid);
    }
    Ok(s2)
}

/// `O1 = P − S1`: the current owner's user key as the relay's data implies (§7.2).
pub fn owner_user_pubkey(aggregated: &Point, server_pubkey: &Point) -> Option<Point> {
    Point::from_projective(&(aggregated.to_projective() - server_pubkey.to_projective()))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn s(v: u64) -> Scalar {
        Scalar::parse(&format!("{v:064x}")).unwrap()
    }

    #[test]
    fn full_key_update_keeps_p() {
        let (o1, s1, x1, o2) = (s(11), s(22), s(33), s(45));
        let p = aggregate(&o1.public(), &s1.public()).unwrap();
        let t1 = t1(&o1, &x1).unwrap();
        assert!(t1_matches(&t1, &o1.public(), &x1.public()));
        let t2 = t2(&t1, &o2).unwrap();
        let s2 = server_update(&s1, &t2, &x1, &o2.public(), &p).unwrap();
        assert_eq!(aggregate(&o2.public(), &s2.public()), Some(p));
        assert_eq!(owner_user_pubkey(&p, &s2.public()), Some(o2.public()));
    }

    #[test]
    fn wrong_t2_is_key_update_invalid() {
        let (o1, s1, x1, o2) = (s(11), s(22), s(33), s(44));
        let p = aggregate(&o1.public(), &s1.public()).unwrap();
        let bad_t2 = s(5);
        assert_eq!(
            server_update(&s1, &bad_t2, &x1, &o2.public(), &p),
            Err(Error::KeyUpdateInvalid)
        );
    }
}
