//! Admin and user kubeconfigs for simulated clusters (CA of the simulator, per-cluster client certificate).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// What a kubeconfig needs.
pub(crate) struct KubeconfigParts<'a> {
    pub cluster: &'a str,
    pub user: &'a str,
    pub server: &'a str,
    pub ca_pem: &'a str,
    pub cert_pem: &'a str,
    pub key_pem: &'a str,
    pub token: &'a str,
}

/// The YAML kubeconfig, as AKS returns it (before base64).
pub(crate) fn render(p: &KubeconfigParts<'_>) -> String {
    format!(
        "apiVersion: v1\n\
         clusters:\n\
         - cluster:\n    certificate-authority-data: {ca}\n    server: {server}\n  name: {cluster}\n\
         contexts:\n\
         - context:\n    cluster: {cluster}\n    user: {user}\n  name: {cluster}-admin\n\
         current-context: {cluster}-admin\n\
         kind: Config\n\
         preferences: {{}}\n\
         users:\n\
         - name: {user}\n  user:\n    client-certificate-data: {cert}\n    client-key-data: {key}\n    token: {token}\n",
        ca = STANDARD.encode(p.ca_pem),
        server = p.server,
        cluster = p.cluster,
        user = p.user,
        cert = STANDARD.encode(p.cert_pem),
        key = STANDARD.encode(p.key_pem),
        token = p.token,
    )
}
