//! Issue 14's wizard in a real browser (`tests/e2e/network.spec.mjs`, see `browser.rs` for the
//! tools): a rehearsal console placed in a subnet of `vnet-jump` (the simulator creates it with
//! a free `snet-cluster` beside it) opens the network page on that VNet and its subnets; the
//! admin installs into it, queues the install, and it succeeds reaching the cluster `direct`.

use crate::browser::Reaped;
use crate::helpers::{SAMPLE_YAML, blocking_client, spawn_console_started};
use serde_json::Value;
use std::process::Command;

const SUB: &str = "3f2c1a9e-8b7d-4c6e-9f01-23456789abcd";

#[test]
fn the_network_page_offers_the_consoles_vnet_and_the_install_reaches_the_cluster_directly() {
    let Some((root, e2e)) = crate::browser::e2e_tools() else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let subnet = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-jump/providers/Microsoft.Network/virtualNetworks/vnet-jump/subnets/snet-jump"
    );
    let args: [&std::ffi::OsStr; 10] = [
        "serve".as_ref(),
        "--listen".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--simulate".as_ref(),
        "--simulate-console-network".as_ref(),
        subnet.as_ref(),
        "--time-scale".as_ref(),
        "0.01".as_ref(),
        "--data-dir".as_ref(),
        data.as_os_str(),
    ];
    let (child, started) = spawn_console_started(&args);
    let _console = Reaped(child);
    let base = started.url.clone();
    let open = started.access_url().to_string();
    // The sample on its own ranges (10.20.0.0/16), on the newest supported version.
    let spec = SAMPLE_YAML
        .replace("  kubernetesVersion: \"1.30\"\n", "")
        .replace("name: prod", "name: netpick");
    let res = blocking_client(&data)
        .post(format!("{base}/api/v1/installs"))
        .header("content-type", "application/yaml")
        .body(spec)
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let mut script = Reaped(
        Command::new("node")
            .arg(e2e.join("network.spec.mjs"))
            .args([&open, &id])
            .env("E2E_SCREENSHOTS_DIR", root.join("target/e2e-screenshots"))
            .spawn()
            .unwrap(),
    );
    let status = script.0.wait().unwrap();
    assert!(status.success(), "the browser test failed ({status})");

    let done: Value = blocking_client(&data)
        .get(format!("{base}/api/v1/installs/{id}"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["clusterAccess"], "direct");
    let existing = &done["answers"]["cluster"]["network"]["existingVnet"];
    assert_eq!(existing["name"], "vnet-jump", "{existing}");
    assert_eq!(existing["aksSubnet"], "snet-cluster");
    assert_eq!(existing["jumphostSubnet"], "snet-jump");
}
