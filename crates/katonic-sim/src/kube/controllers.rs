//! Controllers, ticking as a tokio task: the scheduler (nodeSelector against node labels), Jobs
//! (pods that log and end; Complete/Failed, backoffLimit), Deployments (pods, ready replicas),
//! LoadBalancer Services (loopback addresses), PVC binding. Delays scale with `time_scale`.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::store::{Key, KubeState};
use crate::resources::public_ip::{self, Lookup};
use crate::server::Shared;
use crate::state::State;
use std::collections::HashMap;

const TICK: Duration = Duration::from_millis(100);
/// Seconds (before scaling) between two log lines of a Job's pod, and lines per pod.
const LINE_SECS: f64 = 1.0;
const JOB_LINES: usize = 4;
/// Seconds (before scaling) until a LoadBalancer gets its address.
const LB_SECS: f64 = 5.0;

/// Run the controllers until the simulator is gone.
pub(crate) fn spawn(shared: &Arc<Shared>) {
    let weak: Weak<Shared> = Arc::downgrade(shared);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(TICK).await;
            let Some(shared) = weak.upgrade() else { return };
            // Lock order as for requests: ARM state first (released), then the kube store.
            let keys: Vec<String> = super::lock(&shared).clusters.keys().cloned().collect();
            let (infos, public_ips): (Vec<(String, super::cluster::ClusterInfo)>, PublicIps) = {
                let st = shared.lock();
                let infos: Vec<_> = keys
                    .iter()
                    .filter_map(|k| super::cluster::find_by_id(&st, k).map(|i| (k.clone(), i)))
                    .collect();
                let ips = public_ips(&st, &infos);
                (infos, ips)
            };
            let new_ips = {
                let mut ks = super::lock(&shared);
                let now = now();
                for (key, info) in &infos {
                    if ks
                        .clusters
                        .get(key)
                        .is_some_and(|c| c.incarnation == info.incarnation)
                    {
                        super::routes::sync_nodes(&mut ks, key, info, &now);
                    }
                }
                let clusters: Vec<String> = ks.clusters.keys().cloned().collect();
                let mut ips = Vec::new();
                for c in clusters {
                    let view = public_ips.get(&c);
                    ips.extend(
                        step(&mut ks, &c, shared.time_scale, view)
                            .into_iter()
                            .map(|ip| (c.clone(), ip)),
                    );
                }
                ips
            };
            for (cluster, ip) in new_ips {
                super::ingress_tls::ensure_listener(&shared, &cluster, ip);
            }
            super::save_if_dirty(&shared);
        }
    });
}

fn now() -> String {
    let n = OffsetDateTime::now_utc();
    n.replace_nanosecond(0)
        .unwrap_or(n)
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn elapsed(ks: &mut KubeState, cluster: &str, key: &Key) -> f64 {
    let Some(c) = ks.clusters.get_mut(cluster) else {
        return 0.0;
    };
    c.seen
        .entry(key.clone())
        .or_insert_with(Instant::now)
        .elapsed()
        .as_secs_f64()
}

fn key_of(res: &str, o: &Value) -> Key {
    (
        res.to_string(),
        o["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        o["metadata"]["name"].as_str().unwrap_or("").to_string(),
    )
}

/// Record an event about `obj` once per (object, reason).
pub(crate) fn event(
    ks: &mut KubeState,
    cluster: &str,
    obj: &Value,
    type_: &str,
    reason: &str,
    message: &str,
    component: &str,
) {
    let uid = obj["metadata"]["uid"].as_str().unwrap_or("").to_string();
    let kind = obj["kind"].as_str().unwrap_or("");
    let Some(c) = ks.clusters.get_mut(cluster) else {
        return;
    };
    if !c.events_sent.insert((uid.clone(), reason.to_string())) {
        return;
    }
    let ns = obj["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default")
        .to_string();
    let name = format!(
        "{}.{}",
        obj["metadata"]["name"].as_str().unwrap_or(""),
        &uuid::Uuid::new_v4().simple().to_string()[..16]
    );
    let t = now();
    let ev = json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name, "namespace": ns, "uid": uuid::Uuid::new_v4().to_string(), "creationTimestamp": t},
        "involvedObject": {"kind": kind, "name": obj["metadata"]["name"], "namespace": obj["metadata"]["namespace"], "uid": uid,
            "apiVersion": obj["apiVersion"], "resourceVersion": obj["metadata"]["resourceVersion"]},
        "reason": reason, "message": message, "type": type_, "count": 1,
        "source": {"component": component}, "reportingComponent": component,
        "firstTimestamp": t, "lastTimestamp": t,
    });
    ks.put(cluster, ("events".into(), ns, name), ev, true);
}

