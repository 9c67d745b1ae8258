//! Field ownership (`metadata.managedFields`, fieldsV1) at the level of leaf paths, and the
//! server-side apply merge. Lists are atomic leaves: a simplification of the real structured
//! merge, which merges lists with merge keys (containers by name) element by element.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// A path of map keys from the object root to a leaf.
pub(crate) type Path = Vec<String>;

/// One `managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub fields: BTreeSet<Path>,
}

/// Metadata the server owns; never part of anyone's field set.
const SERVER_META: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "generation",
    "managedFields",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
];

/// Leaf paths of an object a manager sets (apiVersion, kind, status and server metadata excluded).
pub(crate) fn leaves(obj: &Value) -> BTreeSet<Path> {
    let mut out = BTreeSet::new();
    let Some(map) = obj.as_object() else {
        return out;
    };
    for (k, v) in map {
        match k.as_str() {
            "apiVersion" | "kind" | "status" => {}
            "metadata" => {
                if let Some(meta) = v.as_object() {
                    for (mk, mv) in meta {
                        if !SERVER_META.contains(&mk.as_str()) {
                            walk(mv, vec!["metadata".into(), mk.clone()], &mut out);
                        }
                    }
                }
            }
            _ => walk(v, vec![k.clone()], &mut out),
        }
    }
    out
}

fn walk(v: &Value, path: Path, out: &mut BTreeSet<Path>) {
    match v.as_object() {
        Some(m) if !m.is_empty() => {
            for (k, child) in m {
                let mut p = path.clone();
                p.push(k.clone());
                walk(child, p, out);
            }
        }
        _ => {
            out.insert(path);
        }
    }
}

pub(crate) fn get<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(obj, |v, k| v.get(k))
}

pub(crate) fn set(obj: &mut Value, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = obj;
    for k in parents {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Some(m) = cur.as_object_mut() else {
            return;
        };
        cur = m.entry(k.clone()).or_insert_with(|| json!({}));
    }
    if !cur.is_object() {
        *cur = Value::Object(Map::new());
    }
    if let Some(m) = cur.as_object_mut() {
        m.insert(last.clone(), value);
    }
}

/// Remove a leaf and any maps it leaves empty.
pub(crate) fn remove(obj: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    if let Some(parent) = parents
        .iter()
        .try_fold(&mut *obj, |v, k| v.get_mut(k))
        .and_then(Value::as_object_mut)
    {
        parent.remove(last);
        if parent.is_empty() && !parents.is_empty() {
            remove(obj, parents);
        }
    }
}

/// fieldsV1 JSON (`{"f:data":{"f:key":{}}}`) for a set of paths.
pub(crate) fn to_fields_v1(paths: &BTreeSet<Path>) -> Value {
    let mut root = json!({});
    for p in paths {
        let keys: Vec<String> = p.iter().map(|k| format!("f:{k}")).collect();
        let mut cur = &mut root;
        for k in keys {
            let Some(m) = cur.as_object_mut() else { break };
            cur = m.entry(k).or_insert_with(|| json!({}));
        }
    }
    root
}

/// Paths of a fieldsV1 document (`.` markers and non-`f:` keys are ignored).
pub(crate) fn from_fields_v1(v: &Value) -> BTreeSet<Path> {
    fn go(v: &Value, path: Path, out: &mut BTreeSet<Path>) {
        let children: Vec<(&String, &Value)> = v
            .as_object()
            .map(|m| m.iter().filter(|(k, _)| k.starts_with("f:")).collect())
            .unwrap_or_default();
        if children.is_empty() {
            if !path.is_empty() {
                out.insert(path);
            }
            return;
        }
        for (k, child) in children {
            let mut p = path.clone();
            p.push(k[2..].to_string());
            go(child, p, out);
        }
    }
    let mut out = BTreeSet::new();
    go(v, Vec::new(), &mut out);
    out
}

