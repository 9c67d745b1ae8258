//! Preflight on demand (issue 16, "check before queueing", like Azure's Review + create): the
//! review page's **Run checks** (an htmx fragment) and `POST /api/v1/installs/{id}/preflight`.
//! The checks run through `app` and the worker's executor; nothing is created or journalled.

use super::AppState;
use super::api::load;
use super::error::{ApiError, WebError, render};
use super::filters;
use crate::worker::PreflightReport;
use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

/// `POST /api/v1/installs/{id}/preflight`: 200 `{"passed", "checked", "checks": [{"check",
/// "verdict", "message", "fix"}], "error"}`; 422 while the spec has field errors.
pub async fn post_api(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PreflightReport>, ApiError> {
    let install = load(&state, &id).await?;
    Ok(Json(state.app().preflight(install.id).await?))
}

#[derive(Template)]
#[template(path = "preflight.html")]
struct Fragment {
    report: PreflightReport,
}

/// `POST /installs/{id}/preflight`: the same, as the review page's result panel.
pub async fn post_fragment(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let install = super::wizard::load_install(&state, &id).await?;
    let report = state.app().preflight(install.id).await?;
    Ok(render(&Fragment { report })?.into_response())
}
