//! The step DAG: which steps an install has, what each does (title and detail naming the
//! concrete resources), what it waits for, and how long it is expected to take.

use super::{PlannedStep, QuotaNeed, details};
use crate::spec::{ClusterAccess, ClusterMode, InstallSpec, LbMode, TlsMode};
use serde::{Deserialize, Serialize};

/// A step's stable id (stored in the database, shown in URLs and events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepId {
    Preflight,
    ResourceGroup,
    Network,
    Identity,
    /// `cluster.access: peering`: the console's VNet and the cluster's, peered both ways.
    Peering,
    Storage,
    Registry,
    AksCluster,
    ComputePool,
    GpuPool,
    RoleAssignments,
    /// `cluster.access: peering`: the AKS private DNS zone linked to the console's VNet.
    DnsZoneLink,
    Kubeconfig,
    StorageClasses,
    Namespaces,
    NetworkPolicies,
    IngressIp,
    /// `ingress.gateway: applicationGateway`: the WAF policy (WAF_v2) and the Application Gateway.
    AppGateway,
    IngressLoadBalancer,
    Tls,
    Platform,
    Superset,
    Airbyte,
    Dns,
    Verify,
    // A teardown's steps (`plan::teardown`): what an install created, deleted in dependency order.
    TeardownInventory,
    DeleteDns,
    /// The DNS zone link and both peerings of `cluster.access: peering`.
    DeletePeering,
    DeleteCluster,
    DeleteRoleAssignments,
    /// The Application Gateway and its WAF policy.
    DeleteAppGateway,
    DeleteIngressIp,
    DeleteRegistry,
    DeleteStorage,
    DeleteIdentity,
    DeleteNetwork,
    DeleteResourceGroup,
}

impl StepId {
    /// The kebab-case id, as stored.
    pub fn as_str(&self) -> &'static str {
        match self {
            StepId::Preflight => "preflight",
            StepId::ResourceGroup => "resource-group",
            StepId::Network => "network",
            StepId::Identity => "identity",
            StepId::Peering => "peering",
            StepId::DnsZoneLink => "dns-zone-link",
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
            StepId::IngressIp => "ingress-ip",
            StepId::AppGateway => "app-gateway",
            StepId::IngressLoadBalancer => "ingress-load-balancer",
            StepId::Tls => "tls",
            StepId::Platform => "platform",
            StepId::Superset => "superset",
            StepId::Airbyte => "airbyte",
            StepId::Dns => "dns",
            StepId::Verify => "verify",
            StepId::TeardownInventory => "teardown-inventory",
            StepId::DeleteDns => "delete-dns",
            StepId::DeletePeering => "delete-peering",
            StepId::DeleteCluster => "delete-cluster",
            StepId::DeleteRoleAssignments => "delete-role-assignments",
            StepId::DeleteAppGateway => "delete-app-gateway",
            StepId::DeleteIngressIp => "delete-ingress-ip",
            StepId::DeleteRegistry => "delete-registry",
            StepId::DeleteStorage => "delete-storage",
            StepId::DeleteIdentity => "delete-identity",
            StepId::DeleteNetwork => "delete-network",
            StepId::DeleteResourceGroup => "delete-resource-group",
        }
    }
}

impl std::fmt::Display for StepId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text (a URL segment, a stored row) that names no step; the message lists the ids there are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnknownStepId(String);

impl std::str::FromStr for StepId {
    type Err = UnknownStepId;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        crate::status::from_name(text, "step").map_err(UnknownStepId)
    }
}

