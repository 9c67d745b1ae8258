//! The Azure steps through the real ARM client against the simulator: a full install, faults
//! (QuotaExceeded then resume, a 429 storm, a dropped connection during the cluster create), a
//! stop during the cluster create then resume polling the same operation, and every recorded
//! request and response validated against Microsoft's specs with `oav` when it is installed.

use crate::helpers::{SAMPLE_YAML, TestApp, step, test_worker};
use katonic_console::azure::{ArmClient, Timing};
use katonic_console::startup::{Engine, simulator_settings};
use katonic_console::steps::AzureSteps;
use katonic_console::store::InstallId;
use katonic_console::worker::ScriptedSteps;
use katonic_sim::{self as sim, FaultAction, FaultPlan, FaultRule, SimConfig, SimHandle};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub(crate) struct World {
    pub(crate) _temp: tempfile::TempDir,
    pub(crate) dir: PathBuf,
    pub(crate) sim: SimHandle,
}

pub(crate) async fn world() -> World {
    world_with(|_| {}).await
}

/// A world whose simulated Azure catalogue (`catalog.yaml`: quotas, sizes per zone, providers,
/// the caller's permissions) is edited before the simulator serves.
pub(crate) async fn world_with(edit: impl FnOnce(&mut serde_yaml_ng::Value)) -> World {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().to_path_buf();
    // A first start writes the default catalogue; edit it, then start for real.
    sim::start(SimConfig::for_dir(dir.join("simulator")))
        .await
        .unwrap()
        .shutdown()
        .await;
    let file = dir.join("simulator/catalog.yaml");
    let mut catalog: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    edit(&mut catalog);
    std::fs::write(&file, serde_yaml_ng::to_string(&catalog).unwrap()).unwrap();
    let mut config = SimConfig::for_dir(dir.join("simulator"));
    config.record_dir = Some(dir.join("traffic"));
    // A thousandth of Azure's durations: an AKS create takes about 0.4 s.
    config.time_scale = 0.001;
    let sim = sim::start(config).await.unwrap();
    World {
        _temp: temp,
        dir,
        sim,
    }
}

/// A console whose Azure steps talk to the simulator (cluster steps rehearsed).
pub(crate) async fn console(world: &World) -> TestApp {
    console_with(world, &simulator_settings(&world.sim)).await
}

/// As [`console`], its ARM client built from `settings`.
pub(crate) async fn console_with(
    world: &World,
    settings: &katonic_console::azure::ArmSettings,
) -> TestApp {
    let mut arm = ArmClient::new(settings).unwrap();
    arm.timing = Timing {
        min_wait: Duration::from_millis(5),
        max_wait: Duration::from_millis(50),
        tries: 4,
    };
    let executor = Arc::new(
        AzureSteps::new(arm, Arc::new(ScriptedSteps::rehearsal(0.0)))
            .with_timeouts(katonic_console::steps::ClusterTimeouts::scaled(0.0))
            .with_verify(katonic_console::startup::simulated_verify(&world.sim))
            // Placement as the settings say: an unplaced simulator declares line of sight.
            .with_placement(
                katonic_console::azure::placement::PlacementSource::from_settings(settings),
            ),
    );
    let engine = Engine {
        executor,
        worker: test_worker(&world.dir.join("data")),
        simulator: None,
    };
    TestApp::spawn_engine(&world.dir.join("data"), engine).await
}

/// The sample install, in the simulator's subscription and tenant, on the newest supported
/// Kubernetes (the sample's 1.30 is long-term support only by now, which preflight refuses on
/// the Standard tier; `preflight_refuses_an_lts_only_version_on_standard_tier` covers that).
pub(crate) fn sample(sim: &SimHandle) -> String {
    SAMPLE_YAML
        .replace("  kubernetesVersion: \"1.30\"\n", "")
        .replace("3f2c1a9e-8b7d-4c6e-9f01-23456789abcd", &sim.subscription_id)
        .replace("0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d", &sim.tenant_id)
}

pub(crate) async fn start(app: &TestApp, spec: &str) -> String {
    let res = app
        .post_body("/api/v1/installs", "application/yaml", spec)
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .post_form(&format!("/api/v1/installs/{id}/start"), &[])
        .await;
    assert_eq!(res.status(), 202);
    id
}

/// The install's whole log, for failure messages.
pub(crate) async fn log(app: &TestApp, id: &str) -> String {
    app.get(&format!("/api/v1/installs/{id}/logs"))
        .await
        .text()
        .await
        .unwrap()
}

