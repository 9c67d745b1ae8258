//! The network phase of the cluster and agent pool PUTs: the pools' subnets (same VNet, all or
//! none), the network profile checked against that VNet, and the profile as AKS stores it.

use std::str::FromStr;

use ipnet::IpNet;
use serde_json::{Value, json};

use crate::arm::errors::ArmError;
use crate::resources::network;
use crate::state::State;

use super::checks::invalid;
use super::pool_spec::PoolSpec;

/// What the network phase of a cluster PUT settled: the pools' subnets, the requested profile
/// with the plugin defaulted, and its plugin facts.
pub(super) struct ClusterNetwork {
    pub subnets: Vec<String>,
    pub profile: Value,
    pub net: Net,
}

/// Subnets must exist and share one VNet; the profile defaults to Azure CNI overlay and must
/// not overlap that VNet.
pub(super) fn cluster_network(
    st: &State,
    props_in: &Value,
    specs: &[PoolSpec],
) -> Result<ClusterNetwork, ArmError> {
    let subnets = check_subnets_exist(st, specs)?;
    let mut profile = props_in.get("networkProfile").cloned().unwrap_or(json!({}));
    if profile["networkPlugin"].is_null() {
        profile["networkPlugin"] = json!("azure");
        if profile["networkPluginMode"].is_null() {
            profile["networkPluginMode"] = json!("overlay");
        }
    }
    network_profile(&profile, &vnet_spaces(st, &subnets))?;
    let net = Net::from_profile(&profile);
    Ok(ClusterNetwork {
        subnets,
        profile,
        net,
    })
}

/// The network profile as AKS reports it: its defaults filled in, a managed outbound IP in the
/// node resource group, and the plural CIDR lists.
pub(super) fn stored_profile(st: &State, network: &ClusterNetwork, node_rg: &str) -> Value {
    let mut netp = network.profile.clone();
    let net = &network.net;
    if netp["networkPolicy"].is_null() {
        netp["networkPolicy"] = json!("none");
    }
    if netp["serviceCidr"].is_null() {
        netp["serviceCidr"] = json!("10.0.0.0/16");
        netp["dnsServiceIP"] = json!("10.0.0.10");
    }
    if (net.overlay || net.plugin == "kubenet") && netp["podCidr"].is_null() {
        netp["podCidr"] = json!("10.244.0.0/16");
    }
    if netp["outboundType"].is_null() {
        netp["outboundType"] = json!("loadBalancer");
    }
    if netp["loadBalancerSku"].is_null() {
        netp["loadBalancerSku"] = json!("standard");
    }
    if netp["outboundType"].as_str() == Some("loadBalancer")
        && netp["loadBalancerProfile"].is_null()
    {
        let sub = st.account.subscription_id.clone();
        netp["loadBalancerProfile"] = json!({
            "managedOutboundIPs": {"count": 1},
            "effectiveOutboundIPs": [{"id": format!("/subscriptions/{sub}/resourceGroups/{node_rg}/providers/Microsoft.Network/publicIPAddresses/{}", uuid::Uuid::new_v4())}],
            "backendPoolType": "NodeIPConfiguration",
        });
    }
    if let Some(pod) = netp["podCidr"].as_str().map(str::to_string) {
        netp["podCidrs"] = json!([pod]);
    }
    if let Some(svc) = netp["serviceCidr"].as_str().map(str::to_string) {
        netp["serviceCidrs"] = json!([svc]);
    }
    netp["ipFamilies"] = json!(["IPv4"]);
    netp
}

/// Address spaces of the VNets of the given subnets.
fn vnet_spaces(st: &State, subnets: &[String]) -> Vec<ipnet::IpNet> {
    let mut out = Vec::new();
    for s in subnets {
        if let Some((vnet, _)) = network::find_subnet(st, s) {
            for p in vnet.body["properties"]["addressSpace"]["addressPrefixes"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if let Some(n) = p.as_str().and_then(|x| x.parse().ok())
                    && !out.contains(&n)
                {
                    out.push(n);
                }
            }
        }
    }
    out
}

