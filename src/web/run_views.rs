//! View models of an install's run: the header (status, error, actions), one head per step
//! (status, attempt, timing, error, retry) and event lines. The page renders them in full; the
//! live stream renders the same templates as htmx out-of-band swaps.

use super::filters;
use crate::app::rules::{Action, InstallState, TeardownState};
use crate::events::{Event, Level};
use crate::format::{duration, timestamp};
use crate::store::{Failure, InstallRecord, InstallStatus, StepRecord, StepStatus};
use askama::Template;
use katonic_domain::plan::InstallPlan;
use time::OffsetDateTime;

/// The run's header.
pub struct RunHeader {
    pub id: String,
    pub name: String,
    pub status: String,
    /// The status badge: a succeeded install that a teardown removed reads "torn down".
    pub badge: String,
    pub badge_class: String,
    pub run_count: i64,
    pub started: Option<String>,
    pub finished: Option<String>,
    /// RFC 3339 start time while running (the page's clock ticks from it).
    pub running_since: Option<String>,
    pub error: Option<crate::store::RunError>,
    pub can_resume: bool,
    /// A failed install's spec may be corrected before Resume (fix and resume).
    pub can_edit: bool,
    pub can_cancel: bool,
    pub cancel_requested: bool,
    /// Why nothing of this install runs again (torn down, cancelled), with what to do.
    pub locked: Option<String>,
}

impl RunHeader {
    /// The header, its actions those `state` allows (the rule the server enforces).
    pub fn new(install: &InstallRecord, state: &InstallState) -> RunHeader {
        RunHeader {
            id: install.id.to_string(),
            name: install.name.clone(),
            status: install.status.to_string(),
            badge: match state.teardown {
                TeardownState::TornDown(_) => "torn down".to_string(),
                _ => install.status.to_string(),
            },
            badge_class: match state.teardown {
                TeardownState::TornDown(_) => "torn-down".to_string(),
                _ => install.status.to_string(),
            },
            run_count: install.run_count,
            started: install.started_at.map(timestamp),
            finished: install.finished_at.map(timestamp),
            running_since: (install.status == InstallStatus::Running)
                .then(|| install.started_at.and_then(rfc3339))
                .flatten(),
            error: install.error.clone(),
            can_resume: state.allows(Action::Resume),
            can_edit: state.allows(Action::EditSpec),
            can_cancel: state.allows(Action::Cancel),
            cancel_requested: install.cancel_requested,
            locked: locked_notice(state),
        }
    }
}

/// Said on the header of an install that runs nothing again: why, and what to do.
fn locked_notice(state: &InstallState) -> Option<String> {
    let probe = Action::RetryStep {
        step: katonic_domain::plan::StepId::Verify,
        status: StepStatus::Failed,
    };
    let locked = !matches!(state.teardown, TeardownState::None)
        || (state.status == InstallStatus::Cancelled && !state.is_teardown);
    locked
        .then(|| state.check(probe).err())
        .flatten()
        .map(|refusal| refusal.to_string())
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
    /// "Retry step", or "Verify again" on a succeeded install.
    pub retry_label: &'static str,
}

