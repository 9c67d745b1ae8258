//! An existing AKS cluster with AKS-managed Entra ID and local accounts disabled: the console
//! signs in with an Entra ID token for the AKS server application (no admin kubeconfig exists),
//! and with Azure RBAC for Kubernetes it needs "Azure Kubernetes Service RBAC Cluster Admin".

use crate::azure::{World, log, sample, start, with_a_first_install};
use crate::helpers::step;
use base64::Engine as _;
use katonic_console::azure::{ArmClient, api};
use katonic_console::startup::simulator_settings;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const AKS_SERVER_APP: &str = "6dae42f8-4368-4678-94ff-3960e28e3630";
const RBAC_CLUSTER_ADMIN: &str = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b";

fn cluster_id(world: &World) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/rg-katonic-prod/providers/Microsoft.ContainerService/managedClusters/katonic-prod",
        world.sim.subscription_id
    )
}

/// The admin turns the first install's cluster into an Entra-only one (as `az aks update
/// --enable-aad --enable-azure-rbac --disable-local-accounts` does) and waits for the update.
async fn make_entra_only(world: &World) {
    let arm = ArmClient::new(&simulator_settings(&world.sim)).unwrap();
    let id = cluster_id(world);
    let mut body = arm.get(&id, api::CONTAINER_SERVICE).await.unwrap().unwrap();
    body["properties"]["aadProfile"] = json!({"managed": true, "enableAzureRBAC": true});
    body["properties"]["disableLocalAccounts"] = json!(true);
    let put = json!({
        "location": body["location"],
        "sku": body["sku"],
        "tags": body["tags"],
        "identity": {"type": "UserAssigned", "userAssignedIdentities": body["identity"]["userAssignedIdentities"].as_object().unwrap().keys().map(|k| (k.clone(), json!({}))).collect::<serde_json::Map<_, _>>()},
        "properties": body["properties"],
    });
    arm.call(Method::PUT, &id, api::CONTAINER_SERVICE, Some(&put))
        .await
        .unwrap();
    for _ in 0..500 {
        let now = arm.get(&id, api::CONTAINER_SERVICE).await.unwrap().unwrap();
        if now["properties"]["provisioningState"] == "Succeeded" {
            assert_eq!(now["properties"]["disableLocalAccounts"], true);
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the cluster update never finished");
}

/// The console's service principal object id (the `oid` of a token it gets), as
/// `az ad sp show --id <client id> --query id` would tell the admin.
async fn console_object_id(world: &World) -> String {
    let arm = ArmClient::new(&simulator_settings(&world.sim)).unwrap();
    let token = arm
        .access_token(&format!("{}/.default", world.sim.arm_endpoint))
        .await
        .unwrap();
    let payload = secrecy::ExposeSecret::expose_secret(&token)
        .split('.')
        .nth(1)
        .unwrap()
        .to_string();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    claims["oid"].as_str().unwrap().to_string()
}

async fn grant_cluster_admin(world: &World) {
    let arm = ArmClient::new(&simulator_settings(&world.sim)).unwrap();
    let scope = cluster_id(world);
    let principal = console_object_id(world).await;
    let path = format!(
        "{scope}/providers/Microsoft.Authorization/roleAssignments/{}",
        uuid::Uuid::new_v4()
    );
    let body = json!({"properties": {
        "roleDefinitionId": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{RBAC_CLUSTER_ADMIN}", world.sim.subscription_id),
        "principalId": principal,
        "principalType": "ServicePrincipal",
    }});
    arm.call(Method::PUT, &path, api::AUTHORIZATION, Some(&body))
        .await
        .unwrap();
}

fn existing_mode(world: &World) -> String {
    sample(&world.sim)
        .replace("name: prod", "name: prod-entra")
        .replace("mode: create", "mode: existing")
        .replace(
            "superset: true, airbyte: true",
            "superset: false, airbyte: false",
        )
}

/// Answers of the simulator to `listCluster…Credential` calls: (admin 200s, user 200s).
fn credential_calls(world: &World) -> (usize, usize) {
    let requests = world.sim.requests();
    let count = |action: &str| {
        requests
            .iter()
            .filter(|r| r.path.ends_with(action) && r.status == 200)
            .count()
    };
    (
        count("/listClusterAdminCredential"),
        count("/listClusterUserCredential"),
    )
}

#[tokio::test]
async fn an_install_onto_an_entra_only_cluster_signs_in_with_a_token() {
    let (world, app) = with_a_first_install().await;
    make_entra_only(&world).await;
    grant_cluster_admin(&world).await;
    world.sim.clear_requests();

    let id = start(&app, &existing_mode(&world)).await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    let log = log(&app, &id).await;
    assert_eq!(done["status"], "succeeded", "{log}");
    for line in [
        "PASS cluster access: the console will sign in with Entra ID token (local accounts disabled, Azure RBAC)",
        "PASS cluster access: Azure RBAC for Kubernetes: the console's identity holds every Kubernetes data action on cluster katonic-prod",
        "local accounts are disabled: signing in to https://",
        "signed in with Entra ID token (local accounts disabled, Azure RBAC)",
        "StorageClass/kfs unchanged",
        "Namespace/katonic unchanged",
    ] {
        assert!(log.contains(line), "{line} missing:\n{log}");
    }
    assert!(!log.contains("signed in with admin kubeconfig"), "{log}");
    assert_eq!(
        step(&done, "kubeconfig")["outputs"]["access"],
        "entra-token"
    );
    assert_eq!(
        step(&done, "kubeconfig")["outputs"]["credential"],
        "clusterUser"
    );

    let (admin, user) = credential_calls(&world);
    assert_eq!(admin, 0, "no admin kubeconfig was handed out");
    assert!(user > 0, "the user kubeconfig gave the server and CA");
    // The user kubeconfig was asked for in its exec form; tokens for the AKS server app came
    // from the console's own credential.
    assert!(
        world
            .sim
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/listClusterUserCredential"))
            .all(|r| r.query.contains("format=exec"))
    );
    assert!(world.sim.requests().iter().any(|r| {
        r.path.ends_with("/oauth2/v2.0/token")
            && r.status == 200
            && r.request_body.as_ref().and_then(|b| b["scope"].as_str())
                == Some(&format!("{AKS_SERVER_APP}/.default"))
    }));
}

#[tokio::test]
async fn without_the_azure_rbac_role_preflight_warns_and_the_cluster_refuses_with_the_fix() {
    let (world, app) = with_a_first_install().await;
    make_entra_only(&world).await;
    world.sim.clear_requests();

    let id = start(&app, &existing_mode(&world)).await;
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    let log = log(&app, &id).await;
    assert_eq!(done["status"], "failed", "{log}");
    let cluster = cluster_id(&world);
    assert!(
        log.contains(&format!(
            "WARN cluster access: Azure RBAC for Kubernetes is enabled on cluster katonic-prod and the console's identity lacks \"Azure Kubernetes Service RBAC Cluster Admin\" there: it can sign in but the cluster will refuse its changes. Fix: Grant it the role on the cluster: az role assignment create --role \"Azure Kubernetes Service RBAC Cluster Admin\" --assignee <the console's client id or object id> --scope {cluster}"
        )),
        "{log}"
    );
    // Signing in works; the first change is refused by Azure RBAC, with the role to grant.
    assert!(log.contains("signed in with Entra ID token"), "{log}");
    assert!(
        log.contains("User does not have access to the resource in Azure"),
        "{log}"
    );
    assert!(
        log.contains("Azure Kubernetes Service RBAC Cluster Admin role"),
        "{log}"
    );
    assert_eq!(credential_calls(&world).0, 0);
}
