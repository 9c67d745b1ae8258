//! The step contract: what the worker gives a step and what a step gives back.
//!
//! A step is idempotent (deterministic names, create-or-update, adopt what already exists),
//! checks [`StepContext::guard`] before every external call, saves anything a resumed attempt
//! needs with [`StepContext::checkpoint`] as soon as it has it (an operation's polling URL), and
//! returns its outputs, which are committed before any step that depends on it starts.

use crate::events::{EventKind, Level, NewEvent};
use crate::store::{InstallId, Lease, Store, StoreError};
use katonic_domain::plan::{PlannedStep, StepId};
use katonic_domain::spec::InstallSpec;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Why a step attempt did not succeed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StepError {
    /// May clear by itself (throttling, 5xx, a conflict that clears, a dropped connection):
    /// retried with backoff, waiting at least `retry_after` when the service said so.
    #[error("{code}: {message}")]
    Retryable {
        code: String,
        message: String,
        retry_after: Option<Duration>,
    },
    /// Will not clear without the admin (quota, permission, invalid input): fails the step.
    #[error("{code}: {message}")]
    Terminal {
        code: String,
        message: String,
        hint: String,
    },
    /// The step stopped at a safe point because it was asked to (cancel or shutdown).
    #[error("stopped at a safe point")]
    Stopped,
    /// The worker can no longer record what it does (lease lost, database failing): the step
    /// must stop without any further external call.
    #[error("cannot record progress: {0}")]
    Unrecorded(String),
}

impl StepError {
    pub fn terminal(code: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        StepError::Terminal {
            code: code.to_string(),
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub fn retryable(
        code: &str,
        message: impl Into<String>,
        retry_after: Option<Duration>,
    ) -> Self {
        StepError::Retryable {
            code: code.to_string(),
            message: message.into(),
            retry_after,
        }
    }
}

impl From<StoreError> for StepError {
    fn from(e: StoreError) -> Self {
        StepError::Unrecorded(e.to_string())
    }
}

/// Runs steps. One executor serves every step of a plan, dispatching on [`StepContext::step`].
#[async_trait::async_trait]
pub trait StepExecutor: Send + Sync + 'static {
    /// Run one attempt (one try) of `ctx.step`; `Ok` carries the outputs.
    async fn run(&self, ctx: &StepContext) -> Result<serde_json::Value, StepError>;

    /// Read what a teardown would delete (for the pages: the web makes no Azure call itself).
    /// Executors that do not talk to Azure (scripted rehearsals) cannot.
    async fn preview_teardown(
        &self,
        _request: crate::teardown::PreviewRequest,
    ) -> Result<crate::teardown::Preview, crate::teardown::PreviewError> {
        Err(crate::teardown::PreviewError::NoAzure)
    }

    /// Fetch the cluster's admin kubeconfig from Azure (`listClusterAdminCredential`), for an
    /// admin's download. Executors that do not talk to Azure cannot.
    async fn admin_kubeconfig(
        &self,
        _request: super::kubeconfig::KubeconfigRequest,
    ) -> Result<super::kubeconfig::AdminKubeconfig, super::kubeconfig::KubeconfigError> {
        Err(super::kubeconfig::KubeconfigError::NoAzure)
    }

    /// Settings' Test connection. Executors that do not talk to Azure say so.
    async fn test_connection(
        &self,
        _saved: Option<crate::azure::connection::SavedConnection>,
    ) -> super::on_demand::ConnectionTest {
        super::on_demand::ConnectionTest {
            ok: false,
            subscriptions: vec![],
            message: "this console's steps do not talk to Azure (a scripted rehearsal)".into(),
            fix: None,
            code: None,
        }
    }

    /// The wizard's network page: where the console runs and its VNet's subnets. Executors
    /// that do not talk to Azure say so.
    async fn network_offer(
        &self,
        _request: super::network_offer::OfferRequest,
    ) -> super::network_offer::NetworkOffer {
        super::network_offer::NetworkOffer::unknown(
            "where the console runs is not known: this console's steps do not talk to Azure (a scripted rehearsal)",
        )
    }
}

/// What a step attempt gets from the worker.
pub struct StepContext {
    pub install: InstallId,
    pub step: StepId,
    /// Which attempt of this step (1 for the first, + 1 per resume or retry).
    pub attempt: i64,
    /// Which try within the attempt (1, then + 1 per automatic retry).
    pub try_number: u32,
    pub spec: Arc<InstallSpec>,
    pub planned: PlannedStep,
    /// Outputs of every step already completed in this install (this run or earlier ones).
    pub outputs: Arc<BTreeMap<StepId, serde_json::Value>>,
    /// What this step saved mid-step (in an earlier attempt or this one), if anything.
    pub(super) saved: std::sync::Mutex<Option<serde_json::Value>>,
    /// Held across a checkpoint's read, change and commit (see [`Self::update_checkpoint`]).
    pub(super) checkpoint_writes: tokio::sync::Mutex<()>,
    pub(super) store: Store,
    pub(super) lease: Lease,
    pub(super) stop: CancellationToken,
    /// Another step of the run failed for good: this one tries no more (its try in progress
    /// still finishes, so an operation in flight reaches a stable state).
    pub(super) run_failing: CancellationToken,
    /// Set for a step run outside any run (preflight on demand): nothing is journalled, verdicts
    /// are collected here instead.
    pub(super) detached: Option<std::sync::Mutex<super::on_demand::Collected>>,
}

impl StepContext {
    /// The Azure connection saved on the settings page, as it is now (a change applies from
    /// the next step on). The step gets this value, never the database.
    pub async fn saved_azure_connection(
        &self,
    ) -> Result<Option<crate::azure::connection::SavedConnection>, StepError> {
        self.store.azure_connection().await.map_err(|e| {
            StepError::retryable(
                "ConsoleSettings",
                format!("the saved Azure settings could not be read: {e}"),
                None,
            )
        })
    }

