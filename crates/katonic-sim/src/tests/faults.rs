//! Fault plan kinds, the request log, and oav-format recording.

use reqwest::Method;
use serde_json::{Value, json};

use super::harness::Sim;
use crate::{FaultAction, FaultPlan, FaultRule};

fn vnet_body() -> Value {
    json!({"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}})
}

#[tokio::test]
async fn error_fault_fires_on_the_nth_call_only() {
    let sim = Sim::start().await;
    sim.h.set_faults(FaultPlan::single(
        FaultRule::new(
            "PUT",
            "/resourceGroups/rg-f$",
            FaultAction::Error {
                status: 500,
                code: "InternalServerError".into(),
                message: "Simulated failure.".into(),
            },
        )
        .nth(1),
    ));
    let url = format!("{}?api-version=2025-04-01", sim.rg("rg-f"));
    let first = sim.put(&url, &json!({"location": "eastus"})).await;
    assert_eq!((first.status, first.code()), (500, "InternalServerError"));
    assert_eq!(
        sim.get(&url).await.status,
        404,
        "an error fault changes nothing"
    );
    assert_eq!(
        sim.put(&url, &json!({"location": "eastus"})).await.status,
        201
    );
    let log = sim.h.requests();
    let puts: Vec<_> = log.iter().filter(|r| r.method == "PUT").collect();
    assert_eq!(puts.len(), 2);
    assert_eq!(puts[0].status, 500);
    assert_eq!(puts[0].fault.as_deref(), Some("rule 0"));
    assert_eq!(puts[0].error_code.as_deref(), Some("InternalServerError"));
    assert_eq!(puts[1].request_body.as_ref().unwrap()["location"], "eastus");
}

#[tokio::test]
async fn fail_operation_fault_ends_the_lro_failed() {
    let sim = Sim::start().await;
    sim.create_rg("rg-f").await;
    sim.h.set_faults(FaultPlan::single(FaultRule::new(
        "PUT",
        "virtualNetworks/v1$",
        FaultAction::FailOperation {
            code: "InternalServerError".into(),
            message: "An internal error occurred.".into(),
        },
    )));
    let url = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/v1?api-version=2025-07-01",
        sim.rg("rg-f")
    );
    let r = sim.put(&url, &vnet_body()).await;
    assert_eq!(r.status, 201);
    let status = sim.wait_async(&r).await;
    assert_eq!(status["status"], "Failed");
    assert_eq!(status["error"]["code"], "InternalServerError");
    assert_eq!(sim.get(&url).await.state(), "Failed");
    // A retry (no fault now) repairs it.
    sim.h.set_faults(FaultPlan::default());
    let r = sim.put(&url, &vnet_body()).await;
    assert_eq!(r.status, 200);
    assert_eq!(sim.wait_async(&r).await["status"], "Succeeded");
}

#[tokio::test]
async fn throttle_every_nth_call() {
    let sim = Sim::start().await;
    sim.h.set_faults(FaultPlan::single(
        FaultRule::new(
            "GET",
            "^/subscriptions/[^/]+$",
            FaultAction::Throttle { retry_after: 7 },
        )
        .every(2),
    ));
    let url = format!("{}?api-version=2025-04-01", sim.sub());
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            let r = sim.get(&url).await;
            if r.status == 429 {
                assert_eq!(r.header("retry-after").as_deref(), Some("7"));
                assert_eq!(r.code(), "TooManyRequests");
            }
            v.push(r.status);
        }
        v
    };
    assert_eq!(statuses, vec![200, 429, 200, 429]);
}

#[tokio::test]
async fn dropped_put_still_takes_effect() {
    let sim = Sim::start().await;
    sim.create_rg("rg-f").await;
    sim.h.set_faults(FaultPlan::single(
        FaultRule::new(
            "PUT",
            "virtualNetworks/v1$",
            FaultAction::Drop {
                after_processing: None,
            },
        )
        .times(1),
    ));
    let url = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/v1?api-version=2025-07-01",
        sim.rg("rg-f")
    );
    let r = sim
        .raw(Method::PUT, &url, Some(&vnet_body()), &[], true)
        .await;
    assert!(r.is_err(), "the connection is closed without a response");
    // The client finds the resource by GET.
    let got = sim.get(&url).await;
    assert_eq!(got.status, 200);
    let dropped = sim
        .h
        .requests()
        .into_iter()
        .find(|l| l.method == "PUT" && l.path.ends_with("/v1"))
        .unwrap();
    assert_eq!(dropped.status, 0);
    // A dropped GET does nothing.
    sim.h.set_faults(FaultPlan::single(
        FaultRule::new(
            "GET",
            "virtualNetworks/v1$",
            FaultAction::Drop {
                after_processing: None,
            },
        )
        .nth(1),
    ));
    assert!(sim.raw(Method::GET, &url, None, &[], true).await.is_err());
    assert_eq!(sim.get(&url).await.status, 200);
}

