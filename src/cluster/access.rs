//! Reaching the cluster's API server: a `kube::Client` from the admin kubeconfig (held in
//! memory only), and, when the private API server cannot be reached, a diagnosis that says why
//! instead of a hang.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use secrecy::{ExposeSecret, SecretSlice};

/// How long a connection attempt may take before we call the server unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the console cannot use the cluster.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("the admin kubeconfig cannot be used: {0}")]
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

/// A client for the cluster, from the kubeconfig AKS returned (never written to disk or logs).
pub async fn client_from_kubeconfig(yaml: &SecretSlice<u8>) -> Result<kube::Client, AccessError> {
    let text = std::str::from_utf8(yaml.expose_secret())
        .map_err(|_| AccessError::Kubeconfig("it is not UTF-8 text".into()))?;
    // The parser's messages can quote the document; only say which part failed.
    let kubeconfig = Kubeconfig::from_yaml(text)
        .map_err(|_| AccessError::Kubeconfig("it is not a valid kubeconfig document".into()))?;
    let mut config =
        kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .map_err(|e| AccessError::Kubeconfig(e.to_string()))?;
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    config.read_timeout = Some(Duration::from_secs(60));
    kube::Client::try_from(config).map_err(|e| AccessError::Kubeconfig(e.to_string()))
}

/// Host and port of the kubeconfig's current server, for [`probe`].
pub fn server_of(yaml: &SecretSlice<u8>) -> Option<(String, u16)> {
    let kubeconfig = Kubeconfig::from_yaml(std::str::from_utf8(yaml.expose_secret()).ok()?).ok()?;
    let context_name = kubeconfig.current_context.as_deref()?;
    let context = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context_name)?
        .context
        .as_ref()?;
    let cluster = kubeconfig
        .clusters
        .iter()
        .find(|c| c.name == context.cluster)?
        .cluster
        .as_ref()?;
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
}
