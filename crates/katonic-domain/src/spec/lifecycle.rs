//! Lifecycle advice: retired VM sizes, Kubernetes versions past AKS support, retiring plugins,
//! old add-on versions. Warnings, never errors: the admin decides.

use super::catalog::{self, KubernetesRelease};
use super::{
    AIRBYTE_VERSION, ClusterTier, InstallSpec, KubernetesVersion, NetworkPlugin, NodePool,
    NodeScale, OutboundType, SUPERSET_VERSION, Warning,
};
use time::{Date, Duration};

/// kubenet's retirement on AKS.
pub const KUBENET_RETIREMENT: &str = "2028-03-31";
/// How far ahead an announced VM size retirement is worth a warning.
const RETIREMENT_HORIZON_DAYS: i64 = 365;
/// Nodes the system pool should have to stay available during node failures and upgrades.
const SYSTEM_POOL_HA_NODES: u32 = 3;

fn warning(field: &str, code: &str, message: String, suggestion: String) -> Warning {
    Warning {
        field: field.to_string(),
        code: code.to_string(),
        message,
        suggestion,
    }
}

pub fn warnings(spec: &InstallSpec, today: Date) -> Vec<Warning> {
    let mut out = Vec::new();
    let cluster = &spec.cluster;
    if let Some(v) = cluster.kubernetes_version {
        out.extend(kubernetes(v, cluster.tier, today));
    }
    let network = &cluster.network;
    if network.plugin == NetworkPlugin::Kubenet {
        out.push(warning(
            "cluster.network.plugin",
            "network.kubenet",
            format!("kubenet is retiring on AKS on {KUBENET_RETIREMENT}"),
            "use `plugin: azure-overlay` (pods keep their own range, nodes take one subnet address)"
                .to_string(),
        ));
    }
    if network.outbound_type == OutboundType::LoadBalancer {
        out.push(warning(
            "cluster.network.outboundType",
            "network.egress-ip",
            "`outboundType: loadBalancer` gives the cluster a public IP for outbound traffic, \
             even though its API server and ingress are private"
                .to_string(),
            "if no public IP is allowed, use `userDefinedRouting` through your firewall or \
             `managedNATGateway`"
                .to_string(),
        ));
    }
    for pool in cluster.node_pools.iter() {
        out.extend(vm_size(pool, today));
    }
    let platform = &cluster.node_pools.platform;
    if platform.scale.min() < SYSTEM_POOL_HA_NODES {
        let field = match platform.scale {
            NodeScale::Fixed(_) => "cluster.nodePools.platform.count",
            NodeScale::Auto { .. } => "cluster.nodePools.platform.min",
        };
        out.push(warning(
            field,
            "pool.system-size",
            format!(
                "the platform pool is AKS's system pool and has {} node(s); with one node down or \
                 upgrading, system pods and the platform share what is left",
                platform.scale.min()
            ),
            format!("use {SYSTEM_POOL_HA_NODES} nodes for high availability (one per zone)"),
        ));
    }
    if let Some(c) = network.gateway_subnet_cidr.filter(|c| {
        spec.ingress.gateway.is_some() && c.prefix() > super::RECOMMENDED_GATEWAY_PREFIX
    }) {
        out.push(warning(
            "cluster.network.gatewaySubnetCidr",
            "gateway-subnet.small",
            format!(
                "the gateway subnet {c} is smaller than the /24 Microsoft recommends for \
                 Application Gateway v2; it fits this maxCapacity, not v2's 125 instances"
            ),
            "use a /24 if the VNet has room, so maxCapacity can grow without a new subnet"
                .to_string(),
        ));
    }
    // Not lifecycle advice, but the spec's one list of warnings.
    out.extend(super::dns_zone::warning(spec));
    let version = &spec.platform.version;
    for (enabled, field, addon, pinned) in [
        (
            spec.addons.superset.is_some(),
            "addons.superset",
            "Superset",
            SUPERSET_VERSION,
        ),
        (
            spec.addons.airbyte.is_some(),
            "addons.airbyte",
            "Airbyte",
            AIRBYTE_VERSION,
        ),
    ] {
        if enabled {
            out.push(warning(
                field,
                "addon.version",
                format!("platform {version} installs {addon} {pinned}, an old upstream release"),
                format!(
                    "keep {addon} behind the internal load balancer and review its upstream \
                     security advisories, or disable it if it is not needed"
                ),
            ));
        }
    }
    super::parse::sort_warnings(&mut out);
    out
}

