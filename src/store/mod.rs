//! SQLite persistence (sqlx): installs, their planned steps, drafts. The database is the truth.
//!
//! One writer connection (SQLite has one writer; `BEGIN IMMEDIATE` avoids the busy-upgrade trap
//! of deferred transactions) and a small reader pool. Every connection runs in WAL mode with
//! `synchronous=FULL` (a committed install survives power loss), `foreign_keys=ON` and a 5 s
//! busy timeout. Migrations run before the console accepts a request.

mod access_links;
pub mod audit;
mod events;
mod health;
mod history;
mod installs;
mod runs;
mod secrets;
mod settings;
mod teardowns;

pub use audit::{AuditAction, AuditEntry};
pub use history::HistoryEntry;
pub use installs::{
    InstallId, InstallRecord, InstallSummary, NewInstall, RunError, StepRecord, Validated,
};
pub use katonic_domain::{InstallStatus, StepStatus};
pub use runs::{CancelOutcome, Claimed, ErrorClass, FailedAt, Failure, Lease, RunEnd, StepEnd};
pub use secrets::SecretName;
pub use teardowns::TeardownSummary;

use crate::events::EventBus;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// File name of the database inside the data dir.
pub const DATABASE_FILE: &str = "katonic-console.db";

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed a query.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration could not be applied (or an applied one was edited).
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The data dir or database file could not be prepared.
    #[error("cannot prepare {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The data dir cannot be made private.
    #[error("the data dir {path} cannot be used: {problem}")]
    DataDir { path: PathBuf, problem: String },
    /// A stored value does not decode (hand-edited row, or a newer console's data).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// No install with this id.
    #[error("no install with id {0}")]
    NotFound(InstallId),
    /// The install has left the draft state; its answers can no longer change.
    #[error("install {id} is {status}, not a draft: its answers can no longer change")]
    NotDraft {
        id: InstallId,
        status: InstallStatus,
    },
    /// The install's answers do not form a valid spec yet.
    #[error("install {0} has no valid spec yet: fix the errors shown on the review page")]
    NotReady(InstallId),
    /// The action does not apply to an install in this state. `action` completes "it cannot
    /// …" (e.g. "be resumed"), naming what would be allowed when that helps.
    #[error("install {id} {}: it cannot {action}", state_phrase(*status))]
    NotActionable {
        id: InstallId,
        status: InstallStatus,
        action: String,
    },
    /// The install has no such step.
    #[error("install {id} has no step {step}")]
    NoSuchStep {
        id: InstallId,
        step: katonic_domain::plan::StepId,
    },
    /// Another install is queued or running against the same subscription, resource group and
    /// cluster.
    #[error(
        "install {name} ({holder}) is {status} on the same subscription, resource group and cluster; \
         wait for it to finish or cancel it first"
    )]
    TargetBusy {
        holder: InstallId,
        name: String,
        status: InstallStatus,
    },
    /// The data dir's secret key cannot be used: the console refuses to start.
    #[error(transparent)]
    SecretKey(#[from] crate::secrets::KeyFileError),
    /// The worker no longer holds the install's lease: it must stop without writing.
    #[error("the lease on install {0} was lost")]
    LeaseLost(InstallId),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An install's state as a sentence says it: "has failed", "was cancelled", "is running".
pub fn state_phrase(status: InstallStatus) -> &'static str {
    match status {
        InstallStatus::Draft => "is a draft",
        InstallStatus::Queued => "is queued",
        InstallStatus::Running => "is running",
        InstallStatus::Succeeded => "has succeeded",
        InstallStatus::Failed => "has failed",
        InstallStatus::Cancelled => "was cancelled",
        InstallStatus::Interrupted => "was interrupted",
    }
}

/// A status or step id read back from its stored text: the database holds the words, the code
/// the enums. Anything else means a hand-edited or foreign database.
fn parse_stored<T>(text: &str) -> Result<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("{text:?}: {e}")))
}

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    writer: SqlitePool,
    reader: SqlitePool,
    /// Committed events are announced here (after the commit, never before).
    bus: EventBus,
    /// Seals and opens the installs' secrets (`secret.key` in the data dir).
    key: crate::secrets::SecretKey,
    /// The last write probe's answer, so readiness checks do not write at every request.
    probe: Arc<health::WriteProbe>,
}

