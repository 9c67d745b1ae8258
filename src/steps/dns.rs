//! DNS: one A record per host (the domain and each enabled add-on's) at the load balancer's
//! address. With `domain.dnsZone` the console writes them into that Azure DNS or Private DNS zone
//! (read first: an unchanged record is not written again; someone else's is never overwritten);
//! without it the records are shown (table, zone-file lines, `az` commands) for the admin to
//! create. Either way they are kept in the step's outputs, so the install's history has them.
//! Preflight's zone checks are in `preflight/dns_zone.rs`.

use std::net::Ipv4Addr;

use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};

use super::errors::{step_error, step_error_for};
use crate::azure::ArmClient;
use crate::azure::resources::dns::{
    DEFAULT_TTL_SECS, ZoneService, a_record_set_body, a_record_set_path, read_a_record_set,
};
use crate::azure::resources::{TAG_INSTALL, TAG_MANAGED_BY, install_tags};
use crate::cluster::dns::DnsPlan;
use crate::worker::{StepContext, StepError};
use katonic_domain::spec::{DnsZoneId, DnsZoneKind};

const MANAGED_BY: &str = "katonic-console";

pub(super) fn service(zone: &DnsZoneId) -> ZoneService {
    match zone.kind {
        DnsZoneKind::Public => ZoneService::Public,
        DnsZoneKind::Private => ZoneService::Private,
    }
}

pub(super) fn zone_label(zone: &DnsZoneId) -> String {
    match zone.kind {
        DnsZoneKind::Public => format!("Azure DNS zone {}", zone.name),
        DnsZoneKind::Private => format!("Private DNS zone {}", zone.name),
    }
}