/// Expected duration of a step in seconds: the basis of the critical path and of the progress
/// estimate. Medians to plan with, not timeouts.
///
/// Where the figures come from: Azure's documentation and common experience of these operations
/// in a public region (AKS: a private cluster create takes 5-10 minutes, an agent pool 3-4;
/// VNet, NSG, storage account and registry creates are long-running operations that finish in
/// well under a minute; resource groups and role assignments are synchronous, but a new
/// identity's principal takes 30-120 s to replicate before a role assignment to it succeeds),
/// and the vendor's installer for Katonic 5.0.9 and its add-ons (about 10 minutes for the
/// platform, 3-4 per add-on). Kubernetes applies are seconds; waits for a load balancer address
/// or a DNS answer are a minute or two.
pub const fn expected_secs(id: StepId) -> u32 {
    match id {
        // Two peering PUTs (synchronous-ish LROs of seconds each).
        StepId::Peering => 20,
        // One virtual network link PUT (a Private DNS LRO of ~30 s).
        StepId::DnsZoneLink => 30,
        // Credential, permission, provider, quota, SKU, version and subnet reads (~15 ARM calls).
        StepId::Preflight => 45,
        // One synchronous PUT.
        StepId::ResourceGroup => 5,
        // NSG then VNet with its two subnets: two LROs of 10-20 s.
        StepId::Network => 30,
        // The identity PUT (synchronous). Its principal replicates (30-120 s) while the network is
        // created beside it; the cluster step grants it the subnet role.
        StepId::Identity => 10,
        // Account LRO (~20-30 s) + synchronous containers and share.
        StepId::Storage => 30,
        // Registry LRO.
        StepId::Registry => 30,
        // The identity's subnet grant (a synchronous PUT), then the private cluster with every
        // pool in its one operation: the control plane (~210 s), then the pools' scale sets
        // provisioned side by side (~210 s, as one agent-pool create), across two zones. A GPU
        // pool starting with nodes adds their driver install (`GPU_DRIVER_SECS`, see
        // `planned_secs`).
        StepId::AksCluster => 425,
        // A user pool as its own agent-pool operation (VMSS, node image, join): plans stored
        // before the pools moved into the cluster's operation still carry these steps.
        StepId::ComputePool => 210,
        // GPU pool: as a user pool plus the GPU driver install on its nodes.
        StepId::GpuPool => 210 + GPU_DRIVER_SECS,
        // A few role assignments (the kubelet identity already exists: no replication wait).
        StepId::RoleAssignments => 15,
        // listClusterAdminCredential (or the user credential and an Entra token) + a first call
        // to the private API server.
        StepId::Kubeconfig => 10,
        StepId::StorageClasses => 5,
        StepId::Namespaces => 5,
        StepId::NetworkPolicies => 5,
        // One public IP create (a Network LRO of a few seconds).
        StepId::IngressIp => 15,
        // An Application Gateway v2 create (with its WAF policy, a synchronous PUT): Microsoft's
        // v2 creates usually finish in about 6-7 minutes (learn.microsoft.com, "Application
        // Gateway v2 ... deployment time", checked 2026-12-07; v1 took 20+). 420 s: it runs
        // beside the cluster's create (425 s), off the critical path.
        StepId::AppGateway => 420,
        // Ingress controller rollout + Azure creating the load balancer frontend.
        StepId::IngressLoadBalancer => 120,
        // Self-signed or uploaded certificate; ACME issuance takes longer but is rare here.
        StepId::Tls => 15,
        // Katonic 5.0.9 installer job.
        StepId::Platform => 600,
        StepId::Superset => 210,
        StepId::Airbyte => 240,
        StepId::Dns => 30,
        StepId::Verify => 60,
        // Teardown: deletes are LROs; an AKS cluster delete takes 5-10 minutes (its node
        // resource group goes with it), a resource group delete up to a few minutes.
        StepId::TeardownInventory => 5,
        StepId::DeleteDns => 10,
        StepId::DeletePeering => 40,
        StepId::DeleteCluster => 420,
        StepId::DeleteRoleAssignments => 10,
        // A v2 gateway delete is an LRO of a few minutes.
        StepId::DeleteAppGateway => 240,
        StepId::DeleteIngressIp => 20,
        StepId::DeleteRegistry => 30,
        StepId::DeleteStorage => 20,
        StepId::DeleteIdentity => 10,
        StepId::DeleteNetwork => 40,
        StepId::DeleteResourceGroup => 60,
    }
}

/// What a GPU pool's nodes add to their pool's create: the NVIDIA driver installed at boot.
pub const GPU_DRIVER_SECS: u32 = 30;

/// Expected duration of step `id` of this install: `expected_secs`, except that the cluster's
/// operation lasts as long as its slowest pool, so a GPU pool that starts with nodes adds their
/// driver install (one that scales from 0 creates no VM in the operation).
pub fn planned_secs(spec: &InstallSpec, id: StepId) -> u32 {
    let gpu_in_cluster = spec.cluster.mode == ClusterMode::Create
        && spec
            .cluster
            .node_pools
            .gpu
            .as_ref()
            .is_some_and(|gpu| gpu.scale.min() > 0);
    match id {
        StepId::AksCluster if gpu_in_cluster => expected_secs(id) + GPU_DRIVER_SECS,
        _ => expected_secs(id),
    }
}

/// The steps of this install (in declaration order, not yet sorted) with their dependencies,
/// restricted to steps present in the plan. `quota` is named in the preflight detail.
pub(super) fn steps(spec: &InstallSpec, quota: &[QuotaNeed]) -> Vec<PlannedStep> {
    let dag = dependency_graph(spec);
    // Dependencies on optional steps (GPU pool, add-ons) or on steps of the other mode (pools
    // in existing mode) are dropped: they are not part of this plan.
    let present: Vec<StepId> = dag.iter().map(|(id, _)| *id).collect();
    dag.into_iter()
        .map(|(id, deps)| PlannedStep {
            id,
            title: details::title(spec, id),
            detail: details::detail(spec, id, quota),
            depends_on: deps.into_iter().filter(|d| present.contains(d)).collect(),
            expected_secs: planned_secs(spec, id),
            on_critical_path: false,
        })
        .collect()
}

