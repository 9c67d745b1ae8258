//! The answers added for the replay's recordings (issue 15), each with what it refuses: a
//! storage account's PATCH and `regenerateKey`, a cluster's tag PATCH and upgrade profile, and
//! `dockerBridgeCidr` only at the older api-versions.

use serde_json::json;

use crate::tests::harness::Sim;

async fn account(sim: &Sim) -> String {
    sim.create_rg("rg-s").await;
    let url = format!(
        "{}/providers/Microsoft.Storage/storageAccounts/streplay01",
        sim.rg("rg-s")
    );
    let body = json!({"location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}});
    let r = sim
        .put(&format!("{url}?api-version=2023-05-01"), &body)
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    sim.wait_location(&r).await;
    url
}

#[tokio::test]
async fn a_storage_account_patch_changes_what_it_names_and_keeps_its_kind() {
    let sim = Sim::start().await;
    let url = account(&sim).await;
    let patch = json!({"sku": {"name": "Standard_GRS"}, "kind": "BlobStorage", "tags": {"a": "b"}});
    let r = sim
        .call(
            reqwest::Method::PATCH,
            &format!("{url}?api-version=2019-06-01"),
            Some(&patch),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["sku"]["name"], "Standard_GRS");
    assert_eq!(r.body["kind"], "StorageV2");
    assert_eq!(r.body["tags"]["a"], "b");
    assert!(r.body["properties"]["secondaryLocation"].is_string());
    let got = sim.get(&format!("{url}?api-version=2023-05-01")).await;
    assert_eq!(got.body["sku"]["name"], "Standard_GRS");
}

#[tokio::test]
async fn regenerate_key_replaces_the_named_key_only_and_refuses_another_name() {
    let sim = Sim::start().await;
    let url = account(&sim).await;
    let keys = |b: &serde_json::Value, i: usize| b["keys"][i]["value"].as_str().map(str::to_string);
    let before = sim
        .post(&format!("{url}/listKeys?api-version=2023-05-01"), None)
        .await;
    let r = sim
        .post(
            &format!("{url}/regenerateKey?api-version=2023-05-01"),
            Some(&json!({"keyName": "key1"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_ne!(keys(&r.body, 0), keys(&before.body, 0));
    assert_eq!(keys(&r.body, 1), keys(&before.body, 1));
    let bad = sim
        .post(
            &format!("{url}/regenerateKey?api-version=2023-05-01"),
            Some(&json!({"keyName": "key3"})),
        )
        .await;
    assert_eq!(
        (bad.status, bad.code()),
        (400, "InvalidValuesForRequestParameters")
    );
}

#[tokio::test]
async fn a_cluster_patch_sets_tags_only_and_its_upgrade_profile_is_default_only() {
    let sim = Sim::start().await;
    let url = sim.created_cluster().await;
    let patch = |body: serde_json::Value| {
        let url = format!("{url}?api-version=2025-10-01");
        let sim = &sim;
        async move { sim.call(reqwest::Method::PATCH, &url, Some(&body)).await }
    };
    let tagged = patch(json!({"tags": {"tier": "testing"}})).await;
    assert_eq!(tagged.status, 200, "{}", tagged.body);
    assert_eq!(tagged.body["tags"]["tier"], "testing");
    let refused = patch(json!({"properties": {"dnsPrefix": "other"}})).await;
    assert_eq!((refused.status, refused.code()), (400, "InvalidParameter"));
    let profile = sim
        .get(&format!(
            "{url}/upgradeProfiles/default?api-version=2025-10-01"
        ))
        .await;
    assert_eq!(profile.status, 200, "{}", profile.body);
    assert!(profile.body["properties"]["controlPlaneProfile"]["kubernetesVersion"].is_string());
    let other = sim
        .get(&format!(
            "{url}/upgradeProfiles/other?api-version=2025-10-01"
        ))
        .await;
    assert_eq!(other.status, 404);
    // dockerBridgeCidr: answered at 2022-04-01, absent at today's version.
    let old = sim.get(&format!("{url}?api-version=2022-04-01")).await;
    assert_eq!(
        old.body["properties"]["networkProfile"]["dockerBridgeCidr"],
        "172.17.0.1/16"
    );
    let new = sim.get(&format!("{url}?api-version=2025-10-01")).await;
    assert!(
        new.body["properties"]["networkProfile"]
            .get("dockerBridgeCidr")
            .is_none()
    );
}
