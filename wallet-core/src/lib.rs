//! Lockstep's client side of the protocol (`shared/spec/PROTOCOL.md`), pure:
//! no I/O, no clock, no RNG. Time, randomness, storage and the relay
//! transport are inputs; decisions are outputs.
//!
//! Three layers, each a folder:
//! - [`protocol`]: what both sides share: wire values and bodies, keys and
//!   addresses, signing strings, the transfer message, the batch descriptor,
//!   receipts, and the receiver's §7 verification.
//! - [`relay`]: the relay's side, pure: the rules, each endpoint's
//!   orchestration over a storage transaction (`serve`), the storage rows,
//!   and (tests and the `testkit` feature) an in-memory relay (`sim`).
//! - [`wallet`]: a wallet: the state machines, the wallet model, the driver
//!   that performs actions, the host agenda, invites, backups, the vault,
//!   restore.
//!
//! Each module is also re-exported at the crate root under its old name
//! (`wallet_core::keys`, `wallet_core::serve`, …), which is how the crates
//! that use wallet-core name them.

// Under wasm32 the unit tests run in headless Chromium (see scripts/test.sh);
// each test module imports `wasm_bindgen_test as test` there.
#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

pub mod protocol;
pub mod relay;
pub mod wallet;

pub mod entropy;
pub mod error;
#[cfg(test)]
mod props;
pub mod sorted_map;
mod tagged;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod util;

pub(crate) use protocol::bech32m;
pub use protocol::{
    address, descriptor, hex, keys, keyshare, message, receipt, signing, types, verify, wire,
};
#[cfg(any(test, feature = "testkit"))]
pub use relay::sim;
pub use relay::{rows, rules, serve};
pub use wallet::{backup, client, deposit, driver, invite, machine, restore, vault};

pub use address::{Address, Network};
pub use descriptor::{BatchTransfer, Descriptor};
pub use error::{Error, ErrorCode};
pub use sorted_map::SortedMap;
pub use types::{Hash32, HexBytes, Id, Point, Scalar, Sig, XOnly};
