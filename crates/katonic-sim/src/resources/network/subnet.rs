//! The subnet PUT, GET and DELETE: a subnet is stored inside its VNet, so each reads and writes
//! the VNet's subnet list.

use std::str::FromStr;

use axum::http::StatusCode;
use ipnet::IpNet;
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::lro::{self, Final, NewOp, OpAction, UrlStyle};
use crate::arm::router::ResPath;
use crate::resources::common;
use crate::schema;
use crate::state::{Resource, State};

use super::subnet_body::{Vnet, build_subnet};
use super::{
    NS, SUBNET_SECS, check_in_use_update, check_overlaps, render_vnet, subnet_in_use,
    subnet_prefixes,
};

/// The checks run in the order Azure reports errors; the subnet is stored only if all pass.
pub(super) fn put_subnet(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let vnet_id = p.id_upto(1);
    let vnet = st
        .get(&vnet_id)
        .cloned()
        .ok_or_else(|| common::parent_not_found(p, 1))?;
    let raw = common::body_object(ctx)?;
    schema::network_unknown_members("Subnets_CreateOrUpdate", &raw)?;
    let checked = schema::check_request("Subnets_CreateOrUpdate", &raw)?;
    let mut body = checked.body.clone();
    common::busy(ctx, st, &vnet_id, false)?;
    let spaces: Vec<IpNet> = vnet.body["properties"]["addressSpace"]["addressPrefixes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|s| IpNet::from_str(s).ok())
        .collect();
    let vnet_name = vnet.body["name"].as_str().unwrap_or("").to_string();
    let old_subnets: Vec<Value> = vnet.body["properties"]["subnets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let old = named(&old_subnets, p.name()).cloned();
    let canonical_name = old
        .as_ref()
        .and_then(|o| o["name"].as_str().map(str::to_string))
        .unwrap_or(p.name().to_string());
    body["name"] = json!(canonical_name);
    let vnet_location = vnet.body["location"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let target = Vnet {
        id: &vnet.id,
        name: &vnet_name,
        spaces: &spaces,
        location: &vnet_location,
    };
    let (subnet, nets) = build_subnet(st, &target, &body, "Updating")?;
    check_siblings(&vnet_name, &old_subnets, &canonical_name, nets)?;
    if let Some(o) = &old {
        check_in_use_update(st, o, &subnet, o["id"].as_str().unwrap_or(""))?;
    }
    checked.raise("InvalidRequestFormat")?;
    if old.as_ref().is_some_and(|o| unchanged(o, &subnet)) {
        return get_subnet(st, p).map(Reply::ok);
    }
    store(st, &vnet_id, &canonical_name, subnet);
    start(ctx, st, p, &vnet, old.is_none())
}

/// The subnet of `subnets` with this name (case-insensitive).
fn named<'a>(subnets: &'a [Value], name: &str) -> Option<&'a Value> {
    subnets.iter().find(|s| {
        s["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

/// The new ranges may not overlap the VNet's other subnets.
fn check_siblings(
    vnet_name: &str,
    old_subnets: &[Value],
    canonical_name: &str,
    nets: Vec<IpNet>,
) -> Result<(), ArmError> {
    let mut all: Vec<(String, Vec<IpNet>)> = old_subnets
        .iter()
        .filter(|s| {
            !s["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(canonical_name))
        })
        .map(|s| {
            let n = subnet_prefixes(s)
                .iter()
                .filter_map(|x| IpNet::from_str(x).ok())
                .collect();
            (s["name"].as_str().unwrap_or("").to_string(), n)
        })
        .collect();
    all.insert(0, (canonical_name.to_string(), nets));
    check_overlaps(vnet_name, &all)
}

/// Identical: same prefixes and NSG as stored, nothing running.
fn unchanged(old: &Value, subnet: &Value) -> bool {
    subnet_prefixes(old) == subnet_prefixes(subnet)
        && old["properties"]["networkSecurityGroup"]["id"]
            .as_str()
            .map(str::to_ascii_lowercase)
            == subnet["properties"]["networkSecurityGroup"]["id"]
                .as_str()
                .map(str::to_ascii_lowercase)
        && old["properties"]["provisioningState"] == "Succeeded"
}

/// Replace (or add) the subnet in its VNet's list.
fn store(st: &mut State, vnet_id: &str, canonical_name: &str, subnet: Value) {
    if let Some(r) = st.get_mut(vnet_id) {
        let subnets = r.body["properties"]["subnets"].as_array_mut();
        if let Some(list) = subnets {
            list.retain(|s| {
                !s["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(canonical_name))
            });
            list.push(subnet);
        }
    }
}

/// Start the operation (on the VNet) and answer with the subnet and its polling headers.
fn start(ctx: &Ctx<'_>, st: &mut State, p: &ResPath, vnet: &Resource, created: bool) -> ArmResult {
    let location = vnet.body["location"]
        .as_str()
        .unwrap_or("eastus")
        .to_string();
    let vnet_id = p.id_upto(1);
    let op = lro::start(
        ctx,
        st,
        NewOp {
            resource_id: &vnet_id,
            kind: "microsoft.network/virtualnetworks/subnets",
            action: if created {
                OpAction::Create
            } else {
                OpAction::Update
            },
            namespace: NS,
            location: &location,
            nominal_secs: SUBNET_SECS,
            style: UrlStyle::Provider,
            on_success: Final::Resource,
            failure: None,
        },
    );
    let body = get_subnet(st, p)?;
    let mut reply = Reply::upserted(created, body);
    for (k, v) in lro::headers(ctx.shared, st, &op, ctx.now(), true, false) {
        reply = reply.header(k, v);
    }
    Ok(reply)
}

fn subnet_not_found(p: &ResPath) -> ArmError {
    ArmError::not_found("NotFound", format!("Resource {} not found.", p.id()))
}

pub(super) fn get_subnet(st: &State, p: &ResPath) -> Result<Value, ArmError> {
    let vnet = st
        .get(&p.id_upto(1))
        .ok_or_else(|| common::parent_not_found(p, 1))?;
    let v = render_vnet(st, vnet);
    v["properties"]["subnets"]
        .as_array()
        .and_then(|a| {
            a.iter().find(|s| {
                s["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(p.name()))
            })
        })
        .cloned()
        .ok_or_else(|| subnet_not_found(p))
}

pub(super) fn delete_subnet(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let vnet_id = p.id_upto(1);
    if st.get(&vnet_id).is_none() {
        return Err(common::parent_not_found(p, 1));
    }
    common::busy(ctx, st, &vnet_id, false)?;
    if let Some(user) = subnet_in_use(st, &p.id()) {
        return Err(ArmError::bad_request(
            "InUseSubnetCannotBeDeleted",
            format!(
                "Subnet {} is in use by {user} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.",
                p.name()
            ),
        ));
    }
    let mut found = false;
    if let Some(r) = st.get_mut(&vnet_id)
        && let Some(list) = r.body["properties"]["subnets"].as_array_mut()
    {
        let before = list.len();
        list.retain(|s| {
            !s["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(p.name()))
        });
        found = list.len() != before;
    }
    if !found {
        return Ok(Reply::empty(StatusCode::NO_CONTENT));
    }
    // Removed at once, but answered as Azure does (Microsoft's recordings, issue 15): 202 with
    // `Azure-AsyncOperation` and `Location`, an operation on the VNet that ends Succeeded.
    let location = st
        .get(&vnet_id)
        .and_then(|v| v.body["location"].as_str())
        .unwrap_or("eastus")
        .to_string();
    let op = lro::start(
        ctx,
        st,
        NewOp {
            resource_id: &vnet_id,
            kind: "microsoft.network/virtualnetworks/subnets",
            action: OpAction::Update,
            namespace: NS,
            location: &location,
            nominal_secs: SUBNET_SECS,
            style: UrlStyle::Provider,
            on_success: Final::NoContent,
            failure: None,
        },
    );
    let mut reply = Reply::empty(StatusCode::ACCEPTED);
    for (k, v) in lro::headers(ctx.shared, st, &op, ctx.now(), true, true) {
        reply = reply.header(k, v);
    }
    Ok(reply)
}
