//! A spec in a request body becomes a document on the blocking pool, never on an async worker:
//! reading is bounded (`katonic_domain::spec::limits`), but it is still CPU work, and on a
//! worker it would hold up every other request (and the 30 s time limit, which can only fire
//! while the handler awaits).

use super::error::WebError;
use katonic_domain::spec::{self, DocumentFormat, InstallDocument, SpecErrors};

/// Parse `body` (UTF-8 text in `format`) off the async workers.
pub async fn parse(
    body: axum::body::Bytes,
    format: DocumentFormat,
) -> Result<InstallDocument, WebError> {
    blocking(move || {
        let text = std::str::from_utf8(&body)
            .map_err(|_| WebError::BadRequest("the body is not UTF-8 text".to_string()))?;
        Ok(spec::from_text(text, format)?)
    })
    .await?
}

/// Parse an uploaded file (YAML; JSON is YAML) off the async workers.
pub async fn parse_upload(text: String) -> Result<Result<InstallDocument, SpecErrors>, WebError> {
    blocking(move || spec::from_yaml(&text)).await
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, WebError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| WebError::internal("reading a spec", e))
}
