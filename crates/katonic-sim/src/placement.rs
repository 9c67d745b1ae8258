//! Where the simulated console runs, and what its network lets it reach, as in Azure:
//!
//! - the instance metadata service (`/metadata/instance`) answers only a console on an Azure VM
//!   (a jumphost VM and its NIC in the configured subnet, readable through ARM); outside Azure
//!   the connection fails, as 169.254.169.254 does off Azure;
//! - a private cluster's API server answers only a console in the cluster's VNet, or in a VNet
//!   peered with it (both ways) whose DNS resolves the cluster's `privatelink.<region>.azmk8s.io`
//!   zone (the zone linked to it); otherwise the connection times out (scaled by the time scale);
//! - private DNS zones answer only in VNets linked to them.
//!
//! `None` (the library default of [`crate::SimConfig::for_dir`]) leaves the console unplaced:
//! no metadata service, and every API server and private zone answers (tests that do not
//! study the network).

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::arm::errors::Reply;
use crate::server::{Req, Shared};
use crate::state::{Resource, State};

/// Where the console runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleNetwork {
    /// Not on an Azure VM (a laptop, another cloud): no metadata service, no private network.
    Outside,
    /// On a VM whose NIC is in this subnet (an ARM subnet id).
    Subnet(String),
}

impl std::str::FromStr for ConsoleNetwork {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("outside") {
            return Ok(ConsoleNetwork::Outside);
        }
        let parts: Vec<&str> = s.trim_matches('/').split('/').collect();
        let shape = [
            "subscriptions",
            "",
            "resourcegroups",
            "",
            "providers",
            "microsoft.network",
            "virtualnetworks",
            "",
            "subnets",
            "",
        ];
        let fits = s.starts_with('/')
            && parts.len() == shape.len()
            && parts.iter().zip(shape).all(|(p, want)| {
                !p.is_empty() && (want.is_empty() || p.eq_ignore_ascii_case(want))
            });
        if fits {
            Ok(ConsoleNetwork::Subnet(s.to_string()))
        } else {
            Err(format!(
                "`{s}` is neither `outside` nor an ARM subnet id \
                 (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>)"
            ))
        }
    }
}

impl std::fmt::Display for ConsoleNetwork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConsoleNetwork::Outside => f.write_str("outside"),
            ConsoleNetwork::Subnet(id) => f.write_str(id),
        }
    }
}

/// The console's VM and NIC names in the subnet's resource group.
const VM_NAME: &str = "vm-katonic-jumphost";
const NIC_NAME: &str = "vm-katonic-jumphost-nic";
pub(crate) const VM_KIND: &str = "Microsoft.Compute/virtualMachines";
pub(crate) const NIC_KIND: &str = "Microsoft.Network/networkInterfaces";
/// The address space of a VNet the simulator creates for a console subnet that does not exist.
const SEEDED_SPACE: &str = "10.250.0.0/16";
const SEEDED_SUBNET: &str = "10.250.0.0/24";
/// Beside it, a free subnet for a cluster (the vendor guide's network: a jumphost subnet and an
/// AKS subnet), so a rehearsal can install into the console's own VNet.
const SEEDED_FREE_SUBNET: (&str, &str) = ("snet-cluster", "10.250.1.0/24");
/// How long a TCP connection to an unreachable private address takes to fail on Linux
/// (the SYN retries of a connect with no answer), before the time scale.
const CONNECT_TIMEOUT_SECS: f64 = 21.0;

fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// `…/virtualNetworks/<vnet>` of a subnet id.
pub(crate) fn vnet_of(subnet_id: &str) -> Option<&str> {
    let at = lower(subnet_id).rfind("/subnets/")?;
    Some(&subnet_id[..at])
}

/// The resource group id (`/subscriptions/<s>/resourceGroups/<g>`) of a resource id.
fn group_of(id: &str) -> Option<String> {
    let parts: Vec<&str> = id.trim_matches('/').split('/').collect();
    (parts.len() >= 4).then(|| format!("/{}/{}/{}/{}", parts[0], parts[1], parts[2], parts[3]))
}

fn stored(id: &str, kind: &str, body: Value) -> Resource {
    Resource {
        id: id.to_string(),
        kind: kind.to_string(),
        body,
        request: Value::Null,
        op: None,
        private: Value::Null,
        created: time::OffsetDateTime::now_utc(),
    }
}

