//! Server-side apply with the console's one field manager, reporting whether anything changed,
//! and the classification of Kubernetes errors the steps need (retry, or stop with a fix).

use std::fmt::Debug;

use k8s_openapi::NamespaceResourceScope;
use kube::api::{Api, Patch, PatchParams};
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::FIELD_MANAGER;

/// What an apply did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// `Kind/namespace/name` (or `Kind/name`), for progress lines.
    pub object: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

impl std::fmt::Display for Applied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = match self.outcome {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
        };
        write!(f, "{} {verb}", self.object)
    }
}

/// A Kubernetes call that failed, with what the step should do about it.
#[derive(Debug, thiserror::Error)]
#[error("{action} {object}: {}", self.message())]
pub struct KubeFailure {
    pub action: &'static str,
    pub object: String,
    #[source]
    pub source: kube::Error,
}

impl KubeFailure {
    /// The API server's own message (without kube's wrapping), else the client's error.
    pub fn message(&self) -> String {
        match &self.source {
            kube::Error::Api(status) if !status.message.is_empty() => status.message.clone(),
            other => other.to_string(),
        }
    }

    /// Whether the server refused a change to a field that cannot change (422 `Forbidden`
    /// cause, e.g. a storage class's parameters).
    pub fn is_immutable_field(&self) -> bool {
        matches!(&self.source, kube::Error::Api(status)
            if status.code == 422 && status.message.contains("Forbidden: updates to"))
    }

    /// Throttling, server errors and dropped connections clear by themselves.
    pub fn is_retryable(&self) -> bool {
        match &self.source {
            kube::Error::Api(status) => {
                matches!(status.code, 429 | 500 | 502 | 503 | 504)
                    || status.reason == "ServerTimeout"
            }
            kube::Error::HyperError(_) | kube::Error::Service(_) => true,
            _ => false,
        }
    }

    /// The API's reason (`Conflict`, `Forbidden`, `Invalid`…), or `Unreachable` for transport
    /// failures.
    pub fn code(&self) -> String {
        match &self.source {
            kube::Error::Api(status) if !status.reason.is_empty() => status.reason.clone(),
            kube::Error::Api(status) => format!("HTTP{}", status.code),
            kube::Error::HyperError(_) | kube::Error::Service(_) => "Unreachable".into(),
            _ => "KubernetesClient".into(),
        }
    }

    /// What the admin can do when it does not clear.
    pub fn hint(&self) -> String {
        match self.code().as_str() {
            "Conflict" => format!(
                "Another tool changed a field the console manages on {}; see the manager named \
                 above, undo its change (or remove the object) and resume.",
                self.object
            ),
            "Forbidden" => "The kubeconfig's identity may not do this: use the cluster admin \
                 credential (local accounts enabled) or grant the Azure Kubernetes Service RBAC \
                 Cluster Admin role, then resume."
                .into(),
            "Invalid" => "The cluster refused the object (an admission policy or a Kubernetes \
                 version without this field): the message names the field; fix the policy or the \
                 version and resume."
                .into(),
            "Unreachable" => "The API server stopped answering: check the private endpoint and \
                 the jumphost's network, then resume."
                .into(),
            _ => "Resume the install; if it fails again, the message above says what Kubernetes \
                 refused."
                .into(),
        }
    }
}

/// Apply a namespaced object; unchanged when its resourceVersion did not move.
pub async fn apply_namespaced<K>(client: &kube::Client, object: &K) -> Result<Applied, KubeFailure>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
        + Serialize
        + DeserializeOwned
        + Clone
        + Debug,
{
    let namespace = object.namespace().unwrap_or_default();
    let api: Api<K> = Api::namespaced(client.clone(), &namespace);
    apply_with(
        api,
        object,
        format!("{}/{namespace}/{}", K::kind(&()), object.name_any()),
    )
    .await
}

/// Apply a cluster-scoped object.
pub async fn apply_cluster<K>(client: &kube::Client, object: &K) -> Result<Applied, KubeFailure>
where
    K: Resource<Scope = k8s_openapi::ClusterResourceScope, DynamicType = ()>
        + Serialize
        + DeserializeOwned
        + Clone
        + Debug,
{
    let api: Api<K> = Api::all(client.clone());
    apply_with(
        api,
        object,
        format!("{}/{}", K::kind(&()), object.name_any()),
    )
    .await
}

async fn apply_with<K>(api: Api<K>, object: &K, label: String) -> Result<Applied, KubeFailure>
where
    K: Resource<DynamicType = ()> + Serialize + DeserializeOwned + Clone + Debug,
{
    let name = object.name_any();
    let fail = |action, source| KubeFailure {
        action,
        object: label.clone(),
        source,
    };
    let before = api
        .get_opt(&name)
        .await
        .map_err(|e| fail("reading", e))?
        .and_then(|o| o.resource_version());
    // No `force`: a field someone else owns is a conflict the admin must see, not overwrite.
    let after = api
        .patch(
            &name,
            &PatchParams::apply(FIELD_MANAGER),
            &Patch::Apply(object),
        )
        .await
        .map_err(|e| fail("applying", e))?;
    let outcome = match before {
        None => Outcome::Created,
        Some(rv) if Some(rv.as_str()) == after.resource_version().as_deref() => Outcome::Unchanged,
        Some(_) => Outcome::Updated,
    };
    Ok(Applied {
        object: label,
        outcome,
    })
}
