//! The jumphost subnet's NAT gateway (`cluster.network.jumphostEgress: natGateway`, a new VNet
//! only): its Standard static public IP, then the gateway; the VNet's jumphost subnet then
//! names it. New subnets are private by default (Network 2025-07-01), so this is the jumphost's
//! only way out.

use super::body;
use crate::azure::resources::{self, Tags, nat_gateway::NatGateway, network};
use crate::azure::{ArmClient, api};
use crate::steps::ensure::{ensure, id_of};
use crate::steps::names;
use crate::worker::{StepContext, StepError};
use katonic_domain::spec::JumphostEgress;

/// The NAT gateway's and its public IP's ids, when the spec asks for one.
pub(super) struct JumphostNat {
    pub gateway_id: String,
    pub public_ip_id: String,
}

pub(super) async fn jumphost_nat(
    ctx: &StepContext,
    arm: &ArmClient,
    (sub, rg, location): (&str, &str, &str),
    tags: &Tags,
) -> Result<Option<JumphostNat>, StepError> {
    let net = &ctx.spec.cluster.network;
    if net.jumphost_egress != JumphostEgress::NatGateway || net.existing_vnet.is_some() {
        return Ok(None);
    }
    let ip_name = names::jumphost_nat_public_ip(&ctx.spec);
    let ip_path = resources::resource_id(sub, rg, "Microsoft.Network/publicIPAddresses", &ip_name);
    // Regional (no zone), like the gateway: a no-zone NAT gateway takes a no-zone address.
    let ip = network::PublicIpAddress::standard_static_ipv4(location.into(), tags.clone(), vec![]);
    let ip = ensure(
        ctx,
        arm,
        &ip_path,
        api::NETWORK,
        &body(&ip)?,
        &format!("public IP {ip_name}"),
    )
    .await?;
    let public_ip_id = id_of(&ip, &ip_path);

    let name = names::jumphost_nat_gateway(&ctx.spec);
    let path = resources::resource_id(sub, rg, "Microsoft.Network/natGateways", &name);
    let gateway = NatGateway::standard(location.into(), tags.clone(), public_ip_id.clone());
    let gateway = ensure(
        ctx,
        arm,
        &path,
        api::NETWORK,
        &body(&gateway)?,
        &format!("NAT gateway {name}"),
    )
    .await?;
    let gateway_id = id_of(&gateway, &path);
    ctx.progress(format!(
        "NAT gateway {name} with public IP {ip_name}: the jumphost subnet's way out"
    ))
    .await?;
    Ok(Some(JumphostNat {
        gateway_id,
        public_ip_id,
    }))
}
