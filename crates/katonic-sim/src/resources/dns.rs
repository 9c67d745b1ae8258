//! Azure DNS (`Microsoft.Network/dnsZones`, 2018-05-01) and Private DNS
//! (`Microsoft.Network/privateDnsZones`, 2024-06-01): zones (global; a private zone's PUT is a long-running operation),
//! record sets (A checked fully; the others stored as the schema allows) and, for private zones,
//! virtual network links. Bodies are checked against the specs in `specs/extra`; each service
//! reads only its own spelling (`TTL`/`ARecords` public, `ttl`/`aRecords` private), so a body in
//! the other's spelling is refused as Azure refuses it.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::router::ResPath;
use crate::schema;
use crate::server::list;
use crate::state::State;

use super::common::{self, etag, method_not_allowed};

mod links;
mod resolve;
mod updates;

use links::{LINK, LINK_DELETE_SECS, put_link};
pub(crate) use resolve::{dns_json, reachable, resolve_a};

pub(crate) const PUBLIC_LC: &str = "microsoft.network/dnszones";
pub(crate) const PRIVATE_LC: &str = "microsoft.network/privatednszones";
/// Azure DNS's TTL range (seconds).
const MAX_TTL: u64 = 2_147_483_647;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Service {
    Public,
    Private,
}

impl Service {
    fn of(p: &ResPath) -> Service {
        if p.kind().starts_with(PRIVATE_LC) {
            Service::Private
        } else {
            Service::Public
        }
    }
    fn zone_type(self) -> &'static str {
        match self {
            Service::Public => "Microsoft.Network/dnszones",
            Service::Private => "Microsoft.Network/privateDnsZones",
        }
    }
    fn op(self, name: &str) -> String {
        match self {
            Service::Public => format!("Dns.{name}"),
            Service::Private => format!("PrivateDns.{name}"),
        }
    }
    fn record_types(self) -> &'static [&'static str] {
        match self {
            Service::Public => &[
                "A", "AAAA", "CAA", "CNAME", "MX", "NS", "PTR", "SOA", "SRV", "TXT",
            ],
            Service::Private => &["A", "AAAA", "CNAME", "MX", "PTR", "SOA", "SRV", "TXT"],
        }
    }
    /// (TTL key, A records key) as this service's spec spells them.
    fn keys(self) -> (&'static str, &'static str) {
        match self {
            Service::Public => ("TTL", "ARecords"),
            Service::Private => ("ttl", "aRecords"),
        }
    }
}

pub(crate) fn handle(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    common::require_rg(ctx, st, p)?;
    let svc = Service::of(p);
    let method = ctx.method().as_str().to_string();
    match (p.pairs.len(), p.tail.as_deref(), method.as_str()) {
        (1, None, "PUT") => put_zone(ctx, st, p, svc),
        (1, None, "GET") => st
            .get(&p.id())
            .map(|r| Reply::ok(render_zone(st, &r.body, svc)))
            .ok_or_else(|| common::not_found(p)),
        (1, None, "DELETE") => updates::delete_zone(ctx, st, p),
        (1, Some(t), "GET") if updates::is_record_list(svc, t) => {
            updates::list_record_sets(st, p, svc, t)
        }
        (1, Some(t), "GET")
            if svc == Service::Private && t.eq_ignore_ascii_case("virtualNetworkLinks") =>
        {
            require_zone(st, p, "read")?;
            let links: Vec<Value> = st
                .children(&p.id())
                .filter(|r| r.kind.eq_ignore_ascii_case(LINK))
                .map(|r| r.body.clone())
                .collect();
            Ok(Reply::ok(list(links)))
        }
        (2, None, _)
            if svc == Service::Private
                && p.pairs[1].0.eq_ignore_ascii_case("virtualNetworkLinks") =>
        {
            match method.as_str() {
                "PUT" => put_link(ctx, st, p),
                "GET" => st
                    .get(&p.id())
                    .map(|r| Reply::ok(r.body.clone()))
                    .ok_or_else(|| common::not_found(p)),
                "DELETE" => {
                    require_zone(st, p, "write")?;
                    common::accept_delete(ctx, st, &p.id(), "Microsoft.Network", LINK_DELETE_SECS)
                }
                _ => Err(method_not_allowed(ctx)),
            }
        }
        (2, None, _) => record_set(ctx, st, p, svc, &method),
        _ => Err(method_not_allowed(ctx)),
    }
}

