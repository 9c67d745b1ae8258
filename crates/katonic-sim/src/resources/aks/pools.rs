//! The pools phase of the managed-cluster PUT (the `agentPoolProfiles` checked, then stored as
//! AgentPool resources), and what the agent pool PUT shares with it: a pool's stored body and
//! the fields of a pool that cannot change.

use serde_json::{Map, Value, json};

use crate::arm::Ctx;
use crate::arm::errors::ArmError;
use crate::resources::common;
use crate::state::{Resource, State};

use super::cluster::ClusterPut;
use super::network::Net;
use super::pool_spec::{self, PoolSpec};
use super::validation::ClusterRequest;
use super::versions::latest_patch;
use super::{NODE_IMAGE, POOL, checks, pools_of};

/// The requested pools, checked: names unique, at least one System pool (counting the pools an
/// update keeps), sizes, zones and versions offered, and nothing changed that cannot change.
pub(super) fn cluster_pools(
    ctx: &Ctx<'_>,
    st: &State,
    req: &ClusterRequest,
    minor: &str,
) -> Result<Vec<PoolSpec>, ArmError> {
    let specs = requested(req)?;
    let canonical_id = &req.canonical_id;
    // On update, existing pools not listed are kept.
    let kept: Vec<Resource> = pools_of(st, canonical_id)
        .filter(|r| {
            !specs
                .iter()
                .any(|s| r.body["name"].as_str().is_some_and(|n| n == s.name))
        })
        .cloned()
        .collect();
    let system = specs.iter().any(|s| s.mode.eq_ignore_ascii_case("System"))
        || kept
            .iter()
            .any(|r| r.body["properties"]["mode"].as_str() == Some("System"));
    if !system {
        return Err(ArmError::bad_request(
            "MustDefineAtLeastOneSystemPool",
            "Must define at least one system pool.",
        ));
    }
    for s in &specs {
        checks::size_and_zones(ctx, s, &req.location)?;
        checks::pool_version(
            ctx,
            &req.location,
            s.props["orchestratorVersion"].as_str(),
            minor,
        )?;
        if let Some(old) = st.get(&format!("{canonical_id}/agentPools/{}", s.name)) {
            immutable_pool_fields(old, s)?;
        }
    }
    Ok(specs)
}