    /// Whether this step runs outside any run (preflight on demand): it must create nothing.
    pub fn is_on_demand(&self) -> bool {
        self.detached.is_some()
    }

    /// Call before every external call: `Err` once the step must stop (cancel, shutdown, lease
    /// lost, database failing).
    pub fn guard(&self) -> Result<(), StepError> {
        if self.stop.is_cancelled() {
            Err(StepError::Stopped)
        } else {
            Ok(())
        }
    }

    /// Resolves when the step must stop; select on it while waiting.
    pub async fn stopped(&self) {
        self.stop.cancelled().await;
    }

    /// Report progress (shown live on the install page).
    pub async fn progress(&self, message: impl Into<String>) -> Result<(), StepError> {
        self.event(EventKind::Progress, Level::Info, message.into())
            .await
    }

    /// A log line of this attempt.
    pub async fn log(&self, level: Level, message: impl Into<String>) -> Result<(), StepError> {
        self.event(EventKind::Log, level, message.into()).await
    }

    /// What this step last saved with [`StepContext::checkpoint`] (in any attempt).
    pub fn saved_checkpoint(&self) -> Option<serde_json::Value> {
        self.saved.lock().ok().and_then(|s| s.clone())
    }

    /// Save what a resumed attempt needs (e.g. an operation's `Azure-AsyncOperation` URL),
    /// committed before this returns.
    pub async fn checkpoint(&self, value: &serde_json::Value) -> Result<(), StepError> {
        if self.detached.is_some() {
            if let Ok(mut saved) = self.saved.lock() {
                *saved = Some(value.clone());
            }
            return Ok(());
        }
        self.store
            .checkpoint_step(&self.lease, self.step, value)
            .await?;
        if let Ok(mut saved) = self.saved.lock() {
            *saved = Some(value.clone());
        }
        Ok(())
    }

