//! Every cluster step through AKS Run Command (`cluster.access: runCommand`): a full install
//! against the simulator reaches `succeeded`, verification included, with no request to the
//! cluster's API server; a command that fails is classified with its output's tail.

use crate::azure::{World, console, log, sample, start, world};
use crate::helpers::step;
use katonic_console::azure::ArmClient;
use katonic_console::cluster::reach::{ClusterReach, ReachFailure, RunCommandReach};
use katonic_console::startup::simulator_settings;
use serde_json::Value;

fn verdict(detail: &Value, kind: &str, subject: &str) -> String {
    step(detail, "verify")["outputs"]["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["kind"] == kind && c["subject"] == subject)
        .map_or_else(
            || format!("no {kind} check of {subject}"),
            |c| c["verdict"].as_str().unwrap_or("").to_string(),
        )
}

fn cluster_path(world: &World) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/rg-katonic-prod/providers/Microsoft.ContainerService/managedClusters/katonic-prod",
        world.sim.subscription_id
    )
}

#[tokio::test]
async fn an_install_through_run_command_succeeds_without_touching_the_api_server() {
    let world = world().await;
    let app = console(&world).await;
    let spec = sample(&world.sim).replace(
        "  name: katonic-prod\n",
        "  name: katonic-prod\n  access: runCommand\n",
    );
    assert_ne!(
        spec,
        sample(&world.sim),
        "the sample changed: update this test"
    );
    let id = start(&app, &spec).await;
    let detail = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(detail["status"], "succeeded", "{}", log(&app, &id).await);

    // Verified from inside the cluster: HTTPS with the platform's certificate, health, storage
    // and scheduling, as the direct way checks them.
    for host in ["katonic.example.com", "dash-katonic.example.com"] {
        assert_eq!(verdict(&detail, "https", host), "pass", "{detail:#}");
    }
    assert_eq!(verdict(&detail, "health", "katonic.example.com"), "pass");
    assert_eq!(verdict(&detail, "storage", "class kfs"), "pass");
    assert_eq!(verdict(&detail, "scheduling", "pool platform"), "pass");

    // Only ARM: Run Command posts, their results polled, and not one request to the API server.
    let requests = world.sim.requests();
    let posts: Vec<_> = requests
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/runCommand"))
        .collect();
    assert!(posts.len() > 10, "{} Run Commands", posts.len());
    assert!(
        requests.iter().any(|r| r.path.contains("/commandResults/")),
        "no result was polled"
    );
    let kube: Vec<&str> = requests
        .iter()
        .filter(|r| r.path.starts_with("/kubernetes"))
        .map(|r| r.path.as_str())
        .collect();
    assert!(kube.is_empty(), "the API server was called: {kube:?}");
    // The context (manifests, the TLS key among them) is never logged.
    for post in &posts {
        let body = post.request_body.as_ref().unwrap();
        assert!(body["command"].is_string());
        assert!(
            body.get("context").is_none() || body["context"] == "[redacted]",
            "{body}"
        );
    }
    let text = log(&app, &id).await;
    assert!(text.contains("through AKS Run Command"), "{text}");
    assert!(
        text.contains("installer: "),
        "the installer's log was not read: {text}"
    );
}

#[tokio::test]
async fn a_failing_command_is_classified_with_the_tail_of_its_output() {
    use k8s_openapi::api::storage::v1::StorageClass;

    let world = world().await;
    let app = console(&world).await;
    let spec = sample(&world.sim).replace(
        "  name: katonic-prod\n",
        "  name: katonic-prod\n  access: runCommand\n",
    );
    let id = start(&app, &spec).await;
    let detail = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(detail["status"], "succeeded", "{}", log(&app, &id).await);
    let arm = ArmClient::new(&simulator_settings(&world.sim)).unwrap();
    let reach = ClusterReach::RunCommand(RunCommandReach::new(arm, cluster_path(&world), None));
    let err = reach
        .merge_patch_cluster::<StorageClass>("no-such-class", &serde_json::json!({"x": 1}))
        .await
        .unwrap_err();
    assert!(matches!(err, ReachFailure::Command { .. }), "{err}");
    assert_eq!(err.code(), "NotFound");
    assert!(!err.is_retryable());
    let message = err.to_string();
    assert!(message.contains("kubectl exited 1"), "{message}");
    assert!(
        message.contains("Error from server (NotFound): storageclasses.storage.k8s.io \"no-such-class\" not found"),
        "{message}"
    );
    // A missing object read through Run Command is `None`, not an error.
    let absent: Option<k8s_openapi::api::core::v1::Secret> =
        reach.get("katonic", "no-such-secret").await.unwrap();
    assert!(absent.is_none());
}
