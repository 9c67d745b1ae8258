//! The agent pool PUT and DELETE: one pool of an existing cluster, checked like the cluster
//! PUT's pools (shape, size, version, subnet, room) and run as its own operation.

use std::slice;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, ErrorDetail, Reply};
use crate::arm::lro::{self, Final, NewOp, OpAction, UrlStyle};
use crate::arm::router::ResPath;
use crate::resources::common::{self, provisioning_state};
use crate::schema::{self, Checked};
use crate::state::{Resource, State};

use super::network::{self, Net};
use super::pool_spec::{self, PoolSpec};
use super::pools::{self, PoolVersions};
use super::versions::latest_patch;
use super::{
    NS, POOL, POOL_CREATE_SECS, POOL_DELETE_SECS, POOL_UPDATE_SECS, busy, capacity, checks,
    identity, pools_of,
};

/// An agent pool PUT as received, with its cluster and the pool it replaces, if any.
struct PoolRequest {
    cluster: Resource,
    checked: Checked,
    body: Value,
    spec: PoolSpec,
    /// The pool's id under the cluster's stored id.
    pid: String,
    existing: Option<Resource>,
    location: String,
}

/// The checks run in the order AKS reports errors; the pool is stored only if all pass.
pub(super) fn put_pool(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let req = pool_request(ctx, st, p)?;
    let pool_minor = pool_checks(ctx, st, &req)?;
    let subnets = network::check_subnets_exist(st, slice::from_ref(&req.spec))?;
    network::same_vnet_as_pools(st, &req.cluster.id, subnets.first())?;
    let net = Net::from_profile(&req.cluster.body["properties"]["networkProfile"]);
    room(ctx, st, p, &req, &net)?;
    req.checked.raise("InvalidParameter")?;
    if common::identical(req.existing.as_ref(), &req.body) {
        return Ok(Reply::ok(req.existing.map(|r| r.body).unwrap_or_default()));
    }
    let failure = if req.existing.is_none() {
        identity::subnet_permission_failure(st, &req.cluster.body["identity"], &subnets)
    } else {
        None
    };
    store_and_start(ctx, st, p, req, &pool_minor, &net, failure)
}

/// The cluster must exist and not be busy or being deleted; the pool's own fields must be valid.
fn pool_request(ctx: &Ctx<'_>, st: &State, p: &ResPath) -> Result<PoolRequest, ArmError> {
    let cluster_id = p.id_upto(1);
    let cluster = st
        .get(&cluster_id)
        .cloned()
        .ok_or_else(|| common::parent_not_found(p, 1))?;
    let raw = common::body_object(ctx)?;
    let checked = schema::check_request("AgentPools_CreateOrUpdate", &raw)?;
    let body = checked.body.clone();
    busy(ctx, st, &cluster.id)?;
    if provisioning_state(&cluster.body) == Some("Deleting") {
        return Err(ArmError::conflict(
            "OperationNotAllowed",
            "Operation is not allowed because the managed cluster is being deleted.",
        ));
    }
    let props_in = body.get("properties").cloned().unwrap_or(json!({}));
    let spec = pool_spec::pool(p.name(), &props_in)?;
    let pid = format!("{}/agentPools/{}", cluster.id, spec.name);
    let existing = st.get(&pid).cloned();
    common::preconditions(ctx, existing.as_ref())?;
    let location = cluster.body["location"]
        .as_str()
        .unwrap_or("eastus")
        .to_string();
    Ok(PoolRequest {
        cluster,
        checked,
        body,
        spec,
        pid,
        existing,
        location,
    })
}

