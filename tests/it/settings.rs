//! The Azure connection settings page and API: per-field errors, the client secret write-only
//! (shown as set, never rendered or returned, sealed in the database), and an install that
//! picks up settings saved while the console runs (no restart).

use crate::azure;
use crate::helpers::{TestApp, location, step, test_worker};
use katonic_console::azure::Timing;
use katonic_console::startup::{Engine, simulator_settings};
use katonic_console::steps::{ArmSource, AzureSteps, ClusterTimeouts, SettingsSource};
use katonic_console::worker::ScriptedSteps;
use std::sync::Arc;
use std::time::Duration;

const TENANT: &str = "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d";
const CLIENT: &str = "11111111-2222-4333-8444-555555555555";

async fn put_settings(app: &TestApp, body: &serde_json::Value) -> reqwest::Response {
    app.client
        .put(app.url("/api/v1/settings/azure"))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Every file of the data dir, concatenated (database, WAL, key file...).
fn data_dir_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            all.extend(std::fs::read(&path).unwrap());
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn the_page_validates_each_field_and_never_shows_the_secret() {
    let app = TestApp::spawn().await;
    let secret = "page-canary~Wq3.secret-value-0042";

    let page = app.get("/settings").await.text().await.unwrap();
    assert!(
        page.contains(r#"<a href="/settings">Azure settings</a>"#),
        "nav link"
    );
    assert!(page.contains("No client secret is stored"), "{page}");
    assert!(page.contains(r#"type="password""#));

    // Bad values: each field says what is wrong, and the secret entered is not echoed.
    let res = app
        .post_form(
            "/settings",
            &[
                ("credential", "service-principal"),
                ("cloud", "mars"),
                ("tenantId", "contoso"),
                ("clientId", ""),
                ("clientSecret", secret),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("cloud &quot;mars&quot; is not one the console knows")
            || page.contains("cloud \"mars\" is not one"),
        "{page}"
    );
    assert!(page.contains("is not a GUID"), "{page}");
    assert!(
        page.contains("a service principal needs its client id"),
        "{page}"
    );
    assert!(!page.contains(secret), "the secret is not echoed");
    assert!(
        page.contains("contoso"),
        "other values are kept for correction"
    );

    // Saved: the page says a secret is set, never what it is.
    let res = app
        .post_form(
            "/settings",
            &[
                ("credential", "service-principal"),
                ("cloud", "public"),
                ("tenantId", TENANT),
                ("clientId", CLIENT),
                ("clientSecret", secret),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/settings?saved=1");
    let page = app.get("/settings?saved=1").await.text().await.unwrap();
    assert!(page.contains("Settings saved."));
    assert!(
        page.contains("A client secret is set (stored encrypted); enter a new one to replace it."),
        "{page}"
    );
    // The change is audited and listed, without its values.
    assert!(page.contains("Recent changes"), "{page}");
    assert!(
        page.contains("Azure connection: service-principal credential, public cloud"),
        "{page}"
    );
    assert!(page.contains("api token"), "who: {page}");
    assert!(page.contains(TENANT) && page.contains(CLIENT));
    assert!(page.contains(r#"value="clear-secret""#), "a clear action");
    assert!(!page.contains(secret));

    // The API: the secret only as `clientSecretSet`.
    let res = app.get("/api/v1/settings/azure").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(!text.contains(secret));
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["clientSecretSet"], true);
    assert_eq!(body["tenantId"], TENANT);
    assert_eq!(body["credential"], "service-principal");
    let first_revision = body["revision"].as_i64().unwrap();

    // A PUT without a secret keeps it; a wrong one names the field.
    let res = put_settings(
        &app,
        &serde_json::json!({"credential": "service-principal", "cloud": "china",
                            "tenantId": TENANT, "clientId": CLIENT}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["cloud"], "china");
    assert_eq!(body["clientSecretSet"], true);
    assert!(body["revision"].as_i64().unwrap() > first_revision);
    let res = put_settings(
        &app,
        &serde_json::json!({"credential": "service-principal", "tenantId": TENANT,
                            "clientId": CLIENT, "clientSecret": " spaced-secret-value ",
                            "cloud": "public"}),
    )
    .await;
    assert_eq!(res.status(), 422);
    let text = res.text().await.unwrap();
    assert!(!text.contains("spaced-secret-value"), "{text}");
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["errors"][0]["field"], "clientSecret");
    // A body of the wrong shape: 400 naming the position, not the value.
    let res = put_settings(
        &app,
        &serde_json::json!({"clientSecret": ["not-a-string-secret"]}),
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(!res.text().await.unwrap().contains("not-a-string-secret"));

    // Clearing: a service principal then lacks its secret; a managed identity does not need one.
    let res = app
        .post_form(
            "/settings",
            &[
                ("credential", "service-principal"),
                ("tenantId", TENANT),
                ("clientId", CLIENT),
                ("action", "clear-secret"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("needs its client secret and none is stored")
    );
    let res = put_settings(
        &app,
        &serde_json::json!({"credential": "managed-identity", "clearClientSecret": true}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["clientSecretSet"], false);
    assert_eq!(body["credential"], "managed-identity");
    let page = app.get("/settings").await.text().await.unwrap();
    assert!(page.contains("No client secret is stored"));

    // The secret never reached the database files in the clear.
    let dir = app.data_dir_path();
    let _temp = app.stop().await;
    let bytes = data_dir_bytes(&dir);
    assert!(!bytes.is_empty());
    assert!(
        !contains(&bytes, secret),
        "the secret is in a data dir file"
    );
}

/// A console whose Azure steps build their client from the flags (the simulator's endpoints and
/// CA, no credential) joined with the settings page's.
async fn console_with_settings(world: &azure::World) -> TestApp {
    let mut flags = simulator_settings(&world.sim);
    flags.tenant_id = None;
    flags.client_id = None;
    flags.client_secret = None;
    let source = SettingsSource::new(flags).with_timing(Timing {
        min_wait: Duration::from_millis(5),
        max_wait: Duration::from_millis(50),
        tries: 4,
    });
    let executor = Arc::new(
        AzureSteps::with_source(
            ArmSource::Settings(Box::new(source)),
            Arc::new(ScriptedSteps::rehearsal(0.0)),
        )
        .with_timeouts(ClusterTimeouts::scaled(0.0))
        .with_verify(katonic_console::startup::simulated_verify(&world.sim)),
    );
    let engine = Engine {
        executor,
        worker: test_worker(&world.dir.join("data")),
        simulator: None,
    };
    TestApp::spawn_engine(&world.dir.join("data"), engine).await
}

#[tokio::test]
async fn an_install_uses_the_settings_saved_while_the_console_runs() {
    let world = azure::world().await;
    let app = console_with_settings(&world).await;
    let id = azure::start(&app, &azure::sample(&world.sim)).await;
    let detail = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(detail["status"], "failed");
    assert_eq!(step(&detail, "preflight")["status"], "failed", "{detail}");
    let log = azure::log(&app, &id).await;
    assert!(log.contains("ConsoleConfiguration"), "{log}");
    // Every missing setting at once (issue 16), not the first of three.
    for name in ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"] {
        assert!(log.contains(name), "{name}: {log}");
    }
    assert!(
        log.contains("/settings"),
        "the fix names the settings page: {log}"
    );

    // Saved on the settings page: the resumed install signs in with them, no restart.
    let res = put_settings(
        &app,
        &serde_json::json!({
            "credential": "service-principal",
            "cloud": "public",
            "tenantId": world.sim.tenant_id,
            "clientId": world.sim.client_id,
            "clientSecret": world.sim.client_secret,
        }),
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app
        .post_form(&format!("/api/v1/installs/{id}/resume"), &[])
        .await;
    assert_eq!(res.status(), 202);
    let detail = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(
        detail["status"],
        "succeeded",
        "{}",
        azure::log(&app, &id).await
    );

    // A wrong secret saved later is used from the next run on: the token request is refused.
    let res = put_settings(
        &app,
        &serde_json::json!({
            "credential": "service-principal",
            "tenantId": world.sim.tenant_id,
            "clientId": world.sim.client_id,
            "clientSecret": "a-wrong-secret-value-000",
        }),
    )
    .await;
    assert_eq!(res.status(), 200);
    // (A succeeded install runs no step again since issue 16: the next install uses them.)
    let id = azure::start(&app, &azure::sample(&world.sim)).await;
    let detail = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(
        detail["status"],
        "failed",
        "{}",
        azure::log(&app, &id).await
    );
    let log = azure::log(&app, &id).await;
    // Entra ID's refusal, named with its code and what it means.
    assert!(
        log.contains("Entra ID refused the console's credentials (AADSTS7000215)")
            && log.contains("secret's value"),
        "{log}"
    );
    assert!(!log.contains("a-wrong-secret-value-000"), "{log}");
    assert!(!log.contains(&world.sim.client_secret), "{log}");
}
