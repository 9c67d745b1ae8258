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

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "exit after SIGTERM: {exit:?}");

    let out = bin()
        .args(["history", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("ID"));
}
