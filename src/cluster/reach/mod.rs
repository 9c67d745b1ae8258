//! How the console reaches a cluster's API server: one interface for every cluster step, with
//! two ways through.
//!
//! - `Direct`: a kube client over the private network (the console's VNet is, or is peered
//!   with, the cluster's). Watches, streamed logs, one request per call.
//! - `RunCommand`: AKS Run Command over ARM (no line of sight needed). Each call is one command
//!   pod running kubectl in the cluster; manifests travel as the command's context ZIP; output
//!   comes back as text (512 kB at most). What it cannot do is said where it matters: waits are
//!   polls of short commands (a command running past about 5 minutes is not reliable), the
//!   installer's log arrives in polled chunks rather than live, and a probe of the console's own
//!   network (DNS as the jumphost sees it) is a probe from inside the cluster instead.

mod failure;
mod run_command;

use std::fmt::Debug;

use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope};
use kube::Resource;
use kube::api::{Api, DeleteParams, ListParams, LogParams, Patch, PatchParams};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::apply::{self, Applied, KubeFailure};
pub use failure::{CommandFailure, ReachFailure};
pub use run_command::{HttpsProbe, RunCommandReach};

/// A Kubernetes object type the console reads or writes.
pub trait Object:
    Resource<DynamicType = ()> + Serialize + DeserializeOwned + Clone + Debug + Send + Sync + 'static
{
}

impl<K> Object for K where
    K: Resource<DynamicType = ()>
        + Serialize
        + DeserializeOwned
        + Clone
        + Debug
        + Send
        + Sync
        + 'static
{
}

/// The way to the API server for one step.
pub enum ClusterReach {
    Direct(kube::Client),
    RunCommand(RunCommandReach),
}

/// `Kind/namespace/name` for messages.
fn label<K: Object>(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{}/{ns}/{name}", K::kind(&())),
        None => format!("{}/{name}", K::kind(&())),
    }
}

fn kube<'a>(action: &'static str, object: &'a str) -> impl Fn(kube::Error) -> ReachFailure + 'a {
    move |source| {
        ReachFailure::Kube(KubeFailure {
            action,
            object: object.to_string(),
            source,
        })
    }
}

