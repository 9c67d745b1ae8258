//! The Application Gateway's lines in the inventory and the cost estimate.

use super::cost::{PriceTable, cents, money};
use super::gateway::{GatewayFrontend, GatewayPlan, MANAGED_RULE_SET};
use super::{CostLine, HOURS_PER_MONTH, PlannedResource, describe, names};
use crate::spec::{GatewaySku, InstallSpec, LbMode};

/// Capacity units one v2 instance provides, as Azure bills the autoscaling minimum
/// (learn.microsoft.com "Understanding pricing for Application Gateway and WAF", checked
/// 2026-12-07: "each instance ... approximately 10 capacity units").
pub const CAPACITY_UNITS_PER_INSTANCE: f64 = 10.0;

fn row(kind: &str, title: &str, name: String, count: u32, note: String) -> PlannedResource {
    PlannedResource {
        kind: kind.to_string(),
        title: title.to_string(),
        name,
        count_min: count,
        count_max: count,
        note,
        created_by_console: count > 0,
    }
}

/// The gateway, its WAF policy, its subnet and that subnet's NSG (none without a gateway).
pub(super) fn resources(spec: &InstallSpec) -> Vec<PlannedResource> {
    let Some(g) = GatewayPlan::from_spec(spec) else {
        return Vec::new();
    };
    let rg = &spec.azure.resource_group;
    let frontend = match &g.frontend {
        GatewayFrontend::Public { public_ip_name } => format!("public IP {public_ip_name}"),
        GatewayFrontend::Private { address } => format!("private frontend {address} only"),
    };
    let hosts: Vec<&str> = g.hosts.iter().map(|h| h.as_str()).collect();
    let mut out = vec![row(
        "Microsoft.Network/applicationGateways",
        "Application Gateway (v2)",
        format!("{} in {rg}", g.name),
        1,
        format!(
            "{}, autoscaling {}-{} instances over zones {}; {frontend}; HTTPS listeners for {} \
             (HTTP redirected); backend: the cluster's internal load balancer {}.",
            g.sku.as_str(),
            g.min_capacity,
            g.max_capacity,
            describe::and_list(&g.zones),
            describe::and_list(&hosts),
            g.backend_address
        ),
    )];
    if let (Some(policy), Some(mode)) = (&g.waf_policy_name, g.waf_mode) {
        out.push(row(
            "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies",
            "WAF policy",
            format!("{policy} in {rg}"),
            1,
            format!(
                "{mode} mode, managed rule set {} {}; associated with {}.",
                MANAGED_RULE_SET.0, MANAGED_RULE_SET.1, g.name
            ),
        ));
    }
    out.extend(subnet_rows(spec, &g));
    out
}

/// The gateway's subnet, and in a new VNet its NSG.
fn subnet_rows(spec: &InstallSpec, g: &GatewayPlan) -> Vec<PlannedResource> {
    if spec.cluster.network.existing_vnet.is_some() {
        return vec![row(
            "Microsoft.Network/virtualNetworks/subnets",
            "Subnet (Application Gateway, existing)",
            format!("{} ({})", g.subnet_name, g.subnet_cidr),
            0,
            "Used as it is, not created or modified; it must hold nothing but the gateway."
                .to_string(),
        )];
    }
    let listeners_from = match spec.ingress.load_balancer {
        LbMode::External => "Internet",
        LbMode::Internal => "VirtualNetwork",
    };
    vec![
        row(
            "Microsoft.Network/virtualNetworks/subnets",
            "Subnet (Application Gateway)",
            format!(
                "{} ({}) in {}",
                g.subnet_name,
                g.subnet_cidr,
                names::vnet(spec)
            ),
            1,
            format!(
                "Dedicated to the gateway: {} addresses for up to {} instances, the private \
                 frontend and Azure's 5 reserved (Microsoft recommends a /24 for v2).",
                g.subnet_cidr.size(),
                g.max_capacity
            ),
        ),
        row(
            "Microsoft.Network/networkSecurityGroups",
            "Network security group (Application Gateway)",
            names::gateway_nsg(spec),
            1,
            format!(
                "On subnet {}. Inbound: GatewayManager to TCP 65200-65535 (v2's infrastructure \
                 ports), AzureLoadBalancer, and TCP 80/443 from {listeners_from}; nothing wider.",
                g.subnet_name
            ),
        ),
    ]
}

/// The gateway at its autoscaling minimum and maximum: the fixed hourly price plus 10 capacity
/// units per instance.
pub(super) fn cost_line(spec: &InstallSpec, table: &PriceTable) -> Option<CostLine> {
    let g = spec.ingress.gateway.as_ref()?;
    let p = match g.sku {
        GatewaySku::StandardV2 => &table.app_gateway_hourly.standard_v2,
        GatewaySku::WafV2 => &table.app_gateway_hourly.waf_v2,
    };
    let monthly = |instances: u32| {
        cents(
            (p.fixed + f64::from(instances) * CAPACITY_UNITS_PER_INSTANCE * p.capacity_unit)
                * HOURS_PER_MONTH,
        )
    };
    Some(CostLine {
        item: format!(
            "Application Gateway {}: {} to {} instances",
            g.sku.as_str(),
            g.min_capacity,
            g.max_capacity
        ),
        unit_price: format!(
            "{}/hour per gateway + {}/hour per capacity unit (10 per instance)",
            money(table, p.fixed),
            money(table, p.capacity_unit)
        ),
        monthly_min: monthly(g.min_capacity),
        monthly_max: monthly(g.max_capacity),
    })
}
