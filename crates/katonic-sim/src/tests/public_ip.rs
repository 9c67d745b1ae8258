//! Public IP addresses: what the Network RP rejects, immutability, addresses; and how the
//! Kubernetes side's cloud provider uses one that a Service names.

use serde_json::{Value, json};

use super::harness::{NETWORK_CONTRIBUTOR, Sim, assert_valid};
use super::kube::cluster;

fn pip_url(sim: &Sim, rg: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/publicIPAddresses/{name}?api-version=2025-07-01",
        sim.rg(rg)
    )
}

fn standard(location: &str, zones: &[&str]) -> Value {
    json!({"location": location, "sku": {"name": "Standard", "tier": "Regional"}, "zones": zones,
        "properties": {"publicIPAllocationMethod": "Static", "publicIPAddressVersion": "IPv4"}})
}

#[tokio::test]
async fn public_ip_rules_are_azures() {
    let sim = Sim::start().await;
    sim.register_all().await;
    sim.create_rg("rg-p").await;
    let url = pip_url(&sim, "rg-p", "pip1");
    let cases = [
        (
            json!({"location": "eastus", "sku": {"name": "Standard"}, "properties": {"publicIPAllocationMethod": "Dynamic"}}),
            "StandardAndStandardV2SkuPublicIPAddressesMustBeStatic",
        ),
        (
            json!({"location": "eastus", "sku": {"name": "Basic"}, "zones": ["1"]}),
            "ZonesNotAllowedInBasicSkuResource",
        ),
        (standard("eastus", &["1", "4"]), "InvalidAvailabilityZone"),
        (
            standard("westus", &["1"]),
            "LocationNotSupportAvailabilityZones",
        ),
        (
            json!({"location": "eastus", "sku": {"name": "Standard"}, "properties": {"bogus": 1}}),
            "InvalidRequestFormat",
        ),
        (
            json!({"location": "eastus", "sku": {"name": "Standard"}, "zones": "1"}),
            "InvalidRequestContent",
        ),
    ];
    for (body, code) in cases {
        let r = sim.put(&url, &body).await;
        assert_eq!((r.status, r.code()), (400, code), "{body} -> {}", r.body);
    }
    assert_eq!(sim.get(&url).await.status, 404, "nothing was created");

    // A valid one: created as a long-running operation, with a static address from the start.
    let body = standard("eastus", &["1", "2"]);
    let r = sim.put(&url, &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_valid("PublicIPAddresses_CreateOrUpdate", &r);
    assert!(r.header("azure-asyncoperation").is_some());
    assert_eq!(sim.wait_async(&r).await["status"], "Succeeded");
    let got = sim.get(&url).await;
    assert_valid("PublicIPAddresses_Get", &got);
    assert_eq!(got.state(), "Succeeded");
    let address = got.body["properties"]["ipAddress"]
        .as_str()
        .unwrap()
        .to_string();
    let ip: std::net::Ipv4Addr = address.parse().unwrap();
    assert_eq!(ip.octets()[..2], [127, 79], "{address}");
    assert_eq!(got.body["zones"], json!(["1", "2"]));

    // The same PUT again changes nothing and starts nothing.
    let again = sim.put(&url, &body).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.header("azure-asyncoperation").is_none());
    assert_eq!(again.body["properties"]["ipAddress"], address.as_str());

    // SKU and zones are fixed.
    let mut basic = body.clone();
    basic["sku"]["name"] = json!("Basic");
    basic.as_object_mut().unwrap().remove("zones");
    basic["properties"]["publicIPAllocationMethod"] = json!("Static");
    let r = sim.put(&url, &basic).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "SkuCannotBeChangedOnUpdate"),
        "{}",
        r.body
    );
    let r = sim.put(&url, &standard("eastus", &["1"])).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "ResourceAvailabilityZonesCannotBeModified"),
        "{}",
        r.body
    );

    // Another address for another IP; a deleted IP is gone.
    let other = pip_url(&sim, "rg-p", "pip2");
    let r = sim.put(&other, &standard("eastus", &["1", "2"])).await;
    assert_eq!(r.status, 201, "{}", r.body);
    sim.wait_async(&r).await;
    let second = sim.get(&other).await.body["properties"]["ipAddress"].clone();
    assert!(second.is_string() && second != json!(address), "{second}");
    let r = sim.delete(&other).await;
    assert_eq!(r.status, 202, "{}", r.body);
    sim.wait_location(&r).await;
    assert_eq!(sim.get(&other).await.status, 404);
}

