//! The last step: the install checked the way its users will meet it. Each host resolves to the
//! load balancer and answers HTTPS there with the platform's certificate; the platform's health
//! endpoint answers; a volume of each storage class binds; a pod schedules on each labelled pool.
//! The report (every check, with its verdict) is the step's output and the install page's.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use serde_json::{Value, json};

use super::cluster::{connect, kube_error};
use crate::azure::ArmClient;
use crate::cluster::access::Resolve;
use crate::cluster::manifests;
use crate::cluster::reach::ClusterReach;
use crate::cluster::verify::{self, Check, Verdict};
use crate::events::Level;
use crate::worker::{StepContext, StepError};
use katonic_domain::plan::StepId;

/// Where and how the verification looks. How long it retries failing checks is
/// [`ClusterTimeouts::verify`](super::ClusterTimeouts).
#[derive(Clone)]
pub struct VerifySettings {
    /// Port of the ingress's HTTPS listener (443; the simulator's own port in rehearsals).
    pub https_port: u16,
    /// Port of the gateway's HTTP listener (80; the simulator's own port in rehearsals).
    pub http_port: u16,
    /// How host names are looked up (the jumphost's DNS; the simulator's zones in rehearsals).
    pub resolver: Arc<dyn Resolve>,
    /// Where an address is dialled: itself, or in a rehearsal the loopback alias the simulator
    /// serves a private VNet address at (an internal load balancer's or a gateway's static
    /// address), so no packet leaves the machine.
    pub dial: Arc<dyn crate::cluster::access::Dial>,
}

impl Default for VerifySettings {
    fn default() -> Self {
        VerifySettings {
            https_port: 443,
            http_port: 80,
            resolver: Arc::new(crate::cluster::access::SystemResolver),
            dial: Arc::new(crate::cluster::access::Direct),
        }
    }
}

pub async fn run(
    ctx: &StepContext,
    arm: &ArmClient,
    settings: &VerifySettings,
    patience: Duration,
) -> Result<Value, StepError> {
    let reach = connect(ctx, arm).await?;
    // Behind a gateway each host is verified through it (its frontend serves the certificate).
    let address: IpAddr = super::front_door_address(ctx)?.parse().map_err(|_| {
        StepError::terminal(
            "missing-output",
            "the front door's recorded address is not an IP address",
            "Retry step ingress-load-balancer (or app-gateway), then resume.",
        )
    })?;
    let (expected_leaf, chain) = served_certificate(&reach).await?;
    let expected = Expected {
        leaf: expected_leaf,
        chain,
    };
    let deadline = tokio::time::Instant::now() + patience;
    let poll = (patience / 30).clamp(Duration::from_millis(200), Duration::from_secs(10));

    // Independent: both wait on the same deadline side by side.
    let (endpoints, workloads) = tokio::join!(
        endpoint_checks(ctx, settings, &reach, address, &expected, deadline, poll),
        workload_checks(ctx, &reach, deadline, poll),
    );
    let mut checks = endpoints?;
    checks.extend(workloads?);
    let gateway = super::verify_gateway::state(ctx, arm).await?;

    let failed: Vec<&Check> = checks
        .iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .collect();
    let warned = checks.iter().filter(|c| c.verdict == Verdict::Warn).count();
    if !failed.is_empty() {
        let summary: Vec<String> = failed
            .iter()
            .map(|c| format!("{} {}: {}", c.kind, c.subject, c.detail))
            .collect();
        return Err(StepError::terminal(
            "VerificationFailed",
            format!(
                "{} of {} checks failed: {}",
                failed.len(),
                checks.len(),
                summary.join("; ")
            ),
            "Fix what each failed check names, then resume: only the verification runs again.",
        ));
    }
    ctx.progress(format!(
        "verified: {} checks passed{}",
        checks.iter().filter(|c| c.verdict == Verdict::Pass).count(),
        if warned > 0 {
            format!(", {warned} warning(s)")
        } else {
            String::new()
        }
    ))
    .await?;
    let mut out = json!({ "address": address.to_string(), "checks": checks });
    if let Some(state) = gateway {
        out["gateway"] = state;
    }
    Ok(out)
}

