//! SQLite settings on every pooled connection, and file permissions.

use katonic_console::store::{DATABASE_FILE, Store};

#[tokio::test]
async fn every_connection_uses_wal_full_sync_foreign_keys_and_busy_timeout() {
    let temp = tempfile::tempdir().unwrap();
    let store = Store::open(&temp.path().join("data")).await.unwrap();
    // Hold several connections at once so more than one pooled connection is checked.
    let mut conns = Vec::new();
    for _ in 0..3 {
        conns.push(store.reader().acquire().await.unwrap());
    }
    for conn in conns.iter_mut() {
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        assert_eq!((mode.as_str(), sync, fk, busy), ("wal", 2, 1, 5000));
    }
}

#[cfg(unix)]
#[tokio::test]
async fn data_dir_is_owner_only_and_database_0600() {
    use std::os::unix::fs::PermissionsExt;
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("data");
    let store = Store::open(&dir).await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(DATABASE_FILE)), 0o600);
    store.close().await;
}
