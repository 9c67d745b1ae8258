//! HTTPS at each load-balancer address (one listener per address, on the simulator's ingress
//! port), with the certificate chosen by SNI from the cluster's Ingress `spec.tls` and their
//! `kubernetes.io/tls` Secrets. A host with an Ingress rule answers 200; `/healthz` answers
//! `ok` once a Job labelled `app.kubernetes.io/name: katonic-platform-installer` completed.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Weak};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use serde_json::Value;

use crate::server::Shared;

const INSTALLER_LABEL: &str = "katonic-platform-installer";

#[derive(Clone)]
struct Site {
    shared: Weak<Shared>,
    cluster: String,
}

impl Site {
    /// The certificate for `host` from the first Ingress listing it under `spec.tls`.
    fn certificate(&self, host: &str) -> Option<Arc<CertifiedKey>> {
        let shared = self.shared.upgrade()?;
        let secret = tls_secret(&shared, &self.cluster, host)?;
        certified_key(&secret)
    }
}

/// The `kubernetes.io/tls` Secret of the first Ingress listing `host` under `spec.tls`.
fn tls_secret(shared: &Shared, cluster: &str, host: &str) -> Option<Value> {
    let ks = super::lock(shared);
    for ing in ks.list(cluster, "ingresses.networking.k8s.io", None) {
        let ns = ing["metadata"]["namespace"].as_str().unwrap_or("");
        for tls in ing["spec"]["tls"].as_array().into_iter().flatten() {
            let listed = tls["hosts"].as_array().is_some_and(|h| {
                h.iter()
                    .any(|h| host_matches(h.as_str().unwrap_or(""), host))
            });
            let Some(secret) = tls["secretName"].as_str().filter(|_| listed) else {
                continue;
            };
            let key = ("secrets".to_string(), ns.to_string(), secret.to_string());
            if let Some(s) = ks.get(cluster, &key)
                && certified_key(s).is_some()
            {
                return Some(s.clone());
            }
        }
    }
    None
}

/// What a client inside the cluster gets from HTTPS at load-balancer address `ip` for `host`
/// and `path` (AKS Run Command's probes): `None` when no Service of the cluster has that
/// address; else the served leaf certificate (DER; `None` for the controller's fallback) and
/// the answer.
pub(crate) fn probe(
    shared: &Shared,
    cluster: &str,
    ip: Ipv4Addr,
    host: &str,
    path: &str,
) -> Option<(Option<Vec<u8>>, StatusCode, String)> {
    let served = super::lock(shared)
        .list(cluster, "services", None)
        .iter()
        .any(|svc| {
            svc["status"]["loadBalancer"]["ingress"][0]["ip"].as_str() == Some(&ip.to_string())
        });
    if !served {
        return None;
    }
    let leaf = tls_secret(shared, cluster, host)
        .and_then(|s| certified_key(&s))
        .and_then(|ck| ck.cert.first().map(|c| c.to_vec()));
    let (status, body) = respond(shared, cluster, host, path);
    Some((leaf, status, body))
}

fn host_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .split_once('.')
            .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(suffix)),
        None => pattern.eq_ignore_ascii_case(host),
    }
}

fn certified_key(secret: &Value) -> Option<Arc<CertifiedKey>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let b64 = base64::engine::general_purpose::STANDARD;
    let field = |k: &str| -> Option<Vec<u8>> {
        match secret["data"][k].as_str() {
            Some(d) => b64.decode(d).ok(),
            None => secret["stringData"][k]
                .as_str()
                .map(|s| s.as_bytes().to_vec()),
        }
    };
    let certs = CertificateDer::pem_slice_iter(&field("tls.crt")?)
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    let key = PrivateKeyDer::from_pem_slice(&field("tls.key")?).ok()?;
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let signing = provider.key_provider.load_private_key(key).ok()?;
    Some(Arc::new(CertifiedKey::new(certs, signing)))
}

