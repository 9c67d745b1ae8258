//! The domain page's certificate upload: the section showing what is stored, and the form's
//! `POST`, which checks the certificate and key against the draft's hosts.

use super::{DOMAIN, FormPairs, find_step, load_install, step_page, value, wizard_url};
use crate::app::certificate;
use crate::app::review;
use crate::store::{InstallRecord, InstallStatus};
use crate::web::AppState;
use crate::web::error::{WebError, render};
use crate::web::views;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use katonic_domain::spec::InstallDocument;

/// The domain page's certificate section for `answers`: what is stored, and why it cannot be
/// used now if so.
pub(super) async fn certificate_section(
    state: &AppState,
    install: &InstallRecord,
    answers: &InstallDocument,
) -> Result<views::CertificateSection, WebError> {
    let visible = certificate::wants_upload(answers);
    let hosts = certificate::hosts_of(answers);
    let status = certificate::status(
        &state.store,
        install.id,
        hosts.as_deref(),
        time::OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(views::CertificateSection {
        oob: false,
        visible,
        action_url: format!("/installs/{}/certificate", install.id),
        stored: status.summary.as_ref().map(views::CertificateView::new),
        key_stored: status.key_stored,
        // Before anything is uploaded the form itself says what to do.
        problem: status.problem.filter(|_| status.summary.is_some()),
        certificate_pem: String::new(),
        certificate_error: None,
        key_error: None,
    })
}

/// `POST /installs/{id}/certificate`: check the pasted certificate and key against the draft's
/// hosts and store them sealed; a refusal shows the domain page again with each field's error.
pub async fn post_certificate(
    State(state): State<AppState>,
    axum::extract::Extension(principal): axum::extract::Extension<crate::access::Principal>,
    Path(id): Path<String>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, WebError> {
    let install = load_install(&state, &id).await?;
    if install.status != InstallStatus::Draft {
        return Err(WebError::Conflict(format!(
            "install {} is {}: its certificate is replaced with PUT /api/v1/installs/{}/certificate",
            install.id, install.status, install.id
        )));
    }
    let pem = value(&pairs, "certificate").unwrap_or("");
    let key = value(&pairs, "key").map(|k| secrecy::SecretString::from(k.to_string()));
    let refused = match state
        .app()
        .upload_certificate(&crate::web::guard::actor(&principal), &install, pem, key)
        .await
    {
        Ok(_) => {
            let url = format!("{}#certificate", wizard_url(install.id, DOMAIN));
            return Ok(Redirect::to(&url).into_response());
        }
        Err(certificate::CertificateError::Invalid(errors)) => errors,
        Err(certificate::CertificateError::Store(e)) => return Err(e.into()),
    };
    let step = find_step(DOMAIN)?;
    let spec_errors = review::review(&install.answers, review::today()).err();
    let mut page = step_page(&install, step, spec_errors.as_ref(), false)?;
    page.simulated = state.simulated();
    let mut section = certificate_section(&state, &install, &install.answers).await?;
    section.problem = None;
    section.certificate_pem = pem.to_string();
    for e in refused.errors {
        if certificate::is_key_field(&e) {
            section.key_error = Some(e);
        } else if e.field == crate::cluster::tls::CERTIFICATE_FIELD {
            section.certificate_error = Some(e);
        } else {
            // Not the upload's fault (no domain yet): said above the form.
            section.problem = Some(e);
        }
    }
    page.certificate = Some(section);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}
