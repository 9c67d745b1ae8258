//! The cluster configuration steps: each applies its objects with server-side apply (one field
//! manager, so a re-run changes nothing) and reports every object it created or changed.

use k8s_openapi::api::core::v1::{Node, Secret};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::aks::cluster_credentials;
use crate::azure::ArmClient;
use crate::cluster::access::{self, AccessError, SystemResolver};
use crate::cluster::apply::{Applied, KubeFailure, Outcome, apply_cluster, apply_namespaced};
use crate::cluster::manifests::{self, ClusterContext, SharedFilesAccount};
use crate::worker::{StepContext, StepError};

/// The cluster's API, from freshly fetched credentials: the admin kubeconfig, or for an
/// Entra-only cluster a new Entra ID token (never stored). When the server does not answer, the
/// error says why (DNS zone, custom DNS, not in the VNet) instead of a bare timeout.
pub(super) async fn connect(ctx: &StepContext, arm: &ArmClient) -> Result<kube::Client, StepError> {
    let credentials = cluster_credentials(ctx, arm).await?;
    let server = access::server_of(&credentials.kubeconfig);
    let client = match credentials.token {
        None => access::client_from_kubeconfig(&credentials.kubeconfig).await,
        Some(token) => access::client_with_token(&credentials.kubeconfig, token),
    }
    .map_err(access_error)?;
    ctx.guard()?;
    match client.apiserver_version().await {
        Ok(version) => {
            ctx.progress(format!(
                "API server answers (Kubernetes {}), signed in with {}",
                version.git_version, credentials.mode
            ))
            .await?;
            Ok(client)
        }
        Err(source) => {
            let failure = KubeFailure {
                action: "reaching",
                object: "the API server".into(),
                source,
            };
            if !failure.is_retryable() {
                return Err(kube_error(failure));
            }
            // The transport failed: find out where (name, public answer, route, port) so the
            // message carries the fix instead of a bare timeout.
            let private = ctx.spec.cluster.mode == katonic_domain::spec::ClusterMode::Create;
            if let Some((host, port)) = server
                && let Err(reason) = access::probe(
                    &SystemResolver,
                    &host,
                    port,
                    private,
                    access::CONNECT_TIMEOUT,
                )
                .await
            {
                return Err(StepError::retryable(
                    "APIServerUnreachable",
                    reason.to_string(),
                    None,
                ));
            }
            Err(kube_error(failure))
        }
    }
}

fn access_error(e: AccessError) -> StepError {
    match e {
        AccessError::Kubeconfig(message) => StepError::terminal(
            "KubeconfigUnusable",
            message,
            "Check the cluster in the Azure portal (local accounts may be disabled), then retry the step.",
        ),
        AccessError::Unreachable(reason) => {
            StepError::retryable("APIServerUnreachable", reason.to_string(), None)
        }
    }
}

/// A Kubernetes failure as a step error: retried when it may clear, else with its fix.
pub(super) fn kube_error(failure: KubeFailure) -> StepError {
    if failure.is_retryable() {
        StepError::retryable(&failure.code(), failure.to_string(), None)
    } else {
        StepError::terminal(&failure.code(), failure.to_string(), failure.hint())
    }
}

async fn report(ctx: &StepContext, applied: &[Applied]) -> Result<Value, StepError> {
    for a in applied {
        ctx.progress(a.to_string()).await?;
    }
    let changed = applied
        .iter()
        .filter(|a| a.outcome != Outcome::Unchanged)
        .count();
    Ok(json!({
        "objects": applied.iter().map(|a| a.object.clone()).collect::<Vec<_>>(),
        "changed": changed,
    }))
}

