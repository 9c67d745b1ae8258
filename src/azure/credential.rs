//! The token credential the settings ask for (`azure_identity`), sharing the ARM client's HTTP
//! client so the extra CA applies to Entra ID too.

use super::error::ArmError;
use super::settings::{ArmSettings, CredentialKind};
use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions, Transport};
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientSecretCredential,
    ClientSecretCredentialOptions, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    UserAssignedId,
};
use secrecy::ExposeSecret;
use std::sync::Arc;

/// Token requests retry a few times within seconds, not azure_core's default 8 times over a
/// minute: with no route to Entra ID the admin then learns so in seconds (issue 16: 82 s of
/// "running" with no message), and the step's own policy retries what is worth retrying.
fn token_retry() -> RetryOptions {
    RetryOptions::exponential(ExponentialRetryOptions {
        initial_delay: azure_core::time::Duration::milliseconds(200),
        max_retries: 3,
        max_total_elapsed: azure_core::time::Duration::seconds(10),
        max_delay: azure_core::time::Duration::seconds(2),
    })
}

/// Build the credential of `settings.credential`; a missing setting is named, never guessed.
pub fn build(
    settings: &ArmSettings,
    authority_host: &str,
    http: &reqwest::Client,
) -> Result<Arc<dyn TokenCredential>, ArmError> {
    let client_options = || {
        let mut cloud = CustomConfiguration::default();
        cloud.authority_host = authority_host.to_string();
        ClientOptions {
            transport: Some(Transport::new(Arc::new(http.clone()))),
            cloud: Some(Arc::new(CloudConfiguration::from(cloud))),
            retry: token_retry(),
            ..Default::default()
        }
    };
    let failed = |what: &str, e: azure_core::Error| ArmError::Config(format!("{what}: {e}"));
    match settings.credential {
        CredentialKind::ServicePrincipal => service_principal(settings, client_options()),
        CredentialKind::ManagedIdentity => {
            let credential =
                ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                    user_assigned_id: settings
                        .managed_identity_client_id
                        .clone()
                        .map(UserAssignedId::ClientId),
                    client_options: client_options(),
                }))
                .map_err(|e| failed("managed identity credential", e))?;
            Ok(credential)
        }
        CredentialKind::AzureCli => {
            let credential = AzureCliCredential::new(Some(AzureCliCredentialOptions {
                tenant_id: settings.tenant_id.clone(),
                ..Default::default()
            }))
            .map_err(|e| failed("Azure CLI credential", e))?;
            Ok(credential)
        }
    }
}

/// A client-secret credential; every missing setting is named at once (an admin fixes them in
/// one go).
fn service_principal(
    settings: &ArmSettings,
    client_options: ClientOptions,
) -> Result<Arc<dyn TokenCredential>, ArmError> {
    let (Some(tenant), Some(client), Some(secret)) = (
        settings.tenant_id.as_deref(),
        settings.client_id.clone(),
        settings.client_secret.as_ref(),
    ) else {
        let missing: Vec<&str> = [
            ("AZURE_TENANT_ID (tenant id)", settings.tenant_id.is_none()),
            ("AZURE_CLIENT_ID (client id)", settings.client_id.is_none()),
            (
                "AZURE_CLIENT_SECRET (client secret)",
                settings.client_secret.is_none(),
            ),
        ]
        .into_iter()
        .filter_map(|(name, absent)| absent.then_some(name))
        .collect();
        return Err(ArmError::Config(format!(
            "--credential service-principal needs {}: set them on the settings page (/settings) \
             or in the environment",
            missing.join(", ")
        )));
    };
    let credential = ClientSecretCredential::new(
        tenant,
        client,
        Secret::new(secret.expose_secret().to_string()),
        Some(ClientSecretCredentialOptions { client_options }),
    )
    .map_err(|e| ArmError::Config(format!("service principal credential: {e}")))?;
    Ok(credential)
}
