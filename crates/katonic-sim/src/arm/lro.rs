//! Long-running operations (azure-brief §2.1): operation records kept as timestamps, their
//! `Azure-AsyncOperation` status resources and `Location` result URLs, and settling them.

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::Ctx;
use super::errors::{ArmError, ArmResult, ErrorDetail, Reply};
use crate::server::Shared;
use crate::state::State;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum OpAction {
    Create,
    Update,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum OpStatus {
    InProgress,
    Succeeded,
    Failed,
    Canceled,
}

impl OpStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OpStatus::InProgress => "InProgress",
            OpStatus::Succeeded => "Succeeded",
            OpStatus::Failed => "Failed",
            OpStatus::Canceled => "Canceled",
        }
    }
}

/// What polling the `Location` URL answers once the operation succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Final {
    /// 200 with the resource (Storage account create).
    Resource,
    /// 204 (Network, AKS, ACR deletes).
    NoContent,
    /// 200 with no body (resource group delete).
    OkEmpty,
    /// 200 with the application gateway's backend health as it is when polled.
    BackendHealth,
}

/// Style of the operation's URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum UrlStyle {
    /// `…/providers/{ns}/locations/{loc}/operations|operationResults/{id}`
    Provider,
    /// Storage: `…/providers/Microsoft.Storage/locations/{loc}/asyncoperations/{id}?monitor=true`
    Storage,
    /// Resource group delete: `/subscriptions/{s}/operationresults/{id}`
    Subscription,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Operation {
    pub id: String,
    /// Canonical id of the resource operated on.
    pub resource_id: String,
    /// Lower-cased resource type path (`microsoft.network/virtualnetworks`).
    pub kind: String,
    pub action: OpAction,
    pub namespace: String,
    pub location: String,
    pub api_version: String,
    pub style: UrlStyle,
    pub on_success: Final,
    #[serde(with = "time::serde::rfc3339")]
    pub started: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub due: OffsetDateTime,
    pub status: OpStatus,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub ended: Option<OffsetDateTime>,
    /// The error the operation ends with, decided when it started (fault or a check Azure makes late).
    #[serde(default)]
    pub planned_failure: Option<ErrorDetail>,
    #[serde(default)]
    pub error: Option<ErrorDetail>,
}

/// Parameters of a new operation.
pub(crate) struct NewOp<'a> {
    pub resource_id: &'a str,
    pub kind: &'a str,
    pub action: OpAction,
    pub namespace: &'a str,
    pub location: &'a str,
    /// Azure-like duration in seconds, before the time scale.
    pub nominal_secs: f64,
    pub style: UrlStyle,
    pub on_success: Final,
    /// A failure the simulator already knows the operation will end with.
    pub failure: Option<ErrorDetail>,
}

/// Start an operation and return its id. A fault's `failOperation` wins over `failure`,
/// and a `slow` fault stretches the duration.
pub(crate) fn start(ctx: &Ctx<'_>, st: &mut State, new: NewOp<'_>) -> String {
    let id = Uuid::new_v4().to_string();
    let secs = new.nominal_secs * ctx.shared.time_scale * ctx.fx.factor();
    // Clamped (NaN counts as 0) so no fault factor or scale can overflow or panic.
    let secs = if secs.is_nan() {
        0.0
    } else {
        secs.clamp(0.0, 86_400.0 * 30.0)
    };
    let due = ctx.req.now + Duration::seconds_f64(secs);
    let op = Operation {
        id: id.clone(),
        resource_id: new.resource_id.to_string(),
        kind: new.kind.to_ascii_lowercase(),
        action: new.action,
        namespace: new.namespace.to_string(),
        location: new.location.to_string(),
        api_version: ctx.api_version.clone(),
        style: new.style,
        on_success: new.on_success,
        started: ctx.req.now,
        due,
        status: OpStatus::InProgress,
        ended: None,
        planned_failure: ctx.fx.fail.clone().or(new.failure),
        error: None,
    };
    if let Some(r) = st.get_mut(new.resource_id) {
        r.op = Some(id.clone());
    }
    st.operations.insert(id.clone(), op);
    id
}

