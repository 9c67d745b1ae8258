//! The real binary: `kill -9` in the middle of a step, restart, the install shows as
//! interrupted, resume completes it without running any completed step again. And a second
//! console on the same data dir refuses to start. The crash matrix's smaller cut: a few
//! representative steps of the sample install, each killed midway (the benchmark runs every
//! step at three kill points).

use crate::helpers::{SAMPLE_YAML, blocking_client, simulated_serve_args, spawn_console};
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

struct Console {
    child: Child,
    base: String,
    /// Sends the data dir's API token.
    client: reqwest::blocking::Client,
}

fn start(data: &Path, script: &Path) -> Console {
    let (child, base) = spawn_console(&[
        "serve".as_ref(),
        "--listen".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--simulate".as_ref(),
        "--time-scale".as_ref(),
        "0".as_ref(),
        "--step-script".as_ref(),
        script.as_os_str(),
        "--data-dir".as_ref(),
        data.as_os_str(),
    ]);
    Console {
        child,
        base,
        client: blocking_client(data),
    }
}

fn detail(c: &Console, id: &str) -> Value {
    c.client
        .get(format!("{}/api/v1/installs/{id}", c.base))
        .send()
        .unwrap()
        .json()
        .unwrap()
}

fn step_of<'a>(d: &'a Value, id: &str) -> &'a Value {
    d["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap()
}

fn wait(what: &str, mut check: impl FnMut() -> bool) {
    // A liveness bound (a hang fails instead of blocking CI), not a speed check.
    let deadline = Instant::now() + Duration::from_secs(120);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn kill_dash_nine_mid_step_then_restart_and_resume() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let script = temp.path().join("script.yaml");
    // The cluster takes "forever" the first time: the console is killed while it runs.
    std::fs::write(
        &script,
        "steps:\n  aks-cluster:\n    - { sleepMs: 600000 }\n    - { sleepMs: 0 }\n",
    )
    .unwrap();
    let mut first = start(&data, &script);
    let created: Value = first
        .client
        .post(format!("{}/api/v1/installs", first.base))
        .header("content-type", "application/yaml")
        .body(SAMPLE_YAML)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let res = first
        .client
        .post(format!("{}/api/v1/installs/{id}/start", first.base))
        .send()
        .unwrap();
    assert_eq!(res.status(), 202);
    wait("aks-cluster to run", || {
        step_of(&detail(&first, &id), "aks-cluster")["status"] == "running"
    });
    let before = detail(&first, &id);
    let done_before = crate::helpers::succeeded_steps(&before);
    assert!(
        done_before.contains(&"network".to_string()),
        "{done_before:?}"
    );
    first.child.kill().unwrap(); // SIGKILL: no chance to record anything
    first.child.wait().unwrap();

    // Restart: with the first script the cluster would hang again on its first call, so the
    // second console counts calls afresh with a script where it succeeds.
    std::fs::write(&script, "steps:\n  aks-cluster: [{ sleepMs: 0 }]\n").unwrap();
    let mut second = start(&data, &script);
    let after = detail(&second, &id);
    assert_eq!(after["status"], "interrupted", "never 'running' forever");
    assert_eq!(step_of(&after, "aks-cluster")["status"], "interrupted");
    let res = second
        .client
        .post(format!("{}/api/v1/installs/{id}/resume", second.base))
        .send()
        .unwrap();
    assert_eq!(res.status(), 202);
    wait("the install to succeed", || {
        detail(&second, &id)["status"] == "succeeded"
    });
    let done = detail(&second, &id);
    for step in &done_before {
        assert_eq!(
            step_of(&done, step)["attempt"],
            1,
            "{step} ran again after the crash"
        );
    }
    assert_eq!(step_of(&done, "aks-cluster")["attempt"], 2);
    let log = second
        .client
        .get(format!("{}/api/v1/installs/{id}/logs", second.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    for step in &done_before {
        assert_eq!(
            log.matches(&format!("[{step}#1] attempt 1 started"))
                .count(),
            1,
            "{step}"
        );
        assert!(
            !log.contains(&format!("[{step}#2]")),
            "{step} has a second attempt"
        );
    }
    assert!(log.contains("interrupted"));

    // A second console on the same data dir refuses to start, naming the running one.
    let out = Command::new(env!("CARGO_BIN_EXE_katonic-console"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("already running (pid {})", second.child.id())),
        "{err}"
    );
    second.child.kill().unwrap();
    second.child.wait().unwrap();
}

/// `serve --simulate`: the ARM simulator runs inside the console and keeps its state in the data
/// dir. Killed with SIGKILL while the cluster is being created, the console restarts, shows the
/// install interrupted, and the resumed step follows the cluster's operation instead of
/// creating it again.
#[test]
fn kill_dash_nine_during_the_cluster_create_then_resume_follows_the_same_operation() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let faults = temp.path().join("faults.yaml");
    // The cluster create takes ~10 s (0.01 of Azure's time, three times slower than usual).
    std::fs::write(
        &faults,
        "rules:\n  - method: PUT\n    path: .*/managedClusters/[^/]+$\n    action: { slow: { factor: 3.0 } }\n",
    )
    .unwrap();
    let serve = |data: &Path| {
        let (child, base) = spawn_console(&simulated_serve_args(data, &faults));
        Console {
            child,
            base,
            client: blocking_client(data),
        }
    };
    let mut first = serve(&data);
    let spec = SAMPLE_YAML.replace("  kubernetesVersion: \"1.30\"\n", "");
    let created: Value = first
        .client
        .post(format!("{}/api/v1/installs", first.base))
        .header("content-type", "application/yaml")
        .body(spec)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    first
        .client
        .post(format!("{}/api/v1/installs/{id}/start", first.base))
        .send()
        .unwrap();
    let logs = |c: &Console| {
        c.client
            .get(format!("{}/api/v1/installs/{id}/logs", c.base))
            .send()
            .unwrap()
            .text()
            .unwrap()
    };
    wait("the cluster create to be accepted", || {
        logs(&first).contains("[aks-cluster#1] AKS cluster: creating (operation accepted")
    });
    first.child.kill().unwrap();
    first.child.wait().unwrap();

    let mut second = serve(&data);
    assert_eq!(detail(&second, &id)["status"], "interrupted");
    second
        .client
        .post(format!("{}/api/v1/installs/{id}/resume", second.base))
        .send()
        .unwrap();
    wait("the install to end", || {
        let status = detail(&second, &id)["status"].clone();
        status == "succeeded" || status == "failed"
    });
    let log = logs(&second);
    assert_eq!(detail(&second, &id)["status"], "succeeded", "{log}");
    let resumed: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("[aks-cluster#2]"))
        .collect();
    assert!(
        resumed
            .iter()
            .any(|l| l.contains("following the operation started before")),
        "{resumed:#?}"
    );
    assert!(
        !resumed
            .iter()
            .any(|l| l.contains("creating (operation accepted")),
        "a second cluster create was issued: {resumed:#?}"
    );
    second.child.kill().unwrap();
    second.child.wait().unwrap();
}

