//! `kube.json` in the state directory: the clusters' objects, pod logs, fault marks and
//! counters, written (mode 0600: Secrets) by the controller task after changes and at shutdown.
//! Watch history is not kept: a watch from a resourceVersion before a restart gets 410.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::store::{ClusterStore, KubeState};
use crate::SimError;

const VERSION: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Saved {
    pub version: u32,
    pub rv: u64,
    pub lb_count: u32,
    pub ingress_port: u16,
    /// The gateways' plain-HTTP port (absent in files written before it existed).
    #[serde(default)]
    pub ingress_http_port: u16,
    pub clusters: BTreeMap<String, SavedCluster>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SavedCluster {
    pub incarnation: String,
    /// (resource, namespace, name, object)
    pub objects: Vec<(String, String, String, Value)>,
    pub logs: Vec<(String, String, Vec<String>)>,
    pub doomed_jobs: Vec<(String, String, String)>,
    pub no_lb: Vec<(String, String, String)>,
}

impl KubeState {
    pub fn snapshot(&self, (ingress_port, ingress_http_port): (u16, u16)) -> Saved {
        let (rv, lb_count) = self.counters();
        Saved {
            version: VERSION,
            rv,
            lb_count,
            ingress_port,
            ingress_http_port,
            clusters: self
                .clusters
                .iter()
                .map(|(k, c)| {
                    (
                        k.clone(),
                        SavedCluster {
                            incarnation: c.incarnation.clone(),
                            objects: c
                                .objects
                                .iter()
                                .map(|((r, n, m), v)| (r.clone(), n.clone(), m.clone(), v.clone()))
                                .collect(),
                            logs: c
                                .logs
                                .iter()
                                .map(|((n, p), l)| (n.clone(), p.clone(), l.clone()))
                                .collect(),
                            doomed_jobs: c
                                .doomed_jobs
                                .iter()
                                .map(|((n, j), m)| (n.clone(), j.clone(), m.clone()))
                                .collect(),
                            no_lb: c.no_lb.iter().cloned().collect(),
                        },
                    )
                })
                .collect(),
        }
    }

    pub fn restore(saved: Saved) -> Self {
        let mut ks = KubeState::with_counters(saved.rv, saved.lb_count);
        for (key, c) in saved.clusters {
            let store = ClusterStore {
                incarnation: c.incarnation,
                objects: c
                    .objects
                    .into_iter()
                    .map(|(r, n, m, v)| ((r, n, m), v))
                    .collect(),
                logs: c.logs.into_iter().map(|(n, p, l)| ((n, p), l)).collect(),
                doomed_jobs: c
                    .doomed_jobs
                    .into_iter()
                    .map(|(n, j, m)| ((n, j), m))
                    .collect(),
                no_lb: c.no_lb.into_iter().collect(),
                ..Default::default()
            };
            ks.clusters.insert(key, store);
        }
        ks
    }
}

/// Read `kube.json`, if there is one.
pub(crate) fn load(path: &Path) -> Result<Option<Saved>, SimError> {
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(|e| SimError::io(path, e))?;
    let saved: Saved = serde_json::from_str(&text).map_err(|e| SimError::Invalid {
        what: "Kubernetes state",
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    if saved.version != VERSION {
        return Err(SimError::Invalid {
            what: "Kubernetes state",
            path: path.to_path_buf(),
            message: format!("unsupported version {}", saved.version),
        });
    }
    Ok(Some(saved))
}

pub(crate) fn save(path: &Path, saved: &Saved) -> Result<(), SimError> {
    let bytes = serde_json::to_vec(saved).map_err(|e| SimError::Invalid {
        what: "Kubernetes state",
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    crate::state::write_atomic(path, &bytes, true)
}
