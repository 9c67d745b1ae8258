//! The fenced step journal: a step is recorded `running` before it starts, its checkpoints and
//! outcome (with outputs) are committed before any dependent starts, and the run's end releases
//! the lease. Every write first checks the lease (`check_lease`).

use super::{Failure, Lease, RunEnd, StepEnd, check_lease, redacted_run_end, redacted_step_end};
use crate::events::{Event, Level, NewEvent};
use crate::store::events::append;
use crate::store::{InstallStatus, Result, StepStatus, Store, StoreError};
use katonic_domain::plan::StepId;
use sqlx::SqliteConnection;
use time::OffsetDateTime;

impl Store {
    /// Journal first: record a pending step as `running` (attempt + 1) before its first
    /// external call. Returns the attempt number.
    pub async fn start_step(&self, lease: &Lease, step: StepId) -> Result<i64> {
        let now = OffsetDateTime::now_utc();
        let id = lease.install.to_string();
        let step_text = step.as_str();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        check_lease(&mut tx, lease, now).await?;
        let attempt = sqlx::query_scalar!(
            "UPDATE install_steps SET status = 'running', attempt = attempt + 1, started_at = ?,
                 finished_at = NULL, error_class = NULL, error_code = NULL, error_message = NULL,
                 error_hint = NULL
             WHERE install_id = ? AND step_id = ? AND status = 'pending'
             RETURNING attempt",
            now,
            id,
            step_text,
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| {
            StoreError::Corrupt(format!("step {step} of {} is not pending", lease.install))
        })?;
        let started = NewEvent::step_status(
            step,
            attempt,
            StepStatus::Running,
            Level::Info,
            format!("attempt {attempt} started"),
        );
        let event = append(&mut tx, lease.install, &started, now).await?;
        tx.commit().await?;
        self.bus.publish([event]);
        Ok(attempt)
    }

    /// Save what a resumed attempt needs mid-step (e.g. an operation's polling URL).
    pub async fn checkpoint_step(
        &self,
        lease: &Lease,
        step: StepId,
        checkpoint: &serde_json::Value,
    ) -> Result<()> {
        let now = OffsetDateTime::now_utc();
        let id = lease.install.to_string();
        let step = step.as_str();
        let mut checkpoint = checkpoint.clone();
        crate::redact::global().redact_json(&mut checkpoint);
        let checkpoint = sqlx::types::Json(checkpoint);
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        check_lease(&mut tx, lease, now).await?;
        sqlx::query!(
            "UPDATE install_steps SET checkpoint = ? WHERE install_id = ? AND step_id = ?",
            checkpoint,
            id,
            step,
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Commit how a step attempt ended (outputs before any dependent starts).
    pub async fn finish_step(
        &self,
        lease: &Lease,
        step: StepId,
        attempt: i64,
        end: &StepEnd,
    ) -> Result<()> {
        let end = &redacted_step_end(end);
        let now = OffsetDateTime::now_utc();
        let row = StepRow {
            install: lease.install.to_string(),
            step,
            attempt,
            now,
        };
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        check_lease(&mut tx, lease, now).await?;
        let event = match end {
            StepEnd::Succeeded(outputs) => row.succeeded(&mut tx, outputs).await?,
            StepEnd::Failed(f) => row.failed(&mut tx, f).await?,
            StepEnd::Cancelled => {
                row.stopped(&mut tx, StepStatus::Cancelled, "cancelled")
                    .await?
            }
            StepEnd::Interrupted => {
                let why = "interrupted: the console is shutting down";
                row.stopped(&mut tx, StepStatus::Interrupted, why).await?
            }
        };
        let event = append(&mut tx, lease.install, &event, now).await?;
        tx.commit().await?;
        self.bus.publish([event]);
        Ok(())
    }

    /// Append an event as the worker holding `lease`.
    pub async fn append_event_fenced(&self, lease: &Lease, event: NewEvent) -> Result<Event> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        check_lease(&mut tx, lease, now).await?;
        let stored = append(&mut tx, lease.install, &event, now).await?;
        tx.commit().await?;
        self.bus.publish([stored.clone()]);
        Ok(stored)
    }

    /// End the run, releasing the lease.
    pub async fn finish_run(&self, lease: &Lease, end: &RunEnd) -> Result<()> {
        let end = &redacted_run_end(end);
        let now = OffsetDateTime::now_utc();
        let id = lease.install.to_string();
        let status = run_status(end);
        let error = RunErrorColumns::of(end);
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        check_lease(&mut tx, lease, now).await?;
        let status_text = status.as_str();
        sqlx::query!(
            "UPDATE installs SET status = ?, lease_owner = NULL, lease_expires_ms = NULL,
                 cancel_requested = 0, error_step = ?, error_code = ?, error_message = ?,
                 error_hint = ?, finished_at = ?, updated_at = ?
             WHERE id = ?",
            status_text,
            error.step,
            error.code,
            error.message,
            error.hint,
            now,
            now,
            id,
        )
        .execute(&mut *tx)
        .await?;
        let ended = run_end_event(end);
        let event = append(&mut tx, lease.install, &ended, now).await?;
        tx.commit().await?;
        self.bus.publish([event]);
        Ok(())
    }
}

/// The journal row of one step attempt, and how each way it ends is written. (The SQL texts
/// keep the indentation they had inside `finish_step`: `.sqlx/` is keyed by the exact text.)
struct StepRow {
    install: String,
    step: StepId,
    attempt: i64,
    now: OffsetDateTime,
}

impl StepRow {
    async fn succeeded(
        &self,
        conn: &mut SqliteConnection,
        outputs: &serde_json::Value,
    ) -> Result<NewEvent> {
        let (outputs, step, attempt) =
            (sqlx::types::Json(outputs), self.step.as_str(), self.attempt);
        sqlx::query!(
            "UPDATE install_steps SET status = 'succeeded', outputs = ?, finished_at = ?
                     WHERE install_id = ? AND step_id = ?",
            outputs,
            self.now,
            self.install,
            step,
        )
        .execute(&mut *conn)
        .await?;
        let message = format!("attempt {attempt} succeeded");
        Ok(self.event(StepStatus::Succeeded, Level::Info, message))
    }

