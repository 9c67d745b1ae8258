//! Check before queueing (issue 16): the preflight checks run on demand, from the review page
//! and `POST /api/v1/installs/{id}/preflight`, before the install is queued; nothing is created
//! (the simulator's request log shows no write) and nothing is journalled.

use crate::azure::{console, world};
use crate::helpers::{SAMPLE_YAML, TestApp, step};

async fn draft(app: &TestApp, spec: &str) -> String {
    let res = app
        .post_body("/api/v1/installs", "application/yaml", spec)
        .await;
    assert_eq!(res.status(), 201);
    res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Writes other than the token request (Entra ID's token endpoint is a POST that creates
/// nothing).
fn writes(sim: &katonic_sim::SimHandle) -> Vec<String> {
    sim.requests()
        .iter()
        .filter(|r| r.method != "GET" && !r.path.ends_with("/oauth2/v2.0/token"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[tokio::test]
async fn a_spec_preflight_would_refuse_shows_the_refusal_before_queueing_and_creates_nothing() {
    let world = world().await;
    let app = console(&world).await;
    let lts = SAMPLE_YAML
        .replace(
            "3f2c1a9e-8b7d-4c6e-9f01-23456789abcd",
            &world.sim.subscription_id,
        )
        .replace("0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d", &world.sim.tenant_id);
    let id = draft(&app, &lts).await;
    world.sim.clear_requests();

    let res = app
        .post_form(&format!("/api/v1/installs/{id}/preflight"), &[])
        .await;
    assert_eq!(res.status(), 200);
    let report: serde_json::Value = res.json().await.unwrap();
    assert_eq!(report["passed"], false, "{report}");
    assert_eq!(report["checked"], true);
    let checks = report["checks"].as_array().unwrap();
    let version = checks
        .iter()
        .find(|c| c["verdict"] == "fail")
        .unwrap_or_else(|| panic!("a failed check: {report}"));
    assert!(
        version["message"]
            .as_str()
            .unwrap()
            .contains("long-term support"),
        "{version}"
    );
    assert!(
        version["fix"]
            .as_str()
            .unwrap()
            .contains("cluster.tier: premium")
    );
    assert!(
        checks.iter().any(|c| c["verdict"] == "pass"),
        "the passing checks too"
    );

    let review = app
        .get(&format!("/installs/{id}/review"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        review.contains("Run checks"),
        "the review page offers the checks"
    );
    let fragment = app
        .post_form(&format!("/installs/{id}/preflight"), &[])
        .await;
    assert_eq!(fragment.status(), 200);
    let html = fragment.text().await.unwrap();
    assert!(
        html.contains("Preflight would refuse this install"),
        "{html}"
    );
    assert!(html.contains("long-term support"));

    assert!(
        world.sim.requests().iter().any(|r| r.method == "GET"),
        "Azure was read"
    );
    assert_eq!(writes(&world.sim), Vec::<String>::new(), "nothing created");
    let detail = app.detail(&id).await;
    assert_eq!(detail["status"], "draft", "still to queue");
    assert_eq!(
        step(&detail, "preflight")["status"],
        "pending",
        "nothing journalled"
    );
    let log = app
        .get(&format!("/api/v1/installs/{id}/logs"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !log.contains("long-term support"),
        "no event written: {log}"
    );

    let fixed = lts.replace("  kubernetesVersion: \"1.30\"\n", "");
    let good = draft(&app, &fixed).await;
    let res = app
        .post_form(&format!("/api/v1/installs/{good}/preflight"), &[])
        .await;
    let report: serde_json::Value = res.json().await.unwrap();
    assert_eq!(report["passed"], true, "{report}");
}

#[tokio::test]
async fn checks_of_an_invalid_draft_name_its_fields_and_a_rehearsal_says_nothing_was_checked() {
    let app = TestApp::spawn().await;
    let id = app.new_draft().await;
    let res = app
        .post_form(&format!("/api/v1/installs/{id}/preflight"), &[])
        .await;
    assert_eq!(res.status(), 422, "the spec's field errors first");
    let id = app.create_sample().await;
    let res = app
        .post_form(&format!("/api/v1/installs/{id}/preflight"), &[])
        .await;
    assert_eq!(res.status(), 200);
    let report: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        report["checked"], false,
        "scripted steps read no Azure: {report}"
    );
}

#[tokio::test]
async fn test_connection_lists_the_subscriptions_or_says_the_network_is_at_fault() {
    let world = world().await;
    let app = console(&world).await;
    let res = app.post_form("/api/v1/settings/azure/test", &[]).await;
    assert_eq!(res.status(), 200);
    let test: serde_json::Value = res.json().await.unwrap();
    assert_eq!(test["ok"], true, "{test}");
    let listed = test["subscriptions"].to_string();
    assert!(listed.contains(&world.sim.subscription_id), "{test}");
    let settings = app.get("/settings").await.text().await.unwrap();
    assert!(settings.contains("Test connection"));
    let html = app
        .post_form("/settings/test", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Connected") && html.contains(&world.sim.subscription_id),
        "{html}"
    );

    // No route to Entra ID: said so, not "bad credentials".
    let mut settings = katonic_console::startup::simulator_settings(&world.sim);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    settings.authority_host = Some(format!("https://127.0.0.1:{port}"));
    let other = crate::azure::world().await;
    let unreachable = crate::azure::console_with(&other, &settings).await;
    let test: serde_json::Value = unreachable
        .post_form("/api/v1/settings/azure/test", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(test["ok"], false);
    assert_eq!(test["code"], "NoRoute", "{test}");
    assert!(
        test["message"]
            .as_str()
            .unwrap()
            .contains("no connection to Entra ID"),
        "{test}"
    );
}
