//! The facts [`super::reach::decide`] needs, read through ARM (no writes): where the console
//! runs, the cluster's VNet (the one the install will create, the existing one it installs
//! into, or an existing cluster's), and for an existing cluster its private DNS zone's links.

use serde_json::{Value, json};

use super::list;
use super::reach::{self, Line, Target};
use super::verdict::Checks;
use crate::azure::placement::{self, Placement, PlacementSource};
use crate::azure::resources::resource_id;
use crate::azure::{ArmClient, api};
use crate::steps::errors::step_error;
use crate::steps::names;
use crate::worker::{StepContext, StepError};
use katonic_domain::spec::{ClusterAccess, ClusterMode};

const PLACEMENT: &str = "console placement";
const REACH: &str = "reaching the cluster";

/// Where the console runs and how it will reach the cluster: the preflight outputs
/// `consolePlacement` and `clusterAccess` (absent when the choice cannot work: the check fails).
pub(super) async fn resolve(
    ctx: &StepContext,
    arm: &ArmClient,
    source: &PlacementSource,
    checks: &mut Checks<'_>,
) -> Result<Value, StepError> {
    ctx.guard()?;
    let placement = placement::detect(source, arm).await;
    match &placement {
        Placement::Unresolved { .. } => {
            checks
                .warn(
                    PLACEMENT,
                    placement.describe(),
                    "Give the console's subnet with --console-subnet (or KATONIC_CONSOLE_SUBNET), or grant its identity Reader on its VM, NIC and VNet",
                )
                .await?
        }
        _ => checks.pass(PLACEMENT, placement.describe()).await?,
    }
    let target = target(ctx, arm, &placement).await?;
    let decision = reach::decide(ctx.spec.cluster.access, &placement, &target);
    // The peering steps read both VNets from here (the console's VNet is never re-detected).
    let peering = match (&placement, decision.mode, &target.vnet_id) {
        (Placement::Azure(network), Some(ClusterAccess::Peering), Some(cluster)) => {
            Some(json!({ "consoleVnetId": network.vnet_id, "clusterVnetId": cluster }))
        }
        _ => None,
    };
    for line in decision.lines {
        match line {
            Line::Pass(detail) => checks.pass(REACH, detail).await?,
            Line::Warn(detail, fix) => checks.warn(REACH, detail, fix).await?,
            Line::Fail(detail, fix) => checks.fail(REACH, detail, fix).await?,
        }
    }
    let mut outputs = json!({
        "consolePlacement": placement,
        "consolePlacementSummary": placement.summary(),
    });
    if let Some(mode) = decision.mode {
        outputs["clusterAccess"] = json!(mode.as_str());
    }
    if let Some(peering) = peering {
        outputs["peering"] = peering;
    }
    Ok(outputs)
}

fn zone_name(ctx: &StepContext) -> String {
    format!(
        "privatelink.{}.azmk8s.io",
        ctx.spec.azure.location.as_str().to_ascii_lowercase()
    )
}

async fn target(
    ctx: &StepContext,
    arm: &ArmClient,
    placement: &Placement,
) -> Result<Target, StepError> {
    if ctx.spec.cluster.mode == ClusterMode::Existing {
        return existing_cluster(ctx, arm, placement).await;
    }
    let a = &ctx.spec.azure;
    let net = &ctx.spec.cluster.network;
    let vnet_id = match &net.existing_vnet {
        Some(v) => resource_id(
            a.subscription_id.as_str(),
            v.resource_group.as_str(),
            "Microsoft.Network/virtualNetworks",
            v.name.as_str(),
        ),
        None => resource_id(
            a.subscription_id.as_str(),
            a.resource_group.as_str(),
            "Microsoft.Network/virtualNetworks",
            &names::vnet(&ctx.spec),
        ),
    };
    ctx.guard()?;
    let vnet = arm
        .get(&vnet_id, api::NETWORK)
        .await
        .map_err(|e| step_error("reading the cluster's VNet", e))?;
    Ok(Target {
        private: true,
        vnet_id: Some(vnet_id),
        vnet_exists: vnet.is_some(),
        address_space: vec![net.vnet_cidr.to_string()],
        zone_linked_to_console: false,
        zone: zone_name(ctx),
        run_command_disabled: false,
    })
}

/// An existing cluster: private or not, its VNet (from its pools' subnet), Run Command, and
/// whether its private zone is linked to the console's VNet.
async fn existing_cluster(
    ctx: &StepContext,
    arm: &ArmClient,
    placement: &Placement,
) -> Result<Target, StepError> {
    ctx.guard()?;
    let cluster = arm
        .get(
            &crate::steps::aks::cluster_path(ctx),
            api::CONTAINER_SERVICE,
        )
        .await
        .map_err(|e| step_error("reading the existing cluster", e))?
        .unwrap_or(Value::Null);
    let props = &cluster["properties"];
    let flag = |p: &str| props.pointer(p).and_then(Value::as_bool).unwrap_or(false);
    let vnet_id = props["agentPoolProfiles"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|p| p["vnetSubnetID"].as_str())
        .and_then(placement::vnet_of)
        .map(str::to_string);
    let mut target = Target {
        private: flag("/apiServerAccessProfile/enablePrivateCluster"),
        vnet_exists: vnet_id.is_some(),
        vnet_id,
        zone: zone_name(ctx),
        run_command_disabled: flag("/apiServerAccessProfile/disableRunCommand"),
        ..Target::default()
    };
    if let (Placement::Azure(network), Some(node_rg)) =
        (placement, props["nodeResourceGroup"].as_str())
    {
        let links = format!(
            "{}/providers/Microsoft.Network/privateDnsZones/{}/virtualNetworkLinks",
            crate::azure::resources::resource_group_id(
                ctx.spec.azure.subscription_id.as_str(),
                node_rg
            ),
            target.zone
        );
        ctx.guard()?;
        let body = arm
            .get(&links, api::PRIVATE_DNS)
            .await
            .map_err(|e| step_error("reading the cluster's private DNS zone links", e))?;
        target.zone_linked_to_console = list::<Value>(body, "value").iter().any(|l| {
            l.pointer("/properties/virtualNetwork/id")
                .and_then(Value::as_str)
                .is_some_and(|v| v.eq_ignore_ascii_case(&network.vnet_id))
        });
    }
    Ok(target)
}
