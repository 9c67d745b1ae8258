//! Names the console chooses for what it creates, one function per name, so the plan, the steps
//! that create the resources and the review page always agree. Deterministic: the same spec gives
//! the same names, which is what makes a re-run adopt instead of duplicate.

use crate::InstallId;
use crate::spec::{Fqdn, InstallSpec};

/// Subnet of the AKS nodes (and the API server's private endpoint and internal load balancer).
pub const AKS_SUBNET: &str = "snet-aks";
/// Subnet of the jump host the console runs on.
pub const JUMPHOST_SUBNET: &str = "snet-jumphost";
/// Blob container for datasets (vendor guide: "Shared filesystem and datasets").
pub const DATASETS_CONTAINER: &str = "datasets";
/// Blob container for backups (vendor guide: "Backups").
pub const BACKUPS_CONTAINER: &str = "backups";
/// Azure Files share behind the `kfs-shared` storage class.
pub const SHARED_FILE_SHARE: &str = "kfs-shared";
/// Default storage class (vendor guide: StandardSSD_LRS on disk.csi.azure.com).
pub const DEFAULT_STORAGE_CLASS: &str = "kfs";
/// Azure Files storage class, when shared storage is on.
pub const SHARED_STORAGE_CLASS: &str = "kfs-shared";
/// Shown where Azure needs a globally unique name the spec leaves to provisioning time.
pub const DERIVED_AT_PROVISIONING: &str = "derived at provisioning (globally unique)";

/// VNet names are at most 64 characters and must end with a letter, digit or `_`.
const VNET_NAME_MAX: usize = 64;

/// The VNet: the existing one's name, or `vnet-<cluster>` (shortened to Azure's 64 characters
/// when the cluster name is long).
pub fn vnet(spec: &InstallSpec) -> String {
    if let Some(existing) = &spec.cluster.network.existing_vnet {
        return existing.name.to_string();
    }
    let prefix = "vnet-";
    let cluster = spec.cluster.name.as_str();
    // A cut may leave a trailing `-`, which a VNet name may not end with.
    let cut: String = cluster.chars().take(VNET_NAME_MAX - prefix.len()).collect();
    format!("{prefix}{}", cut.trim_end_matches('-'))
}

/// The AKS nodes' subnet: the existing one's, or [`AKS_SUBNET`].
pub fn aks_subnet(spec: &InstallSpec) -> String {
    spec.cluster
        .network
        .existing_vnet
        .as_ref()
        .map_or_else(|| AKS_SUBNET.to_string(), |e| e.aks_subnet.to_string())
}

/// The jumphost's subnet: the existing one's, or [`JUMPHOST_SUBNET`].
pub fn jumphost_subnet(spec: &InstallSpec) -> String {
    spec.cluster.network.existing_vnet.as_ref().map_or_else(
        || JUMPHOST_SUBNET.to_string(),
        |e| e.jumphost_subnet.to_string(),
    )
}

/// `nsg-<cluster>` (NSG names allow 80 characters, cluster names 63).
pub fn nsg(spec: &InstallSpec) -> String {
    format!("nsg-{}", spec.cluster.name)
}

/// `id-<cluster>`: the cluster's user-assigned (control-plane) identity.
pub fn cluster_identity(spec: &InstallSpec) -> String {
    format!("id-{}", spec.cluster.name)
}

/// `peer-katonic-<cluster>`: the VNet peering on each side and the private DNS zone's link to
/// the console's VNet (`cluster.access: peering`); peering and link names allow 80 characters.
pub fn peering(spec: &InstallSpec) -> String {
    format!("peer-katonic-{}", spec.cluster.name)
}

/// `pip-<cluster>-ingress`: the external ingress's static public IP, in the install's resource
/// group (public IP names allow 80 characters, cluster names 63).
pub fn ingress_public_ip(spec: &InstallSpec) -> String {
    format!("pip-{}-ingress", spec.cluster.name)
}

/// Subnet of the Application Gateway in a new VNet (dedicated: nothing else may be in it).
pub const GATEWAY_SUBNET: &str = "snet-appgw";

