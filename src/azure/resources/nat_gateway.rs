//! A NAT gateway (`natGateway.json`, Network 2025-07-01, `NatGateway`): the jumphost subnet's way
//! out (`cluster.network.jumphostEgress: natGateway`), Standard SKU with one Standard static
//! public IP, no zone (regional).

use serde::Serialize;

use super::{SubResource, Tags};

#[derive(Debug, Clone, Serialize)]
pub struct NatGateway {
    pub location: String,
    pub tags: Tags,
    pub sku: NatGatewaySku,
    pub properties: NatGatewayProperties,
}

#[derive(Debug, Clone, Serialize)]
pub struct NatGatewaySku {
    /// `Standard` | `StandardV2`
    pub name: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NatGatewayProperties {
    /// TCP idle timeout, 4-120 minutes (Azure's default 4).
    pub idle_timeout_in_minutes: u32,
    pub public_ip_addresses: Vec<SubResource>,
}

impl NatGateway {
    /// Standard, Azure's default idle timeout, with the public IP `public_ip`.
    pub fn standard(location: String, tags: Tags, public_ip: String) -> Self {
        NatGateway {
            location,
            tags,
            sku: NatGatewaySku { name: "Standard" },
            properties: NatGatewayProperties {
                idle_timeout_in_minutes: 4,
                public_ip_addresses: vec![SubResource { id: public_ip }],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_body_is_a_standard_gateway_with_its_address() {
        let body = serde_json::to_value(NatGateway::standard(
            "eastus".into(),
            Tags::new(),
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/publicIPAddresses/p"
                .into(),
        ))
        .unwrap();
        assert_eq!(
            body,
            json!({"location": "eastus", "tags": {}, "sku": {"name": "Standard"},
                   "properties": {"idleTimeoutInMinutes": 4, "publicIpAddresses": [
                       {"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/publicIPAddresses/p"}]}})
        );
    }
}
