//! Microsoft.Storage 2025-06-01: storage account, blob containers, file share.

use super::Tags;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct StorageAccount {
    pub location: String,
    pub tags: Tags,
    pub sku: Sku,
    /// `StorageV2`
    pub kind: &'static str,
    pub properties: StorageAccountProperties,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sku {
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageAccountProperties {
    /// `TLS1_2`
    pub minimum_tls_version: &'static str,
    pub allow_blob_public_access: bool,
    pub supports_https_traffic_only: bool,
    /// `Hot`
    pub access_tier: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct BlobContainer {
    pub properties: BlobContainerProperties,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobContainerProperties {
    /// `None`: no anonymous access.
    pub public_access: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileShare {
    pub properties: FileShareProperties,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileShareProperties {
    /// GiB.
    pub share_quota: u32,
    /// `SMB`
    pub enabled_protocols: &'static str,
    /// `TransactionOptimized`
    pub access_tier: &'static str,
}

/// `checkNameAvailability` request.
#[derive(Debug, Clone, Serialize)]
pub struct NameCheck {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}
