//! The client meets every answer shape of real ARM (issue 15): Microsoft's recordings of real
//! traffic (`crates/katonic-sim/recordings`, read here as plain YAML, no simulator types) are
//! fed to the client's response reading and LRO code, and each must read as the operation's
//! outcome: 201 with `Azure-AsyncOperation`, 202 with `Location`, 200 synchronous,
//! `Retry-After`, operation-status bodies, and every error envelope.

use std::path::Path;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

use super::client::{ArmResponse, api_error};
use super::lro::{FinalState, Pending, Started, is_terminal, started};
use super::resources::aks::RunCommandResult;

mod shapes;

/// One recorded response, with what the request was.
struct Recorded {
    file: String,
    method: String,
    uri: String,
    response: ArmResponse,
}

/// Every `*.yaml` under `dir`, at any depth (`<package>/` or `azure-cli/<module>/`).
fn cassettes(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("recordings").flatten() {
        let p = e.path();
        if p.is_dir() {
            cassettes(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
}

fn load_all() -> Vec<Recorded> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/katonic-sim/recordings");
    let mut files = Vec::new();
    cassettes(&root, &mut files);
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read");
        let doc: Value = serde_yaml_ng::from_str(&text).expect("cassette");
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned());
        for i in doc["interactions"].as_array().into_iter().flatten() {
            out.push(Recorded {
                file: file.clone().unwrap_or_default(),
                method: i["request"]["method"].as_str().unwrap_or("").to_string(),
                uri: i["request"]["uri"].as_str().unwrap_or("").to_string(),
                response: response(&i["response"]),
            });
        }
    }
    out
}

