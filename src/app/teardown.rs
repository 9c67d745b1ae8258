//! From an install to its teardown preview (read from Azure by the worker), and from an approved
//! preview to a queued, audited teardown run.

use super::{Actor, App, AppError};
use crate::store::{AuditAction, InstallId, InstallRecord, InstallStatus, StepStatus};
use crate::teardown::{Preview, PreviewError};
use katonic_domain::plan::StepId;
use katonic_domain::spec::InstallSpec;
use std::collections::BTreeMap;

/// Why a preview or a teardown could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TeardownError {
    #[error("install {0} never had a valid spec, so it created nothing to tear down")]
    NoSpec(InstallId),
    #[error("install {0} is itself a teardown; tear down the install it names instead")]
    IsTeardown(InstallId),
    #[error("install {0} is a draft: it never ran, so nothing of it exists to tear down")]
    Draft(InstallId),
    #[error("the stored spec no longer parses: {0}")]
    Spec(String),
    #[error(transparent)]
    Read(#[from] PreviewError),
    #[error(
        "what would be deleted changed since the preview ({expected} then, {now} now): review it again"
    )]
    Changed { expected: usize, now: usize },
    /// The admin did not type the install's name.
    #[error(
        "confirm: type the install's name exactly ({expected:?}) to delete its resources; got {got:?}"
    )]
    NotConfirmed { expected: String, got: String },
}

/// What the admin approved: the install's name typed again, and the count of resources shown.
#[derive(Debug, Clone, Default)]
pub struct Approval {
    pub typed_name: String,
    pub expected: Option<usize>,
}

impl App {
    /// The install and what a teardown of it would do now.
    pub async fn teardown_preview(
        &self,
        id: InstallId,
    ) -> Result<(InstallRecord, Preview), AppError> {
        let record = self.install(id).await?;
        if self.store.teardown_target(id).await?.is_some() {
            return Err(TeardownError::IsTeardown(id).into());
        }
        if record.status == InstallStatus::Draft {
            return Err(TeardownError::Draft(id).into());
        }
        let doc = record.spec.as_ref().ok_or(TeardownError::NoSpec(id))?;
        let spec = InstallSpec::parse(doc).map_err(|e| {
            TeardownError::Spec(
                e.errors
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        let outputs = self.ledger_outputs(id).await?;
        let preview = self
            .worker
            .preview_teardown(id, spec, outputs)
            .await
            .map_err(TeardownError::from)?;
        Ok((record, preview))
    }

    /// The succeeded steps' outputs: what the install recorded creating.
    async fn ledger_outputs(
        &self,
        id: InstallId,
    ) -> Result<BTreeMap<StepId, serde_json::Value>, AppError> {
        let mut outputs = BTreeMap::new();
        for step in self.store.steps(id).await? {
            if let (StepStatus::Succeeded, Some(out)) = (step.status, step.outputs) {
                outputs.insert(step.step_id, out);
            }
        }
        Ok(outputs)
    }

    /// Create and queue a teardown of `id` with what a fresh preview finds, once the admin typed
    /// the install's name; a different count of resources than the one approved refuses (review
    /// again).
    pub async fn start_teardown(
        &self,
        by: &Actor,
        id: InstallId,
        approval: &Approval,
    ) -> Result<(InstallId, Preview), AppError> {
        let install = self.install(id).await?;
        let typed = approval.typed_name.trim();
        if typed != install.name {
            return Err(TeardownError::NotConfirmed {
                expected: install.name,
                got: typed.to_string(),
            }
            .into());
        }
        let (record, preview) = self.teardown_preview(id).await?;
        if let Some(expected) = approval.expected
            && expected != preview.deleting()
        {
            return Err(TeardownError::Changed {
                expected,
                now: preview.deleting(),
            }
            .into());
        }
        let original = record.plan.as_ref().ok_or(TeardownError::NoSpec(id))?;
        let plan = katonic_domain::plan::teardown::plan(original, &preview.steps());
        let approved = serde_json::json!({ "approved": preview });
        let teardown = self
            .store
            .create_teardown(id, &plan, StepId::TeardownInventory, &approved)
            .await?;
        self.worker.wake();
        let detail = format!("teardown {teardown} of {} resources", preview.deleting());
        self.audit(by, AuditAction::Teardown, Some(id), &detail)
            .await;
        Ok((teardown, preview))
    }
}
