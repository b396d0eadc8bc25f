//! Shared by the two first-verification timing tests.

use wallet_core::testkit::incoming::Frozen;

/// The testkit's 100-entry swap chain, loaded (not built: building it signs
/// every entry, which would warm the code being timed). See frozen_chain.rs.
pub fn frozen_chain() -> Frozen {
    serde_json::from_str(include_str!("../data/hundred_entry_chain.json"))
        .expect("tests/data/hundred_entry_chain.json is a frozen chain")
}

/// Runs `f` and measures it with performance.now().
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let perf = web_sys::window()
        .and_then(|w| w.performance())
        .expect("a page with performance");
    let start = perf.now();
    let out = f();
    (out, perf.now() - start)
}

/// Lets `ms` pass with the page idle (a timer, not a busy wait).
#[allow(dead_code)] // only the warm test idles
pub async fn idle(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .expect("a window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .expect("setTimeout");
    });
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .expect("the timer fires");
}