    async fn failed(&self, conn: &mut SqliteConnection, f: &Failure) -> Result<NewEvent> {
        let (step, attempt) = (self.step.as_str(), self.attempt);
        sqlx::query!(
            "UPDATE install_steps SET status = 'failed', error_class = ?, error_code = ?,
                         error_message = ?, error_hint = ?, finished_at = ?
                     WHERE install_id = ? AND step_id = ?",
            f.class,
            f.code,
            f.message,
            f.hint,
            self.now,
            self.install,
            step,
        )
        .execute(&mut *conn)
        .await?;
        let message = format!(
            "attempt {attempt} failed: {} ({}). {}",
            f.message, f.code, f.hint
        );
        Ok(self.event(StepStatus::Failed, Level::Error, message))
    }

    /// Cancelled or interrupted: stopped at a safe point, to run again on resume.
    async fn stopped(
        &self,
        conn: &mut SqliteConnection,
        status: StepStatus,
        why: &str,
    ) -> Result<NewEvent> {
        let (status_text, step, attempt) = (status.as_str(), self.step.as_str(), self.attempt);
        sqlx::query!(
            "UPDATE install_steps SET status = ?, finished_at = ?
                     WHERE install_id = ? AND step_id = ?",
            status_text,
            self.now,
            self.install,
            step,
        )
        .execute(&mut *conn)
        .await?;
        Ok(self.event(status, Level::Warn, format!("attempt {attempt} {why}")))
    }

    fn event(&self, status: StepStatus, level: Level, message: String) -> NewEvent {
        NewEvent::step_status(self.step, self.attempt, status, level, message)
    }
}

fn run_status(end: &RunEnd) -> InstallStatus {
    match end {
        RunEnd::Succeeded => InstallStatus::Succeeded,
        RunEnd::Failed { .. } => InstallStatus::Failed,
        RunEnd::Cancelled => InstallStatus::Cancelled,
        RunEnd::Interrupted { .. } => InstallStatus::Interrupted,
    }
}

/// The install event that announces how its run ended.
fn run_end_event(end: &RunEnd) -> NewEvent {
    let (level, message) = match end {
        RunEnd::Succeeded => (Level::Info, "install succeeded".to_string()),
        RunEnd::Failed { step, failure } => (
            Level::Error,
            format!(
                "install failed at step {step}: {} ({})",
                failure.message, failure.code
            ),
        ),
        RunEnd::Cancelled => (Level::Warn, "install cancelled".to_string()),
        RunEnd::Interrupted { reason } => (Level::Warn, format!("install interrupted: {reason}")),
    };
    NewEvent::install_status(run_status(end), level, message)
}

/// The install's `error_*` columns after a run: why it ended badly, or all empty.
struct RunErrorColumns<'a> {
    step: Option<&'static str>,
    code: Option<&'a str>,
    message: Option<&'a str>,
    hint: Option<&'a str>,
}

impl<'a> RunErrorColumns<'a> {
    fn of(end: &'a RunEnd) -> Self {
        match end {
            RunEnd::Failed { step, failure } => RunErrorColumns {
                step: Some(step.as_str()),
                code: Some(&failure.code),
                message: Some(&failure.message),
                hint: Some(&failure.hint),
            },
            RunEnd::Interrupted { reason } => RunErrorColumns {
                step: None,
                code: Some("interrupted"),
                message: Some(reason),
                hint: Some("Resume it: completed steps are kept and not run again."),
            },
            RunEnd::Succeeded | RunEnd::Cancelled => RunErrorColumns {
                step: None,
                code: None,
                message: None,
                hint: None,
            },
        }
    }
}
