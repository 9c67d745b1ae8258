//! Issue 16 in a real browser (`tests/e2e/fix.spec.mjs`, see `browser.rs` for the tools): the
//! review page's Run checks shows preflight's refusal before queueing; a failed install's tier
//! is edited on its page and the install resumes to success; settings' Test connection connects.

use crate::browser::{Reaped, serve};
use crate::helpers::{SAMPLE_YAML, blocking_client};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Record a draft of the sample (1.30 on the default tier) named `name`; its id.
fn draft(data: &Path, base: &str, name: &str) -> String {
    let res = blocking_client(data)
        .post(format!("{base}/api/v1/installs"))
        .header("content-type", "application/yaml")
        .body(SAMPLE_YAML.replace("name: prod", &format!("name: {name}")))
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn detail(data: &Path, base: &str, id: &str) -> Value {
    (blocking_client(data)
        .get(format!("{base}/api/v1/installs/{id}"))
        .send())
    .unwrap()
    .json()
    .unwrap()
}

#[test]
fn review_checks_refuse_before_queueing_and_a_failed_install_is_edited_and_resumed() {
    let Some((root, e2e)) = crate::browser::e2e_tools() else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let faults = temp.path().join("faults.yaml");
    std::fs::write(&faults, "rules: []\n").unwrap();
    let (_console, base, open) = serve(&data, &faults);
    let failed = draft(&data, &base, "fixme");
    let res = blocking_client(&data)
        .post(format!("{base}/api/v1/installs/{failed}/start"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 202);
    let deadline = Instant::now() + Duration::from_secs(120);
    while detail(&data, &base, &failed)["status"] != "failed" {
        assert!(Instant::now() < deadline, "the LTS sample never failed");
        std::thread::sleep(Duration::from_millis(50));
    }
    let checked = draft(&data, &base, "checked");

    let script = Reaped(
        Command::new("node")
            .arg(e2e.join("fix.spec.mjs"))
            .args([&open, &failed, &checked])
            .env("E2E_SCREENSHOTS_DIR", root.join("target/e2e-screenshots"))
            .spawn()
            .unwrap(),
    );
    let mut script = script;
    let status = script.0.wait().unwrap();
    assert!(status.success(), "the browser test failed ({status})");

    let done = detail(&data, &base, &failed);
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["spec"]["cluster"]["tier"], "premium");
    assert_eq!(detail(&data, &base, &checked)["status"], "draft");
}
