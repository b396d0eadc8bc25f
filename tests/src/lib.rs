//! End-to-end harness: the real relay (in-process, SQLite in a temporary
//! directory, serving the Trunk build in `dist/`) and real headless Chromium
//! sessions driven through chromedriver (WebDriver, via fantoccini). Each
//! browser session is a fresh Chromium profile, so two sessions are two
//! independent people.
//!
//! Every wait is bounded; a timeout panics with what was awaited, the
//! page's error line and a screenshot. Screenshots of the key screens go to
//! `artifacts/e2e/<test>/` (ignored by git).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod a11y;
pub mod cli;
mod money_flows;
mod page;
mod stack;
mod wallet_flows;

pub use a11y::{DESKTOP, PHONE};
pub use page::Page;
pub use stack::{Stack, run, run_with_relay_process, workspace_root};
pub use wallet_flows::Coin;
