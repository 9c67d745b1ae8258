//! The Application Gateway of an install (issue 17): what the `app-gateway` step creates, and
//! what the ingress load balancer behind it, DNS and verification use.

use super::names;
use crate::spec::{Cidr, Fqdn, GatewaySku, InstallSpec, LbMode, WafMode};
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

/// Where the platform answers its health check behind the gateway (the gateway's probe path).
pub const HEALTH_PATH: &str = "/healthz";

/// The gateway as planned for an install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayPlan {
    /// `agw-katonic-<cluster>`.
    pub name: String,
    /// `waf-katonic-<cluster>` when the SKU is WAF_v2.
    pub waf_policy_name: Option<String>,
    #[serde(with = "sku_text")]
    pub sku: GatewaySku,
    #[serde(with = "waf_text")]
    pub waf_mode: Option<WafMode>,
    pub min_capacity: u32,
    pub max_capacity: u32,
    /// The install's availability zones (`"1"`, `"2"`, ...).
    pub zones: Vec<String>,
    /// `snet-appgw` in a new VNet, the given subnet's name in an existing one.
    pub subnet_name: String,
    pub subnet_cidr: Cidr,
    pub frontend: GatewayFrontend,
    /// The cluster's ingress load balancer: internal in both modes behind a gateway, at
    /// `ingress.staticIp` or the address the plan chose in the AKS subnet.
    pub backend_address: Ipv4Addr,
    /// The platform's host, then each enabled add-on's (`dash-`, `connectors-`).
    pub hosts: Vec<Fqdn>,
    /// The platform's health path (the backend probe's path).
    #[serde(skip_deserializing, default = "health_path")]
    pub health_path: &'static str,
}

fn health_path() -> &'static str {
    HEALTH_PATH
}

impl GatewayPlan {
    /// The gateway of this install; `None` with `ingress.gateway: none`.
    pub fn from_spec(spec: &InstallSpec) -> Option<GatewayPlan> {
        let g = spec.ingress.gateway.as_ref()?;
        // `Some` whenever the gateway is on (`parse` derives or requires it).
        let subnet_cidr = spec.cluster.network.gateway_subnet_cidr?;
        let frontend = match spec.ingress.load_balancer {
            LbMode::External => GatewayFrontend::Public {
                public_ip_name: names::ingress_public_ip(spec),
            },
            LbMode::Internal => GatewayFrontend::Private {
                address: last_usable(subnet_cidr)?,
            },
        };
        Some(GatewayPlan {
            name: names::app_gateway(spec),
            waf_policy_name: g.waf_mode.map(|_| names::waf_policy(spec)),
            sku: g.sku,
            waf_mode: g.waf_mode,
            min_capacity: g.min_capacity,
            max_capacity: g.max_capacity,
            zones: spec.cluster.zones.to_strings(),
            subnet_name: names::gateway_subnet(spec),
            subnet_cidr,
            frontend,
            backend_address: ingress_address(spec)?,
            hosts: names::hosts(spec).into_iter().cloned().collect(),
            health_path: HEALTH_PATH,
        })
    }

    /// The frontend's address when it is private.
    pub fn private_address(&self) -> Option<Ipv4Addr> {
        match self.frontend {
            GatewayFrontend::Private { address } => Some(address),
            GatewayFrontend::Public { .. } => None,
        }
    }
}

/// The cluster's internal ingress load balancer address: `ingress.staticIp`, or behind a
/// gateway the AKS subnet's last usable address (chosen so the gateway can name its backend
/// before the cluster exists). AKS hands node addresses out from the start of the subnet, so
/// the end stays free; `parse` reserves one address for it in the subnet's budget, and Azure
/// keeps the broadcast address. `None`: no fixed address (internal without a gateway lets Azure
/// choose; external has none in the subnet).
pub fn ingress_address(spec: &InstallSpec) -> Option<Ipv4Addr> {
    spec.ingress.static_ip.or_else(|| {
        spec.ingress
            .gateway
            .as_ref()
            .and_then(|_| last_usable(spec.cluster.network.aks_subnet_cidr))
    })
}

