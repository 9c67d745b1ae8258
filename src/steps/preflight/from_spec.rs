//! Checks that need no Azure call: what the spec asks for that this console cannot do, and how
//! much of the subnet the install takes.

use super::verdict::Checks;
use crate::worker::{StepContext, StepError};
use katonic_domain::spec::TlsMode;

/// ACME is refused here, before anything is created, rather than at the TLS step.
pub(super) async fn tls_mode(ctx: &StepContext, checks: &mut Checks<'_>) -> Result<(), StepError> {
    if ctx.spec.domain.tls != TlsMode::Acme {
        return Ok(());
    }
    checks
        .fail(
            "TLS",
            "ACME (Let's Encrypt) issuance is not available in this console version".into(),
            "Set domain.tls to provided (upload your certificate and key) or selfSigned (trials), then resume.",
        )
        .await
}

/// The addresses the cluster needs out of the subnet (the spec's validation refused it if short).
pub(super) async fn subnet_capacity(
    ctx: &StepContext,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    let budget = ctx.spec.ip_budget();
    checks
        .pass(
            "subnet capacity",
            format!(
                "{} needs {} of {} usable addresses ({})",
                budget.subnet, budget.needed, budget.usable, budget.plugin
            ),
        )
        .await
}
