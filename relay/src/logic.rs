//! The endpoints' orchestration lives in [`wallet_core::serve`], written
//! once for this relay and for wallet-core's in-memory relay; the relay
//! runs it inside its storage transactions ([`crate::store`]).

pub use wallet_core::serve::{
    Ctx, Op, Read, ReadReply, Reply, VERSION, execute, init_relay_key, read,
};
