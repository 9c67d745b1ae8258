//! Subnet IP capacity for the chosen network plugin.
//!
//! Azure reserves 5 addresses in every subnet. Classic Azure CNI pre-assigns `maxPods + 1`
//! subnet addresses to every node (including surge nodes during upgrades); overlay and kubenet
//! need one subnet address per node, with each node taking a /24 of the pod CIDR. An internal
//! load balancer's frontend takes one address of the AKS subnet.

use super::{LbMode, NetworkPlugin, NetworkSpec, NodePools};
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

/// Compute the budget of the AKS subnet for these pools and load-balancer mode.
pub fn ip_budget(network: &NetworkSpec, pools: &NodePools, lb: LbMode) -> IpBudget {
    let _ = (network, pools, lb, NetworkPlugin::Azure);
    todo!()
}
