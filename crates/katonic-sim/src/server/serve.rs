//! One request's life: read, streams apart, fault verdict and route, common headers, request
//! log, recording, response.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{Body as AxumBody, Bytes};
use axum::http::{HeaderValue, Request, Response, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Dropped, Req, Shared};
use crate::arm::errors::{ArmError, Body, ErrorDetail, Reply};
use crate::faults::{Effects, FaultAction};
use crate::log::LoggedRequest;
use crate::urlencoded::{parse_pairs, percent_decode};

/// ARM's request body limit.
const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// The outcome of dispatching one request.
struct Outcome {
    reply: Reply,
    drop: bool,
    fault: Option<String>,
    /// Whether to record this exchange (ARM calls only).
    record: bool,
    /// Body to log instead of the raw one (token requests carry secrets).
    logged_body: Option<Value>,
}

pub(super) async fn serve_one(
    shared: Arc<Shared>,
    req: Request<AxumBody>,
) -> Result<Response<AxumBody>, Dropped> {
    let (req, too_large) = read_request(req).await;
    if let Some(refusal) = network_refusal(&shared, &req) {
        return refusal.await;
    }
    if !too_large && crate::kube::is_kube_path(&req.path) && crate::kube::stream::wants_stream(&req)
    {
        return serve_stream(&shared, &req);
    }
    let outcome = if too_large {
        too_large_outcome()
    } else {
        dispatch(&shared, &req)
    };
    let response_headers = common_headers(&shared, &req, &outcome.reply);
    let body_json = match &outcome.reply.body {
        Body::Json(v) => Some(v.clone()),
        Body::Empty => None,
    };
    log_outcome(&shared, &req, &outcome);
    if outcome.record
        && !outcome.drop
        && let Some(recorder) = &shared.recorder
    {
        recorder.record(
            &shared.base,
            &req,
            safe_body(&req).as_ref(),
            outcome.reply.status,
            &response_headers,
            body_json.as_ref(),
        );
    }
    if outcome.drop {
        return Err(Dropped);
    }
    Ok(http_response(
        outcome.reply.status,
        &response_headers,
        body_json,
    ))
}

/// The request read completely (a body over ARM's limit is dropped and flagged).
async fn read_request(req: Request<AxumBody>) -> (Req, bool) {
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
    (req, too_large)
}

/// What the console's network does not let through, failed as Azure's network fails it: a
/// private API server out of sight hangs, then the connection drops (a connect timeout); the
/// metadata service off Azure gives no answer at all. Logged with status 0.
fn network_refusal(
    shared: &Arc<Shared>,
    req: &Req,
) -> Option<impl std::future::Future<Output = Result<Response<AxumBody>, Dropped>> + use<>> {
    let hang = if crate::kube::is_kube_path(&req.path) {
        crate::placement::unreachable_api_server(shared, req)?
    } else if is_instance_metadata(req)
        && crate::placement::instance_metadata(shared, req).is_none()
    {
        std::time::Duration::ZERO
    } else {
        return None;
    };
    shared.log.push(LoggedRequest {
        method: req.method.to_string(),
        path: req.path.clone(),
        query: req.raw_query.clone(),
        status: 0,
        request_body: None,
        error_code: Some("ConnectionTimedOut".into()),
        fault: None,
        time: req.now,
    });
    Some(async move {
        tokio::time::sleep(hang).await;
        Err(Dropped)
    })
}

/// `GET /metadata/instance` (IMDS's instance endpoint).
fn is_instance_metadata(req: &Req) -> bool {
    req.segs.len() == 2 && req.seg_is(0, "metadata") && req.seg_is(1, "instance")
}

