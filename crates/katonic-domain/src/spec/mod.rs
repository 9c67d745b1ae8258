//! The install spec: an admin's answers as typed, validated values. Pure: no I/O.
//!
//! Input arrives as an [`InstallDocument`] (YAML, JSON or the wizard's form; every field optional,
//! numbers may be text) and becomes an [`InstallSpec`] through [`InstallSpec::parse`], which
//! collects *every* field error (field path, rule, message, fix) instead of stopping at the first.
//! Past this module nothing sees raw strings: FQDNs, CIDRs, VM sizes and names are newtypes whose
//! only constructor is their parser. [`InstallSpec::to_document`] gives the canonical document
//! back (YAML export, wizard pre-fill), and `parse(to_document(spec)) == spec`.

pub mod capacity;
pub mod catalog;
mod compute;
mod dns_zone;
mod document;
mod enums;
mod error;
mod fqdn;
mod gateway;
mod lifecycle;
pub mod limits;
mod names;
mod network;
mod parse;
/// Fixtures for tests of this crate and of the console (the sample document, builders); the
/// console's tests turn them on with the `testutil` feature.
#[cfg(any(test, feature = "testutil"))]
pub mod testutil;
mod text;
mod yaml;

pub use capacity::IpBudget;
pub use compute::{
    KubernetesVersion, NodePool, NodeScale, PoolRole, PoolTaint, TaintEffect, VmSize, Zone, Zones,
};
pub use dns_zone::{DnsZoneId, DnsZoneKind};
pub use document::{
    AddonsDoc, AppGatewayDoc, AzureDoc, ClusterDoc, DomainDoc, ExistingVnetDoc, IngressDoc,
    InstallDocument, NetworkDoc, NodePoolDoc, NodePoolsDoc, PlatformDoc, RegistryDoc, Scalar,
    StorageDoc,
};
pub use error::{FieldError, Invalid, SpecErrors, Warning};
pub use fqdn::Fqdn;
pub use gateway::{
    AppGatewaySpec, DEFAULT_GATEWAY_ON, DEFAULT_MAX_CAPACITY, DEFAULT_MIN_CAPACITY, GatewaySku,
    MAX_CAPACITY_RANGE, MIN_CAPACITY_RANGE, WafMode, default_gateway_on,
};
pub use names::{
    ClusterName, Guid, InstallName, NetworkName, PoolName, Region, RegistryName, ResourceGroupName,
    StorageAccountName,
};
pub use network::{
    Cidr, ExistingVnet, JumphostEgress, NetworkPlugin, NetworkPolicy, NetworkSpec, OutboundType,
};
pub use parse::{
    GATEWAY_OFF, GATEWAY_ON, GATEWAY_SUBNET_OVERHEAD, RECOMMENDED_GATEWAY_PREFIX,
    derived_gateway_subnet, gateway_subnet_needs, katonic_fqdn,
};
pub use yaml::{DocumentFormat, from_json, from_text, from_yaml, to_yaml};

use std::net::Ipv4Addr;

/// `apiVersion` of the document this build reads and writes.
pub const API_VERSION: &str = "katonic.ai/v1";
/// `kind` of the document.
pub const KIND: &str = "Install";
/// Katonic platform versions this console can install.
pub const SUPPORTED_PLATFORM_VERSIONS: &[&str] = &["5.0.9"];
/// Superset version shipped with platform 5.0.9 (vendor guide).
pub const SUPERSET_VERSION: &str = "2.0.1";
/// Airbyte version shipped with platform 5.0.9 (vendor guide).
pub const AIRBYTE_VERSION: &str = "0.40.32";
/// Oldest Kubernetes minor the platform is validated with (vendor guide: 1.29 and above).
pub const MIN_KUBERNETES: (u32, u32) = (1, 29);

/// A validated install.
#[derive(Debug, Clone, PartialEq)]
pub struct InstallSpec {
    pub name: InstallName,
    pub azure: AzureTarget,
    pub cluster: ClusterSpec,
    pub domain: DomainSpec,
    pub ingress: IngressSpec,
    pub storage: StorageSpec,
    pub registry: RegistrySpec,
    pub addons: AddonsSpec,
    pub platform: PlatformSpec,
}

/// Where in Azure the install goes.
#[derive(Debug, Clone, PartialEq)]
pub struct AzureTarget {
    pub subscription_id: Guid,
    pub tenant_id: Guid,
    pub location: Region,
    pub resource_group: ResourceGroupName,
}

/// Create a new private AKS cluster, or bring an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterMode {
    Create,
    Existing,
}

/// AKS pricing tier; `premium` is required for long-term-support versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterTier {
    Free,
    Standard,
    Premium,
}

