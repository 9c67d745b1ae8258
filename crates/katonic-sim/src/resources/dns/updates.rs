//! What Microsoft's recordings of Azure DNS showed the simulator lacked (issue 15): record-set
//! PATCH, the record-set lists of a zone (one type, or all with the zone's own NS and SOA), and
//! the zone DELETE as a long-running operation (202 with `Azure-AsyncOperation` and `Location`).

use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::router::ResPath;
use crate::server::list;
use crate::state::State;

use super::super::common::{self, etag};
use super::{LINK, Service};

/// Azure DNS deletes a zone in the background; nominal seconds.
const ZONE_DELETE_SECS: f64 = 5.0;

/// Whether `t` names a record-set collection of the zone (`A`, `recordsets`, `ALL`).
pub(super) fn is_record_list(svc: Service, t: &str) -> bool {
    t.eq_ignore_ascii_case("recordsets")
        || t.eq_ignore_ascii_case("ALL")
        || svc.record_types().iter().any(|r| r.eq_ignore_ascii_case(t))
}

/// `GET {zone}/{type}` or `GET {zone}/recordsets`: the stored record sets, and in the full
/// list the NS (public zones) and SOA record sets every zone holds.
pub(super) fn list_record_sets(st: &State, p: &ResPath, svc: Service, t: &str) -> ArmResult {
    super::require_zone(st, p, "read")?;
    let zone_id = p.id();
    let all = t.eq_ignore_ascii_case("recordsets") || t.eq_ignore_ascii_case("ALL");
    let zone = p.name().to_ascii_lowercase();
    let mut value: Vec<Value> = Vec::new();
    if all || t.eq_ignore_ascii_case("NS") || t.eq_ignore_ascii_case("SOA") {
        value.extend(apex_records(&zone_id, &zone, svc, t, all));
    }
    value.extend(
        st.children(&zone_id)
            .filter(|r| !r.kind.eq_ignore_ascii_case(LINK))
            .filter(|r| {
                all || r
                    .kind
                    .rsplit('/')
                    .next()
                    .is_some_and(|k| k.eq_ignore_ascii_case(t))
            })
            .map(|r| r.body.clone()),
    );
    Ok(Reply::ok(list(value)))
}

/// The NS and SOA record sets Azure creates with a zone.
fn apex_records(zone_id: &str, zone: &str, svc: Service, t: &str, all: bool) -> Vec<Value> {
    let (ttl_key, _) = svc.keys();
    let mut out = Vec::new();
    if svc == Service::Public && (all || t.eq_ignore_ascii_case("NS")) {
        out.push(json!({
            "id": format!("{zone_id}/NS/@"), "name": "@", "type": "Microsoft.Network/dnszones/NS",
            "etag": etag().trim_start_matches("W/").trim_matches('"'),
            "properties": {ttl_key: 172800, "fqdn": format!("{zone}."), "provisioningState": "Succeeded",
                "targetResource": {},
                "NSRecords": [{"nsdname": "ns1-01.azure-dns.com."}, {"nsdname": "ns2-01.azure-dns.net."},
                              {"nsdname": "ns3-01.azure-dns.org."}, {"nsdname": "ns4-01.azure-dns.info."}]}
        }));
    }
    if all || t.eq_ignore_ascii_case("SOA") {
        let soa_key = if svc == Service::Public {
            "SOARecord"
        } else {
            "soaRecord"
        };
        out.push(json!({
            "id": format!("{zone_id}/SOA/@"), "name": "@", "type": format!("{}/SOA", svc.zone_type()),
            "etag": etag().trim_start_matches("W/").trim_matches('"'),
            "properties": {ttl_key: 3600, "fqdn": format!("{zone}."),
                soa_key: {"email": "azuredns-hostmaster.microsoft.com", "expireTime": 2419200,
                    "host": "ns1-01.azure-dns.com.", "minimumTTL": 300, "refreshTime": 3600,
                    "retryTime": 300, "serialNumber": 1}}
        }));
    }
    out
}

/// `PATCH` of a record set: the given properties (TTL, records, metadata) replace the stored
/// ones; the record set must exist (404 `NotFound` as for a GET).
pub(super) fn patch_record_set(ctx: &Ctx<'_>, st: &mut State, p: &ResPath, id: &str) -> ArmResult {
    let patch = common::body_object(ctx)?;
    let Some(existing) = st.get(id).cloned() else {
        return Err(ArmError::not_found(
            "NotFound",
            format!(
                "The resource record '{}' does not exist in resource group '{}' of subscription '{}'.",
                p.name(),
                p.rg,
                p.sub
            ),
        ));
    };
    common::preconditions(ctx, Some(&existing))?;
    let mut body = existing.body.clone();
    if let Some(props) = patch.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            if !matches!(
                k.as_str(),
                "fqdn" | "provisioningState" | "isAutoRegistered"
            ) {
                body["properties"][k] = v.clone();
            }
        }
    }
    body["etag"] = json!(etag().trim_start_matches("W/").trim_matches('"'));
    let kind = existing.kind.clone();
    common::upsert(ctx, st, Some(existing), id, &kind, body.clone(), patch);
    Ok(Reply::ok(body))
}

/// `DELETE` of a zone: accepted (202) and finished in the background, as Azure DNS does.
pub(super) fn delete_zone(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    common::busy(ctx, st, &p.id(), false)?;
    common::accept_delete(ctx, st, &p.id(), "Microsoft.Network", ZONE_DELETE_SECS)
}
