//! The vendor's arrangement of pools (issue 17): every pool in the cluster's own create, the
//! vendor's taints on the nodes, and the console's pods tolerating them, rehearsed against the
//! simulator through the real ARM client.

use crate::azure::{console, log, puts, sample, start, with_a_first_install, world};
use crate::helpers::step;
use katonic_console::azure::{ArmClient, api};
use katonic_console::startup::simulator_settings;
use serde_json::{Value, json};

/// The cluster PUTs the simulator answered (not refused), with their bodies.
fn answered_cluster_puts(sim: &katonic_sim::SimHandle) -> Vec<Value> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.status != 0 && r.status < 400)
        .filter(|r| {
            r.path
                .to_ascii_lowercase()
                .ends_with("/managedclusters/katonic-prod")
        })
        .filter_map(|r| r.request_body)
        .collect()
}

#[tokio::test]
async fn a_gpu_quota_refusal_then_resume_creates_the_cluster_with_every_pool_in_one_put() {
    let world = world().await;
    world
        .sim
        .set_faults(crate::azure::cluster_create_refused_for_quota(
            "standardNCASv3_T4Family",
        ));
    let app = console(&world).await;
    let id = start(&app, &sample(&world.sim)).await;
    let failed = app.wait_status(&id, &["failed"]).await;
    assert_eq!(step(&failed, "aks-cluster")["status"], "failed");
    assert_eq!(step(&failed, "role-assignments")["status"], "pending");

    app.post_form(&format!("/api/v1/installs/{id}/resume"), &[])
        .await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &id).await);
    // Nothing completed was written twice (the subnet grant included: the resumed cluster step
    // read it rather than writing it again), and no pool has an operation of its own.
    let counts = puts(&world.sim);
    for (path, n) in &counts {
        assert_eq!(*n, 1, "{path} was PUT {n} times");
    }
    assert!(
        !counts.keys().any(|p| p.contains("/agentpools/")),
        "{counts:#?}"
    );
    assert_eq!(
        counts
            .keys()
            .filter(|p| p
                .contains("/subnets/snet-aks/providers/microsoft.authorization/roleassignments/"))
            .count(),
        1,
        "{counts:#?}"
    );
    let bodies = answered_cluster_puts(&world.sim);
    assert_eq!(bodies.len(), 1);
    let pools: Vec<(String, String, Value, Value)> = bodies[0]["properties"]["agentPoolProfiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["mode"].as_str().unwrap().to_string(),
                p["nodeLabels"]["katonic.ai/node-pool"].clone(),
                p["nodeTaints"].clone(),
            )
        })
        .collect();
    assert_eq!(
        pools,
        [
            (
                "platform".to_string(),
                "System".to_string(),
                json!("platform"),
                json!(["katonic.ai/node-pool=platform:PreferNoSchedule"])
            ),
            (
                "compute".to_string(),
                "User".to_string(),
                json!("compute"),
                json!(["katonic.ai/node-pool=compute:NoSchedule"])
            ),
            (
                "gpu".to_string(),
                "User".to_string(),
                json!("gpu"),
                json!(["katonic.ai/node-pool=gpu:NoSchedule"])
            ),
        ]
    );
    // The verification's probe ran on the tainted compute pool: it tolerates the taint.
    let log = log(&app, &id).await;
    assert!(
        log.contains("pool compute: 1 node(s) labelled katonic.ai/node-pool=compute"),
        "{log}"
    );
}

