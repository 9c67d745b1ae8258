//! Live progress over server-sent events: `id:` is the install's event sequence number.
//!
//! A stream subscribes to the bus first, then replays stored events after the client's cursor
//! (`Last-Event-ID`, or `?after=` because htmx's SSE extension opens a fresh EventSource without
//! that header after a full disconnect), then follows live events. A live event that does not
//! follow the cursor (a gap, or a lagged subscriber) sends the stream back to the database, so a
//! client sees every event exactly once and in order, and a slow client never slows the worker:
//! the bus drops what it cannot hold and the database has it all. When the install's run has
//! ended the stream sends `done`; a reconnect at or past the last event gets 204.

use super::AppState;
use super::error::WebError;
use crate::access::{Principal, StreamGuard};
use crate::events::Event;
use crate::store::{InstallId, Store};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

/// Times a live stream fell back to the database because it lagged or saw a gap (a metric).
static FALLBACKS: AtomicU64 = AtomicU64::new(0);

/// Times a live stream fell back to the database because it lagged or saw a gap.
#[cfg_attr(not(test), allow(dead_code))] // read by tests now, by the metrics endpoint later
pub fn fallbacks() -> u64 {
    FALLBACKS.load(Ordering::Relaxed)
}

/// How many stored events one replay query reads.
const REPLAY_PAGE: i64 = 500;
/// Events a stream buffers for its client before waiting on it (only that stream waits; if
/// it waits long, the bus drops what it cannot hold and the stream re-reads the database).
const CLIENT_BUFFER: usize = 16;

/// `?after=N`
#[derive(Debug, Default, Deserialize)]
pub struct After {
    pub after: Option<i64>,
}

/// What a stream yields: an event (shared, not copied, between streams), or the end of the run.
pub enum Item {
    Event(Arc<Event>),
    Done,
}

/// The client's cursor: the larger of `Last-Event-ID` and `?after=`.
pub fn cursor(headers: &HeaderMap, after: &After) -> i64 {
    let header = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(0);
    header.max(after.after.unwrap_or(0)).max(0)
}

