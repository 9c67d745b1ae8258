//! The downloadable log of an install: every event, every attempt of every step, as text.

use super::AppState;
use super::error::WebError;
use crate::store::InstallId;
use std::fmt::Write;

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