#[tokio::test]
async fn slow_fault_stretches_one_operation() {
    let sim = Sim::start_with(|c| c.time_scale = 0.005).await;
    sim.create_rg("rg-f").await;
    sim.h.set_faults(FaultPlan::single(FaultRule::new(
        "PUT",
        "virtualNetworks/slow$",
        FaultAction::Slow { factor: 10_000.0 },
    )));
    let base = format!(
        "{}/providers/Microsoft.Network/virtualNetworks",
        sim.rg("rg-f")
    );
    let slow = sim
        .put(&format!("{base}/slow?api-version=2025-07-01"), &vnet_body())
        .await;
    let fast = sim.put(&format!("{base}/fast?api-version=2025-07-01"), &json!({"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}}})).await;
    assert_eq!(
        sim.until_status(&fast.header("azure-asyncoperation").unwrap(), "Succeeded")
            .await["status"],
        "Succeeded"
    );
    assert_eq!(
        sim.get(&slow.header("azure-asyncoperation").unwrap())
            .await
            .body["status"],
        "InProgress"
    );
}

#[tokio::test]
async fn fault_plan_from_yaml_file() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("faults.yaml");
    std::fs::write(
        &plan,
        "rules:\n  - name: rg-conflict\n    method: PUT\n    path: /resourceGroups/rg-y$\n    times: 1\n    action:\n      error: { status: 409, code: Conflict, message: Busy }\n",
    )
    .unwrap();
    let sim = Sim::start_with(|c| c.faults = Some(plan.clone())).await;
    let url = format!("{}?api-version=2025-04-01", sim.rg("rg-y"));
    assert_eq!(
        sim.put(&url, &json!({"location": "eastus"})).await.code(),
        "Conflict"
    );
    assert_eq!(
        sim.put(&url, &json!({"location": "eastus"})).await.status,
        201
    );
    assert_eq!(
        sim.h
            .requests()
            .iter()
            .filter(|r| r.fault.as_deref() == Some("rg-conflict"))
            .count(),
        1
    );
    // The README's example plan parses.
    let readme = include_str!("../../README.md");
    let example = readme
        .split("```yaml\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let parsed = FaultPlan::from_yaml(example).unwrap();
    assert_eq!(parsed.rules.len(), 6);
    assert!(
        FaultPlan::from_yaml("rules:\n  - path: '('\n    action: { slow: { factor: 2 } }\n")
            .is_err()
    );
}

#[tokio::test]
async fn recording_writes_oav_traffic_files() {
    let rec = tempfile::tempdir().unwrap();
    let dir = rec.path().to_path_buf();
    let sim = Sim::start_with(|c| c.record_dir = Some(dir.clone())).await;
    sim.create_rg("rg-r").await;
    let url = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/v1?api-version=2025-07-01",
        sim.rg("rg-r")
    );
    let r = sim.put(&url, &vnet_body()).await;
    sim.wait_async(&r).await;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    // Token requests are not ARM traffic and are not recorded.
    assert!(files.len() >= 3, "{files:?}");
    assert!(
        files[0]
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("000001-put-")
    );
    for f in &files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        let req = &v["liveRequest"];
        assert!(
            req["url"].as_str().unwrap().starts_with("https://")
                && req["url"].as_str().unwrap().contains("api-version=")
        );
        assert!(req["headers"].get("authorization").is_none());
        assert!(v["liveResponse"]["statusCode"].is_string());
    }
    let vnet: Value = serde_json::from_str(&std::fs::read_to_string(&files[1]).unwrap()).unwrap();
    assert_eq!(vnet["liveRequest"]["method"], "PUT");
    assert_eq!(vnet["liveRequest"]["body"]["location"], "eastus");
    assert_eq!(vnet["liveResponse"]["statusCode"], "201");
    assert_eq!(
        vnet["liveResponse"]["body"]["properties"]["provisioningState"],
        "Updating"
    );
    assert!(vnet["liveResponse"]["headers"]["azure-asyncoperation"].is_string());
}