/// The crash matrix's time scale: the install takes seconds, its Azure operations and cluster
/// steps still last long enough (a second or more) for a midway kill to land inside them.
const MATRIX_TIME_SCALE: f64 = 0.004;

/// One clean install for all the matrix tests (they run side by side): kill points are placed
/// from its step durations.
fn matrix_reference() -> &'static crate::crash_matrix::Reference {
    static REFERENCE: std::sync::OnceLock<crate::crash_matrix::Reference> =
        std::sync::OnceLock::new();
    REFERENCE.get_or_init(|| crate::crash_matrix::reference(MATRIX_TIME_SCALE))
}

/// Kill -9 midway through `step`, restart, resume: the install succeeds, the steps completed
/// before the kill keep their attempt, and no acknowledged ARM write is issued again.
fn killed_midway(step: &str) {
    crashed_at(step, crate::crash_matrix::KillPoint::Middle);
}

/// Crash at `point` of `step`, restart, resume, and check as [`killed_midway`] says.
fn crashed_at(step: &str, point: crate::crash_matrix::KillPoint) {
    let reference = matrix_reference();
    let trial = crate::crash_matrix::trial(reference, step, point);
    assert!(
        trial.hit,
        "the kill came after {step} ended (it took {:?} in the reference)",
        reference.took.get(step)
    );
    assert_eq!(trial.status, "succeeded", "{}", trial.log);
    assert!(trial.duplicates.is_empty(), "{:#?}", trial.duplicates);
    assert!(trial.rerun.is_empty(), "ran again: {:?}", trial.rerun);
    // The checks above are not vacuous: steps had completed before the kill, and Azure had
    // acknowledged their writes (which the recording attributes to them).
    assert!(!trial.completed_before.is_empty());
    assert!(
        trial.guarded > 0,
        "no acknowledged write of a completed step was recorded"
    );
}

#[test]
fn crash_matrix_storage_an_azure_operation() {
    killed_midway("storage");
}

#[test]
fn crash_matrix_aks_cluster_a_long_azure_operation() {
    killed_midway("aks-cluster");
}

#[test]
fn crash_matrix_platform_a_cluster_step() {
    killed_midway("platform");
}

#[test]
fn crash_matrix_ingress_load_balancer_azure_through_the_cluster() {
    killed_midway("ingress-load-balancer");
}

/// The last step, just before its journal entry (a midway kill of a step this short can come
/// after it on a loaded machine).
#[test]
fn crash_matrix_verify_the_last_step_just_before_its_journal_entry() {
    crashed_at("verify", crate::crash_matrix::KillPoint::BeforeJournal);
}

/// The last kill point, in a step that lasts milliseconds (a kill from outside could not land
/// in it): its role assignments are written, its journal entry is not.
#[test]
fn crash_matrix_role_assignments_just_before_the_journal_entry() {
    crashed_at(
        "role-assignments",
        crate::crash_matrix::KillPoint::BeforeJournal,
    );
}
