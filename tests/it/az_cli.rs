//! The simulator driven by a client we did not write: the Azure CLI (`az`). It registers the
//! simulator as a custom cloud (an ADFS-style authority, so MSAL does no instance discovery at a
//! Microsoft host), logs in as the service principal, creates, shows and deletes a resource
//! group, creates an AKS cluster following the long-running operation, shows it and fetches its
//! admin kubeconfig. `az` runs with the project's netguard on `PYTHONPATH`, whose log must show
//! no lookup of anything but loopback. Skipped when `az` is not on `PATH` (fails under `CI`).
//! `AZ_CLI_DUMP=1` prints the simulator's request log and the kubeconfig.

use katonic_sim::{self as sim, SimConfig, SimHandle};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long one `az` call may take before the test fails.
const AZ_TIMEOUT: Duration = Duration::from_secs(120);

/// A throwaway RSA public key for the cluster's Linux profile (no private key is kept).
const SSH_PUBLIC_KEY: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDTc1r7bNKeOvyDnQPIoCB7+VLlGFlFbyg8KmsSHHMElNZ2Hk22m0toTZDho7lT8hX8kY2jGFSht7fLfVHiD7qJEzjj605rtDzxRKrfDxghDWWfGPeZUCP7OkXGZEbtkForYtsWgrfQWq5RwZCd8KTNQqEGwA3LLdGMewF2tLT70YrjFlsJxkY5tjmXGMhqLStcLjpSq9VsAUZZ5wNzhMEFR7Tz95nf1eKCuuc/OhTiNVtTln23c3vUZV6B/AYMCd9inhq7daexnDp/iNb35wHaMRn4MhzWVcI5vHWQerfoPypCp0axRA0Ilf9uqZo4W8fWNdKMYV7tMp0I9lM37dMT katonic-sim-test";

/// `target/azure-cli/bin/az` (2.67, which `.ci/run` installs: Debian's 2.45 cannot load the
/// `network application-gateway` commands), else `az` on `PATH`, if any.
fn find_az() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/azure-cli/bin/az");
    if venv.is_file() {
        return Some(venv);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("az"))
        .find(|p| p.is_file())
}

/// The Python interpreter (and its arguments) of the `az` script, from its `#!` line.
fn python_of(az: &Path) -> Option<(String, Vec<String>)> {
    let text = std::fs::read(az).ok()?;
    let first = String::from_utf8_lossy(&text).lines().next()?.to_string();
    let interpreter = first.strip_prefix("#!")?.trim().to_string();
    let mut parts = interpreter.split_whitespace().map(str::to_string);
    let program = parts.next()?;
    program
        .contains("python")
        .then(|| (program, parts.collect()))
}

/// Run `python -c script` with netguard on `PYTHONPATH`; its stdout when it succeeds.
fn python(py: &(String, Vec<String>), netguard: &Path, log: &Path, script: &str) -> Option<String> {
    let out = Command::new(&py.0)
        .args(&py.1)
        .args(["-c", script])
        .env("PYTHONPATH", netguard)
        .env("NETGUARD_LOG", log)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The installed versions of azure-cli, its core and telemetry (for `versionCheck.json`), read
/// with the Python that runs `az`; no network.
fn installed_versions(
    py: Option<&(String, Vec<String>)>,
    netguard: &Path,
    log: &Path,
) -> (String, String, String) {
    let script = "import importlib.metadata as m\n\
                  print(m.version('azure-cli'), m.version('azure-cli-core'), m.version('azure-cli-telemetry'))";
    let found = py.and_then(|py| python(py, netguard, log, script));
    let words: Vec<String> = found
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    match words.as_slice() {
        [cli, core, telemetry] => (cli.clone(), core.clone(), telemetry.clone()),
        // Debian's azure-cli package, which CI installs.
        _ => ("2.45.0".into(), "2.45.0".into(), "1.0.8".into()),
    }
}

/// Result of one `az` call.
struct AzOut {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl AzOut {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("az printed no JSON ({e}):\n{}", self.stdout))
    }
}

struct AzEnv {
    az: PathBuf,
    config_dir: PathBuf,
    work: PathBuf,
    ca_file: PathBuf,
    netguard: PathBuf,
    netguard_log: PathBuf,
    /// Numbers the output files of the calls.
    calls: AtomicUsize,
}

