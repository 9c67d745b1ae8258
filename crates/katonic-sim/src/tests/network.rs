//! VNet, subnet and NSG validation: what the Network RP rejects, and its LRO/concurrency rules.

use serde_json::{Value, json};

use super::harness::Sim;

fn vnet(prefixes: &[&str], subnets: Value) -> Value {
    json!({"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": prefixes}, "subnets": subnets}})
}

#[tokio::test]
async fn vnet_validation_rejects_like_azure() {
    let sim = Sim::start().await;
    sim.create_rg("rg-n").await;
    let url = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/v1?api-version=2025-07-01",
        sim.rg("rg-n")
    );
    let cases = [
        (
            json!({"location": "eastus", "properties": {}}),
            "InvalidAddressSpace",
        ),
        (vnet(&["10.0.0/16"], json!([])), "InvalidAddressPrefix"),
        (vnet(&["10.0.0.5/16"], json!([])), "InvalidCIDRNotation"),
        (
            vnet(&["10.0.0.0/16", "10.0.128.0/17"], json!([])),
            "VnetAddressSpacesOverlap",
        ),
        (
            vnet(
                &["10.0.0.0/16"],
                json!([{"name": "a", "properties": {"addressPrefix": "10.1.0.0/24"}}]),
            ),
            "NetcfgInvalidSubnet",
        ),
        (
            vnet(
                &["10.0.0.0/16"],
                json!([{"name": "a", "properties": {"addressPrefix": "10.0.0.0/30"}}]),
            ),
            "NetcfgInvalidSubnet",
        ),
        (
            vnet(
                &["10.0.0.0/16"],
                json!([{"name": "a", "properties": {"addressPrefix": "10.0.0.0/24"}}, {"name": "b", "properties": {"addressPrefix": "10.0.0.128/25"}}]),
            ),
            "NetcfgSubnetRangesOverlap",
        ),
        (
            vnet(
                &["10.0.0.0/16"],
                json!([{"name": "a", "properties": {"addressPrefix": "10.0.0.0/24", "networkSecurityGroup": {"id": format!("{}/providers/Microsoft.Network/networkSecurityGroups/none", sim.rg("rg-n"))}}}]),
            ),
            "InvalidResourceReference",
        ),
        (
            json!({"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}, "bogus": 1}}),
            "InvalidRequestFormat",
        ),
        (
            json!({"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": "10.0.0.0/16"}}}),
            "InvalidRequestContent",
        ),
        (
            json!({"properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}),
            "LocationRequired",
        ),
    ];
    for (body, code) in cases {
        let r = sim.put(&url, &body).await;
        assert_eq!((r.status, r.code()), (400, code), "{body} -> {}", r.body);
    }
    // Nothing was created by the rejected requests.
    assert_eq!(sim.get(&url).await.status, 404);
}

#[tokio::test]
async fn subnet_child_resource_and_concurrency() {
    let sim = Sim::start_with(|c| c.time_scale = 1000.0).await;
    sim.create_rg("rg-n").await;
    let vnet_url = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/v1",
        sim.rg("rg-n")
    );
    let r = sim
        .put(
            &format!("{vnet_url}?api-version=2025-07-01"),
            &vnet(
                &["10.0.0.0/16"],
                json!([{"name": "a", "properties": {"addressPrefix": "10.0.0.0/24"}}]),
            ),
        )
        .await;
    assert_eq!(r.status, 201);
    // While the VNet is being created, another write to it or a subnet conflicts.
    let again = sim
        .put(
            &format!("{vnet_url}?api-version=2025-07-01"),
            &vnet(&["10.0.0.0/16"], json!([])),
        )
        .await;
    assert_eq!(
        (again.status, again.code()),
        (409, "AnotherOperationInProgress")
    );
    let sub = sim
        .put(
            &format!("{vnet_url}/subnets/b?api-version=2025-07-01"),
            &json!({"properties": {"addressPrefix": "10.0.1.0/24"}}),
        )
        .await;
    assert_eq!(sub.status, 409);
    // The status resource reports InProgress with Retry-After.
    let status = sim.get(&r.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(status.body["status"], "InProgress");
    assert!(status.header("retry-after").is_some());
    assert_eq!(
        sim.get(&format!("{vnet_url}?api-version=2025-07-01"))
            .await
            .state(),
        "Updating"
    );
}

#[tokio::test]
async fn subnet_put_checks_overlap_and_space() {
    let sim = Sim::start().await;
    sim.create_rg("rg-n").await;
    let vnet_url = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/v1",
        sim.rg("rg-n")
    );
    let r = sim
        .put(
            &format!("{vnet_url}?api-version=2025-07-01"),
            &vnet(
                &["10.0.0.0/16"],
                json!([{"name": "a", "properties": {"addressPrefix": "10.0.0.0/24"}}]),
            ),
        )
        .await;
    sim.wait_async(&r).await;
    let overlap = sim
        .put(
            &format!("{vnet_url}/subnets/b?api-version=2025-07-01"),
            &json!({"properties": {"addressPrefix": "10.0.0.128/25"}}),
        )
        .await;
    assert_eq!(overlap.code(), "NetcfgSubnetRangesOverlap");
    let outside = sim
        .put(
            &format!("{vnet_url}/subnets/b?api-version=2025-07-01"),
            &json!({"properties": {"addressPrefix": "192.168.0.0/24"}}),
        )
        .await;
    assert_eq!(outside.code(), "NetcfgInvalidSubnet");
    let ok = sim
        .put(
            &format!("{vnet_url}/subnets/b?api-version=2025-07-01"),
            &json!({"properties": {"addressPrefix": "10.0.1.0/24"}}),
        )
        .await;
    assert_eq!(ok.status, 201);
    sim.wait_async(&ok).await;
    let same = sim
        .put(
            &format!("{vnet_url}/subnets/b?api-version=2025-07-01"),
            &json!({"properties": {"addressPrefix": "10.0.1.0/24"}}),
        )
        .await;
    assert_eq!(same.status, 200);
    let list = sim
        .get(&format!("{vnet_url}/subnets?api-version=2025-07-01"))
        .await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 2);
    let missing = sim
        .get(&format!("{vnet_url}/subnets/zz?api-version=2025-07-01"))
        .await;
    assert_eq!(missing.status, 404);
    let no_vnet = sim
        .get(&format!(
            "{}/providers/Microsoft.Network/virtualNetworks/nope/subnets/a?api-version=2025-07-01",
            sim.rg("rg-n")
        ))
        .await;
    assert_eq!(no_vnet.code(), "ParentResourceNotFound");
    // Deleting a free subnet works: accepted as Azure answers it (202, an operation to poll).
    let deleted = sim
        .delete(&format!("{vnet_url}/subnets/b?api-version=2025-07-01"))
        .await;
    assert_eq!(deleted.status, 202);
    assert_eq!(sim.wait_async(&deleted).await["status"], "Succeeded");
    assert_eq!(
        sim.get(&format!("{vnet_url}/subnets/b?api-version=2025-07-01"))
            .await
            .status,
        404
    );
}

