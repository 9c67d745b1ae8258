//! Microsoft.Compute reads: vCPU usages per family and region (rising as AKS pools are created)
//! and the resource SKU list with zones, capabilities and restrictions.

use axum::http::Method;
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::catalog::VmSize;
use crate::server::list;
use crate::state::State;

pub(crate) fn provider_op(ctx: &Ctx<'_>, st: &mut State, rest: &[String]) -> ArmResult {
    if *ctx.method() != Method::GET {
        return Err(super::common::method_not_allowed(ctx));
    }
    match rest {
        [l, loc, u] if l.eq_ignore_ascii_case("locations") && u.eq_ignore_ascii_case("usages") => {
            usages(ctx, st, loc)
        }
        [s] if s.eq_ignore_ascii_case("skus") => skus(ctx),
        _ => Err(ArmError::bad_request(
            "InvalidResourceType",
            format!(
                "The resource type '{}' could not be found in the namespace 'Microsoft.Compute'.",
                rest.join("/")
            ),
        )),
    }
}

fn localized(family: &str) -> String {
    let core = family
        .trim_start_matches("standard")
        .trim_end_matches("Family");
    format!("Standard {core} Family vCPUs")
}

/// vCPUs in use per family in `location` (AKS nodes).
pub(crate) fn used_vcpus(
    ctx: &Ctx<'_>,
    st: &State,
    location: &str,
    except_pool: Option<&str>,
) -> std::collections::BTreeMap<String, u64> {
    let mut used = std::collections::BTreeMap::new();
    for (pool_id, size, nodes) in super::aks::node_usage(st, location) {
        if except_pool.is_some_and(|e| e.eq_ignore_ascii_case(&pool_id)) {
            continue;
        }
        if let Some(s) = ctx.catalog().size(&size) {
            *used.entry(s.family.clone()).or_insert(0) += nodes * u64::from(s.vcpus);
            *used.entry("cores".to_string()).or_insert(0) += nodes * u64::from(s.vcpus);
        }
    }
    used
}

fn usages(ctx: &Ctx<'_>, st: &State, loc: &str) -> ArmResult {
    let Some(region) = ctx.catalog().region(loc) else {
        return Err(ArmError::bad_request(
            "LocationNotAvailableForResourceType",
            format!(
                "The provided location '{loc}' is not available for resource type 'Microsoft.Compute/locations/usages'."
            ),
        ));
    };
    let location = region.name.clone();
    let used = used_vcpus(ctx, st, &location, None);
    let entry = |value: &str, localized: String, limit: u64| {
        json!({
            "unit": "Count",
            "currentValue": used.get(value).copied().unwrap_or(0),
            "limit": limit,
            "name": {"value": value, "localizedValue": localized},
        })
    };
    let mut value = vec![
        json!({"unit": "Count", "currentValue": 0, "limit": 2500, "name": {"value": "availabilitySets", "localizedValue": "Availability Sets"}}),
        entry(
            "cores",
            "Total Regional vCPUs".into(),
            ctx.catalog().family_limit(&location, "cores"),
        ),
        json!({"unit": "Count", "currentValue": 0, "limit": 25000, "name": {"value": "virtualMachines", "localizedValue": "Virtual Machines"}}),
        json!({"unit": "Count", "currentValue": 0, "limit": 2500, "name": {"value": "virtualMachineScaleSets", "localizedValue": "Virtual Machine Scale Sets"}}),
        // Answered by Azure between the scale sets and the low-priority vCPUs (Azure CLI
        // `test_vm_usage`, 2022-11-01, checked 2026-12-07).
        json!({"unit": "Count", "currentValue": 0, "limit": 3000, "name": {"value": "dedicatedVCpus", "localizedValue": "Dedicated vCPUs"}}),
        json!({"unit": "Count", "currentValue": 0, "limit": 2500, "name": {"value": "cloudServices", "localizedValue": "Cloud Services"}}),
        json!({"unit": "Count", "currentValue": 0, "limit": 100, "name": {"value": "lowPriorityCores", "localizedValue": "Total Regional Low-priority vCPUs"}}),
    ];
    for family in ctx.catalog().families() {
        value.push(entry(
            &family,
            localized(&family),
            ctx.catalog().family_limit(&location, &family),
        ));
    }
    Ok(Reply::ok(list(value)))
}

