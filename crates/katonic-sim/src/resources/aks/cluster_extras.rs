//! A cluster's tag update (`PATCH`, `UpdateTags`: 200 with the cluster) and its upgrade profile
//! (`upgradeProfiles/default`), answered as Azure did in the azure-mgmt-containerservice 15.0.0
//! recording (issue 15; checked 2026-12-07).

use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::router::ResPath;
use crate::catalog::version_key;
use crate::state::State;

use super::{pools_of, render_cluster};
use crate::resources::common;

/// `PATCH` of a cluster changes its tags only; anything else is refused.
pub(super) fn patch_tags(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let given = common::body_object(ctx)?;
    if let Some(other) = given
        .as_object()
        .and_then(|o| o.keys().find(|k| *k != "tags"))
    {
        return Err(ArmError::bad_request(
            "InvalidParameter",
            format!(
                "A PATCH of a managed cluster updates its tags only; '{other}' cannot be set this way (use PUT)."
            ),
        ));
    }
    let tags = common::tags(&given)?.unwrap_or_else(|| json!({}));
    super::busy(ctx, st, &p.id())?;
    let mut r = st
        .get(&p.id())
        .cloned()
        .ok_or_else(|| common::not_found(p))?;
    r.body["tags"] = tags.clone();
    if r.request.is_object() {
        r.request["tags"] = tags;
    }
    st.insert(r.clone());
    Ok(Reply::ok(render_cluster(ctx, st, &r)))
}

/// `GET …/upgradeProfiles/default`: the control plane's version and the patches it may move to
/// (later patches of its minor and those of the next minor), and the same for each pool.
pub(super) fn upgrade_profile(ctx: &Ctx<'_>, st: &State, p: &ResPath) -> ArmResult {
    if !p.name().eq_ignore_ascii_case("default") {
        return Err(common::not_found(p));
    }
    let cluster_id = p.id_upto(1);
    let cluster = st
        .get(&cluster_id)
        .ok_or_else(|| common::parent_not_found(p, 1))?;
    let location = cluster.body["location"].as_str().unwrap_or_default();
    let current = cluster.body["properties"]["currentKubernetesVersion"]
        .as_str()
        .or(cluster.body["properties"]["kubernetesVersion"].as_str())
        .unwrap_or_default()
        .to_string();
    let upgrades = |from: &str| -> Vec<Value> { upgrades(ctx, location, from) };
    let pools: Vec<Value> = pools_of(st, &cluster.id)
        .map(|pool| {
            let v = pool.body["properties"]["currentOrchestratorVersion"]
                .as_str()
                .or(pool.body["properties"]["orchestratorVersion"].as_str())
                .unwrap_or(&current)
                .to_string();
            json!({"name": pool.body["name"], "kubernetesVersion": v, "osType": "Linux",
                "upgrades": upgrades(&v)})
        })
        .collect();
    Ok(Reply::ok(json!({
        "id": format!("{}/upgradeprofiles/default", cluster.id),
        "name": "default",
        "type": "Microsoft.ContainerService/managedClusters/upgradeprofiles",
        "properties": {
            "controlPlaneProfile": {"kubernetesVersion": current, "osType": "Linux",
                "upgrades": upgrades(&current)},
            "agentPoolProfiles": pools,
        },
    })))
}

fn upgrades(ctx: &Ctx<'_>, location: &str, from: &str) -> Vec<Value> {
    let from_key = version_key(from);
    let minor = from_key.get(1).copied().unwrap_or(0);
    let mut out: Vec<Vec<u32>> = Vec::new();
    for v in ctx.catalog().k8s_versions(location) {
        for patch in &v.patches {
            let k = version_key(patch);
            let m = k.get(1).copied().unwrap_or(0);
            if k > from_key && (m == minor || m == minor + 1) {
                out.push(k);
            }
        }
    }
    out.sort();
    out.into_iter()
        .map(|k| {
            let s: Vec<String> = k.iter().map(u32::to_string).collect();
            json!({"kubernetesVersion": s.join(".")})
        })
        .collect()
}
