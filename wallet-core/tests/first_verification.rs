//! The first §7 verification in a fresh browser page (each test file runs
//! in a page of its own), after the verifier was warmed the way the web
//! wallet warms it when idle ([`warm_up`], then the engine's background
//! optimisation). The bar is 50 ms for a 100-entry chain (200 signatures);
//! `first_verification_cold.rs` measures the same without the warm-up.
//!
//! The timing is asserted only in an optimised build:
//! `wasm-pack test --release --headless --chrome --chromedriver /usr/bin/chromedriver wallet-core --features testkit --test first_verification -- --nocapture`
#![cfg(all(target_arch = "wasm32", feature = "testkit"))]

mod first_verification_common;

use first_verification_common::{frozen_chain, idle, timed};
use wallet_core::verify::{verify_incoming, warm_up};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn the_first_verification_after_an_idle_warm_up_takes_under_50_ms() {
    let chain = frozen_chain();
    let message = Ok(chain.message.clone());
    let (warmed, warm_ms) = timed(warm_up);
    assert!(warmed, "the warm-up computed a wrong answer");
    // What the page does after the warm-up: nothing, for a while.
    idle(500).await;
    let (report, ms) = timed(|| verify_incoming(&chain.input(&message)));
    assert!(report.all_passed(), "{:#?}", report.failures());
    assert_eq!(report.signatures_checked, 200);
    let build = if cfg!(debug_assertions) {
        " [unoptimised build: not asserted]"
    } else {
        ""
    };
    console_log!(
        "first verification in a fresh page after warm_up ({warm_ms:.1} ms) and 500 ms idle, 100-entry chain: {ms:.1} ms{build}"
    );
    if !cfg!(debug_assertions) {
        assert!(ms < 50.0, "first verification took {ms:.1} ms (bar: 50 ms)");
    }
}
