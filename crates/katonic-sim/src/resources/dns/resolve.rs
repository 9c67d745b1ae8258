//! What the zones answer a resolver: a jumphost's view of A records (private zones only where
//! linked), the DNS-over-HTTPS JSON endpoint and the loopback alias of a private address.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{PRIVATE_LC, PUBLIC_LC};
use crate::arm::errors::Reply;
use crate::state::State;

/// What a resolver on the jumphost would answer for `host`'s A records: records of a public zone,
/// or of a private zone linked to a virtual network (the jumphost is taken to sit in the linked
/// VNet, as in the vendor guide's layout). Unlinked private zones resolve nowhere, as in Azure.
pub(crate) fn resolve_a(
    st: &State,
    console: Option<&crate::placement::ConsoleNetwork>,
    host: &str,
) -> Vec<std::net::Ipv4Addr> {
    let fqdn = format!("{}.", host.trim_end_matches('.').to_ascii_lowercase());
    let mut found = Vec::new();
    for resource in st.resources.values() {
        let kind = resource.kind.to_ascii_lowercase();
        let private = kind.starts_with(PRIVATE_LC);
        if !(kind.starts_with(PUBLIC_LC) || private) || !kind.ends_with("/a") {
            continue;
        }
        let props = &resource.body["properties"];
        if props["fqdn"].as_str().map(str::to_ascii_lowercase) != Some(fqdn.clone()) {
            continue;
        }
        if private && !zone_is_linked(st, console, &resource.id) {
            continue;
        }
        let records = props
            .get(if private { "aRecords" } else { "ARecords" })
            .and_then(Value::as_array);
        found.extend(records.into_iter().flatten().filter_map(|r| {
            r["ipv4Address"]
                .as_str()?
                .parse::<std::net::Ipv4Addr>()
                .ok()
        }));
    }
    found
}

/// Whether the private zone holding `record_id` (`…/privateDnsZones/<zone>/A/<name>`) answers
/// the console: linked to its VNet (any VNet when the console is unplaced).
fn zone_is_linked(
    st: &State,
    console: Option<&crate::placement::ConsoleNetwork>,
    record_id: &str,
) -> bool {
    let lower = record_id.to_ascii_lowercase();
    let Some(at) = lower.rfind("/a/") else {
        return false;
    };
    let links = format!("{}/virtualnetworklinks/", &lower[..at]);
    crate::placement::resolves_private(st, console, &links)
}

/// `GET /dns-query?name=<host>&type=A`: the zones' answer in the DNS-over-HTTPS JSON form
/// (`application/dns-json`, as Cloudflare and Google serve it), so that a console talking to a
/// standalone simulator verifies names as a jumphost in the linked VNet would, without asking
/// the machine's resolver. Only A queries; NXDOMAIN (3) when no zone has the name.
pub(crate) fn dns_json(shared: &crate::server::Shared, req: &crate::server::Req) -> Reply {
    let name = req
        .q("name")
        .unwrap_or("")
        .trim_end_matches('.')
        .to_string();
    let kind = req.q("type").unwrap_or("A");
    if name.is_empty() || !(kind.eq_ignore_ascii_case("A") || kind == "1") {
        return Reply::json(
            StatusCode::BAD_REQUEST,
            json!({"Status": 1, "Comment": "name=<host> and type=A are required"}),
        );
    }
    let console = shared.console_network();
    let found = resolve_a(&shared.lock(), console.as_ref(), &name);
    let answer: Vec<Value> = found
        .iter()
        .map(
            |ip| json!({"name": format!("{name}."), "type": 1, "TTL": 300, "data": ip.to_string()}),
        )
        .collect();
    Reply::ok(json!({
        "Status": if answer.is_empty() { 3 } else { 0 },
        "Question": [{"name": format!("{name}."), "type": 1}],
        "Answer": answer,
    }))
}

/// `GET /reachable?address=<ip>`: where this simulator serves `ip` (itself when loopback, else
/// its loopback alias). A console driving a standalone simulator dials private VNet addresses
/// (an internal load balancer's, a gateway's frontend) there, as the in-process one does through
/// `SimHandle::reachable_address`: no rehearsal packet leaves the machine.
pub(crate) fn reachable(shared: &crate::server::Shared, req: &crate::server::Req) -> Reply {
    match req.q("address").map(str::parse::<std::net::Ipv4Addr>) {
        Some(Ok(ip)) => Reply::ok(json!({"address": shared.loopback_for(ip).to_string()})),
        _ => Reply::json(
            StatusCode::BAD_REQUEST,
            json!({"error": {"code": "InvalidAddress", "message": "address=<IPv4 address> is required"}}),
        ),
    }
}
