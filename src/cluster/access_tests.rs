//! Tests of cluster access: kubeconfigs, endpoints, resolvers and the unreachable diagnosis.

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
