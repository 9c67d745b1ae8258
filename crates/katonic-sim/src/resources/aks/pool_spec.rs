//! A pool as requested (an `agentPoolProfiles` entry or an AgentPool's properties), parsed and
//! checked field by field in the order AKS reports its errors.

use serde_json::Value;

use crate::arm::errors::ArmError;

use super::checks::{invalid, matches};

/// A pool as requested (agentPoolProfiles entry or AgentPool properties).
#[derive(Debug, Clone)]
pub(crate) struct PoolSpec {
    pub name: String,
    pub props: Value,
    pub mode: String,
    pub vm_size: String,
    pub count: i64,
    pub autoscale: bool,
    pub max: Option<i64>,
    pub max_pods: Option<i64>,
    pub zones: Vec<String>,
    pub subnet: Option<String>,
    pub pool_type: String,
}

impl PoolSpec {
    /// Nodes the pool may reach (`maxCount` with autoscaling, else `count`).
    pub fn nodes_at_max(&self) -> i64 {
        if self.autoscale {
            self.max.unwrap_or(self.count)
        } else {
            self.count
        }
    }

    /// Surge nodes during upgrades (`upgradeSettings.maxSurge`, default 10%, at least 1).
    pub fn surge(&self) -> i64 {
        surge(&self.props, self.nodes_at_max())
    }
}

pub(crate) fn surge(props: &Value, nodes: i64) -> i64 {
    if nodes <= 0 {
        return 0;
    }
    let setting = props
        .pointer("/upgradeSettings/maxSurge")
        .and_then(Value::as_str)
        .unwrap_or("10%");
    match setting.strip_suffix('%') {
        Some(pct) => {
            let pct: f64 = pct.trim().parse().unwrap_or(10.0);
            ((nodes as f64 * pct / 100.0).ceil() as i64).max(1)
        }
        None => setting.trim().parse::<i64>().unwrap_or(1).max(0),
    }
}

fn int(props: &Value, key: &str) -> Option<i64> {
    props.get(key).and_then(Value::as_i64)
}

/// Parse and check a pool's own fields; `name` is validated too.
pub(crate) fn pool(name: &str, props: &Value) -> Result<PoolSpec, ArmError> {
    pool_name(name)?;
    let mode = props["mode"].as_str().unwrap_or("User").to_string();
    let pool_type = props["type"]
        .as_str()
        .unwrap_or("VirtualMachineScaleSets")
        .to_string();
    let Some(vm_size) = props["vmSize"]
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
    else {
        return Err(invalid(
            "agentPoolProfile.vmSize",
            format!("The value of parameter agentPoolProfile.vmSize of pool {name} is required."),
        ));
    };
    let system = mode.eq_ignore_ascii_case("System");
    let counts = node_counts(name, props, &mode, system)?;
    let max_pods = max_pods(name, props)?;
    let zones = zones(name, props, &pool_type)?;
    system_os(name, props, system)?;
    taints(name, props, system)?;
    labels(name, props)?;
    Ok(PoolSpec {
        name: name.to_string(),
        props: props.clone(),
        mode,
        vm_size,
        count: counts.count,
        autoscale: counts.autoscale,
        max: counts.max,
        max_pods,
        zones,
        subnet: props["vnetSubnetID"].as_str().map(str::to_string),
        pool_type,
    })
}

fn pool_name(name: &str) -> Result<(), ArmError> {
    if matches(r"^[a-z][a-z0-9]{0,11}$", name) {
        return Ok(());
    }
    Err(invalid(
        "agentPoolProfile.name",
        format!(
            "The agent pool name '{name}' is invalid. Agent pool names must start with a lowercase letter, have max length of 12, and only have characters a-z0-9."
        ),
    ))
}

struct NodeCounts {
    count: i64,
    autoscale: bool,
    max: Option<i64>,
}

/// `count`, and with autoscaling `minCount`/`maxCount`; a System pool needs at least one node.
fn node_counts(
    name: &str,
    props: &Value,
    mode: &str,
    system: bool,
) -> Result<NodeCounts, ArmError> {
    let autoscale = props["enableAutoScaling"].as_bool().unwrap_or(false);
    let min = int(props, "minCount");
    let max = int(props, "maxCount");
    let count = int(props, "count")
        .or(if autoscale { min } else { None })
        .unwrap_or(1);
    let floor = if system { 1 } else { 0 };
    if !(floor..=1000).contains(&count) {
        return Err(invalid(
            "agentPoolProfile.count",
            format!(
                "The value of parameter agentPoolProfile.count of pool {name} is invalid: {count} is outside {floor}-1000 for a {mode} pool."
            ),
        ));
    }
    if autoscale {
        autoscale_bounds(name, min, max, count, floor)?;
    } else if min.is_some() || max.is_some() {
        return Err(invalid(
            "agentPoolProfile.minCount",
            format!(
                "Agent pool {name}: minCount and maxCount can only be set when enableAutoScaling is true."
            ),
        ));
    }
    Ok(NodeCounts {
        count,
        autoscale,
        max,
    })
}

