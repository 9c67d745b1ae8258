//! Request bodies (and the parts of responses the steps read) per resource type, field for
//! field from Microsoft's OpenAPI specs in `shared/azure-specs`. Optional fields are left out
//! when unset, as Azure's own SDKs do.

pub mod aks;
pub mod app_gateway;
pub mod app_gateway_nsg;
pub mod authorization;
pub mod compute;
pub mod dns;
pub mod identity;
pub mod nat_gateway;
pub mod network;
pub mod registry;
pub mod storage;
pub mod waf_policy;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Tags every resource of an install carries, so teardown and leftover detection find them.
pub type Tags = BTreeMap<String, String>;

/// Tag keys the console sets.
pub const TAG_MANAGED_BY: &str = "managed-by";
pub const TAG_INSTALL: &str = "katonic-install";

/// `managed-by=katonic-console`, `katonic-install=<install id>`.
pub fn install_tags(install_id: &str) -> Tags {
    BTreeMap::from([
        (TAG_MANAGED_BY.to_string(), "katonic-console".to_string()),
        (TAG_INSTALL.to_string(), install_id.to_string()),
    ])
}

/// A reference to another resource by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubResource {
    pub id: String,
}

/// `/subscriptions/{s}/resourceGroups/{rg}`
pub fn resource_group_id(subscription: &str, resource_group: &str) -> String {
    format!("/subscriptions/{subscription}/resourceGroups/{resource_group}")
}

/// `/subscriptions/{s}/resourceGroups/{rg}/providers/{provider_type}/{name}`
pub fn resource_id(
    subscription: &str,
    resource_group: &str,
    provider_type: &str,
    name: &str,
) -> String {
    format!(
        "{}/providers/{provider_type}/{name}",
        resource_group_id(subscription, resource_group)
    )
}

/// The install's VNet id: the admin's existing one, or the one the network step creates.
pub fn vnet_id(spec: &katonic_domain::spec::InstallSpec) -> String {
    let rg = spec
        .cluster
        .network
        .existing_vnet
        .as_ref()
        .map_or(spec.azure.resource_group.as_str(), |e| {
            e.resource_group.as_str()
        });
    resource_id(
        spec.azure.subscription_id.as_str(),
        rg,
        "Microsoft.Network/virtualNetworks",
        &katonic_domain::plan::names::vnet(spec),
    )
}

/// A resource group (Microsoft.Resources).
#[derive(Debug, Clone, Serialize)]
pub struct ResourceGroup {
    pub location: String,
    pub tags: Tags,
}
