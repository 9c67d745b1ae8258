//! Application Gateways, WAF policies, subscription features and backend health (issue 17).

use base64::Engine;
use serde_json::{Value, json};

use super::harness::{Sim, assert_valid};

pub(super) const NET: &str = "api-version=2025-07-01";
/// A canary password: it must never reach the request log, recordings or `state.json`.
pub(super) const PASSWORD: &str = "canary-pfx-password-9f3";

/// `cert` and its key as a legacy-suite PFX under `PASSWORD` (what the console uploads), base64.
pub(super) fn pfx(cert: &rcgen::CertifiedKey<rcgen::KeyPair>) -> String {
    use p12_keystore::{
        Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKey,
        PrivateKeyChain,
    };
    let key = PrivateKey::from_der(&cert.signing_key.serialize_der()).unwrap();
    let leaf = Certificate::from_der(cert.cert.der()).unwrap();
    let mut store = KeyStore::new();
    store.add_entry(
        "install",
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(b"k1".to_vec(), key, [leaf])),
    );
    let der = store
        .writer(PASSWORD)
        .encryption_algorithm(EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
        .mac_algorithm(MacAlgorithm::HmacSha1)
        .write()
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(der)
}

pub(super) fn gw_url(sim: &Sim, rg: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Network/applicationGateways/{name}",
        sim.rg(rg)
    )
}

/// `snet-appgw` (`prefix`) in `rg-a`'s VNet, and a Standard static public IP in `zones`.
pub(super) async fn gateway_network(sim: &Sim, prefix: &str, zones: Value) -> (String, String) {
    gateway_network_named(sim, "snet-appgw", prefix, zones).await
}

pub(super) async fn gateway_network_named(
    sim: &Sim,
    name: &str,
    prefix: &str,
    zones: Value,
) -> (String, String) {
    let vnet = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/vnet",
        sim.rg("rg-a")
    );
    let subnet = format!("{vnet}/subnets/{name}");
    let r = sim
        .put(
            &format!("{subnet}?{NET}"),
            &json!({"properties": {"addressPrefix": prefix}}),
        )
        .await;
    assert!(r.status == 201 || r.status == 200, "{}", r.body);
    sim.wait_async(&r).await;
    let pip = format!(
        "{}/providers/Microsoft.Network/publicIPAddresses/pip-agw",
        sim.rg("rg-a")
    );
    let r = sim
        .put(
            &format!("{pip}?{NET}"),
            &json!({"location": "eastus", "sku": {"name": "Standard"}, "zones": zones,
                "properties": {"publicIPAllocationMethod": "Static"}}),
        )
        .await;
    assert!(r.status == 201 || r.status == 200, "{}", r.body);
    if r.header("azure-asyncoperation").is_some() {
        sim.wait_async(&r).await;
    }
    (subnet, pip)
}

/// A gateway as the console describes one: v2, autoscaling, zones, a public frontend, an
/// A gateway `name` in `rg-a` for `host`, its subnet `snet-appgw` (10.20.2.0/24) and public IP
/// in `zones`, its certificate uploaded, HTTPS to 10.20.0.50: (gateway URL, subnet, public IP,
/// PUT body).
async fn new_gateway(
    sim: &Sim,
    name: &str,
    host: &str,
    zones: Value,
) -> (String, String, String, Value) {
    let (subnet, pip) = gateway_network(sim, "10.20.2.0/24", zones).await;
    let gw = gw_url(sim, "rg-a", name);
    let cert = rcgen::generate_simple_self_signed(vec![host.into()]).unwrap();
    let body = gateway_body(&gw, (&subnet, &pip), host, "10.20.0.50", (&pfx(&cert), ""));
    (gw, subnet, pip, body)
}

