//! The DNS zone of `domain.dnsZone`: it exists, the console may write A records in it, and a
//! private zone is linked to the install's VNet (else the names do not resolve there: a warning,
//! since the admin may link it later or resolve through their own DNS).

use serde_json::Value;

use super::verdict::Checks;
use crate::azure::resources::dns::linked_vnets;
use crate::azure::{ArmClient, api};
use crate::steps::dns::{service, zone_label};
use crate::steps::errors::step_error;
use crate::worker::{StepContext, StepError};
use katonic_domain::spec::{DnsZoneId, DnsZoneKind};

const CHECK: &str = "DNS zone";

/// The zone exists and the console may write its A records; a private zone is also linked.
pub(super) async fn writable(
    ctx: &StepContext,
    arm: &ArmClient,
    zone: &DnsZoneId,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    if !exists(ctx, arm, zone, checks).await? {
        return Ok(());
    }
    may_write_records(ctx, arm, zone, checks).await?;
    if zone.kind == DnsZoneKind::Private {
        vnet_link(ctx, arm, zone, checks).await?;
    }
    Ok(())
}

/// The zone can be read; fails the check (and says so) when it is missing or hidden.
async fn exists(
    ctx: &StepContext,
    arm: &ArmClient,
    zone: &DnsZoneId,
    checks: &mut Checks<'_>,
) -> Result<bool, StepError> {
    let create = format!(
        "az network {} zone create -g {} -n {}",
        zone.kind.cli_group(),
        zone.resource_group,
        zone.name
    );
    ctx.guard()?;
    match arm.get(&zone.arm_id(), service(zone).api_version()).await {
        Ok(Some(_)) => return Ok(true),
        Ok(None) => {
            checks
                .fail(
                    CHECK,
                    format!(
                        "{} was not found in resource group {} (subscription {})",
                        zone_label(zone),
                        zone.resource_group,
                        zone.subscription_id
                    ),
                    format!(
                        "Create it (`{create}`) or correct domain.dnsZone in a clone of this install."
                    ),
                )
                .await?;
        }
        Err(e) if e.status() == Some(403) => {
            checks
                .fail(
                    CHECK,
                    format!(
                        "the console may not read {}: {}",
                        zone_label(zone),
                        e.message()
                    ),
                    format!(
                        "Assign the console's identity \"{}\" on the zone (or its resource group), then resume.",
                        contributor_role(zone.kind)
                    ),
                )
                .await?;
        }
        Err(e) => return Err(step_error("reading the DNS zone", e)),
    }
    Ok(false)
}

/// The console's permissions on the zone's resource group include writing A records.
async fn may_write_records(
    ctx: &StepContext,
    arm: &ArmClient,
    zone: &DnsZoneId,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    let permissions_path = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Authorization/permissions",
        zone.subscription_id, zone.resource_group
    );
    ctx.guard()?;
    let permissions = arm
        .get(&permissions_path, api::AUTHORIZATION)
        .await
        .map_err(|e| step_error("reading the console's permissions on the DNS zone", e))?
        .unwrap_or(Value::Null);
    let action = service(zone).a_write_action();
    let entries = permissions["value"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    if crate::azure::permissions::granted(entries, &action) {
        checks
            .pass(
                CHECK,
                format!(
                    "{} exists and the console may write its A records",
                    zone_label(zone)
                ),
            )
            .await
    } else {
        checks
            .fail(
                CHECK,
                format!(
                    "the console's identity may not write A records in {} ({action})",
                    zone_label(zone)
                ),
                format!(
                    "Assign it \"{}\" on the zone or its resource group {}, then resume.",
                    contributor_role(zone.kind),
                    zone.resource_group
                ),
            )
            .await
    }
}

fn contributor_role(kind: DnsZoneKind) -> &'static str {
    match kind {
        DnsZoneKind::Public => "DNS Zone Contributor",
        DnsZoneKind::Private => "Private DNS Zone Contributor",
    }
}

/// A private zone is linked to the install's VNet, else its records do not resolve there.
async fn vnet_link(
    ctx: &StepContext,
    arm: &ArmClient,
    zone: &DnsZoneId,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    const CHECK: &str = "DNS zone link";
    let vnet = crate::azure::resources::vnet_id(&ctx.spec);
    ctx.guard()?;
    let links = arm
        .get(
            &format!("{}/virtualNetworkLinks", zone.arm_id()),
            api::PRIVATE_DNS,
        )
        .await
        .map_err(|e| step_error("listing the Private DNS zone's VNet links", e))?
        .unwrap_or(Value::Null);
    if linked_vnets(&links)
        .iter()
        .any(|v| v.eq_ignore_ascii_case(&vnet))
    {
        return checks
            .pass(
                CHECK,
                format!("Private DNS zone {} is linked to {vnet}", zone.name),
            )
            .await;
    }
    checks
        .warn(
            CHECK,
            format!(
                "Private DNS zone {} is not linked to the install's VNet {vnet}: the records will not resolve from the cluster or the jumphost",
                zone.name
            ),
            format!(
                "Link it once the VNet exists: `az network private-dns link vnet create -g {} -z {} -n katonic-{} -v {vnet} -e false` (or resolve the names through your own DNS).",
                zone.resource_group,
                zone.name,
                ctx.spec.name
            ),
        )
        .await
}