/// The certificate in the platform's TLS secret: what every host must serve (its leaf), and
/// its whole chain (PEM: the CA a probe from inside the cluster trusts).
async fn served_certificate(
    reach: &ClusterReach,
) -> Result<(Option<Vec<u8>>, Option<Vec<u8>>), StepError> {
    let chain = super::cluster::read_tls_secret(reach)
        .await?
        .and_then(|s| s.data)
        .and_then(|d| d.get("tls.crt").cloned())
        .map(|crt| crt.0);
    let leaf = chain.as_deref().and_then(crate::cluster::tls::leaf_der);
    Ok((leaf, chain))
}

/// What the hosts must serve.
pub(super) struct Expected {
    /// The leaf certificate (DER).
    pub leaf: Option<Vec<u8>>,
    /// The whole chain (PEM).
    pub chain: Option<Vec<u8>>,
}

/// DNS, HTTPS and health for every host, in rounds: hosts still failing are asked again until
/// they pass or `deadline` passes.
async fn endpoint_checks(
    ctx: &StepContext,
    settings: &VerifySettings,
    reach: &ClusterReach,
    address: IpAddr,
    expected: &Expected,
    deadline: tokio::time::Instant,
    poll: Duration,
) -> Result<Vec<Check>, StepError> {
    let zone = ctx
        .outputs
        .get(&StepId::Dns)
        .and_then(|o| o.get("zone"))
        .and_then(Value::as_str)
        .map_or_else(
            || "your DNS".to_string(),
            // Katonic's zone: the records are Katonic's to publish, so this only warns.
            |z| {
                if ctx.spec.domain.katonic_subdomain {
                    format!("Katonic's zone {z} (send the records to Katonic)")
                } else {
                    format!("zone {z}")
                }
            },
        );
    let hosts: Vec<String> = katonic_domain::plan::names::hosts(&ctx.spec)
        .into_iter()
        .map(|h| h.as_str().to_string())
        .collect();
    let gateway = katonic_domain::plan::GatewayPlan::from_spec(&ctx.spec).is_some();
    let mut dns = Vec::new();
    for host in &hosts {
        dns.push(verify::dns(settings.resolver.as_ref(), host, address, &zone).await);
    }
    let mut answers: Vec<Vec<Check>> = vec![Vec::new(); hosts.len()];
    let mut round = 0;
    loop {
        ctx.guard()?;
        round += 1;
        for (i, host) in hosts.iter().enumerate() {
            if round > 1 && !failing(&answers[i]) {
                continue;
            }
            // The health endpoint is the platform's, on its own domain (the first host).
            let asked = super::verify_hosts::Asked {
                host,
                with_health: i == 0,
                with_redirect: gateway,
            };
            answers[i] = super::verify_hosts::checks(settings, reach, address, &asked, expected)
                .await
                .map_err(kube_error)?;
        }
        let still: Vec<&Check> = answers
            .iter()
            .flatten()
            .filter(|c| c.verdict == Verdict::Fail)
            .collect();
        let Some(first) = still.first() else { break };
        if tokio::time::Instant::now() + poll > deadline {
            break;
        }
        if round == 1 {
            ctx.progress(format!(
                "{} check(s) not passing yet, retrying ({first})",
                still.len()
            ))
            .await?;
        }
        wait(ctx, poll).await?;
    }
    let mut checks = Vec::new();
    for (dns, answers) in dns.into_iter().zip(answers) {
        checks.push(dns);
        checks.extend(answers);
    }
    for check in &checks {
        report(ctx, check).await?;
    }
    Ok(checks)
}

fn failing(checks: &[Check]) -> bool {
    checks.iter().any(|c| c.verdict == Verdict::Fail)
}

/// A probe pod to delete afterwards, and the pool whose scheduling it checks (none for the
/// storage probe).
type ProbePod = (String, Option<String>);

