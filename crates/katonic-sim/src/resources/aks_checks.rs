//! AKS preflight checks (azure-brief §1.4): names, versions and LTS, pool shapes, VM sizes and
//! zones, network profile, subnet capacity (InsufficientSubnetSize) and vCPU quota (QuotaExceeded).

use std::collections::BTreeMap;
use std::str::FromStr;

use ipnet::IpNet;
use regex::Regex;
use serde_json::Value;

use crate::arm::Ctx;
use crate::arm::errors::ArmError;
use crate::catalog::version_key;
use crate::state::State;

fn invalid(param: &str, message: impl Into<String>) -> ArmError {
    ArmError::bad_request("InvalidParameter", message).target(param.to_string())
}

fn matches(pattern: &str, s: &str) -> bool {
    Regex::new(pattern).is_ok_and(|r| r.is_match(s))
}

pub(crate) fn cluster_name(name: &str) -> Result<(), ArmError> {
    if matches(
        r"^[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$",
        name,
    ) {
        Ok(())
    } else {
        Err(invalid(
            "resourceName",
            format!(
                "The value of parameter resourceName is invalid. Error details: '{name}' must be 1-63 characters of letters, digits, '-' and '_', starting and ending with a letter or digit."
            ),
        ))
    }
}

pub(crate) fn dns_prefix(prefix: &str) -> Result<(), ArmError> {
    if matches(
        r"^[a-zA-Z0-9]$|^[a-zA-Z0-9][-a-zA-Z0-9]{0,52}[a-zA-Z0-9]$",
        prefix,
    ) {
        Ok(())
    } else {
        Err(invalid(
            "properties.dnsPrefix",
            format!(
                "DNS prefix '{prefix}' is invalid. The DNS prefix must contain between 1 and 54 characters. The name can contain only letters, numbers, and hyphens. The name must start and end with a letter or a number."
            ),
        ))
    }
}

/// Resolve `kubernetesVersion` (`1.33` or `1.33.4`) against the region's list; returns
/// (major.minor, patch). LTS-only versions need the Premium tier and the LTS plan.
pub(crate) fn version(
    ctx: &Ctx<'_>,
    location: &str,
    requested: Option<&str>,
    tier: &str,
    plan: &str,
) -> Result<(String, String), ArmError> {
    let offered = ctx.catalog().k8s_versions(location);
    let chosen = match requested {
        None | Some("") => offered
            .iter()
            .find(|v| v.is_default)
            .or(offered.first())
            .copied(),
        Some(r) => offered
            .iter()
            .find(|v| v.version == r || v.patches.iter().any(|p| p == r))
            .copied(),
    };
    let Some(v) = chosen else {
        return Err(ArmError::bad_request(
            "K8sVersionNotSupported",
            format!("Version {} is not supported in this region. Please use [az aks get-versions] command to get the supported version list in this region. For more information, please check https://aka.ms/supported-version-list", requested.unwrap_or("")),
        )
        .target("properties.kubernetesVersion"));
    };
    if v.lts_only
        && !(tier.eq_ignore_ascii_case("Premium")
            && plan.eq_ignore_ascii_case("AKSLongTermSupport"))
    {
        return Err(ArmError::bad_request(
            "K8sVersionNotSupported",
            format!("Managed cluster is on version {}, which is only available for Long-Term Support (LTS). If you intend to onboard to LTS, please ensure the cluster is in the Premium tier and the AKSLongTermSupport support plan. For more information, please check https://aka.ms/aks/lts", v.version),
        )
        .target("properties.kubernetesVersion"));
    }
    let patch = match requested {
        Some(r) if r.matches('.').count() == 2 => r.to_string(),
        _ => v
            .patches
            .iter()
            .max_by_key(|p| version_key(p))
            .cloned()
            .unwrap_or_else(|| format!("{}.0", v.version)),
    };
    Ok((v.version.clone(), patch))
}

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
    if !matches(r"^[a-z][a-z0-9]{0,11}$", name) {
        return Err(invalid(
            "agentPoolProfile.name",
            format!(
                "The agent pool name '{name}' is invalid. Agent pool names must start with a lowercase letter, have max length of 12, and only have characters a-z0-9."
            ),
        ));
    }
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
    let autoscale = props["enableAutoScaling"].as_bool().unwrap_or(false);
    let min = int(props, "minCount");
    let max = int(props, "maxCount");
    let count = int(props, "count")
        .or(if autoscale { min } else { None })
        .unwrap_or(1);
    let system = mode.eq_ignore_ascii_case("System");
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
    } else if min.is_some() || max.is_some() {
        return Err(invalid(
            "agentPoolProfile.minCount",
            format!(
                "Agent pool {name}: minCount and maxCount can only be set when enableAutoScaling is true."
            ),
        ));
    }
    let max_pods = int(props, "maxPods");
    if let Some(m) = max_pods
        && !(10..=250).contains(&m)
    {
        return Err(invalid(
            "agentPoolProfile.maxPods",
            format!("Agent pool {name}: maxPods {m} is outside 10-250."),
        ));
    }
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
    }
    if let Some(labels) = props["nodeLabels"].as_object() {
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
    }
    Ok(PoolSpec {
        name: name.to_string(),
        props: props.clone(),
        mode,
        vm_size,
        count,
        autoscale,
        max,
        max_pods,
        zones,
        subnet: props["vnetSubnetID"].as_str().map(str::to_string),
        pool_type,
    })
}

