//! The Application Gateway in front of the cluster (issue 17), through the real ARM client
//! against the simulator: full rehearsals with the gateway, external (public frontend) and
//! internal (private-only frontend), and the refusal of a private-only gateway when the
//! subscription lacks the network isolation feature.
//!
//! The two rehearsals need the simulator's `Microsoft.Network/applicationGateways`, its WAF
//! policies and `Microsoft.Features` (helper H3's work); against a simulator without them the
//! app-gateway step (or, internal, preflight) fails with Azure's `InvalidResourceType` /
//! `InvalidResourceNamespace`.

use crate::azure::{console, log, puts, sample, start, world};
use serde_json::Value;

/// The sample with the gateway on, facing `lb` (`internal` | `external`), on `sku`.
pub(crate) fn gateway_sample(sim: &katonic_sim::SimHandle, lb: &str, sku: &str) -> String {
    let waf = if sku == "WAF_v2" {
        ", wafMode: Detection"
    } else {
        ""
    };
    sample(sim).replace(
        "ingress: { loadBalancer: internal }",
        &format!(
            "ingress: {{ loadBalancer: {lb}, gateway: applicationGateway, applicationGateway: {{ sku: {sku}{waf}, minCapacity: 2, maxCapacity: 4 }} }}"
        ),
    )
}

/// The last request body PUT to a path ending with `suffix` (lower case).
fn put_body(sim: &katonic_sim::SimHandle, suffix: &str) -> Value {
    sim.requests()
        .into_iter()
        .filter(|r| {
            r.method == "PUT" && r.status < 400 && r.path.to_ascii_lowercase().ends_with(suffix)
        })
        .filter_map(|r| r.request_body)
        .next_back()
        .unwrap_or_else(|| panic!("no PUT to {suffix}"))
}

/// The install's outputs of `step`.
async fn outputs(app: &crate::helpers::TestApp, id: &str, step: &str) -> Value {
    let detail = app.detail(id).await;
    crate::helpers::step(&detail, step)["outputs"].clone()
}

