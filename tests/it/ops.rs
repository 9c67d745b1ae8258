//! Operational endpoints and logs: readiness, Prometheus metrics, JSON log lines that name the
//! install and step.

use crate::helpers::{SAMPLE_YAML, TestApp};

#[tokio::test]
async fn readiness_and_metrics_report_the_console_and_its_installs() {
    let app = TestApp::spawn().await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready\n");

    let id = app.start_sample().await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded");
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status(), 200);
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains("katonic_installs{status=\"succeeded\"} 1"),
        "{text}"
    );
    assert!(
        text.contains(
            "katonic_step_duration_seconds_count{step=\"preflight\",outcome=\"succeeded\"}"
        ),
        "{text}"
    );
    // (ARM request counts appear once a request was made: these steps are scripted.)
    for family in [
        "# TYPE katonic_arm_throttled counter",
        "# TYPE katonic_sse_clients gauge",
    ] {
        assert!(text.contains(family), "{family} missing:\n{text}");
    }
    assert!(text.trim_end().ends_with("# EOF"));
}

#[test]
fn json_logs_name_the_install_and_step_on_every_step_line() {
    let temp = tempfile::tempdir().unwrap();
    let spec = temp.path().join("spec.yaml");
    std::fs::write(
        &spec,
        SAMPLE_YAML.replace("  kubernetesVersion: \"1.30\"\n", ""),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_katonic-console"))
        .args(["--log-format", "json", "install", "--simulate"])
        .args(["--simulate-console-network", "unplaced"])
        .args(["--time-scale", "0.001", "-f"])
        .arg(&spec)
        .arg("--data-dir")
        .arg(temp.path().join("data"))
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let id = stdout
        .lines()
        .last()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .to_string();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let mut step_lines = 0;
    for line in stderr.lines() {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if value["target"] == "katonic_console::step" {
            step_lines += 1;
            assert_eq!(value["span"]["install"], id.as_str(), "{line}");
            assert!(value["span"]["step"].is_string(), "{line}");
            assert!(value["span"]["attempt"].is_number(), "{line}");
        }
    }
    assert!(step_lines > 20, "only {step_lines} step lines:\n{stderr}");
}
