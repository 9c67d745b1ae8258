//! `katonic-console access-link`: a fresh one-time link into the running console, printed on the
//! host, for an admin who signed out or whose session ended. No restart: running installs go on.

use super::CommandError;
use crate::store::{AuditAction, DATABASE_FILE, Store};
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct AccessLinkArgs {
    /// The data dir of the running console (`serve --data-dir`).
    #[arg(long, env = "KATONIC_CONSOLE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
}

/// Prints the link on stdout (alone, for scripts) and what it is on stderr.
pub async fn run(args: AccessLinkArgs) -> Result<ExitCode, CommandError> {
    let data_dir = &args.data_dir;
    let mut err = std::io::stderr();
    // Opening the store would create a database: a mistyped directory gets an error instead.
    if !data_dir.join(DATABASE_FILE).is_file() {
        writeln!(
            err,
            "{} holds no console database ({DATABASE_FILE}); pass the data dir the console was \
             started with: katonic-console access-link --data-dir DIR",
            data_dir.display()
        )?;
        return Ok(ExitCode::from(2));
    }
    let store = Store::open(data_dir).await?;
    let token = crate::access::links::issue(&store).await?;
    crate::store::audit::record(
        &store,
        "command line",
        AuditAction::AccessLink,
        None,
        "printed on the host's terminal",
    )
    .await?;
    store.close().await;
    let base = crate::access::links::read_console_url(data_dir)
        .unwrap_or_else(|| "http://127.0.0.1:8080".to_string());
    writeln!(std::io::stdout(), "{base}/?token={token}")?;
    if console_running(data_dir) {
        writeln!(
            err,
            "Open this link in your browser: it works once, within 15 minutes, on the console \
             running on {}.",
            data_dir.display()
        )?;
    } else {
        writeln!(
            err,
            "No console is running on {} right now: start `katonic-console serve` on it; the \
             link works once, within 15 minutes (serve also prints its own).",
            data_dir.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether a console holds the data dir's lock (see `crate::lock`), tested without taking it
/// for longer than the call.
fn console_running(data_dir: &Path) -> bool {
    match std::fs::File::open(data_dir.join(crate::lock::LOCK_FILE)) {
        // Locked by us means nobody else held it; the lock goes with the file handle.
        Ok(file) => matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
        Err(_) => false,
    }
}
