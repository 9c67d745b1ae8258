//! JSON API under `/api/v1`: what the pages offer, for scripts. Specs are accepted as YAML or
//! JSON, chosen by `Content-Type`; field errors come back as 422 with every error listed.

use super::AppState;
use super::error::{ApiError, WebError};
use super::{guard, live, logs};
use crate::access::Principal;
use crate::app::review;
use crate::store::{InstallId, InstallRecord, StepRecord};
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use katonic_domain::plan::InstallPlan;
use katonic_domain::spec::{self, DocumentFormat, InstallDocument};
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/plan", post(post_plan))
        .route("/installs", post(post_install).get(get_installs))
        .route("/installs/{id}", get(get_install).delete(delete_install))
        .route(
            "/installs/{id}/spec",
            get(get_spec).put(super::edit::put_api),
        )
        .route("/installs/{id}/certificate", put(put_certificate))
        .route("/installs/{id}/start", post(post_start))
        .route("/installs/{id}/resume", post(post_resume))
        .route("/installs/{id}/preflight", post(super::preflight::post_api))
        .route("/installs/{id}/cancel", post(post_cancel))
        .route("/installs/{id}/steps/{step}/retry", post(post_retry_step))
        .route("/installs/{id}/events", get(get_events))
        .route(
            "/installs/{id}/kubeconfig",
            post(super::next_steps::post_kubeconfig_api),
        )
        .route("/installs/{id}/logs", get(get_logs))
        .route(
            "/installs/{id}/support-bundle",
            get(super::bundle::get_bundle),
        )
        .route(
            "/settings/azure",
            get(super::settings::get_api).put(super::settings::put_api),
        )
        .route(
            "/settings/azure/test",
            post(super::connection_test::post_api),
        )
        .route(
            "/installs/{id}/teardown",
            get(super::teardown::get_api).post(super::teardown::post_api),
        )
}

/// The document in the request body, in the syntax its `Content-Type` names.
pub(super) async fn document(
    headers: &HeaderMap,
    body: Bytes,
) -> Result<InstallDocument, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let format = match mime.as_str() {
        "application/json" => DocumentFormat::Json,
        "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml" => {
            DocumentFormat::Yaml
        }
        other => {
            return Err(WebError::UnsupportedMediaType(format!(
                "Content-Type {:?} is not read here; send the spec as application/json or application/yaml",
                other
            ))
            .into());
        }
    };
    Ok(super::spec_text::parse(body, format).await?)
}

/// `POST /api/v1/plan`: the plan of a spec, or 422 with every field error.
async fn post_plan(headers: HeaderMap, body: Bytes) -> Result<Json<InstallPlan>, ApiError> {
    let doc = document(&headers, body).await?;
    let reviewed = review::review(&doc, review::today())?;
    Ok(Json(reviewed.plan))
}

#[derive(Serialize)]
struct Created {
    id: InstallId,
}

/// `POST /api/v1/installs`: record a valid spec as a new install (status `draft`, ready to start).
async fn post_install(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let doc = document(&headers, body).await?;
    let reviewed = review::review(&doc, review::today())?;
    let id = state.app().create(&reviewed).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/installs/{id}"))],
        Json(Created { id }),
    )
        .into_response())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InstallListItem {
    id: InstallId,
    name: String,
    status: crate::store::InstallStatus,
    subscription_id: Option<String>,
    resource_group: Option<String>,
    cluster_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: time::OffsetDateTime,
    /// A teardown of it succeeded: its resources are gone.
    torn_down: bool,
    /// Its newest teardown run's status, if it has one (teardowns are runs of their install,
    /// not items of this list).
    #[serde(skip_serializing_if = "Option::is_none")]
    teardown_status: Option<crate::store::InstallStatus>,
}