/// Wait (20 s at most, a liveness bound) until install `id` has checkpointed an operation in
/// flight on a resource whose path ends with `suffix` (lower case). The checkpoint is what a
/// resumed step follows, so from then on stopping the console leaves a resumable operation.
pub(crate) async fn operation_checkpointed(app: &TestApp, id: &str, suffix: &str) {
    let install = InstallId::parse(id).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let steps = app.store.steps(install).await.unwrap();
        let checkpointed = steps
            .iter()
            .filter_map(|s| s.checkpoint.as_ref()?.get("operations")?.as_object())
            .any(|ops| ops.keys().any(|p| p.to_ascii_lowercase().ends_with(suffix)));
        if checkpointed {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no operation on {suffix} was ever checkpointed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// PUTs answered (not refused), by resource path.
pub(crate) fn puts(sim: &SimHandle) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in sim.requests() {
        if r.method == "PUT" && r.status < 400 && r.status != 0 {
            *counts.entry(r.path.to_ascii_lowercase()).or_insert(0) += 1;
        }
    }
    counts
}

fn path_ending(counts: &BTreeMap<String, usize>, suffix: &str) -> usize {
    counts
        .iter()
        .filter(|(p, _)| p.ends_with(&suffix.to_ascii_lowercase()))
        .map(|(_, n)| *n)
        .sum()
}

#[tokio::test]
async fn the_sample_install_creates_every_azure_resource_once() {
    let world = world().await;
    let app = console(&world).await;
    let id = start(&app, &sample(&world.sim)).await;
    let detail = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(detail["status"], "succeeded", "{}", log(&app, &id).await);
    let counts = puts(&world.sim);
    for suffix in [
        "/resourcegroups/rg-katonic-prod",
        "/networksecuritygroups/nsg-katonic-prod",
        "/virtualnetworks/vnet-katonic-prod",
        "/managedclusters/katonic-prod",
        "/networksecuritygroups/nsg-appgw-katonic-prod",
        "/applicationgateways/agw-katonic-katonic-prod",
    ] {
        assert_eq!(path_ending(&counts, suffix), 1, "{suffix}: {counts:#?}");
    }
    // Standard_v2 (the default) has no WAF policy; an internal gateway has no public IP.
    assert!(
        !counts.keys().any(
            |p| p.contains("/applicationgatewaywebapplicationfirewallpolicies/")
                || p.contains("/publicipaddresses/")
        ),
        "{counts:#?}"
    );
    // Every pool is in the cluster's create (issue 17): no agent-pool PUT.
    assert!(
        !counts.keys().any(|p| p.contains("/agentpools/")),
        "{counts:#?}"
    );
    assert!(
        counts
            .keys()
            .any(|p| p.contains("/providers/microsoft.storage/storageaccounts/"))
    );
    assert!(counts.keys().any(|p| p.ends_with("/containers/datasets")));
    assert!(counts.keys().any(|p| p.ends_with("/shares/kfs-shared")));
    assert!(
        counts
            .keys()
            .any(|p| p.contains("/microsoft.containerregistry/registries/"))
    );
    assert!(
        counts
            .keys()
            .filter(|p| p.contains("/roleassignments/"))
            .count()
            >= 3,
        "{counts:#?}"
    );

    let preflight = step(&detail, "preflight");
    assert_eq!(preflight["status"], "succeeded");
    let log = app
        .get(&format!("/api/v1/installs/{id}/logs"))
        .await
        .text()
        .await
        .unwrap();
    for check in [
        "PASS credentials",
        "PASS vCPU quota",
        "PASS VM sizes",
        "PASS Kubernetes version",
    ] {
        assert!(log.contains(check), "{check} missing:\n{log}");
    }
    assert!(log.contains("admin kubeconfig for https://"), "{log}");
    // Cluster configuration ran against the Kubernetes API simulator.
    for line in [
        "StorageClass/default is no longer the default",
        "StorageClass/kfs created",
        "StorageClass/kfs-shared created",
        "pool platform: 2 node(s) labelled katonic.ai/node-pool=platform",
        "Namespace/katonic created",
        "NetworkPolicy/katonic/default-deny-ingress created",
        "Service/katonic-ingress/katonic-ingress-lb created",
        // The sample takes the default front door (issue 17): a private-only Application
        // Gateway in the derived gateway subnet, before the internal load balancer at the AKS
        // subnet's last usable address.
        "application gateway agw-katonic-katonic-prod (Standard_v2, 2-10 instances): 3 hosts on 10.20.1.254, backend 10.20.0.62 over HTTPS; Running",
        "load balancer address: 10.20.0.62",
        "publish these records in the Azure Private DNS zone linked to the VNet (or your internal DNS) example.com:",
        "dash-katonic.example.com. 300 IN A 10.20.1.254",
        "ClusterRoleBinding/katonic-platform-installer created",
        "Job/katonic-system/katonic-platform-installer created",
        "installer: ",
        "the platform installer completed",
        "Ingress/katonic/katonic-platform created",
        "Ingress/katonic/katonic-superset created",
        "Ingress/katonic/katonic-airbyte created",
        "connectors-katonic.example.com. 300 IN A 10.20.1.254",
        "Secret/katonic/katonic-tls created: the install's trial certificate for katonic.example.com, dash-katonic.example.com, connectors-katonic.example.com, the one the Application Gateway trusts",
        "PASS https dash-katonic.example.com: HTTP 200 at 127.76.",
    ] {
        assert!(log.contains(line), "{line} missing:\n{log}");
    }
    // Every call carried the install's id as correlation id.
    let requests = world.sim.requests();
    assert!(!requests.is_empty());

    validate_with_oav(&world.dir.join("traffic"));
}

/// Microsoft's oav validator over the recorded traffic, when CI (or a developer) installed it.
pub(crate) fn validate_with_oav(traffic: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let harness = root.join("tests/oav");
    let specs = std::env::var_os("KATONIC_AZURE_SPECS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/azure-specs"));
    let oav = harness.join("node_modules/oav").is_dir();
    if !oav || !specs.is_dir() {
        let missing = if oav {
            format!(
                "Microsoft's specs at {} (shared/ beside the repository)",
                specs.display()
            )
        } else {
            "oav: run `npm ci --prefix tests/oav` (.ci/run does)".to_string()
        };
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must validate the traffic, but {missing} is missing"
        );
        eprintln!("traffic not validated: {missing} is missing");
        return;
    }
    let out = std::process::Command::new("node")
        .arg(harness.join("validate.js"))
        .arg(&specs)
        .arg(traffic)
        // The repository's own copies of Microsoft's public IP, DNS and Private DNS specs.
        .arg(root.join("specs/extra"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let problems: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("INVALID") || l.starts_with("UNMATCHED") || l.starts_with("    "))
        .collect();
    assert!(stdout.contains("\"invalid\":0"), "{stdout}");
    assert!(
        out.status.success(),
        "oav found problems:\n{}\n{}",
        problems.join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The first cluster create refused as Azure refuses it when `family`'s vCPU quota is short.
pub(crate) fn cluster_create_refused_for_quota(family: &str) -> FaultPlan {
    FaultPlan::single(
        FaultRule::new(
            "PUT",
            ".*/managedClusters/[^/]+$",
            FaultAction::Error {
                status: 400,
                code: "QuotaExceeded".into(),
                message: format!(
                    "Operation could not be completed as it results in exceeding approved {family} Cores quota"
                ),
            },
        )
        .nth(1),
    )
}

#[tokio::test]
async fn quota_exceeded_on_the_cluster_create_then_resume_creates_nothing_twice() {
    let world = world().await;
    world
        .sim
        .set_faults(cluster_create_refused_for_quota("standardDSv2Family"));
    let app = console(&world).await;
    let id = start(&app, &sample(&world.sim)).await;
    let failed = app.wait_status(&id, &["failed"]).await;
    let aks = step(&failed, "aks-cluster");
    assert_eq!(aks["status"], "failed");
    let page = app
        .get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("QuotaExceeded") && page.contains("quota"),
        "code and hint shown"
    );

    app.post_form(&format!("/api/v1/installs/{id}/resume"), &[])
        .await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &id).await);
    let counts = puts(&world.sim);
    for (path, n) in &counts {
        assert_eq!(
            *n, 1,
            "{path} was PUT {n} times: completed resources are not created again"
        );
    }
    assert_eq!(
        path_ending(&counts, "/managedclusters/katonic-prod"),
        1,
        "the refused PUT is not counted"
    );
}