pub(super) fn check_subnets_exist(st: &State, pools: &[PoolSpec]) -> Result<Vec<String>, ArmError> {
    let with: Vec<&PoolSpec> = pools.iter().filter(|p| p.subnet.is_some()).collect();
    if !with.is_empty() && with.len() != pools.len() {
        return Err(ArmError::bad_request(
            "InvalidParameter",
            "All agent pools must specify vnetSubnetID, or none of them.",
        )
        .target("properties.agentPoolProfiles.vnetSubnetID"));
    }
    let mut subnets: Vec<String> = Vec::new();
    let mut vnets: Vec<String> = Vec::new();
    for p in with {
        let id = p.subnet.clone().unwrap_or_default();
        let Some((vnet, subnet)) = network::find_subnet(st, &id) else {
            return Err(ArmError::bad_request(
                "InvalidParameter",
                format!("The value of parameter agentPoolProfile.vnetSubnetID is invalid: the subnet '{id}' of agent pool {} does not exist.", p.name),
            )
            .target("agentPoolProfile.vnetSubnetID"));
        };
        let canonical = subnet["id"].as_str().unwrap_or(&id).to_string();
        if !vnets.iter().any(|v| v.eq_ignore_ascii_case(&vnet.id)) {
            vnets.push(vnet.id.clone());
        }
        if !subnets.iter().any(|s| s.eq_ignore_ascii_case(&canonical)) {
            subnets.push(canonical);
        }
    }
    if vnets.len() > 1 {
        return Err(ArmError::bad_request(
            "InvalidParameter",
            "All agent pools of a cluster must use subnets of the same virtual network.",
        )
        .target("agentPoolProfile.vnetSubnetID"));
    }
    Ok(subnets)
}

/// Subnet demands of pools: (subnet, pool, nodes incl. surge, IPs per node).
pub(super) fn demands(pools: &[PoolSpec], net: &Net) -> Vec<(String, String, i64, i64)> {
    pools
        .iter()
        .filter_map(|p| {
            let s = p.subnet.clone()?;
            Some((
                s,
                p.name.clone(),
                p.nodes_at_max() + p.surge(),
                net.ips_per_node(p.max_pods.or(Some(net.default_max_pods()))),
            ))
        })
        .collect()
}

/// Network plugin facts of a cluster.
pub(crate) struct Net {
    pub plugin: String,
    pub overlay: bool,
}

impl Net {
    pub fn from_profile(profile: &Value) -> Self {
        Self {
            plugin: profile["networkPlugin"]
                .as_str()
                .unwrap_or("azure")
                .to_ascii_lowercase(),
            overlay: profile["networkPluginMode"]
                .as_str()
                .is_some_and(|m| m.eq_ignore_ascii_case("overlay")),
        }
    }

    /// Classic Azure CNI pre-allocates an IP per pod.
    pub fn classic(&self) -> bool {
        self.plugin == "azure" && !self.overlay
    }

    pub fn default_max_pods(&self) -> i64 {
        if self.classic() {
            30
        } else if self.overlay {
            250
        } else {
            110
        }
    }

    /// Subnet IPs one node takes.
    pub fn ips_per_node(&self, max_pods: Option<i64>) -> i64 {
        if self.classic() {
            max_pods.unwrap_or(30) + 1
        } else {
            1
        }
    }
}

fn net(s: &str, param: &str) -> Result<IpNet, ArmError> {
    IpNet::from_str(s).map_err(|_| {
        invalid(
            param,
            format!("The value of parameter {param} is invalid: '{s}' is not a valid CIDR."),
        )
    })
}

/// Check the network profile against the VNets of the pools' subnets.
pub(crate) fn network_profile(profile: &Value, vnet_spaces: &[IpNet]) -> Result<(), ArmError> {
    plugin(profile)?;
    let service = service_cidr(profile)?;
    for space in vnet_spaces {
        if overlaps(&service, space) {
            return Err(ArmError::bad_request(
                "ServiceCidrOverlapExistingSubnetsCidr",
                format!(
                    "The specified service CIDR {service} is conflicted with an existing subnet CIDR {space}"
                ),
            ));
        }
    }
    if let Some(pod) = profile["podCidr"].as_str() {
        let pod = net(pod, "properties.networkProfile.podCidr")?;
        if overlaps(&pod, &service) || vnet_spaces.iter().any(|s| overlaps(&pod, s)) {
            return Err(ArmError::bad_request(
                "PodCidrOverlapExistingSubnetsCidr",
                format!(
                    "The specified pod CIDR {pod} overlaps the service CIDR or the virtual network."
                ),
            ));
        }
    }
    Ok(())
}

