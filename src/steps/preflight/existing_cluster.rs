//! Bring-your-own cluster: it must exist, have succeeded, use managed identities, let the
//! console in, and qualify.

use serde_json::Value;

use super::cluster_access;
use super::verdict::Checks;
use crate::azure::{ArmClient, api};
use crate::steps::errors::step_error;
use crate::steps::qualify::{self, Severity};
use crate::worker::{StepContext, StepError};

const CHECK: &str = "existing cluster";

/// The cluster is ready; then who the console signs in as, and whether the cluster qualifies.
pub(super) async fn ready(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    ctx.guard()?;
    let name = ctx.spec.cluster.name.as_str();
    let cluster = arm
        .get(
            &crate::steps::aks::cluster_path(ctx),
            api::CONTAINER_SERVICE,
        )
        .await
        .map_err(|e| step_error("reading the existing cluster", e))?;
    let Some(cluster) = cluster else {
        return checks
            .fail(
                CHECK,
                format!(
                    "cluster {name} was not found in resource group {}",
                    ctx.spec.azure.resource_group
                ),
                "Check cluster.name and azure.resourceGroup, or set cluster.mode: create.",
            )
            .await;
    };
    if !usable(name, &cluster, checks).await? {
        return Ok(());
    }
    cluster_access::check(ctx, arm, &cluster, checks).await?;
    qualifies(ctx, &cluster, checks).await
}

/// Provisioning succeeded and the kubelet has a managed identity; says whether both hold.
async fn usable(name: &str, cluster: &Value, checks: &mut Checks<'_>) -> Result<bool, StepError> {
    let state = cluster
        .pointer("/properties/provisioningState")
        .and_then(Value::as_str)
        .unwrap_or("Succeeded");
    let version = cluster
        .pointer("/properties/currentKubernetesVersion")
        .and_then(Value::as_str)
        .unwrap_or("?");
    if !state.eq_ignore_ascii_case("succeeded") {
        checks
            .fail(
                CHECK,
                format!("cluster {name} is {state}"),
                "Wait for its current operation to finish, or fix it in Azure, then resume.",
            )
            .await?;
        return Ok(false);
    }
    if cluster
        .pointer("/properties/identityProfile/kubeletidentity/objectId")
        .is_none()
    {
        checks.fail(CHECK, format!("cluster {name} has no managed kubelet identity"), "Use a cluster with managed identities: the console grants them registry and storage access.").await?;
        return Ok(false);
    }
    checks
        .pass(
            CHECK,
            format!("cluster {name} is ready (Kubernetes {version})"),
        )
        .await?;
    Ok(true)
}

/// Does it qualify: version, network policy, pools and labels, private API server.
async fn qualifies(
    ctx: &StepContext,
    cluster: &Value,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    for finding in qualify::qualify(&ctx.spec, cluster) {
        let fix = finding.fix.unwrap_or_default();
        match finding.severity {
            Severity::Pass => checks.pass(finding.check, finding.detail).await?,
            Severity::Warn => checks.warn(finding.check, finding.detail, fix).await?,
            Severity::Fail => checks.fail(finding.check, finding.detail, fix).await?,
        }
    }
    Ok(())
}
