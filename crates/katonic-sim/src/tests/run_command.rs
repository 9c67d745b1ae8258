//! AKS Run Command: the command runs against the simulated cluster (kubectl from the context's
//! files), answers 202 then the result, and keeps Azure's limits.

use base64::Engine;
use serde_json::{Value, json};

use super::harness::{Resp, Sim};
use super::kube::cluster;

/// A stored (uncompressed) ZIP archive of `files`, base64 encoded, as a request's `context`.
fn context(files: &[(&str, &[u8])]) -> String {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let offset = u32::try_from(out.len()).unwrap();
        let crc = crc32fast::hash(data);
        let size = u32::try_from(data.len()).unwrap();
        let name_len = u16::try_from(name.len()).unwrap();
        let mut common = Vec::new();
        common.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
        common.extend_from_slice(&crc.to_le_bytes());
        common.extend_from_slice(&size.to_le_bytes());
        common.extend_from_slice(&size.to_le_bytes());
        common.extend_from_slice(&name_len.to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&common);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&[20, 0]);
        central.extend_from_slice(&common);
        central.extend_from_slice(&[0; 10]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = u32::try_from(out.len()).unwrap();
    let cd_len = u32::try_from(central.len()).unwrap();
    let count = u16::try_from(files.len()).unwrap();
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&cd_len.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&[0; 2]);
    base64::engine::general_purpose::STANDARD.encode(out)
}

async fn run(sim: &Sim, body: &Value) -> Resp {
    let url = format!(
        "{}/runCommand?api-version=2025-10-01",
        sim.cluster_url("rg-a", "aks1")
    );
    sim.post(&url, Some(body)).await
}

/// Submit and follow the Location to the command's result.
async fn result(sim: &Sim, body: &Value) -> Value {
    let submitted = run(sim, body).await;
    assert_eq!(submitted.status, 202, "{}", submitted.body);
    assert!(submitted.header("azure-asyncoperation").is_none());
    let done = sim.wait_location(&submitted).await;
    assert_eq!(done.status, 200, "{}", done.body);
    done.body
}

const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: katonic\n  labels:\n    app.kubernetes.io/managed-by: katonic-console\n";
const CONFIG: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: katonic\ndata:\n  a: b\n";

#[tokio::test]
async fn a_command_applies_the_context_files_server_side_and_reads_them_back() {
    let sim = Sim::start().await;
    let k = cluster(&sim).await;
    let body = json!({
        "command": "kubectl apply --server-side --field-manager=katonic-console -f manifests && kubectl get configmaps settings -n katonic -o json",
        "context": context(&[("manifests/1-ns.yaml", NAMESPACE.as_bytes()), ("manifests/2-cm.yaml", CONFIG.as_bytes())]),
    });
    let answer = result(&sim, &body).await;
    let props = &answer["properties"];
    assert_eq!(props["provisioningState"], "Succeeded", "{answer}");
    assert_eq!(props["exitCode"], 0, "{answer}");
    let logs = props["logs"].as_str().unwrap();
    assert!(
        logs.starts_with(
            "namespace/katonic serverside-applied\nconfigmap/settings serverside-applied\n"
        ),
        "{logs}"
    );
    let printed: Value = serde_json::from_str(&logs[logs.find('{').unwrap()..]).unwrap();
    assert_eq!(
        printed["metadata"]["managedFields"][0]["manager"],
        "katonic-console"
    );
    assert!(props["startedAt"].is_string() && props["finishedAt"].is_string());
    // The API server itself has them: Run Command wrote to the cluster, not to a copy.
    assert_eq!(
        k.get("/api/v1/namespaces/katonic/configmaps/settings")
            .await
            .status,
        200
    );
    // A list prints as `kind: List`; a missing object is kubectl's NotFound, exit code 1.
    let listed = result(&sim, &json!({"command": "kubectl get namespaces -l app.kubernetes.io/managed-by=katonic-console -o json"})).await;
    let list: Value = serde_json::from_str(listed["properties"]["logs"].as_str().unwrap()).unwrap();
    assert_eq!(list["kind"], "List");
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let missing = result(
        &sim,
        &json!({"command": "kubectl get jobs.batch nope -n katonic -o json"}),
    )
    .await;
    assert_eq!(missing["properties"]["exitCode"], 1);
    assert!(
        missing["properties"]["logs"]
            .as_str()
            .unwrap()
            .starts_with("Error from server (NotFound): jobs.batch \"nope\" not found"),
        "{missing}"
    );
    let ignored = result(
        &sim,
        &json!({"command": "kubectl get jobs.batch nope -n katonic -o json --ignore-not-found"}),
    )
    .await;
    assert_eq!(ignored["properties"]["exitCode"], 0);
    assert_eq!(ignored["properties"]["logs"], "");
}

