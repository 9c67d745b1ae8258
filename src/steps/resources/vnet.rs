//! The install's network: a new VNet with its NSG and two subnets, or checks of an existing one.

use super::{body, target};
use crate::azure::resources::{self, SubResource, Tags, app_gateway, install_tags, network};
use crate::azure::{ArmClient, api};
use crate::steps::ensure::{ensure, id_of};
use crate::steps::errors::step_error;
use crate::steps::names;
use crate::worker::{StepContext, StepError};
use katonic_domain::spec::{Cidr, ExistingVnet};
use serde_json::{Value, json};

/// NSG first (the AKS subnet references it), then the VNet with both subnets; or, with an
/// existing VNet, only checks.
pub async fn network(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let (sub, rg, location) = target(ctx);
    let net = &ctx.spec.cluster.network;
    if let Some(existing) = &net.existing_vnet {
        return existing_network(ctx, arm, existing).await;
    }
    let tags = install_tags(&ctx.install.to_string());
    let nsg_name = names::nsg(&ctx.spec);
    let nsg_path = resources::resource_id(
        &sub,
        &rg,
        "Microsoft.Network/networkSecurityGroups",
        &nsg_name,
    );
    let nsg = nsg_body(ctx, location.clone(), tags.clone());
    let nsg = body(&nsg)?;
    // What the VNet's subnets point at, created side by side (each is an operation of its own).
    let (nsg, gateway_nsg_id, nat) = tokio::try_join!(
        ensure(
            ctx,
            arm,
            &nsg_path,
            api::NETWORK,
            &nsg,
            "network security group"
        ),
        gateway_nsg(ctx, arm, &location, &tags),
        super::nat::jumphost_nat(ctx, arm, (&sub, &rg, &location), &tags),
    )?;
    let nsg_id = id_of(&nsg, &nsg_path);

    let vnet_name = names::vnet(&ctx.spec);
    let vnet_path =
        resources::resource_id(&sub, &rg, "Microsoft.Network/virtualNetworks", &vnet_name);
    let nat_id = nat.as_ref().map(|n| n.gateway_id.as_str());
    let vnet = vnet_body(
        ctx,
        location,
        tags,
        &nsg_id,
        gateway_nsg_id.as_deref(),
        nat_id,
    );
    let vnet = ensure(
        ctx,
        arm,
        &vnet_path,
        api::NETWORK,
        &body(&vnet)?,
        "virtual network",
    )
    .await?;
    let vnet_id = id_of(&vnet, &vnet_path);
    let mut out = json!({
        "nsgId": nsg_id,
        "vnetId": vnet_id,
        "aksSubnetId": format!("{vnet_id}/subnets/{}", names::AKS_SUBNET),
        "jumphostSubnetId": format!("{vnet_id}/subnets/{}", names::JUMPHOST_SUBNET),
    });
    if let Some(id) = gateway_nsg_id {
        out["gatewayNsgId"] = json!(id);
        out["gatewaySubnetId"] = json!(format!("{vnet_id}/subnets/{}", names::GATEWAY_SUBNET));
    }
    if let Some(nat) = nat {
        out["jumphostNatGatewayId"] = json!(nat.gateway_id);
        out["jumphostNatPublicIpId"] = json!(nat.public_ip_id);
    }
    Ok(out)
}

/// Behind an Application Gateway: the NSG of its subnet, with the rules v2 needs for the
/// frontend's kind and nothing wider (see [`app_gateway::gateway_subnet_rules`]).
async fn gateway_nsg(
    ctx: &StepContext,
    arm: &ArmClient,
    location: &str,
    tags: &Tags,
) -> Result<Option<String>, StepError> {
    let (Some(_), Some(cidr)) = (
        &ctx.spec.ingress.gateway,
        ctx.spec.cluster.network.gateway_subnet_cidr,
    ) else {
        return Ok(None);
    };
    let (sub, rg, _) = target(ctx);
    let name = names::gateway_nsg(&ctx.spec);
    let path = resources::resource_id(&sub, &rg, "Microsoft.Network/networkSecurityGroups", &name);
    let Some(plan) = katonic_domain::plan::GatewayPlan::from_spec(&ctx.spec) else {
        return Ok(None);
    };
    let nsg = network::NetworkSecurityGroup {
        location: location.to_string(),
        tags: tags.clone(),
        properties: network::NetworkSecurityGroupProperties {
            security_rules: app_gateway::gateway_subnet_rules(&plan.nsg_rules(), &cidr.to_string()),
        },
    };
    let nsg = ensure(
        ctx,
        arm,
        &path,
        api::NETWORK,
        &body(&nsg)?,
        "the gateway subnet's network security group",
    )
    .await?;
    Ok(Some(id_of(&nsg, &path)))
}

