//! Facts about Azure the wizard checks offline: regions (and whether they have zones), VM sizes
//! (vCPUs, quota family, GPUs, retirement) and AKS Kubernetes releases (support windows).
//!
//! Kept in `catalog.yaml` beside this file, with the date it was compiled; preflight (issue 4)
//! confirms the same facts live against the subscription.

use serde::Deserialize;
use std::sync::LazyLock;

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

/// The whole catalogue file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Catalog {
    as_of: String,
    source: String,
    regions: Vec<RegionInfo>,
    vm_sizes: Vec<VmSizeInfo>,
    kubernetes: Vec<KubernetesRelease>,
}

#[allow(clippy::expect_used)]
static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    // Embedded at compile time and parsed by `tests::catalogue_parses`: cannot fail at run time.
    serde_yaml_ng::from_str(include_str!("../../../data/catalog.yaml"))
        .expect("embedded catalog.yaml parses")
});

/// `YYYY-MM-DD` as a date (`None` when malformed; the catalogue's own test proves it is not).
pub fn parse_date(text: &str) -> Option<time::Date> {
    time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// What a region name looks like once spaces are dropped and it is lowercased: the portal's
/// display name (`East US 2`) becomes the programmatic name (`eastus2`).
pub fn normalize_region(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

impl VmSizeInfo {
    /// The retirement date, when announced.
    pub fn retired_date(&self) -> Option<time::Date> {
        self.retired_on.as_deref().and_then(parse_date)
    }
}

impl KubernetesRelease {
    pub fn ga_date(&self) -> Option<time::Date> {
        parse_date(&self.ga)
    }
    pub fn end_of_support_date(&self) -> Option<time::Date> {
        parse_date(&self.end_of_support)
    }
    pub fn lts_end_date(&self) -> Option<time::Date> {
        self.lts_end.as_deref().and_then(parse_date)
    }
    /// `(major, minor)` of the `"1.30"` key.
    pub fn version(&self) -> Option<(u32, u32)> {
        let (major, minor) = self.minor.split_once('.')?;
        Some((major.parse().ok()?, minor.parse().ok()?))
    }
}

/// The catalogue's compilation date (`YYYY-MM-DD`).
pub fn as_of() -> &'static str {
    &CATALOG.as_of
}
/// Where the catalogue's facts come from, and how approximate they are.
pub fn source() -> &'static str {
    &CATALOG.source
}
pub fn regions() -> &'static [RegionInfo] {
    &CATALOG.regions
}
/// Look up by programmatic name (exact, lowercase).
pub fn region(name: &str) -> Option<&'static RegionInfo> {
    CATALOG.regions.iter().find(|r| r.name == name)
}
pub fn vm_sizes() -> &'static [VmSizeInfo] {
    &CATALOG.vm_sizes
}
/// Look up a size case-insensitively.
pub fn vm_size(name: &str) -> Option<&'static VmSizeInfo> {
    CATALOG
        .vm_sizes
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name))
}
pub fn kubernetes_releases() -> &'static [KubernetesRelease] {
    &CATALOG.kubernetes
}
/// Look up a release by `major.minor`.
pub fn kubernetes_release(major: u32, minor: u32) -> Option<&'static KubernetesRelease> {
    CATALOG
        .kubernetes
        .iter()
        .find(|r| r.version() == Some((major, minor)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn catalogue_parses() {
        let parsed: Catalog =
            serde_yaml_ng::from_str(include_str!("../../../data/catalog.yaml")).unwrap();
        assert!(!parsed.regions.is_empty());
        assert!(parse_date(as_of()).is_some());
        assert!(source().contains("approximate") || source().contains("Approximate"));
    }

    #[test]
    fn regions_are_unique_and_display_names_normalise_to_names() {
        let mut seen = HashSet::new();
        for r in regions() {
            assert!(seen.insert(r.name.as_str()), "duplicate region {}", r.name);
            assert_eq!(normalize_region(&r.display_name), r.name);
            assert!(
                r.zones == 0 || r.zones == 3,
                "{} has {} zones",
                r.name,
                r.zones
            );
        }
        for zonal in [
            "eastus",
            "eastus2",
            "westus2",
            "westus3",
            "centralus",
            "northeurope",
        ] {
            assert_eq!(region(zonal).unwrap().zones, 3);
        }
        for flat in ["westus", "northcentralus", "westcentralus", "ukwest"] {
            assert_eq!(region(flat).unwrap().zones, 0);
        }
        assert!(
            region("EastUS").is_none(),
            "lookup is by exact programmatic name"
        );
    }

    #[test]
    fn vm_sizes_are_well_formed() {
        let mut seen = HashSet::new();
        for s in vm_sizes() {
            assert!(
                seen.insert(s.name.to_ascii_lowercase()),
                "duplicate {}",
                s.name
            );
            assert!(s.name.starts_with("Standard_"), "{}", s.name);
            assert!(s.vcpus > 0 && s.memory_gib > 0.0, "{}", s.name);
            assert!(s.quota_family.starts_with("standard") && s.quota_family.ends_with("Family"));
            assert_eq!(s.gpus > 0, s.gpu_model.is_some(), "{}", s.name);
            assert_eq!(
                s.retired_on.is_some(),
                s.replacement.is_some(),
                "{}",
                s.name
            );
            if let Some(on) = &s.retired_on {
                assert!(parse_date(on).is_some(), "{}: {on}", s.name);
            }
            if let Some(r) = &s.replacement {
                let r = vm_size(r).unwrap_or_else(|| panic!("{} -> {r} not in catalogue", s.name));
                assert!(
                    r.retired_on.is_none(),
                    "{} -> {} is retired too",
                    s.name,
                    r.name
                );
            }
        }
        let nc6s = vm_size("standard_nc6s_v3").unwrap();
        assert_eq!(nc6s.name, "Standard_NC6s_v3");
        assert_eq!(nc6s.retired_on.as_deref(), Some("2025-09-30"));
        assert_eq!(nc6s.quota_family, "standardNCSv3Family");
        assert_eq!(
            vm_size("Standard_D8s_v3").unwrap().quota_family,
            "standardDSv3Family"
        );
        assert_eq!(vm_size("Standard_NC4as_T4_v3").unwrap().gpus, 1);
        assert!(vm_size("Standard_Nope_v9").is_none());
    }

    #[test]
    fn kubernetes_releases_cover_1_29_to_1_37_with_ordered_dates() {
        let minors: Vec<_> = kubernetes_releases()
            .iter()
            .map(|r| r.minor.as_str())
            .collect();
        assert_eq!(
            minors,
            [
                "1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37"
            ]
        );
        for r in kubernetes_releases() {
            let ga = r.ga_date().unwrap();
            let eos = r.end_of_support_date().unwrap();
            let lts = r.lts_end_date().unwrap();
            assert!(ga < eos && eos < lts, "{}", r.minor);
        }
        assert_eq!(kubernetes_release(1, 30).unwrap().minor, "1.30");
        assert!(kubernetes_release(1, 28).is_none());
    }
}
