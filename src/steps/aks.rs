//! The private AKS cluster, its user pools, the cluster's access to the registry and storage,
//! and how the console signs in to its API server (admin kubeconfig, or an Entra ID token when
//! local accounts are disabled).

use super::ensure::ensure;
use super::errors::step_error;
use super::names;
use super::output;
use crate::azure::resources::{self, aks, authorization, install_tags};
use crate::azure::{ArmClient, api};
use crate::cluster::access::{self, AccessMode};
use crate::worker::{StepContext, StepError};
use base64::Engine as _;
use katonic_domain::plan::StepId;
use katonic_domain::spec::{
    ClusterTier, LbMode, NetworkPlugin, NetworkPolicy, NodePool, NodeScale, OutboundType, PoolRole,
};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The cluster's ARM resource as Azure returns it; a missing cluster is a terminal error.
async fn cluster_body(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    arm.get(&cluster_path(ctx), api::CONTAINER_SERVICE)
        .await
        .map_err(|e| step_error("reading the cluster", e))?
        .ok_or_else(|| {
            StepError::terminal(
                "ResourceNotFound",
                format!("cluster {} was not found", ctx.spec.cluster.name),
                "Check cluster.name and azure.resourceGroup.",
            )
        })
}

pub(super) fn cluster_path(ctx: &StepContext) -> String {
    let a = &ctx.spec.azure;
    resources::resource_id(
        a.subscription_id.as_str(),
        a.resource_group.as_str(),
        "Microsoft.ContainerService/managedClusters",
        ctx.spec.cluster.name.as_str(),
    )
}

fn encode<T: serde::Serialize>(value: &T) -> Result<Value, StepError> {
    serde_json::to_value(value).map_err(|e| {
        StepError::terminal(
            "internal",
            format!("cannot encode a request: {e}"),
            "This is a console bug.",
        )
    })
}

/// A pool as AKS wants it, labelled `katonic.ai/node-pool=<role>`.
fn pool_properties(
    ctx: &StepContext,
    pool: &NodePool,
    version: Option<&str>,
    subnet: &str,
) -> aks::AgentPoolProperties {
    let (count, autoscale, min, max) = match pool.scale {
        NodeScale::Fixed(n) => (n, false, None, None),
        NodeScale::Auto { min, max } => (min, true, Some(min), Some(max)),
    };
    let (label, value) = pool.label();
    aks::AgentPoolProperties {
        mode: if pool.role == PoolRole::Platform {
            "System"
        } else {
            "User"
        },
        kind: "VirtualMachineScaleSets",
        os_type: "Linux",
        vm_size: pool.vm_size.to_string(),
        count,
        enable_auto_scaling: autoscale,
        min_count: min,
        max_count: max,
        availability_zones: ctx
            .spec
            .cluster
            .zones
            .as_slice()
            .iter()
            .map(|z| z.number().to_string())
            .collect(),
        orchestrator_version: version.map(str::to_string),
        vnet_subnet_id: subnet.to_string(),
        max_pods: ctx.spec.cluster.network.max_pods,
        node_labels: BTreeMap::from([(label.to_string(), value.to_string())]),
        // GPU nodes only take pods that ask for GPUs.
        node_taints: if pool.role == PoolRole::Gpu {
            vec!["nvidia.com/gpu=present:NoSchedule".to_string()]
        } else {
            Vec::new()
        },
        upgrade_settings: aks::UpgradeSettings {
            max_surge: pool.max_surge.to_string(),
        },
        tags: install_tags(&ctx.install.to_string()),
    }
}