fn response(r: &Value) -> ArmResponse {
    let mut headers = HeaderMap::new();
    for (k, v) in r["headers"].as_object().into_iter().flatten() {
        let value = v
            .get(0)
            .and_then(Value::as_str)
            .or(v.as_str())
            .unwrap_or("");
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    let text = r["body"]["string"].as_str().unwrap_or("");
    ArmResponse {
        status: r["status"]["code"].as_u64().unwrap_or(0) as u16,
        headers,
        body: serde_json::from_str(text).ok(),
    }
}

fn recorded_error_code(body: &Value) -> Option<&str> {
    body.pointer("/error/code")
        .or_else(|| body.get("code"))
        .and_then(Value::as_str)
}

#[test]
fn every_recorded_first_response_of_a_write_reads_as_its_outcome() {
    let all = load_all();
    // The Azure CLI's recordings (a folder deeper) are read too: an identity's 201 with a
    // relative `Location`, Private DNS's 202 with `{}` and both URLs.
    for file in [
        "test_identity_management.yaml",
        "test_PutZone_ZoneNotExists_ExpectZoneCreated.yaml",
    ] {
        assert!(all.iter().any(|r| r.file == file), "{file} not read");
    }
    let writes: Vec<&Recorded> = all
        .iter()
        .filter(|r| r.uri.contains("management.azure.com"))
        .filter(|r| matches!(r.method.as_str(), "PUT" | "PATCH" | "DELETE" | "POST"))
        .filter(|r| r.response.status < 400)
        .collect();
    assert!(
        writes.len() > 20,
        "too few recorded writes: {}",
        writes.len()
    );
    let (mut via_async, mut via_location, mut via_state, mut done) = (0, 0, 0, 0);
    for r in writes {
        let at = format!("{} {} {}", r.file, r.method, r.uri);
        let final_state = if r.method == "DELETE" {
            FinalState::Nothing
        } else {
            FinalState::Resource
        };
        let async_url = r.response.header("azure-asyncoperation");
        match started(&r.response, &r.uri, final_state) {
            Started::Pending(Pending::AsyncOperation { status_url, .. }) => {
                assert_eq!(Some(status_url.as_str()), async_url, "{at}");
                via_async += 1;
            }
            Started::Pending(Pending::Location { location_url, .. }) => {
                assert_eq!(r.response.status, 202, "{at}");
                assert_eq!(Some(location_url.as_str()), r.response.header("location"));
                assert!(async_url.is_none(), "{at}");
                via_location += 1;
            }
            Started::Pending(Pending::ProvisioningState { resource_url }) => {
                // Only an answer whose body says the resource is still changing, with no URL
                // to follow, is polled through the resource itself: a VPN gateway's tag PATCH
                // answered 200 `Updating`, and the SDK's GETs saw `Updating` twice more before
                // `Succeeded` (azure-mgmt-network 19.3.0's `test_cli_mgmt_network_base`).
                let state = r.response.body.as_ref().and_then(|b| {
                    b.pointer("/properties/provisioningState")
                        .and_then(Value::as_str)
                });
                assert!(state.is_some_and(|s| !is_terminal(s)), "{at}: {state:?}");
                assert!(async_url.is_none() && r.response.header("location").is_none());
                assert!(
                    all.iter().any(|g| g.method == "GET"
                        && g.uri == resource_url
                        && g.response.body.as_ref().is_some_and(|b| b
                            .pointer("/properties/provisioningState")
                            .and_then(Value::as_str)
                            .is_some_and(is_terminal))),
                    "{at}: no recorded GET saw the resource settle"
                );
                via_state += 1;
            }
            Started::Done(body) => {
                assert!(async_url.is_none(), "{at}");
                assert_ne!(r.response.status, 202, "{at}: 202 without a URL to follow");
                assert_eq!(body, r.response.body, "{at}");
                done += 1;
            }
        }
        if let Some(v) = r.response.header("retry-after") {
            assert_eq!(
                r.response.retry_after().map(|d| d.as_secs().to_string()),
                Some(v.to_string()),
                "{at}"
            );
        }
    }
    // 202 + `Location` only: a storage account create (azure-mgmt-storage 11.2.0) and Run
    // Command (Azure CLI `aks command invoke`); the other 202s also carried
    // `Azure-AsyncOperation`, which wins.
    assert!(
        via_async > 5 && via_location >= 2 && via_state >= 1 && done > 5,
        "{via_async} {via_location} {via_state} {done}"
    );
}

#[test]
fn every_recorded_operation_status_reads_as_running_or_finished() {
    let all = load_all();
    let mut seen = 0;
    for r in all.iter().filter(|r| r.method == "GET") {
        let Some(body) = r.response.body.as_ref() else {
            continue;
        };
        let Some(status) = body.get("status").and_then(Value::as_str) else {
            continue;
        };
        if !(r.uri.contains("/operations/") || r.uri.contains("OperationStatuses")) {
            continue;
        }
        seen += 1;
        let running = matches!(status, "InProgress" | "Running" | "Accepted");
        assert_eq!(
            !running,
            super::lro::is_terminal(status),
            "{} {}: status {status}",
            r.file,
            r.uri
        );
    }
    assert!(seen >= 10, "too few recorded operation polls: {seen}");
}

#[test]
fn every_recorded_error_keeps_its_code() {
    let all = load_all();
    let mut seen = 0;
    for r in all.iter().filter(|r| r.response.status >= 400) {
        let Some(code) = r.response.body.as_ref().and_then(recorded_error_code) else {
            continue;
        };
        seen += 1;
        let e = api_error(&r.response);
        assert_eq!(e.code(), code, "{} {}", r.file, r.uri);
        assert_eq!(e.status(), Some(r.response.status));
        assert!(!e.message().is_empty());
    }
    // ARM's, Private DNS's and the SDK recordings' error envelopes.
    assert!(seen >= 3, "too few recorded errors: {seen}");
}

fn answer(status: u16, headers: &[(&'static str, &str)], body: Option<Value>) -> ArmResponse {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.insert(*k, HeaderValue::from_str(v).expect("header"));
    }
    ArmResponse {
        status,
        headers: map,
        body,
    }
}

#[test]
fn each_providers_error_shape_keeps_its_code() {
    // ARM's envelope with a nested cause, the bare `{"code","message"}` AKS answers (with
    // `"details": null`), and a body-less or non-JSON gateway answer.
    let nested = answer(
        400,
        &[("x-ms-request-id", "r1")],
        Some(
            json!({"error": {"code": "InvalidTemplateDeployment", "message": "outer",
            "details": [{"code": "QuotaExceeded", "message": "inner"}]}}),
        ),
    );
    assert_eq!(api_error(&nested).code(), "QuotaExceeded");
    let bare = answer(
        404,
        &[],
        Some(
            json!({"code": "NotFound", "message": "Could not find the cluster.", "details": null, "subcode": ""}),
        ),
    );
    let e = api_error(&bare);
    assert_eq!(e.code(), "NotFound");
    assert_eq!(e.message(), "Could not find the cluster.");
    let bare_conflict = answer(
        409,
        &[],
        Some(
            json!({"code": "RoleAssignmentExists", "message": "The role assignment already exists."}),
        ),
    );
    assert_eq!(api_error(&bare_conflict).code(), "RoleAssignmentExists");
    let gateway = answer(502, &[("retry-after", "5")], None);
    let e = api_error(&gateway);
    assert_eq!(e.code(), "BadGateway");
    assert!(e.is_retryable());
    assert_eq!(e.retry_after().map(|d| d.as_secs()), Some(5));
}

fn recorded_in<'a>(all: &'a [Recorded], file: &str) -> Vec<&'a Recorded> {
    let found: Vec<&Recorded> = all.iter().filter(|r| r.file == file).collect();
    assert!(!found.is_empty(), "{file} not read");
    found
}

