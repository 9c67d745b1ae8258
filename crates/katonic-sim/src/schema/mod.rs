//! Microsoft's OpenAPI schemas for the operations served (`azure.json`, generated from
//! `shared/azure-specs` by `generate.py`) and a small validator: requests are checked and pruned
//! the way the resource providers read them; tests check responses the way `oav` does.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use regex::Regex;
use serde_json::{Map, Value};

use crate::arm::errors::{ArmError, ErrorDetail};

const SCHEMA: &str = include_str!("azure.json");

fn schema() -> &'static Value {
    static S: OnceLock<Value> = OnceLock::new();
    // The file is generated and checked by a test; a parse failure leaves an empty schema, which
    // validates nothing rather than failing requests.
    S.get_or_init(|| serde_json::from_str(SCHEMA).unwrap_or(Value::Null))
}

fn regex(pattern: &str) -> Option<Regex> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(pattern.to_string())
        .or_insert_with(|| Regex::new(pattern).ok())
        .clone()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Request,
    Response,
}

/// One violation, named like `oav`'s error codes.
#[derive(Debug, Clone)]
pub(crate) struct Issue {
    pub path: String,
    pub kind: &'static str,
    pub message: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at '{}': {}", self.kind, self.path, self.message)
    }
}

fn op(op_id: &str) -> Option<&'static Value> {
    schema().get("ops")?.get(op_id)
}

