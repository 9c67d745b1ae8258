//! Streamed answers: `?watch=1` (JSON lines of watch events) and pod logs (`follow=true`
//! streams until the pod ends). They bypass the JSON reply path of the rest of the simulator.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{Method, Response, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::routes;
use super::selectors::{FieldSelector, LabelSelector};
use super::status::{KubeError, KubeResult};
use super::store::res_key;
use crate::server::{Req, Shared};

/// Whether this request is answered by a stream.
pub(crate) fn wants_stream(req: &Req) -> bool {
    req.method == Method::GET
        && (matches!(req.q("watch"), Some("1" | "true"))
            || (req.segs.len() >= 8 && req.segs.last().is_some_and(|s| s == "log")))
}

fn text(status: StatusCode, content_type: &str, body: impl Into<Body>) -> Response<Body> {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    if let Ok(v) = content_type.parse() {
        r.headers_mut().insert("content-type", v);
    }
    r
}

fn error(e: KubeError) -> Response<Body> {
    let reply = e.into_reply();
    let body = match reply.body {
        crate::arm::errors::Body::Json(v) => serde_json::to_vec(&v).unwrap_or_default(),
        crate::arm::errors::Body::Empty => Vec::new(),
    };
    text(reply.status, "application/json", body)
}

/// Answer a watch or log request.
pub(crate) fn serve(shared: &Arc<Shared>, req: &Req) -> Response<Body> {
    match try_serve(shared, req) {
        Ok(r) => r,
        Err(e) => error(e),
    }
}

// One piece: a watch or log stream set up and served in one place, since the lock, the cursor and
// the response body are tied together.
fn try_serve(shared: &Arc<Shared>, req: &Req) -> KubeResult<Response<Body>> {
    let (ctx, t) = routes::begin(shared, req)?;
    let mut ks = super::lock(shared);
    routes::prepare(&mut ks, &ctx);
    if t.sub == Some("log") {
        let name = t.name.unwrap_or("");
        let ns = t.ns.unwrap_or("").to_string();
        ks.get(&ctx.cluster, &t.key(name))
            .ok_or_else(|| KubeError::not_found("", "pods", name))?;
        let store = ks.clusters.get(&ctx.cluster);
        let lines: Vec<String> = store
            .and_then(|c| c.logs.get(&(ns.clone(), name.to_string())))
            .cloned()
            .unwrap_or_default();
        let opts = LogOptions::from(req)?;
        let tail = req.q("tailLines").and_then(|n| n.parse::<usize>().ok());
        let skip = tail.map_or(0, |n| lines.len().saturating_sub(n));
        let follow = matches!(req.q("follow"), Some("true" | "1"));
        if !follow {
            let out: String = lines[skip..]
                .iter()
                .filter_map(|l| opts.render(l))
                .collect();
            return Ok(text(StatusCode::OK, "text/plain", out));
        }
        drop(ks);
        return Ok(follow_log(
            shared.clone(),
            ctx.cluster.clone(),
            (ns, name.to_string()),
            skip,
            opts,
        ));
    }
    let res = res_key(t.def.group, t.def.plural);
    let labels = match req.q("labelSelector") {
        Some(s) => LabelSelector::parse(s)?,
        None => LabelSelector::default(),
    };
    let mut fields = match req.q("fieldSelector") {
        Some(s) => FieldSelector::parse(t.def.plural, s)?,
        None => FieldSelector::default(),
    };
    if let Some(name) = t.name {
        fields = FieldSelector::parse(t.def.plural, &format!("metadata.name={name}"))?;
    }
    let ns = t.ns.map(str::to_string);
    let matches = move |o: &Value| {
        labels.matches(o)
            && fields.matches(o)
            && ns
                .as_deref()
                .is_none_or(|n| o["metadata"]["namespace"].as_str() == Some(n))
    };
    let rx = ks.events.subscribe();
    let since = req
        .q("resourceVersion")
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|v| *v > 0);
    let mut initial = Vec::new();
    let mut last = ks.current_rv();
    match since {
        Some(rv) => {
            let history = ks
                .clusters
                .get(&ctx.cluster)
                .map(|c| c.history.as_slice())
                .unwrap_or(&[]);
            // Changes since `rv` that are no longer (or, after a restart, not) in the history.
            if rv < last && history.first().is_none_or(|e| e.rv > rv + 1) {
                let oldest = history.first().map_or(last, |e| e.rv - 1);
                return Err(KubeError::new(
                    410,
                    "Expired",
                    format!("too old resource version: {rv} ({oldest})"),
                ));
            }
            for e in history.iter().filter(|e| e.rv > rv && e.res == res) {
                if matches(&e.object) {
                    initial.push(json!({"type": e.kind, "object": e.object}));
                }
            }
        }
        None => {
            for o in ks.list(&ctx.cluster, &res, None) {
                if matches(&o) {
                    initial.push(json!({"type": "ADDED", "object": o}));
                }
            }
        }
    }
    if since.is_some_and(|rv| rv > last) {
        last = since.unwrap_or(last);
    }
    drop(ks);
    let timeout = req
        .q("timeoutSeconds")
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(1800);
    let (tx, out) = mpsc::channel::<Result<Bytes, std::convert::Infallible>>(64);
    let cluster = ctx.cluster;
    tokio::spawn(async move {
        let mut rx = rx;
        for e in initial {
            if tx.send(Ok(line(&e))).await.is_err() {
                return;
            }
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
        loop {
            let next = tokio::time::timeout_at(deadline, rx.recv()).await;
            let event = match next {
                Err(_) => return,
                Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => continue,
                Ok(Err(_)) => return,
                Ok(Ok(e)) => e,
            };
            if event.cluster != cluster || event.res != res || event.rv <= last {
                continue;
            }
            if !matches(&event.object) {
                continue;
            }
            let v = json!({"type": event.kind, "object": event.object});
            if tx.send(Ok(line(&v))).await.is_err() {
                return;
            }
        }
    });
    Ok(text(
        StatusCode::OK,
        "application/json",
        Body::from_stream(ReceiverStream::new(out)),
    ))
}

