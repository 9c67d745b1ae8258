//! Path parsing, authentication and the verbs: get, list, create, update, patch (merge,
//! strategic merge, JSON patch, server-side apply) and delete.

use axum::http::Method;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use super::auth;
use super::cluster::{self, ClusterInfo};
use super::discovery::{self, ResDef};
use super::fields;
use super::selectors::{FieldSelector, LabelSelector};
use super::status::{KubeError, KubeResult};
use super::store::{Key, KubeState, res_key};
use crate::arm::errors::Reply;
use crate::server::{Req, Shared};

mod write;

use write::{create, delete, delete_collection, patch, replace};

/// What every handler needs.
pub(crate) struct Ctx<'a> {
    pub req: &'a Req,
    pub info: ClusterInfo,
    /// Store key of the cluster (its ARM id, lower case).
    pub cluster: String,
    pub now: String,
}

/// Find the cluster and authenticate.
fn context<'a>(shared: &Shared, req: &'a Req) -> KubeResult<Ctx<'a>> {
    let name = req.segs.get(1).ok_or_else(KubeError::no_route)?;
    let info = {
        let mut st = shared.lock();
        // Operations that came due finish first, as on an ARM request: a cluster whose create
        // is over is served, a pool scaled by a finished update has its nodes.
        if crate::arm::lro::settle(shared, &mut st, req.now)
            && let Err(e) = shared.store.save(&st)
        {
            tracing::warn!(error = %e, "cannot save simulator state");
        }
        let info = cluster::find(&st, name).ok_or_else(KubeError::no_route)?;
        // Entra tokens and Azure role assignments live in the ARM state.
        let caller = auth::authenticate(&st, req, &info)?;
        auth::authorize(&st, req, &info, &caller)?;
        info
    };
    let now = req
        .now
        .replace_nanosecond(0)
        .unwrap_or(req.now)
        .format(&Rfc3339)
        .unwrap_or_default();
    Ok(Ctx {
        req,
        cluster: info.id.to_ascii_lowercase(),
        info,
        now,
    })
}

/// Context and target of a resource request (watch and log streams).
pub(crate) fn begin<'a>(shared: &Shared, req: &'a Req) -> KubeResult<(Ctx<'a>, Target<'a>)> {
    let ctx = context(shared, req)?;
    let rest: Vec<&'a str> = req.segs[2..].iter().map(String::as_str).collect();
    let t = match rest.as_slice() {
        ["api", "v1", tail @ ..] if !tail.is_empty() => parse("", "v1", tail)?,
        ["apis", g, v, tail @ ..] if !tail.is_empty() => parse(g, v, tail)?,
        _ => return Err(KubeError::no_route()),
    };
    Ok((ctx, t))
}

pub(crate) fn handle(shared: &Shared, req: &Req, effects: &super::Effects) -> KubeResult<Reply> {
    let ctx = context(shared, req)?;
    let mut ks = super::lock(shared);
    prepare(&mut ks, &ctx);
    let rest: Vec<&str> = req.segs[2..].iter().map(String::as_str).collect();
    let server = format!("{}/kubernetes/{}", shared.base, ctx.info.name);
    match rest.as_slice() {
        ["version"] => Ok(Reply::ok(discovery::version(&ctx.info.version))),
        ["api"] => Ok(Reply::ok(discovery::api_versions(&server))),
        ["apis"] => Ok(Reply::ok(discovery::group_list())),
        ["api", "v1"] => Ok(Reply::ok(
            discovery::resource_list("", "v1").ok_or_else(KubeError::no_route)?,
        )),
        ["apis", g, v] => Ok(Reply::ok(
            discovery::resource_list(g, v).ok_or_else(KubeError::no_route)?,
        )),
        ["api", "v1", tail @ ..] => marked(&mut ks, &ctx, "", "v1", tail, effects),
        ["apis", g, v, tail @ ..] => marked(&mut ks, &ctx, g, v, tail, effects),
        _ => Err(KubeError::no_route()),
    }
}

/// A resource request; a Job or Service it writes carries the request's fault effects.
fn marked(
    ks: &mut KubeState,
    ctx: &Ctx<'_>,
    group: &str,
    version: &str,
    tail: &[&str],
    effects: &super::Effects,
) -> KubeResult<Reply> {
    let reply = resource(ks, ctx, group, version, tail)?;
    // Every write is marked or unmarked: a Service written again once the fault plan no
    // longer matches gets its address, as AKS's cloud controller retries after the admin fixed
    // the cause.
    let write = !matches!(ctx.req.method.as_str(), "GET" | "HEAD");
    if write && let crate::arm::errors::Body::Json(obj) = &reply.body {
        super::controllers::mark(
            ks,
            &ctx.cluster,
            obj,
            effects.fail_job.as_deref(),
            effects.no_load_balancer,
            reply.status == axum::http::StatusCode::CREATED,
        );
    }
    Ok(reply)
}

