//! Kubernetes API simulator: each simulated AKS cluster's API server, served under
//! `/kubernetes/{cluster}` on the simulator's HTTPS listener (the kubeconfig's server URL).
//!
//! Like the ARM side it shares no types with the console: it reads JSON the way kube-apiserver
//! does and answers `Status` objects for what the real one rejects.

mod cluster;
pub(crate) mod controllers;
mod discovery;
mod fields;
pub(crate) mod ingress_tls;
mod routes;
mod selectors;
pub(crate) mod status;
pub(crate) mod store;
pub(crate) mod stream;
mod validate;

use std::sync::MutexGuard;

use super::arm::errors::Reply;
use super::server::{Req, Shared};
use status::KubeError;
use store::KubeState;

/// Fault actions that change what a write leads to.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    pub fail_job: Option<String>,
    pub no_load_balancer: bool,
}

/// Whether a request is for a simulated cluster's API server.
pub(crate) fn is_kube_path(path: &str) -> bool {
    path == "/kubernetes" || path.starts_with("/kubernetes/")
}

pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, KubeState> {
    // Poisoning is ignored for the same reason as the ARM state's lock.
    shared.kube.lock().unwrap_or_else(|e| e.into_inner())
}

/// Answer one request under `/kubernetes/`.
pub(crate) fn route(shared: &Shared, req: &Req, effects: &Effects) -> Reply {
    match routes::handle(shared, req, effects) {
        Ok(reply) => reply,
        Err(e) => e.into_reply(),
    }
}

/// A `Status` reply for a fault rule's `error` action on a Kubernetes path.
pub(crate) fn fault_reply(status: u16, code: &str, message: String) -> Reply {
    let reason = match status {
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    };
    let mut e = KubeError::new(status, reason, message);
    e.details = serde_json::json!({"causes": [{"reason": code}]});
    e.into_reply()
}
