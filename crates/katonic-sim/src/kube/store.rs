//! The per-cluster object store (in memory: it does not survive a simulator restart) with a
//! resourceVersion counter shared by every cluster, as etcd's revision is per API server.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use serde_json::Value;
use tokio::sync::broadcast;

/// (resource `plural.group`, namespace or "", name)
pub(crate) type Key = (String, String, String);

/// A change, as a watch reports it.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub cluster: String,
    pub kind: &'static str,
    pub res: String,
    pub rv: u64,
    pub object: Value,
}

/// How many changes per cluster a watch can resume from.
const HISTORY: usize = 2000;

#[derive(Default)]
pub(crate) struct ClusterStore {
    /// The ARM cluster's creation time: a recreated cluster starts empty.
    pub incarnation: String,
    pub objects: BTreeMap<Key, Value>,
    /// Namespaces being deleted, and since when.
    pub terminating: BTreeMap<String, Instant>,
    pub history: Vec<Event>,
    /// Pod output by (namespace, pod).
    pub logs: BTreeMap<(String, String), Vec<String>>,
    /// When a controller first saw an object (for delays).
    pub seen: BTreeMap<Key, Instant>,
    /// (object uid, reason) of events already recorded.
    pub events_sent: BTreeSet<(String, String)>,
    /// Jobs whose pods fail, by (namespace, name), with the message (`failJob` fault).
    pub doomed_jobs: BTreeMap<(String, String), String>,
    /// Services that never get an address (`noLoadBalancer` fault).
    pub no_lb: BTreeSet<Key>,
}

pub(crate) struct KubeState {
    rv: u64,
    /// Load-balancer addresses handed out so far.
    lb_count: u32,
    pub clusters: BTreeMap<String, ClusterStore>,
    pub events: broadcast::Sender<Event>,
    /// Changed since the last save to `kube.json`.
    pub dirty: bool,
}

impl Default for KubeState {
    fn default() -> Self {
        Self::with_counters(1000, 0)
    }
}

pub(crate) fn res_key(group: &str, plural: &str) -> String {
    if group.is_empty() {
        plural.to_string()
    } else {
        format!("{plural}.{group}")
    }
}

impl KubeState {
    pub fn with_counters(rv: u64, lb_count: u32) -> Self {
        Self {
            rv,
            lb_count,
            clusters: BTreeMap::new(),
            events: broadcast::channel(4096).0,
            dirty: false,
        }
    }

    pub fn counters(&self) -> (u64, u32) {
        (self.rv, self.lb_count)
    }

    pub fn next_rv(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    /// The next load-balancer address, unique in this simulator: 127.77.x.y for internal load
    /// balancers (a private frontend in the VNet), 127.78.x.y for public ones.
    pub fn next_lb_ip(&mut self, internal: bool) -> std::net::Ipv4Addr {
        self.lb_count += 1;
        let n = self.lb_count;
        let block = if internal { 77 } else { 78 };
        std::net::Ipv4Addr::new(127, block, (n / 250 % 250) as u8, (n % 250 + 1) as u8)
    }

    pub fn current_rv(&self) -> u64 {
        self.rv
    }

    /// Store `object` under a fresh resourceVersion and tell watchers; returns the stored object.
    pub fn put(&mut self, cluster: &str, key: Key, mut object: Value, added: bool) -> Value {
        let rv = self.next_rv();
        object["metadata"]["resourceVersion"] = Value::String(rv.to_string());
        let store = self.clusters.entry(cluster.to_string()).or_default();
        store.objects.insert(key.clone(), object.clone());
        self.notify(
            cluster,
            if added { "ADDED" } else { "MODIFIED" },
            key.0,
            rv,
            object.clone(),
        );
        object
    }

    pub fn delete(&mut self, cluster: &str, key: &Key) -> Option<Value> {
        let store = self.clusters.get_mut(cluster)?;
        let mut object = store.objects.remove(key)?;
        let rv = self.next_rv();
        object["metadata"]["resourceVersion"] = Value::String(rv.to_string());
        self.notify(cluster, "DELETED", key.0.clone(), rv, object.clone());
        Some(object)
    }

    fn notify(&mut self, cluster: &str, kind: &'static str, res: String, rv: u64, object: Value) {
        self.dirty = true;
        let event = Event {
            cluster: cluster.to_string(),
            kind,
            res,
            rv,
            object,
        };
        if let Some(store) = self.clusters.get_mut(cluster) {
            store.history.push(event.clone());
            if store.history.len() > HISTORY {
                let excess = store.history.len() - HISTORY;
                store.history.drain(..excess);
            }
        }
        // No receivers is fine: nobody watches.
        let _ = self.events.send(event);
    }

    pub fn get(&self, cluster: &str, key: &Key) -> Option<&Value> {
        self.clusters.get(cluster)?.objects.get(key)
    }

    /// Objects of one resource, in one namespace or all.
    pub fn list(&self, cluster: &str, res: &str, ns: Option<&str>) -> Vec<Value> {
        self.clusters
            .get(cluster)
            .map(|s| {
                s.objects
                    .iter()
                    .filter(|((r, n, _), _)| r == res && ns.is_none_or(|ns| ns == n))
                    .map(|(_, v)| v.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}
