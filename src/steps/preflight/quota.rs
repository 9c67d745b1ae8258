//! vCPU quota per family (and the regional total) covers every pool at its maximum.

use super::list;
use super::verdict::Checks;
use crate::azure::resources::compute::Usage;
use crate::azure::{ArmClient, api};
use crate::steps::errors::step_error;
use crate::worker::{StepContext, StepError};
use katonic_domain::plan::{InstallPlan, QuotaNeed};

const CHECK: &str = "vCPU quota";

/// Every VM family's quota, then the regional total, against the plan's needs.
pub(super) async fn vcpus(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    ctx.guard()?;
    let spec = &ctx.spec;
    let path = format!(
        "/subscriptions/{}/providers/Microsoft.Compute/locations/{}/usages",
        spec.azure.subscription_id, spec.azure.location
    );
    let usages: Vec<Usage> = list(
        arm.get(&path, api::COMPUTE_USAGES)
            .await
            .map_err(|e| step_error("reading vCPU usage", e))?,
        "value",
    );
    let plan = InstallPlan::from_spec(spec, crate::clock::today());
    let mut total_needed = 0;
    for need in &plan.quota {
        total_needed += i64::from(need.vcpus_at_max);
        family(need, &usages, spec.azure.location.as_str(), checks).await?;
    }
    if let Some(cores) = usages
        .iter()
        .find(|u| u.name.value.eq_ignore_ascii_case("cores"))
        && cores.limit - cores.current_value < total_needed
    {
        checks
            .fail(
                CHECK,
                format!(
                    "total regional vCPUs: {total_needed} needed, {} of {} free",
                    cores.limit - cores.current_value,
                    cores.limit
                ),
                "Request a higher Total Regional vCPUs quota.",
            )
            .await?;
    }
    Ok(())
}

/// One VM family's quota against what its pools need at their maximum node counts.
async fn family(
    need: &QuotaNeed,
    usages: &[Usage],
    location: &str,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    match usages
        .iter()
        .find(|u| u.name.value.eq_ignore_ascii_case(&need.family))
    {
        None => {
            checks
                .warn(
                    CHECK,
                    format!(
                        "no quota entry for {} ({})",
                        need.family,
                        need.vm_sizes.join(", ")
                    ),
                    "Preflight cannot check this family; the cluster create reports it if short.",
                )
                .await
        }
        Some(u) if u.limit - u.current_value >= i64::from(need.vcpus_at_max) => {
            checks
                .pass(
                    CHECK,
                    format!(
                        "{}: {} needed, {} of {} free",
                        need.family,
                        need.vcpus_at_max,
                        u.limit - u.current_value,
                        u.limit
                    ),
                )
                .await
        }
        Some(u) => {
            let short = i64::from(need.vcpus_at_max) - (u.limit - u.current_value);
            checks
                .fail(CHECK, format!("{}: {} vCPUs needed at maximum node counts, {} of {} free ({} in use): {short} short", need.family, need.vcpus_at_max, u.limit - u.current_value, u.limit, u.current_value), format!("Request at least {} vCPUs for {} in {} (Azure portal: Subscriptions → Usage + quotas), or lower the pools' maximums.", u.current_value + i64::from(need.vcpus_at_max), need.family, location))
                .await
        }
    }
}
