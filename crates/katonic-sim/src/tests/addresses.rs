//! Who holds which address of a subnet: `CheckIPAddressAvailability`, a subnet's
//! `ipConfigurations`, and an internal load balancer refused an address another resource holds.

use serde_json::json;

use super::harness::Sim;
use super::kube::{cluster, internal_ingress_at};
use crate::ConsoleNetwork;

const NET: &str = "api-version=2025-07-01";

#[tokio::test]
async fn a_taken_address_is_named_by_azures_answers_and_refused_to_a_load_balancer() {
    let sim = Sim::start().await;
    let k = cluster(&sim).await;
    let vnet = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/vnet",
        sim.rg("rg-a")
    );
    let subnet = format!("{vnet}/subnets/snet-aks");
    // A VM the admin runs in the nodes' subnet: its NIC holds 10.20.0.4 (statically here).
    sim.h
        .place_console(Some(subnet.parse::<ConsoleNetwork>().unwrap()))
        .unwrap();
    let check = |ip: &str| {
        let url = format!("{vnet}/CheckIPAddressAvailability?ipAddress={ip}&{NET}");
        let sim = &sim;
        async move { sim.get(&url).await }
    };
    let taken = check("10.20.0.4").await;
    assert_eq!(taken.status, 200, "{}", taken.body);
    assert_eq!(taken.body["available"], false);
    assert_eq!(taken.body["isPlatformReserved"], false);
    // The two nodes and the API server's endpoint took the next three; five free ones follow.
    assert_eq!(
        taken.body["availableIPAddresses"],
        json!([
            "10.20.0.8",
            "10.20.0.9",
            "10.20.0.10",
            "10.20.0.11",
            "10.20.0.12"
        ])
    );
    assert_eq!(check("10.20.0.5").await.body["available"], false);
    let free = check("10.20.0.254").await.body;
    assert_eq!(
        free,
        json!({"available": true, "isPlatformReserved": false})
    );
    let reserved = check("10.20.0.3").await.body;
    assert_eq!(reserved["isPlatformReserved"], true);
    assert_eq!(reserved["available"], false);
    assert_eq!(check("not-an-ip").await.status, 400);
    // The subnet lists the NIC's configuration among its users.
    let s = sim.get(&format!("{subnet}?{NET}")).await;
    let configs = s.body["properties"]["ipConfigurations"].to_string();
    assert!(configs.contains("/networkInterfaces/"), "{configs}");

    internal_ingress_at(&k, "10.20.0.4").await;
    let events = k
        .until("/api/v1/namespaces/katonic/events?fieldSelector=involvedObject.name%3Dingress-nginx,reason%3DSyncLoadBalancerFailed", |e| {
            e["items"].as_array().is_some_and(|i| !i.is_empty())
        })
        .await
        .to_string();
    assert!(events.contains("PrivateIPAddressInUse"), "{events}");
    assert!(events.contains("/networkInterfaces/"), "{events}");
    let svc = k
        .get("/api/v1/namespaces/katonic/services/ingress-nginx")
        .await;
    assert!(
        svc.body["status"]["loadBalancer"]["ingress"].is_null(),
        "{}",
        svc.body
    );
}
