//! The simulator's certificate authority (kept in the state dir) and the certificates it signs.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

use super::SimError;

const CA_CN: &str = "katonic-console simulator CA";

/// The CA: its PEM (what clients trust) and its key (to sign server and client certificates).
pub(crate) struct Ca {
    pub pem: String,
    pub file: PathBuf,
    key: KeyPair,
}

/// A certificate and its private key, both PEM.
pub(crate) struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
}

/// The issuer parameters must be identical on every start: leaf certificates name the CA by
/// its distinguished name and key identifier, both derived from these and the stored key.
fn ca_params() -> Result<CertificateParams, SimError> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_CN);
    dn.push(DnType::OrganizationName, "katonic-console");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(3650);
    Ok(params)
}

impl Ca {
    /// Reuse `ca.pem` + `ca-key.pem` from `dir` if both exist, else create them.
    pub fn load_or_create(dir: &Path) -> Result<Self, SimError> {
        let file = dir.join("ca.pem");
        let key_file = dir.join("ca-key.pem");
        if file.exists() && key_file.exists() {
            let pem = std::fs::read_to_string(&file).map_err(|e| SimError::io(&file, e))?;
            let key_pem =
                std::fs::read_to_string(&key_file).map_err(|e| SimError::io(&key_file, e))?;
            let key = KeyPair::from_pem(&key_pem)?;
            return Ok(Self { pem, file, key });
        }
        let key = KeyPair::generate()?;
        let cert = ca_params()?.self_signed(&key)?;
        let pem = cert.pem();
        super::state::write_atomic(&key_file, key.serialize_pem().as_bytes(), true)?;
        super::state::write_atomic(&file, pem.as_bytes(), false)?;
        Ok(Self { pem, file, key })
    }

    fn issuer(&self) -> Result<Issuer<'static, &KeyPair>, SimError> {
        Ok(Issuer::new(ca_params()?, &self.key))
    }

    /// The HTTPS server certificate for 127.0.0.1 / localhost.
    pub fn server_leaf(&self) -> Result<Leaf, SimError> {
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])?;
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(825);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer()?)?;
        Ok(Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// A Kubernetes client certificate (`CN=user, O=group`) for a cluster's admin kubeconfig.
    pub fn client_leaf(&self, user: &str, group: &str) -> Result<Leaf, SimError> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(DnType::CommonName, user);
        params
            .distinguished_name
            .push(DnType::OrganizationName, group);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(730);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer()?)?;
        Ok(Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// A rustls server config (aws-lc-rs provider, HTTP/1.1 via ALPN) for the leaf. Client
/// certificates signed by `client_ca` are requested but optional: ARM and Entra clients have
/// none, a kubeconfig's client certificate identifies a cluster admin.
pub(crate) fn server_config(
    leaf: &Leaf,
    client_ca: &str,
) -> Result<rustls::ServerConfig, SimError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_slice_iter(leaf.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SimError::Tls(e.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(leaf.key_pem.as_bytes())
        .map_err(|e| SimError::Tls(e.to_string()))?;
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(client_ca.as_bytes()) {
        roots
            .add(ca.map_err(|e| SimError::Tls(e.to_string()))?)
            .map_err(|e| SimError::Tls(e.to_string()))?;
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        std::sync::Arc::new(roots),
        provider.clone(),
    )
    .allow_unauthenticated()
    .build()
    .map_err(|e| SimError::Tls(e.to_string()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SimError::Tls(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .map_err(|e| SimError::Tls(e.to_string()))?;
    // HTTP/1.1 only: a dropped-connection fault then means exactly "no response".
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Serve `app` over HTTPS at `addr`, each certificate chosen by `resolver` (SNI): the
/// simulated ingress load balancers and Application Gateway frontends. `what` names the listener
/// in the log when it stops.
pub(crate) fn serve_sni(
    addr: std::net::SocketAddr,
    resolver: std::sync::Arc<dyn rustls::server::ResolvesServerCert>,
    app: axum::Router,
    what: &'static str,
) -> Result<axum_server::Handle<std::net::SocketAddr>, String> {
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let listener = bound(addr)?;
    let handle = axum_server::Handle::new();
    let server = axum_server::from_tcp_rustls(
        listener,
        axum_server::tls_rustls::RustlsConfig::from_config(std::sync::Arc::new(config)),
    )
    .map_err(|e| e.to_string())?
    .handle(handle.clone());
    tokio::spawn(async move {
        if let Err(e) = server.serve(app.into_make_service()).await {
            tracing::warn!(error = %e, "{what} stopped");
        }
    });
    Ok(handle)
}

/// `app` over plain HTTP at `addr` (a gateway's HTTP listener), until the handle shuts it down.
pub(crate) fn serve_plain(
    addr: std::net::SocketAddr,
    app: axum::Router,
    what: &'static str,
) -> Result<axum_server::Handle<std::net::SocketAddr>, String> {
    let handle = axum_server::Handle::new();
    let server = axum_server::from_tcp(bound(addr)?)
        .map_err(|e| e.to_string())?
        .handle(handle.clone());
    tokio::spawn(async move {
        if let Err(e) = server.serve(app.into_make_service()).await {
            tracing::warn!(error = %e, "{what} stopped");
        }
    });
    Ok(handle)
}

/// A listener at `addr` in the non-blocking mode tokio needs.
fn bound(addr: std::net::SocketAddr) -> Result<std::net::TcpListener, String> {
    let listener = std::net::TcpListener::bind(addr).map_err(|e| e.to_string())?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    Ok(listener)
}
