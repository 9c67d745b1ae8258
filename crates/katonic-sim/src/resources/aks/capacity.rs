//! Room checks before anything is stored: subnet capacity (InsufficientSubnetSize) and vCPU
//! quota (QuotaExceeded), for the pools being created or changed.

use std::collections::BTreeMap;

use crate::arm::Ctx;
use crate::arm::errors::ArmError;
use crate::resources::network;
use crate::state::State;

use super::pool_spec::PoolSpec;
use super::usage;

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
        let Some((_, s)) = network::find_subnet(st, &subnet) else {
            continue;
        };
        let Some(prefix) = network::subnet_prefix(s) else {
            continue;
        };
        let used = usage::subnet_ips_used(st, &subnet, exclude);
        let available = network::usable_ips(&prefix) as i64 - used;
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
    for (pool_id, size, nodes) in usage::node_usage(st, location) {
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
