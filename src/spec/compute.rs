//! VM sizes, node pools, zones and Kubernetes versions.

use super::{Invalid, PoolName};

/// An Azure VM size, `Standard_<letters digits _>`, with the catalogue's canonical casing when known.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VmSize(String);

impl VmSize {
    pub fn parse(input: &str) -> Result<VmSize, Invalid> {
        todo!("{input}")
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

impl Zone {
    pub fn parse(input: &str) -> Result<Zone, Invalid> {
        todo!("{input}")
    }
    pub fn number(&self) -> u8 {
        self.0
    }
}

/// At least two distinct zones, sorted (the vendor guide deploys across 2 zones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zones(Vec<Zone>);

impl Zones {
    pub fn new(zones: Vec<Zone>) -> Result<Zones, Invalid> {
        todo!("{}", zones.len())
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
        todo!("{input}")
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
}
