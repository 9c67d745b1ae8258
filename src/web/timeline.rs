//! The run as a timeline: one row per planned step, one bar per attempt (from the step's
//! `running` event to the event that ended it), critical-path steps marked. Drawn from the
//! stored events, so it is the same live (redrawn on every step event) and in history.
//!
//! Hand-written SVG for the same reason as the topology: a few rectangles whose geometry
//! follows from the events, styled by class (no inline style under the console's CSP).

use std::collections::BTreeMap;
use std::fmt::Write;

use time::OffsetDateTime;

use crate::events::{Event, EventKind, EventStatus};
use crate::store::StepStatus;
use katonic_domain::plan::InstallPlan;

const WIDTH: f64 = 1000.0;
const LABEL_W: f64 = 190.0;
const ROW_H: f64 = 22.0;
const TOP: f64 = 28.0;

/// One attempt of a step: when it ran and how it ended (`running` while it still runs).
#[derive(Debug, Clone, PartialEq)]
struct Bar {
    attempt: i64,
    start: OffsetDateTime,
    end: OffsetDateTime,
    outcome: String,
}

/// The timeline of `events` (in order) for `plan`'s steps, as an `<svg>`; `None` before any
/// step has started. `now` ends the bars of attempts still running.
pub fn svg(plan: &InstallPlan, events: &[Event], now: OffsetDateTime) -> Option<String> {
    let bars = bars(events, now);
    let first = bars.values().flatten().map(|b| b.start).min()?;
    let last = bars.values().flatten().map(|b| b.end).max()?.max(first);
    let span = (last - first).as_seconds_f64().max(1.0);
    let (step, ticks) = axis(span);
    // The axis ends on its last tick, so the ticks fall on whole, distinct times.
    let axis_end = f64::from(step * ticks);
    let scale = (WIDTH - LABEL_W - 20.0) / axis_end;
    let x_of = |t: OffsetDateTime| LABEL_W + (t - first).as_seconds_f64() * scale;

    let mut out = String::new();
    let rows = plan.steps.len();
    let height = TOP + ROW_H * rows as f64 + 24.0;
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="Timeline of this install's steps">"#
    );
    // A time axis: a tick every `step` seconds, from the run's start to the axis's end.
    for k in 0..=ticks {
        let x = LABEL_W + f64::from(k * step) * scale;
        let anchor = match k {
            0 => "start",
            k if k == ticks => "end",
            _ => "middle",
        };
        let label = crate::format::duration(k * step);
        let _ = write!(
            out,
            r#"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{:.1}" class="grid"/><text x="{x:.1}" y="16" class="axis" text-anchor="{anchor}">+{label}</text>"#,
            TOP - 6.0,
            TOP + ROW_H * rows as f64
        );
    }
    for (i, step) in plan.steps.iter().enumerate() {
        let y = TOP + ROW_H * i as f64;
        let critical = if step.on_critical_path {
            " critical"
        } else {
            ""
        };
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" class="step{critical}" text-anchor="end">{}</text>"#,
            LABEL_W - 8.0,
            y + 15.0,
            step.id
        );
        for bar in bars.get(step.id.as_str()).into_iter().flatten() {
            let x = x_of(bar.start);
            let w = (x_of(bar.end) - x).max(2.0);
            let secs = (bar.end - bar.start).as_seconds_f64().round() as u32;
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{:.1}" width="{w:.1}" height="{:.1}" rx="3" class="bar {}{critical}"><title>{} attempt {}: {} ({})</title></rect>"#,
                y + 3.0,
                ROW_H - 6.0,
                bar.outcome,
                step.id,
                bar.attempt,
                bar.outcome,
                crate::format::duration(secs)
            );
        }
    }
    out.push_str("</svg>");
    Some(out)
}

/// Tick spacings an axis may use, in seconds: each reads as a round time.
const NICE_STEPS: [u32; 17] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
];

/// The tick spacing for a run of `span` seconds (at most 6 intervals) and how many intervals
/// reach past its end: the ticks are whole seconds, distinct, and cover the whole run.
fn axis(span: f64) -> (u32, u32) {
    let step = NICE_STEPS
        .iter()
        .copied()
        .find(|s| span / f64::from(*s) <= 6.0)
        .unwrap_or(86_400);
    // At most 6 (or a few more for runs longer than the largest step): fits in a u32.
    let ticks = (span / f64::from(step)).ceil().max(1.0) as u32;
    (step, ticks)
}

