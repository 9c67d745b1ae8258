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
            unschedulable(ks, cluster, &pod, &nodes);
            continue;
        };
        // Spread by name so replicas do not all land on the first node.
        let hash = name_hash(&pod);
        let node = fits.get(hash % fits.len()).copied().unwrap_or(node);
        bind(ks, cluster, &pod, node, hash);
    }
}

/// The nodes whose labels match the pod's nodeSelector and whose taints it tolerates.
fn fitting_nodes<'a>(pod: &Value, nodes: &'a [Value]) -> Vec<&'a Value> {
    nodes
        .iter()
        .filter(|n| selected(pod, n) && untolerated(pod, n).is_none())
        .collect()
}

/// The node's labels match the pod's nodeSelector.
fn selected(pod: &Value, node: &Value) -> bool {
    pod["spec"]["nodeSelector"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| node["metadata"]["labels"].get(k) == Some(v))
}

/// The first of the node's NoSchedule/NoExecute taints the pod does not tolerate, if any
/// (PreferNoSchedule only steers the scheduler away; it never blocks).
fn untolerated<'a>(pod: &Value, node: &'a Value) -> Option<&'a Value> {
    let tolerations = pod["spec"]["tolerations"].as_array();
    node["spec"]["taints"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["effect"] != "PreferNoSchedule")
        .find(|t| {
            !tolerations
                .into_iter()
                .flatten()
                .any(|tol| tolerates(tol, t))
        })
}

/// Kubernetes' `ToleratesTaint`: effect (empty = any), key (empty with Exists = any), then
/// Exists, or Equal (the default) on the value.
fn tolerates(toleration: &Value, taint: &Value) -> bool {
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let effect = text(&toleration["effect"]);
    if !effect.is_empty() && effect != text(&taint["effect"]) {
        return false;
    }
    let key = text(&toleration["key"]);
    if !key.is_empty() && key != text(&taint["key"]) {
        return false;
    }
    match toleration["operator"].as_str().unwrap_or("Equal") {
        "Exists" => true,
        _ => !key.is_empty() && text(&toleration["value"]) == text(&taint["value"]),
    }
}

fn name_hash(pod: &Value) -> usize {
    pod["metadata"]["name"]
        .as_str()
        .unwrap_or("")
        .bytes()
        .map(usize::from)
        .sum::<usize>()
}

/// Why no node fits, in the scheduler's words: each reason with its node count, sorted, e.g.
/// "0/4 nodes are available: 2 node(s) didn't match Pod's node affinity/selector, 1 node(s) had
/// untolerated taint {katonic.ai/node-pool: compute}, ...".
fn unschedulable_message(pod: &Value, nodes: &[Value]) -> String {
    let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
    for node in nodes {
        // The first filter a node fails names it, in the default profile's order
        // (TaintToleration before NodeAffinity).
        let reason = if let Some(t) = untolerated(pod, node) {
            format!(
                "had untolerated taint {{{}: {}}}",
                t["key"].as_str().unwrap_or(""),
                t["value"].as_str().unwrap_or("")
            )
        } else if !selected(pod, node) {
            "didn't match Pod's node affinity/selector".to_string()
        } else {
            continue;
        };
        *reasons.entry(reason).or_insert(0) += 1;
    }
    let reasons: Vec<String> = reasons
        .iter()
        .map(|(reason, n)| format!("{n} node(s) {reason}"))
        .collect();
    let n = nodes.len();
    if n == 0 {
        return "no nodes available to schedule pods".to_string();
    }
    format!(
        "0/{n} nodes are available: {}. preemption: 0/{n} nodes are available: {n} Preemption is not helpful for scheduling.",
        reasons.join(", ")
    )
}

/// No node fits: a FailedScheduling event, and the PodScheduled=False condition once.
fn unschedulable(ks: &mut KubeState, cluster: &str, pod: &Value, nodes: &[Value]) {
    let msg = unschedulable_message(pod, nodes);
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
