//! Microsoft.ContainerRegistry 2025-04-01: the registry for environment and model images.

use super::Tags;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Registry {
    pub location: String,
    pub tags: Tags,
    pub sku: super::storage::Sku,
    pub properties: RegistryProperties,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryProperties {
    /// Pulls use the kubelet identity (AcrPull), never the admin user.
    pub admin_user_enabled: bool,
    /// `Enabled` | `Disabled`
    pub public_network_access: &'static str,
}