impl StepHead {
    /// The step's head; its Retry button only when `state` allows it (the server's rule).
    pub fn new(
        install: &InstallRecord,
        state: &InstallState,
        plan: &InstallPlan,
        record: &StepRecord,
    ) -> StepHead {
        let planned = plan.steps.iter().find(|s| s.id == record.step_id);
        let took = match (record.started_at, record.finished_at) {
            (Some(s), Some(f)) if record.status != StepStatus::Running => {
                let secs = (f - s).whole_seconds().max(0);
                Some(duration(u32::try_from(secs).unwrap_or(u32::MAX)))
            }
            _ => None,
        };
        StepHead {
            install_id: install.id.to_string(),
            id: record.step_id.to_string(),
            title: record.title.clone(),
            depends_on: (record.depends_on.iter())
                .map(|d| d.as_str())
                .collect::<Vec<_>>()
                .join(", "),
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
            can_retry: state.allows(Action::RetryStep {
                step: record.step_id,
                status: record.status,
            }),
            retry_label: if install.status == InstallStatus::Succeeded {
                "Verify again"
            } else {
                "Retry step"
            },
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
                (Some(step), None) => step.to_string(),
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
    /// The redrawn timeline (an out-of-band swap), on step and install events.
    pub timeline: Option<String>,
    /// "What now", redrawn on install events (an out-of-band swap).
    pub next_steps: Option<String>,
}

/// The DNS records of an install, from the DNS step's stored outputs (so history shows them).
pub struct DnsTable {
    /// `Private DNS zone example.com` or `public DNS zone example.com`.
    pub zone_label: String,
    /// The records were written by the console (a zone was named).
    pub by_console: bool,
    /// A katonic.ai domain: Katonic publishes the records in its zone.
    pub send_to_katonic: bool,
    pub rows: Vec<DnsRow>,
    pub zone_file: Vec<String>,
    pub az_commands: Vec<String>,
}

pub struct DnsRow {
    pub host: String,
    pub kind: String,
    pub address: String,
    pub zone: String,
    /// `created by the console`, `already there`, `create this record`…
    pub state: &'static str,
}

impl DnsTable {
    /// `None` until the DNS step has outputs with records.
    pub fn from_outputs(outputs: &serde_json::Value) -> Option<DnsTable> {
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
        let strings = |key: &str| -> Vec<String> {
            outputs[key]
                .as_array()
                .map(|a| a.iter().map(text).collect())
                .unwrap_or_default()
        };
        let records = outputs["records"].as_array()?;
        let by_console = outputs["createdByConsole"].as_bool().unwrap_or(false);
        let send_to_katonic = outputs["sendToKatonic"].as_bool().unwrap_or(false);
        let private = outputs["private"].as_bool().unwrap_or(false);
        let zone = text(&outputs["zone"]);
        let rows = records
            .iter()
            .map(|r| DnsRow {
                host: text(&r["host"]),
                kind: r["type"].as_str().unwrap_or("A").to_string(),
                address: text(&r["address"]),
                zone: r["zone"]
                    .as_str()
                    .map_or_else(|| zone.clone(), str::to_string),
                state: match r["status"].as_str() {
                    Some("created") => "created by the console",
                    Some("updated") => "updated by the console",
                    Some("unchanged") => "already there (unchanged)",
                    _ => "create this record",
                },
            })
            .collect();
        Some(DnsTable {
            zone_label: format!(
                "{} {zone}",
                if private {
                    "Private DNS zone"
                } else {
                    "public DNS zone"
                }
            ),
            by_console,
            send_to_katonic,
            rows,
            zone_file: strings("zoneFile"),
            az_commands: strings("azCommands"),
        })
    }
}

#[cfg(test)]
mod dns_table_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_say_who_creates_each_record() {
        let t = DnsTable::from_outputs(&json!({"zone": "example.com", "private": true, "createdByConsole": true,
            "records": [{"host": "katonic.example.com", "type": "A", "address": "10.20.0.50", "zone": "example.com", "status": "created"},
                        {"host": "dash-katonic.example.com", "type": "A", "address": "10.20.0.50", "zone": "example.com", "status": "unchanged"}],
            "zoneFile": ["katonic.example.com. 300 IN A 10.20.0.50"]}))
        .unwrap();
        assert_eq!(t.zone_label, "Private DNS zone example.com");
        assert_eq!(t.rows[0].state, "created by the console");
        assert_eq!(t.rows[1].state, "already there (unchanged)");
        let shown = DnsTable::from_outputs(&json!({"zone": "example.com", "private": false,
            "records": [{"host": "katonic.example.com", "address": "20.1.2.3", "status": "toCreate"}],
            "azCommands": ["az network dns record-set a add-record …"]}))
        .unwrap();
        assert!(!shown.by_console);
        assert_eq!(shown.rows[0].state, "create this record");
        assert_eq!(shown.az_commands.len(), 1);
        assert!(DnsTable::from_outputs(&json!({})).is_none());
    }
}
