//! The HTTPS server: binds loopback, turns each request into a [`Req`], applies faults, dispatches
//! to Entra ID or ARM, adds correlation headers, logs and records the exchange.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use axum::body::{Body as AxumBody, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::arm::errors::{Body, Reply};
use super::catalog::Catalog;
use super::faults::{FaultAction, FaultPlan, Faults};
use super::log::{LoggedRequest, RequestLog};
use super::record::Recorder;
use super::state::{State, Store};
use super::tls::Ca;
use super::urlencoded::{parse_pairs, percent_decode};
use super::{SimConfig, SimError, SimHandle};

/// ARM's request body limit.
const BODY_LIMIT: usize = 4 * 1024 * 1024;

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
    /// Load-balancer listeners by address.
    pub ingress: Mutex<BTreeMap<std::net::Ipv4Addr, axum_server::Handle<SocketAddr>>>,
}

impl Shared {
    /// Lock the state; a panicked holder cannot leave it half-changed in a way that matters
    /// more than stopping the simulator would, so poisoning is ignored.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
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

/// The outcome of dispatching one request.
pub(crate) struct Outcome {
    pub reply: Reply,
    pub drop: bool,
    pub fault: Option<String>,
    /// Whether to record this exchange (ARM calls only).
    pub record: bool,
    /// Body to log instead of the raw one (token requests carry secrets).
    pub logged_body: Option<Value>,
}

// One piece: one request's life (read, fault, dispatch, headers, log, record) in order; the steps
// share the request's timing and ids.
async fn serve_one(
    shared: Arc<Shared>,
    req: Request<AxumBody>,
) -> Result<Response<AxumBody>, Dropped> {
    let (parts, body) = req.into_parts();
    let now = OffsetDateTime::now_utc();
    let (body, too_large) = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => (b, false),
        Err(_) => (Bytes::new(), true),
    };
    let raw_path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let path = percent_decode(&raw_path, false);
    let segs = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let peer_cert = parts
        .extensions
        .get::<Arc<axum_server::tls::TlsInfo>>()
        .and_then(|i| i.peer_certificates.first().cloned());
    let req = Req {
        peer_cert,
        method: parts.method,
        path,
        segs,
        query: parse_pairs(&raw_query, true),
        raw_query,
        headers: parts.headers,
        body,
        now,
    };
    if !too_large && super::kube::is_kube_path(&req.path) && super::kube::stream::wants_stream(&req)
    {
        return serve_stream(&shared, &req);
    }
    let outcome = if too_large {
        Outcome {
            reply: super::arm::errors::ArmError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                "The request content size exceeds the maximum allowed size of 4194304 bytes.",
            )
            .into_reply(),
            drop: false,
            fault: None,
            record: false,
            logged_body: None,
        }
    } else {
        dispatch(&shared, &req)
    };
    let response_headers = common_headers(&shared, &req, &outcome.reply);
    let body_json = match &outcome.reply.body {
        Body::Json(v) => Some(v.clone()),
        Body::Empty => None,
    };
    shared.log.push(LoggedRequest {
        method: req.method.to_string(),
        path: req.path.clone(),
        query: req.raw_query.clone(),
        status: if outcome.drop {
            0
        } else {
            outcome.reply.status.as_u16()
        },
        request_body: outcome
            .logged_body
            .clone()
            .or_else(|| serde_json::from_slice(&req.body).ok()),
        error_code: outcome.reply.error_code.clone(),
        fault: outcome.fault.clone(),
        time: now,
    });
    if outcome.record
        && !outcome.drop
        && let Some(recorder) = &shared.recorder
    {
        recorder.record(
            &shared.base,
            &req,
            outcome.reply.status,
            &response_headers,
            body_json.as_ref(),
        );
    }
    if outcome.drop {
        return Err(Dropped);
    }
    let mut response = Response::builder().status(outcome.reply.status);
    for (k, v) in &response_headers {
        if let Ok(v) = HeaderValue::from_str(v) {
            response = response.header(k.as_str(), v);
        }
    }
    let body = match body_json {
        Some(v) => {
            response = response.header("content-type", "application/json; charset=utf-8");
            AxumBody::from(serde_json::to_vec(&v).unwrap_or_default())
        }
        None => AxumBody::empty(),
    };
    Ok(response.body(body).unwrap_or_else(|_| {
        let mut r = Response::new(AxumBody::empty());
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    }))
}