/// Plugin, plugin mode and policy go together; classic Azure CNI takes no pod CIDR.
fn plugin(profile: &Value) -> Result<(), ArmError> {
    let n = Net::from_profile(profile);
    if !["azure", "kubenet", "none"].contains(&n.plugin.as_str()) {
        return Err(invalid(
            "properties.networkProfile.networkPlugin",
            format!("Network plugin '{}' is not supported.", n.plugin),
        ));
    }
    if n.overlay && n.plugin != "azure" {
        return Err(invalid(
            "properties.networkProfile.networkPluginMode",
            "networkPluginMode 'overlay' requires networkPlugin 'azure'.",
        ));
    }
    let policy = profile["networkPolicy"]
        .as_str()
        .unwrap_or("none")
        .to_ascii_lowercase();
    if policy == "azure" && n.plugin != "azure" {
        return Err(invalid(
            "properties.networkProfile.networkPolicy",
            "networkPolicy 'azure' requires networkPlugin 'azure'.",
        ));
    }
    if n.classic() && profile["podCidr"].as_str().is_some() {
        return Err(invalid(
            "properties.networkProfile.podCidr",
            "podCidr is not allowed with networkPlugin 'azure' unless networkPluginMode is 'overlay'.",
        ));
    }
    Ok(())
}

/// The service CIDR (AKS's default when absent), with `dnsServiceIP` inside it.
fn service_cidr(profile: &Value) -> Result<IpNet, ArmError> {
    let service = profile["serviceCidr"]
        .as_str()
        .map(|s| net(s, "properties.networkProfile.serviceCidr"))
        .transpose()?;
    let dns = profile["dnsServiceIP"].as_str();
    if let (Some(svc), Some(dns)) = (&service, dns) {
        let ip = std::net::IpAddr::from_str(dns).map_err(|_| {
            invalid(
                "properties.networkProfile.dnsServiceIP",
                format!("dnsServiceIP '{dns}' is not an IP address."),
            )
        })?;
        if !svc.contains(&ip) || ip == svc.network() {
            return Err(ArmError::bad_request(
                "InvalidDNSServiceIP",
                format!(
                    "The DNSServiceIP {dns} must be within the service CIDR {svc} and must not be its first address."
                ),
            ));
        }
    } else if service.is_some() != dns.is_some() {
        return Err(invalid(
            "properties.networkProfile.dnsServiceIP",
            "serviceCidr and dnsServiceIP must be specified together.",
        ));
    }
    Ok(service.unwrap_or_else(|| IpNet::from_str("10.0.0.0/16").unwrap_or_default()))
}

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// Pools of a cluster share its VNet: a new pool's subnet must be in the VNet of the subnet an
/// existing pool uses.
pub(super) fn same_vnet_as_pools(
    st: &State,
    cluster_id: &str,
    subnet: Option<&String>,
) -> Result<(), ArmError> {
    let (Some(s), Some(other)) = (
        subnet,
        super::pools_of(st, cluster_id).find_map(|r| {
            r.body["properties"]["vnetSubnetID"]
                .as_str()
                .map(str::to_string)
        }),
    ) else {
        return Ok(());
    };
    let vnet_of = |x: &str| {
        x.to_ascii_lowercase()
            .rsplit_once("/subnets/")
            .map(|(v, _)| v.to_string())
    };
    if vnet_of(s) != vnet_of(&other) {
        return Err(ArmError::bad_request(
            "InvalidParameter",
            "All agent pools of a cluster must use subnets of the same virtual network.",
        )
        .target("properties.vnetSubnetID"));
    }
    Ok(())
}