/// The operation in flight on `resource_id`, if any.
pub(crate) fn running<'a>(st: &'a State, resource_id: &str) -> Option<&'a Operation> {
    let r = st.get(resource_id)?;
    let op = st.operations.get(r.op.as_deref()?)?;
    (op.status == OpStatus::InProgress).then_some(op)
}

fn sub_prefix(shared: &Shared, st: &State) -> String {
    format!(
        "{}/subscriptions/{}",
        shared.base, st.account.subscription_id
    )
}

/// The `Azure-AsyncOperation` URL.
pub(crate) fn async_url(shared: &Shared, st: &State, op: &Operation) -> String {
    format!(
        "{}/providers/{}/locations/{}/operations/{}?api-version={}",
        sub_prefix(shared, st),
        op.namespace,
        op.location,
        op.id,
        op.api_version
    )
}

/// The `Location` URL.
pub(crate) fn location_url(shared: &Shared, st: &State, op: &Operation) -> String {
    match op.style {
        UrlStyle::Provider => format!(
            "{}/providers/{}/locations/{}/operationResults/{}?api-version={}",
            sub_prefix(shared, st),
            op.namespace,
            op.location,
            op.id,
            op.api_version
        ),
        UrlStyle::Storage => format!(
            "{}/providers/Microsoft.Storage/locations/{}/asyncoperations/{}?monitor=true&api-version={}",
            sub_prefix(shared, st),
            op.location,
            op.id,
            op.api_version
        ),
        UrlStyle::Subscription => format!(
            "{}/operationresults/{}?api-version={}",
            sub_prefix(shared, st),
            op.id,
            op.api_version
        ),
    }
}

/// `Retry-After` seconds: Azure's usual 10 s, scaled, never past the operation's end.
pub(crate) fn retry_after(shared: &Shared, op: &Operation, now: OffsetDateTime) -> String {
    let remaining = (op.due - now).as_seconds_f64().max(0.0);
    let nominal = 10.0 * shared.time_scale;
    (nominal.min(remaining).ceil() as u64).to_string()
}

