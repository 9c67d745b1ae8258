//! The admin kubeconfig an admin downloads after a success: fetched from Azure by the steps'
//! executor when asked (the web makes no Azure call itself), handed straight to the response,
//! never stored and never logged.

use katonic_domain::InstallId;
use katonic_domain::spec::InstallSpec;
use secrecy::SecretSlice;

/// What the executor needs to fetch an install's admin kubeconfig.
pub struct KubeconfigRequest {
    pub install: InstallId,
    pub spec: InstallSpec,
    /// The Azure settings saved when the download is asked for.
    pub saved: Option<crate::azure::connection::SavedConnection>,
}

/// The kubeconfig AKS returned (`listClusterAdminCredential`). Dropped with the response.
pub struct AdminKubeconfig {
    /// AKS's name for it (`clusterAdmin`).
    pub name: String,
    pub yaml: SecretSlice<u8>,
}

/// Why the kubeconfig could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum KubeconfigError {
    #[error(
        "this console has no Azure client (its steps are scripted), so it cannot fetch a kubeconfig"
    )]
    NoAzure,
    /// The settings the client is built from do not make a client.
    #[error("{0}")]
    Settings(String),
    /// Azure refused or failed: its code and message, and what to do.
    #[error("Azure did not give the admin kubeconfig ({code}): {message}. {hint}")]
    Azure {
        code: String,
        message: String,
        hint: String,
    },
}
