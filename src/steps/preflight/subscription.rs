//! The account: the console's credentials work, the subscription is enabled, and the region is
//! available to it.

use serde_json::Value;

use super::list;
use super::verdict::Checks;
use crate::azure::diagnose::Problem;
use crate::azure::{ArmClient, ArmError, api};
use crate::steps::errors::step_error;
use crate::worker::{StepContext, StepError};

/// Whether the subscription could be read at all; when not, no other check can learn anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reached {
    Yes,
    No,
}

/// Credentials and subscription: the first call proves the token works.
pub(super) async fn credentials(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<Reached, StepError> {
    let sub = ctx.spec.azure.subscription_id.as_str();
    ctx.guard()?;
    match arm
        .get(&format!("/subscriptions/{sub}"), api::SUBSCRIPTIONS)
        .await
    {
        Ok(Some(s)) => {
            enabled(sub, &s, checks).await?;
            Ok(Reached::Yes)
        }
        Ok(None) => {
            checks
                .fail("subscription", format!("subscription {sub} was not found or is not visible to the console's identity"), "Check azure.subscriptionId and the identity's role assignments.")
                .await?;
            Ok(Reached::No)
        }
        Err(e)
            if matches!(e, ArmError::Auth(_) | ArmError::Transport { .. })
                || e.status() == Some(401) =>
        {
            // A network failure is said to be one, not "refused credentials" (issue 16).
            let d = crate::azure::diagnose::diagnose(&e);
            if matches!(e, ArmError::Transport { .. })
                && !matches!(d.problem, Problem::NoRoute | Problem::TlsInterception)
            {
                return Err(step_error("reading the subscription", e));
            }
            let (message, fix) = match d.problem {
                Problem::Other => (
                    format!("Azure refused the console's credentials: {}", e.message()),
                    "Check the console's credential: a service principal needs AZURE_TENANT_ID, AZURE_CLIENT_ID and an unexpired AZURE_CLIENT_SECRET; a managed identity must be assigned to this VM; --credential azure-cli needs `az login` with Azure CLI 2.54 or newer.".to_string(),
                ),
                _ => (d.message, d.fix),
            };
            checks.fail("credentials", message, fix).await?;
            Ok(Reached::No)
        }
        Err(e) => Err(step_error("reading the subscription", e)),
    }
}

/// The subscription (its GET body) is in the Enabled state.
async fn enabled(
    sub: &str,
    subscription: &Value,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    let state = subscription
        .get("state")
        .and_then(Value::as_str)
        .unwrap_or("Enabled")
        .to_string();
    if state.eq_ignore_ascii_case("enabled") {
        checks
            .pass(
                "credentials",
                format!("signed in; subscription {sub} is {state}"),
            )
            .await
    } else {
        checks
            .fail(
                "subscription",
                format!("subscription {sub} is {state}"),
                "Use an enabled subscription.",
            )
            .await
    }
}

/// The spec's region is one the subscription may use.
pub(super) async fn region(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    let sub = ctx.spec.azure.subscription_id.as_str();
    let location = ctx.spec.azure.location.as_str();
    let locations: Vec<Value> = list(
        arm.get(
            &format!("/subscriptions/{sub}/locations"),
            api::SUBSCRIPTIONS,
        )
        .await
        .map_err(|e| step_error("listing regions", e))?,
        "value",
    );
    if locations.iter().any(|l| {
        l.get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.eq_ignore_ascii_case(location))
    }) {
        checks
            .pass(
                "region",
                format!("{location} is available to the subscription"),
            )
            .await
    } else {
        checks
            .fail(
                "region",
                format!("{location} is not available to subscription {sub}"),
                "Choose a region the subscription can use.",
            )
            .await
    }
}
