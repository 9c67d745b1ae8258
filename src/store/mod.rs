//! SQLite persistence (sqlx): installs, their planned steps, drafts. The database is the truth.
//!
//! One writer connection (SQLite has one writer; `BEGIN IMMEDIATE` avoids the busy-upgrade trap
//! of deferred transactions) and a small reader pool. Every connection runs in WAL mode with
//! `synchronous=FULL` (a committed install survives power loss), `foreign_keys=ON` and a 5 s
//! busy timeout. Migrations run before the console accepts a request.

mod events;
mod installs;
mod runs;
mod secrets;
mod teardowns;

pub use installs::{
    InstallId, InstallRecord, InstallStatus, InstallSummary, NewInstall, RunError, StepRecord,
    StepStatus, Validated,
};
pub use runs::{CancelOutcome, Claimed, ErrorClass, Failure, Lease, RunEnd, StepEnd};
pub use secrets::SecretName;
pub use teardowns::TeardownSummary;

use crate::events::EventBus;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::{Path, PathBuf};
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
    /// The action does not apply to an install in this state.
    #[error("install {id} is {status}: cannot {action}")]
    NotActionable {
        id: InstallId,
        status: InstallStatus,
        action: String,
    },
    /// The install has no such step.
    #[error("install {id} has no step {step}")]
    NoSuchStep { id: InstallId, step: String },
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

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    writer: SqlitePool,
    reader: SqlitePool,
    /// Committed events are announced here (after the commit, never before).
    bus: EventBus,
    /// Seals and opens the installs' secrets (`secret.key` in the data dir).
    key: crate::secrets::SecretKey,
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
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        Ok(Store {
            writer,
            reader,
            bus,
            key,
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
    pub fn database_path(data_dir: &Path) -> PathBuf {
        data_dir.join(DATABASE_FILE)
    }
}

/// The data dir holds secrets later (keys, kubeconfigs): owner-only.
fn prepare_data_dir(dir: &Path) -> Result<()> {
    let io = |source| StoreError::Io {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    set_mode(dir, 0o700).map_err(io)
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
