//! Facts about Azure the wizard checks offline: regions (and whether they have zones), VM sizes
//! (vCPUs, quota family, GPUs, retirement) and AKS Kubernetes releases (support windows).
//!
//! Kept in `catalog.yaml` beside this file, with the date it was compiled; preflight (issue 4)
//! confirms the same facts live against the subscription.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionInfo {
    /// Programmatic name, e.g. `eastus`.
    pub name: String,
    /// Portal name, e.g. `East US`.
    pub display_name: String,
    /// Number of availability zones (0: the region has none).
    pub zones: u8,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmSizeInfo {
    /// Canonical name, e.g. `Standard_D8s_v3`.
    pub name: String,
    pub vcpus: u32,
    pub memory_gib: f64,
    /// Compute usage/quota family, e.g. `standardDSv3Family`.
    pub quota_family: String,
    #[serde(default)]
    pub gpus: u32,
    #[serde(default)]
    pub gpu_model: Option<String>,
    /// Retirement date (`YYYY-MM-DD`) when Azure has retired or announced retirement of the size.
    #[serde(default)]
    pub retired_on: Option<String>,
    /// Suggested replacement for a retired size.
    #[serde(default)]
    pub replacement: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesRelease {
    /// `"1.30"`
    pub minor: String,
    /// AKS general availability (`YYYY-MM-DD`).
    pub ga: String,
    /// End of AKS community support (`YYYY-MM-DD`).
    pub end_of_support: String,
    /// End of long-term support (Premium tier), when the release has LTS.
    #[serde(default)]
    pub lts_end: Option<String>,
}

/// The catalogue's compilation date (`YYYY-MM-DD`).
pub fn as_of() -> &'static str {
    todo!()
}
pub fn regions() -> &'static [RegionInfo] {
    todo!()
}
/// Look up by programmatic name (exact, lowercase).
pub fn region(name: &str) -> Option<&'static RegionInfo> {
    todo!("{name}")
}
pub fn vm_sizes() -> &'static [VmSizeInfo] {
    todo!()
}
/// Look up a size case-insensitively.
pub fn vm_size(name: &str) -> Option<&'static VmSizeInfo> {
    todo!("{name}")
}
pub fn kubernetes_releases() -> &'static [KubernetesRelease] {
    todo!()
}
