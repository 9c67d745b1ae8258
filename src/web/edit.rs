//! Fix and resume (issue 16): a failed install's spec corrected, on a page (the YAML in a text
//! area) and by `PUT /api/v1/installs/{id}/spec`. `app::edit` decides which fields may change.

use super::AppState;
use super::api::{document, load};
use super::error::{ApiError, WebError, render};
use super::guard;
use crate::access::Principal;
use crate::app::AppError;
use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use katonic_domain::spec::{self, FieldError};

/// `PUT /api/v1/installs/{id}/spec`: the corrected spec (YAML or JSON, as for create). 200 with
/// the changed fields; 422 with every field error; 409 naming each field whose resources exist
/// (and the step that created them), or when the install's state allows no edit.
pub async fn put_api(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let install = load(&state, &id).await?;
    let doc = document(&headers, body).await?;
    let changed = state
        .app()
        .edit_spec(&guard::actor(&principal), install.id, &doc)
        .await?;
    let next = format!("POST /api/v1/installs/{}/resume", install.id);
    Ok(
        Json(serde_json::json!({ "id": install.id, "changed": changed, "next": next }))
            .into_response(),
    )
}

#[derive(Template)]
#[template(path = "edit.html")]
struct EditPage {
    simulated: bool,
    id: String,
    name: String,
    yaml: String,
    /// Why the last submission was refused (state or locked fields).
    refused: Option<String>,
    errors: Vec<FieldError>,
}

/// `GET /installs/{id}/edit`: the spec as YAML, to correct and resume.
pub async fn get_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let install = super::wizard::load_install(&state, &id).await?;
    state
        .app()
        .state(install.id)
        .await?
        .check(crate::app::rules::Action::EditSpec)
        .map_err(|r| WebError::Conflict(r.to_string()))?;
    let doc = install.spec.as_ref().unwrap_or(&install.answers);
    let page = EditPage {
        simulated: state.simulated(),
        id: install.id.to_string(),
        name: install.name.clone(),
        yaml: spec::to_yaml(doc),
        refused: None,
        errors: vec![],
    };
    Ok(render(&page)?.into_response())
}

#[derive(serde::Deserialize)]
pub struct EditForm {
    spec: String,
}

/// `POST /installs/{id}/edit`: store the corrected spec and resume; back to the form with each
/// error otherwise.
pub async fn post_page(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Form(form): Form<EditForm>,
) -> Result<Response, WebError> {
    let install = super::wizard::load_install(&state, &id).await?;
    let actor = guard::actor(&principal);
    let parsed = super::spec_text::parse_upload(form.spec.clone()).await?;
    let outcome = match parsed {
        Ok(doc) => state
            .app()
            .edit_spec(&actor, install.id, &doc)
            .await
            .map(|_| ()),
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    let (refused, errors) = match outcome {
        Ok(()) => {
            state.app().resume(&actor, install.id).await?;
            return Ok(Redirect::to(&format!("/installs/{}", install.id)).into_response());
        }
        Err(AppError::Invalid(errors)) => (None, errors.errors),
        Err(AppError::EditRefused(refused)) => (Some(refused.to_string()), vec![]),
        Err(AppError::Refused(refusal)) => (Some(refusal.to_string()), vec![]),
        Err(other) => return Err(other.into()),
    };
    let page = EditPage {
        simulated: state.simulated(),
        id: install.id.to_string(),
        name: install.name.clone(),
        yaml: form.spec,
        refused,
        errors,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}
