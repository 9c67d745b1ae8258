//! From answers to a reviewed install: the spec parsed and the plan made, or every field error.
//! Shared by the wizard, the API and the CLI so all three apply exactly the same rules.

use katonic_domain::plan::InstallPlan;
use katonic_domain::spec::{InstallDocument, InstallSpec, SpecErrors};

/// A valid spec with its plan and canonical document.
#[derive(Debug, Clone)]
pub struct Reviewed {
    pub spec: InstallSpec,
    pub plan: InstallPlan,
    /// The canonical document (defaults written out): what is stored and exported.
    pub document: InstallDocument,
}

/// Validate `answers` and plan them; `today` dates lifecycle warnings.
pub fn review(answers: &InstallDocument, today: time::Date) -> Result<Reviewed, SpecErrors> {
    let spec = InstallSpec::parse(answers)?;
    let plan = InstallPlan::from_spec(&spec, today);
    let document = spec.to_document();
    Ok(Reviewed {
        spec,
        plan,
        document,
    })
}

pub use crate::clock::today;

impl Reviewed {
    /// What the store keeps of a valid draft.
    pub fn validated(&self) -> crate::store::Validated {
        crate::store::Validated {
            spec: self.document.clone(),
            plan: self.plan.clone(),
            subscription_id: self.spec.azure.subscription_id.to_string(),
            resource_group: self.spec.azure.resource_group.to_string(),
            cluster_name: self.spec.cluster.name.to_string(),
        }
    }
}

impl super::App {
    /// Run the preflight checks of install `id` now, through the worker's executor, creating
    /// nothing and journalling nothing (issue 16: check before queueing). Refused while the
    /// install has no valid spec, and on a teardown (it has no preflight).
    pub async fn preflight(
        &self,
        id: crate::store::InstallId,
    ) -> Result<crate::worker::PreflightReport, super::AppError> {
        let install = self.install(id).await?;
        let state = self.state(id).await?;
        let answers = install.spec.as_ref().unwrap_or(&install.answers);
        let spec = match InstallSpec::parse(answers) {
            Ok(spec) if !state.is_teardown => spec,
            Ok(_) => {
                return Err(super::rules::Refusal {
                    reason: format!("{} is a teardown: it has no preflight.", install.name),
                    fix: "Check the install it tears down instead.".to_string(),
                }
                .into());
            }
            Err(errors) => return Err(errors.into()),
        };
        let plan = InstallPlan::from_spec(&spec, today());
        Ok(self.worker.preflight_on_demand(id, spec, &plan).await)
    }
}

impl super::App {
    /// Settings' Test connection: a token and the visible subscriptions, with the saved
    /// settings now (only reads; nothing to audit).
    pub async fn test_connection(&self) -> crate::worker::ConnectionTest {
        self.worker.test_connection().await
    }
}
