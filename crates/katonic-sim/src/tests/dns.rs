//! DNS and Private DNS zones: record sets need their zone, each service reads its own spelling,
//! names and TTLs are checked, responses match Microsoft's specs.

use serde_json::json;

use super::harness::{Sim, assert_valid};

const PRIVATE: &str = "2024-06-01";
const PUBLIC: &str = "2018-05-01";

fn zone_url(sim: &Sim, kind: &str, zone: &str, version: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/{kind}/{zone}?api-version={version}",
        sim.rg("rg-dns")
    )
}

fn record_url(sim: &Sim, kind: &str, zone: &str, name: &str, version: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/{kind}/{zone}/A/{name}?api-version={version}",
        sim.rg("rg-dns")
    )
}

#[tokio::test]
async fn a_record_set_needs_its_zone() {
    let sim = Sim::start().await;
    sim.create_rg("rg-dns").await;
    let body = json!({"properties": {"ttl": 300, "aRecords": [{"ipv4Address": "10.0.0.1"}]}});
    let r = sim
        .put(
            &record_url(&sim, "privateDnsZones", "example.com", "katonic", PRIVATE),
            &body,
        )
        .await;
    assert_eq!((r.status, r.code()), (404, "ParentResourceNotFound"));
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("privateDnsZones/example.com' could not be found"),
        "{}",
        r.body
    );
    assert_eq!(
        sim.get(&zone_url(&sim, "privateDnsZones", "example.com", PRIVATE))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn private_zone_records_and_links() {
    let sim = Sim::start().await;
    sim.create_rg("rg-dns").await;
    let zone = sim
        .put(
            &zone_url(&sim, "privateDnsZones", "example.com", PRIVATE),
            &json!({"location": "eastus"}),
        )
        .await;
    assert_eq!(zone.code(), "LocationNotAvailableForResourceType");
    let zone = sim
        .put(
            &zone_url(&sim, "privateDnsZones", "example.com", PRIVATE),
            &json!({"location": "global"}),
        )
        .await;
    // Private DNS answers every zone PUT as a long-running operation (Azure CLI recording).
    assert_eq!(zone.status, 202, "{}", zone.body);
    assert_eq!(zone.body, json!({}));
    assert!(zone.header("azure-asyncoperation").is_some());
    assert!(zone.header("location").is_some());
    assert_valid("PrivateDns.PrivateZones_CreateOrUpdate", &zone);

    let url = record_url(&sim, "privateDnsZones", "example.com", "katonic", PRIVATE);
    // Public DNS's spelling is not Private DNS's: the record set has no A records then.
    let r = sim
        .put(
            &url,
            &json!({"properties": {"TTL": 300, "ARecords": [{"ipv4Address": "10.0.0.1"}]}}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let body = json!({"properties": {"ttl": 300, "aRecords": [{"ipv4Address": "10.0.0.1"}],
        "metadata": {"managed-by": "katonic-console"}}});
    let r = sim.put(&url, &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_valid("PrivateDns.RecordSets_CreateOrUpdate", &r);
    assert_eq!(r.body["properties"]["fqdn"], "katonic.example.com.");
    assert_eq!(sim.put(&url, &body).await.status, 200);
    let got = sim.get(&url).await;
    assert_valid("PrivateDns.RecordSets_Get", &got);
    assert_eq!(
        got.body["properties"]["aRecords"][0]["ipv4Address"],
        "10.0.0.1"
    );

    for (bad, says) in [
        (
            json!({"properties": {"ttl": 0, "aRecords": []}}),
            "ttl property",
        ),
        (
            json!({"properties": {"ttl": 300, "aRecords": [{"ipv4Address": "10.0.0.300"}]}}),
            "IPv4",
        ),
    ] {
        let r = sim.put(&url, &bad).await;
        assert_eq!(r.status, 400, "{bad}");
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains(says),
            "{}",
            r.body
        );
    }
    let r = sim
        .put(
            &record_url(&sim, "privateDnsZones", "example.com", "bad..name", PRIVATE),
            &body,
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'bad..name' is invalid")
    );

    let links = format!(
        "{}/providers/Microsoft.Network/privateDnsZones/example.com/virtualNetworkLinks",
        sim.rg("rg-dns")
    );
    let vnet = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/vnet",
        sim.rg("rg-net")
    );
    let link = sim
        .put(
            &format!("{links}/to-vnet?api-version={PRIVATE}"),
            &json!({"location": "global", "properties": {"virtualNetwork": {"id": vnet}, "registrationEnabled": false}}),
        )
        .await;
    // A long-running operation, as the zone's PUT (Azure CLI recording).
    assert_eq!(link.status, 202, "{}", link.body);
    assert!(link.header("azure-asyncoperation").is_some());
    assert_valid("PrivateDns.VirtualNetworkLinks_CreateOrUpdate", &link);
    let list = sim.get(&format!("{links}?api-version={PRIVATE}")).await;
    assert_valid("PrivateDns.VirtualNetworkLinks_List", &list);
    assert_eq!(
        list.body["value"][0]["properties"]["virtualNetwork"]["id"],
        vnet
    );
    let zone = sim
        .get(&zone_url(&sim, "privateDnsZones", "example.com", PRIVATE))
        .await;
    assert_valid("PrivateDns.PrivateZones_Get", &zone);
    assert_eq!(zone.body["properties"]["numberOfRecordSets"], 2);
    assert_eq!(zone.body["properties"]["numberOfVirtualNetworkLinks"], 1);

    assert_eq!(sim.delete(&url).await.status, 200);
    assert_eq!(sim.get(&url).await.status, 404);
    // The public api-version is not Private DNS's.
    assert_eq!(
        sim.get(&zone_url(&sim, "privateDnsZones", "example.com", PUBLIC))
            .await
            .code(),
        "NoRegisteredProviderFound"
    );
}

#[tokio::test]
async fn public_zone_records_use_their_own_spelling() {
    let sim = Sim::start().await;
    sim.create_rg("rg-dns").await;
    let zone = sim
        .put(
            &zone_url(&sim, "dnsZones", "example.com", PUBLIC),
            &json!({"location": "global", "tags": {"a": "b"}}),
        )
        .await;
    assert_eq!(zone.status, 201, "{}", zone.body);
    assert_valid("Dns.Zones_CreateOrUpdate", &zone);
    assert_eq!(
        sim.put(
            &zone_url(&sim, "dnsZones", "com", PUBLIC),
            &json!({"location": "global"})
        )
        .await
        .code(),
        "BadRequest"
    );
    let url = record_url(&sim, "dnsZones", "example.com", "@", PUBLIC);
    let r = sim
        .put(
            &url,
            &json!({"properties": {"ttl": 300, "aRecords": [{"ipv4Address": "20.1.2.3"}]}}),
        )
        .await;
    assert_eq!(r.status, 400, "private spelling refused: {}", r.body);
    // Only a TTL: accepted, with no records (Azure's answer, issue 15).
    let empty = record_url(&sim, "dnsZones", "example.com", "empty", PUBLIC);
    let r = sim.put(&empty, &json!({"properties": {"TTL": 300}})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.body["properties"].get("ARecords").is_none(), "{}", r.body);
    let r = sim
        .put(
            &url,
            &json!({"properties": {"TTL": 300, "ARecords": [{"ipv4Address": "20.1.2.3"}]}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_valid("Dns.RecordSets_CreateOrUpdate", &r);
    assert_eq!(r.body["properties"]["fqdn"], "example.com.");
    let got = sim.get(&url).await;
    assert_valid("Dns.RecordSets_Get", &got);
    let zone = sim
        .get(&zone_url(&sim, "dnsZones", "example.com", PUBLIC))
        .await;
    assert_valid("Dns.Zones_Get", &zone);
    // NS, SOA, `@` and the empty `empty`.
    assert_eq!(zone.body["properties"]["numberOfRecordSets"], 4);
}

#[tokio::test]
async fn linked_private_records_are_answered_as_dns_json() {
    let sim = Sim::start().await;
    sim.create_rg("rg-dns").await;
    let zone = zone_url(&sim, "privateDnsZones", "example.com", PRIVATE);
    assert_eq!(
        sim.put(&zone, &json!({"location": "global"})).await.status,
        202
    );
    let record = record_url(&sim, "privateDnsZones", "example.com", "katonic", PRIVATE);
    let body = json!({"properties": {"ttl": 300, "aRecords": [{"ipv4Address": "10.20.0.7"}]}});
    assert_eq!(sim.put(&record, &body).await.status, 201);
    // An unlinked private zone resolves nowhere, as in Azure. (The console's DnsJsonResolver
    // reads these answers; its own test is in the console's integration tests.)
    let unlinked = sim.get("/dns-query?name=katonic.example.com&type=A").await;
    assert_eq!(unlinked.status, 200, "{}", unlinked.body);
    assert!(a_records(&unlinked.body).is_empty(), "{}", unlinked.body);
    let link = format!(
        "{}/providers/Microsoft.Network/privateDnsZones/example.com/virtualNetworkLinks/to-vnet?api-version={PRIVATE}",
        sim.rg("rg-dns")
    );
    let vnet = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/vnet",
        sim.rg("rg-net")
    );
    let linked = sim
        .put(
            &link,
            &json!({"location": "global", "properties": {"virtualNetwork": {"id": vnet}, "registrationEnabled": false}}),
        )
        .await;
    assert_eq!(linked.status, 202, "{}", linked.body);
    let linked = sim.get("/dns-query?name=katonic.example.com&type=A").await;
    assert_eq!(
        a_records(&linked.body),
        vec!["10.20.0.7"],
        "{}",
        linked.body
    );
    let missing = sim.get("/dns-query?name=nothere.example.com&type=A").await;
    assert_eq!((missing.status, &missing.body["Status"]), (200, &json!(3)));
    let aaaa = sim
        .get("/dns-query?name=katonic.example.com&type=AAAA")
        .await;
    assert_eq!(aaaa.status, 400);
}

/// The addresses of an `application/dns-json` answer's A records (type 1).
fn a_records(answer: &serde_json::Value) -> Vec<&str> {
    answer["Answer"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["type"] == 1)
        .filter_map(|a| a["data"].as_str())
        .collect()
}

/// One VNet resolves one zone per name: a second link to a same-named zone is a Conflict until
/// the first link is deleted (a Private DNS long-running delete).
#[tokio::test]
async fn a_vnet_links_one_zone_of_a_name_and_links_can_be_deleted() {
    let sim = Sim::start().await;
    let vnet = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/vnet",
        sim.rg("rg-net")
    );
    let link_url = |rg: &str| {
        format!(
            "{}/providers/Microsoft.Network/privateDnsZones/example.com/virtualNetworkLinks/to-vnet?api-version={PRIVATE}",
            sim.rg(rg)
        )
    };
    let body = json!({"location": "global", "properties": {"virtualNetwork": {"id": vnet}, "registrationEnabled": false}});
    for rg in ["rg-dns", "rg-other"] {
        sim.create_rg(rg).await;
        let zone = format!(
            "{}/providers/Microsoft.Network/privateDnsZones/example.com?api-version={PRIVATE}",
            sim.rg(rg)
        );
        let made = sim.put(&zone, &json!({"location": "global"})).await;
        sim.wait_async(&made).await;
    }
    let first = sim.put(&link_url("rg-dns"), &body).await;
    assert_eq!(first.status, 202, "{}", first.body);
    sim.wait_async(&first).await;
    let clash = sim.put(&link_url("rg-other"), &body).await;
    assert_eq!(
        (clash.status, clash.code()),
        (409, "Conflict"),
        "{}",
        clash.body
    );

    let gone = sim.delete(&link_url("rg-dns")).await;
    assert_eq!(gone.status, 202, "{}", gone.body);
    sim.wait_async(&gone).await;
    assert_eq!(sim.get(&link_url("rg-dns")).await.status, 404);
    let second = sim.put(&link_url("rg-other"), &body).await;
    assert_eq!(second.status, 202, "{}", second.body);
}