/// Zone names: two or more labels of 1-63 characters, at most 253 in all.
fn check_zone_name(name: &str) -> Result<(), ArmError> {
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Err(ArmError::bad_request(
            "BadRequest",
            format!(
                "The zone name '{name}' does not have enough labels. Zone names must have two or more labels."
            ),
        ));
    }
    let bad_label = labels.iter().any(|l| {
        l.is_empty()
            || l.len() > 63
            || !l
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    });
    if bad_label || name.len() > 253 {
        return Err(ArmError::bad_request(
            "BadRequest",
            format!(
                "The zone name '{name}' is invalid: each label has 1-63 letters, digits, hyphens or underscores, and the name at most 253 characters."
            ),
        ));
    }
    Ok(())
}

/// DNS zones and their links are global resources.
fn global_location(body: &Value, kind: &str) -> Result<(), ArmError> {
    let Some(loc) = body.get("location") else {
        return Err(ArmError::bad_request(
            "LocationRequired",
            "The location property is required for this definition.",
        ));
    };
    if loc
        .as_str()
        .is_some_and(|l| l.eq_ignore_ascii_case("global"))
    {
        return Ok(());
    }
    Err(ArmError::bad_request(
        "LocationNotAvailableForResourceType",
        format!(
            "The provided location '{}' is not available for resource type '{kind}'. List of available regions for the resource type is 'global'.",
            loc.as_str().unwrap_or_default()
        ),
    ))
}

fn put_zone(ctx: &Ctx<'_>, st: &mut State, p: &ResPath, svc: Service) -> ArmResult {
    let name = p.name().to_ascii_lowercase();
    check_zone_name(&name)?;
    let raw = common::body_object(ctx)?;
    let op = match svc {
        Service::Public => svc.op("Zones_CreateOrUpdate"),
        Service::Private => svc.op("PrivateZones_CreateOrUpdate"),
    };
    let checked = schema::check_request(&op, &raw)?;
    global_location(&checked.body, svc.zone_type())?;
    let tags = common::tags(&checked.body)?;
    checked.raise("BadRequest")?;
    let id = p.id();
    let existing = st.get(&id).cloned();
    common::preconditions(ctx, existing.as_ref())?;
    let properties = match svc {
        Service::Public => json!({
            "maxNumberOfRecordSets": 10000,
            "nameServers": ["ns1-01.azure-dns.com.", "ns2-01.azure-dns.net.",
                            "ns3-01.azure-dns.org.", "ns4-01.azure-dns.info."],
            "zoneType": "Public",
        }),
        Service::Private => json!({
            "maxNumberOfRecordSets": 25000,
            "maxNumberOfVirtualNetworkLinks": 1000,
            "maxNumberOfVirtualNetworkLinksWithRegistration": 100,
            "provisioningState": "Succeeded",
            "internalId": uuid::Uuid::new_v4().to_string(),
        }),
    };
    let mut body = json!({
        "id": id,
        "name": name,
        "type": svc.zone_type(),
        "location": "global",
        "etag": uuid::Uuid::new_v4().to_string(),
        "properties": properties,
    });
    // Azure answers `tags` on every zone, `{}` when none were given.
    body["tags"] = tags.unwrap_or(json!({}));
    let created = common::upsert(
        ctx,
        st,
        existing,
        &id,
        svc.zone_type(),
        body.clone(),
        checked.body,
    );
    if svc == Service::Private {
        return Ok(accept_private(ctx, st, &id, svc.zone_type()));
    }
    Ok(Reply::upserted(created, render_zone(st, &body, svc)))
}

/// Seconds Azure takes to create or update a private zone or link (the Azure CLI's recordings
/// polled once or twice, 30 s apart).
const PRIVATE_PUT_SECS: f64 = 20.0;