/// `GET /api/v1/installs`: the history, most recently updated first.
async fn get_installs(
    State(state): State<AppState>,
) -> Result<Json<Vec<InstallListItem>>, ApiError> {
    let items = state
        .store
        .history(&spec::default_document())
        .await?
        .into_iter()
        .map(|s| InstallListItem {
            torn_down: s.teardown == Some(crate::store::InstallStatus::Succeeded),
            teardown_status: s.teardown,
            id: s.id,
            name: s.name,
            status: s.status,
            subscription_id: s.subscription_id,
            resource_group: s.resource_group,
            cluster_name: s.cluster_name,
            created_at: s.created_at,
            updated_at: s.updated_at,
        })
        .collect();
    Ok(Json(items))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InstallDetail {
    id: InstallId,
    name: String,
    status: crate::store::InstallStatus,
    /// The validated canonical spec; `null` while a draft's answers are invalid.
    spec: Option<InstallDocument>,
    /// The wizard's answers as last saved.
    answers: InstallDocument,
    plan: Option<InstallPlan>,
    /// How the console reaches the cluster, as preflight resolved `cluster.access`:
    /// `direct`, `runCommand` or `peering`; `null` until preflight has decided.
    cluster_access: Option<String>,
    steps: Vec<StepDetail>,
    cloned_from: Option<InstallId>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: time::OffsetDateTime,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StepDetail {
    id: katonic_domain::plan::StepId,
    title: String,
    status: crate::store::StepStatus,
    depends_on: Vec<katonic_domain::plan::StepId>,
    attempt: i64,
    /// What the step recorded (resource ids, addresses, the verification report); never
    /// secrets: steps keep those out of their outputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    outputs: Option<serde_json::Value>,
    /// Why the step's last attempt failed: `{class, code, message, hint}`, as the page and the
    /// support bundle show it.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<crate::store::Failure>,
}

impl From<StepRecord> for StepDetail {
    fn from(s: StepRecord) -> Self {
        StepDetail {
            id: s.step_id,
            title: s.title,
            status: s.status,
            depends_on: s.depends_on,
            attempt: s.attempt,
            outputs: s.outputs,
            error: s.error,
        }
    }
}

/// The access mode preflight recorded in its outputs.
pub(crate) fn resolved_access(steps: &[StepRecord]) -> Option<String> {
    steps
        .iter()
        .find(|s| s.step_id == katonic_domain::plan::StepId::Preflight)
        .and_then(|s| s.outputs.as_ref()?.get("clusterAccess")?.as_str())
        .map(str::to_string)
}

pub(super) async fn load(state: &AppState, id: &str) -> Result<InstallRecord, ApiError> {
    Ok(super::wizard::load_install(state, id).await?)
}

/// `GET /api/v1/installs/{id}`
async fn get_install(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<InstallDetail>, ApiError> {
    let install = load(&state, &id).await?;
    let steps = state.store.steps(install.id).await?;
    let cluster_access = resolved_access(&steps);
    Ok(Json(InstallDetail {
        id: install.id,
        name: install.name,
        status: install.status,
        spec: install.spec,
        answers: install.answers,
        plan: install.plan,
        cluster_access,
        steps: steps.into_iter().map(StepDetail::from).collect(),
        cloned_from: install.cloned_from,
        created_at: install.created_at,
        updated_at: install.updated_at,
    }))
}

/// `DELETE /api/v1/installs/{id}`: delete a draft; 409 for an install that ran.
async fn delete_install(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let install = load(&state, &id).await?;
    state
        .app()
        .delete_draft(&guard::actor(&principal), install.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/installs/{id}/spec`: the spec as YAML (the answers for an invalid draft).
async fn get_spec(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let install = load(&state, &id).await?;
    let doc = install.spec.as_ref().unwrap_or(&install.answers);
    Ok((
        [(header::CONTENT_TYPE, "application/yaml; charset=utf-8")],
        spec::to_yaml(doc),
    )
        .into_response())
}

/// The body of `PUT /installs/{id}/certificate`. The key becomes a `SecretString` at once.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CertificateUpload {
    certificate: String,
    /// Omitted or empty: keep the stored key (a renewed certificate for the same key).
    #[serde(default)]
    key: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CertificateInfo {
    subject: String,
    issuer: String,
    names: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    not_after: time::OffsetDateTime,
    /// SHA-256 of the leaf certificate.
    fingerprint: String,
}

/// `PUT /api/v1/installs/{id}/certificate`: JSON `{certificate, key}` (PEM), checked against the
/// install's hosts (the domain and enabled add-ons) and stored encrypted; 422 with each field's
/// error otherwise. Refused (409) while the install is queued or running.
async fn put_certificate(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CertificateInfo>, ApiError> {
    let install = load(&state, &id).await?;
    if install.status.is_active() {
        return Err(WebError::Conflict(format!(
            "install {} is {}: replace its certificate once it has stopped",
            install.id, install.status
        ))
        .into());
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if !is_json {
        return Err(WebError::UnsupportedMediaType(
            "send the certificate as application/json: {\"certificate\": PEM, \"key\": PEM}".into(),
        )
        .into());
    }
    let upload: CertificateUpload = serde_json::from_slice(&body).map_err(|e| {
        // Only where it failed: serde's own message may quote the input, which may be a key.
        WebError::BadRequest(format!(
            "the body is not {{\"certificate\": PEM, \"key\": PEM}} ({:?} error at line {}, column {}); \
             both are strings, `key` may be omitted to keep the stored one",
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    let key = upload.key.map(secrecy::SecretString::from);
    let summary = state
        .app()
        .upload_certificate(
            &guard::actor(&principal),
            &install,
            &upload.certificate,
            key,
        )
        .await?;
    Ok(Json(CertificateInfo {
        subject: summary.subject,
        issuer: summary.issuer,
        names: summary.names,
        not_after: summary.not_after,
        fingerprint: summary.fingerprint,
    }))
}

fn accepted(id: InstallId, status: &str) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "id": id, "status": status })),
    )
        .into_response()
}

/// `POST /api/v1/installs/{id}/start`: queue a valid draft (202); 409 naming the install that
/// already holds the same target.
async fn post_start(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let install = load(&state, &id).await?;
    state
        .app()
        .start(&guard::actor(&principal), install.id)
        .await?;
    Ok(accepted(install.id, "queued"))
}

/// `POST /api/v1/installs/{id}/resume`: run a failed, cancelled or interrupted install again
/// from where it stopped.
async fn post_resume(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let install = load(&state, &id).await?;
    state
        .app()
        .resume(&guard::actor(&principal), install.id)
        .await?;
    Ok(accepted(install.id, "queued"))
}

/// `POST /api/v1/installs/{id}/steps/{step}/retry`: run one step again.
async fn post_retry_step(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, step)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let install = load(&state, &id).await?;
    state
        .app()
        .retry_step(&guard::actor(&principal), install.id, step.parse()?)
        .await?;
    Ok(accepted(install.id, "queued"))
}

/// `POST /api/v1/installs/{id}/cancel`: a queued install is cancelled at once, a running one
/// stops at its next safe point.
async fn post_cancel(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let install = load(&state, &id).await?;
    let status = match state
        .app()
        .cancel(&guard::actor(&principal), install.id)
        .await?
    {
        crate::store::CancelOutcome::Cancelled => "cancelled",
        crate::store::CancelOutcome::Requested => "cancelling",
    };
    Ok(accepted(install.id, status))
}

/// `GET /api/v1/installs/{id}/events`: server-sent events, JSON data, `id:` = sequence number.
async fn get_events(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Query(after): Query<live::After>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // Only the id: a stream needs no install row (the cursor query answers 404 by itself).
    let install = InstallId::parse(&id)
        .ok_or_else(|| WebError::NotFound(format!("no install with id {id}")))?;
    let cursor = live::cursor(&headers, &after);
    Ok(live::respond(&state, &principal, install, cursor, |item| {
        std::future::ready(match item {
            live::Item::Event(e) => Some(
                axum::response::sse::Event::default()
                    .id(e.seq.to_string())
                    .event(event_name(&e))
                    .data(e.json()),
            ),
            live::Item::Done => Some(
                axum::response::sse::Event::default()
                    .event("done")
                    .data("{}"),
            ),
        })
    })
    .await?)
}

fn event_name(e: &crate::events::Event) -> &'static str {
    match e.kind {
        crate::events::EventKind::Install => "install",
        crate::events::EventKind::Step => "step",
        crate::events::EventKind::Progress => "progress",
        crate::events::EventKind::Log => "log",
    }
}

/// `GET /api/v1/installs/{id}/logs`: every event of every attempt as plain text.
async fn get_logs(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let install = load(&state, &id).await?;
    let text = logs::log_text(&state, install.id).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}
