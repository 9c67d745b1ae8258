//! What a spec body may cost (issue 13): nesting, node count and aliases are bounded at every
//! entry point (API plan and installs, the page upload, the CLI), each refusal naming the limit;
//! JSON followed by more text is refused.

use crate::helpers::{SAMPLE_YAML, TestApp};
use serde_json::Value;

/// Just under the 1 MiB body limit.
const NEAR_LIMIT: usize = 1_000_000;

/// `{a: {a: … 1 …}}`, nearly 1 MiB: the body that took minutes to read.
fn deep_flow_mappings() -> String {
    let levels = NEAR_LIMIT / 5;
    format!("{}1{}", "{a: ".repeat(levels), "}".repeat(levels))
}

fn deep_flow_sequences() -> String {
    let levels = NEAR_LIMIT / 2;
    format!("{}{}", "[".repeat(levels), "]".repeat(levels))
}

/// `- - - … x`: block sequences, each nested in the one before, on one line.
fn deep_block_sequences() -> String {
    format!("{}x\n", "- ".repeat(NEAR_LIMIT / 2))
}

/// Block mappings indented one more space per level (as deep as 1 MiB of indentation allows).
fn deep_block_mappings() -> String {
    (0..1_000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect()
}

/// "Billion laughs": ten levels of aliases, each four of the one before.
fn billion_laughs() -> String {
    let mut text = String::from("name: &a0 [lol, lol, lol, lol]\n");
    for i in 1..10 {
        let p = i - 1;
        text.push_str(&format!("x{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}]\n"));
    }
    text
}

async fn refused(app: &TestApp, path: &str, body: &str, content_type: &str) -> Value {
    let res = app.post_body(path, content_type, body).await;
    assert_eq!(res.status(), 422, "{path}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
    body["errors"][0].clone()
}

#[tokio::test]
async fn deep_or_aliased_yaml_is_refused_naming_the_limit_and_nothing_is_created() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            deep_flow_mappings(),
            "document.depth",
            "more than 32 levels",
        ),
        (
            deep_flow_sequences(),
            "document.depth",
            "more than 32 levels",
        ),
        (
            deep_block_sequences(),
            "document.depth",
            "more than 32 levels",
        ),
        (
            deep_block_mappings(),
            "document.depth",
            "more than 32 levels",
        ),
        (
            billion_laughs(),
            "document.alias",
            "alias (*name) at line 2",
        ),
    ];
    for (body, rule, says) in &cases {
        for path in ["/api/v1/plan", "/api/v1/installs"] {
            let error = refused(&app, path, body, "application/yaml").await;
            assert_eq!(error["field"], "document", "{error}");
            assert_eq!(error["rule"], *rule, "{error}");
            assert!(error["message"].as_str().unwrap().contains(says), "{error}");
            assert!(!error["fix"].as_str().unwrap().is_empty(), "{error}");
        }
    }
    let installs: Value = app.get("/api/v1/installs").await.json().await.unwrap();
    assert_eq!(installs, serde_json::json!([]));
    // The console still answers, and still reads a good spec.
    assert_eq!(app.get("/healthz").await.status(), 200);
    let res = app
        .post_body("/api/v1/plan", "application/yaml", SAMPLE_YAML)
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_document_with_too_many_nodes_is_refused() {
    let app = TestApp::spawn().await;
    let body = format!("name: [{}]\n", vec!["1"; 20_000].join(", "));
    let error = refused(&app, "/api/v1/plan", &body, "application/yaml").await;
    assert_eq!(error["rule"], "document.nodes", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("more than 10000 nodes"),
        "{error}"
    );
}

#[tokio::test]
async fn deep_json_is_refused_and_so_is_json_followed_by_more_text() {
    let app = TestApp::spawn().await;
    let deep = format!(
        "{}{}",
        "[".repeat(NEAR_LIMIT / 2),
        "]".repeat(NEAR_LIMIT / 2)
    );
    let res = app
        .post_body("/api/v1/plan", "application/json", &deep)
        .await;
    assert_eq!(res.status(), 422);

    let doc: Value = serde_yaml_ng::from_str(SAMPLE_YAML).unwrap();
    let json = doc.to_string();
    let res = app
        .post_body("/api/v1/plan", "application/json", &format!("{json}\n"))
        .await;
    assert_eq!(res.status(), 200, "trailing whitespace is fine");
    for path in ["/api/v1/plan", "/api/v1/installs"] {
        let error = refused(&app, path, &format!("{json} garbage"), "application/json").await;
        assert_eq!(error["rule"], "document.trailing", "{error}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("more text follows the JSON document"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn the_page_upload_refuses_a_deep_document_naming_the_limit() {
    let app = TestApp::spawn().await;
    let form = reqwest::multipart::Form::new().text("file", deep_flow_mappings());
    let res = app
        .client
        .post(app.url("/installs/upload"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("more than 32 levels"), "{html}");
    assert!(html.contains("a spec nests at most 32 levels"), "{html}");
}

#[test]
fn the_cli_refuses_a_deep_document_naming_the_limit() {
    let temp = tempfile::tempdir().unwrap();
    let file = temp.path().join("deep.yaml");
    std::fs::write(&file, deep_flow_mappings()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_katonic-console"))
        .args(["plan", "-f"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("document.depth"), "{err}");
    assert!(err.contains("more than 32 levels"), "{err}");
}