fn sku_entry(ctx: &Ctx<'_>, s: &VmSize, region: &crate::catalog::Region) -> Value {
    let size = s.name.trim_start_matches("Standard_");
    let mut caps = vec![
        json!({"name": "MaxResourceVolumeMB", "value": "0"}),
        json!({"name": "OSVhdSizeMB", "value": "1047552"}),
        json!({"name": "vCPUs", "value": s.vcpus.to_string()}),
        json!({"name": "MemoryPreservingMaintenanceSupported", "value": "True"}),
        json!({"name": "HyperVGenerations", "value": "V1,V2"}),
        json!({"name": "MemoryGB", "value": format_gb(s.memory_gb)}),
        json!({"name": "MaxDataDiskCount", "value": (s.vcpus * 2).clamp(4, 64).to_string()}),
        json!({"name": "CpuArchitectureType", "value": "x64"}),
        json!({"name": "LowPriorityCapable", "value": "True"}),
        json!({"name": "PremiumIO", "value": if size.contains('s') { "True" } else { "False" }}),
        json!({"name": "vCPUsAvailable", "value": s.vcpus.to_string()}),
        json!({"name": "vCPUsPerCore", "value": "2"}),
        json!({"name": "EphemeralOSDiskSupported", "value": "True"}),
        json!({"name": "AcceleratedNetworkingEnabled", "value": "True"}),
    ];
    if s.gpus > 0 {
        caps.push(json!({"name": "GPUs", "value": s.gpus.to_string()}));
    }
    let mut restrictions = Vec::new();
    let offered = ctx.catalog().size_zones(&s.name, &region.name).is_some();
    if !offered {
        restrictions.push(json!({
            "type": "Location",
            "values": [region.name],
            "restrictionInfo": {"locations": [region.name]},
            "reasonCode": "NotAvailableForSubscription",
        }));
    }
    let zones = ctx.catalog().restricted_zones(&s.name, &region.name);
    if offered && !zones.is_empty() {
        restrictions.push(json!({
            "type": "Zone",
            "values": [region.name],
            "restrictionInfo": {"locations": [region.name], "zones": zones},
            "reasonCode": "NotAvailableForSubscription",
        }));
    }
    json!({
        "resourceType": "virtualMachines",
        "name": s.name,
        "tier": "Standard",
        "size": size,
        "family": s.family,
        "locations": [region.name],
        "locationInfo": [{"location": region.name, "zones": region.zones, "zoneDetails": []}],
        "capabilities": caps,
        "restrictions": restrictions,
    })
}

fn format_gb(gb: f64) -> String {
    if gb.fract() == 0.0 {
        format!("{gb:.0}")
    } else {
        format!("{gb}")
    }
}

fn skus(ctx: &Ctx<'_>) -> ArmResult {
    let filter = ctx.req.q("$filter").unwrap_or("");
    let location = if filter.is_empty() {
        None
    } else {
        let lower = filter.to_ascii_lowercase();
        let Some(v) = lower
            .split("location eq '")
            .nth(1)
            .and_then(|s| s.split('\'').next())
        else {
            return Err(ArmError::bad_request(
                "InvalidFilterInQueryString",
                format!(
                    "The $filter '{filter}' is not supported: only location eq '<location>' is."
                ),
            ));
        };
        Some(v.to_string())
    };
    let regions: Vec<&crate::catalog::Region> = match &location {
        Some(l) => ctx.catalog().region(l).into_iter().collect(),
        None => ctx.catalog().regions.iter().collect(),
    };
    let mut value = Vec::new();
    for region in regions {
        for s in &ctx.catalog().vm_sizes {
            value.push(sku_entry(ctx, s, region));
        }
    }
    Ok(Reply::ok(list(value)))
}
