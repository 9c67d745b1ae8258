//! `cluster.access: peering` (issue 14) against the simulator: the console sits in a VNet of its
//! own that does not overlap the cluster's; the install peers both VNets both ways and links
//! the AKS private DNS zone to the console's VNet (the simulated API server answers only then),
//! and the teardown deletes the link and both peerings, keeping the console's VNet.

use crate::azure::{World, log, sample, start, world};
use crate::helpers::{TestApp, step, test_worker};
use katonic_console::azure::placement::PlacementSource;
use katonic_console::azure::{ArmClient, Timing, api};
use katonic_console::startup::{Engine, simulator_settings};
use katonic_console::steps::AzureSteps;
use katonic_console::worker::ScriptedSteps;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const NAME: &str = "peer-katonic-katonic-prod";

fn arm(world: &World) -> ArmClient {
    let mut arm = ArmClient::new(&simulator_settings(&world.sim)).unwrap();
    arm.timing = Timing {
        min_wait: Duration::from_millis(5),
        max_wait: Duration::from_millis(50),
        tries: 4,
    };
    arm
}

/// The console's own VNet (the simulator creates it, 10.250.0.0/16).
fn console_vnet(world: &World) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/rg-jump/providers/Microsoft.Network/virtualNetworks/vnet-jump",
        world.sim.subscription_id
    )
}

async fn console_in_its_own_vnet(world: &World) -> TestApp {
    console_in_its_own_vnet_or(world, true).await
}

/// `place`: put the console in `vnet-jump`; else leave it where the test placed it.
async fn console_in_its_own_vnet_or(world: &World, place: bool) -> TestApp {
    if place {
        let subnet = format!("{}/subnets/snet-jump", console_vnet(world));
        world
            .sim
            .place_console(Some(subnet.parse().unwrap()))
            .unwrap();
    }
    let executor = Arc::new(
        AzureSteps::new(arm(world), Arc::new(ScriptedSteps::rehearsal(0.0)))
            .with_timeouts(katonic_console::steps::ClusterTimeouts::scaled(0.0))
            .with_verify(katonic_console::startup::simulated_verify(&world.sim))
            .with_placement(PlacementSource::from_settings(&simulator_settings(
                &world.sim,
            ))),
    );
    let engine = Engine {
        executor,
        worker: test_worker(&world.dir.join("data")),
        simulator: None,
    };
    TestApp::spawn_engine(&world.dir.join("data"), engine).await
}

fn peering_spec(world: &World) -> String {
    sample(&world.sim).replace(
        "  name: katonic-prod\n",
        "  name: katonic-prod\n  access: peering\n",
    )
}

/// The simulator's answered requests `METHOD path`, lower-cased, for paths containing `part`.
fn requests(world: &World, method: &str, part: &str) -> Vec<String> {
    world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path.to_ascii_lowercase().contains(part))
        .map(|r| r.path.to_ascii_lowercase())
        .collect()
}