/// HTTPS listener for `host` with an uploaded PFX, HTTP redirected, HTTPS to `backend`.
pub(super) fn gateway_body(
    gw: &str,
    (subnet, pip): (&str, &str),
    host: &str,
    backend: &str,
    (pfx, root): (&str, &str),
) -> Value {
    let sub = |c: &str, n: &str| json!({"id": format!("{gw}/{c}/{n}")});
    json!({
        "location": "eastus",
        "zones": ["1", "2", "3"],
        "properties": {
            "sku": {"name": "Standard_v2", "tier": "Standard_v2"},
            "autoscaleConfiguration": {"minCapacity": 2, "maxCapacity": 10},
            "gatewayIPConfigurations": [{"name": "gwip", "properties": {"subnet": {"id": subnet}}}],
            "frontendIPConfigurations": [{"name": "fe-public", "properties": {"publicIPAddress": {"id": pip}}}],
            "frontendPorts": [{"name": "p443", "properties": {"port": 443}}, {"name": "p80", "properties": {"port": 80}}],
            "sslCertificates": [{"name": "install-cert", "properties": {"data": pfx, "password": PASSWORD}}],
            "trustedRootCertificates": [{"name": "cluster-root", "properties": {"data": root}}],
            "probes": [{"name": "health", "properties": {"protocol": "Https", "host": host, "path": "/healthz",
                "interval": 30, "timeout": 30, "unhealthyThreshold": 3}}],
            "backendAddressPools": [{"name": "ingress", "properties": {"backendAddresses": [{"ipAddress": backend}]}}],
            "backendHttpSettingsCollection": [{"name": "https", "properties": {"port": 443, "protocol": "Https",
                "cookieBasedAffinity": "Disabled", "requestTimeout": 30, "pickHostNameFromBackendAddress": false,
                "probe": sub("probes", "health"), "trustedRootCertificates": [sub("trustedRootCertificates", "cluster-root")]}}],
            "httpListeners": [
                {"name": "https-main", "properties": {"frontendIPConfiguration": sub("frontendIPConfigurations", "fe-public"),
                    "frontendPort": sub("frontendPorts", "p443"), "protocol": "Https", "hostName": host,
                    "sslCertificate": sub("sslCertificates", "install-cert"), "requireServerNameIndication": true}},
                {"name": "http-main", "properties": {"frontendIPConfiguration": sub("frontendIPConfigurations", "fe-public"),
                    "frontendPort": sub("frontendPorts", "p80"), "protocol": "Http", "hostName": host}}],
            "redirectConfigurations": [{"name": "to-https", "properties": {"redirectType": "Permanent",
                "targetListener": sub("httpListeners", "https-main"), "includePath": true, "includeQueryString": true}}],
            "requestRoutingRules": [
                {"name": "main", "properties": {"ruleType": "Basic", "priority": 100, "httpListener": sub("httpListeners", "https-main"),
                    "backendAddressPool": sub("backendAddressPools", "ingress"), "backendHttpSettings": sub("backendHttpSettingsCollection", "https")}},
                {"name": "redirect", "properties": {"ruleType": "Basic", "priority": 200, "httpListener": sub("httpListeners", "http-main"),
                    "redirectConfiguration": sub("redirectConfigurations", "to-https")}}]
        }
    })
}

