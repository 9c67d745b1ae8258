//! The writing verbs: create, update (replace), patch (merge, strategic merge, JSON patch,
//! server-side apply) and delete, each committed through one admission path (`commit`).

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::super::cluster;
use super::super::discovery;
use super::super::fields::{self, Entry};
use super::super::selectors::LabelSelector;
use super::super::status::{KubeError, KubeResult};
use super::super::store::{KubeState, res_key};
use super::{
    Ctx, Target, body_object, check_type, content_type, is_dns_subdomain, manager, server_metadata,
};
use crate::arm::errors::Reply;

pub(super) fn create(ks: &mut KubeState, ctx: &Ctx<'_>, t: &Target<'_>) -> KubeResult<Reply> {
    let mut obj = body_object(ctx.req)?;
    check_type(t, &obj)?;
    if obj["metadata"]["name"].as_str().unwrap_or("").is_empty()
        && let Some(prefix) = obj["metadata"]["generateName"].as_str()
    {
        let suffix: String = uuid::Uuid::new_v4().simple().to_string()[..5].to_string();
        obj["metadata"]["name"] = json!(format!("{prefix}{suffix}"));
    }
    let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
    if name.is_empty() {
        return Err(KubeError::invalid(
            t.def.kind,
            t.def.group,
            "",
            &[(
                "metadata.name".into(),
                "Required value: name or generateName is required".into(),
            )],
        ));
    }
    let api_version = t.def.api_version();
    let entries = fields::update(&json!({}), &obj, &manager(ctx.req), &api_version, &ctx.now);
    let stored = commit(ks, ctx, t, &name, None, obj, entries)?;
    Ok(Reply::json(StatusCode::CREATED, stored))
}

