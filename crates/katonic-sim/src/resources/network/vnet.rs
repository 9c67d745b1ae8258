//! The virtual network PUT (address space and the subnet list it carries) and DELETE.

use std::collections::HashSet;

use axum::http::StatusCode;
use ipnet::IpNet;
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::router::ResPath;
use crate::resources::common::{self, etag};
use crate::schema;
use crate::state::{Resource, State};

use super::subnet_body::{Vnet, build_subnet};
use super::{
    NS, VNET, VNET_SECS, check_in_use_update, check_overlaps, overlaps, parse_prefix, render_vnet,
    subnet_in_use,
};

/// The checks run in the order Azure reports errors; the VNet is stored only if all pass.
pub(super) fn put_vnet(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let raw = common::body_object(ctx)?;
    schema::network_unknown_members("VirtualNetworks_CreateOrUpdate", &raw)?;
    let checked = schema::check_request("VirtualNetworks_CreateOrUpdate", &raw)?;
    let body = checked.body.clone();
    let location = common::location(ctx, &body, VNET)?;
    let tags = common::tags(&body)?;
    let id = p.id();
    let existing = st.get(&id).cloned();
    common::preconditions(ctx, existing.as_ref())?;
    common::busy(ctx, st, &id, false)?;
    common::same_location(existing.as_ref(), &location, p)?;
    let (prefixes, spaces) = address_space(&body, &id)?;
    let name = p.name().to_string();
    let canonical_id = existing
        .as_ref()
        .map(|r| r.id.clone())
        .unwrap_or(id.clone());
    let vnet = Vnet {
        id: &canonical_id,
        name: &name,
        spaces: &spaces,
        location: &location,
    };
    let subnets = requested_subnets(st, &vnet, &body)?;
    if let Some(old) = &existing {
        check_dropped_or_changed(st, old, &subnets)?;
    }
    checked.raise("InvalidRequestFormat")?;
    if common::identical(existing.as_ref(), &body) {
        let r = st.get(&id).ok_or_else(|| common::not_found(p))?;
        return Ok(Reply::ok(render_vnet(st, r)));
    }
    let mut props = json!({
        "provisioningState": "Updating",
        "resourceGuid": common::resource_guid(existing.as_ref()),
        "addressSpace": {"addressPrefixes": prefixes},
        "subnets": subnets,
        "virtualNetworkPeerings": [],
        "enableDdosProtection": body.pointer("/properties/enableDdosProtection").and_then(Value::as_bool).unwrap_or(false),
        // Answered by Azure on every VNet (Microsoft's recordings, issue 15), false by default.
        "enableVmProtection": body.pointer("/properties/enableVmProtection").and_then(Value::as_bool).unwrap_or(false),
        "privateEndpointVNetPolicies": "Disabled",
    });
    if let Some(d) = body.pointer("/properties/dhcpOptions") {
        props["dhcpOptions"] = d.clone();
        // `dhcpOptions: {}` is answered with the empty list of DNS servers (Azure's default:
        // Azure DNS), as recorded by the Azure CLI (privatedns module; checked 2026-12-07).
        if d.is_object() && d.get("dnsServers").is_none() {
            props["dhcpOptions"]["dnsServers"] = json!([]);
        }
    }
    let mut stored = json!({
        "name": existing.as_ref().and_then(|r| r.body["name"].as_str().map(str::to_string)).unwrap_or(name),
        "id": canonical_id,
        "etag": etag(),
        "type": VNET,
        "location": location,
        "properties": props,
    });
    if let Some(t) = tags {
        stored["tags"] = t;
    }
    let created = common::upsert(ctx, st, existing, &canonical_id, VNET, stored, body);
    common::accept_put(
        ctx,
        st,
        &canonical_id,
        NS,
        &location,
        created,
        VNET_SECS,
        None,
    )
}

