//! Reading and writing an [`InstallDocument`] by field path (`cluster.network.vnetCidr`), so the
//! wizard's form fields, the document's keys and the spec's error paths are one and the same.
//!
//! Goes through `serde_json::Value`: the document's own serde names are the path segments, so a
//! path that is not a document field fails to deserialize instead of being silently dropped.

use katonic_domain::spec::InstallDocument;
use serde_json::{Map, Value};

/// Values to write at paths; `None` removes the key (an empty form field means "not given").
#[derive(Debug, Clone)]
pub enum FieldValue {
    Text(Option<String>),
    Bool(bool),
    List(Vec<String>),
    Remove,
}

/// Write `updates` into `doc`.
pub fn apply(
    doc: &InstallDocument,
    updates: &[(&str, FieldValue)],
) -> Result<InstallDocument, serde_json::Error> {
    let mut root = serde_json::to_value(doc)?;
    for (path, value) in updates {
        let json = match value {
            FieldValue::Text(Some(text)) => Some(Value::String(text.clone())),
            FieldValue::Text(None) | FieldValue::Remove => None,
            FieldValue::Bool(b) => Some(Value::Bool(*b)),
            FieldValue::List(items) if items.is_empty() => None,
            FieldValue::List(items) => Some(Value::Array(
                items.iter().cloned().map(Value::String).collect(),
            )),
        };
        set(&mut root, path, json);
    }
    serde_json::from_value(root)
}

/// The value at `path` as the form shows it (`""` when absent).
pub fn get(doc: &InstallDocument, path: &str) -> String {
    lookup(doc, path).map(|v| display(&v)).unwrap_or_default()
}

/// The list at `path` (zones), each item as text.
pub fn get_list(doc: &InstallDocument, path: &str) -> Vec<String> {
    match lookup(doc, path) {
        Some(Value::Array(items)) => items.iter().map(display).collect(),
        _ => Vec::new(),
    }
}

/// Whether `path` holds `true` (checkboxes) or, for objects, is present at all (optional pools).
pub fn is_on(doc: &InstallDocument, path: &str) -> bool {
    match lookup(doc, path) {
        Some(Value::Bool(b)) => b,
        Some(Value::Object(_)) => true,
        _ => false,
    }
}

fn lookup(doc: &InstallDocument, path: &str) -> Option<Value> {
    let root = serde_json::to_value(doc).ok()?;
    path.split('.')
        .try_fold(&root, |node, key| node.get(key))
        .cloned()
}

fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn set(root: &mut Value, path: &str, value: Option<Value>) {
    let mut node = root;
    let mut keys = path.split('.').peekable();
    while let Some(key) = keys.next() {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let Value::Object(map) = node else { return };
        if keys.peek().is_none() {
            match value {
                Some(v) => {
                    map.insert(key.to_string(), v);
                }
                None => {
                    map.remove(key);
                }
            }
            return;
        }
        node = map
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_and_get_nested_values() {
        let doc = InstallDocument::default();
        let doc = apply(
            &doc,
            &[
                (
                    "cluster.network.vnetCidr",
                    FieldValue::Text(Some("10.1.0.0/16".into())),
                ),
                (
                    "cluster.nodePools.compute.max",
                    FieldValue::Text(Some("4".into())),
                ),
                (
                    "cluster.zones",
                    FieldValue::List(vec!["1".into(), "3".into()]),
                ),
                ("addons.superset", FieldValue::Bool(true)),
            ],
        )
        .unwrap();
        assert_eq!(get(&doc, "cluster.network.vnetCidr"), "10.1.0.0/16");
        assert_eq!(get(&doc, "cluster.nodePools.compute.max"), "4");
        assert_eq!(get_list(&doc, "cluster.zones"), vec!["1", "3"]);
        assert!(is_on(&doc, "addons.superset"));
        assert!(is_on(&doc, "cluster.nodePools.compute"));
        assert!(!is_on(&doc, "cluster.nodePools.gpu"));
    }

    #[test]
    fn empty_text_removes_and_unknown_paths_fail() {
        let doc = apply(
            &InstallDocument::default(),
            &[("name", FieldValue::Text(Some("x".into())))],
        )
        .unwrap();
        let doc = apply(&doc, &[("name", FieldValue::Text(None))]).unwrap();
        assert_eq!(doc.name, None);
        assert!(apply(&doc, &[("cluster.nope", FieldValue::Bool(true))]).is_err());
    }
}
