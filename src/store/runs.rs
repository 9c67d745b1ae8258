//! Runs of an install: the worker's claim and lease, the fenced step journal, and the admin's
//! controls (queue, resume, retry a step, cancel) plus crash recovery.
//!
//! Every worker write runs in one `BEGIN IMMEDIATE` transaction that first checks the worker
//! still holds the install's lease (owner and expiry), so a worker that lost its lease changes
//! nothing. Each change appends the event that describes it in the same transaction; events are
//! published on the bus only after the commit.

use super::events::append;
use super::{InstallId, InstallStatus, Result, StepStatus, Store, StoreError};
use crate::events::{Event, EventKind, Level, NewEvent};
use serde::Serialize;
use sqlx::SqliteConnection;
use std::time::Duration;
use time::OffsetDateTime;

/// A worker's exclusive right to run an install until `expires`, renewed by heartbeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub install: InstallId,
    pub owner: String,
    pub ttl: Duration,
}

/// An install a worker has just claimed.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub lease: Lease,
    /// Which run of the install this is (1 for the first start, +1 per resume).
    pub run: i64,
}

/// Whether an error may clear by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum ErrorClass {
    Retryable,
    Terminal,
}

/// Why a step (and so the run) failed: shown to the admin with the hint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub class: ErrorClass,
    pub code: String,
    pub message: String,
    pub hint: String,
}

/// How a step attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum StepEnd {
    Succeeded(serde_json::Value),
    Failed(Failure),
    Cancelled,
    /// Stopped because the console is shutting down; runs again on resume.
    Interrupted,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEnd {
    Succeeded,
    Failed { step: String, failure: Failure },
    Cancelled,
    Interrupted { reason: String },
}

/// What a cancel request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// It was only queued: cancelled at once.
    Cancelled,
    /// A worker is running it: asked to stop at the next safe point.
    Requested,
}

fn now_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)
}

/// Fencing: fails with `LeaseLost` unless `lease` is still held and unexpired.
async fn check_lease(
    conn: &mut SqliteConnection,
    lease: &Lease,
    now: OffsetDateTime,
) -> Result<()> {
    let id = lease.install.to_string();
    let now = now_ms(now);
    let held = sqlx::query_scalar!(
        "SELECT COUNT(*) FROM installs
         WHERE id = ? AND status = 'running' AND lease_owner = ? AND lease_expires_ms > ?",
        id,
        lease.owner,
        now,
    )
    .fetch_one(&mut *conn)
    .await?;
    if held == 1 {
        Ok(())
    } else {
        Err(StoreError::LeaseLost(lease.install))
    }
}

fn step_status_event(
    step: &str,
    attempt: i64,
    status: &str,
    level: Level,
    message: String,
) -> NewEvent {
    NewEvent {
        kind: EventKind::Step,
        level,
        step_id: Some(step.to_string()),
        attempt: Some(attempt),
        status: Some(status.to_string()),
        message,
    }
}

fn install_status_event(status: InstallStatus, level: Level, message: String) -> NewEvent {
    NewEvent {
        kind: EventKind::Install,
        level,
        step_id: None,
        attempt: None,
        status: Some(status.as_str().to_string()),
        message,
    }
}

