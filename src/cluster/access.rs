//! Reaching the cluster's API server: a `kube::Client` from the admin kubeconfig (held in
//! memory only) or, for an Entra-only cluster, from the user kubeconfig's server and CA plus an
//! Entra ID bearer token; and, when the private API server cannot be reached, a diagnosis that
//! says why instead of a hang.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use base64::Engine as _;
use kube::config::{AuthInfo, KubeConfigOptions, Kubeconfig};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use secrecy::{ExposeSecret, SecretSlice, SecretString};

/// How long a connection attempt may take before we call the server unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the console cannot use the cluster.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("the cluster's kubeconfig cannot be used: {0}")]
    Kubeconfig(String),
    #[error("{0}")]
    Unreachable(#[from] Unreachable),
}

/// Why the API server does not answer, each with what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreachable {
    #[error(
        "the API server name {host} does not resolve from this machine: the cluster's private DNS zone \
         (privatelink.<region>.azmk8s.io) is not linked to this VNet, or the VNet uses custom DNS \
         servers without a forwarder to Azure DNS (168.63.129.16). Link the zone to the jumphost's \
         VNet (az network private-dns link vnet create) or add a conditional forwarder for azmk8s.io"
    )]
    NameNotResolved { host: String },
    #[error(
        "the API server name {host} resolves to the public address {address}, but the cluster is \
         private: this machine's DNS does not use the cluster's private DNS zone. Point the \
         jumphost at Azure DNS (168.63.129.16) or a forwarder to it"
    )]
    ResolvesPublic { host: String, address: IpAddr },
    #[error(
        "no answer from the API server at {address} within {secs} s: the console is not running \
         inside the cluster's VNet (or a peered one), or a network security group or firewall \
         blocks TCP 443. Run the console on the jumphost in the VNet"
    )]
    NoAnswer { address: SocketAddr, secs: u64 },
    #[error(
        "the API server at {address} refused the connection: the private endpoint is not ready \
         or the address belongs to something else; check the cluster's private endpoint"
    )]
    Refused { address: SocketAddr },
}

/// The AKS Entra ID server application ("Azure Kubernetes Service AAD Server"): one id in every
/// tenant, the audience of the tokens an AKS-managed Entra ID cluster accepts (kubelogin's
/// `--server-id`).
pub const AKS_SERVER_APP_ID: &str = "6dae42f8-4368-4678-94ff-3960e28e3630";

/// The scope to ask Entra ID for a token of [`AKS_SERVER_APP_ID`] with client credentials.
pub const AKS_SERVER_SCOPE: &str = "6dae42f8-4368-4678-94ff-3960e28e3630/.default";

/// How the console signs in to a cluster's API server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessMode {
    /// The admin kubeconfig's client certificate (local accounts enabled).
    LocalAdmin,
    /// An Entra ID token for the AKS server application (local accounts disabled). The user
    /// kubeconfig gives only the server and its CA: its `kubelogin` exec plugin is never run.
    /// `azure_rbac`: Kubernetes authorization is done by Azure role assignments.
    EntraToken { azure_rbac: bool },
}

impl std::fmt::Display for AccessMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccessMode::LocalAdmin => f.write_str("admin kubeconfig (local accounts)"),
            AccessMode::EntraToken { azure_rbac: true } => {
                f.write_str("Entra ID token (local accounts disabled, Azure RBAC)")
            }
            AccessMode::EntraToken { azure_rbac: false } => {
                f.write_str("Entra ID token (local accounts disabled, Kubernetes RBAC)")
            }
        }
    }
}

/// A client for the cluster, from the kubeconfig AKS returned (never written to disk or logs).
pub async fn client_from_kubeconfig(yaml: &SecretSlice<u8>) -> Result<kube::Client, AccessError> {
    let kubeconfig = parse(yaml)?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(|e| AccessError::Kubeconfig(e.to_string()))?;
    client(config)
}

/// A client for an Entra-only cluster: the server and CA of its user kubeconfig, and `token`
/// (for [`AKS_SERVER_APP_ID`]) as the bearer. The kubeconfig's user is ignored.
pub fn client_with_token(
    yaml: &SecretSlice<u8>,
    token: SecretString,
) -> Result<kube::Client, AccessError> {
    client(token_config(&endpoint_of(yaml)?, token)?)
}

