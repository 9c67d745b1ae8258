//! Kubernetes version: the requested version is supported in the region (with Premium if only
//! in long-term support); without one, the newest supported version (at least 1.29) is chosen.

use serde_json::Value;

use super::verdict::Checks;
use crate::azure::resources::aks::{KubernetesVersion as Offered, KubernetesVersions};
use crate::azure::{ArmClient, api};
use crate::steps::errors::step_error;
use crate::worker::{StepContext, StepError};
use katonic_domain::spec::{ClusterTier, KubernetesVersion, MIN_KUBERNETES};

const CHECK: &str = "Kubernetes version";

/// The version to install (none when its check failed) and whether it is long-term support only.
type Chosen = (Option<String>, bool);

/// Checks the requested version, or picks the newest; the step's outputs carry the choice.
pub(super) async fn choose(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<Chosen, StepError> {
    ctx.guard()?;
    let spec = &ctx.spec;
    let path = format!(
        "/subscriptions/{}/providers/Microsoft.ContainerService/locations/{}/kubernetesVersions",
        spec.azure.subscription_id, spec.azure.location
    );
    let versions: KubernetesVersions = serde_json::from_value(
        arm.get(&path, api::CONTAINER_SERVICE)
            .await
            .map_err(|e| step_error("listing AKS versions", e))?
            .unwrap_or(Value::Null),
    )
    .unwrap_or(KubernetesVersions { values: Vec::new() });
    match &spec.cluster.kubernetes_version {
        Some(wanted) => requested(ctx, wanted, &versions.values, checks).await,
        None => newest(ctx, &versions.values, checks).await,
    }
}

/// `1.30.4` → `1.30`.
fn minor(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

fn offered_list(offered: &[Offered]) -> String {
    offered
        .iter()
        .map(|v| v.version.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The spec names a version: AKS must offer its minor, with community support unless the tier
/// is Premium; a preview is a warning.
async fn requested(
    ctx: &StepContext,
    wanted: &KubernetesVersion,
    offered: &[Offered],
    checks: &mut Checks<'_>,
) -> Result<Chosen, StepError> {
    let spec = &ctx.spec;
    let wanted_minor = wanted.minor_str();
    match offered.iter().find(|v| minor(&v.version) == wanted_minor) {
        None => {
            checks
                .fail(
                    CHECK,
                    format!(
                        "{wanted} is not offered by AKS in {} (offered: {})",
                        spec.azure.location,
                        offered_list(offered)
                    ),
                    "Choose an offered version, or leave kubernetesVersion out for the newest.",
                )
                .await?;
            Ok((None, false))
        }
        Some(v) if !v.has_community_support() && spec.cluster.tier != ClusterTier::Premium => {
            checks
                .fail(
                    CHECK,
                    format!("{wanted} is only available with long-term support"),
                    "Set cluster.tier: premium (long-term support), or choose a newer version.",
                )
                .await?;
            Ok((None, true))
        }
        Some(v) => {
            let lts = !v.has_community_support();
            if v.is_preview == Some(true) {
                checks
                    .warn(
                        CHECK,
                        format!("{wanted} is a preview in AKS"),
                        "Preview versions have no SLA; choose a GA version for production.",
                    )
                    .await?;
            } else {
                checks
                    .pass(
                        CHECK,
                        format!(
                            "{wanted} is supported in {}{}",
                            spec.azure.location,
                            if lts { " (long-term support)" } else { "" }
                        ),
                    )
                    .await?;
            }
            Ok((Some(wanted.to_string()), lts))
        }
    }
}

/// No version in the spec: the newest GA version with community support, at least 1.29.
async fn newest(
    ctx: &StepContext,
    offered: &[Offered],
    checks: &mut Checks<'_>,
) -> Result<Chosen, StepError> {
    let location = &ctx.spec.azure.location;
    let mut candidates: Vec<_> = offered
        .iter()
        .filter(|v| v.is_preview != Some(true) && v.has_community_support())
        .filter_map(|v| {
            KubernetesVersion::parse(&minor(&v.version))
                .ok()
                .map(|k| (k, v.version.clone()))
        })
        .filter(|(k, _)| (k.major, k.minor) >= MIN_KUBERNETES)
        .collect();
    candidates.sort();
    match candidates.last() {
        Some((_, version)) => {
            checks
                .pass(
                    CHECK,
                    format!("{version}, the newest version AKS supports in {location}"),
                )
                .await?;
            Ok((Some(version.clone()), false))
        }
        None => {
            checks
                .fail(
                    CHECK,
                    format!(
                        "AKS offers no supported version >= 1.29 in {location} (offered: {})",
                        offered_list(offered)
                    ),
                    "Choose another region.",
                )
                .await?;
            Ok((None, false))
        }
    }
}