/// How the console reaches the private API server (issue 14). Preflight resolves `auto` before
/// anything is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClusterAccess {
    /// `direct` when the console's network reaches the API server, else `runCommand`.
    #[default]
    Auto,
    /// A kube client over the private network (the console's VNet is, or is peered with, the
    /// cluster's, and resolves its private DNS zone).
    Direct,
    /// Every cluster step through AKS Run Command over ARM: no line of sight needed.
    RunCommand,
    /// The console peers its VNet with the cluster's and links the private DNS zone (opt-in).
    Peering,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSpec {
    pub mode: ClusterMode,
    pub name: ClusterName,
    /// `None`: newest version the region supports that is >= 1.29, resolved at preflight.
    pub kubernetes_version: Option<KubernetesVersion>,
    pub tier: ClusterTier,
    /// How the console reaches the API server; default `auto`.
    pub access: ClusterAccess,
    pub zones: Zones,
    pub network: NetworkSpec,
    pub node_pools: NodePools,
}

/// The three pools of the vendor guide: platform (system), compute and optional GPU (user).
#[derive(Debug, Clone, PartialEq)]
pub struct NodePools {
    pub platform: NodePool,
    pub compute: NodePool,
    pub gpu: Option<NodePool>,
}

impl NodePools {
    /// Every pool, platform first.
    pub fn iter(&self) -> impl Iterator<Item = &NodePool> {
        [Some(&self.platform), Some(&self.compute), self.gpu.as_ref()]
            .into_iter()
            .flatten()
    }
}

/// How the platform's certificate is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Generated self-signed certificate, for trials.
    SelfSigned,
    /// Certificate and key uploaded by the admin.
    Provided,
    /// ACME HTTP-01 (needs the external load balancer).
    Acme,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DomainSpec {
    pub fqdn: Fqdn,
    /// `domain.katonicSubdomain`: `fqdn` is `<name>.katonic.ai`, in Katonic's zone, which the
    /// console cannot write; Katonic provides the certificate and publishes the records.
    pub katonic_subdomain: bool,
    pub tls: TlsMode,
    /// The Azure DNS or Private DNS zone the console writes the A records into; `None`: the
    /// records are shown for the admin to create.
    pub dns_zone: Option<DnsZoneId>,
}

/// Internal (private VNet IP) or external (public IP) ingress load balancer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LbMode {
    Internal,
    External,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IngressSpec {
    /// Where the front door faces: the gateway's frontend when there is one, else the cluster's
    /// load balancer.
    pub load_balancer: LbMode,
    /// The cluster's internal ingress load balancer address, inside the AKS subnet: used in
    /// internal mode, and in both modes behind a gateway. `None`: chosen by the plan.
    pub static_ip: Option<Ipv4Addr>,
    /// The Application Gateway in front of the cluster; `None` is `gateway: none`.
    pub gateway: Option<AppGatewaySpec>,
}

impl IngressSpec {
    /// The cluster's own ingress load balancer: internal behind a gateway (which then holds
    /// the front door), else where `load_balancer` says.
    pub fn cluster_load_balancer(&self) -> LbMode {
        if self.gateway.is_some() {
            LbMode::Internal
        } else {
            self.load_balancer
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StorageSpec {
    /// Azure Files share and the `kfs-shared` storage class.
    pub shared_files: bool,
    /// `None`: derived from the install at provisioning time.
    pub account_name: Option<StorageAccountName>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrySku {
    Basic,
    Standard,
    Premium,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RegistrySpec {
    /// `None`: derived from the install at provisioning time.
    pub name: Option<RegistryName>,
    pub sku: RegistrySku,
}

/// Enabled add-ons, each with its own validated host name.
#[derive(Debug, Clone, PartialEq)]
pub struct AddonsSpec {
    /// `dash-<fqdn>` when Superset is enabled.
    pub superset: Option<Fqdn>,
    /// `connectors-<fqdn>` when Airbyte is enabled.
    pub airbyte: Option<Fqdn>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlatformSpec {
    /// One of [`SUPPORTED_PLATFORM_VERSIONS`].
    pub version: String,
}

impl InstallSpec {
    /// Validate a document, collecting every field error.
    pub fn parse(doc: &InstallDocument) -> Result<InstallSpec, SpecErrors> {
        parse::parse(doc)
    }

    /// The canonical document for this spec (YAML export, wizard pre-fill).
    pub fn to_document(&self) -> InstallDocument {
        parse::to_document(self)
    }

    /// Lifecycle advice (retired VM sizes, unsupported versions, deprecated plugins) as of `today`.
    pub fn warnings(&self, today: time::Date) -> Vec<Warning> {
        lifecycle::warnings(self, today)
    }

    /// Subnet IP capacity of this install (always fits: `parse` refuses specs that do not).
    pub fn ip_budget(&self) -> IpBudget {
        capacity::ip_budget(
            &self.cluster.network,
            &self.cluster.node_pools,
            self.ingress.cluster_load_balancer(),
        )
    }
}

/// The wizard's defaults: the vendor guide's values except where they are known to fail
/// (classic CNI on a /26, Kubernetes 1.29.5, the retired Standard_NC6s_v3), with the reason
/// given by [`default_overrides`].
pub fn default_document() -> InstallDocument {
    parse::default_document()
}

/// Where the defaults depart from the vendor guide, and why: `(field, vendor value, reason)`.
pub fn default_overrides() -> &'static [(&'static str, &'static str, &'static str)] {
    parse::DEFAULT_OVERRIDES
}
