//! Whether the database can be written: the writer connection is never left inside a
//! transaction, and readiness learns from a real (cached) write whether commits succeed now.
//!
//! Why: with a full disk, a `COMMIT` fails and SQLite may roll the transaction back by itself.
//! sqlx still counts the transaction as open, the rollback it queues on drop then fails ("no
//! transaction is active") and every later `BEGIN IMMEDIATE` on the pooled connection is refused
//! ("attempted to call begin_with at non-zero transaction depth") until a restart. Reading the
//! database (`SELECT 1`) keeps working throughout, so it says nothing about writes.

use super::Store;
use sqlx::{Connection, SqliteConnection};
use std::time::{Duration, Instant};

/// How long a probe's answer stands: readiness checks come every few seconds from several
/// sources; each probe is a synchronous (fsync'd) commit.
const PROBE_FRESH_FOR: Duration = Duration::from_secs(1);

/// The writer pool's release check: a connection still inside a transaction is closed, so the
/// pool opens a fresh one instead of handing out one that refuses every `BEGIN`.
pub(super) async fn leave_no_transaction_open(
    conn: &mut SqliteConnection,
) -> Result<bool, sqlx::Error> {
    // A dropped transaction queues its rollback on the connection's worker; the ping runs after
    // it, so the depth read next is the one that rollback left.
    conn.ping().await?;
    let clean = !conn.is_in_transaction();
    if !clean {
        tracing::warn!(
            "the database writer connection was left inside a failed transaction; reopening it"
        );
    }
    Ok(clean)
}

/// The last probe: when, and what went wrong if it failed.
#[derive(Debug, Default)]
pub(super) struct WriteProbe {
    last: tokio::sync::Mutex<Option<(Instant, Result<(), String>)>>,
}

impl Store {
    /// Whether a write commits now (readiness): `Err` says why not. A probe row is rewritten in
    /// its own transaction at most once a second; in between, the last answer stands.
    pub async fn writable(&self) -> Result<(), String> {
        let mut last = self.probe.last.lock().await;
        if let Some((at, answer)) = last.as_ref()
            && at.elapsed() < PROBE_FRESH_FOR
        {
            return answer.clone();
        }
        let answer = self.probe_write().await.map_err(|e| e.to_string());
        *last = Some((Instant::now(), answer.clone()));
        answer
    }

    async fn probe_write(&self) -> Result<(), sqlx::Error> {
        // Microseconds: each probe writes a different value.
        let micros = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000;
        let now = i64::try_from(micros).unwrap_or(i64::MAX);
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "INSERT INTO write_probe (id, checked_at) VALUES (1, ?)
             ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_transaction_sqlite_ended_by_itself_does_not_wedge_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        {
            let mut tx = store.writer.begin_with("BEGIN IMMEDIATE").await.unwrap();
            // What SQLite may do by itself on SQLITE_FULL or SQLITE_IOERR: end the transaction
            // under sqlx, whose COMMIT (and rollback on drop) then fail.
            sqlx::query("ROLLBACK").execute(&mut *tx).await.unwrap();
            let failed = tx.commit().await.unwrap_err();
            assert!(failed.to_string().contains("no transaction"), "{failed}");
        }
        // Without the release check: "attempted to call begin_with at non-zero transaction depth".
        store.writable().await.unwrap();
        let id = store
            .create_install(crate::store::NewInstall {
                name: "after".into(),
                answers: Default::default(),
                wizard_step: "azure".into(),
                validated: None,
                cloned_from: None,
            })
            .await
            .unwrap();
        assert!(store.install(id).await.unwrap().is_some());
        store.close().await;
    }
}
