//! VM sizes, node pools, zones and Kubernetes versions.

use super::text::show;
use super::{Invalid, MIN_KUBERNETES, PoolName};

/// An Azure VM size, `Standard_<letters digits _>`, with the catalogue's canonical casing when known.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VmSize(String);

impl VmSize {
    pub fn parse(input: &str) -> Result<VmSize, Invalid> {
        if input.is_empty() {
            return Err(Invalid::new(
                "required",
                "the VM size is empty",
                "give an Azure VM size, e.g. `Standard_D8s_v3`",
            ));
        }
        // Azure treats sizes case-insensitively; the catalogue knows the canonical casing.
        if let Some(info) = super::catalog::vm_size(input) {
            return Ok(VmSize(info.name.clone()));
        }
        let well_formed = |rest: &str| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        };
        let rest = input
            .get(..9)
            .filter(|p| p.eq_ignore_ascii_case("Standard_"))
            .and_then(|_| input.get(9..));
        match rest {
            Some(rest) if well_formed(rest) => Ok(VmSize(format!("Standard_{rest}"))),
            _ => {
                let fix = if well_formed(input) {
                    let guess = format!("Standard_{input}");
                    let guess = super::catalog::vm_size(&guess).map_or(guess, |i| i.name.clone());
                    format!("write the full size name: `{guess}`")
                } else {
                    "write a size as `az vm list-skus` shows it, e.g. `Standard_D8s_v3`".to_string()
                };
                Err(Invalid::new(
                    "vm-size.format",
                    format!(
                        "{} is not an Azure VM size (`Standard_` followed by letters, digits and `_`)",
                        show(input)
                    ),
                    fix,
                ))
            }
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The catalogue's facts about this size, when it knows it.
    pub fn info(&self) -> Option<&'static super::catalog::VmSizeInfo> {
        super::catalog::vm_size(&self.0)
    }
    /// N-series (GPU) by name.
    pub fn is_gpu_family(&self) -> bool {
        self.0.starts_with("Standard_N")
    }
}

impl std::fmt::Display for VmSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An availability zone, "1" | "2" | "3".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Zone(u8);

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Zone {
    pub const ONE: Zone = Zone(1);
    pub const TWO: Zone = Zone(2);
    pub const THREE: Zone = Zone(3);

    pub fn parse(input: &str) -> Result<Zone, Invalid> {
        match input {
            "1" => Ok(Zone(1)),
            "2" => Ok(Zone(2)),
            "3" => Ok(Zone(3)),
            _ => Err(Invalid::new(
                "zones.value",
                format!("{} is not an availability zone", show(input)),
                "use zones `1`, `2` and `3`",
            )),
        }
    }
    pub fn number(&self) -> u8 {
        self.0
    }
}

/// At least two distinct zones, sorted (the vendor guide deploys across 2 zones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zones(Vec<Zone>);

/// Zones 1 and 2, as the vendor guide deploys.
impl Default for Zones {
    fn default() -> Self {
        Zones(vec![Zone::ONE, Zone::TWO])
    }
}

impl Zones {
    pub fn new(mut zones: Vec<Zone>) -> Result<Zones, Invalid> {
        zones.sort();
        if let Some(w) = zones.windows(2).find(|w| w[0] == w[1]) {
            return Err(Invalid::new(
                "zones.duplicate",
                format!("zone {} is listed twice", w[0].0),
                "list each zone once, e.g. `[\"1\", \"2\"]`",
            ));
        }
        if zones.len() < 2 {
            let listed: Vec<String> = zones.iter().map(|z| z.0.to_string()).collect();
            return Err(Invalid::new(
                "zones.count",
                format!(
                    "{} zone(s) given ({}); the platform is deployed across at least 2",
                    zones.len(),
                    listed.join(", ")
                ),
                "list 2 or 3 zones, e.g. `[\"1\", \"2\"]`",
            ));
        }
        Ok(Zones(zones))
    }

    /// The zones as AKS takes them: `["1", "2"]`.
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(|z| z.to_string()).collect()
    }
    pub fn as_slice(&self) -> &[Zone] {
        &self.0
    }
}

/// `major.minor[.patch]`, at least 1.29.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KubernetesVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: Option<u32>,
}

