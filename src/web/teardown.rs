//! Teardown pages and API: the preview of what a teardown of an install deletes (and keeps, and
//! why), and the confirmed request that queues it (typing the install's name, as Azure's portal
//! asks). The teardown run itself is shown by the normal install page.

use super::AppState;
use super::error::{ApiError, WebError, render};
use crate::store::{InstallId, InstallRecord, InstallStatus, Store};
use crate::teardown::{Preview, StartError, Target};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Json, body::Bytes};
use serde::Deserialize;

impl From<StartError> for WebError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::NotFound(id) => WebError::NotFound(format!("no install with id {id}")),
            StartError::Store(e) => e.into(),
            e @ (StartError::NoSpec(_)
            | StartError::IsTeardown(_)
            | StartError::Spec(_)
            | StartError::NoAzure
            | StartError::Azure(_)
            | StartError::Changed { .. }) => WebError::Conflict(e.to_string()),
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
}

/// `GET /installs/{id}/teardown`: what a teardown would delete and keep.
pub async fn get_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let arm = state.worker.arm().await;
    let (install, preview) = crate::teardown::load_preview(&state.store, arm.as_ref(), id).await?;
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
    };
    Ok(render(&page)?.into_response())
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
    let install = state
        .store
        .install(id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("no install with id {id}")))?;
    if confirm.confirm.trim() != install.name {
        return Err(WebError::BadRequest(format!(
            "confirm: type the install's name exactly ({:?}) to delete its resources; got {:?}",
            install.name,
            confirm.confirm.trim()
        )));
    }
    let arm = state.worker.arm().await;
    let started = crate::teardown::start(&state.store, arm.as_ref(), id, confirm.expected).await?;
    state.worker.wake();
    super::guard::record(
        state,
        by,
        crate::store::AuditAction::Teardown,
        Some(id),
        &format!(
            "teardown {} of {} resources",
            started.0,
            started.1.deleting()
        ),
    )
    .await;
    Ok(started)
}

/// `POST /installs/{id}/teardown`: queue the teardown and show its run.
pub async fn post_page(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<crate::access::Principal>,
    Path(id): Path<String>,
    Form(confirm): Form<Confirm>,
) -> Result<Response, WebError> {
    let (teardown, _) = confirmed_start(&state, &principal, &id, &confirm).await?;
    Ok(Redirect::to(&format!("/installs/{teardown}")).into_response())
}

/// `GET /api/v1/installs/{id}/teardown`: the preview as JSON.
pub async fn get_api(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = parse_id(&id)?;
    let arm = state.worker.arm().await;
    let (_, preview) = crate::teardown::load_preview(&state.store, arm.as_ref(), id).await?;
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
