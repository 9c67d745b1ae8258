//! Virtual networks and their subnets (Microsoft.Network): address-space and subnet-range
//! validation, subnets in use by AKS pools, `ipConfigurations` showing the IPs they take.

use std::str::FromStr;

use axum::http::StatusCode;
use ipnet::IpNet;
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::lro::{self, Final, NewOp, OpAction, Operation, UrlStyle};
use crate::arm::router::ResPath;
use crate::schema;
use crate::server::list;
use crate::state::{Resource, State};

use super::common::{self, etag, method_not_allowed};

pub(crate) const VNET: &str = "Microsoft.Network/virtualNetworks";
pub(crate) const VNET_LC: &str = "microsoft.network/virtualnetworks";
const NS: &str = "Microsoft.Network";
/// Azure-like durations (seconds) before the time scale.
const VNET_SECS: f64 = 20.0;
const SUBNET_SECS: f64 = 10.0;

pub(crate) fn handle(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    common::require_rg(ctx, st, p)?;
    match (p.pairs.len(), &p.tail, ctx.method().as_str()) {
        (1, None, "PUT") => put_vnet(ctx, st, p),
        (1, None, "GET") => {
            let r = st.get(&p.id()).ok_or_else(|| common::not_found(p))?;
            Ok(Reply::ok(render_vnet(st, r)))
        }
        (1, None, "DELETE") => delete_vnet(ctx, st, p),
        (1, Some(t), "GET") if t.eq_ignore_ascii_case("subnets") => {
            let r = st.get(&p.id()).ok_or_else(|| common::not_found(p))?;
            let v = render_vnet(st, r);
            Ok(Reply::ok(list(
                v["properties"]["subnets"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            )))
        }
        (2, None, _) if p.pairs[1].0.eq_ignore_ascii_case("subnets") => match ctx.method().as_str()
        {
            "PUT" => put_subnet(ctx, st, p),
            "GET" => get_subnet(st, p).map(Reply::ok),
            "DELETE" => delete_subnet(ctx, st, p),
            _ => Err(method_not_allowed(ctx)),
        },
        _ => Err(method_not_allowed(ctx)),
    }
}

fn parse_prefix(s: &str, what: &str) -> Result<IpNet, ArmError> {
    let net = IpNet::from_str(s.trim()).map_err(|_| {
        ArmError::bad_request(
            "InvalidAddressPrefix",
            format!("Value provided: {s} for {what} is not a valid address prefix."),
        )
    })?;
    if net.trunc() != net {
        return Err(ArmError::bad_request(
            "InvalidCIDRNotation",
            format!(
                "The address prefix {s} in resource {what} has an invalid CIDR notation. For the given prefix length, the address prefix should be {}.",
                net.trunc()
            ),
        ));
    }
    Ok(net)
}

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// Address prefixes of a subnet body (`addressPrefix` or `addressPrefixes`).
fn subnet_prefixes(subnet: &Value) -> Vec<String> {
    let props = &subnet["properties"];
    let mut out: Vec<String> = props["addressPrefixes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if let Some(p) = props["addressPrefix"].as_str() {
        out.insert(0, p.to_string());
    }
    out
}

/// IP configurations placed in a subnet by other resources (AKS nodes, the API endpoint).
pub(crate) fn ip_configurations(st: &State, subnet_id: &str) -> Vec<String> {
    super::aks::subnet_ip_configurations(st, subnet_id)
}

fn subnet_in_use(st: &State, subnet_id: &str) -> Option<String> {
    super::aks::subnet_user(st, subnet_id)
}

/// Usable addresses of a subnet: Azure reserves five in each.
pub(crate) fn usable_ips(prefix: &IpNet) -> u64 {
    let host_bits = u32::from(prefix.max_prefix_len() - prefix.prefix_len()).min(63);
    (1u64 << host_bits).saturating_sub(5)
}

/// Look up a subnet by id: (vnet resource, subnet body).
pub(crate) fn find_subnet<'a>(st: &'a State, subnet_id: &str) -> Option<(&'a Resource, &'a Value)> {
    let lower = subnet_id.to_ascii_lowercase();
    let (vnet_id, name) = lower.rsplit_once("/subnets/")?;
    let vnet = st.get(vnet_id)?;
    let subnet = vnet.body["properties"]["subnets"]
        .as_array()?
        .iter()
        .find(|s| {
            s["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })?;
    Some((vnet, subnet))
}

/// The first prefix of a subnet, parsed.
pub(crate) fn subnet_prefix(subnet: &Value) -> Option<IpNet> {
    subnet_prefixes(subnet)
        .first()
        .and_then(|p| IpNet::from_str(p).ok())
}

/// Validate one subnet of a VNet body and build its stored form.
fn build_subnet(
    ctx: &Ctx<'_>,
    st: &State,
    vnet_id: &str,
    vnet_name: &str,
    spaces: &[IpNet],
    s: &Value,
    state: &str,
) -> Result<(Value, Vec<IpNet>), ArmError> {
    let Some(name) = s["name"].as_str().filter(|n| !n.is_empty()) else {
        return Err(
            ArmError::bad_request("InvalidRequestFormat", "Cannot parse the request.").with_detail(
                crate::arm::errors::ErrorDetail::new(
                    "MissingJsonReferenceId",
                    "Subnet name is missing.",
                ),
            ),
        );
    };
    let id = format!("{vnet_id}/subnets/{name}");
    let prefixes = subnet_prefixes(s);
    if prefixes.is_empty() {
        return Err(ArmError::bad_request(
            "NetcfgInvalidSubnet",
            format!(
                "Subnet '{name}' is not valid in virtual network '{vnet_name}'. It has no address prefix."
            ),
        ));
    }
    let mut nets = Vec::new();
    for p in &prefixes {
        let net = parse_prefix(p, &id)?;
        let inside = spaces.iter().any(|space| space.contains(&net));
        if !inside {
            return Err(ArmError::bad_request(
                "NetcfgInvalidSubnet",
                format!("Subnet '{name}' is not valid in virtual network '{vnet_name}'."),
            ));
        }
        if net.prefix_len() > net.max_prefix_len().saturating_sub(3) {
            return Err(ArmError::bad_request(
                "NetcfgInvalidSubnet",
                format!(
                    "Subnet '{name}' is not valid in virtual network '{vnet_name}': the smallest supported subnet is /29."
                ),
            ));
        }
        nets.push(net);
    }
    let mut props = serde_json::Map::new();
    props.insert("provisioningState".into(), json!(state));
    if let Some(p) = s["properties"]["addressPrefix"].as_str() {
        props.insert("addressPrefix".into(), json!(p));
    }
    if let Some(p) = s["properties"]
        .get("addressPrefixes")
        .filter(|v| v.is_array())
    {
        props.insert("addressPrefixes".into(), p.clone());
    }
    if let Some(nsg) = s["properties"]
        .get("networkSecurityGroup")
        .filter(|v| !v.is_null())
    {
        let nsg_id = nsg["id"].as_str().unwrap_or("");
        let Some(found) = st
            .get(nsg_id)
            .filter(|r| r.kind.eq_ignore_ascii_case(super::nsg::NSG))
        else {
            return Err(ArmError::bad_request(
                "InvalidResourceReference",
                format!(
                    "Resource {nsg_id} referenced by resource {id} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region."
                ),
            ));
        };
        props.insert("networkSecurityGroup".into(), json!({"id": found.id}));
    }
    for key in ["delegations", "serviceEndpoints"] {
        props.insert(
            key.into(),
            s["properties"]
                .get(key)
                .filter(|v| v.is_array())
                .cloned()
                .unwrap_or(json!([])),
        );
    }
    props.insert(
        "privateEndpointNetworkPolicies".into(),
        s["properties"]
            .get("privateEndpointNetworkPolicies")
            .cloned()
            .unwrap_or(json!("Disabled")),
    );
    props.insert(
        "privateLinkServiceNetworkPolicies".into(),
        s["properties"]
            .get("privateLinkServiceNetworkPolicies")
            .cloned()
            .unwrap_or(json!("Enabled")),
    );
    if let Some(v) = s["properties"]
        .get("defaultOutboundAccess")
        .filter(|v| v.is_boolean())
    {
        props.insert("defaultOutboundAccess".into(), v.clone());
    }
    let _ = ctx;
    Ok((
        json!({
            "name": name,
            "id": id,
            "etag": etag(),
            "type": "Microsoft.Network/virtualNetworks/subnets",
            "properties": props,
        }),
        nets,
    ))
}

/// Subnets may not overlap each other.
fn check_overlaps(vnet_name: &str, subnets: &[(String, Vec<IpNet>)]) -> Result<(), ArmError> {
    for (i, (a, an)) in subnets.iter().enumerate() {
        for (b, bn) in subnets.iter().skip(i + 1) {
            if an.iter().any(|x| bn.iter().any(|y| overlaps(x, y))) {
                let _ = b;
                return Err(ArmError::bad_request(
                    "NetcfgSubnetRangesOverlap",
                    format!(
                        "Subnet '{a}' is not valid because its IP address range overlaps with that of an existing subnet in virtual network '{vnet_name}'."
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A subnet in use may not change its address range.
fn check_in_use_update(st: &State, old: &Value, new: &Value, id: &str) -> Result<(), ArmError> {
    if subnet_prefixes(old) != subnet_prefixes(new)
        && let Some(user) = subnet_in_use(st, id)
    {
        let name = new["name"].as_str().unwrap_or("");
        return Err(ArmError::bad_request(
            "InUseSubnetCannotBeUpdated",
            format!("Subnet {name} is in use by {user} and cannot be updated."),
        ));
    }
    Ok(())
}

fn put_vnet(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
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
        spaces.push(parse_prefix(s, &id)?);
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
    let name = p.name().to_string();
    let canonical_id = existing
        .as_ref()
        .map(|r| r.id.clone())
        .unwrap_or(id.clone());
    let mut subnets = Vec::new();
    let mut nets = Vec::new();
    let empty = Vec::new();
    let requested = body
        .pointer("/properties/subnets")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    for s in requested {
        let (subnet, n) = build_subnet(ctx, st, &canonical_id, &name, &spaces, s, "Updating")?;
        nets.push((subnet["name"].as_str().unwrap_or("").to_string(), n));
        subnets.push(subnet);
    }
    let mut seen = std::collections::HashSet::new();
    for (n, _) in &nets {
        if !seen.insert(n.to_ascii_lowercase()) {
            return Err(ArmError::bad_request(
                "DuplicateResourceName",
                format!("Virtual network {name} has two subnets with the same name {n}."),
            ));
        }
    }
    check_overlaps(&name, &nets)?;
    if let Some(old) = &existing {
        // A VNet PUT replaces the subnet list: a dropped subnet in use is refused.
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
    }
    checked.raise("InvalidRequestFormat")?;
    if common::identical(existing.as_ref(), &body) {
        let r = st.get(&id).ok_or_else(|| common::not_found(p))?;
        return Ok(Reply::ok(render_vnet(st, r)));
    }
    let guid = common::resource_guid(existing.as_ref());
    let mut props = json!({
        "provisioningState": "Updating",
        "resourceGuid": guid,
        "addressSpace": {"addressPrefixes": prefixes},
        "subnets": subnets,
        "virtualNetworkPeerings": [],
        "enableDdosProtection": body.pointer("/properties/enableDdosProtection").and_then(Value::as_bool).unwrap_or(false),
        "privateEndpointVNetPolicies": "Disabled",
    });
    if let Some(d) = body.pointer("/properties/dhcpOptions") {
        props["dhcpOptions"] = d.clone();
    }
    let mut vnet = json!({
        "name": existing.as_ref().and_then(|r| r.body["name"].as_str().map(str::to_string)).unwrap_or(name),
        "id": canonical_id,
        "etag": etag(),
        "type": VNET,
        "location": location,
        "properties": props,
    });
    if let Some(t) = tags {
        vnet["tags"] = t;
    }
    let created = common::upsert(ctx, st, existing, &canonical_id, VNET, vnet, body);
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

fn delete_vnet(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
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

fn subnet_not_found(p: &ResPath) -> ArmError {
    ArmError::not_found("NotFound", format!("Resource {} not found.", p.id()))
}

fn get_subnet(st: &State, p: &ResPath) -> Result<Value, ArmError> {
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

fn put_subnet(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
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
    let name = p.name().to_string();
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
    let old = old_subnets
        .iter()
        .find(|s| {
            s["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(&name))
        })
        .cloned();
    let canonical_name = old
        .as_ref()
        .and_then(|o| o["name"].as_str().map(str::to_string))
        .unwrap_or(name);
    body["name"] = json!(canonical_name);
    let (subnet, nets) = build_subnet(ctx, st, &vnet.id, &vnet_name, &spaces, &body, "Updating")?;
    let mut all: Vec<(String, Vec<IpNet>)> = old_subnets
        .iter()
        .filter(|s| {
            !s["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(&canonical_name))
        })
        .map(|s| {
            let n = subnet_prefixes(s)
                .iter()
                .filter_map(|x| IpNet::from_str(x).ok())
                .collect();
            (s["name"].as_str().unwrap_or("").to_string(), n)
        })
        .collect();
    all.insert(0, (canonical_name.clone(), nets));
    check_overlaps(&vnet_name, &all)?;
    if let Some(o) = &old {
        check_in_use_update(st, o, &subnet, o["id"].as_str().unwrap_or(""))?;
    }
    checked.raise("InvalidRequestFormat")?;
    // Identical: same prefixes and NSG as stored, nothing running.
    if let Some(o) = &old {
        let same = subnet_prefixes(o) == subnet_prefixes(&subnet)
            && o["properties"]["networkSecurityGroup"]["id"]
                .as_str()
                .map(str::to_ascii_lowercase)
                == subnet["properties"]["networkSecurityGroup"]["id"]
                    .as_str()
                    .map(str::to_ascii_lowercase)
            && o["properties"]["provisioningState"] == "Succeeded";
        if same {
            return get_subnet(st, p).map(Reply::ok);
        }
    }
    let created = old.is_none();
    let location = vnet.body["location"]
        .as_str()
        .unwrap_or("eastus")
        .to_string();
    if let Some(r) = st.get_mut(&vnet_id) {
        let subnets = r.body["properties"]["subnets"].as_array_mut();
        if let Some(list) = subnets {
            list.retain(|s| {
                !s["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&canonical_name))
            });
            list.push(subnet);
        }
    }
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

fn delete_subnet(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
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
    // Removed at once: the spec allows a synchronous 200 (204 when absent).
    Ok(Reply::empty(if found {
        StatusCode::OK
    } else {
        StatusCode::NO_CONTENT
    }))
}

/// The VNet with each subnet's `ipConfigurations` filled in.
pub(crate) fn render_vnet(st: &State, r: &Resource) -> Value {
    let mut v = r.body.clone();
    if let Some(list) = v["properties"]["subnets"].as_array_mut() {
        for s in list {
            let id = s["id"].as_str().unwrap_or("").to_string();
            let configs = ip_configurations(st, &id);
            if !configs.is_empty() {
                s["properties"]["ipConfigurations"] =
                    Value::Array(configs.into_iter().map(|c| json!({"id": c})).collect());
            }
        }
    }
    v
}

/// A finished VNet or subnet operation settles the VNet and every subnet.
pub(crate) fn complete(st: &mut State, op: &Operation, ok: bool) {
    if op.action == OpAction::Delete {
        return super::generic_complete(st, op, ok);
    }
    let state = if ok { "Succeeded" } else { "Failed" };
    if let Some(r) = st.get_mut(&op.resource_id) {
        common::set_provisioning_state(&mut r.body, state);
        if let Some(list) = r.body["properties"]["subnets"].as_array_mut() {
            for s in list {
                s["properties"]["provisioningState"] = json!(state);
            }
        }
    }
}
