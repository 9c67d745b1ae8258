//! The binary itself: `plan`, `serve` (port 0, the Listening line, graceful SIGTERM), `history`.

use crate::helpers::{sample_path, spawn_console};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_katonic-console"))
}

#[test]
fn plan_prints_the_plan_and_json_on_request() {
    let out = bin()
        .args(["plan", "-f"])
        .arg(sample_path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("aks-cluster") && text.contains("critical path"),
        "{text}"
    );

    let out = bin()
        .args(["plan", "--json", "-f"])
        .arg(sample_path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(plan["criticalPathSecs"].as_u64().unwrap() > 0);
}

/// Issue 17: every pool in the cluster's own operation brings the README sample's expected
/// critical path to at most 24 minutes (31m 35s before), and `plan -f` says so.
#[test]
fn plan_of_the_readme_sample_prints_a_critical_path_of_at_most_24_minutes() {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("```yaml\napiVersion: katonic.ai/v1")
        .expect("the README shows a sample spec")
        + "```yaml\n".len();
    let len = readme[start..].find("```").expect("the block ends");
    let temp = tempfile::tempdir().unwrap();
    let file = temp.path().join("readme-sample.yaml");
    std::fs::write(&file, &readme[start..start + len]).unwrap();
    let out = bin().args(["plan", "-f"]).arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Expected duration 23m 55s on the critical path"),
        "{text}"
    );
    assert!(
        !text.contains("compute-pool") && !text.contains("gpu-pool"),
        "{text}"
    );
}

#[test]
fn plan_of_an_invalid_spec_exits_non_zero_listing_every_error() {
    let temp = tempfile::tempdir().unwrap();
    let bad = std::fs::read_to_string(sample_path())
        .unwrap()
        .replace("katonic.example.com", "-bad-.example.com")
        .replace(
            "jumphostSubnetCidr: 10.20.0.64/29",
            "jumphostSubnetCidr: 10.20.0.32/29",
        );
    let file = temp.path().join("bad.yaml");
    std::fs::write(&file, bad).unwrap();
    let out = bin().args(["plan", "-f"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("domain.fqdn"), "{err}");
    assert!(err.contains("cluster.network.jumphostSubnetCidr"), "{err}");
    assert!(err.contains("fix:"), "{err}");
    assert!(out.stdout.is_empty());
}

#[cfg(unix)]
#[test]
fn serve_reports_its_real_port_and_stops_gracefully_on_sigterm() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let (mut child, url) = spawn_console(&[
        "serve".as_ref(),
        "--listen".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--data-dir".as_ref(),
        data.as_os_str(),
    ]);
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    assert_ne!(port, 0);
    let health = std::net::TcpStream::connect(("127.0.0.1", port));
    assert!(health.is_ok(), "nothing listens on {url}");
    // The container's HEALTHCHECK command: 0 while it answers.
    let check = |url: &str| {
        bin()
            .args(["health", "--url", url])
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(check(&format!("{url}/healthz")), "health check of {url}");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "exit after SIGTERM: {exit:?}");
    assert!(
        !check(&format!("{url}/healthz")),
        "a stopped console is healthy"
    );

    let out = bin()
        .args(["history", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("ID"));
}

/// The README's flow: `simulate --env-file`, load the file, `install -f` against those endpoints
/// (a custom cloud, the simulator's CA and service principal) — real ARM client, real steps.
#[cfg(unix)]
#[test]
fn install_from_the_cli_against_a_standalone_simulator() {
    let temp = tempfile::tempdir().unwrap();
    let env_file = temp.path().join("sim.env");
    let mut simulator = bin()
        .args([
            "simulate",
            "--listen",
            "127.0.0.1:0",
            "--time-scale",
            "0",
            // The network is not what this test is about (`placement` tests it).
            "--console-network",
            "unplaced",
            "--state-dir",
        ])
        .arg(temp.path().join("sim"))
        .arg("--env-file")
        .arg(&env_file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The first line is printed once the simulator listens; the env file is written before it.
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(simulator.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(line.contains("ARM simulator listening"), "{line}");
    let vars: Vec<(String, String)> = std::fs::read_to_string(&env_file)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let get = |k: &str| {
        vars.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    for key in [
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "KATONIC_ARM_ENDPOINT",
        "KATONIC_AUTHORITY_HOST",
        "KATONIC_CA_FILE",
        // The verification resolves names from the simulator's zones, not this machine's DNS.
        "KATONIC_VERIFY_DNS_URL",
        // Verification dials private VNet addresses where the simulator serves them.
        "KATONIC_REHEARSAL_DIAL_URL",
    ] {
        assert!(!get(key).is_empty(), "{key}");
    }
    let spec = std::fs::read_to_string(sample_path())
        .unwrap()
        .replace("  kubernetesVersion: \"1.30\"\n", "")
        .replace(
            "3f2c1a9e-8b7d-4c6e-9f01-23456789abcd",
            &get("AZURE_SUBSCRIPTION_ID"),
        )
        .replace(
            "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d",
            &get("AZURE_TENANT_ID"),
        );
    let spec_file = temp.path().join("spec.yaml");
    std::fs::write(&spec_file, spec).unwrap();
    let out = bin()
        .args([
            "install",
            "--cloud",
            "custom",
            "--rehearse-cluster-steps",
            "-f",
        ])
        .arg(&spec_file)
        .arg("--data-dir")
        .arg(temp.path().join("data"))
        .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let teardown = |confirm: Option<&str>, id: &str| {
        let mut cmd = bin();
        cmd.args([
            "teardown",
            id,
            "--cloud",
            "custom",
            "--rehearse-cluster-steps",
        ])
        .arg("--data-dir")
        .arg(temp.path().join("data"))
        .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
        if confirm.is_none() {
            cmd.arg("--yes");
        }
        let mut child = cmd.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        std::io::Write::write_all(&mut stdin, confirm.unwrap_or("").as_bytes()).unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    };
    // `install <id> (prod): queued`
    let id = stdout
        .lines()
        .find_map(|l| l.strip_prefix("install ").and_then(|r| r.split_once(' ')))
        .map(|(id, _)| id.to_string())
        .unwrap_or_default();
    let refused = teardown(Some("staging\n"), &id);
    let told = teardown(None, &id);
    simulator.kill().unwrap();
    simulator.wait().unwrap();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("PASS credentials"), "{stdout}");
    // A check line shows its verdict once (the event's level is not printed again).
    assert!(stdout.contains(" WARN permissions"), "{stdout}");
    assert!(
        !stdout.contains("WARN WARN") && !stdout.contains("ERROR FAIL"),
        "{stdout}"
    );
    assert!(
        stdout.contains("[aks-cluster#1]") || stdout.contains("aks-cluster#1"),
        "{stdout}"
    );
    assert!(stdout.trim_end().ends_with("succeeded"), "{stdout}");

    // `teardown <id>` previews, asks for the name (a wrong one deletes nothing), or takes --yes.
    let refused_out = String::from_utf8_lossy(&refused.stdout);
    assert_eq!(refused.status.code(), Some(1), "{refused_out}");
    assert!(
        refused_out.contains("managedClusters katonic-prod"),
        "{refused_out}"
    );
    assert!(
        refused_out.contains("not confirmed: nothing deleted"),
        "{refused_out}"
    );
    let told_out = String::from_utf8_lossy(&told.stdout);
    assert!(
        told.status.success(),
        "{told_out}\n{}",
        String::from_utf8_lossy(&told.stderr)
    );
    assert!(told_out.contains("delete-cluster#1"), "{told_out}");
    assert!(told_out.trim_end().ends_with("succeeded"), "{told_out}");

    // The CLI's start and teardown are audited like the pages' and the API's (the refused
    // teardown, never confirmed, is not).
    let audit = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = katonic_console::store::Store::open(&temp.path().join("data"))
            .await
            .unwrap();
        let install = katonic_domain::InstallId::parse(&id).unwrap();
        store.audit_of_install(install).await.unwrap()
    });
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str()))
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|(who, _)| *who == "command line")
            .map(|(_, what)| *what)
            .collect::<Vec<_>>()
            .len(),
        2,
        "{actions:?}"
    );
    assert!(actions.contains(&("command line", "start")), "{actions:?}");
    assert!(
        actions.contains(&("command line", "teardown")),
        "{actions:?}"
    );
}

