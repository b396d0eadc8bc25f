//! SQLite: the embedded default. WAL, `synchronous=FULL`, versioned
//! migrations, and ONE writer thread owning the write connection.
//!
//! Group commit: the writer takes every queued request, runs each inside its
//! own SAVEPOINT of one outer transaction (a refused or failed request rolls
//! back only its savepoint), commits once (one fsync for the group), and
//! only then answers each request. Reads use separate connections.

use super::{Store, StoreResult, coin_from_row, coin_to_row, from_json, to_json};
use crate::error::{ApiError, StoreError};
use rusqlite::{Connection, OptionalExtension, params};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Waker};
use tokio::sync::oneshot;
use wallet_core::descriptor::BatchTransfer;
use wallet_core::rows::{Batch, Coin, Member};
use wallet_core::serve::{self, Ctx, Op, Read, ReadReply, Reply, ServeError, SyncTx};
use wallet_core::signing::Verified;
use wallet_core::types::{Id, Scalar, Sig, XOnly};
use wallet_core::wire::{ChainEntry, ConfigResponse, MessageEntry};

fn sql_error(e: rusqlite::Error) -> StoreError {
    StoreError::new(format!("sqlite: {e}"))
}

/// `.sql()?`: a rusqlite result as a storage result.
trait Sql<T> {
    fn sql(self) -> StoreResult<T>;
}

impl<T> Sql<T> for rusqlite::Result<T> {
    fn sql(self) -> StoreResult<T> {
        self.map_err(sql_error)
    }
}

/// Versioned migrations: entry `i` brings the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE coins (
    statechain_id TEXT PRIMARY KEY,
    owner_auth    TEXT NOT NULL,
    pending_auth  TEXT,
    enc_msg       BLOB,
    data          TEXT NOT NULL
);
CREATE INDEX coins_owner ON coins(owner_auth);
CREATE INDEX coins_pending ON coins(pending_auth) WHERE pending_auth IS NOT NULL;
CREATE TABLE batches (
    batch_id TEXT PRIMARY KEY,
    version  INTEGER NOT NULL,
    data     TEXT NOT NULL
);
CREATE TABLE batch_lines (
    batch_id          TEXT NOT NULL,
    statechain_id     TEXT NOT NULL,
    new_user_auth_key TEXT NOT NULL,
    amount            INTEGER NOT NULL,
    joined            INTEGER NOT NULL,
    locked            INTEGER NOT NULL,
    PRIMARY KEY (batch_id, statechain_id)
) WITHOUT ROWID;
CREATE TABLE chain (
    statechain_id TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    entry         TEXT NOT NULL,
    PRIMARY KEY (statechain_id, seq)
) WITHOUT ROWID;
CREATE TABLE seen_sigs (
    sig     BLOB PRIMARY KEY,
    expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX seen_sigs_expires ON seen_sigs(expires);
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#,
    r#"
-- Protocol revision 2: messages page by cursor (§8). A cursor per
-- receiving key; messages already stored get cursors in row order.
ALTER TABLE coins ADD COLUMN msg_cursor INTEGER;
UPDATE coins SET msg_cursor = rowid WHERE enc_msg IS NOT NULL;
CREATE INDEX coins_messages ON coins(pending_auth, msg_cursor) WHERE enc_msg IS NOT NULL;
CREATE TABLE msg_cursors (
    auth TEXT PRIMARY KEY,
    last INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO msg_cursors (auth, last)
    SELECT pending_auth, MAX(msg_cursor) FROM coins
    WHERE enc_msg IS NOT NULL AND pending_auth IS NOT NULL GROUP BY pending_auth;
"#,
];

/// The write connection's settings. `secure_delete`: deleted and replaced
/// content (a coin's previous key share, a finished transfer's `x1`) is
/// overwritten with zeros instead of lingering in free space and free
/// pages of the file.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(())
}