fn rule(name: &str, props: Value) -> Value {
    json!({"name": name, "properties": props})
}

fn base_rule(priority: i64, direction: &str) -> Value {
    json!({"priority": priority, "direction": direction, "access": "Allow", "protocol": "Tcp",
           "sourceAddressPrefix": "*", "sourcePortRange": "*", "destinationAddressPrefix": "10.0.0.0/24", "destinationPortRange": "443"})
}

#[tokio::test]
async fn nsg_rule_validation() {
    let sim = Sim::start().await;
    sim.create_rg("rg-n").await;
    let url = format!(
        "{}/providers/Microsoft.Network/networkSecurityGroups/nsg1?api-version=2025-07-01",
        sim.rg("rg-n")
    );
    let put = |rules: Value| {
        let sim = &sim;
        let url = url.clone();
        async move {
            sim.put(
                &url,
                &json!({"location": "eastus", "properties": {"securityRules": rules}}),
            )
            .await
        }
    };
    let mut both = base_rule(100, "Inbound");
    both["sourceAddressPrefixes"] = json!(["10.1.0.0/24"]);
    let mut neither = base_rule(100, "Inbound");
    neither
        .as_object_mut()
        .unwrap()
        .remove("sourceAddressPrefix");
    let mut bad_port = base_rule(100, "Inbound");
    bad_port["destinationPortRange"] = json!("70000");
    let mut bad_prefix = base_rule(100, "Inbound");
    bad_prefix["sourceAddressPrefix"] = json!("any");
    let mut tag_in_list = base_rule(100, "Inbound");
    tag_in_list
        .as_object_mut()
        .unwrap()
        .remove("sourceAddressPrefix");
    tag_in_list["sourceAddressPrefixes"] = json!(["VirtualNetwork"]);
    let mut bad_protocol = base_rule(100, "Inbound");
    bad_protocol["protocol"] = json!("Sctp");
    let mut no_priority = base_rule(100, "Inbound");
    no_priority.as_object_mut().unwrap().remove("priority");
    let cases = [
        (
            json!([rule("a", base_rule(50, "Inbound"))]),
            "SecurityRuleInvalidPriority",
        ),
        (
            json!([rule("a", base_rule(4097, "Inbound"))]),
            "SecurityRuleInvalidPriority",
        ),
        (
            json!([
                rule("a", base_rule(100, "Inbound")),
                rule("b", base_rule(100, "Inbound"))
            ]),
            "SecurityRuleConflict",
        ),
        (
            json!([rule("a", both)]),
            "SecurityRuleParameterContainsUnsupportedValue",
        ),
        (json!([rule("a", neither)]), "SecurityRuleParameterMissing"),
        (json!([rule("a", bad_port)]), "SecurityRuleInvalidPortRange"),
        (
            json!([rule("a", bad_prefix)]),
            "SecurityRuleInvalidAddressPrefix",
        ),
        (
            json!([rule("a", tag_in_list)]),
            "SecurityRuleParameterContainsUnsupportedValue",
        ),
        (json!([rule("a", bad_protocol)]), "InvalidRequestFormat"),
        (json!([rule("a", no_priority)]), "InvalidRequestFormat"),
    ];
    for (rules, code) in cases {
        let r = put(rules.clone()).await;
        assert_eq!((r.status, r.code()), (400, code), "{rules} -> {}", r.body);
    }
    // Same priority in different directions is fine; enums take canonical casing.
    let mut lower = base_rule(100, "outbound");
    lower["protocol"] = json!("tcp");
    let ok = put(json!([
        rule("a", base_rule(100, "Inbound")),
        rule("b", lower)
    ]))
    .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(
        ok.body["properties"]["securityRules"][1]["properties"]["direction"],
        "Outbound"
    );
    assert_eq!(
        ok.body["properties"]["securityRules"][1]["properties"]["protocol"],
        "Tcp"
    );
}