/// What happened to one record; the install page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
enum RecordStatus {
    /// The console created it.
    Created,
    /// The console changed its address (an earlier install's record).
    Updated,
    /// It was already there as required: nothing written.
    Unchanged,
    /// No zone named: the admin creates it.
    ToCreate,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct RecordOutput {
    host: String,
    relative_name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    address: Ipv4Addr,
    zone: String,
    status: RecordStatus,
}

pub async fn records(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    // Behind an Application Gateway the records point at its frontend.
    let address = super::front_door_address(ctx)?;
    let address: Ipv4Addr = address.parse().map_err(|_| {
        StepError::terminal(
            "UnexpectedAddress",
            format!("the front door's address {address:?} is not an IPv4 address"),
            "Retry the ingress-load-balancer (or app-gateway) step, then resume.",
        )
    })?;
    let hosts: Vec<katonic_domain::spec::Fqdn> = katonic_domain::plan::names::hosts(&ctx.spec)
        .into_iter()
        .cloned()
        .collect();
    let zone = ctx.spec.domain.dns_zone.as_ref();
    let mut plan = DnsPlan::new(
        &hosts,
        zone.map(|z| z.name.as_str()),
        address,
        ctx.spec.ingress.load_balancer,
    );
    if let Some(z) = zone {
        plan.private = z.kind == DnsZoneKind::Private;
    }
    let zone_file = plan.zone_file_lines();
    let Some(zone) = zone else {
        return shown_for_the_admin(ctx, &plan).await;
    };
    // Parsing guarantees every host lies inside the zone; checked again so a stored spec from an
    // older console cannot send Azure a name outside it.
    let outside = plan.hosts_outside_zone();
    if !outside.is_empty() {
        return Err(StepError::terminal(
            "DnsZoneMismatch",
            format!("zone {} does not hold {}", zone.name, outside.join(", ")),
            "Set domain.dnsZone to a zone holding every host (the domain's parent), in a clone of this install.",
        ));
    }
    let svc = service(zone);
    let zone_id = zone.arm_id();
    let mut out = Vec::new();
    for record in &plan.records {
        ctx.guard()?;
        let path = a_record_set_path(&zone_id, &record.relative_name);
        let status = ensure_record(ctx, arm, svc, zone, &path, &record.host, address).await?;
        ctx.progress(format!(
            "A {} → {address} in {}: {}",
            record.host,
            zone_label(zone),
            match status {
                RecordStatus::Created => "created",
                RecordStatus::Updated => "updated (it pointed elsewhere)",
                RecordStatus::Unchanged => "already there, unchanged",
                RecordStatus::ToCreate => "to create",
            }
        ))
        .await?;
        out.push(RecordOutput {
            host: record.host.clone(),
            relative_name: record.relative_name.clone(),
            kind: "A",
            address,
            zone: zone.name.to_string(),
            status,
        });
    }
    Ok(json!({
        "zone": plan.zone,
        "zoneId": zone_id,
        "private": plan.private,
        "createdByConsole": true,
        "records": out,
        "zoneFile": zone_file,
    }))
}

/// No zone named: the records shown for the admin to create, or, for a katonic.ai domain, to
/// send to Katonic (whose zone the console cannot write).
async fn shown_for_the_admin(ctx: &StepContext, plan: &DnsPlan) -> Result<Value, StepError> {
    if ctx.spec.domain.katonic_subdomain {
        return sent_to_katonic(ctx, plan).await;
    }
    let zone_kind = if plan.private {
        "Azure Private DNS zone linked to the VNet (or your internal DNS)"
    } else {
        "public DNS zone"
    };
    ctx.progress(format!(
        "publish these records in the {zone_kind} {}:",
        plan.zone
    ))
    .await?;
    for line in plan.zone_file_lines() {
        ctx.progress(line).await?;
    }
    let outside = plan.hosts_outside_zone();
    if !outside.is_empty() {
        ctx.progress(format!(
            "not inside zone {}: {} (each needs its own zone or a wildcard record)",
            plan.zone,
            outside.join(", ")
        ))
        .await?;
    }
    let commands = plan.az_commands();
    let records = to_publish(plan);
    Ok(json!({
        "zone": plan.zone,
        "private": plan.private,
        "createdByConsole": false,
        "records": records,
        "zoneFile": plan.zone_file_lines(),
        "azCommands": commands,
    }))
}

/// The plan's records, for someone else to publish (the admin, or Katonic).
fn to_publish(plan: &DnsPlan) -> Vec<RecordOutput> {
    plan.records
        .iter()
        .map(|r| RecordOutput {
            host: r.host.clone(),
            relative_name: r.relative_name.clone(),
            kind: "A",
            address: r.address,
            zone: plan.zone.clone(),
            status: RecordStatus::ToCreate,
        })
        .collect()
}

/// A katonic.ai domain: the records listed for Katonic to publish in their zone.
async fn sent_to_katonic(ctx: &StepContext, plan: &DnsPlan) -> Result<Value, StepError> {
    ctx.progress(format!(
        "send these records to Katonic: the {} zone is theirs, the console cannot write it",
        plan.zone
    ))
    .await?;
    for line in plan.zone_file_lines() {
        ctx.progress(line).await?;
    }
    let records = to_publish(plan);
    Ok(json!({
        "zone": plan.zone,
        "private": plan.private,
        "createdByConsole": false,
        "sendToKatonic": true,
        "records": records,
        "zoneFile": plan.zone_file_lines(),
    }))
}

/// Make the A record set at `path` hold exactly `address`: read first; unchanged → no write;
/// an earlier install's → updated; anyone else's pointing elsewhere → refused.
async fn ensure_record(
    ctx: &StepContext,
    arm: &ArmClient,
    svc: ZoneService,
    zone: &DnsZoneId,
    path: &str,
    host: &str,
    address: Ipv4Addr,
) -> Result<RecordStatus, StepError> {
    let existing = arm
        .get(path, svc.api_version())
        .await
        .map_err(|e| step_error(&format!("reading the A record of {host}"), e))?;
    let wanted = [address.to_string()];
    let status = match existing.map(|body| read_a_record_set(svc, &body)) {
        None => RecordStatus::Created,
        Some(e) if e.addresses == wanted && e.ttl == Some(u64::from(DEFAULT_TTL_SECS)) => {
            return Ok(RecordStatus::Unchanged);
        }
        Some(e) if e.addresses == wanted && !e.metadata.contains_key(TAG_MANAGED_BY) => {
            // Someone made the right record by hand: leave their TTL and metadata alone.
            return Ok(RecordStatus::Unchanged);
        }
        Some(e)
            if e.metadata
                .get(TAG_MANAGED_BY)
                .is_some_and(|m| m == MANAGED_BY) =>
        {
            if let Some(other) = e
                .metadata
                .get(TAG_INSTALL)
                .filter(|i| **i != ctx.install.to_string())
            {
                ctx.progress(format!(
                    "A {host} was written by install {other}; pointing it at this install's load balancer"
                ))
                .await?;
            }
            RecordStatus::Updated
        }
        Some(e) => {
            return Err(StepError::terminal(
                "DnsRecordInUse",
                format!(
                    "the A record {host} in {} already points at {} and was not created by the console",
                    zone_label(zone),
                    if e.addresses.is_empty() {
                        "no address (an alias or empty record set)".to_string()
                    } else {
                        e.addresses.join(", ")
                    }
                ),
                format!(
                    "If it is stale, delete it (`az network {} record-set a delete -g {} -z {} -n {}`) and resume; \
                     if it serves something else, choose another domain.fqdn in a clone of this install.",
                    zone.kind.cli_group(),
                    zone.resource_group,
                    zone.name,
                    path.rsplit('/').next().unwrap_or(host)
                ),
            ));
        }
    };
    let body = a_record_set_body(
        svc,
        &[address],
        DEFAULT_TTL_SECS,
        install_tags(&ctx.install.to_string()),
    );
    ctx.guard()?;
    arm.call(Method::PUT, path, svc.api_version(), Some(&body))
        .await
        .map_err(|e| step_error_for(&ctx.spec, &format!("writing the A record of {host}"), e))?;
    Ok(status)
}
