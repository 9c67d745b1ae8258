//! The install page's topology once the install ran: what the plan left open ("newest
//! supported" Kubernetes, storage account and registry names derived at provisioning) shown as
//! the steps resolved it, from their stored outputs.

use crate::store::{StepRecord, StepStatus};
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