#[tokio::test]
async fn a_load_balancer_without_an_address_times_out_clearly_and_resumes() {
    let world = world().await;
    world.sim.set_faults(FaultPlan::single(FaultRule::new(
        "PATCH",
        "/services/katonic-ingress-lb$",
        FaultAction::NoLoadBalancer {},
    )));
    let app = console(&world).await;
    let id = start(&app, &sample(&world.sim)).await;
    let failed = app.wait_status(&id, &["failed", "succeeded"]).await;
    let lb = step(&failed, "ingress-load-balancer");
    assert_eq!(lb["status"], "failed", "{}", log(&app, &id).await);
    let text = log(&app, &id).await;
    assert!(
        text.contains("LoadBalancerNoAddress")
            && text.contains("got no address within 5s")
            && text.contains("kubectl describe service -n katonic-ingress katonic-ingress-lb"),
        "{text}"
    );

    // The admin fixed the cause: the next apply is not faulted and the address arrives.
    world.sim.set_faults(FaultPlan::default());
    app.post_form(&format!("/api/v1/installs/{id}/resume"), &[])
        .await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &id).await);
    let text = log(&app, &id).await;
    assert!(
        text.contains("Service/katonic-ingress/katonic-ingress-lb unchanged"),
        "{text}"
    );
}

#[tokio::test]
async fn a_failed_platform_job_streams_its_log_fails_clearly_and_is_replaced_on_resume() {
    let world = world().await;
    world.sim.set_faults(FaultPlan::single(
        FaultRule::new(
            "PATCH",
            "/jobs/katonic-platform-installer$",
            FaultAction::FailJob {
                message: "pull access denied for katonic/platform-api".into(),
            },
        )
        .nth(1),
    ));
    let app = console(&world).await;
    let id = start(&app, &sample(&world.sim)).await;
    let failed = app.wait_status(&id, &["failed", "succeeded"]).await;
    let text = log(&app, &id).await;
    assert_eq!(step(&failed, "platform")["status"], "failed", "{text}");
    assert!(
        text.contains("PlatformInstallFailed")
            && text.contains("installer: ")
            && text.contains("pull access denied for katonic/platform-api"),
        "{text}"
    );
    // The cluster's own account of the failure: the failed installer pod and why.
    assert!(
        text.contains("diagnostics: pod katonic-system/katonic-platform-installer-")
            && text.contains("exited 1"),
        "{text}"
    );
    support_bundle_explains_the_failure(&app, &id, &world.sim.client_secret).await;

    app.post_form(&format!("/api/v1/installs/{id}/resume"), &[])
        .await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    let text = log(&app, &id).await;
    assert_eq!(done["status"], "succeeded", "{text}");
    assert!(
        text.contains("Job/katonic-platform-installer from the failed attempt removed")
            && text.contains("the platform installer completed"),
        "{text}"
    );
}

#[tokio::test]
async fn an_unreachable_api_server_fails_the_cluster_step_clearly_and_resumes() {
    let world = world().await;
    world.sim.set_faults(FaultPlan::single(FaultRule::new(
        "*",
        "^/kubernetes/",
        FaultAction::Drop {
            after_processing: Some(false),
        },
    )));
    let app = console(&world).await;
    let id = start(&app, &sample(&world.sim)).await;
    let failed = app.wait_status(&id, &["failed", "succeeded"]).await;
    let text = log(&app, &id).await;
    assert_eq!(failed["status"], "failed", "{text}");
    assert!(
        text.contains("reaching the API server") && text.contains("Unreachable"),
        "{text}"
    );
    // Resume completes what was left (the GPU pool had not started when the install stopped)
    // without creating anything completed again.
    let done_before = crate::helpers::succeeded_steps(&failed);
    assert!(
        done_before.iter().any(|s| s == "aks-cluster"),
        "{done_before:?}"
    );
    world.sim.set_faults(FaultPlan::default());
    world.sim.clear_requests();
    app.post_form(&format!("/api/v1/installs/{id}/resume"), &[])
        .await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &id).await);
    let counts = puts(&world.sim);
    for path in counts.keys() {
        assert!(
            !path.ends_with("/managedclusters/katonic-prod")
                && !path.contains("/virtualnetworks/")
                && !path.contains("/storageaccounts/"),
            "resume re-created {path}"
        );
    }
}

#[tokio::test]
async fn a_429_storm_is_ridden_out() {
    let world = world().await;
    world.sim.set_faults(FaultPlan::single(
        FaultRule::new("GET", ".*", FaultAction::Throttle { retry_after: 1 }).every(3),
    ));
    let app = console(&world).await;
    let id = start(&app, &sample(&world.sim)).await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &id).await);
    let throttled = world
        .sim
        .requests()
        .iter()
        .filter(|r| r.status == 429)
        .count();
    assert!(throttled >= 10, "only {throttled} throttled calls");
}

#[tokio::test]
async fn a_connection_dropped_during_the_cluster_create_does_not_make_a_second_cluster() {
    let world = world().await;
    world.sim.set_faults(FaultPlan::single(
        FaultRule::new(
            "PUT",
            ".*/managedClusters/[^/]+$",
            FaultAction::Drop {
                after_processing: Some(true),
            },
        )
        .nth(1),
    ));
    let app = console(&world).await;
    let id = start(&app, &sample(&world.sim)).await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &id).await);
    let clusters: Vec<_> = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| {
            r.method == "PUT"
                && r.path
                    .to_ascii_lowercase()
                    .ends_with("/managedclusters/katonic-prod")
        })
        .collect();
    assert!(!clusters.is_empty());
    assert!(clusters.iter().any(|r| r.status == 0), "the drop happened");
}

#[tokio::test]
async fn a_stop_during_the_cluster_create_then_resume_polls_the_same_operation() {
    let world = world().await;
    // The cluster create takes about 2 s: long enough to stop the console in the middle of it.
    world.sim.set_faults(FaultPlan::single(FaultRule::new(
        "PUT",
        ".*/managedClusters/[^/]+$",
        FaultAction::Slow { factor: 5.0 },
    )));
    let app = console(&world).await;
    let id = start(&app, &sample(&world.sim)).await;
    operation_checkpointed(&app, &id, "/managedclusters/katonic-prod").await;
    app.stop().await;
    world.sim.set_faults(FaultPlan::default());
    world.sim.clear_requests();

    let app = console(&world).await;
    assert_eq!(app.detail(&id).await["status"], "interrupted");
    app.post_form(&format!("/api/v1/installs/{id}/resume"), &[])
        .await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &id).await);
    assert_eq!(
        path_ending(&puts(&world.sim), "/managedclusters/katonic-prod"),
        0,
        "the resumed step followed the operation instead of creating the cluster again"
    );
}