/// Size, zones and version against the cluster's; on update, nothing immutable changed and the
/// cluster keeps a System pool. Returns the pool's major.minor.
fn pool_checks(ctx: &Ctx<'_>, st: &State, req: &PoolRequest) -> Result<String, ArmError> {
    let minor = req.cluster.body["properties"]["kubernetesVersion"]
        .as_str()
        .unwrap_or("")
        .split('.')
        .take(2)
        .collect::<Vec<_>>()
        .join(".");
    checks::size_and_zones(ctx, &req.spec, &req.location)?;
    let pool_minor = checks::pool_version(
        ctx,
        &req.location,
        req.spec.props["orchestratorVersion"].as_str(),
        &minor,
    )?;
    if let Some(old) = &req.existing {
        pools::immutable_pool_fields(old, &req.spec)?;
        let other_system = pools_of(st, &req.cluster.id)
            .any(|r| r.id != old.id && r.body["properties"]["mode"].as_str() == Some("System"));
        if old.body["properties"]["mode"].as_str() == Some("System")
            && !req.spec.mode.eq_ignore_ascii_case("System")
            && !other_system
        {
            return Err(ArmError::bad_request(
                "MustDefineAtLeastOneSystemPool",
                "Must define at least one system pool.",
            ));
        }
    }
    Ok(pool_minor)
}

/// Subnet capacity and vCPU quota for the pool.
fn room(
    ctx: &Ctx<'_>,
    st: &State,
    p: &ResPath,
    req: &PoolRequest,
    net: &Net,
) -> Result<(), ArmError> {
    capacity::subnet_capacity(
        st,
        &network::demands(slice::from_ref(&req.spec), net),
        slice::from_ref(&req.pid),
    )?;
    capacity::quota(
        ctx,
        st,
        req.cluster.body["name"].as_str().unwrap_or(""),
        &p.rg,
        &req.location,
        slice::from_ref(&req.spec),
        slice::from_ref(&req.pid),
    )
}

/// Store the pool (Creating/Updating), start its operation and answer with its polling headers.
fn store_and_start(
    ctx: &Ctx<'_>,
    st: &mut State,
    p: &ResPath,
    req: PoolRequest,
    pool_minor: &str,
    net: &Net,
    failure: Option<ErrorDetail>,
) -> ArmResult {
    let created = req.existing.is_none();
    let patch = latest_patch(ctx, &req.location, pool_minor);
    let versions = PoolVersions {
        minor: pool_minor,
        patch: &patch,
    };
    let state = if created { "Creating" } else { "Updating" };
    let pbody = pools::pool_body(&req.cluster.id, &req.spec, &versions, net, state);
    let pid = req.pid;
    common::upsert(ctx, st, req.existing, &pid, POOL, pbody, req.body);
    let op = lro::start(
        ctx,
        st,
        NewOp {
            resource_id: &pid,
            kind: POOL,
            action: if created {
                OpAction::Create
            } else {
                OpAction::Update
            },
            namespace: NS,
            location: &req.location,
            nominal_secs: if created {
                POOL_CREATE_SECS
            } else {
                POOL_UPDATE_SECS
            },
            style: UrlStyle::Provider,
            on_success: Final::Resource,
            failure,
        },
    );
    let r = st.get(&pid).ok_or_else(|| common::not_found(p))?;
    let mut reply = Reply::upserted(created, r.body.clone());
    for (k, v) in lro::headers(ctx.shared, st, &op, ctx.now(), true, false) {
        reply = reply.header(k, v);
    }
    Ok(reply)
}

pub(super) fn delete_pool(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let cluster_id = p.id_upto(1);
    let cluster = st
        .get(&cluster_id)
        .cloned()
        .ok_or_else(|| common::parent_not_found(p, 1))?;
    let pid = p.id();
    let Some(pool) = st.get(&pid).cloned() else {
        return Ok(Reply::empty(StatusCode::NO_CONTENT));
    };
    busy(ctx, st, &cluster.id)?;
    let other_system = pools_of(st, &cluster.id)
        .any(|r| r.id != pool.id && r.body["properties"]["mode"].as_str() == Some("System"));
    if pool.body["properties"]["mode"].as_str() == Some("System") && !other_system {
        return Err(ArmError::bad_request(
            "OperationNotAllowed",
            "The last system agent pool of a cluster cannot be deleted: a cluster must have at least one system pool.",
        ));
    }
    common::accept_delete(ctx, st, &pool.id, NS, POOL_DELETE_SECS)
}
