//! Resource groups (PUT/GET/HEAD/PATCH/DELETE as an LRO deleting everything inside) and the
//! resource listings with `$filter` by tag or type that an install uses to find what it created.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::lro::{self, Final, NewOp, OpAction, Operation, UrlStyle};
use crate::arm::router::Route;
use crate::server::{Shared, list};
use crate::state::State;

use super::common::{self, method_not_allowed, provisioning_state};

pub(crate) const KIND: &str = "Microsoft.Resources/resourceGroups";

fn rg_id(st: &State, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{name}",
        st.account.subscription_id
    )
}

fn rg_not_found(name: &str) -> ArmError {
    ArmError::not_found(
        "ResourceGroupNotFound",
        format!("Resource group '{name}' could not be found."),
    )
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= 90
        && !name.ends_with('.')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')'))
}

pub(crate) fn handle(ctx: &Ctx<'_>, st: &mut State, route: &Route) -> ArmResult {
    match route {
        Route::ResourceGroups if *ctx.method() == Method::GET => list_groups(ctx, st),
        Route::ResourceGroup { name } => match ctx.method().as_str() {
            "PUT" => put(ctx, st, name),
            "GET" => st
                .get(&rg_id(st, name))
                .map(|r| Reply::ok(r.body.clone()))
                .ok_or_else(|| rg_not_found(name)),
            "HEAD" => Ok(Reply::empty(if st.get(&rg_id(st, name)).is_some() {
                StatusCode::NO_CONTENT
            } else {
                StatusCode::NOT_FOUND
            })),
            "PATCH" => patch(ctx, st, name),
            "DELETE" => delete(ctx, st, name),
            _ => Err(method_not_allowed(ctx)),
        },
        Route::RgResources { rg } if *ctx.method() == Method::GET => {
            if st.get(&rg_id(st, rg)).is_none() {
                return Err(rg_not_found(rg));
            }
            let prefix = format!("{}/", rg_id(st, rg)).to_ascii_lowercase();
            list_resources(ctx, st, Some(&prefix))
        }
        Route::SubResources if *ctx.method() == Method::GET => list_resources(ctx, st, None),
        _ => Err(method_not_allowed(ctx)),
    }
}

