//! Preflight: everything that would make the install fail, checked before anything is created.
//! Each check is a visible PASS / WARN / FAIL line with a fix; the step fails with every failed
//! check at once, so the admin fixes them in one go.

use super::errors::step_error;
use crate::azure::resources::aks::KubernetesVersions;
use crate::azure::resources::compute::{ResourceSku, Usage};
use crate::azure::{ArmClient, ArmError, api};
use crate::cluster::access::AccessMode;
use crate::events::Level;
use crate::worker::{StepContext, StepError};
use katonic_domain::plan::InstallPlan;
use katonic_domain::spec::ClusterTier;
use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};

/// Resource providers the install's resources belong to.
const PROVIDERS: &[&str] = &[
    "Microsoft.ContainerService",
    "Microsoft.Network",
    "Microsoft.Compute",
    "Microsoft.Storage",
    "Microsoft.ContainerRegistry",
    "Microsoft.ManagedIdentity",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Outcome {
    Pass,
    Warn,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
struct Check {
    check: &'static str,
    outcome: Outcome,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

pub(super) struct Checks<'a> {
    ctx: &'a StepContext,
    list: Vec<Check>,
}

impl Checks<'_> {
    async fn record(
        &mut self,
        check: &'static str,
        outcome: Outcome,
        detail: String,
        fix: Option<String>,
    ) -> Result<(), StepError> {
        let (label, level) = match outcome {
            Outcome::Pass => ("PASS", Level::Info),
            Outcome::Warn => ("WARN", Level::Warn),
            Outcome::Fail => ("FAIL", Level::Error),
        };
        let line = match &fix {
            Some(fix) => format!("{label} {check}: {detail}. Fix: {fix}"),
            None => format!("{label} {check}: {detail}"),
        };
        self.ctx.log(level, line).await?;
        self.list.push(Check {
            check,
            outcome,
            detail,
            fix,
        });
        Ok(())
    }

    pub(super) async fn pass(
        &mut self,
        check: &'static str,
        detail: String,
    ) -> Result<(), StepError> {
        self.record(check, Outcome::Pass, detail, None).await
    }

    pub(super) async fn warn(
        &mut self,
        check: &'static str,
        detail: String,
        fix: impl Into<String>,
    ) -> Result<(), StepError> {
        self.record(check, Outcome::Warn, detail, Some(fix.into()))
            .await
    }

    pub(super) async fn fail(
        &mut self,
        check: &'static str,
        detail: String,
        fix: impl Into<String>,
    ) -> Result<(), StepError> {
        self.record(check, Outcome::Fail, detail, Some(fix.into()))
            .await
    }
}

fn list<T: serde::de::DeserializeOwned>(body: Option<Value>, key: &str) -> Vec<T> {
    body.and_then(|b| b.get(key).cloned())
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

pub async fn run(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let spec = &ctx.spec;
    let sub = spec.azure.subscription_id.as_str();
    let location = spec.azure.location.as_str();
    let mut checks = Checks {
        ctx,
        list: Vec::new(),
    };

    // Credentials and subscription: the first call proves the token works.
    ctx.guard()?;
    match arm
        .get(&format!("/subscriptions/{sub}"), api::SUBSCRIPTIONS)
        .await
    {
        Ok(Some(s)) => {
            let state = s
                .get("state")
                .and_then(Value::as_str)
                .unwrap_or("Enabled")
                .to_string();
            if state.eq_ignore_ascii_case("enabled") {
                checks
                    .pass(
                        "credentials",
                        format!("signed in; subscription {sub} is {state}"),
                    )
                    .await?;
            } else {
                checks
                    .fail(
                        "subscription",
                        format!("subscription {sub} is {state}"),
                        "Use an enabled subscription.",
                    )
                    .await?;
            }
        }
        Ok(None) => {
            checks
                .fail("subscription", format!("subscription {sub} was not found or is not visible to the console's identity"), "Check azure.subscriptionId and the identity's role assignments.")
                .await?;
            // Everything else is about this subscription: nothing more to learn.
            return finish(checks);
        }
        Err(e) if matches!(e, ArmError::Auth(_)) || e.status() == Some(401) => {
            checks
                .fail("credentials", format!("Azure refused the console's credentials: {}", e.message()), "Check the console's credential: a service principal needs AZURE_TENANT_ID, AZURE_CLIENT_ID and an unexpired AZURE_CLIENT_SECRET; a managed identity must be assigned to this VM; --credential azure-cli needs `az login` with Azure CLI 2.54 or newer.")
                .await?;
            return finish(checks);
        }
        Err(e) => return Err(step_error("reading the subscription", e)),
    }

    // Region.
    let locations: Vec<Value> = list(
        arm.get(
            &format!("/subscriptions/{sub}/locations"),
            api::SUBSCRIPTIONS,
        )
        .await
        .map_err(|e| step_error("listing regions", e))?,
        "value",
    );
    if locations.iter().any(|l| {
        l.get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.eq_ignore_ascii_case(location))
    }) {
        checks
            .pass(
                "region",
                format!("{location} is available to the subscription"),
            )
            .await?;
    } else {
        checks
            .fail(
                "region",
                format!("{location} is not available to subscription {sub}"),
                "Choose a region the subscription can use.",
            )
            .await?;
    }

    providers(ctx, arm, sub, &mut checks).await?;
    permissions(ctx, arm, &mut checks).await?;
    if let Some(zone) = &spec.domain.dns_zone {
        super::dns::preflight(ctx, arm, zone, &mut checks).await?;
    }
    quota(ctx, arm, &mut checks).await?;
    skus(ctx, arm, &mut checks).await?;
    let (version, lts_only) = kubernetes_version(ctx, arm, &mut checks).await?;
    if spec.domain.tls == katonic_domain::spec::TlsMode::Acme {
        // Refused here, before anything is created, rather than at the TLS step.
        checks
            .fail(
                "TLS",
                "ACME (Let's Encrypt) issuance is not available in this console version".into(),
                "Set domain.tls to provided (upload your certificate and key) or selfSigned (trials), then resume.",
            )
            .await?;
    }

    if spec.cluster.mode == katonic_domain::spec::ClusterMode::Existing {
        existing_cluster(ctx, arm, &mut checks).await?;
    }
    let budget = spec.ip_budget();
    checks
        .pass(
            "subnet capacity",
            format!(
                "{} needs {} of {} usable addresses ({})",
                budget.subnet, budget.needed, budget.usable, budget.plugin
            ),
        )
        .await?;

    let outputs = json!({
        "kubernetesVersion": version,
        "longTermSupportOnly": lts_only,
        "checks": checks.list,
    });
    finish(checks)?;
    Ok(outputs)
}

fn finish(checks: Checks<'_>) -> Result<Value, StepError> {
    let failed: Vec<&Check> = checks
        .list
        .iter()
        .filter(|c| c.outcome == Outcome::Fail)
        .collect();
    if failed.is_empty() {
        return Ok(json!({ "checks": checks.list }));
    }
    Err(StepError::terminal(
        "PreflightFailed",
        failed
            .iter()
            .map(|c| format!("{}: {}", c.check, c.detail))
            .collect::<Vec<_>>()
            .join("; "),
        "Fix each failed check (the step's log says how), then resume the install.",
    ))
}

/// Bring-your-own cluster: it must exist, have succeeded, use managed identities, and qualify.
async fn existing_cluster(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    ctx.guard()?;
    let name = ctx.spec.cluster.name.as_str();
    let cluster = arm
        .get(&super::aks::cluster_path(ctx), api::CONTAINER_SERVICE)
        .await
        .map_err(|e| step_error("reading the existing cluster", e))?;
    let Some(cluster) = cluster else {
        return checks
            .fail(
                "existing cluster",
                format!(
                    "cluster {name} was not found in resource group {}",
                    ctx.spec.azure.resource_group
                ),
                "Check cluster.name and azure.resourceGroup, or set cluster.mode: create.",
            )
            .await;
    };
    let state = cluster
        .pointer("/properties/provisioningState")
        .and_then(Value::as_str)
        .unwrap_or("Succeeded");
    let version = cluster
        .pointer("/properties/currentKubernetesVersion")
        .and_then(Value::as_str)
        .unwrap_or("?");
    if !state.eq_ignore_ascii_case("succeeded") {
        return checks
            .fail(
                "existing cluster",
                format!("cluster {name} is {state}"),
                "Wait for its current operation to finish, or fix it in Azure, then resume.",
            )
            .await;
    }
    if cluster
        .pointer("/properties/identityProfile/kubeletidentity/objectId")
        .is_none()
    {
        return checks.fail("existing cluster", format!("cluster {name} has no managed kubelet identity"), "Use a cluster with managed identities: the console grants them registry and storage access.").await;
    }
    checks
        .pass(
            "existing cluster",
            format!("cluster {name} is ready (Kubernetes {version})"),
        )
        .await?;
    cluster_access(ctx, arm, &cluster, checks).await?;
    // Does it qualify: version, network policy, pools and labels, private API server.
    for finding in super::qualify::qualify(&ctx.spec, &cluster) {
        use super::qualify::Severity;
        let fix = finding.fix.unwrap_or_default();
        match finding.severity {
            Severity::Pass => checks.pass(finding.check, finding.detail).await?,
            Severity::Warn => checks.warn(finding.check, finding.detail, fix).await?,
            Severity::Fail => checks.fail(finding.check, finding.detail, fix).await?,
        }
    }
    Ok(())
}

/// Which way the console will sign in to the cluster, and whether that identity may then
/// configure it: with Azure RBAC for Kubernetes, only an Azure role grants that (Owner does not:
/// it has no data actions).
async fn cluster_access(
    ctx: &StepContext,
    arm: &ArmClient,
    cluster: &Value,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    let name = ctx.spec.cluster.name.as_str();
    let props: crate::azure::resources::aks::ClusterResponseProperties = match cluster
        .get("properties")
        .cloned()
        .map(serde_json::from_value)
    {
        Some(Ok(p)) => p,
        _ => {
            return checks
                .fail(
                    "cluster access",
                    format!("cluster {name} has no readable properties"),
                    "Check the cluster in the Azure portal, then resume.",
                )
                .await;
        }
    };
    let mode = match super::aks::access_mode(name, &props) {
        Ok(mode) => mode,
        Err(e) => {
            return checks.fail("cluster access", e.message, e.hint).await;
        }
    };
    checks
        .pass(
            "cluster access",
            format!("the console will sign in with {mode}"),
        )
        .await?;
    let AccessMode::EntraToken { azure_rbac } = mode else {
        return Ok(());
    };
    let cluster_id = super::aks::cluster_path(ctx);
    if !azure_rbac {
        let groups = props
            .aad_profile
            .and_then(|a| a.admin_group_object_ids)
            .unwrap_or_default();
        let groups = if groups.is_empty() {
            "none is set".to_string()
        } else {
            groups.join(", ")
        };
        return checks
            .warn(
                "cluster access",
                format!(
                    "cluster {name} uses Kubernetes RBAC with Entra ID: the console's identity needs \
                     cluster-admin through one of the cluster's admin groups (adminGroupObjectIDs: {groups}) \
                     or a ClusterRoleBinding, which Azure cannot show"
                ),
                format!(
                    "Add the console's identity to an admin group (az ad group member add), or set one: \
                     az aks update --resource-group {} --name {name} --aad-admin-group-object-ids <group id>",
                    ctx.spec.azure.resource_group
                ),
            )
            .await;
    }
    ctx.guard()?;
    let path = format!("{cluster_id}/providers/Microsoft.Authorization/permissions");
    let permissions = arm
        .get(&path, api::AUTHORIZATION)
        .await
        .map_err(|e| step_error("reading the console's permissions on the cluster", e))?;
    let fix = format!(
        "Grant it the role on the cluster: az role assignment create --role \"{AKS_RBAC_CLUSTER_ADMIN}\" \
         --assignee <the console's client id or object id> --scope {cluster_id}"
    );
    if is_kubernetes_admin(&list::<Value>(permissions, "value")) {
        checks
            .pass(
                "cluster access",
                format!(
                    "Azure RBAC for Kubernetes: the console's identity holds every Kubernetes data action on cluster {name} ({AKS_RBAC_CLUSTER_ADMIN})"
                ),
            )
            .await
    } else {
        checks
            .warn(
                "cluster access",
                format!(
                    "Azure RBAC for Kubernetes is enabled on cluster {name} and the console's identity \
                     lacks \"{AKS_RBAC_CLUSTER_ADMIN}\" there: it can sign in but the cluster will refuse \
                     its changes"
                ),
                fix,
            )
            .await
    }
}

/// The role an identity needs to configure a cluster under Azure RBAC for Kubernetes.
const AKS_RBAC_CLUSTER_ADMIN: &str = "Azure Kubernetes Service RBAC Cluster Admin";

/// Whether the permissions (`Microsoft.Authorization/permissions` entries) grant every
/// Kubernetes data action of the cluster, as "Azure Kubernetes Service RBAC Cluster Admin" does
/// (`Microsoft.ContainerService/managedClusters/*`, nothing excluded).
fn is_kubernetes_admin(permissions: &[Value]) -> bool {
    const PREFIX: &str = "microsoft.containerservice/managedclusters/";
    let strings = |p: &Value, key: &str| -> Vec<String> {
        p.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .collect()
            })
            .unwrap_or_default()
    };
    permissions.iter().any(|p| {
        let covers = strings(p, "dataActions").iter().any(|a| {
            a == "*" || (a.ends_with("/*") && PREFIX.starts_with(a.trim_end_matches('*')))
        });
        let excludes = strings(p, "notDataActions")
            .iter()
            .any(|a| a.starts_with(PREFIX) || a == "*");
        covers && !excludes
    })
}

