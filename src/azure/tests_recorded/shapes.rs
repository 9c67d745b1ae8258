//! More real answer shapes the console's client must read (issue 15): compute usages, VNet
//! peerings, blob containers.

use serde_json::json;

use super::super::lro::{FinalState, Pending, Started, is_terminal, started};
use super::{Recorded, load_all, recorded_in};

#[test]
fn recorded_compute_usages_read_as_the_quota_preflight_reads_them() {
    // `az vm list-usage` at 2022-11-01 (Azure CLI `test_vm_usage`): one page, no `nextLink`,
    // 139 entries, names with spaces and `_` among them. The preflight reads `value` whole, so
    // one entry it could not read would lose them all.
    use super::super::resources::compute::Usage;
    let all = load_all();
    let rec = recorded_in(&all, "test_vm_usage.yaml");
    let get = rec
        .iter()
        .find(|r| r.uri.contains("/usages"))
        .expect("usages GET");
    let body = get.response.body.clone().expect("usages body");
    assert!(body.get("nextLink").is_none());
    let listed = body["value"].as_array().map(Vec::len).unwrap_or(0);
    let usages: Vec<Usage> =
        serde_json::from_value(body["value"].clone()).expect("every recorded usage reads");
    assert_eq!((usages.len(), listed), (139, 139));
    let entry = |name: &str| {
        usages
            .iter()
            .find(|u| u.name.value.eq_ignore_ascii_case(name))
            .unwrap_or_else(|| panic!("{name} not read"))
    };
    assert_eq!(
        (entry("cores").current_value, entry("cores").limit),
        (9, 100)
    );
    let dsv2 = entry("standardDSv2Family");
    assert_eq!((dsv2.current_value, dsv2.limit), (5, 100));
    assert_eq!(
        dsv2.name.localized_value.as_deref(),
        Some("Standard DSv2 Family vCPUs")
    );
}

#[test]
fn recorded_peering_writes_are_followed_and_read_as_azure_said() {
    // azure-mgmt-network 19.3.0 (`test_cli_mgmt_network_base`, 2021-05-01): PUT 201 `Updating`
    // with `Azure-AsyncOperation`; DELETE 202 with both URLs, the status URL followed.
    let all = load_all();
    let rec = recorded_in(&all, "test_cli_mgmt_network_base.test_network.yaml");
    let peering = |m: &str| -> Vec<&Recorded> {
        rec.iter()
            .copied()
            .filter(|r| r.method == m && r.uri.contains("/virtualNetworkPeerings/"))
            .collect()
    };
    let put = *peering("PUT").first().expect("peering PUT");
    assert_eq!(put.response.status, 201);
    let Started::Pending(Pending::AsyncOperation { status_url, .. }) =
        started(&put.response, &put.uri, FinalState::Resource)
    else {
        panic!("the peering's 201 was not followed through Azure-AsyncOperation");
    };
    let status_path = status_url.split('?').next().unwrap_or_default().to_string();
    let poll = rec
        .iter()
        .find(|r| r.method == "GET" && r.uri.starts_with(&status_path))
        .expect("the peering's operation status");
    let status = poll
        .response
        .body
        .as_ref()
        .and_then(|b| b["status"].as_str());
    assert!(status.is_some_and(is_terminal), "{status:?}");
    for get in peering("GET") {
        let body = get.response.body.as_ref().expect("peering body");
        // What the console's peering step reads of the result.
        assert_eq!(
            body.pointer("/properties/peeringState"),
            Some(&json!("Initiated"))
        );
    }
    let delete = *peering("DELETE").first().expect("peering DELETE");
    assert_eq!(delete.response.status, 202);
    assert!(matches!(
        started(&delete.response, &delete.uri, FinalState::Nothing),
        Started::Pending(Pending::AsyncOperation { .. })
    ));
}

#[test]
fn recorded_blob_container_answers_are_read_and_show_what_the_console_asks() {
    // azure-mgmt-storage 16.0.0 (`test_cli_mgmt_storage`, 2019-06-01): the create answers 201
    // synchronously with only id, name and type; a later GET shows `publicAccess: None`, what
    // the console's container asks for, so a re-run adopts it instead of writing it again.
    let all = load_all();
    let rec = recorded_in(&all, "test_cli_mgmt_storage.test_storage.yaml");
    let put = rec
        .iter()
        .filter(|r| is_container(r))
        .find(|r| r.method == "PUT")
        .expect("container PUT");
    let Started::Done(Some(created)) = started(&put.response, &put.uri, FinalState::Resource)
    else {
        panic!("the container's 201 was not read as done");
    };
    assert!(
        created["id"]
            .as_str()
            .is_some_and(|id| id.ends_with("/containers/containernamexxyyzz"))
    );
    let get = rec
        .iter()
        .filter(|r| is_container(r))
        .find(|r| r.method == "GET")
        .expect("container GET");
    let shape = serde_json::to_value(super::super::resources::storage::BlobContainer {
        properties: super::super::resources::storage::BlobContainerProperties {
            public_access: "None",
        },
    })
    .expect("container body");
    let existing = get.response.body.clone().expect("container body");
    // Every leaf the console asks for is answered as asked (what its `ensure` adopts).
    let asked = shape.pointer("/properties/publicAccess");
    assert!(asked.is_some());
    assert_eq!(
        existing.pointer("/properties/publicAccess"),
        asked,
        "{existing}"
    );
    let delete = rec
        .iter()
        .filter(|r| is_container(r))
        .find(|r| r.method == "DELETE")
        .expect("container DELETE");
    assert!(matches!(
        started(&delete.response, &delete.uri, FinalState::Nothing),
        Started::Done(_)
    ));
}

/// A blob container's own URL (not its lease, holds or immutability policy).
fn is_container(r: &Recorded) -> bool {
    let path = r.uri.split('?').next().unwrap_or_default();
    path.contains("/blobServices/default/containers/")
        && !path.ends_with("/lease")
        && !path.contains("Hold")
        && !path.contains("immutabilityPolicies")
}
