//! Virtual networks and their subnets (Microsoft.Network): address-space and subnet-range
//! validation, subnets in use by AKS pools, `ipConfigurations` showing the IPs they take.

use std::str::FromStr;

use ipnet::IpNet;
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::lro::{OpAction, Operation};
use crate::arm::router::ResPath;
use crate::server::list;
use crate::state::{Resource, State};

use super::common::{self, method_not_allowed};

pub(crate) mod addresses;
pub(crate) mod peering;
mod subnet;
mod subnet_body;
mod vnet;

pub(crate) const VNET: &str = "Microsoft.Network/virtualNetworks";
pub(crate) const VNET_LC: &str = "microsoft.network/virtualnetworks";
const NS: &str = "Microsoft.Network";
/// Azure-like durations (seconds) before the time scale.
const VNET_SECS: f64 = 20.0;
const SUBNET_SECS: f64 = 10.0;

pub(crate) fn handle(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    common::require_rg(ctx, st, p)?;
    match (p.pairs.len(), &p.tail, ctx.method().as_str()) {
        (1, None, "PUT") => vnet::put_vnet(ctx, st, p),
        (1, None, "GET") => {
            let r = st.get(&p.id()).ok_or_else(|| common::not_found(p))?;
            Ok(Reply::ok(render_vnet(st, r)))
        }
        (1, None, "DELETE") => vnet::delete_vnet(ctx, st, p),
        (1, None, "PATCH") => vnet::patch_tags(ctx, st, p),
        (1, Some(t), "GET") if t.eq_ignore_ascii_case("subnets") => {
            let r = st.get(&p.id()).ok_or_else(|| common::not_found(p))?;
            let v = render_vnet(st, r);
            Ok(Reply::ok(list(
                v["properties"]["subnets"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            )))
        }
        (1, Some(t), "GET") if t.eq_ignore_ascii_case("CheckIPAddressAvailability") => {
            addresses::check_availability(ctx, st, p)
        }
        (1, Some(t), "GET") if t.eq_ignore_ascii_case("virtualNetworkPeerings") => {
            peering::handle(ctx, st, p)
        }
        (2, None, _) if p.pairs[1].0.eq_ignore_ascii_case("virtualNetworkPeerings") => {
            peering::handle(ctx, st, p)
        }
        (2, None, _) if p.pairs[1].0.eq_ignore_ascii_case("subnets") => match ctx.method().as_str()
        {
            "PUT" => subnet::put_subnet(ctx, st, p),
            "GET" => subnet::get_subnet(st, p).map(Reply::ok),
            "DELETE" => subnet::delete_subnet(ctx, st, p),
            _ => Err(method_not_allowed(ctx)),
        },
        _ => Err(method_not_allowed(ctx)),
    }
}

fn parse_prefix(s: &str, what: &str) -> Result<IpNet, ArmError> {
    let net = IpNet::from_str(s.trim()).map_err(|_| {
        ArmError::bad_request(
            "InvalidAddressPrefix",
            format!("Value provided: {s} for {what} is not a valid address prefix."),
        )
    })?;
    if net.trunc() != net {
        return Err(ArmError::bad_request(
            "InvalidCIDRNotation",
            format!(
                "The address prefix {s} in resource {what} has an invalid CIDR notation. For the given prefix length, the address prefix should be {}.",
                net.trunc()
            ),
        ));
    }
    Ok(net)
}

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// Address prefixes of a subnet body (`addressPrefix` or `addressPrefixes`).
fn subnet_prefixes(subnet: &Value) -> Vec<String> {
    let props = &subnet["properties"];
    let mut out: Vec<String> = props["addressPrefixes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if let Some(p) = props["addressPrefix"].as_str() {
        out.insert(0, p.to_string());
    }
    out
}

/// IP configurations placed in a subnet by other resources (AKS nodes, the API endpoint).
pub(crate) fn ip_configurations(st: &State, subnet_id: &str) -> Vec<String> {
    let mut out = super::aks::subnet_ip_configurations(st, subnet_id);
    // NICs (VMs the admin or the simulator placed) list theirs too, as in Azure.
    for nic in st.of_kind(crate::placement::NIC_KIND) {
        for c in nic.body["properties"]["ipConfigurations"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let here = c["properties"]["subnet"]["id"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(subnet_id));
            if let (true, Some(id)) = (here, c["id"].as_str()) {
                out.push(id.to_string());
            }
        }
    }
    out
}

fn subnet_in_use(st: &State, subnet_id: &str) -> Option<String> {
    super::aks::subnet_user(st, subnet_id)
        .or_else(|| super::app_gateway::subnet_user(st, subnet_id))
}

/// Usable addresses of a subnet: Azure reserves five in each.
pub(crate) fn usable_ips(prefix: &IpNet) -> u64 {
    let host_bits = u32::from(prefix.max_prefix_len() - prefix.prefix_len()).min(63);
    (1u64 << host_bits).saturating_sub(5)
}

/// Look up a subnet by id: (vnet resource, subnet body).
pub(crate) fn find_subnet<'a>(st: &'a State, subnet_id: &str) -> Option<(&'a Resource, &'a Value)> {
    let lower = subnet_id.to_ascii_lowercase();
    let (vnet_id, name) = lower.rsplit_once("/subnets/")?;
    let vnet = st.get(vnet_id)?;
    let subnet = vnet.body["properties"]["subnets"]
        .as_array()?
        .iter()
        .find(|s| {
            s["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })?;
    Some((vnet, subnet))
}

/// The first prefix of a subnet, parsed.
pub(crate) fn subnet_prefix(subnet: &Value) -> Option<IpNet> {
    subnet_prefixes(subnet)
        .first()
        .and_then(|p| IpNet::from_str(p).ok())
}

/// Subnets may not overlap each other.
fn check_overlaps(vnet_name: &str, subnets: &[(String, Vec<IpNet>)]) -> Result<(), ArmError> {
    for (i, (a, an)) in subnets.iter().enumerate() {
        for (b, bn) in subnets.iter().skip(i + 1) {
            if an.iter().any(|x| bn.iter().any(|y| overlaps(x, y))) {
                let _ = b;
                return Err(ArmError::bad_request(
                    "NetcfgSubnetRangesOverlap",
                    format!(
                        "Subnet '{a}' is not valid because its IP address range overlaps with that of an existing subnet in virtual network '{vnet_name}'."
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A subnet in use may not change its address range.
fn check_in_use_update(st: &State, old: &Value, new: &Value, id: &str) -> Result<(), ArmError> {
    if subnet_prefixes(old) != subnet_prefixes(new)
        && let Some(user) = subnet_in_use(st, id)
    {
        let name = new["name"].as_str().unwrap_or("");
        return Err(ArmError::bad_request(
            "InUseSubnetCannotBeUpdated",
            format!("Subnet {name} is in use by {user} and cannot be updated."),
        ));
    }
    Ok(())
}

/// The VNet with each subnet's `ipConfigurations` filled in.
pub(crate) fn render_vnet(st: &State, r: &Resource) -> Value {
    let mut v = r.body.clone();
    let peerings: Vec<Value> = peering::peerings_of(st, &r.id)
        .map(|b| peering::render(st, &r.id, b))
        .collect();
    v["properties"]["virtualNetworkPeerings"] = Value::Array(peerings);
    if let Some(list) = v["properties"]["subnets"].as_array_mut() {
        for s in list {
            let id = s["id"].as_str().unwrap_or("").to_string();
            let configs = ip_configurations(st, &id);
            if !configs.is_empty() {
                s["properties"]["ipConfigurations"] =
                    Value::Array(configs.into_iter().map(|c| json!({"id": c})).collect());
            }
            let gateways = super::app_gateway::subnet_ip_configurations(st, &id);
            if !gateways.is_empty() {
                s["properties"]["applicationGatewayIPConfigurations"] =
                    Value::Array(gateways.into_iter().map(|c| json!({"id": c})).collect());
            }
        }
    }
    v
}

/// A finished VNet or subnet operation settles the VNet and every subnet.
pub(crate) fn complete(st: &mut State, op: &Operation, ok: bool) {
    if op.action == OpAction::Delete {
        return super::generic_complete(st, op, ok);
    }
    let state = if ok { "Succeeded" } else { "Failed" };
    if let Some(r) = st.get_mut(&op.resource_id) {
        common::set_provisioning_state(&mut r.body, state);
        if let Some(list) = r.body["properties"]["subnets"].as_array_mut() {
            for s in list {
                s["properties"]["provisioningState"] = json!(state);
            }
        }
    }
}