/// Watches and pod logs: faults that answer or drop apply; the rest streams.
fn serve_stream(shared: &Arc<Shared>, req: &Req) -> Result<Response<AxumBody>, Dropped> {
    let hit = shared.faults.check(req.method.as_str(), &req.path);
    let fault = hit.as_ref().map(super::faults::Hit::describe);
    let response = match hit.map(|h| h.action) {
        Some(FaultAction::Drop { .. }) => None,
        Some(FaultAction::Error {
            status,
            code,
            message,
        }) => {
            let reply = super::kube::fault_reply(status, &code, message);
            let body = match reply.body {
                Body::Json(v) => serde_json::to_vec(&v).unwrap_or_default(),
                Body::Empty => Vec::new(),
            };
            let mut r = Response::new(AxumBody::from(body));
            *r.status_mut() = reply.status;
            r.headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            Some(r)
        }
        _ => Some(super::kube::stream::serve(shared, req)),
    };
    shared.log.push(LoggedRequest {
        method: req.method.to_string(),
        path: req.path.clone(),
        query: req.raw_query.clone(),
        status: response.as_ref().map_or(0, |r| r.status().as_u16()),
        request_body: None,
        error_code: None,
        fault,
        time: req.now,
    });
    response.ok_or(Dropped)
}

/// Correlation and rate-limit headers ARM sends on every response, plus the reply's own.
fn common_headers(shared: &Shared, req: &Req, reply: &Reply) -> Vec<(String, String)> {
    let mut h: BTreeMap<String, String> = BTreeMap::new();
    let request_id = Uuid::new_v4().to_string();
    let correlation = req
        .header("x-ms-correlation-request-id")
        .map(str::to_string)
        .unwrap_or_else(|| Uuid::new_v4().to_string());
    h.insert("x-ms-request-id".into(), request_id.clone());
    h.insert("x-ms-correlation-request-id".into(), correlation);
    h.insert(
        "x-ms-routing-request-id".into(),
        format!(
            "LOCALSIM:{}:{}",
            req.now
                .format(&time::format_description::well_known::Iso8601::DEFAULT)
                .unwrap_or_default()
                .replace([':', '-', '.'], ""),
            request_id
        ),
    );
    if let Some(c) = req.header("x-ms-client-request-id") {
        h.insert("x-ms-client-request-id".into(), c.to_string());
    }
    h.insert("cache-control".into(), "no-cache".into());
    h.insert(
        "strict-transport-security".into(),
        "max-age=31536000; includeSubDomains".into(),
    );
    h.insert("x-content-type-options".into(), "nosniff".into());
    if req.seg_is(0, "subscriptions") {
        let mut limits = shared.limits.lock().unwrap_or_else(|e| e.into_inner());
        for (name, value) in limits.remaining(req.now) {
            h.insert(name.into(), value.to_string());
        }
    }
    for (k, v) in &reply.headers {
        h.insert((*k).to_string(), v.clone());
    }
    h.into_iter().collect()
}

/// Faults first, then the route: identity, metadata, or ARM.
// One piece: the fault verdict and the route table; splitting would pass the fault effects through
// every branch.
fn dispatch(shared: &Shared, req: &Req) -> Outcome {
    let hit = shared.faults.check(req.method.as_str(), &req.path);
    let mut effects = super::faults::Effects::default();
    let mut kube_effects = super::kube::Effects::default();
    let mut fault_name = None;
    if let Some(hit) = hit {
        fault_name = Some(hit.describe());
        match hit.action {
            FaultAction::Error {
                status,
                code,
                message,
            } => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let reply = if super::kube::is_kube_path(&req.path) {
                    super::kube::fault_reply(status.as_u16(), &code, message)
                } else {
                    super::arm::errors::ArmError::new(status, &code, message).into_reply()
                };
                return Outcome {
                    reply,
                    drop: false,
                    fault: fault_name,
                    record: true,
                    logged_body: None,
                };
            }
            FaultAction::Throttle { retry_after, .. } => {
                let reply = if super::kube::is_kube_path(&req.path) {
                    super::kube::fault_reply(
                        429,
                        "TooManyRequests",
                        "Too many requests, please try again later.".into(),
                    )
                    .header("Retry-After", retry_after.to_string())
                } else {
                    super::arm::throttle::too_many(retry_after).into_reply()
                };
                return Outcome {
                    reply,
                    drop: false,
                    fault: fault_name,
                    record: true,
                    logged_body: None,
                };
            }
            FaultAction::Drop { after_processing } => {
                if !after_processing.unwrap_or(false) {
                    return Outcome {
                        reply: Reply::empty(StatusCode::BAD_GATEWAY),
                        drop: true,
                        fault: fault_name,
                        record: false,
                        logged_body: None,
                    };
                }
                effects.drop_after = true;
            }
            FaultAction::FailOperation { code, message } => {
                effects.fail = Some(super::arm::errors::ErrorDetail::new(&code, message));
            }
            FaultAction::Slow { factor } => effects.slow = factor,
            FaultAction::FailJob { message } => kube_effects.fail_job = Some(message),
            FaultAction::NoLoadBalancer {} => kube_effects.no_load_balancer = true,
        }
    }
    let (reply, record, logged_body) = if super::kube::is_kube_path(&req.path) {
        (
            super::kube::route(shared, req, &kube_effects),
            false,
            // Secret bodies carry keys and certificates: the request log gets a placeholder.
            req.path
                .contains("/secrets")
                .then(|| json!({"redacted": "Secret body"})),
        )
    } else if let Some(r) = super::identity::route(shared, req) {
        (r.reply, false, r.logged_body)
    } else if req.segs.len() == 1 && req.seg_is(0, "dns-query") {
        (super::resources::dns::dns_json(shared, req), false, None)
    } else {
        (super::arm::handle(shared, req, &effects), true, None)
    };
    Outcome {
        reply,
        drop: effects.drop_after,
        fault: fault_name,
        record,
        logged_body,
    }
}

