//! What "answers as Azure did" means per interaction: the status code, the LRO headers Azure
//! sent, the JSON key paths of the body (depth 3, array indexes ignored, both directions) and
//! the error code; and the tallies per operation.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Depth to which key paths are compared (`properties.networkProfile.podCidr` is depth 3).
const DEPTH: usize = 3;

/// `PUT rg/Microsoft.Network/virtualNetworks/{}/subnets/{}`: the operation, names left out.
pub fn op_name(method: &str, path: &str) -> String {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    if segs
        .first()
        .is_some_and(|s| s.eq_ignore_ascii_case("subscriptions"))
    {
        out.push(
            if segs.len() > 1 {
                "sub"
            } else {
                "subscriptions"
            }
            .into(),
        );
        i = 2;
    }
    if segs
        .get(i)
        .is_some_and(|s| s.eq_ignore_ascii_case("resourceGroups"))
    {
        out.push(
            if segs.len() > i + 1 {
                "rg"
            } else {
                "resourceGroups"
            }
            .into(),
        );
        i += 2;
    }
    if segs
        .get(i)
        .is_some_and(|s| s.eq_ignore_ascii_case("providers"))
    {
        i += 1;
        match segs.get(i) {
            Some(ns) => out.push(ns.to_string()),
            None => out.push("providers".into()),
        }
        i += 1;
    }
    while i < segs.len() {
        out.push(segs[i].to_string());
        if i + 1 < segs.len() {
            out.push("{}".into());
        }
        i += 2;
    }
    format!("{method} {}", out.join("/"))
}

/// Key paths of `v` to [`DEPTH`]; arrays are looked through, so `value.name` covers every item.
pub fn key_paths(v: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    walk(v, "", 0, &mut out);
    out
}

fn walk(v: &Value, prefix: &str, depth: usize, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) if depth < DEPTH => {
            for (k, child) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(p.clone());
                walk(child, &p, depth + 1, out);
            }
        }
        Value::Array(a) => {
            for item in a {
                walk(item, prefix, depth, out);
            }
        }
        _ => {}
    }
}

/// The ARM error code of a body: `{"error": {"code"}}`, or the bare `{"code", "message"}` some
/// providers return.
pub fn error_code(v: &Value) -> Option<String> {
    v.pointer("/error/code")
        .or_else(|| v.get("code").filter(|_| v.get("message").is_some()))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The simulator's answer to one interaction.
pub struct Answer {
    pub status: u16,
    /// (lower-cased name, value)
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

/// How one interaction compared.
#[derive(Default)]
pub struct Outcome {
    pub status_ok: bool,
    pub real_paths: usize,
    pub missing: Vec<String>,
    pub extra: Vec<String>,
    pub lro_headers: usize,
    pub lro_missing: Vec<String>,
    pub error: Option<(String, Option<String>)>,
}

/// Headers Azure sends for long-running operations.
const LRO_HEADERS: [&str; 3] = ["azure-asyncoperation", "location", "retry-after"];

pub fn compare(real_status: u16, real_headers: &[String], real: &Value, sim: &Answer) -> Outcome {
    let rp = key_paths(real);
    let sp = key_paths(&sim.body);
    let lro: Vec<&str> = LRO_HEADERS
        .into_iter()
        .filter(|h| real_headers.iter().any(|r| r == h))
        .collect();
    let error = (real_status >= 400)
        .then(|| error_code(real))
        .flatten()
        .map(|c| (c, error_code(&sim.body)));
    Outcome {
        status_ok: real_status == sim.status,
        real_paths: rp.len(),
        missing: rp.difference(&sp).cloned().collect(),
        extra: sp.difference(&rp).cloned().collect(),
        lro_headers: lro.len(),
        lro_missing: lro
            .into_iter()
            .filter(|h| !sim.headers.iter().any(|(s, _)| s == h))
            .map(str::to_string)
            .collect(),
        error,
    }
}

/// Sums per operation and overall.
#[derive(Default, Clone)]
pub struct Tally {
    pub interactions: usize,
    pub status_ok: usize,
    pub real_paths: usize,
    pub paths_ok: usize,
    pub extra_paths: usize,
    pub lro_headers: usize,
    pub lro_ok: usize,
    pub errors: usize,
    pub errors_ok: usize,
}

impl Tally {
    pub fn add(&mut self, o: &Outcome) {
        self.interactions += 1;
        self.status_ok += usize::from(o.status_ok);
        self.real_paths += o.real_paths;
        self.paths_ok += o.real_paths - o.missing.len();
        self.extra_paths += o.extra.len();
        self.lro_headers += o.lro_headers;
        self.lro_ok += o.lro_headers - o.lro_missing.len();
        if let Some((real, sim)) = &o.error {
            self.errors += 1;
            self.errors_ok += usize::from(sim.as_deref() == Some(real.as_str()));
        }
    }

    pub fn merge(&mut self, t: &Tally) {
        self.interactions += t.interactions;
        self.status_ok += t.status_ok;
        self.real_paths += t.real_paths;
        self.paths_ok += t.paths_ok;
        self.extra_paths += t.extra_paths;
        self.lro_headers += t.lro_headers;
        self.lro_ok += t.lro_ok;
        self.errors += t.errors;
        self.errors_ok += t.errors_ok;
    }

    pub fn status_pct(&self) -> f64 {
        pct(self.status_ok, self.interactions)
    }

    pub fn paths_pct(&self) -> f64 {
        pct(self.paths_ok, self.real_paths)
    }

    pub fn errors_pct(&self) -> f64 {
        pct(self.errors_ok, self.errors)
    }

    pub fn lro_pct(&self) -> f64 {
        pct(self.lro_ok, self.lro_headers)
    }
}

fn pct(n: usize, of: usize) -> f64 {
    if of == 0 {
        100.0
    } else {
        100.0 * n as f64 / of as f64
    }
}

/// The per-operation table and the totals, as the test prints them.
pub fn report(per_op: &BTreeMap<String, Tally>) -> (String, Tally) {
    let mut total = Tally::default();
    let mut s = format!(
        "{:<70} {:>4} {:>7} {:>7} {:>6} {:>7} {:>7}\n",
        "operation", "n", "status", "paths", "extra", "lro", "errors"
    );
    for (op, t) in per_op {
        total.merge(t);
        s.push_str(&format!(
            "{:<70} {:>4} {:>6.1}% {:>6.1}% {:>6} {:>6.1}% {:>3}/{:<3}\n",
            op,
            t.interactions,
            t.status_pct(),
            t.paths_pct(),
            t.extra_paths,
            t.lro_pct(),
            t.errors_ok,
            t.errors
        ));
    }
    s.push_str(&format!(
        "TOTAL: {} interactions, {:.1}% status codes, {:.1}% real key paths ({} of {}; {} simulator-only), {:.1}% LRO headers, {:.1}% error codes ({} of {})\n",
        total.interactions,
        total.status_pct(),
        total.paths_pct(),
        total.paths_ok,
        total.real_paths,
        total.extra_paths,
        total.lro_pct(),
        total.errors_pct(),
        total.errors_ok,
        total.errors
    ));
    (s, total)
}
