//! The NSG rules of an Application Gateway v2's subnet (Microsoft.Network 2025-07-01,
//! `networkSecurityGroup.json`).

use crate::azure::resources::network::{SecurityRule, SecurityRuleProperties};
use katonic_domain::plan::GatewayNsgRule;

/// The gateway subnet's NSG rules as ARM takes them: the plan's (see
/// [`katonic_domain::plan::GatewayPlan::nsg_rules`], which says why each is there), the client
/// rule aimed at `subnet_cidr`.
pub fn gateway_subnet_rules(rules: &[GatewayNsgRule], subnet_cidr: &str) -> Vec<SecurityRule> {
    rules
        .iter()
        .map(|r| SecurityRule {
            name: r.name.to_string(),
            properties: SecurityRuleProperties {
                priority: r.priority,
                direction: "Inbound",
                access: "Allow",
                protocol: r.protocol,
                source_address_prefix: r.source.to_string(),
                source_port_range: "*".to_string(),
                destination_address_prefix: if r.to_subnet { subnet_cidr } else { "*" }.to_string(),
                destination_port_ranges: r
                    .destination_ports
                    .iter()
                    .map(|p| p.to_string())
                    .collect(),
                description: Some(r.why.to_string()),
            },
        })
        .collect()
}
