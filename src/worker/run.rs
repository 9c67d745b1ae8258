//! One run of one install: schedule the plan's steps as their dependencies complete (bounded
//! parallelism), journal each attempt, retry what may clear, and end the run.
//!
//! Rules: a step is recorded `running` before its executor starts, and its outcome (with its
//! outputs) is committed before any dependent is scheduled. After a terminal failure no new
//! step starts and running ones finish (an in-flight operation reaches a stable state); after
//! a cancel or a shutdown running ones are asked to stop at a safe point. Every end is recorded. If the run can no longer record anything (lease lost, database failing),
//! every step is stopped, nothing more is written, and — for a failing database — a recovery
//! file next to the database says what was in flight.

use super::retry::RetryPolicy;
use super::step::{StepContext, StepError, StepExecutor};
use crate::events::Level;
use crate::store::{
    Claimed, ErrorClass, Failure, Lease, RunEnd, StepEnd, StepStatus, Store, StoreError,
};
use futures_util::FutureExt;
use katonic_domain::plan::{InstallPlan, StepId};
use katonic_domain::spec::InstallSpec;
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// What a run needs besides the install itself.
pub(super) struct RunDeps {
    pub store: Store,
    pub executor: Arc<dyn StepExecutor>,
    pub retry: RetryPolicy,
    pub max_parallel_steps: usize,
    pub data_dir: PathBuf,
}

/// Signals into a run.
pub(super) struct RunSignals {
    /// The admin cancelled the install.
    pub cancel: CancellationToken,
    /// The console is shutting down: stop and record the run as interrupted.
    pub shutdown: CancellationToken,
}

/// How one attempt ended, before it is recorded.
enum AttemptEnd {
    Succeeded(serde_json::Value),
    Failed(Failure),
    Stopped,
    Unrecorded(String),
}

/// Why the run could not record something, kept for the recovery file.
#[derive(Default)]
struct Unrecorded {
    error: Option<(String, Option<StepId>, bool)>,
}