/// The address prefixes as sent and parsed: at least one, none overlapping another.
fn address_space(body: &Value, id: &str) -> Result<(Vec<String>, Vec<IpNet>), ArmError> {
    let prefixes: Vec<String> = body
        .pointer("/properties/addressSpace/addressPrefixes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if prefixes.is_empty() {
        return Err(ArmError::bad_request(
            "InvalidAddressSpace",
            format!(
                "The virtual network {id} must have at least one address prefix in properties.addressSpace.addressPrefixes."
            ),
        ));
    }
    let mut spaces = Vec::new();
    for s in &prefixes {
        spaces.push(parse_prefix(s, id)?);
    }
    for (i, a) in spaces.iter().enumerate() {
        if let Some(b) = spaces.iter().skip(i + 1).find(|b| overlaps(a, b)) {
            return Err(ArmError::bad_request(
                "VnetAddressSpacesOverlap",
                format!(
                    "Cannot create or update virtual network {id} since it has address spaces {a} and {b} which overlap."
                ),
            ));
        }
    }
    Ok((prefixes, spaces))
}

/// The body's subnets, each built; names unique, ranges not overlapping.
fn requested_subnets(st: &State, vnet: &Vnet<'_>, body: &Value) -> Result<Vec<Value>, ArmError> {
    let mut subnets = Vec::new();
    let mut nets = Vec::new();
    let empty = Vec::new();
    let requested = body
        .pointer("/properties/subnets")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    for s in requested {
        let (subnet, n) = build_subnet(st, vnet, s, "Updating")?;
        nets.push((subnet["name"].as_str().unwrap_or("").to_string(), n));
        subnets.push(subnet);
    }
    let mut seen = HashSet::new();
    for (n, _) in &nets {
        if !seen.insert(n.to_ascii_lowercase()) {
            return Err(ArmError::bad_request(
                "DuplicateResourceName",
                format!(
                    "Virtual network {} has two subnets with the same name {n}.",
                    vnet.name
                ),
            ));
        }
    }
    check_overlaps(vnet.name, &nets)?;
    Ok(subnets)
}

/// A VNet PUT replaces the subnet list: a dropped subnet in use is refused, and so is a changed
/// range of one in use.
fn check_dropped_or_changed(st: &State, old: &Resource, subnets: &[Value]) -> Result<(), ArmError> {
    for old_subnet in old.body["properties"]["subnets"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let sid = old_subnet["id"].as_str().unwrap_or("");
        let old_name = old_subnet["name"].as_str().unwrap_or("");
        match subnets.iter().find(|s| {
            s["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(old_name))
        }) {
            None => {
                if let Some(user) = subnet_in_use(st, sid) {
                    return Err(ArmError::bad_request(
                        "InUseSubnetCannotBeDeleted",
                        format!(
                            "Subnet {old_name} is in use by {user} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet."
                        ),
                    ));
                }
            }
            Some(new) => check_in_use_update(st, old_subnet, new, sid)?,
        }
    }
    Ok(())
}

pub(super) fn delete_vnet(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let id = p.id();
    let Some(r) = st.get(&id) else {
        return Ok(Reply::empty(StatusCode::NO_CONTENT));
    };
    common::busy(ctx, st, &id, false)?;
    for s in r.body["properties"]["subnets"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let sid = s["id"].as_str().unwrap_or("");
        if let Some(user) = subnet_in_use(st, sid) {
            let name = s["name"].as_str().unwrap_or("");
            return Err(ArmError::bad_request(
                "InUseSubnetCannotBeDeleted",
                format!(
                    "Subnet {name} is in use by {user} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet."
                ),
            ));
        }
    }
    common::accept_delete(ctx, st, &id, NS, VNET_SECS)
}

/// `PATCH` (VirtualNetworks_UpdateTags): the tags replaced, 200 with the VNet, as Azure answers
/// (azure-mgmt-network 19.3.0's `test_cli_mgmt_network_base`, checked 2026-12-07).
pub(super) fn patch_tags(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    common::patch_tags(ctx, st, p, render_vnet)
}
