//! A step executor that performs no external call and behaves as a script says: each step
//! takes its plan's expected duration times a time scale (a rehearsal of the install), or what
//! the script sets per step and per call (fail terminally, fail retryably with Retry-After,
//! wait at a gate, meet other steps at a barrier). Used by `serve --simulate` and by tests.

use super::step::{StepContext, StepError, StepExecutor};
use crate::events::Level;
use katonic_domain::plan::StepId;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Barrier, watch};

/// What a step does on one call.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Behaviour {
    /// How long it works; absent: the plan's expected duration times the time scale.
    #[serde(default)]
    pub sleep_ms: Option<u64>,
    /// Progress messages spread over its work (default 2).
    #[serde(default)]
    pub progress: Option<u32>,
    /// Wait until the gate of this name is opened (tests freeze a step mid-run this way).
    #[serde(default)]
    pub gate: Option<String>,
    /// Wait until `parties` steps have reached the barrier of this name (proves they run at
    /// the same time).
    #[serde(default)]
    pub barrier: Option<BarrierSpec>,
    #[serde(default)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BarrierSpec {
    pub name: String,
    pub parties: usize,
}

/// How a call ends.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(
    tag = "result",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Outcome {
    #[default]
    Succeed,
    Retryable {
        code: String,
        #[serde(default)]
        retry_after_ms: Option<u64>,
    },
    Terminal {
        code: String,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        hint: Option<String>,
    },
    /// The executor panics (a bug in a step must fail the step, not the console).
    Panic,
}

/// A script: `timeScale`, a `default` behaviour, and per step a list of behaviours for its
/// 1st, 2nd, … call (the last one repeats).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StepScript {
    #[serde(default)]
    pub time_scale: Option<f64>,
    #[serde(default)]
    pub default: Option<Behaviour>,
    #[serde(default)]
    pub steps: BTreeMap<StepId, Vec<Behaviour>>,
}

/// The executor.
pub struct ScriptedSteps {
    script: StepScript,
    time_scale: f64,
    calls: watch::Sender<BTreeMap<StepId, u32>>,
    gates: Mutex<BTreeMap<String, watch::Sender<bool>>>,
    barriers: Mutex<BTreeMap<String, Arc<Barrier>>>,
}

/// How long a barrier waits for its other parties before failing the step (a test that
/// expected parallel steps then fails with a clear code instead of hanging).
const BARRIER_TIMEOUT: Duration = Duration::from_secs(10);

impl ScriptedSteps {
    /// Every step succeeds after its expected duration × `time_scale`.
    pub fn rehearsal(time_scale: f64) -> Self {
        Self::new(StepScript::default(), time_scale)
    }

    pub fn new(script: StepScript, time_scale: f64) -> Self {
        let time_scale = script.time_scale.unwrap_or(time_scale).max(0.0);
        ScriptedSteps {
            script,
            time_scale,
            calls: watch::Sender::new(BTreeMap::new()),
            gates: Mutex::new(BTreeMap::new()),
            barriers: Mutex::new(BTreeMap::new()),
        }
    }

