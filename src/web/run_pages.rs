//! The install page while and after it runs: live steps and activity (an SSE stream of HTML
//! fragments for htmx), Resume / Cancel / Retry step, and the log download.

use super::error::WebError;
use super::live::{self, Item};
use super::run_views::{
    DnsTable, EventLine, HeaderFragment, RunHeader, StepHead, StepHeadFragment, StreamItem,
};
use super::wizard::load_install;
use super::{AppState, guard, logs};
use crate::access::Principal;
use crate::events::{Event, EventKind};
use crate::store::{InstallRecord, InstallStatus, Store};
use askama::Template;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::sse;
use axum::response::{IntoResponse, Redirect, Response};

/// The run part of the install page.
pub struct RunPage {
    pub header_html: String,
    pub stream_url: String,
    pub last_seq: i64,
    /// Whether the run can still send events. An ended run's page opens no stream: the server
    /// answers 204 ("stop") but htmx's SSE extension reconnects anyway, forever, logging an
    /// error each time. Resume and retry reload the page, which then follows the new run.
    pub live: bool,
    pub steps: Vec<StepPage>,
    pub events: Vec<EventLine>,
    /// The DNS records, once the DNS step has recorded them.
    pub dns: Option<DnsTable>,
    /// The verification step's report, once it has one.
    pub verification: Option<Verification>,
    /// The run's timeline (SVG), once a step has started.
    pub timeline: Option<String>,
    /// "What now" (empty until the install succeeded): see `next_steps.rs`.
    pub next_steps_html: String,
    /// Where the console runs and how it reaches the cluster, once preflight has decided.
    pub reach: Option<Reach>,
}

/// Preflight's decision as the install page shows it (`panels/placement.html`).
pub struct Reach {
    /// `direct`, `runCommand` or `peering`; `None` when preflight refused the choice.
    pub cluster_access: Option<String>,
    pub placement: String,
}

impl Reach {
    /// From preflight's outputs: the summary it stored (`consolePlacementSummary`); an install
    /// whose preflight ran before that was stored has its placement's fields read instead.
    pub(super) fn from_outputs(outputs: &serde_json::Value) -> Option<Reach> {
        let placement = outputs.get("consolePlacement")?;
        let stored = outputs["consolePlacementSummary"]
            .as_str()
            .map(str::to_string);
        let text = stored.unwrap_or_else(|| Self::derived(placement));
        Some(Reach {
            cluster_access: outputs["clusterAccess"].as_str().map(str::to_string),
            placement: text,
        })
    }

    fn derived(placement: &serde_json::Value) -> String {
        match placement["where"].as_str() {
            Some("azure") => format!(
                "in subnet {} of VNet {}",
                placement["subnetId"].as_str().unwrap_or("?"),
                placement["vnetId"].as_str().unwrap_or("?")
            ),
            Some("lineOfSight") => {
                "on a network declared to reach the cluster's (--line-of-sight)".to_string()
            }
            Some("outside") => format!(
                "outside Azure ({})",
                placement["why"].as_str().unwrap_or("")
            ),
            _ => format!("unknown ({})", placement["why"].as_str().unwrap_or("")),
        }
    }
}

/// The verification report as the install page shows it.
pub struct Verification {
    pub address: String,
    pub checks: Vec<crate::cluster::verify::Check>,
}

impl Verification {
    fn from_outputs(outputs: &serde_json::Value) -> Option<Verification> {
        Some(Verification {
            address: outputs.get("address")?.as_str()?.to_string(),
            checks: serde_json::from_value(outputs.get("checks")?.clone()).ok()?,
        })
    }
}

pub struct StepPage {
    pub head: StepHead,
    pub head_html: String,
    pub log: Vec<EventLine>,
}