/// The network step creates its two NSGs side by side: both operations are checkpointed at
/// once (neither entry lost to the other's save), and a resume follows both, creating neither
/// again.
#[tokio::test]
async fn a_stop_while_both_nsgs_are_created_then_resume_follows_both_operations() {
    let world = world().await;
    world.sim.set_faults(FaultPlan::single(FaultRule::new(
        "PUT",
        ".*/networkSecurityGroups/[^/]+$",
        FaultAction::Slow { factor: 100.0 },
    )));
    let app = console(&world).await;
    let id = start(&app, &sample(&world.sim)).await;
    for nsg in ["nsg-katonic-prod", "nsg-appgw-katonic-prod"] {
        operation_checkpointed(&app, &id, &format!("/networksecuritygroups/{nsg}")).await;
    }
    let install = InstallId::parse(&id).unwrap();
    let steps = app.store.steps(install).await.unwrap();
    let network = steps
        .iter()
        .find(|s| s.step_id == katonic_domain::plan::StepId::Network)
        .and_then(|s| s.checkpoint.clone())
        .unwrap();
    assert_eq!(
        network["operations"].as_object().map(|o| o.len()),
        Some(2),
        "{network:#}"
    );
    app.stop().await;
    world.sim.set_faults(FaultPlan::default());
    world.sim.clear_requests();

    let app = console(&world).await;
    app.post_form(&format!("/api/v1/installs/{id}/resume"), &[])
        .await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &id).await);
    let counts = puts(&world.sim);
    for nsg in ["/nsg-katonic-prod", "/nsg-appgw-katonic-prod"] {
        assert_eq!(path_ending(&counts, nsg), 0, "{nsg}: {counts:#?}");
    }
}

#[tokio::test]
async fn preflight_refuses_an_lts_only_version_on_standard_tier() {
    let world = world().await;
    let app = console(&world).await;
    let spec = SAMPLE_YAML
        .replace(
            "3f2c1a9e-8b7d-4c6e-9f01-23456789abcd",
            &world.sim.subscription_id,
        )
        .replace("0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d", &world.sim.tenant_id);
    let id = start(&app, &spec).await;
    let failed = app.wait_status(&id, &["failed"]).await;
    assert_eq!(step(&failed, "preflight")["status"], "failed");
    let log = log(&app, &id).await;
    assert!(
        log.contains("FAIL Kubernetes version: 1.30 is only available with long-term support"),
        "{log}"
    );
    assert!(log.contains("cluster.tier: premium"), "the fix is named");
    assert!(
        !world.sim.requests().iter().any(|r| r.method == "PUT"),
        "preflight creates nothing"
    );
}

#[tokio::test]
async fn preflight_stops_at_a_subscription_the_identity_cannot_see() {
    let world = world().await;
    let app = console(&world).await;
    let spec = sample(&world.sim).replace(
        &world.sim.subscription_id,
        "11111111-2222-4333-8444-555555555555",
    );
    let id = start(&app, &spec).await;
    app.wait_status(&id, &["failed"]).await;
    let log = log(&app, &id).await;
    assert!(
        log.contains(
            "FAIL subscription: subscription 11111111-2222-4333-8444-555555555555 was not found"
        ),
        "{log}"
    );
    assert_eq!(
        log.matches(" FAIL ").count(),
        1,
        "one cause, one failure:\n{log}"
    );
}

/// Issue 16: with no route to Entra ID (its token endpoint a loopback port nothing listens on,
/// as blocked egress looks to the console) preflight says it is the network, not the
/// credentials, and fails without creating anything.
#[tokio::test]
async fn preflight_says_the_network_not_the_credentials_when_entra_id_is_unreachable() {
    let world = world().await;
    let mut settings = simulator_settings(&world.sim);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    settings.authority_host = Some(format!("https://127.0.0.1:{port}"));
    let app = console_with(&world, &settings).await;
    let id = start(&app, &sample(&world.sim)).await;
    let failed = app.wait_status(&id, &["failed"]).await;
    assert_eq!(step(&failed, "preflight")["status"], "failed");
    let log = log(&app, &id).await;
    assert!(
        log.contains("FAIL credentials: no connection to Entra ID (the token endpoint)"),
        "{log}"
    );
    assert!(log.contains("not the credentials"), "{log}");
    assert!(!log.contains("refused the console's credentials"), "{log}");
    assert!(world.sim.requests().iter().all(|r| r.method != "PUT"));
}

/// Start the sample install on a simulator whose catalogue `edit` changes; returns its log
/// once preflight has failed, after checking nothing was created.
async fn failed_preflight(
    edit: impl FnOnce(&mut serde_yaml_ng::Value),
    before: Option<&str>,
) -> String {
    let world = world_with(edit).await;
    if let Some(rg) = before {
        // An existing resource group (where the install may go), created by someone else.
        let arm = ArmClient::new(&simulator_settings(&world.sim)).unwrap();
        arm.call(
            reqwest::Method::PUT,
            &format!(
                "/subscriptions/{}/resourcegroups/{rg}",
                world.sim.subscription_id
            ),
            katonic_console::azure::api::RESOURCES,
            Some(&serde_json::json!({"location": "eastus"})),
        )
        .await
        .unwrap();
        world.sim.clear_requests();
    }
    let app = console(&world).await;
    let id = start(&app, &sample(&world.sim)).await;
    let failed = app.wait_status(&id, &["failed"]).await;
    assert_eq!(step(&failed, "preflight")["status"], "failed");
    assert!(
        !world.sim.requests().iter().any(|r| r.method == "PUT"),
        "preflight creates nothing"
    );
    log(&app, &id).await
}

fn yaml(text: &str) -> serde_yaml_ng::Value {
    serde_yaml_ng::from_str(text).unwrap()
}

#[tokio::test]
async fn preflight_fails_on_short_vcpu_quota_saying_how_much_to_request() {
    let log = failed_preflight(
        |c| {
            c["quota"]["overrides"] =
                yaml("[{location: eastus, family: standardDSv3Family, limit: 8}]")
        },
        None,
    )
    .await;
    assert!(log.contains("FAIL vCPU quota: standardDSv3Family: 40 vCPUs needed at maximum node counts, 8 of 8 free"), "{log}");
    assert!(
        log.contains("Request at least 40 vCPUs for standardDSv3Family in eastus"),
        "{log}"
    );
    assert!(
        log.contains("PASS vCPU quota: standardDSv2Family"),
        "other families still pass"
    );
}

#[tokio::test]
async fn preflight_fails_on_a_size_missing_in_a_zone_naming_where_it_is_offered() {
    let log = failed_preflight(
        |c| {
            c["skuRestrictions"] = yaml("[{size: Standard_D8s_v3, location: eastus, zones: ['2']}]")
        },
        None,
    )
    .await;
    assert!(
        log.contains("FAIL VM sizes: Standard_D8s_v3 (pool compute) is not offered in zone(s) 2"),
        "{log}"
    );
    assert!(log.contains("It is offered in zones 1, 3"), "{log}");
}