#[tokio::test]
async fn a_gateway_is_a_long_create_and_keeps_its_certificate_secret() {
    let dir = tempfile::tempdir().unwrap();
    let recordings = dir.path().join("recordings");
    let rec = recordings.clone();
    let sim = Sim::start_in(dir, move |c| c.record_dir = Some(rec)).await;
    sim.network_env("rg-a", "10.20.0.0/24").await;
    let (gw, subnet, pip, body) = new_gateway(
        &sim,
        "agw-katonic",
        "katonic.example.com",
        json!(["1", "2", "3"]),
    )
    .await;
    let r = sim.put(&format!("{gw}?{NET}"), &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.state(), "Updating");
    assert!(r.header("azure-asyncoperation").is_some());
    assert!(!r.body.to_string().contains(PASSWORD));
    assert_eq!(sim.wait_async(&r).await["status"], "Succeeded");
    let got = sim.get(&format!("{gw}?{NET}")).await;
    assert_eq!(got.status, 200);
    assert_valid("ApplicationGateways_Get", &got);
    let p = &got.body["properties"];
    assert_eq!(p["provisioningState"], "Succeeded");
    assert_eq!(p["operationalState"], "Running");
    assert_eq!(p["sku"]["name"], "Standard_v2");
    let cert = &p["sslCertificates"][0]["properties"];
    assert!(cert["publicCertData"].is_string(), "{cert}");
    assert!(
        cert["data"].is_null() && cert["password"].is_null(),
        "{cert}"
    );
    assert_eq!(
        p["redirectConfigurations"][0]["properties"]["requestRoutingRules"][0]["id"],
        format!("{gw}/requestRoutingRules/redirect")
    );
    let list = sim
        .get(&format!(
            "{}/providers/Microsoft.Network/applicationGateways?{NET}",
            sim.rg("rg-a")
        ))
        .await;
    assert_eq!(list.body["value"][0]["name"], "agw-katonic");
    let logged = format!("{:?}", sim.h.requests());
    assert!(
        !logged.contains(PASSWORD),
        "the password reached the request log"
    );
    let state = std::fs::read_to_string(sim.dir.path().join("state.json")).unwrap();
    assert!(!state.contains(PASSWORD), "the password reached state.json");
    let mut recorded = 0;
    for f in std::fs::read_dir(&recordings).unwrap() {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        assert!(!text.contains(PASSWORD), "the password reached a recording");
        recorded += usize::from(text.contains("applicationGateways/agw-katonic"));
    }
    assert!(recorded > 0, "the gateway calls are recorded");
    // The same PUT again changes nothing; a new PFX under the same name is an update.
    let again = sim.put(&format!("{gw}?{NET}"), &body).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.header("azure-asyncoperation").is_none());
    let renewed = rcgen::generate_simple_self_signed(vec!["katonic.example.com".into()]).unwrap();
    let renewed = super::app_gateway::pfx(&renewed);
    let body = gateway_body(
        &gw,
        (&subnet, &pip),
        "katonic.example.com",
        "10.20.0.50",
        (&renewed, ""),
    );
    let update = sim.put(&format!("{gw}?{NET}"), &body).await;
    assert_eq!(update.status, 200, "{}", update.body);
    assert!(update.header("azure-asyncoperation").is_some());
    sim.wait_async(&update).await;
    let del = sim.delete(&format!("{gw}?{NET}")).await;
    assert_eq!(del.status, 202);
    assert!(del.header("location").is_some());
    assert_eq!(sim.wait_location(&del).await.status, 204);
    assert_eq!(sim.get(&format!("{gw}?{NET}")).await.status, 404);
}

/// PUT `body` changed by `edit`; the simulator must refuse it with `code`.
async fn refused(sim: &Sim, gw: &str, body: &Value, edit: impl Fn(&mut Value), code: &str) {
    let mut b = body.clone();
    edit(&mut b);
    let r = sim.put(&format!("{gw}?{NET}"), &b).await;
    assert_eq!(r.status, 400, "{code}: {}", r.body);
    assert_eq!(r.code(), code, "{}", r.body);
}

