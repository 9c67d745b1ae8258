//! How the console reaches Azure when set from its settings page (or `PUT /api/v1/settings/azure`)
//! rather than flags: the typed settings, their parsing with one error per field, and the rule
//! that joins them with the flags (a flag or environment variable that is given wins).

use super::settings::{ArmSettings, Cloud, CredentialKind};
use katonic_domain::spec::FieldError;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// The settings page's values, secret excepted (it is stored sealed, apart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    pub credential: CredentialChoice,
    pub cloud: CloudChoice,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    /// A user-assigned managed identity's client id (managed identity only).
    pub managed_identity_client_id: Option<String>,
}

/// What the page offers for the credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialChoice {
    ServicePrincipal,
    ManagedIdentity,
    AzureCli,
}

/// What the page offers for the cloud (a custom cloud needs endpoints: flags only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloudChoice {
    Public,
    China,
    UsGov,
}

impl CredentialChoice {
    pub const ALL: [CredentialChoice; 3] = [
        CredentialChoice::ServicePrincipal,
        CredentialChoice::ManagedIdentity,
        CredentialChoice::AzureCli,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            CredentialChoice::ServicePrincipal => "service-principal",
            CredentialChoice::ManagedIdentity => "managed-identity",
            CredentialChoice::AzureCli => "azure-cli",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            CredentialChoice::ServicePrincipal => "Service principal (client secret)",
            CredentialChoice::ManagedIdentity => "This machine's managed identity",
            CredentialChoice::AzureCli => "Azure CLI login on this machine (az login)",
        }
    }

    fn kind(self) -> CredentialKind {
        match self {
            CredentialChoice::ServicePrincipal => CredentialKind::ServicePrincipal,
            CredentialChoice::ManagedIdentity => CredentialKind::ManagedIdentity,
            CredentialChoice::AzureCli => CredentialKind::AzureCli,
        }
    }
}

impl CloudChoice {
    pub const ALL: [CloudChoice; 3] = [CloudChoice::Public, CloudChoice::China, CloudChoice::UsGov];

    pub fn as_str(&self) -> &'static str {
        match self {
            CloudChoice::Public => "public",
            CloudChoice::China => "china",
            CloudChoice::UsGov => "us-gov",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            CloudChoice::Public => "Azure (public)",
            CloudChoice::China => "Azure China (21Vianet)",
            CloudChoice::UsGov => "Azure Government (US)",
        }
    }

    fn cloud(self) -> Cloud {
        match self {
            CloudChoice::Public => Cloud::Public,
            CloudChoice::China => Cloud::China,
            CloudChoice::UsGov => Cloud::UsGov,
        }
    }
}

/// The settings as stored, with the secret opened.
#[derive(Debug, Clone)]
pub struct SavedConnection {
    pub connection: Connection,
    /// Never printed (`SecretString`), never sent to a browser.
    pub client_secret: Option<SecretString>,
    /// Grows with each save: the worker rebuilds its client when it changes.
    pub revision: i64,
}

/// The form or API body, as text, before parsing.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionInput {
    #[serde(default)]
    pub credential: String,
    #[serde(default)]
    pub cloud: String,
    #[serde(default)]
    pub tenant_id: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub managed_identity_client_id: String,
    /// Empty keeps the stored secret.
    #[serde(default)]
    pub client_secret: Option<SecretString>,
}

/// What to do with the stored secret.
#[derive(Debug, Clone)]
pub enum SecretChange {
    Keep,
    Replace(SecretString),
    Clear,
}

/// Field names as the page and the API know them.
pub mod field {
    pub const CREDENTIAL: &str = "credential";
    pub const CLOUD: &str = "cloud";
    pub const TENANT_ID: &str = "tenantId";
    pub const CLIENT_ID: &str = "clientId";
    pub const MANAGED_IDENTITY_CLIENT_ID: &str = "managedIdentityClientId";
    pub const CLIENT_SECRET: &str = "clientSecret";
}

fn error(
    field: &str,
    rule: &str,
    message: impl Into<String>,
    fix: impl Into<String>,
) -> FieldError {
    FieldError {
        field: field.to_string(),
        rule: rule.to_string(),
        message: message.into(),
        fix: fix.into(),
    }
}

