//! The 100-entry chain that `first_verification*.rs` verify in the browser
//! is the testkit's, frozen to JSON (tests/data/hundred_entry_chain.json).
//! Regenerate it after a change to the testkit or the wire types with
//! `LOCKSTEP_WRITE_FIXTURES=1 cargo test -p wallet-core --features testkit --test frozen_chain`.
#![cfg(all(not(target_arch = "wasm32"), feature = "testkit"))]

use wallet_core::testkit::incoming::{Frozen, Incoming};
use wallet_core::verify::verify_incoming;

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/hundred_entry_chain.json"
);

#[test]
fn the_frozen_chain_is_the_testkits_hundred_entry_swap_and_verifies() {
    let fresh = Incoming::new(100, true).freeze();
    let json = serde_json::to_string(&fresh).unwrap();
    if std::env::var_os("LOCKSTEP_WRITE_FIXTURES").is_some() {
        std::fs::write(PATH, &json).unwrap();
    }
    let stored: Frozen = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    assert!(
        stored == fresh,
        "{PATH} is stale: regenerate it (see this file's comment)"
    );
    let message = Ok(stored.message.clone());
    let report = verify_incoming(&stored.input(&message));
    assert!(report.all_passed(), "{:#?}", report.failures());
    assert_eq!(report.signatures_checked, 200);
}