#[tokio::test]
async fn preflight_fails_without_permission_to_assign_roles() {
    let log = failed_preflight(
        |c| {
            c["callerPermissions"] = yaml(
                "{actions: ['*'], notActions: ['Microsoft.Authorization/roleAssignments/write']}",
            )
        },
        Some("rg-katonic-prod"),
    )
    .await;
    assert!(
        log.contains("FAIL permissions: the console's identity may not write role assignments"),
        "{log}"
    );
    assert!(
        log.contains("AKS-Vnet-Permission"),
        "the vendor guide's custom role is named: {log}"
    );
}

#[tokio::test]
async fn preflight_fails_on_a_provider_it_may_not_register() {
    let log = failed_preflight(
        |c| {
            c["callerPermissions"] = yaml(
                "{actions: ['*'], notActions: ['Microsoft.ContainerService/register/action']}",
            );
        },
        None,
    )
    .await;
    assert!(
        log.contains("FAIL resource providers: Microsoft.ContainerService is NotRegistered"),
        "{log}"
    );
    assert!(
        log.contains("az provider register -n Microsoft.ContainerService"),
        "{log}"
    );
}

/// Create `vnet-corp` (10.20.0.0/16 with snet-aks 10.20.0.0/26 and snet-jump 10.20.0.64/29) in
/// `rg-net`, as the admin's existing network, then forget those calls.
pub(crate) async fn existing_network(world: &World) {
    let arm = ArmClient::new(&simulator_settings(&world.sim)).unwrap();
    let sub = &world.sim.subscription_id;
    let api = katonic_console::azure::api::NETWORK;
    let put = |path: String, body: serde_json::Value, version: &'static str| {
        let arm = arm.clone();
        async move {
            let res = arm
                .call(reqwest::Method::PUT, &path, version, Some(&body))
                .await
                .unwrap();
            if let katonic_console::azure::Started::Pending(p) =
                katonic_console::azure::lro::started(
                    &res,
                    &arm.url(&path, version),
                    katonic_console::azure::FinalState::Resource,
                )
            {
                katonic_console::azure::lro::wait(&arm, &p).await.unwrap();
            }
        }
    };
    put(
        format!("/subscriptions/{sub}/resourcegroups/rg-net"),
        serde_json::json!({"location": "eastus"}),
        katonic_console::azure::api::RESOURCES,
    )
    .await;
    put(
        format!("/subscriptions/{sub}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-corp"),
        serde_json::json!({"location": "eastus", "properties": {
            "addressSpace": {"addressPrefixes": ["10.20.0.0/16"]},
            "subnets": [
                {"name": "snet-aks", "properties": {"addressPrefix": "10.20.0.0/26"}},
                {"name": "snet-jump", "properties": {"addressPrefix": "10.20.0.64/29"}}
            ]}}),
        api,
    )
    .await;
    world.sim.clear_requests();
}

pub(crate) fn into_existing_vnet(spec: &str) -> String {
    spec.replace(
        "dnsServiceIp: 172.16.0.10 }",
        "dnsServiceIp: 172.16.0.10,\n             existingVnet: { resourceGroup: rg-net, name: vnet-corp, aksSubnet: snet-aks, jumphostSubnet: snet-jump } }",
    )
}

#[tokio::test]
async fn an_install_into_an_existing_vnet_uses_it_without_modifying_it() {
    let world = world().await;
    existing_network(&world).await;
    let app = console(&world).await;
    let spec = into_existing_vnet(&sample(&world.sim));
    assert!(spec.contains("existingVnet"));
    let id = start(&app, &spec).await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &id).await);
    let counts = puts(&world.sim);
    assert!(
        !counts.keys().any(|p| !p.contains("/roleassignments/")
            && (p.contains("/virtualnetworks/") || p.contains("/networksecuritygroups/"))),
        "the existing network was written to: {counts:#?}"
    );
    let network = &done["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "network")
        .unwrap()["title"];
    assert_eq!(network, "Check the existing virtual network");
    // The cluster's identity still gets Network Contributor on the existing subnet.
    assert!(counts.keys().any(|p| p.contains("/rg-net/providers/microsoft.network/virtualnetworks/vnet-corp/subnets/snet-aks/providers/microsoft.authorization/roleassignments/")), "{counts:#?}");
}

#[tokio::test]
async fn an_existing_vnet_that_differs_from_the_spec_is_refused_with_the_real_value() {
    let world = world().await;
    existing_network(&world).await;
    let app = console(&world).await;
    let spec = into_existing_vnet(&sample(&world.sim))
        .replace("aksSubnetCidr: 10.20.0.0/26", "aksSubnetCidr: 10.20.1.0/26");
    let id = start(&app, &spec).await;
    let failed = app.wait_status(&id, &["failed"]).await;
    assert_eq!(step(&failed, "network")["status"], "failed");
    let log = log(&app, &id).await;
    assert!(
        log.contains("subnet snet-aks is 10.20.0.0/26, not 10.20.1.0/26"),
        "{log}"
    );
    assert!(
        log.contains("Set cluster.network.aksSubnetCidr to 10.20.0.0/26"),
        "{log}"
    );
}

/// A simulator where someone created the sample's cluster before (here: a first install).
pub(crate) async fn with_a_first_install() -> (World, TestApp) {
    let world = world().await;
    let app = console(&world).await;
    let first = start(&app, &sample(&world.sim)).await;
    assert_eq!(
        app.wait_status(&first, &["succeeded", "failed"]).await["status"],
        "succeeded"
    );
    (world, app)
}

#[tokio::test]
async fn an_install_onto_an_existing_cluster_creates_no_cluster_and_grants_its_identities() {
    let (world, app) = with_a_first_install().await;
    world.sim.clear_requests();

    let spec = sample(&world.sim)
        .replace("name: prod", "name: prod-byo")
        .replace("mode: create", "mode: existing")
        .replace(
            "superset: true, airbyte: true",
            "superset: true, airbyte: false",
        );
    let id = start(&app, &spec).await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    let log = log(&app, &id).await;
    assert_eq!(done["status"], "succeeded", "{log}");
    assert!(
        log.contains("PASS existing cluster: cluster katonic-prod is ready"),
        "{log}"
    );
    // It qualifies, each rule said.
    for line in [
        "PASS cluster version: Kubernetes 1.",
        "PASS network policy: engine ",
        "PASS node pools: pool platform: Standard_DS3_v2, labelled katonic.ai/node-pool=platform",
        "PASS node pools: pool compute:",
        "PASS private API server",
    ] {
        assert!(log.contains(line), "{line} missing:\n{log}");
    }
    // The same objects applied again change nothing; the shared class points at this
    // install's storage account, so it is replaced (volumes keep theirs).
    for line in [
        "StorageClass/kfs unchanged",
        "Namespace/katonic unchanged",
        "NetworkPolicy/katonic/default-deny-ingress unchanged",
        "StorageClass/kfs-shared had other parameters",
        "pool compute: 1 node(s) labelled katonic.ai/node-pool=compute",
        "pool gpu has no nodes yet (it scales from 0)",
        "kept the self-signed certificate for katonic.example.com, dash-katonic.example.com (valid until",
    ] {
        assert!(log.contains(line), "{line} missing:\n{log}");
    }
    assert!(!log.contains("no longer the default"), "{log}");
    let counts = puts(&world.sim);
    assert!(
        !counts
            .keys()
            .any(|p| p.contains("/managedclusters/") && !p.contains("/roleassignments/")),
        "an existing cluster is not written to: {counts:#?}"
    );
    assert!(
        counts.keys().any(|p| p.contains("/roleassignments/")),
        "its identities were granted access: {counts:#?}"
    );
}

