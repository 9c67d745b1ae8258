//! Teardown pages and API: the preview of what a teardown of an install deletes (and keeps, and
//! why), and the confirmed request that queues it (typing the install's name, as Azure's portal
//! asks). The teardown run itself is shown by the normal install page.

use super::AppState;
use super::error::{ApiError, WebError, render};
use crate::app::{Approval, TeardownError};
use crate::store::{InstallId, InstallRecord, InstallStatus, Store};
use crate::teardown::{Preview, Target};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Json, body::Bytes};
use serde::Deserialize;

impl From<TeardownError> for WebError {
    fn from(e: TeardownError) -> Self {
        match e {
            e @ TeardownError::NotConfirmed { .. } => WebError::BadRequest(e.to_string()),
            e @ (TeardownError::NoSpec(_)
            | TeardownError::IsTeardown(_)
            | TeardownError::Draft(_)
            | TeardownError::Spec(_)
            | TeardownError::Read(_)
            | TeardownError::Changed { .. }) => WebError::Conflict(e.to_string()),
        }
    }
}

fn parse_id(id: &str) -> Result<InstallId, WebError> {
    InstallId::parse(id)
        .ok_or_else(|| WebError::NotFound(format!("no install with id {id:?} (ids are UUIDs)")))
}

/// Teardowns linked from an install's page: the runs that tear it down, or what it tears down.
#[derive(Debug, Clone, Default)]
pub struct TeardownLinks {
    /// This install is a teardown of that one.
    pub of: Option<String>,
    /// (id, status) of its teardowns, newest first.
    pub runs: Vec<(String, String)>,
    /// One of them succeeded.
    pub torn_down: bool,
    /// A teardown may be previewed (it has run, is not running, and is not a teardown).
    pub can_tear_down: bool,
}

pub async fn links(store: &Store, install: &InstallRecord) -> Result<TeardownLinks, WebError> {
    let of = store.teardown_target(install.id).await?;
    let runs = store.teardowns_of(install.id).await?;
    Ok(TeardownLinks {
        of: of.map(|o| o.to_string()),
        torn_down: runs.iter().any(|r| r.status == InstallStatus::Succeeded),
        can_tear_down: of.is_none()
            && install.spec.is_some()
            && !matches!(
                install.status,
                InstallStatus::Draft | InstallStatus::Queued | InstallStatus::Running
            ),
        runs: runs
            .into_iter()
            .map(|r| (r.id.to_string(), r.status.to_string()))
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "teardown.html")]
struct TeardownPage {
    simulated: bool,
    id: String,
    name: String,
    target: String,
    targets: Vec<Target>,
    deleting: usize,
    earlier: Vec<(String, String)>,
    /// What was typed, when the form comes back with an error.
    typed: Option<String>,
    confirm_error: Option<String>,
}

/// `GET /installs/{id}/teardown`: what a teardown would delete and keep.
pub async fn get_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    preview_page(&state, id, None).await
}

/// The preview page; with `refused` (what was typed, and why it is not the name), the form
/// again with that field error (422) rather than an error page.
async fn preview_page(
    state: &AppState,
    id: InstallId,
    refused: Option<(String, String)>,
) -> Result<Response, WebError> {
    let (install, preview) = state.app().teardown_preview(id).await?;
    let earlier = state
        .store
        .teardowns_of(id)
        .await?
        .into_iter()
        .map(|r| (r.id.to_string(), r.status.to_string()))
        .collect();
    let page = TeardownPage {
        simulated: state.simulated(),
        id: install.id.to_string(),
        name: install.name.clone(),
        target: crate::format::target(
            install.subscription_id.as_deref(),
            install.resource_group.as_deref(),
            install.cluster_name.as_deref(),
        ),
        deleting: preview.deleting(),
        targets: preview.targets,
        earlier,
        typed: refused.as_ref().map(|(typed, _)| typed.clone()),
        confirm_error: refused.as_ref().map(|(_, why)| why.clone()),
    };
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, render(&page)?).into_response())
}

/// The confirmation: the install's name typed again, and the count of resources shown.
#[derive(Debug, Deserialize)]
pub struct Confirm {
    #[serde(default)]
    pub confirm: String,
    pub expected: Option<usize>,
}

async fn confirmed_start(
    state: &AppState,
    by: &crate::access::Principal,
    id: &str,
    confirm: &Confirm,
) -> Result<(InstallId, Preview), WebError> {
    let id = parse_id(id)?;
    let approval = Approval {
        typed_name: confirm.confirm.clone(),
        expected: confirm.expected,
    };
    Ok(state
        .app()
        .start_teardown(&super::guard::actor(by), id, &approval)
        .await?)
}

/// `POST /installs/{id}/teardown`: queue the teardown and show its run.
pub async fn post_page(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<crate::access::Principal>,
    Path(id): Path<String>,
    Form(confirm): Form<Confirm>,
) -> Result<Response, WebError> {
    match confirmed_start(&state, &principal, &id, &confirm).await {
        Ok((teardown, _)) => Ok(Redirect::to(&format!("/installs/{teardown}")).into_response()),
        Err(WebError::BadRequest(why)) => {
            let refused = Some((confirm.confirm.clone(), why));
            preview_page(&state, parse_id(&id)?, refused).await
        }
        Err(e) => Err(e),
    }
}

/// `GET /api/v1/installs/{id}/teardown`: the preview as JSON.
pub async fn get_api(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = parse_id(&id)?;
    let (_, preview) = state.app().teardown_preview(id).await?;
    let deleting = preview.deleting();
    let mut body = serde_json::to_value(&preview)
        .map_err(|e| WebError::internal("encoding the preview", e))?;
    body["deleting"] = deleting.into();
    Ok(Json(body))
}

/// `POST /api/v1/installs/{id}/teardown` with `{"confirm": "<install name>", "expected": N}`:
/// 202 with the teardown's id.
pub async fn post_api(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<crate::access::Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let confirm: Confirm = serde_json::from_slice(&body).map_err(|e| {
        WebError::BadRequest(format!(
            "body: expected JSON {{\"confirm\": \"<install name>\", \"expected\": <count>}}: {e}"
        ))
    })?;
    let (teardown, preview) = confirmed_start(&state, &principal, &id, &confirm).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({
            "id": teardown,
            "status": "queued",
            "deleting": preview.deleting(),
        })),
    )
        .into_response())
}
