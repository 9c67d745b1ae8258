//! The fenced step journal: a step is recorded `running` before it starts, its checkpoints and
//! outcome (with outputs) are committed before any dependent starts, and the run's end releases
//! the lease. Every write first checks the lease (`check_lease`).

use super::{
    Lease, RunEnd, StepEnd, check_lease, install_status_event, redacted_run_end, redacted_step_end,
    step_status_event,
};
use crate::events::{Event, Level, NewEvent};
use crate::store::events::append;
use crate::store::{InstallStatus, Result, StepStatus, Store, StoreError};
use time::OffsetDateTime;

impl Store {
    /// Journal first: record a pending step as `running` (attempt + 1) before its first
    /// external call. Returns the attempt number.
    pub async fn start_step(&self, lease: &Lease, step: &str) -> Result<i64> {
        let now = OffsetDateTime::now_utc();
        let id = lease.install.to_string();
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
            step,
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| {
            StoreError::Corrupt(format!("step {step} of {} is not pending", lease.install))
        })?;
        let event = append(
            &mut tx,
            lease.install,
            &step_status_event(
                step,
                attempt,
                "running",
                Level::Info,
                format!("attempt {attempt} started"),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        self.bus.publish([event]);
        Ok(attempt)
    }

    /// Save what a resumed attempt needs mid-step (e.g. an operation's polling URL).
    pub async fn checkpoint_step(
        &self,
        lease: &Lease,
        step: &str,
        checkpoint: &serde_json::Value,
    ) -> Result<()> {
        let now = OffsetDateTime::now_utc();
        let id = lease.install.to_string();
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
        step: &str,
        attempt: i64,
        end: &StepEnd,
    ) -> Result<()> {
        let end = &redacted_step_end(end);
        let now = OffsetDateTime::now_utc();
        let id = lease.install.to_string();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        check_lease(&mut tx, lease, now).await?;
        let event = match end {
            StepEnd::Succeeded(outputs) => {
                let outputs = sqlx::types::Json(outputs);
                sqlx::query!(
                    "UPDATE install_steps SET status = 'succeeded', outputs = ?, finished_at = ?
                     WHERE install_id = ? AND step_id = ?",
                    outputs,
                    now,
                    id,
                    step,
                )
                .execute(&mut *tx)
                .await?;
                step_status_event(
                    step,
                    attempt,
                    "succeeded",
                    Level::Info,
                    format!("attempt {attempt} succeeded"),
                )
            }
            StepEnd::Failed(f) => {
                sqlx::query!(
                    "UPDATE install_steps SET status = 'failed', error_class = ?, error_code = ?,
                         error_message = ?, error_hint = ?, finished_at = ?
                     WHERE install_id = ? AND step_id = ?",
                    f.class,
                    f.code,
                    f.message,
                    f.hint,
                    now,
                    id,
                    step,
                )
                .execute(&mut *tx)
                .await?;
                step_status_event(
                    step,
                    attempt,
                    "failed",
                    Level::Error,
                    format!(
                        "attempt {attempt} failed: {} ({}). {}",
                        f.message, f.code, f.hint
                    ),
                )
            }
            StepEnd::Cancelled | StepEnd::Interrupted => {
                let (status, why) = if *end == StepEnd::Cancelled {
                    (StepStatus::Cancelled, "cancelled")
                } else {
                    (
                        StepStatus::Interrupted,
                        "interrupted: the console is shutting down",
                    )
                };
                sqlx::query!(
                    "UPDATE install_steps SET status = ?, finished_at = ?
                     WHERE install_id = ? AND step_id = ?",
                    status,
                    now,
                    id,
                    step,
                )
                .execute(&mut *tx)
                .await?;
                step_status_event(
                    step,
                    attempt,
                    status.as_str(),
                    Level::Warn,
                    format!("attempt {attempt} {why}"),
                )
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
        let (status, error, level, message) = match end {
            RunEnd::Succeeded => (
                InstallStatus::Succeeded,
                None,
                Level::Info,
                "install succeeded".to_string(),
            ),
            RunEnd::Failed { step, failure } => (
                InstallStatus::Failed,
                Some((step.as_str(), failure)),
                Level::Error,
                format!(
                    "install failed at step {step}: {} ({})",
                    failure.message, failure.code
                ),
            ),
            RunEnd::Cancelled => (
                InstallStatus::Cancelled,
                None,
                Level::Warn,
                "install cancelled".to_string(),
            ),
            RunEnd::Interrupted { reason } => (
                InstallStatus::Interrupted,
                None,
                Level::Warn,
                format!("install interrupted: {reason}"),
            ),
        };
        let (error_step, code, error_message, hint) = match (error, end) {
            (Some((step, f)), _) => (
                Some(step),
                Some(f.code.as_str()),
                Some(f.message.as_str()),
                Some(f.hint.as_str()),
            ),
            (None, RunEnd::Interrupted { reason }) => (
                None,
                Some("interrupted"),
                Some(reason.as_str()),
                Some("Resume it: completed steps are kept and not run again."),
            ),
            (None, _) => (None, None, None, None),
        };
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        check_lease(&mut tx, lease, now).await?;
        sqlx::query!(
            "UPDATE installs SET status = ?, lease_owner = NULL, lease_expires_ms = NULL,
                 cancel_requested = 0, error_step = ?, error_code = ?, error_message = ?,
                 error_hint = ?, finished_at = ?, updated_at = ?
             WHERE id = ?",
            status,
            error_step,
            code,
            error_message,
            hint,
            now,
            now,
            id,
        )
        .execute(&mut *tx)
        .await?;
        let event = append(
            &mut tx,
            lease.install,
            &install_status_event(status, level, message),
            now,
        )
        .await?;
        tx.commit().await?;
        self.bus.publish([event]);
        Ok(())
    }
}
