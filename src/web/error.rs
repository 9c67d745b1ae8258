//! The one place where errors become HTTP responses: an HTML page for the browser, JSON for the
//! API. 4xx bodies say exactly what is wrong; 5xx bodies are generic and the cause is logged.

use super::filters;
use crate::store::StoreError;
use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use katonic_domain::spec::SpecErrors;

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// 404: no such install or page.
    #[error("{0}")]
    NotFound(String),
    /// 422: the spec has field errors.
    #[error(transparent)]
    Invalid(#[from] SpecErrors),
    /// 409: the request conflicts with the install's state.
    #[error("{0}")]
    Conflict(String),
    /// 415: body in a format the endpoint does not read.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 400: malformed request.
    #[error("{0}")]
    BadRequest(String),
    /// 503 with `Retry-After`: a limit is reached for now (event streams).
    #[error("{0}")]
    Busy(String),
    /// 500: a fault of ours or of the database. `context` says what was being done; the
    /// error itself stays as `source` so the log gets its whole chain. The client sees neither.
    #[error("internal error: {context}")]
    Internal {
        context: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

/// What a 500 answers: never the cause (it may name paths, queries or secrets).
const INTERNAL_MESSAGE: &str = "The console hit an internal error; the details are in its log.";

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A 500 for `source`, which failed while doing `context`.
    pub fn internal(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> WebError {
        WebError::Internal {
            context: context.into(),
            source: source.into(),
        }
    }

    /// What the client may see. A 500's cause is logged here, with its whole source chain.
    fn public_message(&self) -> String {
        match self {
            WebError::Internal { .. } => {
                tracing::error!(error = %error_chain(self), "request failed");
                INTERNAL_MESSAGE.to_string()
            }
            other => other.to_string(),
        }
    }
}

/// An error and every `source()` under it, outermost first: "a: b: c".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(id) => WebError::NotFound(format!("no install with id {id}")),
            e @ (StoreError::NotDraft { .. }
            | StoreError::NotReady(_)
            | StoreError::NotActionable { .. }
            | StoreError::TargetBusy { .. }) => WebError::Conflict(e.to_string()),
            e @ StoreError::NoSuchStep { .. } => WebError::NotFound(e.to_string()),
            e => WebError::internal("the store failed", e),
        }
    }
}

/// A URL's step segment that names no step: 404, listing the steps there are.
impl From<katonic_domain::plan::UnknownStepId> for WebError {
    fn from(e: katonic_domain::plan::UnknownStepId) -> Self {
        WebError::NotFound(e.to_string())
    }
}

impl From<crate::app::AppError> for WebError {
    fn from(e: crate::app::AppError) -> Self {
        use crate::app::AppError;
        match e {
            AppError::NotFound(id) => WebError::NotFound(format!("no install with id {id}")),
            AppError::Invalid(errors) => WebError::Invalid(errors),
            AppError::Store(e) => e.into(),
            AppError::Teardown(e) => e.into(),
            AppError::Refused(refusal) => WebError::Conflict(refusal.to_string()),
            // Every refusal names the state or what Azure said; the cause is the install's
            // state or the console's Azure settings, not a fault of ours.
            AppError::Kubeconfig(e) => WebError::Conflict(e.to_string()),
            AppError::EditRefused(refused) => WebError::Conflict(refused.to_string()),
        }
    }
}

impl From<crate::app::certificate::CertificateError> for WebError {
    fn from(e: crate::app::certificate::CertificateError) -> Self {
        match e {
            crate::app::certificate::CertificateError::Invalid(errors) => WebError::Invalid(errors),
            crate::app::certificate::CertificateError::Store(e) => e.into(),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    simulated: bool,
    title: String,
    status: u16,
    message: String,
    errors: Vec<katonic_domain::spec::FieldError>,
}

/// Seconds a client should wait after a 503.
const RETRY_AFTER_SECS: &str = "5";

fn with_retry_after(busy: bool, mut response: Response) -> Response {
    if busy {
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static(RETRY_AFTER_SECS),
        );
    }
    response
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let busy = matches!(self, WebError::Busy(_));
        with_retry_after(busy, self.into_page())
    }
}

impl WebError {
    fn into_page(self) -> Response {
        let status = self.status();
        let errors = match &self {
            WebError::Invalid(e) => e.errors.clone(),
            _ => Vec::new(),
        };
        let page = ErrorPage {
            simulated: false,
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            message: self.public_message(),
            errors,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "error page failed to render");
                (status, "error").into_response()
            }
        }
    }
}

/// The JSON form of [`WebError`], for `/api/v1`.
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let busy = matches!(self.0, WebError::Busy(_));
        with_retry_after(busy, self.into_json())
    }
}

impl ApiError {
    fn into_json(self) -> Response {
        let status = self.0.status();
        let body = match self.0 {
            WebError::Invalid(e) => serde_json::json!({
                "message": e.to_string(),
                "errors": e.errors,
            }),
            other => serde_json::json!({ "message": other.public_message() }),
        };
        (status, Json(body)).into_response()
    }
}

/// Render a template, mapping a render failure to a 500.
pub fn render(template: &impl Template) -> Result<Html<String>, WebError> {
    template
        .render()
        .map(Html)
        .map_err(|e| WebError::internal("template", e))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Debug, thiserror::Error)]
    #[error("disk I/O error reading /data/katonic-console.db (client_secret=hunter2)")]
    struct Disk;

    #[derive(Debug, thiserror::Error)]
    #[error("query failed")]
    struct Query(#[source] Disk);

    /// Log lines written while `f` runs.
    fn logged<T>(f: impl FnOnce() -> T) -> (T, String) {
        #[derive(Clone)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf(Arc::default());
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let out = tracing::subscriber::with_default(subscriber, f);
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        (out, text)
    }

    #[tokio::test]
    async fn a_500_keeps_and_logs_the_whole_source_chain_and_answers_generically() {
        let error = WebError::internal("loading the install", Query(Disk));
        let source = std::error::Error::source(&error).unwrap();
        assert_eq!(source.to_string(), "query failed");
        assert!(
            source
                .source()
                .unwrap()
                .to_string()
                .starts_with("disk I/O error")
        );

        let (response, log) = logged(|| ApiError(error).into_response());
        assert!(
            log.contains(
                "internal error: loading the install: query failed: disk I/O error reading \
                 /data/katonic-console.db"
            ),
            "{log}"
        );
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body, serde_json::json!({ "message": INTERNAL_MESSAGE }));
    }

    #[test]
    fn a_store_failure_is_a_500_whose_cause_is_its_source() {
        let store = StoreError::Corrupt("install id \"x\"".to_string());
        let error = WebError::from(store);
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let (page, log) = logged(|| error.into_response());
        assert!(
            log.contains("the store failed: stored data is unreadable"),
            "{log}"
        );
        assert_eq!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
