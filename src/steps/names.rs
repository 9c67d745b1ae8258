//! Names the console chooses for an install's resources: deterministic, so a repeated step
//! finds what an earlier attempt created. Names that must be unique across Azure (storage
//! account, registry) take the random part of the install id.

use crate::plan;
use crate::spec::InstallSpec;
use crate::store::InstallId;

/// 12 hex digits from the random (not the time) part of the install's UUIDv7.
fn unique_suffix(install: InstallId) -> String {
    let hex: String = install
        .to_string()
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect();
    hex[hex.len().saturating_sub(12)..].to_string()
}

/// The storage account: the spec's name, or `katonic` + 12 hex digits (3-24 lowercase alnum).
pub fn storage_account(spec: &InstallSpec, install: InstallId) -> String {
    spec.storage.account_name.as_ref().map_or_else(
        || format!("katonic{}", unique_suffix(install)),
        |n| n.to_string(),
    )
}

/// The registry: the spec's name, or `katonic` + 12 hex digits (5-50 alnum).
pub fn registry(spec: &InstallSpec, install: InstallId) -> String {
    spec.registry.name.as_ref().map_or_else(
        || format!("katonic{}", unique_suffix(install)),
        |n| n.to_string(),
    )
}

pub use plan::names::{
    AKS_SUBNET, BACKUPS_CONTAINER, DATASETS_CONTAINER, JUMPHOST_SUBNET, SHARED_FILE_SHARE,
};
pub use plan::names::{cluster_identity, node_resource_group, nsg, vnet};
