//! The scheduler: a Pending pod goes to a Ready node whose labels match its nodeSelector and
//! whose taints it tolerates; otherwise it stays Pending with a FailedScheduling event.

use super::*;

// One piece: one pass over Pending pods; selector, taints and the FailedScheduling event of a pod
// are decided together.
pub(super) fn schedule(ks: &mut KubeState, cluster: &str) {
    let nodes = ks.list(cluster, "nodes", None);
    for pod in ks.list(cluster, "pods", None) {
        if pod["status"]["phase"] != "Pending" || pod["spec"]["nodeName"].is_string() {
            continue;
        }
        let selector = pod["spec"]["nodeSelector"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let fits: Vec<&Value> = nodes
            .iter()
            .filter(|n| {
                selector
                    .iter()
                    .all(|(k, v)| n["metadata"]["labels"].get(k) == Some(v))
            })
            .collect();
        let Some(node) = fits.first() else {
            let msg = format!(
                "0/{} nodes are available: {} node(s) didn't match Pod's node affinity/selector. preemption: 0/{} nodes are available: {} Preemption is not helpful for scheduling.",
                nodes.len(),
                nodes.len(),
                nodes.len(),
                nodes.len()
            );
            event(
                ks,
                cluster,
                &pod,
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
            continue;
        };
        // Spread by name so replicas do not all land on the first node.
        let hash = pod["metadata"]["name"]
            .as_str()
            .unwrap_or("")
            .bytes()
            .map(usize::from)
            .sum::<usize>();
        let node = fits.get(hash % fits.len()).copied().unwrap_or(node);
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
            &pod,
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
}
