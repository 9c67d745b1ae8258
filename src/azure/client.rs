//! The ARM request pipeline: bearer token, api-version, `x-ms-client-request-id` per request and
//! the install's id as `x-ms-correlation-request-id` (so Azure support can find an install's
//! calls), the error envelope parsed into [`ArmError`], and short retries of throttling, 5xx and
//! dropped connections that honour `Retry-After`. (The worker retries whole steps on top; these
//! retries only absorb brief blips without failing a step.)

use super::error::{ApiFailure, ArmError, ErrorDetail};
use super::settings::ArmSettings;
use azure_core::credentials::TokenCredential;
use reqwest::Method;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// A response ARM gave.
#[derive(Debug, Clone)]
pub struct ArmResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Option<Value>,
}

impl ArmResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `Retry-After` in seconds (ARM sends integers; HTTP dates are not used by ARM).
    pub fn retry_after(&self) -> Option<Duration> {
        self.header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs)
    }
}

/// How the client waits: between polls of long-running operations, and for retries.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Poll interval when ARM gives no `Retry-After`, and the lower bound on any wait.
    pub min_wait: Duration,
    /// Upper bound on any wait (a service asking for longer is polled sooner).
    pub max_wait: Duration,
    /// Tries of one request, the first included (idempotent methods; POST only on 429).
    pub tries: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            min_wait: Duration::from_secs(2),
            max_wait: Duration::from_secs(60),
            tries: 4,
        }
    }
}

impl Timing {
    pub fn clamp(&self, wait: Option<Duration>) -> Duration {
        wait.unwrap_or(self.min_wait)
            .clamp(self.min_wait, self.max_wait)
    }
}

/// The ARM client; cheap to clone.
#[derive(Clone)]
pub struct ArmClient {
    http: reqwest::Client,
    credential: Arc<dyn TokenCredential>,
    endpoint: String,
    scope: String,
    correlation_id: Option<String>,
    /// The install step making the requests, sent as [`STEP_HEADER`].
    step: Option<&'static str>,
    pub timing: Timing,
}

/// Names the install step that made a request: Azure ignores it, but a recording (the
/// simulator's, a proxy's) can then tell which step wrote what (the crash matrix's duplicate
/// check relies on it).
pub const STEP_HEADER: &str = "x-katonic-step";

