//! Storage behind one narrow trait.
//!
//! [`Tx`] is one open database transaction: the handful of row operations
//! the rules need, each O(1) rows except the listings that only the GET
//! endpoints use. The endpoint logic ([`wallet_core::serve`]) is written
//! once, generic over `Tx`; a [`Store`] runs one request's logic inside one
//! transaction (SQLite: one savepoint of a group commit; PostgreSQL: one
//! SERIALIZABLE transaction, retried on conflict).

use crate::error::{ApiError, StoreResult};
use std::future::Future;
use std::sync::Arc;
use wallet_core::rows::Coin;
use wallet_core::serve::{Ctx, Op, Read, ReadReply, Reply};
use wallet_core::types::Scalar;
use wallet_core::wire::ConfigResponse;

/// One database transaction: wallet-core's trait, implemented by both backends.
pub use wallet_core::serve::Tx;

pub mod pg_pool;
pub mod pg_tls;
pub mod postgres;
pub mod sqlite;

/// A database: runs one request's logic in one transaction.
pub trait Store: Send + Sync + 'static {
    /// A state-changing request: committed durably before it is answered;
    /// refused or failed, it changes nothing.
    fn execute(
        &self,
        ctx: Arc<Ctx>,
        op: Op,
    ) -> impl Future<Output = Result<Reply, ApiError>> + Send;
    /// A read-only request.
    fn read(
        &self,
        ctx: Arc<Ctx>,
        q: Read,
    ) -> impl Future<Output = Result<ReadReply, ApiError>> + Send;
    /// The relay key, created from `fresh` on first start.
    fn init_relay_key(
        &self,
        fresh: Scalar,
    ) -> impl Future<Output = Result<Scalar, ApiError>> + Send;
    /// `GET /info/config`, its `server_time` read like a rule's `now`.
    fn config(
        &self,
        ctx: Arc<Ctx>,
    ) -> impl Future<Output = Result<ConfigResponse, ApiError>> + Send;
    /// Deletes remembered signatures that expired before the relay's `now`.
    fn prune(&self, ctx: Arc<Ctx>) -> impl Future<Output = Result<u64, ApiError>> + Send;
}

/// The store the configuration selects.
pub enum AnyStore {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PgStore),
}

impl AnyStore {
    /// Whether other relay processes may write to this database (then a
    /// long-poll cannot learn of every change from this process alone).
    pub fn shared_by_processes(&self) -> bool {
        matches!(self, AnyStore::Postgres(_))
    }

    pub async fn execute(&self, ctx: Arc<Ctx>, op: Op) -> Result<Reply, ApiError> {
        match self {
            AnyStore::Sqlite(s) => s.execute(ctx, op).await,
            AnyStore::Postgres(s) => s.execute(ctx, op).await,
        }
    }
    pub async fn read(&self, ctx: Arc<Ctx>, q: Read) -> Result<ReadReply, ApiError> {
        match self {
            AnyStore::Sqlite(s) => s.read(ctx, q).await,
            AnyStore::Postgres(s) => s.read(ctx, q).await,
        }
    }
    pub async fn init_relay_key(&self, fresh: Scalar) -> Result<Scalar, ApiError> {
        match self {
            AnyStore::Sqlite(s) => s.init_relay_key(fresh).await,
            AnyStore::Postgres(s) => s.init_relay_key(fresh).await,
        }
    }
    pub async fn config(&self, ctx: Arc<Ctx>) -> Result<ConfigResponse, ApiError> {
        match self {
            AnyStore::Sqlite(s) => s.config(ctx).await,
            AnyStore::Postgres(s) => s.config(ctx).await,
        }
    }
    pub async fn prune(&self, ctx: Arc<Ctx>) -> Result<u64, ApiError> {
        match self {
            AnyStore::Sqlite(s) => s.prune(ctx).await,
            AnyStore::Postgres(s) => s.prune(ctx).await,
        }
    }
}

/// A coin row: everything but the message in `data` (JSON); the message
/// and its cursor have columns of their own, to list a key's messages.
pub(crate) struct CoinRow {
    pub data: String,
    pub enc_msg: Option<Vec<u8>>,
    pub msg_cursor: Option<i64>,
}

pub(crate) fn coin_to_row(coin: &Coin) -> StoreResult<CoinRow> {
    let mut c = coin.clone();
    let (enc_msg, msg_cursor) = match c.pending.as_mut() {
        // A cursor without its message is no message at all.
        Some(p) => match p.enc_msg.take() {
            Some(m) => (Some(m), p.msg_cursor.take().map(|c| c as i64)),
            None => (None, None),
        },
        None => (None, None),
    };
    let data =
        serde_json::to_string(&c).map_err(|e| crate::error::StoreError::new(e.to_string()))?;
    Ok(CoinRow {
        data,
        enc_msg,
        msg_cursor,
    })
}

pub(crate) fn coin_from_row(
    json: &str,
    enc_msg: Option<Vec<u8>>,
    msg_cursor: Option<i64>,
) -> StoreResult<Coin> {
    let mut c: Coin = serde_json::from_str(json)
        .map_err(|e| crate::error::StoreError::new(format!("corrupt coin row: {e}")))?;
    if let Some(p) = c.pending.as_mut() {
        p.msg_cursor = enc_msg.as_ref().and(msg_cursor.map(|c| c as u64));
        p.enc_msg = enc_msg;
    }
    Ok(c)
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| crate::error::StoreError::new(e.to_string()))
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| crate::error::StoreError::new(format!("corrupt row: {e}")))
}
