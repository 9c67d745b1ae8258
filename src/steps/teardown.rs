//! A teardown's steps. The first records the approved list (seeded as its checkpoint when the
//! teardown was created); each delete step deletes its family's approved resources, resumably:
//! - a delete this step started before (checkpointed polling URL) is followed, not sent again;
//! - a resource already gone (404) is done;
//! - a resource whose tags no longer say `katonic-install=<install>` is left ("not ours");
//! - otherwise DELETE, checkpoint the operation at once, and follow it.

use super::ensure::{checkpointed, follow, forget, remember};
use super::errors::step_error;
use crate::azure::ArmClient;
use crate::azure::lro::{self, FinalState, Started};
use crate::events::Level;
use crate::teardown::{Action, Preview, Target, family, install_tag};
use crate::worker::{StepContext, StepError};
use katonic_domain::plan::StepId;
use reqwest::Method;
use serde_json::{Value, json};

pub async fn run(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    match ctx.step {
        StepId::TeardownInventory => inventory(ctx).await,
        StepId::DeleteResourceGroup => resource_group(ctx, arm).await,
        _ => delete_family(ctx, arm).await,
    }
}

fn bad_list(message: String) -> StepError {
    StepError::terminal(
        "TeardownListMissing",
        message,
        "Open the install's teardown page and start a new teardown from a fresh preview.",
    )
}

/// The approved list becomes this step's outputs, so every delete step reads it.
async fn inventory(ctx: &StepContext) -> Result<Value, StepError> {
    let approved = ctx
        .saved_checkpoint()
        .and_then(|c| c.get("approved").cloned())
        .ok_or_else(|| bad_list("this teardown has no approved list of resources".into()))?;
    let preview: Preview = serde_json::from_value(approved.clone())
        .map_err(|e| bad_list(format!("the approved list is unreadable: {e}")))?;
    ctx.progress(format!(
        "{} resource(s) of install {} to delete",
        preview.deleting(),
        preview.install
    ))
    .await?;
    for t in &preview.targets {
        ctx.log(
            Level::Info,
            format!("{}: {} {} ({})", t.action.label(), t.kind, t.name, t.id),
        )
        .await?;
    }
    Ok(approved)
}

fn approved(ctx: &StepContext) -> Result<Preview, StepError> {
    let value = ctx
        .outputs
        .get(&StepId::TeardownInventory)
        .ok_or_else(|| bad_list("step teardown-inventory recorded no list".into()))?;
    serde_json::from_value(value.clone())
        .map_err(|e| bad_list(format!("the approved list is unreadable: {e}")))
}

/// This step's approved targets, in the order they must go: a zone link before the peerings
/// (the console's name resolution goes before its route); a VNet before the NAT gateway and the
/// NSG its subnets reference, the NAT gateway before its public IP.
fn mine(ctx: &StepContext, preview: &Preview) -> Vec<Target> {
    let mut targets: Vec<Target> = preview
        .targets
        .iter()
        .filter(|t| t.step == Some(ctx.step) && t.action == Action::Delete)
        .cloned()
        .collect();
    // A zone link before the peerings (the console's name resolution goes before its route); a
    // WAF policy after the gateway that names it; a NAT gateway after the VNet that uses it and
    // before its public IP; an NSG after the subnets that reference it.
    targets.sort_by_key(|t| match t.kind.to_ascii_lowercase().as_str() {
        "microsoft.network/privatednszones/virtualnetworklinks" => 0,
        "microsoft.network/applicationgatewaywebapplicationfirewallpolicies" => 2,
        "microsoft.network/natgateways" => 3,
        "microsoft.network/publicipaddresses" => 4,
        "microsoft.network/networksecuritygroups" => 5,
        _ => 1,
    });
    targets
}

#[derive(Default)]
struct Outcome {
    deleted: Vec<String>,
    gone: Vec<String>,
    left: Vec<Value>,
}

impl Outcome {
    fn json(self) -> Value {
        json!({ "deleted": self.deleted, "gone": self.gone, "left": self.left })
    }
}

async fn delete_family(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let preview = approved(ctx)?;
    let mut outcome = Outcome::default();
    for target in mine(ctx, &preview) {
        delete_one(ctx, arm, &preview.install, &target, &mut outcome).await?;
    }
    Ok(outcome.json())
}