/// The database file readable and writable by its owner only (0600): it
/// holds the relay's signing key and every coin's key share. A new file is
/// created so before SQLite opens it; SQLite gives the `-wal` and `-shm`
/// files it creates the main file's mode. An existing file (or `-wal`,
/// `-shm`) with looser permissions is tightened, with a warning; if that is
/// not possible the relay does not start.
#[cfg(unix)]
fn owner_only(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
    }
    let mut files = vec![path.to_path_buf()];
    for suffix in ["-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        files.push(PathBuf::from(name));
    }
    for file in files {
        let mode = match std::fs::metadata(&file) {
            Ok(m) => m.permissions().mode() & 0o777,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("cannot inspect {}: {e}", file.display())),
        };
        if mode & 0o077 != 0 {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).map_err(
                |e| {
                    format!(
                        "{} is readable by others (mode {mode:o}) and could not be made owner-only: {e}; \
                         run chmod 600 on it",
                        file.display()
                    )
                },
            )?;
            tracing::warn!(
                file = %file.display(),
                was = %format!("{mode:o}"),
                "the database file was readable by others; its mode is now 600"
            );
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn owner_only(_path: &Path) -> Result<(), String> {
    Ok(())
}

fn migrate(conn: &mut Connection) -> StoreResult<u32> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .sql()?;
    let current: u32 = conn
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |r| r.get(0),
        )
        .sql()?;
    if current as usize > MIGRATIONS.len() {
        return Err(StoreError::new(format!(
            "the database has schema version {current}, newer than this relay ({})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let t = conn.transaction().sql()?;
        t.execute_batch(sql).sql()?;
        t.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            params![i as u32 + 1],
        )
        .sql()?;
        t.commit().sql()?;
    }
    Ok(MIGRATIONS.len() as u32)
}

/// Drives a future that never pends (every SQLite call is synchronous).
pub(crate) fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

/// One SQLite transaction (or savepoint) on a connection.
pub struct SqliteTx<'c> {
    conn: &'c Connection,
}

fn i(v: u64) -> i64 {
    v as i64
}
fn u(v: i64) -> u64 {
    v as u64
}

impl SqliteTx<'_> {
    fn write_coin(&self, coin: &Coin, insert: bool) -> StoreResult<()> {
        let row = coin_to_row(coin)?;
        let pending = coin
            .pending
            .as_ref()
            .map(|p| p.new_user_auth_key.to_string());
        let sql = if insert {
            "INSERT INTO coins (statechain_id, owner_auth, pending_auth, enc_msg, msg_cursor, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        } else {
            "UPDATE coins SET owner_auth = ?2, pending_auth = ?3, enc_msg = ?4, msg_cursor = ?5, data = ?6 WHERE statechain_id = ?1"
        };
        let n = self
            .conn
            .prepare_cached(sql)
            .sql()?
            .execute(params![
                coin.statechain_id.to_string(),
                coin.owner_auth_pubkey.to_string(),
                pending,
                row.enc_msg,
                row.msg_cursor,
                row.data
            ])
            .sql()?;
        if n != 1 {
            return Err(StoreError::new("coin row not written"));
        }
        Ok(())
    }

    fn ids(&self, sql: &str, key: String) -> StoreResult<Vec<String>> {
        let mut st = self.conn.prepare_cached(sql).sql()?;
        let rows = st
            .query_map(params![key], |r| r.get::<_, String>(0))
            .sql()?;
        rows.collect::<Result<_, _>>().sql()
    }
}

