//! Every pool in the cluster's own create (issue 17): what AKS creates from `agentPoolProfiles`,
//! what it refuses (quota over all pools, taints on a system pool), and nodes tainted as their
//! pools, scheduled by tolerations.

use serde_json::{Value, json};

use super::harness::{Sim, cluster_body};
use super::kube::kube_for;

const API: &str = "api-version=2025-10-01";

/// The sample's three pools in one cluster body: platform as the system pool (softly tainted),
/// compute and GPU as user pools tainted `katonic.ai/node-pool=<role>:NoSchedule`.
fn three_pool_body(identity: &str, subnet: &str) -> Value {
    let mut body = cluster_body(identity, subnet);
    let profiles = &mut body["properties"]["agentPoolProfiles"];
    profiles[0]["nodeTaints"] = json!(["katonic.ai/node-pool=platform:PreferNoSchedule"]);
    let user = |name: &str, size: &str| {
        json!({"name": name, "mode": "User", "type": "VirtualMachineScaleSets", "osType": "Linux",
            "vmSize": size, "count": 1, "availabilityZones": ["1", "2"], "orchestratorVersion": "1.34",
            "vnetSubnetID": subnet, "maxPods": 30,
            "nodeLabels": {"katonic.ai/node-pool": name},
            "nodeTaints": [format!("katonic.ai/node-pool={name}:NoSchedule")]})
    };
    if let Some(list) = profiles.as_array_mut() {
        list.push(user("compute", "Standard_D8s_v5"));
        list.push(user("gpu", "Standard_NC4as_T4_v3"));
    }
    body
}

fn job(name: &str, selector: Value, tolerations: Value) -> Value {
    json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never",
            "nodeSelector": selector, "tolerations": tolerations,
            "containers": [{"name": "work", "image": "katonic/installer:6.0"}]}}}})
}

fn complete(j: &Value) -> bool {
    j["status"]["conditions"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["type"] == "Complete"))
}

