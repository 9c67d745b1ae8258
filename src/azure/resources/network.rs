//! Microsoft.Network 2025-07-01: virtual networks, subnets, network security groups, public IP
//! addresses (the last from `specs/extra/Microsoft.Network/2025-07-01/publicIpAddress.json`).

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
    /// The subnet's NAT gateway (the jumphost's way out, when the spec asks for one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nat_gateway: Option<SubResource>,
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

/// A public IP address (`publicIpAddress.json`, `PublicIPAddress`): the console asks for
/// Standard SKU, Static allocation and IPv4, the only shape a Standard load balancer frontend
/// takes.
#[derive(Debug, Clone, Serialize)]
pub struct PublicIpAddress {
    pub location: String,
    pub tags: Tags,
    pub sku: PublicIpAddressSku,
    /// Zone-redundant when it lists every zone of the cluster; left out in a region without
    /// zones (the spec's `zones` is optional).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    pub properties: PublicIpAddressProperties,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicIpAddressSku {
    /// `Basic` | `Standard` | `StandardV2`
    pub name: &'static str,
    /// `Regional` | `Global`
    pub tier: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicIpAddressProperties {
    /// `Static` | `Dynamic` (Standard SKU: Static only).
    #[serde(rename = "publicIPAllocationMethod")]
    pub public_ip_allocation_method: &'static str,
    /// `IPv4` | `IPv6`
    #[serde(rename = "publicIPAddressVersion")]
    pub public_ip_address_version: &'static str,
}

impl PublicIpAddress {
    /// A Standard, static, regional-tier IPv4 address across `zones`.
    pub fn standard_static_ipv4(location: String, tags: Tags, zones: Vec<String>) -> Self {
        PublicIpAddress {
            location,
            tags,
            sku: PublicIpAddressSku {
                name: "Standard",
                tier: "Regional",
            },
            zones,
            properties: PublicIpAddressProperties {
                public_ip_allocation_method: "Static",
                public_ip_address_version: "IPv4",
            },
        }
    }
}

/// The parts of a public IP the steps read.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct PublicIpAddressResponse {
    #[serde(default)]
    pub properties: PublicIpAddressResponseProperties,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicIpAddressResponseProperties {
    /// Assigned at creation for Static allocation.
    pub ip_address: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_ingress_public_ip_body_is_standard_static_ipv4_across_the_zones() {
        let tags = super::super::install_tags("job-1");
        let body = serde_json::to_value(PublicIpAddress::standard_static_ipv4(
            "eastus".into(),
            tags,
            vec!["1".into(), "2".into()],
        ))
        .unwrap();
        assert_eq!(
            body,
            json!({
                "location": "eastus",
                "tags": {"managed-by": "katonic-console", "katonic-install": "job-1"},
                "sku": {"name": "Standard", "tier": "Regional"},
                "zones": ["1", "2"],
                "properties": {"publicIPAllocationMethod": "Static", "publicIPAddressVersion": "IPv4"}
            })
        );
        let regional = serde_json::to_value(PublicIpAddress::standard_static_ipv4(
            "westus".into(),
            Tags::new(),
            Vec::new(),
        ))
        .unwrap();
        assert!(regional.get("zones").is_none(), "{regional}");
    }
}
