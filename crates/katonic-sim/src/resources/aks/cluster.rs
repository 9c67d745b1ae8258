//! The managed-cluster PUT as a sequence of its phases (validation, identity, pools, network,
//! rendering), then storing the cluster and starting its operation; and the cluster DELETE.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, ErrorDetail, Reply};
use crate::arm::lro::{self, Final, NewOp, OpAction, UrlStyle};
use crate::arm::router::ResPath;
use crate::resources::common::{self, provisioning_state, set_provisioning_state};
use crate::state::State;

use super::network::{self, ClusterNetwork};
use super::pool_spec::PoolSpec;
use super::rendering::{self, Names};
use super::validation::{self, Access, ClusterRequest, Settings};
use super::{
    CLUSTER, CLUSTER_CREATE_SECS, CLUSTER_DELETE_SECS, CLUSTER_UPDATE_SECS, NS, capacity, identity,
    pools, pools_of,
};

/// Everything the cluster PUT settled before it stores anything.
pub(super) struct ClusterPut {
    pub req: ClusterRequest,
    pub identity: Value,
    pub settings: Settings,
    pub specs: Vec<PoolSpec>,
    pub network: ClusterNetwork,
    pub access: Access,
    pub aad: Option<Value>,
}

/// The phases run in the order AKS reports errors: a request that fails one phase is not
/// checked by the next.
pub(super) fn put_cluster(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let req = validation::request(ctx, st, p)?;
    let identity = identity::cluster_identity(st, &req)?;
    let settings = validation::settings(ctx, &req)?;
    let specs = pools::cluster_pools(ctx, st, &req, &settings.minor)?;
    let network = network::cluster_network(st, req.props(), &specs)?;
    let access = validation::access(req.props())?;
    let aad = validation::aad_profile(st, req.props())?;
    let put = ClusterPut {
        req,
        identity,
        settings,
        specs,
        network,
        access,
        aad,
    };
    room(ctx, st, p, &put)?;
    put.req.checked.raise("InvalidParameter")?;
    if common::identical(put.req.existing.as_ref(), &put.req.body) {
        let r = st.get(&put.req.id).ok_or_else(|| common::not_found(p))?;
        return Ok(Reply::ok(rendering::render_cluster(ctx, st, r)));
    }
    // Only a create checks the subnet join permission, and it fails late, as in Azure.
    let failure = if put.req.created() {
        identity::subnet_permission_failure(st, &put.identity, &put.network.subnets)
    } else {
        None
    };
    let state = if put.req.created() {
        "Creating"
    } else {
        "Updating"
    };
    let names = Names::of(&put.req, &p.rg);
    let kubelet = identity::kubelet(ctx, st, &put.req, &names);
    let cluster = rendering::cluster_body(st, &put, &names, kubelet, state);
    store_cluster(ctx, st, &put.req, cluster)?;
    pools::store_cluster_pools(ctx, st, &put, state)?;
    if put.req.created() && put.access.private {
        let subnet = put.network.subnets.first().map(String::as_str);
        super::private_zone::create(st, &put.req.canonical_id, &names.node_rg, subnet);
    }
    start_operation(ctx, st, p, &put.req, failure)
}

/// Subnet capacity and vCPU quota for the pools the PUT writes.
fn room(ctx: &Ctx<'_>, st: &State, p: &ResPath, put: &ClusterPut) -> Result<(), ArmError> {
    let replaced = pools::replaced_ids(&put.req.canonical_id, &put.specs);
    capacity::subnet_capacity(
        st,
        &network::demands(&put.specs, &put.network.net),
        &replaced,
    )?;
    capacity::quota(
        ctx,
        st,
        &put.req.name,
        &p.rg,
        &put.req.location,
        &put.specs,
        &replaced,
    )
}

/// Store the cluster; a new one gets its client certificate and token for kubeconfigs.
fn store_cluster(
    ctx: &Ctx<'_>,
    st: &mut State,
    req: &ClusterRequest,
    cluster: Value,
) -> Result<(), ArmError> {
    match req.existing.clone() {
        Some(mut r) => {
            r.body = cluster;
            r.request = req.body.clone();
            st.insert(r);
        }
        None => {
            let mut r =
                common::new_resource(ctx, &req.canonical_id, CLUSTER, cluster, req.body.clone());
            let leaf = ctx
                .shared
                .ca
                .client_leaf("masterclient", "system:masters")
                .map_err(|e| {
                    ArmError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "InternalServerError",
                        format!("certificate generation failed: {e}"),
                    )
                })?;
            r.private = json!({"certPem": leaf.cert_pem, "keyPem": leaf.key_pem, "token": uuid::Uuid::new_v4().simple().to_string()});
            st.insert(r);
        }
    }
    Ok(())
}

/// Start the create or update operation and answer with the cluster and its polling headers.
fn start_operation(
    ctx: &Ctx<'_>,
    st: &mut State,
    p: &ResPath,
    req: &ClusterRequest,
    failure: Option<ErrorDetail>,
) -> ArmResult {
    let created = req.created();
    let op = lro::start(
        ctx,
        st,
        NewOp {
            resource_id: &req.canonical_id,
            kind: CLUSTER,
            action: if created {
                OpAction::Create
            } else {
                OpAction::Update
            },
            namespace: NS,
            location: &req.location,
            nominal_secs: if created {
                CLUSTER_CREATE_SECS
            } else {
                CLUSTER_UPDATE_SECS
            },
            style: UrlStyle::Provider,
            on_success: Final::Resource,
            failure,
        },
    );
    let r = st
        .get(&req.canonical_id)
        .ok_or_else(|| common::not_found(p))?;
    let mut reply = Reply::upserted(created, rendering::render_cluster(ctx, st, r));
    for (k, v) in lro::headers(ctx.shared, st, &op, ctx.now(), true, false) {
        reply = reply.header(k, v);
    }
    Ok(reply)
}

pub(super) fn delete_cluster(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let id = p.id();
    let Some(cluster) = st.get(&id).cloned() else {
        return Ok(Reply::empty(StatusCode::NO_CONTENT));
    };
    if provisioning_state(&cluster.body) == Some("Deleting")
        && let Some(op) = lro::running(st, &id).map(|o| o.id.clone())
    {
        let mut reply = Reply::empty(StatusCode::ACCEPTED);
        for (k, v) in lro::headers(ctx.shared, st, &op, ctx.now(), true, true) {
            reply = reply.header(k, v);
        }
        return Ok(reply);
    }
    // A delete preempts running operations on the cluster and its pools.
    let mut running: Vec<String> = Vec::new();
    if let Some(o) = lro::running(st, &id) {
        running.push(o.id.clone());
    }
    for pool in pools_of(st, &id) {
        if let Some(o) = lro::running(st, &pool.id) {
            running.push(o.id.clone());
        }
    }
    for op in running {
        lro::cancel(st, &op, ctx.now());
        if let Some(o) = st.operations.get_mut(&op) {
            o.error = Some(ErrorDetail::new(
                "OperationPreemptedByDelete",
                "The operation was preempted by a delete of the managed cluster.",
            ));
        }
    }
    for pool_id in pools_of(st, &id).map(|r| r.id.clone()).collect::<Vec<_>>() {
        if let Some(r) = st.get_mut(&pool_id) {
            set_provisioning_state(&mut r.body, "Deleting");
            r.op = None;
        }
    }
    common::accept_delete(ctx, st, &id, NS, CLUSTER_DELETE_SECS)
}
