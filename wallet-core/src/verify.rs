//! What the receiver verifies before unlocking (§7). In progress: the
//! BIP340 batch verification it is built on.

pub mod batch;
