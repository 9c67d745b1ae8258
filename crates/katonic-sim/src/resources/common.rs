//! Checks and answers shared by every resource type: resource group and registration checks,
//! location and tags, not-found and conflict errors, idempotent re-PUT, LRO acceptance.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::lro::{self, Final, NewOp, OpAction, UrlStyle};
use crate::arm::router::ResPath;
use crate::state::{Resource, State};

pub(crate) fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The resource group of `p` must exist; writes also need it not to be deleting.
pub(crate) fn require_rg(ctx: &Ctx<'_>, st: &State, p: &ResPath) -> Result<(), ArmError> {
    let Some(rg) = st.get(&p.rg_id()) else {
        return Err(ArmError::not_found(
            "ResourceGroupNotFound",
            format!("Resource group '{}' could not be found.", p.rg),
        ));
    };
    let deleting = provisioning_state(&rg.body) == Some("Deleting");
    if deleting && *ctx.method() != axum::http::Method::GET {
        return Err(ArmError::conflict(
            "ResourceGroupBeingDeleted",
            format!(
                "The resource group '{}' is in deprovisioning state and cannot perform this operation.",
                p.rg
            ),
        ));
    }
    Ok(())
}

/// Writes to a namespace the subscription has not registered fail like ARM's.
pub(crate) fn require_registered(ctx: &Ctx<'_>, st: &State, ns: &str) -> Result<(), ArmError> {
    let _ = ctx;
    let registered = st
        .providers
        .get(&ns.to_ascii_lowercase())
        .is_some_and(|r| r.state == "Registered");
    if registered {
        return Ok(());
    }
    let canonical = st
        .providers
        .get(&ns.to_ascii_lowercase())
        .map(|r| r.namespace.clone())
        .unwrap_or_else(|| ns.to_string());
    let message = format!(
        "The subscription is not registered to use namespace '{canonical}'. See https://aka.ms/rps-not-found for how to register subscriptions."
    );
    Err(
        ArmError::conflict("MissingSubscriptionRegistration", message.clone())
            .target(canonical.clone())
            .with_detail(crate::arm::errors::ErrorDetail {
                code: "MissingSubscriptionRegistration".into(),
                message,
                target: Some(canonical),
                details: Vec::new(),
            }),
    )
}

pub(crate) fn provisioning_state(body: &Value) -> Option<&str> {
    body.pointer("/properties/provisioningState")
        .and_then(Value::as_str)
}

pub(crate) fn set_provisioning_state(body: &mut Value, state: &str) {
    if let Some(props) = body.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert("provisioningState".into(), Value::String(state.into()));
    }
}

/// The request body must be a JSON object.
pub(crate) fn body_object(ctx: &Ctx<'_>) -> Result<Value, ArmError> {
    match ctx.req.json()? {
        Some(v @ Value::Object(_)) => Ok(v),
        Some(_) => Err(ArmError::invalid_content(
            "the request body must be a JSON object",
        )),
        None => Err(ArmError::bad_request(
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized: 'The request body is empty.'.",
        )),
    }
}

/// `location` of a tracked resource: required, a known region; returned normalised.
pub(crate) fn location(ctx: &Ctx<'_>, body: &Value, kind: &str) -> Result<String, ArmError> {
    let Some(loc) = body.get("location") else {
        return Err(ArmError::bad_request(
            "LocationRequired",
            "The location property is required for this definition.",
        ));
    };
    let Some(loc) = loc.as_str() else {
        return Err(ArmError::invalid_content("location must be a string"));
    };
    match ctx.catalog().region(loc) {
        Some(r) => Ok(r.name.clone()),
        None => {
            let all: Vec<&str> = ctx
                .catalog()
                .regions
                .iter()
                .map(|r| r.display_name.as_str())
                .collect();
            Err(ArmError::bad_request(
                "LocationNotAvailableForResourceType",
                format!(
                    "The provided location '{loc}' is not available for resource type '{kind}'. List of available regions for the resource type is '{}'.",
                    all.join(",")
                ),
            ))
        }
    }
}

/// An existing tracked resource keeps its location.
pub(crate) fn same_location(
    existing: Option<&Resource>,
    loc: &str,
    p: &ResPath,
) -> Result<(), ArmError> {
    if let Some(r) = existing {
        let old = r.body.get("location").and_then(Value::as_str).unwrap_or("");
        if !old.eq_ignore_ascii_case(loc) {
            return Err(ArmError::conflict(
                "InvalidResourceLocation",
                format!(
                    "The resource '{}' already exists in location '{old}' in resource group '{}'. A resource with the same name cannot be created in location '{loc}'. Please select a new resource name.",
                    p.name(),
                    p.rg
                ),
            ));
        }
    }
    Ok(())
}

