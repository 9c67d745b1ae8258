//! Microsoft.Network 2025-07-01: an Application Gateway v2 (`applicationGateway.json` in
//! `shared/azure-specs`) and its WAF policy (`webapplicationfirewall.json`, `specs/extra`),
//! field for field from those specs. What the console builds: TLS ends at the gateway (one
//! HTTPS listener per host with SNI, the install's certificate as an uploaded PFX), HTTP
//! redirects to HTTPS, and every host goes over HTTPS to the cluster's internal ingress load
//! balancer with the request's host kept, trusted through the in-cluster certificate's root.

use super::{SubResource, Tags};
use crate::azure::resources::network::{SecurityRule, SecurityRuleProperties};
use secrecy::{ExposeSecret, SecretString};
use serde::{Serialize, Serializer};
use std::net::Ipv4Addr;

pub const GATEWAY_TYPE: &str = "Microsoft.Network/applicationGateways";
pub const WAF_POLICY_TYPE: &str =
    "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies";

/// The managed rule set a new WAF policy runs: Microsoft's Default Rule Set 2.2, "the latest
/// recommended Azure WAF ruleset" (GA for Application Gateway on 2026-04-29; learn.microsoft.com
/// "Upgrade CRS or DRS ruleset version" says to always run the highest DRS, 2.2; checked
/// 2026-12-07). OWASP CRS 3.2 is the older generation DRS replaces.
pub const MANAGED_RULE_SET_TYPE: &str = "Microsoft_DefaultRuleSet";
pub const MANAGED_RULE_SET_VERSION: &str = "2.2";

/// Names of the gateway's children (ARM names them; the body references them by id).
pub mod child {
    pub const GATEWAY_IP: &str = "gateway-ip";
    pub const FRONTEND_PUBLIC: &str = "frontend-public";
    pub const FRONTEND_PRIVATE: &str = "frontend-private";
    pub const PORT_HTTPS: &str = "port-443";
    pub const PORT_HTTP: &str = "port-80";
    pub const CERTIFICATE: &str = "install-certificate";
    pub const BACKEND_ROOT: &str = "ingress-root";
    pub const BACKEND_POOL: &str = "ingress";
    pub const BACKEND_SETTINGS: &str = "ingress-https";
    pub const PROBE: &str = "ingress-health";
}

/// The gateway's SKU (`ApplicationGatewaySku`): name and tier are the same word on v2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewaySkuName {
    StandardV2,
    WafV2,
}

impl GatewaySkuName {
    pub fn as_str(self) -> &'static str {
        match self {
            GatewaySkuName::StandardV2 => "Standard_v2",
            GatewaySkuName::WafV2 => "WAF_v2",
        }
    }
}

/// Where the gateway listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frontend {
    /// A Standard static public IP (`loadBalancer: external`).
    Public { public_ip_id: String },
    /// A static private address in the gateway subnet, and no public IP at all
    /// (`loadBalancer: internal`: needs the subscription's network isolation feature).
    Private { address: Ipv4Addr },
}

/// The install's certificate as the gateway takes it: a PKCS#12 (base64) and its password.
/// Both are secrets: `Debug` shows neither, and they are serialised only into the request body.
#[derive(Debug, Clone)]
pub struct GatewayCertificate {
    pub pfx_base64: SecretString,
    pub password: SecretString,
}

/// Everything the gateway's body is made from.
#[derive(Debug, Clone)]
pub struct GatewayDesign {
    /// The gateway's own resource id (its children are referenced under it).
    pub gateway_id: String,
    pub location: String,
    pub tags: Tags,
    pub zones: Vec<String>,
    pub sku: GatewaySkuName,
    pub min_capacity: u32,
    pub max_capacity: u32,
    pub subnet_id: String,
    pub frontend: Frontend,
    /// The cluster's internal ingress load balancer.
    pub backend_address: Ipv4Addr,
    /// Platform FQDN first, then the add-on hosts.
    pub hosts: Vec<String>,
    pub health_path: String,
    pub certificate: GatewayCertificate,
    /// The in-cluster certificate's root (base64 DER) when it is not a well-known CA's: a
    /// trial certificate is its own root. `None`: v2 trusts well-known CAs by itself.
    pub trusted_root_der_base64: Option<String>,
    /// The WAF policy (WAF_v2 only).
    pub firewall_policy_id: Option<String>,
}