impl Store {
    /// Open (creating if needed) the database in `data_dir` and apply pending migrations.
    pub async fn open(data_dir: &Path) -> Result<Store> {
        Self::open_with_bus(data_dir, EventBus::new()).await
    }

    /// As [`Store::open`], announcing committed events on `bus`.
    pub async fn open_with_bus(data_dir: &Path, bus: EventBus) -> Result<Store> {
        prepare_data_dir(data_dir)?;
        // Before the database: a key file that cannot be used stops the start, naming the fix.
        let key = crate::secrets::SecretKey::load_or_create(data_dir)?;
        let file = data_dir.join(DATABASE_FILE);
        create_private_file(&file)?;
        let options = SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .after_release(|conn, _| Box::pin(health::leave_no_transaction_open(conn)))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        // The WAL and shared-memory files exist now.
        tighten_database_files(data_dir)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        Ok(Store {
            writer,
            reader,
            bus,
            key,
            probe: Arc::new(health::WriteProbe::default()),
        })
    }

    /// Close both pools, flushing the WAL.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    /// The reader pool, for pragma checks in tests and read-only diagnostics.
    pub fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    /// The bus committed events are announced on.
    pub fn bus(&self) -> &EventBus {
        &self.bus
    }

    /// Stop accepting writes (shutdown; tests use it to simulate a database that fails).
    pub async fn close_writer(&self) {
        self.writer.close().await;
    }

    /// Where the database lives, for files written next to it (recovery files).
    /// Installs by status, for the metrics endpoint.
    pub async fn install_counts(&self) -> Result<Vec<(String, i64)>> {
        Ok(
            sqlx::query_as("SELECT status, COUNT(*) FROM installs GROUP BY status ORDER BY status")
                .fetch_all(self.reader())
                .await?,
        )
    }

    /// Whether the database answers (readiness).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(self.reader()).await?;
        Ok(())
    }

    pub fn database_path(data_dir: &Path) -> PathBuf {
        data_dir.join(DATABASE_FILE)
    }
}

/// The data dir holds the key file, sealed secrets and the database: owner-only (0700), created
/// so whatever the umask, and tightened (with a warning) when found looser.
fn prepare_data_dir(dir: &Path) -> Result<()> {
    let io = |source| StoreError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io)?;
    let meta = std::fs::metadata(dir).map_err(io)?;
    if !meta.is_dir() {
        return Err(StoreError::DataDir {
            path: dir.to_path_buf(),
            problem: "it is not a directory".to_string(),
        });
    }
    tighten(dir, &meta, 0o700).map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => StoreError::DataDir {
            path: dir.to_path_buf(),
            problem: "it belongs to another user, so its permissions cannot be made owner-only \
                      (0700); choose a data dir of your own (--data-dir)"
                .to_string(),
        },
        _ => io(e),
    })
}

/// Set `mode` on `path` when its current mode grants more (group or other bits), saying so.
fn tighten(path: &Path, meta: &std::fs::Metadata, mode: u32) -> std::io::Result<()> {
    let current = mode_of(meta);
    if current & 0o077 != 0 {
        tracing::warn!(
            path = %path.display(),
            "was mode {current:o}, readable or writable by others; set to {mode:o}"
        );
        set_mode(path, mode)?;
    }
    Ok(())
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o777
}

#[cfg(not(unix))]
fn mode_of(_meta: &std::fs::Metadata) -> u32 {
    0
}

/// The database, its `-wal` and `-shm`, and any copy of it (`katonic-console.db*`): 0600.
/// SQLite gives new `-wal`/`-shm` files the database's mode; this re-checks at every start, so a
/// file copied in or restored with a loose mode is tightened before the console serves.
fn tighten_database_files(dir: &Path) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|source| StoreError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let ours = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(DATABASE_FILE));
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if ours && meta.is_file() {
            tighten(&path, &meta, 0o600).map_err(|source| StoreError::Io { path, source })?;
        }
    }
    Ok(())
}

