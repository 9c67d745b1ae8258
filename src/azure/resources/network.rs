//! Microsoft.Network 2025-07-01: virtual networks, subnets, network security groups.

use super::{SubResource, Tags};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct VirtualNetwork {
    pub location: String,
    pub tags: Tags,
    pub properties: VirtualNetworkProperties,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualNetworkProperties {
    pub address_space: AddressSpace,
    pub subnets: Vec<Subnet>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressSpace {
    pub address_prefixes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Subnet {
    pub name: String,
    pub properties: SubnetProperties,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubnetProperties {
    pub address_prefix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_security_group: Option<SubResource>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetworkSecurityGroup {
    pub location: String,
    pub tags: Tags,
    pub properties: NetworkSecurityGroupProperties,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkSecurityGroupProperties {
    pub security_rules: Vec<SecurityRule>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecurityRule {
    pub name: String,
    pub properties: SecurityRuleProperties,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityRuleProperties {
    pub priority: u16,
    /// `Inbound` | `Outbound`
    pub direction: &'static str,
    /// `Allow` | `Deny`
    pub access: &'static str,
    /// `Tcp` | `Udp` | `Icmp` | `Esp` | `Ah` | `*`
    pub protocol: &'static str,
    pub source_address_prefix: String,
    pub source_port_range: String,
    pub destination_address_prefix: String,
    pub destination_port_ranges: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}