#[tokio::test]
async fn peering_install_peers_links_and_its_teardown_removes_both() {
    let world = world().await;
    let app = console_in_its_own_vnet(&world).await;
    let id = start(&app, &peering_spec(&world)).await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &id).await);
    assert_eq!(done["clusterAccess"], "peering");

    let outputs = &step(&done, "peering")["outputs"];
    let console_side = outputs["consoleSide"].as_str().unwrap().to_string();
    let cluster_side = outputs["clusterSide"].as_str().unwrap().to_string();
    assert!(
        console_side.starts_with(&console_vnet(&world)),
        "{outputs:#}"
    );
    assert!(
        cluster_side.contains("/virtualNetworks/vnet-katonic-prod/"),
        "{outputs:#}"
    );
    assert_eq!(outputs["peeringState"], "Connected", "{outputs:#}");
    let link = step(&done, "dns-zone-link")["outputs"]["linkId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        link.to_ascii_lowercase().ends_with(&format!(
            "/privatednszones/privatelink.eastus.azmk8s.io/virtualnetworklinks/{NAME}"
        )),
        "{link}"
    );
    let peering_puts = requests(&world, "PUT", &format!("/virtualnetworkpeerings/{NAME}"));
    assert!(
        peering_puts.contains(&console_side.to_ascii_lowercase()),
        "{peering_puts:?}"
    );
    assert!(
        peering_puts.contains(&cluster_side.to_ascii_lowercase()),
        "{peering_puts:?}"
    );
    assert_eq!(
        requests(&world, "PUT", &format!("/virtualnetworklinks/{NAME}")),
        vec![link.to_ascii_lowercase()]
    );
    // The API server answered the console every time: it was reached through the peering.
    let refused: Vec<_> = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/kubernetes/") && r.status == 0)
        .collect();
    assert!(refused.is_empty(), "{refused:?}");

    // The review page shows the decision preflight made (read from its outputs, no ARM call).
    let review = app
        .get(&format!("/installs/{id}/review"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        review.contains("data-cluster-access=\"peering\"") && review.contains("vnet-jump"),
        "{review}"
    );

    // Teardown: the link and both peerings are listed and deleted; the console's VNet stays.
    let preview: Value = app
        .get(&format!("/api/v1/installs/{id}/teardown"))
        .await
        .json()
        .await
        .unwrap();
    let deleting: Vec<String> = preview["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["action"] == "delete")
        .map(|t| t["id"].as_str().unwrap().to_ascii_lowercase())
        .collect();
    for id in [&console_side, &cluster_side, &link] {
        assert!(
            deleting.contains(&id.to_ascii_lowercase()),
            "{id}: {preview:#}"
        );
    }
    let body = json!({"confirm": "prod", "expected": preview["deleting"]}).to_string();
    let teardown = app.tear_down(&id, &body).await;
    let gone = app.wait_status(&teardown, &["succeeded", "failed"]).await;
    assert_eq!(
        gone["status"],
        "succeeded",
        "{}",
        log(&app, &teardown).await
    );
    for path in [&console_side, &cluster_side, &link] {
        assert!(
            !requests(&world, "DELETE", &path.to_ascii_lowercase()).is_empty(),
            "no DELETE of {path}"
        );
    }
    let arm = arm(&world);
    for (path, version) in [
        (&console_side, api::NETWORK),
        (&cluster_side, api::NETWORK),
        (&link, api::PRIVATE_DNS),
    ] {
        assert_eq!(
            arm.get(path, version).await.unwrap(),
            None,
            "{path} still there"
        );
    }
    assert!(
        arm.get(&console_vnet(&world), api::NETWORK)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn the_review_page_says_where_the_console_runs_and_what_was_asked() {
    let world = world().await;
    let app = console_in_its_own_vnet(&world).await;
    let res = app
        .post_body(
            "/api/v1/installs",
            "application/yaml",
            &peering_spec(&world),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let before = world.sim.requests().len();
    let page = app
        .get(&format!("/installs/{id}/review"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Where the console runs"), "{page}");
    assert!(page.contains("data-access-asked=\"peering\""), "{page}");
    assert!(
        page.contains("Preflight decides how the cluster is reached"),
        "{page}"
    );
    assert!(!page.contains("data-cluster-access="), "{page}");
    // The web layer asked Azure nothing to show it.
    assert_eq!(world.sim.requests().len(), before);
}

/// Preflight checks the console's identity may do what the chosen way needs: here Run Command.
#[tokio::test]
async fn run_command_without_its_permission_is_refused_at_preflight() {
    let world = crate::azure::world_with(|catalog| {
        catalog["callerPermissions"]["notActions"] = serde_yaml_ng::to_value(vec![
            "Microsoft.ContainerService/managedClusters/runcommand/action",
        ])
        .unwrap();
    })
    .await;
    world
        .sim
        .place_console(Some(katonic_sim::ConsoleNetwork::Outside))
        .unwrap();
    let app = console_in_its_own_vnet_or(&world, false).await;
    let id = start(&app, &sample(&world.sim)).await;
    let failed = app.wait_status(&id, &["failed", "succeeded"]).await;
    assert_eq!(failed["status"], "failed");
    let log = log(&app, &id).await;
    assert!(
        log.contains("lacks Microsoft.ContainerService/managedClusters/runcommand/action"),
        "{log}"
    );
}
