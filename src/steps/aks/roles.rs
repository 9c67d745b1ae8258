//! The cluster's access to the registry, storage and the ingress's public IP: role assignments
//! for its kubelet and control-plane identities.

use super::{cluster_body, encode};
use crate::azure::resources::{self, authorization};
use crate::azure::{ArmClient, api};
use crate::steps::errors::step_error;
use crate::steps::output;
use crate::worker::{StepContext, StepError};
use katonic_domain::plan::StepId;
use katonic_domain::spec::LbMode;
use reqwest::Method;
use serde_json::{Value, json};

/// Assign `role` to `principal` on `scope`, idempotently (deterministic name; an existing
/// identical assignment counts as done). A principal created moments ago may not have
/// replicated yet: `PrincipalNotFound` is retried by the worker.
pub async fn assign_role(
    ctx: &StepContext,
    arm: &ArmClient,
    scope: &str,
    role: &str,
    principal: &str,
    what: &str,
) -> Result<(), StepError> {
    ctx.guard()?;
    let sub = ctx.spec.azure.subscription_id.as_str();
    let path = authorization::assignment_path(scope, role, principal);
    let body = encode(&authorization::RoleAssignment::service_principal(
        sub, role, principal,
    ))?;
    match arm
        .call(Method::PUT, &path, api::AUTHORIZATION, Some(&body))
        .await
    {
        Ok(_) => {}
        Err(e) if e.code() == "RoleAssignmentExists" => {}
        Err(e) => return Err(step_error(&format!("assigning {what}"), e)),
    }
    ctx.progress(format!("{what}: assigned")).await
}

/// The principals a cluster acts as: (kubelet object id, control-plane principal id). From the
/// cluster and identity steps' outputs when this install created the cluster, else read from
/// Azure (a bring-your-own cluster).
async fn cluster_principals(
    ctx: &StepContext,
    arm: &ArmClient,
) -> Result<(String, String), StepError> {
    if let (Ok(kubelet), Ok(identity)) = (
        output(ctx, StepId::AksCluster, "kubeletObjectId"),
        output(ctx, StepId::Identity, "principalId"),
    ) {
        return Ok((kubelet.to_string(), identity.to_string()));
    }
    let cluster = cluster_body(ctx, arm).await?;
    let kubelet = cluster
        .pointer("/properties/identityProfile/kubeletidentity/objectId")
        .and_then(Value::as_str);
    // A system-assigned identity has its principal on the cluster; a user-assigned one under
    // its resource id.
    let control_plane = cluster
        .pointer("/identity/principalId")
        .and_then(Value::as_str)
        .or_else(|| {
            cluster
                .pointer("/identity/userAssignedIdentities")
                .and_then(Value::as_object)
                .and_then(|ids| {
                    ids.values()
                        .find_map(|v| v.get("principalId").and_then(Value::as_str))
                })
        });
    match (kubelet, control_plane) {
        (Some(k), Some(c)) => Ok((k.to_string(), c.to_string())),
        _ => Err(StepError::terminal(
            "ClusterIdentityMissing",
            format!(
                "cluster {} has no managed kubelet or control-plane identity",
                ctx.spec.cluster.name
            ),
            "Use a cluster with managed identities (not a service principal): the console grants them registry and storage access.",
        )),
    }
}

/// AcrPull for the nodes; Storage Account Contributor for the Azure Files driver; Network
/// Contributor on the resource group of the external ingress's public IP.
pub async fn role_assignments(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let (kubelet, identity) = cluster_principals(ctx, arm).await?;
    let registry = output(ctx, StepId::Registry, "id")?;
    assign_role(
        ctx,
        arm,
        registry,
        authorization::ACR_PULL,
        &kubelet,
        "AcrPull for the nodes on the registry",
    )
    .await?;
    let mut assigned = vec!["AcrPull"];
    if ctx.spec.storage.shared_files {
        let account = output(ctx, StepId::Storage, "id")?;
        assign_role(
            ctx,
            arm,
            account,
            authorization::STORAGE_ACCOUNT_CONTRIBUTOR,
            &identity,
            "Storage Account Contributor for the cluster identity on the storage account",
        )
        .await?;
        assigned.push("Storage Account Contributor");
    }
    if ctx.spec.ingress.load_balancer == LbMode::External {
        // AKS attaches a public IP outside its node resource group only with this grant
        // ("Use a static public IP address and DNS label with the AKS load balancer").
        let group = resources::resource_group_id(
            ctx.spec.azure.subscription_id.as_str(),
            ctx.spec.azure.resource_group.as_str(),
        );
        assign_role(
            ctx,
            arm,
            &group,
            authorization::NETWORK_CONTRIBUTOR,
            &identity,
            &format!(
                "Network Contributor for the cluster identity on resource group {} (public IP {})",
                ctx.spec.azure.resource_group,
                katonic_domain::plan::names::ingress_public_ip(&ctx.spec)
            ),
        )
        .await?;
        assigned.push("Network Contributor");
    }
    Ok(json!({ "assigned": assigned }))
}