/// `kfs` as the only default class (others lose the mark first), `kfs-shared` when shared
/// storage is on.
pub async fn storage_classes(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let client = connect(ctx, arm).await?;
    let api: Api<StorageClass> = Api::all(client.clone());
    let existing = api.list(&ListParams::default()).await.map_err(|source| {
        kube_error(KubeFailure {
            action: "listing",
            object: "storage classes".into(),
            source,
        })
    })?;
    for class in &existing.items {
        let name = class.metadata.name.clone().unwrap_or_default();
        if name == manifests::STANDARD_CLASS {
            continue;
        }
        if let Some(patch) = manifests::undefault_patch(class) {
            ctx.guard()?;
            api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map_err(|source| {
                    kube_error(KubeFailure {
                        action: "removing the default mark from",
                        object: format!("StorageClass/{name}"),
                        source,
                    })
                })?;
            ctx.progress(format!("StorageClass/{name} is no longer the default"))
                .await?;
        }
    }
    let names = ClusterContext::for_install(&ctx.spec, ctx.install);
    let shared = ctx.spec.storage.shared_files.then_some(SharedFilesAccount {
        account: &names.storage_account,
        resource_group: &names.resource_group,
    });
    let mut applied = Vec::new();
    for class in manifests::storage_classes(shared) {
        ctx.guard()?;
        let outcome = match apply_cluster(&client, &class).await {
            Err(failure) if failure.is_immutable_field() => {
                replace_class(ctx, &api, &existing.items, &class).await?;
                apply_cluster(&client, &class).await
            }
            other => other,
        };
        applied.push(outcome.map_err(kube_error)?);
    }
    report(ctx, &applied).await
}

/// A class's provisioner and parameters cannot change. One the console made earlier (for
/// another install on this cluster, or before a spec change) is replaced: existing volumes keep
/// their own settings, only new ones use the new class. Anyone else's class is left alone.
async fn replace_class(
    ctx: &StepContext,
    api: &Api<StorageClass>,
    existing: &[StorageClass],
    wanted: &StorageClass,
) -> Result<(), StepError> {
    let name = wanted.metadata.name.clone().unwrap_or_default();
    let ours = existing
        .iter()
        .find(|c| c.metadata.name.as_deref() == Some(name.as_str()))
        .and_then(|c| c.metadata.labels.as_ref())
        .and_then(|l| l.get("app.kubernetes.io/managed-by"))
        .is_some_and(|m| m == crate::cluster::FIELD_MANAGER);
    if !ours {
        return Err(StepError::terminal(
            "StorageClassDiffers",
            format!(
                "StorageClass/{name} exists with another provisioner or parameters, and was not created by the console"
            ),
            format!(
                "Compare it with `katonic-console manifests`; delete it (kubectl delete storageclass {name}; existing volumes are kept) and resume."
            ),
        ));
    }
    ctx.guard()?;
    api.delete(&name, &Default::default())
        .await
        .map_err(|source| {
            kube_error(KubeFailure {
                action: "replacing",
                object: format!("StorageClass/{name}"),
                source,
            })
        })?;
    ctx.progress(format!(
        "StorageClass/{name} had other parameters (an earlier install): replaced; existing volumes keep theirs"
    ))
    .await
}

/// The pools' node labels, then the platform namespaces. A new cluster's user pools are still
/// being created when this runs (it only waits for the cluster, to keep the load balancer off
/// the critical path): their labels are checked by the platform step, which waits for them.
pub async fn namespaces(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let client = connect(ctx, arm).await?;
    let pools = &ctx.spec.cluster.node_pools;
    let ready: Vec<&katonic_domain::spec::NodePool> = match ctx.spec.cluster.mode {
        katonic_domain::spec::ClusterMode::Create => vec![&pools.platform],
        katonic_domain::spec::ClusterMode::Existing => pools.iter().collect(),
    };
    check_node_pools(ctx, &client, &ready).await?;
    let mut applied = Vec::new();
    for ns in manifests::namespaces() {
        ctx.guard()?;
        applied.push(apply_cluster(&client, &ns).await.map_err(kube_error)?);
    }
    report(ctx, &applied).await
}

