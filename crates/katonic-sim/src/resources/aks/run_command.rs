//! AKS Run Command (`POST …/managedClusters/{name}/runCommand`, then
//! `GET …/commandResults/{id}`), per the 2025-10-01 spec: the request's `command` runs in a pod
//! of the simulated cluster, against its Kubernetes store in-process (no line of sight needed:
//! that is the point of Run Command), with the files of its `context` (a base64 ZIP) as the
//! working directory and, for an Entra-only cluster, its `clusterToken` as kubectl's credential.
//!
//! Azure's limits (checked 2026-12-07, learn.microsoft.com "Access a private AKS cluster using
//! command invoke"): the output is limited to 512 kB; the pod requests 200m CPU / 500Mi and must
//! start quickly. No command timeout is documented, but commands longer than about 5 minutes are
//! reported to end `Failed` without details (Azure/azure-cli#22373, Azure/azure-powershell#19133):
//! the simulator fails them after [`COMMAND_TIMEOUT_SECS`].
//!
//! Runs outside the ARM state lock: its kubectl calls go through the API server's own handler,
//! which takes that lock itself.

use axum::http::{Method, StatusCode};
use base64::Engine;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::router::{ResPath, Route};
use crate::kube::kubectl::{self, Pod};
use crate::resources::common::{self, provisioning_state};

/// The output Azure keeps of a command (bytes); the rest is cut.
pub(crate) const LOG_LIMIT: usize = 512 * 1024;
/// How long a command may run (nominal seconds, before the time scale).
pub(crate) const COMMAND_TIMEOUT_SECS: f64 = 300.0;
/// Scheduling and starting the command pod (nominal seconds): one pod per command.
pub(crate) const POD_START_SECS: f64 = 6.0;

/// Run Command's two routes, answered here when `route` is one of them.
pub(crate) fn intercept(ctx: &Ctx<'_>, route: &Route) -> Option<ArmResult> {
    let Route::Resource(p) = route else {
        return None;
    };
    let cluster = p.ns.eq_ignore_ascii_case("Microsoft.ContainerService")
        && p.pairs
            .first()
            .is_some_and(|(t, _)| t.eq_ignore_ascii_case("managedClusters"));
    if !cluster {
        return None;
    }
    match (p.pairs.len(), p.tail.as_deref(), ctx.method()) {
        (1, Some(t), &Method::POST) if t.eq_ignore_ascii_case("runCommand") => Some(submit(ctx, p)),
        (2, None, &Method::GET) if p.pairs[1].0.eq_ignore_ascii_case("commandResults") => {
            Some(result(ctx, p))
        }
        _ => None,
    }
}

/// What the request asks, validated as AKS does.
struct Request {
    command: String,
    files: std::collections::BTreeMap<String, Vec<u8>>,
    cluster_token: Option<String>,
}

fn invalid(field: &str, message: impl Into<String>) -> ArmError {
    ArmError::bad_request("InvalidParameter", message).target(field)
}

fn parse(ctx: &Ctx<'_>) -> Result<Request, ArmError> {
    let body = ctx.req.json()?.unwrap_or(Value::Null);
    let command = body["command"]
        .as_str()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| invalid("command", "The request must contain a non-empty 'command'."))?;
    let files = match body["context"].as_str().filter(|c| !c.is_empty()) {
        None => Default::default(),
        Some(b64) => {
            let zip = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| invalid("context", "'context' must be a base64 encoded zip file."))?;
            super::context_zip::unpack(&zip).map_err(|e| {
                invalid(
                    "context",
                    format!("'context' must be a base64 encoded zip file: {e}."),
                )
            })?
        }
    };
    Ok(Request {
        command: command.to_string(),
        files,
        cluster_token: body["clusterToken"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(str::to_string),
    })
}

/// The cluster's name and the credential the command pod's kubectl uses.
fn cluster_access(
    ctx: &Ctx<'_>,
    p: &ResPath,
    token: Option<String>,
) -> Result<(String, Option<String>), ArmError> {
    let st = ctx.shared.lock();
    common::require_rg(ctx, &st, p)?;
    let cluster = st.get(&p.id()).ok_or_else(|| common::not_found(p))?;
    if provisioning_state(&cluster.body) == Some("Creating") {
        return Err(ArmError::conflict(
            "OperationNotAllowed",
            "The managed cluster is still being created; run commands once it is created.",
        ));
    }
    let props = &cluster.body["properties"];
    if props["apiServerAccessProfile"]["disableRunCommand"].as_bool() == Some(true) {
        return Err(ArmError::bad_request(
            "RunCommandDisabled",
            "Run command is disabled for this cluster (properties.apiServerAccessProfile.disableRunCommand).",
        ));
    }
    let name = cluster.body["name"].as_str().unwrap_or("").to_string();
    // Local accounts disabled: only the caller's Entra token (clusterToken) gets kubectl in.
    let local = (props["disableLocalAccounts"].as_bool() != Some(true))
        .then(|| cluster.private["token"].as_str().map(str::to_string))
        .flatten();
    Ok((name, token.or(local)))
}