pub(super) async fn run_install(deps: Arc<RunDeps>, claimed: Claimed, signals: RunSignals) {
    let lease = claimed.lease.clone();
    let store = deps.store.clone();
    let loaded = match load(&store, &claimed).await {
        Ok(loaded) => loaded,
        Err(failure) => {
            let end = RunEnd::Failed {
                step: "install".to_string(),
                failure,
            };
            if let Err(e) = store.finish_run(&lease, &end).await {
                tracing::error!(install = %lease.install, error = %e, "cannot record a run that could not start");
            }
            return;
        }
    };
    let stop = CancellationToken::new();
    let lost = CancellationToken::new();
    let done = CancellationToken::new();
    let unrecorded = Arc::new(Mutex::new(Unrecorded::default()));
    let heartbeat = tokio::spawn(heartbeat(
        store.clone(),
        lease.clone(),
        signals.cancel.clone(),
        lost.clone(),
        done.clone(),
        unrecorded.clone(),
    ));

    let Loaded {
        spec,
        plan,
        mut status,
        mut outputs,
        mut checkpoints,
        earlier_failures,
    } = loaded;
    let mut running: BTreeMap<StepId, i64> = BTreeMap::new();
    let mut tasks: JoinSet<(StepId, i64, AttemptEnd)> = JoinSet::new();
    let mut failure: Option<(StepId, Failure)> = None;

    loop {
        let stopping = stop.is_cancelled() || failure.is_some();
        if !stopping {
            for planned in &plan.steps {
                if running.len() >= deps.max_parallel_steps {
                    break;
                }
                let ready = status.get(&planned.id) == Some(&StepStatus::Pending)
                    && planned
                        .depends_on
                        .iter()
                        .all(|d| status.get(d) == Some(&StepStatus::Succeeded));
                if !ready {
                    continue;
                }
                let attempt = match store.start_step(&lease, planned.id.as_str()).await {
                    Ok(attempt) => attempt,
                    Err(e) => {
                        note_unrecorded(&unrecorded, &e, Some(planned.id));
                        stop.cancel();
                        break;
                    }
                };
                status.insert(planned.id, StepStatus::Running);
                running.insert(planned.id, attempt);
                let ctx = StepContext {
                    install: lease.install,
                    step: planned.id,
                    attempt,
                    try_number: 1,
                    spec: spec.clone(),
                    planned: planned.clone(),
                    outputs: Arc::new(outputs.clone()),
                    saved: std::sync::Mutex::new(checkpoints.remove(&planned.id)),
                    store: store.clone(),
                    lease: lease.clone(),
                    stop: stop.clone(),
                };
                let deps = deps.clone();
                tasks.spawn(async move {
                    let (step, attempt) = (ctx.step, ctx.attempt);
                    (step, attempt, run_attempt(&deps, ctx).await)
                });
            }
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            joined = tasks.join_next() => {
                let Some(joined) = joined else { break };
                let (step, attempt, end) = match joined {
                    Ok(result) => result,
                    // Attempts catch their executor's panics; a JoinError here means the task
                    // was aborted, which this loop never does.
                    Err(e) => {
                        tracing::error!(error = %e, "step task ended abnormally");
                        continue;
                    }
                };
                running.remove(&step);
                let recorded = match end {
                    AttemptEnd::Succeeded(value) => {
                        let r = store.finish_step(&lease, step.as_str(), attempt, &StepEnd::Succeeded(value.clone())).await;
                        if r.is_ok() {
                            status.insert(step, StepStatus::Succeeded);
                            outputs.insert(step, value);
                        }
                        r
                    }
                    AttemptEnd::Failed(f) => {
                        // No new step starts; those running finish what they are doing (an
                        // Azure operation in flight reaches a stable state) and are recorded.
                        let r = store.finish_step(&lease, step.as_str(), attempt, &StepEnd::Failed(f.clone())).await;
                        status.insert(step, StepStatus::Failed);
                        failure.get_or_insert((step, f));
                        r
                    }
                    AttemptEnd::Stopped if lost.is_cancelled() => Ok(()),
                    AttemptEnd::Stopped => {
                        // Only the admin's cancel makes a step `cancelled`; one stopped because
                        // another step failed, or the console is shutting down, was interrupted.
                        let cancelled = signals.cancel.is_cancelled() && failure.is_none();
                        let (end, now) = if cancelled {
                            (StepEnd::Cancelled, StepStatus::Cancelled)
                        } else {
                            (StepEnd::Interrupted, StepStatus::Interrupted)
                        };
                        status.insert(step, now);
                        store.finish_step(&lease, step.as_str(), attempt, &end).await
                    }
                    AttemptEnd::Unrecorded(message) => {
                        note_unrecorded(&unrecorded, &StoreError::Corrupt(message), Some(step));
                        stop.cancel();
                        Ok(())
                    }
                };
                if let Err(e) = recorded {
                    note_unrecorded(&unrecorded, &e, Some(step));
                    stop.cancel();
                }
            }
            () = signals.cancel.cancelled(), if !stop.is_cancelled() => stop.cancel(),
            () = signals.shutdown.cancelled(), if !stop.is_cancelled() => stop.cancel(),
            () = lost.cancelled(), if !stop.is_cancelled() => stop.cancel(),
        }
    }
    done.cancel();
    // The heartbeat only loops; its end carries nothing.
    let _ = heartbeat.await;

    let problem = unrecorded.lock().map(|u| u.error.clone()).unwrap_or(None);
    if let Some((error, step, lease_lost)) = problem.or_else(|| {
        lost.is_cancelled()
            .then(|| ("the lease was lost".to_string(), None, true))
    }) {
        tracing::error!(install = %lease.install, %error, "run stopped: it can no longer record what it does");
        if !lease_lost {
            write_recovery_file(&deps.data_dir, &claimed, &error, step, &running);
        }
        return;
    }
    let end = if signals.shutdown.is_cancelled() {
        RunEnd::Interrupted {
            reason: "the console shut down while it was running".to_string(),
        }
    } else if signals.cancel.is_cancelled() && failure.is_none() {
        RunEnd::Cancelled
    } else if let Some((step, failure)) = failure {
        RunEnd::Failed {
            step: step.as_str().to_string(),
            failure,
        }
    } else if plan
        .steps
        .iter()
        .all(|s| status.get(&s.id) == Some(&StepStatus::Succeeded))
    {
        RunEnd::Succeeded
    } else {
        // Steps that failed in an earlier run and were not retried block what depends on them.
        let (step, failure) = earlier_failures.into_iter().next().unwrap_or_else(|| {
            (
                "install".to_string(),
                Failure {
                    class: ErrorClass::Terminal,
                    code: "blocked".to_string(),
                    message:
                        "some steps could not run because a step they depend on did not succeed"
                            .to_string(),
                    hint: "Resume the install to run every unfinished step again.".to_string(),
                },
            )
        });
        RunEnd::Failed { step, failure }
    };
    if let Err(e) = store.finish_run(&lease, &end).await {
        tracing::error!(install = %lease.install, error = %e, "cannot record the end of the run");
        if !matches!(e, StoreError::LeaseLost(_)) {
            write_recovery_file(&deps.data_dir, &claimed, &e.to_string(), None, &running);
        }
    }
}

