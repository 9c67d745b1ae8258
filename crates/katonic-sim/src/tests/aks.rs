//! AKS preflight validation, late failures, pool concurrency, subnet use and deletes.

use serde_json::{Value, json};

use super::harness::{Sim, cluster_body};

async fn put_cluster(sim: &Sim, body: &Value) -> super::harness::Resp {
    sim.put(
        &format!("{}?api-version=2025-10-01", sim.cluster_url("rg-a", "aks1")),
        body,
    )
    .await
}

#[tokio::test]
async fn cluster_validation_rejects_like_aks() {
    let sim = Sim::start().await;
    let (identity, subnet) = sim.network_env("rg-a", "10.20.0.0/26").await;
    let base = cluster_body(&identity, &subnet);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = base.clone();
        f(&mut b);
        b
    };
    let pool = "/properties/agentPoolProfiles/0";
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            with(&|b| b.pointer_mut(pool).unwrap()["name"] = json!("System-1")),
            400,
            "InvalidParameter",
        ),
        (
            with(&|b| b.pointer_mut(pool).unwrap()["mode"] = json!("User")),
            400,
            "MustDefineAtLeastOneSystemPool",
        ),
        (
            with(&|b| b.pointer_mut(pool).unwrap()["vmSize"] = json!("Standard_NC6")),
            400,
            "SkuNotAvailable",
        ),
        (
            with(&|b| b.pointer_mut(pool).unwrap()["vmSize"] = json!("Standard_DS1_v2")),
            400,
            "InvalidParameter",
        ),
        (
            with(&|b| b.pointer_mut(pool).unwrap()["vmSize"] = json!("Standard_NC4as_T4_v3")),
            200,
            "",
        ),
        (
            with(&|b| {
                b.pointer_mut(pool).unwrap()["vmSize"] = json!("Standard_NC4as_T4_v3");
                b.pointer_mut(pool).unwrap()["availabilityZones"] = json!(["3"]);
            }),
            400,
            "SkuNotAvailable",
        ),
        (
            with(&|b| b.pointer_mut(pool).unwrap()["availabilityZones"] = json!(["4"])),
            400,
            "AvailabilityZoneNotSupported",
        ),
        (
            with(&|b| b["properties"]["kubernetesVersion"] = json!("1.27")),
            400,
            "K8sVersionNotSupported",
        ),
        (
            with(&|b| {
                b["properties"]["kubernetesVersion"] = json!("1.30");
                b.pointer_mut(pool).unwrap()["orchestratorVersion"] = json!("1.30");
            }),
            400,
            "K8sVersionNotSupported",
        ),
        (
            with(&|b| b.pointer_mut(pool).unwrap()["orchestratorVersion"] = json!("1.35")),
            400,
            "AgentPoolK8sVersionNotSupported",
        ),
        (
            with(&|b| {
                b.pointer_mut(pool).unwrap()["vnetSubnetID"] =
                    json!(subnet.replace("snet-aks", "snet-none"))
            }),
            400,
            "InvalidParameter",
        ),
        (
            with(&|b| b.pointer_mut(pool).unwrap()["minCount"] = json!(5)),
            400,
            "InvalidParameter",
        ),
        (
            with(&|b| b.pointer_mut(pool).unwrap()["nodeTaints"] = json!(["bad taint"])),
            400,
            "InvalidParameter",
        ),
        (
            with(&|b| b["properties"]["dnsPrefix"] = json!("-bad")),
            400,
            "InvalidParameter",
        ),
        (
            with(&|b| {
                b["properties"]["networkProfile"]["serviceCidr"] = json!("10.20.0.0/16");
                b["properties"]["networkProfile"]["dnsServiceIP"] = json!("10.20.0.10");
            }),
            400,
            "ServiceCidrOverlapExistingSubnetsCidr",
        ),
        (
            with(&|b| b["properties"]["networkProfile"]["dnsServiceIP"] = json!("10.9.0.10")),
            400,
            "InvalidDNSServiceIP",
        ),
        (
            with(&|b| b["properties"]["networkProfile"]["networkPlugin"] = json!("kubenet")),
            400,
            "InvalidParameter",
        ),
        (
            with(&|b| b["properties"]["networkProfile"]["networkPolicy"] = json!("weave")),
            400,
            "InvalidParameter",
        ),
        (
            with(&|b| b.pointer_mut(pool).unwrap()["count"] = json!("two")),
            400,
            "InvalidRequestContent",
        ),
        (
            with(&|b| {
                b["identity"]["userAssignedIdentities"] =
                    json!({identity.replace("id-aks", "id-none"): {}})
            }),
            400,
            "InvalidParameter",
        ),
    ];
    for (body, status, code) in cases {
        let r = put_cluster(&sim, &body).await;
        if status == 200 {
            // The size is fine in zones 1 and 2; clean up for the next case.
            assert_eq!(r.status, 201, "{}", r.body);
            sim.wait_async(&r).await;
            let d = sim
                .delete(&format!(
                    "{}?api-version=2025-10-01",
                    sim.cluster_url("rg-a", "aks1")
                ))
                .await;
            assert_eq!(d.status, 202);
            sim.wait_async(&d).await;
            continue;
        }
        assert_eq!(
            (r.status, r.code()),
            (status, code),
            "{} -> {}",
            body["properties"]["agentPoolProfiles"][0],
            r.body
        );
    }
}