#[tokio::test]
async fn an_existing_cluster_whose_pool_lost_its_label_does_not_qualify() {
    let (world, app) = with_a_first_install().await;
    // Someone removes the compute pool's label.
    let arm = ArmClient::new(&simulator_settings(&world.sim)).unwrap();
    let pool = format!(
        "/subscriptions/{}/resourceGroups/rg-katonic-prod/providers/Microsoft.ContainerService/managedClusters/katonic-prod/agentPools/compute",
        world.sim.subscription_id
    );
    let mut body = arm
        .get(&pool, katonic_console::azure::api::CONTAINER_SERVICE)
        .await
        .unwrap()
        .unwrap();
    body["properties"]["nodeLabels"] = serde_json::json!({"team": "ml"});
    arm.call(
        reqwest::Method::PUT,
        &pool,
        katonic_console::azure::api::CONTAINER_SERVICE,
        Some(&serde_json::json!({"properties": body["properties"]})),
    )
    .await
    .unwrap();

    let spec = sample(&world.sim)
        .replace("name: prod", "name: prod-byo")
        .replace("mode: create", "mode: existing");
    let id = start(&app, &spec).await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    let log = log(&app, &id).await;
    assert_eq!(done["status"], "failed", "{log}");
    assert_eq!(step(&done, "preflight")["status"], "failed");
    assert!(
        log.contains("FAIL node pools: pool compute lacks the node label katonic.ai/node-pool=compute. Fix: az aks nodepool update --resource-group rg-katonic-prod --cluster-name katonic-prod --name compute --labels katonic.ai/node-pool=compute"),
        "{log}"
    );
}

#[tokio::test]
async fn preflight_fails_when_the_existing_cluster_is_not_there() {
    let world = world().await;
    let app = console(&world).await;
    let spec = sample(&world.sim).replace("mode: create", "mode: existing");
    let id = start(&app, &spec).await;
    app.wait_status(&id, &["failed"]).await;
    let log = log(&app, &id).await;
    assert!(
        log.contains("FAIL existing cluster: cluster katonic-prod was not found"),
        "{log}"
    );
}

/// The sample with the cluster's own load balancer facing the internet (`gateway: none`: the
/// direct path, whose Service takes the public IP).
fn external(sim: &SimHandle) -> String {
    let spec = sample(sim);
    assert!(spec.contains("ingress: { loadBalancer: internal }"));
    spec.replace(
        "ingress: { loadBalancer: internal }",
        "ingress: { loadBalancer: external, gateway: none }",
    )
}

const PIP_PATH_SUFFIX: &str = "/resourcegroups/rg-katonic-prod/providers/microsoft.network/publicipaddresses/pip-katonic-prod-ingress";

fn pip_path(sim: &SimHandle) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/rg-katonic-prod/providers/Microsoft.Network/publicIPAddresses/pip-katonic-prod-ingress",
        sim.subscription_id
    )
}

/// An ARM client of the simulator's subscription, for what a test reads or changes itself.
fn arm(world: &World) -> ArmClient {
    ArmClient::new(&simulator_settings(&world.sim)).unwrap()
}

/// The public IP as ARM shows it, once no operation runs on it.
async fn public_ip(world: &World) -> Option<serde_json::Value> {
    let arm = arm(world);
    for _ in 0..200 {
        let got = arm.get(&pip_path(&world.sim), "2025-07-01").await.unwrap();
        match &got {
            Some(p) if p["properties"]["provisioningState"] != "Succeeded" => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            _ => return got,
        }
    }
    panic!("the public IP never settled");
}

#[tokio::test]
async fn an_external_ingress_install_creates_its_public_ip_and_the_service_takes_its_address() {
    let world = world().await;
    let app = console(&world).await;
    let id = start(&app, &external(&world.sim)).await;
    let detail = app.wait_status(&id, &["succeeded", "failed"]).await;
    let text = log(&app, &id).await;
    assert_eq!(detail["status"], "succeeded", "{text}");
    assert_eq!(step(&detail, "ingress-ip")["status"], "succeeded");

    let pip = public_ip(&world).await.expect("the public IP exists");
    let address = pip["properties"]["ipAddress"].as_str().unwrap().to_string();
    assert_eq!(pip["sku"]["name"], "Standard");
    assert_eq!(pip["properties"]["publicIPAllocationMethod"], "Static");
    assert_eq!(pip["properties"]["publicIPAddressVersion"], "IPv4");
    assert_eq!(pip["zones"], serde_json::json!(["1", "2"]));
    assert_eq!(pip["tags"]["katonic-install"], id.as_str());
    // The Service reports the public IP's address, and DNS publishes that one.
    for line in [
        format!("public IP pip-katonic-prod-ingress in rg-katonic-prod: {address}"),
        format!("load balancer address: {address}"),
        format!("dash-katonic.example.com. 300 IN A {address}"),
        "Network Contributor for the cluster identity on resource group rg-katonic-prod (public IP pip-katonic-prod-ingress): assigned".to_string(),
    ] {
        assert!(text.contains(&line), "{line} missing:\n{text}");
    }
    let counts = puts(&world.sim);
    assert_eq!(path_ending(&counts, PIP_PATH_SUFFIX), 1, "{counts:#?}");
    assert!(
        counts.keys().any(|p| p.contains(
            "/resourcegroups/rg-katonic-prod/providers/microsoft.authorization/roleassignments/"
        )),
        "the grant is on the resource group: {counts:#?}"
    );

    // An install onto that cluster (existing mode) finds the same IP and adopts it, granting the
    // cluster's identity (read from Azure) the same role.
    world.sim.clear_requests();
    let spec = external(&world.sim)
        .replace("name: prod", "name: prod-byo")
        .replace("mode: create", "mode: existing");
    let again = start(&app, &spec).await;
    let done = app.wait_status(&again, &["succeeded", "failed"]).await;
    let text = log(&app, &again).await;
    assert_eq!(done["status"], "succeeded", "{text}");
    assert!(
        text.contains("public IP pip-katonic-prod-ingress already exists as required: adopted")
            && text.contains(&format!("load balancer address: {address}")),
        "{text}"
    );
    let counts = puts(&world.sim);
    assert_eq!(
        path_ending(&counts, PIP_PATH_SUFFIX),
        0,
        "no second PUT of the public IP: {counts:#?}"
    );
    // The public IP's calls against Microsoft's spec (specs/extra), with the rest.
    validate_with_oav(&world.dir.join("traffic"));
}