/// Default deny and the platform's allowances in every platform namespace.
pub async fn network_policies(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let client = connect(ctx, arm).await?;
    let mut applied = Vec::new();
    for policy in manifests::network_policies() {
        ctx.guard()?;
        applied.push(
            apply_namespaced(&client, &policy)
                .await
                .map_err(kube_error)?,
        );
    }
    report(ctx, &applied).await
}

/// Every node of each pool carries `katonic.ai/node-pool=<role>`; a pool without nodes fails
/// unless it scales from zero.
pub(super) async fn check_node_pools(
    ctx: &StepContext,
    client: &kube::Client,
    pools: &[&katonic_domain::spec::NodePool],
) -> Result<(), StepError> {
    for pool in pools {
        let (label, role) = pool.label();
        let found = pool_nodes(client, pool.name.as_ref()).await?;
        if found.is_empty() {
            if pool.scale.min() == 0 {
                ctx.progress(format!(
                    "pool {} has no nodes yet (it scales from 0)",
                    pool.name
                ))
                .await?;
                continue;
            }
            return Err(StepError::terminal(
                "NodePoolMissing",
                format!("pool {} has no nodes in the cluster", pool.name),
                format!(
                    "Check the agent pool {} in the Azure portal (failed or deleted?), fix it and resume.",
                    pool.name
                ),
            ));
        }
        let unlabelled: Vec<String> = found
            .iter()
            .filter(|n| {
                n.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(label))
                    .map(String::as_str)
                    != Some(role)
            })
            .filter_map(|n| n.metadata.name.clone())
            .collect();
        if !unlabelled.is_empty() {
            return Err(StepError::terminal(
                "NodeLabelMissing",
                format!(
                    "pool {}: node(s) {} lack the label {label}={role}",
                    pool.name,
                    unlabelled.join(", ")
                ),
                format!(
                    "Set the pool's node label: az aks nodepool update --name {} --labels {label}={role} (plus the cluster and resource group), then resume.",
                    pool.name
                ),
            ));
        }
        ctx.progress(format!(
            "pool {}: {} node(s) labelled {label}={role}",
            pool.name,
            found.len()
        ))
        .await?;
    }
    Ok(())
}

/// The nodes AKS put in agent pool `pool` (by its own `kubernetes.azure.com/agentpool` label).
pub(super) async fn pool_nodes(client: &kube::Client, pool: &str) -> Result<Vec<Node>, StepError> {
    let nodes: Api<Node> = Api::all(client.clone());
    let selector = format!("kubernetes.azure.com/agentpool={pool}");
    nodes
        .list(&ListParams::default().labels(&selector))
        .await
        .map(|list| list.items)
        .map_err(|source| {
            kube_error(KubeFailure {
                action: "listing the nodes of",
                object: format!("pool {pool}"),
                source,
            })
        })
}

/// The ingress load balancer: the service applied, then its address awaited (a watch, not a
/// sleep) for at most `timeout`; the address is the step's output for DNS and verification.
pub async fn ingress_load_balancer(
    ctx: &StepContext,
    arm: &ArmClient,
    timeout: std::time::Duration,
) -> Result<Value, StepError> {
    use k8s_openapi::api::core::v1::Service;
    use kube::runtime::wait::await_condition;

    let client = connect(ctx, arm).await?;
    let names = ClusterContext::for_install(&ctx.spec, ctx.install);
    let service = manifests::load_balancer_service(&names.frontend);
    let applied = apply_namespaced(&client, &service)
        .await
        .map_err(kube_error)?;
    ctx.progress(applied.to_string()).await?;
    ctx.progress(format!(
        "waiting for the load balancer's address (up to {})",
        crate::format::duration(u32::try_from(timeout.as_secs()).unwrap_or(u32::MAX))
    ))
    .await?;
    let api: Api<Service> = Api::namespaced(client, manifests::INGRESS_NAMESPACE);
    let has_address = |s: Option<&Service>| lb_address(s).is_some();
    let waited = tokio::select! {
        waited = tokio::time::timeout(
            timeout,
            await_condition(api, manifests::LB_SERVICE, has_address),
        ) => waited,
        () = ctx.stopped() => return Err(StepError::Stopped),
    };
    let service = match waited {
        Ok(Ok(service)) => service,
        Ok(Err(e)) => {
            return Err(StepError::retryable(
                "WatchFailed",
                format!("watching {}: {e}", applied.object),
                None,
            ));
        }
        Err(_) => return Err(no_address(ctx, timeout)),
    };
    let address = lb_address(service.as_ref()).unwrap_or_default();
    ctx.progress(format!("load balancer address: {address}"))
        .await?;
    Ok(json!({ "address": address, "service": applied.object }))
}

