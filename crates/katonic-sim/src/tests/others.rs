//! Storage, ACR, identities and role assignments: their validation and idempotency.

use serde_json::json;

use super::harness::{NETWORK_CONTRIBUTOR, Sim, assert_valid};

#[tokio::test]
async fn storage_names_and_provisioning() {
    let sim = Sim::start_with(|c| c.time_scale = 1000.0).await;
    sim.create_rg("rg-s").await;
    let sub = sim.sub();
    let check = |name: &'static str| {
        let sim = &sim;
        let sub = sub.clone();
        async move {
            sim.post(
                &format!(
                    "{sub}/providers/Microsoft.Storage/checkNameAvailability?api-version=2025-06-01"
                ),
                Some(&json!({"name": name, "type": "Microsoft.Storage/storageAccounts"})),
            )
            .await
        }
    };
    assert_eq!(check("Bad_Name").await.body["reason"], "AccountNameInvalid");
    assert_eq!(check("katonicsa").await.body["reason"], "AlreadyExists");
    let url = |n: &str| {
        format!(
            "{}/providers/Microsoft.Storage/storageAccounts/{n}?api-version=2025-06-01",
            sim.rg("rg-s")
        )
    };
    let body = json!({"location": "eastus", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"});
    assert_eq!(
        sim.put(&url("Bad_Name"), &body).await.code(),
        "AccountNameInvalid"
    );
    let taken = sim.put(&url("katonicsa"), &body).await;
    assert_eq!(
        (taken.status, taken.code()),
        (409, "StorageAccountAlreadyTaken")
    );
    let no_sku = sim
        .put(
            &url("katonic01"),
            &json!({"location": "eastus", "kind": "StorageV2"}),
        )
        .await;
    assert_eq!(
        (no_sku.status, no_sku.code()),
        (400, "InvalidValuesForRequestParameters")
    );
    let bad_kind = sim
        .put(
            &url("katonic01"),
            &json!({"location": "eastus", "kind": "FileStorage", "sku": {"name": "Standard_LRS"}}),
        )
        .await;
    assert_eq!(bad_kind.code(), "InvalidValuesForRequestParameters");
    let created = sim.put(&url("katonic01"), &body).await;
    assert_eq!(created.status, 202);
    // While it is being created, containers cannot be made and re-PUT answers 202 again.
    let c = sim.put(&format!("{}/providers/Microsoft.Storage/storageAccounts/katonic01/blobServices/default/containers/data?api-version=2025-06-01", sim.rg("rg-s")), &json!({})).await;
    assert_eq!(
        (c.status, c.code()),
        (409, "StorageAccountIsNotProvisioned")
    );
    let again = sim.put(&url("katonic01"), &body).await;
    assert_eq!(again.status, 202);
    assert_eq!(again.header("location"), created.header("location"));
    let poll = sim.get(&created.header("location").unwrap()).await;
    assert_eq!(poll.status, 202);
    assert!(poll.header("retry-after").is_some());
    assert_eq!(check("katonic01").await.body["nameAvailable"], false);
    // A container on a missing account.
    let orphan = sim.put(&format!("{}/providers/Microsoft.Storage/storageAccounts/nosuch/blobServices/default/containers/data?api-version=2025-06-01", sim.rg("rg-s")), &json!({})).await;
    assert_eq!(
        (orphan.status, orphan.code()),
        (404, "ParentResourceNotFound")
    );
}

#[tokio::test]
async fn storage_children_rules() {
    let sim = Sim::start().await;
    sim.create_rg("rg-s").await;
    let acct = format!(
        "{}/providers/Microsoft.Storage/storageAccounts/katonic02",
        sim.rg("rg-s")
    );
    let r = sim
        .put(
            &format!("{acct}?api-version=2025-06-01"),
            &json!({"location": "eastus", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"}),
        )
        .await;
    sim.wait_location(&r).await;
    let share = |body: serde_json::Value| {
        let sim = &sim;
        let acct = acct.clone();
        async move {
            sim.put(
                &format!("{acct}/fileServices/default/shares/share1?api-version=2025-06-01"),
                &body,
            )
            .await
        }
    };
    assert_eq!(
        share(json!({"properties": {"enabledProtocols": "NFS"}}))
            .await
            .code(),
        "FeatureNotSupportedForAccount"
    );
    assert_eq!(
        share(json!({"properties": {"shareQuota": 0}})).await.status,
        400
    );
    assert_eq!(
        share(json!({"properties": {"shareQuota": 100}}))
            .await
            .status,
        201
    );
    assert_eq!(
        share(json!({"properties": {"shareQuota": 200}}))
            .await
            .status,
        200
    );
    let public = sim
        .put(
            &format!("{acct}/blobServices/default/containers/cont1?api-version=2025-06-01"),
            &json!({"properties": {"publicAccess": "Blob"}}),
        )
        .await;
    assert_eq!(public.code(), "PublicAccessNotPermitted");
    let bad = sim
        .put(
            &format!("{acct}/blobServices/default/containers/Bad--Name?api-version=2025-06-01"),
            &json!({}),
        )
        .await;
    assert_eq!(bad.code(), "InvalidResourceName");
    // NFS works on a premium FileStorage account.
    let prem = format!(
        "{}/providers/Microsoft.Storage/storageAccounts/katonicnfs",
        sim.rg("rg-s")
    );
    let r = sim
        .put(
            &format!("{prem}?api-version=2025-06-01"),
            &json!({"location": "eastus", "sku": {"name": "Premium_LRS"}, "kind": "FileStorage"}),
        )
        .await;
    sim.wait_location(&r).await;
    let nfs = sim.put(&format!("{prem}/fileServices/default/shares/nfs?api-version=2025-06-01"), &json!({"properties": {"enabledProtocols": "NFS", "rootSquash": "NoRootSquash", "shareQuota": 1024}})).await;
    assert_eq!(nfs.status, 201, "{}", nfs.body);
    super::harness::assert_valid("FileShares_Create", &nfs);
    // Deleting the account removes its children.
    assert_eq!(
        sim.delete(&format!("{acct}?api-version=2025-06-01"))
            .await
            .status,
        200
    );
    assert_eq!(
        sim.delete(&format!("{acct}?api-version=2025-06-01"))
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn registry_rules() {
    let sim = Sim::start().await;
    sim.register_all().await;
    sim.create_rg("rg-r").await;
    let url = |n: &str| {
        format!(
            "{}/providers/Microsoft.ContainerRegistry/registries/{n}?api-version=2025-04-01",
            sim.rg("rg-r")
        )
    };
    let body = json!({"location": "eastus", "sku": {"name": "Standard"}});
    assert_eq!(
        sim.put(&url("acr"), &body).await.code(),
        "InvalidResourceName"
    );
    let taken = sim.put(&url("katonicacr"), &body).await;
    assert_eq!((taken.status, taken.code()), (409, "AlreadyInUse"));
    let zr = sim.put(&url("katonic01"), &json!({"location": "eastus", "sku": {"name": "Standard"}, "properties": {"zoneRedundancy": "Enabled"}})).await;
    assert_eq!(zr.status, 400);
    let bad_sku = sim
        .put(
            &url("katonic01"),
            &json!({"location": "eastus", "sku": {"name": "Gold"}}),
        )
        .await;
    assert_eq!(bad_sku.status, 400);
    let ok = sim.put(&url("katonic01"), &body).await;
    assert_eq!(ok.status, 201);
    sim.wait_async(&ok).await;
    assert_eq!(sim.put(&url("katonic01"), &body).await.status, 200);
    let del = sim.delete(&url("katonic01")).await;
    assert_eq!(del.status, 202);
    sim.wait_location(&del).await;
    assert_eq!(sim.get(&url("katonic01")).await.status, 404);
}

#[tokio::test]
async fn role_assignment_rules() {
    let sim = Sim::start().await;
    sim.create_rg("rg-x").await;
    let id = format!(
        "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1",
        sim.rg("rg-x")
    );
    let r = sim
        .put(
            &format!("{id}?api-version=2023-01-31"),
            &json!({"location": "eastus"}),
        )
        .await;
    let principal = r.body["properties"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    let scope = sim.rg("rg-x");
    let put = |name: String, role: &str, principal: &str| {
        let sim = &sim;
        let body = json!({"properties": {"roleDefinitionId": format!("{}/providers/Microsoft.Authorization/roleDefinitions/{role}", sim.sub()), "principalId": principal}});
        let url = format!(
            "{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01"
        );
        async move { sim.put(&url, &body).await }
    };
    let name = uuid::Uuid::new_v4().to_string();
    let unknown = put(
        name.clone(),
        NETWORK_CONTRIBUTOR,
        "00000000-1111-2222-3333-444444444444",
    )
    .await;
    assert_eq!((unknown.status, unknown.code()), (400, "PrincipalNotFound"));
    let bad_role = put(
        name.clone(),
        "00000000-0000-0000-0000-000000000000",
        &principal,
    )
    .await;
    assert_eq!(bad_role.code(), "RoleDefinitionDoesNotExist");
    let bad_name = put("not-a-guid".into(), NETWORK_CONTRIBUTOR, &principal).await;
    assert_eq!(bad_name.code(), "InvalidRoleAssignmentId");
    let ok = put(name.clone(), NETWORK_CONTRIBUTOR, &principal).await;
    assert_eq!(ok.status, 201);
    assert_eq!(
        put(name.clone(), NETWORK_CONTRIBUTOR, &principal)
            .await
            .status,
        200
    );
    let dup = put(
        uuid::Uuid::new_v4().to_string(),
        NETWORK_CONTRIBUTOR,
        &principal,
    )
    .await;
    assert_eq!((dup.status, dup.code()), (409, "RoleAssignmentExists"));
    let changed = put(
        name.clone(),
        "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        &principal,
    )
    .await;
    assert_eq!(
        (changed.status, changed.code()),
        (409, "RoleAssignmentUpdateNotPermitted")
    );
    let missing_scope = sim.put(&format!("{}/providers/Microsoft.Network/virtualNetworks/none/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01", sim.rg("rg-x"), uuid::Uuid::new_v4()), &json!({"properties": {"roleDefinitionId": NETWORK_CONTRIBUTOR, "principalId": principal}})).await;
    assert_eq!(missing_scope.status, 404);
    let listed = sim.get(&format!("{scope}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()")).await;
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 1);
    super::harness::assert_valid("RoleAssignments_ListForScope", &listed);
    let del = sim.delete(&format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01")).await;
    assert_eq!(del.status, 200);
    // A deleted identity's principal is gone from the directory.
    assert_eq!(
        sim.delete(&format!("{id}?api-version=2023-01-31"))
            .await
            .status,
        200
    );
    let gone = put(
        uuid::Uuid::new_v4().to_string(),
        NETWORK_CONTRIBUTOR,
        &principal,
    )
    .await;
    assert_eq!(gone.code(), "PrincipalNotFound");
}

#[tokio::test]
async fn preflight_can_see_missing_role_assignment_rights() {
    let sim = Sim::start_with_catalog(
        |c| {
            c.caller_permissions.not_actions =
                vec!["Microsoft.Authorization/roleAssignments/write".into()]
        },
        |_| {},
    )
    .await;
    sim.create_rg("rg-x").await;
    let perms = sim
        .get(&format!(
            "{}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01",
            sim.rg("rg-x")
        ))
        .await;
    assert_eq!(
        perms.body["value"][0]["notActions"],
        json!(["Microsoft.Authorization/roleAssignments/write"])
    );
    let r = sim
        .put(
            &format!("{}/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01", sim.rg("rg-x"), uuid::Uuid::new_v4()),
            &json!({"properties": {"roleDefinitionId": NETWORK_CONTRIBUTOR, "principalId": uuid::Uuid::new_v4()}}),
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "AuthorizationFailed"));
}

#[tokio::test]
async fn role_definitions_are_found_by_name_or_id_at_an_existing_scope() {
    let sim = Sim::start().await;
    let (_, subnet) = sim.network_env("rg-n", "10.20.0.0/26").await;
    let defs = format!("{subnet}/providers/Microsoft.Authorization/roleDefinitions");
    // How `az role assignment create --role "Network Contributor"` finds the role's id.
    let by_name = sim
        .get(&format!(
            "{defs}?$filter=roleName%20eq%20%27Network%20Contributor%27&api-version=2022-05-01-preview"
        ))
        .await;
    assert_valid("RoleDefinitions_List", &by_name);
    let found = by_name.body["value"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{}", by_name.body);
    assert!(
        found[0]["id"]
            .as_str()
            .unwrap()
            .ends_with(NETWORK_CONTRIBUTOR),
        "{}",
        found[0]
    );
    assert_eq!(found[0]["properties"]["roleName"], "Network Contributor");
    let by_id = sim
        .get(&format!(
            "{defs}/{NETWORK_CONTRIBUTOR}?api-version=2022-04-01"
        ))
        .await;
    assert_valid("RoleDefinitions_Get", &by_id);
    assert_eq!(by_id.body["properties"]["type"], "BuiltInRole");
    let unknown = sim
        .get(&format!(
            "{defs}/00000000-0000-0000-0000-000000000000?api-version=2022-04-01"
        ))
        .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (404, "RoleDefinitionDoesNotExist")
    );
    let nowhere = sim
        .get(&format!(
            "{}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01",
            sim.rg("rg-missing")
        ))
        .await;
    assert_eq!(nowhere.code(), "ResourceGroupNotFound");
    let too_new = sim.get(&format!("{defs}?api-version=2030-01-01")).await;
    assert_eq!(too_new.code(), "InvalidApiVersionParameter");
}

#[tokio::test]
async fn the_azure_clis_api_versions_are_served_and_unknown_ones_refused() {
    let sim = Sim::start().await;
    sim.register_all().await;
    sim.create_rg("rg-v").await;
    let rg = sim.rg("rg-v");
    // az 2.67 sends these (Azure serves them): a missing resource, not an unknown version.
    for path in [
        "providers/Microsoft.Network/networkSecurityGroups/nsg?api-version=2022-01-01",
        "providers/Microsoft.ContainerRegistry/registries/acr1?api-version=2023-11-01-preview",
        "providers/Microsoft.ContainerRegistry/registries/acr1?api-version=2022-02-01-preview",
    ] {
        let r = sim.get(&format!("{rg}/{path}")).await;
        assert_eq!(r.status, 404, "{path}: {}", r.body);
        assert_ne!(r.code(), "NoRegisteredProviderFound", "{path}");
    }
    let old = sim
        .get(&format!(
            "{rg}/providers/Microsoft.Network/networkSecurityGroups/nsg?api-version=2014-01-01"
        ))
        .await;
    assert_eq!((old.status, old.code()), (400, "NoRegisteredProviderFound"));
}

/// An RA-GRS account answers its copy in the paired region and its `-secondary` endpoints, as
/// Azure does (issue 15); a locally redundant one has neither.
#[tokio::test]
async fn geo_redundant_accounts_answer_their_secondary() {
    let sim = Sim::start().await;
    sim.create_rg("rg-s").await;
    let url = |n: &str| {
        format!(
            "{}/providers/Microsoft.Storage/storageAccounts/{n}?api-version=2025-06-01",
            sim.rg("rg-s")
        )
    };
    for (name, sku) in [
        ("katonicra01", "Standard_RAGRS"),
        ("katoniclrs01", "Standard_LRS"),
    ] {
        let body = json!({"location": "eastus", "sku": {"name": sku}, "kind": "StorageV2"});
        let created = sim.put(&url(name), &body).await;
        assert_eq!(created.status, 202, "{}", created.body);
        sim.wait_location(&created).await;
    }
    let ra = sim.get(&url("katonicra01")).await;
    assert_eq!(
        ra.body["properties"]["secondaryLocation"], "westus",
        "{}",
        ra.body
    );
    assert_eq!(
        ra.body["properties"]["secondaryEndpoints"]["blob"],
        "https://katonicra01-secondary.blob.core.windows.net/"
    );
    let lrs = sim.get(&url("katoniclrs01")).await;
    assert!(lrs.body["properties"].get("secondaryLocation").is_none());
    assert!(lrs.body["properties"].get("secondaryEndpoints").is_none());
}