/// The install as a run needs it.
struct Loaded {
    spec: Arc<InstallSpec>,
    plan: InstallPlan,
    status: BTreeMap<StepId, StepStatus>,
    outputs: BTreeMap<StepId, serde_json::Value>,
    checkpoints: BTreeMap<StepId, serde_json::Value>,
    /// Steps that failed in an earlier run and are not being retried: (step, failure).
    earlier_failures: Vec<(String, Failure)>,
}

async fn load(store: &Store, claimed: &Claimed) -> Result<Loaded, Failure> {
    let internal = |message: String| Failure {
        class: ErrorClass::Terminal,
        code: "install-unreadable".to_string(),
        message,
        hint: "The stored install could not be read; clone it into a new install.".to_string(),
    };
    let record = store
        .install(claimed.lease.install)
        .await
        .map_err(|e| internal(e.to_string()))?
        .ok_or_else(|| internal("the install no longer exists".to_string()))?;
    let (Some(doc), Some(plan)) = (record.spec, record.plan) else {
        return Err(internal("the install has no validated spec".to_string()));
    };
    // Re-parsed, not trusted: the catalogue may have changed since the spec was stored.
    let spec = InstallSpec::parse(&doc).map_err(|e| Failure {
        class: ErrorClass::Terminal,
        code: "spec-invalid".to_string(),
        message: e
            .errors
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        hint: "Clone the install, fix the fields in the wizard and start the clone.".to_string(),
    })?;
    let records = store
        .steps(claimed.lease.install)
        .await
        .map_err(|e| internal(e.to_string()))?;
    let mut loaded = Loaded {
        spec: Arc::new(spec),
        plan,
        status: BTreeMap::new(),
        outputs: BTreeMap::new(),
        checkpoints: BTreeMap::new(),
        earlier_failures: Vec::new(),
    };
    for planned in &loaded.plan.steps {
        let Some(record) = records.iter().find(|r| r.step_id == planned.id.as_str()) else {
            return Err(internal(format!("step {} has no journal row", planned.id)));
        };
        loaded.status.insert(planned.id, record.status);
        if let (StepStatus::Succeeded, Some(outputs)) = (record.status, &record.outputs) {
            loaded.outputs.insert(planned.id, outputs.clone());
        }
        if let Some(checkpoint) = &record.checkpoint {
            loaded.checkpoints.insert(planned.id, checkpoint.clone());
        }
        if let (StepStatus::Failed, Some(failure)) = (record.status, &record.error) {
            loaded
                .earlier_failures
                .push((planned.id.as_str().to_string(), failure.clone()));
        }
    }
    Ok(loaded)
}

/// One attempt, in a span naming the install, step and attempt (every log line inside carries
/// them), timed for the step duration metric.
async fn run_attempt(deps: &RunDeps, ctx: StepContext) -> AttemptEnd {
    use tracing::Instrument;
    let span = tracing::info_span!(
        "step",
        install = %ctx.install,
        step = %ctx.step,
        attempt = ctx.attempt
    );
    let step = ctx.step;
    let started = std::time::Instant::now();
    let end = try_until_done(deps, ctx).instrument(span).await;
    let outcome = match &end {
        AttemptEnd::Succeeded(_) => "succeeded",
        AttemptEnd::Failed(_) => "failed",
        AttemptEnd::Stopped => "stopped",
        AttemptEnd::Unrecorded(_) => "unrecorded",
    };
    crate::metrics::global().step_finished(step.as_str(), outcome, started.elapsed().as_secs_f64());
    end
}

