//! What the relay and every wallet share (PROTOCOL §1–§5, §7, §8): wire
//! values and bodies, keys and addresses, signing strings, the encrypted
//! transfer message, the key update, the batch descriptor, receipts, and
//! the receiver's verification.

pub mod address;
pub(crate) mod bech32m;
pub mod descriptor;
pub mod hex;
pub mod keys;
pub mod keyshare;
pub mod message;
pub mod receipt;
pub mod signing;
pub mod types;
pub mod verify;
pub mod wire;
