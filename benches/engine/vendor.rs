//! Benchmark 2, the console beside the vendor's way of installing: the same sample install as
//! Azure CLI commands in sequence, then kubectl (`benches/vendor-az-install.sh`), against the
//! same simulator at the same time scale (the console's in-process one; a `simulate` process for
//! `az`). The simulator records every ARM request either makes, so both are counted alike.
//!
//! It needs an `az` that can run the whole sequence: `KATONIC_BENCH_AZ`, else
//! `target/azure-cli/bin/az` (what `.ci/run` installs from PyPI), else `az` on `PATH`. Debian's
//! azure-cli 2.45 cannot (`az network vnet create` and `az aks create --vnet-subnet-id` fail
//! inside the client), so the benchmark says so instead of guessing a figure.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use super::standalone::{Simulator, recorded, summary};
use super::{create, run_to_end, serve_with};

/// A throwaway RSA public key for the cluster's Linux profile (no private key is kept).
const SSH_PUBLIC_KEY: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDTc1r7bNKeOvyDnQPIoCB7+VLlGFlFbyg8KmsSHHMElNZ2Hk22m0toTZDho7lT8hX8kY2jGFSht7fLfVHiD7qJEzjj605rtDzxRKrfDxghDWWfGPeZUCP7OkXGZEbtkForYtsWgrfQWq5RwZCd8KTNQqEGwA3LLdGMewF2tLT70YrjFlsJxkY5tjmXGMhqLStcLjpSq9VsAUZZ5wNzhMEFR7Tz95nf1eKCuuc/OhTiNVtTln23c3vUZV6B/AYMCd9inhq7daexnDp/iNb35wHaMRn4MhzWVcI5vHWQerfoPypCp0axRA0Ilf9uqZo4W8fWNdKMYV7tMp0I9lM37dMT katonic-bench";

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn find_az() -> Option<PathBuf> {
    if let Some(az) = std::env::var_os("KATONIC_BENCH_AZ") {
        return Some(PathBuf::from(az));
    }
    let installed = manifest_dir().join("target/azure-cli/bin/az");
    if installed.is_file() {
        return Some(installed);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("az"))
        .find(|p| p.is_file())
}

/// The environment `az` runs in: its own config dir, the simulator's CA, no telemetry, and the
/// project's netguard so that it can reach nothing but loopback.
fn az_env(sim: &Simulator, config_dir: &Path) -> Vec<(String, String)> {
    let ca = sim.var("KATONIC_CA_FILE").to_string();
    let netguard = manifest_dir().join("../shared/tools/netguard");
    let mut env = vec![
        ("AZURE_CONFIG_DIR".into(), config_dir.display().to_string()),
        ("AZURE_CORE_COLLECT_TELEMETRY".into(), "no".into()),
        ("AZURE_CORE_SURVEY_MESSAGE".into(), "no".into()),
        ("AZURE_CORE_NO_COLOR".into(), "true".into()),
        ("AZURE_CORE_ONLY_SHOW_ERRORS".into(), "true".into()),
        ("REQUESTS_CA_BUNDLE".into(), ca.clone()),
        ("SSL_CERT_FILE".into(), ca),
    ];
    if netguard.is_dir() {
        env.push(("PYTHONPATH".into(), netguard.display().to_string()));
        env.push((
            "NETGUARD_LOG".into(),
            config_dir.join("netguard.log").display().to_string(),
        ));
    }
    env
}

