//! The Kubernetes versions AKS offers in a region (`locations/{loc}/kubernetesVersions`), and
//! the latest patch of a minor.

use serde_json::{Map, Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::catalog::version_key;

pub(super) fn versions(ctx: &Ctx<'_>, loc: &str) -> ArmResult {
    let Some(region) = ctx.catalog().region(loc) else {
        return Err(ArmError::bad_request(
            "LocationNotAvailableForResourceType",
            format!(
                "The provided location '{loc}' is not available for resource type 'Microsoft.ContainerService/locations/kubernetesVersions'."
            ),
        ));
    };
    let offered = ctx.catalog().k8s_versions(&region.name);
    let values: Vec<Value> = offered
        .iter()
        .map(|v| {
            let next: Vec<String> = offered
                .iter()
                .filter(|o| {
                    version_key(&o.version) > version_key(&v.version)
                        && version_key(&o.version).get(1).copied().unwrap_or(0)
                            == version_key(&v.version).get(1).copied().unwrap_or(0) + 1
                })
                .flat_map(|o| o.patches.clone())
                .collect();
            let mut patches = Map::new();
            for p in &v.patches {
                let mut upgrades: Vec<String> = v
                    .patches
                    .iter()
                    .filter(|q| version_key(q) > version_key(p))
                    .cloned()
                    .collect();
                upgrades.extend(next.iter().cloned());
                patches.insert(p.clone(), json!({"upgrades": upgrades}));
            }
            let plans: Vec<&str> = if v.lts_only {
                vec!["AKSLongTermSupport"]
            } else {
                vec!["KubernetesOfficial", "AKSLongTermSupport"]
            };
            json!({
                "version": v.version,
                "capabilities": {"supportPlan": plans},
                "isDefault": v.is_default,
                "isPreview": false,
                "patchVersions": patches,
            })
        })
        .collect();
    Ok(Reply::ok(json!({"values": values})))
}

pub(super) fn latest_patch(ctx: &Ctx<'_>, location: &str, minor: &str) -> String {
    ctx.catalog()
        .k8s_versions(location)
        .iter()
        .find(|v| v.version == minor)
        .and_then(|v| v.patches.iter().max_by_key(|p| version_key(p)).cloned())
        .unwrap_or_else(|| format!("{minor}.0"))
}

/// `GET …/managedClusters/{name}/availableAgentPoolVersions`: the patches a new pool of the
/// cluster may run, the region's default marked (shape of the azure-mgmt-containerservice
/// 15.0.0 recording: lower-case `availableagentpoolversions` in the id, name `default`).
pub(super) fn available_pool_versions(ctx: &Ctx<'_>, cluster_id: &str, location: &str) -> Value {
    let offered = ctx.catalog().k8s_versions(location);
    let versions: Vec<Value> = offered
        .iter()
        .flat_map(|v| {
            let newest = v.patches.iter().max_by_key(|p| version_key(p)).cloned();
            v.patches.iter().map(move |p| {
                let mut one = json!({"kubernetesVersion": p});
                if v.is_default && Some(p) == newest.as_ref() {
                    one["default"] = json!(true);
                }
                one
            })
        })
        .collect();
    json!({
        "id": format!("{cluster_id}/availableagentpoolversions"),
        "name": "default",
        "type": "Microsoft.ContainerService/managedClusters/availableAgentpoolVersions",
        "properties": {"agentPoolVersions": versions},
    })
}
