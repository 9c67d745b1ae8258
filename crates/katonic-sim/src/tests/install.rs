//! The whole install flow against the simulator, every response checked against Microsoft's schema.

use base64::Engine;
use serde_json::{Value, json};

use super::harness::{NETWORK_CONTRIBUTOR, Sim, assert_valid, cluster_body};

const ACR_PULL: &str = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

#[tokio::test]
async fn full_install_flow_validates_against_the_specs() {
    let sim = Sim::start().await;
    let sub = sim.sub();
    sim.register_all().await;
    let p = sim
        .get(&format!(
            "{sub}/providers/Microsoft.ContainerService?api-version=2025-04-01"
        ))
        .await;
    assert_valid("Providers_Get", &p);
    assert_eq!(p.body["registrationState"], "Registered");

    // Resource group.
    let rg_url = format!("{}?api-version=2025-04-01", sim.rg("rg-katonic-prod"));
    let rg = sim.put(&rg_url, &json!({"location": "eastus", "tags": {"managed-by": "katonic-console", "install": "prod"}})).await;
    assert_eq!(rg.status, 201);
    assert_valid("ResourceGroups_CreateOrUpdate", &rg);
    assert_valid("ResourceGroups_Get", &sim.get(&rg_url).await);
    let base = sim.rg("rg-katonic-prod");

    // NSG, then the VNet with the NSG on the AKS subnet.
    let nsg_id = format!("{base}/providers/Microsoft.Network/networkSecurityGroups/nsg-aks");
    let nsg = sim
        .put(
            &format!("{nsg_id}?api-version=2025-07-01"),
            &json!({"location": "eastus", "tags": {"install": "prod"}, "properties": {"securityRules": [
                {"name": "allow-jump-to-aks", "properties": {"priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
                 "sourceAddressPrefix": "10.20.0.64/29", "sourcePortRange": "*", "destinationAddressPrefix": "10.20.0.0/26", "destinationPortRanges": ["443", "80"]}}]}}),
        )
        .await;
    assert_eq!(nsg.status, 201, "{}", nsg.body);
    assert_valid("NetworkSecurityGroups_CreateOrUpdate", &nsg);
    assert_eq!(nsg.state(), "Updating");
    assert_eq!(sim.wait_async(&nsg).await["status"], "Succeeded");
    let nsg_get = sim.get(&format!("{nsg_id}?api-version=2025-07-01")).await;
    assert_valid("NetworkSecurityGroups_Get", &nsg_get);
    assert_eq!(
        nsg_get.body["properties"]["defaultSecurityRules"]
            .as_array()
            .unwrap()
            .len(),
        6
    );

    let vnet_id = format!("{base}/providers/Microsoft.Network/virtualNetworks/vnet-katonic");
    let vnet_body = json!({"location": "eastus", "tags": {"install": "prod"}, "properties": {
        "addressSpace": {"addressPrefixes": ["10.20.0.0/24"]},
        "subnets": [
            {"name": "snet-aks", "properties": {"addressPrefix": "10.20.0.0/26", "networkSecurityGroup": {"id": nsg_id}}},
            {"name": "snet-jump", "properties": {"addressPrefix": "10.20.0.64/29"}}]}});
    let vnet = sim
        .put(&format!("{vnet_id}?api-version=2025-07-01"), &vnet_body)
        .await;
    assert_eq!(vnet.status, 201, "{}", vnet.body);
    assert_valid("VirtualNetworks_CreateOrUpdate", &vnet);
    assert_eq!(vnet.state(), "Updating");
    assert!(vnet.header("retry-after").is_some());
    let status = sim.wait_async(&vnet).await;
    assert_eq!(status["status"], "Succeeded");
    assert!(status["startTime"].is_string() && status["endTime"].is_string());
    let vnet_get = sim.get(&format!("{vnet_id}?api-version=2025-07-01")).await;
    assert_valid("VirtualNetworks_Get", &vnet_get);
    assert_eq!(vnet_get.state(), "Succeeded");
    // Idempotent re-PUT: 200, no new operation.
    let again = sim
        .put(&format!("{vnet_id}?api-version=2025-07-01"), &vnet_body)
        .await;
    assert_eq!(again.status, 200);
    assert!(again.header("azure-asyncoperation").is_none());
    let subnet_id = format!("{vnet_id}/subnets/snet-aks");
    let subnet = sim
        .get(&format!("{subnet_id}?api-version=2025-07-01"))
        .await;
    assert_valid("Subnets_Get", &subnet);
    assert_eq!(
        subnet.body["properties"]["networkSecurityGroup"]["id"],
        nsg_id
    );

    // A subnet added as a child resource.
    let extra = sim
        .put(
            &format!("{vnet_id}/subnets/snet-extra?api-version=2025-07-01"),
            &json!({"properties": {"addressPrefix": "10.20.0.128/28"}}),
        )
        .await;
    assert_eq!(extra.status, 201, "{}", extra.body);
    assert_valid("Subnets_CreateOrUpdate", &extra);
    assert_eq!(sim.wait_async(&extra).await["status"], "Succeeded");

    // Identity and its role on the AKS subnet.
    let id_url =
        format!("{base}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aks");
    let ident = sim
        .put(
            &format!("{id_url}?api-version=2023-01-31"),
            &json!({"location": "eastus", "tags": {"install": "prod"}}),
        )
        .await;
    assert_eq!(ident.status, 201);
    assert_valid("UserAssignedIdentities_CreateOrUpdate", &ident);
    let principal = ident.body["properties"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    let re = sim
        .put(
            &format!("{id_url}?api-version=2023-01-31"),
            &json!({"location": "eastus", "tags": {"install": "prod"}}),
        )
        .await;
    assert_eq!(re.status, 200);
    assert_eq!(re.body["properties"]["principalId"], principal.as_str());
    assert_eq!(
        re.body["properties"]["clientId"],
        ident.body["properties"]["clientId"]
    );
    assert_valid(
        "UserAssignedIdentities_Get",
        &sim.get(&format!("{id_url}?api-version=2023-01-31")).await,
    );
    let ra = sim
        .assign(&subnet_id, NETWORK_CONTRIBUTOR, &principal)
        .await;
    assert_valid("RoleAssignments_Create", &ra);
    let ra_get = sim
        .get(&format!(
            "{}?api-version=2022-04-01",
            ra.body["id"].as_str().unwrap()
        ))
        .await;
    assert_valid("RoleAssignments_Get", &ra_get);
    let perms = sim
        .get(&format!(
            "{base}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01"
        ))
        .await;
    assert_valid("Permissions_ListForResourceGroup", &perms);
    assert_eq!(perms.body["value"][0]["actions"][0], "*");

    // Storage: name check, 202 + Location polling, keys, container, share.
    let check = sim
        .post(
            &format!(
                "{sub}/providers/Microsoft.Storage/checkNameAvailability?api-version=2025-06-01"
            ),
            Some(&json!({"name": "katonicsa01", "type": "Microsoft.Storage/storageAccounts"})),
        )
        .await;
    assert_valid("StorageAccounts_CheckNameAvailability", &check);
    assert_eq!(check.body["nameAvailable"], true);
    let sa = format!("{base}/providers/Microsoft.Storage/storageAccounts/katonicsa01");
    let sa_body = json!({"location": "eastus", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2", "tags": {"install": "prod"},
        "properties": {"minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": false, "supportsHttpsTrafficOnly": true, "accessTier": "Hot"}});
    let created = sim
        .put(&format!("{sa}?api-version=2025-06-01"), &sa_body)
        .await;
    assert_eq!(created.status, 202);
    assert!(created.body.is_null(), "legacy 202 has no body");
    assert!(created.header("location").unwrap().contains("monitor=true"));
    let done = sim.wait_location(&created).await;
    assert_eq!(done.status, 200);
    assert_valid("StorageAccounts_Create", &done);
    assert_eq!(done.state(), "Succeeded");
    let sa_get = sim.get(&format!("{sa}?api-version=2025-06-01")).await;
    assert_valid("StorageAccounts_GetProperties", &sa_get);
    let keys = sim
        .post(&format!("{sa}/listKeys?api-version=2025-06-01"), None)
        .await;
    assert_valid("StorageAccounts_ListKeys", &keys);
    assert_eq!(keys.body["keys"].as_array().unwrap().len(), 2);
    let container = sim
        .put(
            &format!("{sa}/blobServices/default/containers/models?api-version=2025-06-01"),
            &json!({"properties": {"publicAccess": "None"}}),
        )
        .await;
    assert_eq!(container.status, 201, "{}", container.body);
    assert_valid("BlobContainers_Create", &container);
    assert_valid(
        "BlobContainers_Get",
        &sim.get(&format!(
            "{sa}/blobServices/default/containers/models?api-version=2025-06-01"
        ))
        .await,
    );
    let share = sim.put(&format!("{sa}/fileServices/default/shares/shared?api-version=2025-06-01"), &json!({"properties": {"shareQuota": 1024, "enabledProtocols": "SMB", "accessTier": "TransactionOptimized"}})).await;
    assert_eq!(share.status, 201, "{}", share.body);
    assert_valid("FileShares_Create", &share);
    assert_valid(
        "FileShares_Get",
        &sim.get(&format!(
            "{sa}/fileServices/default/shares/shared?api-version=2025-06-01"
        ))
        .await,
    );
    assert_eq!(
        sim.put(&format!("{sa}?api-version=2025-06-01"), &sa_body)
            .await
            .status,
        200
    );

    // ACR.
    let acr_check = sim.post(&format!("{sub}/providers/Microsoft.ContainerRegistry/checkNameAvailability?api-version=2025-04-01"), Some(&json!({"name": "katonicacr01", "type": "Microsoft.ContainerRegistry/registries"}))).await;
    assert_valid("Registries_CheckNameAvailability", &acr_check);
    assert_eq!(acr_check.body["nameAvailable"], true);
    let acr = format!("{base}/providers/Microsoft.ContainerRegistry/registries/katonicacr01");
    let reg = sim.put(&format!("{acr}?api-version=2025-04-01"), &json!({"location": "eastus", "tags": {"install": "prod"}, "sku": {"name": "Premium"}, "properties": {"adminUserEnabled": false, "publicNetworkAccess": "Enabled", "zoneRedundancy": "Enabled"}})).await;
    assert_eq!(reg.status, 201, "{}", reg.body);
    assert_valid("Registries_Create", &reg);
    assert_eq!(reg.state(), "Creating");
    assert_eq!(sim.wait_async(&reg).await["status"], "Succeeded");
    let reg_get = sim.get(&format!("{acr}?api-version=2025-04-01")).await;
    assert_valid("Registries_Get", &reg_get);
    assert_eq!(
        reg_get.body["properties"]["loginServer"],
        "katonicacr01.azurecr.io"
    );

    // Compute usages and SKUs, AKS versions.
    let usages = sim
        .get(&format!(
            "{sub}/providers/Microsoft.Compute/locations/eastus/usages?api-version=2024-07-01"
        ))
        .await;
    assert_valid("Usage_List", &usages);
    let family = |u: &Resp2, f: &str| {
        u.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"]["value"] == f)
            .map(|x| x["currentValue"].as_i64().unwrap())
    };
    type Resp2 = super::harness::Resp;
    assert_eq!(family(&usages, "standardDSv5Family"), Some(0));
    let skus = sim.get(&format!("{sub}/providers/Microsoft.Compute/skus?api-version=2021-07-01&$filter=location eq 'eastus'")).await;
    assert_valid("ResourceSkus_List", &skus);
    let d4 = skus.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Standard_D4s_v5")
        .unwrap()
        .clone();
    assert!(
        d4["capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "vCPUs" && c["value"] == "4")
    );
    assert_eq!(d4["locationInfo"][0]["zones"], json!(["1", "2", "3"]));
    let versions = sim.get(&format!("{sub}/providers/Microsoft.ContainerService/locations/eastus/kubernetesVersions?api-version=2025-10-01")).await;
    assert_valid("ManagedClusters_ListKubernetesVersions", &versions);
    let v129 = versions.body["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["version"] == "1.29")
        .unwrap()
        .clone();
    assert_eq!(
        v129["capabilities"]["supportPlan"],
        json!(["AKSLongTermSupport"])
    );

    // AKS.
    let cluster = sim.cluster_url("rg-katonic-prod", "katonic-prod");
    let body = cluster_body(&id_url, &subnet_id);
    let aks = sim
        .put(&format!("{cluster}?api-version=2025-10-01"), &body)
        .await;
    assert_eq!(aks.status, 201, "{}", aks.body);
    assert_valid("ManagedClusters_CreateOrUpdate", &aks);
    assert_eq!(aks.state(), "Creating");
    assert!(
        aks.header("azure-asyncoperation")
            .unwrap()
            .contains("/providers/Microsoft.ContainerService/locations/eastus/operations/")
    );
    assert_eq!(sim.wait_async(&aks).await["status"], "Succeeded");
    let got = sim.get(&format!("{cluster}?api-version=2025-10-01")).await;
    assert_valid("ManagedClusters_Get", &got);
    let props = &got.body["properties"];
    assert_eq!(props["provisioningState"], "Succeeded");
    assert!(
        props["privateFQDN"]
            .as_str()
            .unwrap()
            .contains(".privatelink.eastus.azmk8s.io")
    );
    assert!(props["fqdn"].is_null());
    assert_eq!(
        props["nodeResourceGroup"],
        "MC_rg-katonic-prod_katonic-prod_eastus"
    );
    let kubelet = props["identityProfile"]["kubeletidentity"]["objectId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        props["agentPoolProfiles"][0]["provisioningState"],
        "Succeeded"
    );
    // Re-PUT of the same body: 200, nothing started.
    let same = sim
        .put(&format!("{cluster}?api-version=2025-10-01"), &body)
        .await;
    assert_eq!(same.status, 200);
    assert!(same.header("azure-asyncoperation").is_none());

    // Kubelet identity can be given AcrPull on the registry.
    let pull = sim.assign(&acr, ACR_PULL, &kubelet).await;
    assert_eq!(pull.body["properties"]["scope"], acr.as_str());

    // A GPU user pool.
    let pool = sim
        .put(
            &format!("{cluster}/agentPools/gpu?api-version=2025-10-01"),
            &json!({"properties": {"mode": "User", "type": "VirtualMachineScaleSets", "vmSize": "Standard_NC4as_T4_v3", "osType": "Linux",
                "count": 0, "enableAutoScaling": true, "minCount": 0, "maxCount": 2, "availabilityZones": ["1", "2"], "orchestratorVersion": "1.34",
                "vnetSubnetID": subnet_id, "nodeLabels": {"katonic.ai/node-pool": "gpu"}, "nodeTaints": ["nvidia.com/gpu=present:NoSchedule"],
                "gpuProfile": {"driver": "Install"}}}),
        )
        .await;
    assert_eq!(pool.status, 201, "{}", pool.body);
    assert_valid("AgentPools_CreateOrUpdate", &pool);
    assert_eq!(sim.wait_async(&pool).await["status"], "Succeeded");
    assert_valid(
        "AgentPools_Get",
        &sim.get(&format!("{cluster}/agentPools/gpu?api-version=2025-10-01"))
            .await,
    );
    let pools = sim
        .get(&format!("{cluster}/agentPools?api-version=2025-10-01"))
        .await;
    assert_valid("AgentPools_List", &pools);
    assert_eq!(pools.body["value"].as_array().unwrap().len(), 2);

    // Usage rose with the system pool (2 nodes × 4 vCPUs).
    let usages = sim
        .get(&format!(
            "{sub}/providers/Microsoft.Compute/locations/eastus/usages?api-version=2024-07-01"
        ))
        .await;
    assert_eq!(family(&usages, "standardDSv5Family"), Some(8));
    assert_eq!(family(&usages, "cores"), Some(8));
    // The subnet shows the nodes' and the API endpoint's IPs.
    let subnet = sim
        .get(&format!("{subnet_id}?api-version=2025-07-01"))
        .await;
    assert_eq!(
        subnet.body["properties"]["ipConfigurations"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Credentials.
    let creds = sim
        .post(
            &format!("{cluster}/listClusterAdminCredential?api-version=2025-10-01"),
            None,
        )
        .await;
    assert_eq!(creds.status, 200);
    assert_valid("ManagedClusters_ListClusterAdminCredentials", &creds);
    assert_eq!(creds.body["kubeconfigs"][0]["name"], "clusterAdmin");
    let kubeconfig = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(creds.body["kubeconfigs"][0]["value"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert!(kubeconfig.contains(&format!(
        "server: {}/kubernetes/katonic-prod",
        sim.h.arm_endpoint
    )));
    let ca_line = kubeconfig
        .lines()
        .find(|l| l.contains("certificate-authority-data"))
        .unwrap();
    let ca = base64::engine::general_purpose::STANDARD
        .decode(ca_line.split(": ").nth(1).unwrap())
        .unwrap();
    assert_eq!(String::from_utf8(ca).unwrap(), sim.h.ca_pem);
    assert!(
        kubeconfig.contains("client-certificate-data") && kubeconfig.contains("client-key-data")
    );

    // The install finds what it created by its tag.
    let tagged = sim.get(&format!("{sub}/resources?api-version=2025-04-01&$filter=tagName eq 'install' and tagValue eq 'prod'")).await;
    let types: Vec<&str> = tagged.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["type"].as_str().unwrap())
        .collect();
    for t in [
        "Microsoft.Network/virtualNetworks",
        "Microsoft.Network/networkSecurityGroups",
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "Microsoft.Storage/storageAccounts",
        "Microsoft.ContainerRegistry/registries",
        "Microsoft.ContainerService/ManagedClusters",
    ] {
        assert!(types.contains(&t), "{t} missing from {types:?}");
    }
    let in_rg = sim
        .get(&format!("{base}/resources?api-version=2025-04-01"))
        .await;
    assert_eq!(in_rg.body["value"].as_array().unwrap().len(), 6);

    // Deleting the group removes everything, the node resource group too.
    let del = sim.delete(&rg_url).await;
    assert_eq!(del.status, 202);
    assert_eq!(sim.wait_location(&del).await.status, 200);
    let groups = sim
        .get(&format!("{sub}/resourcegroups?api-version=2025-04-01"))
        .await;
    assert_eq!(
        groups.body["value"].as_array().unwrap().len(),
        0,
        "{}",
        groups.body
    );
    let tagged = sim
        .get(&format!(
            "{sub}/resources?api-version=2025-04-01&$filter=tagName eq 'install'"
        ))
        .await;
    assert_eq!(tagged.body["value"], json!([]));
    let _: Value = tagged.body;
}
