//! The first §7 verification in a fresh browser page with no warm-up: the
//! figure `first_verification.rs` improves on. Prints it; asserts only that
//! the chain verifies.
#![cfg(all(target_arch = "wasm32", feature = "testkit"))]

mod first_verification_common;

use first_verification_common::{frozen_chain, timed};
use wallet_core::verify::verify_incoming;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn the_first_verification_without_warm_up_is_measured() {
    let chain = frozen_chain();
    let message = Ok(chain.message.clone());
    let (report, ms) = timed(|| verify_incoming(&chain.input(&message)));
    assert!(report.all_passed(), "{:#?}", report.failures());
    let (_, again) = timed(|| verify_incoming(&chain.input(&message)));
    console_log!(
        "first verification in a fresh page, no warm-up, 100-entry chain: {ms:.1} ms (the second: {again:.1} ms)"
    );
}