#[tokio::test]
async fn lts_versions_need_premium_and_the_lts_plan() {
    let sim = Sim::start().await;
    let (identity, subnet) = sim.network_env("rg-a", "10.20.0.0/26").await;
    let mut body = cluster_body(&identity, &subnet);
    body["properties"]["kubernetesVersion"] = json!("1.30");
    body["properties"]["agentPoolProfiles"][0]["orchestratorVersion"] = json!("1.30");
    body["sku"]["tier"] = json!("Premium");
    body["properties"]["supportPlan"] = json!("AKSLongTermSupport");
    let r = put_cluster(&sim, &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["properties"]["currentKubernetesVersion"], "1.30.100");
}

#[tokio::test]
async fn classic_cni_does_not_fit_a_26() {
    let sim = Sim::start().await;
    let (identity, subnet) = sim.network_env("rg-a", "10.20.0.0/26").await;
    let mut body = cluster_body(&identity, &subnet);
    body["properties"]["networkProfile"] = json!({"networkPlugin": "azure", "serviceCidr": "172.16.0.0/16", "dnsServiceIP": "172.16.0.10"});
    body["properties"]["agentPoolProfiles"][0]["maxPods"] = json!(30);
    let r = put_cluster(&sim, &body).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "InsufficientSubnetSize"),
        "{}",
        r.body
    );
    // (3 max + 1 surge) × (30 + 1) = 124 > 59.
    assert!(
        r.body["error"]["message"].as_str().unwrap().starts_with(
            "Pre-allocated IPs 124 exceeds IPs available 59 in Subnet Cidr 10.20.0.0/26"
        )
    );
}

#[tokio::test]
async fn quota_is_checked_per_family_at_max() {
    let dir = tempfile::tempdir().unwrap();
    let mut cat = crate::catalog::Catalog::default_catalog().unwrap();
    cat.quota.overrides.push(crate::catalog::QuotaOverride {
        location: "eastus".into(),
        family: "standardDSv5Family".into(),
        limit: 12,
    });
    std::fs::write(
        dir.path().join("catalog.yaml"),
        serde_yaml_ng::to_string(&cat).unwrap(),
    )
    .unwrap();
    let sim = Sim::start_in(dir, |_| {}).await;
    let (identity, subnet) = sim.network_env("rg-a", "10.20.0.0/26").await;
    // 3 max + 1 surge = 4 nodes × 4 vCPUs = 16 > 12.
    let r = put_cluster(&sim, &cluster_body(&identity, &subnet)).await;
    assert_eq!((r.status, r.code()), (400, "QuotaExceeded"), "{}", r.body);
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("standardDSv5Family")
            && msg.contains("Current Limit: 12")
            && msg.contains("Current Usage: 0")
            && msg.contains("Additional Required: 16"),
        "{msg}"
    );
}

