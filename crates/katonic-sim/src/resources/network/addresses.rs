//! Which private address each IP configuration of a subnet holds, as Azure hands them out: a
//! static one (a NIC's, a gateway's private frontend) keeps its address; dynamic ones (AKS nodes
//! and the private API server's endpoint) take the lowest free addresses from the first usable
//! one up. Answers `CheckIPAddressAvailability` and refuses an internal load balancer a taken
//! address (`PrivateIPAddressInUse`).

use std::net::Ipv4Addr;

use ipnet::{IpNet, Ipv4Net};
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::router::ResPath;
use crate::placement::NIC_KIND;
use crate::state::State;

/// How many other free addresses `CheckIPAddressAvailability` offers when one is taken (the
/// REST spec's example lists five, checked 2026-12-07).
const OFFERED: usize = 5;

/// `(address, IP configuration id)` for every configuration in `subnet_id`, statically addressed
/// ones first.
pub(crate) fn held(st: &State, subnet_id: &str) -> Vec<(Ipv4Addr, String)> {
    let Some(net) = v4_prefix(st, subnet_id) else {
        return Vec::new();
    };
    let mut out = static_configurations(st, subnet_id);
    let mut next = usable(net);
    for id in super::ip_configurations(st, subnet_id) {
        if out.iter().any(|(_, held)| held.eq_ignore_ascii_case(&id)) {
            continue;
        }
        let Some(ip) = next.by_ref().find(|ip| !out.iter().any(|(h, _)| h == ip)) else {
            break;
        };
        out.push((ip, id));
    }
    out
}

/// NICs' and gateways' private frontends' configurations with a `privateIPAddress` here.
fn static_configurations(st: &State, subnet_id: &str) -> Vec<(Ipv4Addr, String)> {
    let in_subnet = |c: &&Value| {
        c["properties"]["subnet"]["id"]
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case(subnet_id))
    };
    let nics = st
        .of_kind(NIC_KIND)
        .flat_map(|n| as_vec(&n.body["properties"]["ipConfigurations"]));
    let frontends = st
        .of_kind(crate::resources::app_gateway::AGW)
        .flat_map(|g| as_vec(&g.body["properties"]["frontendIPConfigurations"]));
    nics.chain(frontends)
        .filter(|c| in_subnet(&c))
        .filter_map(|c| {
            let ip = c["properties"]["privateIPAddress"].as_str()?.parse().ok()?;
            Some((ip, c["id"].as_str()?.to_string()))
        })
        .collect()
}

fn as_vec(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

fn v4_prefix(st: &State, subnet_id: &str) -> Option<Ipv4Net> {
    match super::find_subnet(st, subnet_id).and_then(|(_, s)| super::subnet_prefix(s))? {
        IpNet::V4(n) => Some(n),
        IpNet::V6(_) => None,
    }
}

/// The addresses Azure lets a resource take: all but the first four and the last.
fn usable(net: Ipv4Net) -> impl Iterator<Item = Ipv4Addr> {
    let first = u32::from(net.network()).saturating_add(4);
    let last = u32::from(net.broadcast()).saturating_sub(1);
    (first..=last).map(Ipv4Addr::from)
}

/// Whether Azure keeps `ip` for itself in `net` (network, gateway, two DNS, broadcast).
fn platform_reserved(net: Ipv4Net, ip: Ipv4Addr) -> bool {
    let offset = u32::from(ip).wrapping_sub(u32::from(net.network()));
    offset < 4 || ip == net.broadcast()
}

/// `GET .../virtualNetworks/{vnet}/CheckIPAddressAvailability?ipAddress=`: `available`,
/// `isPlatformReserved`, and when taken the next free addresses of its subnet (the shapes of
/// Microsoft's recordings in azure-mgmt-network 19.3.0, `test_virtual_networks`, and the
/// REST spec's example, checked 2026-12-07).
pub(crate) fn check_availability(ctx: &Ctx<'_>, st: &State, p: &ResPath) -> ArmResult {
    let vnet = st
        .get(&p.id())
        .ok_or_else(|| crate::resources::common::not_found(p))?;
    let text = ctx.req.q("ipAddress").unwrap_or_default();
    let ip: Ipv4Addr = text.parse().map_err(|_| {
        ArmError::bad_request(
            "InvalidPrivateIPAddress",
            format!("The private IP address '{text}' is not a valid IP address."),
        )
    })?;
    let subnet = as_vec(&vnet.body["properties"]["subnets"])
        .into_iter()
        .find_map(|s| match super::subnet_prefix(&s)? {
            IpNet::V4(n) if n.contains(&ip) => Some((s["id"].as_str()?.to_string(), n)),
            _ => None,
        });
    let Some((subnet_id, net)) = subnet else {
        // Not in any subnet: Azure answers "not available" with no alternatives.
        return Ok(Reply::ok(
            json!({"available": false, "isPlatformReserved": false}),
        ));
    };
    if platform_reserved(net, ip) {
        return Ok(Reply::ok(
            json!({"available": false, "isPlatformReserved": true}),
        ));
    }
    let held = held(st, &subnet_id);
    if !held.iter().any(|(h, _)| *h == ip) {
        return Ok(Reply::ok(
            json!({"available": true, "isPlatformReserved": false}),
        ));
    }
    let free: Vec<String> = usable(net)
        .filter(|a| *a > ip && !held.iter().any(|(h, _)| h == a))
        .take(OFFERED)
        .map(|a| a.to_string())
        .collect();
    Ok(Reply::ok(json!({
        "available": false,
        "availableIPAddresses": free,
        "isPlatformReserved": false
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usable_addresses_skip_azures_five() {
        let net: Ipv4Net = "10.20.0.0/26".parse().unwrap();
        let all: Vec<Ipv4Addr> = usable(net).collect();
        assert_eq!(all.first(), Some(&Ipv4Addr::new(10, 20, 0, 4)));
        assert_eq!(all.last(), Some(&Ipv4Addr::new(10, 20, 0, 62)));
        assert_eq!(all.len(), 59);
        assert!(platform_reserved(net, Ipv4Addr::new(10, 20, 0, 3)));
        assert!(platform_reserved(net, Ipv4Addr::new(10, 20, 0, 63)));
        assert!(!platform_reserved(net, Ipv4Addr::new(10, 20, 0, 62)));
    }
}
