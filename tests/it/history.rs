//! History survives restarts; every page works with a plain reload.

use crate::helpers::TestApp;
use serde_json::Value;

#[tokio::test]
async fn installs_and_drafts_survive_a_restart() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("data");
    let app = TestApp::spawn_in(&dir).await;
    let created = app.create_sample().await;
    let draft = app.new_draft().await;
    app.post_form(
        &format!("/installs/{draft}/wizard/azure/check"),
        &[("name", "half-done"), ("azure.location", "westeurope")],
    )
    .await;
    app.stop().await;

    let app = TestApp::spawn_in(&dir).await;
    let html = app.get("/installs").await.text().await.unwrap();
    assert!(
        html.contains("prod") && html.contains("half-done"),
        "{html}"
    );
    assert!(html.contains(&format!("/installs/{created}")));
    let list: Value = app.get("/api/v1/installs").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let page = app
        .get(&format!("/installs/{draft}/wizard/azure"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"value="half-done""#));
    assert!(page.contains(r#"<option value="westeurope" selected>"#));
}

#[tokio::test]
async fn every_page_answers_a_plain_get() {
    let app = TestApp::spawn().await;
    let id = app.create_sample().await;
    let home = app.get("/").await;
    assert_eq!(home.status(), 303);
    for path in [
        "/installs".to_string(),
        format!("/installs/{id}"),
        format!("/installs/{id}/review"),
        format!("/installs/{id}/spec.yaml"),
        "/healthz".to_string(),
    ] {
        let res = app.get(&path).await;
        assert_eq!(res.status(), 200, "{path}");
    }
    let detail = app
        .get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(detail.contains("katonic-prod") && detail.contains("rg-katonic-prod"));
    let missing = app
        .get("/installs/0190b7a8-0000-7000-8000-000000000000")
        .await;
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("no install"));
    assert_eq!(app.get("/no/such/page").await.status(), 404);
}
