//! The install engine with scripted steps: order and parallelism, retries, failure and resume,
//! retry of one step, cancel, one active install per target, shutdown, database failure.

use crate::helpers::{SAMPLE_YAML, TestApp, script, step};
use katonic_domain::plan::StepId;
use serde_json::Value;

fn statuses(detail: &Value) -> Vec<(String, String, i64)> {
    detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
                s["attempt"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn events(app: &TestApp, id: &str) -> Vec<Value> {
    let id = katonic_console::store::InstallId::parse(id).unwrap();
    app.store
        .events_after(id, 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect()
}

#[tokio::test]
async fn an_install_runs_every_step_once_in_dependency_order() {
    let app = TestApp::spawn().await;
    let id = app.start_sample().await;
    let detail = app.wait_status(&id, &["succeeded"]).await;
    for (step, status, attempt) in statuses(&detail) {
        assert_eq!((status.as_str(), attempt), ("succeeded", 1), "{step}");
    }
    for s in detail["plan"]["steps"].as_array().unwrap() {
        let id: StepId = serde_json::from_value(s["id"].clone()).unwrap();
        assert_eq!(app.steps.calls(id), 1, "{id}");
    }
    // Journal: every step is recorded running before it succeeds, and only after all of its
    // dependencies succeeded.
    let events = events(&app, &id).await;
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "gap-free numbering"
    );
    let position = |step: &str, status: &str| {
        events
            .iter()
            .position(|e| e["kind"] == "step" && e["stepId"] == step && e["status"] == status)
            .unwrap_or_else(|| panic!("no {status} event for {step}"))
    };
    for s in detail["plan"]["steps"].as_array().unwrap() {
        let me = s["id"].as_str().unwrap();
        assert!(position(me, "running") < position(me, "succeeded"));
        for dep in s["dependsOn"].as_array().unwrap() {
            assert!(
                position(dep.as_str().unwrap(), "succeeded") < position(me, "running"),
                "{me} started before {dep} succeeded"
            );
        }
    }
    assert_eq!(events.last().unwrap()["status"], "succeeded");
}

#[tokio::test]
async fn independent_steps_run_at_the_same_time() {
    // storage and registry both wait only for the resource group: each waits at a barrier
    // for the other, which only works if both run at once (else: barrier-timeout).
    let app = TestApp::spawn_with(script(
        "steps:
           storage: [{ sleepMs: 0, barrier: { name: pair, parties: 2 } }]
           registry: [{ sleepMs: 0, barrier: { name: pair, parties: 2 } }]",
    ))
    .await;
    let id = app.start_sample().await;
    let detail = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(detail["status"], "succeeded", "{}", detail["steps"]);
}

#[tokio::test]
async fn retryable_errors_are_retried_honouring_retry_after() {
    let app = TestApp::spawn_with(script(
        "steps:
           network:
             - { sleepMs: 0, outcome: { result: retryable, code: TooManyRequests, retryAfterMs: 300 } }
             - { sleepMs: 0 }",
    ))
    .await;
    let id = app.start_sample().await;
    let detail = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(detail["status"], "succeeded");
    assert_eq!(app.steps.calls(StepId::Network), 2);
    assert_eq!(
        step(&detail, "network")["attempt"],
        1,
        "a retry is a try, not an attempt"
    );
    let events = events(&app, &id).await;
    let retry = events
        .iter()
        .find(|e| e["stepId"] == "network" && e["message"].as_str().unwrap().contains("retrying"))
        .expect("a retry event");
    // The service asked for 300 ms; the backoff alone would wait at most 20 ms.
    assert!(
        retry["message"]
            .as_str()
            .unwrap()
            .contains("retrying in 0.3s"),
        "{retry}"
    );
    assert!(
        retry["message"]
            .as_str()
            .unwrap()
            .contains("TooManyRequests")
    );
}

#[tokio::test]
async fn retries_are_bounded() {
    let app = TestApp::spawn_with(script(
        "steps:
           network: [{ sleepMs: 0, outcome: { result: retryable, code: InternalServerError } }]",
    ))
    .await;
    let id = app.start_sample().await;
    let detail = app.wait_status(&id, &["failed"]).await;
    assert_eq!(
        app.steps.calls(StepId::Network),
        4,
        "max_tries in the test policy"
    );
    assert_eq!(step(&detail, "network")["status"], "failed");
}

#[tokio::test]
async fn a_terminal_failure_stops_the_install_and_resume_finishes_it_without_redoing_work() {
    let app = TestApp::spawn_with(script(
        "steps:
           aks-cluster:
             - { sleepMs: 0, outcome: { result: terminal, code: QuotaExceeded, message: 'vCPU quota', hint: 'Raise the quota' } }
             - { sleepMs: 0 }",
    ))
    .await;
    let id = app.start_sample().await;
    let failed = app.wait_status(&id, &["failed"]).await;
    assert_eq!(step(&failed, "aks-cluster")["status"], "failed");
    assert_eq!(
        step(&failed, "role-assignments")["status"],
        "pending",
        "dependents never start"
    );
    let page = app
        .get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("QuotaExceeded") && page.contains("Raise the quota"),
        "error and hint shown"
    );
    assert!(
        page.contains(&format!("/installs/{id}/resume")),
        "resume offered"
    );
    let done_before: Vec<StepId> = [
        StepId::Preflight,
        StepId::ResourceGroup,
        StepId::Network,
        StepId::Identity,
    ]
    .into_iter()
    .collect();
    for s in &done_before {
        assert_eq!(app.steps.calls(*s), 1);
    }

    let res = app
        .post_form(&format!("/api/v1/installs/{id}/resume"), &[])
        .await;
    assert_eq!(res.status(), 202);
    let detail = app.wait_status(&id, &["succeeded"]).await;
    for s in &done_before {
        assert_eq!(app.steps.calls(*s), 1, "{s} ran again after resume");
        assert_eq!(step(&detail, s.as_str())["attempt"], 1);
    }
    assert_eq!(app.steps.calls(StepId::AksCluster), 2);
    assert_eq!(step(&detail, "aks-cluster")["attempt"], 2);
    let log = app
        .get(&format!("/api/v1/installs/{id}/logs"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        log.contains("[aks-cluster#1]") && log.contains("attempt 1 failed"),
        "{log}"
    );
    assert!(log.contains("[aks-cluster#2]") && log.contains("attempt 2 succeeded"));
}

#[tokio::test]
async fn retrying_one_step_runs_it_again() {
    let app = TestApp::spawn_with(script(
        "steps:
           dns:
             - { sleepMs: 0, outcome: { result: terminal, code: RecordConflict } }
             - { sleepMs: 0 }",
    ))
    .await;
    let id = app.start_sample().await;
    app.wait_status(&id, &["failed"]).await;
    let res = app
        .post_form(&format!("/installs/{id}/steps/dns/retry"), &[])
        .await;
    assert_eq!(res.status(), 303);
    let detail = app.wait_status(&id, &["succeeded"]).await;
    assert_eq!(step(&detail, "dns")["attempt"], 2);
    assert_eq!(app.steps.calls(StepId::Preflight), 1);

    // A succeeded step can be re-run on request too (e.g. verification).
    let res = app
        .post_form(&format!("/api/v1/installs/{id}/steps/verify/retry"), &[])
        .await;
    assert_eq!(res.status(), 202);
    app.steps.called(StepId::Verify, 2).await;
    let detail = app.wait_status(&id, &["succeeded"]).await;
    assert_eq!(step(&detail, "verify")["attempt"], 2);
    let res = app
        .post_form(&format!("/api/v1/installs/{id}/steps/nope/retry"), &[])
        .await;
    assert_eq!(res.status(), 404);
}

/// In a failed run only the failed (or interrupted) steps are retried: retrying a succeeded
/// step is refused (409, saying what to do), on the page as through the API, and the page offers
/// Retry only where the server allows it. On a succeeded install only verification runs again.
#[tokio::test]
async fn a_failed_run_retries_only_its_failed_steps_and_a_succeeded_one_only_verifies() {
    let app = TestApp::spawn_with(script(
        "steps:
           verify:
             - { sleepMs: 0, outcome: { result: terminal, code: PlatformUnhealthy } }
             - { sleepMs: 0 }",
    ))
    .await;
    let id = app.start_sample().await;
    let failed = app.wait_status(&id, &["failed"]).await;
    assert_eq!(step(&failed, "verify")["status"], "failed");
    assert_eq!(step(&failed, "platform")["status"], "succeeded");
    let page = app
        .get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/installs/{id}/steps/verify/retry")));
    assert!(
        !page.contains(&format!("/installs/{id}/steps/platform/retry")),
        "Retry offered on a succeeded step"
    );
    let res = app
        .post_form(&format!("/api/v1/installs/{id}/steps/platform/retry"), &[])
        .await;
    assert_eq!(res.status(), 409);
    let message = res.json::<Value>().await.unwrap()["message"].to_string();
    assert!(
        message.contains("only its failed or interrupted steps are retried")
            && message.contains("Resume"),
        "{message}"
    );
    assert_eq!(app.steps.calls(StepId::Platform), 1, "nothing ran");

    let res = app
        .post_form(&format!("/api/v1/installs/{id}/steps/verify/retry"), &[])
        .await;
    assert_eq!(res.status(), 202);
    let detail = app.wait_status(&id, &["succeeded"]).await;
    assert_eq!(step(&detail, "verify")["attempt"], 2);

    // Queueing it again is refused in words (issue 16: it read "is succeeded: cannot install
    // queued").
    let res = app
        .post_form(&format!("/api/v1/installs/{id}/start"), &[])
        .await;
    assert_eq!(res.status(), 409);
    let message = res.json::<Value>().await.unwrap()["message"].to_string();
    assert!(
        message.contains("has succeeded: it cannot be queued (only a draft can be)"),
        "{message}"
    );
    // Succeeded: no Resume, no step re-run but verification ("Verify again").
    for path in ["resume", "steps/dns/retry"] {
        let res = app
            .post_form(&format!("/api/v1/installs/{id}/{path}"), &[])
            .await;
        assert_eq!(res.status(), 409, "{path}");
        let message = res.json::<Value>().await.unwrap()["message"].to_string();
        assert!(message.contains("has succeeded"), "{message}");
    }
    let page = app
        .get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Verify again"));
    assert_eq!(page.matches("/retry\"").count(), 1, "only verify: {page}");
    assert!(!page.contains(&format!("/installs/{id}/resume")));
}

/// Once a step fails for good, a sibling being throttled stops retrying: the install is
/// `failed` without waiting out the sibling's retries, and the sibling is `interrupted`
/// (resumable), not failed after its last try.
#[tokio::test]
async fn a_terminal_failure_stops_throttled_siblings_from_retrying() {
    let app = TestApp::spawn_with(script(
        "steps:
           storage:
             - { sleepMs: 0, barrier: { name: together, parties: 2 }, outcome: { result: retryable, code: TooManyRequests, retryAfterMs: 3000 } }
           aks-cluster:
             - { sleepMs: 0, barrier: { name: together, parties: 2 }, outcome: { result: terminal, code: QuotaExceeded } }",
    ))
    .await;
    let id = app.start_sample().await;
    let failed = app.wait_status(&id, &["failed"]).await;
    assert_eq!(step(&failed, "aks-cluster")["status"], "failed");
    assert_eq!(
        step(&failed, "storage")["status"],
        "interrupted",
        "the sibling stops at its retry: {}",
        step(&failed, "storage")
    );
    assert_eq!(app.steps.calls(StepId::Storage), 1, "no second try");
}

#[tokio::test]
async fn cancel_stops_running_steps_and_starts_no_new_ones() {
    let app = TestApp::spawn_with(script(
        "steps:
           aks-cluster: [{ sleepMs: 0, gate: never }]",
    ))
    .await;
    let id = app.start_sample().await;
    app.steps.called(StepId::AksCluster, 1).await;
    let res = app
        .post_form(&format!("/api/v1/installs/{id}/cancel"), &[])
        .await;
    assert_eq!(res.status(), 202);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "cancelling");
    let detail = app.wait_status(&id, &["cancelled"]).await;
    assert!(
        statuses(&detail)
            .iter()
            .all(|(_, status, _)| status != "running"),
        "nothing left running: {:?}",
        statuses(&detail)
    );
    assert_eq!(step(&detail, "aks-cluster")["status"], "cancelled");
    assert_eq!(
        app.steps.calls(StepId::RoleAssignments),
        0,
        "no step started after cancel"
    );
    // Cancelled stays cancelled (issue 16): a resume is refused and says to clone.
    app.steps.open_gate("never");
    let res = app
        .post_form(&format!("/api/v1/installs/{id}/resume"), &[])
        .await;
    assert_eq!(res.status(), 409);
    let message = res.json::<Value>().await.unwrap()["message"].to_string();
    assert!(
        message.contains("was cancelled") && message.contains("clone"),
        "{message}"
    );
    assert_eq!(app.detail(&id).await["status"], "cancelled");
}

#[tokio::test]
async fn a_queued_install_is_cancelled_at_once() {
    let app = TestApp::spawn_configured(Default::default(), |w| w.max_installs = 0).await;
    let id = app.start_sample().await;
    let res = app
        .post_form(&format!("/api/v1/installs/{id}/cancel"), &[])
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "cancelled");
    assert_eq!(app.detail(&id).await["status"], "cancelled");
    let again = app
        .post_form(&format!("/api/v1/installs/{id}/cancel"), &[])
        .await;
    assert_eq!(again.status(), 409);
}