/// `{ name, properties }`: every child of the gateway.
#[derive(Debug, Clone, Serialize)]
pub struct Child<P> {
    pub name: String,
    pub properties: P,
}

fn child<P>(name: impl Into<String>, properties: P) -> Child<P> {
    Child {
        name: name.into(),
        properties,
    }
}

/// `ApplicationGateway` (with `Resource`'s location and tags).
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationGateway {
    pub location: String,
    pub tags: Tags,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    pub properties: GatewayProperties,
}

/// `ApplicationGatewayPropertiesFormat`, the parts the console sets.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayProperties {
    pub sku: GatewaySku,
    pub ssl_policy: SslPolicy,
    pub autoscale_configuration: AutoscaleConfiguration,
    #[serde(rename = "gatewayIPConfigurations")]
    pub gateway_ip_configurations: Vec<Child<SubnetRef>>,
    #[serde(rename = "frontendIPConfigurations")]
    pub frontend_ip_configurations: Vec<Child<FrontendIpConfiguration>>,
    pub frontend_ports: Vec<Child<FrontendPort>>,
    pub ssl_certificates: Vec<Child<SslCertificate>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trusted_root_certificates: Vec<Child<TrustedRootCertificate>>,
    pub backend_address_pools: Vec<Child<BackendAddressPool>>,
    pub backend_http_settings_collection: Vec<Child<BackendHttpSettings>>,
    pub probes: Vec<Child<Probe>>,
    pub http_listeners: Vec<Child<HttpListener>>,
    pub redirect_configurations: Vec<Child<RedirectConfiguration>>,
    pub request_routing_rules: Vec<Child<RequestRoutingRule>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firewall_policy: Option<SubResource>,
    pub enable_http2: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct GatewaySku {
    pub name: &'static str,
    pub tier: &'static str,
}

/// TLS 1.2 and up with Microsoft's current predefined cipher list.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SslPolicy {
    /// `Predefined`
    pub policy_type: &'static str,
    /// `AppGwSslPolicy20220101`
    pub policy_name: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoscaleConfiguration {
    pub min_capacity: u32,
    pub max_capacity: u32,
}

/// `ApplicationGatewayIPConfigurationPropertiesFormat`: the gateway subnet.
#[derive(Debug, Clone, Serialize)]
pub struct SubnetRef {
    pub subnet: SubResource,
}

/// `ApplicationGatewayFrontendIPConfigurationPropertiesFormat`.
#[derive(Debug, Clone, Serialize)]
pub struct FrontendIpConfiguration {
    #[serde(rename = "publicIPAddress", skip_serializing_if = "Option::is_none")]
    pub public_ip_address: Option<SubResource>,
    #[serde(rename = "privateIPAddress", skip_serializing_if = "Option::is_none")]
    pub private_ip_address: Option<String>,
    /// `Static` with a private address.
    #[serde(
        rename = "privateIPAllocationMethod",
        skip_serializing_if = "Option::is_none"
    )]
    pub private_ip_allocation_method: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet: Option<SubResource>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FrontendPort {
    pub port: u16,
}

/// `ApplicationGatewaySslCertificatePropertiesFormat`: a PFX and its password. Azure never
/// returns either (GET shows `publicCertData`).
#[derive(Debug, Clone, Serialize)]
pub struct SslCertificate {
    #[serde(serialize_with = "expose")]
    pub data: SecretString,
    #[serde(serialize_with = "expose")]
    pub password: SecretString,
}

fn expose<S: Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose_secret())
}

