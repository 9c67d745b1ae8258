//! AKS managed clusters and agent pools: create/update/delete as LROs with the preflight checks
//! of `checks`, private-cluster fields, kubelet identity, node resource group, credentials,
//! Kubernetes versions; plus the node and subnet usage other resources read.
//!
//! The cluster PUT runs in phases, one file each: `validation`, `identity`, `pools`, `network`,
//! `capacity`, `rendering`, sequenced by `cluster`. The agent pool PUT (`agent_pool`) reuses
//! them for one pool.

mod agent_pool;
mod capacity;
mod checks;
mod cluster;
mod cluster_extras;
mod context_zip;
mod credentials;
mod identity;
mod network;
mod pool_spec;
mod pools;
mod private_zone;
mod rendering;
pub(crate) mod run_command;
mod run_state;
mod usage;
mod validation;
mod versions;

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::router::ResPath;
use crate::server::list;
use crate::state::{Resource, State};

use super::common::{self, method_not_allowed};

pub(crate) use identity::control_plane_principal;
pub(crate) use rendering::render_cluster;
pub(crate) use run_state::complete;
pub(crate) use usage::{node_usage, subnet_ip_configurations, subnet_user};

pub(crate) const CLUSTER: &str = "Microsoft.ContainerService/managedClusters";
pub(crate) const CLUSTER_LC: &str = "microsoft.containerservice/managedclusters";
pub(crate) const POOL: &str = "Microsoft.ContainerService/managedClusters/agentPools";
const POOL_LC: &str = "microsoft.containerservice/managedclusters/agentpools";
const NS: &str = "Microsoft.ContainerService";
const CLUSTER_CREATE_SECS: f64 = 360.0;
const CLUSTER_UPDATE_SECS: f64 = 180.0;
const CLUSTER_DELETE_SECS: f64 = 300.0;
const POOL_CREATE_SECS: f64 = 180.0;
const POOL_UPDATE_SECS: f64 = 120.0;
const POOL_DELETE_SECS: f64 = 120.0;
const NODE_IMAGE: &str = "AKSUbuntu-2204gen2containerd-202511.10.0";

pub(crate) fn provider_op(ctx: &Ctx<'_>, st: &mut State, rest: &[String]) -> ArmResult {
    let _ = st;
    match (rest, ctx.method().as_str()) {
        ([l, loc, v], "GET")
            if l.eq_ignore_ascii_case("locations")
                && v.eq_ignore_ascii_case("kubernetesVersions") =>
        {
            versions::versions(ctx, loc)
        }
        _ => Err(ArmError::bad_request(
            "InvalidResourceType",
            format!(
                "The resource type '{}' could not be found in the namespace 'Microsoft.ContainerService'.",
                rest.join("/")
            ),
        )),
    }
}

pub(crate) fn handle(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    common::require_rg(ctx, st, p)?;
    let m = ctx.method().as_str();
    match (p.pairs.len(), p.tail.as_deref()) {
        (1, None) => match m {
            "PUT" => cluster::put_cluster(ctx, st, p),
            "GET" => st
                .get(&p.id())
                .map(|r| Reply::ok(render_cluster(ctx, st, r)))
                .ok_or_else(|| common::not_found(p)),
            "DELETE" => cluster::delete_cluster(ctx, st, p),
            "PATCH" => cluster_extras::patch_tags(ctx, st, p),
            _ => Err(method_not_allowed(ctx)),
        },
        (2, None) if m == "GET" && p.pairs[1].0.eq_ignore_ascii_case("upgradeProfiles") => {
            cluster_extras::upgrade_profile(ctx, st, p)
        }
        (1, Some(t))
            if m == "POST"
                && (t.eq_ignore_ascii_case("listClusterAdminCredential")
                    || t.eq_ignore_ascii_case("listClusterUserCredential")
                    || t.eq_ignore_ascii_case("listClusterMonitoringUserCredential")) =>
        {
            credentials::credentials(
                ctx,
                st,
                p,
                t.eq_ignore_ascii_case("listClusterAdminCredential"),
            )
        }
        (1, Some(t)) if m == "GET" && t.eq_ignore_ascii_case("availableAgentPoolVersions") => {
            let cluster = st.get(&p.id()).ok_or_else(|| common::not_found(p))?;
            let location = cluster.body["location"].as_str().unwrap_or_default();
            Ok(Reply::ok(versions::available_pool_versions(
                ctx,
                &cluster.id,
                location,
            )))
        }
        (1, Some(t)) if m == "GET" && t.eq_ignore_ascii_case("agentPools") => {
            let cluster = st.get(&p.id()).ok_or_else(|| common::not_found(p))?;
            Ok(Reply::ok(list(
                pools_of(st, &cluster.id).map(|r| r.body.clone()).collect(),
            )))
        }
        (2, None) if p.pairs[1].0.eq_ignore_ascii_case("agentPools") => match m {
            "PUT" => agent_pool::put_pool(ctx, st, p),
            "GET" => get_pool(st, p),
            "DELETE" => agent_pool::delete_pool(ctx, st, p),
            _ => Err(method_not_allowed(ctx)),
        },
        _ => Err(method_not_allowed(ctx)),
    }
}

/// An agent pool's GET: 404 `NotFound` naming the cluster when the pool does not exist.
fn get_pool(st: &State, p: &ResPath) -> ArmResult {
    let cluster = st
        .get(&p.id_upto(1))
        .ok_or_else(|| common::parent_not_found(p, 1))?;
    let name = cluster.body["name"].as_str().unwrap_or("").to_string();
    st.get(&p.id())
        .map(|r| Reply::ok(r.body.clone()))
        .ok_or_else(|| {
            ArmError::not_found(
                "NotFound",
                format!(
                    "Could not find agent pool {} in managed cluster {name}.",
                    p.name()
                ),
            )
        })
}

/// Pools of a cluster, in creation order.
fn pools_of<'a>(st: &'a State, cluster_id: &str) -> impl Iterator<Item = &'a Resource> + 'a {
    let mut pools: Vec<&Resource> = st
        .children(cluster_id)
        .filter(|r| r.kind.eq_ignore_ascii_case(POOL))
        .collect();
    pools.sort_by_key(|r| r.created);
    pools.into_iter()
}

/// 409 while the cluster or any of its pools has an operation running.
fn busy(ctx: &Ctx<'_>, st: &State, cluster_id: &str) -> Result<(), ArmError> {
    common::busy(ctx, st, cluster_id, true)?;
    let pool_ids: Vec<String> = pools_of(st, cluster_id).map(|r| r.id.clone()).collect();
    for id in pool_ids {
        common::busy(ctx, st, &id, true)?;
    }
    Ok(())
}

fn short_hash(s: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        s.to_ascii_lowercase().as_bytes(),
    )
    .simple()
    .to_string()[..8]
        .to_string()
}