#[tokio::test]
async fn missing_network_contributor_fails_the_create_late() {
    let sim = Sim::start().await;
    sim.register_all().await;
    sim.create_rg("rg-a").await;
    let vnet = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/vnet",
        sim.rg("rg-a")
    );
    let r = sim.put(&format!("{vnet}?api-version=2025-07-01"), &json!({"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.20.0.0/16"]}, "subnets": [{"name": "snet-aks", "properties": {"addressPrefix": "10.20.0.0/26"}}]}})).await;
    sim.wait_async(&r).await;
    let id = format!(
        "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aks",
        sim.rg("rg-a")
    );
    sim.put(
        &format!("{id}?api-version=2023-01-31"),
        &json!({"location": "eastus"}),
    )
    .await;
    let r = put_cluster(
        &sim,
        &cluster_body(&id, &format!("{vnet}/subnets/snet-aks")),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let status = sim.wait_async(&r).await;
    assert_eq!(status["status"], "Failed");
    assert_eq!(status["error"]["code"], "LinkedAuthorizationFailed");
    let got = sim
        .get(&format!(
            "{}?api-version=2025-10-01",
            sim.cluster_url("rg-a", "aks1")
        ))
        .await;
    assert_eq!(got.state(), "Failed");
    assert_eq!(
        got.body["properties"]["status"]["provisioningError"]["code"],
        "LinkedAuthorizationFailed"
    );
    super::harness::assert_valid("ManagedClusters_Get", &got);
}

#[tokio::test]
async fn one_pool_operation_at_a_time() {
    let sim = Sim::start_with_catalog(
        |cat| cat.providers.registration_seconds = 0.0,
        |c| c.time_scale = 1000.0,
    )
    .await;
    let (identity, subnet) = sim.network_env_slow("rg-a").await;
    let cluster = sim.cluster_url("rg-a", "aks1");
    let r = put_cluster(&sim, &cluster_body(&identity, &subnet)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let pool = json!({"properties": {"mode": "User", "vmSize": "Standard_D8s_v3", "count": 1, "vnetSubnetID": subnet}});
    let busy = sim
        .put(
            &format!("{cluster}/agentPools/compute?api-version=2025-10-01"),
            &pool,
        )
        .await;
    assert_eq!((busy.status, busy.code()), (409, "OperationNotAllowed"));
    assert!(
        busy.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Another operation (Creating) is in progress")
    );
    let again = put_cluster(&sim, &cluster_body(&identity, &subnet)).await;
    assert_eq!(again.status, 409);
    let creds = sim
        .post(
            &format!("{cluster}/listClusterAdminCredential?api-version=2025-10-01"),
            None,
        )
        .await;
    assert_eq!(creds.status, 409);
}

#[tokio::test]
async fn pools_conflict_and_subnets_in_use() {
    let sim = Sim::start().await;
    let (identity, subnet) = sim.network_env("rg-a", "10.20.0.0/26").await;
    let cluster = sim.cluster_url("rg-a", "aks1");
    let r = put_cluster(&sim, &cluster_body(&identity, &subnet)).await;
    sim.wait_async(&r).await;
    // The VNet cannot drop the AKS subnet any more, nor change its range.
    let vnet = subnet.rsplit_once("/subnets/").unwrap().0.to_string();
    let drop = sim.put(&format!("{vnet}?api-version=2025-07-01"), &json!({"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.20.0.0/16"]}, "subnets": [{"name": "snet-jump", "properties": {"addressPrefix": "10.20.1.64/29"}}]}})).await;
    assert_eq!(
        (drop.status, drop.code()),
        (400, "InUseSubnetCannotBeDeleted")
    );
    let resize = sim
        .put(
            &format!("{subnet}?api-version=2025-07-01"),
            &json!({"properties": {"addressPrefix": "10.20.0.0/25"}}),
        )
        .await;
    assert_eq!(
        (resize.status, resize.code()),
        (400, "InUseSubnetCannotBeUpdated")
    );
    assert_eq!(
        sim.delete(&format!("{subnet}?api-version=2025-07-01"))
            .await
            .code(),
        "InUseSubnetCannotBeDeleted"
    );

    // Pools: immutable fields, the last system pool, a full subnet.
    let pool_url = format!("{cluster}/agentPools/system?api-version=2025-10-01");
    let mut sys = sim.get(&pool_url).await.body;
    sys["properties"]["vmSize"] = json!("Standard_D8s_v5");
    let changed = sim
        .put(&pool_url, &json!({"properties": sys["properties"]}))
        .await;
    assert_eq!(changed.code(), "PropertyChangeNotAllowed");
    assert_eq!(sim.delete(&pool_url).await.code(), "OperationNotAllowed");
    let big = json!({"properties": {"mode": "User", "vmSize": "Standard_D8s_v3", "enableAutoScaling": true, "count": 1, "minCount": 1, "maxCount": 60, "vnetSubnetID": subnet}});
    let r = sim
        .put(
            &format!("{cluster}/agentPools/compute?api-version=2025-10-01"),
            &big,
        )
        .await;
    assert_eq!(r.code(), "InsufficientSubnetSize");
    let pool = json!({"properties": {"mode": "User", "vmSize": "Standard_D8s_v3", "enableAutoScaling": true, "count": 1, "minCount": 1, "maxCount": 4, "vnetSubnetID": subnet}});
    let r = sim
        .put(
            &format!("{cluster}/agentPools/compute?api-version=2025-10-01"),
            &pool,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    sim.wait_async(&r).await;
    let same = sim
        .put(
            &format!("{cluster}/agentPools/compute?api-version=2025-10-01"),
            &pool,
        )
        .await;
    assert_eq!(same.status, 200);
    assert!(same.header("azure-asyncoperation").is_none());
    let del = sim
        .delete(&format!(
            "{cluster}/agentPools/compute?api-version=2025-10-01"
        ))
        .await;
    assert_eq!(del.status, 202);
    assert_eq!(sim.wait_async(&del).await["status"], "Succeeded");
    assert_eq!(
        sim.get(&format!(
            "{cluster}/agentPools/compute?api-version=2025-10-01"
        ))
        .await
        .status,
        404
    );

    // Deleting the cluster frees the subnet and removes the node resource group.
    let del = sim
        .delete(&format!("{cluster}?api-version=2025-10-01"))
        .await;
    assert_eq!(del.status, 202);
    assert_eq!(sim.wait_location(&del).await.status, 204);
    assert_eq!(
        sim.get(&format!(
            "{}?api-version=2025-04-01",
            sim.rg("MC_rg-a_aks1_eastus")
        ))
        .await
        .status,
        404
    );
    // Accepted as Azure accepts a subnet delete (202, an operation to poll).
    assert_eq!(
        sim.delete(&format!("{subnet}?api-version=2025-07-01"))
            .await
            .status,
        202
    );
}

