//! Server-sent events: replay after Last-Event-ID or ?after=, `done` at the end, 204 after it,
//! and every event exactly once, in order, for clients that come and go while events flow.

use crate::helpers::TestApp;
use katonic_console::events::{Level, NewEvent};
use katonic_console::store::InstallId;
use proptest::prelude::*;
use tokio_stream::StreamExt;

/// One parsed SSE event: (id, event name).
type Received = (Option<i64>, String);

/// Read events from `url` until `done`, the end of the body, or `limit` events.
async fn read_events(
    client: &reqwest::Client,
    url: &str,
    last_event_id: Option<i64>,
    limit: usize,
) -> (u16, Vec<Received>) {
    let mut req = client.get(url);
    if let Some(id) = last_event_id {
        req = req.header("Last-Event-ID", id.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let mut body = res.bytes_stream();
    let mut buffer = String::new();
    let mut events = Vec::new();
    while let Some(chunk) = body.next().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let mut id = None;
            let mut name = "message".to_string();
            let mut data = false;
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_string();
                } else if line.starts_with("data:") {
                    data = true;
                }
            }
            if !data {
                continue; // keep-alive comment
            }
            let done = name == "done";
            events.push((id, name));
            if done || events.len() >= limit {
                return (status, events);
            }
        }
    }
    (status, events)
}

#[tokio::test]
async fn a_finished_install_replays_everything_then_done_and_later_204() {
    let app = TestApp::spawn().await;
    let id = app.start_sample().await;
    app.wait_status(&id, &["succeeded"]).await;
    let url = app.url(&format!("/api/v1/installs/{id}/events"));
    let (status, events) = read_events(&app.client, &url, None, usize::MAX).await;
    assert_eq!(status, 200);
    let (last, rest) = events.split_last().unwrap();
    assert_eq!(last.1, "done");
    let ids: Vec<i64> = rest.iter().map(|(id, _)| id.unwrap()).collect();
    assert_eq!(ids, (1..=ids.len() as i64).collect::<Vec<_>>());
    let n = *ids.last().unwrap();

    let (status, _) = read_events(&app.client, &url, Some(n), usize::MAX).await;
    assert_eq!(status, 204, "nothing more will come: stop reconnecting");
    let (status, _) = read_events(&app.client, &format!("{url}?after={n}"), None, usize::MAX).await;
    assert_eq!(status, 204);
    let (_, tail) = read_events(
        &app.client,
        &format!("{url}?after=1"),
        Some(n - 3),
        usize::MAX,
    )
    .await;
    let tail_ids: Vec<Option<i64>> = tail.iter().map(|e| e.0).collect();
    assert_eq!(
        tail_ids,
        vec![Some(n - 2), Some(n - 1), Some(n), None],
        "the larger cursor wins"
    );

    // The page's stream sends the same ids, as HTML.
    let page = app.url(&format!("/installs/{id}/stream"));
    let (status, html) = read_events(&app.client, &page, Some(n - 1), usize::MAX).await;
    assert_eq!(status, 200);
    assert_eq!(
        html.iter().map(|e| e.0).collect::<Vec<_>>(),
        vec![Some(n), None]
    );
    // Past the end the page's stream says `done` (htmx's SSE extension would take a 204 for an
    // error and reconnect forever; `done` closes it and the page fetches its end state).
    let (status, html) = read_events(&app.client, &page, Some(n), usize::MAX).await;
    assert_eq!(status, 200);
    assert_eq!(
        html.iter().map(|e| (e.0, e.1.as_str())).collect::<Vec<_>>(),
        vec![(None, "done")]
    );
}

/// Publish `total` events while each client connects and drops its connection after the
/// numbers of events in its `cuts`, resuming by Last-Event-ID or by ?after= in turn.
async fn clients_see_every_event_once(total: usize, cuts: Vec<Vec<usize>>) {
    let app = TestApp::spawn_configured(Default::default(), |w| w.max_installs = 0).await;
    let id = app.start_sample().await; // queued forever: the worker claims nothing
    let install = InstallId::parse(&id).unwrap();
    let url = app.url(&format!("/api/v1/installs/{id}/events"));
    let mut clients = Vec::new();
    for (n, cuts) in cuts.into_iter().enumerate() {
        let client = app.client.clone();
        let url = url.clone();
        clients.push(tokio::spawn(async move {
            let mut seen: Vec<i64> = Vec::new();
            let mut cuts = cuts.into_iter();
            loop {
                let cursor = seen.last().copied();
                let limit = cuts.next().unwrap_or(usize::MAX).max(1);
                let (status, events) = if n % 2 == 0 {
                    read_events(&client, &url, cursor, limit).await
                } else {
                    let with_after = format!("{url}?after={}", cursor.unwrap_or(0));
                    read_events(&client, &with_after, None, limit).await
                };
                if status == 204 {
                    return seen;
                }
                for (id, name) in events {
                    match id {
                        Some(id) => seen.push(id),
                        None if name == "done" => return seen,
                        None => {}
                    }
                }
            }
        }));
    }
    for i in 0..total {
        app.store
            .append_event(
                install,
                NewEvent::install_log(Level::Info, format!("event {i}")),
            )
            .await
            .unwrap();
        if i % 16 == 0 {
            tokio::task::yield_now().await;
        }
    }
    // Ending the run (a queued install is cancelled at once) sends `done` to every client.
    let res = app
        .post_form(&format!("/api/v1/installs/{id}/cancel"), &[])
        .await;
    assert_eq!(res.status(), 202);
    let (last, _) = app.store.event_cursor(install).await.unwrap();
    for client in clients {
        let seen = client.await.unwrap();
        assert_eq!(
            seen,
            (1..=last).collect::<Vec<_>>(),
            "a client missed or repeated events"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]
    #[test]
    fn every_client_sees_every_event_exactly_once_in_order(
        cuts in proptest::collection::vec(proptest::collection::vec(1usize..120, 0..6), 1..6)
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(clients_see_every_event_once(600, cuts));
    }
}

#[tokio::test]
async fn a_client_that_stops_reading_misses_nothing() {
    let app = TestApp::spawn_configured(Default::default(), |w| w.max_installs = 0).await;
    let id = app.start_sample().await;
    let install = InstallId::parse(&id).unwrap();
    let url = app.url(&format!("/api/v1/installs/{id}/events"));
    let res = app.client.get(&url).send().await.unwrap();
    let mut body = res.bytes_stream();
    // Take the first event, then stop reading while thousands of events are published.
    // (Socket buffers absorb much of this over HTTP; the lag path itself is proven by the
    // unit test in src/web/live.rs.)
    let first = body.next().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("id: 1"));
    for i in 0..3000 {
        app.store
            .append_event(
                install,
                NewEvent::install_log(Level::Info, format!("event {i}")),
            )
            .await
            .unwrap();
    }
    app.post_form(&format!("/api/v1/installs/{id}/cancel"), &[])
        .await;
    let (last, _) = app.store.event_cursor(install).await.unwrap();
    let mut text = String::from_utf8_lossy(&first).to_string();
    while let Some(chunk) = body.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        if text.contains("event: done") {
            break;
        }
    }
    let ids: Vec<i64> = text
        .lines()
        .filter_map(|l| l.strip_prefix("id:"))
        .map(|v| v.trim().parse().unwrap())
        .collect();
    assert_eq!(ids, (1..=last).collect::<Vec<_>>());
}