impl ClusterReach {
    /// How this reach gets through, for progress lines.
    pub fn describe(&self) -> &'static str {
        match self {
            ClusterReach::Direct(_) => "directly (kube client over the private network)",
            ClusterReach::RunCommand(_) => "through AKS Run Command over ARM",
        }
    }

    pub fn is_run_command(&self) -> bool {
        matches!(self, ClusterReach::RunCommand(_))
    }

    /// The API server's Kubernetes version (`gitVersion`).
    pub async fn server_version(&self) -> Result<String, ReachFailure> {
        match self {
            ClusterReach::Direct(client) => client
                .apiserver_version()
                .await
                .map(|v| v.git_version)
                .map_err(kube("reaching", "the API server")),
            ClusterReach::RunCommand(rc) => rc.server_version().await,
        }
    }

    /// Server-side apply of a namespaced object (the console's field manager).
    pub async fn apply_namespaced<K>(&self, object: &K) -> Result<Applied, ReachFailure>
    where
        K: Object + Resource<Scope = NamespaceResourceScope>,
    {
        match self {
            ClusterReach::Direct(client) => apply::apply_namespaced(client, object)
                .await
                .map_err(ReachFailure::Kube),
            ClusterReach::RunCommand(rc) => {
                one(rc.apply_all(std::slice::from_ref(object), true).await)
            }
        }
    }

    /// Server-side apply of a cluster-scoped object.
    pub async fn apply_cluster<K>(&self, object: &K) -> Result<Applied, ReachFailure>
    where
        K: Object + Resource<Scope = ClusterResourceScope>,
    {
        match self {
            ClusterReach::Direct(client) => apply::apply_cluster(client, object)
                .await
                .map_err(ReachFailure::Kube),
            ClusterReach::RunCommand(rc) => {
                one(rc.apply_all(std::slice::from_ref(object), false).await)
            }
        }
    }

    /// Server-side apply of several namespaced objects of one kind: one by one directly, in
    /// one command through Run Command (each command is a pod: fewer is faster).
    pub async fn apply_all_namespaced<K>(&self, objects: &[K]) -> Result<Vec<Applied>, ReachFailure>
    where
        K: Object + Resource<Scope = NamespaceResourceScope>,
    {
        match self {
            ClusterReach::Direct(_) => {
                let mut applied = Vec::new();
                for object in objects {
                    applied.push(self.apply_namespaced(object).await?);
                }
                Ok(applied)
            }
            ClusterReach::RunCommand(rc) => rc.apply_all(objects, true).await,
        }
    }

    /// As [`apply_all_namespaced`](Self::apply_all_namespaced), for cluster-scoped objects.
    pub async fn apply_all_cluster<K>(&self, objects: &[K]) -> Result<Vec<Applied>, ReachFailure>
    where
        K: Object + Resource<Scope = ClusterResourceScope>,
    {
        match self {
            ClusterReach::Direct(_) => {
                let mut applied = Vec::new();
                for object in objects {
                    applied.push(self.apply_cluster(object).await?);
                }
                Ok(applied)
            }
            ClusterReach::RunCommand(rc) => rc.apply_all(objects, false).await,
        }
    }

    /// A namespaced object, if it exists.
    pub async fn get<K>(&self, namespace: &str, name: &str) -> Result<Option<K>, ReachFailure>
    where
        K: Object + Resource<Scope = NamespaceResourceScope>,
    {
        let object = label::<K>(Some(namespace), name);
        match self {
            ClusterReach::Direct(client) => Api::<K>::namespaced(client.clone(), namespace)
                .get_opt(name)
                .await
                .map_err(kube("reading", &object)),
            ClusterReach::RunCommand(rc) => rc.get(Some(namespace), name, &object).await,
        }
    }

    /// Namespaced objects matching the label and field selectors.
    pub async fn list<K>(
        &self,
        namespace: &str,
        labels: Option<&str>,
        fields: Option<&str>,
    ) -> Result<Vec<K>, ReachFailure>
    where
        K: Object + Resource<Scope = NamespaceResourceScope>,
    {
        let what = format!("{} in {namespace}", K::plural(&()));
        match self {
            ClusterReach::Direct(client) => Api::<K>::namespaced(client.clone(), namespace)
                .list(&params(labels, fields))
                .await
                .map(|l| l.items)
                .map_err(kube("listing", &what)),
            ClusterReach::RunCommand(rc) => rc.list(Some(namespace), labels, fields, &what).await,
        }
    }

    /// Cluster-scoped objects matching the label selector.
    pub async fn list_cluster<K>(&self, labels: Option<&str>) -> Result<Vec<K>, ReachFailure>
    where
        K: Object + Resource<Scope = ClusterResourceScope>,
    {
        let what = K::plural(&()).to_string();
        match self {
            ClusterReach::Direct(client) => Api::<K>::all(client.clone())
                .list(&params(labels, None))
                .await
                .map(|l| l.items)
                .map_err(kube("listing", &what)),
            ClusterReach::RunCommand(rc) => rc.list(None, labels, None, &what).await,
        }
    }

    /// Delete a namespaced object at once (grace period 0 when `now`); `false` when it was
    /// already gone.
    pub async fn delete<K>(
        &self,
        namespace: &str,
        name: &str,
        now: bool,
    ) -> Result<bool, ReachFailure>
    where
        K: Object + Resource<Scope = NamespaceResourceScope>,
    {
        let object = label::<K>(Some(namespace), name);
        match self {
            ClusterReach::Direct(client) => {
                let params = if now {
                    DeleteParams::default().grace_period(0)
                } else {
                    DeleteParams::background()
                };
                match Api::<K>::namespaced(client.clone(), namespace)
                    .delete(name, &params)
                    .await
                {
                    Ok(_) => Ok(true),
                    Err(kube::Error::Api(s)) if s.code == 404 => Ok(false),
                    Err(e) => Err(kube("deleting", &object)(e)),
                }
            }
            ClusterReach::RunCommand(rc) => {
                rc.delete::<K>(Some(namespace), name, now, &object).await
            }
        }
    }

    /// Delete a cluster-scoped object.
    pub async fn delete_cluster<K>(&self, name: &str) -> Result<bool, ReachFailure>
    where
        K: Object + Resource<Scope = ClusterResourceScope>,
    {
        let object = label::<K>(None, name);
        match self {
            ClusterReach::Direct(client) => {
                match Api::<K>::all(client.clone())
                    .delete(name, &Default::default())
                    .await
                {
                    Ok(_) => Ok(true),
                    Err(kube::Error::Api(s)) if s.code == 404 => Ok(false),
                    Err(e) => Err(kube("deleting", &object)(e)),
                }
            }
            ClusterReach::RunCommand(rc) => rc.delete::<K>(None, name, false, &object).await,
        }
    }

    /// A JSON merge patch on a cluster-scoped object (not server-side apply: it changes a field
    /// the console does not own, e.g. another storage class's default mark).
    pub async fn merge_patch_cluster<K>(
        &self,
        name: &str,
        patch: &serde_json::Value,
    ) -> Result<(), ReachFailure>
    where
        K: Object + Resource<Scope = ClusterResourceScope>,
    {
        let object = label::<K>(None, name);
        match self {
            ClusterReach::Direct(client) => Api::<K>::all(client.clone())
                .patch(name, &PatchParams::default(), &Patch::Merge(patch))
                .await
                .map(|_| ())
                .map_err(kube("patching", &object)),
            ClusterReach::RunCommand(rc) => rc.merge_patch::<K>(name, patch, &object).await,
        }
    }

    /// The last `tail` lines of a pod's log (all when `None`).
    pub async fn pod_log(
        &self,
        namespace: &str,
        pod: &str,
        tail: Option<i64>,
    ) -> Result<String, ReachFailure> {
        let object = format!("Pod/{namespace}/{pod}");
        match self {
            ClusterReach::Direct(client) => {
                let params = LogParams {
                    tail_lines: tail,
                    ..LogParams::default()
                };
                Api::<k8s_openapi::api::core::v1::Pod>::namespaced(client.clone(), namespace)
                    .logs(pod, &params)
                    .await
                    .map_err(kube("reading the log of", &object))
            }
            ClusterReach::RunCommand(rc) => rc.logs(namespace, pod, tail, &object).await,
        }
    }
}