/// Private DNS runs every zone and virtual network link PUT as a long-running operation: 202
/// with body `{}`, `Azure-AsyncOperation` and `Location` (Azure CLI recordings, privatedns
/// module, test_PutZone_ZoneNotExists_ExpectZoneCreated and
/// test_PutLink_LinkNotExistsWithoutRegistration_ExpectLinkCreated; checked 2026-12-07). The
/// resource is stored at once (record sets may be written into a zone, a link resolves),
/// `provisioningState` `Succeeded` when the operation ends.
fn accept_private(ctx: &Ctx<'_>, st: &mut State, id: &str, kind: &str) -> Reply {
    let op = crate::arm::lro::start(
        ctx,
        st,
        crate::arm::lro::NewOp {
            resource_id: id,
            kind,
            action: crate::arm::lro::OpAction::Create,
            namespace: "Microsoft.Network",
            location: "global",
            nominal_secs: PRIVATE_PUT_SECS,
            style: crate::arm::lro::UrlStyle::Provider,
            on_success: crate::arm::lro::Final::Resource,
            failure: None,
        },
    );
    let mut reply = Reply::json(StatusCode::ACCEPTED, json!({}));
    for (k, v) in crate::arm::lro::headers(ctx.shared, st, &op, ctx.now(), true, true) {
        reply = reply.header(k, v);
    }
    reply
}

/// The zone with its counts (every zone holds its SOA record set; a public one its NS too).
pub(crate) fn render(st: &State, body: &Value) -> Value {
    let private = body["type"]
        .as_str()
        .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Network/privateDnsZones"));
    render_zone(
        st,
        body,
        if private {
            Service::Private
        } else {
            Service::Public
        },
    )
}

fn render_zone(st: &State, body: &Value, svc: Service) -> Value {
    let mut body = body.clone();
    let id = body["id"].as_str().unwrap_or_default().to_string();
    let records = st
        .children(&id)
        .filter(|r| !r.kind.eq_ignore_ascii_case(LINK))
        .count();
    let links: Vec<bool> = st
        .children(&id)
        .filter(|r| r.kind.eq_ignore_ascii_case(LINK))
        .map(|r| {
            r.body
                .pointer("/properties/registrationEnabled")
                .and_then(Value::as_bool)
                .unwrap_or(false)
        })
        .collect();
    let props = &mut body["properties"];
    match svc {
        Service::Public => props["numberOfRecordSets"] = json!(records + 2),
        Service::Private => {
            props["numberOfRecordSets"] = json!(records + 1);
            props["numberOfVirtualNetworkLinks"] = json!(links.len());
            props["numberOfVirtualNetworkLinksWithRegistration"] =
                json!(links.iter().filter(|r| **r).count());
        }
    }
    body
}

/// A child of a zone needs the zone: ARM's answer when it is missing.
fn require_zone(st: &State, p: &ResPath, verb: &str) -> Result<(), ArmError> {
    if st.get(&p.id_upto(1)).is_some() {
        return Ok(());
    }
    let child = p.pairs.get(1).map_or("", |(t, _)| t.as_str());
    Err(ArmError::not_found(
        "ParentResourceNotFound",
        format!(
            "Failed to perform '{verb}' on resource(s) of type '{}/{child}', because the parent resource '{}' could not be found.",
            p.pairs[0].0.to_ascii_lowercase(),
            p.id_upto(1)
        ),
    ))
}