/// The size must exist and be offered in the region and every zone requested; System pools
/// need at least 2 vCPUs and 4 GiB.
pub(crate) fn size_and_zones(
    ctx: &Ctx<'_>,
    spec: &PoolSpec,
    location: &str,
) -> Result<(), ArmError> {
    let catalog = ctx.catalog();
    let region_zones = catalog
        .region(location)
        .map(|r| r.zones.clone())
        .unwrap_or_default();
    for z in &spec.zones {
        if !region_zones.contains(z) {
            return Err(ArmError::bad_request(
                "AvailabilityZoneNotSupported",
                format!(
                    "The zone(s) '{}' for resource 'agentPoolProfile {}' is not supported. The supported zones for location '{location}' are '{}'",
                    spec.zones.join(","),
                    spec.name,
                    region_zones.join(",")
                ),
            ));
        }
    }
    let not_available = || {
        ArmError::bad_request(
            "SkuNotAvailable",
            format!(
                "The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: {}' is currently not available in location '{location}'{}. Please try another size or deploy to a different location or different zone. See https://aka.ms/azureskunotavailable for details.",
                spec.vm_size,
                if spec.zones.is_empty() {
                    String::new()
                } else {
                    format!(" zones '{}'", spec.zones.join(","))
                }
            ),
        )
    };
    let Some(size) = catalog.size(&spec.vm_size) else {
        return Err(not_available());
    };
    let Some(zones) = catalog.size_zones(&spec.vm_size, location) else {
        return Err(not_available());
    };
    if spec.zones.iter().any(|z| !zones.contains(z)) {
        return Err(not_available());
    }
    if spec.mode.eq_ignore_ascii_case("System") && (size.vcpus < 2 || size.memory_gb < 4.0) {
        return Err(invalid(
            "agentPoolProfile.vmSize",
            format!(
                "The VM size of {} is not allowed in a system pool: it has {} vCPUs and {} GiB, less than the 2 vCPUs and 4 GiB a system pool needs.",
                spec.vm_size, size.vcpus, size.memory_gb
            ),
        ));
    }
    Ok(())
}

/// A pool version must be offered and within three minors below the control plane, not above it.
pub(crate) fn pool_version(
    ctx: &Ctx<'_>,
    location: &str,
    requested: Option<&str>,
    control_plane: &str,
) -> Result<String, ArmError> {
    let Some(r) = requested.filter(|r| !r.is_empty()) else {
        return Ok(control_plane.to_string());
    };
    let minor: String = r.split('.').take(2).collect::<Vec<_>>().join(".");
    let offered = ctx
        .catalog()
        .k8s_versions(location)
        .iter()
        .any(|v| v.version == minor);
    let cp = version_key(control_plane);
    let pv = version_key(&minor);
    let too_new = pv > cp;
    let too_old = cp
        .get(1)
        .copied()
        .unwrap_or(0)
        .saturating_sub(pv.get(1).copied().unwrap_or(0))
        > 3;
    if !offered || too_new || too_old {
        return Err(ArmError::bad_request(
            "AgentPoolK8sVersionNotSupported",
            format!(
                "Version {r} is not supported for agent pools of a cluster on {control_plane}: node pools must be on an offered version no newer than the control plane and at most three minors older."
            ),
        ));
    }
    Ok(minor)
}

