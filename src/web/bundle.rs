//! The support bundle: one `.tar.gz` per install with everything support needs and nothing
//! secret: the spec (which holds no secret: credentials and keys live elsewhere), the plan, the
//! step journal with every attempt's outcome, the timeline, every event of every attempt, the
//! Azure errors with the correlation id every ARM call carried, the cluster diagnostics the
//! failed steps recorded, and the audit trail.

use std::io::Write;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::WebError;
use super::{AppState, logs};
use crate::store::{InstallRecord, StepRecord};

/// `GET /installs/{id}/support-bundle.tar.gz` (and the API's `…/support-bundle`).
pub async fn get_bundle(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let install = super::wizard::load_install(&state, &id).await?;
    let bytes = build(&state, &install).await?;
    let name = format!("katonic-support-{}-{}.tar.gz", install.name, install.id);
    Ok((
        [
            (header::CONTENT_TYPE, "application/gzip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn build(state: &AppState, install: &InstallRecord) -> Result<Vec<u8>, WebError> {
    let steps = state.store.steps(install.id).await?;
    let log = logs::log_text(state, install.id).await?;
    let diagnostics: String = log
        .lines()
        .filter(|l| l.contains(crate::steps::diagnostics::PREFIX))
        .map(|l| format!("{l}\n"))
        .collect();
    let audit = state.store.audit_of_install(install.id).await?;
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        ("README.txt", readme(install).into_bytes()),
        ("install.json", pretty(&summary(install))),
        ("steps.json", pretty(&journal(&steps))),
        ("azure-errors.json", pretty(&azure_errors(install, &steps))),
        ("events.log", log.into_bytes()),
        ("cluster-diagnostics.log", diagnostics.into_bytes()),
        (
            "audit.json",
            pretty(&Value::Array(
                audit
                    .iter()
                    .map(|a| {
                        json!({
                            "at": crate::format::timestamp(a.at),
                            "who": a.actor,
                            "what": a.action,
                            "detail": a.detail,
                        })
                    })
                    .collect(),
            )),
        ),
    ];
    if let Some(spec) = &install.spec {
        files.push((
            "spec.yaml",
            katonic_domain::spec::to_yaml(spec).into_bytes(),
        ));
    }
    if let Some(gateway) = install.plan.as_ref().and_then(|p| gateway(p, &steps)) {
        files.push(("gateway.json", pretty(&gateway)));
    }
    if let Some(plan) = &install.plan {
        files.push((
            "plan.json",
            pretty(&serde_json::to_value(plan).unwrap_or_default()),
        ));
        let events = state.store.step_status_events(install.id).await?;
        if let Some(svg) = super::timeline::svg(plan, &events, time::OffsetDateTime::now_utc()) {
            files.push(("timeline.svg", svg.into_bytes()));
        }
    }
    pack(&install.id.to_string(), &files).map_err(|e| WebError::internal("support bundle", e))
}

/// The Application Gateway as planned, as created (the app-gateway step's outputs) and as the
/// last verification found it (states, listeners' hosts, backend health). None of these holds
/// the certificate's data or password: the step sends them to Azure only, and Azure never
/// returns them.
fn gateway(plan: &katonic_domain::plan::InstallPlan, steps: &[StepRecord]) -> Option<Value> {
    let planned = plan.gateway()?;
    let outputs = |id: katonic_domain::plan::StepId| {
        steps
            .iter()
            .find(|s| s.step_id == id)
            .and_then(|s| s.outputs.clone())
            .unwrap_or(Value::Null)
    };
    let verified = outputs(katonic_domain::plan::StepId::Verify)
        .get("gateway")
        .cloned()
        .unwrap_or(Value::Null);
    Some(json!({
        "planned": serde_json::to_value(planned).unwrap_or_default(),
        "created": outputs(katonic_domain::plan::StepId::AppGateway),
        "lastVerified": verified,
    }))
}

fn pretty(value: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(value).unwrap_or_default()
}

fn readme(install: &InstallRecord) -> String {
    format!(
        "Support bundle of install {name} ({id}), made {at} by katonic-console {version}.\n\n\
         install.json             status, target, times, the error that ended the last run\n\
         spec.yaml                the install spec (it holds no secret)\n\
         plan.json                the planned steps and resources\n\
         steps.json               every step: status, attempts, times, outputs, last error\n\
         timeline.svg             the run on a clock, one bar per attempt\n\
         events.log               every event of every attempt, in order\n\
         azure-errors.json        failed steps with Azure's code and message; every ARM call of\n\
                                  this install carried x-ms-correlation-request-id = the install id\n\
         cluster-diagnostics.log  what the cluster said when a cluster step failed (events,\n\
                                  unwell pods and their log tails)\n\
         audit.json               who did what to this install, and when\n\
         gateway.json             the Application Gateway (when there is one): as planned, as\n\
                                  created, and as verification last found it (states, hosts,\n\
                                  backend health); never its certificate or password\n\n\
         No secret is included: client secrets, kubeconfigs and private keys are never part of\n\
         these records.\n",
        name = install.name,
        id = install.id,
        at = crate::format::timestamp(time::OffsetDateTime::now_utc()),
        version = env!("CARGO_PKG_VERSION"),
    )
}

fn summary(install: &InstallRecord) -> Value {
    json!({
        "id": install.id.to_string(),
        "name": install.name,
        "status": install.status.to_string(),
        "subscriptionId": install.subscription_id,
        "resourceGroup": install.resource_group,
        "cluster": install.cluster_name,
        "created": crate::format::timestamp(install.created_at),
        "updated": crate::format::timestamp(install.updated_at),
        "error": install.error.as_ref().map(|e| json!({
            "code": e.code, "message": e.message, "hint": e.hint,
        })),
    })
}

fn journal(steps: &[StepRecord]) -> Value {
    Value::Array(
        steps
            .iter()
            .map(|s| {
                json!({
                    "id": s.step_id,
                    "title": s.title,
                    "status": serde_json::to_value(s.status).unwrap_or_default(),
                    "attempts": s.attempt,
                    "dependsOn": s.depends_on,
                    "started": s.started_at.map(crate::format::timestamp),
                    "finished": s.finished_at.map(crate::format::timestamp),
                    "outputs": s.outputs,
                    "error": s.error.as_ref().map(|e| json!({
                        "class": serde_json::to_value(e.class).unwrap_or_default(),
                        "code": e.code, "message": e.message, "hint": e.hint,
                    })),
                })
            })
            .collect(),
    )
}

fn azure_errors(install: &InstallRecord, steps: &[StepRecord]) -> Value {
    json!({
        "correlationId": install.id.to_string(),
        "failedSteps": steps
            .iter()
            .filter_map(|s| s.error.as_ref().map(|e| json!({
                "step": s.step_id,
                "attempt": s.attempt,
                "code": e.code,
                "message": e.message,
                "hint": e.hint,
            })))
            .collect::<Vec<_>>(),
    })
}

/// A gzip'd tar of `files` under a directory named after the install.
fn pack(dir: &str, files: &[(&str, Vec<u8>)]) -> std::io::Result<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mtime = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0);
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(mtime);
        header.set_cksum();
        tar.append_data(
            &mut header,
            format!("katonic-support-{dir}/{name}"),
            bytes.as_slice(),
        )?;
    }
    let mut gz = tar.into_inner()?;
    gz.flush()?;
    gz.finish()
}
