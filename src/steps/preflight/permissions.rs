//! The console's own permissions: it may write role assignments in the resource group (the
//! vendor guide's custom role), which the identity step needs.

use serde_json::Value;

use super::list;
use super::verdict::Checks;
use crate::azure::{ArmClient, api};
use crate::steps::errors::step_error;
use crate::worker::{StepContext, StepError};

/// The caller may write role assignments (the vendor guide's custom role).
pub(super) async fn role_assignments(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    ctx.guard()?;
    let a = &ctx.spec.azure;
    let path = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Authorization/permissions",
        a.subscription_id, a.resource_group
    );
    let permissions = match arm.get(&path, api::AUTHORIZATION).await {
        Ok(Some(body)) => list::<Value>(Some(body), "value"),
        Ok(None) => {
            return checks
                .warn("permissions", format!("resource group {} does not exist yet, so its permissions cannot be read", a.resource_group), "The role-assignment permission is checked again when the identity step assigns its role.")
                .await;
        }
        Err(e) => return Err(step_error("reading the console's permissions", e)),
    };
    let allowed = crate::azure::permissions::granted(
        &permissions,
        "Microsoft.Authorization/roleAssignments/write",
    );
    if allowed {
        checks
            .pass(
                "permissions",
                "the console may write role assignments in the resource group".to_string(),
            )
            .await
    } else {
        checks
            .fail("permissions", "the console's identity may not write role assignments (Microsoft.Authorization/roleAssignments/write)".to_string(), "Assign it User Access Administrator, or the vendor guide's custom role \"AKS-Vnet-Permission\", on the resource group.")
            .await
    }
}

/// What the way preflight chose to reach the cluster needs of the console's identity: Run
/// Command's action in the cluster's resource group, or (peering) the peering write in the
/// console's VNet's group (the cluster's side is in the install's scope). Action names from the
/// Azure resource provider operations list (checked 2026-12-07).
pub(super) async fn for_reach(
    ctx: &StepContext,
    arm: &ArmClient,
    reach: &Value,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    let group_of = |id: &str| {
        let at = id.to_ascii_lowercase().find("/providers/")?;
        Some(id[..at].to_string())
    };
    let (scope, action, fix) = match reach["clusterAccess"].as_str() {
        Some("runCommand") => (
            group_of(&crate::steps::aks::cluster_path(ctx)),
            "Microsoft.ContainerService/managedClusters/runcommand/action",
            "Assign the console's identity a role with it on the cluster's resource group (Azure Kubernetes Service Contributor has it), or run the console in the cluster's VNet.",
        ),
        Some("peering") => (
            reach
                .pointer("/peering/consoleVnetId")
                .and_then(Value::as_str)
                .and_then(group_of),
            "Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write",
            "Assign the console's identity Network Contributor on its own VNet (or its resource group), or set cluster.access to runCommand.",
        ),
        _ => return Ok(()),
    };
    let Some(scope) = scope else { return Ok(()) };
    // A group the install creates does not exist yet: what holds there is inherited from the
    // subscription.
    let subscription = format!("/subscriptions/{}", ctx.spec.azure.subscription_id);
    let mut permissions = None;
    for at in [&scope, &subscription] {
        ctx.guard()?;
        let path = format!("{at}/providers/Microsoft.Authorization/permissions");
        match arm.get(&path, api::AUTHORIZATION).await {
            Ok(Some(body)) => {
                permissions = Some((list::<Value>(Some(body), "value"), at.clone()));
                break;
            }
            Ok(None) => continue,
            Err(e) => return Err(step_error("reading the console's permissions", e)),
        }
    }
    let Some((permissions, scope)) = permissions else {
        return checks
            .warn(
                "permissions",
                format!("{scope} does not exist yet, so {action} cannot be checked there"),
                "It is checked again when the step needs it.",
            )
            .await;
    };
    if crate::azure::permissions::granted(&permissions, action) {
        checks
            .pass(
                "permissions",
                format!("the console may {action} in {scope}"),
            )
            .await
    } else {
        checks
            .fail(
                "permissions",
                format!("the console's identity lacks {action} in {scope}, which the chosen way to the cluster needs"),
                fix,
            )
            .await
    }
}