#[tokio::test]
async fn a_missing_public_ip_leaves_the_service_without_an_address_and_says_which() {
    let world = world().await;
    // First the Service gets no address for another reason, so the install stops there.
    world.sim.set_faults(FaultPlan::single(FaultRule::new(
        "PATCH",
        "/services/katonic-ingress-lb$",
        FaultAction::NoLoadBalancer {},
    )));
    let app = console(&world).await;
    let id = start(&app, &external(&world.sim)).await;
    let failed = app.wait_status(&id, &["failed", "succeeded"]).await;
    assert_eq!(
        step(&failed, "ingress-load-balancer")["status"],
        "failed",
        "{}",
        log(&app, &id).await
    );
    assert!(public_ip(&world).await.is_some(), "created by ingress-ip");

    // Someone deletes the public IP; the resumed step re-applies the Service, which now names
    // an IP that is not there: no address, and the step says which IP.
    let arm = arm(&world);
    let path = pip_path(&world.sim);
    let deleted = arm
        .call(reqwest::Method::DELETE, &path, "2025-07-01", None)
        .await
        .unwrap();
    assert!(
        deleted.status == 202 || deleted.status == 200,
        "{}",
        deleted.status
    );
    for _ in 0..200 {
        if arm.get(&path, "2025-07-01").await.unwrap().is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(public_ip(&world).await.is_none());
    world.sim.set_faults(FaultPlan::default());
    world.sim.clear_requests();
    app.post_form(&format!("/api/v1/installs/{id}/resume"), &[])
        .await;
    let failed = app.wait_status(&id, &["failed", "succeeded"]).await;
    let text = log(&app, &id).await;
    assert_eq!(failed["status"], "failed", "{text}");
    assert!(
        text.contains(
            "the load balancer got no address from public IP pip-katonic-prod-ingress within 5s"
        ) && text.contains(
            "public IP pip-katonic-prod-ingress in resource group rg-katonic-prod may be missing"
        ),
        "{text}"
    );
    assert_eq!(
        path_ending(&puts(&world.sim), PIP_PATH_SUFFIX),
        0,
        "a resume does not re-run the finished ingress-ip step"
    );

    // The admin recreates it (as the ingress-ip step would); the next resume takes its address.
    let body = serde_json::json!({
        "location": "eastus",
        "sku": {"name": "Standard", "tier": "Regional"},
        "zones": ["1", "2"],
        "properties": {"publicIPAllocationMethod": "Static", "publicIPAddressVersion": "IPv4"}
    });
    arm.call(reqwest::Method::PUT, &path, "2025-07-01", Some(&body))
        .await
        .unwrap();
    let again = public_ip(&world).await.expect("recreated");
    let address = again["properties"]["ipAddress"].as_str().unwrap();
    app.post_form(&format!("/api/v1/installs/{id}/resume"), &[])
        .await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    let text = log(&app, &id).await;
    assert_eq!(done["status"], "succeeded", "{text}");
    assert!(
        text.contains(&format!("load balancer address: {address}")),
        "{text}"
    );
}

/// A Private DNS zone `example.com` in `rg-dns`, as the admin's existing zone; returns its id.
async fn existing_private_zone(world: &World) -> String {
    let arm = ArmClient::new(&simulator_settings(&world.sim)).unwrap();
    let sub = &world.sim.subscription_id;
    arm.call(
        reqwest::Method::PUT,
        &format!("/subscriptions/{sub}/resourcegroups/rg-dns"),
        katonic_console::azure::api::RESOURCES,
        Some(&serde_json::json!({"location": "eastus"})),
    )
    .await
    .unwrap();
    let zone = format!(
        "/subscriptions/{sub}/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/example.com"
    );
    arm.call(
        reqwest::Method::PUT,
        &zone,
        katonic_console::azure::api::PRIVATE_DNS,
        Some(&serde_json::json!({"location": "global"})),
    )
    .await
    .unwrap();
    world.sim.clear_requests();
    zone
}

fn with_dns_zone(spec: &str, zone: &str) -> String {
    spec.replace(
        "domain: { fqdn: katonic.example.com, tls: selfSigned }",
        &format!("domain: {{ fqdn: katonic.example.com, tls: selfSigned, dnsZone: \"{zone}\" }}"),
    )
}

#[tokio::test]
async fn a_named_private_dns_zone_gets_the_a_records_once() {
    let world = world().await;
    let zone = existing_private_zone(&world).await;
    let app = console(&world).await;
    let spec = with_dns_zone(&sample(&world.sim), &zone);
    assert!(spec.contains("dnsZone"));
    let id = start(&app, &spec).await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    let log1 = log(&app, &id).await;
    assert_eq!(done["status"], "succeeded", "{log1}");
    assert!(
        log1.contains("PASS DNS zone: Private DNS zone example.com exists and the console may write its A records"),
        "{log1}"
    );
    assert!(
        log1.contains("WARN DNS zone link: Private DNS zone example.com is not linked"),
        "{log1}"
    );
    // The records name the front door: the gateway's frontend (the default), not the cluster's
    // load balancer behind it.
    let address = log1
        .split(" hosts on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .to_string();

    // The three records are in the simulated zone, at the gateway's frontend.
    let arm = ArmClient::new(&simulator_settings(&world.sim)).unwrap();
    for name in ["katonic", "dash-katonic", "connectors-katonic"] {
        let record = arm
            .get(
                &format!("{zone}/A/{name}"),
                katonic_console::azure::api::PRIVATE_DNS,
            )
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no A record {name}"));
        assert_eq!(
            record["properties"]["aRecords"],
            serde_json::json!([{"ipv4Address": address}]),
            "{record}"
        );
        assert_eq!(record["properties"]["ttl"], 300);
        assert_eq!(record["properties"]["metadata"]["katonic-install"], id);
    }
    let counts = puts(&world.sim);
    assert_eq!(
        counts
            .keys()
            .filter(|p| p.contains("/privatednszones/"))
            .count(),
        3,
        "{counts:#?}"
    );
    let page = app
        .get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("DNS records"), "{page}");
    assert!(page.contains("wrote these records into the Private DNS zone example.com"));
    assert!(page.contains("<code>dash-katonic.example.com</code>"));
    assert_eq!(page.matches("created by the console").count(), 3, "{page}");

    // The zone is not linked to the VNet yet: verification says the names do not resolve.
    let dns_verdict = |detail: &serde_json::Value, host: &str| {
        step(detail, "verify")["outputs"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == "dns" && c["subject"] == host)
            .map(|c| c["verdict"].clone())
    };
    assert_eq!(
        dns_verdict(&done, "katonic.example.com"),
        Some(serde_json::json!("warn"))
    );
    // Linked (as preflight advised), the records resolve at the load balancer's address.
    let vnet = format!(
        "/subscriptions/{}/resourceGroups/rg-katonic-prod/providers/Microsoft.Network/virtualNetworks/vnet-katonic-prod",
        world.sim.subscription_id
    );
    arm.call(
        reqwest::Method::PUT,
        &format!("{zone}/virtualNetworkLinks/to-vnet-katonic-prod"),
        katonic_console::azure::api::PRIVATE_DNS,
        Some(&serde_json::json!({"location": "global", "properties": {
            "virtualNetwork": {"id": vnet}, "registrationEnabled": false}})),
    )
    .await
    .unwrap();
    let done = app.verify_again(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &id).await);
    for host in [
        "katonic.example.com",
        "dash-katonic.example.com",
        "connectors-katonic.example.com",
    ] {
        assert_eq!(
            dns_verdict(&done, host),
            Some(serde_json::json!("pass")),
            "{host}"
        );
    }

    // Installing again finds the records as required: none is written again.
    world.sim.clear_requests();
    let again = start(&app, &spec).await;
    let done = app.wait_status(&again, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &again).await);
    let counts = puts(&world.sim);
    assert!(
        !counts.keys().any(|p| p.contains("/privatednszones/")),
        "{counts:#?}"
    );
    let page = app
        .get(&format!("/installs/{again}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        page.matches("already there (unchanged)").count(),
        3,
        "{page}"
    );
    // The Private DNS calls against Microsoft's spec (specs/extra), with the rest.
    validate_with_oav(&world.dir.join("traffic"));
}