/// Write `bytes` to `path` as an owner-only (0600) file, whatever the umask, replacing it.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    // An existing file keeps its mode on open: set it.
    set_mode(path, 0o600)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Create the database file 0600 before SQLite does (SQLite gives `-wal`/`-shm` the same mode).
fn create_private_file(file: &Path) -> Result<()> {
    let io = |source| StoreError::Io {
        path: file.to_path_buf(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(file).map_err(io)?;
    set_mode(file, 0o600).map_err(io)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod mode_tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[tokio::test]
    async fn a_new_data_dir_is_0700_and_the_database_files_0600() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("nested/data");
        let store = Store::open(&dir).await.unwrap();
        // A write makes sure the WAL and shared-memory files exist.
        sqlx::query("CREATE TABLE t (x)")
            .execute(&store.writer)
            .await
            .unwrap();
        assert_eq!(mode(&dir), 0o700);
        for name in [
            DATABASE_FILE.to_string(),
            format!("{DATABASE_FILE}-wal"),
            format!("{DATABASE_FILE}-shm"),
            crate::secrets::KEY_FILE.to_string(),
        ] {
            let path = dir.join(&name);
            assert!(path.exists(), "{name} exists");
            assert_eq!(mode(&path), 0o600, "{name}");
        }
        store.close().await;
    }

    #[tokio::test]
    async fn loose_modes_found_at_start_are_tightened() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("data");
        let store = Store::open(&dir).await.unwrap();
        store.close().await;
        // As a careless copy or restore would leave them.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let db = dir.join(DATABASE_FILE);
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        let backup = dir.join(format!("{DATABASE_FILE}.backup-1"));
        std::fs::write(&backup, b"copy").unwrap();
        std::fs::set_permissions(&backup, std::fs::Permissions::from_mode(0o664)).unwrap();
        let other = dir.join("notes.txt");
        std::fs::write(&other, b"mine").unwrap();
        std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o644)).unwrap();
        let store = Store::open(&dir).await.unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&backup), 0o600);
        assert_eq!(
            mode(&other),
            0o644,
            "files not the console's are left alone"
        );
        store.close().await;
    }

    #[test]
    fn private_files_are_0600_even_when_they_existed_open() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("recovery.json");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        write_private(&path, b"new").unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let fresh = temp.path().join("fresh.env");
        write_private(&fresh, b"x").unwrap();
        assert_eq!(mode(&fresh), 0o600);
    }

    #[test]
    fn a_data_dir_that_is_a_file_is_refused() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("data");
        std::fs::write(&path, b"").unwrap();
        let err = prepare_data_dir(&path).unwrap_err();
        assert!(err.to_string().contains("cannot"), "{err}");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod redaction_tests {
    use super::*;
    use crate::events::{Level, NewEvent};

    #[tokio::test]
    async fn events_and_failures_are_redacted_before_they_are_stored_or_published() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let secret = "store-redaction-canary-51d2";
        crate::redact::register(&secrecy::SecretString::from(secret.to_string()));
        let id = store
            .create_install(NewInstall {
                name: "t".into(),
                answers: Default::default(),
                wizard_step: "azure".into(),
                validated: None,
                cloned_from: None,
            })
            .await
            .unwrap();
        let mut bus = store.bus().subscribe();
        let published = store
            .append_event(
                id,
                NewEvent::install_log(
                    Level::Warn,
                    format!("token request failed: client_secret={secret}"),
                ),
            )
            .await
            .unwrap();
        assert_eq!(
            published.message,
            "token request failed: client_secret=[redacted]"
        );
        let live = bus.recv().await.unwrap();
        assert!(!format!("{live:?}").contains(secret));
        let stored = store.events_after(id, 0, 100).await.unwrap();
        assert!(stored.iter().all(|e| !e.message.contains(secret)));
        assert!(stored.iter().any(|e| e.message.contains("[redacted]")));
        store.close().await;
    }
}
