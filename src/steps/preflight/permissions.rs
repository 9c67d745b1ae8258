//! The console's own permissions: it may write role assignments in the resource group (the
//! vendor guide's custom role), which the identity step needs.

use serde_json::Value;

use super::list;
use super::verdict::Checks;
use crate::azure::{ArmClient, api};
use crate::steps::errors::step_error;
use crate::worker::{StepContext, StepError};

/// The caller may write role assignments (the vendor guide's custom role).
pub(super) async fn role_assignments(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    ctx.guard()?;
    let a = &ctx.spec.azure;
    let path = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Authorization/permissions",
        a.subscription_id, a.resource_group
    );
    let permissions = match arm.get(&path, api::AUTHORIZATION).await {
        Ok(Some(body)) => list::<Value>(Some(body), "value"),
        Ok(None) => {
            return checks
                .warn("permissions", format!("resource group {} does not exist yet, so its permissions cannot be read", a.resource_group), "The role-assignment permission is checked again when the identity step assigns its role.")
                .await;
        }
        Err(e) => return Err(step_error("reading the console's permissions", e)),
    };
    let allowed = crate::azure::permissions::granted(
        &permissions,
        "Microsoft.Authorization/roleAssignments/write",
    );
    if allowed {
        checks
            .pass(
                "permissions",
                "the console may write role assignments in the resource group".to_string(),
            )
            .await
    } else {
        checks
            .fail("permissions", "the console's identity may not write role assignments (Microsoft.Authorization/roleAssignments/write)".to_string(), "Assign it User Access Administrator, or the vendor guide's custom role \"AKS-Vnet-Permission\", on the resource group.")
            .await
    }
}