#[tokio::test]
async fn unknown_commands_fail_as_the_pod_shell_says_and_and_chains_stop() {
    let sim = Sim::start().await;
    cluster(&sim).await;
    let answer = result(&sim, &json!({"command": "terraform plan && echo never"})).await;
    assert_eq!(answer["properties"]["exitCode"], 127, "{answer}");
    assert_eq!(
        answer["properties"]["logs"],
        "sh: 1: terraform: not found\n"
    );
    let answer = result(&sim, &json!({"command": "kubectl frobnicate ; echo after"})).await;
    assert_eq!(answer["properties"]["exitCode"], 0, "`;` runs on: {answer}");
    assert!(
        answer["properties"]["logs"]
            .as_str()
            .unwrap()
            .contains("unknown command \"frobnicate\"")
    );
}

#[tokio::test]
async fn requests_are_validated_as_aks_does() {
    let sim = Sim::start().await;
    cluster(&sim).await;
    let no_command = run(&sim, &json!({"context": ""})).await;
    assert_eq!(
        (no_command.status, no_command.code()),
        (400, "InvalidParameter"),
        "{}",
        no_command.body
    );
    let not_base64 = run(&sim, &json!({"command": "ls", "context": "%%%"})).await;
    assert_eq!(not_base64.status, 400, "{}", not_base64.body);
    let not_zip = run(
        &sim,
        &json!({"command": "ls", "context": "aGVsbG8gd29ybGQ="}),
    )
    .await;
    assert_eq!(not_zip.status, 400, "{}", not_zip.body);
    assert!(
        not_zip.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("zip")
    );
    let url = format!(
        "{}/runCommand?api-version=2025-10-01",
        sim.cluster_url("rg-a", "nope")
    );
    assert_eq!(
        sim.post(&url, Some(&json!({"command": "ls"}))).await.status,
        404
    );
    let result_url = format!(
        "{}/commandResults/0123?api-version=2025-10-01",
        sim.cluster_url("rg-a", "aks1")
    );
    assert_eq!(sim.get(&result_url).await.status, 404);
}

#[tokio::test]
async fn long_commands_are_stopped_and_output_is_cut_at_512_kb() {
    let sim = Sim::start().await;
    cluster(&sim).await;
    let slow = result(&sim, &json!({"command": "sleep 400"})).await;
    assert_eq!(slow["properties"]["provisioningState"], "Failed", "{slow}");
    assert!(
        slow["properties"]["reason"]
            .as_str()
            .unwrap()
            .contains("300"),
        "{slow}"
    );
    let big = vec![b'x'; 600 * 1024];
    let cut = result(
        &sim,
        &json!({"command": "cat big.txt", "context": context(&[("big.txt", &big)])}),
    )
    .await;
    assert_eq!(cut["properties"]["exitCode"], 0);
    assert_eq!(
        cut["properties"]["logs"].as_str().unwrap().len(),
        512 * 1024
    );
}

#[tokio::test]
async fn the_result_is_202_until_the_command_pod_has_run() {
    // Scaled down so the cluster is created quickly; a 60 s command still takes a while.
    let sim = Sim::start_with(|c| c.time_scale = 0.005).await;
    sim.register_all().await;
    for ns in ["Microsoft.ContainerService", "Microsoft.ContainerRegistry"] {
        let url = format!("{}/providers/{ns}?api-version=2025-04-01", sim.sub());
        for _ in 0..200 {
            if sim.get(&url).await.body["registrationState"] == "Registered" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    cluster(&sim).await;
    let submitted = run(&sim, &json!({"command": "sleep 60"})).await;
    assert_eq!(submitted.status, 202);
    let location = submitted.header("location").unwrap();
    assert!(location.contains("/commandResults/"), "{location}");
    let early = sim.get(&location).await;
    assert_eq!(
        early.status, 202,
        "the pod takes its time to start: {}",
        early.body
    );
    assert!(early.header("retry-after").is_some());
}