impl std::fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArmClient")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl ArmClient {
    /// A client for the settings' cloud, credential and CA.
    pub fn new(settings: &ArmSettings) -> Result<ArmClient, ArmError> {
        let (endpoint, authority) = settings.endpoints().map_err(ArmError::Config)?;
        let http = http_client(settings.ca_file.as_deref())?;
        let credential = super::credential::build(settings, &authority, &http)?;
        Ok(Self::from_parts(http, credential, &endpoint))
    }

    /// A client from its parts (tests give their own credential).
    pub fn from_parts(
        http: reqwest::Client,
        credential: Arc<dyn TokenCredential>,
        endpoint: &str,
    ) -> ArmClient {
        let endpoint = endpoint.trim_end_matches('/').to_string();
        ArmClient {
            scope: format!("{endpoint}/.default"),
            http,
            credential,
            endpoint,
            correlation_id: None,
            step: None,
            timing: Timing::default(),
        }
    }

    /// The same client, tagging every request with the install's correlation id.
    pub fn for_install(&self, correlation_id: &str) -> ArmClient {
        ArmClient {
            correlation_id: Some(correlation_id.to_string()),
            ..self.clone()
        }
    }

    /// The same client, naming `step` on every request ([`STEP_HEADER`]).
    pub fn for_step(&self, step: &'static str) -> ArmClient {
        ArmClient {
            step: Some(step),
            ..self.clone()
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// `https://<arm><path>?api-version=<v>` (path from `/subscriptions/...`).
    pub fn url(&self, path: &str, api_version: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{}{path}{sep}api-version={api_version}", self.endpoint)
    }

    /// `GET` a resource: `None` when it does not exist.
    pub async fn get(&self, path: &str, api_version: &str) -> Result<Option<Value>, ArmError> {
        match self.call(Method::GET, path, api_version, None).await {
            Ok(res) => Ok(Some(res.body.unwrap_or(Value::Null))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A token from this client's own credential for another resource (`<app id>/.default`),
    /// e.g. the AKS Entra ID server application for an Entra-only cluster's API server. The
    /// caller holds it in memory for one step; it is never stored or logged.
    pub async fn access_token(&self, scope: &str) -> Result<secrecy::SecretString, ArmError> {
        let token = self
            .credential
            .get_token(&[scope], None)
            .await
            .map_err(|e| ArmError::Auth(with_causes(&e)))?;
        Ok(token.token.secret().to_string().into())
    }

    /// A call on a path; error statuses become [`ArmError::Api`].
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        api_version: &str,
        body: Option<&Value>,
    ) -> Result<ArmResponse, ArmError> {
        let url = self.url(path, api_version);
        self.send(method, &url, body).await
    }

    /// A call on an absolute URL exactly as given (operation status URLs are opaque: never
    /// rebuilt or given another api-version).
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<ArmResponse, ArmError> {
        // A throttled or refused request was not processed, so even a POST may be repeated;
        // a 5xx or dropped POST may have been, so it is not.
        let idempotent = method != Method::POST;
        let mut try_number = 1;
        loop {
            let result = self.send_once(method.clone(), url, body).await;
            let retry = match &result {
                Ok(_) => None,
                Err(e) if e.status() == Some(429) => Some(e.retry_after()),
                Err(e) if idempotent && e.status().is_some_and(|s| s >= 500) => {
                    Some(e.retry_after())
                }
                Err(ArmError::Transport { .. }) if idempotent => Some(None),
                Err(_) => None,
            };
            match retry {
                Some(wait) if try_number < self.timing.tries => {
                    let wait = self.timing.clamp(wait);
                    tracing::debug!(%url, try_number, ?wait, "retrying ARM request");
                    tokio::time::sleep(wait).await;
                    try_number += 1;
                }
                _ => return result,
            }
        }
    }

    async fn send_once(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<ArmResponse, ArmError> {
        let token = self
            .credential
            .get_token(&[self.scope.as_str()], None)
            .await
            .map_err(|e| ArmError::Auth(with_causes(&e)))?;
        let method_name = method.as_str().to_string();
        let method_name = method_name.as_str();
        let mut request = self
            .http
            .request(method, url)
            .bearer_auth(token.token.secret())
            .header("x-ms-client-request-id", uuid::Uuid::new_v4().to_string())
            .header("x-ms-return-client-request-id", "true");
        if let Some(id) = &self.correlation_id {
            request = request.header("x-ms-correlation-request-id", id);
        }
        if let Some(step) = self.step {
            request = request.header(STEP_HEADER, step);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| {
            crate::metrics::global().arm_request(method_name, None);
            ArmError::Transport {
                url: strip_query(url),
                message: error_chain(&e),
            }
        })?;
        let status = response.status().as_u16();
        crate::metrics::global().arm_request(method_name, Some(status));
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(|e| ArmError::Transport {
            url: strip_query(url),
            message: error_chain(&e),
        })?;
        let body = match serde_json::from_slice::<Value>(&bytes) {
            _ if bytes.is_empty() => None,
            Ok(v) => Some(v),
            // A gateway's HTML error page is still the error its status says (a 502 may clear).
            Err(_) if status >= 400 => None,
            Err(e) => {
                return Err(ArmError::Protocol(format!(
                    "{status} from {} is not JSON: {e}",
                    strip_query(url)
                )));
            }
        };
        let response = ArmResponse {
            status,
            headers,
            body,
        };
        if status >= 400 {
            return Err(api_error(&response));
        }
        Ok(response)
    }
}

/// The error envelope of a failed response: `{"error": {...}}`, or the bare
/// `{"code", "message"}` some providers answer (AKS among them).
pub(crate) fn api_error(response: &ArmResponse) -> ArmError {
    let detail = response
        .body
        .as_ref()
        .and_then(|b| b.get("error").or(Some(b)))
        .and_then(|e| serde_json::from_value::<ErrorDetail>(e.clone()).ok())
        .filter(|d| !d.code.is_empty());
    let (code, message, target) = match &detail {
        Some(d) => {
            let inner = d.innermost();
            let message = if inner.code == d.code {
                d.message.clone()
            } else {
                format!("{} ({}: {})", inner.message, d.code, d.message)
            };
            (inner.code.clone(), message, inner.target.clone())
        }
        None => (
            http_code(response.status),
            format!("HTTP {} with no error details", response.status),
            None,
        ),
    };
    ArmError::Api(Box::new(ApiFailure {
        status: response.status,
        code,
        message,
        target,
        retry_after: response.retry_after(),
        request_id: response.header("x-ms-request-id").map(str::to_string),
        correlation_id: response
            .header("x-ms-correlation-request-id")
            .map(str::to_string),
    }))
}

fn http_code(status: u16) -> String {
    match status {
        404 => "NotFound",
        409 => "Conflict",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "HttpError",
    }
    .to_string()
}

/// URLs in errors lose their query (status URLs can carry signatures).
fn strip_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// An HTTPS-only client trusting the system roots plus the certificates in `ca_file`.
pub fn http_client(ca_file: Option<&std::path::Path>) -> Result<reqwest::Client, ArmError> {
    let mut builder = reqwest::Client::builder()
        .https_only(true)
        .connect_timeout(Duration::from_secs(15))
        .timeout(Duration::from_secs(120));
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            ArmError::Config(format!("cannot read CA file {}: {e}", path.display()))
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| ArmError::Config(format!("CA file {} is not PEM: {e}", path.display())))?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| ArmError::Config(format!("cannot build the HTTPS client: {e}")))
}

/// An error and its causes, outermost first ("a: b: c"): azure_identity's text alone says
/// "retry policy expired", the cause says "connection refused" or "AADSTS7000215" (which
/// `diagnose` needs to tell the network from the credentials).
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        next = cause.source();
    }
    text
}