fn lb_address(service: Option<&k8s_openapi::api::core::v1::Service>) -> Option<String> {
    service?
        .status
        .as_ref()?
        .load_balancer
        .as_ref()?
        .ingress
        .as_ref()?
        .iter()
        .find_map(|i| i.ip.clone().or_else(|| i.hostname.clone()))
}

fn no_address(ctx: &StepContext, timeout: std::time::Duration) -> StepError {
    let describe = format!(
        "kubectl describe service -n {} {}",
        manifests::INGRESS_NAMESPACE,
        manifests::LB_SERVICE
    );
    let hint = match ctx.spec.ingress.load_balancer {
        katonic_domain::spec::LbMode::Internal => format!(
            "See the service's events ({describe}): the subnet may be full, the static IP taken or \
             outside the subnet, or the cluster identity may lack Network Contributor on the \
             subnet. Fix it, then resume (the service is kept)."
        ),
        katonic_domain::spec::LbMode::External => format!(
            "See the service's events ({describe}): public IP {} in resource group {} may be \
             missing, or the cluster identity may lack Network Contributor on that group. Fix \
             it, then resume (the service is kept).",
            katonic_domain::plan::names::ingress_public_ip(&ctx.spec),
            ctx.spec.azure.resource_group
        ),
    };
    let frontend = match ctx.spec.ingress.load_balancer {
        katonic_domain::spec::LbMode::Internal => String::new(),
        katonic_domain::spec::LbMode::External => format!(
            " from public IP {}",
            katonic_domain::plan::names::ingress_public_ip(&ctx.spec)
        ),
    };
    StepError::terminal(
        "LoadBalancerNoAddress",
        format!(
            "the load balancer got no address{frontend} within {}",
            crate::format::duration(u32::try_from(timeout.as_secs()).unwrap_or(u32::MAX))
        ),
        hint,
    )
}

/// The platform's TLS secret as the cluster has it now, if any.
pub(super) async fn read_tls_secret(client: &kube::Client) -> Result<Option<Secret>, StepError> {
    let api: Api<Secret> = Api::namespaced(client.clone(), manifests::PLATFORM_NAMESPACE);
    api.get_opt(manifests::TLS_SECRET).await.map_err(|source| {
        kube_error(KubeFailure {
            action: "reading",
            object: format!(
                "Secret/{}/{}",
                manifests::PLATFORM_NAMESPACE,
                manifests::TLS_SECRET
            ),
            source,
        })
    })
}