    /// Change the saved checkpoint with `edit` and commit it, one change at a time: parts of a
    /// step that run side by side (each following its own operation) never lose each other's
    /// entries, as a read, change and save of their own could (the save awaits the database).
    pub async fn update_checkpoint(
        &self,
        edit: impl FnOnce(&mut serde_json::Value),
    ) -> Result<(), StepError> {
        let _one_at_a_time = self.checkpoint_writes.lock().await;
        let mut value = self
            .saved_checkpoint()
            .unwrap_or_else(|| serde_json::json!({}));
        edit(&mut value);
        self.checkpoint(&value).await
    }

    /// The install's uploaded certificate chain and key (PEM), opened; `None` unless both are
    /// stored. Their values never go into an event or the step's outputs.
    pub async fn uploaded_certificate(
        &self,
    ) -> Result<Option<(secrecy::SecretString, secrecy::SecretString)>, StepError> {
        let certificate = self
            .secret(crate::store::SecretName::TlsCertificate)
            .await?;
        let key = self.secret(crate::store::SecretName::TlsKey).await?;
        Ok(certificate.zip(key))
    }

    /// The trial certificate kept for this install behind an Application Gateway (PEM chain
    /// and key), opened; `None` until one is kept.
    pub async fn trial_certificate(
        &self,
    ) -> Result<Option<(secrecy::SecretString, secrecy::SecretString)>, StepError> {
        let certificate = self
            .secret(crate::store::SecretName::TrialCertificate)
            .await?;
        let key = self.secret(crate::store::SecretName::TrialKey).await?;
        Ok(certificate.zip(key))
    }

    /// Keep a trial certificate (sealed): `replace` overwrites the one kept, otherwise the
    /// first kept wins (two steps may make one at once). Read it back with
    /// [`StepContext::trial_certificate`].
    pub async fn keep_trial_certificate(
        &self,
        certificate: &secrecy::SecretString,
        key: &secrecy::SecretString,
        replace: bool,
    ) -> Result<(), StepError> {
        use crate::store::SecretName::{TrialCertificate, TrialKey};
        let pair = [(TrialCertificate, certificate), (TrialKey, key)];
        if replace {
            self.store.put_secrets(self.install, &pair).await?;
        } else {
            self.store
                .put_secrets_if_absent(self.install, &pair)
                .await?;
        }
        Ok(())
    }

    /// A check's verdict (preflight): collected when the step runs on demand; in a run the
    /// step's outputs and log carry it already.
    pub fn report_check(&self, verdict: super::on_demand::CheckVerdict) {
        if let Some(Ok(mut collected)) = self.detached.as_ref().map(|c| c.lock()) {
            collected.verdicts.push(verdict);
        }
    }

    async fn secret(
        &self,
        name: crate::store::SecretName,
    ) -> Result<Option<secrecy::SecretString>, StepError> {
        match self.store.secret(self.install, name).await {
            Ok(secret) => Ok(secret),
            Err(StoreError::Corrupt(message)) => Err(StepError::terminal(
                "SecretUnreadable",
                message,
                "Restore the data dir's secret.key from its backup, or upload the certificate and key again, then resume.",
            )),
            Err(e) => Err(e.into()),
        }
    }

    async fn event(&self, kind: EventKind, level: Level, message: String) -> Result<(), StepError> {
        // The same line in the process log, inside the attempt's span (install, step, attempt).
        match level {
            Level::Info => tracing::info!(target: "katonic_console::step", "{message}"),
            Level::Warn => tracing::warn!(target: "katonic_console::step", "{message}"),
            Level::Error => tracing::error!(target: "katonic_console::step", "{message}"),
        }
        // Outside a run there is no journal: the line went to the process log above.
        if self.detached.is_some() {
            return Ok(());
        }
        let event = NewEvent::step_line(kind, level, self.step, self.attempt, message);
        self.store.append_event_fenced(&self.lease, event).await?;
        Ok(())
    }
}
