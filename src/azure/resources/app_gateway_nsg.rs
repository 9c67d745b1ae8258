//! The NSG rules of an Application Gateway v2's subnet (Microsoft.Network 2025-07-01,
//! `networkSecurityGroup.json`).

use crate::azure::resources::network::{SecurityRule, SecurityRuleProperties};

/// Which kind of frontend the gateway subnet's NSG serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontendKind {
    Public,
    Private,
}

/// The inbound rules a v2 gateway's subnet needs, and nothing wider (learn.microsoft.com,
/// "Application Gateway infrastructure configuration" and "Private Application Gateway
/// deployment", checked 2026-12-07):
/// - client traffic on the listener ports 80 and 443, to the gateway subnet: from `Internet`
///   for a public frontend, from `VirtualNetwork` for a private one;
/// - `GatewayManager` on TCP 65200-65535 (backend health and management of v2), for a public
///   frontend; a private-only gateway runs with network isolation, whose management traffic
///   stays on Azure's backbone, so that rule is not needed (and not opened);
/// - `AzureLoadBalancer` probes (also a default rule; stated so a later deny-all keeps them).
///   Outbound stays at the defaults (v2 needs outbound Internet unless isolated).
pub fn gateway_subnet_rules(kind: FrontendKind, subnet_cidr: &str) -> Vec<SecurityRule> {
    let client_source = match kind {
        FrontendKind::Public => "Internet",
        FrontendKind::Private => "VirtualNetwork",
    };
    let mut rules = vec![rule(
        "allow-clients-to-gateway",
        100,
        client_source,
        subnet_cidr,
        &["80", "443"],
        "Clients reach the gateway's listeners (HTTP redirects to HTTPS)",
    )];
    if kind == FrontendKind::Public {
        rules.push(rule(
            "allow-gateway-manager",
            110,
            "GatewayManager",
            "*",
            &["65200-65535"],
            "Azure's management of an Application Gateway v2 (backend health, configuration)",
        ));
    }
    rules.push(rule(
        "allow-azure-load-balancer",
        120,
        "AzureLoadBalancer",
        "*",
        &["0-65535"],
        "Azure's load balancer probes the gateway's instances",
    ));
    rules
}

fn rule(
    name: &str,
    priority: u16,
    source: &str,
    destination: &str,
    ports: &[&str],
    why: &str,
) -> SecurityRule {
    SecurityRule {
        name: name.to_string(),
        properties: SecurityRuleProperties {
            priority,
            direction: "Inbound",
            access: "Allow",
            protocol: if source == "AzureLoadBalancer" {
                "*"
            } else {
                "Tcp"
            },
            source_address_prefix: source.to_string(),
            source_port_range: "*".to_string(),
            destination_address_prefix: destination.to_string(),
            destination_port_ranges: ports.iter().map(|p| p.to_string()).collect(),
            description: Some(why.to_string()),
        },
    }
}