impl Store {
    /// Claim the longest-waiting queued install, if any, with a fresh lease.
    pub async fn claim_next(&self, owner: &str, ttl: Duration) -> Result<Option<Claimed>> {
        let now = OffsetDateTime::now_utc();
        let expires = now_ms(now) + ttl_ms(ttl);
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query!(
            "UPDATE installs SET status = 'running', lease_owner = ?, lease_expires_ms = ?,
                 run_count = run_count + 1, cancel_requested = 0, error_step = NULL,
                 error_code = NULL, error_message = NULL, error_hint = NULL,
                 started_at = COALESCE(started_at, ?), finished_at = NULL, updated_at = ?
             WHERE status = 'queued' AND id = (
                 SELECT id FROM installs WHERE status = 'queued' ORDER BY updated_at, id LIMIT 1)
             RETURNING id, run_count",
            owner,
            expires,
            now,
            now,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let install = super::installs::install_id_from_db(&row.id)?;
        let event = append(
            &mut tx,
            install,
            &install_status_event(
                InstallStatus::Running,
                Level::Info,
                format!("run {} started", row.run_count),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        self.bus.publish([event]);
        Ok(Some(Claimed {
            lease: Lease {
                install,
                owner: owner.to_string(),
                ttl,
            },
            run: row.run_count,
        }))
    }

    /// Extend the lease; `LeaseLost` if it is no longer held.
    pub async fn renew_lease(&self, lease: &Lease) -> Result<()> {
        let now = OffsetDateTime::now_utc();
        let expires = now_ms(now) + ttl_ms(lease.ttl);
        let now = now_ms(now);
        let id = lease.install.to_string();
        let renewed = sqlx::query!(
            "UPDATE installs SET lease_expires_ms = ?
             WHERE id = ? AND status = 'running' AND lease_owner = ? AND lease_expires_ms > ?",
            expires,
            id,
            lease.owner,
            now,
        )
        .execute(&self.writer)
        .await?
        .rows_affected();
        if renewed == 1 {
            Ok(())
        } else {
            Err(StoreError::LeaseLost(lease.install))
        }
    }

    /// Whether the admin asked this install to stop.
    pub async fn cancel_requested(&self, install: InstallId) -> Result<bool> {
        let id = install.to_string();
        let flag = sqlx::query_scalar!("SELECT cancel_requested FROM installs WHERE id = ?", id)
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound(install))?;
        Ok(flag == 1)
    }

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

    /// Mark `running` installs as `interrupted` (and their running steps too): all of them at
    /// start-up (this process holds the data dir's lock, so no worker is alive), or only those
    /// whose lease has expired (`expired_only`) while running.
    pub async fn interrupt_orphans(
        &self,
        expired_only: bool,
        reason: &str,
    ) -> Result<Vec<InstallId>> {
        let now = OffsetDateTime::now_utc();
        let cutoff = if expired_only { now_ms(now) } else { i64::MAX };
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let ids = sqlx::query_scalar!(
            "UPDATE installs SET status = 'interrupted', lease_owner = NULL, lease_expires_ms = NULL,
                 error_step = NULL, error_code = 'interrupted', error_message = ?,
                 error_hint = 'Resume it: completed steps are kept and not run again.',
                 finished_at = ?, updated_at = ?
             WHERE status = 'running' AND COALESCE(lease_expires_ms, 0) < ?
             RETURNING id",
            reason,
            now,
            now,
            cutoff,
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut events = Vec::new();
        let mut installs = Vec::new();
        for id in ids {
            let install = super::installs::install_id_from_db(&id)?;
            let steps = sqlx::query!(
                "UPDATE install_steps SET status = 'interrupted', finished_at = ?
                 WHERE install_id = ? AND status = 'running' RETURNING step_id, attempt",
                now,
                id,
            )
            .fetch_all(&mut *tx)
            .await?;
            for s in steps {
                let e = step_status_event(
                    &s.step_id,
                    s.attempt,
                    "interrupted",
                    Level::Warn,
                    format!("attempt {} interrupted: {reason}", s.attempt),
                );
                events.push(append(&mut tx, install, &e, now).await?);
            }
            let e = install_status_event(
                InstallStatus::Interrupted,
                Level::Warn,
                format!("install interrupted: {reason}"),
            );
            events.push(append(&mut tx, install, &e, now).await?);
            installs.push(install);
        }
        tx.commit().await?;
        self.bus.publish(events);
        Ok(installs)
    }

    /// Move a valid draft to `queued`, for the worker to pick up.
    pub async fn queue_install(&self, id: InstallId) -> Result<()> {
        self.requeue(id, &["draft"], None, "install queued").await
    }

    /// Queue a failed, cancelled or interrupted install again: its unfinished steps run again
    /// (attempt + 1), completed ones keep their outputs.
    pub async fn request_resume(&self, id: InstallId) -> Result<()> {
        self.requeue(
            id,
            &["failed", "cancelled", "interrupted"],
            None,
            "resume requested",
        )
        .await
    }

    /// Queue an install that is not running to run one step again (and what depends on it and
    /// has not run). Any step that is not running may be retried, a succeeded one included.
    pub async fn request_retry_step(&self, id: InstallId, step: &str) -> Result<()> {
        self.requeue(
            id,
            &["failed", "cancelled", "interrupted", "succeeded"],
            Some(step),
            &format!("retry of step {step} requested"),
        )
        .await
    }

    async fn requeue(
        &self,
        id: InstallId,
        from: &[&str],
        only_step: Option<&str>,
        message: &str,
    ) -> Result<()> {
        let now = OffsetDateTime::now_utc();
        let id_text = id.to_string();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let current = sqlx::query!(
            r#"SELECT status as "status: InstallStatus", spec IS NOT NULL as "has_spec!: bool",
                   subscription_id, resource_group, cluster_name
               FROM installs WHERE id = ?"#,
            id_text
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound(id))?;
        if !from.contains(&current.status.as_str()) {
            return Err(StoreError::NotActionable {
                id,
                status: current.status,
                action: message.to_string(),
            });
        }
        if !current.has_spec {
            return Err(StoreError::NotReady(id));
        }
        if let Some(holder) = self
            .active_holder(
                &mut tx,
                id,
                &current.subscription_id,
                &current.resource_group,
                &current.cluster_name,
            )
            .await?
        {
            return Err(holder);
        }
        match only_step {
            None => {
                sqlx::query!(
                    "UPDATE install_steps SET status = 'pending'
                     WHERE install_id = ? AND status IN ('failed', 'cancelled', 'interrupted', 'running')",
                    id_text
                )
                .execute(&mut *tx)
                .await?;
            }
            Some(step) => {
                let reset = sqlx::query!(
                    "UPDATE install_steps SET status = 'pending'
                     WHERE install_id = ? AND step_id = ? AND status != 'pending'",
                    id_text,
                    step
                )
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if reset == 0 {
                    return Err(StoreError::NoSuchStep {
                        id,
                        step: step.to_string(),
                    });
                }
                // Steps that were only stopped along the way (not failed themselves) carry on
                // too; other failed steps wait for their own retry or a resume.
                sqlx::query!(
                    "UPDATE install_steps SET status = 'pending'
                     WHERE install_id = ? AND status IN ('cancelled', 'interrupted', 'running')",
                    id_text
                )
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query!(
            "UPDATE installs SET status = 'queued', cancel_requested = 0, updated_at = ? WHERE id = ?",
            now,
            id_text
        )
        .execute(&mut *tx)
        .await?;
        let event = append(
            &mut tx,
            id,
            &install_status_event(InstallStatus::Queued, Level::Info, message.to_string()),
            now,
        )
        .await?;
        tx.commit().await?;
        self.bus.publish([event]);
        Ok(())
    }

    /// The active install (queued or running) holding the same target, as an error.
    async fn active_holder(
        &self,
        conn: &mut SqliteConnection,
        id: InstallId,
        subscription: &Option<String>,
        resource_group: &Option<String>,
        cluster: &Option<String>,
    ) -> Result<Option<StoreError>> {
        let id_text = id.to_string();
        let holder = sqlx::query!(
            r#"SELECT id, name, status as "status: InstallStatus" FROM installs
               WHERE id != ? AND status IN ('queued', 'running')
                 AND lower(subscription_id) = lower(?) AND lower(resource_group) = lower(?)
                 AND lower(cluster_name) = lower(?)
               LIMIT 1"#,
            id_text,
            subscription,
            resource_group,
            cluster,
        )
        .fetch_optional(&mut *conn)
        .await?;
        match holder {
            None => Ok(None),
            Some(h) => Ok(Some(StoreError::TargetBusy {
                holder: super::installs::install_id_from_db(&h.id)?,
                name: h.name,
                status: h.status,
            })),
        }
    }

    /// Cancel: a queued install stops at once; a running one is asked to stop.
    pub async fn request_cancel(&self, id: InstallId) -> Result<CancelOutcome> {
        let now = OffsetDateTime::now_utc();
        let id_text = id.to_string();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let status = sqlx::query_scalar!(
            r#"SELECT status as "status: InstallStatus" FROM installs WHERE id = ?"#,
            id_text
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound(id))?;
        let (outcome, event) = match status {
            InstallStatus::Queued => {
                sqlx::query!(
                    "UPDATE installs SET status = 'cancelled', finished_at = ?, updated_at = ? WHERE id = ?",
                    now,
                    now,
                    id_text
                )
                .execute(&mut *tx)
                .await?;
                (
                    CancelOutcome::Cancelled,
                    install_status_event(
                        InstallStatus::Cancelled,
                        Level::Warn,
                        "install cancelled before it started".to_string(),
                    ),
                )
            }
            InstallStatus::Running => {
                sqlx::query!(
                    "UPDATE installs SET cancel_requested = 1, updated_at = ? WHERE id = ?",
                    now,
                    id_text
                )
                .execute(&mut *tx)
                .await?;
                (
                    CancelOutcome::Requested,
                    NewEvent::install_log(
                        Level::Warn,
                        "cancel requested: no new steps start; running ones stop at a safe point",
                    ),
                )
            }
            status => {
                return Err(StoreError::NotActionable {
                    id,
                    status,
                    action: "cancel".to_string(),
                });
            }
        };
        let event = append(&mut tx, id, &event, now).await?;
        tx.commit().await?;
        self.bus.publish([event]);
        Ok(outcome)
    }
}

/// A failure's texts with every registered secret removed (an Azure or kube error may quote a
/// request): they are stored in plain columns and shown on pages.
fn redacted_failure(f: &Failure) -> Failure {
    let r = crate::redact::global();
    Failure {
        class: f.class,
        code: r.redact(&f.code),
        message: r.redact(&f.message),
        hint: r.redact(&f.hint),
    }
}

fn redacted_step_end(end: &StepEnd) -> StepEnd {
    match end {
        StepEnd::Succeeded(outputs) => {
            let mut outputs = outputs.clone();
            crate::redact::global().redact_json(&mut outputs);
            StepEnd::Succeeded(outputs)
        }
        StepEnd::Failed(f) => StepEnd::Failed(redacted_failure(f)),
        other => other.clone(),
    }
}

fn redacted_run_end(end: &RunEnd) -> RunEnd {
    match end {
        RunEnd::Failed { step, failure } => RunEnd::Failed {
            step: step.clone(),
            failure: redacted_failure(failure),
        },
        RunEnd::Interrupted { reason } => RunEnd::Interrupted {
            reason: crate::redact::redact(reason),
        },
        other => other.clone(),
    }
}
