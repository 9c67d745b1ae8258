//! The resources served and the discovery documents that describe them.

use serde_json::{Value, json};

/// One served resource type.
#[derive(Debug)]
pub(crate) struct ResDef {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short: &'static [&'static str],
}

impl ResDef {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

const fn r(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
) -> ResDef {
    ResDef {
        group,
        version,
        plural,
        singular,
        kind,
        namespaced,
        short,
    }
}

pub(crate) static RESOURCES: &[ResDef] = &[
    r(
        "",
        "v1",
        "namespaces",
        "namespace",
        "Namespace",
        false,
        &["ns"],
    ),
    r("", "v1", "nodes", "node", "Node", false, &["no"]),
    r("", "v1", "services", "service", "Service", true, &["svc"]),
    r("", "v1", "secrets", "secret", "Secret", true, &[]),
    r(
        "",
        "v1",
        "configmaps",
        "configmap",
        "ConfigMap",
        true,
        &["cm"],
    ),
    r("", "v1", "pods", "pod", "Pod", true, &["po"]),
    r(
        "",
        "v1",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        "PersistentVolumeClaim",
        true,
        &["pvc"],
    ),
    r(
        "",
        "v1",
        "persistentvolumes",
        "persistentvolume",
        "PersistentVolume",
        false,
        &["pv"],
    ),
    r("", "v1", "events", "event", "Event", true, &["ev"]),
    r(
        "",
        "v1",
        "serviceaccounts",
        "serviceaccount",
        "ServiceAccount",
        true,
        &["sa"],
    ),
    r(
        "storage.k8s.io",
        "v1",
        "storageclasses",
        "storageclass",
        "StorageClass",
        false,
        &["sc"],
    ),
    r("batch", "v1", "jobs", "job", "Job", true, &[]),
    r(
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        true,
        &["deploy"],
    ),
    r(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "networkpolicy",
        "NetworkPolicy",
        true,
        &["netpol"],
    ),
    r(
        "networking.k8s.io",
        "v1",
        "ingresses",
        "ingress",
        "Ingress",
        true,
        &["ing"],
    ),
    r(
        "networking.k8s.io",
        "v1",
        "ingressclasses",
        "ingressclass",
        "IngressClass",
        false,
        &[],
    ),
    // The installer Job's identity: bound to a cluster role (the platform installs cluster-wide
    // objects). Stored and validated; the simulator does not enforce RBAC.
    r(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "clusterrolebinding",
        "ClusterRoleBinding",
        false,
        &[],
    ),
];

/// The groups besides the core one, in discovery order.
const GROUPS: &[&str] = &[
    "apps",
    "batch",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
];

const VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

pub(crate) fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResDef> {
    RESOURCES
        .iter()
        .find(|d| d.group == group && d.version == version && d.plural == plural)
}

/// `/version`
pub(crate) fn version(k8s_version: &str) -> Value {
    let v = k8s_version.trim_start_matches('v');
    let mut parts = v.split('.');
    let major = parts.next().unwrap_or("1").to_string();
    let minor = parts.next().unwrap_or("0").to_string();
    json!({
        "major": major,
        "minor": minor,
        "gitVersion": format!("v{v}"),
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-11-01T00:00:00Z",
        "goVersion": "go1.22.8",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

/// `/api`
pub(crate) fn api_versions(server: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server}]
    })
}

/// `/apis`
pub(crate) fn group_list() -> Value {
    let groups: Vec<Value> = GROUPS
        .iter()
        .map(|g| {
            let gv = json!({"groupVersion": format!("{g}/v1"), "version": "v1"});
            json!({"name": g, "versions": [gv.clone()], "preferredVersion": gv})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/api/v1` or `/apis/{group}/{version}`; `None` for a group version not served.
pub(crate) fn resource_list(group: &str, version: &str) -> Option<Value> {
    let defs: Vec<&ResDef> = RESOURCES
        .iter()
        .filter(|d| d.group == group && d.version == version)
        .collect();
    let first = defs.first()?;
    let mut resources = Vec::new();
    for d in &defs {
        let mut entry = json!({
            "name": d.plural,
            "singularName": d.singular,
            "namespaced": d.namespaced,
            "kind": d.kind,
            "verbs": VERBS,
        });
        if !d.short.is_empty() {
            entry["shortNames"] = json!(d.short);
        }
        resources.push(entry);
        for sub in subresources(d.plural) {
            let verbs: &[&str] = if *sub == "log" {
                &["get"]
            } else {
                &["get", "patch", "update"]
            };
            resources.push(json!({
                "name": format!("{}/{sub}", d.plural),
                "singularName": "",
                "namespaced": d.namespaced,
                "kind": if *sub == "log" { "Pod" } else { d.kind },
                "verbs": verbs,
            }));
        }
    }
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": first.api_version(),
        "resources": resources
    }))
}

/// Subresources served (status is stored with the object; log streams pod output).
pub(crate) fn subresources(plural: &str) -> &'static [&'static str] {
    match plural {
        "pods" => &["log", "status"],
        "namespaces"
        | "nodes"
        | "services"
        | "persistentvolumeclaims"
        | "persistentvolumes"
        | "jobs"
        | "deployments"
        | "ingresses" => &["status"],
        _ => &[],
    }
}