/// How long a check keeps looking: until `deadline`, every `poll`.
#[derive(Clone, Copy)]
struct Patience {
    deadline: tokio::time::Instant,
    poll: Duration,
}

impl Patience {
    /// Whether one more poll would pass the deadline: time to give the verdict.
    fn exhausted(self) -> bool {
        tokio::time::Instant::now() + self.poll > self.deadline
    }
}

/// A claim per storage class bound by a pod on the platform pool; a pod on each labelled pool.
/// The objects are deleted afterwards, whatever the outcome.
async fn workload_checks(
    ctx: &StepContext,
    reach: &ClusterReach,
    deadline: tokio::time::Instant,
    poll: Duration,
) -> Result<Vec<Check>, StepError> {
    let patience = Patience { deadline, poll };
    let claims = manifests::verification_claims(&ctx.spec);
    let (pods, skipped) = start_probes(ctx, reach, &claims).await?;
    let result = async {
        let mut checks = Vec::new();
        for (name, pool) in &pods {
            let Some(pool) = pool else { continue };
            let check = pool_scheduled(ctx, reach, name, pool, patience).await?;
            report(ctx, &check).await?;
            checks.push(check);
        }
        for (class, _) in &claims {
            let check = claim_bound(ctx, reach, class, patience).await?;
            report(ctx, &check).await?;
            checks.push(check);
        }
        for check in &skipped {
            report(ctx, check).await?;
        }
        checks.extend(skipped);
        Ok::<_, StepError>(checks)
    }
    .await;
    // Clean up even after a failure: probes left behind would hold disks and node capacity.
    clean_up(ctx, reach, &pods, &claims).await?;
    result
}

/// The claims, the storage probe and a probe pod per pool with nodes. A pool that scales from
/// zero and has no node is skipped (its check says so) rather than made to start a VM.
async fn start_probes(
    ctx: &StepContext,
    reach: &ClusterReach,
    claims: &[(&'static str, &'static str)],
) -> Result<(Vec<ProbePod>, Vec<Check>), StepError> {
    let mut pods: Vec<ProbePod> = Vec::new();
    for (class, mode) in claims {
        apply(ctx, reach, &manifests::claim(class, mode)).await?;
    }
    let classes: Vec<&str> = claims.iter().map(|(c, _)| *c).collect();
    apply(ctx, reach, &manifests::storage_probe(&classes)).await?;
    let mut skipped = Vec::new();
    for pool in ctx.spec.cluster.node_pools.iter() {
        let has_nodes = !super::cluster::pool_nodes(reach, pool.name.as_ref())
            .await?
            .is_empty();
        if !has_nodes && pool.scale.min() == 0 {
            skipped.push(Check::new(
                "scheduling",
                &format!("pool {}", pool.name),
                Verdict::Skipped,
                "scales from 0 and has no node now: a probe pod would start a VM (at cost); \
                 its label and taint are set on the pool",
            ));
            continue;
        }
        let probe = manifests::pool_probe(pool);
        apply(ctx, reach, &probe).await?;
        pods.push((
            manifests::pool_probe_name(pool),
            Some(pool.name.to_string()),
        ));
    }
    pods.push((manifests::STORAGE_PROBE.to_string(), None));
    Ok((pods, skipped))
}

/// The pool's probe pod scheduled on one of its nodes, polled until the deadline.
async fn pool_scheduled(
    ctx: &StepContext,
    reach: &ClusterReach,
    name: &str,
    pool: &str,
    patience: Patience,
) -> Result<Check, StepError> {
    loop {
        ctx.guard()?;
        let pod: Option<Pod> = reach
            .get(manifests::SYSTEM_NAMESPACE, name)
            .await
            .map_err(kube_error)?;
        match scheduled(pod.as_ref()) {
            Ok(node) => {
                return Ok(Check::new(
                    "scheduling",
                    &format!("pool {pool}"),
                    Verdict::Pass,
                    format!("a pod selecting its label scheduled on {node}"),
                ));
            }
            Err(reason) if patience.exhausted() => {
                return Ok(Check::new(
                    "scheduling",
                    &format!("pool {pool}"),
                    Verdict::Fail,
                    format!(
                        "a pod selecting its label did not schedule: {reason}. Check the \
                         pool's nodes (kubectl get nodes -l kubernetes.azure.com/agentpool={pool}) \
                         and their katonic.ai/node-pool label"
                    ),
                ));
            }
            Err(_) => wait(ctx, patience.poll).await?,
        }
    }
}

