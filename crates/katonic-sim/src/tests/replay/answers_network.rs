//! The answers added for the peering, NSG, usage and container recordings (issue 15): a
//! peering is long-running both ways and `Connected` only once peered back, a VNet takes a tags
//! PATCH, a container answers its legal hold and a share its usage when asked.

use serde_json::{Value, json};

use crate::tests::harness::Sim;

const NET: &str = "2021-05-01";

async fn vnet(sim: &Sim, name: &str, prefix: &str) -> String {
    let url = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/{name}",
        sim.rg("rg-p")
    );
    let body = json!({"location": "westus", "properties": {"addressSpace": {"addressPrefixes": [prefix]}}});
    let r = sim.put(&format!("{url}?api-version={NET}"), &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    sim.wait_async(&r).await;
    url
}

fn peering_body(remote: &str) -> Value {
    json!({"properties": {"remoteVirtualNetwork": {"id": remote}, "allowVirtualNetworkAccess": true}})
}

#[tokio::test]
async fn a_peering_is_long_running_and_connected_once_peered_back() {
    let sim = Sim::start().await;
    sim.create_rg("rg-p").await;
    let a = vnet(&sim, "vnet-a", "10.1.0.0/16").await;
    let b = vnet(&sim, "vnet-b", "10.2.0.0/16").await;
    let a_to_b = format!("{a}/virtualNetworkPeerings/a-b?api-version={NET}");
    let r = sim.put(&a_to_b, &peering_body(&b)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["properties"]["provisioningState"], "Updating");
    assert_eq!(r.body["properties"]["peeringSyncLevel"], "RemoteNotInSync");
    assert_eq!(sim.wait_async(&r).await["status"], "Succeeded");
    let one_way = sim.get(&a_to_b).await;
    assert_eq!(one_way.body["properties"]["peeringState"], "Initiated");
    assert_eq!(one_way.body["properties"]["provisioningState"], "Succeeded");
    let back = sim
        .put(
            &format!("{b}/virtualNetworkPeerings/b-a?api-version={NET}"),
            &peering_body(&a),
        )
        .await;
    assert_eq!(back.body["properties"]["peeringState"], "Connected");
    sim.wait_async(&back).await;
    let listed = sim.get(&format!("{a}?api-version={NET}")).await;
    let seen = &listed.body["properties"]["virtualNetworkPeerings"][0]["properties"];
    assert_eq!(seen["peeringState"], "Connected");
    assert_eq!(seen["peeringSyncLevel"], "FullyInSync");
    let gone = sim.delete(&a_to_b).await;
    assert_eq!(gone.status, 202, "{}", gone.body);
    assert!(gone.header("location").is_some());
    sim.wait_async(&gone).await;
    assert_eq!(sim.get(&a_to_b).await.status, 404);
    assert_eq!(sim.delete(&a_to_b).await.status, 204);
}

#[tokio::test]
async fn a_vnet_tags_patch_replaces_the_tags_and_keeps_the_rest() {
    let sim = Sim::start().await;
    sim.create_rg("rg-p").await;
    let a = vnet(&sim, "vnet-a", "10.1.0.0/16").await;
    let url = format!("{a}?api-version={NET}");
    let r = sim
        .call(
            reqwest::Method::PATCH,
            &url,
            Some(&json!({"tags": {"tag1": "value1"}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["tags"], json!({"tag1": "value1"}));
    assert_eq!(
        r.body["properties"]["addressSpace"]["addressPrefixes"],
        json!(["10.1.0.0/16"])
    );
    let missing = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/none?api-version={NET}",
        sim.rg("rg-p")
    );
    let r = sim
        .call(reqwest::Method::PATCH, &missing, Some(&json!({"tags": {}})))
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
}

#[tokio::test]
async fn containers_answer_their_legal_hold_and_shares_their_usage_when_asked() {
    let sim = Sim::start().await;
    sim.create_rg("rg-s").await;
    let account = format!(
        "{}/providers/Microsoft.Storage/storageAccounts/streplay02",
        sim.rg("rg-s")
    );
    let body = json!({"location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}});
    let r = sim
        .put(&format!("{account}?api-version=2023-05-01"), &body)
        .await;
    sim.wait_location(&r).await;
    let container =
        format!("{account}/blobServices/default/containers/data?api-version=2019-06-01");
    let r = sim.put(&container, &json!({})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let got = sim.get(&container).await;
    assert_eq!(
        got.body["properties"]["legalHold"],
        json!({"hasLegalHold": false, "tags": []})
    );
    let share = format!("{account}/fileServices/default/shares/files");
    let r = sim
        .put(&format!("{share}?api-version=2019-06-01"), &json!({}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let plain = sim.get(&format!("{share}?api-version=2019-06-01")).await;
    assert!(plain.body["properties"].get("shareUsageBytes").is_none());
    let stats = sim
        .get(&format!("{share}?api-version=2019-06-01&$expand=stats"))
        .await;
    assert_eq!(stats.body["properties"]["shareUsageBytes"], 0);
}
