//! Verification through the gateway's HTTP listener (each host's redirect to HTTPS, from the
//! console and through Run Command) and the gateway's part of the support bundle.

use super::put;
use crate::app_gateway::gateway_sample;
use crate::azure::{World, console, log, start, world};
use crate::helpers::{TestApp, step};
use katonic_console::azure::ArmClient;
use katonic_console::startup::simulator_settings;
use serde_json::{Value, json};

/// A gateway install that succeeded, with its verify step's outputs.
async fn gateway_install(world: &World, app: &TestApp) -> (String, Value) {
    let id = start(app, &gateway_sample(&world.sim, "external", "WAF_v2")).await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(app, &id).await);
    let verify = step(&done, "verify")["outputs"].clone();
    (id, verify)
}

const HOSTS: [&str; 3] = [
    "katonic.example.com",
    "dash-katonic.example.com",
    "connectors-katonic.example.com",
];

/// Each host's `http://` answers 301 to its `https://` with the path and query; a gateway whose
/// HTTP listeners serve the backend instead fails verification, each host named.
#[tokio::test]
async fn verification_checks_each_hosts_redirect_to_https_and_names_a_gateway_without_it() {
    let world = world().await;
    let app = console(&world).await;
    let (id, verify) = gateway_install(&world, &app).await;
    let redirects: Vec<&Value> = verify["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "redirect")
        .collect();
    assert_eq!(redirects.len(), 3, "{verify}");
    for (check, host) in redirects.iter().zip(HOSTS) {
        assert_eq!(check["subject"], host);
        assert_eq!(check["verdict"], "pass", "{check}");
        let wanted = format!(
            "answers 301 to https://{host}/katonic-console/redirect-check?from=verification"
        );
        assert!(
            check["detail"].as_str().unwrap().contains(&wanted),
            "{check}"
        );
    }
    // Someone routes the HTTP listeners to the backend: plain HTTP is served, nothing redirects.
    let arm = ArmClient::new(&simulator_settings(&world.sim)).unwrap();
    let gw_path = format!(
        "/subscriptions/{}/resourceGroups/rg-katonic-prod/providers/Microsoft.Network/applicationGateways/agw-katonic-katonic-prod",
        world.sim.subscription_id
    );
    let api = katonic_console::azure::api::APPLICATION_GATEWAY;
    let mut gw = arm.get(&gw_path, api).await.unwrap().unwrap();
    // Azure never returns the certificate: a PUT of the GET body sends it again.
    let uploaded = uploaded_certificate(&world);
    let cert = &mut gw["properties"]["sslCertificates"][0]["properties"];
    cert["data"] = uploaded["pfx_base64"].clone();
    cert["password"] = uploaded["password"].clone();
    let p = gw["properties"].as_object_mut().unwrap();
    let route = p["requestRoutingRules"][0]["properties"].clone();
    for rule in p["requestRoutingRules"].as_array_mut().unwrap() {
        let r = &mut rule["properties"];
        if r.get("redirectConfiguration").is_some() {
            r.as_object_mut().unwrap().remove("redirectConfiguration");
            r["backendAddressPool"] = route["backendAddressPool"].clone();
            r["backendHttpSettings"] = route["backendHttpSettings"].clone();
        }
    }
    p.insert("redirectConfigurations".into(), json!([]));
    put(&arm, &gw_path, gw, api).await;
    let failed = app.verify_again(&id, &["failed"]).await;
    let error = step(&failed, "verify")["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for host in HOSTS {
        assert!(
            error.contains(&format!("redirect {host}: http://{host} at ")),
            "{host}: {error}"
        );
    }
    assert!(error.contains(", not a redirect to https://"), "{error}");
}

/// The certificate the console uploaded to the gateway (PFX, base64, and its password), as the
/// simulator keeps it beside its state (never in its log or recordings).
fn uploaded_certificate(world: &World) -> Value {
    let kept: Value = serde_json::from_slice(
        &std::fs::read(world.dir.join("simulator/gateway-certificates.json")).unwrap(),
    )
    .unwrap();
    kept.as_object().unwrap().values().next().unwrap()["certificates"][0].clone()
}

/// Every file of the support bundle, by name.
async fn bundle(app: &TestApp, id: &str) -> std::collections::BTreeMap<String, String> {
    use std::io::Read;
    let response = app
        .get(&format!("/installs/{id}/support-bundle.tar.gz"))
        .await;
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_ref()));
    let mut files = std::collections::BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().display().to_string();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        files.insert(name.rsplit('/').next().unwrap().to_string(), text);
    }
    files
}

/// The bundle shows the gateway (states, hosts, backend health) and nothing of its certificate.
#[tokio::test]
async fn the_support_bundle_shows_the_gateways_state_and_never_its_certificate() {
    let world = world().await;
    let app = console(&world).await;
    let (id, _) = gateway_install(&world, &app).await;
    let files = bundle(&app, &id).await;
    let gateway: Value = serde_json::from_str(&files["gateway.json"]).unwrap();
    assert_eq!(gateway["planned"]["hosts"], json!(HOSTS));
    assert_eq!(gateway["created"]["frontend"], "public");
    let seen = &gateway["lastVerified"];
    assert_eq!(seen["provisioningState"], "Succeeded", "{gateway:#}");
    assert_eq!(seen["operationalState"], "Running", "{gateway:#}");
    assert_eq!(seen["sku"], "WAF_v2");
    let backend = gateway["created"]["backendAddress"].as_str().unwrap();
    // One probe per host's backend setting, each of the cluster's internal load balancer.
    assert_eq!(
        seen["backendHealth"]["summary"], "3 of 3 server probe(s) up",
        "{gateway:#}"
    );
    let servers = seen["backendHealth"]["servers"].as_array().unwrap();
    assert!(
        servers.iter().all(|s| s["address"] == backend),
        "{gateway:#}"
    );
    let https_hosts: Vec<&str> = seen["listeners"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["protocol"] == "Https")
        .map(|l| l["hostName"].as_str().unwrap())
        .collect();
    assert_eq!(https_hosts, HOSTS);
    assert!(files["README.txt"].contains("gateway.json"));
    // The PFX and its password the console uploaded (the simulator keeps them beside its
    // state, as Azure keeps them) appear in no file of the bundle.
    let uploaded = uploaded_certificate(&world);
    let secrets = [
        uploaded["pfx_base64"].as_str().unwrap(),
        uploaded["password"].as_str().unwrap(),
    ];
    for secret in secrets {
        assert!(secret.len() >= 12, "a real secret to look for");
        for (name, text) in &files {
            assert!(
                !text.contains(secret),
                "{name} holds the certificate's secret"
            );
        }
    }
}
