//! Where the console runs: the metadata service answers only a console on an Azure VM, and a
//! private API server only a console in its VNet or in a peered VNet linked to its DNS zone.

use reqwest::Method;
use serde_json::json;

use super::harness::Sim;
use super::kube::cluster;
use crate::ConsoleNetwork;

const NET: &str = "2025-07-01";

fn subnet(sim: &Sim, rg: &str, vnet: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/{name}",
        sim.rg(rg)
    )
}

fn vnet_of(subnet: &str) -> &str {
    &subnet[..subnet.rfind("/subnets/").unwrap()]
}

/// IMDS's instance document, or `None` when the connection fails.
async fn instance(sim: &Sim, metadata: bool) -> Option<super::harness::Resp> {
    let headers: &[(&str, &str)] = if metadata {
        &[("Metadata", "true")]
    } else {
        &[]
    };
    sim.raw(
        Method::GET,
        "/metadata/instance?api-version=2021-02-01",
        None,
        headers,
        false,
    )
    .await
    .ok()
}

/// Whether the cluster's API server answers at all (any HTTP status; auth is not the point).
async fn api_answers(sim: &Sim) -> bool {
    sim.raw(Method::GET, "/kubernetes/aks1/version", None, &[], false)
        .await
        .is_ok()
}

#[tokio::test]
async fn the_metadata_service_answers_only_a_console_on_an_azure_vm() {
    let sim = Sim::start().await;
    assert!(instance(&sim, true).await.is_none(), "unplaced: no IMDS");
    sim.h.place_console(Some(ConsoleNetwork::Outside)).unwrap();
    assert!(instance(&sim, true).await.is_none(), "outside: no IMDS");

    let jump = subnet(&sim, "rg-jump", "vnet-jump", "snet-jump");
    sim.h
        .place_console(Some(jump.parse::<ConsoleNetwork>().unwrap()))
        .unwrap();
    let refused = instance(&sim, false).await.unwrap();
    assert_eq!(refused.status, 400, "{}", refused.body);
    let doc = instance(&sim, true).await.unwrap();
    assert_eq!(doc.status, 200, "{}", doc.body);
    let vm_id = doc.body["compute"]["resourceId"].as_str().unwrap();
    assert_eq!(doc.body["compute"]["resourceGroupName"], "rg-jump");
    assert_eq!(
        doc.body["network"]["interface"][0]["ipv4"]["ipAddress"][0]["privateIpAddress"],
        "10.250.0.4"
    );
    // Through ARM: the VM's NIC, the NIC's subnet, the subnet's VNet (created for the console).
    let vm = sim.get(&format!("{vm_id}?api-version=2025-04-01")).await;
    assert_eq!(vm.status, 200, "{}", vm.body);
    let nic_id = vm.body["properties"]["networkProfile"]["networkInterfaces"][0]["id"]
        .as_str()
        .unwrap();
    let nic = sim.get(&format!("{nic_id}?api-version={NET}")).await;
    assert_eq!(
        nic.body["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"],
        jump.as_str()
    );
    let vnet = sim
        .get(&format!("{}?api-version={NET}", vnet_of(&jump)))
        .await;
    assert_eq!(
        vnet.body["properties"]["addressSpace"]["addressPrefixes"],
        json!(["10.250.0.0/16"])
    );
    // Beside the console's subnet, a free one a rehearsal can put a cluster in.
    let subnets: Vec<_> = vnet.body["properties"]["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].clone(), s["properties"]["addressPrefix"].clone()))
        .collect();
    assert_eq!(subnets.len(), 2, "{subnets:?}");
    assert_eq!(subnets[1], (json!("snet-cluster"), json!("10.250.1.0/24")));
    // The console's VM is not something a client may write.
    let put = sim
        .put(
            &format!("{vm_id}?api-version=2025-04-01"),
            &json!({"location": "eastus"}),
        )
        .await;
    assert_eq!(put.status, 405, "{}", put.body);
    assert!(
        "/subscriptions/x/resourceGroups/y"
            .parse::<ConsoleNetwork>()
            .is_err()
    );
}

#[tokio::test]
async fn a_private_api_server_answers_only_its_vnet_or_a_peered_vnet_linked_to_its_zone() {
    let sim = Sim::start().await;
    let _kube = cluster(&sim).await;
    assert!(
        api_answers(&sim).await,
        "unplaced: every API server answers"
    );

    sim.h.place_console(Some(ConsoleNetwork::Outside)).unwrap();
    assert!(!api_answers(&sim).await, "outside the VNet");
    let hung = sim
        .h
        .requests()
        .into_iter()
        .any(|r| r.path == "/kubernetes/aks1/version" && r.status == 0);
    assert!(hung, "the refused connection is in the request log");

    // The jumphost subnet of the cluster's own VNet (the vendor guide's layout).
    let inside = subnet(&sim, "rg-a", "vnet", "snet-jump");
    sim.h.place_console(Some(inside.parse().unwrap())).unwrap();
    assert!(api_answers(&sim).await, "inside the cluster's VNet");

    // Another VNet: out of sight until peered both ways AND linked to the cluster's zone.
    let other = subnet(&sim, "rg-console", "vnet-console", "snet-console");
    sim.h.place_console(Some(other.parse().unwrap())).unwrap();
    assert!(!api_answers(&sim).await, "another VNet");
    let cluster_vnet = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/vnet",
        sim.rg("rg-a")
    );
    let console_vnet = vnet_of(&other).to_string();
    let peer = |from: String, to: String| {
        let sim = &sim;
        async move {
            sim.put(
                &format!("{from}/virtualNetworkPeerings/to-peer?api-version={NET}"),
                &json!({"properties": {"remoteVirtualNetwork": {"id": to}, "allowVirtualNetworkAccess": true}}),
            )
            .await
        }
    };
    let one_way = peer(console_vnet.clone(), cluster_vnet.clone()).await;
    assert_eq!(one_way.status, 201, "{}", one_way.body);
    assert_eq!(one_way.body["properties"]["peeringState"], "Initiated");
    assert!(!api_answers(&sim).await, "peered one way only");
    let back = peer(cluster_vnet.clone(), console_vnet.clone()).await;
    assert_eq!(back.body["properties"]["peeringState"], "Connected");
    let listed = sim.get(&format!("{console_vnet}?api-version={NET}")).await;
    assert_eq!(
        listed.body["properties"]["virtualNetworkPeerings"][0]["name"],
        "to-peer"
    );
    assert!(
        !api_answers(&sim).await,
        "peered, but the zone is not linked"
    );

    // AKS made the zone in the node resource group; link it to the console's VNet.
    let cluster = sim
        .get(&format!(
            "{}?api-version=2025-10-01",
            sim.cluster_url("rg-a", "aks1")
        ))
        .await;
    let node_rg = cluster.body["properties"]["nodeResourceGroup"]
        .as_str()
        .unwrap();
    let fqdn = cluster.body["properties"]["privateFQDN"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        sim.h.dns().resolve_a(&fqdn).is_empty(),
        "the zone answers only linked VNets"
    );
    let link = sim
        .put(
            &format!(
                "{}/providers/Microsoft.Network/privateDnsZones/privatelink.eastus.azmk8s.io/virtualNetworkLinks/console?api-version=2024-06-01",
                sim.rg(node_rg)
            ),
            &json!({"location": "global", "properties": {"virtualNetwork": {"id": console_vnet}, "registrationEnabled": false}}),
        )
        .await;
    assert!(link.status < 300, "{}", link.body);
    assert!(api_answers(&sim).await, "peered and linked");
    assert_eq!(sim.h.dns().resolve_a(&fqdn).len(), 1);
}

#[tokio::test]
async fn peering_overlapping_address_spaces_is_refused() {
    let sim = Sim::start().await;
    let _ = sim.network_env("rg-a", "10.20.0.0/24").await;
    // A VNet with the same 10.20.0.0/16 as the cluster's.
    sim.create_rg("rg-b").await;
    let vnet_b = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/vnet-b",
        sim.rg("rg-b")
    );
    let r = sim
        .put(
            &format!("{vnet_b}?api-version={NET}"),
            &json!({"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.20.0.0/16"]},
                "subnets": [{"name": "snet", "properties": {"addressPrefix": "10.20.0.0/24"}}]}}),
        )
        .await;
    assert!(r.status < 300, "{}", r.body);
    sim.wait_async(&r).await;
    let cluster_vnet = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/vnet",
        sim.rg("rg-a")
    );
    let refused = sim
        .put(
            &format!("{vnet_b}/virtualNetworkPeerings/p?api-version={NET}"),
            &json!({"properties": {"remoteVirtualNetwork": {"id": cluster_vnet}}}),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.code(), "VnetAddressSpacesOverlap");
}