#[tokio::test]
async fn a_service_naming_a_public_ip_takes_its_address_once_the_cluster_may_use_it() {
    let sim = Sim::start().await;
    let k = cluster(&sim).await;
    sim.create_rg("rg-ip").await;
    let url = pip_url(&sim, "rg-ip", "pip-web");
    let r = sim.put(&url, &standard("eastus", &["1", "2"])).await;
    assert_eq!(r.status, 201, "{}", r.body);
    sim.wait_async(&r).await;
    let address = sim.get(&url).await.body["properties"]["ipAddress"]
        .as_str()
        .unwrap()
        .to_string();
    k.post(
        "/api/v1/namespaces",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}}),
    )
    .await;
    let service = |name: &str, pip: &str| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "annotations": {
            "service.beta.kubernetes.io/azure-pip-name": pip,
            "service.beta.kubernetes.io/azure-load-balancer-resource-group": "rg-ip"}},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 443}]}})
    };
    let warning = |name: &str| {
        format!(
            "/api/v1/namespaces/web/events?fieldSelector=involvedObject.name%3D{name},reason%3DSyncLoadBalancerFailed"
        )
    };
    let has_items = |e: &Value| e["items"].as_array().is_some_and(|i| !i.is_empty());

    // A name that is not there: no address, the provider's warning.
    let r = k
        .post(
            "/api/v1/namespaces/web/services",
            service("missing", "pip-nope"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let events = k.until(&warning("missing"), has_items).await;
    let message = events["items"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "PublicIP from annotation azure-pip-name=pip-nope for service web/missing doesn't exist"
        ),
        "{message}"
    );

    // The IP exists in another resource group, but the cluster identity has no role there.
    let r = k
        .post("/api/v1/namespaces/web/services", service("web", "pip-web"))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let events = k.until(&warning("web"), has_items).await;
    let message = events["items"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("AuthorizationFailed") && message.contains("pip-web"),
        "{message}"
    );
    let svc = k.get("/api/v1/namespaces/web/services/web").await.body;
    assert!(svc["status"]["loadBalancer"]["ingress"].is_null(), "{svc}");

    // Network Contributor on the group: the Service gets the IP's address.
    let identity = sim
        .get(&format!(
            "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aks?api-version=2023-01-31",
            sim.rg("rg-a")
        ))
        .await;
    let principal = identity.body["properties"]["principalId"].as_str().unwrap();
    sim.assign(&sim.rg("rg-ip"), NETWORK_CONTRIBUTOR, principal)
        .await;
    let svc = k
        .until("/api/v1/namespaces/web/services/web", |s| {
            s["status"]["loadBalancer"]["ingress"][0]["ip"].is_string()
        })
        .await;
    assert_eq!(
        svc["status"]["loadBalancer"]["ingress"][0]["ip"],
        address.as_str()
    );
    let missing = k.get("/api/v1/namespaces/web/services/missing").await.body;
    assert!(
        missing["status"]["loadBalancer"]["ingress"].is_null(),
        "{missing}"
    );
}

/// A DNS label gets Azure's name for it, `<label>.<region>.cloudapp.azure.com` (issue 15).
#[tokio::test]
async fn a_dns_label_gets_its_fqdn() {
    let sim = Sim::start().await;
    sim.create_rg("rg-p").await;
    let mut body = standard("eastus", &[]);
    body["properties"]["dnsSettings"] = json!({"domainNameLabel": "Katonic-Ingress"});
    let r = sim.put(&pip_url(&sim, "rg-p", "pip-dns"), &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body["properties"]["dnsSettings"]["fqdn"],
        "katonic-ingress.eastus.cloudapp.azure.com"
    );
    assert_valid("PublicIPAddresses_CreateOrUpdate", &r);
}