#[tokio::test]
async fn what_azure_refuses_in_a_gateway_is_refused() {
    let sim = Sim::start().await;
    sim.network_env("rg-a", "10.20.0.0/24").await;
    let (gw, subnet, _pip, body) =
        new_gateway(&sim, "agw", "k.example.com", json!(["1", "2"])).await;
    let sku = |v: &mut Value| {
        v["properties"]["sku"] =
            json!({"name": "Standard_Medium", "tier": "Standard", "capacity": 2})
    };
    refused(
        &sim,
        &gw,
        &body,
        sku,
        "ApplicationGatewayV1SkuCreationNotAllowed",
    )
    .await;
    // The public IP is in zones 1 and 2 only; the gateway asks for 1, 2 and 3.
    refused(
        &sim,
        &gw,
        &body,
        |_| {},
        "ApplicationGatewayPublicIpZonesNotSupersetOfGatewayZones",
    )
    .await;
    let zones = |v: &mut Value| v["zones"] = json!(["1", "2"]);
    let no_priority = |v: &mut Value| {
        zones(v);
        v["properties"]["requestRoutingRules"][0]["properties"]["priority"] = Value::Null;
    };
    refused(
        &sim,
        &gw,
        &body,
        no_priority,
        "ApplicationGatewayRequestRoutingRulePriorityCannotBeEmpty",
    )
    .await;
    let dangling = |v: &mut Value| {
        zones(v);
        v["properties"]["requestRoutingRules"][0]["properties"]["backendAddressPool"]["id"] =
            json!(format!("{gw}/backendAddressPools/nope"));
    };
    refused(&sim, &gw, &body, dangling, "InvalidResourceReference").await;
    let no_password = |v: &mut Value| {
        zones(v);
        v["properties"]["sslCertificates"][0]["properties"]["password"] = Value::Null;
    };
    refused(
        &sim,
        &gw,
        &body,
        no_password,
        "ApplicationGatewaySslCertificatePasswordMustBeSpecified",
    )
    .await;
    let too_big = |v: &mut Value| {
        zones(v);
        v["properties"]["autoscaleConfiguration"]["maxCapacity"] = json!(125);
    };
    let small = gateway_network_named(&sim, "snet-small", "10.20.3.0/26", json!(["1", "2"]))
        .await
        .0;
    let in_small = |v: &mut Value| {
        too_big(v);
        v["properties"]["gatewayIPConfigurations"][0]["properties"]["subnet"]["id"] = json!(small);
    };
    refused(&sim, &gw, &body, in_small, "SubnetTooSmall").await;
    let aks = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet-jump",
        sim.rg("rg-a")
    );
    sim.h
        .place_console(Some(crate::ConsoleNetwork::Subnet(aks.clone())))
        .unwrap();
    let shared = |v: &mut Value| {
        zones(v);
        v["properties"]["gatewayIPConfigurations"][0]["properties"]["subnet"]["id"] = json!(aks);
    };
    refused(
        &sim,
        &gw,
        &body,
        shared,
        "ApplicationGatewaySubnetCannotHaveOtherResources",
    )
    .await;
    let private_outside = |v: &mut Value| {
        zones(v);
        v["properties"]["frontendIPConfigurations"] = json!([{"name": "fe-private", "properties": {
            "privateIPAllocationMethod": "Static", "privateIPAddress": "10.20.9.10", "subnet": {"id": subnet}}}]);
        v["properties"]["httpListeners"] = json!([]);
        v["properties"]["requestRoutingRules"] = json!([]);
        v["properties"]["redirectConfigurations"] = json!([]);
    };
    refused(
        &sim,
        &gw,
        &body,
        private_outside,
        "PrivateIPAddressNotInSubnet",
    )
    .await;
    // Private only: refused while the subscription lacks the network-isolation feature.
    sim.h
        .set_feature(
            "Microsoft.Network",
            "EnableApplicationGatewayNetworkIsolation",
            false,
        )
        .unwrap();
    let private_only = |v: &mut Value| {
        private_outside(v);
        v["properties"]["frontendIPConfigurations"][0]["properties"]["privateIPAddress"] =
            json!("10.20.2.10");
    };
    refused(
        &sim,
        &gw,
        &body,
        private_only,
        "ApplicationGatewayFeatureCannotBeEnabledForSelectedSku",
    )
    .await;
    sim.h
        .set_feature(
            "Microsoft.Network",
            "EnableApplicationGatewayNetworkIsolation",
            true,
        )
        .unwrap();
    let mut b = body.clone();
    private_only(&mut b);
    let r = sim.put(&format!("{gw}?{NET}"), &b).await;
    assert_eq!(r.status, 201, "{}", r.body);
    sim.wait_async(&r).await;
    // Provisioned, its private frontend is served at its loopback alias.
    let front = sim.h.reachable_address("10.20.2.10".parse().unwrap());
    assert_eq!(front.octets()[..2], [127, 76]);
    let target = std::net::SocketAddr::from((front, sim.h.ingress_https_port()));
    let mut served = false;
    for _ in 0..100 {
        // The controllers' next tick serves it.
        if tokio::net::TcpStream::connect(target).await.is_ok() {
            served = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(served, "the private frontend is not served at {target}");
}

#[tokio::test]
async fn a_waf_policy_of_another_region_is_refused_and_its_own_is_used() {
    let sim = Sim::start().await;
    sim.network_env("rg-a", "10.20.0.0/24").await;
    let (subnet, pip) = gateway_network(&sim, "10.20.2.0/24", json!(["1", "2", "3"])).await;
    let policy = |loc: &str| {
        json!({"location": loc, "properties": {"policySettings": {"mode": "Prevention", "state": "Enabled"},
            "managedRules": {"managedRuleSets": [{"ruleSetType": "Microsoft_DefaultRuleSet", "ruleSetVersion": "2.1"}]}}})
    };
    let base = format!(
        "{}/providers/Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies",
        sim.rg("rg-a")
    );
    for (name, loc) in [("waf-west", "westus"), ("waf-east", "eastus")] {
        let r = sim.put(&format!("{base}/{name}?{NET}"), &policy(loc)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.state(), "Updating");
        assert_eq!(sim.wait_async(&r).await["status"], "Succeeded");
    }
    let bad = sim.put(&format!("{base}/waf-bad?{NET}"), &json!({"location": "eastus", "properties": {
        "policySettings": {"mode": "Block"}, "managedRules": {"managedRuleSets": [{"ruleSetType": "OWASP", "ruleSetVersion": "3.2"}]}}})).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let gw = gw_url(&sim, "rg-a", "agw");
    let cert = rcgen::generate_simple_self_signed(vec!["k.example.com".into()]).unwrap();
    let pfx = pfx(&cert);
    let mut body = gateway_body(
        &gw,
        (&subnet, &pip),
        "k.example.com",
        "10.20.0.50",
        (&pfx, ""),
    );
    body["properties"]["sku"] = json!({"name": "WAF_v2", "tier": "WAF_v2"});
    body["properties"]["firewallPolicy"] = json!({"id": format!("{base}/waf-west")});
    let r = sim.put(&format!("{gw}?{NET}"), &body).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "InvalidResourceReference"),
        "{}",
        r.body
    );
    body["properties"]["firewallPolicy"] = json!({"id": format!("{base}/waf-east")});
    let r = sim.put(&format!("{gw}?{NET}"), &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let p = sim.get(&format!("{base}/waf-east?{NET}")).await;
    assert_eq!(p.body["properties"]["applicationGateways"][0]["id"], gw);
    assert_eq!(p.body["properties"]["policySettings"]["mode"], "Prevention");
}

