//! HTTP: the wizard and pages (askama + htmx), the JSON API under `/api/v1`, static files.
//! Errors become responses in one place (`error.rs`).

mod api;
mod error;
mod filters;
mod form;
mod live;
mod pages;
mod run_pages;
mod run_views;
mod runs;
mod static_files;
mod teardown;
mod timeline;
mod views;
mod wizard;

pub use error::{ApiError, WebError};

use crate::config::ServeConfig;
use crate::store::Store;
use crate::worker::WorkerHandle;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::{get, post};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub worker: WorkerHandle,
    pub config: Arc<ServeConfig>,
    /// Cancelled when the console shuts down: live event streams end.
    pub shutdown: CancellationToken,
}

impl AppState {
    pub fn new(store: Store, worker: WorkerHandle, config: ServeConfig) -> Self {
        AppState {
            store,
            worker,
            config: Arc::new(config),
            shutdown: CancellationToken::new(),
        }
    }

    /// Whether installs are rehearsed with simulated steps (shown as a banner).
    pub fn simulated(&self) -> bool {
        self.config.engine.simulate
    }
}

/// Largest accepted request body (YAML uploads included).
const BODY_LIMIT: usize = 1024 * 1024;

/// No inline script or style anywhere: htmx is configured by a meta tag, not by eval.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::get_home))
        .route("/healthz", get(|| async { "ok" }))
        .route("/installs", get(pages::get_history))
        .route("/installs/new", post(pages::post_new_install))
        .route("/installs/upload", post(pages::post_upload))
        .route("/installs/{id}", get(pages::get_install))
        .route("/installs/{id}/clone", post(pages::post_clone))
        .route("/installs/{id}/start", post(run_pages::post_start))
        .route("/installs/{id}/resume", post(run_pages::post_resume))
        .route("/installs/{id}/cancel", post(run_pages::post_cancel))
        .route(
            "/installs/{id}/steps/{step}/retry",
            post(run_pages::post_retry_step),
        )
        .route(
            "/installs/{id}/teardown",
            get(teardown::get_page).post(teardown::post_page),
        )
        .route("/installs/{id}/stream", get(run_pages::get_stream))
        .route("/installs/{id}/logs.txt", get(run_pages::get_logs))
        .route("/installs/{id}/spec.yaml", get(pages::get_spec_yaml))
        .route("/installs/{id}/review", get(wizard::get_review))
        .route("/installs/{id}/certificate", post(wizard::post_certificate))
        .route(
            "/installs/{id}/wizard/{step}",
            get(wizard::get_step).post(wizard::post_step),
        )
        .route(
            "/installs/{id}/wizard/{step}/check",
            post(wizard::post_check),
        )
        .nest("/api/v1", api::router())
        .route("/static/{*path}", get(static_files::get_static))
        .fallback(pages::not_found)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
