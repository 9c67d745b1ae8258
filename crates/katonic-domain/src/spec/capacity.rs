//! Subnet IP capacity for the chosen network plugin.
//!
//! Azure reserves 5 addresses in every subnet. Classic Azure CNI pre-assigns `maxPods + 1`
//! subnet addresses to every node (including surge nodes during upgrades); overlay and kubenet
//! need one subnet address per node, with each node taking a /24 of the pod CIDR. An internal
//! load balancer's frontend takes one address of the AKS subnet.

use super::text::{plural, thousands};
use super::{Invalid, LbMode, NetworkPlugin, NetworkSpec, NodePools};
use serde::{Deserialize, Serialize};

/// Addresses Azure reserves in every subnet.
pub const AZURE_RESERVED_PER_SUBNET: u64 = 5;

/// Usable addresses of a subnet of this prefix length (2^(32-p) - 5, zero when negative).
pub fn usable_addresses(prefix: u8) -> u64 {
    (1u64 << (32 - u32::from(prefix.min(32)))).saturating_sub(AZURE_RESERVED_PER_SUBNET)
}

/// The AKS subnet's budget, as the review page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IpBudget {
    /// `azure-overlay` | `azure` | `kubenet`
    pub plugin: String,
    pub subnet: String,
    pub subnet_prefix: u8,
    /// Addresses left after Azure's 5 reserved ones.
    pub usable: u64,
    /// Addresses the install needs at its largest (all pools at max, plus upgrade surge).
    pub needed: u64,
    pub max_nodes: u32,
    pub surge_nodes: u32,
    pub max_pods: u32,
    /// Subnet addresses each node takes (maxPods + 1 for classic CNI, else 1).
    pub per_node: u64,
    /// Internal load balancer frontends in the AKS subnet.
    pub load_balancer_ips: u64,
    /// Largest prefix length that would fit (`/21` in "use /21").
    pub smallest_fitting_prefix: Option<u8>,
    /// Overlay/kubenet: /24 node blocks the pod CIDR offers, and how many are needed.
    pub pod_cidr_blocks: Option<u64>,
    pub pod_cidr_blocks_needed: Option<u64>,
}

impl IpBudget {
    /// Whether the subnet (and the pod CIDR, where used) fits the install.
    pub fn fits(&self) -> bool {
        self.needed <= self.usable
            && match (self.pod_cidr_blocks, self.pod_cidr_blocks_needed) {
                (Some(have), Some(need)) => need <= have,
                _ => true,
            }
    }
}

/// Subnets smaller than this are refused by Azure.
pub const SMALLEST_SUBNET_PREFIX: u8 = 29;

/// Compute the budget of the AKS subnet for these pools and load-balancer mode.
pub fn ip_budget(network: &NetworkSpec, pools: &NodePools, lb: LbMode) -> IpBudget {
    let max_nodes = pools
        .iter()
        .fold(0u32, |sum, p| sum.saturating_add(p.scale.max()));
    let surge_nodes = pools
        .iter()
        .fold(0u32, |sum, p| sum.saturating_add(p.max_surge));
    let load_balancer_ips = u64::from(lb == LbMode::Internal);
    let per_node = match network.plugin {
        NetworkPlugin::Azure => u64::from(network.max_pods) + 1,
        NetworkPlugin::AzureOverlay | NetworkPlugin::Kubenet => 1,
    };
    let nodes = u64::from(max_nodes) + u64::from(surge_nodes);
    let needed = nodes
        .saturating_mul(per_node)
        .saturating_add(load_balancer_ips);
    let prefix = network.aks_subnet_cidr.prefix();
    let (pod_cidr_blocks, pod_cidr_blocks_needed) = if network.plugin.uses_pod_cidr() {
        (
            network.pod_cidr.map(|c| node_blocks(c.prefix())),
            Some(nodes),
        )
    } else {
        (None, None)
    };
    IpBudget {
        plugin: network.plugin.as_str().to_string(),
        subnet: network.aks_subnet_cidr.to_string(),
        subnet_prefix: prefix,
        usable: usable_addresses(prefix),
        needed,
        max_nodes,
        surge_nodes,
        max_pods: network.max_pods,
        per_node,
        load_balancer_ips,
        smallest_fitting_prefix: fitting_prefix(needed),
        pod_cidr_blocks,
        pod_cidr_blocks_needed,
    }
}

