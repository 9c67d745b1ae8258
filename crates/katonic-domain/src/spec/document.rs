//! The install document as written: YAML, JSON or the wizard's form.
//!
//! Every field is optional and numbers may arrive as text, so that [`super::InstallSpec::parse`]
//! can report *every* problem with its field path instead of stopping at the first serde error.
//! Unknown keys are refused (a typo such as `nodepools` must not be silently ignored).

use serde::{Deserialize, Serialize};

/// A scalar as YAML/JSON/forms deliver it. Numbers typed into a form arrive as text; YAML reads
/// `1.30` as a float (which is why Kubernetes versions must be quoted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl Scalar {
    /// The scalar as the admin wrote it, for error messages and form values.
    pub fn as_text(&self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Text(s) => s.clone(),
        }
    }
}

/// The whole document (`apiVersion: katonic.ai/v1`, `kind: Install`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstallDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub azure: AzureDoc,
    #[serde(default)]
    pub cluster: ClusterDoc,
    #[serde(default)]
    pub domain: DomainDoc,
    #[serde(default)]
    pub ingress: IngressDoc,
    #[serde(default)]
    pub storage: StorageDoc,
    #[serde(default)]
    pub registry: RegistryDoc,
    #[serde(default)]
    pub addons: AddonsDoc,
    #[serde(default)]
    pub platform: PlatformDoc,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AzureDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterDoc {
    /// `create` | `existing`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Quoted `"1.30"`; absent means "newest supported >= 1.29" (resolved at preflight).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<Scalar>,
    /// `free` | `standard` | `premium` (premium is required for LTS versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// `auto` | `direct` | `runCommand` | `peering`: how the console reaches the API server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones: Option<Vec<Scalar>>,
    #[serde(default)]
    pub network: NetworkDoc,
    #[serde(default)]
    pub node_pools: NodePoolsDoc,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vnet_cidr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aks_subnet_cidr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jumphost_subnet_cidr: Option<String>,
    /// `azure-overlay` | `azure` | `kubenet`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// `calico` | `azure`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_cidr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_cidr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_service_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pods: Option<Scalar>,
    /// `loadBalancer` | `userDefinedRouting` | `managedNATGateway`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound_type: Option<String>,
    /// `none` (default) | `natGateway`: how the jumphost subnet of a new VNet reaches the
    /// internet (new subnets are private by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jumphost_egress: Option<String>,
    /// Install into this existing VNet (the usual jumphost case) instead of creating one: it is
    /// checked against the CIDRs above, never modified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_vnet: Option<ExistingVnetDoc>,
    /// The Application Gateway's dedicated subnet (`ingress.gateway: applicationGateway`). A new
    /// VNet: derived from its free space when absent (the first free /24); an existing VNet:
    /// required, the range of `existingVnet.gatewaySubnet`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_subnet_cidr: Option<String>,
}

/// An existing VNet and its subnets (AKS, jumphost, and the gateway's when it is on).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExistingVnetDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aks_subnet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jumphost_subnet: Option<String>,
    /// The existing dedicated subnet of the Application Gateway (required when it is on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_subnet: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodePoolsDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<NodePoolDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute: Option<NodePoolDoc>,
    /// Optional pool: absent means no GPU pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<NodePoolDoc>,
}

/// One pool: either a fixed `count` or autoscaling `min`/`max`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodePoolDoc {
    /// AKS agent pool name; defaults to the pool's role (`platform`, `compute`, `gpu`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Scalar>,
    /// Extra nodes during upgrades (AKS `maxSurge`, as a node count). Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_surge: Option<Scalar>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DomainDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fqdn: Option<String>,
    /// The vendor's domain option, instead of `fqdn`: `<name>` serves the platform at
    /// `<name>.katonic.ai`; Katonic provides the certificate and publishes the records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub katonic_subdomain: Option<String>,
    /// `selfSigned` | `provided` | `acme`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<String>,
    /// Resource id of an Azure DNS (`…/Microsoft.Network/dnsZones/<zone>`) or Private DNS
    /// (`…/privateDnsZones/<zone>`) zone: the console creates the A records there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_zone: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressDoc {
    /// `internal` | `external`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<String>,
    /// The cluster's internal ingress load balancer's address, inside the AKS subnet (internal
    /// mode, and both modes behind the gateway); chosen by the plan when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub static_ip: Option<String>,
    /// `applicationGateway` | `none`: an SSL-terminating Application Gateway v2 in front of the
    /// cluster's load balancer, facing where `loadBalancer` says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    /// The gateway's settings (`gateway: applicationGateway` only); every field defaulted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_gateway: Option<AppGatewayDoc>,
}

/// `ingress.applicationGateway`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppGatewayDoc {
    /// `Standard_v2` | `WAF_v2`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// `Prevention` | `Detection` (`WAF_v2` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waf_mode: Option<String>,
    /// Autoscaling minimum instances, 0-125 (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_capacity: Option<Scalar>,
    /// Autoscaling maximum instances, 2-125 (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_capacity: Option<Scalar>,
}

impl AppGatewayDoc {
    /// Whether any field is given (blank form fields count as absent).
    pub fn is_blank(&self) -> bool {
        let blank = |t: &Option<String>| t.as_deref().is_none_or(|t| t.trim().is_empty());
        let blank_scalar = |v: &Option<Scalar>| {
            v.as_ref()
                .is_none_or(|v| matches!(v, Scalar::Text(t) if t.trim().is_empty()))
        };
        blank(&self.sku)
            && blank(&self.waf_mode)
            && blank_scalar(&self.min_capacity)
            && blank_scalar(&self.max_capacity)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StorageDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_files: Option<bool>,
    /// Storage account name (3-24 lowercase letters and digits, globally unique); derived when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegistryDoc {
    /// Container registry name (5-50 letters and digits, globally unique); derived when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `Basic` | `Standard` | `Premium`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddonsDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superset: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub airbyte: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlatformDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Scalar>,
}
