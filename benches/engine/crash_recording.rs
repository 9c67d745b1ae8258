//! The crash matrix's reading of the simulator's recording (`--record`): which ARM writes a
//! trial made, by which step, and which of them were duplicates.

use serde_json::Value;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// One recorded ARM request.
pub struct Recorded {
    method: String,
    /// The path without its query, lower-cased (ARM paths are case-insensitive).
    path: String,
    status: u16,
    /// The step that made it (the console's `x-katonic-step` header).
    step: String,
}

impl Recorded {
    /// PUT, PATCH, DELETE, and POST actions other than the read-only ones (list keys and
    /// credentials, name checks).
    fn is_write(&self) -> bool {
        match self.method.as_str() {
            "PUT" | "PATCH" | "DELETE" => true,
            "POST" => {
                let action = self.path.rsplit('/').next().unwrap_or("");
                !(action.starts_with("list") || action == "checknameavailability")
            }
            _ => false,
        }
    }

    fn acknowledged(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The requests the simulator recorded in `dir` (`--record`), in order.
pub fn recorded(dir: &Path) -> Vec<Recorded> {
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            Some((name.split('-').next()?.parse().ok()?, e.path()))
        })
        .collect();
    files.sort();
    let read = |path: &Path| -> Option<Recorded> {
        // A file the kill cut short does not parse: that request was never answered.
        let pair: Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
        let request = &pair["liveRequest"];
        let url = request["url"].as_str()?;
        let path = url.split_once("://").map_or(url, |(_, rest)| rest);
        let path = path.split_once('/').map_or("", |(_, p)| p);
        Some(Recorded {
            method: request["method"].as_str()?.to_string(),
            path: format!("/{}", path.split('?').next().unwrap_or(path)).to_ascii_lowercase(),
            status: pair["liveResponse"]["statusCode"].as_str()?.parse().ok()?,
            step: request["headers"]["x-katonic-step"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        })
    };
    files.iter().filter_map(|(_, path)| read(path)).collect()
}

/// Distinct resources created or updated: paths answered 2xx to a PUT.
pub(super) fn resources_written<'a>(requests: impl IntoIterator<Item = &'a Recorded>) -> usize {
    let puts = requests
        .into_iter()
        .filter(|r| r.method == "PUT" && r.acknowledged());
    puts.map(|r| &r.path).collect::<HashSet<_>>().len()
}

/// The duplicate writes of a trial.
///
/// A duplicate write is a write issued after the restart (`after`) with the same method and
/// resource path as a write that, before the kill (`before`), was answered 2xx to a step the
/// journal shows succeeded before the kill (`completed`): that step's effect was done and
/// acknowledged, and resume must not write it again. The step that was running at the kill
/// (the restart shows it `interrupted`) may write its own resources again: that is its
/// legitimate retry (ARM PUTs of deterministic names are idempotent), unless it made a second
/// resource, which the trial catches by counting the distinct resources written against a
/// clean install's.
pub fn duplicate_writes(
    before: &[Recorded],
    after: &[Recorded],
    completed: &[String],
) -> Vec<String> {
    let done = completed_writes(before, completed);
    after
        .iter()
        .filter(|r| r.is_write() && done.contains(&(r.method.as_str(), r.path.as_str())))
        .map(|r| format!("{} {} (by {})", r.method, r.path, r.step))
        .collect()
}

/// The writes (method, path) answered 2xx before the kill to the steps in `completed`.
pub(super) fn completed_writes<'a>(
    before: &'a [Recorded],
    completed: &[String],
) -> HashSet<(&'a str, &'a str)> {
    before
        .iter()
        .filter(|r| r.is_write() && r.acknowledged() && completed.contains(&r.step))
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect()
}
