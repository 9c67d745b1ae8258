//! Application Gateways (`Microsoft.Network/applicationGateways`, issue 17) and their WAF
//! policies: a long create (201 + `Azure-AsyncOperation`, `Updating` → `Succeeded`,
//! `operationalState` `Running`), DELETE as a long-running operation, lists, and
//! `POST …/backendhealth` (202 + `Location`) reporting each backend server `Up` when a cluster's
//! internal load balancer at that address answers the probe. Refusals in `checks`; uploaded
//! certificates are kept in memory only (`secrets`).

use crate::resources::network_put::{self, NetworkPut};
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::lro::{self, Final, NewOp, OpAction, UrlStyle};
use crate::arm::router::ResPath;
use crate::state::{Resource, State};

use super::common::{self, etag, method_not_allowed};

mod body;
mod checks;
pub(crate) mod frontend;
pub(crate) mod health;
mod secrets;
pub(crate) mod waf_policy;

pub(crate) use secrets::{Secrets, load as secrets_kept, redact_request};

pub(crate) const AGW: &str = "Microsoft.Network/applicationGateways";
pub(crate) const AGW_LC: &str = "microsoft.network/applicationgateways";
const NS: &str = "Microsoft.Network";
const OP: &str = "ApplicationGateways_CreateOrUpdate";
/// A v2 gateway's create takes minutes in Azure (about 6); updates and deletes less.
const CREATE_SECS: f64 = 360.0;
const UPDATE_SECS: f64 = 120.0;
const DELETE_SECS: f64 = 120.0;

pub(crate) fn handle(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    common::require_rg(ctx, st, p)?;
    let tail = p.tail.as_deref().map(str::to_ascii_lowercase);
    match (p.pairs.len(), tail.as_deref(), ctx.method().as_str()) {
        (1, None, "PUT") => put(ctx, st, p),
        (1, None, "GET") => {
            let r = st.get(&p.id()).ok_or_else(|| common::not_found(p))?;
            Ok(Reply::ok(render(r)))
        }
        (1, None, "DELETE") => {
            let id = p.id();
            if st.get(&id).is_none() {
                return Ok(Reply::empty(StatusCode::NO_CONTENT));
            }
            common::busy(ctx, st, &id, false)?;
            ctx.shared
                .gateway_secrets
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id.to_ascii_lowercase());
            secrets::persist(ctx.shared);
            common::accept_delete(ctx, st, &id, NS, DELETE_SECS)
        }
        (1, Some("backendhealth"), "POST") => health::start(ctx, st, p),
        _ => Err(method_not_allowed(ctx)),
    }
}

/// The gateway whose IP configuration sits in `subnet_id`, if any (the subnet is in use).
pub(crate) fn subnet_user(st: &State, subnet_id: &str) -> Option<String> {
    st.of_kind(AGW)
        .find(|g| in_subnet(&g.body["properties"]["gatewayIPConfigurations"], subnet_id))
        .map(|g| g.id.clone())
}

/// Whether any of these IP configurations (a gateway's, a NIC's) sits in `subnet_id`.
pub(super) fn in_subnet(ip_configurations: &Value, subnet_id: &str) -> bool {
    ip_configurations.as_array().into_iter().flatten().any(|c| {
        c["properties"]["subnet"]["id"]
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case(subnet_id))
    })
}

/// The gateways' IP configurations in `subnet_id` (a subnet's `applicationGatewayIPConfigurations`).
pub(crate) fn subnet_ip_configurations(st: &State, subnet_id: &str) -> Vec<String> {
    st.of_kind(AGW)
        .flat_map(|g| {
            g.body["properties"]["gatewayIPConfigurations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|c| {
            c["properties"]["subnet"]["id"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(subnet_id))
        })
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect()
}

/// The gateway frontend configuration holding public IP `pip_id`, if any.
pub(crate) fn public_ip_user(st: &State, pip_id: &str) -> Option<String> {
    st.of_kind(AGW).find_map(|g| {
        g.body["properties"]["frontendIPConfigurations"]
            .as_array()?
            .iter()
            .find(|f| {
                f["properties"]["publicIPAddress"]["id"]
                    .as_str()
                    .is_some_and(|p| p.eq_ignore_ascii_case(pip_id))
            })
            .and_then(|f| f["id"].as_str().map(str::to_string))
    })
}

/// The GET representation: `operationalState` follows the provisioning.
pub(crate) fn render(r: &Resource) -> Value {
    let mut v = r.body.clone();
    let state = match common::provisioning_state(&v) {
        Some("Succeeded") => "Running",
        Some("Deleting") => "Stopping",
        _ => "Stopped",
    };
    if let Some(props) = v.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert("operationalState".into(), json!(state));
    }
    v
}

/// The Network RP's gateway refusals carry `"details": []` (Microsoft's recording).
fn with_empty_details(e: ArmError) -> Reply {
    let mut reply = e.into_reply();
    if let crate::arm::errors::Body::Json(b) = &mut reply.body
        && b["error"]["details"].is_null()
    {
        b["error"]["details"] = json!([]);
    }
    reply
}

fn put(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let NetworkPut {
        body: request,
        location,
        tags,
        id,
        existing,
        canonical_id,
        name,
    } = network_put::begin(ctx, st, p, OP, AGW)?;
    let view = checks::View {
        ctx,
        st,
        id: &canonical_id,
        location: &location,
        new: existing.is_none(),
    };
    if let Err(e) = checks::all(&view, &request) {
        return Ok(with_empty_details(e));
    }
    // Secrets never reach `state.json`: the stored request and body hold none.
    let (redacted, uploaded) = secrets::split(&request);
    // A new PFX under the same name is an update, though the stored (redacted) request is equal.
    if common::identical(existing.as_ref(), &redacted)
        && secrets::unchanged(ctx.shared, &canonical_id, &uploaded)
    {
        let r = st.get(&id).ok_or_else(|| common::not_found(p))?;
        return Ok(Reply::ok(render(r)));
    }
    let mut gw = body::build(&canonical_id, &name, &location, &request, existing.as_ref());
    gw["etag"] = json!(etag());
    if let Some(t) = tags {
        gw["tags"] = t;
    }
    secrets::keep(ctx.shared, &canonical_id, uploaded);
    let created = common::upsert(ctx, st, existing, &canonical_id, AGW, gw, redacted);
    let op = lro::start(
        ctx,
        st,
        NewOp {
            resource_id: &canonical_id,
            kind: AGW,
            action: if created {
                OpAction::Create
            } else {
                OpAction::Update
            },
            namespace: NS,
            location: &location,
            nominal_secs: if created { CREATE_SECS } else { UPDATE_SECS },
            style: UrlStyle::Provider,
            on_success: Final::Resource,
            failure: None,
        },
    );
    let r = st
        .get(&canonical_id)
        .ok_or_else(|| ArmError::not_found("NotFound", "resource vanished"))?;
    let mut reply = Reply::upserted(created, render(r));
    for (k, v) in lro::headers(ctx.shared, st, &op, ctx.now(), true, false) {
        reply = reply.header(k, v);
    }
    Ok(reply)
}
