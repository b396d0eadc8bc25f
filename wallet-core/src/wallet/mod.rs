//! A wallet: the transfer and swap state machines, the wallet model they
//! live in ([`model`], re-exported here: `wallet_core::wallet::Wallet`),
//! the driver that performs their actions over a relay client, the agenda
//! that schedules them for every host, invites,
//! backups, the password vault, finding a restored phrase's coins.

pub mod agenda;
pub mod attention;
pub mod backup;
pub mod client;
pub mod deposit;
pub mod driver;
pub mod invite;
pub mod machine;
pub mod model;
pub mod restore;
pub mod vault;

pub use model::*;