#[tokio::test]
async fn nsg_in_use_cannot_be_deleted() {
    let sim = Sim::start().await;
    sim.create_rg("rg-n").await;
    let nsg = format!(
        "{}/providers/Microsoft.Network/networkSecurityGroups/nsg1",
        sim.rg("rg-n")
    );
    let r = sim
        .put(
            &format!("{nsg}?api-version=2025-07-01"),
            &json!({"location": "eastus"}),
        )
        .await;
    sim.wait_async(&r).await;
    let vnet_url = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/v1?api-version=2025-07-01",
        sim.rg("rg-n")
    );
    let r = sim.put(&vnet_url, &vnet(&["10.0.0.0/16"], json!([{"name": "a", "properties": {"addressPrefix": "10.0.0.0/24", "networkSecurityGroup": {"id": nsg}}}]))).await;
    sim.wait_async(&r).await;
    let get = sim.get(&format!("{nsg}?api-version=2025-07-01")).await;
    assert_eq!(
        get.body["properties"]["subnets"].as_array().unwrap().len(),
        1
    );
    let del = sim.delete(&format!("{nsg}?api-version=2025-07-01")).await;
    assert_eq!(
        (del.status, del.code()),
        (400, "InUseNetworkSecurityGroupCannotBeDeleted")
    );
    // Detach by re-PUT, then the delete is a 202 LRO polled via Location.
    let r = sim
        .put(
            &vnet_url,
            &vnet(
                &["10.0.0.0/16"],
                json!([{"name": "a", "properties": {"addressPrefix": "10.0.0.0/24"}}]),
            ),
        )
        .await;
    assert_eq!(r.status, 200);
    sim.wait_async(&r).await;
    let del = sim.delete(&format!("{nsg}?api-version=2025-07-01")).await;
    assert_eq!(del.status, 202);
    assert_eq!(sim.wait_location(&del).await.status, 204);
    assert_eq!(
        sim.get(&format!("{nsg}?api-version=2025-07-01"))
            .await
            .status,
        404
    );
}
