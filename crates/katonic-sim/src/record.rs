//! Records every ARM request/response pair as one JSON file in the traffic format of Azure's
//! `oav validate-traffic` (numbered files; JSON bodies; no Authorization values).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::SimError;
use super::server::Req;

pub(crate) struct Recorder {
    dir: PathBuf,
    next: AtomicU64,
}

/// Headers never written to a recording.
const SECRET_HEADERS: &[&str] = &["authorization", "cookie", "x-identity-header", "set-cookie"];

impl Recorder {
    pub fn new(dir: &Path) -> Result<Self, SimError> {
        std::fs::create_dir_all(dir).map_err(|e| SimError::io(dir, e))?;
        // Continue numbering after files already there (a restarted simulator).
        let existing = std::fs::read_dir(dir)
            .map_err(|e| SimError::io(dir, e))?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.split('-').next().and_then(|p| p.parse::<u64>().ok()))
            })
            .max()
            .unwrap_or(0);
        Ok(Self {
            dir: dir.to_path_buf(),
            next: AtomicU64::new(existing + 1),
        })
    }

    pub fn record(
        &self,
        base: &str,
        req: &Req,
        request_body: Option<&Value>,
        status: StatusCode,
        response_headers: &[(String, String)],
        response_body: Option<&Value>,
    ) {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let mut req_headers = Map::new();
        for (k, v) in &req.headers {
            let name = k.as_str().to_ascii_lowercase();
            if SECRET_HEADERS.contains(&name.as_str()) {
                continue;
            }
            if let Ok(v) = v.to_str() {
                req_headers.insert(name, Value::String(v.to_string()));
            }
        }
        let mut resp_headers = Map::new();
        for (k, v) in response_headers {
            resp_headers.insert(k.to_ascii_lowercase(), Value::String(v.clone()));
        }
        if response_body.is_some() {
            resp_headers.insert(
                "content-type".into(),
                Value::String("application/json; charset=utf-8".into()),
            );
        }
        let url = if req.raw_query.is_empty() {
            format!("{base}{}", req.path)
        } else {
            format!("{base}{}?{}", req.path, req.raw_query)
        };
        let mut live_request = json!({
            "method": req.method.as_str(),
            "url": url,
            "headers": req_headers,
        });
        // The caller's copy: secrets (an application gateway's certificates) already redacted.
        if let Some(body) = request_body {
            live_request["body"] = body.clone();
        }
        let mut live_response = json!({
            "statusCode": status.as_u16().to_string(),
            "headers": resp_headers,
        });
        if let Some(body) = response_body {
            live_response["body"] = body.clone();
        }
        let pair = json!({"liveRequest": live_request, "liveResponse": live_response});
        let last = req
            .segs
            .last()
            .map(|s| {
                s.chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .take(40)
                    .collect::<String>()
            })
            .unwrap_or_default();
        let file = self.dir.join(format!(
            "{n:06}-{}-{last}.json",
            req.method.as_str().to_ascii_lowercase()
        ));
        let bytes = serde_json::to_vec_pretty(&pair).unwrap_or_default();
        if let Err(e) = super::state::write_atomic(&file, &bytes, false) {
            tracing::warn!(error = %e, "cannot write simulator recording");
        }
    }
}
