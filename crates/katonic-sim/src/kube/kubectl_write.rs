//! The writing half of the Run Command pod's kubectl: server-side `apply -f` of the context's
//! files, `delete` and `patch`.

use axum::http::Method;
use serde_json::{Value, json};

use super::discovery::{RESOURCES, ResDef};
use super::kubectl::{Flags, Pod, call, path, resolve};

/// `kind.group/name` as kubectl names an object in its messages.
fn object_name(def: &ResDef, name: &str) -> String {
    if def.group.is_empty() {
        format!("{}/{name}", def.singular)
    } else {
        format!("{}.{}/{name}", def.singular, def.group)
    }
}

/// The documents of `-f <file or directory>` from the command's context, in name order.
fn documents(pod: &Pod<'_>, target: &str) -> Result<Vec<Value>, String> {
    let prefix = format!("{}/", target.trim_end_matches('/'));
    let names: Vec<&String> = match pod.files.contains_key(target) {
        true => pod.files.keys().filter(|k| *k == target).collect(),
        false => pod
            .files
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .filter(|k| [".yaml", ".yml", ".json"].iter().any(|e| k.ends_with(e)))
            .collect(),
    };
    if names.is_empty() {
        return Err(format!("error: the path \"{target}\" does not exist\n"));
    }
    let mut docs = Vec::new();
    for name in names {
        let text = &pod.files[name];
        for doc in serde_yaml_ng::Deserializer::from_slice(text) {
            let v: Value = serde::Deserialize::deserialize(doc)
                .map_err(|e| format!("error: error parsing {name}: {e}\n"))?;
            if !v.is_null() {
                docs.push(v);
            }
        }
    }
    Ok(docs)
}

pub(super) fn apply(pod: &Pod<'_>, f: &Flags<'_>) -> Result<String, String> {
    let target = f
        .get("filename")
        .ok_or("error: must specify one of -f and -k\n")?;
    if !f.on("server-side") {
        return Err(
            "error: this kubectl applies server-side only here (add --server-side)\n".into(),
        );
    }
    let manager = f.get("field-manager").unwrap_or("kubectl");
    let mut out = String::new();
    for doc in documents(pod, target)? {
        let kind = doc["kind"].as_str().unwrap_or("");
        let def = RESOURCES
            .iter()
            .find(|d| d.kind == kind && d.api_version() == doc["apiVersion"].as_str().unwrap_or(""))
            .ok_or_else(|| {
                format!(
                    "{out}error: resource mapping not found for kind \"{kind}\": ensure CRDs are installed first\n"
                )
            })?;
        let name = doc["metadata"]["name"].as_str().unwrap_or("");
        let ns = doc["metadata"]["namespace"]
            .as_str()
            .or(f.get("namespace"))
            .unwrap_or("default");
        let mut query = vec![("fieldManager", manager)];
        if f.on("force-conflicts") {
            query.push(("force", "true"));
        }
        let answer = call(
            pod,
            Method::PATCH,
            &path(pod, def, Some(ns), Some(name)),
            &query,
            Some("application/apply-patch+yaml"),
            serde_json::to_vec(&doc).unwrap_or_default(),
        );
        if answer.status >= 300 {
            return Err(format!("{out}{}", answer.error()));
        }
        out.push_str(&format!("{} serverside-applied\n", object_name(def, name)));
    }
    Ok(out)
}

pub(super) fn delete(pod: &Pod<'_>, f: &Flags<'_>) -> Result<String, String> {
    let (Some(resource), Some(name)) = (f.positional.first(), f.positional.get(1)) else {
        return Err("error: resource(s) were provided, but no name was specified\n".into());
    };
    let def = resolve(resource)?;
    let ns = f.get("namespace").unwrap_or("default");
    let mut body =
        json!({"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"});
    if let Some(g) = f.get("grace-period").and_then(|g| g.parse::<i64>().ok()) {
        body["gracePeriodSeconds"] = json!(g.max(0));
    }
    let answer = call(
        pod,
        Method::DELETE,
        &path(pod, def, Some(ns), Some(name)),
        &[],
        Some("application/json"),
        serde_json::to_vec(&body).unwrap_or_default(),
    );
    if answer.status == 404 && f.on("ignore-not-found") {
        return Ok(String::new());
    }
    if answer.status >= 300 {
        return Err(answer.error());
    }
    Ok(format!("{} \"{name}\" deleted\n", def.singular))
}

pub(super) fn patch(pod: &Pod<'_>, f: &Flags<'_>) -> Result<String, String> {
    let (Some(resource), Some(name)) = (f.positional.first(), f.positional.get(1)) else {
        return Err("error: resource(s) were provided, but no name was specified\n".into());
    };
    let def = resolve(resource)?;
    let content_type = match f.get("type").unwrap_or("strategic") {
        "merge" => "application/merge-patch+json",
        "json" => "application/json-patch+json",
        "strategic" => "application/strategic-merge-patch+json",
        other => {
            return Err(format!(
                "error: --type must be one of [json merge strategic], not \"{other}\"\n"
            ));
        }
    };
    let body = f
        .get("patch")
        .ok_or("error: must specify --patch or --patch-file\n")?;
    let ns = f.get("namespace").unwrap_or("default");
    let answer = call(
        pod,
        Method::PATCH,
        &path(pod, def, Some(ns), Some(name)),
        &[("fieldManager", "kubectl-patch")],
        Some(content_type),
        body.as_bytes().to_vec(),
    );
    if answer.status >= 300 {
        return Err(answer.error());
    }
    Ok(format!("{} patched\n", object_name(def, name)))
}
