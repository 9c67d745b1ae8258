//! Signing in to the cluster's API server, and saying why when it does not answer.

use super::kube_error;
use crate::azure::ArmClient;
use crate::cluster::access::{self, AccessError, SystemResolver};
use crate::cluster::apply::KubeFailure;
use crate::steps::aks::cluster_credentials;
use crate::worker::{StepContext, StepError};

/// The cluster's API, from freshly fetched credentials: the admin kubeconfig, or for an
/// Entra-only cluster a new Entra ID token (never stored). When the server does not answer, the
/// error says why (DNS zone, custom DNS, not in the VNet) instead of a bare timeout.
pub(in crate::steps) async fn connect(
    ctx: &StepContext,
    arm: &ArmClient,
) -> Result<kube::Client, StepError> {
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
