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

/// What the exec-format user kubeconfig of an Entra ID cluster needs.
pub(crate) struct ExecParts<'a> {
    pub cluster: &'a str,
    pub user: &'a str,
    pub server: &'a str,
    pub ca_pem: &'a str,
    pub tenant: &'a str,
}

/// Azure CLI's public client, which kubelogin's device-code login uses in AKS's kubeconfigs.
const KUBELOGIN_CLIENT_ID: &str = "80faf920-1908-4b52-b5ef-a8e7bedfc67a";

/// `listClusterUserCredential?format=exec` of an AKS-managed Entra ID cluster: no credential,
/// only a `kubelogin` exec plugin that gets a token for the AKS server application.
pub(crate) fn render_exec(p: &ExecParts<'_>) -> String {
    format!(
        "apiVersion: v1\n\
         clusters:\n\
         - cluster:\n    certificate-authority-data: {ca}\n    server: {server}\n  name: {cluster}\n\
         contexts:\n\
         - context:\n    cluster: {cluster}\n    user: {user}\n  name: {cluster}\n\
         current-context: {cluster}\n\
         kind: Config\n\
         preferences: {{}}\n\
         users:\n\
         - name: {user}\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      args:\n      - get-token\n      - --environment\n      - AzurePublicCloud\n      - --server-id\n      - {server_app}\n      - --client-id\n      - {client}\n      - --tenant-id\n      - {tenant}\n      - --login\n      - devicecode\n      command: kubelogin\n      env: null\n      installHint: |2\n\n        kubelogin is not installed which is required to connect to AAD enabled cluster.\n\n        To learn more, please go to https://aka.ms/aks/kubelogin\n      provideClusterInfo: false\n",
        ca = STANDARD.encode(p.ca_pem),
        server = p.server,
        cluster = p.cluster,
        user = p.user,
        server_app = crate::identity::AKS_AAD_SERVER,
        client = KUBELOGIN_CLIENT_ID,
        tenant = p.tenant,
    )
}
