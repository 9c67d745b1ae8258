//! Create-or-adopt for one ARM resource, resumable:
//! 1. an operation this step started before (checkpointed) is followed, not started again;
//! 2. a resource that exists in the desired shape is adopted without a PUT, one still
//!    provisioning is followed;
//! 3. otherwise PUT, checkpoint the operation's polling URL at once, and follow it.

use super::errors::{step_error, step_error_for};
use crate::azure::ArmClient;
use crate::azure::lro::{self, FinalState, Pending, Poll, Started};
use crate::worker::{StepContext, StepError};
use reqwest::Method;
use serde_json::{Map, Value};
use std::time::{Duration, Instant};

/// Progress is reported at least this often while an operation runs.
const PROGRESS_EVERY: Duration = Duration::from_secs(20);

/// Operations in flight of this step, by resource path, as checkpointed.
pub(super) fn checkpointed(ctx: &StepContext, path: &str) -> Option<Pending> {
    ctx.saved_checkpoint()
        .as_ref()
        .and_then(|c| c.get("operations"))
        .and_then(|ops| ops.get(path))
        .and_then(|p| serde_json::from_value(p.clone()).ok())
}

/// Every `desired` leaf is in `existing` (strings compared case-insensitively, as ARM does; array
/// items matched in any order).
pub fn matches(desired: &Value, existing: &Value) -> bool {
    match (desired, existing) {
        (Value::Object(d), Value::Object(e)) => d
            .iter()
            .all(|(k, v)| e.get(k).is_some_and(|ev| matches(v, ev))),
        (Value::Array(d), Value::Array(e)) => d.iter().all(|dv| e.iter().any(|ev| matches(dv, ev))),
        (Value::String(d), Value::String(e)) => d.eq_ignore_ascii_case(e),
        (d, e) => d == e,
    }
}

fn provisioning_state(body: &Value) -> Option<&str> {
    body.pointer("/properties/provisioningState")
        .and_then(Value::as_str)
}

/// Make `path` exist as `body` describes; returns the resource as ARM shows it.
pub async fn ensure(
    ctx: &StepContext,
    arm: &ArmClient,
    path: &str,
    api_version: &str,
    body: &Value,
    what: &str,
) -> Result<Value, StepError> {
    ensure_shaped(ctx, arm, path, api_version, body, &without_tags(body), what).await
}

