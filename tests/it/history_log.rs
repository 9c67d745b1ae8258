//! History reads like a log of one install each: no empty drafts from **New install**, clones
//! named `prod-2`, `prod-3`… that carry the uploaded certificate, drafts that can be deleted
//! (and nothing else can). Teardowns as runs of their install: `next_steps.rs` (it needs one).

use crate::helpers::{SAMPLE_YAML, TestApp, location};
use katonic_console::store::{InstallId, SecretName};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

async fn listed(app: &TestApp) -> Vec<Value> {
    let list: Value = app.get("/api/v1/installs").await.json().await.unwrap();
    list.as_array().unwrap().clone()
}

async fn clone_of(app: &TestApp, id: &str) -> String {
    let res = app.post_form(&format!("/installs/{id}/clone"), &[]).await;
    assert_eq!(res.status(), 303);
    location(&res)
        .strip_prefix("/installs/")
        .and_then(|r| r.strip_suffix("/wizard/azure"))
        .unwrap()
        .to_string()
}

async fn audit_page(app: &TestApp, id: &str) -> String {
    app.get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn new_install_saves_no_empty_draft() {
    let app = TestApp::spawn().await;
    let first = app.new_draft().await;
    // Opening its pages (as New install's redirect does) enters nothing.
    for page in ["azure", "cluster", "pools", "domain", "storage"] {
        let res = app.get(&format!("/installs/{first}/wizard/{page}")).await;
        assert_eq!(res.status(), 200);
    }
    let again = app.new_draft().await;
    assert_eq!(first, again, "the untouched draft is reused");
    assert!(
        listed(&app).await.is_empty(),
        "an untouched draft is not history"
    );
    let html = app.get("/installs").await.text().await.unwrap();
    assert!(!html.contains(&first));

    app.post_form(
        &format!("/installs/{first}/wizard/azure/check"),
        &[("name", "staging")],
    )
    .await;
    let list = listed(&app).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "staging");
    assert_ne!(
        app.new_draft().await,
        first,
        "an edited draft is not reused"
    );
}

#[tokio::test]
async fn clones_get_the_next_free_name_and_the_certificate() {
    let app = TestApp::spawn().await;
    let provided = SAMPLE_YAML.replace("tls: selfSigned", "tls: provided");
    let res = app
        .post_body("/api/v1/installs", "application/yaml", &provided)
        .await;
    assert_eq!(res.status(), 201);
    let prod = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let prod_id = InstallId::parse(&prod).unwrap();

    // Without an upload yet: the clone says one must be uploaded.
    let second = clone_of(&app, &prod).await;
    assert_eq!(app.detail(&second).await["name"], "prod-2");
    assert!(
        audit_page(&app, &second)
            .await
            .contains("upload one on the clone")
    );

    let (cert, key) = (
        SecretString::from("-----BEGIN CERTIFICATE-----test-----END CERTIFICATE-----"),
        SecretString::from("-----BEGIN PRIVATE KEY-----test-----END PRIVATE KEY-----"),
    );
    app.store
        .put_secrets(
            prod_id,
            &[
                (SecretName::TlsCertificate, &cert),
                (SecretName::TlsKey, &key),
            ],
        )
        .await
        .unwrap();
    let third = clone_of(&app, &prod).await;
    assert_eq!(app.detail(&third).await["name"], "prod-3");
    let third_id = InstallId::parse(&third).unwrap();
    let carried = app
        .store
        .secret(third_id, SecretName::TlsKey)
        .await
        .unwrap();
    assert_eq!(carried.unwrap().expose_secret(), key.expose_secret());
    let page = audit_page(&app, &third).await;
    assert!(
        page.contains("certificate carried over, still encrypted"),
        "{page}"
    );
    assert!(!page.contains("BEGIN PRIVATE KEY"));
    // A clone of a clone counts on from the same name.
    let fourth = clone_of(&app, &second).await;
    assert_eq!(app.detail(&fourth).await["name"], "prod-4");
    let spec: Value = app.detail(&fourth).await["spec"].clone();
    assert_eq!(spec["name"], "prod-4", "the spec carries the new name too");
}

#[tokio::test]
async fn only_drafts_can_be_deleted() {
    let app = TestApp::spawn().await;
    let draft = app.create_sample().await;
    let ran = app.start_sample().await;
    app.wait_status(&ran, &["succeeded", "failed"]).await;

    let refused = app
        .client
        .delete(app.url(&format!("/api/v1/installs/{ran}")))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
    let error = refused.text().await.unwrap();
    assert!(
        error.contains("only a draft that never ran can be deleted"),
        "{error}"
    );
    assert_eq!(
        app.get(&format!("/api/v1/installs/{ran}")).await.status(),
        200
    );

    let deleted = app
        .client
        .delete(app.url(&format!("/api/v1/installs/{draft}")))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        app.get(&format!("/api/v1/installs/{draft}")).await.status(),
        404
    );

    // From the history page's button: back to the list, the row gone.
    let other = app.create_sample().await;
    let html = app.get("/installs").await.text().await.unwrap();
    assert!(html.contains(&format!(r#"action="/installs/{other}/delete""#)));
    assert!(!html.contains(&format!(r#"action="/installs/{ran}/delete""#)));
    let res = app
        .post_form(&format!("/installs/{other}/delete"), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/installs");
    let ids: Vec<_> = listed(&app).await.iter().map(|i| i["id"].clone()).collect();
    assert_eq!(ids, vec![Value::from(ran.as_str())]);
    let page = app.post_form(&format!("/installs/{ran}/delete"), &[]).await;
    assert_eq!(page.status(), 409);
}