/// The group goes last, and only when nothing but this install's resources is left in it.
async fn resource_group(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let preview = approved(ctx)?;
    let mut outcome = Outcome::default();
    for target in mine(ctx, &preview) {
        // A delete already under way was decided before: follow it.
        if checkpointed(ctx, &target.id).is_none() {
            ctx.guard()?;
            let foreign = crate::teardown::foreign_resources(
                arm,
                &preview.subscription_id,
                &preview.resource_group,
                &preview.install,
            )
            .await
            .map_err(|e| step_error("listing the resource group", e))?;
            if !foreign.is_empty() {
                let reason = crate::teardown::foreign_reason(&foreign);
                ctx.log(
                    Level::Warn,
                    format!("resource group {}: left, {reason}", target.name),
                )
                .await?;
                outcome
                    .left
                    .push(json!({ "id": target.id, "reason": reason }));
                continue;
            }
        }
        delete_one(ctx, arm, &preview.install, &target, &mut outcome).await?;
    }
    Ok(outcome.json())
}

/// A delete started by an earlier attempt (its operation checkpointed) followed to its end;
/// says whether that finished the target. An expired status URL is not an error: the caller
/// then looks at the resource itself.
async fn resumed_delete(
    ctx: &StepContext,
    arm: &ArmClient,
    target: &Target,
    what: &str,
    outcome: &mut Outcome,
) -> Result<bool, StepError> {
    let Some(pending) = checkpointed(ctx, &target.id) else {
        return Ok(false);
    };
    ctx.progress(format!("{what}: following the delete started before"))
        .await?;
    match follow(ctx, arm, &pending, &format!("deleting {what}"), None).await {
        Ok(_) => {
            forget(ctx, &target.id).await?;
            ctx.progress(format!("{what}: deleted")).await?;
            outcome.deleted.push(target.id.clone());
            return Ok(true);
        }
        // The status URL may have expired: look at the resource itself.
        Err(StepError::Terminal { .. }) | Err(StepError::Retryable { .. }) => {}
        Err(other) => return Err(other),
    }
    Ok(false)
}

async fn delete_one(
    ctx: &StepContext,
    arm: &ArmClient,
    install: &str,
    target: &Target,
    outcome: &mut Outcome,
) -> Result<(), StepError> {
    let what = format!("{} {}", target.kind, target.name);
    let Some((_, version)) = family(&target.kind) else {
        outcome
            .left
            .push(json!({ "id": target.id, "reason": "unknown type" }));
        return Ok(());
    };
    if resumed_delete(ctx, arm, target, &what, outcome).await? {
        return Ok(());
    }
    ctx.guard()?;
    let current = arm
        .get(&target.id, version)
        .await
        .map_err(|e| step_error(&format!("reading {what}"), e))?;
    let Some(current) = current else {
        ctx.progress(format!("{what}: already gone")).await?;
        outcome.gone.push(target.id.clone());
        return Ok(());
    };
    // Untaggable role assignments are ours through the ledger (decided at the preview).
    let taggable = target.tagged != crate::teardown::Tagged::NotTaggable;
    if taggable && install_tag(&current) != Some(install) {
        let reason = match install_tag(&current) {
            Some(other) => format!("not ours: tagged katonic-install={other}"),
            None => "not ours: no katonic-install tag".to_string(),
        };
        ctx.log(Level::Warn, format!("{what}: {reason}: left"))
            .await?;
        outcome
            .left
            .push(json!({ "id": target.id, "reason": reason }));
        return Ok(());
    }
    ctx.guard()?;
    let response = match arm.call(Method::DELETE, &target.id, version, None).await {
        Ok(r) => r,
        Err(e) if e.is_not_found() => {
            ctx.progress(format!("{what}: already gone")).await?;
            outcome.gone.push(target.id.clone());
            return Ok(());
        }
        Err(e) => return Err(step_error(&format!("deleting {what}"), e)),
    };
    if let Started::Pending(pending) = lro::started(
        &response,
        &arm.url(&target.id, version),
        FinalState::Nothing,
    ) {
        remember(ctx, &target.id, &pending).await?;
        ctx.progress(format!(
            "{what}: deleting (operation accepted; resumable from here)"
        ))
        .await?;
        let first = arm.timing.clamp(response.retry_after());
        follow(ctx, arm, &pending, &format!("deleting {what}"), Some(first)).await?;
        forget(ctx, &target.id).await?;
    }
    ctx.progress(format!("{what}: deleted")).await?;
    outcome.deleted.push(target.id.clone());
    Ok(())
}