/// The NSG that lets the jumphost subnet reach the AKS subnet on 443 and 80.
fn nsg_body(ctx: &StepContext, location: String, tags: Tags) -> network::NetworkSecurityGroup {
    let net = &ctx.spec.cluster.network;
    network::NetworkSecurityGroup {
        location: location.clone(),
        tags: tags.clone(),
        properties: network::NetworkSecurityGroupProperties {
            security_rules: vec![network::SecurityRule {
                name: "allow-jumphost-to-aks".to_string(),
                properties: network::SecurityRuleProperties {
                    priority: 100,
                    direction: "Inbound",
                    access: "Allow",
                    protocol: "Tcp",
                    source_address_prefix: net.jumphost_subnet_cidr.to_string(),
                    source_port_range: "*".to_string(),
                    destination_address_prefix: net.aks_subnet_cidr.to_string(),
                    destination_port_ranges: vec!["443".to_string(), "80".to_string()],
                    description: Some(
                        "The admin's jumphost reaches the API server and the platform".to_string(),
                    ),
                },
            }],
        },
    }
}

/// The VNet with the AKS subnet (behind the NSG) and the jumphost subnet (behind its NAT
/// gateway, when there is one).
fn vnet_body(
    ctx: &StepContext,
    location: String,
    tags: Tags,
    nsg_id: &str,
    gateway_nsg_id: Option<&str>,
    nat_id: Option<&str>,
) -> network::VirtualNetwork {
    let net = &ctx.spec.cluster.network;
    let mut vnet = network::VirtualNetwork {
        location,
        tags,
        properties: network::VirtualNetworkProperties {
            address_space: network::AddressSpace {
                address_prefixes: vec![net.vnet_cidr.to_string()],
            },
            subnets: vec![
                network::Subnet {
                    name: names::AKS_SUBNET.to_string(),
                    properties: network::SubnetProperties {
                        address_prefix: net.aks_subnet_cidr.to_string(),
                        network_security_group: Some(SubResource {
                            id: nsg_id.to_string(),
                        }),
                        nat_gateway: None,
                    },
                },
                network::Subnet {
                    name: names::JUMPHOST_SUBNET.to_string(),
                    properties: network::SubnetProperties {
                        address_prefix: net.jumphost_subnet_cidr.to_string(),
                        network_security_group: None,
                        nat_gateway: nat_id.map(|id| SubResource { id: id.to_string() }),
                    },
                },
            ],
        },
    };
    // The gateway's own subnet: dedicated, behind its own NSG.
    if let (Some(cidr), Some(nsg)) = (net.gateway_subnet_cidr, gateway_nsg_id) {
        vnet.properties.subnets.push(network::Subnet {
            name: names::GATEWAY_SUBNET.to_string(),
            properties: network::SubnetProperties {
                address_prefix: cidr.to_string(),
                network_security_group: Some(SubResource {
                    id: nsg.to_string(),
                }),
                nat_gateway: None,
            },
        });
    }
    vnet
}

/// An existing VNet (where the jumphost usually is): read it and its two subnets and check them
/// against the spec. It is never written to (a VNet PUT would replace its subnets).
async fn existing_network(
    ctx: &StepContext,
    arm: &ArmClient,
    existing: &ExistingVnet,
) -> Result<Value, StepError> {
    let spec = &ctx.spec;
    let net = &spec.cluster.network;
    let sub = spec.azure.subscription_id.as_str();
    let path = resources::resource_id(
        sub,
        existing.resource_group.as_str(),
        "Microsoft.Network/virtualNetworks",
        existing.name.as_str(),
    );
    ctx.guard()?;
    let Some(vnet) = arm
        .get(&path, api::NETWORK)
        .await
        .map_err(|e| step_error("reading the existing VNet", e))?
    else {
        return Err(StepError::terminal(
            "VirtualNetworkNotFound",
            format!(
                "VNet {} was not found in resource group {}",
                existing.name, existing.resource_group
            ),
            "Check cluster.network.existingVnet (resource group and name) in a clone of this install.",
        ));
    };
    vnet_matches(ctx, existing, &vnet)?;
    let mut ids = Vec::new();
    for (name, cidr, field, needs) in [
        (
            &existing.aks_subnet,
            net.aks_subnet_cidr,
            "aksSubnetCidr",
            spec.ip_budget().needed,
        ),
        (
            &existing.jumphost_subnet,
            net.jumphost_subnet_cidr,
            "jumphostSubnetCidr",
            1,
        ),
    ] {
        let wanted = WantedSubnet {
            name: name.as_str(),
            cidr,
            field,
            needs,
        };
        ids.push(existing_subnet(ctx, arm, existing, &path, &wanted).await?);
    }
    let mut out = json!({
        "vnetId": id_of(&vnet, &path),
        "aksSubnetId": ids[0],
        "jumphostSubnetId": ids[1],
        "existing": true,
    });
    // The admin's dedicated gateway subnet: read, never written (preflight checked its NSG).
    if let (Some(g), Some(name), Some(cidr)) = (
        &spec.ingress.gateway,
        &existing.gateway_subnet,
        net.gateway_subnet_cidr,
    ) {
        let wanted = WantedSubnet {
            name: name.as_str(),
            cidr,
            field: "gatewaySubnetCidr",
            needs: katonic_domain::spec::gateway_subnet_needs(g.max_capacity),
        };
        out["gatewaySubnetId"] = json!(existing_subnet(ctx, arm, existing, &path, &wanted).await?);
    }
    Ok(out)
}

