//! Runs of an install: the worker's claim and lease, the fenced step journal, and the admin's
//! controls (queue, resume, retry a step, cancel) plus crash recovery.
//!
//! Every worker write runs in one `BEGIN IMMEDIATE` transaction that first checks the worker
//! still holds the install's lease (owner and expiry), so a worker that lost its lease changes
//! nothing. Each change appends the event that describes it in the same transaction; events are
//! published on the bus only after the commit.
//!
//! By concern: `lease` (claim, heartbeat, expiry), `journal` (steps, checkpoints, run end),
//! `requests` (queue, resume, retry a step, cancel).

mod edit;
mod journal;
mod lease;
mod requests;

use super::{InstallId, Result, StoreError};
use katonic_domain::plan::StepId;
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
    Failed { step: FailedAt, failure: Failure },
    Cancelled,
    Interrupted { reason: String },
}

/// Where a run failed: at one of its steps, or before any could run (the install could not be
/// read, or nothing runnable was left). Stored as the step's id or as `install`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedAt {
    Install,
    Step(StepId),
}

impl FailedAt {
    pub fn as_str(&self) -> &'static str {
        match self {
            FailedAt::Install => "install",
            FailedAt::Step(step) => step.as_str(),
        }
    }
}

impl std::fmt::Display for FailedAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for FailedAt {
    type Err = katonic_domain::plan::UnknownStepId;
    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        match text {
            "install" => Ok(FailedAt::Install),
            step => step.parse().map(FailedAt::Step),
        }
    }
}

impl Serialize for FailedAt {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
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
            step: *step,
            failure: redacted_failure(failure),
        },
        RunEnd::Interrupted { reason } => RunEnd::Interrupted {
            reason: crate::redact::redact(reason),
        },
        other => other.clone(),
    }
}