/// Place the console: its subnet (and VNet and group) if missing, a VM with a NIC there.
pub(crate) fn seed(st: &mut State, network: &ConsoleNetwork, location: &str) {
    let ConsoleNetwork::Subnet(subnet_id) = network else {
        return;
    };
    let (Some(vnet_id), Some(group_id)) = (vnet_of(subnet_id), group_of(subnet_id)) else {
        return;
    };
    if st.get(&group_id).is_none() {
        let name = group_id.rsplit('/').next().unwrap_or_default();
        st.insert(stored(
            &group_id,
            crate::resources::groups::KIND,
            json!({"id": group_id, "name": name, "type": crate::resources::groups::KIND,
                   "location": location, "properties": {"provisioningState": "Succeeded"}}),
        ));
    }
    if st.get(vnet_id).is_none() {
        let vnet_name = vnet_id.rsplit('/').next().unwrap_or_default();
        let subnet_name = subnet_id.rsplit('/').next().unwrap_or_default();
        let subnet = |id: &str, name: &str, prefix: &str| {
            json!({"id": id, "name": name, "type": "Microsoft.Network/virtualNetworks/subnets",
                   "properties": {"addressPrefix": prefix, "provisioningState": "Succeeded",
                                  "defaultOutboundAccess": false}})
        };
        let mut subnets = vec![subnet(subnet_id, subnet_name, SEEDED_SUBNET)];
        let (free, free_prefix) = SEEDED_FREE_SUBNET;
        if !subnet_name.eq_ignore_ascii_case(free) {
            subnets.push(subnet(
                &format!("{vnet_id}/subnets/{free}"),
                free,
                free_prefix,
            ));
        }
        st.insert(stored(
            vnet_id,
            crate::resources::network::VNET,
            json!({"id": vnet_id, "name": vnet_name, "type": crate::resources::network::VNET,
                   "location": location, "etag": crate::resources::common::etag(),
                   "properties": {"provisioningState": "Succeeded",
                       "resourceGuid": uuid::Uuid::new_v4().to_string(),
                       "addressSpace": {"addressPrefixes": [SEEDED_SPACE]},
                       "subnets": subnets,
                       "virtualNetworkPeerings": [], "enableDdosProtection": false}}),
        ));
    }
    let vm_id = format!("{group_id}/providers/{VM_KIND}/{VM_NAME}");
    let nic_id = format!("{group_id}/providers/{NIC_KIND}/{NIC_NAME}");
    let address = console_address(st, subnet_id);
    st.insert(stored(
        &nic_id,
        NIC_KIND,
        json!({"id": nic_id, "name": NIC_NAME, "type": NIC_KIND, "location": location,
               "properties": {"provisioningState": "Succeeded",
                   "virtualMachine": {"id": vm_id},
                   "ipConfigurations": [{"id": format!("{nic_id}/ipConfigurations/ipconfig1"), "name": "ipconfig1",
                       "properties": {"privateIPAddress": address, "privateIPAllocationMethod": "Dynamic",
                                      "primary": true, "subnet": {"id": subnet_id}}}]}}),
    ));
    st.insert(stored(
        &vm_id,
        VM_KIND,
        json!({"id": vm_id, "name": VM_NAME, "type": VM_KIND, "location": location,
               "properties": {"provisioningState": "Succeeded", "vmId": uuid::Uuid::new_v4().to_string(),
                   "hardwareProfile": {"vmSize": "Standard_B2s"},
                   "networkProfile": {"networkInterfaces": [{"id": nic_id, "properties": {"primary": true}}]}}}),
    ));
}

/// The console VM's private address: the fourth usable one of its subnet (Azure keeps .0-.3).
fn console_address(st: &State, subnet_id: &str) -> String {
    crate::resources::network::find_subnet(st, subnet_id)
        .and_then(|(_, s)| crate::resources::network::subnet_prefix(s))
        .and_then(|net| match net {
            ipnet::IpNet::V4(v4) => v4.hosts().nth(3).map(|ip| ip.to_string()),
            ipnet::IpNet::V6(_) => None,
        })
        .unwrap_or_else(|| "10.250.0.4".to_string())
}