fn az(az: &Path, env: &[(String, String)], args: &[&str]) -> Result<String, String> {
    let out = Command::new(az)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("az {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "az {}: {}",
            args.first().copied().unwrap_or(""),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Register the simulator as a cloud and sign in as its service principal, as an admin does
/// once before running an installer script (not measured).
fn sign_in(az_path: &Path, env: &[(String, String)], sim: &Simulator) -> Result<(), String> {
    let arm = format!("{}/", sim.var("KATONIC_ARM_ENDPOINT").trim_end_matches('/'));
    let authority = format!(
        "{}/adfs",
        sim.var("KATONIC_AUTHORITY_HOST").trim_end_matches('/')
    );
    az(
        az_path,
        env,
        &[
            "cloud",
            "register",
            "-n",
            "KatonicSim",
            "--endpoint-resource-manager",
            &arm,
            "--endpoint-active-directory",
            &authority,
            "--endpoint-active-directory-resource-id",
            "https://management.core.windows.net/",
            "--endpoint-active-directory-graph-resource-id",
            "https://graph.windows.net/",
            "--endpoint-management",
            "https://management.core.windows.net/",
            "--suffix-acr-login-server-endpoint",
            ".azurecr.io",
            "--suffix-storage-endpoint",
            "core.windows.net",
        ],
    )?;
    az(az_path, env, &["cloud", "set", "-n", "KatonicSim"])?;
    az(
        az_path,
        env,
        &[
            "login",
            "--service-principal",
            "-u",
            sim.var("AZURE_CLIENT_ID"),
            "-p",
            sim.var("AZURE_CLIENT_SECRET"),
            "--tenant",
            sim.var("AZURE_TENANT_ID"),
            "-o",
            "none",
        ],
    )?;
    Ok(())
}

/// What the console would apply, without its verification probes (an installer script does
/// not verify): `katonic-console manifests`.
fn vendor_manifests(work: &Path, spec: &str) -> PathBuf {
    let spec_path = work.join("spec.yaml");
    std::fs::write(&spec_path, spec).expect("spec");
    let out = Command::new(env!("CARGO_BIN_EXE_katonic-console"))
        .arg("manifests")
        .arg("--file")
        .arg(&spec_path)
        .output()
        .expect("manifests");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let kept: Vec<&str> = text
        .split("\n---\n")
        .filter(|doc| !doc.contains("name: katonic-verify"))
        .collect();
    let path = work.join("manifests.yaml");
    std::fs::write(&path, kept.join("\n---\n")).expect("manifests file");
    path
}

pub async fn vendor_comparison(time_scale: f64) {
    println!(
        "2. The console beside the vendor's way (az commands in sequence, then kubectl), same simulator process, time scale {time_scale}"
    );
    // The console through its API, its simulator recording every ARM request.
    let (server, record) = serve_with(time_scale, &[], true);
    let client = server.client();
    let (id, _) = create(&client, &server.base).await;
    let (ours_wall, ours_status) = run_to_end(&client, &server.base, &id, "start").await;
    let ours = recorded(&record);
    drop(server);
    println!(
        "   console:         {ours_status} in {ours_wall:.2} s (preflight, steps in parallel, verification included); {}",
        summary(&ours)
    );

    let Some(az_path) = find_az() else {
        println!(
            "   az sequence:     not run: no az (set KATONIC_BENCH_AZ, or `python3 -m venv target/azure-cli && target/azure-cli/bin/pip install azure-cli==2.67.0`)"
        );
        return;
    };
    let sim = Simulator::start(time_scale, None);
    let work = sim.dir.path().join("vendor");
    let config = work.join("az");
    std::fs::create_dir_all(&config).expect("work dir");
    let env = az_env(&sim, &config);
    if let Err(e) = sign_in(&az_path, &env, &sim) {
        fail(&format!("az could not sign in to the simulator: {e}"));
        return;
    }
    let manifests = vendor_manifests(&work, &super::sample());
    let key = work.join("id_rsa.pub");
    std::fs::write(&key, SSH_PUBLIC_KEY).expect("key");
    sim.clear_record();
    let started = Instant::now();
    let out = Command::new("bash")
        .arg(manifest_dir().join("benches/vendor-az-install.sh"))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("AZ", &az_path)
        .env("MANIFESTS", &manifests)
        .env("SSH_KEY", &key)
        .env("WORK", &work)
        .stdin(Stdio::null())
        .output()
        .expect("bash");
    let wall = started.elapsed().as_secs_f64();
    let vendor = sim.requests();
    let log = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        fail(&format!(
            "the az sequence failed after {wall:.1} s ({} az): {}\n{}",
            az_path.display(),
            log.lines().last().unwrap_or(""),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
        return;
    }
    let (mut azure, mut registration, mut cluster, mut commands) = (0.0, 0.0, 0.0, 0);
    for line in log.lines() {
        let Some((secs, command)) = line.split_once(' ') else {
            continue;
        };
        let secs: f64 = secs.parse().unwrap_or(0.0);
        commands += 1;
        if command.starts_with("kubectl") {
            cluster += secs;
        } else {
            azure += secs;
        }
        if command.starts_with("az provider register") {
            registration += secs;
        }
    }
    println!(
        "   az sequence:     done in {wall:.2} s ({commands} commands: az {azure:.2} s of which provider registration {registration:.2} s, kubectl {cluster:.2} s; no preflight, no verification); {}",
        summary(&vendor)
    );
    println!(
        "   ratio:           the console takes {:.2}x the az sequence's wall time and {:.2}x its ARM requests",
        ours_wall / wall,
        ours.len() as f64 / vendor.len().max(1) as f64
    );
}

/// A benchmark that cannot run says why; under CI that fails the run, so it cannot rot.
fn fail(message: &str) {
    println!("   az sequence:     not measured: {message}");
    assert!(std::env::var_os("CI").is_none(), "{message}");
}
