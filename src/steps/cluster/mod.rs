//! The cluster configuration steps: each applies its objects with server-side apply (one field
//! manager, so a re-run changes nothing) and reports every object it created or changed.
//! One file per concern; the namespace and network-policy steps, and what every step shares
//! (errors, the report), are here.

mod connect;
mod load_balancer;
mod nodes;
mod platform;
mod routes;
mod scheduling;
mod storage;
mod tls_secret;

pub(super) use connect::connect;
pub use load_balancer::ingress_load_balancer;
pub(super) use nodes::{check_node_pools, pool_nodes};
pub use platform::platform;
pub use routes::addon;
pub use storage::storage_classes;
pub use tls_secret::tls_self_signed;
pub(super) use tls_secret::{apply_tls_secret, host_list, read_tls_secret};

use serde_json::{Value, json};

use crate::azure::ArmClient;
use crate::cluster::apply::{Applied, Outcome};
use crate::cluster::manifests;
use crate::cluster::reach::ReachFailure;
use crate::worker::{StepContext, StepError};

/// A cluster failure (kube client or Run Command) as a step error: retried when it may clear,
/// else with its fix.
pub(super) fn kube_error(failure: impl Into<ReachFailure>) -> StepError {
    let failure: ReachFailure = failure.into();
    if failure.is_retryable() {
        StepError::retryable(&failure.code(), failure.to_string(), None)
    } else {
        StepError::terminal(&failure.code(), failure.to_string(), failure.hint())
    }
}

/// Poll `read` until it gives a value or `timeout` passes (`None`): how a wait goes through
/// Run Command, where a watch cannot be held open (each look is a short command).
pub(super) async fn poll_until<T, F, Fut>(
    ctx: &StepContext,
    timeout: std::time::Duration,
    every: std::time::Duration,
    mut read: F,
) -> Result<Option<T>, StepError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, StepError>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        ctx.guard()?;
        if let Some(found) = read().await? {
            return Ok(Some(found));
        }
        if tokio::time::Instant::now() + every > deadline {
            return Ok(None);
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = ctx.stopped() => return Err(StepError::Stopped),
        }
    }
}

/// How often a Run Command wait looks again: each look is a command pod, so not too often.
pub(super) fn run_command_poll(timeout: std::time::Duration) -> std::time::Duration {
    (timeout / 40).clamp(
        std::time::Duration::from_millis(100),
        std::time::Duration::from_secs(15),
    )
}

/// Each applied object as a progress line; the step's outputs list them and count the changes.
async fn report(ctx: &StepContext, applied: &[Applied]) -> Result<Value, StepError> {
    for a in applied {
        ctx.progress(a.to_string()).await?;
    }
    let changed = applied
        .iter()
        .filter(|a| a.outcome != Outcome::Unchanged)
        .count();
    Ok(json!({
        "objects": applied.iter().map(|a| a.object.clone()).collect::<Vec<_>>(),
        "changed": changed,
    }))
}

/// The pools' node labels, then the platform namespaces. A new cluster's user pools are still
/// being created when this runs (it only waits for the cluster, to keep the load balancer off
/// the critical path): their labels are checked by the platform step, which waits for them.
pub async fn namespaces(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let reach = connect(ctx, arm).await?;
    let pools = &ctx.spec.cluster.node_pools;
    let ready: Vec<&katonic_domain::spec::NodePool> = match ctx.spec.cluster.mode {
        katonic_domain::spec::ClusterMode::Create => vec![&pools.platform],
        katonic_domain::spec::ClusterMode::Existing => pools.iter().collect(),
    };
    check_node_pools(ctx, &reach, &ready).await?;
    let namespaces = manifests::namespaces();
    let mut applied = Vec::new();
    if reach.is_run_command() {
        // One command for all: each Run Command is a pod to start.
        ctx.guard()?;
        applied = reach
            .apply_all_cluster(&namespaces)
            .await
            .map_err(kube_error)?;
    } else {
        for ns in &namespaces {
            ctx.guard()?;
            applied.push(reach.apply_cluster(ns).await.map_err(kube_error)?);
        }
    }
    report(ctx, &applied).await
}

/// Default deny and the platform's allowances in every platform namespace.
pub async fn network_policies(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let reach = connect(ctx, arm).await?;
    let policies = manifests::network_policies();
    let mut applied = Vec::new();
    if reach.is_run_command() {
        ctx.guard()?;
        applied = reach
            .apply_all_namespaced(&policies)
            .await
            .map_err(kube_error)?;
    } else {
        for policy in &policies {
            ctx.guard()?;
            applied.push(reach.apply_namespaced(policy).await.map_err(kube_error)?);
        }
    }
    report(ctx, &applied).await
}
