//! Reads Microsoft's test recordings (vcrpy YAML cassettes, as the Python SDKs and the Azure CLI
//! write them) into plain requests and responses.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// The recorded host; requests to any other (Entra ID token calls, Microsoft Graph) are not ARM
/// and are skipped.
pub const ARM_HOST: &str = "management.azure.com";

#[derive(Deserialize)]
struct Raw {
    interactions: Vec<RawInteraction>,
}

#[derive(Deserialize)]
struct RawInteraction {
    request: RawRequest,
    response: RawResponse,
}

#[derive(Deserialize)]
struct RawRequest {
    method: String,
    uri: String,
    #[serde(default)]
    body: Option<String>,
}

#[derive(Deserialize)]
struct RawResponse {
    status: RawStatus,
    #[serde(default)]
    headers: serde_json::Map<String, Value>,
    #[serde(default)]
    body: Option<RawBody>,
}

#[derive(Deserialize)]
struct RawStatus {
    code: u16,
}

#[derive(Deserialize)]
struct RawBody {
    #[serde(default)]
    string: Option<String>,
}

/// One recorded exchange with real ARM.
#[derive(Debug, Clone)]
pub struct Interaction {
    pub method: String,
    pub host: String,
    /// Path as recorded (percent-encoded).
    pub path: String,
    /// Query string without `?` (may be empty).
    pub query: String,
    /// The request body as sent (JSON text), if any.
    pub body: Option<String>,
    pub status: u16,
    /// Lower-cased header name → first value.
    pub headers: Vec<(String, String)>,
    pub response: Value,
}

impl Interaction {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A cassette file and its interactions.
pub struct Cassette {
    pub file: String,
    pub interactions: Vec<Interaction>,
}

/// Every `*.yaml` under `recordings/` (any depth: `<package>/` or `azure-cli/<module>/`),
/// sorted by path.
pub fn all(root: &Path) -> Vec<Cassette> {
    let mut files = Vec::new();
    collect(root, &mut files);
    files.sort();
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("read recording");
            let raw: Raw = serde_yaml_ng::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not a cassette: {e}", p.display()));
            let file = p
                .strip_prefix(root)
                .unwrap_or(p)
                .to_string_lossy()
                .into_owned();
            Cassette {
                file,
                interactions: raw.interactions.into_iter().map(convert).collect(),
            }
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("recordings folder").flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
}

fn convert(i: RawInteraction) -> Interaction {
    let rest = i
        .request
        .uri
        .split_once("://")
        .map_or(i.request.uri.as_str(), |(_, r)| r);
    let (host, path_query) = rest.split_once('/').unwrap_or((rest, ""));
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    let headers = i
        .response
        .headers
        .iter()
        .map(|(k, v)| {
            let first = match v {
                Value::Array(a) => a.first().and_then(Value::as_str).unwrap_or(""),
                Value::String(s) => s,
                _ => "",
            };
            (k.to_ascii_lowercase(), first.to_string())
        })
        .collect();
    let text = i.response.body.and_then(|b| b.string).unwrap_or_default();
    Interaction {
        method: i.request.method.to_ascii_uppercase(),
        host: host.to_ascii_lowercase(),
        path: format!("/{path}"),
        query: query.to_string(),
        body: i.request.body.as_deref().and_then(request_json),
        status: i.response.status.code,
        headers,
        response: parse_json(&text),
    }
}

/// The JSON text of a recorded request body. Older SDK recordings (msrest on Python 2/3)
/// stored it inside nested `b'…'` reprs; the JSON itself is the span between the outer braces.
fn request_json(body: &str) -> Option<String> {
    if body.trim().is_empty() {
        return None;
    }
    if serde_json::from_str::<Value>(body).is_ok() {
        return Some(body.to_string());
    }
    let start = body.find(['{', '['])?;
    let end = body.rfind(['}', ']'])?;
    let inner = body.get(start..=end)?;
    serde_json::from_str::<Value>(inner)
        .is_ok()
        .then(|| inner.to_string())
}

fn parse_json(text: &str) -> Value {
    if text.trim().is_empty() {
        return Value::Null;
    }
    serde_json::from_str(text).unwrap_or(Value::String(text.to_string()))
}
