//! Checking the relay's answer to a demo deposit before the coin is added,
//! the same way in every wallet.

use crate::error::Error;
use crate::keys::AddressKeys;
use crate::keyshare;
use crate::machine::OwnedCoin;
use crate::types::XOnly;
use crate::wire::DepositResponse;

/// The coin a deposit of `amount` to the keys at `index` created, if the
/// relay's answer proves it: the aggregated key is this wallet's key plus
/// the relay's share (else `KeyUpdateInvalid`), and the receipt is signed
/// by `relay_pubkey` for this coin, these owner keys and this amount (else
/// `BadSignature`).
pub fn check(
    resp: &DepositResponse,
    keys: &AddressKeys,
    index: u32,
    amount: u64,
    relay_pubkey: &XOnly,
) -> Result<OwnedCoin, Error> {
    if keyshare::aggregate(&keys.user_pubkey(), &resp.server_pubkey) != Some(resp.aggregated_pubkey)
    {
        return Err(Error::KeyUpdateInvalid);
    }
    let r = &resp.receipt;
    if !(r.verify(relay_pubkey)
        && r.statechain_id == resp.statechain_id
        && r.owner_auth_pubkey == keys.auth_pubkey()
        && r.owner_user_pubkey == keys.user_pubkey()
        && r.amount == amount)
    {
        return Err(Error::BadSignature);
    }
    Ok(OwnedCoin {
        statechain_id: resp.statechain_id,
        amount,
        aggregated_pubkey: resp.aggregated_pubkey,
        seq: 0,
        index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimWorld, block_on};
    use crate::testkit::{Party, World};
    use crate::wire::DepositRequest;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A real deposit of 5 000 sat at index 3, and the keys it went to.
    fn deposited() -> (SimWorld, AddressKeys, DepositResponse) {
        let w = SimWorld::new(11);
        let p = Party::new("alice", 11, w.sim.relay_pubkey());
        let k = p.keys.address(3).unwrap();
        let req = DepositRequest::signed(&k, 5_000, w.now(), [7; 32]);
        let resp = block_on(w.relay().deposit(&req)).unwrap();
        (w, k, resp)
    }

    #[test]
    fn deposit_answer_that_checks_out_gives_the_coin() {
        let (w, k, resp) = deposited();
        let coin = check(&resp, &k, 3, 5_000, &w.sim.relay_pubkey()).unwrap();
        assert_eq!(
            coin,
            OwnedCoin {
                statechain_id: resp.statechain_id,
                amount: 5_000,
                aggregated_pubkey: resp.aggregated_pubkey,
                seq: 0,
                index: 3,
            }
        );
    }

    #[test]
    fn deposit_with_a_wrong_aggregated_key_is_refused() {
        let (w, k, mut resp) = deposited();
        resp.aggregated_pubkey = resp.server_pubkey;
        assert_eq!(
            check(&resp, &k, 3, 5_000, &w.sim.relay_pubkey()),
            Err(Error::KeyUpdateInvalid)
        );
    }

    #[test]
    fn deposit_receipt_for_another_amount_owner_or_relay_is_refused() {
        let (w, k, resp) = deposited();
        let relay = w.sim.relay_pubkey();
        assert_eq!(check(&resp, &k, 3, 5_001, &relay), Err(Error::BadSignature));
        let stranger = Party::new("x", 99, relay).keys.address(0).unwrap();
        assert_eq!(
            check(&resp, &k, 3, 5_000, &stranger.auth_pubkey()),
            Err(Error::BadSignature)
        );
        let mut other_coin = resp.clone();
        other_coin.statechain_id = Party::new("y", 5, relay).random_id();
        assert_eq!(
            check(&other_coin, &k, 3, 5_000, &relay),
            Err(Error::BadSignature)
        );
    }
}
