//! The install page's plan once the install ran: what the plan left open ("newest supported"
//! Kubernetes, storage account and registry names derived at provisioning) shown as the steps
//! resolved it, from their stored outputs, in the topology, the resources and the step details.

use super::views::PlanView;
use crate::store::{StepRecord, StepStatus};
use katonic_domain::plan::InstallPlan;
use katonic_domain::plan::StepId;
use katonic_domain::spec::{InstallDocument, InstallSpec, Scalar};

/// `doc` with the values the succeeded steps chose written in, parsed; `None` when it does not
/// parse (the caller then draws the spec as planned).
pub fn resolved_spec(doc: &InstallDocument, steps: &[StepRecord]) -> Option<InstallSpec> {
    let output = |step: StepId, key: &str| {
        steps
            .iter()
            .find(|s| s.step_id == step && s.status == StepStatus::Succeeded)
            .and_then(|s| s.outputs.as_ref())
            .and_then(|o| o.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let mut doc = doc.clone();
    if doc.cluster.kubernetes_version.is_none() {
        doc.cluster.kubernetes_version =
            output(StepId::Preflight, "kubernetesVersion").map(Scalar::Text);
    }
    if doc.storage.account_name.is_none() {
        doc.storage.account_name = output(StepId::Storage, "name");
    }
    if doc.registry.name.is_none() {
        doc.registry.name = output(StepId::Registry, "name");
    }
    InstallSpec::parse(&doc).ok()
}

/// The plan as the install page shows it: `stored` with its topology while nothing resolved
/// anything; re-made from the resolved spec once a step did (the same steps: names and the
/// version do not change the DAG, only what the page says).
pub fn plan_view(
    stored: &InstallPlan,
    doc: Option<&InstallDocument>,
    steps: &[StepRecord],
) -> PlanView {
    let planned = doc.and_then(|d| InstallSpec::parse(d).ok());
    let resolved = doc.and_then(|d| resolved_spec(d, steps));
    match (resolved, planned) {
        (Some(resolved), Some(planned)) if resolved != planned => {
            let plan = InstallPlan::from_spec(&resolved, crate::clock::today());
            PlanView::new(&plan, steps).with_topology(&resolved)
        }
        (_, Some(planned)) => PlanView::new(stored, steps).with_topology(&planned),
        _ => PlanView::new(stored, steps),
    }
}