#[tokio::test]
async fn only_one_active_install_per_target() {
    let app = TestApp::spawn_with(script(
        "steps:
           preflight: [{ sleepMs: 0, gate: hold }]",
    ))
    .await;
    let first = app.start_sample().await;
    app.steps.called(StepId::Preflight, 1).await;
    // Same subscription, resource group and cluster, spelled in another case.
    let second_spec = SAMPLE_YAML
        .replace("name: prod", "name: prod-again")
        .replace("rg-katonic-prod", "RG-Katonic-Prod");
    let res = app
        .post_body("/api/v1/installs", "application/yaml", &second_spec)
        .await;
    let second = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .post_form(&format!("/api/v1/installs/{second}/start"), &[])
        .await;
    assert_eq!(res.status(), 409);
    let message = res.json::<Value>().await.unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("prod") && message.contains(&first),
        "{message}"
    );
    app.steps.open_gate("hold");
    app.wait_status(&first, &["succeeded"]).await;
    let res = app
        .post_form(&format!("/api/v1/installs/{second}/start"), &[])
        .await;
    assert_eq!(res.status(), 202, "free once the first has finished");
}

#[tokio::test]
async fn a_shutdown_mid_step_leaves_the_install_interrupted_and_resumable() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("data");
    let app = TestApp::spawn_in_with(
        &dir,
        script("steps:\n  storage: [{ sleepMs: 0, gate: hold }]"),
        |_| {},
    )
    .await;
    let id = app.start_sample().await;
    app.steps.called(StepId::Storage, 1).await;
    app.stop().await;

    let app = TestApp::spawn_in(&dir).await;
    let detail = app.detail(&id).await;
    assert_eq!(detail["status"], "interrupted");
    assert_eq!(step(&detail, "storage")["status"], "interrupted");
    assert_eq!(step(&detail, "preflight")["status"], "succeeded");
    app.post_form(&format!("/installs/{id}/resume"), &[]).await;
    let detail = app.wait_status(&id, &["succeeded"]).await;
    assert_eq!(step(&detail, "storage")["attempt"], 2);
    assert_eq!(
        step(&detail, "preflight")["attempt"],
        1,
        "completed steps are not re-run"
    );
}