/// An optional GUID field: trimmed, empty is `None`.
fn guid(field: &str, what: &str, value: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match uuid::Uuid::parse_str(value) {
        Ok(id) if value.len() == 36 => Some(id.hyphenated().to_string()),
        _ => {
            errors.push(error(
                field,
                "guid",
                format!("{what} {value:?} is not a GUID"),
                format!("paste the {what} as shown in the Azure portal, e.g. 0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d"),
            ));
            None
        }
    }
}

impl ConnectionInput {
    /// Parse into settings and what to do with the secret; every field's error at once.
    /// `secret_stored` says whether a secret is already kept (a service principal needs one).
    /// `clear_secret` is the page's "clear" action.
    pub fn parse(
        &self,
        secret_stored: bool,
        clear_secret: bool,
    ) -> Result<(Connection, SecretChange), Vec<FieldError>> {
        let mut errors = Vec::new();
        let credential = credential_choice(&self.credential, &mut errors);
        let cloud = cloud_choice(&self.cloud, &mut errors);
        let tenant_id = guid(field::TENANT_ID, "tenant id", &self.tenant_id, &mut errors);
        let client_id = guid(field::CLIENT_ID, "client id", &self.client_id, &mut errors);
        let managed_identity_client_id = guid(
            field::MANAGED_IDENTITY_CLIENT_ID,
            "managed identity client id",
            &self.managed_identity_client_id,
            &mut errors,
        );
        let new_secret = self.client_secret.as_ref().and_then(|s| {
            let text = secrecy::ExposeSecret::expose_secret(s);
            (!text.is_empty()).then_some(text)
        });
        if let Some(text) = new_secret {
            secret_problems(text, &mut errors);
        }
        let change = match (new_secret, clear_secret) {
            (Some(_), true) => {
                errors.push(error(
                    field::CLIENT_SECRET,
                    "replace-or-clear",
                    "a new client secret was entered and clearing it was asked for",
                    "either enter a new secret or clear the stored one, not both",
                ));
                SecretChange::Keep
            }
            (Some(text), false) => SecretChange::Replace(SecretString::from(text.to_string())),
            (None, true) => SecretChange::Clear,
            (None, false) => SecretChange::Keep,
        };
        if credential == Some(CredentialChoice::ServicePrincipal) {
            self.service_principal_needs(
                tenant_id.is_none(),
                client_id.is_none(),
                will_have_secret(&change, secret_stored),
                &mut errors,
            );
        }
        match (credential, cloud, errors.is_empty()) {
            (Some(credential), Some(cloud), true) => Ok((
                Connection {
                    credential,
                    cloud,
                    tenant_id,
                    client_id,
                    managed_identity_client_id,
                },
                change,
            )),
            _ => Err(errors),
        }
    }

    /// What a service principal needs besides valid fields: a tenant id, a client id and a
    /// secret (new or stored). `*_missing` say the field did not parse; an empty one is named.
    fn service_principal_needs(
        &self,
        tenant_missing: bool,
        client_missing: bool,
        will_have_secret: bool,
        errors: &mut Vec<FieldError>,
    ) {
        if tenant_missing && self.tenant_id.trim().is_empty() {
            errors.push(error(
                field::TENANT_ID,
                "required",
                "a service principal needs its tenant id",
                "paste the Directory (tenant) ID from the app registration's Overview page",
            ));
        }
        if client_missing && self.client_id.trim().is_empty() {
            errors.push(error(
                field::CLIENT_ID,
                "required",
                "a service principal needs its client id",
                "paste the Application (client) ID from the app registration's Overview page",
            ));
        }
        if !will_have_secret && !errors.iter().any(|e| e.field == field::CLIENT_SECRET) {
            errors.push(error(
                field::CLIENT_SECRET,
                "required",
                "a service principal needs its client secret and none is stored",
                "paste the secret's Value from the app registration's Certificates & secrets page (or set AZURE_CLIENT_SECRET when starting the console)",
            ));
        }
    }
}

/// Whether a secret will be kept once `change` is applied.
fn will_have_secret(change: &SecretChange, secret_stored: bool) -> bool {
    match change {
        SecretChange::Replace(_) => true,
        SecretChange::Clear => false,
        SecretChange::Keep => secret_stored,
    }
}

fn credential_choice(text: &str, errors: &mut Vec<FieldError>) -> Option<CredentialChoice> {
    match text.trim() {
        "service-principal" | "" => Some(CredentialChoice::ServicePrincipal),
        "managed-identity" => Some(CredentialChoice::ManagedIdentity),
        "azure-cli" => Some(CredentialChoice::AzureCli),
        other => {
            errors.push(error(
                field::CREDENTIAL,
                "one-of",
                format!("credential {other:?} is not one the console knows"),
                "choose service-principal, managed-identity or azure-cli",
            ));
            None
        }
    }
}

