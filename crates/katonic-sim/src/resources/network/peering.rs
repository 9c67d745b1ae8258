//! Virtual network peerings (`virtualNetworks/{vnet}/virtualNetworkPeerings/{name}`, Network
//! 2025-07-01, `VirtualNetworkPeering` in `virtualNetwork.json`): a peering is `Initiated` until
//! the remote VNet peers back, then both are `Connected`; overlapping address spaces are refused,
//! as Azure refuses them. Stored under the VNet, so deleting the VNet removes its peerings.
//! PUT and DELETE are long-running as in Azure (azure-mgmt-network 19.3.0's recording
//! `test_cli_mgmt_network_base`, checked 2026-12-07): 201 `Updating` with
//! `Azure-AsyncOperation`, and 202 with `Azure-AsyncOperation` and `Location`.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::router::ResPath;
use crate::resources::common::{self, etag};
use crate::server::list;
use crate::state::State;

use super::{NS, overlaps, parse_prefix};

pub(crate) const PEERING: &str = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings";

/// Nominal duration of a peering's create or delete.
const PEERING_SECS: f64 = 10.0;

/// The VNet's address prefixes (none when it is missing).
fn address_prefixes(st: &State, vnet_id: &str) -> Option<Vec<String>> {
    let vnet = st.get(vnet_id)?;
    Some(
        vnet.body
            .pointer("/properties/addressSpace/addressPrefixes")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// The peerings stored under `vnet_id`.
pub(crate) fn peerings_of<'a>(st: &'a State, vnet_id: &str) -> impl Iterator<Item = &'a Value> {
    st.children(vnet_id)
        .filter(|r| r.kind.eq_ignore_ascii_case(PEERING))
        .map(|r| &r.body)
}

fn remote_of(peering: &Value) -> &str {
    peering
        .pointer("/properties/remoteVirtualNetwork/id")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Whether `remote_vnet` has a peering back to `vnet_id`.
fn peered_back(st: &State, vnet_id: &str, remote_vnet: &str) -> bool {
    peerings_of(st, remote_vnet).any(|p| remote_of(p).eq_ignore_ascii_case(vnet_id))
}

/// Whether traffic flows between the two VNets: a peering each way, both allowing access.
pub(crate) fn connected(st: &State, a: &str, b: &str) -> bool {
    let allows = |from: &str, to: &str| {
        peerings_of(st, from).any(|p| {
            remote_of(p).eq_ignore_ascii_case(to)
                && p.pointer("/properties/allowVirtualNetworkAccess")
                    .and_then(Value::as_bool)
                    .unwrap_or(true)
        })
    };
    allows(a, b) && allows(b, a)
}

/// The peering with its state computed from the remote side (Azure: `Initiated` and
/// `RemoteNotInSync` until the remote VNet peers back).
pub(super) fn render(st: &State, vnet_id: &str, body: &Value) -> Value {
    let mut v = body.clone();
    let (state, sync) = if peered_back(st, vnet_id, remote_of(body)) {
        ("Connected", "FullyInSync")
    } else {
        ("Initiated", "RemoteNotInSync")
    };
    v["properties"]["peeringState"] = json!(state);
    v["properties"]["peeringSyncLevel"] = json!(sync);
    v
}

pub(super) fn handle(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let vnet_id = p.id_upto(1);
    if st.get(&vnet_id).is_none() {
        return Err(common::parent_not_found(p, 1));
    }
    match (p.pairs.len(), ctx.method().as_str()) {
        (1, "GET") => Ok(Reply::ok(list(
            peerings_of(st, &vnet_id)
                .map(|b| render(st, &vnet_id, b))
                .collect(),
        ))),
        (2, "GET") => st
            .get(&p.id())
            .map(|r| Reply::ok(render(st, &vnet_id, &r.body)))
            .ok_or_else(|| common::not_found(p)),
        (2, "PUT") => put(ctx, st, p, &vnet_id),
        (2, "DELETE") => match st.get(&p.id()) {
            Some(_) => common::accept_delete(ctx, st, &p.id(), NS, PEERING_SECS),
            None => Ok(Reply::empty(StatusCode::NO_CONTENT)),
        },
        _ => Err(common::method_not_allowed(ctx)),
    }
}

fn put(ctx: &Ctx<'_>, st: &mut State, p: &ResPath, vnet_id: &str) -> ArmResult {
    let body = common::body_object(ctx)?;
    let Some(remote) = body
        .pointer("/properties/remoteVirtualNetwork/id")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Err(ArmError::bad_request(
            "InvalidRequestFormat",
            "Cannot parse the request: properties.remoteVirtualNetwork.id is required.",
        ));
    };
    let Some(remote_space) = address_prefixes(st, &remote) else {
        return Err(ArmError::bad_request(
            "InvalidResourceReference",
            format!(
                "Resource {remote} referenced by resource {} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.",
                p.id()
            ),
        ));
    };
    let local_space = address_prefixes(st, vnet_id).unwrap_or_default();
    check_overlap(vnet_id, &remote, &local_space, &remote_space)?;
    let flag = |key: &str, default: bool| {
        body.pointer(&format!("/properties/{key}"))
            .and_then(Value::as_bool)
            .unwrap_or(default)
    };
    let id = p.id();
    let existing = st.get(&id).cloned();
    let location = st
        .get(vnet_id)
        .and_then(|v| v.body["location"].as_str().map(str::to_string))
        .unwrap_or_default();
    let stored = json!({
        "id": id,
        "name": p.name(),
        "type": PEERING,
        "etag": etag(),
        "properties": {
            "provisioningState": "Updating",
            "resourceGuid": common::resource_guid(existing.as_ref()),
            "remoteVirtualNetwork": {"id": remote},
            "allowVirtualNetworkAccess": flag("allowVirtualNetworkAccess", true),
            "allowForwardedTraffic": flag("allowForwardedTraffic", false),
            "allowGatewayTransit": flag("allowGatewayTransit", false),
            "useRemoteGateways": flag("useRemoteGateways", false),
            "doNotVerifyRemoteGateways": false,
            "peeringState": "Initiated",
            "peeringSyncLevel": "FullyInSync",
            "remoteAddressSpace": {"addressPrefixes": remote_space},
            "remoteVirtualNetworkAddressSpace": {"addressPrefixes": remote_space},
            "localAddressSpace": {"addressPrefixes": local_space},
            "localVirtualNetworkAddressSpace": {"addressPrefixes": local_space},
            // Answered on every peering (Azure, 2021-05-01 on): the whole VNets are peered.
            "peerCompleteVnets": true,
            "routeServiceVips": {},
        },
    });
    // The state is stored as it is when the PUT is answered; GETs compute it again.
    let stored = render(st, vnet_id, &stored);
    let created = common::upsert(ctx, st, existing, &id, PEERING, stored, body);
    common::accept_put(ctx, st, &id, NS, &location, created, PEERING_SECS, None)
}

/// Azure refuses to peer VNets whose address spaces overlap.
fn check_overlap(
    local: &str,
    remote: &str,
    local_space: &[String],
    remote_space: &[String],
) -> Result<(), ArmError> {
    for a in local_space {
        for b in remote_space {
            let (Ok(x), Ok(y)) = (parse_prefix(a, local), parse_prefix(b, remote)) else {
                continue;
            };
            if overlaps(&x, &y) {
                return Err(ArmError::bad_request(
                    "VnetAddressSpacesOverlap",
                    format!(
                        "Cannot create or update peering {local}/virtualNetworkPeerings because address space {a} of virtual network {local} overlaps with address space {b} of virtual network {remote}."
                    ),
                ));
            }
        }
    }
    Ok(())
}
