//! Lockstep's browser wallet: a Yew page over wallet-core.
//!
//! The page does I/O only: it stores (IndexedDB), talks to the relay
//! (`fetch`), keeps time (the relay's clock) and draws. Every protocol
//! decision is wallet-core's: its state machines, verification, vault and
//! invite codes.

#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

pub mod app;
pub mod browser;
pub mod clock;
pub mod errors;
pub mod focus;
pub mod host;
pub mod idb;
pub mod net;
pub mod notices;
pub mod qr;
pub mod scan;
pub mod secrets;
pub mod store;
pub mod view;

/// Mounts the page on `<body>`.
pub fn start() {
    browser::register_service_worker();
    yew::Renderer::<app::App>::new().render();
}