/// `--credential managed-identity`: the jumphost's identity, here through the App Service-style
/// endpoint (`IDENTITY_ENDPOINT`/`IDENTITY_HEADER`) the simulator serves, so nothing ever
/// contacts the link-local metadata address.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn install_with_the_managed_identity_credential() {
    use katonic_sim::{self as sim, SimConfig};
    let temp = tempfile::tempdir().unwrap();
    let simulator = sim::start(SimConfig::for_dir(temp.path().join("sim")))
        .await
        .unwrap();
    let spec = std::fs::read_to_string(sample_path())
        .unwrap()
        .replace("  kubernetesVersion: \"1.30\"\n", "")
        .replace(
            "3f2c1a9e-8b7d-4c6e-9f01-23456789abcd",
            &simulator.subscription_id,
        )
        .replace("0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d", &simulator.tenant_id);
    let spec_file = temp.path().join("spec.yaml");
    std::fs::write(&spec_file, spec).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_katonic-console"));
    cmd.args([
        "install",
        "--credential",
        "managed-identity",
        "--cloud",
        "custom",
    ])
    .args(["--arm-endpoint", &simulator.arm_endpoint])
    .args(["--authority-host", &simulator.authority_host])
    .arg("--ca-file")
    .arg(&simulator.ca_file)
    .args(["--rehearse-cluster-steps", "--time-scale", "0", "-f"])
    .arg(&spec_file)
    .arg("--data-dir")
    .arg(temp.path().join("data"))
    .env("IDENTITY_ENDPOINT", &simulator.managed_identity_endpoint)
    .env("IDENTITY_HEADER", &simulator.managed_identity_header)
    .env(
        "KATONIC_INGRESS_HTTPS_PORT",
        simulator.ingress_https_port().to_string(),
    )
    .env_remove("AZURE_CLIENT_SECRET");
    // The simulator serves from this runtime while the console runs as a child process.
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("PASS credentials"), "{stdout}");
    let token_calls = simulator
        .requests()
        .iter()
        .filter(|r| r.path.contains("msi") || r.path.contains("identity"))
        .count();
    assert!(token_calls >= 1, "the managed identity endpoint was used");
    simulator.shutdown().await;
}