/// The private cluster with the platform (system) pool.
pub async fn cluster(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let spec = &ctx.spec;
    let net = &spec.cluster.network;
    let version = output(ctx, StepId::Preflight, "kubernetesVersion")
        .ok()
        .map(str::to_string);
    let lts_only = ctx
        .outputs
        .get(&StepId::Preflight)
        .and_then(|o| o.get("longTermSupportOnly"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let identity_id = output(ctx, StepId::Identity, "id")?;
    let subnet = output(ctx, StepId::Network, "aksSubnetId")?.to_string();
    let (plugin, mode, pod_cidr) = match net.plugin {
        NetworkPlugin::AzureOverlay => (
            "azure",
            Some("overlay"),
            net.pod_cidr.map(|c| c.to_string()),
        ),
        NetworkPlugin::Azure => ("azure", None, None),
        NetworkPlugin::Kubenet => ("kubenet", None, net.pod_cidr.map(|c| c.to_string())),
    };
    let body = aks::ManagedCluster {
        location: spec.azure.location.to_string(),
        tags: install_tags(&ctx.install.to_string()),
        sku: aks::ManagedClusterSku {
            name: "Base",
            tier: match spec.cluster.tier {
                ClusterTier::Free => "Free",
                ClusterTier::Standard => "Standard",
                ClusterTier::Premium => "Premium",
            },
        },
        identity: aks::ManagedClusterIdentity {
            kind: "UserAssigned",
            user_assigned_identities: BTreeMap::from([(
                identity_id.to_string(),
                serde_json::Map::new(),
            )]),
        },
        properties: aks::ManagedClusterProperties {
            kubernetes_version: version.clone(),
            dns_prefix: dns_prefix(spec.cluster.name.as_str()),
            enable_rbac: true,
            api_server_access_profile: aks::ApiServerAccessProfile {
                enable_private_cluster: true,
                private_dns_zone: "system",
                enable_private_cluster_public_fqdn: false,
            },
            network_profile: aks::NetworkProfile {
                network_plugin: plugin,
                network_plugin_mode: mode,
                network_policy: match net.network_policy {
                    NetworkPolicy::Calico => "calico",
                    NetworkPolicy::Azure => "azure",
                },
                load_balancer_sku: "standard",
                outbound_type: match net.outbound_type {
                    OutboundType::LoadBalancer => "loadBalancer",
                    OutboundType::UserDefinedRouting => "userDefinedRouting",
                    OutboundType::ManagedNatGateway => "managedNATGateway",
                },
                pod_cidr,
                service_cidr: net.service_cidr.to_string(),
                dns_service_ip: net.dns_service_ip.to_string(),
            },
            agent_pool_profiles: vec![aks::AgentPoolProfile {
                name: spec.cluster.node_pools.platform.name.to_string(),
                properties: pool_properties(
                    ctx,
                    &spec.cluster.node_pools.platform,
                    version.as_deref(),
                    &subnet,
                ),
            }],
            node_resource_group: names::node_resource_group(spec),
            support_plan: lts_only.then_some("AKSLongTermSupport"),
        },
    };
    let path = cluster_path(ctx);
    let created = ensure(
        ctx,
        arm,
        &path,
        api::CONTAINER_SERVICE,
        &encode(&body)?,
        "AKS cluster",
    )
    .await?;
    let cluster: aks::ClusterResponse = serde_json::from_value(created).map_err(|e| {
        StepError::terminal(
            "UnexpectedResponse",
            format!("cluster response: {e}"),
            "Retry the step.",
        )
    })?;
    let kubelet = cluster.properties.identity_profile.get("kubeletidentity");
    Ok(json!({
        "id": cluster.id,
        "privateFqdn": cluster.properties.private_fqdn,
        "kubernetesVersion": cluster.properties.current_kubernetes_version,
        "nodeResourceGroup": cluster.properties.node_resource_group,
        "kubeletObjectId": kubelet.and_then(|k| k.object_id.clone()),
        "kubeletClientId": kubelet.and_then(|k| k.client_id.clone()),
    }))
}

/// AKS dnsPrefix: 1-54 alphanumerics and hyphens, starting and ending alphanumeric.
fn dns_prefix(cluster: &str) -> String {
    let cleaned: String = cluster
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(54)
        .collect();
    cleaned.trim_matches('-').to_string()
}

/// A user pool (compute or GPU) as its own agentPools resource.
pub async fn user_pool(
    ctx: &StepContext,
    arm: &ArmClient,
    role: PoolRole,
) -> Result<Value, StepError> {
    let pools = &ctx.spec.cluster.node_pools;
    let pool = match role {
        PoolRole::Compute => &pools.compute,
        _ => pools.gpu.as_ref().ok_or_else(|| {
            StepError::terminal(
                "no-gpu-pool",
                "the spec has no GPU pool",
                "This step should not be in the plan.",
            )
        })?,
    };
    let version = output(ctx, StepId::AksCluster, "kubernetesVersion").ok();
    let subnet = output(ctx, StepId::Network, "aksSubnetId")?;
    let body = aks::AgentPool {
        properties: pool_properties(ctx, pool, version, subnet),
    };
    let path = format!("{}/agentPools/{}", cluster_path(ctx), pool.name);
    let created = ensure(
        ctx,
        arm,
        &path,
        api::CONTAINER_SERVICE,
        &encode(&body)?,
        &format!("node pool {}", pool.name),
    )
    .await?;
    Ok(json!({ "id": created.get("id"), "name": pool.name.to_string() }))
}

/// Assign `role` to `principal` on `scope`, idempotently (deterministic name; an existing
/// identical assignment counts as done). A principal created moments ago may not have
/// replicated yet: `PrincipalNotFound` is retried by the worker.
pub async fn assign_role(
    ctx: &StepContext,
    arm: &ArmClient,
    scope: &str,
    role: &str,
    principal: &str,
    what: &str,
) -> Result<(), StepError> {
    ctx.guard()?;
    let sub = ctx.spec.azure.subscription_id.as_str();
    let path = authorization::assignment_path(scope, role, principal);
    let body = encode(&authorization::RoleAssignment::service_principal(
        sub, role, principal,
    ))?;
    match arm
        .call(Method::PUT, &path, api::AUTHORIZATION, Some(&body))
        .await
    {
        Ok(_) => {}
        Err(e) if e.code() == "RoleAssignmentExists" => {}
        Err(e) => return Err(step_error(&format!("assigning {what}"), e)),
    }
    ctx.progress(format!("{what}: assigned")).await
}

/// The principals a cluster acts as: (kubelet object id, control-plane principal id). From the
/// cluster and identity steps' outputs when this install created the cluster, else read from
/// Azure (a bring-your-own cluster).
async fn cluster_principals(
    ctx: &StepContext,
    arm: &ArmClient,
) -> Result<(String, String), StepError> {
    if let (Ok(kubelet), Ok(identity)) = (
        output(ctx, StepId::AksCluster, "kubeletObjectId"),
        output(ctx, StepId::Identity, "principalId"),
    ) {
        return Ok((kubelet.to_string(), identity.to_string()));
    }
    let cluster = cluster_body(ctx, arm).await?;
    let kubelet = cluster
        .pointer("/properties/identityProfile/kubeletidentity/objectId")
        .and_then(Value::as_str);
    // A system-assigned identity has its principal on the cluster; a user-assigned one under
    // its resource id.
    let control_plane = cluster
        .pointer("/identity/principalId")
        .and_then(Value::as_str)
        .or_else(|| {
            cluster
                .pointer("/identity/userAssignedIdentities")
                .and_then(Value::as_object)
                .and_then(|ids| {
                    ids.values()
                        .find_map(|v| v.get("principalId").and_then(Value::as_str))
                })
        });
    match (kubelet, control_plane) {
        (Some(k), Some(c)) => Ok((k.to_string(), c.to_string())),
        _ => Err(StepError::terminal(
            "ClusterIdentityMissing",
            format!(
                "cluster {} has no managed kubelet or control-plane identity",
                ctx.spec.cluster.name
            ),
            "Use a cluster with managed identities (not a service principal): the console grants them registry and storage access.",
        )),
    }
}

/// AcrPull for the nodes; Storage Account Contributor for the Azure Files driver; Network
/// Contributor on the resource group of the external ingress's public IP.
pub async fn role_assignments(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let (kubelet, identity) = cluster_principals(ctx, arm).await?;
    let registry = output(ctx, StepId::Registry, "id")?;
    assign_role(
        ctx,
        arm,
        registry,
        authorization::ACR_PULL,
        &kubelet,
        "AcrPull for the nodes on the registry",
    )
    .await?;
    let mut assigned = vec!["AcrPull"];
    if ctx.spec.storage.shared_files {
        let account = output(ctx, StepId::Storage, "id")?;
        assign_role(
            ctx,
            arm,
            account,
            authorization::STORAGE_ACCOUNT_CONTRIBUTOR,
            &identity,
            "Storage Account Contributor for the cluster identity on the storage account",
        )
        .await?;
        assigned.push("Storage Account Contributor");
    }
    if ctx.spec.ingress.load_balancer == LbMode::External {
        // AKS attaches a public IP outside its node resource group only with this grant
        // ("Use a static public IP address and DNS label with the AKS load balancer").
        let group = resources::resource_group_id(
            ctx.spec.azure.subscription_id.as_str(),
            ctx.spec.azure.resource_group.as_str(),
        );
        assign_role(
            ctx,
            arm,
            &group,
            authorization::NETWORK_CONTRIBUTOR,
            &identity,
            &format!(
                "Network Contributor for the cluster identity on resource group {} (public IP {})",
                ctx.spec.azure.resource_group,
                katonic_domain::plan::names::ingress_public_ip(&ctx.spec)
            ),
        )
        .await?;
        assigned.push("Network Contributor");
    }
    Ok(json!({ "assigned": assigned }))
}

/// Fetch the cluster's credentials and check they are usable. Nothing is stored: later steps
/// fetch them again when they need them (it is cheap), so no cluster credential rests on disk.
pub async fn kubeconfig(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let credentials = cluster_credentials(ctx, arm).await?;
    let endpoint = access::endpoint_of(&credentials.kubeconfig).map_err(|e| {
        StepError::terminal(
            "KubeconfigUnusable",
            e.to_string(),
            "Check the cluster in the Azure portal, then retry the step.",
        )
    })?;
    let server = endpoint.server;
    let line = match credentials.mode {
        AccessMode::LocalAdmin => format!("admin kubeconfig for {server} is usable (not stored)"),
        AccessMode::EntraToken { .. } => format!(
            "local accounts are disabled: signing in to {server} with an Entra ID token for the \
             AKS server application (user kubeconfig for the server and CA only; nothing stored)"
        ),
    };
    ctx.progress(line).await?;
    Ok(json!({
        "server": server,
        "credential": credentials.name,
        "access": match credentials.mode {
            AccessMode::LocalAdmin => "admin-kubeconfig",
            AccessMode::EntraToken { .. } => "entra-token",
        },
    }))
}

/// How to sign in to the cluster, from its ARM body: local accounts enabled → the admin
/// kubeconfig (as today, whether or not Entra ID is integrated); disabled → an Entra ID token,
/// which AKS only accepts with AKS-managed Entra ID.
pub(super) fn access_mode(
    cluster: &str,
    props: &aks::ClusterResponseProperties,
) -> Result<AccessMode, NoAccess> {
    if props.disable_local_accounts != Some(true) {
        return Ok(AccessMode::LocalAdmin);
    }
    let aad = props.aad_profile.clone().unwrap_or_default();
    if aad.managed != Some(true) {
        return Err(NoAccess {
            message: format!(
                "cluster {cluster} has local accounts disabled but no AKS-managed Entra ID \
                 integration (properties.aadProfile.managed), so neither an admin kubeconfig nor \
                 an Entra ID token can reach its API server"
            ),
            hint: format!(
                "Enable AKS-managed Entra ID (az aks update --name {cluster} --resource-group <group> --enable-aad) \
                 or local accounts (--enable-local-accounts), then resume."
            ),
        });
    }
    Ok(AccessMode::EntraToken {
        azure_rbac: aad.enable_azure_rbac == Some(true),
    })
}

/// Why no sign-in method reaches a cluster, and what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NoAccess {
    pub message: String,
    pub hint: String,
}

impl From<NoAccess> for StepError {
    fn from(e: NoAccess) -> Self {
        StepError::terminal("LocalAccountsWithoutEntraId", e.message, e.hint)
    }
}

/// The cluster as ARM shows it now (the mode can change between steps: read it each time).
pub(super) async fn read_cluster(
    ctx: &StepContext,
    arm: &ArmClient,
) -> Result<aks::ClusterResponse, StepError> {
    ctx.guard()?;
    let body = cluster_body(ctx, arm).await?;
    serde_json::from_value(body).map_err(|e| {
        StepError::terminal(
            "UnexpectedResponse",
            format!("cluster response: {e}"),
            "Retry the step.",
        )
    })
}

/// What reaches the cluster's API for one step: the kubeconfig AKS returned (admin, or the
/// user one whose exec plugin is never run) and, for an Entra-only cluster, a token for the AKS
/// server application from the console's own credential. Dropped with the step.
pub(super) struct ClusterCredentials {
    pub mode: AccessMode,
    /// AKS's name for the credential (`clusterAdmin`, `clusterUser`).
    pub name: String,
    pub kubeconfig: secrecy::SecretSlice<u8>,
    pub token: Option<secrecy::SecretString>,
}

pub(super) async fn cluster_credentials(
    ctx: &StepContext,
    arm: &ArmClient,
) -> Result<ClusterCredentials, StepError> {
    let cluster = read_cluster(ctx, arm).await?;
    let mode = access_mode(ctx.spec.cluster.name.as_str(), &cluster.properties)?;
    match mode {
        AccessMode::LocalAdmin => {
            let admin = admin_kubeconfig(ctx, arm).await?;
            Ok(ClusterCredentials {
                mode,
                name: admin.name,
                kubeconfig: admin.yaml,
                token: None,
            })
        }
        AccessMode::EntraToken { .. } => {
            // `format=exec`: the kubelogin form AKS documents for Entra ID clusters (the
            // `azure` auth-provider form is deprecated); only its server and CA are used.
            let user = list_credential(
                ctx,
                arm,
                "listClusterUserCredential?format=exec",
                "fetching the user kubeconfig",
            )
            .await?;
            ctx.guard()?;
            let token = arm.access_token(access::AKS_SERVER_SCOPE).await.map_err(|e| {
                StepError::terminal(
                    "EntraTokenUnavailable",
                    format!(
                        "Entra ID gave the console's credential no token for the AKS server \
                         application ({}): {}",
                        access::AKS_SERVER_APP_ID,
                        e.message()
                    ),
                    "Check the console's credential (tenant, client id, secret or managed identity), then resume.",
                )
            })?;
            // Like the kubeconfig's key: quoted in an error, it shows as `[redacted]`.
            crate::redact::register(&token);
            Ok(ClusterCredentials {
                mode,
                name: user.name,
                kubeconfig: user.yaml,
                token: Some(token),
            })
        }
    }
}

/// A kubeconfig AKS returned, fetched from Azure each time it is needed: it is never stored,
/// so there is no credential at rest to protect or rotate.
pub(super) struct AksKubeconfig {
    pub name: String,
    pub yaml: secrecy::SecretSlice<u8>,
}

pub(super) async fn admin_kubeconfig(
    ctx: &StepContext,
    arm: &ArmClient,
) -> Result<AksKubeconfig, StepError> {
    list_credential(
        ctx,
        arm,
        "listClusterAdminCredential",
        "fetching the admin kubeconfig",
    )
    .await
}

/// POST one of the cluster's `list…Credential` actions and decode its first kubeconfig.
async fn list_credential(
    ctx: &StepContext,
    arm: &ArmClient,
    action: &str,
    what: &str,
) -> Result<AksKubeconfig, StepError> {
    ctx.guard()?;
    let path = format!("{}/{action}", cluster_path(ctx));
    let answer = arm
        .call(Method::POST, &path, api::CONTAINER_SERVICE, None)
        .await
        .map_err(|e| step_error(what, e))?;
    let credentials: aks::CredentialResults =
        serde_json::from_value(answer.body.unwrap_or(Value::Null)).map_err(|e| {
            StepError::terminal(
                "UnexpectedResponse",
                format!("credential response: {e}"),
                "Retry the step.",
            )
        })?;
    let first = credentials.kubeconfigs.first().ok_or_else(|| {
        StepError::terminal(
            "UnexpectedResponse",
            "AKS returned no kubeconfig",
            "Retry the step.",
        )
    })?;
    let yaml = base64::engine::general_purpose::STANDARD
        .decode(first.value.as_bytes())
        .map_err(|_| {
            StepError::terminal(
                "UnexpectedResponse",
                "the kubeconfig is not base64",
                "Retry the step.",
            )
        })?;
    register_kubeconfig_secrets(&yaml);
    Ok(AksKubeconfig {
        name: first.name.clone(),
        yaml: yaml.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(body: Value) -> aks::ClusterResponseProperties {
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn local_accounts_mean_the_admin_kubeconfig_even_with_entra_id() {
        for body in [
            json!({}),
            json!({"disableLocalAccounts": false, "aadProfile": {"managed": true, "enableAzureRBAC": true}}),
            json!({"aadProfile": null, "disableLocalAccounts": null}),
        ] {
            assert_eq!(
                access_mode("aks", &props(body.clone())),
                Ok(AccessMode::LocalAdmin),
                "{body}"
            );
        }
    }

    #[test]
    fn disabled_local_accounts_mean_an_entra_token() {
        let mode = |aad: Value| {
            access_mode(
                "aks",
                &props(json!({"disableLocalAccounts": true, "aadProfile": aad})),
            )
        };
        assert_eq!(
            mode(json!({"managed": true, "enableAzureRBAC": true, "tenantID": "t"})),
            Ok(AccessMode::EntraToken { azure_rbac: true })
        );
        assert_eq!(
            mode(json!({"managed": true, "adminGroupObjectIDs": ["g"]})),
            Ok(AccessMode::EntraToken { azure_rbac: false })
        );
    }

    #[test]
    fn disabled_local_accounts_without_managed_entra_id_cannot_be_reached() {
        let err = access_mode(
            "aks-prod",
            &props(json!({"disableLocalAccounts": true, "aadProfile": {"managed": false, "serverAppID": "x"}})),
        )
        .unwrap_err();
        assert!(
            err.message
                .contains("cluster aks-prod has local accounts disabled")
        );
        assert!(err.hint.contains("--enable-aad"), "{}", err.hint);
        let step: StepError = err.into();
        assert!(step.to_string().starts_with("LocalAccountsWithoutEntraId"));
    }
}

/// The kubeconfig's credentials (client key, token) join the redactor while the console holds
/// them: an error quoting one shows `[redacted]`.
fn register_kubeconfig_secrets(yaml: &[u8]) {
    let text = String::from_utf8_lossy(yaml);
    for line in text.lines() {
        let line = line.trim().trim_start_matches("- ");
        for field in ["client-key-data:", "token:", "password:"] {
            let Some(value) = line.strip_prefix(field) else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            crate::redact::register(&secrecy::SecretString::from(value.to_string()));
            if let Ok(pem) = base64::engine::general_purpose::STANDARD.decode(value)
                && let Ok(pem) = String::from_utf8(pem)
            {
                crate::redact::register(&secrecy::SecretString::from(pem));
            }
        }
    }
}

#[cfg(test)]
mod kubeconfig_tests {
    #[test]
    fn the_kubeconfig_key_and_token_are_registered_for_redaction() {
        use base64::Engine;
        let pem = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIKubeconfigCanaryKeyBytes0123456789abcdefABCDEF\n-----END EC PRIVATE KEY-----\n";
        let key_data = base64::engine::general_purpose::STANDARD.encode(pem);
        let yaml = format!(
            "users:\n- name: admin\n  user:\n    client-key-data: {key_data}\n    token: kubeconfig-canary-token-31f0\n"
        );
        super::register_kubeconfig_secrets(yaml.as_bytes());
        let line = "MHcCAQEEIKubeconfigCanaryKeyBytes0123456789abcdefABCDEF";
        let leaked = format!("apply failed: {key_data} / {line} / kubeconfig-canary-token-31f0");
        assert_eq!(
            crate::redact::redact(&leaked),
            "apply failed: [redacted] / [redacted] / [redacted]"
        );
    }
}