/// Relative names: `@` (the apex), or labels of 1-63 letters, digits, `-` or `_`, a leftmost
/// `*` allowed; the full name at most 253 characters.
fn check_relative_name(name: &str, zone: &str) -> Result<(), ArmError> {
    if name == "@" {
        return Ok(());
    }
    let labels: Vec<&str> = name.split('.').collect();
    let ok_label = |(i, l): (usize, &&str)| {
        (i == 0 && **l == *"*")
            || (!l.is_empty()
                && l.len() <= 63
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    };
    if labels.iter().enumerate().all(ok_label) && name.len() + 1 + zone.len() <= 253 {
        return Ok(());
    }
    Err(ArmError::bad_request(
        "BadRequest",
        format!(
            "The record set name '{name}' is invalid. Use '@' for the zone apex, or labels of 1-63 letters, digits, hyphens and underscores (a leftmost '*' for a wildcard), at most 253 characters with the zone name."
        ),
    ))
}

fn record_set(ctx: &Ctx<'_>, st: &mut State, p: &ResPath, svc: Service, method: &str) -> ArmResult {
    let (rtype, name) = (&p.pairs[1].0, p.pairs[1].1.clone());
    let Some(rtype) = svc
        .record_types()
        .iter()
        .find(|t| t.eq_ignore_ascii_case(rtype))
    else {
        return Err(ArmError::bad_request(
            "InvalidResourceType",
            format!(
                "The resource type '{}/{rtype}' could not be found in the namespace 'Microsoft.Network'.",
                p.pairs[0].0
            ),
        ));
    };
    let verb = match method {
        "GET" => "read",
        "DELETE" => "delete",
        _ => "write",
    };
    require_zone(st, p, verb)?;
    let zone = p.pairs[0].1.to_ascii_lowercase();
    let id = format!("{}/{rtype}/{name}", p.id_upto(1));
    match method {
        "GET" => st.get(&id).map(|r| Reply::ok(r.body.clone())).ok_or_else(|| {
            ArmError::not_found(
                "NotFound",
                format!(
                    "The resource record '{name}' does not exist in resource group '{}' of subscription '{}'.",
                    p.rg, p.sub
                ),
            )
        }),
        "DELETE" => {
            if *rtype == "SOA" {
                return Err(ArmError::bad_request(
                    "BadRequest",
                    "Record sets of type SOA cannot be deleted.",
                ));
            }
            let removed = st.remove_tree(&id);
            Ok(Reply::empty(if removed.is_empty() {
                StatusCode::NO_CONTENT
            } else {
                StatusCode::OK
            }))
        }
        "PUT" => put_record_set(ctx, st, svc, rtype, &name, &zone, &id),
        "PATCH" => updates::patch_record_set(ctx, st, p, &id),
        _ => Err(method_not_allowed(ctx)),
    }
}

#[allow(clippy::too_many_arguments)]
fn put_record_set(
    ctx: &Ctx<'_>,
    st: &mut State,
    svc: Service,
    rtype: &str,
    name: &str,
    zone: &str,
    id: &str,
) -> ArmResult {
    check_relative_name(name, zone)?;
    let raw = common::body_object(ctx)?;
    let checked = schema::check_request(&svc.op("RecordSets_CreateOrUpdate"), &raw)?;
    checked.raise("BadRequest")?;
    let (ttl_key, a_key) = svc.keys();
    let props = checked.body.get("properties").cloned().unwrap_or(json!({}));
    let ttl = props.get(ttl_key).and_then(Value::as_u64);
    if ttl.is_none_or(|t| t == 0 || t > MAX_TTL) {
        return Err(ArmError::bad_request(
            "BadRequest",
            format!(
                "The value for the {ttl_key} property must be between 1 and {MAX_TTL} (found {}).",
                props
                    .get(ttl_key)
                    .map_or("none".to_string(), Value::to_string)
            ),
        ));
    }
    // A record set with only a TTL is accepted, empty, as Azure accepts it (issue 15); one whose
    // records were in the other service's spelling (pruned by the schema check) is refused.
    let only_ttl = !raw
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| p.keys().any(|k| k.eq_ignore_ascii_case(a_key)));
    if rtype == "A" && !only_ttl {
        let Some(records) = props.get(a_key).and_then(Value::as_array) else {
            return Err(ArmError::bad_request(
                "BadRequest",
                "The record set of type 'A' cannot be null.",
            ));
        };
        for r in records {
            let ip = r.get("ipv4Address").and_then(Value::as_str).unwrap_or("");
            if ip.parse::<std::net::Ipv4Addr>().is_err() {
                return Err(ArmError::bad_request(
                    "BadRequest",
                    format!("The IPv4 address '{ip}' of the A record is invalid."),
                ));
            }
        }
    }
    let existing = st.get(id).cloned();
    common::preconditions(ctx, existing.as_ref())?;
    let mut out_props = props.clone();
    out_props["fqdn"] = json!(if name == "@" {
        format!("{zone}.")
    } else {
        format!("{}.{zone}.", name.to_ascii_lowercase())
    });
    match svc {
        Service::Public => {
            out_props["provisioningState"] = json!("Succeeded");
            // An alias record set points at a resource; others answer an empty one.
            if out_props.get("targetResource").is_none() {
                out_props["targetResource"] = json!({});
            }
        }
        Service::Private => {
            out_props["isAutoRegistered"] = json!(false);
            // An A record set made with only a TTL answers its empty list of records (Azure
            // CLI recording test_CrudRecordSet_ARecord_ExpectCrudSuccessful, checked 2026-12-07).
            if rtype == "A" && out_props.get(a_key).is_none() {
                out_props[a_key] = json!([]);
            }
        }
    }
    let kind = format!("{}/{rtype}", svc.zone_type());
    let body = json!({
        "id": id,
        "name": name,
        "type": kind,
        "etag": etag().trim_start_matches("W/").trim_matches('"'),
        "properties": out_props,
    });
    let created = common::upsert(ctx, st, existing, id, &kind, body.clone(), checked.body);
    Ok(Reply::upserted(created, body))
}
