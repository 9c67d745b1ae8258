//! Where the console runs and how it reaches the cluster (issue 14), against the simulator
//! with the console placed: detection from the simulated metadata service or `--console-subnet`,
//! `cluster.access` resolved at preflight, refusals before any ARM write, and a direct install
//! from the cluster's own VNet.
//!
//! `a_console_outside_azure_installs_through_run_command` needs AKS Run Command (the cluster
//! steps through ARM) to reach `succeeded`.

use crate::azure::{World, existing_network, into_existing_vnet, log, sample, start, world};
use crate::helpers::{TestApp, step, test_worker};
use katonic_console::azure::placement::PlacementSource;
use katonic_console::azure::{ArmClient, Timing};
use katonic_console::startup::{Engine, simulator_settings};
use katonic_console::steps::AzureSteps;
use katonic_console::worker::ScriptedSteps;
use katonic_sim::ConsoleNetwork;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The jumphost subnet of the admin's `vnet-corp` (see `existing_network`).
pub(crate) fn corp_jumphost(world: &World) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-corp/subnets/snet-jump",
        world.sim.subscription_id
    )
}

/// A subnet in a VNet of its own (the simulator creates it, 10.250.0.0/16).
fn elsewhere(world: &World) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/rg-jump/providers/Microsoft.Network/virtualNetworks/vnet-jump/subnets/snet-jump",
        world.sim.subscription_id
    )
}

pub(crate) fn place(world: &World, network: ConsoleNetwork) {
    world.sim.place_console(Some(network)).unwrap();
}

/// A console whose Azure steps talk to the simulator and learn their placement from `source`.
pub(crate) async fn console_placed(world: &World, source: PlacementSource) -> TestApp {
    let mut arm = ArmClient::new(&simulator_settings(&world.sim)).unwrap();
    arm.timing = Timing {
        min_wait: Duration::from_millis(5),
        max_wait: Duration::from_millis(50),
        tries: 4,
    };
    let executor = Arc::new(
        AzureSteps::new(arm, Arc::new(ScriptedSteps::rehearsal(0.0)))
            .with_timeouts(katonic_console::steps::ClusterTimeouts::scaled(0.0))
            .with_verify(katonic_console::startup::simulated_verify(&world.sim))
            .with_placement(source),
    );
    let engine = Engine {
        executor,
        worker: test_worker(&world.dir.join("data")),
        simulator: None,
    };
    TestApp::spawn_engine(&world.dir.join("data"), engine).await
}

/// As `serve --simulate` does it: the simulated metadata service.
pub(crate) fn from_imds(world: &World) -> PlacementSource {
    PlacementSource::from_settings(&simulator_settings(&world.sim))
}

fn with_access(spec: &str, access: &str) -> String {
    spec.replace(
        "  name: katonic-prod\n",
        &format!("  name: katonic-prod\n  access: {access}\n"),
    )
}

/// ARM writes the simulator answered (PUT, PATCH, DELETE).
pub(crate) fn writes(world: &World) -> Vec<String> {
    world
        .sim
        .requests()
        .into_iter()
        .filter(|r| matches!(r.method.as_str(), "PUT" | "PATCH" | "DELETE"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn preflight_outputs(detail: &Value) -> Value {
    step(detail, "preflight")["outputs"].clone()
}

#[tokio::test]
async fn a_console_in_the_clusters_existing_vnet_is_detected_and_installs_directly() {
    let world = world().await;
    existing_network(&world).await;
    place(&world, corp_jumphost(&world).parse().unwrap());
    let app = console_placed(&world, from_imds(&world)).await;
    let spec = with_access(&into_existing_vnet(&sample(&world.sim)), "direct");
    let id = start(&app, &spec).await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &id).await);
    let outputs = preflight_outputs(&done);
    assert_eq!(outputs["clusterAccess"], "direct", "{outputs:#}");
    assert_eq!(done["clusterAccess"], "direct");
    let placement = &outputs["consolePlacement"];
    assert_eq!(placement["where"], "azure");
    assert_eq!(placement["detected"], "imds");
    assert_eq!(placement["subnetId"], corp_jumphost(&world).as_str());
    assert!(
        placement["vmId"]
            .as_str()
            .unwrap()
            .contains("/virtualMachines/")
    );
    // The API server answered the console every time: no connection was refused.
    let refused: Vec<_> = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/kubernetes/") && r.status == 0)
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
    let page = app
        .get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-cluster-access=\"direct\""), "{page}");
    // Preflight stored where the console runs as the page says it; the page shows that text.
    let summary = outputs["consolePlacementSummary"].as_str().unwrap();
    assert_eq!(
        summary,
        format!(
            "in subnet {} of VNet {}",
            corp_jumphost(&world),
            placement["vnetId"].as_str().unwrap()
        )
    );
    assert!(
        page.contains(&format!("The console runs {summary}.")),
        "{page}"
    );
}

