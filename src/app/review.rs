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