/// An SSE response for `install` from `cursor`, each item rendered by `render`; 204 when the run
/// has ended and the client has everything.
///
/// The stream takes one of `principal`'s 16 places and one of the console's 256 (503 with
/// `Retry-After` when none is free) and ends when its session does.
pub async fn respond<F, Fut>(
    state: &AppState,
    principal: &Principal,
    install: InstallId,
    cursor: i64,
    render: F,
) -> Result<Response, WebError>
where
    F: Fn(Item) -> Fut + Send + 'static,
    Fut: Future<Output = Option<axum::response::sse::Event>> + Send + 'static,
{
    let guard = state.access.open_stream(principal).ok_or_else(|| {
        WebError::Busy(
            "Too many live event streams are open (16 per session, 256 in all); close some \
             tabs or try again shortly."
                .to_string(),
        )
    })?;
    let (last, ended) = state.store.event_cursor(install).await?;
    if ended && cursor >= last {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let items = follow_guarded(
        state.store.clone(),
        install,
        cursor,
        state.shutdown.clone(),
        Some(guard),
    );
    // Counted while the stream lives: the guard goes with the stream.
    let client = crate::metrics::SseClient::open();
    let events = items.filter_map(move |item| {
        let _client = &client;
        let rendered = render(item);
        async move { rendered.await.map(Ok::<_, Infallible>) }
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

/// The gap-free stream of an install's events after `cursor`.
#[cfg(test)]
fn follow(
    store: Store,
    install: InstallId,
    cursor: i64,
    shutdown: CancellationToken,
) -> ReceiverStream<Item> {
    follow_guarded(store, install, cursor, shutdown, None)
}

/// As [`follow`], holding `guard`'s places until the stream ends, and ending with its session.
fn follow_guarded(
    store: Store,
    install: InstallId,
    cursor: i64,
    shutdown: CancellationToken,
    guard: Option<StreamGuard>,
) -> ReceiverStream<Item> {
    let (tx, rx) = mpsc::channel(CLIENT_BUFFER);
    tokio::spawn(async move {
        let ended = guard.as_ref().map(|g| g.ended.clone()).unwrap_or_default();
        tokio::select! {
            () = pump(store, install, cursor, tx) => {}
            () = shutdown.cancelled() => {}
            () = ended.cancelled() => {}
        }
        drop(guard);
    });
    ReceiverStream::new(rx)
}

/// Feed `tx` until the run ends, the client goes away or the database fails.
async fn pump(store: Store, install: InstallId, mut cursor: i64, tx: mpsc::Sender<Item>) {
    // Subscribe before reading the database: an event committed in between is then on the bus.
    let mut bus = store.bus().subscribe();
    loop {
        // Replay what the database has after the cursor.
        loop {
            let batch = match store.events_after(install, cursor, REPLAY_PAGE).await {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(%install, error = %e, "event replay failed; closing stream");
                    return;
                }
            };
            let full = i64::try_from(batch.len()).unwrap_or(0) == REPLAY_PAGE;
            for event in batch {
                cursor = event.seq;
                if tx.send(Item::Event(Arc::new(event))).await.is_err() {
                    return;
                }
            }
            if !full {
                break;
            }
        }
        match store.event_cursor(install).await {
            Ok((last, true)) if cursor >= last => {
                // The client gets `done` and closes; if it is gone already, nothing is lost.
                let _ = tx.send(Item::Done).await;
                return;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(%install, error = %e, "event cursor unreadable; closing stream");
                return;
            }
        }
        // Follow live events until one does not follow on (gap, lag): then replay again.
        loop {
            let received = tokio::select! {
                received = bus.recv() => received,
                // An idle stream still notices its client leaving.
                () = tx.closed() => return,
            };
            match received {
                Ok(event) if event.install_id != install || event.seq <= cursor => continue,
                Ok(event) if event.seq == cursor + 1 => {
                    cursor = event.seq;
                    let ends = event.ends_run();
                    if tx.send(Item::Event(event)).await.is_err() {
                        return;
                    }
                    if ends {
                        break;
                    }
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {
                    FALLBACKS.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Err(RecvError::Closed) => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Level, NewEvent};
    use crate::store::NewInstall;

    #[tokio::test]
    async fn a_lagging_stream_rereads_the_database_and_loses_nothing() {
        let temp = tempfile::tempdir().unwrap();
        let store = Store::open(temp.path()).await.unwrap();
        let doc =
            katonic_domain::spec::from_yaml(include_str!("../../tests/it/fixtures/sample.yaml"))
                .unwrap();
        let reviewed = crate::app::review::review(&doc, crate::app::review::today()).unwrap();
        let install = store
            .create_install(NewInstall {
                name: "prod".into(),
                answers: reviewed.document.clone(),
                wizard_step: "review".into(),
                validated: Some(reviewed.validated()),
                cloned_from: None,
            })
            .await
            .unwrap();
        store.queue_install(install).await.unwrap();
        let mut stream = follow(store.clone(), install, 0, CancellationToken::new());
        let Some(Item::Event(first)) = stream.next().await else {
            panic!("no first event")
        };
        assert_eq!(first.seq, 1);
        let before = fallbacks();
        // Not reading while more events than the channel (64) and the bus (1,024) hold arrive.
        for i in 0..1500 {
            store
                .append_event(install, NewEvent::install_log(Level::Info, format!("e{i}")))
                .await
                .unwrap();
        }
        store.request_cancel(install).await.unwrap();
        let (last, _) = store.event_cursor(install).await.unwrap();
        let mut seqs = vec![first.seq];
        while let Some(item) = stream.next().await {
            match item {
                Item::Event(e) => seqs.push(e.seq),
                Item::Done => break,
            }
        }
        assert_eq!(seqs, (1..=last).collect::<Vec<_>>());
        assert!(
            fallbacks() > before,
            "the stream should have lagged and re-read the database"
        );
    }
}