// One piece: the resource group PUT's checks in the order ARM reports them, then the stored body.
fn put(ctx: &Ctx<'_>, st: &mut State, name: &str) -> ArmResult {
    if !valid_name(name) {
        return Err(ArmError::bad_request(
            "InvalidResourceGroupNameFormat",
            format!(
                "The provided resource group name '{name}' has these invalid characters or format: it must be 1-90 characters of letters, digits, '-', '_', '.', '(' and ')', and must not end with a period."
            ),
        ));
    }
    let raw = common::body_object(ctx)?;
    let body = crate::schema::check_request("ResourceGroups_CreateOrUpdate", &raw)?.body;
    let Some(loc) = body.get("location").and_then(Value::as_str) else {
        return Err(ArmError::bad_request(
            "LocationRequired",
            "The location property is required for this definition.",
        ));
    };
    let Some(region) = ctx.catalog().region(loc) else {
        let all: Vec<&str> = ctx
            .catalog()
            .regions
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        return Err(ArmError::bad_request(
            "LocationNotAvailableForResourceGroup",
            format!(
                "The provided location '{loc}' is not available for resource group. List of available regions is '{}'.",
                all.join(",")
            ),
        ));
    };
    let location = region.name.clone();
    let tags = common::tags(&body)?;
    let id = rg_id(st, name);
    if let Some(existing) = st.get(&id) {
        if provisioning_state(&existing.body) == Some("Deleting") {
            return Err(ArmError::conflict(
                "ResourceGroupBeingDeleted",
                format!(
                    "The resource group '{}' is in deprovisioning state and cannot perform this operation.",
                    existing.body["name"].as_str().unwrap_or(name)
                ),
            ));
        }
        let old = existing.body["location"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if old != location {
            return Err(ArmError::conflict(
                "InvalidResourceGroupLocation",
                format!(
                    "Invalid resource group location '{location}'. The Resource group already exists in location '{old}'."
                ),
            ));
        }
        let existing = st.get_mut(&id).ok_or_else(|| rg_not_found(name))?;
        match tags {
            Some(t) => existing.body["tags"] = t,
            None => {
                if let Some(o) = existing.body.as_object_mut() {
                    o.remove("tags");
                }
            }
        }
        existing.request = body;
        return Ok(Reply::ok(existing.body.clone()));
    }
    let mut rg = json!({
        "id": id,
        "name": name,
        "type": KIND,
        "location": location,
        "properties": {"provisioningState": "Succeeded"},
    });
    if let Some(t) = tags {
        rg["tags"] = t;
    }
    if let Some(m) = body.get("managedBy").and_then(Value::as_str) {
        rg["managedBy"] = Value::String(m.to_string());
    }
    let resource = common::new_resource(ctx, &id, KIND, rg.clone(), body);
    st.insert(resource);
    Ok(Reply::json(StatusCode::CREATED, rg))
}

fn patch(ctx: &Ctx<'_>, st: &mut State, name: &str) -> ArmResult {
    let body = common::body_object(ctx)?;
    let tags = common::tags(&body)?;
    let id = rg_id(st, name);
    let rg = st.get_mut(&id).ok_or_else(|| rg_not_found(name))?;
    if let Some(t) = tags {
        rg.body["tags"] = t;
    }
    Ok(Reply::ok(rg.body.clone()))
}

/// Create a resource group on behalf of a resource provider (AKS node resource group).
pub(crate) fn create_managed(
    ctx: &Ctx<'_>,
    st: &mut State,
    name: &str,
    location: &str,
    managed_by: &str,
) {
    let id = rg_id(st, name);
    if st.get(&id).is_some() {
        return;
    }
    let body = json!({
        "id": id, "name": name, "type": KIND, "location": location,
        "managedBy": managed_by,
        "properties": {"provisioningState": "Succeeded"},
    });
    st.insert(common::new_resource(ctx, &id, KIND, body, Value::Null));
}

fn delete(ctx: &Ctx<'_>, st: &mut State, name: &str) -> ArmResult {
    let id = rg_id(st, name);
    if st.get(&id).is_none() {
        return Err(rg_not_found(name));
    }
    let running = lro::running(st, &id).map(|o| o.id.clone());
    let op = match running {
        Some(op) => op,
        None => {
            let has_cluster = st
                .children(&id)
                .any(|r| r.kind.eq_ignore_ascii_case(super::aks::CLUSTER));
            if let Some(r) = st.get_mut(&id) {
                common::set_provisioning_state(&mut r.body, "Deleting");
            }
            let location = st
                .get(&id)
                .and_then(|r| r.body["location"].as_str().map(str::to_string))
                .unwrap_or_default();
            lro::start(
                ctx,
                st,
                NewOp {
                    resource_id: &id,
                    kind: KIND,
                    action: OpAction::Delete,
                    namespace: "Microsoft.Resources",
                    location: &location,
                    nominal_secs: if has_cluster { 300.0 } else { 30.0 },
                    style: UrlStyle::Subscription,
                    on_success: Final::OkEmpty,
                    failure: None,
                },
            )
        }
    };
    let mut reply = Reply::empty(StatusCode::ACCEPTED);
    for (k, v) in lro::headers(ctx.shared, st, &op, ctx.now(), false, true) {
        reply = reply.header(k, v);
    }
    Ok(reply)
}

/// A finished resource group delete removes everything inside, and the groups AKS manages for
/// clusters that were inside.
pub(crate) fn complete(shared: &Shared, st: &mut State, op: &Operation, ok: bool) {
    let _ = shared;
    if !ok {
        if let Some(r) = st.get_mut(&op.resource_id) {
            common::set_provisioning_state(&mut r.body, "Succeeded");
        }
        return;
    }
    let mut queue = vec![op.resource_id.clone()];
    while let Some(rg) = queue.pop() {
        let removed = st.remove_tree(&rg);
        let prefix = format!("{}/", rg.to_ascii_lowercase());
        for r in &removed {
            if let Some(op_id) = &r.op {
                lro::cancel(st, op_id, op.due);
            }
        }
        // Groups managed by something that was removed go too.
        let managed: Vec<String> = st
            .of_kind(KIND)
            .filter(|g| {
                g.body["managedBy"]
                    .as_str()
                    .is_some_and(|m| m.to_ascii_lowercase().starts_with(&prefix))
            })
            .map(|g| g.id.clone())
            .collect();
        queue.extend(managed);
    }
}

/// One `$filter` clause: `name eq 'value'`.
fn parse_filter(filter: &str) -> Result<Vec<(String, String)>, ArmError> {
    let mut clauses = Vec::new();
    let lower = filter.to_ascii_lowercase();
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, _) in lower.match_indices(" and ") {
        parts.push(&filter[start..i]);
        start = i + 5;
    }
    parts.push(&filter[start..]);
    for part in parts {
        let part = part.trim();
        let Some((name, value)) = part.split_once(" eq ").or_else(|| part.split_once(" EQ "))
        else {
            return Err(invalid_filter(filter));
        };
        let value = value.trim();
        let Some(value) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) else {
            return Err(invalid_filter(filter));
        };
        clauses.push((name.trim().to_ascii_lowercase(), value.replace("''", "'")));
    }
    Ok(clauses)
}