fn client(mut config: kube::Config) -> Result<kube::Client, AccessError> {
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    config.read_timeout = Some(Duration::from_secs(60));
    kube::Client::try_from(config).map_err(|e| AccessError::Kubeconfig(e.to_string()))
}

fn parse(yaml: &SecretSlice<u8>) -> Result<Kubeconfig, AccessError> {
    let text = std::str::from_utf8(yaml.expose_secret())
        .map_err(|_| AccessError::Kubeconfig("it is not UTF-8 text".into()))?;
    // The parser's messages can quote the document; only say which part failed.
    Kubeconfig::from_yaml(text)
        .map_err(|_| AccessError::Kubeconfig("it is not a valid kubeconfig document".into()))
}

/// The cluster entry of the kubeconfig's current context.
fn current_cluster(kubeconfig: &Kubeconfig) -> Option<&kube::config::Cluster> {
    let context_name = kubeconfig.current_context.as_deref()?;
    let context = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context_name)?
        .context
        .as_ref()?;
    kubeconfig
        .clusters
        .iter()
        .find(|c| c.name == context.cluster)?
        .cluster
        .as_ref()
}

/// Where the API server is and which CA signs its certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub server: String,
    /// DER certificates of `certificate-authority-data`.
    pub ca: Vec<Vec<u8>>,
    pub tls_server_name: Option<String>,
}

/// The current context's server and CA; nothing of its user is read.
pub fn endpoint_of(yaml: &SecretSlice<u8>) -> Result<Endpoint, AccessError> {
    let kubeconfig = parse(yaml)?;
    let cluster = current_cluster(&kubeconfig)
        .ok_or_else(|| AccessError::Kubeconfig("its current context names no cluster".into()))?;
    let server = cluster
        .server
        .clone()
        .filter(|s| s.starts_with("https://"))
        .ok_or_else(|| AccessError::Kubeconfig("its cluster has no https server".into()))?;
    let data = cluster
        .certificate_authority_data
        .as_deref()
        .ok_or_else(|| {
            AccessError::Kubeconfig("its cluster has no certificate-authority-data".into())
        })?;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|_| {
            AccessError::Kubeconfig("its certificate-authority-data is not base64".into())
        })?;
    let ca = CertificateDer::pem_slice_iter(&pem)
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .ok()
        .filter(|ca| !ca.is_empty())
        .ok_or_else(|| {
            AccessError::Kubeconfig(
                "its certificate-authority-data holds no PEM certificate".into(),
            )
        })?;
    Ok(Endpoint {
        server,
        ca,
        tls_server_name: cluster.tls_server_name.clone(),
    })
}

/// A client configuration trusting only the endpoint's CA and sending `token` as the bearer.
pub fn token_config(endpoint: &Endpoint, token: SecretString) -> Result<kube::Config, AccessError> {
    let url = endpoint.server.parse().map_err(|_| {
        AccessError::Kubeconfig(format!("its server {} is not a URL", endpoint.server))
    })?;
    let mut config = kube::Config::new(url);
    config.root_cert = Some(endpoint.ca.clone());
    config.tls_server_name = endpoint.tls_server_name.clone();
    config.auth_info = AuthInfo {
        token: Some(token),
        ..AuthInfo::default()
    };
    Ok(config)
}

/// Host and port of the kubeconfig's current server, for [`probe`].
pub fn server_of(yaml: &SecretSlice<u8>) -> Option<(String, u16)> {
    let kubeconfig = parse(yaml).ok()?;
    let cluster = current_cluster(&kubeconfig)?;
    let url = reqwest::Url::parse(cluster.server.as_deref()?).ok()?;
    Some((url.host_str()?.to_string(), url.port_or_known_default()?))
}

/// Looks names up; the real one asks the system resolver, tests give their own answers.
#[async_trait::async_trait]
pub trait Resolve: Send + Sync {
    async fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>>;
}

/// The system resolver (what the jumphost's DNS answers).
pub struct SystemResolver;

#[async_trait::async_trait]
impl Resolve for SystemResolver {
    async fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        Ok(tokio::net::lookup_host((host, port)).await?.collect())
    }
}

