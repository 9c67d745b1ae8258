//! Microsoft.ContainerService 2025-10-01: managed cluster, agent pools, credentials.

use super::Tags;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct ManagedCluster {
    pub location: String,
    pub tags: Tags,
    pub sku: ManagedClusterSku,
    pub identity: ManagedClusterIdentity,
    pub properties: ManagedClusterProperties,
}

#[derive(Debug, Clone, Serialize)]
pub struct ManagedClusterSku {
    /// `Base`
    pub name: &'static str,
    /// `Free` | `Standard` | `Premium`
    pub tier: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedClusterIdentity {
    /// `UserAssigned`: the identity exists (with its subnet role) before the cluster does.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub user_assigned_identities: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedClusterProperties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    pub dns_prefix: String,
    #[serde(rename = "enableRBAC")]
    pub enable_rbac: bool,
    pub api_server_access_profile: ApiServerAccessProfile,
    pub network_profile: NetworkProfile,
    pub agent_pool_profiles: Vec<AgentPoolProfile>,
    pub node_resource_group: String,
    /// `AKSLongTermSupport` for versions only in long-term support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_plan: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiServerAccessProfile {
    pub enable_private_cluster: bool,
    /// `system`: AKS creates and links the private DNS zone.
    #[serde(rename = "privateDNSZone")]
    pub private_dns_zone: &'static str,
    #[serde(rename = "enablePrivateClusterPublicFQDN")]
    pub enable_private_cluster_public_fqdn: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkProfile {
    /// `azure` | `kubenet`
    pub network_plugin: &'static str,
    /// `overlay` with the azure plugin's overlay mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_plugin_mode: Option<&'static str>,
    /// `calico` | `azure`
    pub network_policy: &'static str,
    /// `standard`
    pub load_balancer_sku: &'static str,
    /// `loadBalancer` | `userDefinedRouting` | `managedNATGateway`
    pub outbound_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_cidr: Option<String>,
    pub service_cidr: String,
    #[serde(rename = "dnsServiceIP")]
    pub dns_service_ip: String,
}

/// A pool inside the cluster body (the system pool).
#[derive(Debug, Clone, Serialize)]
pub struct AgentPoolProfile {
    pub name: String,
    #[serde(flatten)]
    pub properties: AgentPoolProperties,
}

/// An agent pool as its own resource (user pools).
#[derive(Debug, Clone, Serialize)]
pub struct AgentPool {
    pub properties: AgentPoolProperties,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentPoolProperties {
    /// `System` | `User`
    pub mode: &'static str,
    /// `VirtualMachineScaleSets`
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `Linux`
    pub os_type: &'static str,
    pub vm_size: String,
    pub count: u32,
    pub enable_auto_scaling: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_count: Option<u32>,
    pub availability_zones: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orchestrator_version: Option<String>,
    #[serde(rename = "vnetSubnetID")]
    pub vnet_subnet_id: String,
    pub max_pods: u32,
    pub node_labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub node_taints: Vec<String>,
    pub upgrade_settings: UpgradeSettings,
    pub tags: super::Tags,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeSettings {
    /// A node count as a string (`"1"`) or a percentage (`"33%"`).
    pub max_surge: String,
}

/// The parts of a cluster the steps read back.
#[derive(Debug, Clone, Deserialize)]
pub struct ClusterResponse {
    pub id: String,
    pub properties: ClusterResponseProperties,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterResponseProperties {
    #[serde(default)]
    pub provisioning_state: Option<String>,
    #[serde(default)]
    pub private_fqdn: Option<String>,
    #[serde(default)]
    pub current_kubernetes_version: Option<String>,
    #[serde(default)]
    pub node_resource_group: Option<String>,
    #[serde(default)]
    pub identity_profile: BTreeMap<String, UserAssignedIdentityRef>,
    /// Entra ID integration (`ManagedClusterAADProfile`); absent on a local-accounts-only cluster.
    #[serde(default)]
    pub aad_profile: Option<AadProfile>,
    /// When true, `listClusterAdminCredential` is refused: only Entra ID tokens reach the API.
    #[serde(default)]
    pub disable_local_accounts: Option<bool>,
}

/// The parts of `ManagedClusterAADProfile` that decide how the console signs in.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AadProfile {
    #[serde(default)]
    pub managed: Option<bool>,
    /// Spelled `enableAzureRBAC` in the spec.
    #[serde(default, rename = "enableAzureRBAC")]
    pub enable_azure_rbac: Option<bool>,
    #[serde(default, rename = "adminGroupObjectIDs")]
    pub admin_group_object_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAssignedIdentityRef {
    #[serde(default)]
    pub resource_id: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub object_id: Option<String>,
}

/// `listClusterAdminCredential` / `listClusterUserCredential` response.
#[derive(Debug, Clone, Deserialize)]
pub struct CredentialResults {
    pub kubeconfigs: Vec<CredentialResult>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CredentialResult {
    pub name: String,
    /// Base64 of the kubeconfig YAML: a secret, never logged.
    pub value: String,
}

/// `kubernetesVersions` response.
#[derive(Debug, Clone, Deserialize)]
pub struct KubernetesVersions {
    pub values: Vec<KubernetesVersion>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesVersion {
    pub version: String,
    #[serde(default)]
    pub is_preview: Option<bool>,
    #[serde(default)]
    pub is_default: Option<bool>,
    #[serde(default)]
    pub capabilities: Option<Capabilities>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    #[serde(default)]
    pub support_plan: Vec<String>,
}

impl KubernetesVersion {
    /// Offered with community support (not only as long-term support on Premium).
    pub fn has_community_support(&self) -> bool {
        self.capabilities.as_ref().is_none_or(|c| {
            c.support_plan.is_empty() || c.support_plan.iter().any(|p| p == "KubernetesOfficial")
        })
    }
}

/// `POST …/managedClusters/{name}/runCommand` body (`RunCommandRequest`, 2025-10-01).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunCommandRequest {
    pub command: String,
    /// Base64 of a ZIP of the files the command uses (may hold secrets: never logged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// A token for the AKS Entra ID server application (Entra-only clusters); never logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_token: Option<String>,
}

/// `RunCommandResult`: what `…/commandResults/{id}` answers once the command has run.
#[derive(Debug, Clone, Deserialize)]
pub struct RunCommandResult {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub properties: CommandResultProperties,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandResultProperties {
    #[serde(default)]
    pub provisioning_state: Option<String>,
    #[serde(default)]
    pub exit_code: Option<i32>,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
    #[serde(default)]
    pub logs: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}