/// PUT the agent pool `name` of the sample's cluster with `properties`, and wait until AKS
/// (the simulator) has applied it.
async fn put_pool(arm: &ArmClient, sub: &str, name: &str, properties: Value) {
    let path = format!(
        "/subscriptions/{sub}/resourceGroups/rg-katonic-prod/providers/Microsoft.ContainerService/managedClusters/katonic-prod/agentPools/{name}"
    );
    arm.call(
        reqwest::Method::PUT,
        &path,
        api::CONTAINER_SERVICE,
        Some(&json!({ "properties": properties })),
    )
    .await
    .unwrap();
    for _ in 0..500 {
        let pool = arm
            .get(&path, api::CONTAINER_SERVICE)
            .await
            .unwrap()
            .unwrap();
        if pool["properties"]["provisioningState"] == "Succeeded" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("pool {name} never settled");
}

/// Delete the installer Job (and its pods) of the first install, and wait until it is gone.
async fn remove_installer_job(world: &crate::azure::World) {
    use k8s_openapi::api::batch::v1::Job;
    use kube::api::{Api, DeleteParams};
    let client = crate::cluster::kube_client(world).await;
    let jobs: Api<Job> = Api::namespaced(client, "katonic-system");
    let job = jobs.get("katonic-platform-installer").await.unwrap();
    let uid = job.metadata.uid.unwrap();
    jobs.delete("katonic-platform-installer", &DeleteParams::background())
        .await
        .unwrap();
    kube::runtime::wait::await_condition(
        jobs,
        "katonic-platform-installer",
        kube::runtime::conditions::is_deleted(&uid),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn an_installer_without_the_needed_toleration_fails_clearly_and_the_vendor_taint_is_tolerated()
 {
    let (world, app) = with_a_first_install().await;
    let arm = ArmClient::new(&simulator_settings(&world.sim)).unwrap();
    let sub = world.sim.subscription_id.clone();
    // Someone's own cluster, arranged as the vendor does: a dedicated system pool, and the
    // platform pool a user pool with a taint (first one of their own).
    let subnet = format!(
        "/subscriptions/{sub}/resourceGroups/rg-katonic-prod/providers/Microsoft.Network/virtualNetworks/vnet-katonic-prod/subnets/snet-aks"
    );
    put_pool(
        &arm,
        &sub,
        "sys",
        json!({"mode": "System", "vmSize": "Standard_DS3_v2", "count": 1,
            "availabilityZones": ["1", "2"], "vnetSubnetID": subnet}),
    )
    .await;
    let platform_path = format!(
        "/subscriptions/{sub}/resourceGroups/rg-katonic-prod/providers/Microsoft.ContainerService/managedClusters/katonic-prod/agentPools/platform"
    );
    let platform = arm
        .get(&platform_path, api::CONTAINER_SERVICE)
        .await
        .unwrap()
        .unwrap();
    let dedicated = |taint: &str| {
        let mut properties = platform["properties"].clone();
        properties["mode"] = json!("User");
        properties["nodeTaints"] = json!([taint]);
        properties
    };
    put_pool(&arm, &sub, "platform", dedicated("dedicated=ml:NoSchedule")).await;

    // The first install's installer Job is done and gone (as an admin would clean up), so this
    // install runs one of its own.
    remove_installer_job(&world).await;

    let spec = sample(&world.sim)
        .replace("name: prod", "name: prod-byo")
        .replace("mode: create", "mode: existing")
        .replace(
            "superset: true, airbyte: true",
            "superset: false, airbyte: false",
        );
    let id = start(&app, &spec).await;
    let failed = app.wait_status(&id, &["succeeded", "failed"]).await;
    let text = log(&app, &id).await;
    assert_eq!(failed["status"], "failed", "{text}");
    let platform = step(&failed, "platform");
    assert_eq!(
        platform["error"]["code"], "InstallerUnschedulable",
        "{text}"
    );
    let message = platform["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("the platform installer's pod cannot be scheduled: 0/")
            && message.contains("had untolerated taint {dedicated: ml}"),
        "{message}"
    );
    assert!(
        platform["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("katonic.ai/node-pool=platform"),
        "{platform}"
    );

    // The vendor's own taint on the platform pool is tolerated: resumed, the install finishes.
    put_pool(
        &arm,
        &sub,
        "platform",
        dedicated("katonic.ai/node-pool=platform:NoSchedule"),
    )
    .await;
    app.post_form(&format!("/api/v1/installs/{id}/resume"), &[])
        .await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    let text = log(&app, &id).await;
    assert_eq!(done["status"], "succeeded", "{text}");
    // The pending pod is scheduled once its nodes carry a taint it tolerates (Kubernetes retries
    // it; the Job may even finish before the resume), or, still refused when the step resumes,
    // its Job is replaced.
    assert!(
        text.contains("the platform installer completed")
            || text.contains("Job/katonic-platform-installer already completed"),
        "{text}"
    );
    assert!(
        text.contains("PASS scheduling pool platform"),
        "the verification's probe tolerates the vendor's taint too:\n{text}"
    );
}