/// `GET /metadata/instance`: the VM's compute and network facts as IMDS gives them, or `None`
/// when there is no metadata service (the console is outside Azure or unplaced): the
/// connection is then dropped, as the link-local address gives no answer off Azure.
pub(crate) fn instance_metadata(shared: &Shared, req: &Req) -> Option<Reply> {
    let network = shared.console_network();
    let Some(ConsoleNetwork::Subnet(subnet_id)) = network else {
        return None;
    };
    if !req
        .header("metadata")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        let mut r = Reply::json(
            StatusCode::BAD_REQUEST,
            json!({"error": "Bad request. Required metadata header not specified"}),
        );
        r.error_code = Some("BadRequest".into());
        return Some(r);
    }
    if req.q("api-version").is_none() {
        let mut r = Reply::json(
            StatusCode::BAD_REQUEST,
            json!({"error": "Bad request. api-version was not specified in the request. For more information refer to aka.ms/azureimds",
                   "newest-versions": ["2025-04-07", "2024-07-17", "2023-07-01"]}),
        );
        r.error_code = Some("BadRequest".into());
        return Some(r);
    }
    let st = shared.lock();
    let group = group_of(&subnet_id).unwrap_or_default();
    let vm_id = format!("{group}/providers/{VM_KIND}/{VM_NAME}");
    let vm = st
        .get(&vm_id)
        .map(|r| r.body.clone())
        .unwrap_or(Value::Null);
    let address = console_address(&st, &subnet_id);
    let prefix = crate::resources::network::find_subnet(&st, &subnet_id)
        .and_then(|(_, s)| crate::resources::network::subnet_prefix(s));
    let parts: Vec<&str> = group.trim_matches('/').split('/').collect();
    Some(Reply::ok(json!({
        "compute": {
            "azEnvironment": "AzurePublicCloud",
            "location": vm["location"],
            "name": VM_NAME,
            "resourceGroupName": parts.get(3).copied().unwrap_or_default(),
            "resourceId": vm_id,
            "subscriptionId": parts.get(1).copied().unwrap_or_default(),
            "vmId": vm.pointer("/properties/vmId").cloned().unwrap_or(Value::Null),
            "vmSize": "Standard_B2s",
        },
        "network": {"interface": [{
            "ipv4": {
                "ipAddress": [{"privateIpAddress": address, "publicIpAddress": ""}],
                "subnet": [{
                    "address": prefix.map(|p| p.network().to_string()).unwrap_or_default(),
                    "prefix": prefix.map(|p| p.prefix_len().to_string()).unwrap_or_default(),
                }],
            },
            "ipv6": {"ipAddress": []},
            "macAddress": "000D3A1B2C3D",
        }]},
    })))
}

/// Whether a request to a simulated API server comes from where that server cannot be reached;
/// if so, how long the connection attempt hangs before it fails.
pub(crate) fn unreachable_api_server(shared: &Shared, req: &Req) -> Option<Duration> {
    let network = shared.console_network()?;
    let cluster = req.segs.get(1)?;
    let st = shared.lock();
    let c = st.of_kind(crate::resources::aks::CLUSTER).find(|r| {
        r.body["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(cluster))
    })?;
    let private = c
        .body
        .pointer("/properties/apiServerAccessProfile/enablePrivateCluster")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if !private || reaches_cluster(&st, &network, c) {
        return None;
    }
    Some(Duration::from_secs_f64(
        (CONNECT_TIMEOUT_SECS * shared.time_scale).clamp(0.05, CONNECT_TIMEOUT_SECS),
    ))
}

/// The VNet of a cluster: the one holding its agent pools' subnet.
fn cluster_vnet(st: &State, cluster: &Resource) -> Option<String> {
    st.children(&cluster.id)
        .filter(|r| r.kind.eq_ignore_ascii_case(crate::resources::aks::POOL))
        .find_map(|p| {
            p.body
                .pointer("/properties/vnetSubnetID")
                .and_then(Value::as_str)
                .and_then(vnet_of)
                .map(str::to_string)
        })
}

/// Line of sight from the console to a private cluster's API server.
fn reaches_cluster(st: &State, network: &ConsoleNetwork, cluster: &Resource) -> bool {
    let ConsoleNetwork::Subnet(subnet) = network else {
        return false;
    };
    let (Some(console_vnet), Some(cluster_vnet)) = (vnet_of(subnet), cluster_vnet(st, cluster))
    else {
        return false;
    };
    if console_vnet.eq_ignore_ascii_case(&cluster_vnet) {
        return true;
    }
    let region = cluster.body["location"].as_str().unwrap_or_default();
    crate::resources::network::peering::connected(st, console_vnet, &cluster_vnet)
        && zone_linked(
            st,
            &format!("privatelink.{}.azmk8s.io", lower(region)),
            console_vnet,
        )
}

/// Whether a private zone named `zone` is linked to `vnet_id`.
pub(crate) fn zone_linked(st: &State, zone: &str, vnet_id: &str) -> bool {
    let marker = format!("/privatednszones/{}/virtualnetworklinks/", lower(zone));
    st.resources.iter().any(|(key, r)| {
        key.contains(&marker)
            && r.body
                .pointer("/properties/virtualNetwork/id")
                .and_then(Value::as_str)
                .is_some_and(|v| v.eq_ignore_ascii_case(vnet_id))
    })
}

/// Whether the console resolves names in the private zone of `link_prefix`
/// (`…/privatednszones/<zone>/virtualnetworklinks/`): unplaced, any link will do; placed, a
/// link to its own VNet; outside, never.
pub(crate) fn resolves_private(
    st: &State,
    network: Option<&ConsoleNetwork>,
    link_prefix: &str,
) -> bool {
    let mut links = st
        .resources
        .iter()
        .filter(|(k, _)| k.starts_with(link_prefix));
    match network {
        None => links.next().is_some(),
        Some(ConsoleNetwork::Outside) => false,
        Some(ConsoleNetwork::Subnet(subnet)) => {
            let vnet = vnet_of(subnet).unwrap_or_default().to_string();
            links.any(|(_, r)| {
                r.body
                    .pointer("/properties/virtualNetwork/id")
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.eq_ignore_ascii_case(&vnet))
            })
        }
    }
}