/// `tags`: an object of strings (≤50 tags, names ≤512, values ≤256 characters).
pub(crate) fn tags(body: &Value) -> Result<Option<Value>, ArmError> {
    let Some(tags) = body.get("tags") else {
        return Ok(None);
    };
    if tags.is_null() {
        return Ok(None);
    }
    let Some(map) = tags.as_object() else {
        return Err(ArmError::invalid_content(
            "tags must be an object of strings",
        ));
    };
    if map.len() > 50 {
        return Err(ArmError::bad_request(
            "InvalidTag",
            "The number of tags exceeds the limit of 50.",
        ));
    }
    for (k, v) in map {
        if !v.is_string() {
            return Err(ArmError::invalid_content(format!(
                "the value of tag '{k}' must be a string"
            )));
        }
        if k.len() > 512 || v.as_str().is_some_and(|v| v.len() > 256) || k.is_empty() {
            return Err(ArmError::bad_request(
                "InvalidTagNameCharacters",
                format!(
                    "The tag name '{k}' or its value is too long or empty: names may have 512 characters and values 256."
                ),
            ));
        }
        if k.chars()
            .any(|c| matches!(c, '<' | '>' | '%' | '&' | '\\' | '?' | '/'))
        {
            return Err(ArmError::bad_request(
                "InvalidTagNameCharacters",
                format!(
                    "The tag names '{k}' have reserved characters '<,>,%,&,\\,?,/' or control characters."
                ),
            ));
        }
    }
    Ok(Some(tags.clone()))
}

/// ARM's answer for a missing top-level resource.
pub(crate) fn not_found(p: &ResPath) -> ArmError {
    let types: Vec<String> = p.pairs.iter().map(|(t, n)| format!("{t}/{n}")).collect();
    ArmError::not_found(
        "ResourceNotFound",
        format!(
            "The Resource '{}/{}' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
            p.ns,
            types.join("/"),
            p.rg
        ),
    )
}

/// ARM's answer for a child whose parent is missing.
pub(crate) fn parent_not_found(p: &ResPath, depth: usize) -> ArmError {
    let types: Vec<String> = p
        .pairs
        .iter()
        .take(depth)
        .map(|(t, n)| format!("{t}/{n}"))
        .collect();
    ArmError::not_found(
        "ParentResourceNotFound",
        format!(
            "Can not perform requested operation on nested resource. Parent resource '{}' not found.",
            types.join("/")
        ),
    )
}

pub(crate) fn method_not_allowed(ctx: &Ctx<'_>) -> ArmError {
    ArmError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!(
            "The requested resource does not support http method '{}'.",
            ctx.method()
        ),
    )
}

/// 409 while another operation runs on the resource.
pub(crate) fn busy(
    ctx: &Ctx<'_>,
    st: &State,
    resource_id: &str,
    aks: bool,
) -> Result<(), ArmError> {
    let Some(op) = lro::running(st, resource_id) else {
        return Ok(());
    };
    let state = st
        .get(resource_id)
        .and_then(|r| provisioning_state(&r.body).map(str::to_string))
        .unwrap_or_else(|| "Updating".into());
    Err(if aks {
        ArmError::conflict(
            "OperationNotAllowed",
            format!(
                "Operation is not allowed: Another operation ({state}) is in progress, please wait for it to finish before starting a new operation. See https://aka.ms/aks-pending-operation for more details"
            ),
        )
    } else {
        ArmError::conflict(
            "AnotherOperationInProgress",
            format!(
                "Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: {}.",
                lro::async_url(ctx.shared, st, op)
            ),
        )
    })
}

/// `If-None-Match: *` on an existing resource → 412.
pub(crate) fn preconditions(ctx: &Ctx<'_>, existing: Option<&Resource>) -> Result<(), ArmError> {
    if existing.is_some()
        && ctx
            .req
            .header("if-none-match")
            .is_some_and(|v| v.trim() == "*")
    {
        return Err(ArmError::new(
            StatusCode::PRECONDITION_FAILED,
            "PreconditionFailed",
            "The resource already exists and the request has 'If-None-Match: *'.",
        ));
    }
    if let (Some(r), Some(tag)) = (existing, ctx.req.header("if-match")) {
        let current = r
            .body
            .get("etag")
            .or_else(|| r.body.get("eTag"))
            .or_else(|| r.body.pointer("/properties/eTag"))
            .and_then(Value::as_str)
            .unwrap_or("");
        if tag.trim() != "*"
            && tag.trim().trim_matches('"')
                != current
                    .trim_matches('"')
                    .trim_start_matches("W/")
                    .trim_matches('"')
        {
            return Err(ArmError::new(
                StatusCode::PRECONDITION_FAILED,
                "PreconditionFailed",
                format!(
                    "Operation failed because the resource's eTag '{current}' does not match the If-Match header '{tag}'."
                ),
            ));
        }
    }
    Ok(())
}