    /// Read a script from a YAML file.
    pub fn from_file(path: &Path, time_scale: f64) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read step script {}: {e}", path.display()))?;
        let script: StepScript = serde_yaml_ng::from_str(&text)
            .map_err(|e| format!("step script {}: {e}", path.display()))?;
        Ok(Self::new(script, time_scale))
    }

    /// How many times `step` has been called.
    pub fn calls(&self, step: StepId) -> u32 {
        self.calls.borrow().get(&step).copied().unwrap_or(0)
    }

    /// Wait until `step` has been called at least `n` times.
    pub async fn called(&self, step: StepId, n: u32) {
        let mut rx = self.calls.subscribe();
        // The sender lives as long as `self`, so this only ends when the condition holds.
        let _ = rx
            .wait_for(|calls| calls.get(&step).copied().unwrap_or(0) >= n)
            .await;
    }

    /// Let steps waiting at `gate` go on (and any that reach it later).
    pub fn open_gate(&self, gate: &str) {
        self.gate(gate).send_replace(true);
    }

    fn gate(&self, name: &str) -> watch::Sender<bool> {
        let mut gates = self.gates.lock().unwrap_or_else(|p| p.into_inner());
        gates
            .entry(name.to_string())
            .or_insert_with(|| watch::Sender::new(false))
            .clone()
    }

    fn barrier(&self, spec: &BarrierSpec) -> Arc<Barrier> {
        let mut barriers = self.barriers.lock().unwrap_or_else(|p| p.into_inner());
        barriers
            .entry(spec.name.clone())
            .or_insert_with(|| Arc::new(Barrier::new(spec.parties)))
            .clone()
    }

    fn behaviour(&self, step: StepId, call: u32) -> Behaviour {
        let listed = self.script.steps.get(&step).and_then(|calls| {
            let index = usize::try_from(call.saturating_sub(1)).unwrap_or(usize::MAX);
            calls.get(index).or_else(|| calls.last())
        });
        listed
            .or(self.script.default.as_ref())
            .cloned()
            .unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl StepExecutor for ScriptedSteps {
    async fn run(&self, ctx: &StepContext) -> Result<serde_json::Value, StepError> {
        ctx.guard()?;
        let mut call = 0;
        self.calls.send_modify(|calls| {
            let n = calls.entry(ctx.step).or_insert(0);
            *n += 1;
            call = *n;
        });
        let behaviour = self.behaviour(ctx.step, call);
        ctx.log(Level::Info, format!("simulated: {}", ctx.planned.detail))
            .await?;
        let work = behaviour.sleep_ms.map_or_else(
            || Duration::from_secs_f64(f64::from(ctx.planned.expected_secs) * self.time_scale),
            Duration::from_millis,
        );
        let slices = behaviour.progress.unwrap_or(2).max(1);
        for slice in 1..=slices {
            tokio::select! {
                () = tokio::time::sleep(work / slices) => {}
                () = ctx.stopped() => return Err(StepError::Stopped),
            }
            if slice < slices {
                ctx.progress(format!("{}: {}%", ctx.planned.title, slice * 100 / slices))
                    .await?;
            }
        }
        if let Some(gate) = &behaviour.gate {
            ctx.progress(format!("waiting at gate {gate}")).await?;
            let mut open = self.gate(gate).subscribe();
            tokio::select! {
                _ = open.wait_for(|open| *open) => {}
                () = ctx.stopped() => return Err(StepError::Stopped),
            }
        }
        if let Some(spec) = &behaviour.barrier {
            let barrier = self.barrier(spec);
            tokio::select! {
                waited = tokio::time::timeout(BARRIER_TIMEOUT, barrier.wait()) => {
                    if waited.is_err() {
                        return Err(StepError::terminal(
                            "barrier-timeout",
                            format!("no other step reached barrier {} within {BARRIER_TIMEOUT:?}", spec.name),
                            "The steps that should run at the same time did not.",
                        ));
                    }
                }
                () = ctx.stopped() => return Err(StepError::Stopped),
            }
        }
        ctx.guard()?;
        match behaviour.outcome {
            Outcome::Succeed => Ok(serde_json::json!({
                "simulated": true,
                "step": ctx.step,
                "attempt": ctx.attempt,
            })),
            Outcome::Retryable {
                code,
                retry_after_ms,
            } => Err(StepError::retryable(
                &code,
                format!("simulated retryable error on call {call}"),
                retry_after_ms.map(Duration::from_millis),
            )),
            Outcome::Terminal {
                code,
                message,
                hint,
            } => Err(StepError::terminal(
                &code,
                message.unwrap_or_else(|| format!("simulated failure on call {call}")),
                hint.unwrap_or_else(|| "Resume to run it again.".to_string()),
            )),
            Outcome::Panic => panic!("simulated panic in step {}", ctx.step),
        }
    }
}

/// Steps this build cannot run yet (cluster configuration): each fails with a clear reason.
pub struct Unavailable;

#[async_trait::async_trait]
impl StepExecutor for Unavailable {
    async fn run(&self, ctx: &StepContext) -> Result<serde_json::Value, StepError> {
        Err(StepError::terminal(
            "not-available",
            format!(
                "step {} (cluster configuration) is not available in this build yet",
                ctx.step
            ),
            "Run `katonic-console serve --simulate` to rehearse the whole install with simulated steps.",
        ))
    }
}