#[tokio::test]
async fn direct_to_a_new_vnet_from_another_vnet_is_refused_before_any_write() {
    let world = world().await;
    place(&world, elsewhere(&world).parse().unwrap());
    world.sim.clear_requests();
    let app = console_placed(&world, from_imds(&world)).await;
    let id = start(&app, &with_access(&sample(&world.sim), "direct")).await;
    let failed = app.wait_status(&id, &["failed"]).await;
    assert_eq!(step(&failed, "preflight")["status"], "failed");
    let log = log(&app, &id).await;
    assert!(
        log.contains("detected from the instance metadata service"),
        "{log}"
    );
    assert!(log.contains("vnet-jump"), "{log}");
    assert!(
        log.contains("FAIL reaching the cluster: direct access cannot work")
            && log.contains("does not exist yet"),
        "{log}"
    );
    assert!(
        log.contains("runCommand") && log.contains("existingVnet"),
        "{log}"
    );
    assert_eq!(writes(&world), Vec::<String>::new());
    assert_eq!(failed["clusterAccess"], Value::Null);
}

#[tokio::test]
async fn console_subnet_overrides_the_metadata_service() {
    let world = world().await;
    existing_network(&world).await;
    // The metadata service would say vnet-jump; the flag says vnet-corp's jumphost subnet.
    place(&world, elsewhere(&world).parse().unwrap());
    world.sim.clear_requests();
    let mut settings = simulator_settings(&world.sim);
    settings.console_subnet = Some(corp_jumphost(&world));
    let app = console_placed(&world, PlacementSource::from_settings(&settings)).await;
    // Direct to a new VNet cannot work from vnet-corp either: preflight stops, nothing written.
    let id = start(&app, &with_access(&sample(&world.sim), "direct")).await;
    app.wait_status(&id, &["failed"]).await;
    let log = log(&app, &id).await;
    assert!(
        log.contains("subnet snet-jump of VNet")
            && log.contains("vnet-corp (10.20.0.0/16; given by --console-subnet)"),
        "{log}"
    );
    let asked: Vec<_> = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/metadata/instance"))
        .collect();
    assert!(
        asked.is_empty(),
        "the metadata service was asked: {asked:?}"
    );
    assert_eq!(writes(&world), Vec::<String>::new());
}

#[tokio::test]
async fn user_defined_routing_without_a_default_route_is_refused_before_any_write() {
    let world = world().await;
    existing_network(&world).await;
    let app = console_placed(&world, PlacementSource::default()).await;
    let spec = into_existing_vnet(&sample(&world.sim)).replace(
        "dnsServiceIp: 172.16.0.10,",
        "dnsServiceIp: 172.16.0.10, outboundType: userDefinedRouting,",
    );
    assert!(spec.contains("userDefinedRouting"), "{spec}");
    let id = start(&app, &spec).await;
    let failed = app.wait_status(&id, &["failed"]).await;
    assert_eq!(step(&failed, "preflight")["status"], "failed");
    let log = log(&app, &id).await;
    assert!(
        log.contains(
            "FAIL egress: outboundType userDefinedRouting: subnet snet-aks has no route table"
        ),
        "{log}"
    );
    assert!(log.contains("managedNATGateway"), "{log}");
    assert_eq!(writes(&world), Vec::<String>::new());
}

#[tokio::test]
async fn auto_outside_azure_resolves_run_command_at_preflight() {
    let world = world().await;
    place(&world, ConsoleNetwork::Outside);
    let app = console_placed(&world, from_imds(&world)).await;
    let id = start(&app, &sample(&world.sim)).await;
    let detail = app.wait_status(&id, &["succeeded", "failed"]).await;
    let outputs = preflight_outputs(&detail);
    assert_eq!(
        outputs["clusterAccess"],
        "runCommand",
        "{}",
        log(&app, &id).await
    );
    assert_eq!(outputs["consolePlacement"]["where"], "outside");
    assert_eq!(detail["clusterAccess"], "runCommand");
    let log = log(&app, &id).await;
    assert!(log.contains("auto chose runCommand"), "{log}");
}

/// Needs part 2 of issue 14 (AKS Run Command): every cluster step through ARM.
#[tokio::test]
async fn a_console_outside_azure_installs_through_run_command() {
    let world = world().await;
    place(&world, ConsoleNetwork::Outside);
    let app = console_placed(&world, from_imds(&world)).await;
    let id = start(&app, &sample(&world.sim)).await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &id).await);
    assert_eq!(done["clusterAccess"], "runCommand");
}

#[tokio::test]
async fn the_review_page_offers_the_egress_allow_list() {
    let world = world().await;
    let app = console_placed(&world, PlacementSource::default()).await;
    let res = app
        .post_body("/api/v1/installs", "application/yaml", &sample(&world.sim))
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let review = app
        .get(&format!("/installs/{id}/review"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        review.contains(&format!("/installs/{id}/egress-allowlist.txt")),
        "{review}"
    );
    let res = app
        .get(&format!("/installs/{id}/egress-allowlist.txt"))
        .await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    for needed in [
        "mcr.microsoft.com\t443/TCP",
        "packages.aks.azure.com\t443/TCP",
        "registry-1.docker.io\t443/TCP",
        ".eastus.data.azurecr.io\t443/TCP",
        "# subnet snet-jumphost: none",
        "private by default since 2026-03-31",
    ] {
        assert!(text.contains(needed), "{needed} missing from:\n{text}");
    }
}
