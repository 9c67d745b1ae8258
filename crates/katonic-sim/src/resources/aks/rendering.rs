//! The rendering phase of the managed-cluster PUT: the stored cluster body built from what the
//! earlier phases settled (defaults, versions, identities, FQDNs, network profile), and the
//! cluster as GET returns it (with its pools as `agentPoolProfiles`).

use serde_json::{Map, Value, json};

use crate::arm::Ctx;
use crate::state::{Resource, State};

use super::cluster::ClusterPut;
use super::validation::ClusterRequest;
use super::{network, pools_of, short_hash};

/// The cluster's name as first created and its node resource group (kept across updates).
pub(super) struct Names {
    pub cluster: String,
    pub node_rg: String,
}

impl Names {
    pub fn of(req: &ClusterRequest, rg: &str) -> Self {
        let existing = req.existing.as_ref();
        let cluster = existing
            .and_then(|r| r.body["name"].as_str().map(str::to_string))
            .unwrap_or(req.name.clone());
        let node_rg = existing
            .and_then(|r| {
                r.body["properties"]["nodeResourceGroup"]
                    .as_str()
                    .map(str::to_string)
            })
            .or_else(|| {
                req.props()["nodeResourceGroup"]
                    .as_str()
                    .map(str::to_string)
            })
            .unwrap_or_else(|| format!("MC_{}_{}_{}", rg, cluster, req.location));
        Self { cluster, node_rg }
    }
}

/// The cluster body to store, in provisioning `state`.
pub(super) fn cluster_body(
    st: &State,
    put: &ClusterPut,
    names: &Names,
    kubelet: Value,
    state: &str,
) -> Value {
    let props = cluster_properties(st, put, names, kubelet, state);
    let mut cluster = json!({
        "id": put.req.canonical_id,
        "location": put.req.location,
        "name": names.cluster,
        "type": "Microsoft.ContainerService/ManagedClusters",
        "eTag": uuid::Uuid::new_v4().to_string(),
        "sku": put.settings.sku,
        "identity": put.identity,
        "properties": props,
    });
    if let Some(t) = &put.req.tags {
        cluster["tags"] = t.clone();
    }
    cluster
}

fn cluster_properties(
    st: &State,
    put: &ClusterPut,
    names: &Names,
    kubelet: Value,
    state: &str,
) -> Map<String, Value> {
    let props_in = put.req.props();
    let mut props = props_in.as_object().cloned().unwrap_or_default();
    props.remove("agentPoolProfiles");
    props.insert("provisioningState".into(), json!(state));
    props.insert("powerState".into(), json!({"code": "Running"}));
    props.insert(
        "kubernetesVersion".into(),
        json!(
            props_in["kubernetesVersion"]
                .as_str()
                .unwrap_or(&put.settings.minor)
        ),
    );
    props.insert("currentKubernetesVersion".into(), json!(put.settings.patch));
    props.insert("nodeResourceGroup".into(), json!(names.node_rg));
    props.insert(
        "enableRBAC".into(),
        json!(props_in["enableRBAC"].as_bool().unwrap_or(true)),
    );
    props.insert("supportPlan".into(), json!(put.settings.plan));
    match &put.aad {
        Some(a) => props.insert("aadProfile".into(), a.clone()),
        None => props.remove("aadProfile"),
    };
    props.insert("maxAgentPools".into(), json!(100));
    props.insert(
        "identityProfile".into(),
        json!({"kubeletidentity": kubelet}),
    );
    props.insert(
        "servicePrincipalProfile".into(),
        service_principal(props_in),
    );
    props.insert(
        "resourceUID".into(),
        json!(
            put.req
                .existing
                .as_ref()
                .and_then(|r| r.body["properties"]["resourceUID"]
                    .as_str()
                    .map(str::to_string))
                .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..24].to_string())
        ),
    );
    fqdns(&mut props, put);
    let mut network_profile = network::stored_profile(st, &put.network, &names.node_rg);
    if network_profile["networkDataplane"].is_null() {
        network_profile["networkDataplane"] = json!("azure");
    }
    props.insert("networkProfile".into(), network_profile);
    azure_defaults(st, &mut props, put);
    props
}

/// The profiles AKS fills in when the request leaves them out (what Azure answered in
/// Microsoft's recordings and issue 15's replay, checked 2026-12-07): the CSI drivers and the
/// snapshot controller on, empty security and autoscaler profiles, the OIDC issuer off, the
/// `azure` dataplane, and for a private cluster its private link resource.
fn azure_defaults(st: &State, props: &mut Map<String, Value>, put: &ClusterPut) {
    let mut storage = json!({"diskCSIDriver": {"enabled": true}, "fileCSIDriver": {"enabled": true},
        "snapshotController": {"enabled": true}});
    if let Some(given) = props.get("storageProfile").and_then(Value::as_object) {
        for (k, v) in given {
            storage[k] = v.clone();
        }
    }
    props.insert("storageProfile".into(), storage);
    for key in ["securityProfile", "workloadAutoScalerProfile"] {
        props.entry(key).or_insert_with(|| json!({}));
    }
    let oidc = props
        .entry("oidcIssuerProfile")
        .or_insert_with(|| json!({"enabled": false}));
    if oidc["enabled"].as_bool() == Some(true) && oidc["issuerURL"].is_null() {
        oidc["issuerURL"] = json!(format!(
            "https://{}.oic.prod-aks.azure.com/{}/{}/",
            put.req.location,
            st.account.tenant_id,
            short_hash(&put.req.canonical_id)
        ));
    }
    // Azure also answers `apiServerAccessProfile.privateClusterVersion`, which the stable spec
    // does not define; left out so answers stay valid against it.
    if !put.access.private {
        return;
    }
    props.insert(
        "privateLinkResources".into(),
        json!([{
            "id": format!("{}/privateLinkResources/management", put.req.canonical_id),
            "name": "management",
            "type": "Microsoft.ContainerService/managedClusters/privateLinkResources",
            "groupId": "management",
            "requiredMembers": ["management"],
        }]),
    );
}

