//! One run of one install: schedule the plan's steps as their dependencies complete (bounded
//! parallelism), journal each attempt, retry what may clear, and end the run.
//!
//! Rules: a step is recorded `running` before its executor starts, and its outcome (with its
//! outputs) is committed before any dependent is scheduled. After a terminal failure no new
//! step starts and running ones finish (an in-flight operation reaches a stable state); after
//! a cancel or a shutdown running ones are asked to stop at a safe point. Every end is recorded.
//! If the run can no longer record anything (lease lost, database failing), every step is
//! stopped, nothing more is written, and — for a failing database — a recovery file next to the
//! database says what was in flight.
//!
//! The decisions (what is ready, what an end means, how the run ends) are `Schedule`'s, on plain
//! data; `Run` here is the I/O around them: the journal, the tasks and the signals.

use super::attempt::{AttemptEnd, run_attempt};
use super::recovery::RecoveryFile;
use super::retry::RetryPolicy;
use super::schedule::{Journal, Schedule, Stops};
use super::step::{StepContext, StepExecutor};
use crate::store::{
    Claimed, ErrorClass, FailedAt, Failure, Lease, RunEnd, StepEnd, StepRecord, StepStatus, Store,
    StoreError,
};
use katonic_domain::plan::{InstallPlan, PlannedStep, StepId};
use katonic_domain::spec::InstallSpec;
use std::collections::BTreeMap;
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
    pub crash_before_journal: Option<StepId>,
}

/// Signals into a run.
pub(super) struct RunSignals {
    /// The admin cancelled the install.
    pub cancel: CancellationToken,
    /// The console is shutting down: stop and record the run as interrupted.
    pub shutdown: CancellationToken,
}

/// Why the run could not record something, kept for the recovery file.
#[derive(Default)]
struct Unrecorded {
    error: Option<(String, Option<StepId>, bool)>,
}

pub(super) async fn run_install(deps: Arc<RunDeps>, claimed: Claimed, signals: RunSignals) {
    let loaded = match load(&deps.store, &claimed).await {
        Ok(loaded) => loaded,
        Err(failure) => {
            let end = RunEnd::Failed {
                step: FailedAt::Install,
                failure,
            };
            if let Err(e) = deps.store.finish_run(&claimed.lease, &end).await {
                tracing::error!(install = %claimed.lease.install, error = %e, "cannot record a run that could not start");
            }
            return;
        }
    };
    // Now, while there is room: the file is needed when the disk is full.
    let recovery = RecoveryFile::reserve(&deps.data_dir, claimed.lease.install);
    let mut run = Run::new(deps, claimed, signals, loaded, recovery);
    let done = CancellationToken::new();
    let heartbeat = tokio::spawn(heartbeat(
        run.deps.store.clone(),
        run.claimed.lease.clone(),
        run.signals.cancel.clone(),
        run.lost.clone(),
        done.clone(),
        run.unrecorded.clone(),
    ));
    run.drive().await;
    done.cancel();
    // The heartbeat only loops; its end carries nothing.
    let _ = heartbeat.await;
    run.finish().await;
}

/// A run in progress: its schedule, the attempts in flight and what stops it.
struct Run {
    deps: Arc<RunDeps>,
    claimed: Claimed,
    signals: RunSignals,
    spec: Arc<InstallSpec>,
    checkpoints: BTreeMap<StepId, serde_json::Value>,
    schedule: Schedule,
    tasks: JoinSet<(StepId, i64, AttemptEnd)>,
    /// Asks every running step to stop at a safe point; no new step starts.
    stop: CancellationToken,
    /// The heartbeat lost the lease.
    lost: CancellationToken,
    /// A step failed for good: running steps try no more.
    failing: CancellationToken,
    unrecorded: Arc<Mutex<Unrecorded>>,
    recovery: RecoveryFile,
}

impl Run {
    fn new(
        deps: Arc<RunDeps>,
        claimed: Claimed,
        signals: RunSignals,
        loaded: Loaded,
        recovery: RecoveryFile,
    ) -> Run {
        let schedule = Schedule::new(loaded.plan.steps, loaded.journal, deps.max_parallel_steps);
        Run {
            deps,
            claimed,
            signals,
            spec: loaded.spec,
            checkpoints: loaded.checkpoints,
            schedule,
            tasks: JoinSet::new(),
            stop: CancellationToken::new(),
            lost: CancellationToken::new(),
            failing: CancellationToken::new(),
            unrecorded: Arc::new(Mutex::new(Unrecorded::default())),
            recovery,
        }
    }