impl KubernetesVersion {
    pub fn parse(input: &str) -> Result<KubernetesVersion, Invalid> {
        let format_error = |fix: String| {
            Invalid::new(
                "k8s.format",
                format!(
                    "{} is not a Kubernetes version (`major.minor` or `major.minor.patch`)",
                    show(input)
                ),
                fix,
            )
        };
        let bare = input.strip_prefix(['v', 'V']).unwrap_or(input);
        let parts: Vec<&str> = bare.split('.').collect();
        let number = |s: &str| -> Option<u32> {
            // Digits only, no leading zeros (`1.030` is not how versions are written).
            let ok = !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit())
                && (s == "0" || !s.starts_with('0'));
            ok.then(|| s.parse().ok()).flatten()
        };
        let numbers: Option<Vec<u32>> = parts.iter().map(|p| number(p)).collect();
        let version = match (parts.len(), numbers) {
            (2 | 3, Some(n)) => KubernetesVersion {
                major: n[0],
                minor: n[1],
                patch: n.get(2).copied(),
            },
            _ => return Err(format_error("write it quoted, e.g. `\"1.30\"`".to_string())),
        };
        if bare != input {
            return Err(format_error(format!(
                "write `\"{version}\"` (without the `v`)"
            )));
        }
        if (version.major, version.minor) < MIN_KUBERNETES {
            let (major, minor) = MIN_KUBERNETES;
            return Err(Invalid::new(
                "k8s.too-old",
                format!(
                    "Kubernetes {version} is older than {major}.{minor}, the oldest the platform is validated with"
                ),
                "use a supported version of 1.29 or later, or leave kubernetesVersion out to take the newest the region supports",
            ));
        }
        Ok(version)
    }
    /// `"1.30"`: the minor release, as the lifecycle table keys it.
    pub fn minor_str(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }
}

impl std::fmt::Display for KubernetesVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.patch {
            Some(p) => write!(f, "{}.{}.{}", self.major, self.minor, p),
            None => write!(f, "{}.{}", self.major, self.minor),
        }
    }
}

/// Which of the vendor guide's pools this is; also its `katonic.ai/node-pool` label value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PoolRole {
    Platform,
    Compute,
    Gpu,
}

impl PoolRole {
    /// Label value and default pool name: `platform`, `compute`, `gpu`.
    pub fn as_str(&self) -> &'static str {
        match self {
            PoolRole::Platform => "platform",
            PoolRole::Compute => "compute",
            PoolRole::Gpu => "gpu",
        }
    }
}

/// Fixed size or autoscaling bounds (min <= max).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeScale {
    Fixed(u32),
    Auto { min: u32, max: u32 },
}

impl NodeScale {
    pub fn min(&self) -> u32 {
        match *self {
            NodeScale::Fixed(n) => n,
            NodeScale::Auto { min, .. } => min,
        }
    }
    pub fn max(&self) -> u32 {
        match *self {
            NodeScale::Fixed(n) => n,
            NodeScale::Auto { max, .. } => max,
        }
    }
}

/// One validated node pool.
#[derive(Debug, Clone, PartialEq)]
pub struct NodePool {
    pub role: PoolRole,
    pub name: PoolName,
    pub vm_size: VmSize,
    pub scale: NodeScale,
    /// Extra nodes AKS adds during upgrades.
    pub max_surge: u32,
}

impl NodePool {
    /// The node label the vendor guide requires: `katonic.ai/node-pool=<role>`.
    pub fn label(&self) -> (&'static str, &'static str) {
        ("katonic.ai/node-pool", self.role.as_str())
    }

    /// The pool's taint, as the console creates it. The vendor taints its dedicated pools
    /// `katonic.ai/node-pool=<role>:NoSchedule`. The platform pool is AKS's system pool, and
    /// AKS refuses custom taints on system pools except `CriticalAddonsOnly` or the
    /// `PreferNoSchedule` effect (`SystemPoolHasRestrictedTaint`; AKS system-pool docs and
    /// Azure/AKS#2578, checked 2026-12-07), because its own pods tolerate nothing else. So the
    /// platform pool carries the vendor's key softly (`PreferNoSchedule`): other workloads keep
    /// off it while any other node fits, and AKS's system pods still run there.
    pub fn taint(&self) -> PoolTaint {
        let (key, value) = self.label();
        PoolTaint {
            key,
            value,
            effect: if self.role == PoolRole::Platform {
                TaintEffect::PreferNoSchedule
            } else {
                TaintEffect::NoSchedule
            },
        }
    }
}

/// A node taint of a pool: `key=value:effect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolTaint {
    pub key: &'static str,
    pub value: &'static str,
    pub effect: TaintEffect,
}

/// The taint effects the console uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaintEffect {
    /// Pods without a matching toleration are never scheduled there.
    NoSchedule,
    /// The scheduler avoids the node for such pods while another one fits.
    PreferNoSchedule,
}

impl TaintEffect {
    pub fn as_str(&self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
        }
    }
}

