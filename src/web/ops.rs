//! Operational endpoints: readiness (the database answers and takes writes, the console is not
//! stopping) and Prometheus metrics. `/healthz` (liveness) answers as long as the process serves.

use super::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `GET /readyz`: 200 `ready` when installs can be taken, 503 with the reason otherwise.
pub async fn get_readyz(State(state): State<AppState>) -> Response {
    if state.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "stopping\n").into_response();
    }
    if let Err(e) = state.store.ping().await {
        tracing::warn!(error = %e, "readiness: the database does not answer");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response();
    }
    // Reads keep working on a full disk; only a write says whether installs can progress.
    match state.store.writable().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the database cannot be written");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "database cannot be written (disk full or failing)\n",
            )
                .into_response()
        }
    }
}

/// `GET /metrics`: Prometheus text format (OpenMetrics).
pub async fn get_metrics(State(state): State<AppState>) -> Response {
    let installs = match state.store.install_counts().await {
        Ok(counts) => counts,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot count installs");
            Vec::new()
        }
    };
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        crate::metrics::global().render(&installs),
    )
        .into_response()
}