fn too_large_outcome() -> Outcome {
    Outcome {
        reply: ArmError::new(
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
}

fn log_outcome(shared: &Shared, req: &Req, outcome: &Outcome) {
    shared.log.push(LoggedRequest {
        method: req.method.to_string(),
        path: req.path.clone(),
        query: req.raw_query.clone(),
        status: if outcome.drop {
            0
        } else {
            outcome.reply.status.as_u16()
        },
        request_body: outcome.logged_body.clone().or_else(|| safe_body(req)),
        error_code: outcome.reply.error_code.clone(),
        fault: outcome.fault.clone(),
        time: req.now,
    });
}

/// The request body as the log and recordings keep it: an application gateway's certificate
/// data and passwords are replaced (whatever answered the request, a fault included).
fn safe_body(req: &Req) -> Option<Value> {
    let gateway = req
        .path
        .to_ascii_lowercase()
        .contains("/providers/microsoft.network/applicationgateways/");
    if gateway {
        crate::resources::app_gateway::redact_request(&req.body)
    } else {
        serde_json::from_slice(&req.body).ok()
    }
}

fn http_response(
    status: StatusCode,
    headers: &[(String, String)],
    body_json: Option<Value>,
) -> Response<AxumBody> {
    let mut response = Response::builder().status(status);
    for (k, v) in headers {
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
    response.body(body).unwrap_or_else(|_| {
        let mut r = Response::new(AxumBody::empty());
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

/// Watches and pod logs: faults that answer or drop apply; the rest streams.
fn serve_stream(shared: &Arc<Shared>, req: &Req) -> Result<Response<AxumBody>, Dropped> {
    let hit = shared.faults.check(req.method.as_str(), &req.path);
    let fault = hit.as_ref().map(crate::faults::Hit::describe);
    let response = match hit.map(|h| h.action) {
        Some(FaultAction::Drop { .. }) => None,
        Some(FaultAction::Error {
            status,
            code,
            message,
        }) => {
            let reply = crate::kube::fault_reply(status, &code, message);
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
        _ => Some(crate::kube::stream::serve(shared, req)),
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
fn dispatch(shared: &Shared, req: &Req) -> Outcome {
    let mut effects = Effects::default();
    let mut kube_effects = crate::kube::Effects::default();
    let mut fault_name = None;
    if let Some(hit) = shared.faults.check(req.method.as_str(), &req.path) {
        fault_name = Some(hit.describe());
        if let Some(answered) = fault_answer(req, hit.action, &mut effects, &mut kube_effects) {
            return Outcome {
                fault: fault_name,
                ..answered
            };
        }
    }
    let (reply, record, logged_body) = route(shared, req, &effects, &kube_effects);
    Outcome {
        reply,
        drop: effects.drop_after,
        fault: fault_name,
        record,
        logged_body,
    }
}

/// A fault that answers in place of the route; the others become effects on the request.
fn fault_answer(
    req: &Req,
    action: FaultAction,
    effects: &mut Effects,
    kube_effects: &mut crate::kube::Effects,
) -> Option<Outcome> {
    let answered = |reply, drop, record| Outcome {
        reply,
        drop,
        fault: None,
        record,
        logged_body: None,
    };
    match action {
        FaultAction::Error {
            status,
            code,
            message,
        } => {
            return Some(answered(
                error_reply(req, status, &code, message),
                false,
                true,
            ));
        }
        FaultAction::Throttle { retry_after, .. } => {
            return Some(answered(throttle_reply(req, retry_after), false, true));
        }
        FaultAction::Drop { after_processing } => {
            if !after_processing.unwrap_or(false) {
                return Some(answered(Reply::empty(StatusCode::BAD_GATEWAY), true, false));
            }
            effects.drop_after = true;
        }
        FaultAction::FailOperation { code, message } => {
            effects.fail = Some(ErrorDetail::new(&code, message));
        }
        FaultAction::Slow { factor } => effects.slow = factor,
        FaultAction::FailJob { message } => kube_effects.fail_job = Some(message),
        FaultAction::NoLoadBalancer {} => kube_effects.no_load_balancer = true,
    }
    None
}

/// An injected error, shaped as Kubernetes or ARM would answer it.
fn error_reply(req: &Req, status: u16, code: &str, message: String) -> Reply {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if crate::kube::is_kube_path(&req.path) {
        crate::kube::fault_reply(status.as_u16(), code, message)
    } else {
        ArmError::new(status, code, message).into_reply()
    }
}

/// An injected throttle, shaped as Kubernetes or ARM would answer it.
fn throttle_reply(req: &Req, retry_after: u64) -> Reply {
    if crate::kube::is_kube_path(&req.path) {
        crate::kube::fault_reply(
            429,
            "TooManyRequests",
            "Too many requests, please try again later.".into(),
        )
        .header("Retry-After", retry_after.to_string())
    } else {
        crate::arm::throttle::too_many(retry_after).into_reply()
    }
}

/// The route's reply, whether to record it, and the body to log in place of the request's.
fn route(
    shared: &Shared,
    req: &Req,
    effects: &Effects,
    kube_effects: &crate::kube::Effects,
) -> (Reply, bool, Option<Value>) {
    if crate::kube::is_kube_path(&req.path) {
        (
            crate::kube::route(shared, req, kube_effects),
            false,
            // Secret bodies carry keys and certificates: the request log gets a placeholder.
            req.path
                .contains("/secrets")
                .then(|| json!({"redacted": "Secret body"})),
        )
    } else if is_instance_metadata(req)
        && let Some(reply) = crate::placement::instance_metadata(shared, req)
    {
        (reply, false, None)
    } else if let Some(r) = crate::identity::route(shared, req) {
        (r.reply, false, r.logged_body)
    } else if req.segs.len() == 1 && req.seg_is(0, "dns-query") {
        (crate::resources::dns::dns_json(shared, req), false, None)
    } else if req.segs.len() == 1 && req.seg_is(0, "reachable") {
        (crate::resources::dns::reachable(shared, req), false, None)
    } else if req.method == axum::http::Method::POST
        && req
            .segs
            .last()
            .is_some_and(|s| s.eq_ignore_ascii_case("runCommand"))
    {
        // A Run Command's context carries manifests (a TLS key among them) and its
        // clusterToken is a credential: neither is logged nor recorded.
        let logged = serde_json::from_slice::<Value>(&req.body)
            .ok()
            .map(|mut b| {
                for field in ["context", "clusterToken"] {
                    if b.get(field).is_some() {
                        b[field] = json!("[redacted]");
                    }
                }
                b
            });
        (crate::arm::handle(shared, req, effects), false, logged)
    } else {
        (crate::arm::handle(shared, req, effects), true, None)
    }
}
