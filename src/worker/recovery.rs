//! The recovery file (like Terraform's `errored.tfstate`): when the journal cannot be written,
//! say on disk what was in flight so the admin (and a resume) can reconcile it.
//!
//! The journal usually fails because the disk is full, when a new file cannot be written either.
//! So its space is reserved when the run starts, and filled in place when needed (overwriting
//! blocks a file already has needs no new space). Either way the text is written under another
//! name and renamed into place: the recovery file is complete or absent, never empty or partial.

use crate::store::{Claimed, InstallId};
use katonic_domain::plan::StepId;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Room reserved for the file: a few in-flight steps and an error message need far less.
const RESERVED_BYTES: usize = 64 * 1024;

/// A run's recovery file, with the space reserved for it (if it could be).
pub(super) struct RecoveryFile {
    path: PathBuf,
    reserved: Option<PathBuf>,
}

impl RecoveryFile {
    /// Reserve the space of `install`'s recovery file in `data_dir` (at the start of a run).
    pub fn reserve(data_dir: &Path, install: InstallId) -> RecoveryFile {
        let path = data_dir.join(format!("recovery-{install}.json"));
        let reserved = data_dir.join(format!(".recovery-{install}.json.reserved"));
        let reserved = match crate::store::write_private(&reserved, &vec![b' '; RESERVED_BYTES]) {
            Ok(()) => Some(reserved),
            Err(e) => {
                tracing::warn!(path = %reserved.display(), error = %e, "cannot reserve the space of the recovery file; it will be written only if there is room then");
                remove(&reserved);
                None
            }
        };
        RecoveryFile { path, reserved }
    }

    /// The run recorded its end: no recovery file is needed.
    pub fn release(self) {
        if let Some(reserved) = &self.reserved {
            remove(reserved);
        }
    }

    /// Write the recovery file: the run stopped because `error` kept it from recording.
    pub fn write(
        self,
        claimed: &Claimed,
        error: &str,
        step: Option<StepId>,
        running: &BTreeMap<StepId, i64>,
    ) {
        let text = body(claimed, error, step, running);
        let written = match &self.reserved {
            Some(reserved) if text.len() <= RESERVED_BYTES => fill(reserved, text.as_bytes())
                .map(|()| reserved.clone())
                .map_err(|e| (reserved.clone(), e)),
            _ => {
                let temp = self
                    .path
                    .with_file_name(format!(".{}.tmp", file_name(&self.path)));
                crate::store::write_private(&temp, text.as_bytes())
                    .map(|()| temp.clone())
                    .map_err(|e| (temp, e))
            }
        };
        let renamed =
            written.and_then(|from| std::fs::rename(&from, &self.path).map_err(|e| (from, e)));
        match renamed {
            Ok(()) => tracing::error!(path = %self.path.display(), "recovery file written"),
            Err((partial, e)) => {
                // Complete or absent: what could not be finished is removed.
                remove(&partial);
                tracing::error!(path = %self.path.display(), error = %e, "cannot write the recovery file either");
            }
        }
        if let Some(reserved) = &self.reserved {
            remove(reserved);
        }
    }
}

/// Overwrite the start of the reserved file with `bytes`. The spaces after them stay (JSON
/// allows trailing whitespace): cutting them would hand a full disk a little room back, enough
/// for a few writes to pass and the console to look well until it is full again.
fn fill(reserved: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().write(true).open(reserved)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

fn remove(path: &Path) {
    if let Err(e) = std::fs::remove_file(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %e, "cannot remove");
    }
}

fn body(
    claimed: &Claimed,
    error: &str,
    step: Option<StepId>,
    running: &BTreeMap<StepId, i64>,
) -> String {
    let body = serde_json::json!({
        "install": claimed.lease.install,
        "run": claimed.run,
        "writtenAt": time::OffsetDateTime::now_utc().unix_timestamp(),
        "error": error,
        "step": step.map(|s| s.as_str()),
        "inFlight": running.iter().map(|(s, a)| serde_json::json!({"step": s.as_str(), "attempt": a})).collect::<Vec<_>>(),
        "advice": "The console could not record this install's progress and stopped making changes. \
                   Resources named in these steps may exist in Azure without being in the history. \
                   Fix the database problem (free disk space, for one): the install then shows as \
                   interrupted, without a restart. Resume it: steps adopt what already exists.",
    });
    let text = serde_json::to_string_pretty(&body).unwrap_or_else(|_| body.to_string());
    crate::redact::redact(&text)
}
