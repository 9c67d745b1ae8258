//! Private DNS virtual network links (`privateDnsZones/{zone}/virtualNetworkLinks/{name}`).

use serde_json::{Value, json};

use super::{accept_private, global_location, require_zone};
use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult};
use crate::arm::router::ResPath;
use crate::resources::common;
use crate::schema;
use crate::state::State;

pub(super) const LINK: &str = "Microsoft.Network/privateDnsZones/virtualNetworkLinks";
/// A link delete is a Private DNS long-running operation of a few seconds.
pub(super) const LINK_DELETE_SECS: f64 = 3.0;

/// Azure refuses to link one VNet to two zones of the same name (a VNet resolves one zone per
/// namespace): 409 Conflict naming both zones.
fn check_namespace_free(st: &State, link_id: &str, vnet: &str) -> Result<(), ArmError> {
    let zone_of = |id: &str| {
        let lower = id.to_ascii_lowercase();
        lower
            .find("/virtualnetworklinks/")
            .map(|at| lower[..at].to_string())
    };
    let this_zone = zone_of(link_id).unwrap_or_default();
    let zone_name = |z: &str| z.rsplit('/').next().unwrap_or_default().to_string();
    let clash = st.resources.values().find(|r| {
        r.kind.eq_ignore_ascii_case(LINK)
            && r.body
                .pointer("/properties/virtualNetwork/id")
                .and_then(Value::as_str)
                .is_some_and(|v| v.eq_ignore_ascii_case(vnet))
            && zone_of(&r.id)
                .is_some_and(|z| z != this_zone && zone_name(&z) == zone_name(&this_zone))
    });
    match clash {
        Some(other) => Err(ArmError::conflict(
            "Conflict",
            format!(
                "A virtual network cannot be linked to multiple zones with overlapping namespaces. You tried to link virtual network with '{}' and '{}' zones.",
                zone_name(&this_zone),
                zone_of(&other.id)
                    .map(|z| zone_name(&z))
                    .unwrap_or_default()
            ),
        )),
        None => Ok(()),
    }
}

pub(super) fn put_link(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    require_zone(st, p, "write")?;
    let raw = common::body_object(ctx)?;
    let checked = schema::check_request("PrivateDns.VirtualNetworkLinks_CreateOrUpdate", &raw)?;
    global_location(&checked.body, LINK)?;
    let tags = common::tags(&checked.body)?;
    checked.raise("BadRequest")?;
    let Some(vnet) = checked
        .body
        .pointer("/properties/virtualNetwork/id")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Err(ArmError::bad_request(
            "BadRequest",
            "The virtual network reference of the link is required.",
        ));
    };
    let id = p.id();
    check_namespace_free(st, &id, &vnet)?;
    let existing = st.get(&id).cloned();
    common::preconditions(ctx, existing.as_ref())?;
    let mut body = json!({
        "id": id,
        "name": p.name(),
        "type": LINK,
        "location": "global",
        "etag": uuid::Uuid::new_v4().to_string(),
        "properties": {
            "virtualNetwork": {"id": vnet},
            "registrationEnabled": checked.body.pointer("/properties/registrationEnabled").and_then(Value::as_bool).unwrap_or(false),
            "virtualNetworkLinkState": "Completed",
            "provisioningState": "Succeeded",
        },
    });
    if let Some(t) = tags {
        body["tags"] = t;
    }
    common::upsert(ctx, st, existing, &id, LINK, body, checked.body);
    Ok(accept_private(ctx, st, &id, LINK))
}