/// `ApplicationGatewayTrustedRootCertificatePropertiesFormat`: base64 of the root's DER.
#[derive(Debug, Clone, Serialize)]
pub struct TrustedRootCertificate {
    pub data: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendAddressPool {
    pub backend_addresses: Vec<BackendAddress>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendAddress {
    pub ip_address: String,
}

/// `ApplicationGatewayBackendHttpSettingsPropertiesFormat`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendHttpSettings {
    pub port: u16,
    /// `Https`
    pub protocol: &'static str,
    /// `Disabled`
    pub cookie_based_affinity: &'static str,
    /// Seconds.
    pub request_timeout: u32,
    /// `false`: no host override, so the request's own host reaches the ingress (which routes
    /// by host) and the SNI the in-cluster certificate answers.
    pub pick_host_name_from_backend_address: bool,
    pub probe: SubResource,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trusted_root_certificates: Vec<SubResource>,
}

/// `ApplicationGatewayProbePropertiesFormat`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    /// `Https`
    pub protocol: &'static str,
    /// The platform's host: the settings carry no host name to pick from.
    pub host: String,
    pub path: String,
    /// Seconds.
    pub interval: u32,
    pub timeout: u32,
    pub unhealthy_threshold: u32,
    pub pick_host_name_from_backend_http_settings: bool,
    #[serde(rename = "match")]
    pub matches: ProbeMatch,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeMatch {
    pub status_codes: Vec<String>,
}

/// `ApplicationGatewayHttpListenerPropertiesFormat`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpListener {
    #[serde(rename = "frontendIPConfiguration")]
    pub frontend_ip_configuration: SubResource,
    pub frontend_port: SubResource,
    /// `Https` | `Http`
    pub protocol: &'static str,
    pub host_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssl_certificate: Option<SubResource>,
    pub require_server_name_indication: bool,
}

/// `ApplicationGatewayRedirectConfigurationPropertiesFormat`: HTTP to the HTTPS listener.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedirectConfiguration {
    /// `Permanent`
    pub redirect_type: &'static str,
    pub target_listener: SubResource,
    pub include_path: bool,
    pub include_query_string: bool,
}

/// `ApplicationGatewayRequestRoutingRulePropertiesFormat`: `Basic`, with the `priority` v2
/// requires (since api-version 2021-08-01).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRoutingRule {
    /// `Basic`
    pub rule_type: &'static str,
    pub priority: u32,
    pub http_listener: SubResource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_address_pool: Option<SubResource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_http_settings: Option<SubResource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_configuration: Option<SubResource>,
}

fn sub(id: String) -> SubResource {
    SubResource { id }
}

impl GatewayDesign {
    /// `{gateway id}/{collection}/{name}`: how one child references another.
    fn child_id(&self, collection: &str, name: &str) -> SubResource {
        sub(format!("{}/{collection}/{name}", self.gateway_id))
    }

