//! The JSON API: plan, create, list, detail; YAML and JSON by Content-Type; field errors.

use crate::helpers::{SAMPLE_YAML, TestApp, script, step};
use serde_json::Value;

fn errors_of(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .expect("an errors array")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_string(),
                e["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn plan_of_the_sample_spec_has_steps_resources_budget_and_cost() {
    let app = TestApp::spawn().await;
    let res = app
        .post_body("/api/v1/plan", "application/yaml", SAMPLE_YAML)
        .await;
    assert_eq!(res.status(), 200);
    let plan: Value = res.json().await.unwrap();
    let ids: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    for expected in [
        "preflight",
        "network",
        "aks-cluster",
        "superset",
        "airbyte",
        "dns",
    ] {
        assert!(ids.contains(&expected), "{expected} missing from {ids:?}");
    }
    // Every pool is created in the cluster's own operation (issue 17): no pool steps.
    assert!(
        !ids.contains(&"gpu-pool") && !ids.contains(&"compute-pool"),
        "{ids:?}"
    );
    let critical = plan["criticalPathSecs"].as_u64().unwrap();
    assert!(critical <= 24 * 60, "critical path {critical} s");
    let sequential = plan["sequentialSecs"].as_u64().unwrap();
    assert!(
        critical > 0 && critical < sequential,
        "{critical} vs {sequential}"
    );
    assert_eq!(plan["ipBudget"]["subnetPrefix"], 26);
    assert!(plan["ipBudget"]["needed"].as_u64().unwrap() <= 59);
    let min = plan["cost"]["monthlyMin"].as_f64().unwrap();
    let max = plan["cost"]["monthlyMax"].as_f64().unwrap();
    assert!(min > 0.0 && min < max, "{min} .. {max}");
    assert!(!plan["resources"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn json_and_yaml_specs_give_the_same_plan() {
    let app = TestApp::spawn().await;
    let doc: Value = serde_yaml_ng::from_str(SAMPLE_YAML).unwrap();
    let yaml: Value = app
        .post_body("/api/v1/plan", "application/yaml", SAMPLE_YAML)
        .await
        .json()
        .await
        .unwrap();
    let json: Value = app
        .post_body("/api/v1/plan", "application/json", &doc.to_string())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(yaml, json);
}

#[tokio::test]
async fn invalid_spec_gets_422_listing_every_field_error() {
    let app = TestApp::spawn().await;
    let bad = SAMPLE_YAML
        .replace("katonic.example.com", "Katonic_.example")
        .replace("vnetCidr: 10.20.0.0/16", "vnetCidr: 10.20.0.1/16")
        .replace("3f2c1a9e-8b7d-4c6e-9f01-23456789abcd", "not-a-guid")
        .replace("count: 2", "count: 1");
    let res = app
        .post_body("/api/v1/plan", "application/yaml", &bad)
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let errors = errors_of(&body);
    let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    for expected in [
        "azure.subscriptionId",
        "cluster.network.vnetCidr",
        "cluster.nodePools.platform.count",
        "domain.fqdn",
    ] {
        assert!(fields.contains(&expected), "{expected} not in {errors:?}");
    }
    assert!(errors.contains(&("cluster.network.vnetCidr".into(), "cidr.host-bits".into())));
    for e in body["errors"].as_array().unwrap() {
        assert!(!e["message"].as_str().unwrap().is_empty());
        assert!(!e["fix"].as_str().unwrap().is_empty(), "no fix in {e}");
    }
}

#[tokio::test]
async fn vendor_guide_subnet_with_classic_cni_is_refused_with_figures() {
    let app = TestApp::spawn().await;
    let classic = SAMPLE_YAML.replace("plugin: azure-overlay", "plugin: azure");
    let res = app
        .post_body("/api/v1/plan", "application/yaml", &classic)
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let capacity = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["rule"] == "subnet.capacity")
        .unwrap_or_else(|| panic!("no subnet.capacity error in {body}"));
    assert_eq!(capacity["field"], "cluster.network.aksSubnetCidr");
    let message = capacity["message"].as_str().unwrap();
    assert!(message.contains("/26 gives 59"), "{message}");
    assert!(capacity["fix"].as_str().unwrap().contains("azure-overlay"));
}

#[tokio::test]
async fn unknown_keys_and_wrong_content_types_are_refused() {
    let app = TestApp::spawn().await;
    let typo = SAMPLE_YAML.replace("nodePools:", "nodepools:");
    let res = app
        .post_body("/api/v1/plan", "application/yaml", &typo)
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let errors = errors_of(&body);
    assert_eq!(errors[0].1, "document.unknown-field", "{errors:?}");
    assert!(errors[0].0.starts_with("cluster"), "{errors:?}");

    let res = app
        .post_body("/api/v1/plan", "text/plain", SAMPLE_YAML)
        .await;
    assert_eq!(res.status(), 415);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("application/yaml")
    );
}

#[tokio::test]
async fn created_install_is_listed_and_detailed_with_spec_plan_and_steps() {
    let app = TestApp::spawn().await;
    let res = app
        .post_body("/api/v1/installs", "application/yaml", SAMPLE_YAML)
        .await;
    assert_eq!(res.status(), 201);
    let location = crate::helpers::location(&res);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(location, format!("/api/v1/installs/{id}"));

    let list: Value = app.get("/api/v1/installs").await.json().await.unwrap();
    let item = list
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id.as_str())
        .expect("listed");
    assert_eq!(item["name"], "prod");
    assert_eq!(item["status"], "draft");
    assert_eq!(item["clusterName"], "katonic-prod");

    let detail: Value = app.get(&location).await.json().await.unwrap();
    assert_eq!(detail["id"], id.as_str());
    assert_eq!(detail["spec"]["domain"]["fqdn"], "katonic.example.com");
    assert_eq!(detail["spec"]["apiVersion"], "katonic.ai/v1");
    let plan_steps = detail["plan"]["steps"].as_array().unwrap().len();
    let steps = detail["steps"].as_array().unwrap();
    assert_eq!(steps.len(), plan_steps);
    assert!(
        steps
            .iter()
            .all(|s| s["status"] == "pending" && s["id"].is_string())
    );
}

#[tokio::test]
async fn unknown_installs_are_404_in_json() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/installs/0190b7a8-0000-7000-8000-000000000000",
        "/api/v1/installs/not-an-id",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        let body: Value = res.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains("no install"));
    }
}

