//! History, install detail, new/upload/clone, queueing, and the YAML download.

use super::AppState;
use super::error::{WebError, render};
use super::views::{HistoryPage, HistoryRow, InstallPage};
use super::wizard::load_install;
use crate::store::InstallStatus;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use katonic_domain::spec;

/// `GET /`
pub async fn get_home() -> Redirect {
    Redirect::to("/installs")
}

/// Unknown routes.
pub async fn not_found() -> WebError {
    WebError::NotFound("no such page".to_string())
}

/// `GET /installs`: every install, newest activity first.
pub async fn get_history(State(state): State<AppState>) -> Result<Response, WebError> {
    history_page(&state, Vec::new(), StatusCode::OK).await
}

async fn history_page(
    state: &AppState,
    upload_errors: Vec<spec::FieldError>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let rows = state
        .store
        .history(&spec::default_document())
        .await?
        .iter()
        .map(HistoryRow::from)
        .collect();
    let page = HistoryPage {
        simulated: state.simulated(),
        rows,
        upload_errors,
    };
    Ok((status, render(&page)?).into_response())
}

/// `POST /installs/new`: a draft with the wizard's defaults (the untouched one, if there is
/// one: a click does not save another empty draft; it shows in the history once edited).
pub async fn post_new_install(State(state): State<AppState>) -> Result<Redirect, WebError> {
    let id = state.app().new_draft().await?;
    Ok(Redirect::to(&format!("/installs/{id}/wizard/azure")))
}

/// `POST /installs/upload` (multipart: `file` or `yaml`): a draft from a YAML or JSON document.
/// A document that does not parse structurally is refused with its errors; one that parses but
/// has invalid values becomes a draft whose review page lists what to fix.
pub async fn post_upload(
    State(state): State<AppState>,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let mut text = String::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| WebError::BadRequest(format!("upload: {e}")))?
    {
        if matches!(field.name(), Some("file" | "yaml")) {
            let part = field
                .text()
                .await
                .map_err(|e| WebError::BadRequest(format!("upload: {e}")))?;
            if !part.trim().is_empty() {
                text = part;
            }
        }
    }
    if text.trim().is_empty() {
        let error = spec::Invalid::new(
            "required",
            "no document was uploaded",
            "choose a YAML or JSON file, or paste the document",
        )
        .at("document");
        return history_page(&state, vec![error], StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    // JSON is YAML, so one parser reads both.
    match super::spec_text::parse_upload(text).await? {
        Ok(doc) => {
            let id = state.app().create_draft(doc, None).await?;
            Ok(Redirect::to(&format!("/installs/{id}/review")).into_response())
        }
        Err(errors) => history_page(&state, errors.errors, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

/// `POST /installs/{id}/clone`: a new draft with the same answers, the next free name and the
/// uploaded certificate.
pub async fn post_clone(
    State(state): State<AppState>,
    axum::extract::Extension(principal): axum::extract::Extension<crate::access::Principal>,
    Path(id): Path<String>,
) -> Result<Redirect, WebError> {
    let source = super::wizard::parse_id(&id)?;
    let cloned = state
        .app()
        .clone_install(&super::guard::actor(&principal), source)
        .await?;
    Ok(Redirect::to(&format!(
        "/installs/{}/wizard/azure",
        cloned.id
    )))
}

/// `POST /installs/{id}/delete`: delete a draft (refused for anything that ran), back to the
/// history.
pub async fn post_delete(
    State(state): State<AppState>,
    axum::extract::Extension(principal): axum::extract::Extension<crate::access::Principal>,
    Path(id): Path<String>,
) -> Result<Redirect, WebError> {
    let id = super::wizard::parse_id(&id)?;
    state
        .app()
        .delete_draft(&super::guard::actor(&principal), id)
        .await?;
    Ok(Redirect::to("/installs"))
}

/// `GET /installs/{id}`
pub async fn get_install(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let install = load_install(&state, &id).await?;
    let steps = state.store.steps(install.id).await?;
    let page = InstallPage {
        simulated: state.simulated(),
        id: install.id.to_string(),
        name: install.name.clone(),
        status: install.status.to_string(),
        is_draft: install.status == InstallStatus::Draft,
        target: crate::format::target(
            install.subscription_id.as_deref(),
            install.resource_group.as_deref(),
            install.cluster_name.as_deref(),
        ),
        created: crate::format::timestamp(install.created_at),
        updated: crate::format::timestamp(install.updated_at),
        cloned_from: install.cloned_from.map(|c| c.to_string()),
        wizard_url: format!("/installs/{}/wizard/{}", install.id, install.wizard_step),
        has_spec: install.spec.is_some(),
        plan: install
            .plan
            .as_ref()
            .map(|p| super::resolved::plan_view(p, install.spec.as_ref(), &steps)),
        run: super::run_pages::run_page(&state.store, &install).await?,
        audit: state
            .store
            .audit_of_install(install.id)
            .await?
            .iter()
            .map(super::views::AuditRow::new)
            .collect(),
        teardown: super::teardown::links(&state.store, &install).await?,
        rehearsal_clock: rehearsal_clock(&state),
    };
    Ok(render(&page)?.into_response())
}

/// What a rehearsal's step times mean: the simulator runs Azure's operations on a scaled clock,
/// so a step "took" a fraction of the "expected" time (which is Azure's).
fn rehearsal_clock(state: &AppState) -> Option<String> {
    let scale = state.config.engine.time_scale;
    state.simulated().then(|| {
        if scale > 0.0 && scale < 1.0 {
            format!(
                "Rehearsal: simulated Azure runs {:.0}× faster than Azure, so a step's \"took\" is a fraction of its \"expected\" time, which is what Azure usually takes.",
                1.0 / scale
            )
        } else if scale <= 0.0 {
            "Rehearsal: simulated Azure answers at once, so steps take about 0s; \"expected\" is what Azure usually takes.".to_string()
        } else {
            "Rehearsal: simulated Azure; \"expected\" is what Azure usually takes.".to_string()
        }
    })
}

/// `GET /installs/{id}/spec.yaml`: the validated document (or, for an invalid draft, the answers).
pub async fn get_spec_yaml(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let install = load_install(&state, &id).await?;
    let doc = install.spec.as_ref().unwrap_or(&install.answers);
    let file = format!(
        "attachment; filename=\"katonic-{}.yaml\"",
        safe_file_name(&install.name)
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/yaml; charset=utf-8".to_string(),
            ),
            (header::CONTENT_DISPOSITION, file),
        ],
        spec::to_yaml(doc),
    )
        .into_response())
}

/// `GET /installs/{id}/egress-allowlist.txt`: how each subnet reaches the internet and every
/// destination the cluster and the install need, for a firewall team (from the validated spec).
pub async fn get_egress_allowlist(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let install = load_install(&state, &id).await?;
    let spec =
        katonic_domain::spec::InstallSpec::parse(&install.answers).map_err(WebError::Invalid)?;
    let text = katonic_domain::plan::egress::allow_list_text(
        &spec,
        crate::cluster::manifests::DEFAULT_INSTALLER_REPOSITORY,
    );
    let file = format!(
        "attachment; filename=\"katonic-{}-egress.txt\"",
        safe_file_name(&install.name)
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
            (header::CONTENT_DISPOSITION, file),
        ],
        text,
    )
        .into_response())
}

/// Draft names are free text until validated: keep the header well-formed.
fn safe_file_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