/// Asks a DNS-over-HTTPS JSON endpoint (`GET <url>?name=<host>&type=A`, answered as
/// `application/dns-json`) for A records: for jumphosts whose own resolver is not the one to
/// check, and for a standalone simulator's zones.
pub struct DnsJsonResolver {
    client: reqwest::Client,
    url: reqwest::Url,
}

impl DnsJsonResolver {
    pub fn new(client: reqwest::Client, url: reqwest::Url) -> Self {
        DnsJsonResolver { client, url }
    }
}

#[derive(serde::Deserialize)]
struct DnsJson {
    #[serde(rename = "Answer", default)]
    answer: Vec<DnsJsonAnswer>,
}

#[derive(serde::Deserialize)]
struct DnsJsonAnswer {
    #[serde(rename = "type")]
    kind: u16,
    data: String,
}

#[async_trait::async_trait]
impl Resolve for DnsJsonResolver {
    async fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        let failed = |e: reqwest::Error| std::io::Error::other(e.without_url());
        let mut url = self.url.clone();
        url.query_pairs_mut()
            .append_pair("name", host)
            .append_pair("type", "A");
        let answer: DnsJson = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/dns-json")
            .timeout(CONNECT_TIMEOUT)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(failed)?
            .json()
            .await
            .map_err(failed)?;
        // Type 1 is A; CNAME steps (type 5) in the answer are skipped.
        Ok(answer
            .answer
            .iter()
            .filter(|a| a.kind == 1)
            .filter_map(|a| a.data.parse::<std::net::Ipv4Addr>().ok())
            .map(|ip| SocketAddr::from((ip, port)))
            .collect())
    }
}

/// Check that `host:port` resolves as a private cluster's should and accepts a connection.
pub async fn probe(
    resolver: &dyn Resolve,
    host: &str,
    port: u16,
    private: bool,
    timeout: Duration,
) -> Result<SocketAddr, Unreachable> {
    let addresses = resolver
        .resolve(host, port)
        .await
        .ok()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| Unreachable::NameNotResolved { host: host.into() })?;
    if private && let Some(public) = addresses.iter().find(|a| is_public(a.ip())) {
        return Err(Unreachable::ResolvesPublic {
            host: host.into(),
            address: public.ip(),
        });
    }
    let address = addresses[0];
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(address)).await {
        Ok(Ok(_)) => Ok(address),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            Err(Unreachable::Refused { address })
        }
        Ok(Err(_)) | Err(_) => Err(Unreachable::NoAnswer {
            address,
            secs: timeout.as_secs(),
        }),
    }
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                // 100.64.0.0/10: carrier-grade NAT, used by some hub networks.
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xC0) == 64))
        }
        IpAddr::V6(v6) => !(v6.is_loopback() || v6.is_unique_local()),
    }
}

/// Where verification connects for an address: the address itself, except in a rehearsal, where
/// the simulator serves private VNet addresses at loopback aliases.
#[async_trait::async_trait]
pub trait Dial: Send + Sync {
    async fn dial(&self, address: IpAddr) -> IpAddr;
}

/// The address itself (a real install).
pub struct Direct;

#[async_trait::async_trait]
impl Dial for Direct {
    async fn dial(&self, address: IpAddr) -> IpAddr {
        address
    }
}

/// A standalone simulator's `reachable` endpoint (its env file's `KATONIC_REHEARSAL_DIAL_URL`):
/// asks where it serves an address; the address itself when it cannot say.
pub struct SimulatorDial {
    client: reqwest::Client,
    url: reqwest::Url,
}

impl SimulatorDial {
    pub fn new(client: reqwest::Client, url: reqwest::Url) -> Self {
        SimulatorDial { client, url }
    }
}

#[derive(serde::Deserialize)]
struct Reachable {
    address: IpAddr,
}

#[async_trait::async_trait]
impl Dial for SimulatorDial {
    async fn dial(&self, address: IpAddr) -> IpAddr {
        let mut url = self.url.clone();
        url.query_pairs_mut()
            .append_pair("address", &address.to_string());
        let asked = self.client.get(url).timeout(CONNECT_TIMEOUT).send().await;
        match asked.and_then(reqwest::Response::error_for_status) {
            Ok(reply) => reply
                .json::<Reachable>()
                .await
                .map_or(address, |r| r.address),
            Err(_) => address,
        }
    }
}

#[cfg(test)]
#[path = "access_tests.rs"]
mod tests;