/// Each step of this install with the steps it waits for, in declaration order.
///
/// One piece on purpose: this is the install's whole dependency graph, read top to bottom with
/// the reason for each non-obvious edge beside it; split into helpers, an edge's reason and the
/// steps it orders would sit in different places.
fn dependency_graph(spec: &InstallSpec) -> Vec<(StepId, Vec<StepId>)> {
    use StepId::*;
    let create = spec.cluster.mode == ClusterMode::Create;
    let shared = spec.storage.shared_files;

    let mut dag: Vec<(StepId, Vec<StepId>)> =
        vec![(Preflight, vec![]), (ResourceGroup, vec![Preflight])];
    if create {
        dag.push((Network, vec![ResourceGroup]));
        // The identity needs no subnet: it is created beside the network, and the cluster step
        // grants it the subnet role before AKS places anything there.
        dag.push((Identity, vec![ResourceGroup]));
    }
    let peering = spec.cluster.access == ClusterAccess::Peering;
    if peering {
        // The cluster's VNet must exist (a new one: the network step) before it is peered.
        dag.push((Peering, vec![if create { Network } else { Preflight }]));
    }
    dag.push((Storage, vec![ResourceGroup]));
    dag.push((Registry, vec![ResourceGroup]));
    if create {
        // Every pool (platform, compute, GPU) is in the cluster's own create request: AKS
        // provisions them in that one operation. `ComputePool` and `GpuPool` (one agent-pool
        // PUT each) remain only in plans stored before this.
        dag.push((AksCluster, vec![Network, Identity, Peering]));
    }
    // An existing cluster is ready once preflight has found it.
    let cluster = if create { AksCluster } else { Preflight };
    // The Azure Files grant is on the storage account, so it waits for it.
    let storage_if_shared = if shared { vec![Storage] } else { vec![] };
    dag.push((
        RoleAssignments,
        [vec![cluster, Registry], storage_if_shared.clone()].concat(),
    ));
    if peering {
        // The private DNS zone exists once the cluster does (AKS creates it).
        dag.push((DnsZoneLink, vec![cluster, Peering]));
    }
    // The first call to the API server needs the peering and the zone link (peering mode).
    dag.push((Kubeconfig, vec![cluster, DnsZoneLink]));
    dag.push((
        StorageClasses,
        [vec![Kubeconfig], storage_if_shared].concat(),
    ));
    dag.push((Namespaces, vec![Kubeconfig]));
    dag.push((NetworkPolicies, vec![Namespaces]));
    let external = spec.ingress.load_balancer == LbMode::External;
    let gateway = spec.ingress.gateway.is_some();
    if external {
        // The console owns the front door's public IP (the gateway's, or the cluster load
        // balancer's when there is no gateway).
        dag.push((IngressIp, vec![ResourceGroup]));
    }
    if gateway {
        // The gateway needs its subnet (and its public IP when external), not the cluster: its
        // backend is the address the plan chose for the internal load balancer, so it is
        // created beside the cluster. In an existing VNet the subnet exists: preflight is enough.
        dag.push((AppGateway, vec![ResourceGroup, Network, IngressIp]));
        // The cluster's load balancer is internal behind the gateway, in both modes.
        dag.push((IngressLoadBalancer, vec![Namespaces]));
    } else if external {
        // The Service names the public IP, and the cluster identity's Network Contributor grant
        // on its resource group (role assignments) lets AKS attach it.
        dag.push((
            IngressLoadBalancer,
            vec![Namespaces, IngressIp, RoleAssignments],
        ));
    } else {
        dag.push((IngressLoadBalancer, vec![Namespaces]));
    }
    if spec.domain.tls == TlsMode::Acme {
        // HTTP-01 needs the host names to resolve to the load balancer first.
        dag.push((Tls, vec![Namespaces, IngressLoadBalancer, Dns]));
    } else {
        dag.push((Tls, vec![Namespaces]));
    }
    // The installer needs the ingress class and the TLS secret's name, not the load balancer's
    // address (Azure provisioning its frontend takes minutes): DNS and verification wait for
    // that, the platform install does not.
    dag.push((
        Platform,
        vec![
            AksCluster,
            Storage,
            RoleAssignments,
            StorageClasses,
            Namespaces,
            NetworkPolicies,
            Tls,
        ],
    ));
    if spec.addons.superset.is_some() {
        dag.push((Superset, vec![Platform]));
    }
    if spec.addons.airbyte.is_some() {
        dag.push((Airbyte, vec![Platform]));
    }
    // DNS needs only the load balancer's address and the host names (known from the spec), so it
    // runs beside the platform install rather than after the add-ons: records have time to
    // propagate before verification, and ACME can use them.
    // Behind a gateway the records point at its frontend.
    dag.push((Dns, vec![IngressLoadBalancer, AppGateway]));
    dag.push((Verify, vec![Platform, Superset, Airbyte, Dns, AppGateway]));
    dag
}
