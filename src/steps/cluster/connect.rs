//! Reaching the cluster's API server, directly or through AKS Run Command, and saying why when
//! it does not answer.

use super::kube_error;
use crate::azure::ArmClient;
use crate::cluster::access::{self, AccessError, AccessMode, SystemResolver};
use crate::cluster::apply::KubeFailure;
use crate::cluster::reach::{self, ClusterReach, RunCommandReach, Way};
use crate::steps::aks::{cluster_credentials, cluster_path, read_cluster};
use crate::worker::{StepContext, StepError};
use katonic_domain::plan::StepId;

/// The way to the cluster for this step: the one preflight resolved (`clusterAccess` in its
/// outputs), else the spec's `cluster.access`.
pub(in crate::steps) async fn connect(
    ctx: &StepContext,
    arm: &ArmClient,
) -> Result<ClusterReach, StepError> {
    let resolved = ctx
        .outputs
        .get(&StepId::Preflight)
        .and_then(|o| o.get("clusterAccess"));
    match reach::way(resolved, ctx.spec.cluster.access) {
        Way::Direct => direct(ctx, arm).await.map(ClusterReach::Direct),
        Way::RunCommand => through_run_command(ctx, arm).await,
    }
}

/// Run Command needs no line of sight: only ARM, and for an Entra-only cluster a token for the
/// AKS server application (the request's `clusterToken`, never stored).
async fn through_run_command(
    ctx: &StepContext,
    arm: &ArmClient,
) -> Result<ClusterReach, StepError> {
    let cluster = read_cluster(ctx, arm).await?;
    let mode = crate::steps::aks::access_mode(ctx.spec.cluster.name.as_str(), &cluster.properties)?;
    let token =
        match mode {
            AccessMode::LocalAdmin => None,
            AccessMode::EntraToken { .. } => {
                let token = arm.access_token(access::AKS_SERVER_SCOPE).await.map_err(|e| {
                StepError::terminal(
                    "EntraTokenUnavailable",
                    format!(
                        "Entra ID gave the console's credential no token for the AKS server \
                         application ({}): {}",
                        access::AKS_SERVER_APP_ID,
                        e.message()
                    ),
                    "Check the console's credential, then resume.",
                )
            })?;
                crate::redact::register(&token);
                Some(token)
            }
        };
    ctx.progress(format!(
        "reaching the API server through AKS Run Command over ARM (no line of sight needed; \
         each call runs kubectl in a command pod), signed in with {mode}"
    ))
    .await?;
    Ok(ClusterReach::RunCommand(RunCommandReach::new(
        arm.clone(),
        cluster_path(ctx),
        token,
    )))
}

/// The cluster's API, from freshly fetched credentials: the admin kubeconfig, or for an
/// Entra-only cluster a new Entra ID token (never stored). When the server does not answer, the
/// error says why (DNS zone, custom DNS, not in the VNet) instead of a bare timeout.
async fn direct(ctx: &StepContext, arm: &ArmClient) -> Result<kube::Client, StepError> {
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
