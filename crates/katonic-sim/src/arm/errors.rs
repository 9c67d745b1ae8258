//! ARM's error envelope (`{"error":{"code","message","target","details"}}`) and the reply type handlers return.

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// One ARM error detail; also what a failed operation carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorDetail>,
}

impl ErrorDetail {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            target: None,
            details: Vec::new(),
        }
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self)
            .unwrap_or_else(|_| json!({"code": self.code, "message": self.message}))
    }
}

/// A synchronous ARM error: HTTP status plus the envelope.
#[derive(Debug, Clone)]
pub(crate) struct ArmError {
    pub status: StatusCode,
    /// Boxed to keep `Result<_, ArmError>` small.
    pub detail: Box<ErrorDetail>,
    /// Extra response headers (e.g. `WWW-Authenticate`, `Retry-After`).
    pub headers: Vec<(&'static str, String)>,
}

impl ArmError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            detail: Box::new(ErrorDetail::new(code, message)),
            headers: Vec::new(),
        }
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.detail.target = Some(target.into());
        self
    }

    pub fn with_detail(mut self, detail: ErrorDetail) -> Self {
        self.detail.details.push(detail);
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// ARM's answer to a body that is not JSON or does not deserialize.
    pub fn invalid_content(reason: impl std::fmt::Display) -> Self {
        Self::bad_request(
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{reason}'."),
        )
    }

    pub fn into_reply(self) -> Reply {
        let mut reply = Reply::json(self.status, json!({"error": self.detail.to_json()}));
        for (k, v) in self.headers {
            reply.headers.push((k, v));
        }
        reply.error_code = Some(self.detail.code.clone());
        reply
    }
}

/// What a handler answers: status, extra headers and an optional body.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
    /// The ARM error code, for the request log.
    pub error_code: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) enum Body {
    Empty,
    Json(Value),
}

impl Reply {
    pub fn json(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Body::Json(body),
            error_code: None,
        }
    }

    /// A PUT's answer: 201 when it created the resource, 200 when it updated it.
    pub fn upserted(created: bool, body: Value) -> Self {
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Self::json(status, body)
    }

    pub fn ok(body: Value) -> Self {
        Self::json(StatusCode::OK, body)
    }

    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Body::Empty,
            error_code: None,
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

pub(crate) type ArmResult = Result<Reply, ArmError>;