#[tokio::test]
async fn the_network_isolation_feature_reads_and_registers_as_azure_answers() {
    let sim = Sim::start().await;
    let url = format!(
        "{}/providers/Microsoft.Features/providers/Microsoft.Network/features/EnableApplicationGatewayNetworkIsolation",
        sim.sub()
    );
    let r = sim.get(&format!("{url}?api-version=2021-07-01")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["properties"]["state"], "Registered");
    assert_eq!(r.body["type"], "Microsoft.Features/providers/features");
    assert_eq!(
        r.body["name"],
        "Microsoft.Network/EnableApplicationGatewayNetworkIsolation"
    );
    sim.h
        .set_feature(
            "Microsoft.Network",
            "EnableApplicationGatewayNetworkIsolation",
            false,
        )
        .unwrap();
    let r = sim.get(&format!("{url}?api-version=2021-07-01")).await;
    assert_eq!(r.body["properties"]["state"], "NotRegistered");
    let r = sim
        .post(&format!("{url}/register?api-version=2021-07-01"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["properties"]["state"], "Registering");
    // Time scale 0: registered by the next read.
    let r = sim.get(&format!("{url}?api-version=2021-07-01")).await;
    assert_eq!(r.body["properties"]["state"], "Registered");
    let r = sim.get(&format!("{url}?api-version=2019-01-01")).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn the_gateways_subnet_and_public_ip_cannot_go_before_it() {
    let sim = Sim::start().await;
    sim.network_env("rg-a", "10.20.0.0/24").await;
    let (gw, subnet, pip, body) =
        new_gateway(&sim, "agw", "k.example.com", json!(["1", "2", "3"])).await;
    let r = sim.put(&format!("{gw}?{NET}"), &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    sim.wait_async(&r).await;
    let r = sim.delete(&format!("{pip}?{NET}")).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "PublicIPAddressCannotBeDeleted"),
        "{}",
        r.body
    );
    let shown = sim.get(&format!("{subnet}?{NET}")).await;
    assert_eq!(
        shown.body["properties"]["applicationGatewayIPConfigurations"][0]["id"],
        format!("{gw}/gatewayIPConfigurations/gwip"),
        "{}",
        shown.body
    );
    assert_valid("Subnets_Get", &shown);
    let r = sim.delete(&format!("{subnet}?{NET}")).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "InUseSubnetCannotBeDeleted"),
        "{}",
        r.body
    );
    let r = sim.delete(&format!("{gw}?{NET}")).await;
    assert_eq!(sim.wait_location(&r).await.status, 204);
    let r = sim.delete(&format!("{pip}?{NET}")).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let r = sim.delete(&format!("{subnet}?{NET}")).await;
    assert_eq!(r.status, 202, "{}", r.body);
}
