//! vCPU quota an install needs, per Azure quota family, with every pool at its maximum plus its
//! upgrade surge (the most nodes that can exist at once).

use super::QuotaNeed;
use crate::spec::InstallSpec;

/// Family shown for a VM size the catalogue does not know: its vCPUs are not guessed.
pub const UNKNOWN_FAMILY: &str = "unknown (checked at preflight)";

/// Needs in pool order (platform, compute, GPU), one entry per family.
pub(super) fn needs(spec: &InstallSpec) -> Vec<QuotaNeed> {
    let mut needs: Vec<QuotaNeed> = Vec::new();
    for pool in spec.cluster.node_pools.iter() {
        let info = pool.vm_size.info();
        let family = info.map_or(UNKNOWN_FAMILY, |i| i.quota_family.as_str());
        let nodes = pool.scale.max().saturating_add(pool.max_surge);
        let vcpus = info.map_or(0, |i| i.vcpus.saturating_mul(nodes));
        let size = pool.vm_size.to_string();
        match needs.iter_mut().find(|n| n.family == family) {
            Some(need) => {
                need.vcpus_at_max = need.vcpus_at_max.saturating_add(vcpus);
                if !need.vm_sizes.contains(&size) {
                    need.vm_sizes.push(size);
                }
            }
            None => needs.push(QuotaNeed {
                family: family.to_string(),
                vm_sizes: vec![size],
                vcpus_at_max: vcpus,
            }),
        }
    }
    needs
}

/// Standard public IPv4 addresses the install creates or makes AKS create (the `PublicIPAddresses`
/// network usage preflight can compare with its limit). The Application Gateway adds none: in
/// external mode it takes the ingress IP the cluster's load balancer had; a private-only gateway
/// has none. Gateways themselves are not a quota concern (Azure's limit is 1,000 per subscription,
/// learn.microsoft.com "Azure subscription and service limits", checked 2026-12-07).
pub fn public_ips(spec: &InstallSpec) -> u32 {
    super::inventory::Footprint::of(spec).public_ips()
}