impl AzEnv {
    /// Run `az args…` with a timeout; stdout and stderr go to files (no pipe can fill up).
    fn run(&self, args: &[&str]) -> AzOut {
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        let out_file = self.work.join(format!("{n:03}-out.txt"));
        let err_file = self.work.join(format!("{n:03}-err.txt"));
        let mut child = Command::new(&self.az)
            .args(args)
            .env("AZURE_CONFIG_DIR", &self.config_dir)
            .env("AZURE_CORE_COLLECT_TELEMETRY", "no")
            .env("AZURE_CORE_SURVEY_MESSAGE", "no")
            .env("AZURE_CORE_NO_COLOR", "true")
            .env("AZURE_CORE_ONLY_SHOW_ERRORS", "true")
            .env("AZURE_EXTENSION_DIR", self.config_dir.join("cliextensions"))
            .env("REQUESTS_CA_BUNDLE", &self.ca_file)
            .env("SSL_CERT_FILE", &self.ca_file)
            .env("PYTHONPATH", &self.netguard)
            .env("NETGUARD_LOG", &self.netguard_log)
            .env("HOME", &self.work)
            .env("TZ", "UTC")
            .env_remove("AZURE_CLIENT_ID")
            .env_remove("AZURE_CLIENT_SECRET")
            .env_remove("AZURE_TENANT_ID")
            .env_remove("HTTPS_PROXY")
            .env_remove("HTTP_PROXY")
            .env_remove("https_proxy")
            .env_remove("http_proxy")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_file).unwrap())
            .stderr(std::fs::File::create(&err_file).unwrap())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if start.elapsed() > AZ_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stdout = std::fs::read_to_string(&out_file).unwrap_or_default();
        let stderr = std::fs::read_to_string(&err_file).unwrap_or_default();
        let Some(status) = status else {
            panic!(
                "az {} did not finish within {AZ_TIMEOUT:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
                args.join(" ")
            );
        };
        AzOut {
            ok: status.success(),
            stdout,
            stderr,
        }
    }
}