/// What every gateway rehearsal checks: one PUT each, the gateway's shape, the hosts' DNS at
/// its frontend, and no secret of its certificate anywhere the console writes.
async fn check_rehearsal(
    world: &crate::azure::World,
    app: &crate::helpers::TestApp,
    id: &str,
    sku: &str,
) -> Value {
    let detail = app.wait_status(id, &["succeeded", "failed"]).await;
    assert_eq!(detail["status"], "succeeded", "{}", log(app, id).await);
    let counts = puts(&world.sim);
    for suffix in [
        "/applicationgateways/agw-katonic-katonic-prod",
        "/networksecuritygroups/nsg-appgw-katonic-prod",
        "/virtualnetworks/vnet-katonic-prod",
    ] {
        let n: usize = counts
            .iter()
            .filter(|(p, _)| p.ends_with(suffix))
            .map(|(_, n)| *n)
            .sum();
        assert_eq!(n, 1, "{suffix}: {counts:#?}");
    }
    let gw = put_body(&world.sim, "/applicationgateways/agw-katonic-katonic-prod");
    let p = &gw["properties"];
    assert_eq!(p["sku"]["name"], sku);
    assert_eq!(p["autoscaleConfiguration"]["maxCapacity"], 4);
    let hosts: Vec<&str> = p["httpListeners"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["properties"]["protocol"] == "Https")
        .map(|l| l["properties"]["hostName"].as_str().unwrap())
        .collect();
    assert_eq!(
        hosts,
        [
            "katonic.example.com",
            "dash-katonic.example.com",
            "connectors-katonic.example.com"
        ]
    );
    // The backend is the cluster's internal load balancer, on the plan's address.
    let backend = p["backendAddressPools"][0]["properties"]["backendAddresses"][0]["ipAddress"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(backend.starts_with("10.20.0."), "{backend}");
    let gateway = outputs(app, id, "app-gateway").await;
    let frontend = gateway["frontendAddress"].as_str().unwrap().to_string();
    let whole_log = log(app, id).await;
    assert!(
        whole_log.contains(&format!("dash-katonic.example.com. 300 IN A {frontend}")),
        "DNS must point at the gateway's frontend {frontend}:\n{whole_log}"
    );
    // The ingress Service is internal on the gateway's backend address.
    assert!(
        whole_log.contains(&format!("load balancer address: {backend}")),
        "{whole_log}"
    );
    // The PFX and its password went only into the request body: no event, output or log line
    // of the console has them.
    let data = p["sslCertificates"][0]["properties"]["data"]
        .as_str()
        .unwrap_or_default();
    let password = p["sslCertificates"][0]["properties"]["password"]
        .as_str()
        .unwrap_or_default();
    let detail_text = detail.to_string();
    assert!(!whole_log.contains("sslCertificates") && !detail_text.contains("sslCertificates"));
    // The simulator's log may hold them redacted already; real values are checked.
    let real = |s: &&str| s.len() >= 12 && !s.to_ascii_lowercase().contains("redacted");
    for secret in [data, password].into_iter().filter(real) {
        assert!(!whole_log.contains(secret));
        assert!(!detail_text.contains(secret));
    }
    // Every request and answer, the gateway's and its WAF policy's included, as Microsoft's
    // specs describe them (oav, when installed).
    crate::azure::validate_with_oav(&world.dir.join("traffic"));
    gw
}

/// Needs H3's simulator gateway.
#[tokio::test]
async fn an_external_install_puts_a_waf_gateway_with_a_public_frontend_in_front() {
    let world = world().await;
    let app = console(&world).await;
    let id = start(&app, &gateway_sample(&world.sim, "external", "WAF_v2")).await;
    let gw = check_rehearsal(&world, &app, &id, "WAF_v2").await;
    let frontend = &gw["properties"]["frontendIPConfigurations"][0]["properties"];
    assert!(
        frontend["publicIPAddress"]["id"]
            .as_str()
            .unwrap()
            .ends_with("/publicIPAddresses/pip-katonic-prod-ingress"),
        "{frontend}"
    );
    assert!(
        gw["properties"]["firewallPolicy"]["id"]
            .as_str()
            .unwrap()
            .ends_with(
                "/ApplicationGatewayWebApplicationFirewallPolicies/waf-katonic-katonic-prod"
            )
    );
    let policy = put_body(
        &world.sim,
        "/applicationgatewaywebapplicationfirewallpolicies/waf-katonic-katonic-prod",
    );
    assert_eq!(policy["properties"]["policySettings"]["mode"], "Detection");
    // Its NSG lets the Internet reach the listeners and GatewayManager manage v2.
    let nsg = put_body(&world.sim, "/networksecuritygroups/nsg-appgw-katonic-prod").to_string();
    assert!(
        nsg.contains("\"GatewayManager\"") && nsg.contains("\"Internet\""),
        "{nsg}"
    );
    torn_down_with_the_gateway(&world, &app, &id).await;
}

/// Teardown removes the gateway, its WAF policy, its public IP and its subnet's NSG (with the
/// VNet), the gateway before the IP it holds and the policy it names.
async fn torn_down_with_the_gateway(
    world: &crate::azure::World,
    app: &crate::helpers::TestApp,
    id: &str,
) {
    let preview: Value = app
        .get(&format!("/api/v1/installs/{id}/teardown"))
        .await
        .json()
        .await
        .unwrap();
    let count = preview["deleting"].as_u64().unwrap();
    world.sim.clear_requests();
    let body = serde_json::json!({"confirm": "prod", "expected": count}).to_string();
    let teardown = app.tear_down(id, &body).await;
    let done = app.wait_status(&teardown, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(app, &teardown).await);
    let deletes: Vec<String> = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE" && r.status < 400)
        .map(|r| r.path.to_ascii_lowercase())
        .collect();
    let at = |suffix: &str| {
        deletes
            .iter()
            .position(|p| p.ends_with(suffix))
            .unwrap_or_else(|| panic!("no DELETE of {suffix}: {deletes:#?}"))
    };
    let gateway = at("/applicationgateways/agw-katonic-katonic-prod");
    let policy = "/applicationgatewaywebapplicationfirewallpolicies/waf-katonic-katonic-prod";
    assert!(gateway < at(policy));
    assert!(gateway < at("/publicipaddresses/pip-katonic-prod-ingress"));
    assert!(
        at("/virtualnetworks/vnet-katonic-prod")
            < at("/networksecuritygroups/nsg-appgw-katonic-prod")
    );
}

/// Needs H3's simulator gateway (and its Microsoft.Features answer, Registered by default).
#[tokio::test]
async fn an_internal_install_puts_a_private_only_gateway_in_front() {
    let world = world().await;
    let app = console(&world).await;
    let id = start(&app, &gateway_sample(&world.sim, "internal", "Standard_v2")).await;
    let gw = check_rehearsal(&world, &app, &id, "Standard_v2").await;
    let frontend = &gw["properties"]["frontendIPConfigurations"][0]["properties"];
    assert_eq!(frontend["privateIPAllocationMethod"], "Static");
    assert!(frontend.get("publicIPAddress").is_none(), "{frontend}");
    let address = frontend["privateIPAddress"].as_str().unwrap();
    let gateway = outputs(&app, &id, "app-gateway").await;
    assert_eq!(gateway["frontendAddress"], address);
    assert_eq!(gateway["frontend"], "private");
    // No public IP at all, and no GatewayManager rule (network isolation).
    assert!(
        !puts(&world.sim)
            .keys()
            .any(|p| p.contains("/publicipaddresses/"))
    );
    let nsg = put_body(&world.sim, "/networksecuritygroups/nsg-appgw-katonic-prod").to_string();
    assert!(
        !nsg.contains("GatewayManager") && !nsg.contains("\"Internet\""),
        "{nsg}"
    );
}

/// Runs against any simulator: the feature is forced absent.
#[tokio::test]
async fn a_private_only_gateway_without_network_isolation_is_refused_before_any_write() {
    let world = world().await;
    world.sim.set_faults(katonic_sim::FaultPlan {
        rules: vec![katonic_sim::FaultRule {
            name: Some("feature not registered".into()),
            method: Some("GET".into()),
            path: "/providers/Microsoft.Features/providers/Microsoft.Network/features/EnableApplicationGatewayNetworkIsolation$".into(),
            nth: None,
            every: None,
            times: None,
            action: katonic_sim::FaultAction::Error {
                status: 404,
                code: "FeatureNotFound".into(),
                message: "The feature is not registered.".into(),
            },
        }],
    });
    let app = console(&world).await;
    let id = start(&app, &gateway_sample(&world.sim, "internal", "Standard_v2")).await;
    let detail = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(detail["status"], "failed");
    let whole_log = log(&app, &id).await;
    assert!(
        whole_log.contains("FAIL gateway network isolation")
            && whole_log.contains(
                "az feature register --namespace Microsoft.Network --name EnableApplicationGatewayNetworkIsolation"
            ),
        "{whole_log}"
    );
    assert!(
        puts(&world.sim).is_empty(),
        "nothing is written: {:#?}",
        puts(&world.sim)
    );
}

/// A console outside Azure behind a private-only gateway: `auto` resolves Run Command, and the
/// verification probes each host at the gateway's private frontend from inside the cluster (a
/// pod in the VNet reaches it; the console could not).
#[tokio::test]
async fn outside_azure_the_private_gateway_is_verified_through_run_command() {
    use crate::placement::{console_placed, from_imds, place};
    let world = world().await;
    place(&world, katonic_sim::ConsoleNetwork::Outside);
    let app = console_placed(&world, from_imds(&world)).await;
    let id = start(&app, &gateway_sample(&world.sim, "internal", "Standard_v2")).await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &id).await);
    assert_eq!(done["clusterAccess"], "runCommand");
    let frontend = outputs(&app, &id, "app-gateway").await["frontendAddress"].clone();
    let verify = outputs(&app, &id, "verify").await;
    assert_eq!(verify["address"], frontend);
    let https: Vec<&Value> = verify["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "https")
        .collect();
    assert_eq!(https.len(), 3, "{verify}");
    assert!(https.iter().all(|c| c["verdict"] == "pass"), "{verify}");
    // Each host's HTTP redirect is asked from inside the cluster too.
    let redirects: Vec<&Value> = verify["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "redirect")
        .collect();
    assert_eq!(redirects.len(), 3, "{verify}");
    for check in redirects {
        assert_eq!(check["verdict"], "pass", "{check}");
        let detail = check["detail"].as_str().unwrap();
        assert!(
            detail.contains("(probed from inside the cluster) answers 301 to https://"),
            "{detail}"
        );
    }
    // The probes went through Run Command, not from the console.
    let commands: Vec<String> = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/runCommand"))
        .filter_map(|r| r.request_body)
        .map(|b| b.to_string())
        .collect();
    let curls = commands
        .iter()
        .filter(|b| b.contains("curl -sS -o /dev/null -w '%{http_code} %{redirect_url}'"))
        .count();
    assert!(curls >= 3, "{curls} HTTP probes through Run Command");
}