/// The platform certificate as the TLS secret every Ingress uses. A trial (self-signed)
/// certificate is generated once and kept while it still covers every host for more than
/// [`tls::EXPIRY_WARNING_DAYS`](crate::cluster::tls::EXPIRY_WARNING_DAYS) days, so a re-run
/// changes nothing.
pub async fn tls_self_signed(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    use crate::cluster::tls;

    let client = connect(ctx, arm).await?;
    let hosts: Vec<katonic_domain::spec::Fqdn> = katonic_domain::plan::names::hosts(&ctx.spec)
        .into_iter()
        .cloned()
        .collect();
    let now = time::OffsetDateTime::now_utc();
    let existing = read_tls_secret(&client).await?;
    if let Some(kept) = existing.as_ref().and_then(|s| reusable(s, &hosts, now)) {
        ctx.progress(format!(
            "kept the self-signed certificate for {} (valid until {})",
            host_list(&hosts),
            crate::format::timestamp(kept.not_after)
        ))
        .await?;
        return Ok(
            json!({ "selfSigned": true, "notAfter": crate::format::timestamp(kept.not_after) }),
        );
    }
    let material = tls::self_signed(&hosts, now).map_err(|e| {
        StepError::terminal("CertificateGeneration", e.to_string(), "Retry the step.")
    })?;
    let applied = apply_tls_secret(&client, &material).await?;
    ctx.progress(format!(
        "{applied}: a self-signed certificate for {} (trial only: browsers will warn; valid until {})",
        host_list(&hosts),
        crate::format::timestamp(material.not_after)
    ))
    .await?;
    Ok(json!({ "selfSigned": true, "notAfter": crate::format::timestamp(material.not_after) }))
}

/// The certificate as the `kubernetes.io/tls` Secret every Ingress names (server-side apply:
/// the same material applied again changes nothing).
pub(super) async fn apply_tls_secret(
    client: &kube::Client,
    material: &crate::cluster::tls::TlsMaterial,
) -> Result<Applied, StepError> {
    use k8s_openapi::ByteString;
    use k8s_openapi::api::core::v1::Secret;

    let key = secrecy::ExposeSecret::expose_secret(&material.key_pem);
    let secret = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(manifests::TLS_SECRET.into()),
            namespace: Some(manifests::PLATFORM_NAMESPACE.into()),
            labels: Some(manifests::common_labels("tls")),
            annotations: Some(
                [(
                    "katonic.ai/self-signed".to_string(),
                    material.self_signed.to_string(),
                )]
                .into(),
            ),
            ..Default::default()
        },
        type_: Some("kubernetes.io/tls".into()),
        data: Some(
            [
                (
                    "tls.crt".to_string(),
                    ByteString(material.cert_chain_pem.clone().into_bytes()),
                ),
                ("tls.key".to_string(), ByteString(key.as_bytes().to_vec())),
            ]
            .into(),
        ),
        ..Default::default()
    };
    apply_namespaced(client, &secret).await.map_err(kube_error)
}

/// The secret's certificate when the console made it and it still serves every host.
fn reusable(
    secret: &k8s_openapi::api::core::v1::Secret,
    hosts: &[katonic_domain::spec::Fqdn],
    now: time::OffsetDateTime,
) -> Option<crate::cluster::tls::TlsMaterial> {
    let ours = secret
        .metadata
        .labels
        .as_ref()?
        .get("app.kubernetes.io/managed-by")
        .is_some_and(|m| m == crate::cluster::FIELD_MANAGER);
    if !ours {
        return None;
    }
    let data = secret.data.as_ref()?;
    let cert = std::str::from_utf8(&data.get("tls.crt")?.0).ok()?;
    let key = std::str::from_utf8(&data.get("tls.key")?.0).ok()?;
    let material = crate::cluster::tls::check_uploaded(cert, key, hosts, now).ok()?;
    (!crate::cluster::tls::expires_soon(&material, now)).then_some(material)
}

