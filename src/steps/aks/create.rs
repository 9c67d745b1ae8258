//! Creating the cluster with every pool (platform as the system pool, compute, GPU) in its one
//! operation; and a user pool as its own agent-pool PUT, which plans stored before that change
//! still run.

use super::{cluster_path, encode};
use crate::azure::resources::{aks, install_tags};
use crate::azure::{ArmClient, api};
use crate::steps::ensure::ensure;
use crate::steps::names;
use crate::steps::output;
use crate::worker::{StepContext, StepError};
use katonic_domain::plan::StepId;
use katonic_domain::spec::{
    ClusterTier, NetworkPlugin, NetworkPolicy, NetworkSpec, NodePool, NodeScale, OutboundType,
    PoolRole,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A pool as AKS wants it, labelled and tainted `katonic.ai/node-pool=<role>` (`NoSchedule` on
/// the dedicated pools, `PreferNoSchedule` on the system pool: see `NodePool::taint`).
fn pool_properties(
    ctx: &StepContext,
    pool: &NodePool,
    version: Option<&str>,
    subnet: &str,
) -> aks::AgentPoolProperties {
    let (count, autoscale, min, max) = match pool.scale {
        NodeScale::Fixed(n) => (n, false, None, None),
        NodeScale::Auto { min, max } => (min, true, Some(min), Some(max)),
    };
    let (label, value) = pool.label();
    aks::AgentPoolProperties {
        mode: if pool.role == PoolRole::Platform {
            "System"
        } else {
            "User"
        },
        kind: "VirtualMachineScaleSets",
        os_type: "Linux",
        vm_size: pool.vm_size.to_string(),
        count,
        enable_auto_scaling: autoscale,
        min_count: min,
        max_count: max,
        availability_zones: ctx
            .spec
            .cluster
            .zones
            .as_slice()
            .iter()
            .map(|z| z.number().to_string())
            .collect(),
        orchestrator_version: version.map(str::to_string),
        vnet_subnet_id: subnet.to_string(),
        max_pods: ctx.spec.cluster.network.max_pods,
        node_labels: BTreeMap::from([(label.to_string(), value.to_string())]),
        node_taints: vec![pool.taint().to_string()],
        upgrade_settings: aks::UpgradeSettings {
            max_surge: pool.max_surge.to_string(),
        },
        tags: install_tags(&ctx.install.to_string()),
    }
}

/// The identity's Network Contributor grant on the AKS subnet (AKS places node NICs and the
/// internal load balancer there, and refuses a create without it), then the private cluster
/// with all its pools.
pub async fn cluster(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    subnet_grant(ctx, arm).await?;
    let spec = &ctx.spec;
    let net = &spec.cluster.network;
    let version = output(ctx, StepId::Preflight, "kubernetesVersion")
        .ok()
        .map(str::to_string);
    let lts_only = ctx
        .outputs
        .get(&StepId::Preflight)
        .and_then(|o| o.get("longTermSupportOnly"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let identity_id = output(ctx, StepId::Identity, "id")?;
    let subnet = output(ctx, StepId::Network, "aksSubnetId")?.to_string();
    let body = aks::ManagedCluster {
        location: spec.azure.location.to_string(),
        tags: install_tags(&ctx.install.to_string()),
        sku: aks::ManagedClusterSku {
            name: "Base",
            tier: match spec.cluster.tier {
                ClusterTier::Free => "Free",
                ClusterTier::Standard => "Standard",
                ClusterTier::Premium => "Premium",
            },
        },
        identity: aks::ManagedClusterIdentity {
            kind: "UserAssigned",
            user_assigned_identities: BTreeMap::from([(
                identity_id.to_string(),
                serde_json::Map::new(),
            )]),
        },
        properties: aks::ManagedClusterProperties {
            kubernetes_version: version.clone(),
            dns_prefix: dns_prefix(spec.cluster.name.as_str()),
            enable_rbac: true,
            api_server_access_profile: aks::ApiServerAccessProfile {
                enable_private_cluster: true,
                private_dns_zone: "system",
                enable_private_cluster_public_fqdn: false,
            },
            network_profile: network_profile(net),
            agent_pool_profiles: pool_profiles(ctx, version.as_deref(), &subnet),
            node_resource_group: names::node_resource_group(spec),
            support_plan: lts_only.then_some("AKSLongTermSupport"),
        },
    };
    let path = cluster_path(ctx);
    let created = ensure(
        ctx,
        arm,
        &path,
        api::CONTAINER_SERVICE,
        &encode(&body)?,
        "AKS cluster",
    )
    .await?;
    cluster_outputs(ctx, created)
}

/// Every pool of the spec, which AKS creates in the cluster's operation, side by side.
fn pool_profiles(
    ctx: &StepContext,
    version: Option<&str>,
    subnet: &str,
) -> Vec<aks::AgentPoolProfile> {
    ctx.spec
        .cluster
        .node_pools
        .iter()
        .map(|pool| aks::AgentPoolProfile {
            name: pool.name.to_string(),
            properties: pool_properties(ctx, pool, version, subnet),
        })
        .collect()
}

/// Network Contributor for the cluster identity on the AKS subnet, unless it is there already:
/// a resumed cluster step reads it instead of writing it again.
async fn subnet_grant(ctx: &StepContext, arm: &ArmClient) -> Result<(), StepError> {
    let principal = output(ctx, StepId::Identity, "principalId")?;
    let subnet = output(ctx, StepId::Network, "aksSubnetId")?;
    let role = crate::azure::resources::authorization::NETWORK_CONTRIBUTOR;
    let path = crate::azure::resources::authorization::assignment_path(subnet, role, principal);
    let existing = arm
        .get(&path, api::AUTHORIZATION)
        .await
        .map_err(|e| crate::steps::errors::step_error("reading the subnet grant", e))?;
    if existing.is_some() {
        return ctx
            .progress("Network Contributor for the cluster identity on the AKS subnet: present")
            .await;
    }
    super::assign_role(
        ctx,
        arm,
        subnet,
        role,
        principal,
        "Network Contributor for the cluster identity on the AKS subnet",
    )
    .await
}

/// The cluster step's outputs, from the created cluster: its id, private FQDN, version, node
/// resource group, kubelet identity (later steps grant that identity its roles) and pools.
fn cluster_outputs(ctx: &StepContext, created: Value) -> Result<Value, StepError> {
    let cluster: aks::ClusterResponse = serde_json::from_value(created).map_err(|e| {
        StepError::terminal(
            "UnexpectedResponse",
            format!("cluster response: {e}"),
            "Retry the step.",
        )
    })?;
    let kubelet = cluster.properties.identity_profile.get("kubeletidentity");
    // The pools the create made (the teardown's ledger lists them with the cluster).
    let pools: Vec<String> = ctx
        .spec
        .cluster
        .node_pools
        .iter()
        .map(|p| format!("{}/agentPools/{}", cluster.id, p.name))
        .collect();
    Ok(json!({
        "id": cluster.id,
        "privateFqdn": cluster.properties.private_fqdn,
        "kubernetesVersion": cluster.properties.current_kubernetes_version,
        "nodeResourceGroup": cluster.properties.node_resource_group,
        "kubeletObjectId": kubelet.and_then(|k| k.object_id.clone()),
        "kubeletClientId": kubelet.and_then(|k| k.client_id.clone()),
        "pools": pools,
    }))
}

/// How the cluster's pods and services are addressed, filtered and leave the VNet.
fn network_profile(net: &NetworkSpec) -> aks::NetworkProfile {
    let (plugin, mode, pod_cidr) = match net.plugin {
        NetworkPlugin::AzureOverlay => (
            "azure",
            Some("overlay"),
            net.pod_cidr.map(|c| c.to_string()),
        ),
        NetworkPlugin::Azure => ("azure", None, None),
        NetworkPlugin::Kubenet => ("kubenet", None, net.pod_cidr.map(|c| c.to_string())),
    };
    aks::NetworkProfile {
        network_plugin: plugin,
        network_plugin_mode: mode,
        network_policy: match net.network_policy {
            NetworkPolicy::Calico => "calico",
            NetworkPolicy::Azure => "azure",
        },
        load_balancer_sku: "standard",
        outbound_type: match net.outbound_type {
            OutboundType::LoadBalancer => "loadBalancer",
            OutboundType::UserDefinedRouting => "userDefinedRouting",
            OutboundType::ManagedNatGateway => "managedNATGateway",
        },
        pod_cidr,
        service_cidr: net.service_cidr.to_string(),
        dns_service_ip: net.dns_service_ip.to_string(),
    }
}

/// AKS dnsPrefix: 1-54 alphanumerics and hyphens, starting and ending alphanumeric.
fn dns_prefix(cluster: &str) -> String {
    let cleaned: String = cluster
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(54)
        .collect();
    cleaned.trim_matches('-').to_string()
}

/// A user pool (compute or GPU) as its own agentPools resource.
pub async fn user_pool(
    ctx: &StepContext,
    arm: &ArmClient,
    role: PoolRole,
) -> Result<Value, StepError> {
    let pools = &ctx.spec.cluster.node_pools;
    let pool = match role {
        PoolRole::Compute => &pools.compute,
        _ => pools.gpu.as_ref().ok_or_else(|| {
            StepError::terminal(
                "no-gpu-pool",
                "the spec has no GPU pool",
                "This step should not be in the plan.",
            )
        })?,
    };
    let version = output(ctx, StepId::AksCluster, "kubernetesVersion").ok();
    let subnet = output(ctx, StepId::Network, "aksSubnetId")?;
    let body = aks::AgentPool {
        properties: pool_properties(ctx, pool, version, subnet),
    };
    let path = format!("{}/agentPools/{}", cluster_path(ctx), pool.name);
    let created = ensure(
        ctx,
        arm,
        &path,
        api::CONTAINER_SERVICE,
        &encode(&body)?,
        &format!("node pool {}", pool.name),
    )
    .await?;
    Ok(json!({ "id": created.get("id"), "name": pool.name.to_string() }))
}
