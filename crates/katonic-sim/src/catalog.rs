//! The simulated Azure catalogue: regions, VM sizes and their availability, quotas, AKS versions,
//! provider registration, caller permissions and globally taken names (`catalog.yaml` in the state dir).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::SimError;

/// The product's own catalogue, read with the simulator's own structs (only the fields used).
const SPEC_CATALOG: &str = include_str!("../../data/catalog.yaml");

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpecCatalog {
    regions: Vec<SpecRegion>,
    vm_sizes: Vec<SpecSize>,
    kubernetes: Vec<SpecK8s>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpecRegion {
    name: String,
    display_name: String,
    zones: u8,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpecSize {
    name: String,
    vcpus: u32,
    memory_gib: f64,
    quota_family: String,
    #[serde(default)]
    gpus: u32,
    #[serde(default)]
    retired_on: Option<String>,
}

#[derive(Deserialize)]
struct SpecK8s {
    minor: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Catalog {
    pub regions: Vec<Region>,
    pub vm_sizes: Vec<VmSize>,
    /// Sizes not offered in a region (no `zones`) or in some of its zones.
    #[serde(default)]
    pub sku_restrictions: Vec<SkuRestriction>,
    pub quota: Quota,
    pub kubernetes_versions: Vec<K8sVersion>,
    pub providers: Providers,
    pub caller_permissions: Permissions,
    #[serde(default)]
    pub taken_names: TakenNames,
    /// Subscription features (`Microsoft.Features`) registered from the start.
    #[serde(default)]
    pub features: Features,
}

/// Preview features of the subscription, as `Namespace/Name`; any other is `NotRegistered`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Features {
    #[serde(default)]
    pub registered: Vec<String>,
}

/// A private-only Application Gateway v2 needs this one (issue 17): registered by default so
/// a rehearsal of an internal install passes; remove it from `catalog.yaml` to rehearse the
/// refusal.
pub(crate) const GATEWAY_ISOLATION: &str =
    "Microsoft.Network/EnableApplicationGatewayNetworkIsolation";

impl Default for Features {
    fn default() -> Self {
        Self {
            registered: vec![GATEWAY_ISOLATION.to_string()],
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Region {
    pub name: String,
    pub display_name: String,
    /// Availability zones, e.g. `["1","2","3"]`; empty when the region has none.
    #[serde(default)]
    pub zones: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct VmSize {
    pub name: String,
    pub family: String,
    pub vcpus: u32,
    pub memory_gb: f64,
    #[serde(default)]
    pub gpus: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SkuRestriction {
    pub size: String,
    pub location: String,
    /// Zones where the size is not offered; empty = the whole region.
    #[serde(default)]
    pub zones: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Quota {
    /// vCPU limit of every family in every region unless overridden.
    pub family_limit: u64,
    /// Total regional vCPU limit (`cores`).
    pub total_limit: u64,
    #[serde(default)]
    pub overrides: Vec<QuotaOverride>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct QuotaOverride {
    pub location: String,
    /// A family name (`standardDSv5Family`) or `cores` for the regional total.
    pub family: String,
    pub limit: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct K8sVersion {
    /// `major.minor`
    pub version: String,
    pub patches: Vec<String>,
    /// Only offered with the Premium tier and the AKSLongTermSupport plan.
    #[serde(default)]
    pub lts_only: bool,
    #[serde(default)]
    pub is_default: bool,
    /// Regions that do not offer this version.
    #[serde(default)]
    pub not_in: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Providers {
    pub registered: Vec<String>,
    pub not_registered: Vec<String>,
    /// Nominal time from `register` to `Registered`, scaled by the time scale.
    pub registration_seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Permissions {
    pub actions: Vec<String>,
    #[serde(default)]
    pub not_actions: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TakenNames {
    #[serde(default)]
    pub storage_accounts: Vec<String>,
    #[serde(default)]
    pub registries: Vec<String>,
}

const HEADER: &str = "# Simulated Azure catalogue of the katonic-console simulator.\n\
# Edit and restart the simulator. Sizes absent from a region's list or restricted in a zone\n\
# fail AKS creates with SkuNotAvailable; quotas fail them with QuotaExceeded.\n";

/// Every AKS version keeps this many patch releases in the simulated list.
fn patches(minor: &str, lts_only: bool) -> Vec<String> {
    let top = if lts_only { 100 } else { 4 };
    vec![format!("{minor}.{top}"), format!("{minor}.{}", top - 1)]
}

impl Catalog {
    /// The default catalogue, built from the product's `catalog.yaml`.
    // One piece: a flat mapping from the product's catalogue to the simulator's, field by field.
    pub fn default_catalog() -> Result<Self, SimError> {
        let spec: SpecCatalog =
            serde_yaml_ng::from_str(SPEC_CATALOG).map_err(|e| SimError::Invalid {
                what: "built-in catalogue",
                path: "crates/data/catalog.yaml".into(),
                message: e.to_string(),
            })?;
        let today = time::OffsetDateTime::now_utc().date().to_string();
        let regions = spec
            .regions
            .iter()
            .map(|r| Region {
                name: r.name.clone(),
                display_name: r.display_name.clone(),
                zones: (1..=r.zones).map(|z| z.to_string()).collect(),
            })
            .collect();
        // Retired sizes are gone from Azure: absent from the simulated catalogue.
        let vm_sizes = spec
            .vm_sizes
            .iter()
            .filter(|s| s.retired_on.as_deref().is_none_or(|d| d > today.as_str()))
            .map(|s| VmSize {
                name: s.name.clone(),
                family: s.quota_family.clone(),
                vcpus: s.vcpus,
                memory_gb: s.memory_gib,
                gpus: s.gpus,
            })
            .collect();
        let lts_only = ["1.29", "1.30", "1.31"];
        let mut kubernetes_versions: Vec<K8sVersion> = spec
            .kubernetes
            .iter()
            .map(|k| {
                let lts = lts_only.contains(&k.minor.as_str());
                K8sVersion {
                    version: k.minor.clone(),
                    patches: patches(&k.minor, lts),
                    lts_only: lts,
                    is_default: k.minor == "1.34",
                    not_in: Vec::new(),
                }
            })
            .collect();
        kubernetes_versions.sort_by_key(|v| std::cmp::Reverse(version_key(&v.version)));
        Ok(Self {
            regions,
            vm_sizes,
            sku_restrictions: vec![
                // A few gaps so tests and rehearsals can hit SkuNotAvailable.
                SkuRestriction {
                    size: "Standard_NC24ads_A100_v4".into(),
                    location: "eastus".into(),
                    zones: vec!["3".into()],
                },
                SkuRestriction {
                    size: "Standard_NC4as_T4_v3".into(),
                    location: "eastus".into(),
                    zones: vec!["3".into()],
                },
                SkuRestriction {
                    size: "Standard_NV36ads_A10_v5".into(),
                    location: "westus".into(),
                    zones: vec![],
                },
                SkuRestriction {
                    size: "Standard_NC24ads_A100_v4".into(),
                    location: "westus".into(),
                    zones: vec![],
                },
            ],
            quota: Quota {
                family_limit: 100,
                total_limit: 350,
                overrides: Vec::new(),
            },
            kubernetes_versions,
            providers: Providers {
                registered: [
                    "Microsoft.Resources",
                    "Microsoft.Authorization",
                    "Microsoft.Network",
                    "Microsoft.Compute",
                    "Microsoft.Storage",
                    "Microsoft.ManagedIdentity",
                ]
                .map(String::from)
                .to_vec(),
                not_registered: [
                    "Microsoft.ContainerService",
                    "Microsoft.ContainerRegistry",
                    "Microsoft.OperationsManagement",
                    "Microsoft.OperationalInsights",
                ]
                .map(String::from)
                .to_vec(),
                registration_seconds: 60.0,
            },
            caller_permissions: Permissions {
                actions: vec!["*".into()],
                not_actions: Vec::new(),
            },
            taken_names: TakenNames {
                storage_accounts: vec!["katonic".into(), "katonicsa".into(), "storage".into()],
                registries: vec!["katonic".into(), "katonicacr".into(), "registry".into()],
            },
            features: Features::default(),
        })
    }

    /// Read `catalog.yaml` from the state dir, writing the default first if it is missing.
    pub fn load_or_create(dir: &Path) -> Result<Self, SimError> {
        let path = dir.join("catalog.yaml");
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|e| SimError::io(&path, e))?;
            return serde_yaml_ng::from_str(&text).map_err(|e| SimError::Invalid {
                what: "catalogue",
                path,
                message: e.to_string(),
            });
        }
        let catalog = Self::default_catalog()?;
        let text = serde_yaml_ng::to_string(&catalog).map_err(|e| SimError::Invalid {
            what: "catalogue",
            path: path.clone(),
            message: e.to_string(),
        })?;
        super::state::write_atomic(&path, format!("{HEADER}{text}").as_bytes(), false)?;
        Ok(catalog)
    }

    /// Normalise `East US` / `EastUS` / `eastus` to the region's name, if it exists.
    pub fn region(&self, location: &str) -> Option<&Region> {
        let key: String = location
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        self.regions.iter().find(|r| {
            r.name == key
                || r.display_name
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
                    .eq_ignore_ascii_case(&key)
        })
    }

    pub fn size(&self, name: &str) -> Option<&VmSize> {
        self.vm_sizes
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }

    /// Zones of `location` where `size` can be deployed; `None` if not offered in the region.
    pub fn size_zones(&self, size: &str, location: &str) -> Option<Vec<String>> {
        let region = self.region(location)?;
        self.size(size)?;
        let mut zones = region.zones.clone();
        for r in &self.sku_restrictions {
            if r.size.eq_ignore_ascii_case(size) && r.location.eq_ignore_ascii_case(&region.name) {
                if r.zones.is_empty() {
                    return None;
                }
                zones.retain(|z| !r.zones.contains(z));
            }
        }
        Some(zones)
    }

    /// Zone-level restrictions of a size in a region (for the SKU list's `restrictions`).
    pub fn restricted_zones(&self, size: &str, location: &str) -> Vec<String> {
        self.sku_restrictions
            .iter()
            .filter(|r| {
                r.size.eq_ignore_ascii_case(size) && r.location.eq_ignore_ascii_case(location)
            })
            .flat_map(|r| r.zones.iter().cloned())
            .collect()
    }

    pub fn family_limit(&self, location: &str, family: &str) -> u64 {
        self.quota
            .overrides
            .iter()
            .find(|o| {
                o.location.eq_ignore_ascii_case(location) && o.family.eq_ignore_ascii_case(family)
            })
            .map(|o| o.limit)
            .unwrap_or(if family == "cores" {
                self.quota.total_limit
            } else {
                self.quota.family_limit
            })
    }

    /// Families that have a usage entry in a region: every family of the catalogue.
    pub fn families(&self) -> Vec<String> {
        let mut f: Vec<String> = self.vm_sizes.iter().map(|s| s.family.clone()).collect();
        f.sort();
        f.dedup();
        f
    }

    pub fn k8s_versions(&self, location: &str) -> Vec<&K8sVersion> {
        self.kubernetes_versions
            .iter()
            .filter(|v| !v.not_in.iter().any(|r| r.eq_ignore_ascii_case(location)))
            .collect()
    }
}

/// Sort key for `1.32` / `1.32.4`.
pub(crate) fn version_key(v: &str) -> Vec<u32> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// Built-in role definitions the simulator knows (name → GUID).
pub(crate) const ROLES: &[(&str, &str)] = &[
    ("Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
    ("Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"),
    ("Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7"),
    (
        "User Access Administrator",
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    ),
    (
        "Role Based Access Control Administrator",
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    ),
    (
        "Network Contributor",
        "4d97b98b-1d4f-4787-a291-c67834d212e7",
    ),
    ("AcrPull", "7f951dda-4ed3-4680-a7ca-43fe172d538d"),
    ("AcrPush", "8311e382-0749-4cb8-b61a-304f252e45ec"),
    (
        "Managed Identity Operator",
        "f1a07417-d97a-45cb-824c-7a7467783830",
    ),
    (
        "Private DNS Zone Contributor",
        "b12aa53e-6015-4669-85d0-8515ebb3ae7f",
    ),
    (
        "Storage Account Contributor",
        "17d1049b-9a84-46fb-8f53-869881c3d3ab",
    ),
    (
        "Storage Blob Data Contributor",
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    ),
    (
        "Storage File Data SMB Share Contributor",
        "0c867c2a-1d8c-454a-a3db-ab2ea1bdc8bb",
    ),
    (
        "Azure Kubernetes Service Cluster Admin Role",
        "0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8",
    ),
    (
        "Azure Kubernetes Service Cluster User Role",
        "4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
    ),
    (
        "Azure Kubernetes Service RBAC Cluster Admin",
        "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    ),
    (
        "Azure Kubernetes Service RBAC Admin",
        "3498e952-d568-435e-9b2c-8d77e338d7f7",
    ),
    (
        "Azure Kubernetes Service RBAC Reader",
        "7f6c6a51-bcf8-42ba-9220-52d62157d7db",
    ),
    (
        "Azure Kubernetes Service RBAC Writer",
        "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb",
    ),
    (
        "Azure Kubernetes Service Contributor Role",
        "ed7f3fbd-7b88-4dd4-9017-9adb7ce333f8",
    ),
];

/// Roles that include `Microsoft.Network/virtualNetworks/subnets/join/action`.
pub(crate) const NETWORK_ROLES: &[&str] = &[
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "4d97b98b-1d4f-4787-a291-c67834d212e7",
];
