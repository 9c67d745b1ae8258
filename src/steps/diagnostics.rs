//! When a cluster step fails for good, what the cluster itself says: recent Warning events and
//! the pods that are not running well in the console's namespaces, each with its reason and the
//! tail of its log. Recorded as the attempt's log lines (prefix `diagnostics:`), so they are in
//! the install's history and its support bundle, as the cluster was at the moment of failure.

use k8s_openapi::api::core::v1::{Event, Pod};

use super::cluster::connect;
use crate::azure::ArmClient;
use crate::cluster::manifests;
use crate::cluster::reach::ClusterReach;
use crate::events::Level;
use crate::worker::{StepContext, StepError};

/// Prefix of every diagnostics line (the support bundle collects them by it).
pub const PREFIX: &str = "diagnostics:";
/// Lines of a failing pod's log kept.
const LOG_TAIL: i64 = 20;
/// Warning events kept per namespace (newest).
const EVENTS_PER_NAMESPACE: usize = 15;

const NAMESPACES: [&str; 3] = [
    manifests::SYSTEM_NAMESPACE,
    manifests::PLATFORM_NAMESPACE,
    manifests::INGRESS_NAMESPACE,
];

/// Record the cluster's view of the failure. Best effort: a cluster that cannot be reached is
/// one line, never a second failure.
pub async fn record(ctx: &StepContext, arm: &ArmClient) -> Result<(), StepError> {
    let reach = match connect(ctx, arm).await {
        Ok(reach) => reach,
        Err(StepError::Stopped) => return Err(StepError::Stopped),
        Err(e) => {
            return ctx
                .log(
                    Level::Warn,
                    format!("{PREFIX} the cluster could not be read: {e}"),
                )
                .await;
        }
    };
    for line in collect(&reach).await {
        ctx.log(Level::Warn, format!("{PREFIX} {line}")).await?;
    }
    Ok(())
}

async fn collect(reach: &ClusterReach) -> Vec<String> {
    let mut lines = Vec::new();
    for ns in NAMESPACES {
        match reach.list::<Event>(ns, None, Some("type=Warning")).await {
            Ok(mut items) => {
                items.sort_by_key(|e| e.last_timestamp.clone().map(|t| t.0));
                for e in items.iter().rev().take(EVENTS_PER_NAMESPACE) {
                    let object = &e.involved_object;
                    lines.push(format!(
                        "event {ns}/{}/{}: {} {}",
                        object.kind.clone().unwrap_or_default(),
                        object.name.clone().unwrap_or_default(),
                        e.reason.clone().unwrap_or_default(),
                        e.message.clone().unwrap_or_default()
                    ));
                }
            }
            Err(e) => lines.push(format!("events of {ns} could not be listed: {e}")),
        }
        let Ok(pods) = reach.list::<Pod>(ns, None, None).await else {
            lines.push(format!("pods of {ns} could not be listed"));
            continue;
        };
        for pod in pods.iter().filter(|p| unwell(p)) {
            let name = pod.metadata.name.clone().unwrap_or_default();
            lines.push(format!("pod {ns}/{name}: {}", why(pod)));
            if let Ok(log) = reach.pod_log(ns, &name, Some(LOG_TAIL)).await {
                for line in log.lines() {
                    lines.push(format!("pod {ns}/{name} log: {line}"));
                }
            }
        }
    }
    lines
}

/// Failed, or pending/running without being ready.
fn unwell(pod: &Pod) -> bool {
    let status = pod.status.as_ref();
    let phase = status.and_then(|s| s.phase.as_deref()).unwrap_or("Unknown");
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    match phase {
        "Succeeded" => false,
        "Running" => !ready,
        _ => true,
    }
}

/// The phase and the most telling reason (a waiting or terminated container, or the
/// scheduler's message).
fn why(pod: &Pod) -> String {
    let Some(status) = pod.status.as_ref() else {
        return "no status".into();
    };
    let phase = status.phase.clone().unwrap_or_else(|| "Unknown".into());
    let container = status.container_statuses.iter().flatten().find_map(|c| {
        let state = c.state.as_ref()?;
        if let Some(w) = &state.waiting {
            return Some(format!(
                "container {} waiting: {} {}",
                c.name,
                w.reason.clone().unwrap_or_default(),
                w.message.clone().unwrap_or_default()
            ));
        }
        state.terminated.as_ref().map(|t| {
            format!(
                "container {} exited {}: {} {}",
                c.name,
                t.exit_code,
                t.reason.clone().unwrap_or_default(),
                t.message.clone().unwrap_or_default()
            )
        })
    });
    let scheduling = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "PodScheduled" && c.status == "False")
        .and_then(|c| c.message.clone());
    match (container, scheduling) {
        (Some(c), _) => format!("{phase}; {c}"),
        (None, Some(s)) => format!("{phase}; not scheduled: {s}"),
        (None, None) => phase,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(value: serde_json::Value) -> Pod {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn failing_and_unready_pods_are_unwell_and_say_why() {
        let failed = pod(
            json!({"metadata": {"name": "installer"}, "status": {"phase": "Failed",
            "containerStatuses": [{"name": "installer", "image": "i", "imageID": "", "ready": false, "restartCount": 0,
                "state": {"terminated": {"exitCode": 1, "reason": "Error", "message": "helm failed"}}}]}}),
        );
        assert!(unwell(&failed));
        assert_eq!(
            why(&failed),
            "Failed; container installer exited 1: Error helm failed"
        );
        let pending = pod(
            json!({"metadata": {"name": "web"}, "status": {"phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "False", "message": "0/3 nodes are available"}]}}),
        );
        assert!(unwell(&pending));
        assert!(why(&pending).contains("not scheduled: 0/3 nodes"));
        let ready = pod(
            json!({"metadata": {"name": "ok"}, "status": {"phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}]}}),
        );
        assert!(!unwell(&ready));
        let done = pod(json!({"metadata": {"name": "job"}, "status": {"phase": "Succeeded"}}));
        assert!(!unwell(&done));
    }
}
