//! A wallet: the transfer and swap state machines, the wallet model they
//! live in ([`model`], re-exported here: `wallet_core::wallet::Wallet`),
//! the driver that performs their actions over a relay client, the agenda
//! that schedules them for every host, invites,
//! backups, the password vault and the rule for new passwords, finding a
//! restored phrase's coins, checking an imported backup's coins with the
//! relay (`resync`), the balance split (`money`) and history as shown
//! (`history_items`).

pub mod agenda;
pub mod attention;
pub mod backup;
pub mod client;
pub mod deposit;
pub mod driver;
pub mod history_items;
pub mod invite;
pub mod machine;
pub mod model;
pub mod money;
pub mod password;
pub mod restore;
pub mod resync;
pub mod vault;

pub use model::*;
