//! View models of an install's run: the header (status, error, actions), one head per step
//! (status, attempt, timing, error, retry) and event lines. The page renders them in full; the
//! live stream renders the same templates as htmx out-of-band swaps.

use super::filters;
use crate::events::{Event, Level};
use crate::format::{duration, timestamp};
use crate::plan::InstallPlan;
use crate::store::{Failure, InstallRecord, InstallStatus, StepRecord, StepStatus};
use askama::Template;
use time::OffsetDateTime;

/// The run's header.
pub struct RunHeader {
    pub id: String,
    pub name: String,
    pub status: String,
    pub run_count: i64,
    pub started: Option<String>,
    pub finished: Option<String>,
    /// RFC 3339 start time while running (the page's clock ticks from it).
    pub running_since: Option<String>,
    pub error: Option<crate::store::RunError>,
    pub can_resume: bool,
    pub can_cancel: bool,
    pub cancel_requested: bool,
}

impl RunHeader {
    pub fn new(install: &InstallRecord) -> RunHeader {
        RunHeader {
            id: install.id.to_string(),
            name: install.name.clone(),
            status: install.status.to_string(),
            run_count: install.run_count,
            started: install.started_at.map(timestamp),
            finished: install.finished_at.map(timestamp),
            running_since: (install.status == InstallStatus::Running)
                .then(|| install.started_at.and_then(rfc3339))
                .flatten(),
            error: install.error.clone(),
            can_resume: install.status.is_resumable(),
            can_cancel: install.status.is_active(),
            cancel_requested: install.cancel_requested,
        }
    }
}

/// One step's head: everything about it except its log.
pub struct StepHead {
    pub install_id: String,
    pub id: String,
    pub title: String,
    pub depends_on: String,
    pub status: String,
    pub attempt: i64,
    pub expected: String,
    pub critical: bool,
    pub started: Option<String>,
    pub took: Option<String>,
    pub running_since: Option<String>,
    pub error: Option<Failure>,
    pub can_retry: bool,
}

impl StepHead {
    pub fn new(install: &InstallRecord, plan: &InstallPlan, record: &StepRecord) -> StepHead {
        let planned = plan.steps.iter().find(|s| s.id.as_str() == record.step_id);
        let took = match (record.started_at, record.finished_at) {
            (Some(s), Some(f)) if record.status != StepStatus::Running => {
                let secs = (f - s).whole_seconds().max(0);
                Some(duration(u32::try_from(secs).unwrap_or(u32::MAX)))
            }
            _ => None,
        };
        StepHead {
            install_id: install.id.to_string(),
            id: record.step_id.clone(),
            title: record.title.clone(),
            depends_on: record.depends_on.join(", "),
            status: record.status.as_str().to_string(),
            attempt: record.attempt,
            expected: planned
                .map(|p| duration(p.expected_secs))
                .unwrap_or_default(),
            critical: planned.is_some_and(|p| p.on_critical_path),
            started: record.started_at.map(clock),
            took,
            running_since: (record.status == StepStatus::Running)
                .then(|| record.started_at.and_then(rfc3339))
                .flatten(),
            error: (record.status == StepStatus::Failed)
                .then(|| record.error.clone())
                .flatten(),
            can_retry: !install.status.is_active()
                && install.status != InstallStatus::Draft
                && record.status != StepStatus::Pending,
        }
    }
}

/// One event as a log line.
pub struct EventLine {
    pub seq: i64,
    pub time: String,
    pub source: String,
    pub level: &'static str,
    pub message: String,
}

impl EventLine {
    pub fn new(e: &Event) -> EventLine {
        EventLine {
            seq: e.seq,
            time: clock(e.at),
            source: match (&e.step_id, e.attempt) {
                (Some(step), Some(attempt)) => format!("{step} #{attempt}"),
                (Some(step), None) => step.clone(),
                _ => "install".to_string(),
            },
            level: match e.level {
                Level::Info => "info",
                Level::Warn => "warn",
                Level::Error => "error",
            },
            message: e.message.clone(),
        }
    }
}

fn clock(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
}

fn rfc3339(t: OffsetDateTime) -> Option<String> {
    t.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

#[derive(Template)]
#[template(path = "run/header.html")]
pub struct HeaderFragment<'a> {
    pub oob: bool,
    pub h: &'a RunHeader,
}

#[derive(Template)]
#[template(path = "run/step_head.html")]
pub struct StepHeadFragment<'a> {
    pub oob: bool,
    pub s: &'a StepHead,
}

/// What the live stream sends for one event: the line for the activity log, plus out-of-band
/// swaps (the line into its step's log, the step's head, the header).
#[derive(Template)]
#[template(path = "run/stream_item.html")]
pub struct StreamItem<'a> {
    pub line: &'a EventLine,
    pub step: Option<&'a str>,
    pub heads: Vec<String>,
    pub header: Option<String>,
}
