//! The SQLite file's safety (PROTOCOL §9): the database, `-wal` and `-shm`
//! are readable by their owner only, a looser existing file is tightened at
//! start, and a replaced key share does not linger in the file's bytes
//! (`secure_delete` on the write connection).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use relay::store::AnyStore;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use wallet_core::types::Scalar;
use wallet_core::wire::ReceiverResponse;

fn db_path(r: &TestRelay) -> PathBuf {
    r.dir.path().join("relay.db")
}

fn companions(db: &Path) -> [PathBuf; 3] {
    let with = |s: &str| PathBuf::from(format!("{}{s}", db.display()));
    [db.to_path_buf(), with("-wal"), with("-shm")]
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn the_database_files_are_owner_only() {
    // A umask that would leave new files world-readable is the usual one;
    // the relay's files must not depend on it.
    let r = TestRelay::start().await;
    let coin = r.deposit(&keys(), 1000).await;
    r.info(&coin).await;
    let files = companions(&db_path(&r));
    for f in &files {
        assert!(
            f.exists(),
            "{} should exist while the relay runs",
            f.display()
        );
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
}

#[tokio::test]
async fn a_looser_existing_file_is_tightened_at_start() {
    let r = TestRelay::start().await;
    let coin = r.deposit(&keys(), 1000).await;
    let db = db_path(&r);
    // Between two runs, someone loosens the file's mode.
    let r = r
        .restart_after(|| {
            std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert_eq!(mode(&db), 0o644);
        })
        .await;
    assert_eq!(mode(&db), 0o600);
    // Same data, still served.
    assert_eq!(r.info(&coin).await.amount, 1000);
    for f in companions(&db) {
        if f.exists() {
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
    }
}

#[tokio::test]
async fn secure_delete_is_on_for_the_writer() {
    let r = TestRelay::start().await;
    let AnyStore::Sqlite(store) = &r.relay.as_ref().unwrap().state.0.store else {
        panic!("a SQLite relay");
    };
    assert!(store.secure_delete().await.unwrap());
}

/// The coin row's stored server secret (coin rows are JSON text).
fn stored_secret(db: &Path, coin: &wallet_core::types::Id) -> String {
    let c = rusqlite::Connection::open(db).unwrap();
    let data: String = c
        .query_row(
            "SELECT data FROM coins WHERE statechain_id = ?1",
            [coin.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    let v: Value = serde_json::from_str(&data).unwrap();
    v["server_secret"].as_str().unwrap().to_string()
}

/// Copies the WAL into the main file and truncates the WAL, from a
/// connection of the test's own (the relay keeps running).
fn checkpoint(db: &Path) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let (busy, _, _): (i64, i64, i64) = c
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(busy, 0, "the checkpoint could not complete");
}

/// Which of the database's files contain `needle`.
fn files_containing(db: &Path, needle: &[u8]) -> Vec<String> {
    companions(db)
        .iter()
        .filter(|f| {
            std::fs::read(f)
                .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
                .unwrap_or(false)
        })
        .map(|f| f.display().to_string())
        .collect()
}

#[tokio::test]
async fn a_replaced_key_share_leaves_no_trace_in_the_file() {
    let r = TestRelay::start().await;
    let db = db_path(&r);
    let (a, b) = (keys(), keys());
    let coin = r.deposit(&a, 5000).await;
    let old = stored_secret(&db, &coin);
    assert_eq!(old.len(), 64);
    // Rows written after this coin's sit below it in the page, so the space
    // its old row leaves is not simply reused by its new, larger one: without
    // secure_delete, the old row's bytes would stay in the page's free space.
    for _ in 0..3 {
        r.deposit(&keys(), 1000).await;
    }

    // The search works: before the transfer the share is in the main file.
    checkpoint(&db);
    assert_eq!(
        files_containing(&db, old.as_bytes()),
        vec![db.display().to_string()]
    );

    // A complete transfer replaces the server's share (and sets, then
    // clears, the pending transfer's x1).
    let sent: Value = r.sender(coin, &a, &b, None).await.ok();
    let x1 = Scalar::parse(sent["x1"].as_str().unwrap()).unwrap();
    let msg = r.upload(coin, &a, &b, None, &x1).await;
    assert_eq!(r.fetch(coin, &b).await, msg);
    r.receiver(&msg, &b).await.ok::<ReceiverResponse>();
    let new = stored_secret(&db, &coin);
    assert_ne!(new, old);

    checkpoint(&db);
    for (what, secret) in [("the old server share", &old), ("x1", &x1.to_string())] {
        assert_eq!(
            files_containing(&db, secret.as_bytes()),
            Vec::<String>::new(),
            "{what} is still in the files' bytes"
        );
        let raw = wallet_core::hex::decode(secret).unwrap();
        assert_eq!(
            files_containing(&db, &raw),
            Vec::<String>::new(),
            "{what} (raw)"
        );
    }
    assert_eq!(
        files_containing(&db, new.as_bytes()),
        vec![db.display().to_string()]
    );
}
