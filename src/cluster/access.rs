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

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(std::io::Result<Vec<SocketAddr>>);

    #[async_trait::async_trait]
    impl Resolve for Fixed {
        async fn resolve(&self, _host: &str, _port: u16) -> std::io::Result<Vec<SocketAddr>> {
            match &self.0 {
                Ok(a) => Ok(a.clone()),
                Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
            }
        }
    }

    const HOST: &str = "katonic-prod-abc.privatelink.eastus.azmk8s.io";

    #[tokio::test]
    async fn an_unresolvable_name_points_at_the_private_dns_zone() {
        let resolver = Fixed(Err(std::io::ErrorKind::NotFound.into()));
        let err = probe(&resolver, HOST, 443, true, CONNECT_TIMEOUT)
            .await
            .unwrap_err();
        assert_eq!(err, Unreachable::NameNotResolved { host: HOST.into() });
        assert!(err.to_string().contains("168.63.129.16"));
    }

    #[tokio::test]
    async fn a_public_answer_for_a_private_cluster_is_named() {
        let resolver = Fixed(Ok(vec!["20.1.2.3:443".parse().unwrap()]));
        let err = probe(&resolver, HOST, 443, true, CONNECT_TIMEOUT)
            .await
            .unwrap_err();
        assert!(matches!(err, Unreachable::ResolvesPublic { .. }), "{err}");
    }

    #[tokio::test]
    async fn a_closed_port_is_refused_and_an_open_one_answers() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap();
        let resolver = Fixed(Ok(vec![open]));
        assert_eq!(
            probe(&resolver, HOST, open.port(), true, CONNECT_TIMEOUT).await,
            Ok(open)
        );
        drop(listener);
        let err = probe(&resolver, HOST, open.port(), true, CONNECT_TIMEOUT)
            .await
            .unwrap_err();
        assert_eq!(err, Unreachable::Refused { address: open });
    }

    #[test]
    fn private_ranges_are_not_public() {
        for ip in [
            "10.20.0.4",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "100.64.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        assert!(is_public("20.1.2.3".parse().unwrap()));
    }

    #[tokio::test]
    async fn a_broken_kubeconfig_is_refused_without_quoting_it() {
        let yaml: SecretSlice<u8> = b"apiVersion: v1\nusers: [client-key-data: c2VjcmV0]\n: :"
            .to_vec()
            .into();
        let Err(err) = client_from_kubeconfig(&yaml).await else {
            panic!("a broken kubeconfig was accepted");
        };
        assert!(!err.to_string().contains("c2VjcmV0"), "{err}");
    }

    /// A kubeconfig as `listClusterUserCredential?format=exec` returns it for an Entra ID
    /// cluster: server, CA, and a kubelogin exec user with no credential.
    fn exec_kubeconfig(server: &str, ca_pem: &str) -> SecretSlice<u8> {
        let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
        format!(
            "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: {ca}\n    server: {server}\n  name: aks\n\
             contexts:\n- context:\n    cluster: aks\n    user: clusterUser_rg_aks\n  name: aks\ncurrent-context: aks\nkind: Config\n\
             users:\n- name: clusterUser_rg_aks\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      \
             args: [get-token, --server-id, {AKS_SERVER_APP_ID}, --login, devicecode]\n      command: kubelogin\n      env: null\n      provideClusterInfo: false\n"
        )
        .into_bytes()
        .into()
    }

    fn ca() -> (String, Vec<u8>) {
        let cert = rcgen::generate_simple_self_signed(vec!["aks.example".to_string()]).unwrap();
        (cert.cert.pem(), cert.cert.der().to_vec())
    }

    #[test]
    fn the_user_kubeconfig_gives_the_server_and_ca_only() {
        let (pem, der) = ca();
        let yaml = exec_kubeconfig("https://aks-abc.privatelink.eastus.azmk8s.io:443", &pem);
        let endpoint = endpoint_of(&yaml).unwrap();
        assert_eq!(
            endpoint.server,
            "https://aks-abc.privatelink.eastus.azmk8s.io:443"
        );
        assert_eq!(endpoint.ca, vec![der]);
        assert_eq!(
            server_of(&yaml),
            Some(("aks-abc.privatelink.eastus.azmk8s.io".to_string(), 443))
        );
    }

    #[tokio::test]
    async fn the_token_config_trusts_the_ca_sends_the_token_and_runs_no_plugin() {
        let (pem, der) = ca();
        let yaml = exec_kubeconfig("https://aks.example:443", &pem);
        let config = token_config(
            &endpoint_of(&yaml).unwrap(),
            SecretString::from("eyJ.secret-token.sig"),
        )
        .unwrap();
        assert_eq!(config.cluster_url.to_string(), "https://aks.example:443/");
        assert_eq!(config.root_cert, Some(vec![der]));
        assert!(!config.accept_invalid_certs);
        assert_eq!(
            config.auth_info.token.as_ref().map(|t| t.expose_secret()),
            Some("eyJ.secret-token.sig")
        );
        assert!(config.auth_info.exec.is_none());
        assert!(config.auth_info.client_certificate_data.is_none());
        // The token never shows in a debug print (what a log line would get).
        assert!(!format!("{config:?}").contains("secret-token"));
        assert!(client_with_token(&yaml, SecretString::from("t")).is_ok());
    }

    #[test]
    fn a_user_kubeconfig_without_ca_or_https_server_is_refused_by_name() {
        let (pem, _) = ca();
        let err = endpoint_of(&exec_kubeconfig("http://aks.example", &pem)).unwrap_err();
        assert!(err.to_string().contains("no https server"), "{err}");
        let err =
            endpoint_of(&exec_kubeconfig("https://aks.example", "not a certificate")).unwrap_err();
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
    }

    #[test]
    fn the_modes_say_how_the_console_signs_in() {
        assert_eq!(
            AccessMode::EntraToken { azure_rbac: true }.to_string(),
            "Entra ID token (local accounts disabled, Azure RBAC)"
        );
        assert_eq!(
            AccessMode::LocalAdmin.to_string(),
            "admin kubeconfig (local accounts)"
        );
        assert_eq!(AKS_SERVER_SCOPE, format!("{AKS_SERVER_APP_ID}/.default"));
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
