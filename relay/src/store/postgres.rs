//! PostgreSQL: several relay processes may share one database.
//!
//! Every request runs in one SERIALIZABLE transaction that also locks the
//! coin and batch rows it reads (`SELECT … FOR UPDATE`); a serialization
//! failure, deadlock or unique violation (two racing first joins of one
//! batch, say) rolls back and retries the whole request, so each rule sees
//! and writes a consistent state across processes.

use super::pg_pool::Pool;
use super::pg_tls::PgTarget;
use super::{Store, StoreResult, Tx, coin_from_row, coin_to_row, from_json, to_json};
use crate::error::{ApiError, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, IsolationLevel, Row, Transaction};
use wallet_core::descriptor::BatchTransfer;
use wallet_core::rows::{Batch, Coin, Member};
use wallet_core::serve::{self, Change, Ctx, Op, Read, ReadReply, Reply};
use wallet_core::types::{Id, Scalar, Sig, XOnly};
use wallet_core::wire::{ChainEntry, ConfigResponse, MessageEntry};

fn pg(e: tokio_postgres::Error) -> StoreError {
    let retry = matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
            || *c == SqlState::UNIQUE_VIOLATION
    );
    let message = match e.as_db_error() {
        Some(db) => format!("postgres: {}: {}", db.code().code(), db.message()),
        None => format!("postgres: {e}"),
    };
    StoreError {
        message,
        retryable: retry,
    }
}

/// Versioned migrations: entry `i` brings the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE coins (
    statechain_id TEXT PRIMARY KEY,
    owner_auth    TEXT NOT NULL,
    pending_auth  TEXT,
    enc_msg       BYTEA,
    data          TEXT NOT NULL
);
CREATE INDEX coins_owner ON coins(owner_auth);
CREATE INDEX coins_pending ON coins(pending_auth) WHERE pending_auth IS NOT NULL;
CREATE TABLE batches (
    batch_id TEXT PRIMARY KEY,
    version  BIGINT NOT NULL,
    data     TEXT NOT NULL
);
CREATE TABLE batch_lines (
    batch_id          TEXT NOT NULL,
    statechain_id     TEXT NOT NULL,
    new_user_auth_key TEXT NOT NULL,
    amount            BIGINT NOT NULL,
    joined            BOOLEAN NOT NULL,
    locked            BOOLEAN NOT NULL,
    PRIMARY KEY (batch_id, statechain_id)
);
CREATE TABLE chain (
    statechain_id TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    entry         TEXT NOT NULL,
    PRIMARY KEY (statechain_id, seq)
);
CREATE TABLE seen_sigs (
    sig     BYTEA PRIMARY KEY,
    expires BIGINT NOT NULL
);
CREATE INDEX seen_sigs_expires ON seen_sigs(expires);
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#,
    r#"
-- Protocol revision 2: messages page by cursor (§8). A cursor per
-- receiving key, from a row per key that uploads to it lock, so cursors
-- become visible in their order; messages already stored get cursors.
ALTER TABLE coins ADD COLUMN msg_cursor BIGINT;
UPDATE coins c SET msg_cursor = n.k FROM (
    SELECT statechain_id, row_number() OVER (PARTITION BY pending_auth ORDER BY statechain_id) AS k
    FROM coins WHERE enc_msg IS NOT NULL
) n WHERE c.statechain_id = n.statechain_id;
CREATE INDEX coins_messages ON coins(pending_auth, msg_cursor) WHERE enc_msg IS NOT NULL;
CREATE TABLE msg_cursors (
    auth TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);
INSERT INTO msg_cursors (auth, last)
    SELECT pending_auth, MAX(msg_cursor) FROM coins
    WHERE enc_msg IS NOT NULL AND pending_auth IS NOT NULL GROUP BY pending_auth;
"#,
];

/// Any number fixed for this application: serialises concurrent migrations.
const MIGRATION_LOCK: i64 = 0x6c6f_636b_7374;

async fn migrate(client: &mut Client) -> StoreResult<()> {
    let t = client.transaction().await.map_err(pg)?;
    t.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg)?;
    t.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .await
        .map_err(pg)?;
    let current: i32 = t
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .await
        .map_err(pg)?
        .try_get(0)
        .map_err(pg)?;
    if current as usize > MIGRATIONS.len() {
        return Err(StoreError::new(format!(
            "the database has schema version {current}, newer than this relay ({})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
        t.batch_execute(sql).await.map_err(pg)?;
        t.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&(i as i32 + 1)],
        )
        .await
        .map_err(pg)?;
    }
    t.commit().await.map_err(pg)
}