/// /24 node blocks a pod CIDR of this prefix offers (each overlay/kubenet node takes a /24).
pub fn node_blocks(prefix: u8) -> u64 {
    if prefix > 24 {
        0
    } else {
        1u64 << (24 - u32::from(prefix))
    }
}

/// The largest prefix length (smallest subnet, at most /29) with `needed` usable addresses.
pub fn fitting_prefix(needed: u64) -> Option<u8> {
    (0..=SMALLEST_SUBNET_PREFIX)
        .rev()
        .find(|p| usable_addresses(*p) >= needed)
}

fn plugin_name(plugin: &str) -> &'static str {
    match plugin {
        "azure" => "classic Azure CNI",
        "kubenet" => "kubenet",
        _ => "Azure CNI overlay",
    }
}

/// Why the AKS subnet is too small, with the figures and what would fit.
pub fn subnet_problem(b: &IpBudget) -> Option<Invalid> {
    if b.needed <= b.usable {
        return None;
    }
    let nodes = format!(
        "{} + {} surge",
        plural(u64::from(b.max_nodes), "node"),
        b.surge_nodes
    );
    let lb = if b.load_balancer_ips > 0 {
        format!(" + {} internal load balancer", b.load_balancer_ips)
    } else {
        String::new()
    };
    let breakdown = if b.plugin == "azure" {
        format!("({nodes}) × ({} pods + 1){lb}", b.max_pods)
    } else {
        format!("{nodes}{lb}")
    };
    let message = format!(
        "needs {} IPs with {} ({breakdown}), /{} gives {}",
        thousands(b.needed),
        plugin_name(&b.plugin),
        b.subnet_prefix,
        thousands(b.usable)
    );
    let subnet = match b.smallest_fitting_prefix {
        Some(p) => format!("a /{p} subnet"),
        None => "a larger subnet".to_string(),
    };
    let fix = if b.plugin == "azure" {
        // What overlay would need: one address per node, no per-pod addresses.
        let overlay = (u64::from(b.max_nodes) + u64::from(b.surge_nodes)) + b.load_balancer_ips;
        if overlay <= b.usable {
            format!(
                "use azure-overlay (needs {} IPs) or {subnet}",
                thousands(overlay)
            )
        } else {
            let overlay_subnet =
                fitting_prefix(overlay).map_or(String::new(), |p| format!(", a /{p}"));
            format!(
                "use {subnet}, or azure-overlay (needs {} IPs{overlay_subnet})",
                thousands(overlay)
            )
        }
    } else {
        format!("use {subnet} (or lower the node pools' max)")
    };
    Some(Invalid::new("subnet.capacity", message, fix))
}

