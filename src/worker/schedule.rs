//! The scheduler's decisions, on plain data: which steps may start, how an attempt's end changes
//! the run, how a stopped attempt is classified, and how the run ends. No database and no
//! tasks: `run.rs` journals and spawns around these, and the tests below drive them directly.

use crate::store::{ErrorClass, FailedAt, Failure, RunEnd, StepEnd, StepStatus};
use katonic_domain::plan::{PlannedStep, StepId};
use std::collections::BTreeMap;

/// A run's steps and where each one is.
#[derive(Debug)]
pub(super) struct Schedule {
    /// The plan's steps, in plan order (the order ready steps start in).
    steps: Vec<PlannedStep>,
    status: BTreeMap<StepId, StepStatus>,
    /// Outputs of the steps that succeeded, handed to the steps that depend on them.
    outputs: BTreeMap<StepId, serde_json::Value>,
    /// Steps started and not ended yet, with their attempt number.
    running: BTreeMap<StepId, i64>,
    /// The first step that failed in this run: after it, no new step starts.
    failure: Option<(StepId, Failure)>,
    /// Steps that failed in an earlier run and are not being retried.
    earlier_failures: Vec<(StepId, Failure)>,
    max_parallel: usize,
}

/// The state a run starts from, as loaded from the journal.
#[derive(Debug, Default)]
pub(super) struct Journal {
    pub status: BTreeMap<StepId, StepStatus>,
    pub outputs: BTreeMap<StepId, serde_json::Value>,
    pub earlier_failures: Vec<(StepId, Failure)>,
}

/// What ended the run from outside, besides its steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Stops {
    /// The admin cancelled the install.
    pub cancelled: bool,
    /// The console is shutting down.
    pub shutdown: bool,
}

impl Schedule {
    pub fn new(steps: Vec<PlannedStep>, journal: Journal, max_parallel: usize) -> Schedule {
        Schedule {
            steps,
            status: journal.status,
            outputs: journal.outputs,
            running: BTreeMap::new(),
            failure: None,
            earlier_failures: journal.earlier_failures,
            max_parallel,
        }
    }

    /// The steps to start now, in plan order: pending, every dependency succeeded, within the
    /// parallelism bound. None once a step has failed (running ones finish, none start).
    pub fn ready(&self) -> Vec<&PlannedStep> {
        if self.failure.is_some() {
            return Vec::new();
        }
        let room = self.max_parallel.saturating_sub(self.running.len());
        self.steps
            .iter()
            .filter(|s| self.is(s.id, StepStatus::Pending))
            .filter(|s| {
                s.depends_on
                    .iter()
                    .all(|d| self.is(*d, StepStatus::Succeeded))
            })
            .take(room)
            .collect()
    }

    fn is(&self, step: StepId, status: StepStatus) -> bool {
        self.status.get(&step) == Some(&status)
    }

    /// The step was journalled `running` as `attempt`.
    pub fn started(&mut self, step: StepId, attempt: i64) {
        self.status.insert(step, StepStatus::Running);
        self.running.insert(step, attempt);
    }

    /// The step's attempt is over, whatever its outcome (recorded or not).
    pub fn ended(&mut self, step: StepId) {
        self.running.remove(&step);
    }

    /// The step's success (and outputs) is committed: its dependents may start.
    pub fn succeeded(&mut self, step: StepId, outputs: serde_json::Value) {
        self.status.insert(step, StepStatus::Succeeded);
        self.outputs.insert(step, outputs);
    }

    /// The step failed: the first failure ends the run once running steps finish.
    pub fn failed(&mut self, step: StepId, failure: Failure) {
        self.status.insert(step, StepStatus::Failed);
        self.failure.get_or_insert((step, failure));
    }

    /// The step stopped at a safe point. Only the admin's cancel makes it `cancelled`; one
    /// stopped because another step failed, or because the console is shutting down, was
    /// interrupted. Returns the end to journal.
    pub fn stopped(&mut self, step: StepId, cancel_requested: bool) -> StepEnd {
        let (end, now) = if cancel_requested && self.failure.is_none() {
            (StepEnd::Cancelled, StepStatus::Cancelled)
        } else {
            (StepEnd::Interrupted, StepStatus::Interrupted)
        };
        self.status.insert(step, now);
        end
    }