/// The existing VNet (its GET body) is in the cluster's region and has the spec's address space.
fn vnet_matches(ctx: &StepContext, existing: &ExistingVnet, vnet: &Value) -> Result<(), StepError> {
    let spec = &ctx.spec;
    let net = &spec.cluster.network;
    let location = vnet
        .get("location")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !location.eq_ignore_ascii_case(spec.azure.location.as_str()) {
        return Err(StepError::terminal(
            "VirtualNetworkInAnotherRegion",
            format!(
                "VNet {} is in {location}; the cluster goes to {}",
                existing.name, spec.azure.location
            ),
            format!("AKS needs its VNet in its own region: set azure.location to {location}."),
        ));
    }
    let prefixes: Vec<&str> = vnet
        .pointer("/properties/addressSpace/addressPrefixes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !prefixes.iter().any(|p| *p == net.vnet_cidr.to_string()) {
        return Err(StepError::terminal(
            "AddressSpaceMismatch",
            format!(
                "VNet {} has address space {}, not {}",
                existing.name,
                prefixes.join(", "),
                net.vnet_cidr
            ),
            format!(
                "Set cluster.network.vnetCidr to {}.",
                prefixes.first().unwrap_or(&"its range")
            ),
        ));
    }
    Ok(())
}

/// What the spec says of one subnet of an existing VNet.
struct WantedSubnet<'a> {
    name: &'a str,
    cidr: Cidr,
    /// The spec field that sets `cidr`, named in the fix.
    field: &'static str,
    /// Free addresses the install needs in it.
    needs: u64,
}

/// The subnet exists with the spec's prefix and enough free addresses; returns its id.
async fn existing_subnet(
    ctx: &StepContext,
    arm: &ArmClient,
    existing: &ExistingVnet,
    vnet_path: &str,
    wanted: &WantedSubnet<'_>,
) -> Result<String, StepError> {
    let WantedSubnet {
        name,
        cidr,
        field,
        needs,
    } = *wanted;
    ctx.guard()?;
    let subnet_path = format!("{vnet_path}/subnets/{name}");
    let Some(subnet) = arm
        .get(&subnet_path, api::NETWORK)
        .await
        .map_err(|e| step_error(&format!("reading subnet {name}"), e))?
    else {
        return Err(StepError::terminal(
            "SubnetNotFound",
            format!("VNet {} has no subnet {name}", existing.name),
            "Create the subnet, or name an existing one in cluster.network.existingVnet.",
        ));
    };
    let prefix = subnet
        .pointer("/properties/addressPrefix")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if prefix != cidr.to_string() {
        return Err(StepError::terminal(
            "AddressPrefixMismatch",
            format!("subnet {name} is {prefix}, not {cidr}"),
            format!("Set cluster.network.{field} to {prefix}."),
        ));
    }
    let used = subnet
        .pointer("/properties/ipConfigurations")
        .and_then(Value::as_array)
        .map_or(0, Vec::len) as u64;
    let free = katonic_domain::spec::capacity::usable_addresses(cidr.prefix()).saturating_sub(used);
    if free < needs {
        return Err(StepError::terminal(
            "InsufficientSubnetSize",
            format!(
                "subnet {name} ({cidr}) has {free} free addresses ({used} in use); the install needs {needs}"
            ),
            "Free addresses in the subnet, use a larger one, or use Azure CNI overlay.",
        ));
    }
    ctx.progress(format!(
        "subnet {name} ({cidr}): {free} free addresses, {needs} needed"
    ))
    .await?;
    Ok(id_of(&subnet, &subnet_path))
}