/// Run `az` off the runtime's worker threads (the simulator serves on them).
async fn az(env: &std::sync::Arc<AzEnv>, sim: &SimHandle, args: &[&str]) -> AzOut {
    let env2 = env.clone();
    let owned: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = owned.iter().map(String::as_str).collect();
        env2.run(&refs)
    })
    .await
    .unwrap();
    if !out.ok {
        let log: Vec<String> = sim
            .requests()
            .iter()
            .map(|r| {
                format!(
                    "{} {} ?{} -> {} {}",
                    r.method,
                    r.path,
                    r.query,
                    r.status,
                    r.error_code.clone().unwrap_or_default()
                )
            })
            .collect();
        panic!(
            "az {} failed\nstdout:\n{}\nstderr:\n{}\nsimulator requests:\n{}\nnetguard:\n{}",
            args.join(" "),
            out.stdout,
            out.stderr,
            log.join("\n"),
            std::fs::read_to_string(&env.netguard_log).unwrap_or_default()
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn azure_cli_drives_the_simulator() {
    let Some(az_path) = find_az() else {
        if std::env::var_os("CI").is_some() {
            panic!("the Azure CLI (az) is not on PATH in CI: .ci/run installs it");
        }
        eprintln!("az_cli: skipped, the Azure CLI (az) is not on PATH");
        return;
    };
    let netguard = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/netguard");
    assert!(
        netguard.join("sitecustomize.py").is_file(),
        "netguard not found at {}",
        netguard.display()
    );
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let netguard_log = dir.join("netguard.log");
    let sim = sim::start(SimConfig::for_dir(dir.join("simulator")))
        .await
        .unwrap();

    let config_dir = dir.join("az");
    let work = dir.join("work");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    // The guard must be in force in az's interpreter, or an empty log proves nothing.
    let py = python_of(&az_path);
    match &py {
        Some(py) => {
            let hooked = python(
                py,
                &netguard,
                &netguard_log,
                "import socket; print(socket.getaddrinfo.__name__)",
            );
            assert_eq!(
                hooked.as_deref(),
                Some("_guarded"),
                "netguard is not loaded by {} with PYTHONPATH={}",
                py.0,
                netguard.display()
            );
        }
        None => eprintln!(
            "az_cli: {} is not a Python script; cannot check that netguard loads",
            az_path.display()
        ),
    }
    // A fresh version cache, so az does not ask GitHub for the latest release.
    let (cli, core, telemetry) = installed_versions(py.as_ref(), &netguard, &netguard_log);
    let now = time::OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.microsecond()
    );
    let version_check = serde_json::json!({
        "versions": {
            "azure-cli": {"local": cli, "pypi": cli},
            "core": {"local": core, "pypi": core},
            "telemetry": {"local": telemetry, "pypi": telemetry},
        },
        "update_time": stamp,
        "check_time": stamp,
    });
    std::fs::write(
        config_dir.join("versionCheck.json"),
        version_check.to_string(),
    )
    .unwrap();
    let env = std::sync::Arc::new(AzEnv {
        az: az_path,
        config_dir: config_dir.clone(),
        work: work.clone(),
        ca_file: sim.ca_file.clone(),
        netguard,
        netguard_log,
        calls: AtomicUsize::new(0),
    });

    // 1. The simulator as a custom cloud.
    let arm = format!("{}/", sim.arm_endpoint.trim_end_matches('/'));
    let authority = format!("{}/adfs", sim.authority_host.trim_end_matches('/'));
    az(
        &env,
        &sim,
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
        ],
    )
    .await;
    az(&env, &sim, &["cloud", "set", "-n", "KatonicSim"]).await;

    // 2. Log in as the simulator's service principal.
    let login = az(
        &env,
        &sim,
        &[
            "login",
            "--service-principal",
            "-u",
            &sim.client_id,
            "-p",
            &sim.client_secret,
            "--tenant",
            &sim.tenant_id,
            "-o",
            "json",
        ],
    )
    .await
    .json();
    let accounts = login.as_array().unwrap();
    assert!(
        accounts
            .iter()
            .any(|a| a["id"].as_str() == Some(sim.subscription_id.as_str())),
        "{login}"
    );

    // 3. A resource group.
    az(
        &env,
        &sim,
        &[
            "group", "create", "-n", "rg-az", "-l", "eastus", "-o", "json",
        ],
    )
    .await;
    let group = az(&env, &sim, &["group", "show", "-n", "rg-az", "-o", "json"])
        .await
        .json();
    assert_eq!(group["name"], "rg-az", "{group}");
    assert_eq!(group["location"], "eastus", "{group}");
    assert_eq!(
        group["properties"]["provisioningState"], "Succeeded",
        "{group}"
    );
    assert_eq!(
        group["id"].as_str().unwrap().to_ascii_lowercase(),
        format!(
            "/subscriptions/{}/resourcegroups/rg-az",
            sim.subscription_id
        )
        .to_ascii_lowercase()
    );

    // 3b. An Application Gateway v2 (issue 17): made with `az rest`, shown by
    // `az network application-gateway show`.
    application_gateway_shown(&env, &sim, &work).await;

    // 4. An AKS cluster, following the long-running operation to the end. az 2.67 does not
    // register the provider by itself on MissingSubscriptionRegistration (2.45 did): register it.
    az(
        &env,
        &sim,
        &[
            "provider",
            "register",
            "--namespace",
            "Microsoft.ContainerService",
            "--wait",
        ],
    )
    .await;
    let key_file = work.join("id_rsa.pub");
    std::fs::write(&key_file, format!("{SSH_PUBLIC_KEY}\n")).unwrap();
    let created = az(
        &env,
        &sim,
        &[
            "aks",
            "create",
            "-g",
            "rg-az",
            "-n",
            "aks-az",
            "--node-count",
            "2",
            "--node-vm-size",
            "Standard_D4s_v3",
            "--zones",
            "1",
            "2",
            "--network-plugin",
            "azure",
            "--ssh-key-value",
            key_file.to_str().unwrap(),
            "-o",
            "json",
        ],
    )
    .await
    .json();
    assert_eq!(created["provisioningState"], "Succeeded", "{created}");
    let shown = az(
        &env,
        &sim,
        &["aks", "show", "-g", "rg-az", "-n", "aks-az", "-o", "json"],
    )
    .await
    .json();
    assert_eq!(shown["name"], "aks-az", "{shown}");
    assert_eq!(shown["provisioningState"], "Succeeded", "{shown}");
    let pools = shown["agentPoolProfiles"].as_array().unwrap();
    assert_eq!(pools.len(), 1, "{shown}");
    assert_eq!(pools[0]["count"], 2, "{shown}");
    assert_eq!(pools[0]["vmSize"], "Standard_D4s_v3", "{shown}");

    // 5. The admin kubeconfig.
    let kubeconfig = work.join("kubeconfig");
    az(
        &env,
        &sim,
        &[
            "aks",
            "get-credentials",
            "-g",
            "rg-az",
            "-n",
            "aks-az",
            "--admin",
            "--file",
            kubeconfig.to_str().unwrap(),
        ],
    )
    .await;
    let doc: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(&kubeconfig).unwrap()).unwrap();
    let server = doc["clusters"][0]["cluster"]["server"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(server.starts_with("https://"), "{doc:?}");

    // 5b. The console's own `--credential azure-cli` uses this login: azure_identity runs
    // `az account get-access-token` in the same isolated az environment.
    console_with_azure_cli_login(&env, &sim).await;

    // 5c. `az resource list -g` (a subscription-wide list filtered by `resourceGroup eq`,
    // issue 15) finds the cluster, unchanged.
    let listed = az(
        &env,
        &sim,
        &["resource", "list", "-g", "rg-az", "-o", "json"],
    )
    .await
    .json();
    let items = listed.as_array().cloned().unwrap_or_default();
    assert!(
        items.iter().any(|r| r["name"] == "aks-az"),
        "the cluster is listed: {listed}"
    );
    assert!(
        items.iter().all(|r| r["resourceGroup"]
            .as_str()
            .is_some_and(|g| g.eq_ignore_ascii_case("rg-az"))),
        "only the group's resources: {listed}"
    );

    // 6. Delete the group (and the cluster in it).
    az(&env, &sim, &["group", "delete", "-n", "rg-az", "--yes"]).await;
    let gone = env.run(&["group", "show", "-n", "rg-az", "-o", "json"]);
    assert!(!gone.ok, "the group still exists: {}", gone.stdout);
    assert!(
        gone.stderr.contains("ResourceGroupNotFound"),
        "{}",
        gone.stderr
    );

    // The simulator saw one cluster PUT, polled to completion.
    let log = sim.requests();
    let cluster_path = format!(
        "/subscriptions/{}/resourceGroups/rg-az/providers/Microsoft.ContainerService/managedClusters/aks-az",
        sim.subscription_id
    );
    // The provider starts unregistered: the first PUT is refused, az registers
    // Microsoft.ContainerService itself and sends the PUT again, which is accepted once.
    let puts: Vec<u16> = log
        .iter()
        .filter(|r| r.is("PUT", &cluster_path))
        .map(|r| r.status)
        .collect();
    assert_eq!(puts.iter().filter(|s| **s < 300).count(), 1, "{puts:?}");
    assert!(puts.iter().all(|s| *s == 409 || *s < 300), "{puts:?}");
    if puts.len() > 1 {
        let register = format!(
            "/subscriptions/{}/providers/Microsoft.ContainerService/register",
            sim.subscription_id
        );
        assert!(
            log.iter()
                .any(|r| r.is("POST", &register) && r.status == 200),
            "az registered the provider after MissingSubscriptionRegistration"
        );
    }
    let polls = log
        .iter()
        .filter(|r| {
            r.method == "GET"
                && r.path
                    .to_ascii_lowercase()
                    .contains("/providers/microsoft.containerservice/locations/")
                && r.path.to_ascii_lowercase().contains("/operations/")
        })
        .count();
    assert!(polls >= 1, "az polled the cluster's operation");
    assert!(
        log.iter().any(|r| r.method == "POST"
            && r.path
                .to_ascii_lowercase()
                .ends_with("/listclusteradmincredential")),
        "admin credentials listed"
    );
    if std::env::var_os("AZ_CLI_DUMP").is_some() {
        for r in &log {
            eprintln!(
                "{} {} ?{} -> {} {:?}",
                r.method, r.path, r.query, r.status, r.request_body
            );
        }
        eprintln!("{}", std::fs::read_to_string(&kubeconfig).unwrap());
    }
    // Nothing but loopback was looked up.
    let guard = std::fs::read_to_string(&env.netguard_log).unwrap_or_default();
    assert!(
        guard.trim().is_empty(),
        "az looked up other hosts:\n{guard}"
    );
    sim.shutdown().await;
}