/// Headers for an accepted operation: `Azure-AsyncOperation` and/or `Location`, `Retry-After`.
pub(crate) fn headers(
    shared: &Shared,
    st: &State,
    op_id: &str,
    now: OffsetDateTime,
    async_op: bool,
    location: bool,
) -> Vec<(&'static str, String)> {
    let Some(op) = st.operations.get(op_id) else {
        return Vec::new();
    };
    let mut h = Vec::new();
    if async_op {
        h.push(("azure-asyncoperation", async_url(shared, st, op)));
    }
    if location {
        h.push(("location", location_url(shared, st, op)));
    }
    h.push(("retry-after", retry_after(shared, op, now)));
    h
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Finish every operation whose time has come, and provider registrations. Returns whether
/// anything changed (the caller then saves the state).
pub(crate) fn settle(shared: &Shared, st: &mut State, now: OffsetDateTime) -> bool {
    let mut changed = false;
    for reg in st.providers.values_mut() {
        if reg.state == "Registering" && reg.registered_at.is_some_and(|t| t <= now) {
            reg.state = "Registered".into();
            changed = true;
        }
    }
    // Finish in due order: a cluster's create settles before a later pool update.
    let mut due: Vec<(OffsetDateTime, String)> = st
        .operations
        .values()
        .filter(|o| o.status == OpStatus::InProgress && o.due <= now)
        .map(|o| (o.due, o.id.clone()))
        .collect();
    due.sort();
    for (_, id) in due {
        let Some(mut op) = st.operations.get(&id).cloned() else {
            continue;
        };
        if op.status != OpStatus::InProgress {
            continue;
        }
        op.ended = Some(op.due);
        let ok = op.planned_failure.is_none();
        if ok {
            op.status = OpStatus::Succeeded;
        } else {
            op.status = OpStatus::Failed;
            op.error = op.planned_failure.clone();
        }
        st.operations.insert(id.clone(), op.clone());
        if let Some(r) = st.get_mut(&op.resource_id)
            && r.op.as_deref() == Some(id.as_str())
        {
            r.op = None;
        }
        crate::resources::complete(shared, st, &op, ok);
        changed = true;
    }
    // Old finished operations are forgotten after a day, like Azure's status URLs.
    let horizon = now - Duration::days(1);
    let before = st.operations.len();
    st.operations
        .retain(|_, o| o.status == OpStatus::InProgress || o.ended.is_none_or(|e| e > horizon));
    changed || before != st.operations.len()
}

/// Cancel an operation (its resource is being deleted with its group).
pub(crate) fn cancel(st: &mut State, op_id: &str, now: OffsetDateTime) {
    if let Some(op) = st.operations.get_mut(op_id)
        && op.status == OpStatus::InProgress
    {
        op.status = OpStatus::Canceled;
        op.ended = Some(now);
        op.error = Some(ErrorDetail::new(
            "Canceled",
            "The operation was canceled because the resource is being deleted.",
        ));
    }
}

fn op_not_found(id: &str) -> ArmError {
    ArmError::not_found("NotFound", format!("Operation '{id}' was not found."))
}

/// `GET` of an `Azure-AsyncOperation` URL: always 200 while readable.
pub(crate) fn status(ctx: &Ctx<'_>, st: &State, id: &str) -> ArmResult {
    let op = st.operations.get(id).ok_or_else(|| op_not_found(id))?;
    let mut body = json!({
        "id": format!("/subscriptions/{}/providers/{}/locations/{}/operations/{}", st.account.subscription_id, op.namespace, op.location, op.id),
        "name": op.id,
        "status": op.status.as_str(),
        "startTime": rfc3339(op.started),
    });
    if let Some(end) = op.ended {
        body["endTime"] = Value::String(rfc3339(end));
        body["percentComplete"] = json!(100.0);
    } else {
        let total = (op.due - op.started).as_seconds_f64();
        let done = (ctx.req.now - op.started).as_seconds_f64();
        let pct = if total > 0.0 {
            (done / total * 100.0).clamp(0.0, 99.0)
        } else {
            0.0
        };
        body["percentComplete"] = json!(pct.floor());
    }
    if let Some(e) = &op.error {
        body["error"] = e.to_json();
    }
    let mut reply = Reply::ok(body);
    if op.status == OpStatus::InProgress {
        reply = reply.header("retry-after", retry_after(ctx.shared, op, ctx.req.now));
    }
    Ok(reply)
}

/// `GET` of a `Location` URL: 202 while running, then the final answer.
pub(crate) fn result(ctx: &Ctx<'_>, st: &State, id: &str) -> ArmResult {
    let op = st.operations.get(id).ok_or_else(|| op_not_found(id))?;
    match op.status {
        OpStatus::InProgress => Ok(Reply::empty(StatusCode::ACCEPTED)
            .header("location", location_url(ctx.shared, st, op))
            .header("retry-after", retry_after(ctx.shared, op, ctx.req.now))),
        OpStatus::Succeeded => {
            match op.on_success {
                Final::NoContent => Ok(Reply::empty(StatusCode::NO_CONTENT)),
                Final::OkEmpty => Ok(Reply::empty(StatusCode::OK)),
                Final::Resource => {
                    let r = st.get(&op.resource_id).ok_or_else(|| {
                        ArmError::not_found(
                            "ResourceNotFound",
                            format!("The Resource '{}' was not found.", op.resource_id),
                        )
                    })?;
                    Ok(Reply::ok(crate::resources::render(ctx, st, r)))
                }
                Final::BackendHealth => Ok(Reply::ok(
                    crate::resources::app_gateway::health::report(ctx.shared, st, &op.resource_id),
                )),
            }
        }
        OpStatus::Failed | OpStatus::Canceled => {
            let e = op
                .error
                .clone()
                .unwrap_or_else(|| ErrorDetail::new("OperationFailed", "The operation failed."));
            let status = if e.code == "InternalServerError" {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::BAD_REQUEST
            };
            Ok(ArmError {
                status,
                detail: Box::new(e),
                headers: Vec::new(),
            }
            .into_reply())
        }
    }
}
