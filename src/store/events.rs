//! Appending and reading install events. Numbering happens here, inside the transaction that
//! makes the change the event describes, so the sequence has no gaps and no duplicates.

use super::{InstallId, Result, Store, StoreError, parse_stored};
use crate::events::{Event, EventKind, EventStatus, Level, NewEvent};
use time::OffsetDateTime;

/// An `install_events` row as the reads select it.
struct EventRow {
    seq: i64,
    at: OffsetDateTime,
    kind: EventKind,
    level: Level,
    step_id: Option<String>,
    attempt: Option<i64>,
    status: Option<String>,
    message: String,
}

impl EventRow {
    fn into_event(self, install: InstallId) -> Result<Event> {
        let step_id = self.step_id.as_deref().map(parse_stored).transpose()?;
        let status = match (self.kind, self.status.as_deref()) {
            (_, None) => None,
            (EventKind::Install, Some(s)) => Some(EventStatus::Install(parse_stored(s)?)),
            (EventKind::Step, Some(s)) => Some(EventStatus::Step(parse_stored(s)?)),
            (kind, Some(s)) => {
                return Err(StoreError::Corrupt(format!(
                    "a {kind:?} event with status {s:?}"
                )));
            }
        };
        Ok(Event::new(
            install,
            self.seq,
            self.at,
            self.kind,
            self.level,
            step_id,
            self.attempt,
            status,
            self.message,
        ))
    }
}

/// Append `event` to `install` within the caller's transaction.
pub(super) async fn append(
    conn: &mut sqlx::SqliteConnection,
    install: InstallId,
    event: &NewEvent,
    now: OffsetDateTime,
) -> Result<Event> {
    let id = install.to_string();
    // Redacted before it is stored, and so before any stream sends it.
    let message = crate::redact::redact(&event.message);
    let seq = sqlx::query_scalar!(
        "UPDATE installs SET last_event_seq = last_event_seq + 1 WHERE id = ? RETURNING last_event_seq",
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound(install))?;
    let step_id = event.step_id.map(|s| s.as_str());
    let status = event.status.map(|s| s.as_str());
    sqlx::query!(
        "INSERT INTO install_events (install_id, seq, at, kind, level, step_id, attempt, status, message)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        id,
        seq,
        now,
        event.kind,
        event.level,
        step_id,
        event.attempt,
        status,
        message,
    )
    .execute(&mut *conn)
    .await?;
    Ok(Event::new(
        install,
        seq,
        now,
        event.kind,
        event.level,
        event.step_id,
        event.attempt,
        event.status,
        message,
    ))
}

impl Store {
    /// Up to `limit` events of an install with `seq > after`, in order.
    pub async fn events_after(
        &self,
        install: InstallId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Event>> {
        let id = install.to_string();
        let rows = sqlx::query_as!(
            EventRow,
            r#"SELECT seq, at as "at: OffsetDateTime", kind as "kind: EventKind",
                   level as "level: Level", step_id, attempt, status, message
               FROM install_events WHERE install_id = ? AND seq > ? ORDER BY seq LIMIT ?"#,
            id,
            after,
            limit,
        )
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(|r| r.into_event(install)).collect()
    }

    /// Every event of an install, in order (pages of 1,000).
    pub async fn all_events(&self, install: InstallId) -> Result<Vec<Event>> {
        let mut events = Vec::new();
        let mut after = 0;
        loop {
            let batch = self.events_after(install, after, 1000).await?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            events.extend(batch);
        }
        Ok(events)
    }

    /// The install's step status events only (started, succeeded, failed…), in order: what the
    /// run's timeline is drawn from, without reading every log line.
    pub async fn step_status_events(&self, install: InstallId) -> Result<Vec<Event>> {
        let id = install.to_string();
        let rows = sqlx::query_as!(
            EventRow,
            r#"SELECT seq, at as "at: OffsetDateTime", kind as "kind: EventKind",
                   level as "level: Level", step_id, attempt, status, message
               FROM install_events WHERE install_id = ? AND kind = 'step' ORDER BY seq"#,
            id,
        )
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(|r| r.into_event(install)).collect()
    }

    /// The install's last event number and whether its run has ended (no more events coming
    /// until someone resumes it).
    pub async fn event_cursor(&self, install: InstallId) -> Result<(i64, bool)> {
        let id = install.to_string();
        let row = sqlx::query!(
            "SELECT last_event_seq, status FROM installs WHERE id = ?",
            id
        )
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound(install))?;
        let status: super::InstallStatus = parse_stored(&row.status)?;
        Ok((row.last_event_seq, !status.is_active()))
    }

    /// Append a console event (not from a worker: no lease), committed then published.
    pub async fn append_event(&self, install: InstallId, event: NewEvent) -> Result<Event> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let stored = append(&mut tx, install, &event, OffsetDateTime::now_utc()).await?;
        tx.commit().await?;
        self.bus.publish([stored.clone()]);
        Ok(stored)
    }
}