/// The run view of an install that has left the draft state.
pub async fn run_page(store: &Store, install: &InstallRecord) -> Result<Option<RunPage>, WebError> {
    if install.status == InstallStatus::Draft {
        return Ok(None);
    }
    // Events first, then the state: whatever happens after the last event read is replayed by
    // the stream, so a page never shows a state older than the events it skips (a run that
    // starts while the page renders would otherwise leave its header `queued`).
    let events = store.all_events(install.id).await?;
    let after = events.last().map_or(0, |e| e.seq);
    let fresh = store.install(install.id).await?;
    let install = fresh.as_ref().unwrap_or(install);
    let Some(plan) = &install.plan else {
        return Ok(None);
    };
    let records = store.steps(install.id).await?;
    let state = crate::app::rules::install_state(store, install).await?;
    let header = RunHeader::new(install, &state);
    let mut steps = Vec::new();
    for record in &records {
        let head = StepHead::new(install, &state, plan, record);
        let head_html = render_fragment(&StepHeadFragment {
            oob: false,
            s: &head,
        })?;
        let log = events
            .iter()
            .filter(|e| e.step_id == Some(record.step_id))
            .map(EventLine::new)
            .collect();
        steps.push(StepPage {
            head,
            head_html,
            log,
        });
    }
    let verification = records
        .iter()
        .find(|r| r.step_id == katonic_domain::plan::StepId::Verify)
        .and_then(|r| r.outputs.as_ref())
        .and_then(Verification::from_outputs);
    let timeline = super::timeline::svg(plan, &events, time::OffsetDateTime::now_utc());
    let next = super::next_steps::of_install(store, install).await?;
    let reach = records
        .iter()
        .find(|r| r.step_id == katonic_domain::plan::StepId::Preflight)
        .and_then(|r| r.outputs.as_ref())
        .and_then(Reach::from_outputs);
    Ok(Some(RunPage {
        next_steps_html: super::next_steps::render(next.as_ref(), false)?,
        reach,
        verification,
        timeline,
        header_html: render_fragment(&HeaderFragment {
            oob: false,
            h: &header,
        })?,
        stream_url: format!("/installs/{}/stream", install.id),
        last_seq: after,
        live: install.status.is_active(),
        steps,
        events: events.iter().map(EventLine::new).collect(),
        dns: records
            .iter()
            .find(|r| r.step_id == katonic_domain::plan::StepId::Dns)
            .and_then(|r| r.outputs.as_ref())
            .and_then(DnsTable::from_outputs),
    }))
}

fn render_fragment(t: &impl Template) -> Result<String, WebError> {
    t.render().map_err(|e| WebError::internal("template", e))
}

/// `GET /installs/{id}/stream`: the page's live stream. Each message is the event's activity
/// line, with out-of-band swaps for its step's log, the step's head and the run header.
pub async fn get_stream(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Query(after): Query<live::After>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let id = crate::store::InstallId::parse(&id)
        .ok_or_else(|| WebError::NotFound(format!("no install with id {id}")))?;
    let cursor = live::cursor(&headers, &after);
    let (last, ended) = state.store.event_cursor(id).await?;
    if ended && cursor >= last {
        // The run ended while the page was loading or its stream reconnecting. htmx's SSE
        // extension takes the API's 204 for an error and reconnects forever; `done` closes the
        // stream and the page fetches its end state (console.js).
        let done = sse::Event::default().event("done").data("done");
        let once =
            futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(done) });
        return Ok(sse::Sse::new(once).into_response());
    }
    let store = state.store.clone();
    live::respond(&state, &principal, id, cursor, move |item| {
        let store = store.clone();
        async move {
            match item {
                Item::Event(event) => match stream_html(&store, &event).await {
                    Ok(html) => Some(sse::Event::default().id(event.seq.to_string()).data(html)),
                    Err(e) => {
                        tracing::warn!(install = %id, error = %e, "cannot render a live event");
                        None
                    }
                },
                Item::Done => Some(sse::Event::default().event("done").data("done")),
            }
        }
    })
    .await
}

