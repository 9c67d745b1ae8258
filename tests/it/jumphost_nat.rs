//! The jumphost subnet's NAT gateway (issue 14, item 5) in a rehearsal: with
//! `cluster.network.jumphostEgress: natGateway` the network step creates a Standard static
//! public IP and the NAT gateway and associates it with the jumphost subnet (the simulator's
//! request log shows each, in that order), and the teardown deletes them after the VNet that
//! used them. With an existing VNet the option is refused before anything is created.

use crate::azure::{
    World, console, existing_network, into_existing_vnet, log, sample, start, world,
};
use katonic_sim::LoggedRequest;
use serde_json::{Value, json};

fn with_nat(spec: &str) -> String {
    let spec = spec.replace(
        "dnsServiceIp: 172.16.0.10",
        "dnsServiceIp: 172.16.0.10, jumphostEgress: natGateway",
    );
    assert!(
        spec.contains("jumphostEgress"),
        "the sample's network moved"
    );
    spec
}

fn requests(world: &World, method: &str) -> Vec<LoggedRequest> {
    world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.status < 300)
        .collect()
}

fn position(list: &[LoggedRequest], suffix: &str) -> usize {
    list.iter()
        .position(|r| r.path.to_ascii_lowercase().ends_with(suffix))
        .unwrap_or_else(|| {
            panic!(
                "no request ending {suffix}: {:#?}",
                list.iter().map(|r| &r.path).collect::<Vec<_>>()
            )
        })
}

#[tokio::test]
async fn a_nat_gateway_is_created_for_the_jumphost_subnet_and_torn_down_after_its_vnet() {
    let world = world().await;
    let app = console(&world).await;
    let id = start(&app, &with_nat(&sample(&world.sim))).await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &id).await);

    let puts = requests(&world, "PUT");
    let ip = position(&puts, "/publicipaddresses/pip-katonic-prod-jumphost-nat");
    let nat = position(&puts, "/natgateways/ng-katonic-prod-jumphost");
    let vnet = position(&puts, "/virtualnetworks/vnet-katonic-prod");
    assert!(
        ip < nat && nat < vnet,
        "order: ip {ip}, nat {nat}, vnet {vnet}"
    );
    let body = puts[nat].request_body.clone().unwrap_or(Value::Null);
    assert_eq!(body["sku"], json!({"name": "Standard"}), "{body}");
    assert!(
        body["properties"]["publicIpAddresses"][0]["id"]
            .as_str()
            .is_some_and(|id| id.ends_with("/publicIPAddresses/pip-katonic-prod-jumphost-nat")),
        "{body}"
    );
    let subnets =
        puts[vnet].request_body.clone().unwrap_or(Value::Null)["properties"]["subnets"].clone();
    let jump = subnets
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "snet-jumphost")
        .unwrap_or_else(|| panic!("{subnets}"));
    assert!(
        jump["properties"]["natGateway"]["id"]
            .as_str()
            .is_some_and(|id| id.ends_with("/natGateways/ng-katonic-prod-jumphost")),
        "{jump}"
    );
    let outputs = &crate::helpers::step(&done, "network")["outputs"];
    assert!(outputs["jumphostNatGatewayId"].is_string(), "{outputs}");

    // Teardown: the VNet lets go of the gateway, then the gateway, then its address.
    world.sim.clear_requests();
    let preview: Value = app
        .get(&format!("/api/v1/installs/{id}/teardown"))
        .await
        .json()
        .await
        .unwrap();
    let deleting = preview["deleting"].as_u64().unwrap();
    let targets: Vec<&str> = preview["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["action"] == "delete")
        .filter_map(|t| t["name"].as_str())
        .collect();
    for name in ["ng-katonic-prod-jumphost", "pip-katonic-prod-jumphost-nat"] {
        assert!(targets.contains(&name), "{name} not deleted: {targets:?}");
    }
    let body = json!({"confirm": "prod", "expected": deleting}).to_string();
    let teardown = app.tear_down(&id, &body).await;
    let gone = app.wait_status(&teardown, &["succeeded", "failed"]).await;
    assert_eq!(
        gone["status"],
        "succeeded",
        "{}",
        log(&app, &teardown).await
    );
    let deletes = requests(&world, "DELETE");
    let vnet = position(&deletes, "/virtualnetworks/vnet-katonic-prod");
    let nat = position(&deletes, "/natgateways/ng-katonic-prod-jumphost");
    let ip = position(&deletes, "/publicipaddresses/pip-katonic-prod-jumphost-nat");
    assert!(
        vnet < nat && nat < ip,
        "order: vnet {vnet}, nat {nat}, ip {ip}"
    );
}

#[tokio::test]
async fn a_nat_gateway_with_an_existing_vnet_is_refused_before_anything_is_created() {
    let world = world().await;
    existing_network(&world).await;
    let app = console(&world).await;
    let spec = with_nat(&into_existing_vnet(&sample(&world.sim)));
    let res = app
        .post_body("/api/v1/installs", "application/yaml", &spec)
        .await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("cluster.network.jumphostEgress"), "{text}");
    assert!(text.contains("only with a new VNet"), "{text}");
    assert!(requests(&world, "PUT").is_empty());
}
