//! The Azure connection settings: a page (`/settings`) and `GET`/`PUT /api/v1/settings/azure`.
//! The client secret is write-only: stored sealed, shown only as "set", never sent back.

use super::AppState;
use super::error::{ApiError, WebError, render};
use super::filters;
use crate::azure::connection::{
    CloudChoice, ConnectionInput, CredentialChoice, FlagOverrides, SavedConnection, field,
};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use katonic_domain::spec::FieldError;
use serde::{Deserialize, Serialize};

/// An option of a `<select>`.
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    pub simulated: bool,
    pub saved_notice: bool,
    pub credentials: Vec<Choice>,
    pub clouds: Vec<Choice>,
    pub tenant_id: String,
    pub client_id: String,
    pub managed_identity_client_id: String,
    /// A client secret is stored (its value is never rendered).
    pub secret_set: bool,
    pub overrides: FlagOverrides,
    pub errors: Vec<FieldError>,
    /// Who changed these settings and when (newest first; values never shown).
    pub changes: Vec<super::views::AuditRow>,
    /// How preflight learns where the console runs (`panels/placement_source.html`).
    pub placement: String,
}

/// How preflight will learn where the console runs, from the flags: no Azure call here.
pub(super) fn placement_note(state: &AppState) -> String {
    if state.simulated() {
        return format!(
            "Simulated: the console is placed by --simulate-console-network ({}).",
            state.config.engine.simulate_console_network
        );
    }
    let source = crate::azure::placement::PlacementSource::from_settings(&state.config.arm);
    match (source.console_subnet, source.imds) {
        (Some(subnet), _) => format!("Given: subnet {subnet} (--console-subnet)."),
        (None, Some(url)) => format!(
            "Detected at preflight: the instance metadata service at {url}, then the VM's NIC, subnet and VNet through ARM."
        ),
        (None, None) => "Outside Azure: the cloud is custom and no --console-subnet is given, so no metadata service is asked.".into(),
    }
}

impl SettingsPage {
    /// The first error of `field`, for the message under its input.
    pub fn error_of(&self, field: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.field == field)
    }
}

/// The form's fields (names as the API's JSON); `action` is `save` or `clear-secret`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsForm {
    #[serde(default)]
    credential: String,
    #[serde(default)]
    cloud: String,
    #[serde(default)]
    tenant_id: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    managed_identity_client_id: String,
    #[serde(default)]
    client_secret: Option<secrecy::SecretString>,
    #[serde(default)]
    action: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// The flags and environment in effect (the environment's secret included, never shown).
fn flag_overrides(state: &AppState) -> FlagOverrides {
    crate::azure::connection::overrides(&state.config.arm.clone().with_secret_from_env())
}

fn choices<T: Copy + PartialEq>(
    all: &[T],
    selected: T,
    value: fn(&T) -> &'static str,
    label: fn(&T) -> &'static str,
) -> Vec<Choice> {
    all.iter()
        .map(|c| Choice {
            value: value(c),
            label: label(c),
            selected: *c == selected,
        })
        .collect()
}

fn page(
    state: &AppState,
    input: &ConnectionInput,
    secret_set: bool,
    errors: Vec<FieldError>,
    saved_notice: bool,
) -> SettingsPage {
    let credential = match input.credential.as_str() {
        "managed-identity" => CredentialChoice::ManagedIdentity,
        "azure-cli" => CredentialChoice::AzureCli,
        _ => CredentialChoice::ServicePrincipal,
    };
    let cloud = match input.cloud.as_str() {
        "china" => CloudChoice::China,
        "us-gov" => CloudChoice::UsGov,
        _ => CloudChoice::Public,
    };
    SettingsPage {
        placement: placement_note(state),
        simulated: state.simulated(),
        saved_notice,
        credentials: choices(
            &CredentialChoice::ALL,
            credential,
            CredentialChoice::as_str,
            CredentialChoice::label,
        ),
        clouds: choices(
            &CloudChoice::ALL,
            cloud,
            CloudChoice::as_str,
            CloudChoice::label,
        ),
        tenant_id: input.tenant_id.clone(),
        client_id: input.client_id.clone(),
        managed_identity_client_id: input.managed_identity_client_id.clone(),
        secret_set,
        overrides: flag_overrides(state),
        errors,
        changes: Vec::new(),
    }
}

/// The saved settings as the form shows them (no secret).
fn input_of(saved: Option<&SavedConnection>) -> ConnectionInput {
    let Some(saved) = saved else {
        return ConnectionInput::default();
    };
    let c = &saved.connection;
    ConnectionInput {
        credential: c.credential.as_str().to_string(),
        cloud: c.cloud.as_str().to_string(),
        tenant_id: c.tenant_id.clone().unwrap_or_default(),
        client_id: c.client_id.clone().unwrap_or_default(),
        managed_identity_client_id: c.managed_identity_client_id.clone().unwrap_or_default(),
        client_secret: None,
    }
}

/// `GET /settings`
pub async fn get_settings(
    State(state): State<AppState>,
    Query(query): Query<SavedQuery>,
) -> Result<Response, WebError> {
    let saved = state.store.azure_connection().await?;
    let secret_set = saved.as_ref().is_some_and(|s| s.client_secret.is_some());
    let mut view = page(
        &state,
        &input_of(saved.as_ref()),
        secret_set,
        Vec::new(),
        query.saved.is_some(),
    );
    view.changes = state
        .store
        .audit_recent(200)
        .await?
        .iter()
        .filter(|e| e.action == crate::store::AuditAction::Settings.as_str())
        .take(10)
        .map(super::views::AuditRow::new)
        .collect();
    Ok(render(&view)?.into_response())
}