fn i(v: u64) -> i64 {
    v as i64
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, idx: usize) -> StoreResult<T> {
    row.try_get(idx).map_err(pg)
}

fn corrupt(e: wallet_core::Error) -> StoreError {
    StoreError::new(format!("corrupt row: {e}"))
}

/// One PostgreSQL transaction. `lock` adds `FOR UPDATE` to row reads.
pub struct PgTx<'a> {
    t: Transaction<'a>,
    lock: bool,
}

impl PgTx<'_> {
    fn for_update(&self, sql: &str) -> String {
        if self.lock {
            format!("{sql} FOR UPDATE")
        } else {
            sql.to_string()
        }
    }

    async fn write_coin(&mut self, coin: &Coin, insert: bool) -> StoreResult<()> {
        let row = coin_to_row(coin)?;
        let pending = coin
            .pending
            .as_ref()
            .map(|p| p.new_user_auth_key.to_string());
        let sql = if insert {
            "INSERT INTO coins (statechain_id, owner_auth, pending_auth, enc_msg, msg_cursor, data) VALUES ($1, $2, $3, $4, $5, $6)"
        } else {
            "UPDATE coins SET owner_auth = $2, pending_auth = $3, enc_msg = $4, msg_cursor = $5, data = $6 WHERE statechain_id = $1"
        };
        let n = self
            .t
            .execute(
                sql,
                &[
                    &coin.statechain_id.to_string(),
                    &coin.owner_auth_pubkey.to_string(),
                    &pending,
                    &row.enc_msg,
                    &row.msg_cursor,
                    &row.data,
                ],
            )
            .await
            .map_err(pg)?;
        if n != 1 {
            return Err(StoreError::new("coin row not written"));
        }
        Ok(())
    }
}

/// The database server's clock, in Unix seconds: the one clock every relay
/// process sharing this database decides with (§6.2 rev 2). `now()` is the
/// transaction's start time on the server; it is resolved through the
/// `search_path` like any function, which is how the tests substitute a
/// clock of their own at the database, never in the relay.
const SERVER_NOW: &str = "SELECT floor(extract(epoch FROM now()))::bigint";

