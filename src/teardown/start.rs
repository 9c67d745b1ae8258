//! From an install to its preview, and from an approved preview to a queued teardown run.

use super::{Preview, preview};
use crate::azure::{ArmClient, ArmError};
use crate::store::{InstallId, InstallRecord, StepStatus, Store, StoreError};
use katonic_domain::plan::StepId;
use katonic_domain::spec::InstallSpec;
use std::collections::BTreeMap;

/// Why a preview or a teardown could not be made.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("no install with id {0}")]
    NotFound(InstallId),
    #[error("install {0} never had a valid spec, so it created nothing to tear down")]
    NoSpec(InstallId),
    #[error("install {0} is itself a teardown; tear down the install it names instead")]
    IsTeardown(InstallId),
    #[error("the stored spec no longer parses: {0}")]
    Spec(String),
    #[error(
        "this console has no Azure client (its steps are scripted), so it cannot read what to delete"
    )]
    NoAzure,
    #[error("reading the install's resources from Azure: {0}")]
    Azure(#[from] ArmError),
    #[error(
        "what would be deleted changed since the preview ({expected} then, {now} now): review it again"
    )]
    Changed { expected: usize, now: usize },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The install and what a teardown of it would do now.
pub async fn load_preview(
    store: &Store,
    arm: Option<&ArmClient>,
    id: InstallId,
) -> Result<(InstallRecord, Preview), StartError> {
    let record = store.install(id).await?.ok_or(StartError::NotFound(id))?;
    if store.teardown_target(id).await?.is_some() {
        return Err(StartError::IsTeardown(id));
    }
    let doc = record.spec.as_ref().ok_or(StartError::NoSpec(id))?;
    let spec = InstallSpec::parse(doc).map_err(|e| {
        StartError::Spec(
            e.errors
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let mut outputs = BTreeMap::new();
    for step in store.steps(id).await? {
        if let (StepStatus::Succeeded, Some(out)) = (step.status, step.outputs) {
            outputs.insert(step.step_id, out);
        }
    }
    let arm = arm.ok_or(StartError::NoAzure)?;
    let arm = arm.for_install(&id.to_string());
    let preview = preview(&arm, &id.to_string(), &spec, &outputs).await?;
    Ok((record, preview))
}

/// Create and queue a teardown of `id` with what a fresh preview finds. `expected`: the number
/// of resources the admin saw and approved; a different count now refuses (review again).
pub async fn start(
    store: &Store,
    arm: Option<&ArmClient>,
    id: InstallId,
    expected: Option<usize>,
) -> Result<(InstallId, Preview), StartError> {
    let (record, preview) = load_preview(store, arm, id).await?;
    if let Some(expected) = expected
        && expected != preview.deleting()
    {
        return Err(StartError::Changed {
            expected,
            now: preview.deleting(),
        });
    }
    let original = record.plan.as_ref().ok_or(StartError::NoSpec(id))?;
    let plan = katonic_domain::plan::teardown::plan(original, &preview.steps());
    let approved = serde_json::json!({ "approved": preview });
    let teardown = store
        .create_teardown(id, &plan, StepId::TeardownInventory, &approved)
        .await?;
    Ok((teardown, preview))
}