#[tokio::test]
async fn every_listed_pool_is_created_by_the_cluster_put_and_taints_steer_scheduling() {
    let sim = Sim::start().await;
    let (identity, subnet) = sim.network_env("rg-a", "10.20.0.0/24").await;
    let url = sim.cluster_url("rg-a", "aks1");
    let r = sim
        .put(
            &format!("{url}?{API}"),
            &three_pool_body(&identity, &subnet),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(sim.wait_async(&r).await["status"], "Succeeded");
    // One operation created all three pools: no agent-pool PUT was needed.
    let pools = sim.get(&format!("{url}/agentPools?{API}")).await.body;
    let states: Vec<(String, String)> = pools["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["properties"]["provisioningState"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let succeeded = |n: &str| (n.to_string(), "Succeeded".to_string());
    assert_eq!(
        states,
        [succeeded("system"), succeeded("compute"), succeeded("gpu")]
    );

    let k = kube_for(&sim).await;
    let nodes = k.get("/api/v1/nodes").await.body;
    let items = nodes["items"].as_array().unwrap();
    assert_eq!(items.len(), 4, "2 platform, 1 compute, 1 GPU");
    let compute = items
        .iter()
        .find(|n| n["metadata"]["labels"]["katonic.ai/node-pool"] == "compute")
        .expect("a compute node");
    assert_eq!(
        compute["spec"]["taints"],
        json!([{"key": "katonic.ai/node-pool", "value": "compute", "effect": "NoSchedule"}])
    );

    let jobs = "/apis/batch/v1/namespaces/default/jobs";
    let on_compute = json!({"katonic.ai/node-pool": "compute"});
    // No toleration: Pending, with the scheduler's reasons per node.
    k.post(jobs, job("bare", on_compute.clone(), json!([])))
        .await;
    let events = k
        .until(
            "/api/v1/namespaces/default/events?fieldSelector=reason%3DFailedScheduling",
            |e| e["items"].as_array().is_some_and(|i| !i.is_empty()),
        )
        .await;
    assert_eq!(
        events["items"][0]["message"],
        "0/4 nodes are available: 2 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {katonic.ai/node-pool: compute}, 1 node(s) had untolerated taint {katonic.ai/node-pool: gpu}. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling."
    );
    let pods = k
        .get("/api/v1/namespaces/default/pods?labelSelector=job-name%3Dbare")
        .await
        .body;
    assert_eq!(pods["items"][0]["status"]["phase"], "Pending");
    // The matching toleration (Equal on the value, any effect) schedules it.
    let tolerate =
        json!([{"key": "katonic.ai/node-pool", "operator": "Equal", "value": "compute"}]);
    k.post(jobs, job("tolerant", on_compute, tolerate)).await;
    k.until(&format!("{jobs}/tolerant"), complete).await;
    // A soft (PreferNoSchedule) taint never blocks: a pod with no selector runs on the platform.
    k.post(jobs, job("anywhere", json!({}), json!([]))).await;
    k.until(&format!("{jobs}/anywhere"), complete).await;
    let pods = k
        .get("/api/v1/namespaces/default/pods?labelSelector=job-name%3Danywhere")
        .await
        .body;
    let node = pods["items"][0]["spec"]["nodeName"].as_str().unwrap();
    assert!(node.starts_with("aks-system-"), "{node}");
}

#[tokio::test]
async fn the_cluster_put_checks_quota_for_every_pool_and_stores_nothing_when_refused() {
    let sim = Sim::start_with_catalog(
        |cat| {
            cat.quota.overrides.push(crate::catalog::QuotaOverride {
                location: "eastus".into(),
                family: "standardNCASv3_T4Family".into(),
                limit: 4,
            })
        },
        |_| {},
    )
    .await;
    let (identity, subnet) = sim.network_env("rg-a", "10.20.0.0/24").await;
    let url = sim.cluster_url("rg-a", "aks1");
    // The GPU pool: 1 node + 1 surge node × 4 vCPUs = 8 > 4.
    let r = sim
        .put(
            &format!("{url}?{API}"),
            &three_pool_body(&identity, &subnet),
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "QuotaExceeded"), "{}", r.body);
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("standardNCASv3_T4Family") && msg.contains("Additional Required: 8"),
        "{msg}"
    );
    assert_eq!(sim.get(&format!("{url}?{API}")).await.status, 404);
}

#[tokio::test]
async fn a_system_pool_takes_only_the_taints_aks_allows() {
    let sim = Sim::start().await;
    let (identity, subnet) = sim.network_env("rg-a", "10.20.0.0/24").await;
    let url = sim.cluster_url("rg-a", "aks1");
    let with_system_taint = |taint: &str| {
        let mut body = three_pool_body(&identity, &subnet);
        body["properties"]["agentPoolProfiles"][0]["nodeTaints"] = json!([taint]);
        body
    };
    let refused = sim
        .put(
            &format!("{url}?{API}"),
            &with_system_taint("katonic.ai/node-pool=platform:NoSchedule"),
        )
        .await;
    assert_eq!(
        (refused.status, refused.code()),
        (400, "SystemPoolHasRestrictedTaint"),
        "{}",
        refused.body
    );
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("except 'CriticalAddonsOnly' taint or taint effect is 'PreferNoSchedule'")
    );
    let allowed = sim
        .put(
            &format!("{url}?{API}"),
            &with_system_taint("CriticalAddonsOnly=true:NoSchedule"),
        )
        .await;
    assert_eq!(allowed.status, 201, "{}", allowed.body);
    sim.wait_async(&allowed).await;
    // The same rule for a system pool added on its own.
    let added = sim
        .put(
            &format!("{url}/agentPools/sys2?{API}"),
            &json!({"properties": {"mode": "System", "vmSize": "Standard_D4s_v5", "count": 1,
                "vnetSubnetID": subnet, "nodeTaints": ["team=ml:NoExecute"]}}),
        )
        .await;
    assert_eq!(
        (added.status, added.code()),
        (400, "SystemPoolHasRestrictedTaint"),
        "{}",
        added.body
    );
}