/// Validate and store a created or changed object; an unchanged one is returned as it was.
// One piece: the single admission path every write goes through (validation, defaults, versions,
// managed fields, store); kept together so no verb can skip a step.
fn commit(
    ks: &mut KubeState,
    ctx: &Ctx<'_>,
    t: &Target<'_>,
    name: &str,
    old: Option<&Value>,
    mut obj: Value,
    entries: Vec<Entry>,
) -> KubeResult<Value> {
    if !obj["metadata"].is_object() {
        obj["metadata"] = json!({});
    }
    obj["apiVersion"] = json!(t.def.api_version());
    obj["kind"] = json!(t.def.kind);
    obj["metadata"]["name"] = json!(name);
    match (t.ns, obj["metadata"]["namespace"].as_str()) {
        (Some(ns), Some(body_ns)) if ns != body_ns => {
            return Err(KubeError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        (Some(ns), _) => obj["metadata"]["namespace"] = json!(ns),
        (None, _) => {
            if let Some(m) = obj["metadata"].as_object_mut() {
                m.remove("namespace");
            }
        }
    }
    let mut causes = Vec::new();
    if !is_dns_subdomain(name) {
        causes.push((
            "metadata.name".to_string(),
            format!("Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
        ));
    }
    crate::kube::validate::object(t.def.plural, old, &obj, &mut causes);
    if !causes.is_empty() {
        return Err(KubeError::invalid(t.def.kind, t.def.group, name, &causes));
    }
    obj["metadata"]["managedFields"] = fields::render_entries(&entries);
    let key = t.key(name);
    match old {
        None => {
            if let Some(ns) = t.ns {
                let ns_obj = ks
                    .get(
                        &ctx.cluster,
                        &("namespaces".into(), String::new(), ns.into()),
                    )
                    .ok_or_else(|| KubeError::not_found("", "namespaces", ns))?;
                if ns_obj["status"]["phase"] == "Terminating" {
                    return Err(KubeError::new(
                        403,
                        "Forbidden",
                        format!(
                            "{} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                            t.def.plural
                        ),
                    ));
                }
            }
            if ks.get(&ctx.cluster, &key).is_some() {
                return Err(KubeError::already_exists(t.def.group, t.def.plural, name));
            }
            server_metadata(&mut obj, &ctx.now);
            crate::kube::validate::defaults(t.def.plural, &mut obj);
            if dry_run(ctx) {
                return Ok(obj);
            }
            Ok(ks.put(&ctx.cluster, key, obj, true))
        }
        Some(old) => {
            for k in [
                "uid",
                "creationTimestamp",
                "generation",
                "deletionTimestamp",
            ] {
                match old["metadata"].get(k) {
                    Some(v) => obj["metadata"][k] = v.clone(),
                    None => {
                        if let Some(m) = obj["metadata"].as_object_mut() {
                            m.remove(k);
                        }
                    }
                }
            }
            if old.get("status").is_some() && !discovery::subresources(t.def.plural).is_empty() {
                obj["status"] = old["status"].clone();
            }
            let mut a = obj.clone();
            let mut b = old.clone();
            for v in [&mut a, &mut b] {
                if let Some(m) = v["metadata"].as_object_mut() {
                    m.remove("resourceVersion");
                    m.remove("managedFields");
                }
            }
            if a == b && fields::entries(&obj) == fields::entries(old) {
                return Ok(old.clone());
            }
            if a.get("spec") != b.get("spec") {
                let g = old["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
                obj["metadata"]["generation"] = json!(g);
            }
            if dry_run(ctx) {
                return Ok(obj);
            }
            Ok(ks.put(&ctx.cluster, key, obj, false))
        }
    }
}

/// `dryRun=All`: validate and answer as if written, store nothing.
fn dry_run(ctx: &Ctx<'_>) -> bool {
    ctx.req.q("dryRun") == Some("All")
}

fn existing(ks: &KubeState, ctx: &Ctx<'_>, t: &Target<'_>, name: &str) -> KubeResult<Value> {
    ks.get(&ctx.cluster, &t.key(name))
        .cloned()
        .ok_or_else(|| KubeError::not_found(t.def.group, t.def.plural, name))
}

pub(super) fn replace(
    ks: &mut KubeState,
    ctx: &Ctx<'_>,
    t: &Target<'_>,
    name: &str,
    status_only: bool,
) -> KubeResult<Reply> {
    let obj = body_object(ctx.req)?;
    check_type(t, &obj)?;
    if obj["metadata"]["name"].as_str() != Some(name) {
        return Err(KubeError::bad_request(
            "the name of the object does not match the name on the URL",
        ));
    }
    let old = existing(ks, ctx, t, name)?;
    if let Some(rv) = obj["metadata"]["resourceVersion"].as_str()
        && Some(rv) != old["metadata"]["resourceVersion"].as_str()
    {
        return Err(conflict_modified(t, name));
    }
    let new = if status_only {
        let mut n = old.clone();
        n["status"] = obj["status"].clone();
        // Status writes go straight in: commit keeps the stored status for main-resource writes.
        return Ok(Reply::ok(ks.put(&ctx.cluster, t.key(name), n, false)));
    } else {
        obj
    };
    update_as_manager(ks, ctx, t, name, &old, new)
}

fn conflict_modified(t: &Target<'_>, name: &str) -> KubeError {
    KubeError::new(
        409,
        "Conflict",
        format!(
            "Operation cannot be fulfilled on {}{} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            t.def.plural,
            if t.def.group.is_empty() { String::new() } else { format!(".{}", t.def.group) }
        ),
    )
    .details(json!({"name": name, "group": t.def.group, "kind": t.def.plural}))
}

pub(super) fn patch(
    ks: &mut KubeState,
    ctx: &Ctx<'_>,
    t: &Target<'_>,
    name: &str,
    status_only: bool,
) -> KubeResult<Reply> {
    let ct = content_type(ctx.req);
    let force = ctx.req.q("force");
    if ct == "application/apply-patch+yaml" {
        return apply(ks, ctx, t, name, force == Some("true"));
    }
    if force.is_some() {
        return Err(patch_options_invalid(
            "force",
            "Forbidden: may not be specified for non-apply patch",
        ));
    }
    let old = existing(ks, ctx, t, name)?;
    let mut new = old.clone();
    match ct.as_str() {
        "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
            let p: Value = serde_json::from_slice(&ctx.req.body)
                .map_err(|e| KubeError::bad_request(format!("error decoding patch: {e}")))?;
            fields::merge_patch(&mut new, &p);
        }
        "application/json-patch+json" => {
            let p: Value = serde_json::from_slice(&ctx.req.body)
                .map_err(|e| KubeError::bad_request(format!("error decoding patch: {e}")))?;
            json_patch(&mut new, &p)?;
        }
        other => return Err(KubeError::unsupported_media(other)),
    }
    if new["metadata"]["name"].as_str() != Some(name) {
        return Err(KubeError::bad_request(
            "the name of the object does not match the name on the URL",
        ));
    }
    if status_only {
        let mut n = old.clone();
        n["status"] = new["status"].clone();
        return Ok(Reply::ok(ks.put(&ctx.cluster, t.key(name), n, false)));
    }
    update_as_manager(ks, ctx, t, name, &old, new)
}

fn patch_options_invalid(field: &str, why: &str) -> KubeError {
    KubeError::new(
        422,
        "Invalid",
        format!("PatchOptions.meta.k8s.io \"\" is invalid: {field}: {why}"),
    )
    .details(json!({"group": "meta.k8s.io", "kind": "PatchOptions",
        "causes": [{"reason": "FieldValueRequired", "message": why, "field": field}]}))
}

/// RFC 6902 add/remove/replace/test on JSON pointers.
fn json_patch(doc: &mut Value, ops: &Value) -> KubeResult<()> {
    let bad = |m: String| KubeError::new(422, "Invalid", m);
    for op in ops
        .as_array()
        .ok_or_else(|| bad("the JSON patch must be an array".into()))?
    {
        let path = op["path"].as_str().unwrap_or("");
        let (parent, last) = path.rsplit_once('/').unwrap_or(("", path));
        let last = last.replace("~1", "/").replace("~0", "~");
        match op["op"].as_str().unwrap_or("") {
            "test" => {
                if doc.pointer(path) != Some(&op["value"]) {
                    return Err(bad(format!("testing value {path} failed")));
                }
            }
            kind @ ("add" | "replace" | "remove") => {
                let target = doc
                    .pointer_mut(parent)
                    .ok_or_else(|| bad(format!("doc is missing path: \"{path}\"")))?;
                match target {
                    Value::Object(m) => {
                        if kind != "add" && !m.contains_key(&last) {
                            return Err(bad(format!("doc is missing key: {path}")));
                        }
                        if kind == "remove" {
                            m.remove(&last);
                        } else {
                            m.insert(last, op["value"].clone());
                        }
                    }
                    Value::Array(a) => {
                        let i = if last == "-" {
                            a.len()
                        } else {
                            last.parse().unwrap_or(usize::MAX)
                        };
                        match kind {
                            "add" if i <= a.len() => a.insert(i, op["value"].clone()),
                            "replace" if i < a.len() => a[i] = op["value"].clone(),
                            "remove" if i < a.len() => {
                                a.remove(i);
                            }
                            _ => return Err(bad(format!("index out of range: {path}"))),
                        }
                    }
                    _ => return Err(bad(format!("doc is missing path: \"{path}\""))),
                }
            }
            other => return Err(bad(format!("Unexpected kind: {other}"))),
        }
    }
    Ok(())
}

fn apply(
    ks: &mut KubeState,
    ctx: &Ctx<'_>,
    t: &Target<'_>,
    name: &str,
    force: bool,
) -> KubeResult<Reply> {
    let Some(manager) = ctx.req.q("fieldManager").filter(|m| !m.is_empty()) else {
        return Err(patch_options_invalid(
            "fieldManager",
            "Required value: is required for apply patch",
        ));
    };
    let applied: Value = serde_yaml_ng::from_slice(&ctx.req.body)
        .map_err(|e| KubeError::bad_request(format!("error decoding YAML: {e}")))?;
    if !applied.is_object() {
        return Err(KubeError::bad_request(
            "the applied configuration must be an object",
        ));
    }
    check_type(t, &applied)?;
    if applied["metadata"]["name"]
        .as_str()
        .is_some_and(|n| n != name)
    {
        return Err(KubeError::bad_request(
            "the name of the object does not match the name on the URL",
        ));
    }
    let old = ks.get(&ctx.cluster, &t.key(name)).cloned();
    let base = old.clone().unwrap_or_else(|| {
        json!({"apiVersion": t.def.api_version(), "kind": t.def.kind, "metadata": {"name": name}})
    });
    let api_version = t.def.api_version();
    let (obj, entries) =
        fields::apply(&base, &applied, manager, &api_version, force, &ctx.now).map_err(
            |conflicts| {
                let causes: Vec<Value> = conflicts
                    .iter()
                    .map(|c| json!({"type": "FieldManagerConflict", "message": format!("conflict with \"{}\" using {api_version}", c.manager), "field": c.field()}))
                    .collect();
                let message = if let [c] = conflicts.as_slice() {
                    format!(
                        "Apply failed with 1 conflict: conflict with \"{}\" using {api_version}: {}",
                        c.manager,
                        c.field()
                    )
                } else {
                    let list: Vec<String> = conflicts
                        .iter()
                        .map(|c| format!("conflict with \"{}\" using {api_version}: {}", c.manager, c.field()))
                        .collect();
                    format!(
                        "Apply failed with {} conflicts: {}",
                        conflicts.len(),
                        list.join("\n")
                    )
                };
                KubeError::new(409, "Conflict", message).details(json!({"causes": causes}))
            },
        )?;
    let created = old.is_none();
    let stored = commit(ks, ctx, t, name, old.as_ref(), obj, entries)?;
    Ok(Reply::upserted(created, stored))
}

pub(super) fn delete(
    ks: &mut KubeState,
    ctx: &Ctx<'_>,
    t: &Target<'_>,
    name: &str,
) -> KubeResult<Reply> {
    let mut old = existing(ks, ctx, t, name)?;
    if dry_run(ctx) {
        return Ok(Reply::ok(old));
    }
    if t.def.plural == "namespaces" {
        if cluster::BUILTIN_NAMESPACES.contains(&name) {
            return Err(KubeError::new(
                403,
                "Forbidden",
                format!("namespaces \"{name}\" is forbidden: this namespace may not be deleted"),
            ));
        }
        if old["status"]["phase"] != "Terminating" {
            old["status"]["phase"] = json!("Terminating");
            old["metadata"]["deletionTimestamp"] = json!(ctx.now);
            old = ks.put(&ctx.cluster, t.key(name), old, false);
        }
        if let Some(c) = ks.clusters.get_mut(&ctx.cluster) {
            c.terminating
                .insert(name.to_string(), std::time::Instant::now());
        }
        return Ok(Reply::ok(old));
    }
    let gone = ks.delete(&ctx.cluster, &t.key(name)).unwrap_or(old);
    if t.def.plural == "pods" {
        return Ok(Reply::ok(gone));
    }
    Ok(Reply::ok(json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
        "details": {"name": name, "group": t.def.group, "kind": t.def.plural, "uid": gone["metadata"]["uid"]}
    })))
}

pub(super) fn delete_collection(
    ks: &mut KubeState,
    ctx: &Ctx<'_>,
    t: &Target<'_>,
) -> KubeResult<Reply> {
    if t.def.plural == "namespaces" || t.def.plural == "nodes" {
        return Err(KubeError::method_not_allowed());
    }
    let labels = match ctx.req.q("labelSelector") {
        Some(s) => LabelSelector::parse(s)?,
        None => LabelSelector::default(),
    };
    let res = res_key(t.def.group, t.def.plural);
    let doomed: Vec<Value> = ks
        .list(&ctx.cluster, &res, t.ns)
        .into_iter()
        .filter(|o| labels.matches(o))
        .collect();
    let mut items = Vec::new();
    for o in doomed {
        let key = (
            res.clone(),
            o["metadata"]["namespace"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            o["metadata"]["name"].as_str().unwrap_or("").to_string(),
        );
        if let Some(v) = ks.delete(&ctx.cluster, &key) {
            items.push(v);
        }
    }
    Ok(Reply::ok(json!({
        "kind": format!("{}List", t.def.kind), "apiVersion": t.def.api_version(),
        "metadata": {"resourceVersion": ks.current_rv().to_string()}, "items": items
    })))
}

/// A non-apply write: the request's manager takes the fields it changed (operation Update).
fn update_as_manager(
    ks: &mut KubeState,
    ctx: &Ctx<'_>,
    t: &Target<'_>,
    name: &str,
    old: &Value,
    new: Value,
) -> KubeResult<Reply> {
    let entries = fields::update(old, &new, &manager(ctx.req), &t.def.api_version(), &ctx.now);
    let stored = commit(ks, ctx, t, name, Some(old), new, entries)?;
    Ok(Reply::ok(stored))
}