/// Registered, or registered now (registration takes a minute or two).
async fn providers(
    ctx: &StepContext,
    arm: &ArmClient,
    sub: &str,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    let mut registering = Vec::new();
    for ns in PROVIDERS {
        ctx.guard()?;
        let path = format!("/subscriptions/{sub}/providers/{ns}");
        let provider = arm
            .get(&path, api::RESOURCES)
            .await
            .map_err(|e| step_error("reading resource providers", e))?;
        let state = provider
            .as_ref()
            .and_then(|p| p.get("registrationState"))
            .and_then(Value::as_str)
            .unwrap_or("NotRegistered");
        if state.eq_ignore_ascii_case("registered") {
            continue;
        }
        match arm
            .call(
                Method::POST,
                &format!("{path}/register"),
                api::RESOURCES,
                None,
            )
            .await
        {
            Ok(_) => registering.push(*ns),
            Err(e) => {
                checks
                    .fail(
                        "resource providers",
                        format!(
                            "{ns} is {state} and the console may not register it: {}",
                            e.message()
                        ),
                        format!("Ask a subscription owner to run `az provider register -n {ns}`."),
                    )
                    .await?;
            }
        }
    }
    // Registration takes a minute or two in Azure: look every poll interval for a while; after
    // that it is a warning and the steps retry while it completes.
    for _ in 0..60 {
        if registering.is_empty() {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(arm.timing.clamp(None)) => {}
            () = ctx.stopped() => return Err(StepError::Stopped),
        }
        let mut still = Vec::new();
        for ns in registering {
            let provider = arm
                .get(
                    &format!("/subscriptions/{sub}/providers/{ns}"),
                    api::RESOURCES,
                )
                .await
                .map_err(|e| step_error("reading resource providers", e))?;
            let state = provider
                .as_ref()
                .and_then(|p| p.get("registrationState"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if !state.eq_ignore_ascii_case("registered") {
                still.push(ns);
            }
        }
        registering = still;
    }
    let refused = checks
        .list
        .iter()
        .any(|c| c.check == "resource providers" && c.outcome == Outcome::Fail);
    if refused {
        Ok(())
    } else if registering.is_empty() {
        checks
            .pass(
                "resource providers",
                format!("{} registered", PROVIDERS.join(", ")),
            )
            .await
    } else {
        checks
            .warn(
                "resource providers",
                format!("{} still registering", registering.join(", ")),
                "Registration can take minutes; the steps retry until it is done.",
            )
            .await
    }
}

/// The caller may write role assignments (the vendor guide's custom role).
async fn permissions(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    ctx.guard()?;
    let a = &ctx.spec.azure;
    let path = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Authorization/permissions",
        a.subscription_id, a.resource_group
    );
    let permissions = match arm.get(&path, api::AUTHORIZATION).await {
        Ok(Some(body)) => list::<Value>(Some(body), "value"),
        Ok(None) => {
            return checks
                .warn("permissions", format!("resource group {} does not exist yet, so its permissions cannot be read", a.resource_group), "The role-assignment permission is checked again when the identity step assigns its role.")
                .await;
        }
        Err(e) => return Err(step_error("reading the console's permissions", e)),
    };
    let allowed = crate::azure::permissions::granted(
        &permissions,
        "Microsoft.Authorization/roleAssignments/write",
    );
    if allowed {
        checks
            .pass(
                "permissions",
                "the console may write role assignments in the resource group".to_string(),
            )
            .await
    } else {
        checks
            .fail("permissions", "the console's identity may not write role assignments (Microsoft.Authorization/roleAssignments/write)".to_string(), "Assign it User Access Administrator, or the vendor guide's custom role \"AKS-Vnet-Permission\", on the resource group.")
            .await
    }
}

/// vCPU quota per family (and the regional total) covers every pool at its maximum.
async fn quota(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    ctx.guard()?;
    let spec = &ctx.spec;
    let path = format!(
        "/subscriptions/{}/providers/Microsoft.Compute/locations/{}/usages",
        spec.azure.subscription_id, spec.azure.location
    );
    let usages: Vec<Usage> = list(
        arm.get(&path, api::COMPUTE_USAGES)
            .await
            .map_err(|e| step_error("reading vCPU usage", e))?,
        "value",
    );
    let plan = InstallPlan::from_spec(spec, crate::clock::today());
    let mut total_needed = 0;
    for need in &plan.quota {
        total_needed += i64::from(need.vcpus_at_max);
        match usages
            .iter()
            .find(|u| u.name.value.eq_ignore_ascii_case(&need.family))
        {
            None => {
                checks.warn("vCPU quota", format!("no quota entry for {} ({})", need.family, need.vm_sizes.join(", ")), "Preflight cannot check this family; the cluster create reports it if short.").await?;
            }
            Some(u) if u.limit - u.current_value >= i64::from(need.vcpus_at_max) => {
                checks
                    .pass(
                        "vCPU quota",
                        format!(
                            "{}: {} needed, {} of {} free",
                            need.family,
                            need.vcpus_at_max,
                            u.limit - u.current_value,
                            u.limit
                        ),
                    )
                    .await?;
            }
            Some(u) => {
                let short = i64::from(need.vcpus_at_max) - (u.limit - u.current_value);
                checks
                    .fail("vCPU quota", format!("{}: {} vCPUs needed at maximum node counts, {} of {} free ({} in use): {short} short", need.family, need.vcpus_at_max, u.limit - u.current_value, u.limit, u.current_value), format!("Request at least {} vCPUs for {} in {} (Azure portal: Subscriptions → Usage + quotas), or lower the pools' maximums.", u.current_value + i64::from(need.vcpus_at_max), need.family, spec.azure.location))
                    .await?;
            }
        }
    }
    if let Some(cores) = usages
        .iter()
        .find(|u| u.name.value.eq_ignore_ascii_case("cores"))
        && cores.limit - cores.current_value < total_needed
    {
        checks
            .fail(
                "vCPU quota",
                format!(
                    "total regional vCPUs: {total_needed} needed, {} of {} free",
                    cores.limit - cores.current_value,
                    cores.limit
                ),
                "Request a higher Total Regional vCPUs quota.",
            )
            .await?;
    }
    Ok(())
}

/// Every pool's size is offered in the region and in every chosen zone, and is not retired.
async fn skus(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    ctx.guard()?;
    let spec = &ctx.spec;
    let location = spec.azure.location.as_str();
    let path = format!(
        "/subscriptions/{}/providers/Microsoft.Compute/skus?$filter=location eq '{location}'",
        spec.azure.subscription_id
    );
    let skus: Vec<ResourceSku> = list(
        arm.get(&path, api::COMPUTE_SKUS)
            .await
            .map_err(|e| step_error("listing VM sizes", e))?,
        "value",
    );
    let zones: Vec<String> = spec
        .cluster
        .zones
        .as_slice()
        .iter()
        .map(|z| z.number().to_string())
        .collect();
    for pool in spec.cluster.node_pools.iter() {
        let size = pool.vm_size.as_str();
        if let Some(retired) = pool.vm_size.info().and_then(|i| i.retired_on.clone())
            && retired.as_str() <= crate::clock::today().to_string().as_str()
        {
            let replacement = pool
                .vm_size
                .info()
                .and_then(|i| i.replacement.clone())
                .unwrap_or_default();
            checks
                .fail(
                    "VM sizes",
                    format!("{size} (pool {}) was retired on {retired}", pool.name),
                    format!("Use {replacement}."),
                )
                .await?;
            continue;
        }
        let offered = skus.iter().find(|s| {
            s.name.eq_ignore_ascii_case(size)
                && s.resource_type
                    .as_deref()
                    .is_none_or(|t| t == "virtualMachines")
        });
        match offered {
            None => {
                let family = size
                    .trim_start_matches("Standard_")
                    .chars()
                    .take(2)
                    .collect::<String>();
                let similar: Vec<&str> = skus
                    .iter()
                    .filter(|s| {
                        s.name.trim_start_matches("Standard_").starts_with(&family)
                            && s.usable_zones(location).len() >= zones.len()
                    })
                    .map(|s| s.name.as_str())
                    .take(6)
                    .collect();
                checks
                    .fail(
                        "VM sizes",
                        format!("{size} (pool {}) is not offered in {location}", pool.name),
                        format!(
                            "Offered sizes of the same series: {}",
                            if similar.is_empty() {
                                "none".to_string()
                            } else {
                                similar.join(", ")
                            }
                        ),
                    )
                    .await?;
            }
            Some(sku) => {
                let usable = sku.usable_zones(location);
                let missing: Vec<&String> = zones.iter().filter(|z| !usable.contains(z)).collect();
                if missing.is_empty() {
                    checks
                        .pass(
                            "VM sizes",
                            format!(
                                "{size} (pool {}) is offered in zones {}",
                                pool.name,
                                zones.join(", ")
                            ),
                        )
                        .await?;
                } else {
                    checks
                        .fail(
                            "VM sizes",
                            format!(
                                "{size} (pool {}) is not offered in zone(s) {}",
                                pool.name,
                                missing
                                    .iter()
                                    .map(|z| z.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                            format!(
                                "It is offered in zones {}; choose those zones or another size.",
                                if usable.is_empty() {
                                    "none".to_string()
                                } else {
                                    usable.join(", ")
                                }
                            ),
                        )
                        .await?;
                }
            }
        }
    }
    Ok(())
}

/// The requested version is supported in the region (with Premium if only in long-term
/// support); without one, the newest supported version (at least 1.29) is chosen.
async fn kubernetes_version(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<(Option<String>, bool), StepError> {
    ctx.guard()?;
    let spec = &ctx.spec;
    let path = format!(
        "/subscriptions/{}/providers/Microsoft.ContainerService/locations/{}/kubernetesVersions",
        spec.azure.subscription_id, spec.azure.location
    );
    let versions: KubernetesVersions = serde_json::from_value(
        arm.get(&path, api::CONTAINER_SERVICE)
            .await
            .map_err(|e| step_error("listing AKS versions", e))?
            .unwrap_or(Value::Null),
    )
    .unwrap_or(KubernetesVersions { values: Vec::new() });
    let minor = |v: &str| v.split('.').take(2).collect::<Vec<_>>().join(".");
    let offered: Vec<String> = versions.values.iter().map(|v| v.version.clone()).collect();
    match &spec.cluster.kubernetes_version {
        Some(wanted) => {
            let wanted_minor = wanted.minor_str();
            match versions
                .values
                .iter()
                .find(|v| minor(&v.version) == wanted_minor)
            {
                None => {
                    checks.fail("Kubernetes version", format!("{wanted} is not offered by AKS in {} (offered: {})", spec.azure.location, offered.join(", ")), "Choose an offered version, or leave kubernetesVersion out for the newest.").await?;
                    Ok((None, false))
                }
                Some(v)
                    if !v.has_community_support() && spec.cluster.tier != ClusterTier::Premium =>
                {
                    checks.fail("Kubernetes version", format!("{wanted} is only available with long-term support"), "Set cluster.tier: premium (long-term support), or choose a newer version.").await?;
                    Ok((None, true))
                }
                Some(v) => {
                    let lts = !v.has_community_support();
                    if v.is_preview == Some(true) {
                        checks
                            .warn(
                                "Kubernetes version",
                                format!("{wanted} is a preview in AKS"),
                                "Preview versions have no SLA; choose a GA version for production.",
                            )
                            .await?;
                    } else {
                        checks
                            .pass(
                                "Kubernetes version",
                                format!(
                                    "{wanted} is supported in {}{}",
                                    spec.azure.location,
                                    if lts { " (long-term support)" } else { "" }
                                ),
                            )
                            .await?;
                    }
                    Ok((Some(wanted.to_string()), lts))
                }
            }
        }
        None => {
            let mut candidates: Vec<_> = versions
                .values
                .iter()
                .filter(|v| v.is_preview != Some(true) && v.has_community_support())
                .filter_map(|v| {
                    katonic_domain::spec::KubernetesVersion::parse(&minor(&v.version))
                        .ok()
                        .map(|k| (k, v.version.clone()))
                })
                .filter(|(k, _)| (k.major, k.minor) >= katonic_domain::spec::MIN_KUBERNETES)
                .collect();
            candidates.sort();
            match candidates.last() {
                Some((_, version)) => {
                    checks
                        .pass(
                            "Kubernetes version",
                            format!(
                                "{version}, the newest version AKS supports in {}",
                                spec.azure.location
                            ),
                        )
                        .await?;
                    Ok((Some(version.clone()), false))
                }
                None => {
                    checks
                        .fail(
                            "Kubernetes version",
                            format!(
                                "AKS offers no supported version >= 1.29 in {} (offered: {})",
                                spec.azure.location,
                                offered.join(", ")
                            ),
                            "Choose another region.",
                        )
                        .await?;
                    Ok((None, false))
                }
            }
        }
    }
}

#[cfg(test)]
mod access_tests {
    use super::is_kubernetes_admin;
    use serde_json::json;

    #[test]
    fn only_every_kubernetes_data_action_counts_as_cluster_admin() {
        let cluster_admin = json!({"actions": ["Microsoft.Authorization/*/read"], "dataActions": ["Microsoft.ContainerService/managedClusters/*"], "notDataActions": []});
        let owner =
            json!({"actions": ["*"], "notActions": [], "dataActions": [], "notDataActions": []});
        // "Azure Kubernetes Service RBAC Admin": the same data actions minus quotas and namespaces.
        let rbac_admin = json!({"dataActions": ["Microsoft.ContainerService/managedClusters/*"], "notDataActions": ["Microsoft.ContainerService/managedClusters/resourcequotas/write", "Microsoft.ContainerService/managedClusters/namespaces/write"]});
        let reader =
            json!({"dataActions": ["Microsoft.ContainerService/managedClusters/pods/read"]});
        assert!(is_kubernetes_admin(&[owner.clone(), cluster_admin]));
        assert!(is_kubernetes_admin(&[json!({"dataActions": ["*"]})]));
        assert!(!is_kubernetes_admin(&[owner]));
        assert!(!is_kubernetes_admin(&[rbac_admin]));
        assert!(!is_kubernetes_admin(&[reader]));
        assert!(!is_kubernetes_admin(&[]));
    }
}
