//! VM sizes: every pool's size is offered in the region and in every chosen zone, and is not
//! retired.

use super::list;
use super::verdict::Checks;
use crate::azure::resources::compute::ResourceSku;
use crate::azure::{ArmClient, api};
use crate::steps::errors::step_error;
use crate::worker::{StepContext, StepError};
use katonic_domain::spec::NodePool;

const CHECK: &str = "VM sizes";

/// Every pool's size against the region's offered sizes (the `skus` list).
pub(super) async fn offered(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    ctx.guard()?;
    let spec = &ctx.spec;
    let location = spec.azure.location.as_str();
    let path = format!(
        "/subscriptions/{}/providers/Microsoft.Compute/skus?$filter=location eq '{location}'",
        spec.azure.subscription_id
    );
    let skus: Vec<ResourceSku> = list(
        arm.get(&path, api::COMPUTE_SKUS)
            .await
            .map_err(|e| step_error("listing VM sizes", e))?,
        "value",
    );
    let zones: Vec<String> = spec
        .cluster
        .zones
        .as_slice()
        .iter()
        .map(|z| z.number().to_string())
        .collect();
    for pool in spec.cluster.node_pools.iter() {
        if retired(pool, checks).await? {
            continue;
        }
        let size = pool.vm_size.as_str();
        let offered = skus.iter().find(|s| {
            s.name.eq_ignore_ascii_case(size)
                && s.resource_type
                    .as_deref()
                    .is_none_or(|t| t == "virtualMachines")
        });
        match offered {
            None => not_offered(pool, &skus, location, zones.len(), checks).await?,
            Some(sku) => in_zones(pool, sku, location, &zones, checks).await?,
        }
    }
    Ok(())
}

/// Fails the pool if its size was retired by today; says whether it did.
async fn retired(pool: &NodePool, checks: &mut Checks<'_>) -> Result<bool, StepError> {
    let Some(retired) = pool.vm_size.info().and_then(|i| i.retired_on.clone()) else {
        return Ok(false);
    };
    if retired.as_str() > crate::clock::today().to_string().as_str() {
        return Ok(false);
    }
    let replacement = pool
        .vm_size
        .info()
        .and_then(|i| i.replacement.clone())
        .unwrap_or_default();
    checks
        .fail(
            CHECK,
            format!(
                "{} (pool {}) was retired on {retired}",
                pool.vm_size.as_str(),
                pool.name
            ),
            format!("Use {replacement}."),
        )
        .await?;
    Ok(true)
}

/// The size is not offered in the region: fail, naming offered sizes of the same series that
/// cover as many zones.
async fn not_offered(
    pool: &NodePool,
    skus: &[ResourceSku],
    location: &str,
    zone_count: usize,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    let size = pool.vm_size.as_str();
    let family = size
        .trim_start_matches("Standard_")
        .chars()
        .take(2)
        .collect::<String>();
    let similar: Vec<&str> = skus
        .iter()
        .filter(|s| {
            s.name.trim_start_matches("Standard_").starts_with(&family)
                && s.usable_zones(location).len() >= zone_count
        })
        .map(|s| s.name.as_str())
        .take(6)
        .collect();
    checks
        .fail(
            CHECK,
            format!("{size} (pool {}) is not offered in {location}", pool.name),
            format!(
                "Offered sizes of the same series: {}",
                if similar.is_empty() {
                    "none".to_string()
                } else {
                    similar.join(", ")
                }
            ),
        )
        .await
}

/// The size is offered in the region: pass if it is in every chosen zone, else fail naming
/// the missing ones.
async fn in_zones(
    pool: &NodePool,
    sku: &ResourceSku,
    location: &str,
    zones: &[String],
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    let size = pool.vm_size.as_str();
    let usable = sku.usable_zones(location);
    let missing: Vec<&String> = zones.iter().filter(|z| !usable.contains(z)).collect();
    if missing.is_empty() {
        return checks
            .pass(
                CHECK,
                format!(
                    "{size} (pool {}) is offered in zones {}",
                    pool.name,
                    zones.join(", ")
                ),
            )
            .await;
    }
    checks
        .fail(
            CHECK,
            format!(
                "{size} (pool {}) is not offered in zone(s) {}",
                pool.name,
                missing
                    .iter()
                    .map(|z| z.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!(
                "It is offered in zones {}; choose those zones or another size.",
                if usable.is_empty() {
                    "none".to_string()
                } else {
                    usable.join(", ")
                }
            ),
        )
        .await
}
