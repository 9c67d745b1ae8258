//! Words for spec values, shared by the step details, the inventory notes and the cost lines, so
//! the review page says the same thing the same way everywhere.

use super::names;
use crate::spec::{
    ClusterMode, ClusterTier, InstallSpec, NetworkPlugin, NetworkPolicy, NodePool, NodeScale,
    OutboundType, RegistrySku,
};

/// "2 nodes" or "1 to 4 nodes (autoscaling)".
pub fn scale(scale: &NodeScale) -> String {
    match *scale {
        NodeScale::Fixed(n) => nodes(n),
        NodeScale::Auto { min, max } => format!("{min} to {max} nodes (autoscaling)"),
    }
}

/// "1 node" / "3 nodes".
pub fn nodes(n: u32) -> String {
    if n == 1 {
        "1 node".to_string()
    } else {
        format!("{n} nodes")
    }
}

/// "compute: Standard_D8s_v3, 1 to 4 nodes (autoscaling)".
pub fn pool(pool: &NodePool) -> String {
    format!("{}: {}, {}", pool.name, pool.vm_size, scale(&pool.scale))
}

/// "zones 1, 2".
pub fn zones(spec: &InstallSpec) -> String {
    let list: Vec<String> = spec
        .cluster
        .zones
        .as_slice()
        .iter()
        .map(|z| z.number().to_string())
        .collect();
    format!("zones {}", list.join(", "))
}

/// "1.30", or what preflight will choose when the spec leaves it open.
pub fn kubernetes_version(spec: &InstallSpec) -> String {
    match &spec.cluster.kubernetes_version {
        Some(v) => v.to_string(),
        None => "the newest version >= 1.29 the region supports (chosen at preflight)".to_string(),
    }
}

pub fn tier(tier: ClusterTier) -> &'static str {
    match tier {
        ClusterTier::Free => "Free",
        ClusterTier::Standard => "Standard",
        ClusterTier::Premium => "Premium",
    }
}

pub fn plugin(plugin: NetworkPlugin) -> &'static str {
    match plugin {
        NetworkPlugin::AzureOverlay => "Azure CNI overlay",
        NetworkPlugin::Azure => "Azure CNI",
        NetworkPlugin::Kubenet => "kubenet",
    }
}

pub fn policy(policy: NetworkPolicy) -> &'static str {
    match policy {
        NetworkPolicy::Calico => "Calico",
        NetworkPolicy::Azure => "Azure Network Policy Manager",
    }
}

pub fn outbound(outbound: OutboundType) -> &'static str {
    match outbound {
        OutboundType::LoadBalancer => "load balancer (public egress IP)",
        OutboundType::UserDefinedRouting => "user-defined routing",
        OutboundType::ManagedNatGateway => "managed NAT gateway",
    }
}

pub fn registry_sku(sku: RegistrySku) -> &'static str {
    match sku {
        RegistrySku::Basic => "Basic",
        RegistrySku::Standard => "Standard",
        RegistrySku::Premium => "Premium",
    }
}

/// "subnet snet-aks", or the existing cluster's own subnet (whose name the spec does not give).
pub fn aks_subnet(spec: &InstallSpec) -> String {
    match spec.cluster.mode {
        ClusterMode::Create => format!("subnet {}", names::aks_subnet(spec)),
        ClusterMode::Existing => "the cluster's node subnet".to_string(),
    }
}

/// AKS's node resource group by its default name, or the existing cluster's (found at preflight).
pub fn node_resource_group(spec: &InstallSpec) -> String {
    match spec.cluster.mode {
        ClusterMode::Create => names::node_resource_group(spec),
        ClusterMode::Existing => "the cluster's node resource group".to_string(),
    }
}

/// "storage account stkatonic", or "the storage account" while its name is left to provisioning.
pub fn storage_account(spec: &InstallSpec) -> String {
    match &spec.storage.account_name {
        Some(name) => format!("storage account {name}"),
        None => "the storage account".to_string(),
    }
}

/// "container registry katonicacr", or "the container registry" while its name is left to provisioning.
pub fn registry(spec: &InstallSpec) -> String {
    match &spec.registry.name {
        Some(name) => format!("container registry {name}"),
        None => "the container registry".to_string(),
    }
}

/// "USD 0.10", "USD 0.0846": at least two decimals, at most four.
pub fn money(currency: &str, amount: f64) -> String {
    let four = format!("{amount:.4}");
    let trimmed = four.trim_end_matches('0');
    let decimals = trimmed.split_once('.').map_or(0, |(_, d)| d.len());
    if decimals < 2 {
        format!("{currency} {amount:.2}")
    } else {
        format!("{currency} {trimmed}")
    }
}

/// "a, b and c" (or "a and b", or "a").
pub fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", init.join(", "), last.as_ref())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_prose() {
        assert_eq!(and_list::<&str>(&[]), "");
        assert_eq!(and_list(&["a"]), "a");
        assert_eq!(and_list(&["a", "b"]), "a and b");
        assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
    }

    #[test]
    fn money_keeps_cents_and_small_prices() {
        assert_eq!(money("USD", 0.1), "USD 0.10");
        assert_eq!(money("USD", 0.0846), "USD 0.0846");
        assert_eq!(money("USD", 0.005), "USD 0.005");
        assert_eq!(money("USD", 19.71), "USD 19.71");
        assert_eq!(money("USD", 0.0), "USD 0.00");
        assert_eq!(money("USD", 14.692), "USD 14.692");
    }

    #[test]
    fn scales_read_as_prose() {
        assert_eq!(scale(&NodeScale::Fixed(1)), "1 node");
        assert_eq!(scale(&NodeScale::Fixed(2)), "2 nodes");
        assert_eq!(
            scale(&NodeScale::Auto { min: 0, max: 2 }),
            "0 to 2 nodes (autoscaling)"
        );
    }
}