impl SyncTx for SqliteTx<'_> {
    fn shared_now_sync(&mut self) -> StoreResult<Option<u64>> {
        // One process owns a SQLite file: its (monotonic) clock decides.
        Ok(None)
    }

    fn coin_sync(&mut self, id: &Id) -> StoreResult<Option<Coin>> {
        let row: Option<(String, Option<Vec<u8>>, Option<i64>)> = self
            .conn
            .prepare_cached("SELECT data, enc_msg, msg_cursor FROM coins WHERE statechain_id = ?1")
            .sql()?
            .query_row(params![id.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
            .sql()?;
        row.map(|(data, msg, cursor)| coin_from_row(&data, msg, cursor))
            .transpose()
    }

    fn insert_coin_sync(&mut self, coin: &Coin) -> StoreResult<()> {
        self.write_coin(coin, true)
    }

    fn put_coin_sync(&mut self, coin: &Coin) -> StoreResult<()> {
        self.write_coin(coin, false)
    }

    fn batch_sync(&mut self, id: &Id) -> StoreResult<Option<Batch>> {
        let row: Option<String> = self
            .conn
            .prepare_cached("SELECT data FROM batches WHERE batch_id = ?1")
            .sql()?
            .query_row(params![id.to_string()], |r| r.get(0))
            .optional()
            .sql()?;
        row.map(|d| from_json(&d)).transpose()
    }

    fn insert_batch_sync(&mut self, batch: &Batch, lines: &[BatchTransfer]) -> StoreResult<()> {
        let id = batch.batch_id.to_string();
        self.conn
            .prepare_cached("INSERT INTO batches (batch_id, version, data) VALUES (?1, ?2, ?3)")
            .sql()?
            .execute(params![id, i(batch.version), to_json(batch)?])
            .sql()?;
        let mut st = self.conn.prepare_cached(
            "INSERT INTO batch_lines (batch_id, statechain_id, new_user_auth_key, amount, joined, locked) VALUES (?1, ?2, ?3, ?4, 0, 0)",
        ).sql()?;
        for l in lines {
            st.execute(params![
                id,
                l.statechain_id.to_string(),
                l.new_user_auth_key.to_string(),
                i(l.amount)
            ])
            .sql()?;
        }
        Ok(())
    }

    fn put_batch_sync(&mut self, batch: &Batch) -> StoreResult<()> {
        let n = self
            .conn
            .prepare_cached("UPDATE batches SET version = ?2, data = ?3 WHERE batch_id = ?1")
            .sql()?
            .execute(params![
                batch.batch_id.to_string(),
                i(batch.version),
                to_json(batch)?
            ])
            .sql()?;
        if n != 1 {
            return Err(StoreError::new("batch row not written"));
        }
        Ok(())
    }

    fn member_sync(&mut self, batch: &Id, coin: &Id) -> StoreResult<Option<Member>> {
        self.conn
            .prepare_cached(
                "SELECT joined, locked FROM batch_lines WHERE batch_id = ?1 AND statechain_id = ?2",
            )
            .sql()?
            .query_row(params![batch.to_string(), coin.to_string()], |r| {
                Ok(Member {
                    joined: r.get(0)?,
                    locked: r.get(1)?,
                })
            })
            .optional()
            .sql()
    }

    fn line_sync(&mut self, batch: &Id, coin: &Id) -> StoreResult<Option<(BatchTransfer, Member)>> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT new_user_auth_key, amount, joined, locked FROM batch_lines WHERE batch_id = ?1 AND statechain_id = ?2",
            )
            .sql()?
            .query_row(params![batch.to_string(), coin.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, bool>(3)?,
                ))
            })
            .optional()
            .sql()?;
        row.map(|(key, amount, joined, locked)| {
            let key = XOnly::parse(&key)
                .map_err(|e| StoreError::new(format!("corrupt batch line: {e}")))?;
            Ok((
                BatchTransfer {
                    statechain_id: *coin,
                    new_user_auth_key: key,
                    amount: u(amount),
                },
                Member { joined, locked },
            ))
        })
        .transpose()
    }

    fn put_member_sync(&mut self, batch: &Id, coin: &Id, m: Member) -> StoreResult<()> {
        let n = self
            .conn
            .prepare_cached("UPDATE batch_lines SET joined = ?3, locked = ?4 WHERE batch_id = ?1 AND statechain_id = ?2").sql()?
            .execute(params![batch.to_string(), coin.to_string(), m.joined, m.locked]).sql()?;
        if n != 1 {
            return Err(StoreError::new("member row not written"));
        }
        Ok(())
    }

    fn append_chain_sync(&mut self, coin: &Id, e: &ChainEntry) -> StoreResult<()> {
        self.conn
            .prepare_cached("INSERT INTO chain (statechain_id, seq, entry) VALUES (?1, ?2, ?3)")
            .sql()?
            .execute(params![coin.to_string(), i(e.seq), to_json(e)?])
            .sql()?;
        Ok(())
    }

    fn chain_entry_sync(&mut self, coin: &Id, seq: u64) -> StoreResult<Option<ChainEntry>> {
        let row: Option<String> = self
            .conn
            .prepare_cached("SELECT entry FROM chain WHERE statechain_id = ?1 AND seq = ?2")
            .sql()?
            .query_row(params![coin.to_string(), i(seq)], |r| r.get(0))
            .optional()
            .sql()?;
        row.map(|d| from_json(&d)).transpose()
    }

    fn chain_sync(&mut self, coin: &Id) -> StoreResult<Vec<ChainEntry>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT entry FROM chain WHERE statechain_id = ?1 ORDER BY seq")
            .sql()?;
        let rows = st
            .query_map(params![coin.to_string()], |r| r.get::<_, String>(0))
            .sql()?;
        rows.map(|r| from_json(&r.sql()?)).collect()
    }

    fn remember_sig_sync(&mut self, sig: &Sig, expires: u64) -> StoreResult<bool> {
        let n = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO seen_sigs (sig, expires) VALUES (?1, ?2)")
            .sql()?
            .execute(params![&sig.to_bytes()[..], i(expires)])
            .sql()?;
        Ok(n == 1)
    }

    fn relay_key_sync(&mut self) -> StoreResult<Option<Scalar>> {
        let row: Option<String> = self
            .conn
            .prepare_cached("SELECT value FROM meta WHERE key = 'relay_key'")
            .sql()?
            .query_row([], |r| r.get(0))
            .optional()
            .sql()?;
        row.map(|s| {
            Scalar::parse(&s).map_err(|e| StoreError::new(format!("corrupt relay key: {e}")))
        })
        .transpose()
    }

    fn put_relay_key_sync(&mut self, key: &Scalar) -> StoreResult<()> {
        self.conn
            .prepare_cached("INSERT OR IGNORE INTO meta (key, value) VALUES ('relay_key', ?1)")
            .sql()?
            .execute(params![key.to_string()])
            .sql()?;
        Ok(())
    }

    fn coins_by_owner_sync(&mut self, auth: &XOnly) -> StoreResult<Vec<Id>> {
        self.ids(
            "SELECT statechain_id FROM coins WHERE owner_auth = ?1 ORDER BY statechain_id",
            auth.to_string(),
        )?
        .iter()
        .map(|s| Id::parse(s).map_err(|e| StoreError::new(format!("corrupt id: {e}"))))
        .collect()
    }

    fn messages_for_sync(
        &mut self,
        auth: &XOnly,
        after: u64,
        limit: usize,
    ) -> StoreResult<Vec<MessageEntry>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT statechain_id, enc_msg, msg_cursor FROM coins \
             WHERE pending_auth = ?1 AND enc_msg IS NOT NULL AND msg_cursor > ?2 \
             ORDER BY msg_cursor LIMIT ?3",
            )
            .sql()?;
        let rows = st
            .query_map(params![auth.to_string(), i(after), limit as i64], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .sql()?;
        rows.map(|r| {
            let (id, msg, cursor) = r.sql()?;
            Ok(MessageEntry {
                statechain_id: Id::parse(&id)
                    .map_err(|e| StoreError::new(format!("corrupt id: {e}")))?,
                enc_msg: wallet_core::HexBytes(msg),
                cursor: u(cursor),
            })
        })
        .collect()
    }

    fn next_message_cursor_sync(&mut self, auth: &XOnly) -> StoreResult<u64> {
        self.conn
            .prepare_cached(
                "INSERT INTO msg_cursors (auth, last) VALUES (?1, 1) \
                 ON CONFLICT (auth) DO UPDATE SET last = last + 1 RETURNING last",
            )
            .sql()?
            .query_row(params![auth.to_string()], |r| r.get::<_, i64>(0))
            .sql()
            .map(u)
    }

    fn batch_lines_sync(&mut self, batch: &Id) -> StoreResult<Vec<(BatchTransfer, Member)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT statechain_id, new_user_auth_key, amount, joined, locked FROM batch_lines WHERE batch_id = ?1 ORDER BY statechain_id",
        ).sql()?;
        let rows = st
            .query_map(params![batch.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, bool>(4)?,
                ))
            })
            .sql()?;
        rows.map(|r| {
            let (id, key, amount, joined, locked) = r.sql()?;
            let corrupt =
                |e: wallet_core::Error| StoreError::new(format!("corrupt batch line: {e}"));
            Ok((
                BatchTransfer {
                    statechain_id: Id::parse(&id).map_err(corrupt)?,
                    new_user_auth_key: XOnly::parse(&key).map_err(corrupt)?,
                    amount: u(amount),
                },
                Member { joined, locked },
            ))
        })
        .collect()
    }
}

