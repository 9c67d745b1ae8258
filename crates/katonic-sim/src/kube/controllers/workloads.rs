//! Jobs (pods that log and end; Complete/Failed, backoffLimit), Deployments (pods, ready
//! replicas) and the pods they run.

use serde_json::{Value, json};

use super::super::store::KubeState;
use super::{JOB_LINES, LINE_SECS, elapsed, event, key_of, now};

/// A pod from a template, owned by `owner`.
fn new_pod(
    ks: &mut KubeState,
    cluster: &str,
    owner: &Value,
    owner_kind: &str,
    name: String,
    extra_labels: Value,
) {
    let ns = owner["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default")
        .to_string();
    let tmpl = &owner["spec"]["template"];
    let mut labels = tmpl["metadata"]["labels"].clone();
    if !labels.is_object() {
        labels = json!({});
    }
    if let Some(m) = extra_labels.as_object() {
        for (k, v) in m {
            labels[k] = v.clone();
        }
    }
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels, "uid": uuid::Uuid::new_v4().to_string(),
            "creationTimestamp": now(),
            "ownerReferences": [{"apiVersion": owner["apiVersion"], "kind": owner_kind, "name": owner["metadata"]["name"],
                "uid": owner["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true}]},
        "spec": tmpl["spec"],
        "status": {"phase": "Pending", "qosClass": "BestEffort"}
    });
    ks.put(
        cluster,
        (
            "pods".into(),
            ns,
            pod["metadata"]["name"].as_str().unwrap_or("").to_string(),
        ),
        pod,
        true,
    );
}

fn owned_pods(ks: &KubeState, cluster: &str, owner: &Value) -> Vec<Value> {
    let uid = &owner["metadata"]["uid"];
    ks.list(cluster, "pods", owner["metadata"]["namespace"].as_str())
        .into_iter()
        .filter(|p| {
            p["metadata"]["ownerReferences"]
                .as_array()
                .is_some_and(|o| o.iter().any(|r| r["uid"] == *uid))
        })
        .collect()
}

fn suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..5].to_string()
}

