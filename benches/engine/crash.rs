//! Benchmark 7, the crash matrix: for each step of the sample install and each kill point
//! (early, middle, before its journal entry), kill -9 the console while the step runs, restart it on the same data
//! dir, resume, and count what went wrong (`crash_matrix.rs` runs the trials).

use super::crash_matrix::{self, KillPoint, Trial};

/// The smoke run's trials: an Azure operation and a cluster step, killed midway.
const SMOKE: [(&str, KillPoint); 2] = [
    ("storage", KillPoint::Middle),
    ("platform", KillPoint::Middle),
];

/// Runs the matrix (every step × every kill point when `full`) and prints its figures.
pub fn crash_matrix(full: bool, time_scale: f64) {
    let reference = crash_matrix::reference(time_scale);
    let cells: Vec<(String, KillPoint)> = if full {
        let steps = reference.steps.iter();
        steps
            .flat_map(|s| KillPoint::ALL.map(|p| (s.clone(), p)))
            .collect()
    } else {
        SMOKE.iter().map(|(s, p)| (s.to_string(), *p)).collect()
    };
    let trials: Vec<Trial> = cells
        .iter()
        .map(|(step, point)| crash_matrix::trial(&reference, step, *point))
        .collect();
    println!(
        "7. Crash matrix (kill -9 while a step runs, restart, resume; sample spec at time scale {time_scale}; a clean install took {:.2} s)",
        reference.wall.as_secs_f64()
    );
    let steps: std::collections::HashSet<_> = cells.iter().map(|(s, _)| s).collect();
    let points = if full {
        "early, middle, before-journal"
    } else {
        "middle"
    };
    totals(&trials, &format!("{} steps x {points}", steps.len()));
    let took: Vec<String> = reference
        .steps
        .iter()
        .map(|s| {
            let took = reference.took.get(s).copied().unwrap_or_default();
            format!("{s} {:.0}", took.as_secs_f64() * 1000.0)
        })
        .collect();
    println!(
        "   step durations:  {} (ms, clean install)",
        took.join(", ")
    );
    for t in &trials {
        report(t, &reference);
    }
}

/// The matrix's figures: trials, outcomes, and where the kills landed.
fn totals(trials: &[Trial], cells: &str) {
    let count = |f: &dyn Fn(&Trial) -> bool| trials.iter().filter(|t| f(t)).count();
    println!(
        "   trials:          {} ({cells}), {} succeeded, {} duplicate ARM writes (of {} acknowledged writes of completed steps checked), {} completed steps re-run",
        trials.len(),
        count(&|t| t.succeeded()),
        trials.iter().map(|t| t.duplicates.len()).sum::<usize>(),
        trials.iter().map(|t| t.guarded).sum::<usize>(),
        trials.iter().map(|t| t.rerun.len()).sum::<usize>(),
    );
    let hits = KillPoint::ALL.map(|p| {
        let at = |t: &Trial| t.point == p;
        let hit = count(&|t| at(t) && t.hit);
        format!("{} {hit}/{}", p.name(), count(&at))
    });
    println!(
        "   inside the step: {} of {} kills ({}); the others came after the step's journal entry",
        count(&|t| t.hit),
        trials.len(),
        hits.join(", ")
    );
}

/// A line per trial that missed its step or went wrong, with the log's end when it failed.
fn report(t: &Trial, reference: &crash_matrix::Reference) {
    if t.hit && t.succeeded() && t.duplicates.is_empty() && t.rerun.is_empty() {
        return;
    }
    let took = reference.took.get(&t.step).copied().unwrap_or_default();
    println!(
        "   {}/{} (a {:.0} ms step): {}{}, {} duplicates {:?}, re-run {:?}",
        t.step,
        t.point.name(),
        took.as_secs_f64() * 1000.0,
        t.status,
        if t.hit {
            ""
        } else {
            ", the kill came after the step"
        },
        t.duplicates.len(),
        t.duplicates,
        t.rerun
    );
    if !t.succeeded() {
        let lines: Vec<&str> = t.log.lines().collect();
        for line in &lines[lines.len().saturating_sub(12)..] {
            println!("      | {line}");
        }
    }
}
