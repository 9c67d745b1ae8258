//! Who is calling a simulated API server, and may they: the kubeconfig's client certificate or
//! static token (local accounts), or on an AKS-managed Entra ID cluster a bearer token the
//! simulated Entra issued for the AKS server application. With Azure RBAC for Kubernetes the
//! caller also needs an Azure role on the cluster, as the AKS authorization webhook checks.

use serde_json::Value;

use super::cluster::ClusterInfo;
use super::status::{KubeError, KubeResult};
use crate::identity::{self, AKS_AAD_SERVER};
use crate::server::Req;
use crate::state::State;

/// "Azure Kubernetes Service RBAC Cluster Admin": every Kubernetes data action on the cluster.
pub(crate) const RBAC_CLUSTER_ADMIN: &str = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b";

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Caller {
    /// The cluster's own certificate or static token (cluster-admin).
    Local,
    /// An Entra ID principal (object id).
    Entra(String),
}

/// 401 for anything the API server would not accept. An Entra token is accepted only on an
/// AKS-managed Entra ID cluster, only for the AKS server application's audience, only when
/// this simulator issued it, and only until it expires.
pub(crate) fn authenticate(st: &State, req: &Req, info: &ClusterInfo) -> KubeResult<Caller> {
    if req.peer_cert.is_some() && req.peer_cert == info.cert_der {
        return Ok(Caller::Local);
    }
    let given = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("");
    if given.is_empty() {
        return Err(KubeError::unauthorized());
    }
    if !info.token.is_empty() && given == info.token {
        return Ok(Caller::Local);
    }
    if !info.aad_managed {
        return Err(KubeError::unauthorized());
    }
    match identity::verify(st, given, req.now) {
        Ok((object_id, audience)) if audience.eq_ignore_ascii_case(AKS_AAD_SERVER) => {
            Ok(Caller::Entra(object_id))
        }
        _ => Err(KubeError::unauthorized()),
    }
}

/// 403 when Azure RBAC decides and the caller holds no role on the cluster that allows the
/// request. Discovery (`/version`, `/api`, `/apis`, group versions) is open to every
/// authenticated caller, as `system:discovery` makes it.
pub(crate) fn authorize(
    st: &State,
    req: &Req,
    info: &ClusterInfo,
    caller: &Caller,
) -> KubeResult<()> {
    let Caller::Entra(object_id) = caller else {
        return Ok(());
    };
    if !info.azure_rbac {
        // Kubernetes RBAC decides; the simulator keeps no bindings for Entra principals and
        // treats the caller as an admin-group member.
        return Ok(());
    }
    let rest: Vec<&str> = req.segs.iter().skip(2).map(String::as_str).collect();
    let discovery = matches!(
        rest.as_slice(),
        ["version"] | ["api"] | ["apis"] | ["api", _] | ["apis", _, _]
    );
    if discovery
        || crate::resources::authorization::granted(st, object_id, &info.id, &[RBAC_CLUSTER_ADMIN])
    {
        return Ok(());
    }
    Err(forbidden(req, object_id, &rest))
}

/// kube-apiserver's wording, with the reason the AKS webhook appends.
fn forbidden(req: &Req, user: &str, rest: &[&str]) -> KubeError {
    let (group, tail) = match rest {
        ["api", _, tail @ ..] => ("", tail),
        ["apis", g, _, tail @ ..] => (*g, tail),
        _ => ("", &[][..]),
    };
    let (namespace, resource, name) = match tail {
        ["namespaces", ns, resource, name, ..] => (Some(*ns), *resource, Some(*name)),
        ["namespaces", ns, resource] => (Some(*ns), *resource, None),
        [resource, name, ..] => (None, *resource, Some(*name)),
        [resource] => (None, *resource, None),
        [] => (None, "", None),
    };
    let verb = match (req.method.as_str(), name) {
        ("GET", _) if req.q("watch").is_some_and(|w| w == "true" || w == "1") => "watch",
        ("GET", Some(_)) => "get",
        ("GET", None) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", Some(_)) => "delete",
        ("DELETE", None) => "deletecollection",
        _ => "get",
    };
    let plural = if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    };
    let what = match name {
        Some(n) => format!("{plural} \"{n}\""),
        None => plural.clone(),
    };
    let scope = match namespace {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    let mut e = KubeError::new(
        403,
        "Forbidden",
        format!(
            "{what} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\" in API group \"{group}\" {scope}: User does not have access to the resource in Azure. Update role assignment to allow access."
        ),
    );
    let mut details = serde_json::json!({"kind": resource});
    if let Some(n) = name {
        details["name"] = Value::String(n.to_string());
    }
    if !group.is_empty() {
        details["group"] = Value::String(group.to_string());
    }
    e.details = details;
    e
}