#[test]
fn recorded_run_command_reads_as_its_result() {
    // Azure CLI `aks command invoke` (2022-04-01): POST 202 + `Location` to commandResults,
    // which answers 202 `Running` and then 200 with the result.
    let all = load_all();
    let rec = recorded_in(&all, "test_aks_run_command.yaml");
    let post = rec
        .iter()
        .find(|r| r.method == "POST" && r.uri.contains("/runCommand"))
        .expect("runCommand POST");
    let Started::Pending(Pending::Location { location_url, .. }) =
        started(&post.response, &post.uri, FinalState::LocationBody)
    else {
        panic!("runCommand's 202 was not followed through its Location");
    };
    let results: Vec<&&Recorded> = rec
        .iter()
        .filter(|r| r.method == "GET" && r.uri.contains("/commandResults/"))
        .collect();
    assert!(results.iter().all(|r| r.uri == location_url));
    let (running, finished): (Vec<&&Recorded>, Vec<&&Recorded>) =
        results.into_iter().partition(|r| r.response.status == 202);
    assert_eq!((running.len(), finished.len()), (1, 1));
    for r in running {
        let body: RunCommandResult =
            serde_json::from_value(r.response.body.clone().expect("body")).expect("result");
        let state = body.properties.provisioning_state.expect("state");
        assert!(!is_terminal(&state), "{state}");
    }
    let body = finished[0].response.body.clone().expect("result body");
    let result: RunCommandResult = serde_json::from_value(body).expect("RunCommandResult");
    assert_eq!(result.properties.exit_code, Some(0));
    assert_eq!(
        result.properties.provisioning_state.as_deref(),
        Some("Succeeded")
    );
    assert!(
        result
            .properties
            .logs
            .unwrap_or_default()
            .contains("coredns")
    );
}

#[test]
fn recorded_agent_pool_and_storage_writes_are_followed_as_azure_said() {
    let all = load_all();
    // An agent pool's PUT: 200 with `Azure-AsyncOperation` (azure-mgmt-containerservice 15.0.0).
    let pools = recorded_in(&all, "test_mgmt_aks.test_agentPools.yaml");
    let put = pools
        .iter()
        .find(|r| r.method == "PUT" && r.uri.contains("/agentPools/"))
        .expect("agent pool PUT");
    assert_eq!(put.response.status, 200);
    assert!(matches!(
        started(&put.response, &put.uri, FinalState::Resource),
        Started::Pending(Pending::AsyncOperation { .. })
    ));
    // A storage account's create: 202 with only `Location` and no body; its regenerateKey and
    // listKeys answer synchronously (azure-mgmt-storage 11.2.0).
    let storage = recorded_in(&all, "test_mgmt_storage.test_storage_accounts.yaml");
    let create = storage
        .iter()
        .find(|r| r.method == "PUT")
        .expect("account PUT");
    assert_eq!(
        (create.response.status, create.response.body.as_ref()),
        (202, None)
    );
    assert!(matches!(
        started(&create.response, &create.uri, FinalState::Resource),
        Started::Pending(Pending::Location { .. })
    ));
    for r in storage
        .iter()
        .filter(|r| r.method == "POST" && r.uri.contains("Key"))
    {
        let Started::Done(Some(body)) = started(&r.response, &r.uri, FinalState::LocationBody)
        else {
            panic!("{}: keys were not read synchronously", r.uri);
        };
        assert_eq!(body["keys"].as_array().map(Vec::len), Some(2), "{}", r.uri);
    }
}

#[test]
fn recorded_cluster_credentials_read_as_kubeconfigs() {
    // listClusterAdmin/User/MonitoringUserCredential at 2021-02-01 (azure-mgmt-containerservice
    // 15.0.0; the keys and tokens in the kubeconfigs replaced, see SOURCES.md).
    use base64::Engine;
    let all = load_all();
    let rec = recorded_in(&all, "test_mgmt_aks.test_managed_clusters.yaml");
    let mut seen = 0;
    for r in rec.iter().filter(|r| r.uri.contains("Credential")) {
        let body = r.response.body.clone().expect("credential body");
        let creds: super::resources::aks::CredentialResults =
            serde_json::from_value(body).expect("CredentialResults");
        let first = creds.kubeconfigs.first().expect("a kubeconfig");
        let yaml = base64::engine::general_purpose::STANDARD
            .decode(first.value.as_bytes())
            .expect("base64 kubeconfig");
        let doc: Value = serde_yaml_ng::from_slice(&yaml).expect("kubeconfig YAML");
        assert!(
            doc.pointer("/clusters/0/cluster/server")
                .and_then(Value::as_str)
                .is_some_and(|s| s.starts_with("https://")),
            "{}",
            r.uri
        );
        seen += 1;
    }
    assert_eq!(seen, 3);
}
