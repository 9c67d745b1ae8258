//! AKS-managed Entra ID clusters: local accounts disabled (no admin credential), the exec-form
//! user kubeconfig, and the API server taking Entra tokens for the AKS server application only,
//! with Azure RBAC for Kubernetes deciding what they may do.

use base64::Engine;
use serde_json::{Value, json};

use super::harness::{Sim, cluster_body};
use crate::identity::AKS_AAD_SERVER;

const RBAC_CLUSTER_ADMIN: &str = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b";

/// `aks1` in `rg-a` with AKS-managed Entra ID, Azure RBAC and local accounts disabled.
async fn entra_cluster(sim: &Sim) -> String {
    let (identity, subnet) = sim.network_env("rg-a", "10.20.0.0/24").await;
    let url = sim.cluster_url("rg-a", "aks1");
    let mut body = cluster_body(&identity, &subnet);
    body["properties"]["aadProfile"] = json!({"managed": true, "enableAzureRBAC": true});
    body["properties"]["disableLocalAccounts"] = json!(true);
    let r = sim
        .put(&format!("{url}?api-version=2025-10-01"), &body)
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(sim.wait_async(&r).await["status"], "Succeeded");
    url
}

/// The `oid` claim of a token (the principal the simulator issued it to).
fn object_id(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    claims["oid"].as_str().unwrap().to_string()
}