/// Parse and save; the field errors when the input is not valid.
async fn save(
    state: &AppState,
    by: &crate::access::Principal,
    input: &ConnectionInput,
    clear: bool,
) -> Result<Result<(), Vec<FieldError>>, WebError> {
    let saved = state.store.azure_connection().await?;
    let secret_stored = saved.as_ref().is_some_and(|s| s.client_secret.is_some());
    let (connection, change) = match input.parse(secret_stored, clear) {
        Ok(parsed) => parsed,
        Err(errors) => return Ok(Err(errors)),
    };
    state
        .store
        .put_azure_connection(&connection, &change)
        .await?;
    tracing::info!(
        credential = connection.credential.as_str(),
        cloud = connection.cloud.as_str(),
        "Azure connection settings saved"
    );
    // Which settings, never their values.
    super::guard::record(
        state,
        by,
        crate::store::AuditAction::Settings,
        None,
        &format!(
            "Azure connection: {} credential, {} cloud{}",
            connection.credential.as_str(),
            connection.cloud.as_str(),
            if clear { ", client secret cleared" } else { "" }
        ),
    )
    .await;
    Ok(Ok(()))
}

/// `POST /settings`: save, or clear the stored secret (`action=clear-secret`).
pub async fn post_settings(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<crate::access::Principal>,
    Form(form): Form<SettingsForm>,
) -> Result<Response, WebError> {
    let clear = form.action == "clear-secret";
    let input = ConnectionInput {
        credential: form.credential,
        cloud: form.cloud,
        tenant_id: form.tenant_id,
        client_id: form.client_id,
        managed_identity_client_id: form.managed_identity_client_id,
        client_secret: form.client_secret,
    };
    match save(&state, &principal, &input, clear).await? {
        Ok(()) => Ok(Redirect::to("/settings?saved=1").into_response()),
        Err(errors) => {
            let secret_set = state
                .store
                .azure_connection()
                .await?
                .is_some_and(|s| s.client_secret.is_some());
            // The entered secret is not echoed back: the admin enters it again.
            let view = page(&state, &input, secret_set, errors, false);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&view)?).into_response())
        }
    }
}

/// The API's view of the settings: the secret only as `clientSecretSet`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiSettings {
    credential: &'static str,
    cloud: &'static str,
    tenant_id: Option<String>,
    client_id: Option<String>,
    managed_identity_client_id: Option<String>,
    client_secret_set: bool,
    /// 0 until first saved.
    revision: i64,
    /// Settings given by flags or environment variables, which win over these.
    overridden_by_flags: Vec<&'static str>,
}

fn api_view(state: &AppState, saved: Option<&SavedConnection>) -> ApiSettings {
    let o = flag_overrides(state);
    let overridden = [
        (field::CLOUD, o.cloud.is_some()),
        (field::CREDENTIAL, o.credential.is_some()),
        (field::TENANT_ID, o.tenant_id.is_some()),
        (field::CLIENT_ID, o.client_id.is_some()),
        (
            field::MANAGED_IDENTITY_CLIENT_ID,
            o.managed_identity_client_id.is_some(),
        ),
        (field::CLIENT_SECRET, o.client_secret),
    ]
    .into_iter()
    .filter_map(|(f, on)| on.then_some(f))
    .collect();
    let c = saved.map(|s| &s.connection);
    ApiSettings {
        credential: c.map_or("service-principal", |c| c.credential.as_str()),
        cloud: c.map_or("public", |c| c.cloud.as_str()),
        tenant_id: c.and_then(|c| c.tenant_id.clone()),
        client_id: c.and_then(|c| c.client_id.clone()),
        managed_identity_client_id: c.and_then(|c| c.managed_identity_client_id.clone()),
        client_secret_set: saved.is_some_and(|s| s.client_secret.is_some()),
        revision: saved.map_or(0, |s| s.revision),
        overridden_by_flags: overridden,
    }
}

/// `GET /api/v1/settings/azure`
pub async fn get_api(State(state): State<AppState>) -> Result<Json<ApiSettings>, ApiError> {
    let saved = state.store.azure_connection().await?;
    Ok(Json(api_view(&state, saved.as_ref())))
}

/// `PUT /api/v1/settings/azure` body: the settings; `clientSecret` absent or empty keeps the
/// stored one, `clearClientSecret: true` removes it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiInput {
    #[serde(flatten)]
    input: ConnectionInput,
    #[serde(default)]
    clear_client_secret: bool,
}

/// `PUT /api/v1/settings/azure`
pub async fn put_api(
    State(state): State<AppState>,
    axum::Extension(principal): axum::Extension<crate::access::Principal>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let body: ApiInput = serde_json::from_slice(&body).map_err(|e| {
        // Position only: serde's own message may quote the value, which may be the secret.
        WebError::BadRequest(format!(
            "the body is not the settings' JSON object ({:?} error at line {} column {}); send \
             credential, cloud, tenantId, clientId, managedIdentityClientId, clientSecret as strings",
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    match save(&state, &principal, &body.input, body.clear_client_secret).await? {
        Ok(()) => {
            let saved = state.store.azure_connection().await?;
            Ok(Json(api_view(&state, saved.as_ref())).into_response())
        }
        Err(errors) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(serde_json::json!({
                "message": format!("the Azure settings have {} error(s)", errors.len()),
                "errors": errors,
            })),
        )
            .into_response()),
    }
}
