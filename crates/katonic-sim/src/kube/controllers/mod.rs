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

mod claims;
mod scheduler;
mod services;
mod workloads;

use claims::claims;
use scheduler::schedule;
use services::services;
use workloads::{deployments, jobs, run_pods};

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
            // Application gateways' frontends follow their provisioning (state lock released).
            crate::resources::app_gateway::frontend::sync(&shared);
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
    /// Address ranges of the subnets the cluster's pools sit in: an internal load balancer may
    /// take a static address there, as on Azure.
    node_subnets: Vec<ipnet::IpNet>,
    /// Addresses held in those subnets, with the IP configuration holding each.
    held: Vec<(std::net::Ipv4Addr, String)>,
}

/// The prefixes of the subnets of a cluster's pools (`vnetSubnetID`).
fn node_subnets(st: &State, cluster_id: &str) -> Vec<ipnet::IpNet> {
    node_subnet_ids(st, cluster_id)
        .iter()
        .filter_map(|id| crate::resources::network::find_subnet(st, id))
        .filter_map(|(_, s)| crate::resources::network::subnet_prefix(s))
        .collect()
}

/// The addresses held in the subnets of a cluster's pools.
fn held_in_node_subnets(st: &State, cluster_id: &str) -> Vec<(std::net::Ipv4Addr, String)> {
    let mut ids = node_subnet_ids(st, cluster_id);
    ids.sort_by_key(|id| id.to_ascii_lowercase());
    ids.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    ids.iter()
        .flat_map(|id| crate::resources::network::addresses::held(st, id))
        .collect()
}

/// The subnet ids of a cluster's pools (`vnetSubnetID`).
fn node_subnet_ids(st: &State, cluster_id: &str) -> Vec<String> {
    let Some(c) = st.get(cluster_id) else {
        return Vec::new();
    };
    let mut ids: Vec<String> = c.body["properties"]["agentPoolProfiles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["vnetSubnetID"].as_str().map(str::to_string))
        .collect();
    ids.extend(st.children(cluster_id).filter_map(|p| {
        p.body["properties"]["vnetSubnetID"]
            .as_str()
            .map(str::to_string)
    }));
    ids
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
                node_subnets: node_subnets(st, &info.id),
                held: held_in_node_subnets(st, &info.id),
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