#[tokio::test]
async fn starting_queues_a_valid_install_once() {
    let app = TestApp::spawn().await;
    let id = app.create_sample().await;
    let res = app
        .post_form(&format!("/api/v1/installs/{id}/start"), &[])
        .await;
    assert_eq!(res.status(), 202);
    let detail: Value = app
        .get(&format!("/api/v1/installs/{id}"))
        .await
        .json()
        .await
        .unwrap();
    // Queued, or already claimed by the worker it woke: either way started once.
    let status = detail["status"].as_str().unwrap_or_default();
    assert!(["queued", "running"].contains(&status), "{detail}");
    let again = app
        .post_form(&format!("/api/v1/installs/{id}/start"), &[])
        .await;
    assert_eq!(again.status(), 409);
}

#[tokio::test]
async fn a_failed_step_shows_its_error_with_the_hint() {
    let app = TestApp::spawn_with(script(
        "steps:
           aks-cluster:
             - { sleepMs: 0, outcome: { result: terminal, code: QuotaExceeded, message: 'vCPU quota', hint: 'Raise the quota' } }",
    ))
    .await;
    let id = app.start_sample().await;
    let failed = app.wait_status(&id, &["failed"]).await;
    assert_eq!(
        step(&failed, "aks-cluster")["error"],
        serde_json::json!({
            "class": "terminal", "code": "QuotaExceeded", "message": "vCPU quota",
            "hint": "Raise the quota",
        })
    );
    assert!(step(&failed, "preflight").get("error").is_none());
}