#[tokio::test]
async fn someone_elses_record_is_not_overwritten() {
    let world = world().await;
    let zone = existing_private_zone(&world).await;
    let arm = ArmClient::new(&simulator_settings(&world.sim)).unwrap();
    arm.call(
        reqwest::Method::PUT,
        &format!("{zone}/A/dash-katonic"),
        katonic_console::azure::api::PRIVATE_DNS,
        Some(&serde_json::json!({"properties": {"ttl": 3600, "aRecords": [{"ipv4Address": "10.9.9.9"}]}})),
    )
    .await
    .unwrap();
    let app = console(&world).await;
    let id = start(&app, &with_dns_zone(&sample(&world.sim), &zone)).await;
    let failed = app.wait_status(&id, &["failed"]).await;
    assert_eq!(step(&failed, "dns")["status"], "failed");
    let log = log(&app, &id).await;
    assert!(
        log.contains("the A record dash-katonic.example.com in Private DNS zone example.com already points at 10.9.9.9 and was not created by the console"),
        "{log}"
    );
    assert!(
        log.contains(
            "az network private-dns record-set a delete -g rg-dns -z example.com -n dash-katonic"
        ),
        "{log}"
    );
    let record = arm
        .get(
            &format!("{zone}/A/dash-katonic"),
            katonic_console::azure::api::PRIVATE_DNS,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        record["properties"]["aRecords"][0]["ipv4Address"],
        "10.9.9.9"
    );
}

#[tokio::test]
async fn preflight_fails_on_a_missing_zone_naming_the_fix() {
    let world = world().await;
    let app = console(&world).await;
    let zone = format!(
        "/subscriptions/{}/resourceGroups/rg-katonic-prod/providers/Microsoft.Network/privateDnsZones/example.com",
        world.sim.subscription_id
    );
    let id = start(&app, &with_dns_zone(&sample(&world.sim), &zone)).await;
    let failed = app.wait_status(&id, &["failed"]).await;
    assert_eq!(step(&failed, "preflight")["status"], "failed");
    let log = log(&app, &id).await;
    assert!(
        log.contains("FAIL DNS zone: Private DNS zone example.com was not found in resource group rg-katonic-prod"),
        "{log}"
    );
    assert!(
        log.contains("az network private-dns zone create -g rg-katonic-prod -n example.com"),
        "{log}"
    );
}

/// The support bundle of a failed install: every file there, the failure in it, no secret.
async fn support_bundle_explains_the_failure(app: &TestApp, id: &str, secret: &str) {
    use std::io::Read;
    let response = app
        .get(&format!("/installs/{id}/support-bundle.tar.gz"))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/gzip");
    let bytes = response.bytes().await.unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_ref()));
    let mut files = BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().display().to_string();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        files.insert(name.rsplit('/').next().unwrap().to_string(), text);
    }
    for name in [
        "README.txt",
        "install.json",
        "spec.yaml",
        "plan.json",
        "steps.json",
        "timeline.svg",
        "events.log",
        "azure-errors.json",
        "cluster-diagnostics.log",
        "audit.json",
    ] {
        assert!(
            files.contains_key(name),
            "{name} missing: {:?}",
            files.keys()
        );
    }
    assert!(files["events.log"].contains("PlatformInstallFailed"));
    assert!(files["cluster-diagnostics.log"].contains("katonic-platform-installer"));
    let errors: serde_json::Value = serde_json::from_str(&files["azure-errors.json"]).unwrap();
    assert_eq!(errors["correlationId"], id);
    assert_eq!(errors["failedSteps"][0]["step"], "platform");
    for (name, text) in &files {
        assert!(!text.contains(secret), "the client secret is in {name}");
    }
}

#[tokio::test]
async fn preflight_refuses_acme_before_creating_anything() {
    let world = world().await;
    let app = console(&world).await;
    let spec = sample(&world.sim)
        .replace(
            "ingress: { loadBalancer: internal }",
            "ingress: { loadBalancer: external }",
        )
        .replace("tls: selfSigned", "tls: acme");
    assert!(spec.contains("tls: acme"), "the sample changed: {spec}");
    let id = start(&app, &spec).await;
    let failed = app.wait_status(&id, &["failed", "succeeded"]).await;
    let text = log(&app, &id).await;
    assert_eq!(step(&failed, "preflight")["status"], "failed", "{text}");
    assert!(
        text.contains("FAIL TLS: ACME (Let's Encrypt) issuance is not available")
            && text.contains("Set domain.tls to provided"),
        "{text}"
    );
    assert!(
        !world.sim.requests().iter().any(|r| r.method == "PUT"),
        "nothing is created"
    );
}