impl Tx for PgTx<'_> {
    async fn shared_now(&mut self) -> StoreResult<Option<u64>> {
        let row = self.t.query_one(SERVER_NOW, &[]).await.map_err(pg)?;
        let secs: i64 = get(&row, 0)?;
        u64::try_from(secs)
            .map(Some)
            .map_err(|_| StoreError::new(format!("the database clock reads {secs}")))
    }

    async fn coin(&mut self, id: &Id) -> StoreResult<Option<Coin>> {
        let sql =
            self.for_update("SELECT data, enc_msg, msg_cursor FROM coins WHERE statechain_id = $1");
        let row = self
            .t
            .query_opt(&sql, &[&id.to_string()])
            .await
            .map_err(pg)?;
        match row {
            Some(r) => Ok(Some(coin_from_row(
                &get::<String>(&r, 0)?,
                get::<Option<Vec<u8>>>(&r, 1)?,
                get::<Option<i64>>(&r, 2)?,
            )?)),
            None => Ok(None),
        }
    }

    async fn insert_coin(&mut self, coin: &Coin) -> StoreResult<()> {
        self.write_coin(coin, true).await
    }

    async fn put_coin(&mut self, coin: &Coin) -> StoreResult<()> {
        self.write_coin(coin, false).await
    }

    async fn batch(&mut self, id: &Id) -> StoreResult<Option<Batch>> {
        let sql = self.for_update("SELECT data FROM batches WHERE batch_id = $1");
        let row = self
            .t
            .query_opt(&sql, &[&id.to_string()])
            .await
            .map_err(pg)?;
        row.map(|r| from_json(&get::<String>(&r, 0)?)).transpose()
    }

    async fn insert_batch(&mut self, batch: &Batch, lines: &[BatchTransfer]) -> StoreResult<()> {
        let id = batch.batch_id.to_string();
        self.t
            .execute(
                "INSERT INTO batches (batch_id, version, data) VALUES ($1, $2, $3)",
                &[&id, &i(batch.version), &to_json(batch)?],
            )
            .await
            .map_err(pg)?;
        // One statement for all lines.
        let coins: Vec<String> = lines.iter().map(|l| l.statechain_id.to_string()).collect();
        let keys: Vec<String> = lines
            .iter()
            .map(|l| l.new_user_auth_key.to_string())
            .collect();
        let amounts: Vec<i64> = lines.iter().map(|l| i(l.amount)).collect();
        self.t
            .execute(
                "INSERT INTO batch_lines (batch_id, statechain_id, new_user_auth_key, amount, joined, locked) \
                 SELECT $1, c, k, a, FALSE, FALSE FROM UNNEST($2::TEXT[], $3::TEXT[], $4::BIGINT[]) AS u(c, k, a)",
                &[&id, &coins, &keys, &amounts],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn put_batch(&mut self, batch: &Batch) -> StoreResult<()> {
        let n = self
            .t
            .execute(
                "UPDATE batches SET version = $2, data = $3 WHERE batch_id = $1",
                &[
                    &batch.batch_id.to_string(),
                    &i(batch.version),
                    &to_json(batch)?,
                ],
            )
            .await
            .map_err(pg)?;
        if n != 1 {
            return Err(StoreError::new("batch row not written"));
        }
        Ok(())
    }

    async fn member(&mut self, batch: &Id, coin: &Id) -> StoreResult<Option<Member>> {
        let sql = self.for_update(
            "SELECT joined, locked FROM batch_lines WHERE batch_id = $1 AND statechain_id = $2",
        );
        let row = self
            .t
            .query_opt(&sql, &[&batch.to_string(), &coin.to_string()])
            .await
            .map_err(pg)?;
        match row {
            Some(r) => Ok(Some(Member {
                joined: get(&r, 0)?,
                locked: get(&r, 1)?,
            })),
            None => Ok(None),
        }
    }

    async fn line(
        &mut self,
        batch: &Id,
        coin: &Id,
    ) -> StoreResult<Option<(BatchTransfer, Member)>> {
        let sql = self.for_update(
            "SELECT new_user_auth_key, amount, joined, locked FROM batch_lines WHERE batch_id = $1 AND statechain_id = $2",
        );
        let row = self
            .t
            .query_opt(&sql, &[&batch.to_string(), &coin.to_string()])
            .await
            .map_err(pg)?;
        match row {
            Some(r) => Ok(Some((
                BatchTransfer {
                    statechain_id: *coin,
                    new_user_auth_key: XOnly::parse(&get::<String>(&r, 0)?).map_err(corrupt)?,
                    amount: get::<i64>(&r, 1)? as u64,
                },
                Member {
                    joined: get(&r, 2)?,
                    locked: get(&r, 3)?,
                },
            ))),
            None => Ok(None),
        }
    }

    async fn put_member(&mut self, batch: &Id, coin: &Id, member: Member) -> StoreResult<()> {
        let n = self
            .t
            .execute(
                "UPDATE batch_lines SET joined = $3, locked = $4 WHERE batch_id = $1 AND statechain_id = $2",
                &[&batch.to_string(), &coin.to_string(), &member.joined, &member.locked],
            )
            .await
            .map_err(pg)?;
        if n != 1 {
            return Err(StoreError::new("member row not written"));
        }
        Ok(())
    }

    async fn append_chain(&mut self, coin: &Id, entry: &ChainEntry) -> StoreResult<()> {
        self.t
            .execute(
                "INSERT INTO chain (statechain_id, seq, entry) VALUES ($1, $2, $3)",
                &[&coin.to_string(), &i(entry.seq), &to_json(entry)?],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn chain_entry(&mut self, coin: &Id, seq: u64) -> StoreResult<Option<ChainEntry>> {
        let row = self
            .t
            .query_opt(
                "SELECT entry FROM chain WHERE statechain_id = $1 AND seq = $2",
                &[&coin.to_string(), &i(seq)],
            )
            .await
            .map_err(pg)?;
        row.map(|r| from_json(&get::<String>(&r, 0)?)).transpose()
    }

    async fn remember_sig(&mut self, sig: &Sig, expires: u64) -> StoreResult<bool> {
        let n = self
            .t
            .execute(
                "INSERT INTO seen_sigs (sig, expires) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&&sig.to_bytes()[..], &i(expires)],
            )
            .await
            .map_err(pg)?;
        Ok(n == 1)
    }

    async fn relay_key(&mut self) -> StoreResult<Option<Scalar>> {
        let row = self
            .t
            .query_opt("SELECT value FROM meta WHERE key = 'relay_key'", &[])
            .await
            .map_err(pg)?;
        match row {
            Some(r) => Ok(Some(
                Scalar::parse(&get::<String>(&r, 0)?).map_err(corrupt)?,
            )),
            None => Ok(None),
        }
    }

    async fn put_relay_key(&mut self, key: &Scalar) -> StoreResult<()> {
        self.t
            .execute(
                "INSERT INTO meta (key, value) VALUES ('relay_key', $1) ON CONFLICT DO NOTHING",
                &[&key.to_string()],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn chain(&mut self, coin: &Id) -> StoreResult<Vec<ChainEntry>> {
        let rows = self
            .t
            .query(
                "SELECT entry FROM chain WHERE statechain_id = $1 ORDER BY seq",
                &[&coin.to_string()],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| from_json(&get::<String>(r, 0)?))
            .collect()
    }

    async fn coins_by_owner(&mut self, auth: &XOnly) -> StoreResult<Vec<Id>> {
        let rows = self
            .t
            .query(
                "SELECT statechain_id FROM coins WHERE owner_auth = $1 ORDER BY statechain_id",
                &[&auth.to_string()],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| Id::parse(&get::<String>(r, 0)?).map_err(corrupt))
            .collect()
    }

    async fn messages_for(
        &mut self,
        auth: &XOnly,
        after: u64,
        limit: usize,
    ) -> StoreResult<Vec<MessageEntry>> {
        let rows = self
            .t
            .query(
                "SELECT statechain_id, enc_msg, msg_cursor FROM coins \
                 WHERE pending_auth = $1 AND enc_msg IS NOT NULL AND msg_cursor > $2 \
                 ORDER BY msg_cursor LIMIT $3",
                &[&auth.to_string(), &i(after), &(limit as i64)],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                Ok(MessageEntry {
                    statechain_id: Id::parse(&get::<String>(r, 0)?).map_err(corrupt)?,
                    enc_msg: wallet_core::HexBytes(get(r, 1)?),
                    cursor: get::<i64>(r, 2)? as u64,
                })
            })
            .collect()
    }

    async fn next_message_cursor(&mut self, auth: &XOnly) -> StoreResult<u64> {
        let row = self
            .t
            .query_one(
                "INSERT INTO msg_cursors (auth, last) VALUES ($1, 1) \
                 ON CONFLICT (auth) DO UPDATE SET last = msg_cursors.last + 1 RETURNING last",
                &[&auth.to_string()],
            )
            .await
            .map_err(pg)?;
        Ok(get::<i64>(&row, 0)? as u64)
    }

    async fn batch_lines(&mut self, batch: &Id) -> StoreResult<Vec<(BatchTransfer, Member)>> {
        let rows = self
            .t
            .query(
                "SELECT statechain_id, new_user_auth_key, amount, joined, locked FROM batch_lines \
                 WHERE batch_id = $1 ORDER BY statechain_id",
                &[&batch.to_string()],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                Ok((
                    BatchTransfer {
                        statechain_id: Id::parse(&get::<String>(r, 0)?).map_err(corrupt)?,
                        new_user_auth_key: XOnly::parse(&get::<String>(r, 1)?).map_err(corrupt)?,
                        amount: get::<i64>(r, 2)? as u64,
                    },
                    Member {
                        joined: get(r, 3)?,
                        locked: get(r, 4)?,
                    },
                ))
            })
            .collect()
    }
}

/// Attempts per request before a conflict is reported as a failure.
const MAX_ATTEMPTS: u32 = 30;

pub struct PgStore {
    pool: Pool,
}

impl PgStore {
    /// Connects (TLS as the URL's `sslmode` says), migrates, and keeps at
    /// most `pool_size` connections (`--db-pool`).
    pub async fn connect(url: &str, pool_size: usize) -> Result<PgStore, String> {
        let target = PgTarget::parse(url)?;
        let mut client = target.connect().await?;
        migrate(&mut client).await.map_err(|e| {
            format!(
                "cannot migrate PostgreSQL at {}: {}",
                target.shown(),
                e.message
            )
        })?;
        tracing::info!(
            server = %target.shown(),
            certificate_check = ?target.check(),
            pool = pool_size,
            "PostgreSQL connected"
        );
        Ok(PgStore {
            pool: Pool::new(target, pool_size, client),
        })
    }
}

/// Whether a storage error says the server ended the session or cannot
/// serve (`pg` writes the SQLSTATE first): class 08 (connection exception),
/// 57P01–57P03 (admin or crash shutdown, cannot connect now). The request
/// is then 503 `unavailable`, not 500.
fn server_gone(e: &StoreError) -> bool {
    [
        "postgres: 08",
        "postgres: 57P01",
        "postgres: 57P02",
        "postgres: 57P03",
    ]
    .iter()
    .any(|p| e.message.starts_with(p))
}

/// Backoff before retry `attempt` of a conflicting transaction.
async fn backoff(attempt: u32) {
    let jitter = crate::random::random::<1>()
        .map(|b| u64::from(b[0]))
        .unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(
        u64::from(attempt.min(10)) * 2 + jitter % 10,
    ))
    .await;
}

/// Runs `$body` (an expression using the transaction `$tx`) in a
/// transaction, committing on `Ok`, retrying the whole request on conflicts.
///
/// The connection comes from the bounded pool (503 when none is free in
/// time) and is kept across retries. A connection found dead before the
/// transaction began (an idle one the server closed) is replaced and the
/// attempt made again; one lost after that makes the request 503
/// `unavailable`, and is not returned to the pool.
macro_rules! transact {
    ($store:expr, $isolation:expr, lock = $lock:expr, read_only = $ro:expr, |$tx:ident| $body:expr) => {{
        let store: &PgStore = $store;
        let mut lease = store.pool.lease().await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let client: &mut Client = lease.client().await?;
            let mut began = false;
            let result = async {
                let t = client
                    .build_transaction()
                    .isolation_level($isolation)
                    .read_only($ro)
                    .start()
                    .await
                    .map_err(pg)?;
                began = true;
                let mut $tx = PgTx { t, lock: $lock };
                match $body.await.map_err(ApiError::from) {
                    Ok(v) => {
                        $tx.t.commit().await.map_err(pg)?;
                        Ok(v)
                    }
                    Err(e) => {
                        let _ = $tx.t.rollback().await;
                        Err(e)
                    }
                }
            }
            .await;
            let lost = lease.settle();
            match result {
                Err(ApiError::Store(e)) if lost || server_gone(&e) => {
                    lease.discard();
                    if !began && attempt < MAX_ATTEMPTS {
                        continue;
                    }
                    tracing::warn!(error = %e.message, "database connection lost");
                    break Err(ApiError::Unavailable(
                        "the relay lost its database connection; retry shortly".into(),
                    ));
                }
                Err(ApiError::Store(e)) if e.retryable && attempt < MAX_ATTEMPTS => {
                    backoff(attempt).await
                }
                other => break other,
            }
        }
    }};
}

/// The channel relay processes sharing a database announce their changes
/// on (`NOTIFY`), so a long-poll in one process hears of a write made
/// through another at once instead of by polling.
pub const CHANGES_CHANNEL: &str = "lockstep_changes";

/// A `NOTIFY` payload: the changes, `m:<auth key hex>` or `b:<batch id>`,
/// joined by `,` (at most a few per request, far below PostgreSQL's 8000
/// bytes).
pub fn encode_changes(changes: &[Change]) -> String {
    changes
        .iter()
        .map(|c| match c {
            Change::Messages(k) => format!("m:{k}"),
            Change::Batch(b) => format!("b:{b}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The changes in a payload; anything unreadable is skipped (a waiter then
/// learns of it by its own periodic look).
pub fn decode_changes(payload: &str) -> Vec<Change> {
    payload
        .split(',')
        .filter_map(|item| match item.split_once(':')? {
            ("m", k) => XOnly::parse(k).ok().map(Change::Messages),
            ("b", b) => Id::parse(b).ok().map(Change::Batch),
            _ => None,
        })
        .collect()
}

/// Announces a committed request's changes to every relay process, inside
/// its transaction (PostgreSQL delivers a `NOTIFY` only if it commits).
async fn announce(tx: &mut PgTx<'_>, reply: &Reply) -> StoreResult<()> {
    let changes = reply.changes();
    if changes.is_empty() {
        return Ok(());
    }
    tx.t.execute(
        "SELECT pg_notify($1, $2)",
        &[&CHANGES_CHANNEL, &encode_changes(&changes)],
    )
    .await
    .map_err(pg)?;
    Ok(())
}

impl PgStore {
    /// Hears the changes every relay process announces and passes them to
    /// `on`, on a connection of its own (outside the pool), until `stop`;
    /// reconnects after a loss. Meanwhile long-polls fall back to looking
    /// for themselves.
    pub fn listen(
        &self,
        on: impl Fn(&[Change]) + Send + 'static,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let target = self.pool.target().clone();
        tokio::spawn(async move {
            loop {
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                match target.connect_listening(tx).await {
                    Ok(client) => {
                        // Named apart from the pool's sessions (for operators
                        // counting them), then listening.
                        if let Err(e) = client
                            .batch_execute(&format!(
                                "SELECT set_config('application_name', \
                                 left(current_setting('application_name') || ' listener', 63), false); \
                                 LISTEN {CHANGES_CHANNEL}"
                            ))
                            .await
                        {
                            tracing::warn!(error = %e, "cannot LISTEN for changes");
                        } else {
                            loop {
                                tokio::select! {
                                    n = rx.recv() => match n {
                                        Some(payload) => on(&decode_changes(&payload)),
                                        None => break,
                                    },
                                    _ = stop.changed() => return,
                                }
                            }
                            tracing::warn!("the change listener's connection closed; reconnecting");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "the change listener cannot connect"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => return,
                }
            }
        })
    }
}

impl Store for PgStore {
    async fn execute(&self, ctx: Arc<Ctx>, op: Op) -> Result<Reply, ApiError> {
        transact!(
            self,
            IsolationLevel::Serializable,
            lock = true,
            read_only = false,
            |tx| async {
                let reply = serve::execute(&mut tx, &ctx, &op).await?;
                announce(&mut tx, &reply).await?;
                Ok::<_, wallet_core::serve::ServeError>(reply)
            }
        )
    }

    async fn read(&self, ctx: Arc<Ctx>, q: Read) -> Result<ReadReply, ApiError> {
        transact!(
            self,
            IsolationLevel::RepeatableRead,
            lock = false,
            read_only = true,
            |tx| serve::read(&mut tx, &ctx, &q)
        )
    }

    async fn init_relay_key(&self, fresh: Scalar) -> Result<Scalar, ApiError> {
        transact!(
            self,
            IsolationLevel::Serializable,
            lock = true,
            read_only = false,
            |tx| serve::init_relay_key(&mut tx, &fresh)
        )
    }

    async fn config(&self, ctx: Arc<Ctx>) -> Result<ConfigResponse, ApiError> {
        transact!(
            self,
            IsolationLevel::ReadCommitted,
            lock = false,
            read_only = true,
            |tx| serve::config(&mut tx, &ctx)
        )
    }

    async fn prune(&self, ctx: Arc<Ctx>) -> Result<u64, ApiError> {
        transact!(
            self,
            IsolationLevel::ReadCommitted,
            lock = false,
            read_only = false,
            |tx| async {
                let now = ctx.now(&mut tx).await?;
                tx.t.execute("DELETE FROM seen_sigs WHERE expires < $1", &[&i(now)])
                    .await
                    .map_err(pg)
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_announcements_round_trip_and_skip_junk() {
        let k = XOnly::parse("f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9")
            .unwrap_or_else(|e| panic!("{e}"));
        let b = Id::parse("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap_or_else(|e| panic!("{e}"));
        let changes = vec![Change::Messages(k), Change::Batch(b)];
        let payload = encode_changes(&changes);
        assert_eq!(decode_changes(&payload), changes);
        assert_eq!(
            decode_changes(&format!("x:1,m:zz,b:nope,{payload},")),
            changes
        );
        assert!(encode_changes(&changes).len() < 8000);
    }
}