async fn stream_html(store: &Store, event: &Event) -> Result<String, WebError> {
    let line = EventLine::new(event);
    let mut heads = Vec::new();
    let mut header = None;
    let mut timeline = None;
    let mut next_steps = None;
    if matches!(event.kind, EventKind::Step | EventKind::Install) {
        let install = store
            .install(event.install_id)
            .await?
            .ok_or_else(|| WebError::NotFound("install gone".to_string()))?;
        let state = crate::app::rules::install_state(store, &install).await?;
        if let Some(plan) = &install.plan {
            let records = store.steps(install.id).await?;
            for record in &records {
                // A step event redraws its own head; an install event redraws them all (the
                // retry buttons depend on the install's state).
                if event.kind == EventKind::Install || event.step_id == Some(record.step_id) {
                    let head = StepHead::new(&install, &state, plan, record);
                    heads.push(render_fragment(&StepHeadFragment {
                        oob: true,
                        s: &head,
                    })?);
                }
            }
        }
        if event.kind == EventKind::Install {
            let h = RunHeader::new(&install, &state);
            header = Some(render_fragment(&HeaderFragment { oob: true, h: &h })?);
            // The run's end brings "what now" (links, DNS records) without a reload.
            let next = super::next_steps::of_install(store, &install).await?;
            next_steps = Some(super::next_steps::render(next.as_ref(), true)?);
        }
        if let Some(plan) = &install.plan {
            timeline = timeline_fragment(store, plan, install.id).await?;
        }
    }
    render_fragment(&StreamItem {
        line: &line,
        step: event.step_id.map(|s| s.as_str()),
        heads,
        header,
        timeline,
        next_steps,
    })
}

/// The timeline redrawn from the step status events, as an out-of-band swap.
async fn timeline_fragment(
    store: &Store,
    plan: &katonic_domain::plan::InstallPlan,
    install: crate::store::InstallId,
) -> Result<Option<String>, WebError> {
    let events = store.step_status_events(install).await?;
    Ok(
        super::timeline::svg(plan, &events, time::OffsetDateTime::now_utc())
            .map(|svg| format!(r#"<div id="timeline" hx-swap-oob="true">{svg}</div>"#)),
    )
}

fn back_to(install: &InstallRecord) -> Redirect {
    Redirect::to(&format!("/installs/{}", install.id))
}

/// `POST /installs/{id}/start`
pub async fn post_start(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Redirect, WebError> {
    let install = load_install(&state, &id).await?;
    state
        .app()
        .start(&guard::actor(&principal), install.id)
        .await?;
    Ok(back_to(&install))
}

/// `POST /installs/{id}/resume`
pub async fn post_resume(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Redirect, WebError> {
    let install = load_install(&state, &id).await?;
    state
        .app()
        .resume(&guard::actor(&principal), install.id)
        .await?;
    Ok(back_to(&install))
}

/// `POST /installs/{id}/cancel`
pub async fn post_cancel(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Redirect, WebError> {
    let install = load_install(&state, &id).await?;
    state
        .app()
        .cancel(&guard::actor(&principal), install.id)
        .await?;
    Ok(back_to(&install))
}

/// `POST /installs/{id}/steps/{step}/retry`
pub async fn post_retry_step(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, step)): Path<(String, String)>,
) -> Result<Redirect, WebError> {
    let install = load_install(&state, &id).await?;
    state
        .app()
        .retry_step(&guard::actor(&principal), install.id, step.parse()?)
        .await?;
    Ok(back_to(&install))
}

/// `GET /installs/{id}/logs.txt`: every attempt's log as one file.
pub async fn get_logs(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let install = load_install(&state, &id).await?;
    let text = logs::log_text(&state, install.id).await?;
    let file = format!(
        "attachment; filename=\"katonic-{}-{}.log\"",
        install
            .name
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', ""),
        install.id
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
            (header::CONTENT_DISPOSITION, file),
        ],
        text,
    )
        .into_response())
}

#[cfg(test)]
mod reach_tests {
    use super::Reach;
    use serde_json::json;

    #[test]
    fn the_stored_summary_is_shown_and_older_outputs_are_read_field_by_field() {
        let stored = Reach::from_outputs(&json!({
            "consolePlacement": {"where": "outside", "why": "ignored"},
            "consolePlacementSummary": "outside Azure (as preflight said it)",
            "clusterAccess": "runCommand",
        }))
        .unwrap();
        assert_eq!(stored.placement, "outside Azure (as preflight said it)");
        assert_eq!(stored.cluster_access.as_deref(), Some("runCommand"));
        let older = Reach::from_outputs(&json!({
            "consolePlacement": {"where": "azure", "subnetId": "/s/v/subnets/j", "vnetId": "/s/v"},
        }))
        .unwrap();
        assert_eq!(older.placement, "in subnet /s/v/subnets/j of VNet /s/v");
        assert_eq!(older.cluster_access, None);
        assert!(Reach::from_outputs(&json!({"kubernetesVersion": "1.33"})).is_none());
    }
}