/// What each cluster's cloud provider finds for the public IPs of the subscription, by
/// (resource group, name) in lower case; read from the ARM state each tick.
type PublicIps = HashMap<String, ClusterIps>;

pub(crate) struct ClusterIps {
    node_resource_group: String,
    found: HashMap<(String, String), Lookup>,
}

fn public_ips(st: &State, infos: &[(String, super::cluster::ClusterInfo)]) -> PublicIps {
    let all: Vec<(String, String)> = st
        .of_kind(public_ip::PIP)
        .map(|r| {
            let rg = r.id.split('/').nth(4).unwrap_or("").to_string();
            (rg, r.body["name"].as_str().unwrap_or("").to_string())
        })
        .collect();
    infos
        .iter()
        .map(|(key, info)| {
            let found = all
                .iter()
                .map(|(rg, name)| {
                    let seen = public_ip::lookup(
                        st,
                        rg,
                        name,
                        info.principal.as_deref(),
                        &info.node_resource_group,
                    );
                    ((rg.to_ascii_lowercase(), name.to_ascii_lowercase()), seen)
                })
                .collect();
            let ips = ClusterIps {
                node_resource_group: info.node_resource_group.clone(),
                found,
            };
            (key.clone(), ips)
        })
        .collect()
}

/// One pass over a cluster; returns the load-balancer addresses assigned in it.
fn step(
    ks: &mut KubeState,
    cluster: &str,
    scale: f64,
    ips: Option<&ClusterIps>,
) -> Vec<std::net::Ipv4Addr> {
    collect_garbage(ks, cluster);
    schedule(ks, cluster);
    jobs(ks, cluster);
    deployments(ks, cluster);
    run_pods(ks, cluster, scale);
    claims(ks, cluster);
    services(ks, cluster, scale, ips)
}

/// Pods whose owning Job or Deployment is gone are deleted (background propagation).
fn collect_garbage(ks: &mut KubeState, cluster: &str) {
    let owners: std::collections::BTreeSet<String> = ks
        .list(cluster, "jobs.batch", None)
        .into_iter()
        .chain(ks.list(cluster, "deployments.apps", None))
        .filter_map(|o| o["metadata"]["uid"].as_str().map(str::to_string))
        .collect();
    for pod in ks.list(cluster, "pods", None) {
        let orphaned = pod["metadata"]["ownerReferences"]
            .as_array()
            .and_then(|refs| refs.iter().find(|r| r["controller"] == true))
            .and_then(|r| r["uid"].as_str())
            .is_some_and(|uid| !owners.contains(uid));
        if orphaned {
            let key = key_of("pods", &pod);
            if let Some(c) = ks.clusters.get_mut(cluster) {
                c.logs.remove(&(key.1.clone(), key.2.clone()));
            }
            ks.delete(cluster, &key);
        }
    }
}

