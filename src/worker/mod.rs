//! The install worker: claims queued installs (a lease per install, renewed by heartbeats),
//! runs their steps as the plan's DAG allows, and ends each run. Woken by a `Notify` when an
//! install is queued; a slow poll is only the fallback (and reaps installs whose worker died).

mod attempt;
pub mod kubeconfig;
mod network_offer;
mod on_demand;
mod recovery;
mod retry;
mod run;
mod schedule;
mod scripted;
mod step;

pub use network_offer::{
    ConsoleVnet, NetworkOffer, OfferRequest, ReachNote, SubnetOffer, SubnetStatus,
};
pub use on_demand::{CheckVerdict, ConnectionTest, PreflightReport, Verdict};
pub use retry::RetryPolicy;
pub use scripted::{BarrierSpec, Behaviour, Outcome, ScriptedSteps, StepScript, Unavailable};
pub use step::{StepContext, StepError, StepExecutor};

use crate::store::{InstallId, Store};
use run::{RunDeps, RunSignals};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How the worker runs installs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Installs run at the same time (on different targets).
    pub max_installs: usize,
    /// Steps of one install run at the same time.
    pub max_parallel_steps: usize,
    pub lease_ttl: Duration,
    /// Fallback wake-up; queueing an install wakes the worker at once.
    pub poll_interval: Duration,
    pub retry: RetryPolicy,
    /// Where recovery files go (next to the database).
    pub data_dir: PathBuf,
    /// Fault injection (rehearsals only): abort the process once this step has succeeded,
    /// before its journal entry is written.
    pub crash_before_journal: Option<katonic_domain::plan::StepId>,
}

impl WorkerConfig {
    pub fn new(data_dir: PathBuf) -> Self {
        WorkerConfig {
            max_installs: 2,
            max_parallel_steps: 6,
            // Kubernetes' own leader-election figures: 15 s lease would do; 30 s leaves room for
            // a slow disk without losing the lease.
            lease_ttl: Duration::from_secs(30),
            poll_interval: Duration::from_secs(5),
            retry: RetryPolicy::default(),
            data_dir,
            crash_before_journal: None,
        }
    }
}

/// Controls the running worker; cheap to clone.
#[derive(Clone)]
pub struct WorkerHandle {
    inner: Arc<Inner>,
}

struct Inner {
    wake: Notify,
    /// Installs running in this process, with their cancel switches.
    running: Mutex<HashMap<InstallId, CancellationToken>>,
    shutdown: CancellationToken,
    tasks: TaskTracker,
    /// The executor and its store, for ARM reads outside a run (a teardown's preview).
    executor: Arc<dyn StepExecutor>,
    store: Store,
}

impl WorkerHandle {
    /// Start the worker loop.
    pub fn spawn(
        store: Store,
        executor: Arc<dyn StepExecutor>,
        config: WorkerConfig,
    ) -> WorkerHandle {
        let inner = Arc::new(Inner {
            wake: Notify::new(),
            running: Mutex::new(HashMap::new()),
            shutdown: CancellationToken::new(),
            tasks: TaskTracker::new(),
            executor: executor.clone(),
            store: store.clone(),
        });
        let handle = WorkerHandle { inner };
        let deps = Arc::new(RunDeps {
            store: store.clone(),
            executor,
            retry: config.retry,
            max_parallel_steps: config.max_parallel_steps.max(1),
            data_dir: config.data_dir.clone(),
            crash_before_journal: config.crash_before_journal,
        });
        let looping = handle.clone();
        handle
            .inner
            .tasks
            .spawn(async move { looping.run_loop(store, deps, config).await });
        handle
    }

    /// Look for queued installs now.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Stop a running install at the next safe point (the request is also in the database, so
    /// it holds even if this process is not the one running it).
    pub fn cancel(&self, install: InstallId) {
        if let Some(token) = self
            .inner
            .running
            .lock()
            .ok()
            .and_then(|running| running.get(&install).cloned())
        {
            token.cancel();
        }
    }

    /// Stop claiming, ask running installs to stop at a safe point (they end `interrupted`),
    /// and wait for them.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
    }

    /// What a teardown of `install` would delete, read from Azure by the steps' executor with
    /// the settings as they are now. `outputs`: the install's ledger.
    pub async fn preview_teardown(
        &self,
        install: InstallId,
        spec: katonic_domain::spec::InstallSpec,
        outputs: std::collections::BTreeMap<katonic_domain::plan::StepId, serde_json::Value>,
    ) -> Result<crate::teardown::Preview, crate::teardown::PreviewError> {
        let saved = self.inner.store.azure_connection().await.map_err(|e| {
            crate::teardown::PreviewError::Settings(format!(
                "the saved Azure settings could not be read: {e}"
            ))
        })?;
        let request = crate::teardown::PreviewRequest {
            install,
            spec,
            outputs,
            saved,
        };
        self.inner.executor.preview_teardown(request).await
    }

    /// The admin kubeconfig of `install`'s cluster, fetched from Azure by the steps' executor
    /// with the settings as they are now. Nothing is kept.
    pub async fn admin_kubeconfig(
        &self,
        install: InstallId,
        spec: katonic_domain::spec::InstallSpec,
    ) -> Result<kubeconfig::AdminKubeconfig, kubeconfig::KubeconfigError> {
        let saved = self.inner.store.azure_connection().await.map_err(|e| {
            kubeconfig::KubeconfigError::Settings(format!(
                "the saved Azure settings could not be read: {e}"
            ))
        })?;
        let request = kubeconfig::KubeconfigRequest {
            install,
            spec,
            saved,
        };
        self.inner.executor.admin_kubeconfig(request).await
    }

    /// Installs running in this process now.
    pub fn running(&self) -> usize {
        self.inner.running.lock().map(|r| r.len()).unwrap_or(0)
    }

    async fn run_loop(&self, store: Store, deps: Arc<RunDeps>, config: WorkerConfig) {
        let owner = format!("worker-{}", uuid::Uuid::new_v4());
        loop {
            if let Err(e) = store
                .interrupt_orphans(true, "its worker stopped renewing its lease")
                .await
            {
                tracing::warn!(error = %e, "cannot check for orphaned installs");
            }
            while self.running() < config.max_installs && !self.inner.shutdown.is_cancelled() {
                match store.claim_next(&owner, config.lease_ttl).await {
                    Ok(Some(claimed)) => self.start_run(deps.clone(), claimed),
                    Ok(None) => break,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot claim an install");
                        break;
                    }
                }
            }
            tokio::select! {
                () = self.inner.wake.notified() => {}
                () = tokio::time::sleep(config.poll_interval) => {}
                () = self.inner.shutdown.cancelled() => return,
            }
        }
    }

    fn start_run(&self, deps: Arc<RunDeps>, claimed: crate::store::Claimed) {
        let install = claimed.lease.install;
        let cancel = CancellationToken::new();
        if let Ok(mut running) = self.inner.running.lock() {
            running.insert(install, cancel.clone());
        }
        let signals = RunSignals {
            cancel,
            shutdown: self.inner.shutdown.clone(),
        };
        let handle = self.clone();
        self.inner.tasks.spawn(async move {
            tracing::info!(%install, run = claimed.run, "run started");
            run::run_install(deps, claimed, signals).await;
            if let Ok(mut running) = handle.inner.running.lock() {
                running.remove(&install);
            }
            tracing::info!(%install, "run ended");
            // A slot is free: another queued install may start.
            handle.wake();
        });
    }
}