/// Seed a new cluster, make nodes follow the pools, finish namespace deletions.
pub(crate) fn prepare(ks: &mut KubeState, ctx: &Ctx<'_>) {
    let fresh = ks
        .clusters
        .get(&ctx.cluster)
        .is_none_or(|c| c.incarnation != ctx.info.incarnation);
    if fresh {
        let store = ks.clusters.entry(ctx.cluster.clone()).or_default();
        *store = Default::default();
        store.incarnation = ctx.info.incarnation.clone();
        for ns in cluster::BUILTIN_NAMESPACES {
            seed(
                ks,
                &ctx.cluster,
                &ctx.now,
                "namespaces",
                cluster::namespace(ns),
                "kube-apiserver",
            );
        }
        for sc in cluster::storage_classes() {
            seed(
                ks,
                &ctx.cluster,
                &ctx.now,
                "storageclasses.storage.k8s.io",
                sc,
                "addon-manager",
            );
        }
    }
    sync_nodes(ks, &ctx.cluster, &ctx.info, &ctx.now);
    let done: Vec<String> = ks
        .clusters
        .get_mut(&ctx.cluster)
        .map(|c| std::mem::take(&mut c.terminating).into_keys().collect())
        .unwrap_or_default();
    for ns in done {
        let keys: Vec<Key> = ks
            .clusters
            .get(&ctx.cluster)
            .map(|c| {
                c.objects
                    .keys()
                    .filter(|(_, n, _)| *n == ns)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        for k in keys {
            ks.delete(&ctx.cluster, &k);
        }
        ks.delete(&ctx.cluster, &("namespaces".into(), String::new(), ns));
    }
}

/// Nodes follow the agent pools: new ones are added, gone ones deleted, labels and taints kept
/// in step (AKS applies a pool's `nodeTaints` update to its nodes).
pub(crate) fn sync_nodes(ks: &mut KubeState, cluster: &str, info: &ClusterInfo, now: &str) {
    let wanted = cluster::nodes(info, now);
    let existing: Vec<Key> = ks
        .clusters
        .get(cluster)
        .map(|c| {
            c.objects
                .keys()
                .filter(|(r, _, _)| r == "nodes")
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    for key in &existing {
        if !wanted.iter().any(|(n, _)| *n == key.2) {
            ks.delete(cluster, key);
        }
    }
    for (name, node) in wanted {
        let key = ("nodes".to_string(), String::new(), name);
        match ks.get(cluster, &key) {
            None => seed(ks, cluster, now, "nodes", node, "kubelet"),
            Some(old)
                if old["metadata"]["labels"] != node["metadata"]["labels"]
                    || old["spec"]["taints"] != node["spec"]["taints"] =>
            {
                let mut new = old.clone();
                new["metadata"]["labels"] = node["metadata"]["labels"].clone();
                match node["spec"].get("taints") {
                    Some(taints) => new["spec"]["taints"] = taints.clone(),
                    None => {
                        if let Some(spec) = new["spec"].as_object_mut() {
                            spec.remove("taints");
                        }
                    }
                }
                ks.put(cluster, key, new, false);
            }
            Some(_) => {}
        }
    }
}

/// Store a system object as if `manager` had created it.
fn seed(ks: &mut KubeState, cluster: &str, now: &str, res: &str, mut obj: Value, manager: &str) {
    let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
    let api_version = obj["apiVersion"].as_str().unwrap_or("v1").to_string();
    let entries = fields::update(&json!({}), &obj, manager, &api_version, now);
    server_metadata(&mut obj, now);
    obj["metadata"]["managedFields"] = fields::render_entries(&entries);
    ks.put(cluster, (res.to_string(), String::new(), name), obj, true);
}

fn server_metadata(obj: &mut Value, now: &str) {
    obj["metadata"]["uid"] = json!(uuid::Uuid::new_v4().to_string());
    obj["metadata"]["creationTimestamp"] = json!(now);
    if obj.get("spec").is_some() {
        obj["metadata"]["generation"] = json!(1);
    }
}

/// A parsed resource path.
pub(crate) struct Target<'a> {
    pub def: &'static ResDef,
    pub ns: Option<&'a str>,
    pub name: Option<&'a str>,
    pub sub: Option<&'a str>,
}

impl Target<'_> {
    pub fn key(&self, name: &str) -> Key {
        (
            res_key(self.def.group, self.def.plural),
            self.ns.unwrap_or("").to_string(),
            name.to_string(),
        )
    }
}

fn parse<'a>(group: &str, version: &str, tail: &[&'a str]) -> KubeResult<Target<'a>> {
    let (ns, rest) = match tail {
        ["namespaces", ns, plural, rest @ ..]
            if discovery::find(group, version, plural).is_some_and(|d| d.namespaced) =>
        {
            let mut all = vec![*plural];
            all.extend_from_slice(rest);
            (Some(*ns), all)
        }
        _ => (None, tail.to_vec()),
    };
    let plural = rest.first().ok_or_else(KubeError::no_route)?;
    let def = discovery::find(group, version, plural).ok_or_else(KubeError::no_route)?;
    if rest.len() > 3 || (!def.namespaced && ns.is_some()) {
        return Err(KubeError::no_route());
    }
    let name = rest.get(1).copied();
    let sub = rest.get(2).copied();
    if let Some(s) = sub
        && !discovery::subresources(def.plural).contains(&s)
    {
        return Err(KubeError::no_route());
    }
    if def.namespaced && name.is_some() && ns.is_none() {
        return Err(KubeError::no_route());
    }
    Ok(Target { def, ns, name, sub })
}

