//! The Lockstep relay (PROTOCOL.md): an axum server over one narrow storage
//! trait with SQLite and PostgreSQL implementations. The protocol rules and
//! every wire type come from `wallet_core`; this crate adds transactions,
//! storage, authentication plumbing and HTTP.

pub mod clock;
pub mod config;
pub mod error;
pub mod http;
pub mod limits;
pub mod long_poll;
pub mod random;
pub mod serve_conn;
pub mod store;
pub mod web_files;

use crate::clock::Clock;
use crate::config::{Config, Database};
use crate::http::AppState;
use crate::store::AnyStore;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use wallet_core::keys::{self, AuthKey};
use wallet_core::serve::{Ctx, RandomSource};
use wallet_core::types::XOnly;

/// Opens the configured database, migrating it, and loads (or on first
/// start creates) the relay's signing key.
pub async fn open(config: &Config, clock: Arc<dyn Clock>) -> Result<AppState, String> {
    let store = match config.database()? {
        Database::Sqlite(path) => AnyStore::Sqlite(store::sqlite::SqliteStore::open(&path)?),
        Database::Postgres(url) => AnyStore::Postgres(
            store::postgres::PgStore::connect(&url, config.db_pool as usize).await?,
        ),
    };
    let fresh = keys::random_scalar(|b| random::OsRandom.fill(b)).map_err(|e| e.to_string())?;
    let key = store
        .init_relay_key(fresh)
        .await
        .map_err(|e| format!("cannot load the relay key: {e}"))?;
    let ctx = Arc::new(Ctx::new(
        config.limits(),
        AuthKey::from_scalar(&key),
        clock,
        Arc::new(random::OsRandom),
    ));
    Ok(AppState::new(store, ctx, config.clone()))
}

/// A relay serving on a bound socket.
pub struct Relay {
    pub addr: SocketAddr,
    pub state: AppState,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Relay {
    pub fn relay_pubkey(&self) -> XOnly {
        self.state.0.ctx.relay_key.public()
    }

    /// Graceful shutdown: stops accepting, ends long-polls, lets in-flight
    /// requests finish.
    pub async fn shutdown(self) -> std::io::Result<()> {
        self.state.0.shutdown.send_replace(true);
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// Opens the database, binds `config.listen` and serves until [`Relay::shutdown`].
pub async fn start(config: Config, clock: Arc<dyn Clock>) -> Result<Relay, String> {
    let state = open(&config, clock).await?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let app = http::router(state.clone());
    let pruner = state.clone();
    tokio::spawn(async move {
        let mut stop = pruner.0.shutdown.subscribe();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(60)) => {}
                _ = stop.changed() => return,
            }
            if let Err(e) = pruner.0.store.prune(pruner.0.ctx.clone()).await {
                tracing::warn!(error = %e, "pruning remembered signatures failed");
            }
        }
    });
    // Several processes on one PostgreSQL database: hear each other's
    // changes, so long-polls wake at once whichever process wrote.
    if let AnyStore::Postgres(pg) = &state.0.store {
        let s = state.clone();
        pg.listen(
            move |changes| s.0.waiters.notify(changes),
            state.0.shutdown.subscribe(),
        );
    }
    let timeouts = serve_conn::Timeouts {
        header: Duration::from_secs(config.header_timeout),
        idle: Duration::from_secs(config.idle_timeout),
    };
    let stop = state.0.shutdown.subscribe();
    let task = tokio::spawn(serve_conn::serve(listener, app, timeouts, stop));
    tracing::info!(%addr, relay_pubkey = %state.0.ctx.relay_key.public(), "relay listening");
    Ok(Relay { addr, state, task })
}