/// A managed-identity cluster reports the placeholder service principal `msi`; a secret is
/// never returned.
fn service_principal(props_in: &Value) -> Value {
    let mut sp = props_in
        .get("servicePrincipalProfile")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or(json!({}));
    if let Some(o) = sp.as_object_mut() {
        o.remove("secret");
    }
    if sp["clientId"].is_null() {
        sp["clientId"] = json!("msi");
    }
    sp
}

/// The public FQDN (not for a private cluster without one), the portal FQDN, and for a private
/// cluster its private FQDN (the GUID kept across updates) and access profile defaults.
fn fqdns(props: &mut Map<String, Value>, put: &ClusterPut) {
    let props_in = put.req.props();
    let prefix = props_in["dnsPrefix"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| props_in["fqdnSubdomain"].as_str().unwrap_or("").to_string());
    let hash = short_hash(&put.req.canonical_id);
    let region = &put.req.location;
    let access = &put.access;
    if !access.private || access.public_fqdn {
        props.insert(
            "fqdn".into(),
            json!(format!("{prefix}-{hash}.hcp.{region}.azmk8s.io")),
        );
    }
    props.insert(
        "azurePortalFQDN".into(),
        json!(format!("{prefix}-{hash}.portal.hcp.{region}.azmk8s.io")),
    );
    if !access.private {
        return;
    }
    let guid = put
        .req
        .existing
        .as_ref()
        .and_then(|r| {
            r.body["properties"]["privateFQDN"]
                .as_str()
                .and_then(|f| f.split('.').nth(1))
                .map(str::to_string)
        })
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    props.insert(
        "privateFQDN".into(),
        json!(format!(
            "{prefix}-{hash}.{guid}.privatelink.{region}.azmk8s.io"
        )),
    );
    let mut a = access.profile.clone();
    if a["privateDNSZone"].is_null() {
        a["privateDNSZone"] = json!("system");
    }
    a["enablePrivateClusterPublicFQDN"] = json!(access.public_fqdn);
    props.insert("apiServerAccessProfile".into(), a);
}

/// The cluster with `agentPoolProfiles` from its pools and, if it failed, the error.
pub(crate) fn render_cluster(ctx: &Ctx<'_>, st: &State, r: &Resource) -> Value {
    let mut v = r.body.clone();
    let profiles: Vec<Value> = pools_of(st, &r.id)
        .map(|pool| {
            let mut props = pool.body["properties"].clone();
            if let Some(o) = props.as_object_mut() {
                o.insert("name".into(), pool.body["name"].clone());
            }
            props
        })
        .collect();
    let autoscaled = profiles
        .iter()
        .any(|p| p["enableAutoScaling"].as_bool() == Some(true));
    v["properties"]["agentPoolProfiles"] = Value::Array(profiles);
    if autoscaled && v["properties"].get("autoScalerProfile").is_none() {
        v["properties"]["autoScalerProfile"] = default_autoscaler_profile();
    }
    // `networkProfile.dockerBridgeCidr` belongs to the older api-versions only (absent from the
    // 2025-10-01 spec); asked at one of them, AKS answers its default as Microsoft's recordings
    // show at 2021-02-01, 2022-01-01 and 2022-04-01 (issue 15).
    let old_version = ctx
        .req
        .q("api-version")
        .is_some_and(|a| a <= DOCKER_BRIDGE_UNTIL);
    if old_version
        && let Some(net) = v["properties"]["networkProfile"].as_object_mut()
        && !net.contains_key("dockerBridgeCidr")
    {
        net.insert("dockerBridgeCidr".into(), json!("172.17.0.1/16"));
    }
    v
}

/// The newest api-version whose recorded answers carry `dockerBridgeCidr`.
const DOCKER_BRIDGE_UNTIL: &str = "2022-04-01";

/// The cluster autoscaler's settings AKS answers once a pool autoscales and none were given
/// (azure-mgmt-containerservice 15.0.0 recording, GET after create; issue 15).
fn default_autoscaler_profile() -> Value {
    serde_json::json!({
        "balance-similar-node-groups": "false",
        "expander": "random",
        "max-empty-bulk-delete": "10",
        "max-graceful-termination-sec": "600",
        "max-node-provision-time": "15m",
        "max-total-unready-percentage": "45",
        "new-pod-scale-up-delay": "0s",
        "ok-total-unready-count": "3",
        "scale-down-delay-after-add": "10m",
        "scale-down-delay-after-delete": "10s",
        "scale-down-delay-after-failure": "3m",
        "scale-down-unneeded-time": "10m",
        "scale-down-unready-time": "20m",
        "scale-down-utilization-threshold": "0.5",
        "scan-interval": "10s",
        "skip-nodes-with-local-storage": "false",
        "skip-nodes-with-system-pods": "true"
    })
}