/// Follow `ref`s; returns the definition and whether the reference marked it read-only.
fn resolve(node: &Value) -> (&Value, bool) {
    let mut read_only = node
        .get("readOnly")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut n = node;
    for _ in 0..16 {
        let Some(r) = n.get("ref").and_then(Value::as_str) else {
            break;
        };
        match schema().get("defs").and_then(|d| d.get(r)) {
            Some(d) if !d.is_null() => {
                n = d;
                read_only |= n.get("readOnly").and_then(Value::as_bool).unwrap_or(false);
            }
            _ => break,
        }
    }
    (n, read_only)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

// One piece: a recursive walk over one schema node; each keyword (type, enum, pattern, range,
// properties, items) is a branch of the same match on the node.
fn walk(node: &Value, v: &Value, path: &str, mode: Mode, out: &mut Vec<Issue>) {
    let (s, _) = resolve(node);
    let nullable = s
        .get("x-nullable")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if v.is_null() {
        if mode == Mode::Response && !nullable {
            out.push(Issue {
                path: path.into(),
                kind: "INVALID_TYPE",
                message: "null is not allowed".into(),
            });
        }
        return;
    }
    let expected = s
        .get("type")
        .and_then(Value::as_str)
        .or_else(|| s.get("properties").map(|_| "object"));
    if let Some(t) = expected {
        let actual = type_of(v);
        let ok = actual == t || (t == "number" && actual == "integer");
        if !ok {
            out.push(Issue {
                path: path.into(),
                kind: "INVALID_TYPE",
                message: format!("expected type {t} but found type {actual}"),
            });
            return;
        }
    }
    if let (Some(values), Some(x)) = (s.get("enum").and_then(Value::as_array), v.as_str()) {
        let ok = values.iter().filter_map(Value::as_str).any(|e| match mode {
            Mode::Request => e.eq_ignore_ascii_case(x),
            Mode::Response => e == x,
        });
        if !ok {
            let allowed: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
            out.push(Issue {
                path: path.into(),
                kind: "ENUM_MISMATCH",
                message: format!("'{x}' is not one of {}", allowed.join(", ")),
            });
        }
    }
    if let (Some(p), Some(x)) = (s.get("pattern").and_then(Value::as_str), v.as_str())
        && regex(p).is_some_and(|r| !r.is_match(x))
    {
        out.push(Issue {
            path: path.into(),
            kind: "PATTERN",
            message: format!("'{x}' does not match pattern {p}"),
        });
    }
    if let Some(x) = v.as_str() {
        let len = x.chars().count() as u64;
        if s.get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| len < m)
        {
            out.push(Issue {
                path: path.into(),
                kind: "MIN_LENGTH",
                message: format!("'{x}' is too short"),
            });
        }
        if s.get("maxLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| len > m)
        {
            out.push(Issue {
                path: path.into(),
                kind: "MAX_LENGTH",
                message: format!("'{x}' is too long"),
            });
        }
    }
    if let Some(x) = v.as_f64() {
        if s.get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|m| x < m)
        {
            out.push(Issue {
                path: path.into(),
                kind: "MINIMUM",
                message: format!("{x} is less than the minimum"),
            });
        }
        if s.get("maximum")
            .and_then(Value::as_f64)
            .is_some_and(|m| x > m)
        {
            out.push(Issue {
                path: path.into(),
                kind: "MAXIMUM",
                message: format!("{x} is more than the maximum"),
            });
        }
        if s.get("format").and_then(Value::as_str) == Some("int32")
            && (x > i32::MAX as f64 || x < i32::MIN as f64)
        {
            out.push(Issue {
                path: path.into(),
                kind: "INVALID_FORMAT",
                message: format!("{x} is not an int32"),
            });
        }
    }
    if let Some(items) = v.as_array() {
        if s.get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| (items.len() as u64) < m)
        {
            out.push(Issue {
                path: path.into(),
                kind: "ARRAY_LENGTH_SHORT",
                message: "too few items".into(),
            });
        }
        if let Some(item_schema) = s.get("items") {
            for (i, item) in items.iter().enumerate() {
                walk(item_schema, item, &format!("{path}[{i}]"), mode, out);
            }
        }
    }
    if let Some(obj) = v.as_object() {
        let props = s.get("properties").and_then(Value::as_object);
        if let Some(required) = s.get("required").and_then(Value::as_array) {
            for r in required.iter().filter_map(Value::as_str) {
                let ro = props
                    .and_then(|p| p.get(r))
                    .map(|p| resolve(p).1)
                    .unwrap_or(false);
                if mode == Mode::Request && ro {
                    continue;
                }
                if obj.get(r).is_none_or(Value::is_null) {
                    out.push(Issue {
                        path: join(path, r),
                        kind: "OBJECT_MISSING_REQUIRED_PROPERTY",
                        message: format!("missing required property '{r}'"),
                    });
                }
            }
        }
        let additional = s.get("additionalProperties");
        for (k, x) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(p) => {
                    if mode == Mode::Request && resolve(p).1 {
                        // Read-only input is ignored, but it must still deserialize.
                        let mut inner = Vec::new();
                        walk(p, x, &join(path, k), mode, &mut inner);
                        out.extend(inner.into_iter().filter(|i| i.kind == "INVALID_TYPE"));
                        continue;
                    }
                    walk(p, x, &join(path, k), mode, out);
                }
                None => match additional {
                    Some(Value::Bool(true)) => {}
                    Some(a @ Value::Object(_)) => walk(a, x, &join(path, k), mode, out),
                    _ => {
                        if mode == Mode::Response && props.is_some() {
                            out.push(Issue {
                                path: join(path, k),
                                kind: "OBJECT_ADDITIONAL_PROPERTIES",
                                message: format!("additional property '{k}' is not allowed"),
                            });
                        }
                    }
                },
            }
        }
    }
}

