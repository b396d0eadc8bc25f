//! PostgreSQL: several relay processes may share one database.

use super::Store;
use crate::error::{ApiError, StoreError};
use crate::logic::{Ctx, Op, Read, ReadReply, Reply};
use std::sync::Arc;
use wallet_core::types::Scalar;

pub struct PgStore;

impl PgStore {
    pub async fn connect(
        _url: &str,
        _changes: tokio::sync::watch::Sender<u64>,
    ) -> Result<PgStore, String> {
        Err("PostgreSQL support is not built yet".into())
    }
}

impl Store for PgStore {
    async fn execute(&self, _ctx: Arc<Ctx>, _op: Op) -> Result<Reply, ApiError> {
        Err(StoreError::new("unsupported").into())
    }
    async fn read(&self, _ctx: Arc<Ctx>, _q: Read) -> Result<ReadReply, ApiError> {
        Err(StoreError::new("unsupported").into())
    }
    async fn init_relay_key(&self, _fresh: Scalar) -> Result<Scalar, ApiError> {
        Err(StoreError::new("unsupported").into())
    }
    async fn prune(&self, _now: u64) -> Result<u64, ApiError> {
        Err(StoreError::new("unsupported").into())
    }
}
