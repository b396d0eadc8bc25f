//! Warming the verifier before the first coin arrives.
//!
//! A browser compiles wasm lazily: a function's first calls run baseline
//! code, and only code that has run a while is recompiled optimised (in the
//! background). The first §7 verification in a fresh page therefore ran two
//! to three times slower than later ones (47–127 ms against 24–33 ms for a
//! 100-entry chain). [`warm_up`] runs the same hot code on made-up data —
//! the batch equation (point decompression, the Pippenger sum, the tagged
//! hashes), one-by-one BIP340 checks and a message decryption — so a host
//! that calls it when idle meets the first real coin with optimised code.
//!
//! Pure and deterministic: fixed keys, fixed nonces, nothing stored.

use super::batch::{SigItem, verify_batch, verify_each};
use crate::keys::AuthKey;
use crate::message::{decrypt, encrypt};
use crate::types::Scalar;
use sha2::{Digest, Sha256};

/// Signatures in the warm-up batch: about a 20-entry chain's worth, two
/// keys as in a real chain (the owners' and the relay's).
const SIGNATURES: usize = 40;

/// Runs the verifier's hot code once on made-up data and says whether it
/// computed what it should (every signature valid, the tampered one found,
/// the message read back): `false` would mean a broken verifier build.
/// Takes about as long as one 20-entry-chain verification.
pub fn warm_up() -> bool {
    let keys = [
        AuthKey::from_scalar(&scalar(1)),
        AuthKey::from_scalar(&scalar(2)),
    ];
    let mut items: Vec<SigItem> = (0..SIGNATURES)
        .map(|i| {
            let key = &keys[i % 2];
            let msg = digest(b"lockstep/warm-up/message", i as u8);
            let sig = key.sign_digest(&msg, digest(b"lockstep/warm-up/aux", i as u8));
            SigItem::new(key.public(), msg, sig)
        })
        .collect();
    let batch_holds = verify_batch(&items);
    // A failing batch, and (on a few items: each costs a whole scalar
    // multiplication) the fallback that names the bad signature.
    items[3].msg[0] ^= 1;
    let names_the_bad_one = !verify_batch(&items) && verify_each(&items[..4]) == [3];

    let receiver = scalar(3);
    let wire = encrypt(&receiver.public(), b"warm-up", &scalar(4), [7; 12]);
    let reads_back = decrypt(&receiver, &wire).is_ok_and(|p| p == b"warm-up");

    batch_holds && names_the_bad_one && reads_back
}

/// A fixed, valid secret scalar (a hash, so never zero in practice).
fn scalar(n: u8) -> Scalar {
    Scalar::from_bytes(&digest(b"lockstep/warm-up/key", n))
        .unwrap_or_else(|_| unreachable!("a hash below the curve order"))
}

fn digest(tag: &[u8], n: u8) -> [u8; 32] {
    Sha256::new()
        .chain_update(tag)
        .chain_update([n])
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn warm_up_runs_the_verifier_and_gets_its_answers_right() {
        assert!(super::warm_up());
    }
}