/// [`ensure`], adopting an existing resource when it has every leaf of `shape` (a body whose
/// secrets ARM never returns leaves them out of its shape).
pub async fn ensure_shaped(
    ctx: &StepContext,
    arm: &ArmClient,
    path: &str,
    api_version: &str,
    body: &Value,
    shape: &Value,
    what: &str,
) -> Result<Value, StepError> {
    if let Some(pending) = checkpointed(ctx, path) {
        ctx.progress(format!("{what}: following the operation started before"))
            .await?;
        match follow(ctx, arm, &pending, what, None).await {
            Ok(resource) => {
                forget(ctx, path).await?;
                return Ok(resource);
            }
            // The status URL may have expired: look at the resource itself.
            Err(StepError::Terminal { .. }) | Err(StepError::Retryable { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    ctx.guard()?;
    let existing = arm
        .get(path, api_version)
        .await
        .map_err(|e| step_error(&format!("reading {what}"), e))?;
    if let Some(existing) = existing {
        match provisioning_state(&existing) {
            Some(state) if !is_terminal(state) => {
                ctx.progress(format!("{what} is {state}; waiting for it"))
                    .await?;
                let pending = Pending::ProvisioningState {
                    resource_url: arm.url(path, api_version),
                };
                return follow(ctx, arm, &pending, what, None).await;
            }
            Some(state) if !state.eq_ignore_ascii_case("succeeded") => {}
            _ if matches(shape, &existing) => {
                ctx.progress(format!("{what} already exists as required: adopted"))
                    .await?;
                return Ok(existing);
            }
            _ => {}
        }
    }
    ctx.guard()?;
    let response = arm
        .call(Method::PUT, path, api_version, Some(body))
        .await
        .map_err(|e| step_error_for(&ctx.spec, &format!("creating {what}"), e))?;
    match lro::started(&response, &arm.url(path, api_version), FinalState::Resource) {
        Started::Done(resource) => Ok(resource.unwrap_or(Value::Null)),
        Started::Pending(pending) => {
            remember(ctx, path, &pending).await?;
            ctx.progress(format!(
                "{what}: creating (operation accepted; resumable from here)"
            ))
            .await?;
            let first = arm.timing.clamp(response.retry_after());
            let resource = follow(ctx, arm, &pending, what, Some(first)).await?;
            forget(ctx, path).await?;
            Ok(resource)
        }
    }
}

/// The `id` ARM gave the resource, or its path when the answer had none.
pub fn id_of(resource: &Value, path: &str) -> String {
    resource
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or(path)
        .to_string()
}

/// Tags may be merged by others (policies add tags): they do not decide adoption.
fn without_tags(body: &Value) -> Value {
    let mut body = body.clone();
    if let Some(map) = body.as_object_mut() {
        map.remove("tags");
    }
    body
}

fn is_terminal(state: &str) -> bool {
    matches!(
        state.to_ascii_lowercase().as_str(),
        "succeeded" | "failed" | "canceled" | "cancelled"
    )
}

/// Follow an operation, reporting progress and stopping when the step must stop. `first_wait`:
/// how long the answer that started it asked to wait before the first poll (its `Retry-After`,
/// within the client's bounds); `None` polls at once (an operation found on resume).
pub async fn follow(
    ctx: &StepContext,
    arm: &ArmClient,
    pending: &Pending,
    what: &str,
    first_wait: Option<Duration>,
) -> Result<Value, StepError> {
    let started = Instant::now();
    let mut reported = Instant::now();
    if let Some(wait) = first_wait {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = ctx.stopped() => return Err(StepError::Stopped),
        }
    }
    loop {
        ctx.guard()?;
        let poll = lro::poll_once(arm, pending)
            .await
            .map_err(|e| step_error_for(&ctx.spec, &format!("waiting for {what}"), e))?;
        match poll {
            Poll::Done(resource) => return Ok(resource.unwrap_or(Value::Null)),
            Poll::Running {
                status,
                percent,
                retry_after,
            } => {
                if reported.elapsed() >= PROGRESS_EVERY {
                    let pct = percent.map(|p| format!(", {p:.0}%")).unwrap_or_default();
                    ctx.progress(format!(
                        "{what}: {status}{pct} ({}s)",
                        started.elapsed().as_secs()
                    ))
                    .await?;
                    reported = Instant::now();
                }
                tokio::select! {
                    () = tokio::time::sleep(arm.timing.clamp(retry_after)) => {}
                    () = ctx.stopped() => return Err(StepError::Stopped),
                }
            }
        }
    }
}

pub(super) async fn remember(
    ctx: &StepContext,
    path: &str,
    pending: &Pending,
) -> Result<(), StepError> {
    let entry = serde_json::to_value(pending).unwrap_or(Value::Null);
    ctx.update_checkpoint(|checkpoint| {
        let ops = checkpoint.as_object_mut().map(|c| {
            c.entry("operations")
                .or_insert_with(|| Value::Object(Map::new()))
        });
        if let Some(Value::Object(ops)) = ops {
            ops.insert(path.to_string(), entry);
        }
    })
    .await
}

pub(super) async fn forget(ctx: &StepContext, path: &str) -> Result<(), StepError> {
    if ctx.saved_checkpoint().is_none() {
        return Ok(());
    }
    ctx.update_checkpoint(|checkpoint| {
        if let Some(Value::Object(ops)) = checkpoint.get_mut("operations") {
            ops.remove(path);
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_resource_matches_when_every_desired_leaf_is_there() {
        let desired = json!({"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.20.0.0/16"]},
            "subnets": [{"name": "snet-aks", "properties": {"addressPrefix": "10.20.0.0/26"}}]}});
        let existing = json!({"id": "/x", "location": "EastUS", "properties": {"provisioningState": "Succeeded",
            "addressSpace": {"addressPrefixes": ["10.20.0.0/16"]},
            "subnets": [{"name": "snet-jumphost", "properties": {"addressPrefix": "10.20.0.64/29"}},
                        {"name": "SNET-AKS", "properties": {"addressPrefix": "10.20.0.0/26", "ipConfigurations": []}}]}});
        assert!(
            matches(&desired, &existing),
            "case and order do not matter, extra fields are fine"
        );
        let changed = json!({"properties": {"subnets": [{"name": "snet-aks", "properties": {"addressPrefix": "10.20.0.0/25"}}]}});
        assert!(!matches(&changed, &existing));
        assert!(!matches(
            &json!({"sku": {"name": "Premium"}}),
            &json!({"sku": {"name": "Standard"}})
        ));
    }
}