    fn frontend_name(&self) -> &'static str {
        match self.frontend {
            Frontend::Public { .. } => child::FRONTEND_PUBLIC,
            Frontend::Private { .. } => child::FRONTEND_PRIVATE,
        }
    }

    fn frontend(&self) -> Child<FrontendIpConfiguration> {
        let properties = match &self.frontend {
            Frontend::Public { public_ip_id } => FrontendIpConfiguration {
                public_ip_address: Some(sub(public_ip_id.clone())),
                private_ip_address: None,
                private_ip_allocation_method: None,
                subnet: None,
            },
            Frontend::Private { address } => FrontendIpConfiguration {
                public_ip_address: None,
                private_ip_address: Some(address.to_string()),
                private_ip_allocation_method: Some("Static"),
                subnet: Some(sub(self.subnet_id.clone())),
            },
        };
        child(self.frontend_name(), properties)
    }

    fn backend_settings(&self) -> Child<BackendHttpSettings> {
        let roots = self
            .trusted_root_der_base64
            .as_ref()
            .map(|_| self.child_id("trustedRootCertificates", child::BACKEND_ROOT))
            .into_iter()
            .collect();
        child(
            child::BACKEND_SETTINGS,
            BackendHttpSettings {
                port: 443,
                protocol: "Https",
                cookie_based_affinity: "Disabled",
                request_timeout: 120,
                pick_host_name_from_backend_address: false,
                probe: self.child_id("probes", child::PROBE),
                trusted_root_certificates: roots,
            },
        )
    }

    fn probe(&self) -> Child<Probe> {
        child(
            child::PROBE,
            Probe {
                protocol: "Https",
                host: self.hosts.first().cloned().unwrap_or_default(),
                path: self.health_path.clone(),
                interval: 30,
                timeout: 30,
                unhealthy_threshold: 3,
                pick_host_name_from_backend_http_settings: false,
                matches: ProbeMatch {
                    status_codes: vec!["200-399".to_string()],
                },
            },
        )
    }

    /// Per host: an HTTPS listener routed to the ingress, and an HTTP listener redirected to it.
    fn per_host(&self) -> PerHost {
        let mut out = PerHost::default();
        let frontend = self.child_id("frontendIPConfigurations", self.frontend_name());
        for (i, host) in self.hosts.iter().enumerate() {
            let (https, http) = (format!("https-{i}"), format!("http-{i}"));
            let https_id = self.child_id("httpListeners", &https);
            out.listeners.push(child(
                &https,
                HttpListener {
                    frontend_ip_configuration: frontend.clone(),
                    frontend_port: self.child_id("frontendPorts", child::PORT_HTTPS),
                    protocol: "Https",
                    host_name: host.clone(),
                    ssl_certificate: Some(self.child_id("sslCertificates", child::CERTIFICATE)),
                    require_server_name_indication: true,
                },
            ));
            out.listeners.push(child(
                &http,
                HttpListener {
                    frontend_ip_configuration: frontend.clone(),
                    frontend_port: self.child_id("frontendPorts", child::PORT_HTTP),
                    protocol: "Http",
                    host_name: host.clone(),
                    ssl_certificate: None,
                    require_server_name_indication: false,
                },
            ));
            let redirect = format!("redirect-{i}");
            out.redirects.push(child(
                &redirect,
                RedirectConfiguration {
                    redirect_type: "Permanent",
                    target_listener: https_id.clone(),
                    include_path: true,
                    include_query_string: true,
                },
            ));
            // Two rules per host, 10 apart: room to insert one between them later.
            let priority = 100 + 20 * i as u32;
            out.rules.push(child(
                format!("route-{i}"),
                RequestRoutingRule {
                    rule_type: "Basic",
                    priority,
                    http_listener: https_id,
                    backend_address_pool: Some(
                        self.child_id("backendAddressPools", child::BACKEND_POOL),
                    ),
                    backend_http_settings: Some(
                        self.child_id("backendHttpSettingsCollection", child::BACKEND_SETTINGS),
                    ),
                    redirect_configuration: None,
                },
            ));
            out.rules.push(child(
                format!("redirect-{i}"),
                RequestRoutingRule {
                    rule_type: "Basic",
                    priority: priority + 10,
                    http_listener: self.child_id("httpListeners", &http),
                    backend_address_pool: None,
                    backend_http_settings: None,
                    redirect_configuration: Some(
                        self.child_id("redirectConfigurations", &redirect),
                    ),
                },
            ));
        }
        out
    }
}

#[derive(Default)]
struct PerHost {
    listeners: Vec<Child<HttpListener>>,
    redirects: Vec<Child<RedirectConfiguration>>,
    rules: Vec<Child<RequestRoutingRule>>,
}