/// The body's `agentPoolProfiles`, each parsed; a new cluster needs at least one.
fn requested(req: &ClusterRequest) -> Result<Vec<PoolSpec>, ArmError> {
    let profiles = req.props()["agentPoolProfiles"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if req.created() && profiles.is_empty() {
        return Err(ArmError::bad_request("InvalidParameter", "The value of parameter agentPoolProfiles is required: a cluster needs at least one agent pool.").target("properties.agentPoolProfiles"));
    }
    let mut specs = Vec::new();
    for prof in &profiles {
        let pname = prof["name"].as_str().unwrap_or("");
        let mut props = prof.clone();
        if let Some(o) = props.as_object_mut() {
            o.remove("name");
        }
        let spec = pool_spec::pool(pname, &props)?;
        if specs.iter().any(|s: &PoolSpec| s.name == spec.name) {
            return Err(ArmError::bad_request(
                "InvalidParameter",
                format!("Agent pool name {} is used more than once.", spec.name),
            )
            .target("properties.agentPoolProfiles"));
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// Ids of the pools a cluster PUT writes (their current IPs and cores are being replaced).
pub(super) fn replaced_ids(canonical_id: &str, specs: &[PoolSpec]) -> Vec<String> {
    specs
        .iter()
        .map(|s| format!("{canonical_id}/agentPools/{}", s.name))
        .collect()
}

/// Store the cluster PUT's pools in `state` (Creating/Updating); new ones in the body's order.
pub(super) fn store_cluster_pools(
    ctx: &Ctx<'_>,
    st: &mut State,
    put: &ClusterPut,
    state: &str,
) -> Result<(), ArmError> {
    let (canonical_id, location) = (&put.req.canonical_id, &put.req.location);
    let (minor, patch) = (&put.settings.minor, &put.settings.patch);
    for s in &put.specs {
        let pid = format!("{canonical_id}/agentPools/{}", s.name);
        let pool_minor = checks::pool_version(
            ctx,
            location,
            s.props["orchestratorVersion"].as_str(),
            minor,
        )?;
        let pool_patch = if &pool_minor == minor {
            patch.clone()
        } else {
            latest_patch(ctx, location, &pool_minor)
        };
        let old = st.get(&pid).cloned();
        let versions = PoolVersions {
            minor: &pool_minor,
            patch: &pool_patch,
        };
        let pbody = pool_body(canonical_id, s, &versions, &put.network.net, state);
        match old {
            Some(mut r) => {
                r.body = pbody;
                st.insert(r);
            }
            None => {
                let mut r = common::new_resource(ctx, &pid, POOL, pbody, Value::Null);
                // Creation order must follow the body's order for agentPoolProfiles.
                r.created = ctx.now()
                    + time::Duration::nanoseconds(
                        put.specs.iter().position(|x| x.name == s.name).unwrap_or(0) as i64,
                    );
                st.insert(r);
            }
        }
    }
    Ok(())
}

/// The orchestrator version of a pool: major.minor as requested, and the patch it runs.
pub(super) struct PoolVersions<'a> {
    pub minor: &'a str,
    pub patch: &'a str,
}

/// The stored AgentPool body for a pool spec.
pub(super) fn pool_body(
    cluster_id: &str,
    spec: &PoolSpec,
    versions: &PoolVersions<'_>,
    net: &Net,
    state: &str,
) -> Value {
    let mut props = spec.props.as_object().cloned().unwrap_or_default();
    props.insert("count".into(), json!(spec.count));
    props.insert(
        "mode".into(),
        json!(canonical(&spec.mode, &["System", "User", "Gateway"])),
    );
    props.insert(
        "type".into(),
        json!(canonical(
            &spec.pool_type,
            &[
                "VirtualMachineScaleSets",
                "AvailabilitySet",
                "VirtualMachines"
            ]
        )),
    );
    pool_defaults(&mut props, net);
    props.insert("orchestratorVersion".into(), json!(versions.minor));
    props.insert("currentOrchestratorVersion".into(), json!(versions.patch));
    props.insert("nodeImageVersion".into(), json!(NODE_IMAGE));
    props.insert("provisioningState".into(), json!(state));
    props.insert("powerState".into(), json!({"code": "Running"}));
    props.insert("eTag".into(), json!(uuid::Uuid::new_v4().to_string()));
    if spec.zones.is_empty() {
        props.remove("availabilityZones");
    }
    json!({
        "id": format!("{cluster_id}/agentPools/{}", spec.name),
        "name": spec.name,
        "type": POOL,
        "properties": props,
    })
}

/// What AKS fills in when the request leaves a pool field out (or null).
fn pool_defaults(props: &mut Map<String, Value>, net: &Net) {
    let defaults = [
        ("osType", json!("Linux")),
        ("osSKU", json!("Ubuntu")),
        ("osDiskSizeGB", json!(128)),
        ("osDiskType", json!("Managed")),
        ("kubeletDiskType", json!("OS")),
        ("maxPods", json!(net.default_max_pods())),
        ("enableAutoScaling", json!(false)),
        ("enableNodePublicIP", json!(false)),
        ("enableFIPS", json!(false)),
        ("enableEncryptionAtHost", json!(false)),
        ("enableUltraSSD", json!(false)),
        ("scaleDownMode", json!("Delete")),
        ("upgradeSettings", json!({"maxSurge": "10%"})),
    ];
    for (k, v) in defaults {
        if props.get(k).is_none_or(Value::is_null) {
            props.insert(k.to_string(), v);
        }
    }
}

fn canonical(v: &str, allowed: &[&str]) -> String {
    allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(v))
        .map(|a| (*a).to_string())
        .unwrap_or_else(|| v.to_string())
}

/// vmSize, zones, type, OS and subnet of a pool cannot change.
pub(super) fn immutable_pool_fields(old: &Resource, new: &PoolSpec) -> Result<(), ArmError> {
    let o = &old.body["properties"];
    let same_str = |k: &str, v: Option<&str>| match (o[k].as_str(), v) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (_, None) => true,
        (None, Some(_)) => false,
    };
    let zones_old: Vec<String> = o["availabilityZones"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let checks = [
        ("vmSize", same_str("vmSize", Some(&new.vm_size))),
        ("availabilityZones", zones_old == new.zones),
        ("type", same_str("type", Some(&new.pool_type))),
        (
            "vnetSubnetID",
            same_str("vnetSubnetID", new.subnet.as_deref()),
        ),
        ("osType", same_str("osType", new.props["osType"].as_str())),
    ];
    for (k, ok) in checks {
        if !ok {
            return Err(ArmError::bad_request(
                "PropertyChangeNotAllowed",
                format!(
                    "Changing property '{k}' of agent pool {} is not allowed.",
                    new.name
                ),
            )
            .target(k));
        }
    }
    Ok(())
}
