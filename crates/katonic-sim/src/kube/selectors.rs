//! `labelSelector` and `fieldSelector` parsing and matching.

use serde_json::Value;

use super::status::{KubeError, KubeResult};

#[derive(Debug, PartialEq)]
enum Term {
    Eq(String, String),
    Ne(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label selector; matches an object's `metadata.labels`.
#[derive(Debug, Default)]
pub(crate) struct LabelSelector(Vec<Term>);

/// Split on commas outside parentheses.
fn split_terms(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out.into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn values(s: &str) -> Option<Vec<String>> {
    let inner = s.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(inner.split(',').map(|v| v.trim().to_string()).collect())
}

impl LabelSelector {
    pub fn parse(s: &str) -> KubeResult<Self> {
        let bad = || KubeError::bad_request(format!("unable to parse requirement: found '{s}'"));
        let mut terms = Vec::new();
        for t in split_terms(s) {
            let term = if let Some((k, v)) = t.split_once("!=") {
                Term::Ne(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = t.split_once("==") {
                Term::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = t.split_once('=') {
                Term::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = t.split_once(" notin ") {
                Term::NotIn(k.trim().into(), values(v).ok_or_else(bad)?)
            } else if let Some((k, v)) = t.split_once(" in ") {
                Term::In(k.trim().into(), values(v).ok_or_else(bad)?)
            } else if let Some(k) = t.strip_prefix('!') {
                Term::NotExists(k.trim().into())
            } else if t.contains(' ') || t.contains('(') {
                return Err(bad());
            } else {
                Term::Exists(t)
            };
            terms.push(term);
        }
        Ok(Self(terms))
    }

    pub fn matches(&self, obj: &Value) -> bool {
        let labels = &obj["metadata"]["labels"];
        let get = |k: &str| labels.get(k).and_then(Value::as_str);
        self.0.iter().all(|t| match t {
            Term::Eq(k, v) => get(k) == Some(v),
            Term::Ne(k, v) => get(k) != Some(v),
            Term::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Term::NotIn(k, vs) => get(k).is_none_or(|x| !vs.iter().any(|v| v == x)),
            Term::Exists(k) => get(k).is_some(),
            Term::NotExists(k) => get(k).is_none(),
        })
    }
}

/// A parsed field selector (`a.b=v`, `a.b==v`, `a.b!=v`).
#[derive(Debug, Default)]
pub(crate) struct FieldSelector(Vec<(String, bool, String)>);

/// Fields each resource supports beyond `metadata.name` and `metadata.namespace`.
fn supported(plural: &str, field: &str) -> bool {
    if matches!(field, "metadata.name" | "metadata.namespace") {
        return true;
    }
    match plural {
        "pods" => matches!(
            field,
            "spec.nodeName"
                | "spec.restartPolicy"
                | "spec.schedulerName"
                | "spec.serviceAccountName"
                | "status.phase"
                | "status.podIP"
                | "status.nominatedNodeName"
        ),
        "events" => {
            field.starts_with("involvedObject.")
                || matches!(field, "reason" | "source" | "type" | "reportingComponent")
        }
        "secrets" => field == "type",
        "nodes" => field == "spec.unschedulable",
        "jobs" => field == "status.successful",
        "namespaces" => field == "status.phase",
        _ => false,
    }
}

impl FieldSelector {
    pub fn parse(plural: &str, s: &str) -> KubeResult<Self> {
        let mut terms = Vec::new();
        for t in split_terms(s) {
            let (k, eq, v) = if let Some((k, v)) = t.split_once("!=") {
                (k, false, v)
            } else if let Some((k, v)) = t.split_once("==") {
                (k, true, v)
            } else if let Some((k, v)) = t.split_once('=') {
                (k, true, v)
            } else {
                return Err(KubeError::bad_request(format!(
                    "invalid selector: '{s}'; can't understand '{t}'"
                )));
            };
            let k = k.trim();
            if !supported(plural, k) {
                return Err(KubeError::bad_request(format!(
                    "field label not supported: {k}"
                )));
            }
            terms.push((k.to_string(), eq, v.trim().to_string()));
        }
        Ok(Self(terms))
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.0.iter().all(|(k, eq, v)| {
            let got = k
                .split('.')
                .try_fold(obj, |o, p| o.get(p))
                .map(|x| match x {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
                .unwrap_or_default();
            (got == *v) == *eq
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_selectors_match_like_kubernetes() {
        let o = json!({"metadata": {"labels": {"app": "a", "tier": "web"}}});
        for (s, want) in [
            ("app=a", true),
            ("app==a,tier!=db", true),
            ("app in (a, b)", true),
            ("app notin (a)", false),
            ("tier", true),
            ("!tier", false),
            ("app=b", false),
        ] {
            assert_eq!(LabelSelector::parse(s).unwrap().matches(&o), want, "{s}");
        }
        assert!(LabelSelector::parse("app in a").is_err());
    }

    #[test]
    fn field_selectors_reject_unsupported_fields() {
        assert!(FieldSelector::parse("configmaps", "data.x=1").is_err());
        let f = FieldSelector::parse("pods", "spec.nodeName=n1,status.phase!=Failed").unwrap();
        assert!(f.matches(&json!({"spec": {"nodeName": "n1"}, "status": {"phase": "Running"}})));
    }
}
