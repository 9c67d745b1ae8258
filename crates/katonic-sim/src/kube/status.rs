//! Kubernetes `Status` errors, as kube-apiserver answers them.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::arm::errors::Reply;

/// An API error: HTTP code, `reason` and message, plus optional `details`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code} {reason}: {message}")]
pub(crate) struct KubeError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Value,
}

pub(crate) type KubeResult<T> = Result<T, KubeError>;

impl KubeError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            details: Value::Null,
        }
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    /// `configmaps "x" not found`
    pub fn not_found(group: &str, plural: &str, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{plural}{} \"{name}\" not found", dot(group)),
        )
        .details(json!({"name": name, "group": group, "kind": plural}))
    }

    /// A path the server does not serve.
    pub fn no_route() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .details(json!({}))
    }

    pub fn already_exists(group: &str, plural: &str, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{plural}{} \"{name}\" already exists", dot(group)),
        )
        .details(json!({"name": name, "group": group, "kind": plural}))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 422 with one cause per invalid field, message `Kind.group "name" is invalid: field: why`.
    pub fn invalid(kind: &str, group: &str, name: &str, causes: &[(String, String)]) -> Self {
        let list: Vec<String> = causes.iter().map(|(f, m)| format!("{f}: {m}")).collect();
        let joined = if list.len() == 1 {
            list[0].clone()
        } else {
            format!("[{}]", list.join(", "))
        };
        Self::new(
            422,
            "Invalid",
            format!("{kind}{} \"{name}\" is invalid: {joined}", dot(group)),
        )
        .details(json!({
            "name": name, "group": group, "kind": kind,
            "causes": causes.iter().map(|(f, m)| json!({"reason": "FieldValueInvalid", "message": m, "field": f})).collect::<Vec<_>>(),
        }))
    }

    pub fn unsupported_media(content_type: &str) -> Self {
        // A real API server decodes protobuf; this simulator does not, and says so rather than
        // list it as accepted (`kubectl create secret` sends protobuf).
        if content_type.contains("protobuf") {
            return Self::new(
                415,
                "UnsupportedMediaType",
                format!(
                    "the Kubernetes simulator does not decode protobuf bodies (got {content_type:?}); send application/json or application/yaml (with kubectl: `kubectl create ... --dry-run=client -o yaml | kubectl apply -f -`)"
                ),
            );
        }
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got {content_type:?})"
            ),
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    }

    pub fn into_reply(self) -> Reply {
        let mut body = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if !self.details.is_null() {
            body["details"] = self.details;
        }
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut reply = Reply::json(status, body);
        reply.error_code = Some(self.reason.to_string());
        reply
    }
}

/// `.group` for messages, empty for the core group.
fn dot(group: &str) -> String {
    if group.is_empty() {
        String::new()
    } else {
        format!(".{group}")
    }
}