pub(super) fn host_list(hosts: &[katonic_domain::spec::Fqdn]) -> String {
    hosts
        .iter()
        .map(katonic_domain::spec::Fqdn::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The platform installer: every pool's labels checked, its identity and settings applied, the
/// Job run (a failed one from an earlier attempt replaced), its pod's log streamed into the
/// install's events, and the step ending with the Job's outcome.
pub async fn platform(
    ctx: &StepContext,
    arm: &ArmClient,
    timeout: std::time::Duration,
) -> Result<Value, StepError> {
    use k8s_openapi::api::batch::v1::Job;
    use kube::runtime::wait::await_condition;

    let client = connect(ctx, arm).await?;
    let pools: Vec<&katonic_domain::spec::NodePool> = ctx.spec.cluster.node_pools.iter().collect();
    check_node_pools(ctx, &client, &pools).await?;
    let names = ClusterContext::for_install(&ctx.spec, ctx.install);
    let (account, binding) = manifests::installer_rbac();
    let mut applied = vec![
        apply_namespaced(&client, &account)
            .await
            .map_err(kube_error)?,
        apply_cluster(&client, &binding).await.map_err(kube_error)?,
        apply_namespaced(
            &client,
            &manifests::platform_config(&ctx.spec, &names.installer),
        )
        .await
        .map_err(kube_error)?,
    ];
    let jobs: Api<Job> = Api::namespaced(client.clone(), manifests::SYSTEM_NAMESPACE);
    let job_name = manifests::INSTALLER_JOB;
    let fail = |action: &'static str| {
        move |source| {
            kube_error(KubeFailure {
                action,
                object: format!("Job/{}/{job_name}", manifests::SYSTEM_NAMESPACE),
                source,
            })
        }
    };
    if let Some(old) = jobs.get_opt(job_name).await.map_err(fail("reading"))? {
        match job_outcome(Some(&old)) {
            Some(JobOutcome::Complete) => {
                ctx.progress(format!("Job/{job_name} already completed"))
                    .await?;
                return report(ctx, &applied).await;
            }
            // A Job's pod template cannot change and a failed Job does not run again: replace it.
            Some(JobOutcome::Failed(_)) => {
                let uid = old.metadata.uid.clone().unwrap_or_default();
                jobs.delete(job_name, &kube::api::DeleteParams::background())
                    .await
                    .map_err(fail("deleting the failed"))?;
                await_condition(
                    jobs.clone(),
                    job_name,
                    kube::runtime::conditions::is_deleted(&uid),
                )
                .await
                .map_err(|e| StepError::retryable("WatchFailed", e.to_string(), None))?;
                ctx.progress(format!("Job/{job_name} from the failed attempt removed"))
                    .await?;
            }
            None => {}
        }
    }
    applied.push(
        apply_namespaced(&client, &manifests::platform_job(&names.installer))
            .await
            .map_err(kube_error)?,
    );
    report(ctx, &applied).await?;
    // The log is followed while the Job runs, so its lines arrive live.
    let mut logs = std::pin::pin!(stream_installer_logs(ctx, client.clone()));
    let mut finished = std::pin::pin!(tokio::time::timeout(
        timeout,
        await_condition(jobs, job_name, |job: Option<&Job>| {
            job_outcome(job).is_some()
        }),
    ));
    let mut logs_done = false;
    let outcome = loop {
        tokio::select! {
            done = &mut finished => break done,
            () = &mut logs, if !logs_done => logs_done = true,
            () = ctx.stopped() => return Err(StepError::Stopped),
        }
    };
    if !logs_done {
        // The stream ends with the pod; give it a moment to deliver the last lines.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), &mut logs).await;
    }
    match outcome {
        Err(_) => Err(StepError::terminal(
            "PlatformInstallTimeout",
            format!(
                "the platform installer did not finish within {}",
                crate::format::duration(u32::try_from(timeout.as_secs()).unwrap_or(u32::MAX))
            ),
            format!(
                "See its log above (kubectl logs -n {} job/{job_name}); resume to keep waiting on the same Job.",
                manifests::SYSTEM_NAMESPACE
            ),
        )),
        Ok(Err(e)) => Err(StepError::retryable("WatchFailed", e.to_string(), None)),
        Ok(Ok(job)) => match job_outcome(job.as_ref()) {
            Some(JobOutcome::Failed(reason)) => Err(StepError::terminal(
                "PlatformInstallFailed",
                format!("the platform installer failed: {reason}"),
                "Its log is above: fix what it names (registry access, quota, settings), then resume; the failed Job is replaced.",
            )),
            _ => {
                ctx.progress("the platform installer completed").await?;
                let ingress = apply_route(&client, &ctx.spec, "katonic-platform").await?;
                ctx.progress(ingress.to_string()).await?;
                Ok(json!({ "job": format!("{}/{job_name}", manifests::SYSTEM_NAMESPACE) }))
            }
        },
    }
}

enum JobOutcome {
    Complete,
    Failed(String),
}

fn job_outcome(job: Option<&k8s_openapi::api::batch::v1::Job>) -> Option<JobOutcome> {
    let conditions = job?.status.as_ref()?.conditions.as_ref()?;
    conditions
        .iter()
        .filter(|c| c.status == "True")
        .find_map(|c| match c.type_.as_str() {
            "Complete" => Some(JobOutcome::Complete),
            "Failed" => Some(JobOutcome::Failed(
                c.message
                    .clone()
                    .or_else(|| c.reason.clone())
                    .unwrap_or_else(|| "no reason given".into()),
            )),
            _ => None,
        })
}

/// Follow the installer pod's log, each line an event of this step.
async fn stream_installer_logs(ctx: &StepContext, client: kube::Client) {
    use futures_util::{AsyncBufReadExt, StreamExt, TryStreamExt};
    use k8s_openapi::api::core::v1::Pod;
    use kube::runtime::WatchStreamExt;

    let pods: Api<Pod> = Api::namespaced(client, manifests::SYSTEM_NAMESPACE);
    let selector = format!("job-name={}", manifests::INSTALLER_JOB);
    // The Job controller creates the pod shortly after the Job; wait for it by watching.
    let config = kube::runtime::watcher::Config::default().labels(&selector);
    let pod = kube::runtime::watcher(pods.clone(), config)
        .applied_objects()
        .boxed()
        .try_next()
        .await;
    let Ok(Some(pod)) = pod else {
        return;
    };
    let name = pod.metadata.name.clone().unwrap_or_default();
    let params = kube::api::LogParams {
        follow: true,
        ..Default::default()
    };
    // A log that cannot be followed is not a failed install: the Job's outcome decides.
    let Ok(stream) = pods.log_stream(&name, &params).await else {
        return;
    };
    let mut lines = stream.lines();
    while let Ok(Some(line)) = lines.try_next().await {
        if ctx
            .log(crate::events::Level::Info, format!("installer: {line}"))
            .await
            .is_err()
        {
            return;
        }
    }
}

/// The Ingress of one host (the platform's or an add-on's), applied by the console so host
/// names and certificates never depend on an image we cannot inspect.
async fn apply_route(
    client: &kube::Client,
    spec: &katonic_domain::spec::InstallSpec,
    ingress_name: &str,
) -> Result<Applied, StepError> {
    let routes = manifests::ingress_routes(&spec.domain.fqdn, &spec.addons);
    let route = routes
        .into_iter()
        .find(|r| r.ingress_name == ingress_name)
        .ok_or_else(|| {
            StepError::terminal(
                "AddonDisabled",
                format!("{ingress_name} is not part of this install's spec"),
                "Enable the add-on in the spec (clone the install), or skip this step.",
            )
        })?;
    let ingress = manifests::ingresses(std::slice::from_ref(&route))
        .pop()
        .ok_or_else(|| StepError::terminal("Internal", "no Ingress built", "Retry the step."))?;
    apply_namespaced(client, &ingress).await.map_err(kube_error)
}

/// An add-on's host: its Ingress (the platform installer deploys the add-on itself, told by
/// the settings ConfigMap).
pub async fn addon(
    ctx: &StepContext,
    arm: &ArmClient,
    ingress_name: &str,
) -> Result<Value, StepError> {
    let client = connect(ctx, arm).await?;
    let applied = apply_route(&client, &ctx.spec, ingress_name).await?;
    report(ctx, &[applied]).await
}