fn submit(ctx: &Ctx<'_>, p: &ResPath) -> ArmResult {
    let request = parse(ctx)?;
    let (name, bearer) = cluster_access(ctx, p, request.cluster_token)?;
    let pod = Pod {
        shared: ctx.shared,
        cluster: name,
        bearer,
        files: request.files,
        now: ctx.req.now,
    };
    let ran = kubectl::run(&pod, &request.command);
    let id = uuid::Uuid::new_v4().simple().to_string();
    let scale = ctx.shared.time_scale;
    let timed_out = ran.seconds > COMMAND_TIMEOUT_SECS;
    let secs = POD_START_SECS + ran.seconds.min(COMMAND_TIMEOUT_SECS);
    let started = ctx.req.now;
    let finished = started + Duration::seconds_f64((secs * scale).clamp(0.0, 86_400.0));
    let properties = if timed_out {
        json!({
            "provisioningState": "Failed",
            "startedAt": rfc3339(started),
            "finishedAt": rfc3339(finished),
            "logs": truncate(ran.logs),
            "reason": format!("the command did not finish within {COMMAND_TIMEOUT_SECS} seconds and was stopped"),
        })
    } else {
        json!({
            "provisioningState": "Succeeded",
            "exitCode": ran.exit_code,
            "startedAt": rfc3339(started),
            "finishedAt": rfc3339(finished),
            "logs": truncate(ran.logs),
            "reason": "",
        })
    };
    let mut st = ctx.shared.lock();
    st.command_results.insert(
        id.clone(),
        json!({
            "cluster": p.id().to_ascii_lowercase(),
            // Full precision: a scaled pod start lasts well under a second.
            "due": finished.format(&Rfc3339).unwrap_or_default(),
            "result": {"id": id, "properties": properties},
        }),
    );
    if let Err(e) = ctx.shared.store.save(&st) {
        tracing::warn!(error = %e, "cannot save simulator state");
    }
    Ok(accepted(ctx, p, &id, finished))
}

/// 202 pointing at the command's result, as AKS answers both the POST and a poll too early.
fn accepted(ctx: &Ctx<'_>, p: &ResPath, id: &str, due: OffsetDateTime) -> Reply {
    let cluster = p.id_upto(1);
    let location = format!(
        "{}{cluster}/commandResults/{id}?api-version={}",
        ctx.shared.base, ctx.api_version
    );
    let remaining = (due - ctx.req.now).as_seconds_f64().max(0.0);
    let retry = (5.0 * ctx.shared.time_scale).min(remaining).ceil().max(1.0);
    Reply::empty(StatusCode::ACCEPTED)
        .header("Location", location)
        .header("Retry-After", format!("{retry}"))
}

fn result(ctx: &Ctx<'_>, p: &ResPath) -> ArmResult {
    let id = p.name().to_string();
    let st = ctx.shared.lock();
    common::require_rg(ctx, &st, p)?;
    let found = st
        .command_results
        .get(&id)
        .filter(|r| r["cluster"].as_str() == Some(p.id_upto(1).to_ascii_lowercase().as_str()))
        .cloned()
        .ok_or_else(|| {
            ArmError::not_found(
                "NotFound",
                format!("Command result {id} was not found for this managed cluster."),
            )
        })?;
    drop(st);
    let due = found["due"]
        .as_str()
        .and_then(|d| OffsetDateTime::parse(d, &Rfc3339).ok())
        .unwrap_or(ctx.req.now);
    if ctx.req.now < due {
        return Ok(accepted(ctx, p, &id, due));
    }
    Ok(Reply::ok(found["result"].clone()))
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// The first [`LOG_LIMIT`] bytes of the output (cut at a character boundary).
fn truncate(mut logs: String) -> String {
    if logs.len() > LOG_LIMIT {
        let mut cut = LOG_LIMIT;
        while !logs.is_char_boundary(cut) {
            cut -= 1;
        }
        logs.truncate(cut);
    }
    logs
}