/// The resource's `properties.resourceGuid`, kept across updates; a new one on create.
pub(crate) fn resource_guid(existing: Option<&Resource>) -> String {
    existing
        .and_then(|r| {
            r.body["properties"]["resourceGuid"]
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// An identical re-PUT of a settled resource: 200 with the resource, nothing started.
pub(crate) fn identical(existing: Option<&Resource>, request: &Value) -> bool {
    existing.is_some_and(|r| {
        r.request == *request && matches!(provisioning_state(&r.body), Some("Succeeded") | None)
    })
}

/// Accept a modern LRO PUT: the resource with a non-terminal state, 201/200, `Azure-AsyncOperation`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn accept_put(
    ctx: &Ctx<'_>,
    st: &mut State,
    id: &str,
    ns: &str,
    location: &str,
    created: bool,
    nominal_secs: f64,
    failure: Option<crate::arm::errors::ErrorDetail>,
) -> ArmResult {
    let kind = st.get(id).map(|r| r.kind.clone()).unwrap_or_default();
    let op = lro::start(
        ctx,
        st,
        NewOp {
            resource_id: id,
            kind: &kind,
            action: if created {
                OpAction::Create
            } else {
                OpAction::Update
            },
            namespace: ns,
            location,
            nominal_secs,
            style: UrlStyle::Provider,
            on_success: Final::Resource,
            failure,
        },
    );
    let r = st
        .get(id)
        .ok_or_else(|| ArmError::not_found("NotFound", "resource vanished"))?;
    let body = super::render(ctx, st, r);
    let mut reply = Reply::upserted(created, body);
    for (k, v) in lro::headers(ctx.shared, st, &op, ctx.now(), true, false) {
        reply = reply.header(k, v);
    }
    Ok(reply)
}

/// Accept a modern LRO DELETE: 202 with `Location` and `Azure-AsyncOperation`.
pub(crate) fn accept_delete(
    ctx: &Ctx<'_>,
    st: &mut State,
    id: &str,
    ns: &str,
    nominal_secs: f64,
) -> ArmResult {
    let (kind, location) = match st.get_mut(id) {
        Some(r) => {
            set_provisioning_state(&mut r.body, "Deleting");
            (
                r.kind.clone(),
                r.body
                    .get("location")
                    .and_then(Value::as_str)
                    .unwrap_or("eastus")
                    .to_string(),
            )
        }
        None => return Ok(Reply::empty(StatusCode::NO_CONTENT)),
    };
    let op = lro::start(
        ctx,
        st,
        NewOp {
            resource_id: id,
            kind: &kind,
            action: OpAction::Delete,
            namespace: ns,
            location: &location,
            nominal_secs,
            style: UrlStyle::Provider,
            on_success: Final::NoContent,
            failure: None,
        },
    );
    let mut reply = Reply::empty(StatusCode::ACCEPTED);
    for (k, v) in lro::headers(ctx.shared, st, &op, ctx.now(), true, true) {
        reply = reply.header(k, v);
    }
    Ok(reply)
}

/// A new stored resource.
/// Store a PUT's result: the existing resource keeps its identity (creation time, private
/// data) and takes the new body and request; otherwise a new resource. `true` when created.
pub(crate) fn upsert(
    ctx: &Ctx<'_>,
    st: &mut State,
    existing: Option<Resource>,
    id: &str,
    kind: &str,
    body: Value,
    request: Value,
) -> bool {
    match existing {
        Some(mut r) => {
            r.body = body;
            r.request = request;
            st.insert(r);
            false
        }
        None => {
            st.insert(new_resource(ctx, id, kind, body, request));
            true
        }
    }
}

pub(crate) fn new_resource(
    ctx: &Ctx<'_>,
    id: &str,
    kind: &str,
    body: Value,
    request: Value,
) -> Resource {
    Resource {
        id: id.to_string(),
        kind: kind.to_string(),
        body,
        request,
        op: None,
        private: Value::Null,
        created: ctx.now(),
    }
}

/// `systemData` as ARM adds it to tracked resources.
pub(crate) fn system_data(ctx: &Ctx<'_>, created: time::OffsetDateTime) -> Value {
    json!({
        "createdBy": ctx.caller,
        "createdByType": "Application",
        "createdAt": rfc3339(created),
        "lastModifiedBy": ctx.caller,
        "lastModifiedByType": "Application",
        "lastModifiedAt": rfc3339(ctx.now()),
    })
}

/// A fresh weak etag as Network and others send it.
/// `PATCH` with `tags` only (Network's `UpdateTags`): the tags replaced, a new etag, 200 with
/// the resource as `render` shows it (as Azure answers in azure-mgmt-network 19.3.0's
/// recordings).
pub(crate) fn patch_tags(
    ctx: &Ctx<'_>,
    st: &mut State,
    p: &ResPath,
    render: fn(&State, &Resource) -> Value,
) -> ArmResult {
    let raw = body_object(ctx)?;
    let tags = tags(&raw)?;
    let id = p.id();
    busy(ctx, st, &id, false)?;
    let r = st.get_mut(&id).ok_or_else(|| not_found(p))?;
    if let Some(t) = tags {
        r.body["tags"] = t;
    }
    r.body["etag"] = json!(etag());
    let r = st.get(&id).ok_or_else(|| not_found(p))?;
    Ok(Reply::ok(render(st, r)))
}

pub(crate) fn etag() -> String {
    format!("W/\"{}\"", uuid::Uuid::new_v4())
}