/// What one queued request left to do after the group's commit.
type Finish = Box<dyn FnOnce(Option<StoreError>) + Send>;

/// One queued request: runs in its savepoint (`None`: the transaction could
/// not be opened) and says whether to keep its writes.
type Job = Box<dyn FnOnce(Option<&Connection>) -> (bool, Finish) + Send>;

fn job<R: Send + 'static>(
    work: impl FnOnce(&Connection) -> Result<R, ApiError> + Send + 'static,
    reply: oneshot::Sender<Result<R, ApiError>>,
) -> Job {
    Box::new(move |conn| {
        let result = match conn {
            Some(conn) => catch_unwind(AssertUnwindSafe(|| work(conn)))
                .unwrap_or_else(|_| Err(StoreError::new("request logic panicked").into())),
            None => Err(StoreError::new("could not open a transaction").into()),
        };
        let ok = result.is_ok();
        let finish: Finish = Box::new(move |commit_error| {
            let answer = match (commit_error, result) {
                (Some(e), Ok(_)) => Err(e.into()),
                (_, r) => r,
            };
            let _ = reply.send(answer);
        });
        (ok, finish)
    })
}

/// Group-commit figures, for the benchmark.
#[derive(Debug, Default)]
pub struct Stats {
    pub commits: AtomicU64,
    pub requests: AtomicU64,
}

