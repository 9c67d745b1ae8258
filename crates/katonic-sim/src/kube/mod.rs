//! Kubernetes API simulator: each simulated AKS cluster's API server, served under
//! `/kubernetes/{cluster}` on the simulator's HTTPS listener (the kubeconfig's server URL).
//!
//! Like the ARM side it shares no types with the console: it reads JSON the way kube-apiserver
//! does and answers `Status` objects for what the real one rejects.

pub(crate) mod auth;
pub(crate) mod cluster;
pub(crate) mod controllers;
mod discovery;
mod fields;
pub(crate) mod ingress_tls;
pub(crate) mod kubectl;
mod kubectl_curl;
mod kubectl_read;
mod kubectl_write;
pub(crate) mod persist;
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
    let reply = match routes::handle(shared, req, effects) {
        Ok(reply) => reply,
        Err(e) => e.into_reply(),
    };
    // As etcd does, a write is on disk before it is acknowledged: a kill -9 after the answer
    // loses nothing the client was told had happened. (What controllers change on their own
    // is saved by their loop.)
    let write = !matches!(
        req.method,
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    if write && reply.status.is_success() {
        save_if_dirty(shared);
    }
    reply
}

/// Write `kube.json` if anything changed since the last save.
pub(crate) fn save_if_dirty(shared: &Shared) {
    let saved = {
        let mut ks = lock(shared);
        if !ks.dirty {
            return;
        }
        ks.dirty = false;
        ks.snapshot((shared.ingress_port, shared.ingress_http_port))
    };
    if let Err(e) = persist::save(&shared.kube_file, &saved) {
        tracing::warn!(error = %e, "cannot save the Kubernetes state");
    }
}

/// Serve the load-balancer addresses of restored Services again.
pub(crate) fn restore_listeners(shared: &std::sync::Arc<Shared>) {
    let addresses: Vec<(String, std::net::Ipv4Addr)> = {
        let ks = lock(shared);
        ks.clusters
            .iter()
            .flat_map(|(c, store)| {
                store
                    .objects
                    .iter()
                    .filter(|((r, _, _), _)| r == "services")
                    .filter_map(move |(_, svc)| {
                        svc["status"]["loadBalancer"]["ingress"][0]["ip"]
                            .as_str()
                            .and_then(|ip| ip.parse().ok())
                            .map(|ip| (c.clone(), ip))
                    })
            })
            .collect()
    };
    for (cluster, ip) in addresses {
        ingress_tls::ensure_listener(shared, &cluster, ip);
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
