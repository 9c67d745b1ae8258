//! User-assigned managed identities (synchronous): each gets a directory principal whose
//! object id role assignments accept; ids stay stable across re-PUTs.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::router::ResPath;
use crate::schema;
use crate::state::State;

use super::common::{self, method_not_allowed};

pub(crate) const IDENTITY: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";

pub(crate) fn handle(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    common::require_rg(ctx, st, p)?;
    if p.pairs.len() == 1
        && ctx.method().as_str() == "POST"
        && p.tail
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("listAssociatedResources"))
    {
        return associated_resources(st, p);
    }
    if p.pairs.len() != 1 || p.tail.is_some() {
        return Err(method_not_allowed(ctx));
    }
    match ctx.method().as_str() {
        "PUT" => put(ctx, st, p),
        "GET" => st
            .get(&p.id())
            .map(|r| Reply::ok(r.body.clone()))
            .ok_or_else(|| common::not_found(p)),
        "DELETE" => {
            let removed = st.remove_tree(&p.id());
            for r in &removed {
                if let Some(oid) = r
                    .body
                    .pointer("/properties/principalId")
                    .and_then(Value::as_str)
                {
                    st.principals.remove(oid);
                }
            }
            Ok(Reply::empty(if removed.is_empty() {
                StatusCode::NO_CONTENT
            } else {
                StatusCode::OK
            }))
        }
        _ => Err(method_not_allowed(ctx)),
    }
}

fn valid_name(name: &str) -> bool {
    let len = name.chars().count();
    (3..=128).contains(&len)
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn put(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let name = p.name();
    if !valid_name(name) {
        return Err(ArmError::bad_request(
            "InvalidResourceName",
            format!(
                "Resource name {name} is invalid. The name can be between 3 and 128 characters long, must start with a letter or number, and may contain letters, numbers, hyphens and underscores."
            ),
        ));
    }
    let raw = common::body_object(ctx)?;
    let checked = schema::check_request("UserAssignedIdentities_CreateOrUpdate", &raw)?;
    let location = common::location(ctx, &checked.body, IDENTITY)?;
    let tags = common::tags(&checked.body)?;
    checked.raise("InvalidParameter")?;
    let id = p.id();
    let existing = st.get(&id).cloned();
    common::preconditions(ctx, existing.as_ref())?;
    common::same_location(existing.as_ref(), &location, p)?;
    match existing {
        Some(mut r) => {
            r.body["tags"] = tags.unwrap_or(json!({}));
            r.body["systemData"] = common::system_data(ctx, r.created);
            r.request = checked.body;
            let body = r.body.clone();
            st.insert(r);
            Ok(Reply::ok(body))
        }
        None => {
            let principal = st.new_principal("ServicePrincipal", name);
            let mut body = json!({
                "id": id,
                "name": name,
                "type": IDENTITY,
                "location": location,
                "properties": {
                    "tenantId": st.account.tenant_id,
                    "principalId": principal,
                    "clientId": uuid::Uuid::new_v4().to_string(),
                },
                "systemData": common::system_data(ctx, ctx.now()),
            });
            // Azure answers `tags: {}` on an identity created without tags (recorded by the
            // Azure CLI, identity module, test_identity_management; checked 2026-12-07).
            body["tags"] = tags.unwrap_or(json!({}));
            st.insert(common::new_resource(
                ctx,
                &id,
                IDENTITY,
                body.clone(),
                checked.body,
            ));
            // The 201 names the new identity in `Location` (its resource id, as recorded).
            Ok(Reply::json(StatusCode::CREATED, body).header("location", id))
        }
    }
}

/// `POST …/listAssociatedResources` (2021-09-30-preview and later): the resources that use the
/// identity (here: whatever names it in `identity.userAssignedIdentities`, AKS clusters).
fn associated_resources(st: &State, p: &ResPath) -> ArmResult {
    let id = p.id();
    if st.get(&id).is_none() {
        return Err(common::not_found(p));
    }
    let sub_name = st.account.subscription_name.clone();
    let value: Vec<Value> = st
        .resources
        .values()
        .filter(|r| {
            r.body
                .pointer("/identity/userAssignedIdentities")
                .and_then(Value::as_object)
                .is_some_and(|m| m.keys().any(|k| k.eq_ignore_ascii_case(&id)))
        })
        .map(|r| {
            let segs: Vec<&str> = r.id.split('/').collect();
            json!({
                "id": r.id,
                "name": r.body["name"],
                "type": r.body["type"],
                "resourceGroup": segs.get(4).copied().unwrap_or_default(),
                "subscriptionId": segs.get(2).copied().unwrap_or_default(),
                "subscriptionDisplayName": sub_name,
            })
        })
        .collect();
    Ok(Reply::ok(
        json!({"totalCount": value.len(), "value": value}),
    ))
}
