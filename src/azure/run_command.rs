//! AKS Run Command over ARM: `POST …/managedClusters/{name}/runCommand` answers 202 with a
//! `Location` (…/commandResults/{id}) that answers 202 while the command pod runs and 200 with
//! the `RunCommandResult` when it is done (spec 2025-10-01: `final-state-via: location`). One
//! command, one pod: the caller batches what it can into one command.

use reqwest::Method;

use super::lro::{self, FinalState, Poll, Started};
use super::resources::aks::{RunCommandRequest, RunCommandResult};
use super::{ArmClient, ArmError, api};

/// Run `request` on the cluster at `cluster_path` and wait for its result (polling as Azure's
/// `Retry-After` says).
pub async fn run(
    client: &ArmClient,
    cluster_path: &str,
    request: &RunCommandRequest,
) -> Result<RunCommandResult, ArmError> {
    let path = format!("{cluster_path}/runCommand");
    let body = serde_json::to_value(request)
        .map_err(|e| ArmError::Protocol(format!("run command request: {e}")))?;
    let response = client
        .call(Method::POST, &path, api::CONTAINER_SERVICE, Some(&body))
        .await?;
    let resource_url = client.url(cluster_path, api::CONTAINER_SERVICE);
    let done = match lro::started(&response, &resource_url, FinalState::LocationBody) {
        Started::Done(body) => body,
        Started::Pending(pending) => loop {
            match lro::poll_once(client, &pending).await? {
                Poll::Done(body) => break body,
                Poll::Running { retry_after, .. } => {
                    tokio::time::sleep(client.timing.clamp(retry_after)).await;
                }
            }
        },
    };
    let body = done.ok_or_else(|| ArmError::Protocol("command result without a body".into()))?;
    serde_json::from_value(body).map_err(|e| ArmError::Protocol(format!("command result: {e}")))
}
