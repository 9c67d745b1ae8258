//! Issue 13's smaller access items: every answer behind the door says `Cache-Control: no-store`
//! (the static assets stay cacheable), and the API token is read from exactly
//! `Authorization: Bearer <token>`.

use crate::helpers::{TestApp, api_token};
use reqwest::StatusCode;

fn cache_control(res: &reqwest::Response) -> String {
    res.headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn authenticated_pages_api_answers_and_bundles_are_not_stored() {
    let app = TestApp::spawn().await;
    let id = app.create_sample().await;
    let paths = [
        "/".to_string(),
        "/installs".to_string(),
        format!("/installs/{id}"),
        format!("/installs/{id}/review"),
        format!("/installs/{id}/spec.yaml"),
        format!("/installs/{id}/logs.txt"),
        format!("/installs/{id}/support-bundle.tar.gz"),
        "/settings".to_string(),
        "/no/such/page".to_string(),
        "/api/v1/installs".to_string(),
        format!("/api/v1/installs/{id}"),
        format!("/api/v1/installs/{id}/spec"),
        format!("/api/v1/installs/{id}/support-bundle"),
        "/api/v1/settings/azure".to_string(),
    ];
    for path in &paths {
        let res = app.get(path).await;
        assert!(
            res.status().is_success()
                || res.status().is_redirection()
                || res.status() == StatusCode::NOT_FOUND,
            "GET {path}: {}",
            res.status()
        );
        assert_eq!(cache_control(&res), "no-store", "GET {path}");
    }
    // Refusals too: a field error, and the door itself.
    let res = app
        .post_body("/api/v1/plan", "application/yaml", "name: [")
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(cache_control(&res), "no-store");
    let stranger = reqwest::Client::new();
    let res = stranger.get(app.url("/installs")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(cache_control(&res), "no-store");
    // The page assets carry their own policy.
    let res = stranger
        .get(app.url("/static/app.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(cache_control(&res), "public, max-age=3600");
}

#[tokio::test]
async fn the_api_token_is_read_from_exactly_bearer_space_token() {
    let app = TestApp::spawn().await;
    let token = api_token(&app.data_dir_path());
    let stranger = reqwest::Client::new();
    let get = |value: String| {
        stranger
            .get(app.url("/api/v1/installs"))
            .header("authorization", value)
            .send()
    };
    let res = get(format!("Bearer {token}")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    for value in [
        format!("Bearer   {token}  "),
        format!("Bearer  {token}"),
        format!("Bearer\t{token}"),
        format!("Bearer {token} {token}"),
        format!("bearer {token}"),
        format!("Basic {token}"),
        "Bearer ".to_string(),
    ] {
        let res = get(value.clone()).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{value:?}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("exactly `Authorization: Bearer <token>`"),
            "{value:?}: {body}"
        );
    }
}