fn vm_size(pool: &NodePool, today: Date) -> Option<Warning> {
    let field = format!("cluster.nodePools.{}.vmSize", pool.role.as_str());
    let size = pool.vm_size.as_str();
    let Some(info) = pool.vm_size.info() else {
        return Some(warning(
            &field,
            "vm-size.unknown",
            format!(
                "`{size}` is not in the console's catalogue (as of {}), so its vCPUs, quota family \
                 and lifecycle are not checked here",
                catalog::as_of()
            ),
            format!(
                "check the name with `az vm list-skus --size {size} --output table`; preflight checks it in the region"
            ),
        ));
    };
    let retired = info.retired_date()?;
    let horizon = today.saturating_add(Duration::days(RETIREMENT_HORIZON_DAYS));
    if retired > horizon {
        return None;
    }
    let when = if retired <= today {
        format!("was retired on {retired}")
    } else {
        format!("retires on {retired}")
    };
    let suggestion = match info.replacement.as_deref().and_then(catalog::vm_size) {
        Some(r) => format!(
            "use `{}` ({} vCPUs, {} GiB{}; quota family {})",
            r.name,
            r.vcpus,
            r.memory_gib,
            r.gpu_model
                .as_deref()
                .map_or(String::new(), |g| format!(", {}x {g}", r.gpus)),
            r.quota_family
        ),
        None => "use a current size of the same family".to_string(),
    };
    Some(warning(
        &field,
        "vm-size.retired",
        format!("`{}` {when}", info.name),
        suggestion,
    ))
}

fn version_of(r: &KubernetesRelease) -> (u32, u32) {
    r.version().unwrap_or_default()
}

/// The newest minor in AKS community support on `today`.
pub fn newest_supported(today: Date) -> Option<&'static KubernetesRelease> {
    catalog::kubernetes_releases()
        .iter()
        .filter(|r| r.ga_date().is_some_and(|d| d <= today))
        .filter(|r| r.end_of_support_date().is_some_and(|d| d >= today))
        .max_by_key(|r| version_of(r))
}

fn kubernetes(v: KubernetesVersion, tier: ClusterTier, today: Date) -> Option<Warning> {
    const FIELD: &str = "cluster.kubernetesVersion";
    let minor = v.minor_str();
    let newest = newest_supported(today).map_or(
        "leave `kubernetesVersion` out to take the newest version the region supports".to_string(),
        |r| {
            format!(
                "use `\"{}\"` (the newest minor in AKS support), or leave `kubernetesVersion` out",
                r.minor
            )
        },
    );
    let Some(release) = catalog::kubernetes_release(v.major, v.minor) else {
        return Some(warning(
            FIELD,
            "k8s.unknown",
            format!(
                "Kubernetes {minor} is not in the console's release calendar (as of {}); AKS may not offer it yet",
                catalog::as_of()
            ),
            newest,
        ));
    };
    let (ga, eos) = (release.ga_date()?, release.end_of_support_date()?);
    if ga > today {
        return Some(warning(
            FIELD,
            "k8s.preview",
            format!(
                "Kubernetes {minor} is expected to reach general availability on AKS around {ga}"
            ),
            newest,
        ));
    }
    if eos >= today {
        return None;
    }
    match release.lts_end_date() {
        Some(lts) if lts >= today => {
            if tier == ClusterTier::Premium {
                // Long-term support is exactly what the premium tier buys.
                return None;
            }
            Some(warning(
                FIELD,
                "k8s.unsupported",
                format!(
                    "Kubernetes {minor} left AKS community support on {eos}; only long-term support \
                     (until {lts}) remains, which needs `tier: premium`"
                ),
                format!("{newest}; or set `cluster.tier: premium` for long-term support"),
            ))
        }
        lts => Some(warning(
            FIELD,
            "k8s.unsupported",
            format!(
                "Kubernetes {minor} is past AKS support (community support ended {eos}{})",
                lts.map_or(String::new(), |d| format!(", long-term support {d}"))
            ),
            newest,
        )),
    }
}

#[cfg(test)]
mod tests;