/// The last address Azure lets a resource take in `subnet` (broadcast - 1; Azure reserves the
/// first 4 and the last). Gateway instances, like nodes, take addresses from the start.
fn last_usable(subnet: Cidr) -> Option<Ipv4Addr> {
    subnet
        .size()
        .checked_sub(2)
        .filter(|offset| *offset >= 4)
        .and_then(|offset| subnet.nth(offset))
}

/// The gateway's frontend: where the front door faces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum GatewayFrontend {
    /// `loadBalancer: external`: the ingress-ip step's public IP, now the gateway's.
    #[serde(rename_all = "camelCase")]
    Public { public_ip_name: String },
    /// `loadBalancer: internal`: a private-only gateway on a static address of its subnet.
    #[serde(rename_all = "camelCase")]
    Private { address: Ipv4Addr },
}

/// The SKU as ARM writes it, in the stored plan.
mod sku_text {
    use crate::spec::GatewaySku;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(sku: &GatewaySku, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(sku.as_str())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<GatewaySku, D::Error> {
        let text = String::deserialize(d)?;
        GatewaySku::parse(&text).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// The WAF mode as ARM writes it, in the stored plan.
mod waf_text {
    use crate::spec::WafMode;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(mode: &Option<WafMode>, s: S) -> Result<S::Ok, S::Error> {
        match mode {
            Some(m) => s.serialize_some(m.as_str()),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<WafMode>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|t| WafMode::parse(&t).map_err(|e| serde::de::Error::custom(e.message)))
            .transpose()
    }
}

/// One inbound rule of the gateway subnet's NSG (`nsg-appgw-<cluster>`, new VNet only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayNsgRule {
    pub name: &'static str,
    pub priority: u16,
    /// ARM's `protocol`: `Tcp` or `*`.
    pub protocol: &'static str,
    /// A service tag (`GatewayManager`, `AzureLoadBalancer`, `Internet`, `VirtualNetwork`).
    pub source: &'static str,
    /// ARM's `destinationPortRanges`.
    pub destination_ports: &'static [&'static str],
    /// Whether the destination is the gateway subnet's range (else any: the NSG sits on that
    /// subnet either way).
    pub to_subnet: bool,
    /// ARM's `description`: why the rule is there.
    pub why: &'static str,
}

impl GatewayPlan {
    /// What v2 requires inbound, and nothing wider (learn.microsoft.com "Application Gateway
    /// infrastructure configuration" and "Private Application Gateway deployment", checked
    /// 2026-12-07): the listener ports from the clients (the internet for a public frontend, the
    /// VNet with its peerings for a private one); TCP 65200-65535 from GatewayManager for a
    /// public frontend (a private-only gateway runs with network isolation, whose management
    /// stays on Azure's backbone, so it is not opened); AzureLoadBalancer (its probes; also a
    /// default rule, stated so a later deny-all keeps them). Azure's default rules deny the
    /// rest; outbound stays Azure's default (see `egress`). The console creates exactly these.
    pub fn nsg_rules(&self) -> Vec<GatewayNsgRule> {
        let public = matches!(self.frontend, GatewayFrontend::Public { .. });
        let mut rules = vec![GatewayNsgRule {
            name: "allow-clients-to-gateway",
            priority: 100,
            protocol: "Tcp",
            source: if public { "Internet" } else { "VirtualNetwork" },
            destination_ports: &["80", "443"],
            to_subnet: true,
            why: "Clients reach the gateway's listeners (HTTP redirects to HTTPS)",
        }];
        if public {
            rules.push(GatewayNsgRule {
                name: "allow-gateway-manager",
                priority: 110,
                protocol: "Tcp",
                source: "GatewayManager",
                destination_ports: &["65200-65535"],
                to_subnet: false,
                why: "Azure's management of an Application Gateway v2 (backend health, configuration)",
            });
        }
        rules.push(GatewayNsgRule {
            name: "allow-azure-load-balancer",
            priority: 120,
            protocol: "*",
            source: "AzureLoadBalancer",
            destination_ports: &["0-65535"],
            to_subnet: false,
            why: "Azure's load balancer probes the gateway's instances",
        });
        rules
    }
}

/// The WAF policy's managed rule set: Microsoft's Default Rule Set 2.2 (learn.microsoft.com
/// "Upgrade CRS or DRS ruleset version", checked 2026-12-07: "always use the highest available
/// version (DRS 2.2)").
pub const MANAGED_RULE_SET: (&str, &str) = ("Microsoft_DefaultRuleSet", "2.2");

/// The subscription feature a v2 gateway with only a private frontend needs (see
/// interface-17: without it Azure refuses a gateway without a public IP).
pub const NETWORK_ISOLATION_FEATURE: &str = "EnableApplicationGatewayNetworkIsolation";

/// The `app-gateway` step's words for the review page.
pub(super) fn detail(spec: &InstallSpec) -> String {
    let Some(g) = GatewayPlan::from_spec(spec) else {
        return "No Application Gateway: the cluster's load balancer is the front door."
            .to_string();
    };
    let waf = match (&g.waf_policy_name, g.waf_mode) {
        (Some(policy), Some(mode)) => format!(
            "WAF policy {policy} ({mode} mode, managed rule set {} {}) and ",
            MANAGED_RULE_SET.0, MANAGED_RULE_SET.1
        ),
        _ => String::new(),
    };
    let frontend = match &g.frontend {
        GatewayFrontend::Public { public_ip_name } => format!("public IP {public_ip_name}"),
        GatewayFrontend::Private { address } => format!(
            "a private frontend only, at {address} (the subscription feature \
             Microsoft.Network/{NETWORK_ISOLATION_FEATURE} must be registered)"
        ),
    };
    let hosts: Vec<&str> = g.hosts.iter().map(Fqdn::as_str).collect();
    format!(
        "Create {waf}Application Gateway {} ({}, autoscaling {}-{} instances over zones {}) in \
         subnet {} ({}) with {frontend}: HTTPS listeners for {} with the install's certificate, \
         HTTP redirected to HTTPS, and the cluster's internal load balancer at {} as its backend \
         over HTTPS (host names kept, probe {}). Runs beside the cluster's create; the backend \
         turns healthy once the ingress answers.",
        g.name,
        g.sku.as_str(),
        g.min_capacity,
        g.max_capacity,
        super::describe::and_list(&g.zones),
        g.subnet_name,
        g.subnet_cidr,
        super::describe::and_list(&hosts),
        g.backend_address,
        g.health_path,
    )
}

/// The network step's words about the gateway's subnet (empty without a gateway).
pub(super) fn network_detail(spec: &InstallSpec) -> String {
    let Some(cidr) = spec
        .cluster
        .network
        .gateway_subnet_cidr
        .filter(|_| spec.ingress.gateway.is_some())
    else {
        return String::new();
    };
    if spec.cluster.network.existing_vnet.is_some() {
        return format!(
            " The Application Gateway's subnet {} ({cidr}) must be dedicated to it.",
            names::gateway_subnet(spec)
        );
    }
    let rules: Vec<String> = GatewayPlan::from_spec(spec)
        .map(|g| g.nsg_rules())
        .unwrap_or_default()
        .iter()
        .map(|r| format!("{} to {}", r.source, r.destination_ports.join(",")))
        .collect();
    format!(
        " The Application Gateway gets subnet {} ({cidr}) with NSG {} allowing {} inbound.",
        names::gateway_subnet(spec),
        names::gateway_nsg(spec),
        rules.join("; ")
    )
}

/// What preflight checks for the gateway, appended to its list (empty without a gateway).
pub(super) fn preflight_detail(spec: &InstallSpec) -> String {
    let Some(g) = GatewayPlan::from_spec(spec) else {
        return String::new();
    };
    let subnet = if spec.cluster.network.existing_vnet.is_some() {
        format!(
            "that existing subnet {} is {} and empty",
            g.subnet_name, g.subnet_cidr
        )
    } else {
        format!("that subnet {} is free", g.subnet_cidr)
    };
    let isolation = match g.frontend {
        GatewayFrontend::Private { .. } => format!(
            ", the subscription feature Microsoft.Network/{NETWORK_ISOLATION_FEATURE} (a \
             private-only gateway needs it)"
        ),
        GatewayFrontend::Public { .. } => String::new(),
    };
    format!(
        ", the Application Gateway {} in {}, {subnet}{isolation}",
        g.sku.as_str(),
        spec.azure.location
    )
}
