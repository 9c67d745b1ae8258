//! The HTTPS server: binds loopback, turns each request into a [`Req`], applies faults, dispatches
//! to Entra ID or ARM, adds correlation headers, logs and records the exchange.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use axum::body::{Body as AxumBody, Bytes};
use axum::http::{HeaderMap, Method, Request, Response};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::catalog::Catalog;
use super::faults::Faults;
use super::log::RequestLog;
use super::record::Recorder;
use super::state::{State, Store};
use super::tls::Ca;

mod serve;
mod startup;

use serve::serve_one;
pub(crate) use startup::start;

/// Everything the request handlers share.
pub(crate) struct Shared {
    /// `https://127.0.0.1:PORT`
    pub base: String,
    pub time_scale: f64,
    pub catalog: Catalog,
    pub ca: Ca,
    pub state: Mutex<State>,
    pub store: Store,
    pub log: RequestLog,
    pub faults: Faults,
    pub recorder: Option<Recorder>,
    pub limits: Mutex<super::arm::throttle::Buckets>,
    /// The simulated clusters' Kubernetes objects (in memory).
    pub kube: Mutex<super::kube::store::KubeState>,
    /// `kube.json` in the state directory.
    pub kube_file: std::path::PathBuf,
    /// Port of the load-balancer HTTPS listeners (the same on every address).
    pub ingress_port: u16,
    /// Keeps `ingress_port` taken on 127.77.255.254 so other programs do not pick it.
    pub _ingress_reserve: std::net::TcpListener,
    /// Port of the gateways' plain-HTTP listeners (Azure's port 80; the same on every address).
    pub ingress_http_port: u16,
    /// Keeps `ingress_http_port` taken on 127.77.255.254.
    pub _ingress_http_reserve: std::net::TcpListener,
    /// Load-balancer listeners by address.
    pub ingress: Mutex<BTreeMap<std::net::Ipv4Addr, axum_server::Handle<SocketAddr>>>,
    /// Where the console runs (`None`: unplaced).
    pub console: Mutex<Option<crate::placement::ConsoleNetwork>>,
    /// Application gateways' uploaded certificates (PFX data and password), by lower-cased
    /// gateway id: kept in memory only, never in `state.json`, the log or recordings.
    pub gateway_secrets: Mutex<BTreeMap<String, crate::resources::app_gateway::Secrets>>,
    /// Loopback addresses (127.76.x.y) serving private VNet addresses (an internal load
    /// balancer's or a gateway's static 10.x address), which this host cannot bind.
    pub aliases: Mutex<BTreeMap<std::net::Ipv4Addr, std::net::Ipv4Addr>>,
    /// Application gateways' frontend listeners by address.
    pub gateway_listeners: Mutex<crate::resources::app_gateway::frontend::Listeners>,
}

impl Shared {
    /// Where the simulator serves `ip`: itself when it is loopback, else its alias.
    pub fn loopback_for(&self, ip: std::net::Ipv4Addr) -> std::net::Ipv4Addr {
        if ip.is_loopback() {
            return ip;
        }
        let mut map = self.aliases.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.len() as u32 + 1;
        *map.entry(ip).or_insert_with(|| {
            std::net::Ipv4Addr::new(127, 76, (n / 250 % 250) as u8, (n % 250 + 1) as u8)
        })
    }

    /// Lock the state; a panicked holder cannot leave it half-changed in a way that matters
    /// more than stopping the simulator would, so poisoning is ignored.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn console_network(&self) -> Option<crate::placement::ConsoleNetwork> {
        self.console
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Place the console, seeding its VM (and subnet if missing), and save the state.
    pub fn place_console(
        &self,
        network: Option<crate::placement::ConsoleNetwork>,
    ) -> Result<(), crate::SimError> {
        if let Some(n) = &network {
            let mut st = self.lock();
            let location = self
                .catalog
                .regions
                .first()
                .map(|r| r.name.clone())
                .unwrap_or_else(|| "eastus".into());
            crate::placement::seed(&mut st, n, &location);
            self.store.save(&st)?;
        }
        *self.console.lock().unwrap_or_else(|e| e.into_inner()) = network;
        Ok(())
    }
}

/// One request, read completely.
pub(crate) struct Req {
    pub method: Method,
    /// Percent-decoded path.
    pub path: String,
    /// Percent-decoded, non-empty path segments.
    pub segs: Vec<String>,
    pub raw_query: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub now: OffsetDateTime,
    /// DER of the client certificate the TLS handshake verified, if any.
    pub peer_cert: Option<Vec<u8>>,
}

impl Req {
    /// Query parameter by case-insensitive name.
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON; an empty body is `None`.
    pub fn json(&self) -> Result<Option<Value>, super::arm::errors::ArmError> {
        if self.body.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(None);
        }
        serde_json::from_slice(&self.body)
            .map(Some)
            .map_err(super::arm::errors::ArmError::invalid_content)
    }

    /// `segs[i]` compared case-insensitively.
    pub fn seg_is(&self, i: usize, s: &str) -> bool {
        self.segs.get(i).is_some_and(|x| x.eq_ignore_ascii_case(s))
    }
}

/// A fault asked for the connection to be closed without a response.
#[derive(Debug)]
pub(crate) struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault plan")
    }
}

impl std::error::Error for Dropped {}

#[derive(Clone)]
struct SimService(Arc<Shared>);

impl<B> tower::Service<Request<B>> for SimService
where
    B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response<AxumBody>;
    type Error = Dropped;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Dropped>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Dropped>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let shared = self.0.clone();
        Box::pin(async move { serve_one(shared, req.map(AxumBody::new)).await })
    }
}

#[derive(Clone)]
struct MakeSim(Arc<Shared>);

impl tower::Service<SocketAddr> for MakeSim {
    type Response = SimService;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<SimService, std::convert::Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _addr: SocketAddr) -> Self::Future {
        std::future::ready(Ok(SimService(self.0.clone())))
    }
}

/// JSON for `{"value": [...]}` lists.
pub(crate) fn list(value: Vec<Value>) -> Value {
    json!({ "value": value })
}