#[tokio::test]
async fn unregistered_provider_is_refused() {
    let sim = Sim::start().await;
    sim.create_rg("rg-a").await;
    let r = put_cluster(&sim, &cluster_body("/x", "/y")).await;
    assert_eq!(
        (r.status, r.code()),
        (409, "MissingSubscriptionRegistration")
    );
}

impl Sim {
    /// Like `network_env` on a slow simulator: waits for the VNet by polling.
    async fn network_env_slow(&self, rg: &str) -> (String, String) {
        self.register_all().await;
        self.create_rg(rg).await;
        let vnet = format!(
            "{}/providers/Microsoft.Network/virtualNetworks/vnet",
            self.rg(rg)
        );
        let r = self.put(&format!("{vnet}?api-version=2025-07-01"), &json!({"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.20.0.0/16"]}, "subnets": [{"name": "snet-aks", "properties": {"addressPrefix": "10.20.0.0/24"}}]}})).await;
        assert_eq!(r.status, 201);
        let id = format!(
            "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aks",
            self.rg(rg)
        );
        let r = self
            .put(
                &format!("{id}?api-version=2023-01-31"),
                &json!({"location": "eastus"}),
            )
            .await;
        let principal = r.body["properties"]["principalId"]
            .as_str()
            .unwrap()
            .to_string();
        self.assign(&vnet, super::harness::NETWORK_CONTRIBUTOR, &principal)
            .await;
        (id, format!("{vnet}/subnets/snet-aks"))
    }
}

#[tokio::test]
async fn managed_identity_cluster_reports_the_msi_placeholder_on_older_api_versions() {
    let sim = Sim::start().await;
    let (identity, subnet) = sim.network_env("rg-a", "10.20.0.0/26").await;
    let r = put_cluster(&sim, &cluster_body(&identity, &subnet)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(sim.wait_async(&r).await["status"], "Succeeded");
    // 2022-11-01 is still a GA version of the AKS API (the Azure CLI 2.45 sends it).
    let got = sim
        .get(&format!(
            "{}?api-version=2022-11-01",
            sim.cluster_url("rg-a", "aks1")
        ))
        .await;
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(
        got.body["properties"]["servicePrincipalProfile"],
        json!({"clientId": "msi"})
    );
    super::harness::assert_valid("ManagedClusters_Get", &got);
}