impl ApplicationGateway {
    /// The gateway `design` describes.
    pub fn build(design: &GatewayDesign) -> Self {
        let per_host = design.per_host();
        let name = design.sku.as_str();
        let properties = GatewayProperties {
            sku: GatewaySku { name, tier: name },
            ssl_policy: SslPolicy {
                policy_type: "Predefined",
                policy_name: "AppGwSslPolicy20220101",
            },
            autoscale_configuration: AutoscaleConfiguration {
                min_capacity: design.min_capacity,
                max_capacity: design.max_capacity,
            },
            gateway_ip_configurations: vec![child(
                child::GATEWAY_IP,
                SubnetRef {
                    subnet: sub(design.subnet_id.clone()),
                },
            )],
            frontend_ip_configurations: vec![design.frontend()],
            frontend_ports: vec![
                child(child::PORT_HTTPS, FrontendPort { port: 443 }),
                child(child::PORT_HTTP, FrontendPort { port: 80 }),
            ],
            ssl_certificates: vec![child(
                child::CERTIFICATE,
                SslCertificate {
                    data: design.certificate.pfx_base64.clone(),
                    password: design.certificate.password.clone(),
                },
            )],
            trusted_root_certificates: design
                .trusted_root_der_base64
                .iter()
                .map(|data| {
                    child(
                        child::BACKEND_ROOT,
                        TrustedRootCertificate { data: data.clone() },
                    )
                })
                .collect(),
            backend_address_pools: vec![child(
                child::BACKEND_POOL,
                BackendAddressPool {
                    backend_addresses: vec![BackendAddress {
                        ip_address: design.backend_address.to_string(),
                    }],
                },
            )],
            backend_http_settings_collection: vec![design.backend_settings()],
            probes: vec![design.probe()],
            http_listeners: per_host.listeners,
            redirect_configurations: per_host.redirects,
            request_routing_rules: per_host.rules,
            firewall_policy: design.firewall_policy_id.clone().map(sub),
            enable_http2: true,
        };
        ApplicationGateway {
            location: design.location.clone(),
            tags: design.tags.clone(),
            zones: design.zones.clone(),
            properties,
        }
    }
}

/// The body without the certificate's secrets: what an existing gateway is compared with
/// (Azure never returns `data` or `password`, so they cannot decide adoption).
pub fn shape_without_secrets(body: &serde_json::Value) -> serde_json::Value {
    let mut shape = body.clone();
    if let Some(certs) = shape
        .pointer_mut("/properties/sslCertificates")
        .and_then(serde_json::Value::as_array_mut)
    {
        for cert in certs {
            if let Some(props) = cert
                .get_mut("properties")
                .and_then(serde_json::Value::as_object_mut)
            {
                props.remove("data");
                props.remove("password");
            }
        }
    }
    if let Some(map) = shape.as_object_mut() {
        map.remove("tags");
    }
    shape
}

/// `WebApplicationFirewallPolicy`: enabled, in the chosen mode, on the current managed rule set.
#[derive(Debug, Clone, Serialize)]
pub struct WafPolicy {
    pub location: String,
    pub tags: Tags,
    pub properties: WafPolicyProperties,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WafPolicyProperties {
    pub policy_settings: PolicySettings,
    pub managed_rules: ManagedRules,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicySettings {
    /// `Enabled`
    pub state: &'static str,
    /// `Prevention` | `Detection`
    pub mode: &'static str,
    pub request_body_check: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedRules {
    pub managed_rule_sets: Vec<ManagedRuleSet>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedRuleSet {
    pub rule_set_type: &'static str,
    pub rule_set_version: &'static str,
}

/// WAF mode as the policy spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WafModeName {
    Prevention,
    Detection,
}

impl WafModeName {
    pub fn as_str(self) -> &'static str {
        match self {
            WafModeName::Prevention => "Prevention",
            WafModeName::Detection => "Detection",
        }
    }
}

impl WafPolicy {
    pub fn new(location: String, tags: Tags, mode: WafModeName) -> Self {
        WafPolicy {
            location,
            tags,
            properties: WafPolicyProperties {
                policy_settings: PolicySettings {
                    state: "Enabled",
                    mode: mode.as_str(),
                    request_body_check: true,
                },
                managed_rules: ManagedRules {
                    managed_rule_sets: vec![ManagedRuleSet {
                        rule_set_type: MANAGED_RULE_SET_TYPE,
                        rule_set_version: MANAGED_RULE_SET_VERSION,
                    }],
                },
            },
        }
    }
}

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

#[cfg(test)]
#[path = "app_gateway_tests.rs"]
mod tests;