struct Resolver {
    site: Site,
    /// Served when no Ingress names the host (ingress-nginx's "fake certificate").
    fallback: Arc<CertifiedKey>,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("cluster", &self.site.cluster)
            .finish_non_exhaustive()
    }
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        hello
            .server_name()
            .and_then(|h| self.site.certificate(h))
            .or_else(|| Some(self.fallback.clone()))
    }
}

async fn answer(State(site): State<Site>, req: Request) -> Response {
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h).to_ascii_lowercase())
        .unwrap_or_default();
    let Some(shared) = site.shared.upgrade() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let (status, body) = respond(&shared, &site.cluster, &host, req.uri().path());
    (status, body).into_response()
}

/// The ingress controller's answer for `host` and `path`: 404 without a rule for the host,
/// the health endpoint once the installer completed, else the backend's greeting.
fn respond(shared: &Shared, cluster: &str, host: &str, path: &str) -> (StatusCode, String) {
    let ingresses = super::lock(shared).list(cluster, "ingresses.networking.k8s.io", None);
    let mut backend = None;
    for ing in ingresses {
        for rule in ing["spec"]["rules"].as_array().into_iter().flatten() {
            if rule["host"].as_str().is_some_and(|h| host_matches(h, host)) {
                let svc = &rule["http"]["paths"][0]["backend"]["service"];
                backend = Some(format!(
                    "{}/{} -> {}:{}",
                    ing["metadata"]["namespace"].as_str().unwrap_or(""),
                    ing["metadata"]["name"].as_str().unwrap_or(""),
                    svc["name"].as_str().unwrap_or(""),
                    svc["port"]["number"]
                        .as_u64()
                        .map(|n| n.to_string())
                        .or_else(|| svc["port"]["name"].as_str().map(str::to_string))
                        .unwrap_or_default()
                ));
            }
        }
    }
    let Some(backend) = backend else {
        return (StatusCode::NOT_FOUND, "default backend - 404\n".into());
    };
    if path == "/healthz" {
        return if installer_succeeded(shared, cluster) {
            (StatusCode::OK, "ok".into())
        } else {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the platform installer has not completed\n".into(),
            )
        };
    }
    (
        StatusCode::OK,
        format!("katonic simulator ingress: {host} {path} via {backend}\n"),
    )
}

fn installer_succeeded(shared: &Shared, cluster: &str) -> bool {
    super::lock(shared)
        .list(cluster, "jobs.batch", None)
        .iter()
        .any(|j| {
            j["metadata"]["labels"]["app.kubernetes.io/name"] == INSTALLER_LABEL
                && j["status"]["conditions"].as_array().is_some_and(|c| {
                    c.iter()
                        .any(|c| c["type"] == "Complete" && c["status"] == "True")
                })
        })
}

/// Serve HTTPS on `ip` at the ingress port, once per address.
pub(crate) fn ensure_listener(shared: &Arc<Shared>, cluster: &str, ip: Ipv4Addr) {
    let mut listeners = shared.ingress.lock().unwrap_or_else(|e| e.into_inner());
    if listeners.contains_key(&ip) {
        return;
    }
    // A private VNet address is served at its loopback alias.
    let addr = SocketAddr::from((shared.loopback_for(ip), shared.ingress_port));
    match listen(shared, cluster, addr) {
        Ok(handle) => {
            listeners.insert(ip, handle);
        }
        Err(e) => tracing::warn!(%addr, error = %e, "cannot serve the load-balancer address"),
    }
}

fn listen(
    shared: &Arc<Shared>,
    cluster: &str,
    addr: SocketAddr,
) -> Result<axum_server::Handle<SocketAddr>, String> {
    let leaf = shared.ca.server_leaf().map_err(|e| e.to_string())?;
    let fallback = certified_key(
        &serde_json::json!({"stringData": {"tls.crt": leaf.cert_pem, "tls.key": leaf.key_pem}}),
    )
    .ok_or("fallback certificate")?;
    let site = Site {
        shared: Arc::downgrade(shared),
        cluster: cluster.to_string(),
    };
    let app = axum::Router::new()
        .fallback(answer)
        .with_state(site.clone());
    let resolver = Arc::new(Resolver { site, fallback });
    crate::tls::serve_sni(addr, resolver, app, "ingress listener")
}