/// A VNet with a gateway subnet, a Standard public IP and a Standard_v2 gateway in `rg-az`, PUT
/// with `az rest`; `az network application-gateway show` reads back the v2 SKU, the public
/// frontend, the listener and the backend pool.
async fn application_gateway_shown(env: &std::sync::Arc<AzEnv>, sim: &SimHandle, work: &Path) {
    let rg = format!(
        "/subscriptions/{}/resourceGroups/rg-az",
        sim.subscription_id
    );
    let net = format!("{rg}/providers/Microsoft.Network");
    let gw = format!("{net}/applicationGateways/agw-az");
    let sub = |c: &str, n: &str| serde_json::json!({"id": format!("{gw}/{c}/{n}")});
    let bodies = [
        (
            format!("{net}/virtualNetworks/vnet-agw"),
            serde_json::json!({"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.30.0.0/16"]},
                "subnets": [{"name": "snet-appgw", "properties": {"addressPrefix": "10.30.1.0/24"}}]}}),
        ),
        (
            format!("{net}/publicIPAddresses/pip-agw"),
            serde_json::json!({"location": "eastus", "sku": {"name": "Standard"}, "zones": ["1", "2", "3"],
                "properties": {"publicIPAllocationMethod": "Static"}}),
        ),
        (
            gw.clone(),
            serde_json::json!({"location": "eastus", "zones": ["1", "2", "3"], "properties": {
                "sku": {"name": "Standard_v2", "tier": "Standard_v2"},
                "autoscaleConfiguration": {"minCapacity": 2, "maxCapacity": 10},
                "gatewayIPConfigurations": [{"name": "gwip", "properties": {"subnet": {"id": format!("{net}/virtualNetworks/vnet-agw/subnets/snet-appgw")}}}],
                "frontendIPConfigurations": [{"name": "fe-public", "properties": {"publicIPAddress": {"id": format!("{net}/publicIPAddresses/pip-agw")}}}],
                "frontendPorts": [{"name": "p80", "properties": {"port": 80}}],
                "backendAddressPools": [{"name": "ingress", "properties": {"backendAddresses": [{"ipAddress": "10.30.0.50"}]}}],
                "backendHttpSettingsCollection": [{"name": "http", "properties": {"port": 80, "protocol": "Http", "cookieBasedAffinity": "Disabled"}}],
                "httpListeners": [{"name": "main", "properties": {"frontendIPConfiguration": sub("frontendIPConfigurations", "fe-public"),
                    "frontendPort": sub("frontendPorts", "p80"), "protocol": "Http", "hostName": "katonic.example.com"}}],
                "requestRoutingRules": [{"name": "main", "properties": {"ruleType": "Basic", "priority": 100,
                    "httpListener": sub("httpListeners", "main"), "backendAddressPool": sub("backendAddressPools", "ingress"),
                    "backendHttpSettings": sub("backendHttpSettingsCollection", "http")}}]}}),
        ),
    ];
    let arm = sim.arm_endpoint.trim_end_matches('/');
    for (n, (id, body)) in bodies.iter().enumerate() {
        let file = work.join(format!("agw-body-{n}.json"));
        std::fs::write(&file, body.to_string()).unwrap();
        let url = format!("{arm}{id}?api-version=2025-07-01");
        let body_arg = format!("@{}", file.display());
        az(
            env,
            sim,
            &[
                "rest", "--method", "put", "--url", &url, "--body", &body_arg, "-o", "json",
            ],
        )
        .await;
    }
    let shown = az(
        env,
        sim,
        &[
            "network",
            "application-gateway",
            "show",
            "-g",
            "rg-az",
            "-n",
            "agw-az",
            "-o",
            "json",
        ],
    )
    .await
    .json();
    // az prints the model flattened; older versions spell `Ip`, newer (aaz) ones `IP`.
    let field = |v: &Value, names: &[&str]| -> Value {
        names
            .iter()
            .find_map(|n| v.get(*n).or_else(|| v["properties"].get(*n)).cloned())
            .unwrap_or(Value::Null)
    };
    assert_eq!(field(&shown, &["sku"])["name"], "Standard_v2", "{shown}");
    assert_eq!(field(&shown, &["sku"])["tier"], "Standard_v2", "{shown}");
    assert_eq!(
        field(&shown, &["provisioningState"]),
        "Succeeded",
        "{shown}"
    );
    assert_eq!(field(&shown, &["operationalState"]), "Running", "{shown}");
    let frontends = field(
        &shown,
        &["frontendIPConfigurations", "frontendIpConfigurations"],
    );
    let pip = field(&frontends[0], &["publicIPAddress", "publicIpAddress"]);
    assert!(
        pip["id"]
            .as_str()
            .is_some_and(|p| p.ends_with("/publicIPAddresses/pip-agw")),
        "{shown}"
    );
    let listeners = field(&shown, &["httpListeners"]);
    assert_eq!(
        field(&listeners[0], &["hostName"]),
        "katonic.example.com",
        "{shown}"
    );
    let pools = field(&shown, &["backendAddressPools"]);
    assert_eq!(
        field(&pools[0], &["backendAddresses"])[0]["ipAddress"],
        "10.30.0.50",
        "{shown}"
    );
}