impl std::fmt::Display for PoolTaint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}:{}", self.key, self.value, self.effect.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dedicated_pools_are_tainted_and_the_system_pool_only_softly() {
        let pool = |role| NodePool {
            role,
            name: PoolName::parse(role.as_str()).expect("valid name"),
            vm_size: VmSize::parse("Standard_D8s_v3").expect("valid size"),
            scale: NodeScale::Fixed(1),
            max_surge: 1,
        };
        assert_eq!(
            pool(PoolRole::Compute).taint().to_string(),
            "katonic.ai/node-pool=compute:NoSchedule"
        );
        assert_eq!(
            pool(PoolRole::Gpu).taint().to_string(),
            "katonic.ai/node-pool=gpu:NoSchedule"
        );
        assert_eq!(
            pool(PoolRole::Platform).taint().to_string(),
            "katonic.ai/node-pool=platform:PreferNoSchedule"
        );
    }

    #[test]
    fn vm_size_canonical_casing() {
        assert_eq!(
            VmSize::parse("standard_ds3_v2").unwrap().as_str(),
            "Standard_DS3_v2"
        );
        assert_eq!(
            VmSize::parse("Standard_D8s_v3").unwrap().as_str(),
            "Standard_D8s_v3"
        );
        let unknown = VmSize::parse("standard_Foo12_v9").unwrap();
        assert_eq!(unknown.as_str(), "Standard_Foo12_v9");
        assert!(unknown.info().is_none());
        assert!(
            VmSize::parse("Standard_NC4as_T4_v3")
                .unwrap()
                .is_gpu_family()
        );
        assert!(!VmSize::parse("Standard_D8s_v3").unwrap().is_gpu_family());
    }

    #[test]
    fn vm_size_format() {
        for bad in [
            "DS3_v2",
            "Standard_",
            "Standard_DS3 v2",
            "Standard-DS3-v2",
            "Basic_A1",
            "Standard_DS3_v2\n",
        ] {
            let e = VmSize::parse(bad).unwrap_err();
            assert_eq!(e.rule, "vm-size.format", "{bad}");
        }
        assert_eq!(
            VmSize::parse("DS3_v2").unwrap_err().fix,
            "write the full size name: `Standard_DS3_v2`"
        );
        assert_eq!(VmSize::parse("").unwrap_err().rule, "required");
    }

    #[test]
    fn zones() {
        assert_eq!(Zone::parse("2").unwrap().number(), 2);
        for bad in ["0", "4", "01", "one", ""] {
            assert_eq!(Zone::parse(bad).unwrap_err().rule, "zones.value");
        }
        let z = |n: &str| Zone::parse(n).unwrap();
        let zs = Zones::new(vec![z("3"), z("1")]).unwrap();
        assert_eq!(zs.to_strings(), ["1", "3"]);
        assert_eq!(Zones::new(vec![z("1")]).unwrap_err().rule, "zones.count");
        assert_eq!(Zones::new(vec![]).unwrap_err().rule, "zones.count");
        assert_eq!(
            Zones::new(vec![z("1"), z("1")]).unwrap_err().rule,
            "zones.duplicate"
        );
    }

    #[test]
    fn kubernetes_version() {
        let v = KubernetesVersion::parse("1.30").unwrap();
        assert_eq!((v.major, v.minor, v.patch), (1, 30, None));
        assert_eq!(v.minor_str(), "1.30");
        assert_eq!(
            KubernetesVersion::parse("1.29.5").unwrap().to_string(),
            "1.29.5"
        );
        assert_eq!(KubernetesVersion::parse("2.0").unwrap().major, 2);
        for bad in [
            "1", "1.30.1.2", "1.3a", "v1.30", "1..30", "1.030", "", "1.30 ", "１.30",
        ] {
            assert_eq!(
                KubernetesVersion::parse(bad).unwrap_err().rule,
                "k8s.format",
                "{bad}"
            );
        }
        assert!(
            KubernetesVersion::parse("v1.30")
                .unwrap_err()
                .fix
                .contains("\"1.30\"")
        );
        for old in ["1.28", "1.3", "1.28.15", "0.99"] {
            assert_eq!(
                KubernetesVersion::parse(old).unwrap_err().rule,
                "k8s.too-old",
                "{old}"
            );
        }
    }

    #[test]
    fn node_scale() {
        assert_eq!(NodeScale::Fixed(3).min(), 3);
        assert_eq!(NodeScale::Auto { min: 1, max: 4 }.max(), 4);
    }

    proptest! {
        #[test]
        fn versions_round_trip(minor in 29u32..200, patch in proptest::option::of(0u32..100)) {
            let text = match patch {
                Some(p) => format!("1.{minor}.{p}"),
                None => format!("1.{minor}"),
            };
            let v = KubernetesVersion::parse(&text).unwrap();
            prop_assert_eq!(v.to_string(), text);
        }

        #[test]
        fn well_formed_sizes_are_accepted(rest in "[A-Za-z0-9_]{1,20}") {
            let size = VmSize::parse(&format!("Standard_{rest}")).unwrap();
            prop_assert_eq!(VmSize::parse(size.as_str()).unwrap(), size.clone());
            let written = format!("Standard_{rest}");
            prop_assert!(size.as_str().eq_ignore_ascii_case(&written));
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = VmSize::parse(&s);
            let _ = Zone::parse(&s);
            let _ = KubernetesVersion::parse(&s);
        }
    }
}
