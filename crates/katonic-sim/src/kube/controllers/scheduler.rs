//! The scheduler: a Pending pod goes to a Ready node whose labels match its nodeSelector and
//! whose taints it tolerates; otherwise it stays Pending with a FailedScheduling event.

use serde_json::{Value, json};

use super::super::store::KubeState;
use super::{event, key_of, now};

pub(super) fn schedule(ks: &mut KubeState, cluster: &str) {
    let nodes = ks.list(cluster, "nodes", None);
    for pod in ks.list(cluster, "pods", None) {
        if pod["status"]["phase"] != "Pending" || pod["spec"]["nodeName"].is_string() {
            continue;
        }
        let fits = fitting_nodes(&pod, &nodes);
        let Some(node) = fits.first() else {
            unschedulable(ks, cluster, &pod, nodes.len());
            continue;
        };
        // Spread by name so replicas do not all land on the first node.
        let hash = name_hash(&pod);
        let node = fits.get(hash % fits.len()).copied().unwrap_or(node);
        bind(ks, cluster, &pod, node, hash);
    }
}

/// The nodes whose labels match the pod's nodeSelector.
fn fitting_nodes<'a>(pod: &Value, nodes: &'a [Value]) -> Vec<&'a Value> {
    let selector = pod["spec"]["nodeSelector"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    nodes
        .iter()
        .filter(|n| {
            selector
                .iter()
                .all(|(k, v)| n["metadata"]["labels"].get(k) == Some(v))
        })
        .collect()
}

fn name_hash(pod: &Value) -> usize {
    pod["metadata"]["name"]
        .as_str()
        .unwrap_or("")
        .bytes()
        .map(usize::from)
        .sum::<usize>()
}

/// No node fits: a FailedScheduling event, and the PodScheduled=False condition once.
fn unschedulable(ks: &mut KubeState, cluster: &str, pod: &Value, nodes: usize) {
    let msg = format!(
        "0/{nodes} nodes are available: {nodes} node(s) didn't match Pod's node affinity/selector. preemption: 0/{nodes} nodes are available: {nodes} Preemption is not helpful for scheduling."
    );
    event(
        ks,
        cluster,
        pod,
        "Warning",
        "FailedScheduling",
        &msg,
        "default-scheduler",
    );
    let mut p = pod.clone();
    if p["status"]["conditions"].is_null() {
        p["status"]["conditions"] = json!([{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": msg, "lastTransitionTime": now()}]);
        ks.put(cluster, key_of("pods", &p), p, false);
    }
}

/// The pod runs on `node`, ready at once.
fn bind(ks: &mut KubeState, cluster: &str, pod: &Value, node: &Value, hash: usize) {
    let node_name = node["metadata"]["name"].as_str().unwrap_or("").to_string();
    let mut p = pod.clone();
    let t = now();
    p["spec"]["nodeName"] = json!(node_name);
    let containers: Vec<Value> = p["spec"]["containers"].as_array().cloned().unwrap_or_default().iter().map(|c| json!({
        "name": c["name"], "image": c["image"], "ready": true, "restartCount": 0, "started": true,
        "state": {"running": {"startedAt": t}}
    })).collect();
    p["status"] = json!({
        "phase": "Running", "hostIP": node["status"]["addresses"][0]["address"],
        "podIP": format!("10.244.{}.{}", hash % 250, hash % 200 + 10), "startTime": t,
        "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": t},
            {"type": "Initialized", "status": "True", "lastTransitionTime": t},
            {"type": "ContainersReady", "status": "True", "lastTransitionTime": t},
            {"type": "Ready", "status": "True", "lastTransitionTime": t}],
        "containerStatuses": containers, "qosClass": "BestEffort"
    });
    event(
        ks,
        cluster,
        pod,
        "Normal",
        "Scheduled",
        &format!(
            "Successfully assigned {}/{} to {node_name}",
            pod["metadata"]["namespace"].as_str().unwrap_or(""),
            pod["metadata"]["name"].as_str().unwrap_or("")
        ),
        "default-scheduler",
    );
    ks.put(cluster, key_of("pods", &p), p, false);
}