    /// Start what is ready, wait for an attempt to end or a signal, until nothing runs.
    async fn drive(&mut self) {
        loop {
            if !self.stop.is_cancelled() {
                self.start_ready().await;
            }
            if self.schedule.is_idle() {
                break;
            }
            let stop = self.stop.clone();
            tokio::select! {
                joined = self.tasks.join_next() => {
                    let Some(joined) = joined else { break };
                    match joined {
                        Ok((step, attempt, end)) => self.attempt_ended(step, attempt, end).await,
                        // Attempts catch their executor's panics; a JoinError here means the
                        // task was aborted, which this loop never does.
                        Err(e) => tracing::error!(error = %e, "step task ended abnormally"),
                    }
                }
                () = self.signals.cancel.cancelled(), if !stop.is_cancelled() => stop.cancel(),
                () = self.signals.shutdown.cancelled(), if !stop.is_cancelled() => stop.cancel(),
                () = self.lost.cancelled(), if !stop.is_cancelled() => stop.cancel(),
            }
        }
    }

    /// Journal each ready step as `running`, then spawn its attempt.
    async fn start_ready(&mut self) {
        let ready: Vec<PlannedStep> = self.schedule.ready().into_iter().cloned().collect();
        for planned in ready {
            let lease = &self.claimed.lease;
            let attempt = match self.deps.store.start_step(lease, planned.id).await {
                Ok(attempt) => attempt,
                Err(e) => {
                    self.cannot_record(&e, Some(planned.id));
                    return;
                }
            };
            self.schedule.started(planned.id, attempt);
            let ctx = self.context(planned, attempt);
            let deps = self.deps.clone();
            self.tasks.spawn(async move {
                let (step, attempt) = (ctx.step, ctx.attempt);
                (step, attempt, run_attempt(&deps, ctx).await)
            });
        }
    }

    fn context(&mut self, planned: PlannedStep, attempt: i64) -> StepContext {
        StepContext {
            install: self.claimed.lease.install,
            step: planned.id,
            attempt,
            try_number: 1,
            spec: self.spec.clone(),
            saved: std::sync::Mutex::new(self.checkpoints.remove(&planned.id)),
            checkpoint_writes: tokio::sync::Mutex::new(()),
            planned,
            outputs: Arc::new(self.schedule.outputs().clone()),
            store: self.deps.store.clone(),
            lease: self.claimed.lease.clone(),
            stop: self.stop.clone(),
            run_failing: self.failing.clone(),
            detached: None,
        }
    }

    /// Journal how an attempt ended, then update the schedule: a success only once committed
    /// (its dependents read its outputs); a failure even if its record failed (nothing new
    /// starts either way).
    async fn attempt_ended(&mut self, step: StepId, attempt: i64, end: AttemptEnd) {
        self.schedule.ended(step);
        let (store, lease) = (&self.deps.store, &self.claimed.lease);
        let recorded = match end {
            AttemptEnd::Succeeded(value) => {
                if self.deps.crash_before_journal == Some(step) {
                    // The crash matrix's last kill point: the step's work is done, its
                    // journal entry not yet written. Abort, as kill -9 would: no destructor,
                    // no flush.
                    std::process::abort();
                }
                let r = store
                    .finish_step(lease, step, attempt, &StepEnd::Succeeded(value.clone()))
                    .await;
                if r.is_ok() {
                    self.schedule.succeeded(step, value);
                }
                r
            }
            AttemptEnd::Failed(f) => {
                // No new step starts; those running finish the try they are in (an Azure
                // operation in flight reaches a stable state), retry no more, and are recorded.
                self.failing.cancel();
                let r = store
                    .finish_step(lease, step, attempt, &StepEnd::Failed(f.clone()))
                    .await;
                self.schedule.failed(step, f);
                r
            }
            AttemptEnd::Stopped if self.lost.is_cancelled() => Ok(()),
            AttemptEnd::Stopped => {
                let cancelled = self.signals.cancel.is_cancelled();
                let end = self.schedule.stopped(step, cancelled);
                store.finish_step(lease, step, attempt, &end).await
            }
            AttemptEnd::Unrecorded(message) => Err(StoreError::Corrupt(message)),
        };
        if let Err(e) = recorded {
            self.cannot_record(&e, Some(step));
        }
    }