    /// Nothing in flight: the run may end (or start more).
    pub fn is_idle(&self) -> bool {
        self.running.is_empty()
    }

    pub fn running(&self) -> &BTreeMap<StepId, i64> {
        &self.running
    }

    pub fn outputs(&self) -> &BTreeMap<StepId, serde_json::Value> {
        &self.outputs
    }

    /// How the run ended, once nothing runs. A shutdown wins (the run resumes later); then the
    /// admin's cancel, unless a step failed first; then this run's failure; then success when
    /// every step succeeded. Otherwise steps are blocked by a failure of an earlier run.
    pub fn run_end(self, stops: Stops) -> RunEnd {
        if stops.shutdown {
            return RunEnd::Interrupted {
                reason: "the console shut down while it was running".to_string(),
            };
        }
        if stops.cancelled && self.failure.is_none() {
            return RunEnd::Cancelled;
        }
        if let Some((step, failure)) = self.failure {
            let step = FailedAt::Step(step);
            return RunEnd::Failed { step, failure };
        }
        if self
            .steps
            .iter()
            .all(|s| self.is(s.id, StepStatus::Succeeded))
        {
            return RunEnd::Succeeded;
        }
        match self.earlier_failures.into_iter().next() {
            Some((step, failure)) => RunEnd::Failed {
                step: FailedAt::Step(step),
                failure,
            },
            None => RunEnd::Failed {
                step: FailedAt::Install,
                failure: blocked(),
            },
        }
    }
}