/// Network plugin facts of a cluster.
pub(crate) struct Net {
    pub plugin: String,
    pub overlay: bool,
}

impl Net {
    pub fn from_profile(profile: &Value) -> Self {
        Self {
            plugin: profile["networkPlugin"]
                .as_str()
                .unwrap_or("azure")
                .to_ascii_lowercase(),
            overlay: profile["networkPluginMode"]
                .as_str()
                .is_some_and(|m| m.eq_ignore_ascii_case("overlay")),
        }
    }

    /// Classic Azure CNI pre-allocates an IP per pod.
    pub fn classic(&self) -> bool {
        self.plugin == "azure" && !self.overlay
    }

    pub fn default_max_pods(&self) -> i64 {
        if self.classic() {
            30
        } else if self.overlay {
            250
        } else {
            110
        }
    }

    /// Subnet IPs one node takes.
    pub fn ips_per_node(&self, max_pods: Option<i64>) -> i64 {
        if self.classic() {
            max_pods.unwrap_or(30) + 1
        } else {
            1
        }
    }
}

fn net(s: &str, param: &str) -> Result<IpNet, ArmError> {
    IpNet::from_str(s).map_err(|_| {
        invalid(
            param,
            format!("The value of parameter {param} is invalid: '{s}' is not a valid CIDR."),
        )
    })
}

/// Check the network profile against the VNets of the pools' subnets.
pub(crate) fn network_profile(profile: &Value, vnet_spaces: &[IpNet]) -> Result<(), ArmError> {
    let n = Net::from_profile(profile);
    if !["azure", "kubenet", "none"].contains(&n.plugin.as_str()) {
        return Err(invalid(
            "properties.networkProfile.networkPlugin",
            format!("Network plugin '{}' is not supported.", n.plugin),
        ));
    }
    if n.overlay && n.plugin != "azure" {
        return Err(invalid(
            "properties.networkProfile.networkPluginMode",
            "networkPluginMode 'overlay' requires networkPlugin 'azure'.",
        ));
    }
    let policy = profile["networkPolicy"]
        .as_str()
        .unwrap_or("none")
        .to_ascii_lowercase();
    if policy == "azure" && n.plugin != "azure" {
        return Err(invalid(
            "properties.networkProfile.networkPolicy",
            "networkPolicy 'azure' requires networkPlugin 'azure'.",
        ));
    }
    if n.classic() && profile["podCidr"].as_str().is_some() {
        return Err(invalid(
            "properties.networkProfile.podCidr",
            "podCidr is not allowed with networkPlugin 'azure' unless networkPluginMode is 'overlay'.",
        ));
    }
    let service = profile["serviceCidr"]
        .as_str()
        .map(|s| net(s, "properties.networkProfile.serviceCidr"))
        .transpose()?;
    let dns = profile["dnsServiceIP"].as_str();
    if let (Some(svc), Some(dns)) = (&service, dns) {
        let ip = std::net::IpAddr::from_str(dns).map_err(|_| {
            invalid(
                "properties.networkProfile.dnsServiceIP",
                format!("dnsServiceIP '{dns}' is not an IP address."),
            )
        })?;
        if !svc.contains(&ip) || ip == svc.network() {
            return Err(ArmError::bad_request(
                "InvalidDNSServiceIP",
                format!(
                    "The DNSServiceIP {dns} must be within the service CIDR {svc} and must not be its first address."
                ),
            ));
        }
    } else if service.is_some() != dns.is_some() {
        return Err(invalid(
            "properties.networkProfile.dnsServiceIP",
            "serviceCidr and dnsServiceIP must be specified together.",
        ));
    }
    let service = service.unwrap_or_else(|| IpNet::from_str("10.0.0.0/16").unwrap_or_default());
    for space in vnet_spaces {
        if overlaps(&service, space) {
            return Err(ArmError::bad_request(
                "ServiceCidrOverlapExistingSubnetsCidr",
                format!(
                    "The specified service CIDR {service} is conflicted with an existing subnet CIDR {space}"
                ),
            ));
        }
    }
    if let Some(pod) = profile["podCidr"].as_str() {
        let pod = net(pod, "properties.networkProfile.podCidr")?;
        if overlaps(&pod, &service) || vnet_spaces.iter().any(|s| overlaps(&pod, s)) {
            return Err(ArmError::bad_request(
                "PodCidrOverlapExistingSubnetsCidr",
                format!(
                    "The specified pod CIDR {pod} overlaps the service CIDR or the virtual network."
                ),
            ));
        }
    }
    Ok(())
}

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// Subnet capacity: the pools being created or changed must fit in what is free.
/// `demands` are (subnet id, pool name, nodes incl. surge, ips per node); `exclude` are the
/// pool ids whose current IPs are being replaced.
pub(crate) fn subnet_capacity(
    st: &State,
    demands: &[(String, String, i64, i64)],
    exclude: &[String],
) -> Result<(), ArmError> {
    let mut by_subnet: BTreeMap<String, i64> = BTreeMap::new();
    for (subnet, _, nodes, per) in demands {
        *by_subnet.entry(subnet.to_ascii_lowercase()).or_insert(0) += nodes * per;
    }
    for (subnet, required) in by_subnet {
        let Some((_, s)) = super::network::find_subnet(st, &subnet) else {
            continue;
        };
        let Some(prefix) = super::network::subnet_prefix(s) else {
            continue;
        };
        let used = super::aks::subnet_ips_used(st, &subnet, exclude);
        let available = super::network::usable_ips(&prefix) as i64 - used;
        if required > available {
            return Err(ArmError::bad_request(
                "InsufficientSubnetSize",
                format!(
                    "Pre-allocated IPs {required} exceeds IPs available {} in Subnet Cidr {prefix}, Subnet Name {}. http://aka.ms/aks/insufficientsubnetsize",
                    available.max(0),
                    s["name"].as_str().unwrap_or("")
                ),
            ));
        }
    }
    Ok(())
}