/// Drop unknown and read-only properties, as a resource provider deserializing the body does.
fn prune(node: &Value, v: &Value) -> Value {
    let (s, _) = resolve(node);
    match v {
        Value::Object(obj) => {
            let props = s.get("properties").and_then(Value::as_object);
            let additional = s.get("additionalProperties");
            if props.is_none() && additional.is_none() {
                return v.clone();
            }
            let mut out = Map::new();
            for (k, x) in obj {
                match props.and_then(|p| p.get(k)) {
                    Some(p) if !resolve(p).1 => {
                        out.insert(k.clone(), prune(p, x));
                    }
                    Some(_) => {}
                    None => match additional {
                        Some(Value::Bool(true)) => {
                            out.insert(k.clone(), x.clone());
                        }
                        Some(a @ Value::Object(_)) => {
                            out.insert(k.clone(), prune(a, x));
                        }
                        _ => {}
                    },
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => match s.get("items") {
            Some(i) => Value::Array(items.iter().map(|x| prune(i, x)).collect()),
            None => v.clone(),
        },
        // Enum values take the spec's casing, as the providers normalise them.
        Value::String(x) => s
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| {
                e.iter()
                    .filter_map(Value::as_str)
                    .find(|c| c.eq_ignore_ascii_case(x))
            })
            .map(|c| Value::String(c.to_string()))
            .unwrap_or_else(|| v.clone()),
        _ => v.clone(),
    }
}

/// Unknown properties of a request body (Network's RP rejects those).
pub(crate) fn unknown_properties(op_id: &str, body: &Value) -> Vec<String> {
    fn collect(node: &Value, v: &Value, path: &str, out: &mut Vec<String>) {
        let (s, _) = resolve(node);
        match v {
            Value::Object(obj) => {
                let props = s.get("properties").and_then(Value::as_object);
                let additional = s.get("additionalProperties");
                if props.is_none() && additional.is_none() {
                    return;
                }
                for (k, x) in obj {
                    match props.and_then(|p| p.get(k)) {
                        Some(p) => collect(p, x, &join(path, k), out),
                        None => match additional {
                            Some(Value::Bool(true)) => {}
                            Some(a @ Value::Object(_)) => collect(a, x, &join(path, k), out),
                            _ => out.push(join(path, k)),
                        },
                    }
                }
            }
            Value::Array(items) => {
                if let Some(i) = s.get("items") {
                    for (n, x) in items.iter().enumerate() {
                        collect(i, x, &format!("{path}[{n}]"), out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some(req) = op(op_id).and_then(|o| o.get("request")) {
        collect(req, body, "", &mut out);
    }
    out
}

/// Validate a response body against the operation's schema for `status` (`default` for errors).
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn validate_response(op_id: &str, status: u16, body: &Value) -> Vec<Issue> {
    let Some(o) = op(op_id) else {
        return vec![Issue {
            path: String::new(),
            kind: "UNKNOWN_OPERATION",
            message: op_id.into(),
        }];
    };
    let responses = &o["responses"];
    let node = responses.get(status.to_string()).or_else(|| {
        if status >= 400 {
            responses.get("default")
        } else {
            None
        }
    });
    let Some(node) = node else {
        return vec![Issue {
            path: String::new(),
            kind: "INVALID_RESPONSE_CODE",
            message: format!("{status} is not a documented response of {op_id}"),
        }];
    };
    let mut out = Vec::new();
    if !node.is_null() {
        walk(node, body, "", Mode::Response, &mut out);
    }
    out
}

/// A checked request body: pruned to what the provider reads, with the deferred issues
/// (enum, pattern, range, required) that the handler raises after its own, more specific checks.
pub(crate) struct Checked {
    pub body: Value,
    pub issues: Vec<Issue>,
}

impl Checked {
    /// Raise the first deferred issue as the provider's validation error.
    pub fn raise(&self, code: &str) -> Result<(), ArmError> {
        match self.issues.first() {
            None => Ok(()),
            Some(i) => Err(ArmError::bad_request(
                code,
                format!(
                    "The value of parameter {} is invalid: {}.",
                    i.path, i.message
                ),
            )
            .target(i.path.clone())),
        }
    }
}

/// Check a request body: type errors fail at once with `InvalidRequestContent`, as ARM's
/// deserializer does; the rest is deferred.
pub(crate) fn check_request(op_id: &str, body: &Value) -> Result<Checked, ArmError> {
    let Some(req) = op(op_id).and_then(|o| o.get("request")) else {
        return Ok(Checked {
            body: body.clone(),
            issues: Vec::new(),
        });
    };
    let mut issues = Vec::new();
    walk(req, body, "", Mode::Request, &mut issues);
    if let Some(t) = issues
        .iter()
        .find(|i| i.kind == "INVALID_TYPE" || i.kind == "INVALID_FORMAT")
    {
        return Err(ArmError::invalid_content(format!(
            "Error converting value at path '{}': {}",
            t.path, t.message
        )));
    }
    Ok(Checked {
        body: prune(req, body),
        issues,
    })
}

/// Network's answer to members its model does not have.
pub(crate) fn network_unknown_members(op_id: &str, body: &Value) -> Result<(), ArmError> {
    let unknown = unknown_properties(op_id, body);
    match unknown.first() {
        None => Ok(()),
        Some(path) => {
            let member = path.rsplit('.').next().unwrap_or(path);
            Err(
                ArmError::bad_request("InvalidRequestFormat", "Cannot parse the request.")
                    .with_detail(ErrorDetail::new(
                        "InvalidJson",
                        format!("Could not find member '{member}' on object. Path '{path}'."),
                    )),
            )
        }
    }
}
