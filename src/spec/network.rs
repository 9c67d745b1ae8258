//! IPv4 CIDRs and the cluster network: VNet, subnets, plugin, pod/service ranges.

use super::Invalid;
use std::net::Ipv4Addr;

/// An IPv4 network in canonical form (no host bits set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr(ipnet::Ipv4Net);

impl Cidr {
    /// Parse `a.b.c.d/p`; host bits set is refused with the canonical form as the fix.
    pub fn parse(input: &str) -> Result<Cidr, Invalid> {
        todo!("{input}")
    }
    pub fn net(&self) -> ipnet::Ipv4Net {
        self.0
    }
    pub fn prefix(&self) -> u8 {
        self.0.prefix_len()
    }
    /// Number of addresses in the range (2^(32-prefix)).
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.0.prefix_len()))
    }
    pub fn contains_net(&self, other: &Cidr) -> bool {
        self.0.contains(&other.0)
    }
    pub fn contains_ip(&self, ip: Ipv4Addr) -> bool {
        self.0.contains(&ip)
    }
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.0.contains(&other.0.network()) || other.0.contains(&self.0.network())
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How pods get addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkPlugin {
    /// Azure CNI overlay: pods from `podCidr`, only nodes use subnet addresses (`azure-overlay`).
    AzureOverlay,
    /// Classic Azure CNI: every pod takes a subnet address (`azure`).
    Azure,
    /// kubenet (retiring): pods from `podCidr` behind route tables (`kubenet`).
    Kubenet,
}

impl NetworkPlugin {
    /// The value written in the document.
    pub fn as_str(&self) -> &'static str {
        match self {
            NetworkPlugin::AzureOverlay => "azure-overlay",
            NetworkPlugin::Azure => "azure",
            NetworkPlugin::Kubenet => "kubenet",
        }
    }
    /// AKS's default `maxPods` for this plugin.
    pub fn default_max_pods(&self) -> u32 {
        match self {
            NetworkPlugin::AzureOverlay => 250,
            NetworkPlugin::Azure => 30,
            NetworkPlugin::Kubenet => 110,
        }
    }
    /// Whether pods take addresses from `podCidr` rather than the subnet.
    pub fn uses_pod_cidr(&self) -> bool {
        !matches!(self, NetworkPlugin::Azure)
    }
}

/// NetworkPolicy engine (the platform relies on NetworkPolicy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkPolicy {
    Calico,
    Azure,
}

/// Cluster egress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboundType {
    LoadBalancer,
    UserDefinedRouting,
    ManagedNatGateway,
}

/// The cluster network, cross-checked (subnets inside the VNet, no overlaps, service range
/// outside the VNet, DNS service IP inside the service range, AKS-forbidden ranges avoided).
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSpec {
    pub vnet_cidr: Cidr,
    pub aks_subnet_cidr: Cidr,
    pub jumphost_subnet_cidr: Cidr,
    pub plugin: NetworkPlugin,
    pub network_policy: NetworkPolicy,
    /// Present exactly when the plugin uses a pod CIDR (overlay, kubenet).
    pub pod_cidr: Option<Cidr>,
    pub service_cidr: Cidr,
    pub dns_service_ip: Ipv4Addr,
    /// Pods per node, 10-250.
    pub max_pods: u32,
    pub outbound_type: OutboundType,
}
