//! The reading half of the Run Command pod's kubectl: `logs` (a pod's, or a Job's first pod's),
//! `version`, and the `-o jsonpath=` output of `get`.

use axum::http::Method;
use serde_json::{Value, json};

use super::kubectl::{Flags, Pod, call, path, resolve};

/// `kubectl logs <pod> | job/<name> [--tail N]`: a Job's first pod, as kubectl picks it.
pub(super) fn logs(pod: &Pod<'_>, f: &Flags<'_>) -> Result<String, String> {
    let target = f
        .positional
        .first()
        .ok_or("error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n")?;
    let ns = f.get("namespace").unwrap_or("default");
    let pods = resolve("pods")?;
    let pod_name = match target.strip_prefix("job/") {
        Some(job) => {
            let selector = format!("job-name={job}");
            let answer = call(
                pod,
                Method::GET,
                &path(pod, pods, Some(ns), None),
                &[("labelSelector", &selector)],
                None,
                Vec::new(),
            );
            if answer.status >= 300 {
                return Err(answer.error());
            }
            answer.body["items"][0]["metadata"]["name"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| {
                    format!("error: timed out waiting for the condition on jobs/{job}\n")
                })?
        }
        None => target.trim_start_matches("pod/").to_string(),
    };
    let answer = call(
        pod,
        Method::GET,
        &path(pod, pods, Some(ns), Some(&pod_name)),
        &[],
        None,
        Vec::new(),
    );
    if answer.status >= 300 {
        return Err(answer.error());
    }
    let lines = pod_log(pod, ns, &pod_name);
    let tail = f
        .get("tail")
        .and_then(|t| t.parse::<i64>().ok())
        .filter(|t| *t >= 0);
    let skip = tail.map_or(0, |t| {
        lines.len().saturating_sub(usize::try_from(t).unwrap_or(0))
    });
    Ok(lines[skip..]
        .iter()
        .map(|l| {
            format!(
                "{}\n",
                l.split_once(' ').map_or(l.as_str(), |(_, text)| text)
            )
        })
        .collect())
}

/// The stored output lines of a pod (`<RFC 3339> <text>` each).
fn pod_log(pod: &Pod<'_>, ns: &str, name: &str) -> Vec<String> {
    let id = {
        let st = pod.shared.lock();
        super::cluster::find(&st, &pod.cluster).map(|c| c.id.to_ascii_lowercase())
    };
    let Some(id) = id else { return Vec::new() };
    super::lock(pod.shared)
        .clusters
        .get(&id)
        .and_then(|c| c.logs.get(&(ns.to_string(), name.to_string())))
        .cloned()
        .unwrap_or_default()
}

pub(super) fn version(pod: &Pod<'_>) -> Result<String, String> {
    let answer = call(
        pod,
        Method::GET,
        &format!("/kubernetes/{}/version", pod.cluster),
        &[],
        None,
        Vec::new(),
    );
    if answer.status >= 300 {
        return Err(answer.error());
    }
    Ok(format!(
        "{}\n",
        serde_json::to_string_pretty(&json!({
            "clientVersion": {"gitVersion": "v1.33.0"},
            "serverVersion": answer.body,
        }))
        .unwrap_or_default()
    ))
}

/// `-o jsonpath={.a.b\\.c}`: one field by its dotted path (`\\.` a dot inside a key); a
/// string prints raw, anything else as compact JSON, a missing field as nothing.
pub(super) fn json_path(object: &Value, template: &str) -> String {
    let path = template
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}');
    let mut keys: Vec<String> = Vec::new();
    let mut key = String::new();
    let mut chars = path.trim_start_matches('.').chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => key.extend(chars.next()),
            '.' => keys.push(std::mem::take(&mut key)),
            c => key.push(c),
        }
    }
    keys.push(key);
    let mut at = object;
    for k in keys.iter().filter(|k| !k.is_empty()) {
        match at.get(k) {
            Some(v) => at = v,
            None => return String::new(),
        }
    }
    match at {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