/// Most requests folded into one commit.
const MAX_GROUP: usize = 512;

fn writer_loop(conn: Connection, jobs: mpsc::Receiver<Job>, stats: Arc<Stats>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(j) => group.push(j),
                Err(_) => break,
            }
        }
        let began = conn.execute_batch("BEGIN IMMEDIATE").is_ok();
        let mut finishes = Vec::with_capacity(group.len());
        for j in group {
            if !began || conn.execute_batch("SAVEPOINT req").is_err() {
                finishes.push(j(None).1);
                continue;
            }
            let (ok, finish) = j(Some(&conn));
            if ok {
                let _ = conn.execute_batch("RELEASE req");
            } else {
                let _ = conn.execute_batch("ROLLBACK TO req; RELEASE req");
            }
            finishes.push(finish);
        }
        let commit_error = if !began {
            Some(StoreError::new("could not open a transaction"))
        } else {
            match conn.execute_batch("COMMIT") {
                Ok(()) => None,
                Err(e) => {
                    let _ = conn.execute_batch("ROLLBACK");
                    Some(sql_error(e))
                }
            }
        };
        stats.commits.fetch_add(1, Ordering::Relaxed);
        stats
            .requests
            .fetch_add(finishes.len() as u64, Ordering::Relaxed);
        for f in finishes {
            f(commit_error.clone());
        }
    }
}

/// Read connections, opened on demand and reused.
struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    fn take(&self) -> StoreResult<Connection> {
        if let Some(c) = self
            .idle
            .lock()
            .map_err(|_| StoreError::new("reader pool poisoned"))?
            .pop()
        {
            return Ok(c);
        }
        let c = Connection::open(&self.path).sql()?;
        c.busy_timeout(std::time::Duration::from_secs(10)).sql()?;
        c.pragma_update(None, "query_only", true).sql()?;
        Ok(c)
    }
    fn give(&self, c: Connection) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < 8
        {
            idle.push(c);
        }
    }
}

pub struct SqliteStore {
    jobs: Mutex<mpsc::Sender<Job>>,
    readers: Arc<Readers>,
    pub stats: Arc<Stats>,
}

