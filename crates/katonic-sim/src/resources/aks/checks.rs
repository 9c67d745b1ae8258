//! AKS preflight checks (azure-brief §1.4) shared by the cluster and agent pool PUTs: names,
//! versions and LTS, VM sizes and zones. Pool shapes are in `pool_spec`, the network profile in
//! `network`, subnet capacity and quota in `capacity`.

use regex::Regex;

use crate::arm::Ctx;
use crate::arm::errors::ArmError;
use crate::catalog::version_key;

use super::pool_spec::PoolSpec;

pub(super) fn invalid(param: &str, message: impl Into<String>) -> ArmError {
    ArmError::bad_request("InvalidParameter", message).target(param.to_string())
}

pub(super) fn matches(pattern: &str, s: &str) -> bool {
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
