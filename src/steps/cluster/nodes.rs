//! The node pools as Kubernetes sees them: each pool's nodes and the label the platform
//! schedules by.

use k8s_openapi::api::core::v1::Node;

use super::kube_error;
use crate::cluster::reach::ClusterReach;
use crate::worker::{StepContext, StepError};

/// Every node of each pool carries `katonic.ai/node-pool=<role>`; a pool without nodes fails
/// unless it scales from zero.
pub(in crate::steps) async fn check_node_pools(
    ctx: &StepContext,
    reach: &ClusterReach,
    pools: &[&katonic_domain::spec::NodePool],
) -> Result<(), StepError> {
    for pool in pools {
        let (label, role) = pool.label();
        let found = pool_nodes(reach, pool.name.as_ref()).await?;
        if found.is_empty() {
            if pool.scale.min() == 0 {
                ctx.progress(format!(
                    "pool {} has no nodes yet (it scales from 0)",
                    pool.name
                ))
                .await?;
                continue;
            }
            return Err(StepError::terminal(
                "NodePoolMissing",
                format!("pool {} has no nodes in the cluster", pool.name),
                format!(
                    "Check the agent pool {} in the Azure portal (failed or deleted?), fix it and resume.",
                    pool.name
                ),
            ));
        }
        let unlabelled: Vec<String> = found
            .iter()
            .filter(|n| {
                n.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(label))
                    .map(String::as_str)
                    != Some(role)
            })
            .filter_map(|n| n.metadata.name.clone())
            .collect();
        if !unlabelled.is_empty() {
            return Err(StepError::terminal(
                "NodeLabelMissing",
                format!(
                    "pool {}: node(s) {} lack the label {label}={role}",
                    pool.name,
                    unlabelled.join(", ")
                ),
                format!(
                    "Set the pool's node label: az aks nodepool update --name {} --labels {label}={role} (plus the cluster and resource group), then resume.",
                    pool.name
                ),
            ));
        }
        ctx.progress(format!(
            "pool {}: {} node(s) labelled {label}={role}",
            pool.name,
            found.len()
        ))
        .await?;
    }
    Ok(())
}

/// The nodes AKS put in agent pool `pool` (by its own `kubernetes.azure.com/agentpool` label).
pub(in crate::steps) async fn pool_nodes(
    reach: &ClusterReach,
    pool: &str,
) -> Result<Vec<Node>, StepError> {
    let selector = format!("kubernetes.azure.com/agentpool={pool}");
    reach
        .list_cluster::<Node>(Some(&selector))
        .await
        .map_err(kube_error)
}