fn autoscale_bounds(
    name: &str,
    min: Option<i64>,
    max: Option<i64>,
    count: i64,
    floor: i64,
) -> Result<(), ArmError> {
    let (Some(lo), Some(hi)) = (min, max) else {
        return Err(invalid(
            "agentPoolProfile.minCount",
            format!(
                "Agent pool {name} has enableAutoScaling set but minCount or maxCount is missing."
            ),
        ));
    };
    if lo < floor || hi > 1000 || lo > hi {
        return Err(invalid(
            "agentPoolProfile.minCount",
            format!(
                "Agent pool {name}: minCount {lo} and maxCount {hi} must satisfy {floor} <= minCount <= maxCount <= 1000."
            ),
        ));
    }
    if count < lo || count > hi {
        return Err(invalid(
            "agentPoolProfile.count",
            format!(
                "Agent pool {name}: count {count} must be between minCount {lo} and maxCount {hi}."
            ),
        ));
    }
    Ok(())
}

fn max_pods(name: &str, props: &Value) -> Result<Option<i64>, ArmError> {
    let max_pods = int(props, "maxPods");
    if let Some(m) = max_pods
        && !(10..=250).contains(&m)
    {
        return Err(invalid(
            "agentPoolProfile.maxPods",
            format!("Agent pool {name}: maxPods {m} is outside 10-250."),
        ));
    }
    Ok(max_pods)
}

fn zones(name: &str, props: &Value, pool_type: &str) -> Result<Vec<String>, ArmError> {
    let zones: Vec<String> = props["availabilityZones"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if !zones.is_empty() && !pool_type.eq_ignore_ascii_case("VirtualMachineScaleSets") {
        return Err(invalid(
            "agentPoolProfile.availabilityZones",
            format!(
                "Agent pool {name}: availability zones require the VirtualMachineScaleSets type."
            ),
        ));
    }
    Ok(zones)
}

fn system_os(name: &str, props: &Value, system: bool) -> Result<(), ArmError> {
    if system
        && !props["osType"]
            .as_str()
            .unwrap_or("Linux")
            .eq_ignore_ascii_case("Linux")
    {
        return Err(invalid(
            "agentPoolProfile.osType",
            format!("System pool {name} must use the Linux OS type."),
        ));
    }
    Ok(())
}

/// Each taint's format; on a System pool only `CriticalAddonsOnly` or a `PreferNoSchedule`
/// effect, so AKS's own pods (which tolerate only those) can still be scheduled. AKS refuses
/// others with `SystemPoolHasRestrictedTaint` since 2021-09 (Azure/AKS#2578; the AKS system-pool
/// documentation, checked 2026-12-07).
fn taints(name: &str, props: &Value, system: bool) -> Result<(), ArmError> {
    for taint in props["nodeTaints"].as_array().into_iter().flatten() {
        let t = taint.as_str().unwrap_or("");
        if !matches(
            r"^[A-Za-z0-9./_-]+(=[A-Za-z0-9._-]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$",
            t,
        ) {
            return Err(invalid(
                "agentPoolProfile.nodeTaints",
                format!(
                    "Agent pool {name}: taint '{t}' is invalid; the format is key=value:NoSchedule|PreferNoSchedule|NoExecute."
                ),
            ));
        }
        let key = t.split([':', '=']).next().unwrap_or("");
        if system && key != "CriticalAddonsOnly" && !t.ends_with(":PreferNoSchedule") {
            return Err(ArmError::bad_request(
                "SystemPoolHasRestrictedTaint",
                "Operation failed due to insufficient nodes for system pod scheduling. Placing custom taints on system pool is not supported(except 'CriticalAddonsOnly' taint or taint effect is 'PreferNoSchedule'). Please refer to https://aka.ms/aks/system-taints for detail",
            )
            .target("agentPoolProfile.nodeTaints"));
        }
    }
    Ok(())
}

fn labels(name: &str, props: &Value) -> Result<(), ArmError> {
    let Some(labels) = props["nodeLabels"].as_object() else {
        return Ok(());
    };
    for (k, v) in labels {
        if k.starts_with("kubernetes.azure.com/") {
            return Err(invalid(
                "agentPoolProfile.nodeLabels",
                format!("Agent pool {name}: the label key '{k}' is reserved for AKS."),
            ));
        }
        if !v.is_string() {
            return Err(invalid(
                "agentPoolProfile.nodeLabels",
                format!("Agent pool {name}: the value of label '{k}' must be a string."),
            ));
        }
    }
    Ok(())
}