/// The class's claim bound to a volume, polled until the deadline.
async fn claim_bound(
    ctx: &StepContext,
    reach: &ClusterReach,
    class: &str,
    patience: Patience,
) -> Result<Check, StepError> {
    let name = manifests::claim_name(class);
    loop {
        ctx.guard()?;
        let claim: Option<PersistentVolumeClaim> = reach
            .get(manifests::SYSTEM_NAMESPACE, &name)
            .await
            .map_err(kube_error)?;
        let phase = claim
            .as_ref()
            .and_then(|c| c.status.as_ref())
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "missing".into());
        if phase == "Bound" {
            let volume = claim
                .and_then(|c| c.spec)
                .and_then(|s| s.volume_name)
                .unwrap_or_default();
            return Ok(Check::new(
                "storage",
                &format!("class {class}"),
                Verdict::Pass,
                format!("a 1 GiB claim bound (volume {volume})"),
            ));
        }
        if patience.exhausted() {
            return Ok(Check::new(
                "storage",
                &format!("class {class}"),
                Verdict::Fail,
                format!(
                    "a 1 GiB claim stayed {phase}: see `kubectl describe pvc -n {} {name}` \
                     (CSI driver, storage account access, disk quota)",
                    manifests::SYSTEM_NAMESPACE
                ),
            ));
        }
        wait(ctx, patience.poll).await?;
    }
}

/// Deletes every probe pod and claim; one that cannot be deleted is a warning, not a failure.
async fn clean_up(
    ctx: &StepContext,
    reach: &ClusterReach,
    pods: &[ProbePod],
    claims: &[(&'static str, &'static str)],
) -> Result<(), StepError> {
    let ns = manifests::SYSTEM_NAMESPACE;
    for (name, _) in pods {
        if let Err(e) = reach.delete::<Pod>(ns, name, true).await {
            ctx.log(Level::Warn, format!("could not delete pod {name}: {e}"))
                .await?;
        }
    }
    for (class, _) in claims {
        let name = manifests::claim_name(class);
        if let Err(e) = reach.delete::<PersistentVolumeClaim>(ns, &name, true).await {
            ctx.log(Level::Warn, format!("could not delete claim {name}: {e}"))
                .await?;
        }
    }
    Ok(())
}

async fn apply<K>(ctx: &StepContext, reach: &ClusterReach, object: &K) -> Result<(), StepError>
where
    K: crate::cluster::reach::Object + kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
{
    ctx.guard()?;
    reach.apply_namespaced(object).await.map_err(kube_error)?;
    Ok(())
}

/// The node a pod was scheduled on, or why it is not (the scheduler's message).
fn scheduled(pod: Option<&Pod>) -> Result<String, String> {
    let Some(pod) = pod else {
        return Err("the probe pod is gone".into());
    };
    if let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) {
        return Ok(node);
    }
    Err(pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "PodScheduled"))
        .and_then(|c| c.message.clone())
        .unwrap_or_else(|| "pending".into()))
}

async fn report(ctx: &StepContext, check: &Check) -> Result<(), StepError> {
    let level = match check.verdict {
        Verdict::Pass | Verdict::Skipped => Level::Info,
        Verdict::Warn => Level::Warn,
        Verdict::Fail => Level::Error,
    };
    ctx.log(level, check.to_string()).await
}

async fn wait(ctx: &StepContext, poll: Duration) -> Result<(), StepError> {
    tokio::select! {
        () = tokio::time::sleep(poll) => Ok(()),
        () = ctx.stopped() => Err(StepError::Stopped),
    }
}