fn invalid_filter(filter: &str) -> ArmError {
    ArmError::bad_request(
        "InvalidFilterInQueryString",
        format!("Invalid $filter '{filter}' specified in the query string."),
    )
}

fn matches(body: &Value, kind: &str, clauses: &[(String, String)]) -> bool {
    let tag_name = clauses
        .iter()
        .find(|(n, _)| n == "tagname")
        .map(|(_, v)| v.as_str());
    let tag_value = clauses
        .iter()
        .find(|(n, _)| n == "tagvalue")
        .map(|(_, v)| v.as_str());
    for (name, value) in clauses {
        let ok = match name.as_str() {
            "tagname" | "tagvalue" => true,
            "resourcetype" => kind.eq_ignore_ascii_case(value),
            "name" => body["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(value)),
            "location" => body["location"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(value)),
            "resourcegroup" => body["id"]
                .as_str()
                .and_then(|id| id.split('/').nth(4))
                .is_some_and(|rg| rg.eq_ignore_ascii_case(value)),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    if let Some(tn) = tag_name {
        let Some(tags) = body["tags"].as_object() else {
            return false;
        };
        // Tag names match case-insensitively, values case-sensitively (as ARM does).
        let found = tags.iter().find(|(k, _)| k.eq_ignore_ascii_case(tn));
        match (found, tag_value) {
            (None, _) => return false,
            (Some((_, v)), Some(tv)) if v.as_str() != Some(tv) => {
                return false;
            }
            _ => {}
        }
    }
    true
}

fn filter_clauses(ctx: &Ctx<'_>, allowed: &[&str]) -> Result<Vec<(String, String)>, ArmError> {
    let Some(filter) = ctx.req.q("$filter") else {
        return Ok(Vec::new());
    };
    let clauses = parse_filter(filter)?;
    if clauses.iter().any(|(n, _)| !allowed.contains(&n.as_str())) {
        return Err(invalid_filter(filter));
    }
    if clauses.iter().any(|(n, _)| n == "tagvalue") && !clauses.iter().any(|(n, _)| n == "tagname")
    {
        return Err(invalid_filter(filter));
    }
    Ok(clauses)
}

fn list_groups(ctx: &Ctx<'_>, st: &State) -> ArmResult {
    let clauses = filter_clauses(ctx, &["tagname", "tagvalue"])?;
    let value = st
        .of_kind(KIND)
        .filter(|r| matches(&r.body, KIND, &clauses))
        .map(|r| r.body.clone())
        .collect();
    Ok(Reply::ok(list(value)))
}

/// Whether a stored resource is a top-level tracked resource (what `/resources` lists).
fn top_level(id: &str) -> bool {
    let segs: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
    segs.len() == 8
        && segs[2].eq_ignore_ascii_case("resourceGroups")
        && !segs[5].eq_ignore_ascii_case("Microsoft.Authorization")
}

fn list_resources(ctx: &Ctx<'_>, st: &State, prefix: Option<&str>) -> ArmResult {
    let clauses = filter_clauses(
        ctx,
        // `resourceGroup eq '…'` is how `az resource list -g` asks (issue 15).
        &[
            "tagname",
            "tagvalue",
            "resourcetype",
            "name",
            "location",
            "resourcegroup",
        ],
    )?;
    let value = st
        .resources
        .iter()
        .filter(|(k, r)| prefix.is_none_or(|p| k.starts_with(p)) && top_level(&r.id))
        .filter(|(_, r)| matches(&r.body, &r.kind, &clauses))
        .map(|(_, r)| {
            let mut v = json!({
                "id": r.body["id"],
                "name": r.body["name"],
                "type": r.body["type"],
                "location": r.body["location"],
            });
            for key in ["tags", "sku", "kind", "identity", "managedBy"] {
                if let Some(x) = r.body.get(key) {
                    v[key] = x.clone();
                }
            }
            if ctx
                .req
                .q("$expand")
                .is_some_and(|e| e.contains("provisioningState"))
                && let Some(ps) = provisioning_state(&r.body)
            {
                v["provisioningState"] = Value::String(ps.into());
            }
            v
        })
        .collect();
    Ok(Reply::ok(list(value)))
}