    /// The journal cannot be written: remember why, and stop every step.
    fn cannot_record(&self, error: &StoreError, step: Option<StepId>) {
        note_unrecorded(&self.unrecorded, error, step);
        self.stop.cancel();
    }

    /// Record how the run ended, or, when it can no longer record anything, say so on disk.
    /// A run stopped by a failing database leaves its install `running` with a lease nobody
    /// renews: once writes succeed again the worker loop marks it `interrupted` (resumable).
    async fn finish(self) {
        let lease = &self.claimed.lease;
        let problem = self
            .unrecorded
            .lock()
            .map(|u| u.error.clone())
            .unwrap_or(None);
        let problem = problem.or_else(|| {
            self.lost
                .is_cancelled()
                .then(|| ("the lease was lost".to_string(), None, true))
        });
        if let Some((error, step, lease_lost)) = problem {
            tracing::error!(install = %lease.install, %error, "run stopped: it can no longer record what it does");
            if lease_lost {
                self.recovery.release();
            } else {
                let running = self.schedule.running();
                self.recovery.write(&self.claimed, &error, step, running);
            }
            return;
        }
        let stops = Stops {
            cancelled: self.signals.cancel.is_cancelled(),
            shutdown: self.signals.shutdown.is_cancelled(),
        };
        let running = self.schedule.running().clone();
        let end = self.schedule.run_end(stops);
        match self.deps.store.finish_run(lease, &end).await {
            Ok(()) => self.recovery.release(),
            Err(e) => {
                tracing::error!(install = %lease.install, error = %e, "cannot record the end of the run");
                if matches!(e, StoreError::LeaseLost(_)) {
                    self.recovery.release();
                } else {
                    let error = e.to_string();
                    self.recovery.write(&self.claimed, &error, None, &running);
                }
            }
        }
    }
}

/// The install as a run needs it.
struct Loaded {
    spec: Arc<InstallSpec>,
    plan: InstallPlan,
    journal: Journal,
    checkpoints: BTreeMap<StepId, serde_json::Value>,
}

async fn load(store: &Store, claimed: &Claimed) -> Result<Loaded, Failure> {
    let record = store
        .install(claimed.lease.install)
        .await
        .map_err(|e| unreadable(e.to_string()))?
        .ok_or_else(|| unreadable("the install no longer exists".to_string()))?;
    let (Some(doc), Some(plan)) = (record.spec, record.plan) else {
        return Err(unreadable("the install has no validated spec".to_string()));
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
        .map_err(|e| unreadable(e.to_string()))?;
    let (journal, checkpoints) = journal_of(&plan, &records)?;
    Ok(Loaded {
        spec: Arc::new(spec),
        plan,
        journal,
        checkpoints,
    })
}

/// Each planned step's journal row: its status, its outputs if it succeeded, its checkpoint,
/// and its failure if it failed in an earlier run (and is not being retried).
fn journal_of(
    plan: &InstallPlan,
    records: &[StepRecord],
) -> Result<(Journal, BTreeMap<StepId, serde_json::Value>), Failure> {
    let mut journal = Journal::default();
    let mut checkpoints = BTreeMap::new();
    for planned in &plan.steps {
        let Some(record) = records.iter().find(|r| r.step_id == planned.id) else {
            return Err(unreadable(format!(
                "step {} has no journal row",
                planned.id
            )));
        };
        journal.status.insert(planned.id, record.status);
        if let (StepStatus::Succeeded, Some(outputs)) = (record.status, &record.outputs) {
            journal.outputs.insert(planned.id, outputs.clone());
        }
        if let Some(checkpoint) = &record.checkpoint {
            checkpoints.insert(planned.id, checkpoint.clone());
        }
        if let (StepStatus::Failed, Some(failure)) = (record.status, &record.error) {
            journal.earlier_failures.push((planned.id, failure.clone()));
        }
    }
    Ok((journal, checkpoints))
}

fn unreadable(message: String) -> Failure {
    Failure {
        class: ErrorClass::Terminal,
        code: "install-unreadable".to_string(),
        message,
        hint: "The stored install could not be read; clone it into a new install.".to_string(),
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
