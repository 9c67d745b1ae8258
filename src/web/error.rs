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
    /// 500: a fault of ours or of the database; details go to the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client may see.
    fn public_message(&self) -> String {
        match self {
            WebError::Internal(detail) => {
                tracing::error!(error = %detail, "request failed");
                "The console hit an internal error; the details are in its log.".to_string()
            }
            other => other.to_string(),
        }
    }
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
            e => WebError::Internal(e.to_string()),
        }
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
        .map_err(|e| WebError::Internal(format!("template: {e}")))
}
