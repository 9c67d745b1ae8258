//! HTTP: the wizard and pages (askama + htmx), the JSON API under `/api/v1`, static files.
//! Errors become responses in one place (`error.rs`).

mod api;
mod bundle;
mod connection_test;
mod edit;
mod error;
mod filters;
mod form;
pub mod guard;
mod live;
mod logs;
mod next_steps;
mod ops;
mod pages;
mod preflight;
mod resolved;
mod review_summary;
mod run_pages;
mod run_views;
mod settings;
mod spec_text;
mod static_files;
mod teardown;
mod timeline;
mod views;
mod wizard;

pub use error::{ApiError, WebError};

use crate::access::Access;
use crate::config::ServeConfig;
use crate::store::Store;
use crate::worker::WorkerHandle;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tower_http::csrf::CsrfLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub worker: WorkerHandle,
    pub config: Arc<ServeConfig>,
    /// Cancelled when the console shuts down: live event streams end.
    pub shutdown: CancellationToken,
    /// Sessions, tokens, allowed hosts, stream limits.
    pub access: Arc<Access>,
}

impl AppState {
    pub fn new(store: Store, worker: WorkerHandle, config: ServeConfig, access: Access) -> Self {
        AppState {
            store,
            worker,
            config: Arc::new(config),
            shutdown: CancellationToken::new(),
            access: Arc::new(access),
        }
    }

    /// The use cases, over this state's store and worker.
    pub fn app(&self) -> crate::app::App {
        crate::app::App::new(self.store.clone(), self.worker.clone())
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

// One piece: the route table and its layers read best as one list (the order of the layers is
// the order requests meet them).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::get_home))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ops::get_readyz))
        .route("/metrics", get(ops::get_metrics))
        .route("/installs", get(pages::get_history))
        .route("/installs/new", post(pages::post_new_install))
        .route("/installs/upload", post(pages::post_upload))
        .route("/installs/{id}", get(pages::get_install))
        .route("/installs/{id}/clone", post(pages::post_clone))
        .route("/installs/{id}/delete", post(pages::post_delete))
        .route("/installs/{id}/start", post(run_pages::post_start))
        .route("/installs/{id}/resume", post(run_pages::post_resume))
        .route("/installs/{id}/preflight", post(preflight::post_fragment))
        .route(
            "/installs/{id}/edit",
            get(edit::get_page).post(edit::post_page),
        )
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
        .route("/installs/{id}/kubeconfig", post(next_steps::post_kubeconfig))
        .route("/installs/{id}/logs.txt", get(run_pages::get_logs))
        .route(
            "/installs/{id}/support-bundle.tar.gz",
            get(bundle::get_bundle),
        )
        .route("/installs/{id}/spec.yaml", get(pages::get_spec_yaml))
        .route(
            "/installs/{id}/egress-allowlist.txt",
            get(pages::get_egress_allowlist),
        )
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
        .route(
            "/installs/{id}/console-vnet",
            post(wizard::post_console_vnet),
        )
        .route(
            "/settings",
            get(settings::get_settings).post(settings::post_settings),
        )
        .route("/settings/test", post(connection_test::post_fragment))
        .nest("/api/v1", api::router())
        .route("/static/{*path}", get(static_files::get_static))
        .route("/login", get(guard::get_login).post(guard::post_login))
        .route("/logout", get(guard::get_logout).post(guard::post_logout))
        .fallback(pages::not_found)
        // Innermost first: access is checked after the cheaper refusals below.
        .layer(from_fn_with_state(state.clone(), guard::require_access))
        .layer(from_fn(guard::limit_forms))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            guard::REQUEST_TIMEOUT,
        ))
        // Sec-Fetch-Site / Origin: a cross-site POST gets 403; scripts send neither and pass.
        .layer(CsrfLayer::new())
        .layer(from_fn_with_state(state.clone(), guard::check_host))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        // Pages, API answers and bundles show installs and their secrets' surroundings: no
        // browser or proxy keeps them. The static assets set their own (cacheable) policy.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
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
        // The span names the path only: a query may hold the access token.
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                |req: &axum::http::Request<axum::body::Body>| {
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
                },
            ),
        )
        .with_state(state)
}
