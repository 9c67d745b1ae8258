//! How the console signs in to the cluster's API server: the admin kubeconfig, or an Entra ID
//! token when local accounts are disabled. Credentials are fetched each time, never stored.

use super::{cluster_body, cluster_path};
use crate::azure::resources::aks;
use crate::azure::{ArmClient, api};
use crate::cluster::access::{self, AccessMode};
use crate::steps::errors::step_error;
use crate::worker::{StepContext, StepError};
use base64::Engine as _;
use reqwest::Method;
use serde_json::{Value, json};

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
pub(in crate::steps) fn access_mode(
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
pub(in crate::steps) struct NoAccess {
    pub message: String,
    pub hint: String,
}

impl From<NoAccess> for StepError {
    fn from(e: NoAccess) -> Self {
        StepError::terminal("LocalAccountsWithoutEntraId", e.message, e.hint)
    }
}

/// The cluster as ARM shows it now (the mode can change between steps: read it each time).
pub(in crate::steps) async fn read_cluster(
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
pub(in crate::steps) struct ClusterCredentials {
    pub mode: AccessMode,
    /// AKS's name for the credential (`clusterAdmin`, `clusterUser`).
    pub name: String,
    pub kubeconfig: secrecy::SecretSlice<u8>,
    pub token: Option<secrecy::SecretString>,
}

pub(in crate::steps) async fn cluster_credentials(
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
pub(in crate::steps) struct AksKubeconfig {
    pub name: String,
    pub yaml: secrecy::SecretSlice<u8>,
}

pub(in crate::steps) async fn admin_kubeconfig(
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
    decode_first(answer.body)
}

/// The admin kubeconfig of `spec`'s cluster for an admin's download from the install page (no
/// step runs): fetched now, returned, never stored.
pub(in crate::steps) async fn admin_kubeconfig_for(
    arm: &ArmClient,
    spec: &katonic_domain::spec::InstallSpec,
) -> Result<AksKubeconfig, StepError> {
    let a = &spec.azure;
    let cluster = crate::azure::resources::resource_id(
        a.subscription_id.as_str(),
        a.resource_group.as_str(),
        "Microsoft.ContainerService/managedClusters",
        spec.cluster.name.as_str(),
    );
    // Local accounts disabled: Azure refuses the admin kubeconfig with a bare BadRequest; say
    // why and what works instead (user credentials, signed in with Entra ID by kubelogin;
    // `kubelogin convert-kubeconfig -l azurecli` per the AKS Entra ID docs, checked 2026-12-07).
    let body = arm
        .get(&cluster, api::CONTAINER_SERVICE)
        .await
        .map_err(|e| step_error("reading the cluster", e))?
        .ok_or_else(|| {
            StepError::terminal(
                "ResourceNotFound",
                format!("cluster {} was not found", spec.cluster.name),
                "It may have been deleted outside the console; clone the install to create it again.",
            )
        })?;
    if body["properties"]["disableLocalAccounts"].as_bool() == Some(true) {
        return Err(StepError::terminal(
            "LocalAccountsDisabled",
            format!(
                "cluster {} has local accounts disabled, so AKS gives no admin kubeconfig",
                spec.cluster.name
            ),
            format!(
                "Get user credentials instead, signed in with Entra ID through kubelogin: `az aks get-credentials --resource-group {} --name {}` then `kubelogin convert-kubeconfig -l azurecli`.",
                a.resource_group, spec.cluster.name
            ),
        ));
    }
    let path = format!("{cluster}/listClusterAdminCredential");
    let answer = arm
        .call(Method::POST, &path, api::CONTAINER_SERVICE, None)
        .await
        .map_err(|e| step_error("fetching the admin kubeconfig", e))?;
    decode_first(answer.body)
}

/// The first kubeconfig of a `list…Credential` answer, its secrets known to the redactor.
fn decode_first(body: Option<Value>) -> Result<AksKubeconfig, StepError> {
    let credentials: aks::CredentialResults = serde_json::from_value(body.unwrap_or(Value::Null))
        .map_err(|e| {
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
