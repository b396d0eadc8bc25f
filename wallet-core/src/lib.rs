//! Lockstep's client side of the protocol (`shared/spec/PROTOCOL.md`), pure:
//! no I/O, no clock, no RNG. Time, randomness, storage and the relay
//! transport are inputs; decisions are outputs.

// Under wasm32 the unit tests run in headless Chromium (see scripts/test.sh);
// each test module imports `wasm_bindgen_test as test` there.
#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

pub mod address;
pub mod backup;
mod bech32m;
pub mod client;
pub mod deposit;
pub mod descriptor;
pub mod driver;
pub mod entropy;
pub mod error;
pub mod hex;
pub mod invite;
pub mod keys;
pub mod keyshare;
pub mod machine;
pub mod message;
#[cfg(test)]
mod props;
pub mod receipt;
pub mod restore;
pub mod rules;
pub mod serve;
pub mod signing;
pub mod sim;
mod tagged;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod types;
pub mod util;
pub mod vault;
pub mod verify;
pub mod wallet;
pub mod wire;

pub use address::{Address, Network};
pub use descriptor::{BatchTransfer, Descriptor};
pub use error::{Error, ErrorCode};
pub use types::{Hash32, HexBytes, Id, Point, Scalar, Sig, XOnly};