/// Each step's attempts, from its status events.
fn bars(events: &[Event], now: OffsetDateTime) -> BTreeMap<String, Vec<Bar>> {
    let mut out: BTreeMap<String, Vec<Bar>> = BTreeMap::new();
    for event in events.iter().filter(|e| e.kind == EventKind::Step) {
        let (Some(step), Some(attempt), Some(status)) =
            (event.step_id, event.attempt, event.status)
        else {
            continue;
        };
        let bars = out.entry(step.to_string()).or_default();
        if status == EventStatus::Step(StepStatus::Running) {
            bars.push(Bar {
                attempt,
                start: event.at,
                end: now,
                outcome: "running".into(),
            });
        } else if let Some(bar) = bars
            .iter_mut()
            .rev()
            .find(|b| b.attempt == attempt && b.outcome == "running")
        {
            bar.end = event.at;
            bar.outcome = status.to_string();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Level;
    use crate::store::InstallId;

    fn event(step: &str, attempt: i64, status: &str, secs: i64) -> Event {
        Event::new(
            InstallId::new(),
            secs,
            OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(secs),
            EventKind::Step,
            Level::Info,
            Some(step.parse().unwrap()),
            Some(attempt),
            Some(EventStatus::Step(status.parse().unwrap())),
            String::new(),
        )
    }

    #[test]
    fn axis_ticks_are_distinct_round_times_covering_the_run() {
        assert_eq!(axis(1.0), (1, 1));
        assert_eq!(axis(1.4), (1, 2));
        assert_eq!(axis(7.0), (2, 4));
        assert_eq!(axis(100.0), (30, 4));
        assert_eq!(axis(420.0), (120, 4));
        let spec = katonic_domain::spec::testutil::sample_spec();
        let plan = katonic_domain::plan::InstallPlan::from_spec(
            &spec,
            time::macros::date!(2026 - 11 - 25),
        );
        let events = vec![
            event("preflight", 1, "running", 0),
            event("preflight", 1, "succeeded", 1),
        ];
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(1);
        let picture = svg(&plan, &events, now).unwrap();
        let labels: Vec<&str> = picture
            .split(r#"class="axis""#)
            .skip(1)
            .filter_map(|rest| rest.split('>').nth(1)?.split('<').next())
            .collect();
        assert_eq!(labels, ["+0s", "+1s"], "{picture}");
    }

    #[test]
    fn attempts_become_bars_that_end_with_their_outcome() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(100);
        let events = vec![
            event("preflight", 1, "running", 0),
            event("preflight", 1, "succeeded", 10),
            event("network", 1, "running", 10),
            event("network", 1, "failed", 20),
            event("network", 2, "running", 40),
        ];
        let bars = bars(&events, now);
        assert_eq!(bars["preflight"].len(), 1);
        assert_eq!(bars["preflight"][0].outcome, "succeeded");
        assert_eq!(bars["network"].len(), 2);
        assert_eq!(bars["network"][0].outcome, "failed");
        // Still running: ends now.
        assert_eq!(bars["network"][1].outcome, "running");
        assert_eq!(bars["network"][1].end, now);
    }

    #[test]
    fn the_picture_has_a_bar_per_attempt_and_marks_the_critical_path() {
        let spec = katonic_domain::spec::testutil::sample_spec();
        let plan = katonic_domain::plan::InstallPlan::from_spec(
            &spec,
            time::macros::date!(2026 - 11 - 25),
        );
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(100);
        assert!(svg(&plan, &[], now).is_none(), "no picture before a start");
        let events = vec![
            event("preflight", 1, "running", 0),
            event("preflight", 1, "failed", 5),
            event("preflight", 2, "running", 30),
            event("preflight", 2, "succeeded", 40),
        ];
        let picture = svg(&plan, &events, now).unwrap();
        assert_eq!(picture.matches("class=\"bar ").count(), 2, "{picture}");
        assert!(picture.contains("bar failed critical"), "{picture}");
        assert!(picture.contains("bar succeeded critical"), "{picture}");
        assert!(picture.contains("preflight attempt 2: succeeded (10s)"));
        assert!(!picture.contains("style="));
    }
}
