//! Ingress routes: one per host, applied by the console.

use serde_json::Value;

use super::{connect, kube_error, report};
use crate::azure::ArmClient;
use crate::cluster::apply::Applied;
use crate::cluster::manifests::{self};
use crate::cluster::reach::ClusterReach;
use crate::worker::{StepContext, StepError};

/// The Ingress of one host (the platform's or an add-on's), applied by the console so host
/// names and certificates never depend on an image we cannot inspect.
pub(super) async fn apply_route(
    reach: &ClusterReach,
    spec: &katonic_domain::spec::InstallSpec,
    ingress_name: &str,
) -> Result<Applied, StepError> {
    let routes = manifests::ingress_routes(&spec.domain.fqdn, &spec.addons);
    let route = routes
        .into_iter()
        .find(|r| r.ingress_name == ingress_name)
        .ok_or_else(|| {
            StepError::terminal(
                "AddonDisabled",
                format!("{ingress_name} is not part of this install's spec"),
                "Enable the add-on in the spec (clone the install), or skip this step.",
            )
        })?;
    let ingress = manifests::ingresses(std::slice::from_ref(&route))
        .pop()
        .ok_or_else(|| StepError::terminal("Internal", "no Ingress built", "Retry the step."))?;
    reach.apply_namespaced(&ingress).await.map_err(kube_error)
}

/// An add-on's host: its Ingress (the platform installer deploys the add-on itself, told by
/// the settings ConfigMap).
pub async fn addon(
    ctx: &StepContext,
    arm: &ArmClient,
    ingress_name: &str,
) -> Result<Value, StepError> {
    let reach = connect(ctx, arm).await?;
    let applied = apply_route(&reach, &ctx.spec, ingress_name).await?;
    report(ctx, &[applied]).await
}