/// Try, and retry what may clear, until it succeeds, fails or must stop.
async fn try_until_done(deps: &RunDeps, mut ctx: StepContext) -> AttemptEnd {
    let mut delays = deps.retry.delays();
    loop {
        if ctx.stop.is_cancelled() {
            return AttemptEnd::Stopped;
        }
        let result = AssertUnwindSafe(deps.executor.run(&ctx))
            .catch_unwind()
            .await;
        match result {
            Ok(Ok(outputs)) => return AttemptEnd::Succeeded(outputs),
            Ok(Err(StepError::Retryable {
                code,
                message,
                retry_after,
            })) => {
                let Some(delay) = delays.next(retry_after) else {
                    return AttemptEnd::Failed(Failure {
                        class: ErrorClass::Retryable,
                        code,
                        message,
                        hint: format!(
                            "It still failed after {} tries. Resume to try again; if it persists, check the service's health.",
                            ctx.try_number
                        ),
                    });
                };
                let line = format!(
                    "try {} failed: {code}: {message}; retrying in {:.1}s",
                    ctx.try_number,
                    delay.as_secs_f64()
                );
                if let Err(e) = ctx.log(Level::Warn, line).await {
                    return AttemptEnd::Unrecorded(e.to_string());
                }
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = ctx.stop.cancelled() => return AttemptEnd::Stopped,
                }
                ctx.try_number += 1;
            }
            Ok(Err(StepError::Terminal {
                code,
                message,
                hint,
            })) => {
                return AttemptEnd::Failed(Failure {
                    class: ErrorClass::Terminal,
                    code,
                    message,
                    hint,
                });
            }
            Ok(Err(StepError::Stopped)) => return AttemptEnd::Stopped,
            Ok(Err(StepError::Unrecorded(message))) => return AttemptEnd::Unrecorded(message),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_string());
                return AttemptEnd::Failed(Failure {
                    class: ErrorClass::Terminal,
                    code: "internal".to_string(),
                    message: format!("the step crashed: {what}"),
                    hint: "This is a console bug; resume to try again and report it with the support bundle.".to_string(),
                });
            }
        }
    }
}

/// Renew the lease every third of its lifetime and pick up cancel requests made elsewhere.
async fn heartbeat(
    store: Store,
    lease: Lease,
    cancel: CancellationToken,
    lost: CancellationToken,
    done: CancellationToken,
    unrecorded: Arc<Mutex<Unrecorded>>,
) {
    let period = lease.ttl / 3;
    loop {
        tokio::select! {
            () = tokio::time::sleep(period) => {}
            () = done.cancelled() => return,
        }
        if let Err(e) = store.renew_lease(&lease).await {
            note_unrecorded(&unrecorded, &e, None);
            lost.cancel();
            return;
        }
        if let Ok(true) = store.cancel_requested(lease.install).await {
            cancel.cancel();
        }
    }
}

fn note_unrecorded(unrecorded: &Mutex<Unrecorded>, error: &StoreError, step: Option<StepId>) {
    if let Ok(mut u) = unrecorded.lock() {
        u.error.get_or_insert((
            error.to_string(),
            step,
            matches!(error, StoreError::LeaseLost(_)),
        ));
    }
}

/// Like Terraform's `errored.tfstate`: when the journal cannot be written, say on disk what was
/// in flight so the admin (and a resume) can reconcile it.
fn write_recovery_file(
    data_dir: &std::path::Path,
    claimed: &Claimed,
    error: &str,
    step: Option<StepId>,
    running: &BTreeMap<StepId, i64>,
) {
    let path = data_dir.join(format!("recovery-{}.json", claimed.lease.install));
    let body = serde_json::json!({
        "install": claimed.lease.install,
        "run": claimed.run,
        "writtenAt": time::OffsetDateTime::now_utc().unix_timestamp(),
        "error": error,
        "step": step.map(|s| s.as_str()),
        "inFlight": running.iter().map(|(s, a)| serde_json::json!({"step": s.as_str(), "attempt": a})).collect::<Vec<_>>(),
        "advice": "The console could not record this install's progress and stopped making changes. \
                   Resources named in these steps may exist in Azure without being in the history. \
                   Fix the database problem, restart the console (the install shows as interrupted) \
                   and resume it: steps adopt what already exists.",
    });
    let text = serde_json::to_string_pretty(&body).unwrap_or_else(|_| body.to_string());
    let text = crate::redact::redact(&text);
    if let Err(e) = crate::store::write_private(&path, text.as_bytes()) {
        tracing::error!(path = %path.display(), error = %e, "cannot write the recovery file either");
    } else {
        tracing::error!(path = %path.display(), "recovery file written");
    }
}