/// The single outcome of a one-object apply.
fn one(applied: Result<Vec<Applied>, ReachFailure>) -> Result<Applied, ReachFailure> {
    applied?.pop().ok_or_else(|| ReachFailure::Output {
        action: "applying",
        object: "an object".into(),
        message: "the command reported nothing".into(),
    })
}

fn params(labels: Option<&str>, fields: Option<&str>) -> ListParams {
    let mut p = ListParams::default();
    if let Some(l) = labels {
        p = p.labels(l);
    }
    if let Some(f) = fields {
        p = p.fields(f);
    }
    p
}

/// Which way the cluster steps take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    Direct,
    RunCommand,
}

/// The way to the API server: the mode preflight resolved, written in its outputs as
/// `"clusterAccess": "direct" | "runCommand" | "peering"`, else the spec's `cluster.access`
/// (`auto`, `direct` and `peering` reach the API server directly; `runCommand` does not).
pub fn way(resolved: Option<&serde_json::Value>, spec: katonic_domain::spec::ClusterAccess) -> Way {
    use katonic_domain::spec::ClusterAccess;
    match resolved.and_then(serde_json::Value::as_str) {
        Some("runCommand") => Way::RunCommand,
        Some("direct" | "peering") => Way::Direct,
        _ => match spec {
            ClusterAccess::RunCommand => Way::RunCommand,
            ClusterAccess::Auto | ClusterAccess::Direct | ClusterAccess::Peering => Way::Direct,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use katonic_domain::spec::ClusterAccess;
    use serde_json::json;

    #[test]
    fn preflight_decides_and_the_spec_stands_in_when_it_did_not() {
        let resolved = |s: &str| Some(json!(s));
        assert_eq!(
            way(resolved("runCommand").as_ref(), ClusterAccess::Auto),
            Way::RunCommand
        );
        assert_eq!(
            way(resolved("direct").as_ref(), ClusterAccess::RunCommand),
            Way::Direct
        );
        assert_eq!(
            way(resolved("peering").as_ref(), ClusterAccess::Peering),
            Way::Direct
        );
        assert_eq!(way(None, ClusterAccess::RunCommand), Way::RunCommand);
        for spec in [
            ClusterAccess::Auto,
            ClusterAccess::Direct,
            ClusterAccess::Peering,
        ] {
            assert_eq!(way(None, spec), Way::Direct);
        }
        assert_eq!(
            way(resolved("sideways").as_ref(), ClusterAccess::Auto),
            Way::Direct
        );
    }
}