fn line(v: &Value) -> Bytes {
    let mut b = serde_json::to_vec(v).unwrap_or_default();
    b.push(b'\n');
    Bytes::from(b)
}

/// `timestamps` and `sinceTime` of a log request. Lines are stored as `<RFC 3339> <text>`.
struct LogOptions {
    timestamps: bool,
    since: Option<OffsetDateTime>,
}

impl LogOptions {
    fn from(req: &Req) -> KubeResult<Self> {
        let since = match req.q("sinceTime") {
            Some(t) => Some(
                OffsetDateTime::parse(t, &Rfc3339)
                    .map_err(|e| KubeError::bad_request(format!("invalid sinceTime {t:?}: {e}")))?,
            ),
            None => None,
        };
        Ok(Self {
            timestamps: matches!(req.q("timestamps"), Some("true" | "1")),
            since,
        })
    }

    /// The line as served (with its newline), or `None` when before `sinceTime`.
    fn render(&self, line: &str) -> Option<String> {
        let (ts, text) = line.split_once(' ').unwrap_or(("", line));
        if let Some(since) = self.since
            && OffsetDateTime::parse(ts, &Rfc3339).is_ok_and(|t| t < since)
        {
            return None;
        }
        Some(if self.timestamps {
            format!("{line}\n")
        } else {
            format!("{text}\n")
        })
    }
}

/// Stream a pod's log from line `from`, until the pod has ended and every line is sent.
fn follow_log(
    shared: Arc<Shared>,
    cluster: String,
    (ns, name): (String, String),
    from: usize,
    opts: LogOptions,
) -> Response<Body> {
    let (tx, out) = mpsc::channel::<Result<Bytes, std::convert::Infallible>>(64);
    tokio::spawn(async move {
        let mut sent = from;
        loop {
            let (lines, done) = {
                let ks = super::lock(&shared);
                let Some(c) = ks.clusters.get(&cluster) else {
                    return;
                };
                let key = ("pods".to_string(), ns.clone(), name.clone());
                let done = c.objects.get(&key).is_none_or(|p| {
                    matches!(p["status"]["phase"].as_str(), Some("Succeeded" | "Failed"))
                });
                let lines = c
                    .logs
                    .get(&(ns.clone(), name.clone()))
                    .map(|l| l.get(sent..).unwrap_or(&[]).to_vec())
                    .unwrap_or_default();
                (lines, done)
            };
            for l in lines {
                sent += 1;
                let Some(out) = opts.render(&l) else { continue };
                if tx.send(Ok(Bytes::from(out))).await.is_err() {
                    return;
                }
            }
            if done {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    text(
        StatusCode::OK,
        "text/plain",
        Body::from_stream(ReceiverStream::new(out)),
    )
}
