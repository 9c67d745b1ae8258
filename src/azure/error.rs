//! ARM failures as typed values: the error envelope (`{"error":{"code","message","details"}}`)
//! with the innermost code surfaced, the request ids support needs, and whether it may clear.

use std::time::Duration;

/// One ARM error detail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ErrorDetail {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub target: Option<String>,
    /// AKS answers `"details": null`; read as none.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub details: Vec<ErrorDetail>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ErrorDetail>, D::Error> {
    use serde::Deserialize;
    Ok(Option::<Vec<ErrorDetail>>::deserialize(d)?.unwrap_or_default())
}

impl ErrorDetail {
    /// The most specific detail: ARM wraps causes (`DeploymentFailed` → `QuotaExceeded`).
    pub fn innermost(&self) -> &ErrorDetail {
        self.details
            .iter()
            .find(|d| !d.code.is_empty())
            .map_or(self, ErrorDetail::innermost)
    }
}

/// An error response of ARM.
#[derive(Debug, Clone)]
pub struct ApiFailure {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub target: Option<String>,
    pub retry_after: Option<Duration>,
    pub request_id: Option<String>,
    pub correlation_id: Option<String>,
}

/// What went wrong talking to ARM or Entra ID.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ArmError {
    /// ARM answered with an error status and envelope.
    #[error("{} {}: {}", .0.status, .0.code, .0.message)]
    Api(Box<ApiFailure>),
    /// A long-running operation ended `Failed` or `Canceled`.
    #[error("operation {status}: {code}: {message}")]
    Operation {
        status: String,
        code: String,
        message: String,
    },
    /// No token: bad credentials, unreachable authority, expired secret.
    #[error("authentication failed: {0}")]
    Auth(String),
    /// The request did not complete (connection refused or dropped, TLS, timeout).
    #[error("connection to {url} failed: {message}")]
    Transport { url: String, message: String },
    /// A response that is not what ARM sends (bad JSON, missing header).
    #[error("unexpected response: {0}")]
    Protocol(String),
    /// The client was misconfigured (endpoint, CA file, credential settings).
    #[error("{0}")]
    Config(String),
}

/// Codes that clear by themselves (ARM RPC and the failure list of the brief, §2.6).
const RETRYABLE_CODES: &[&str] = &[
    "TooManyRequests",
    "RetryableError",
    "RetryableErrorDueToAnotherOperation",
    "AnotherOperationInProgress",
    "OperationNotAllowed", // only when "in progress": checked below
    "Conflict",
    "EtagMismatch",
    "PrincipalNotFound",
    "MissingSubscriptionRegistration",
    "ResourceGroupBeingDeleted",
    "InternalServerError",
    "ServiceUnavailable",
    "GatewayTimeout",
    "AllocationFailed",
    "ZonalAllocationFailed",
];

impl ArmError {
    /// The ARM code (`QuotaExceeded`), or a console code for non-ARM failures.
    pub fn code(&self) -> &str {
        match self {
            ArmError::Api(f) => &f.code,
            ArmError::Operation { code, .. } => code,
            ArmError::Auth(_) => "AuthenticationFailed",
            ArmError::Transport { .. } => "ConnectionFailed",
            ArmError::Protocol(_) => "UnexpectedResponse",
            ArmError::Config(_) => "ConsoleConfiguration",
        }
    }

    pub fn message(&self) -> String {
        match self {
            ArmError::Api(f) => f.message.clone(),
            ArmError::Operation { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    /// Whether retrying later may succeed without the admin changing anything.
    pub fn is_retryable(&self) -> bool {
        match self {
            ArmError::Api(f) => {
                f.status == 408
                    || f.status == 429
                    || f.status >= 500
                    || (RETRYABLE_CODES.contains(&f.code.as_str())
                        && (f.code != "OperationNotAllowed"
                            || f.message.to_ascii_lowercase().contains("in progress")))
            }
            ArmError::Operation { code, .. } => RETRYABLE_CODES.contains(&code.as_str()),
            ArmError::Transport { .. } => true,
            ArmError::Auth(_) | ArmError::Protocol(_) | ArmError::Config(_) => false,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ArmError::Api(f) => f.retry_after,
            _ => None,
        }
    }

    /// For support tickets: ARM's request id and our correlation id, when known.
    pub fn ids(&self) -> Option<String> {
        match self {
            ArmError::Api(f) => match (&f.request_id, &f.correlation_id) {
                (None, None) => None,
                (r, c) => Some(format!(
                    "x-ms-request-id {}, x-ms-correlation-request-id {}",
                    r.as_deref().unwrap_or("-"),
                    c.as_deref().unwrap_or("-")
                )),
            },
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The HTTP status of an ARM error response.
    pub fn status(&self) -> Option<u16> {
        match self {
            ArmError::Api(f) => Some(f.status),
            _ => None,
        }
    }
}