impl SqliteStore {
    /// Opens (creating on first start) and migrates the database file.
    pub fn open(path: &Path) -> Result<SqliteStore, String> {
        owner_only(path)?;
        let mut conn =
            Connection::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        configure(&conn).map_err(|e| format!("cannot configure {}: {e}", path.display()))?;
        migrate(&mut conn).map_err(|e| e.to_string())?;
        let (tx, rx) = mpsc::channel();
        let stats = Arc::new(Stats::default());
        let s = stats.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, s))
            .map_err(|e| format!("cannot start the writer thread: {e}"))?;
        Ok(SqliteStore {
            jobs: Mutex::new(tx),
            readers: Arc::new(Readers {
                path: path.to_path_buf(),
                idle: Mutex::new(Vec::new()),
            }),
            stats,
        })
    }

    /// `PRAGMA secure_delete` as the write connection (the one that
    /// deletes) has it: `true` when deleted content is zeroed.
    pub async fn secure_delete(&self) -> Result<bool, ApiError> {
        self.submit(|conn| {
            conn.query_row("PRAGMA secure_delete", [], |r| r.get::<_, i64>(0))
                .map(|v| v == 1)
                .map_err(|e| sql_error(e).into())
        })
        .await
    }

    async fn submit<R: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<R, ApiError> + Send + 'static,
    ) -> Result<R, ApiError> {
        let (reply, answer) = oneshot::channel();
        let sent = self
            .jobs
            .lock()
            .map_err(|_| StoreError::new("writer queue poisoned"))?
            .send(job(work, reply));
        if sent.is_err() {
            return Err(StoreError::new("the writer thread has stopped").into());
        }
        answer
            .await
            .map_err(|_| StoreError::new("the writer thread dropped the request"))?
    }
}

impl SqliteStore {
    /// §4's checks up to the signatures, on a read connection, before the
    /// request may queue for the single writer: a junk-signed request
    /// (a 1000-line join, say) is refused here, in parallel with others,
    /// and never holds up the writer. A storage failure here is not the
    /// request's fault: the writer then checks everything itself.
    async fn precheck(&self, ctx: Arc<Ctx>, op: Op) -> Result<(Op, Verified), ApiError> {
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = readers.take()?;
            conn.execute_batch("BEGIN").map_err(sql_error)?;
            let r = block_on(serve::precheck(&mut SqliteTx { conn: &conn }, &ctx, &op));
            if conn.execute_batch("COMMIT").is_ok() {
                readers.give(conn);
            }
            match r {
                Ok(verified) => Ok((op, verified)),
                Err(ServeError::Refused(r)) => Err(r.into()),
                Err(ServeError::Store(_)) => Ok((op, Verified::default())),
            }
        })
        .await
        .map_err(|e| StoreError::new(format!("precheck task failed: {e}")))?
    }
}

impl Store for SqliteStore {
    async fn execute(&self, ctx: Arc<Ctx>, op: Op) -> Result<Reply, ApiError> {
        let (op, verified) = self.precheck(ctx.clone(), op).await?;
        self.submit(move |conn| {
            block_on(serve::execute_verified(
                &mut SqliteTx { conn },
                &ctx,
                &op,
                verified,
            ))
            .map_err(ApiError::from)
        })
        .await
    }

    async fn read(&self, ctx: Arc<Ctx>, q: Read) -> Result<ReadReply, ApiError> {
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = readers.take()?;
            conn.execute_batch("BEGIN").map_err(sql_error)?;
            let r = block_on(serve::read(&mut SqliteTx { conn: &conn }, &ctx, &q))
                .map_err(ApiError::from);
            if conn.execute_batch("COMMIT").is_ok() {
                readers.give(conn);
            }
            r
        })
        .await
        .map_err(|e| StoreError::new(format!("read task failed: {e}")))?
    }

    async fn init_relay_key(&self, fresh: Scalar) -> Result<Scalar, ApiError> {
        self.submit(move |conn| {
            block_on(serve::init_relay_key(&mut SqliteTx { conn }, &fresh)).map_err(ApiError::from)
        })
        .await
    }

    async fn config(&self, ctx: Arc<Ctx>) -> Result<ConfigResponse, ApiError> {
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = readers.take()?;
            let r = block_on(serve::config(&mut SqliteTx { conn: &conn }, &ctx))
                .map_err(ApiError::from);
            readers.give(conn);
            r
        })
        .await
        .map_err(|e| StoreError::new(format!("read task failed: {e}")))?
    }

    async fn prune(&self, ctx: Arc<Ctx>) -> Result<u64, ApiError> {
        self.submit(move |conn| {
            let now = ctx.clock.now(None);
            let n = conn
                .execute("DELETE FROM seen_sigs WHERE expires < ?1", params![i(now)])
                .map_err(sql_error)?;
            Ok(n as u64)
        })
        .await
    }
}
