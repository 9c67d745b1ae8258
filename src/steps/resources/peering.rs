//! `cluster.access: peering`: the console's VNet and the cluster's peered in both directions,
//! and the cluster's private DNS zone linked to the console's VNet, so the console reaches the
//! private API server by its name. Both VNets come from preflight's `peering` output; when
//! preflight resolved another mode (the console already in the cluster's VNet) these steps do
//! nothing. Idempotent: deterministic names, adopted when already in shape.
//!
//! Bodies per the Network spec's `VirtualNetworkPeering` and Private DNS's
//! `VirtualNetworkLink` (shared/azure-specs, read 2026-12-07).

use super::super::ensure::ensure;
use super::super::errors::step_error;
use super::{body, names};
use crate::azure::resources::install_tags;
use crate::azure::{ArmClient, api};
use crate::worker::{StepContext, StepError};
use katonic_domain::plan::StepId;
use serde_json::{Value, json};

/// The two VNets preflight decided to peer, or `None` when it resolved another mode.
fn vnets(ctx: &StepContext) -> Option<(String, String)> {
    let p = ctx.outputs.get(&StepId::Preflight)?.get("peering")?;
    Some((
        p.get("consoleVnetId")?.as_str()?.to_string(),
        p.get("clusterVnetId")?.as_str()?.to_string(),
    ))
}

fn skipped(ctx: &StepContext) -> Value {
    let mode = ctx
        .outputs
        .get(&StepId::Preflight)
        .and_then(|o| o.get("clusterAccess"))
        .cloned()
        .unwrap_or(Value::Null);
    json!({ "skipped": "preflight resolved no peering (the console reaches the cluster otherwise)", "clusterAccess": mode })
}

fn peering_body(remote_vnet: &str) -> Value {
    json!({
        "properties": {
            "remoteVirtualNetwork": { "id": remote_vnet },
            "allowVirtualNetworkAccess": true,
            "allowForwardedTraffic": false,
            "allowGatewayTransit": false,
            "useRemoteGateways": false,
        }
    })
}

/// Peer the console's VNet with the cluster's, then back (Azure shows `Initiated` until the
/// second side exists, then `Connected` on both).
pub async fn peering(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let Some((console, cluster)) = vnets(ctx) else {
        ctx.progress("no peering needed").await?;
        return Ok(skipped(ctx));
    };
    let name = names::peering(&ctx.spec);
    let console_side = format!("{console}/virtualNetworkPeerings/{name}");
    let cluster_side = format!("{cluster}/virtualNetworkPeerings/{name}");
    ensure(
        ctx,
        arm,
        &console_side,
        api::NETWORK,
        &peering_body(&cluster),
        "peering from the console's VNet",
    )
    .await?;
    let back = ensure(
        ctx,
        arm,
        &cluster_side,
        api::NETWORK,
        &peering_body(&console),
        "peering from the cluster's VNet",
    )
    .await?;
    let state = back
        .pointer("/properties/peeringState")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    ctx.progress(format!("VNets peered both ways ({state})"))
        .await?;
    Ok(json!({
        "consoleSide": console_side,
        "clusterSide": cluster_side,
        "consoleVnetId": console,
        "clusterVnetId": cluster,
        "peeringState": state,
    }))
}

/// The cluster's private DNS zone: in its node resource group, named after the API server's
/// private FQDN (`<name>.<guid>.privatelink.<region>.azmk8s.io` → `privatelink.<region>.azmk8s.io`).
async fn private_zone(ctx: &StepContext, arm: &ArmClient) -> Result<String, StepError> {
    ctx.guard()?;
    let cluster = arm
        .get(
            &crate::steps::aks::cluster_path(ctx),
            api::CONTAINER_SERVICE,
        )
        .await
        .map_err(|e| step_error("reading the cluster", e))?
        .unwrap_or(Value::Null);
    let props = &cluster["properties"];
    let node_rg = props["nodeResourceGroup"].as_str();
    let fqdn = props["privateFQDN"].as_str().map(str::to_ascii_lowercase);
    let zone = fqdn
        .as_deref()
        .and_then(|f| f.find("privatelink.").map(|at| f[at..].to_string()));
    match (node_rg, zone) {
        (Some(rg), Some(zone)) => Ok(format!(
            "/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.Network/privateDnsZones/{zone}",
            ctx.spec.azure.subscription_id
        )),
        _ => Err(StepError::terminal(
            "PrivateZoneUnknown",
            "the cluster shows no node resource group or no private FQDN in a privatelink zone, so its private DNS zone cannot be found",
            "Check that the cluster is private with the system-managed private DNS zone, or link its zone to the console's VNet yourself and use cluster.access: direct.",
        )),
    }
}

/// Link the cluster's private DNS zone to the console's VNet (auto-registration off).
pub async fn dns_zone_link(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let Some((console, _)) = vnets(ctx) else {
        ctx.progress("no zone link needed").await?;
        return Ok(skipped(ctx));
    };
    let zone = private_zone(ctx, arm).await?;
    let link = format!("{zone}/virtualNetworkLinks/{}", names::peering(&ctx.spec));
    let desired = json!({
        "location": "global",
        "tags": install_tags(&ctx.install.to_string()),
        "properties": {
            "virtualNetwork": { "id": console },
            "registrationEnabled": false,
        }
    });
    ensure(
        ctx,
        arm,
        &link,
        api::PRIVATE_DNS,
        &body(&desired)?,
        "private DNS zone link to the console's VNet",
    )
    .await?;
    Ok(json!({ "linkId": link, "zoneId": zone, "consoleVnetId": console }))
}