fn cloud_choice(text: &str, errors: &mut Vec<FieldError>) -> Option<CloudChoice> {
    match text.trim() {
        "public" | "" => Some(CloudChoice::Public),
        "china" => Some(CloudChoice::China),
        "us-gov" => Some(CloudChoice::UsGov),
        other => {
            errors.push(error(
                field::CLOUD,
                "one-of",
                format!("cloud {other:?} is not one the console knows"),
                "choose public, china or us-gov (a custom cloud is set with --cloud custom and its endpoint flags)",
            ));
            None
        }
    }
}

/// What is wrong with a newly entered client secret, if anything.
fn secret_problems(text: &str, errors: &mut Vec<FieldError>) {
    // The value is never echoed: only what is wrong with it.
    if text.trim() != text {
        errors.push(error(
            field::CLIENT_SECRET,
            "no-surrounding-space",
            "the client secret starts or ends with white space",
            "copy the secret's value again without the spaces or line break around it",
        ));
    } else if text.len() < crate::redact::MIN_SECRET_LEN || text.len() > 1024 {
        errors.push(error(
            field::CLIENT_SECRET,
            "length",
            format!(
                "the client secret is {} characters long; Azure's are 40",
                text.len()
            ),
            "paste the secret's Value (not its Secret ID) from the app registration's Certificates & secrets page",
        ));
    } else if text.chars().any(char::is_control) {
        errors.push(error(
            field::CLIENT_SECRET,
            "printable",
            "the client secret contains control characters",
            "copy the secret's value again",
        ));
    }
}

/// Which settings the flags or environment give, so the page can say they win.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagOverrides {
    pub cloud: Option<String>,
    pub credential: Option<String>,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub managed_identity_client_id: Option<String>,
    /// `AZURE_CLIENT_SECRET` is set (its value is never shown).
    pub client_secret: bool,
}

impl FlagOverrides {
    pub fn any(&self) -> bool {
        *self != FlagOverrides::default()
    }
}

/// A flag's cloud counts as given when it is not the default (public) or names endpoints.
fn flag_cloud_given(flags: &ArmSettings) -> bool {
    flags.cloud != Cloud::Public || flags.arm_endpoint.is_some() || flags.authority_host.is_some()
}

/// The flags' credential kind counts as given when it is not the default (service principal).
fn flag_credential_given(flags: &ArmSettings) -> bool {
    flags.credential != CredentialKind::ServicePrincipal
}

/// What the flags (and environment) set; `flags` should already hold the environment's secret.
pub fn overrides(flags: &ArmSettings) -> FlagOverrides {
    FlagOverrides {
        cloud: flag_cloud_given(flags).then(|| format!("{:?}", flags.cloud).to_lowercase()),
        credential: flag_credential_given(flags).then(|| format!("{:?}", flags.credential)),
        tenant_id: flags.tenant_id.clone(),
        client_id: flags.client_id.clone(),
        managed_identity_client_id: flags.managed_identity_client_id.clone(),
        client_secret: flags.client_secret.is_some(),
    }
}

/// The settings in effect: each setting the flags or environment give wins, the saved ones fill
/// the rest. (The cloud and credential kind have defaults, so only a non-default flag counts as
/// given: `--cloud public` cannot override a saved other cloud; leave the saved one instead.)
pub fn effective(flags: &ArmSettings, saved: Option<&SavedConnection>) -> ArmSettings {
    let mut settings = flags.clone();
    let Some(saved) = saved else {
        return settings;
    };
    let c = &saved.connection;
    if !flag_cloud_given(flags) {
        settings.cloud = c.cloud.cloud();
    }
    if !flag_credential_given(flags) {
        settings.credential = c.credential.kind();
    }
    settings.tenant_id = flags.tenant_id.clone().or_else(|| c.tenant_id.clone());
    settings.client_id = flags.client_id.clone().or_else(|| c.client_id.clone());
    settings.managed_identity_client_id = flags
        .managed_identity_client_id
        .clone()
        .or_else(|| c.managed_identity_client_id.clone());
    settings.client_secret = flags
        .client_secret
        .clone()
        .or_else(|| saved.client_secret.clone());
    settings
}

#[cfg(test)]
#[path = "connection_tests.rs"]
mod tests;