fn resource(
    ks: &mut KubeState,
    ctx: &Ctx<'_>,
    group: &str,
    version: &str,
    tail: &[&str],
) -> KubeResult<Reply> {
    let t = parse(group, version, tail)?;
    let m = &ctx.req.method;
    match (t.name, t.sub) {
        (None, _) if *m == Method::GET => list(ks, ctx, &t),
        (None, _) if *m == Method::POST => create(ks, ctx, &t),
        (None, _) if *m == Method::DELETE => delete_collection(ks, ctx, &t),
        (Some(name), None | Some("status")) if *m == Method::GET => {
            let obj = ks
                .get(&ctx.cluster, &t.key(name))
                .ok_or_else(|| KubeError::not_found(t.def.group, t.def.plural, name))?;
            Ok(Reply::ok(obj.clone()))
        }
        (Some(name), sub) if *m == Method::PUT => replace(ks, ctx, &t, name, sub.is_some()),
        (Some(name), sub) if *m == Method::PATCH => patch(ks, ctx, &t, name, sub.is_some()),
        (Some(name), None) if *m == Method::DELETE => delete(ks, ctx, &t, name),
        _ => Err(KubeError::method_not_allowed()),
    }
}

fn list(ks: &KubeState, ctx: &Ctx<'_>, t: &Target<'_>) -> KubeResult<Reply> {
    let labels = match ctx.req.q("labelSelector") {
        Some(s) => LabelSelector::parse(s)?,
        None => LabelSelector::default(),
    };
    let fields = match ctx.req.q("fieldSelector") {
        Some(s) => FieldSelector::parse(t.def.plural, s)?,
        None => FieldSelector::default(),
    };
    if matches!(ctx.req.q("watch"), Some("1" | "true")) {
        return Err(KubeError::new(
            405,
            "MethodNotAllowed",
            "watch is served as a stream; this request reached the plain handler",
        ));
    }
    let items: Vec<Value> = ks
        .list(&ctx.cluster, &res_key(t.def.group, t.def.plural), t.ns)
        .into_iter()
        .filter(|o| labels.matches(o) && fields.matches(o))
        .collect();
    Ok(Reply::ok(json!({
        "kind": format!("{}List", t.def.kind),
        "apiVersion": t.def.api_version(),
        "metadata": {"resourceVersion": ks.current_rv().to_string()},
        "items": items,
    })))
}

/// The media type without parameters, lower case.
fn content_type(req: &Req) -> String {
    req.header("content-type")
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn body_object(req: &Req) -> KubeResult<Value> {
    let ct = content_type(req);
    let v: Value = match ct.as_str() {
        "application/json" | "" => serde_json::from_slice(&req.body).map_err(|e| {
            KubeError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
        })?,
        "application/yaml" => serde_yaml_ng::from_slice(&req.body)
            .map_err(|e| KubeError::bad_request(format!("error converting YAML to JSON: {e}")))?,
        other => return Err(KubeError::unsupported_media(other)),
    };
    if !v.is_object() {
        return Err(KubeError::bad_request("the body must be a JSON object"));
    }
    Ok(v)
}

/// The body's apiVersion and kind must be the endpoint's.
fn check_type(t: &Target<'_>, obj: &Value) -> KubeResult<()> {
    let api_version = obj["apiVersion"].as_str().unwrap_or("");
    let kind = obj["kind"].as_str().unwrap_or("");
    if kind.is_empty() {
        return Err(KubeError::bad_request(format!(
            "Object 'Kind' is missing in '{obj}'"
        )));
    }
    if api_version != t.def.api_version() || kind != t.def.kind {
        return Err(KubeError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({})",
            t.def.api_version()
        ))
        .details(json!({"kind": kind})));
    }
    Ok(())
}

fn manager(req: &Req) -> String {
    req.q("fieldManager")
        .map(str::to_string)
        .or_else(|| {
            req.header("user-agent")
                .and_then(|ua| ua.split('/').next())
                .map(str::to_string)
        })
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// RFC 1123 subdomain: lower-case alphanumerics, '-' and '.', alphanumeric at both ends.
pub(crate) fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}
