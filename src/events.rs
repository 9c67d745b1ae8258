//! Install events: every step transition, progress message and log line, numbered per install.
//!
//! An event is committed to SQLite first (by `store`, which owns the numbering) and only then
//! announced on this in-process bus. Subscribers (SSE streams) therefore never see an event the
//! database does not have; one that falls behind or sees a gap re-reads the database.

use katonic_domain::plan::StepId;
use katonic_domain::{InstallId, InstallStatus, StepStatus};
use serde::Serialize;
use std::sync::Arc;
use time::OffsetDateTime;
use tokio::sync::broadcast;

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum EventKind {
    /// The install changed status (`status` holds the new one).
    Install,
    /// A step changed status (`status` holds the new one).
    Step,
    /// A step reports how far it has got.
    Progress,
    /// A log line of a step (or of the console about the install).
    Log,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// The status an `Install` or `Step` event announces. On the wire it is the status word alone
/// (`"running"`), as it always was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum EventStatus {
    Install(InstallStatus),
    Step(StepStatus),
}

impl EventStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            EventStatus::Install(s) => s.as_str(),
            EventStatus::Step(s) => s.as_str(),
        }
    }
}

impl std::fmt::Display for EventStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event as stored: `seq` is its number within the install (1, 2, 3…) and its SSE id.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub install_id: InstallId,
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub kind: EventKind,
    pub level: Level,
    pub step_id: Option<StepId>,
    pub attempt: Option<i64>,
    pub status: Option<EventStatus>,
    pub message: String,
    /// The event as JSON, made once however many streams send it.
    #[serde(skip)]
    json: std::sync::OnceLock<String>,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        (self.install_id, self.seq) == (other.install_id, other.seq)
    }
}

impl Event {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        install_id: InstallId,
        seq: i64,
        at: OffsetDateTime,
        kind: EventKind,
        level: Level,
        step_id: Option<StepId>,
        attempt: Option<i64>,
        status: Option<EventStatus>,
        message: String,
    ) -> Event {
        Event {
            install_id,
            seq,
            at,
            kind,
            level,
            step_id,
            attempt,
            status,
            message,
            json: std::sync::OnceLock::new(),
        }
    }

    /// The event as JSON (the API stream's data), serialized on first use only.
    pub fn json(&self) -> &str {
        self.json
            .get_or_init(|| serde_json::to_string(self).unwrap_or_default())
    }

    /// Whether this event ends the install's run (a terminal install status).
    pub fn ends_run(&self) -> bool {
        matches!(self.status, Some(EventStatus::Install(s)) if s.ends_run())
    }
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: EventKind,
    pub level: Level,
    pub step_id: Option<StepId>,
    pub attempt: Option<i64>,
    pub status: Option<EventStatus>,
    pub message: String,
}

impl NewEvent {
    /// A log line about the install as a whole.
    pub fn install_log(level: Level, message: impl Into<String>) -> NewEvent {
        NewEvent {
            kind: EventKind::Log,
            level,
            step_id: None,
            attempt: None,
            status: None,
            message: message.into(),
        }
    }

    /// A step's attempt changed status.
    pub fn step_status(
        step: StepId,
        attempt: i64,
        status: StepStatus,
        level: Level,
        message: String,
    ) -> NewEvent {
        NewEvent {
            kind: EventKind::Step,
            level,
            step_id: Some(step),
            attempt: Some(attempt),
            status: Some(EventStatus::Step(status)),
            message,
        }
    }

    /// The install changed status.
    pub fn install_status(status: InstallStatus, level: Level, message: String) -> NewEvent {
        NewEvent {
            kind: EventKind::Install,
            level,
            step_id: None,
            attempt: None,
            status: Some(EventStatus::Install(status)),
            message,
        }
    }

    /// A line from a step's attempt.
    pub fn step_line(
        kind: EventKind,
        level: Level,
        step: StepId,
        attempt: i64,
        message: impl Into<String>,
    ) -> NewEvent {
        NewEvent {
            kind,
            level,
            step_id: Some(step),
            attempt: Some(attempt),
            status: None,
            message: message.into(),
        }
    }
}

/// How many events a subscriber may fall behind before it is told it lagged (and re-reads the
/// database instead).
const BUS_CAPACITY: usize = 1024;

/// The in-process fan-out of committed events.
#[derive(Clone, Debug)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<Event>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> EventBus {
        let (sender, _) = broadcast::channel(BUS_CAPACITY);
        EventBus { sender }
    }

    /// Announce committed events. Never waits: a slow subscriber lags, the worker does not.
    pub fn publish(&self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            // No subscriber is not an error: nobody is watching.
            let _ = self.sender.send(Arc::new(event));
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }

    /// Current number of subscribers (SSE streams), for metrics and benchmarks.
    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }
}
