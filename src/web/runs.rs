//! What admins do with a run, shared by the pages and the API: start, resume, retry a step,
//! cancel, and the downloadable log of every attempt.

use super::AppState;
use super::error::WebError;
use super::guard;
use crate::access::Principal;
use crate::store::{AuditAction, CancelOutcome, InstallId};
use katonic_domain::plan::StepId;
use std::fmt::Write;

/// Queue a valid draft and wake the worker; refused (422, naming the field) while its uploaded
/// certificate is missing, expired or does not cover its hosts. Each action here is recorded in
/// the audit log once it took effect.
pub async fn start(state: &AppState, by: &Principal, id: InstallId) -> Result<(), WebError> {
    let install = state
        .store
        .install(id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("no install with id {id}")))?;
    // Without a valid spec the store refuses the start itself, saying so.
    if let Some(spec) = install
        .spec
        .as_ref()
        .and_then(|doc| katonic_domain::spec::InstallSpec::parse(doc).ok())
    {
        crate::certificate::ensure_ready(&state.store, id, &spec, time::OffsetDateTime::now_utc())
            .await?;
    }
    state.store.queue_install(id).await?;
    state.worker.wake();
    guard::record(state, by, AuditAction::Start, Some(id), "").await;
    Ok(())
}

/// Queue a failed, cancelled or interrupted install again.
pub async fn resume(state: &AppState, by: &Principal, id: InstallId) -> Result<(), WebError> {
    state.store.request_resume(id).await?;
    state.worker.wake();
    guard::record(state, by, AuditAction::Resume, Some(id), "").await;
    Ok(())
}

/// Run one step again.
pub async fn retry_step(
    state: &AppState,
    by: &Principal,
    id: InstallId,
    step: StepId,
) -> Result<(), WebError> {
    state.store.request_retry_step(id, step).await?;
    state.worker.wake();
    guard::record(state, by, AuditAction::RetryStep, Some(id), step.as_str()).await;
    Ok(())
}

/// Cancel a queued or running install.
pub async fn cancel(
    state: &AppState,
    by: &Principal,
    id: InstallId,
) -> Result<CancelOutcome, WebError> {
    let outcome = state.store.request_cancel(id).await?;
    state.worker.cancel(id);
    guard::record(state, by, AuditAction::Cancel, Some(id), "").await;
    Ok(outcome)
}

/// Every event of the install, every attempt of every step, as plain text.
pub async fn log_text(state: &AppState, id: InstallId) -> Result<String, WebError> {
    let mut text = String::new();
    let mut after = 0;
    loop {
        let batch = state.store.events_after(id, after, 1000).await?;
        if batch.is_empty() {
            break;
        }
        for e in &batch {
            let at =
                e.at.format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default();
            let what = match (&e.step_id, e.attempt) {
                (Some(step), Some(attempt)) => format!("{step}#{attempt}"),
                (Some(step), None) => step.to_string(),
                _ => "install".to_string(),
            };
            let level = match e.level {
                crate::events::Level::Info => "INFO ",
                crate::events::Level::Warn => "WARN ",
                crate::events::Level::Error => "ERROR",
            };
            // Writing to a String cannot fail.
            let _ = writeln!(text, "{at} {:>5} {level} [{what}] {}", e.seq, e.message);
            after = e.seq;
        }
    }
    Ok(text)
}
