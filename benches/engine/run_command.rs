//! Section 8: the sample install reaching the cluster directly (kube client) beside the same
//! install through AKS Run Command (`cluster.access: runCommand`): wall time, the ARM requests
//! each makes, and the steps that take longest (what dominates).

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use serde_json::Value;

/// The sample spec with `cluster.access` set.
fn spec(access: &str) -> String {
    super::sample().replace(
        "  name: katonic-prod\n",
        &format!("  name: katonic-prod\n  access: {access}\n"),
    )
}

/// One install to its end: (wall seconds, status, each step's seconds).
async fn install(server: &super::Server, spec: &str) -> (f64, String, Vec<(String, f64)>) {
    let client = server.client();
    let created: Value = client
        .post(format!("{}/api/v1/installs", server.base))
        .header("content-type", "application/yaml")
        .body(spec.to_string())
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().expect("id").to_string();
    let started = Instant::now();
    let res = client
        .post(format!("{}/api/v1/installs/{id}/start", server.base))
        .send()
        .await
        .expect("start");
    assert_eq!(res.status(), 202);
    let mut spans: HashMap<String, (f64, f64)> = HashMap::new();
    super::follow(
        &client,
        &format!("{}/api/v1/installs/{id}/events", server.base),
        |data| {
            let Ok(event) = serde_json::from_str::<Value>(data) else {
                return;
            };
            let (Some(step), Some(status)) = (
                event["stepId"].as_str().or(event["step_id"].as_str()),
                event["status"].as_str(),
            ) else {
                return;
            };
            let now = started.elapsed().as_secs_f64();
            let entry = spans.entry(step.to_string()).or_insert((now, now));
            if status == "running" {
                *entry = (now, now);
            } else {
                entry.1 = now;
            }
        },
    )
    .await;
    let wall = started.elapsed().as_secs_f64();
    let status = super::detail(&client, &server.base, &id).await["status"]
        .as_str()
        .unwrap_or("?")
        .to_string();
    let mut steps: Vec<(String, f64)> = spans.into_iter().map(|(s, (a, b))| (s, b - a)).collect();
    steps.sort_by(|a, b| b.1.total_cmp(&a.1));
    (wall, status, steps)
}

pub async fn direct_vs_run_command(scale: f64) {
    println!(
        "8. Reaching the cluster: directly vs through AKS Run Command (sample spec, time scale {scale}; \
         a Run Command pod's start is 6 s nominal)"
    );
    for access in ["direct", "runCommand"] {
        let (server, record) = super::serve_with(scale, &[], true);
        let (wall, status, steps) = install(&server, &spec(access)).await;
        let requests = super::standalone::recorded(&record);
        // The POSTs carry the manifests (a TLS key among them): never recorded. Each command's
        // results were polled, so its id is in the recording.
        let commands: BTreeSet<&str> = requests
            .iter()
            .filter_map(|r| r.path.split("/commandResults/").nth(1))
            .collect();
        let polls = requests
            .iter()
            .filter(|r| r.path.contains("/commandResults/"))
            .count();
        let longest: Vec<String> = steps
            .iter()
            .take(4)
            .map(|(s, secs)| format!("{s} {secs:.1} s"))
            .collect();
        println!(
            "   {access:<10}  {status}: {wall:.1} s wall, {} ARM requests ({} Run Commands, {polls} result polls); longest steps: {}",
            requests.len() + commands.len(),
            commands.len(),
            longest.join(", ")
        );
    }
}
