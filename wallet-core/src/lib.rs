//! Lockstep's client side of the protocol (`shared/spec/PROTOCOL.md`), pure:
//! no I/O, no clock, no RNG. Time, randomness, storage and the relay
//! transport are inputs; decisions are outputs.

pub mod address;
mod bech32m;
pub mod descriptor;
pub mod error;
pub mod hex;
pub mod keys;
pub mod keyshare;
pub mod message;
pub mod receipt;
pub mod signing;
pub mod types;
pub mod wire;

pub use address::{Address, Network};
pub use descriptor::{BatchTransfer, Descriptor};
pub use error::{Error, ErrorCode};
pub use types::{Hash32, HexBytes, Id, Point, Scalar, Sig, XOnly};
