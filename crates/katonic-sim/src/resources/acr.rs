//! Azure Container Registry: global name checks and registries (modern LRO, `loginServer`).

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::router::ResPath;
use crate::schema;
use crate::state::State;

use super::common::{self, method_not_allowed};

pub(crate) const REGISTRY: &str = "Microsoft.ContainerRegistry/registries";
const NS: &str = "Microsoft.ContainerRegistry";
const REGISTRY_SECS: f64 = 30.0;

fn valid_name(name: &str) -> bool {
    (5..=50).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric())
}

fn taken(ctx: &Ctx<'_>, st: &State, name: &str, except: Option<&str>) -> bool {
    ctx.catalog()
        .taken_names
        .registries
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
        || st.of_kind(REGISTRY).any(|r| {
            r.body["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
                && except.is_none_or(|e| !r.id.eq_ignore_ascii_case(e))
        })
}

pub(crate) fn provider_op(ctx: &Ctx<'_>, st: &mut State, rest: &[String]) -> ArmResult {
    match (rest, ctx.method().as_str()) {
        ([op], "POST") if op.eq_ignore_ascii_case("checkNameAvailability") => {
            let body = common::body_object(ctx)?;
            let name = body["name"].as_str().unwrap_or("");
            if !body["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(REGISTRY))
            {
                return Err(ArmError::bad_request(
                    "InvalidParameter",
                    "The resource type must be 'Microsoft.ContainerRegistry/registries'.",
                ));
            }
            let answer = if !valid_name(name) {
                json!({"nameAvailable": false, "reason": "Invalid", "message": "Registry names may contain only alpha numeric characters and must be between 5 and 50 characters"})
            } else if taken(ctx, st, name, None) {
                json!({"nameAvailable": false, "reason": "AlreadyExists", "message": format!("The registry {name} is already in use.")})
            } else {
                json!({"nameAvailable": true})
            };
            Ok(Reply::ok(answer))
        }
        _ => Err(ArmError::bad_request(
            "InvalidResourceType",
            format!(
                "The resource type '{}' could not be found in the namespace 'Microsoft.ContainerRegistry'.",
                rest.join("/")
            ),
        )),
    }
}

pub(crate) fn handle(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    common::require_rg(ctx, st, p)?;
    if p.pairs.len() != 1 || p.tail.is_some() {
        return Err(method_not_allowed(ctx));
    }
    match ctx.method().as_str() {
        "PUT" => put(ctx, st, p),
        "GET" => st
            .get(&p.id())
            .map(|r| Reply::ok(r.body.clone()))
            .ok_or_else(|| common::not_found(p)),
        "PATCH" => patch(ctx, st, p),
        "DELETE" => {
            if st.get(&p.id()).is_none() {
                return Ok(Reply::empty(StatusCode::NO_CONTENT));
            }
            common::busy(ctx, st, &p.id(), false)?;
            common::accept_delete(ctx, st, &p.id(), NS, REGISTRY_SECS)
        }
        _ => Err(method_not_allowed(ctx)),
    }
}

// One piece: the registry PUT's checks in the order ARM reports them, then the stored body.
fn put(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let name = p.name().to_string();
    if !valid_name(&name) {
        return Err(ArmError::bad_request(
            "InvalidResourceName",
            format!(
                "The resource name '{name}' is invalid: registry names may contain only alpha numeric characters and must be between 5 and 50 characters."
            ),
        ));
    }
    let raw = common::body_object(ctx)?;
    let checked = schema::check_request("Registries_Create", &raw)?;
    let body = checked.body.clone();
    let location = common::location(ctx, &body, REGISTRY)?;
    let tags = common::tags(&body)?;
    let id = p.id();
    let existing = st.get(&id).cloned();
    common::preconditions(ctx, existing.as_ref())?;
    if existing.is_none() && taken(ctx, st, &name, Some(&id)) {
        return Err(ArmError::conflict(
            "AlreadyInUse",
            format!(
                "The registry DNS name {}.azurecr.io is already in use. You can check if the name is already claimed using following API: https://docs.microsoft.com/en-us/rest/api/containerregistry/registries/checknameavailability",
                name.to_ascii_lowercase()
            ),
        ));
    }
    common::busy(ctx, st, &id, false)?;
    common::same_location(existing.as_ref(), &location, p)?;
    checked.raise("InvalidParameter")?;
    let sku = body
        .pointer("/sku/name")
        .and_then(Value::as_str)
        .unwrap_or("Basic")
        .to_string();
    let props_in = &body["properties"];
    let zone_redundancy = props_in["zoneRedundancy"].as_str().unwrap_or("Disabled");
    if zone_redundancy == "Enabled" && sku != "Premium" {
        return Err(ArmError::bad_request(
            "InvalidParameter",
            "Zone redundancy is only supported for registries with the Premium SKU.",
        ));
    }
    if props_in["publicNetworkAccess"].as_str() == Some("Disabled") && sku != "Premium" {
        return Err(ArmError::bad_request(
            "InvalidParameter",
            "Disabling public network access is only supported for registries with the Premium SKU.",
        ));
    }
    if common::identical(existing.as_ref(), &body) {
        return Ok(Reply::ok(existing.map(|r| r.body).unwrap_or_default()));
    }
    let created = existing.as_ref().map(|r| r.created).unwrap_or(ctx.now());
    let created_s = common::rfc3339(created);
    let mut props = json!({
        "loginServer": format!("{}.azurecr.io", name.to_ascii_lowercase()),
        "creationDate": created_s,
        "provisioningState": if existing.is_some() { "Updating" } else { "Creating" },
        "adminUserEnabled": props_in["adminUserEnabled"].as_bool().unwrap_or(false),
        "policies": {
            "quarantinePolicy": {"status": "disabled"},
            "trustPolicy": {"type": "Notary", "status": "disabled"},
            "retentionPolicy": {"days": 7, "lastUpdatedTime": created_s, "status": "disabled"},
            "exportPolicy": {"status": "enabled"},
            "azureADAuthenticationAsArmPolicy": {"status": "enabled"}
        },
        "encryption": {"status": "disabled"},
        "dataEndpointEnabled": false,
        "dataEndpointHostNames": [],
        "privateEndpointConnections": [],
        "publicNetworkAccess": props_in["publicNetworkAccess"].as_str().unwrap_or("Enabled"),
        "networkRuleBypassOptions": props_in["networkRuleBypassOptions"].as_str().unwrap_or("AzureServices"),
        "zoneRedundancy": zone_redundancy,
        "anonymousPullEnabled": props_in["anonymousPullEnabled"].as_bool().unwrap_or(false),
    });
    if sku == "Premium" {
        props["networkRuleSet"] = props_in
            .get("networkRuleSet")
            .cloned()
            .unwrap_or(json!({"defaultAction": "Allow", "ipRules": []}));
    }
    let mut registry = json!({
        "sku": {"name": sku, "tier": sku},
        "type": REGISTRY,
        "id": existing.as_ref().map(|r| r.id.clone()).unwrap_or(id.clone()),
        "name": existing.as_ref().and_then(|r| r.body["name"].as_str().map(str::to_string)).unwrap_or(name),
        "location": location,
        "tags": tags.unwrap_or(json!({})),
        "systemData": common::system_data(ctx, created),
        "properties": props,
    });
    if let Some(identity) = body.get("identity").filter(|v| v.is_object()) {
        registry["identity"] = identity.clone();
    }
    let canonical = registry["id"].as_str().unwrap_or(&id).to_string();
    let is_new = common::upsert(ctx, st, existing, &canonical, REGISTRY, registry, body);
    common::accept_put(
        ctx,
        st,
        &canonical,
        NS,
        &location,
        is_new,
        REGISTRY_SECS,
        None,
    )
}

/// `PATCH` (RegistryUpdateParameters): tags, SKU, identity and the updatable properties
/// replace the stored ones; answered with the registry (200), as Microsoft's recordings show.
fn patch(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let update = common::body_object(ctx)?;
    let id = p.id();
    let Some(existing) = st.get(&id).cloned() else {
        return Err(common::not_found(p));
    };
    common::busy(ctx, st, &id, false)?;
    let tags = common::tags(&update)?;
    let mut body = existing.body.clone();
    if let Some(t) = tags {
        body["tags"] = t;
    }
    if let Some(sku) = update.pointer("/sku/name").and_then(Value::as_str) {
        body["sku"] = json!({"name": sku, "tier": sku});
    }
    if let Some(identity) = update.get("identity").filter(|v| v.is_object()) {
        body["identity"] = identity.clone();
    }
    if let Some(props) = update.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            body["properties"][k] = v.clone();
        }
    }
    common::upsert(ctx, st, Some(existing), &id, REGISTRY, body.clone(), update);
    Ok(Reply::ok(body))
}