fn schedule(ks: &mut KubeState, cluster: &str) {
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

fn jobs(ks: &mut KubeState, cluster: &str) {
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

fn deployments(ks: &mut KubeState, cluster: &str) {
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
fn run_pods(ks: &mut KubeState, cluster: &str, scale: f64) {
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

fn claims(ks: &mut KubeState, cluster: &str) {
    let classes = ks.list(cluster, "storageclasses.storage.k8s.io", None);
    let pods = ks.list(cluster, "pods", None);
    for pvc in ks.list(cluster, "persistentvolumeclaims", None) {
        if pvc["status"]["phase"] != "Pending" {
            continue;
        }
        let class_name = pvc["spec"]["storageClassName"]
            .as_str()
            .map(str::to_string)
            .or_else(|| {
                classes
                    .iter()
                    .find(|c| {
                        c["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"]
                            == "true"
                    })
                    .and_then(|c| c["metadata"]["name"].as_str().map(str::to_string))
            });
        let Some(class_name) = class_name else {
            continue;
        };
        let Some(class) = classes
            .iter()
            .find(|c| c["metadata"]["name"] == class_name.as_str())
        else {
            event(
                ks,
                cluster,
                &pvc,
                "Warning",
                "ProvisioningFailed",
                &format!("storageclass.storage.k8s.io \"{class_name}\" not found"),
                "persistentvolume-controller",
            );
            continue;
        };
        let ns = pvc["metadata"]["namespace"].as_str().unwrap_or("");
        let name = pvc["metadata"]["name"].as_str().unwrap_or("");
        if class["volumeBindingMode"] == "WaitForFirstConsumer" {
            let used = pods.iter().any(|p| {
                p["metadata"]["namespace"] == ns
                    && p["spec"]["nodeName"].is_string()
                    && p["spec"]["volumes"].as_array().is_some_and(|v| {
                        v.iter()
                            .any(|v| v["persistentVolumeClaim"]["claimName"] == name)
                    })
            });
            if !used {
                event(
                    ks,
                    cluster,
                    &pvc,
                    "Normal",
                    "WaitForFirstConsumer",
                    "waiting for first consumer to be created before binding",
                    "persistentvolume-controller",
                );
                continue;
            }
        }
        let pv_name = format!("pvc-{}", pvc["metadata"]["uid"].as_str().unwrap_or(""));
        let size = pvc["spec"]["resources"]["requests"]["storage"].clone();
        let pv = json!({
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": pv_name, "uid": uuid::Uuid::new_v4().to_string(), "creationTimestamp": now(),
                "annotations": {"pv.kubernetes.io/provisioned-by": class["provisioner"]}},
            "spec": {"capacity": {"storage": size}, "accessModes": pvc["spec"]["accessModes"], "storageClassName": class_name,
                "persistentVolumeReclaimPolicy": class["reclaimPolicy"], "volumeMode": "Filesystem",
                "claimRef": {"kind": "PersistentVolumeClaim", "namespace": ns, "name": name, "uid": pvc["metadata"]["uid"], "apiVersion": "v1"},
                "csi": {"driver": class["provisioner"], "volumeHandle": format!("/subscriptions/sim/{pv_name}")}},
            "status": {"phase": "Bound"}
        });
        ks.put(
            cluster,
            ("persistentvolumes".into(), String::new(), pv_name.clone()),
            pv,
            true,
        );
        let mut p = pvc.clone();
        p["spec"]["volumeName"] = json!(pv_name);
        p["spec"]["storageClassName"] = json!(class_name);
        p["status"] = json!({"phase": "Bound", "accessModes": pvc["spec"]["accessModes"], "capacity": {"storage": size}});
        event(
            ks,
            cluster,
            &pvc,
            "Normal",
            "ProvisioningSucceeded",
            &format!("Successfully provisioned volume {pv_name}"),
            "persistentvolume-controller",
        );
        ks.put(cluster, key_of("persistentvolumeclaims", &p), p, false);
    }
}

const PIP_NAME: &str = "service.beta.kubernetes.io/azure-pip-name";
const PIP_GROUP: &str = "service.beta.kubernetes.io/azure-load-balancer-resource-group";

/// The address of the public IP a Service names, as cloud-provider-azure finds it: in the
/// annotated resource group (else the node resource group), readable by the cluster identity.
/// `Err` is the provider's failure message.
fn named_public_ip(
    svc: &Value,
    pip: &str,
    ips: Option<&ClusterIps>,
) -> Result<std::net::Ipv4Addr, String> {
    let annotations = &svc["metadata"]["annotations"];
    let service = format!(
        "{}/{}",
        svc["metadata"]["namespace"].as_str().unwrap_or(""),
        svc["metadata"]["name"].as_str().unwrap_or("")
    );
    let group = annotations[PIP_GROUP]
        .as_str()
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .or_else(|| ips.map(|i| i.node_resource_group.clone()))
        .unwrap_or_default();
    let missing = || {
        format!(
            "Error syncing load balancer: failed to ensure load balancer: PublicIP from annotation azure-pip-name={pip} for service {service} doesn't exist"
        )
    };
    let key = (group.to_ascii_lowercase(), pip.to_ascii_lowercase());
    match ips.and_then(|i| i.found.get(&key)) {
        None | Some(Lookup::Missing) => Err(missing()),
        Some(Lookup::Forbidden { id }) => Err(format!(
            "Error syncing load balancer: failed to ensure load balancer: Retriable: false, RetryAfter: 0s, HTTPStatusCode: 403, RawError: {{\"error\":{{\"code\":\"AuthorizationFailed\",\"message\":\"The client does not have authorization to perform action 'Microsoft.Network/publicIPAddresses/read' over scope '{id}' or the scope is invalid. If access was recently granted, please refresh your credentials.\"}}}}"
        )),
        Some(Lookup::Usable { address: None, id }) => Err(format!(
            "Error syncing load balancer: failed to ensure load balancer: public IP {id} has no address (allocation method Dynamic)"
        )),
        Some(Lookup::Usable {
            address: Some(a), ..
        }) => match a.parse::<std::net::Ipv4Addr>() {
            Ok(ip) if ip.is_loopback() => Ok(ip),
            _ => Err(format!(
                "Error syncing load balancer: failed to ensure load balancer: the simulator can only serve a public IP in 127.0.0.0/8, not {a}"
            )),
        },
    }
}

/// LoadBalancer Services get a 127.0.0.0/8 address; a requested one must be in that range; one
/// that names a public IP gets that IP's address, or none and a warning.
fn services(
    ks: &mut KubeState,
    cluster: &str,
    scale: f64,
    ips: Option<&ClusterIps>,
) -> Vec<std::net::Ipv4Addr> {
    let mut out = Vec::new();
    for svc in ks.list(cluster, "services", None) {
        if svc["spec"]["type"] != "LoadBalancer"
            || svc["status"]["loadBalancer"]["ingress"].is_array()
        {
            continue;
        }
        let key = key_of("services", &svc);
        event(
            ks,
            cluster,
            &svc,
            "Normal",
            "EnsuringLoadBalancer",
            "Ensuring load balancer",
            "service-controller",
        );
        if ks
            .clusters
            .get(cluster)
            .is_some_and(|c| c.no_lb.contains(&key))
        {
            continue;
        }
        if elapsed(ks, cluster, &key) < LB_SECS * scale {
            continue;
        }
        let requested =
            svc["metadata"]["annotations"]["service.beta.kubernetes.io/azure-load-balancer-ipv4"]
                .as_str()
                .or_else(|| svc["spec"]["loadBalancerIP"].as_str())
                .filter(|s| !s.is_empty());
        let pip = svc["metadata"]["annotations"][PIP_NAME]
            .as_str()
            .filter(|s| !s.is_empty());
        let from_pip = match pip.map(|p| named_public_ip(&svc, p, ips)) {
            Some(Err(message)) => {
                event(
                    ks,
                    cluster,
                    &svc,
                    "Warning",
                    "SyncLoadBalancerFailed",
                    &message,
                    "service-controller",
                );
                continue;
            }
            Some(Ok(ip)) => Some(ip),
            None => None,
        };
        let ip = match (from_pip, requested) {
            (Some(ip), _) => ip,
            (None, Some(s)) => match s.parse::<std::net::Ipv4Addr>() {
                Ok(ip) if ip.is_loopback() => ip,
                _ => {
                    event(
                        ks,
                        cluster,
                        &svc,
                        "Warning",
                        "SyncLoadBalancerFailed",
                        &format!(
                            "Error syncing load balancer: failed to ensure load balancer: the simulator can only serve a requested IP in 127.0.0.0/8, not {s}"
                        ),
                        "service-controller",
                    );
                    continue;
                }
            },
            (None, None) => ks.next_lb_ip(
                svc["metadata"]["annotations"]["service.beta.kubernetes.io/azure-load-balancer-internal"]
                    == "true",
            ),
        };
        let mut s = svc.clone();
        s["status"]["loadBalancer"]["ingress"] = json!([{"ip": ip.to_string(), "ipMode": "VIP"}]);
        event(
            ks,
            cluster,
            &svc,
            "Normal",
            "EnsuredLoadBalancer",
            "Ensured load balancer",
            "service-controller",
        );
        ks.put(cluster, key, s, false);
        out.push(ip);
    }
    out
}

/// What the faults decided for objects written by a request.
pub(crate) fn mark(
    ks: &mut KubeState,
    cluster: &str,
    obj: &Value,
    fail_job: Option<&str>,
    no_lb: bool,
    created: bool,
) {
    let key = (
        obj["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        obj["metadata"]["name"].as_str().unwrap_or("").to_string(),
    );
    let Some(c) = ks.clusters.get_mut(cluster) else {
        return;
    };
    match obj["kind"].as_str() {
        Some("Job") => match fail_job {
            Some(m) => {
                c.doomed_jobs.insert(key, m.to_string());
            }
            // A Job created again without the fault runs normally (the mark belonged to the
            // deleted one).
            None if created => {
                c.doomed_jobs.remove(&key);
            }
            None => {}
        },
        Some("Service") if no_lb => {
            c.no_lb.insert(("services".into(), key.0, key.1));
        }
        Some("Service") => {
            c.no_lb.remove(&("services".into(), key.0, key.1));
        }
        _ => {}
    }
}