/// Bind, build the shared state and serve in a spawned task.
// One piece: start-up wiring in order (certificates, catalogue, state, listeners, tasks); each line
// is one part of the handle it returns.
pub(crate) async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
    if !config.listen.ip().is_loopback() {
        return Err(SimError::NotLoopback(config.listen));
    }
    let dir = config.state_dir.clone();
    std::fs::create_dir_all(&dir).map_err(|e| SimError::io(&dir, e))?;
    let ca = Ca::load_or_create(&dir)?;
    let leaf = ca.server_leaf()?;
    let tls = super::tls::server_config(&leaf, &ca.pem)?;
    let catalog = Catalog::load_or_create(&dir)?;
    let (store, state) = Store::open(&dir, &catalog, config.client_secret.as_deref())?;
    let faults = match &config.faults {
        Some(path) => FaultPlan::load(path)?,
        None => FaultPlan::default(),
    };
    let recorder = match &config.record_dir {
        Some(d) => Some(Recorder::new(d)?),
        None => None,
    };
    let listener = std::net::TcpListener::bind(config.listen).map_err(|e| SimError::Bind {
        addr: config.listen,
        source: e,
    })?;
    listener.set_nonblocking(true).map_err(|e| SimError::Bind {
        addr: config.listen,
        source: e,
    })?;
    let addr = listener.local_addr().map_err(|e| SimError::Bind {
        addr: config.listen,
        source: e,
    })?;
    let base = format!("https://{addr}");
    let kube_file = dir.join("kube.json");
    let saved = super::kube::persist::load(&kube_file)?;
    // The same ingress port as before a restart when it is still free.
    let previous_port = saved.as_ref().map_or(0, |s| s.ingress_port);
    let reserve_addr = SocketAddr::from(([127, 77, 255, 254], 0));
    let ingress_reserve =
        std::net::TcpListener::bind(SocketAddr::from(([127, 77, 255, 254], previous_port)))
            .or_else(|_| std::net::TcpListener::bind(reserve_addr))
            .map_err(|e| SimError::Bind {
                addr: reserve_addr,
                source: e,
            })?;
    let ingress_port = ingress_reserve
        .local_addr()
        .map_err(|e| SimError::Bind {
            addr: reserve_addr,
            source: e,
        })?
        .port();
    let account = state.account.clone();
    let shared = Arc::new(Shared {
        base: base.clone(),
        time_scale: config.time_scale.max(0.0),
        catalog,
        ca,
        state: Mutex::new(state),
        store,
        log: RequestLog::default(),
        faults: Faults::new(faults),
        recorder,
        limits: Mutex::new(super::arm::throttle::Buckets::new(OffsetDateTime::now_utc())),
        kube: Mutex::new(
            saved
                .map(super::kube::store::KubeState::restore)
                .unwrap_or_default(),
        ),
        kube_file,
        ingress_port,
        _ingress_reserve: ingress_reserve,
        ingress: Mutex::new(BTreeMap::new()),
    });
    let handle = axum_server::Handle::new();
    let rustls = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(tls));
    let server = axum_server::from_tcp_rustls(listener, rustls)
        .map_err(|e| SimError::Bind {
            addr: config.listen,
            source: e,
        })?
        .handle(handle.clone());
    super::kube::controllers::spawn(&shared);
    super::kube::restore_listeners(&shared);
    let make = MakeSim(shared.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = server.serve(make).await {
            tracing::error!(error = %e, "simulator server stopped");
        }
    });
    let ca_pem = shared.ca.pem.clone();
    let ca_file = shared.ca.file.clone();
    tracing::info!(endpoint = %base, "Azure simulator listening");
    Ok(SimHandle {
        arm_endpoint: base.clone(),
        authority_host: base.clone(),
        tenant_id: account.tenant_id,
        subscription_id: account.subscription_id,
        client_id: account.client_id,
        client_secret: account.client_secret,
        ca_pem,
        ca_file,
        managed_identity_endpoint: format!("{base}/msi/token"),
        managed_identity_header: account.mi_header,
        addr,
        shared,
        server: handle,
        task,
    })
}

/// JSON for `{"value": [...]}` lists.
pub(crate) fn list(value: Vec<Value>) -> Value {
    json!({ "value": value })
}