/// Steps were left that could not run, and no failure of this run or an earlier one says why.
fn blocked() -> Failure {
    Failure {
        class: ErrorClass::Terminal,
        code: "blocked".to_string(),
        message: "some steps could not run because a step they depend on did not succeed"
            .to_string(),
        hint: "Resume the install to run every unfinished step again.".to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use StepId::{AksCluster, Network, Preflight, Registry, ResourceGroup, Storage};

    fn step(id: StepId, depends_on: &[StepId]) -> PlannedStep {
        PlannedStep {
            id,
            title: id.to_string(),
            detail: String::new(),
            depends_on: depends_on.to_vec(),
            expected_secs: 1,
            on_critical_path: false,
        }
    }

    /// preflight → resource-group → {network, storage, registry}; network → aks-cluster.
    fn plan() -> Vec<PlannedStep> {
        vec![
            step(Preflight, &[]),
            step(ResourceGroup, &[Preflight]),
            step(Network, &[ResourceGroup]),
            step(Storage, &[ResourceGroup]),
            step(Registry, &[ResourceGroup]),
            step(AksCluster, &[Network]),
        ]
    }

    fn schedule(max_parallel: usize, set: &[(StepId, StepStatus)]) -> Schedule {
        let steps = plan();
        let mut journal = Journal::default();
        for s in &steps {
            journal.status.insert(s.id, StepStatus::Pending);
        }
        journal.status.extend(set.iter().copied());
        Schedule::new(steps, journal, max_parallel)
    }

    fn ready(s: &Schedule) -> Vec<StepId> {
        s.ready().iter().map(|p| p.id).collect()
    }

    fn failure(code: &str) -> Failure {
        Failure {
            class: ErrorClass::Terminal,
            code: code.to_string(),
            message: format!("{code} happened"),
            hint: "fix it".to_string(),
        }
    }

    fn run_one(s: &mut Schedule, id: StepId) {
        s.started(id, 1);
        s.ended(id);
        s.succeeded(id, serde_json::json!({ "id": id.as_str() }));
    }

    #[test]
    fn a_step_is_ready_only_once_every_dependency_succeeded() {
        let mut s = schedule(8, &[]);
        assert_eq!(ready(&s), [Preflight]);
        s.started(Preflight, 1);
        assert_eq!(ready(&s), Vec::<StepId>::new(), "running is not succeeded");
        s.ended(Preflight);
        s.succeeded(Preflight, serde_json::json!({}));
        assert_eq!(ready(&s), [ResourceGroup]);
        run_one(&mut s, ResourceGroup);
        assert_eq!(ready(&s), [Network, Storage, Registry]);
        assert_eq!(
            s.outputs().get(&ResourceGroup),
            Some(&serde_json::json!({ "id": "resource-group" }))
        );
    }

    #[test]
    fn no_more_steps_start_than_the_parallelism_bound_allows() {
        let done = [
            (Preflight, StepStatus::Succeeded),
            (ResourceGroup, StepStatus::Succeeded),
        ];
        let mut s = schedule(2, &done);
        assert_eq!(ready(&s), [Network, Storage], "plan order, two at a time");
        s.started(Network, 1);
        assert_eq!(ready(&s), [Storage]);
        s.started(Storage, 1);
        assert_eq!(ready(&s), Vec::<StepId>::new());
        s.ended(Storage);
        s.succeeded(Storage, serde_json::json!({}));
        assert_eq!(ready(&s), [Registry]);
    }

    #[test]
    fn a_failed_step_stops_scheduling_and_fails_the_run_at_that_step() {
        let mut s = schedule(8, &[(Preflight, StepStatus::Succeeded)]);
        run_one(&mut s, ResourceGroup);
        s.started(Network, 1);
        s.started(Storage, 1);
        s.ended(Network);
        s.failed(Network, failure("QuotaExceeded"));
        assert_eq!(
            ready(&s),
            Vec::<StepId>::new(),
            "registry is ready but may not start"
        );
        assert!(!s.is_idle(), "storage still runs to a stable state");
        s.ended(Storage);
        s.failed(Storage, failure("Later"));
        assert_eq!(
            s.run_end(Stops::default()),
            RunEnd::Failed {
                step: FailedAt::Step(Network),
                failure: failure("QuotaExceeded")
            },
            "the first failure is the run's"
        );
    }

    #[test]
    fn a_stopped_attempt_is_cancelled_only_by_the_admins_cancel() {
        let mut s = schedule(8, &[]);
        s.started(Preflight, 1);
        assert_eq!(s.stopped(Preflight, true), StepEnd::Cancelled);
        assert_eq!(
            s.stopped(Preflight, false),
            StepEnd::Interrupted,
            "shutdown"
        );
        s.failed(ResourceGroup, failure("Boom"));
        assert_eq!(
            s.stopped(Preflight, true),
            StepEnd::Interrupted,
            "stopped because another step failed"
        );
    }

    #[test]
    fn shutdown_interrupts_and_cancel_cancels_unless_a_step_failed_first() {
        let s = schedule(8, &[]);
        let shutdown = Stops {
            cancelled: true,
            shutdown: true,
        };
        assert!(matches!(s.run_end(shutdown), RunEnd::Interrupted { .. }));
        let cancel = Stops {
            cancelled: true,
            shutdown: false,
        };
        assert_eq!(schedule(8, &[]).run_end(cancel), RunEnd::Cancelled);
        let mut s = schedule(8, &[]);
        s.failed(Preflight, failure("Denied"));
        assert_eq!(
            s.run_end(cancel),
            RunEnd::Failed {
                step: FailedAt::Step(Preflight),
                failure: failure("Denied")
            }
        );
    }

    #[test]
    fn every_step_succeeded_is_success() {
        let all: Vec<_> = plan()
            .iter()
            .map(|p| (p.id, StepStatus::Succeeded))
            .collect();
        assert_eq!(
            schedule(8, &all).run_end(Stops::default()),
            RunEnd::Succeeded
        );
    }

    #[test]
    fn steps_blocked_by_an_earlier_failure_fail_the_run_at_it_or_as_blocked() {
        let earlier = [
            (Preflight, StepStatus::Succeeded),
            (ResourceGroup, StepStatus::Failed),
        ];
        let mut journal = Journal::default();
        for p in plan() {
            journal.status.insert(p.id, StepStatus::Pending);
        }
        journal.status.extend(earlier);
        journal.earlier_failures = vec![(ResourceGroup, failure("Conflict"))];
        let s = Schedule::new(plan(), journal, 8);
        assert_eq!(ready(&s), Vec::<StepId>::new());
        assert_eq!(
            s.run_end(Stops::default()),
            RunEnd::Failed {
                step: FailedAt::Step(ResourceGroup),
                failure: failure("Conflict")
            }
        );

        let s = schedule(8, &earlier);
        let RunEnd::Failed { step, failure } = s.run_end(Stops::default()) else {
            panic!("blocked steps fail the run");
        };
        assert_eq!(step, FailedAt::Install);
        assert_eq!(step.as_str(), "install", "stored as before");
        assert_eq!(failure.code, "blocked");
    }
}