async fn kube_get(sim: &Sim, cluster: &str, path: &str, token: &str) -> (u16, Value) {
    let r = sim
        .client
        .get(format!("{}/kubernetes/{cluster}{path}", sim.h.arm_endpoint))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn decode_kubeconfig(body: &Value) -> Value {
    let yaml = base64::engine::general_purpose::STANDARD
        .decode(body["kubeconfigs"][0]["value"].as_str().unwrap())
        .unwrap();
    serde_yaml_ng::from_slice(&yaml).unwrap()
}

#[tokio::test]
async fn an_entra_only_cluster_refuses_the_admin_credential_and_hands_out_an_exec_kubeconfig() {
    let sim = Sim::start().await;
    let url = entra_cluster(&sim).await;
    let got = sim.get(&format!("{url}?api-version=2025-10-01")).await;
    assert_eq!(got.body["properties"]["disableLocalAccounts"], true);
    assert_eq!(got.body["properties"]["aadProfile"]["managed"], true);
    assert_eq!(
        got.body["properties"]["aadProfile"]["enableAzureRBAC"],
        true
    );
    assert_eq!(
        got.body["properties"]["aadProfile"]["tenantID"],
        sim.h.tenant_id.as_str()
    );

    let admin = sim
        .post(
            &format!("{url}/listClusterAdminCredential?api-version=2025-10-01"),
            None,
        )
        .await;
    assert_eq!((admin.status, admin.code()), (400, "BadRequest"));
    assert_eq!(
        admin.body["error"]["message"],
        "Getting static credential is not allowed because this cluster is set to disable local accounts."
    );

    let user = sim
        .post(
            &format!("{url}/listClusterUserCredential?api-version=2025-10-01&format=exec"),
            None,
        )
        .await;
    assert_eq!(user.status, 200, "{}", user.body);
    assert_eq!(user.body["kubeconfigs"][0]["name"], "clusterUser");
    let doc = decode_kubeconfig(&user.body);
    assert_eq!(
        doc["clusters"][0]["cluster"]["server"],
        format!("{}/kubernetes/aks1", sim.h.arm_endpoint).as_str()
    );
    assert!(doc["clusters"][0]["cluster"]["certificate-authority-data"].is_string());
    let the_user = &doc["users"][0]["user"];
    assert_eq!(the_user["exec"]["command"], "kubelogin");
    let args: Vec<&str> = the_user["exec"]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let server_id = args.iter().position(|a| *a == "--server-id").unwrap();
    assert_eq!(args[server_id + 1], AKS_AAD_SERVER);
    // No credential of any kind in it.
    for key in ["token", "client-certificate-data", "client-key-data"] {
        assert!(the_user.get(key).is_none(), "{key} in {the_user}");
    }

    let bad = sim
        .post(
            &format!("{url}/listClusterUserCredential?api-version=2025-10-01&format=yaml"),
            None,
        )
        .await;
    assert_eq!((bad.status, bad.code()), (400, "InvalidParameter"));
}

#[tokio::test]
async fn local_accounts_can_only_be_disabled_with_managed_entra_id() {
    let sim = Sim::start().await;
    let (identity, subnet) = sim.network_env("rg-a", "10.20.0.0/24").await;
    let url = sim.cluster_url("rg-a", "aks1");
    let mut body = cluster_body(&identity, &subnet);
    body["properties"]["disableLocalAccounts"] = json!(true);
    let r = sim
        .put(&format!("{url}?api-version=2025-10-01"), &body)
        .await;
    assert_eq!((r.status, r.code()), (400, "BadRequest"), "{}", r.body);
    assert!(
        r.body["error"]["message"].as_str().unwrap().contains(
            "disableLocalAccounts can only be set on Azure AD integration enabled cluster"
        )
    );
}

#[tokio::test]
async fn the_api_server_takes_entra_tokens_for_the_aks_server_app_only() {
    let sim = Sim::start().await;
    let url = entra_cluster(&sim).await;
    let aks = sim
        .get_token_for(&format!("{AKS_AAD_SERVER}/.default"))
        .await;

    // An ARM token, a made-up one and none are refused as kube-apiserver does.
    for token in [
        sim.token.as_str(),
        "eyJ0eXAiOiJKV1QifQ.eyJqdGkiOiJ4In0.c2ln",
        "",
    ] {
        let (status, body) = kube_get(&sim, "aks1", "/api/v1/nodes", token).await;
        assert_eq!(status, 401, "{token}");
        assert_eq!(body["reason"], "Unauthorized");
    }
    // An expired AKS token too.
    let expired = {
        let mut st = sim.h.shared.lock();
        let oid = st.account.sp_object_id.clone();
        let app = st.account.client_id.clone();
        let now = time::OffsetDateTime::now_utc();
        crate::identity::issue(&mut st, &oid, &app, AKS_AAD_SERVER, -60, now).0
    };
    assert_eq!(kube_get(&sim, "aks1", "/version", &expired).await.0, 401);

    // The AKS token signs in; discovery is open, the rest needs an Azure role.
    assert_eq!(kube_get(&sim, "aks1", "/version", &aks).await.0, 200);
    let (status, body) = kube_get(&sim, "aks1", "/api/v1/nodes", &aks).await;
    assert_eq!((status, body["reason"].as_str()), (403, Some("Forbidden")));
    let oid = object_id(&aks);
    assert_eq!(
        body["message"],
        format!(
            "nodes is forbidden: User \"{oid}\" cannot list resource \"nodes\" in API group \"\" at the cluster scope: User does not have access to the resource in Azure. Update role assignment to allow access."
        )
        .as_str()
    );
    let permissions =
        format!("{url}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01");
    let before = sim.get(&permissions).await;
    assert!(
        !before.body.to_string().contains("managedClusters/*"),
        "{}",
        before.body
    );

    sim.assign(&url, RBAC_CLUSTER_ADMIN, &oid).await;
    let (status, body) = kube_get(&sim, "aks1", "/api/v1/nodes", &aks).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"].as_array().unwrap().len(), 2);
    let after = sim.get(&permissions).await;
    let data: Vec<&Value> = after.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["dataActions"].as_array().unwrap())
        .collect();
    assert_eq!(
        data,
        [&json!("Microsoft.ContainerService/managedClusters/*")]
    );
}

#[tokio::test]
async fn a_cluster_without_entra_id_refuses_entra_tokens() {
    let sim = Sim::start().await;
    let url = sim.created_cluster().await;
    let aks = sim
        .get_token_for(&format!("{AKS_AAD_SERVER}/.default"))
        .await;
    assert_eq!(kube_get(&sim, "aks1", "/version", &aks).await.0, 401);
    // Its user credential is the certificate one, as before.
    let user = sim
        .post(
            &format!("{url}/listClusterUserCredential?api-version=2025-10-01"),
            None,
        )
        .await;
    let doc = decode_kubeconfig(&user.body);
    assert!(doc["users"][0]["user"]["client-certificate-data"].is_string());
}
