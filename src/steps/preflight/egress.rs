//! Egress planned, not assumed: a `userDefinedRouting` cluster sends its traffic where the AKS
//! subnet's route table says, so that table must exist with a 0.0.0.0/0 route (to the admin's
//! firewall) before the cluster is created; AKS refuses the create otherwise.

use serde_json::Value;

use super::verdict::Checks;
use crate::azure::resources::resource_id;
use crate::azure::{ArmClient, api};
use crate::steps::errors::step_error;
use crate::worker::{StepContext, StepError};
use katonic_domain::spec::{ClusterMode, OutboundType};

const CHECK: &str = "egress";

const FIX: &str = "Use an existing VNet (cluster.network.existingVnet) whose AKS subnet has a route \
     table with a 0.0.0.0/0 route to your firewall, or set cluster.network.outboundType to \
     loadBalancer or managedNATGateway";

pub(super) async fn default_route(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    let net = &ctx.spec.cluster.network;
    if net.outbound_type != OutboundType::UserDefinedRouting
        || ctx.spec.cluster.mode == ClusterMode::Existing
    {
        return Ok(());
    }
    let Some(existing) = &net.existing_vnet else {
        return checks
            .fail(
                CHECK,
                "outboundType userDefinedRouting needs a route table with a 0.0.0.0/0 route on the AKS subnet, and the VNet this install creates has none".into(),
                FIX,
            )
            .await;
    };
    let subnet_id = format!(
        "{}/subnets/{}",
        resource_id(
            ctx.spec.azure.subscription_id.as_str(),
            existing.resource_group.as_str(),
            "Microsoft.Network/virtualNetworks",
            existing.name.as_str(),
        ),
        existing.aks_subnet
    );
    ctx.guard()?;
    let subnet = arm
        .get(&subnet_id, api::NETWORK)
        .await
        .map_err(|e| step_error("reading the AKS subnet", e))?
        .unwrap_or(Value::Null);
    let Some(table) = subnet
        .pointer("/properties/routeTable/id")
        .and_then(Value::as_str)
    else {
        return checks
            .fail(
                CHECK,
                format!("outboundType userDefinedRouting: subnet {} has no route table, so the cluster would have no way out", existing.aks_subnet),
                FIX,
            )
            .await;
    };
    ctx.guard()?;
    let routes = arm
        .get(table, api::NETWORK)
        .await
        .map_err(|e| step_error("reading the AKS subnet's route table", e))?
        .and_then(|t| t.pointer("/properties/routes").cloned())
        .and_then(|r| r.as_array().cloned())
        .unwrap_or_default();
    let default = routes.iter().find(|r| {
        r.pointer("/properties/addressPrefix")
            .and_then(Value::as_str)
            == Some("0.0.0.0/0")
    });
    match default {
        Some(route) => {
            let hop = route
                .pointer("/properties/nextHopIpAddress")
                .or_else(|| route.pointer("/properties/nextHopType"))
                .and_then(Value::as_str)
                .unwrap_or("?");
            checks
                .pass(CHECK, format!("userDefinedRouting: the AKS subnet's route table sends 0.0.0.0/0 to {hop}"))
                .await
        }
        None => {
            checks
                .fail(
                    CHECK,
                    format!("outboundType userDefinedRouting: the route table {table} of the AKS subnet has no 0.0.0.0/0 route"),
                    FIX,
                )
                .await
        }
    }
}
