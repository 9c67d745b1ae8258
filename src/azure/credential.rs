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
        CredentialKind::ServicePrincipal => {
            let missing = |name: &str| {
                ArmError::Config(format!(
                    "--credential service-principal needs {name} (set it in the environment)"
                ))
            };
            let tenant = settings
                .tenant_id
                .as_deref()
                .ok_or_else(|| missing("AZURE_TENANT_ID"))?;
            let client = settings
                .client_id
                .clone()
                .ok_or_else(|| missing("AZURE_CLIENT_ID"))?;
            let secret = settings
                .client_secret
                .as_ref()
                .ok_or_else(|| missing("AZURE_CLIENT_SECRET"))?;
            let credential = ClientSecretCredential::new(
                tenant,
                client,
                Secret::new(secret.expose_secret().to_string()),
                Some(ClientSecretCredentialOptions {
                    client_options: client_options(),
                }),
            )
            .map_err(|e| failed("service principal credential", e))?;
            Ok(credential)
        }
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
