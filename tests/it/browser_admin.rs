//! Issue 16 in a real browser (`tests/e2e/admin.spec.mjs`, see `browser.rs` for the tools): an
//! admin signs out while an install runs and regains access with `katonic-console access-link`
//! (another process) without a restart; after a teardown, the install page offers no Retry or
//! Resume and the server refuses them (page and API); the live page comes to equal a fresh load
//! when a run succeeds, fails at once or is cancelled.

use crate::browser::{Reaped, serve};
use crate::helpers::{SAMPLE_YAML, blocking_client};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Record a draft of `spec` through the API; its id.
fn draft(data: &Path, base: &str, spec: String) -> String {
    let res = blocking_client(data)
        .post(format!("{base}/api/v1/installs"))
        .header("content-type", "application/yaml")
        .body(spec)
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The sample spec at the region's newest Kubernetes version (the wizard's default).
fn sample_newest(name: &str) -> String {
    let spec = SAMPLE_YAML.replace("name: prod", &format!("name: {name}"));
    let without = spec.replace("  kubernetesVersion: \"1.30\"\n", "");
    assert_ne!(spec, without, "the sample names its version");
    without
}

/// The script's drafts: `fail` is the sample as written, whose 1.30 on the default tier
/// preflight refuses at once (LTS only); `slow` runs long enough to be cancelled.
fn script_draft(data: &Path, base: &str, kind: &str) -> String {
    let spec = match kind {
        "fail" => SAMPLE_YAML.replace("name: prod", "name: fails"),
        _ => sample_newest("cancelled"),
    };
    draft(data, base, spec)
}

/// Queue the sample install through the API; its id.
fn start_sample(data: &Path, base: &str) -> String {
    let client = blocking_client(data);
    let id = draft(data, base, sample_newest("prod"));
    let res = client
        .post(format!("{base}/api/v1/installs/{id}/start"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 202);
    id
}

/// Poll the API until the install reaches one of `statuses` (a liveness bound, not a timing).
fn wait_status(data: &Path, base: &str, id: &str, statuses: &[&str]) -> Value {
    let client = blocking_client(data);
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let detail: Value = (client.get(format!("{base}/api/v1/installs/{id}")).send())
            .unwrap()
            .json()
            .unwrap();
        if statuses.iter().any(|s| detail["status"] == *s) {
            return detail;
        }
        assert!(
            Instant::now() < deadline,
            "{id} stuck at {}",
            detail["status"]
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Preview and confirm the teardown of the sample install, wait for it to succeed.
fn tear_down(data: &Path, base: &str, id: &str) {
    let client = blocking_client(data);
    let preview: Value = (client
        .get(format!("{base}/api/v1/installs/{id}/teardown"))
        .send())
    .unwrap()
    .json()
    .unwrap();
    let res = client
        .post(format!("{base}/api/v1/installs/{id}/teardown"))
        .json(&serde_json::json!({"confirm": "prod", "expected": preview["deleting"]}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 202);
    let teardown = res.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let done = wait_status(data, base, &teardown, &["succeeded", "failed"]);
    assert_eq!(done["status"], "succeeded");
}

/// `katonic-console access-link --data-dir DATA`: the link it printed.
fn access_link(data: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_katonic-console"))
        .args(["access-link", "--data-dir"])
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn an_admin_signs_out_mid_install_comes_back_with_access_link_and_cannot_retry_a_teardown() {
    let Some((root, e2e)) = crate::browser::e2e_tools() else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let faults = temp.path().join("faults.yaml");
    // A slower cluster create (~10 s): the install still runs while the admin signs out.
    std::fs::write(
        &faults,
        "rules:\n  - method: PUT\n    path: .*/managedClusters/[^/]+$\n    action: { slow: { factor: 3.0 } }\n",
    )
    .unwrap();
    let (console, base, open) = serve(&data, &faults);
    let id = start_sample(&data, &base);

    let mut script = Reaped(
        Command::new("node")
            .arg(e2e.join("admin.spec.mjs"))
            .args([&open, &id])
            .env("E2E_SCREENSHOTS_DIR", root.join("target/e2e-screenshots"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut to_script = script.0.stdin.take().unwrap();
    let from_script = BufReader::new(script.0.stdout.take().unwrap());
    let mut stderr = script.0.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut asked = Vec::new();
    for line in from_script.lines() {
        let line = line.unwrap();
        println!("script: {line}");
        if let Some(kind) = line.strip_prefix("DRAFT ") {
            let id = script_draft(&data, &base, kind);
            asked.push(line.clone());
            writeln!(to_script, "DRAFT {id}").unwrap();
            to_script.flush().unwrap();
            continue;
        }
        let answer = match line.as_str() {
            "ACCESS_LINK" => format!("LINK {}", access_link(&data)),
            "TEAR_DOWN" => {
                tear_down(&data, &base, &id);
                "TORN_DOWN".to_string()
            }
            _ => continue,
        };
        asked.push(line);
        writeln!(to_script, "{answer}").unwrap();
        to_script.flush().unwrap();
    }
    let status = script.0.wait().unwrap();
    let stderr = stderr.join().unwrap();
    assert!(
        status.success(),
        "the browser test failed ({status}):\n{stderr}"
    );
    assert_eq!(
        asked,
        ["ACCESS_LINK", "TEAR_DOWN", "DRAFT fail", "DRAFT slow"],
        "{stderr}"
    );

    // Signing out interrupted nothing; the API refuses what the page hid.
    let client = blocking_client(&data);
    let detail: Value = (client.get(format!("{base}/api/v1/installs/{id}")).send())
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(detail["status"], "succeeded");
    let res = client
        .post(format!(
            "{base}/api/v1/installs/{id}/steps/resource-group/retry"
        ))
        .send()
        .unwrap();
    assert_eq!(res.status(), 409);
    let message = res.json::<Value>().unwrap()["message"].to_string();
    assert!(
        message.contains("was torn down") && message.contains("clone"),
        "{message}"
    );
    drop(console);
}