/// Why the pod CIDR is too small for the nodes (overlay and kubenet give each node a /24).
pub fn pod_cidr_problem(b: &IpBudget, pod_cidr: &str) -> Option<Invalid> {
    let (have, need) = (b.pod_cidr_blocks?, b.pod_cidr_blocks_needed?);
    if need <= have {
        return None;
    }
    let fit = (0..=24u8).rev().find(|p| node_blocks(*p) >= need);
    let message = format!(
        "pod CIDR {pod_cidr} gives {} (a /24 per node), {} needs {} ({} + {} surge)",
        plural(have, "node block"),
        plugin_name(&b.plugin),
        thousands(need),
        plural(u64::from(b.max_nodes), "node"),
        b.surge_nodes
    );
    let fix = match fit {
        Some(p) => format!("use a /{p} or larger pod CIDR outside the VNet, e.g. a /16"),
        None => "lower the node pools' max".to_string(),
    };
    Some(Invalid::new("pod-cidr.capacity", message, fix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{
        Cidr, NetworkPolicy, NodePool, NodeScale, OutboundType, PoolName, PoolRole, VmSize,
    };
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    fn network(
        plugin: NetworkPlugin,
        subnet: &str,
        pod: Option<&str>,
        max_pods: u32,
    ) -> NetworkSpec {
        NetworkSpec {
            vnet_cidr: Cidr::parse("10.20.0.0/16").unwrap(),
            aks_subnet_cidr: Cidr::parse(subnet).unwrap(),
            jumphost_subnet_cidr: Cidr::parse("10.20.255.0/29").unwrap(),
            plugin,
            network_policy: NetworkPolicy::Calico,
            pod_cidr: pod.map(|p| Cidr::parse(p).unwrap()),
            service_cidr: Cidr::parse("172.16.0.0/16").unwrap(),
            dns_service_ip: Ipv4Addr::new(172, 16, 0, 10),
            max_pods,
            outbound_type: OutboundType::LoadBalancer,
            jumphost_egress: Default::default(),
            existing_vnet: None,
            gateway_subnet_cidr: None,
        }
    }

    fn pool(role: PoolRole, scale: NodeScale, max_surge: u32) -> NodePool {
        NodePool {
            role,
            name: PoolName::parse(role.as_str()).unwrap(),
            vm_size: VmSize::parse("Standard_D8s_v3").unwrap(),
            scale,
            max_surge,
        }
    }

    /// The vendor guide's pools: platform 2, compute 1-4, gpu 0-2; surge 1 each.
    fn vendor_pools() -> NodePools {
        NodePools {
            platform: pool(PoolRole::Platform, NodeScale::Fixed(2), 1),
            compute: pool(PoolRole::Compute, NodeScale::Auto { min: 1, max: 4 }, 1),
            gpu: Some(pool(PoolRole::Gpu, NodeScale::Auto { min: 0, max: 2 }, 1)),
        }
    }

    #[test]
    fn usable_addresses_per_prefix() {
        assert_eq!(usable_addresses(26), 59);
        assert_eq!(usable_addresses(29), 3);
        assert_eq!(usable_addresses(30), 0);
        assert_eq!(usable_addresses(32), 0);
        assert_eq!(usable_addresses(23), 507);
    }

    #[test]
    fn vendor_guide_classic_cni_on_a_26_does_not_fit() {
        let net = network(NetworkPlugin::Azure, "10.20.0.0/26", None, 30);
        let b = ip_budget(&net, &vendor_pools(), LbMode::Internal);
        assert_eq!((b.max_nodes, b.surge_nodes, b.per_node), (8, 3, 31));
        assert_eq!(b.needed, 342);
        assert_eq!(b.usable, 59);
        assert_eq!(b.smallest_fitting_prefix, Some(23));
        assert_eq!(b.pod_cidr_blocks, None);
        assert!(!b.fits());
        let e = subnet_problem(&b).unwrap();
        assert_eq!(e.rule, "subnet.capacity");
        assert_eq!(
            e.message,
            "needs 342 IPs with classic Azure CNI ((8 nodes + 3 surge) × (30 pods + 1) + 1 internal load balancer), /26 gives 59"
        );
        assert_eq!(e.fix, "use azure-overlay (needs 12 IPs) or a /23 subnet");
    }

    #[test]
    fn vendor_guide_overlay_on_a_26_fits() {
        let net = network(
            NetworkPlugin::AzureOverlay,
            "10.20.0.0/26",
            Some("192.168.0.0/16"),
            250,
        );
        let b = ip_budget(&net, &vendor_pools(), LbMode::Internal);
        assert_eq!((b.needed, b.per_node, b.load_balancer_ips), (12, 1, 1));
        assert_eq!(
            (b.pod_cidr_blocks, b.pod_cidr_blocks_needed),
            (Some(256), Some(11))
        );
        assert_eq!(b.smallest_fitting_prefix, Some(27), "a /28 gives 11 < 12");
        assert!(b.fits());
        assert!(subnet_problem(&b).is_none());
        assert!(pod_cidr_problem(&b, "192.168.0.0/16").is_none());
    }

    #[test]
    fn external_lb_takes_no_subnet_address() {
        let net = network(
            NetworkPlugin::Kubenet,
            "10.20.0.0/28",
            Some("10.244.0.0/16"),
            110,
        );
        let b = ip_budget(&net, &vendor_pools(), LbMode::External);
        assert_eq!((b.needed, b.usable), (11, 11));
        assert!(b.fits());
    }

    #[test]
    fn overlay_and_pod_cidr_problems() {
        let net = network(
            NetworkPlugin::AzureOverlay,
            "10.20.0.0/29",
            Some("192.168.0.0/23"),
            250,
        );
        let b = ip_budget(&net, &vendor_pools(), LbMode::Internal);
        let e = subnet_problem(&b).unwrap();
        assert_eq!(
            e.message,
            "needs 12 IPs with Azure CNI overlay (8 nodes + 3 surge + 1 internal load balancer), /29 gives 3"
        );
        assert_eq!(e.fix, "use a /27 subnet (or lower the node pools' max)");
        let e = pod_cidr_problem(&b, "192.168.0.0/23").unwrap();
        assert_eq!(e.rule, "pod-cidr.capacity");
        assert!(e.message.contains("gives 2 node blocks"), "{}", e.message);
        assert!(e.fix.contains("/20"), "{}", e.fix);
    }

    #[test]
    fn big_numbers_are_grouped() {
        let big = NodePools {
            platform: pool(PoolRole::Platform, NodeScale::Fixed(3), 1),
            compute: pool(PoolRole::Compute, NodeScale::Auto { min: 1, max: 60 }, 1),
            gpu: None,
        };
        let net = network(NetworkPlugin::Azure, "10.20.0.0/24", None, 30);
        let b = ip_budget(&net, &big, LbMode::External);
        assert_eq!(b.needed, 65 * 31);
        let e = subnet_problem(&b).unwrap();
        assert!(e.message.starts_with("needs 2,015 IPs"), "{}", e.message);
        assert_eq!(e.fix, "use azure-overlay (needs 65 IPs) or a /21 subnet");
    }

    #[test]
    fn node_blocks_per_prefix() {
        assert_eq!(node_blocks(16), 256);
        assert_eq!(node_blocks(24), 1);
        assert_eq!(node_blocks(25), 0);
        assert_eq!(node_blocks(0), 1 << 24);
    }

    fn scale() -> impl Strategy<Value = NodeScale> {
        prop_oneof![
            (0u32..40).prop_map(NodeScale::Fixed),
            (0u32..20, 0u32..40).prop_map(|(a, b)| NodeScale::Auto {
                min: a.min(b),
                max: a.max(b)
            }),
        ]
    }

    proptest! {
        #[test]
        fn budget_matches_a_brute_force_count(
            plugin in prop_oneof![Just(NetworkPlugin::Azure), Just(NetworkPlugin::AzureOverlay), Just(NetworkPlugin::Kubenet)],
            subnet_prefix in 16u8..=29,
            pod_prefix in 8u8..=28,
            max_pods in 10u32..=250,
            scales in (scale(), scale(), proptest::option::of(scale())),
            surges in (1u32..=3, 1u32..=3, 1u32..=3),
            internal in any::<bool>(),
        ) {
            let subnet = format!("10.20.0.0/{subnet_prefix}");
            let pod = ipnet::Ipv4Net::new(Ipv4Addr::new(192, 168, 0, 0), pod_prefix).unwrap().trunc().to_string();
            let net = network(plugin, &subnet, Some(&pod), max_pods);
            let pools = NodePools {
                platform: pool(PoolRole::Platform, scales.0, surges.0),
                compute: pool(PoolRole::Compute, scales.1, surges.1),
                gpu: scales.2.map(|s| pool(PoolRole::Gpu, s, surges.2)),
            };
            let lb = if internal { LbMode::Internal } else { LbMode::External };
            let b = ip_budget(&net, &pools, lb);

            // Brute force: hand out subnet addresses one by one, as AKS would at full scale.
            let mut taken = 0u64;
            for p in pools.iter() {
                for _node in 0..(p.scale.max() + p.max_surge) {
                    taken += 1; // the node's own address
                    if plugin == NetworkPlugin::Azure {
                        for _pod in 0..max_pods {
                            taken += 1;
                        }
                    }
                }
            }
            if internal {
                taken += 1;
            }
            let free = (0..(1u64 << (32 - u32::from(subnet_prefix)))).count() as u64 - 5;
            prop_assert_eq!(b.needed, taken);
            prop_assert_eq!(b.usable, free);
            let nodes: u64 = pools.iter().map(|p| u64::from(p.scale.max() + p.max_surge)).sum();
            if plugin.uses_pod_cidr() {
                // Whole /24s (256 aligned addresses) inside the pod CIDR.
                let size = 1u64 << (32 - u32::from(pod_prefix));
                let blocks = (0..size).step_by(256).filter(|start| start + 256 <= size).count() as u64;
                prop_assert_eq!(b.pod_cidr_blocks, Some(blocks));
                prop_assert_eq!(b.pod_cidr_blocks_needed, Some(nodes));
            }
            prop_assert_eq!(b.fits(), taken <= free && (!plugin.uses_pod_cidr() || nodes <= b.pod_cidr_blocks.unwrap_or(0)));
            prop_assert_eq!(subnet_problem(&b).is_some(), taken > free);
            if let Some(p) = b.smallest_fitting_prefix {
                prop_assert!(usable_addresses(p) >= taken);
                prop_assert!(p == SMALLEST_SUBNET_PREFIX || usable_addresses(p + 1) < taken);
            }
        }
    }
}