/// `katonic-console install --credential azure-cli` against the simulator, with the token taken
/// from the `az` login above (same config dir, CA and network guard).
async fn console_with_azure_cli_login(env: &std::sync::Arc<AzEnv>, sim: &SimHandle) {
    let spec = std::fs::read_to_string(crate::helpers::sample_path())
        .unwrap()
        .replace("  kubernetesVersion: \"1.30\"\n", "")
        .replace("3f2c1a9e-8b7d-4c6e-9f01-23456789abcd", &sim.subscription_id)
        .replace("0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d", &sim.tenant_id);
    let spec_file = env.work.join("console-spec.yaml");
    std::fs::write(&spec_file, spec).unwrap();
    let az_dir = env.az.parent().unwrap().to_path_buf();
    let path = std::env::join_paths(std::iter::once(az_dir).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_katonic-console"));
    cmd.args(["install", "--credential", "azure-cli", "--cloud", "custom"])
        .args(["--arm-endpoint", &sim.arm_endpoint])
        .args(["--authority-host", &sim.authority_host])
        .arg("--ca-file")
        .arg(&sim.ca_file)
        .args(["--tenant-id", &sim.tenant_id])
        .args(["--rehearse-cluster-steps", "--time-scale", "0", "-f"])
        .arg(&spec_file)
        .arg("--data-dir")
        .arg(env.work.join("console-data"))
        .env("PATH", path)
        .env("AZURE_CONFIG_DIR", &env.config_dir)
        .env("AZURE_CORE_COLLECT_TELEMETRY", "no")
        .env("AZURE_CORE_SURVEY_MESSAGE", "no")
        .env("AZURE_CORE_ONLY_SHOW_ERRORS", "true")
        .env("AZURE_EXTENSION_DIR", env.config_dir.join("cliextensions"))
        .env("REQUESTS_CA_BUNDLE", &env.ca_file)
        .env("SSL_CERT_FILE", &env.ca_file)
        .env("PYTHONPATH", &env.netguard)
        .env("NETGUARD_LOG", &env.netguard_log)
        .env("HOME", &env.work)
        .env("TZ", "UTC")
        .env_remove("AZURE_CLIENT_ID")
        .env_remove("AZURE_CLIENT_SECRET")
        .env_remove("AZURE_TENANT_ID");
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // azure_identity reads `expires_on` from `az account get-access-token`, which Azure CLI
    // prints from 2.54 on; Debian's azure-cli is older. The console must then say exactly that.
    if az_version(env) >= (2, 54) {
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("PASS credentials"), "{stdout}");
    } else {
        assert!(!out.status.success(), "{stdout}");
        assert!(stdout.contains("FAIL credentials"), "{stdout}");
        assert!(stdout.contains("2.54.0 or newer"), "{stdout}");
        assert!(
            stdout.contains("Azure CLI 2.54 or newer"),
            "the fix says so: {stdout}"
        );
    }
}

/// `(major, minor)` of the installed Azure CLI.
fn az_version(env: &AzEnv) -> (u32, u32) {
    let out = env.run(&["version", "-o", "json"]);
    let version: Value = serde_json::from_str(&out.stdout).unwrap_or_default();
    let text = version["azure-cli"].as_str().unwrap_or("0.0");
    let mut parts = text.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}
