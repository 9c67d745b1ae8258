//! Resource providers: registered, or registered now (registration takes a minute or two).

use reqwest::Method;
use serde_json::Value;

use super::verdict::Checks;
use crate::azure::{ArmClient, api};
use crate::steps::errors::step_error;
use crate::worker::{StepContext, StepError};

/// Resource providers the install's resources belong to.
const PROVIDERS: &[&str] = &[
    "Microsoft.ContainerService",
    "Microsoft.Network",
    "Microsoft.Compute",
    "Microsoft.Storage",
    "Microsoft.ContainerRegistry",
    "Microsoft.ManagedIdentity",
];

const CHECK: &str = "resource providers";

/// Every provider is registered, registering it when it is not.
pub(super) async fn registered(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    let sub = ctx.spec.azure.subscription_id.as_str();
    if ctx.is_on_demand() {
        return only_read(arm, sub, checks).await;
    }
    let registering = register_missing(ctx, arm, sub, checks).await?;
    let registering = wait_for_registration(ctx, arm, sub, registering).await?;
    if checks.has_failed(CHECK) {
        Ok(())
    } else if registering.is_empty() {
        checks
            .pass(CHECK, format!("{} registered", PROVIDERS.join(", ")))
            .await
    } else {
        checks
            .warn(
                CHECK,
                format!("{} still registering", registering.join(", ")),
                "Registration can take minutes; the steps retry until it is done.",
            )
            .await
    }
}

/// Checks on demand create nothing: unregistered providers are a warning, registered by the
/// install's preflight when it runs.
async fn only_read(arm: &ArmClient, sub: &str, checks: &mut Checks<'_>) -> Result<(), StepError> {
    let mut missing = Vec::new();
    for ns in PROVIDERS {
        let path = format!("/subscriptions/{sub}/providers/{ns}");
        let state = registration_state(arm, &path).await?;
        if !state.is_some_and(|s| s.eq_ignore_ascii_case("registered")) {
            missing.push(*ns);
        }
    }
    if missing.is_empty() {
        let found = format!("{} registered", PROVIDERS.join(", "));
        return checks.pass(CHECK, found).await;
    }
    checks
        .warn(
            CHECK,
            format!("{} not registered yet", missing.join(", ")),
            "The install's preflight registers them when it runs (its identity must be allowed \
             to); or run `az provider register -n <namespace>` for each now.",
        )
        .await
}

/// Asks Azure to register each provider that is not; returns those it accepted. A refusal is a
/// failed check.
async fn register_missing(
    ctx: &StepContext,
    arm: &ArmClient,
    sub: &str,
    checks: &mut Checks<'_>,
) -> Result<Vec<&'static str>, StepError> {
    let mut registering = Vec::new();
    for ns in PROVIDERS {
        ctx.guard()?;
        let path = format!("/subscriptions/{sub}/providers/{ns}");
        let state = registration_state(arm, &path)
            .await?
            .unwrap_or_else(|| "NotRegistered".to_string());
        if state.eq_ignore_ascii_case("registered") {
            continue;
        }
        match arm
            .call(
                Method::POST,
                &format!("{path}/register"),
                api::RESOURCES,
                None,
            )
            .await
        {
            Ok(_) => registering.push(*ns),
            Err(e) => {
                checks
                    .fail(
                        CHECK,
                        format!(
                            "{ns} is {state} and the console may not register it: {}",
                            e.message()
                        ),
                        format!("Ask a subscription owner to run `az provider register -n {ns}`."),
                    )
                    .await?;
            }
        }
    }
    Ok(registering)
}

/// Registration takes a minute or two in Azure: look every poll interval for a while; what is
/// still registering after that is returned (a warning: the steps retry while it completes).
async fn wait_for_registration(
    ctx: &StepContext,
    arm: &ArmClient,
    sub: &str,
    mut registering: Vec<&'static str>,
) -> Result<Vec<&'static str>, StepError> {
    for _ in 0..60 {
        if registering.is_empty() {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(arm.timing.clamp(None)) => {}
            () = ctx.stopped() => return Err(StepError::Stopped),
        }
        let mut still = Vec::new();
        for ns in registering {
            let path = format!("/subscriptions/{sub}/providers/{ns}");
            let state = registration_state(arm, &path).await?.unwrap_or_default();
            if !state.eq_ignore_ascii_case("registered") {
                still.push(ns);
            }
        }
        registering = still;
    }
    Ok(registering)
}

/// The provider's `registrationState`, if Azure reports one.
async fn registration_state(arm: &ArmClient, path: &str) -> Result<Option<String>, StepError> {
    let provider = arm
        .get(path, api::RESOURCES)
        .await
        .map_err(|e| step_error("reading resource providers", e))?;
    Ok(provider
        .as_ref()
        .and_then(|p| p.get("registrationState"))
        .and_then(Value::as_str)
        .map(str::to_string))
}