pub(super) fn jobs(ks: &mut KubeState, cluster: &str) {
    for job in ks.list(cluster, "jobs.batch", None) {
        let conds = job["status"]["conditions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if conds
            .iter()
            .any(|c| c["status"] == "True" && (c["type"] == "Complete" || c["type"] == "Failed"))
        {
            continue;
        }
        let pods = owned_pods(ks, cluster, &job);
        let phase = |p: &Value| p["status"]["phase"].as_str().unwrap_or("").to_string();
        let succeeded = pods.iter().filter(|p| phase(p) == "Succeeded").count();
        let failed = pods.iter().filter(|p| phase(p) == "Failed").count();
        let active = pods.len() - succeeded - failed;
        let completions = job["spec"]["completions"].as_u64().unwrap_or(1) as usize;
        let backoff = job["spec"]["backoffLimit"].as_u64().unwrap_or(6) as usize;
        let mut j = job.clone();
        let t = now();
        if j["status"]["startTime"].is_null() {
            j["status"]["startTime"] = json!(t);
        }
        j["status"]["active"] = json!(active);
        j["status"]["succeeded"] = json!(succeeded);
        j["status"]["failed"] = json!(failed);
        j["status"]["ready"] = json!(active);
        let name = job["metadata"]["name"].as_str().unwrap_or("").to_string();
        if succeeded >= completions {
            j["status"]["active"] = json!(0);
            j["status"]["completionTime"] = json!(t);
            j["status"]["conditions"] = json!([{"type": "Complete", "status": "True", "lastProbeTime": t, "lastTransitionTime": t}]);
            event(
                ks,
                cluster,
                &job,
                "Normal",
                "Completed",
                "Job completed",
                "job-controller",
            );
        } else if failed > backoff {
            j["status"]["active"] = json!(0);
            j["status"]["conditions"] = json!([{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                "message": "Job has reached the specified backoff limit", "lastProbeTime": t, "lastTransitionTime": t}]);
            event(
                ks,
                cluster,
                &job,
                "Warning",
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                "job-controller",
            );
        } else if active == 0 {
            let pod_name = format!("{name}-{}", suffix());
            let labels = json!({"job-name": name, "batch.kubernetes.io/job-name": name,
                "controller-uid": job["metadata"]["uid"], "batch.kubernetes.io/controller-uid": job["metadata"]["uid"]});
            new_pod(ks, cluster, &job, "Job", pod_name.clone(), labels);
            event(
                ks,
                cluster,
                &json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": job["metadata"]["namespace"], "uid": format!("{}-{pod_name}", job["metadata"]["uid"].as_str().unwrap_or(""))}}),
                "Normal",
                "SuccessfulCreate",
                &format!("Created pod: {pod_name}"),
                "job-controller",
            );
            j["status"]["active"] = json!(1);
        }
        if j["status"] != job["status"] {
            ks.put(cluster, key_of("jobs.batch", &j), j, false);
        }
    }
}

pub(super) fn deployments(ks: &mut KubeState, cluster: &str) {
    for d in ks.list(cluster, "deployments.apps", None) {
        let want = d["spec"]["replicas"].as_u64().unwrap_or(1) as usize;
        let pods = owned_pods(ks, cluster, &d);
        let name = d["metadata"]["name"].as_str().unwrap_or("").to_string();
        let hash = format!(
            "{:x}",
            d["metadata"]["generation"].as_u64().unwrap_or(1) * 0x5f3759df % 0xffff_ffff
        );
        for _ in pods.len()..want {
            new_pod(
                ks,
                cluster,
                &d,
                "Deployment",
                format!("{name}-{hash}-{}", suffix()),
                json!({"pod-template-hash": hash}),
            );
        }
        for extra in pods.iter().skip(want) {
            ks.delete(cluster, &key_of("pods", extra));
        }
        let ready = pods
            .iter()
            .take(want)
            .filter(|p| p["status"]["phase"] == "Running")
            .count();
        let mut n = d.clone();
        let t = now();
        n["status"] = json!({
            "observedGeneration": d["metadata"]["generation"], "replicas": pods.len().min(want),
            "updatedReplicas": pods.len().min(want), "readyReplicas": ready, "availableReplicas": ready,
            "unavailableReplicas": want.saturating_sub(ready),
            "conditions": [{"type": "Available", "status": if ready >= want { "True" } else { "False" },
                "reason": if ready >= want { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" },
                "lastUpdateTime": d["status"]["conditions"][0]["lastUpdateTime"].as_str().unwrap_or(&t), "lastTransitionTime": d["status"]["conditions"][0]["lastTransitionTime"].as_str().unwrap_or(&t)}]
        });
        if ready == 0
            && let Some(m) = n["status"].as_object_mut()
        {
            m.remove("readyReplicas");
            m.remove("availableReplicas");
        }
        if n["status"] != d["status"] {
            ks.put(cluster, key_of("deployments.apps", &n), n, false);
        }
    }
}

/// Job pods write a line per `LINE_SECS` and end; a `failJob` fault makes them fail.
pub(super) fn run_pods(ks: &mut KubeState, cluster: &str, scale: f64) {
    for pod in ks.list(cluster, "pods", None) {
        if pod["status"]["phase"] != "Running" {
            continue;
        }
        let Some(job) = pod["metadata"]["labels"]["job-name"]
            .as_str()
            .map(str::to_string)
        else {
            continue;
        };
        let key = key_of("pods", &pod);
        let age = elapsed(ks, cluster, &key);
        let ns = key.1.clone();
        let Some(c) = ks.clusters.get_mut(cluster) else {
            return;
        };
        let fail = c.doomed_jobs.get(&(ns.clone(), job.clone())).cloned();
        let lines = c.logs.entry((ns.clone(), key.2.clone())).or_default();
        let due = if scale <= 0.0 {
            lines.len() + 1
        } else {
            (age / (LINE_SECS * scale)) as usize + 1
        };
        let container = pod["spec"]["containers"][0]["name"]
            .as_str()
            .unwrap_or("main")
            .to_string();
        let image = pod["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let before = lines.len();
        while lines.len() < due.min(JOB_LINES) {
            let i = lines.len();
            let t = now();
            let line = match (i, &fail) {
                (0, _) => format!("{t} {container}: starting ({image})"),
                (_, Some(msg)) => format!("{t} {container}: error: {msg}"),
                (n, None) if n + 1 == JOB_LINES => format!("{t} {container}: done"),
                (n, None) => format!("{t} {container}: step {n}/{}", JOB_LINES - 2),
            };
            lines.push(line);
            if fail.is_some() && i >= 1 {
                break;
            }
        }
        let finished = lines.len() >= JOB_LINES || (fail.is_some() && lines.len() >= 2);
        let added = lines.len() > before;
        // New lines are state to save too.
        ks.dirty |= added;
        if finished {
            let ok = fail.is_none();
            let mut p = pod.clone();
            let t = now();
            p["status"]["phase"] = json!(if ok { "Succeeded" } else { "Failed" });
            p["status"]["conditions"] = json!([{"type": "Ready", "status": "False", "reason": "PodCompleted", "lastTransitionTime": t}]);
            p["status"]["containerStatuses"] = json!([{"name": container, "image": image, "ready": false, "restartCount": 0, "started": false,
                "state": {"terminated": {"exitCode": if ok { 0 } else { 1 }, "reason": if ok { "Completed" } else { "Error" },
                    "message": fail.clone().unwrap_or_default(), "startedAt": pod["status"]["startTime"], "finishedAt": t}}}]);
            ks.put(cluster, key, p, false);
        }
    }
}
