//! HTTP: the wizard and pages (askama + htmx), the JSON API under `/api/v1`, static files.
//! Errors become responses in one place (`error.rs`).

mod api;
mod error;
mod filters;
mod form;
mod pages;
mod static_files;
mod views;
mod wizard;

pub use error::{ApiError, WebError};

use crate::config::ServeConfig;
use crate::store::Store;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::{get, post};
use std::sync::Arc;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<ServeConfig>,
}

impl AppState {
    pub fn new(store: Store, config: ServeConfig) -> Self {
        AppState {
            store,
            config: Arc::new(config),
        }
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
        .route("/installs/{id}/start", post(pages::post_start))
        .route("/installs/{id}/spec.yaml", get(pages::get_spec_yaml))
        .route("/installs/{id}/review", get(wizard::get_review))
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
