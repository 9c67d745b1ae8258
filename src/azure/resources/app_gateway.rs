//! Microsoft.Network 2025-07-01: an Application Gateway v2 (`applicationGateway.json` in
//! `shared/azure-specs`) and its WAF policy (`webapplicationfirewall.json`, `specs/extra`),
//! field for field from those specs. What the console builds: TLS ends at the gateway (one
//! HTTPS listener per host with SNI, the install's certificate as an uploaded PFX), HTTP
//! redirects to HTTPS, and every host goes over HTTPS to the cluster's internal ingress load
//! balancer with the request's host kept, trusted through the in-cluster certificate's root.

use super::{SubResource, Tags};
use secrecy::{ExposeSecret, SecretString};
use serde::{Serialize, Serializer};
use std::net::Ipv4Addr;

// The gateway's WAF policy and its subnet's NSG rules, in files of their own.
pub use super::app_gateway_nsg::gateway_subnet_rules;
pub use super::waf_policy::{
    MANAGED_RULE_SET_TYPE, MANAGED_RULE_SET_VERSION, WafModeName, WafPolicy,
};

pub const GATEWAY_TYPE: &str = "Microsoft.Network/applicationGateways";
pub const WAF_POLICY_TYPE: &str =
    "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies";

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

// How the design becomes the body (children referencing each other by id), in its own file.
#[path = "app_gateway_build.rs"]
mod build;
pub use build::shape_without_secrets;

#[cfg(test)]
#[path = "app_gateway_tests.rs"]
mod tests;
