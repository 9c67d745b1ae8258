//! The step DAG: ids, titles, dependencies, expected durations, critical path.

use serde::{Deserialize, Serialize};

/// A step's stable id (stored in the database, shown in URLs and events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepId {
    Preflight,
    ResourceGroup,
    Network,
    Identity,
    Storage,
    Registry,
    AksCluster,
    ComputePool,
    GpuPool,
    RoleAssignments,
    Kubeconfig,
    StorageClasses,
    Namespaces,
    NetworkPolicies,
    IngressLoadBalancer,
    Tls,
    Platform,
    Superset,
    Airbyte,
    Dns,
    Verify,
}

impl StepId {
    /// The kebab-case id, as stored.
    pub fn as_str(&self) -> &'static str {
        match self {
            StepId::Preflight => "preflight",
            StepId::ResourceGroup => "resource-group",
            StepId::Network => "network",
            StepId::Identity => "identity",
            StepId::Storage => "storage",
            StepId::Registry => "registry",
            StepId::AksCluster => "aks-cluster",
            StepId::ComputePool => "compute-pool",
            StepId::GpuPool => "gpu-pool",
            StepId::RoleAssignments => "role-assignments",
            StepId::Kubeconfig => "kubeconfig",
            StepId::StorageClasses => "storage-classes",
            StepId::Namespaces => "namespaces",
            StepId::NetworkPolicies => "network-policies",
            StepId::IngressLoadBalancer => "ingress-load-balancer",
            StepId::Tls => "tls",
            StepId::Platform => "platform",
            StepId::Superset => "superset",
            StepId::Airbyte => "airbyte",
            StepId::Dns => "dns",
            StepId::Verify => "verify",
        }
    }
}

impl std::fmt::Display for StepId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