/// The gateway's subnet: the existing one's, or [`GATEWAY_SUBNET`].
pub fn gateway_subnet(spec: &InstallSpec) -> String {
    spec.cluster
        .network
        .existing_vnet
        .as_ref()
        .and_then(|e| e.gateway_subnet.as_ref())
        .map_or_else(|| GATEWAY_SUBNET.to_string(), |s| s.to_string())
}

/// `agw-katonic-<cluster>`: the Application Gateway (names allow 80 characters, cluster names 63).
pub fn app_gateway(spec: &InstallSpec) -> String {
    format!("agw-katonic-{}", spec.cluster.name)
}

/// `waf-katonic-<cluster>`: the gateway's WAF policy (WAF_v2).
pub fn waf_policy(spec: &InstallSpec) -> String {
    format!("waf-katonic-{}", spec.cluster.name)
}

/// `nsg-appgw-<cluster>`: the NSG of the gateway's subnet in a new VNet (the rules v2 needs).
pub fn gateway_nsg(spec: &InstallSpec) -> String {
    format!("nsg-appgw-{}", spec.cluster.name)
}

/// `ng-<cluster>-jumphost`: the NAT gateway of the jumphost subnet
/// (`cluster.network.jumphostEgress: natGateway`; NAT gateway names allow 80 characters).
pub fn jumphost_nat_gateway(spec: &InstallSpec) -> String {
    format!("ng-{}-jumphost", spec.cluster.name)
}

/// `pip-<cluster>-jumphost-nat`: that NAT gateway's Standard static public IP.
pub fn jumphost_nat_public_ip(spec: &InstallSpec) -> String {
    format!("pip-{}-jumphost-nat", spec.cluster.name)
}

/// AKS's default node resource group, `MC_<resource group>_<cluster>_<location>`.
pub fn node_resource_group(spec: &InstallSpec) -> String {
    format!(
        "MC_{}_{}_{}",
        spec.azure.resource_group, spec.cluster.name, spec.azure.location
    )
}

/// Kubelet identity AKS creates in the node resource group, `<cluster>-agentpool`.
pub fn kubelet_identity(spec: &InstallSpec) -> String {
    format!("{}-agentpool", spec.cluster.name)
}

/// Private DNS zone AKS creates for the private API server (`privateDNSZone: system`).
pub fn private_dns_zone(spec: &InstallSpec) -> String {
    format!("privatelink.{}.azmk8s.io", spec.azure.location)
}

/// The storage account's name when the spec gives it, else [`DERIVED_AT_PROVISIONING`].
pub fn storage_account(spec: &InstallSpec) -> String {
    spec.storage
        .account_name
        .as_ref()
        .map_or_else(|| DERIVED_AT_PROVISIONING.to_string(), |n| n.to_string())
}

/// The registry's name when the spec gives it, else [`DERIVED_AT_PROVISIONING`].
pub fn registry(spec: &InstallSpec) -> String {
    spec.registry
        .name
        .as_ref()
        .map_or_else(|| DERIVED_AT_PROVISIONING.to_string(), |n| n.to_string())
}

/// Every host name the install serves: the platform's, then each enabled add-on's.
pub fn hosts(spec: &InstallSpec) -> Vec<&Fqdn> {
    std::iter::once(&spec.domain.fqdn)
        .chain(spec.addons.superset.as_ref())
        .chain(spec.addons.airbyte.as_ref())
        .collect()
}

/// 12 hex digits from the random (not the time) part of the install's UUIDv7.
fn unique_suffix(install: InstallId) -> String {
    let hex: String = install
        .to_string()
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect();
    hex[hex.len().saturating_sub(12)..].to_string()
}

/// The storage account an install creates or uses: the spec's name, or `katonic` + 12 hex
/// digits of the install id (3-24 lowercase alphanumerics, unique across Azure).
pub fn storage_account_for(spec: &InstallSpec, install: InstallId) -> String {
    spec.storage.account_name.as_ref().map_or_else(
        || format!("katonic{}", unique_suffix(install)),
        |n| n.to_string(),
    )
}

/// The registry an install creates or uses: the spec's name, or `katonic` + 12 hex digits of
/// the install id (5-50 alphanumerics, unique across Azure).
pub fn registry_for(spec: &InstallSpec, install: InstallId) -> String {
    spec.registry.name.as_ref().map_or_else(
        || format!("katonic{}", unique_suffix(install)),
        |n| n.to_string(),
    )
}
