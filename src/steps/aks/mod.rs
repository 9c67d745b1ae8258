//! The private AKS cluster, its user pools, the cluster's access to the registry and storage,
//! and how the console signs in to its API server (admin kubeconfig, or an Entra ID token when
//! local accounts are disabled).

mod create;
mod credentials;
mod roles;

pub use create::{cluster, user_pool};
pub use credentials::kubeconfig;
pub(super) use credentials::{
    access_mode, admin_kubeconfig_for, cluster_credentials, read_cluster,
};
pub use roles::{assign_role, role_assignments};

use super::errors::step_error;
use crate::azure::resources;
use crate::azure::{ArmClient, api};
use crate::worker::{StepContext, StepError};
use serde_json::Value;

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

/// The cluster's ARM resource id.
pub(super) fn cluster_path(ctx: &StepContext) -> String {
    let a = &ctx.spec.azure;
    resources::resource_id(
        a.subscription_id.as_str(),
        a.resource_group.as_str(),
        "Microsoft.ContainerService/managedClusters",
        ctx.spec.cluster.name.as_str(),
    )
}

/// A request body as JSON; failing only on a console bug.
fn encode<T: serde::Serialize>(value: &T) -> Result<Value, StepError> {
    serde_json::to_value(value).map_err(|e| {
        StepError::terminal(
            "internal",
            format!("cannot encode a request: {e}"),
            "This is a console bug.",
        )
    })
}