/// The entries in an object's `metadata.managedFields`.
pub(crate) fn entries(obj: &Value) -> Vec<Entry> {
    obj.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|e| Entry {
                    manager: e["manager"].as_str().unwrap_or("").to_string(),
                    operation: e["operation"].as_str().unwrap_or("Update").to_string(),
                    api_version: e["apiVersion"].as_str().unwrap_or("").to_string(),
                    time: e["time"].as_str().unwrap_or("").to_string(),
                    fields: from_fields_v1(&e["fieldsV1"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn render_entries(list: &[Entry]) -> Value {
    Value::Array(
        list.iter()
            .filter(|e| !e.fields.is_empty())
            .map(|e| {
                json!({
                    "manager": e.manager,
                    "operation": e.operation,
                    "apiVersion": e.api_version,
                    "time": e.time,
                    "fieldsType": "FieldsV1",
                    "fieldsV1": to_fields_v1(&e.fields),
                })
            })
            .collect(),
    )
}

/// A field another manager owns with a different value than the applied one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Conflict {
    pub manager: String,
    pub path: Path,
}

impl Conflict {
    /// `.data.key`, as the API server names fields in conflicts.
    pub fn field(&self) -> String {
        self.path.iter().map(|k| format!(".{k}")).collect()
    }
}

/// Server-side apply of `applied` by `manager` onto `current` (empty object on create).
/// Returns the new object (without managedFields) and the new entries, or the conflicts.
pub(crate) fn apply(
    current: &Value,
    applied: &Value,
    manager: &str,
    api_version: &str,
    force: bool,
    now: &str,
) -> Result<(Value, Vec<Entry>), Vec<Conflict>> {
    let mut list = entries(current);
    let set = leaves(applied);
    let mut conflicts = Vec::new();
    for e in &list {
        if e.manager == manager && e.operation == "Apply" {
            continue;
        }
        for p in set.intersection(&e.fields) {
            if get(current, p) != get(applied, p) {
                conflicts.push(Conflict {
                    manager: e.manager.clone(),
                    path: p.clone(),
                });
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflicts);
    }
    for c in &conflicts {
        for e in list.iter_mut().filter(|e| e.manager == c.manager) {
            e.fields.remove(&c.path);
        }
    }
    let mut obj = current.clone();
    let previous = list
        .iter()
        .find(|e| e.manager == manager && e.operation == "Apply")
        .map(|e| e.fields.clone())
        .unwrap_or_default();
    for p in previous.difference(&set) {
        let owned_elsewhere = list
            .iter()
            .any(|e| !(e.manager == manager && e.operation == "Apply") && e.fields.contains(p));
        if !owned_elsewhere {
            remove(&mut obj, p);
        }
    }
    for p in &set {
        if let Some(v) = get(applied, p) {
            set_leaf(&mut obj, p, v.clone());
        }
    }
    let changed = previous != set;
    match list
        .iter_mut()
        .find(|e| e.manager == manager && e.operation == "Apply")
    {
        Some(e) => {
            if changed {
                e.time = now.to_string();
            }
            e.fields = set;
            e.api_version = api_version.to_string();
        }
        None => list.push(Entry {
            manager: manager.to_string(),
            operation: "Apply".into(),
            api_version: api_version.to_string(),
            time: now.to_string(),
            fields: set,
        }),
    }
    list.retain(|e| !e.fields.is_empty());
    Ok((obj, list))
}

fn set_leaf(obj: &mut Value, path: &[String], value: Value) {
    // An empty map applied as a leaf must not wipe children owned by others.
    if value.as_object().is_some_and(Map::is_empty) && get(obj, path).is_some_and(Value::is_object)
    {
        return;
    }
    set(obj, path, value);
}

/// Ownership after a non-apply write (create, update, patch) by `manager`: changed and new
/// leaves move to it, removed leaves leave every set.
pub(crate) fn update(
    old: &Value,
    new: &Value,
    manager: &str,
    api_version: &str,
    now: &str,
) -> Vec<Entry> {
    let mut list = entries(old);
    let old_leaves = leaves(old);
    let new_leaves = leaves(new);
    let changed: BTreeSet<Path> = new_leaves
        .iter()
        .filter(|p| get(old, p) != get(new, p))
        .cloned()
        .collect();
    for e in list.iter_mut() {
        e.fields.retain(|p| new_leaves.contains(p));
        if !(e.manager == manager && e.operation == "Update") {
            e.fields.retain(|p| !changed.contains(p));
        }
    }
    let _ = old_leaves;
    if !changed.is_empty() {
        match list
            .iter_mut()
            .find(|e| e.manager == manager && e.operation == "Update")
        {
            Some(e) => {
                e.fields.extend(changed);
                e.time = now.to_string();
                e.api_version = api_version.to_string();
            }
            None => list.push(Entry {
                manager: manager.to_string(),
                operation: "Update".into(),
                api_version: api_version.to_string(),
                time: now.to_string(),
                fields: changed,
            }),
        }
    }
    list.retain(|e| !e.fields.is_empty());
    list
}

/// RFC 7386 JSON merge patch (also used for strategic merge patch: maps merge, lists replace).
pub(crate) fn merge_patch(target: &mut Value, patch: &Value) {
    let Some(p) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    if let Some(t) = target.as_object_mut() {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_v1_round_trips() {
        let obj = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "labels": {"app": "a"}}, "data": {"k": "v", "l": "w"}});
        let set = leaves(&obj);
        let f = to_fields_v1(&set);
        assert_eq!(
            f,
            json!({"f:data": {"f:k": {}, "f:l": {}}, "f:metadata": {"f:labels": {"f:app": {}}}})
        );
        assert_eq!(from_fields_v1(&f), set);
    }

    #[test]
    fn apply_conflicts_then_forces_and_drops_unapplied_fields() {
        let base = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}});
        let a = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"k": "1", "m": "2"}});
        let (mut obj, list) = apply(&base, &a, "a", "v1", false, "t").unwrap();
        obj["metadata"]["managedFields"] = render_entries(&list);
        let b = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"k": "9"}});
        let err = apply(&obj, &b, "b", "v1", false, "t").unwrap_err();
        assert_eq!(err[0].manager, "a");
        assert_eq!(err[0].field(), ".data.k");
        let (mut obj, list) = apply(&obj, &b, "b", "v1", true, "t").unwrap();
        assert_eq!(obj["data"]["k"], "9");
        obj["metadata"]["managedFields"] = render_entries(&list);
        // a stops applying m: it goes; k is b's now and stays.
        let a2 = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}});
        let (obj, _) = apply(&obj, &a2, "a", "v1", false, "t").unwrap();
        assert_eq!(obj["data"], json!({"k": "9"}));
    }
}
