//! What admins do with an install's runs: start, resume, retry a step, cancel. Each checks what
//! the install's state allows (`rules`; the store refuses a state that changed in between,
//! naming it), wakes the worker and is audited once it took effect.

use super::rules::Action;
use super::{Actor, App, AppError};
use crate::store::{AuditAction, CancelOutcome, InstallId};
use katonic_domain::plan::StepId;
use katonic_domain::spec::InstallSpec;

impl App {
    /// Queue a valid draft; refused (naming the field) while its uploaded certificate is
    /// missing, expired or does not cover its hosts.
    pub async fn start(&self, by: &Actor, id: InstallId) -> Result<(), AppError> {
        let install = self.install(id).await?;
        // Without a valid spec the store refuses the start itself, saying so.
        if let Some(spec) = install
            .spec
            .as_ref()
            .and_then(|doc| InstallSpec::parse(doc).ok())
        {
            super::certificate::ensure_ready(
                &self.store,
                id,
                &spec,
                time::OffsetDateTime::now_utc(),
            )
            .await?;
        }
        self.store.queue_install(id).await?;
        self.worker.wake();
        self.audit(by, AuditAction::Start, Some(id), "").await;
        Ok(())
    }

    /// Queue a failed or interrupted install (or a stopped teardown) again.
    pub async fn resume(&self, by: &Actor, id: InstallId) -> Result<(), AppError> {
        self.state(id).await?.check(Action::Resume)?;
        self.store.request_resume(id).await?;
        self.worker.wake();
        self.audit(by, AuditAction::Resume, Some(id), "").await;
        Ok(())
    }

    /// Run one step again.
    pub async fn retry_step(
        &self,
        by: &Actor,
        id: InstallId,
        step: StepId,
    ) -> Result<(), AppError> {
        let status = (self.store.steps(id).await?.iter())
            .find(|s| s.step_id == step)
            .map(|s| s.status)
            .ok_or(crate::store::StoreError::NoSuchStep { id, step })?;
        self.state(id)
            .await?
            .check(Action::RetryStep { step, status })?;
        self.store.request_retry_step(id, step).await?;
        self.worker.wake();
        self.audit(by, AuditAction::RetryStep, Some(id), step.as_str())
            .await;
        Ok(())
    }

    /// Cancel a queued or running install.
    pub async fn cancel(&self, by: &Actor, id: InstallId) -> Result<CancelOutcome, AppError> {
        let outcome = self.store.request_cancel(id).await?;
        self.worker.cancel(id);
        self.audit(by, AuditAction::Cancel, Some(id), "").await;
        Ok(outcome)
    }
}
