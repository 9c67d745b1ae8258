//! Where ARM and Entra ID are, how the console authenticates, and which CA it trusts: chosen
//! explicitly by flags or `KATONIC_*` / `AZURE_*` environment variables, never by silently
//! falling back from one credential kind to another.

use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// The Azure cloud (sets the ARM endpoint and the authority host unless overridden).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Cloud {
    Public,
    China,
    UsGov,
    /// Endpoints given by `--arm-endpoint` and `--authority-host` (Azure Stack, a simulator).
    Custom,
}

impl Cloud {
    /// (ARM endpoint, authority host) of the cloud.
    pub fn endpoints(&self) -> Option<(&'static str, &'static str)> {
        match self {
            Cloud::Public => Some((
                "https://management.azure.com",
                "https://login.microsoftonline.com",
            )),
            Cloud::China => Some((
                "https://management.chinacloudapi.cn",
                "https://login.chinacloudapi.cn",
            )),
            Cloud::UsGov => Some((
                "https://management.usgovcloudapi.net",
                "https://login.microsoftonline.us",
            )),
            Cloud::Custom => None,
        }
    }
}

/// How the console gets its ARM tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CredentialKind {
    /// Client secret of a service principal: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
    /// `AZURE_CLIENT_SECRET`.
    ServicePrincipal,
    /// The jumphost's managed identity (`--managed-identity-client-id` for a user-assigned one).
    ManagedIdentity,
    /// The Azure CLI's login on this host (`az login`).
    AzureCli,
}

/// ARM settings of `serve` and `install`.
#[derive(Debug, Clone, Args)]
pub struct ArmSettings {
    /// Which Azure cloud.
    #[arg(long, value_enum, env = "KATONIC_CLOUD", default_value = "public")]
    pub cloud: Cloud,

    /// ARM endpoint (with `--cloud custom`, or to override the cloud's).
    #[arg(long, env = "KATONIC_ARM_ENDPOINT")]
    pub arm_endpoint: Option<String>,

    /// Entra ID authority host (with `--cloud custom`, or to override the cloud's).
    #[arg(long, env = "KATONIC_AUTHORITY_HOST")]
    pub authority_host: Option<String>,

    /// A PEM file of extra CA certificates to trust (TLS-inspecting proxies, the simulator).
    #[arg(long, env = "KATONIC_CA_FILE")]
    pub ca_file: Option<PathBuf>,

    /// Which credential to use; there is no automatic fallback.
    #[arg(
        long,
        value_enum,
        env = "KATONIC_CREDENTIAL",
        default_value = "service-principal"
    )]
    pub credential: CredentialKind,

    /// Client id of a user-assigned managed identity (with `--credential managed-identity`).
    #[arg(long, env = "KATONIC_MANAGED_IDENTITY_CLIENT_ID")]
    pub managed_identity_client_id: Option<String>,

    /// Service principal tenant (with `--credential service-principal`).
    #[arg(long, env = "AZURE_TENANT_ID")]
    pub tenant_id: Option<String>,

    /// Service principal client id (with `--credential service-principal`).
    #[arg(long, env = "AZURE_CLIENT_ID")]
    pub client_id: Option<String>,

    /// Service principal secret: from the environment only, so it is not in the process list.
    #[arg(skip)]
    pub client_secret: Option<secrecy::SecretString>,

    /// The ARM id of the subnet the console runs in
    /// (`/subscriptions/…/virtualNetworks/<vnet>/subnets/<subnet>`), instead of asking the
    /// instance metadata service: preflight decides from it how the cluster is reached.
    #[arg(long, env = "KATONIC_CONSOLE_SUBNET")]
    pub console_subnet: Option<String>,

    /// The instance metadata service's base URL. Default: Azure's own (169.254.169.254), asked
    /// only with a public, China or US Gov cloud and no --console-subnet; a standalone
    /// simulator's env file points it at the simulated one.
    #[arg(long, env = "KATONIC_IMDS_ENDPOINT")]
    pub imds_endpoint: Option<String>,

    /// The console's network reaches the cluster's VNet by means the console cannot see (a VPN
    /// or ExpressRoute from on premises, a hub VNet, custom DNS forwarding the private zone):
    /// preflight then takes direct access as working instead of choosing Run Command; the first
    /// cluster step still says plainly if the API server does not answer.
    #[arg(long, env = "KATONIC_LINE_OF_SIGHT")]
    pub line_of_sight: bool,
}

impl ArmSettings {
    /// Read the secret from `AZURE_CLIENT_SECRET` (never a flag: flags show in `ps`).
    pub fn with_secret_from_env(mut self) -> Self {
        if self.client_secret.is_none() {
            self.client_secret = std::env::var("AZURE_CLIENT_SECRET")
                .ok()
                .filter(|s| !s.is_empty())
                .map(secrecy::SecretString::from);
        }
        self
    }

    /// The ARM endpoint and authority host in effect, or why they are missing.
    pub fn endpoints(&self) -> Result<(String, String), String> {
        let defaults = self.cloud.endpoints();
        let arm = self
            .arm_endpoint
            .clone()
            .or_else(|| defaults.map(|d| d.0.to_string()))
            .ok_or("--cloud custom needs --arm-endpoint (or KATONIC_ARM_ENDPOINT)")?;
        let authority = self
            .authority_host
            .clone()
            .or_else(|| defaults.map(|d| d.1.to_string()))
            .ok_or("--cloud custom needs --authority-host (or KATONIC_AUTHORITY_HOST)")?;
        for (what, url) in [("ARM endpoint", &arm), ("authority host", &authority)] {
            if !url.starts_with("https://") {
                return Err(format!(
                    "the {what} must use https (Azure requires TLS): {url}"
                ));
            }
        }
        Ok((
            arm.trim_end_matches('/').to_string(),
            authority.trim_end_matches('/').to_string(),
        ))
    }
}