/// vCPU quota: per family and the regional total, with the pools at their maximum plus surge.
pub(crate) fn quota(
    ctx: &Ctx<'_>,
    st: &State,
    cluster: &str,
    rg: &str,
    location: &str,
    pools: &[PoolSpec],
    exclude: &[String],
) -> Result<(), ArmError> {
    let mut current = BTreeMap::new();
    for (pool_id, size, nodes) in super::aks::node_usage(st, location) {
        if exclude.iter().any(|e| e.eq_ignore_ascii_case(&pool_id)) {
            continue;
        }
        if let Some(s) = ctx.catalog().size(&size) {
            *current.entry(s.family.clone()).or_insert(0u64) += nodes * u64::from(s.vcpus);
            *current.entry("cores".to_string()).or_insert(0u64) += nodes * u64::from(s.vcpus);
        }
    }
    let mut required: BTreeMap<String, u64> = BTreeMap::new();
    for p in pools {
        let Some(s) = ctx.catalog().size(&p.vm_size) else {
            continue;
        };
        let vcpus = (p.nodes_at_max() + p.surge()).max(0) as u64 * u64::from(s.vcpus);
        *required.entry(s.family.clone()).or_insert(0) += vcpus;
        *required.entry("cores".to_string()).or_insert(0) += vcpus;
    }
    for (family, req) in required {
        let limit = ctx.catalog().family_limit(location, &family);
        let cur = current.get(&family).copied().unwrap_or(0);
        if cur + req > limit {
            let what = if family == "cores" {
                "Total Regional Cores".to_string()
            } else {
                format!("{family} Cores")
            };
            return Err(ArmError::bad_request(
                "QuotaExceeded",
                format!(
                    "Preflight validation check for resource(s) for container service {cluster} in resource group {rg} failed. Message: Operation could not be completed as it results in exceeding approved {what} quota. Additional details - Deployment Model: Resource Manager, Location: {location}, Current Limit: {limit}, Current Usage: {cur}, Additional Required: {req}, (Minimum) New Limit Required: {}. Submit a request for Quota increase at https://aka.ms/ProdportalCRP/#blade/Microsoft_Azure_Capacity/UsageAndQuota.ReactView by specifying parameters listed in the 'Details' section for deployment to succeed.",
                    cur + req
                ),
            ));
        }
    }
    Ok(())
}
