//! Identity, ARM front door (auth, api-version, headers), subscription, providers, resource groups, persistence.

use reqwest::Method;
use serde_json::{Value, json};

use super::harness::{Sim, client_for};

#[tokio::test]
async fn token_endpoint_issues_and_rejects_like_entra() {
    let sim = Sim::start().await;
    let url = format!(
        "{}/{}/oauth2/v2.0/token",
        sim.h.authority_host, sim.h.tenant_id
    );
    let form = |id: &str, secret: &str, scope: &str| {
        vec![
            ("client_id".to_string(), id.to_string()),
            ("client_secret".to_string(), secret.to_string()),
            ("grant_type".to_string(), "client_credentials".to_string()),
            ("scope".to_string(), scope.to_string()),
        ]
    };
    let ok = sim
        .client
        .post(&url)
        .form(&form(
            &sim.h.client_id,
            &sim.h.client_secret,
            "https://management.azure.com/.default",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let v: Value = ok.json().await.unwrap();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3599);
    assert_eq!(v["ext_expires_in"], 3599);
    assert!(v["access_token"].as_str().unwrap().split('.').count() == 3);

    let bad = sim
        .client
        .post(&url)
        .form(&form(
            &sim.h.client_id,
            "wrong",
            "https://management.azure.com/.default",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let v: Value = bad.json().await.unwrap();
    assert_eq!(v["error"], "invalid_client");
    assert_eq!(v["error_codes"][0], 7000215);
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215: Invalid client secret provided")
    );

    let unknown = sim
        .client
        .post(&url)
        .form(&form(
            "00000000-0000-0000-0000-000000000001",
            "x",
            "https://management.azure.com/.default",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    let v: Value = unknown.json().await.unwrap();
    assert_eq!(v["error_codes"][0], 700016);

    let tenant = sim
        .client
        .post(format!(
            "{}/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token",
            sim.h.authority_host
        ))
        .form(&form(
            &sim.h.client_id,
            &sim.h.client_secret,
            "https://management.azure.com/.default",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(tenant.status(), 400);
    let v: Value = tenant.json().await.unwrap();
    assert_eq!(v["error_codes"][0], 90002);

    let scope = sim
        .client
        .post(&url)
        .form(&form(
            &sim.h.client_id,
            &sim.h.client_secret,
            "https://management.azure.com/user_impersonation",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(scope.status(), 400);

    // The secret never reaches the request log.
    for r in sim.h.requests() {
        assert!(!format!("{:?}", r.request_body).contains(&sim.h.client_secret));
    }
}

#[tokio::test]
async fn discovery_and_managed_identity() {
    let sim = Sim::start().await;
    let oidc: Value = sim
        .client
        .get(format!(
            "{}/{}/v2.0/.well-known/openid-configuration",
            sim.h.authority_host, sim.h.tenant_id
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        oidc["token_endpoint"]
            .as_str()
            .unwrap()
            .ends_with("/oauth2/v2.0/token")
    );
    let inst: Value = sim.client.get(format!("{}/common/discovery/instance?api-version=1.1&authorization_endpoint={}/{}/oauth2/v2.0/authorize", sim.h.authority_host, sim.h.authority_host, sim.h.tenant_id)).send().await.unwrap().json().await.unwrap();
    assert!(
        inst["tenant_discovery_endpoint"]
            .as_str()
            .unwrap()
            .contains(&sim.h.tenant_id)
    );

    let mi = format!(
        "{}?api-version=2019-08-01&resource=https://management.azure.com",
        sim.h.managed_identity_endpoint
    );
    let r = sim
        .client
        .get(&mi)
        .header("X-IDENTITY-HEADER", &sim.h.managed_identity_header)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["token_type"], "Bearer");
    assert!(v["expires_on"].as_str().unwrap().parse::<i64>().is_ok());
    // The MI token works against ARM.
    let token = v["access_token"].as_str().unwrap();
    let sub = sim
        .client
        .get(format!(
            "{}{}?api-version=2022-12-01",
            sim.h.arm_endpoint,
            sim.sub()
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(sub.status(), 200);

    let no_header = sim.client.get(&mi).send().await.unwrap();
    assert_eq!(no_header.status(), 401);
}

#[tokio::test]
async fn arm_requires_a_valid_token_and_api_version() {
    let sim = Sim::start().await;
    let url = format!("{}?api-version=2025-04-01", sim.sub());
    let none = sim.raw(Method::GET, &url, None, &[], false).await.unwrap();
    assert_eq!(none.status, 401);
    assert_eq!(none.code(), "AuthenticationFailed");
    assert!(none.header("www-authenticate").is_some());

    let forged = sim
        .raw(
            Method::GET,
            &url,
            None,
            &[("authorization", "Bearer abc.def.ghi")],
            false,
        )
        .await
        .unwrap();
    assert_eq!(forged.status, 401);
    assert_eq!(forged.code(), "InvalidAuthenticationToken");

    // A token for another audience (the AKS AAD server) is refused by ARM.
    let r: Value = sim
        .client
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            sim.h.authority_host, sim.h.tenant_id
        ))
        .form(&[
            ("client_id", sim.h.client_id.as_str()),
            ("client_secret", sim.h.client_secret.as_str()),
            ("grant_type", "client_credentials"),
            ("scope", "6dae42f8-4368-4678-94ff-3960e28e3630/.default"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let aks_token = format!("Bearer {}", r["access_token"].as_str().unwrap());
    let wrong_aud = sim
        .raw(
            Method::GET,
            &url,
            None,
            &[("authorization", aks_token.as_str())],
            false,
        )
        .await
        .unwrap();
    assert_eq!(wrong_aud.status, 401);
    assert_eq!(wrong_aud.code(), "InvalidAuthenticationTokenAudience");

    let missing = sim.get(&sim.sub()).await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.code(), "MissingApiVersionParameter");

    let unknown = sim
        .get(&format!(
            "{}/resourcegroups?api-version=1999-01-01",
            sim.sub()
        ))
        .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.code(), "InvalidApiVersionParameter");
    assert!(
        unknown.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2025-04-01")
    );

    let other_sub = sim
        .get("/subscriptions/00000000-0000-0000-0000-000000000000?api-version=2025-04-01")
        .await;
    assert_eq!(other_sub.status, 404);
    assert_eq!(other_sub.code(), "SubscriptionNotFound");
}

#[tokio::test]
async fn correlation_and_rate_limit_headers() {
    let sim = Sim::start().await;
    let r = sim
        .raw(
            Method::GET,
            &format!("{}?api-version=2025-04-01", sim.sub()),
            None,
            &[
                (
                    "x-ms-correlation-request-id",
                    "11111111-1111-1111-1111-111111111111",
                ),
                (
                    "x-ms-client-request-id",
                    "22222222-2222-2222-2222-222222222222",
                ),
            ],
            true,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("x-ms-correlation-request-id").as_deref(),
        Some("11111111-1111-1111-1111-111111111111")
    );
    assert_eq!(
        r.header("x-ms-client-request-id").as_deref(),
        Some("22222222-2222-2222-2222-222222222222")
    );
    assert!(r.header("x-ms-request-id").is_some());
    assert!(
        r.header("x-ms-ratelimit-remaining-subscription-reads")
            .is_some()
    );
    assert!(
        r.header("x-ms-ratelimit-remaining-subscription-writes")
            .is_some()
    );
    // A correlation id is generated when absent.
    let r = sim
        .get(&format!("{}?api-version=2025-04-01", sim.sub()))
        .await;
    assert_eq!(
        r.header("x-ms-correlation-request-id").map(|s| s.len()),
        Some(36)
    );
}

#[tokio::test]
async fn metadata_endpoints_describe_this_cloud() {
    let sim = Sim::start().await;
    let r = sim
        .raw(
            Method::GET,
            "/metadata/endpoints?api-version=2022-09-01",
            None,
            &[],
            false,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["resourceManager"],
        format!("{}/", sim.h.arm_endpoint)
    );
    assert_eq!(
        r.body["authentication"]["loginEndpoint"],
        format!("{}/", sim.h.authority_host)
    );
    assert!(
        r.body["authentication"]["audiences"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "https://management.azure.com/")
    );
}

#[tokio::test]
async fn subscription_locations_and_provider_registration() {
    let sim = Sim::start().await;
    let s = sim
        .get(&format!("{}?api-version=2025-04-01", sim.sub()))
        .await;
    assert_eq!(s.body["subscriptionId"], sim.h.subscription_id);
    assert_eq!(s.body["tenantId"], sim.h.tenant_id);
    let l = sim
        .get(&format!("{}/locations?api-version=2025-04-01", sim.sub()))
        .await;
    let eastus = l.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "eastus")
        .unwrap()
        .clone();
    assert_eq!(eastus["displayName"], "East US");

    let p = format!("{}/providers/Microsoft.ContainerService", sim.sub());
    let before = sim.get(&format!("{p}?api-version=2025-04-01")).await;
    assert_eq!(before.body["registrationState"], "NotRegistered");
    assert!(
        before.body["resourceTypes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["resourceType"] == "managedClusters")
    );
    let reg = sim
        .post(&format!("{p}/register?api-version=2025-04-01"), None)
        .await;
    assert_eq!(reg.status, 200);
    assert_eq!(reg.body["registrationState"], "Registering");
    let after = sim.get(&format!("{p}?api-version=2025-04-01")).await;
    assert_eq!(after.body["registrationState"], "Registered");
    let unknown = sim
        .get(&format!(
            "{}/providers/Microsoft.Nope?api-version=2025-04-01",
            sim.sub()
        ))
        .await;
    assert_eq!(unknown.status, 404);
    // A namespace ARM knows beyond the catalogue is registered as ARM registers it.
    let vault = format!("{}/providers/Microsoft.KeyVault", sim.sub());
    let before = sim.get(&format!("{vault}?api-version=2025-04-01")).await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(before.body["registrationState"], "NotRegistered");
    let reg = sim
        .post(&format!("{vault}/register?api-version=2025-04-01"), None)
        .await;
    assert_eq!(reg.status, 200, "{}", reg.body);
    assert_eq!(reg.body["namespace"], "Microsoft.KeyVault");
}

#[tokio::test]
async fn resource_group_lifecycle() {
    let sim = Sim::start().await;
    let url = format!("{}?api-version=2025-04-01", sim.rg("rg-Test"));
    let body =
        json!({"location": "eastus", "tags": {"managed-by": "katonic-console", "install": "prod"}});
    let created = sim.put(&url, &body).await;
    assert_eq!(created.status, 201);
    assert_eq!(created.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(created.body["type"], "Microsoft.Resources/resourceGroups");
    assert_eq!(sim.put(&url, &body).await.status, 200);
    // Names are case-insensitive; the canonical casing is the first PUT's.
    let lower = sim
        .get(&format!("{}?api-version=2025-04-01", sim.rg("RG-TEST")))
        .await;
    assert_eq!(lower.body["name"], "rg-Test");
    let moved = sim.put(&url, &json!({"location": "westus2"})).await;
    assert_eq!(moved.status, 409);
    assert_eq!(moved.code(), "InvalidResourceGroupLocation");
    let no_loc = sim
        .put(
            &format!("{}?api-version=2025-04-01", sim.rg("rg-x")),
            &json!({}),
        )
        .await;
    assert_eq!(no_loc.code(), "LocationRequired");
    let bad_loc = sim
        .put(
            &format!("{}?api-version=2025-04-01", sim.rg("rg-x")),
            &json!({"location": "moon"}),
        )
        .await;
    assert_eq!(bad_loc.status, 400);

    assert_eq!(sim.call(Method::HEAD, &url, None).await.status, 204);
    assert_eq!(
        sim.call(
            Method::HEAD,
            &format!("{}?api-version=2025-04-01", sim.rg("absent")),
            None
        )
        .await
        .status,
        404
    );

    let filtered = sim.get(&format!("{}/resourcegroups?api-version=2025-04-01&$filter=tagName eq 'install' and tagValue eq 'prod'", sim.sub())).await;
    assert_eq!(filtered.body["value"].as_array().unwrap().len(), 1);
    let none = sim.get(&format!("{}/resourcegroups?api-version=2025-04-01&$filter=tagName eq 'install' and tagValue eq 'dev'", sim.sub())).await;
    assert_eq!(none.body["value"].as_array().unwrap().len(), 0);

    let malformed = sim
        .raw(
            Method::PUT,
            &url,
            None,
            &[("content-type", "application/json")],
            true,
        )
        .await
        .unwrap();
    assert_eq!(malformed.status, 400);
    let garbage = sim
        .client
        .put(format!("{}{url}", sim.h.arm_endpoint))
        .bearer_auth(&sim.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
    let v: Value = garbage.json().await.unwrap();
    assert_eq!(v["error"]["code"], "InvalidRequestContent");

    let del = sim.delete(&url).await;
    assert_eq!(del.status, 202);
    assert!(del.header("retry-after").is_some());
    let done = sim.wait_location(&del).await;
    assert_eq!(done.status, 200);
    let gone = sim.get(&url).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.code(), "ResourceGroupNotFound");
}

#[tokio::test]
async fn slow_resource_group_delete_blocks_writes() {
    let sim = Sim::start_with(|c| c.time_scale = 100.0).await;
    sim.create_rg("rg-slow").await;
    let url = format!("{}?api-version=2025-04-01", sim.rg("rg-slow"));
    let del = sim.delete(&url).await;
    assert_eq!(del.status, 202);
    let get = sim.get(&url).await;
    assert_eq!(get.state(), "Deleting");
    let put = sim.put(&url, &json!({"location": "eastus"})).await;
    assert_eq!(put.status, 409);
    assert_eq!(put.code(), "ResourceGroupBeingDeleted");
    let poll = sim.get(&del.header("location").unwrap()).await;
    assert_eq!(poll.status, 202);
}

#[tokio::test]
async fn state_and_ca_survive_a_restart() {
    let sim = Sim::start().await;
    sim.create_rg("rg-keep").await;
    let (ca, tenant, secret) = (
        sim.h.ca_pem.clone(),
        sim.h.tenant_id.clone(),
        sim.h.client_secret.clone(),
    );
    let old_token = sim.token.clone();
    let sim = sim.restart().await;
    assert_eq!(sim.h.ca_pem, ca);
    assert_eq!(sim.h.tenant_id, tenant);
    assert_eq!(sim.h.client_secret, secret);
    let r = sim
        .get(&format!("{}?api-version=2025-04-01", sim.rg("rg-keep")))
        .await;
    assert_eq!(r.status, 200);
    // A token issued before the restart still works (the client keeps its cache).
    let r = sim
        .raw(
            Method::GET,
            &format!("{}?api-version=2025-04-01", sim.rg("rg-keep")),
            None,
            &[("authorization", &format!("Bearer {old_token}"))],
            false,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    // A client built from the CA file trusts the new server certificate.
    let pem = std::fs::read_to_string(&sim.h.ca_file).unwrap();
    let c = client_for(&pem);
    assert_eq!(
        c.get(format!(
            "{}/metadata/endpoints?api-version=2022-09-01",
            sim.h.arm_endpoint
        ))
        .send()
        .await
        .unwrap()
        .status(),
        200
    );
    assert!(
        sim.h
            .env_file_contents()
            .contains(&format!("AZURE_SUBSCRIPTION_ID={}", sim.h.subscription_id))
    );
}

#[tokio::test]
async fn caller_permissions_are_enforced() {
    let dir = tempfile::tempdir().unwrap();
    // Write a catalogue whose caller lacks role-assignment writes, then start on it.
    let mut cat = crate::catalog::Catalog::default_catalog().unwrap();
    cat.caller_permissions.not_actions = vec![
        "Microsoft.Authorization/*/Write".into(),
        "Microsoft.Resources/subscriptions/resourceGroups/delete".into(),
    ];
    std::fs::write(
        dir.path().join("catalog.yaml"),
        serde_yaml_ng::to_string(&cat).unwrap(),
    )
    .unwrap();
    let sim = Sim::start_in(dir, |_| {}).await;
    sim.create_rg("rg-p").await;
    let del = sim
        .delete(&format!("{}?api-version=2025-04-01", sim.rg("rg-p")))
        .await;
    assert_eq!(del.status, 403);
    assert_eq!(del.code(), "AuthorizationFailed");
}

#[tokio::test]
async fn in_flight_operations_survive_a_restart() {
    let sim = Sim::start_with(|c| c.time_scale = 0.02).await;
    sim.create_rg("rg-r").await;
    let url = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/v1?api-version=2025-07-01",
        sim.rg("rg-r")
    );
    let r = sim.put(&url, &json!({"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}})).await;
    assert_eq!(r.status, 201);
    let status_path = r
        .header("azure-asyncoperation")
        .unwrap()
        .split_once("/subscriptions/")
        .map(|(_, p)| format!("/subscriptions/{p}"))
        .unwrap();
    let sim = sim.restart().await;
    assert_eq!(sim.get(&url).await.state(), "Updating");
    assert_eq!(
        sim.until_status(&status_path, "Succeeded").await["status"],
        "Succeeded"
    );
    assert_eq!(sim.get(&url).await.state(), "Succeeded");
}

#[tokio::test]
async fn malformed_requests_never_break_the_server() {
    let sim = Sim::start().await;
    sim.create_rg("rg-m").await;
    let bodies = [
        "[]",
        "null",
        "\"x\"",
        "{\"location\": 5}",
        "{\"location\":\"eastus\",\"properties\":[]}",
        "{\"location\":\"eastus\",\"tags\":[1]}",
    ];
    let urls = [
        format!("{}?api-version=2025-04-01", sim.rg("rg-m2")),
        format!(
            "{}/providers/Microsoft.Network/virtualNetworks/v?api-version=2025-07-01",
            sim.rg("rg-m")
        ),
        format!(
            "{}/providers/Microsoft.Network/networkSecurityGroups/n?api-version=2025-07-01",
            sim.rg("rg-m")
        ),
        format!(
            "{}/providers/Microsoft.Storage/storageAccounts/abcabc?api-version=2025-06-01",
            sim.rg("rg-m")
        ),
        format!(
            "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/idx?api-version=2023-01-31",
            sim.rg("rg-m")
        ),
        format!(
            "{}/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01",
            sim.rg("rg-m"),
            uuid::Uuid::new_v4()
        ),
    ];
    for url in &urls {
        for body in bodies {
            let r = sim
                .client
                .put(format!("{}{url}", sim.h.arm_endpoint))
                .bearer_auth(&sim.token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert!(
                r.status().is_client_error(),
                "{url} {body} -> {}",
                r.status()
            );
            let v: Value = r.json().await.unwrap();
            assert!(v["error"]["code"].is_string(), "{v}");
        }
    }
    for path in [
        "/subscriptions",
        "/subscriptions/%zz/x",
        "/nothing",
        "/subscriptions/x/resourceGroups/y/providers/Microsoft.Network",
        "/subscriptions/x/resourceGroups/y/providers",
    ] {
        let r = sim
            .client
            .get(format!(
                "{}{path}?api-version=2025-04-01",
                sim.h.arm_endpoint
            ))
            .bearer_auth(&sim.token)
            .send()
            .await
            .unwrap();
        assert!(r.status().as_u16() < 500, "{path} -> {}", r.status());
    }
    // Still serving.
    assert_eq!(
        sim.get(&format!("{}?api-version=2025-04-01", sim.sub()))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let Sim { h, dir, token, .. } = Sim::start().await;
    h.shutdown().await;
    let path = dir.path().join("state.json");
    let mut state: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let past = time::OffsetDateTime::now_utc().unix_timestamp() - 60;
    for t in state["tokens"].as_object_mut().unwrap().values_mut() {
        t["expires"] = json!(past);
    }
    std::fs::write(&path, serde_json::to_vec(&state).unwrap()).unwrap();
    let sim = Sim::start_in(dir, |_| {}).await;
    let r = sim
        .raw(
            Method::GET,
            &format!("{}?api-version=2025-04-01", sim.sub()),
            None,
            &[("authorization", &format!("Bearer {token}"))],
            false,
        )
        .await
        .unwrap();
    assert_eq!((r.status, r.code()), (401, "ExpiredAuthenticationToken"));
    // The schema data file is present and parsed.
    assert!(
        crate::schema::validate_response("ResourceGroups_Get", 200, &json!({"location": "eastus"}))
            .is_empty()
    );
    assert!(
        !crate::schema::validate_response("ResourceGroups_Get", 200, &json!({"location": 1}))
            .is_empty()
    );
}

#[tokio::test]
async fn adfs_authority_discovers_and_issues_arm_tokens() {
    let sim = Sim::start().await;
    let base = &sim.h.authority_host;
    let config: Value = sim
        .client
        .get(format!("{base}/adfs/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token_url = config["token_endpoint"].as_str().unwrap().to_string();
    assert_eq!(token_url, format!("{base}/adfs/oauth2/token/"));
    assert!(config["authorization_endpoint"].is_string());
    let form = |secret: &str| {
        vec![
            ("client_id".to_string(), sim.h.client_id.clone()),
            ("client_secret".to_string(), secret.to_string()),
            ("grant_type".to_string(), "client_credentials".to_string()),
            (
                "scope".to_string(),
                "https://management.core.windows.net//.default".to_string(),
            ),
        ]
    };
    let bad = sim
        .client
        .post(&token_url)
        .form(&form("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let ok = sim
        .client
        .post(&token_url)
        .form(&form(&sim.h.client_secret))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let v: Value = ok.json().await.unwrap();
    assert_eq!(v["token_type"], "bearer");
    let token = v["access_token"].as_str().unwrap();
    // The token is good for ARM; the subscription list keeps older api-versions.
    let subs = sim
        .client
        .get(format!(
            "{}/subscriptions?api-version=2019-11-01",
            sim.h.arm_endpoint
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(subs.status(), 200);
    let v: Value = subs.json().await.unwrap();
    assert_eq!(
        v["value"][0]["subscriptionId"],
        sim.h.subscription_id.as_str()
    );
}