#[tokio::test]
async fn a_failing_database_stops_external_calls_and_leaves_a_recovery_file() {
    // Preflight is the only step without dependencies: nothing else runs while it waits.
    let app =
        TestApp::spawn_with(script("steps:\n  preflight: [{ sleepMs: 0, gate: hold }]")).await;
    let id = app.start_sample().await;
    app.steps.called(StepId::Preflight, 1).await;
    app.store.close_writer().await;
    app.steps.open_gate("hold");
    let file = std::path::Path::new(&app.data_dir_path()).join(format!("recovery-{id}.json"));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while !file.exists() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no recovery file at {file:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let recovery: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(recovery["install"], id.as_str());
    assert_eq!(recovery["step"], "preflight");
    assert!(
        recovery["error"].as_str().unwrap().contains("closed"),
        "{recovery}"
    );
    // Nothing after the failed write: no step that depends on it was called. The recovery file
    // is the run's last act, written once its scheduling loop has ended (worker/run.rs), and no
    // later run can claim the install without the database: this count is final.
    assert_eq!(app.steps.calls(StepId::ResourceGroup), 0);
}

#[tokio::test]
async fn after_a_failure_running_steps_finish_and_are_recorded() {
    // dns fails while platform (independent of it) is still working: platform must finish and
    // be recorded as succeeded, not be cut off.
    let app = TestApp::spawn_with(script(
        "steps:
           platform: [{ sleepMs: 0, gate: slow }]
           dns: [{ sleepMs: 0, outcome: { result: terminal, code: RecordConflict } }]",
    ))
    .await;
    let id = app.start_sample().await;
    app.steps.called(StepId::Platform, 1).await;
    app.steps.called(StepId::Dns, 1).await;
    // The install stays running until platform has finished: once dns's failure is recorded
    // the run has seen it, and it must still be running while platform waits at its gate.
    app.wait_step(&id, "dns", "failed").await;
    assert_eq!(app.detail(&id).await["status"], "running");
    app.steps.open_gate("slow");
    let detail = app.wait_status(&id, &["failed"]).await;
    // And the journal agrees: the install ended only after platform's success was recorded.
    let events = events(&app, &id).await;
    let platform_done = events
        .iter()
        .position(|e| {
            e["kind"] == "step" && e["stepId"] == "platform" && e["status"] == "succeeded"
        })
        .expect("platform's success is journaled");
    let install_end = events
        .iter()
        .position(|e| e["kind"] == "install" && e["status"] == "failed")
        .expect("the install's failure is journaled");
    assert!(platform_done < install_end, "{events:#?}");
    assert_eq!(step(&detail, "platform")["status"], "succeeded");
    assert_eq!(step(&detail, "dns")["status"], "failed");
    assert_eq!(
        step(&detail, "superset")["status"],
        "pending",
        "nothing new started"
    );
    assert_eq!(detail["status"], "failed");
}
