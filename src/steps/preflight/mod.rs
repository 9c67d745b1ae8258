//! Preflight: everything that would make the install fail, checked before anything is created.
//! Each check is a visible PASS / WARN / FAIL line with a fix; the step fails with every failed
//! check at once, so the admin fixes them in one go.
//!
//! One file per check family; all of them report through [`verdict::Checks`].

mod app_gateway;
mod backend_address;
mod cluster_access;
mod console_vnet;
mod dns_zone;
mod egress;
mod existing_cluster;
mod from_spec;
mod kubernetes_version;
mod permissions;
mod providers;
mod quota;
mod reach;
mod reach_facts;
mod subscription;
mod verdict;
mod vm_sizes;

use serde_json::{Value, json};

use crate::azure::ArmClient;
use crate::azure::placement::PlacementSource;
use crate::worker::{StepContext, StepError};
use katonic_domain::spec::ClusterMode;
use verdict::Checks;

pub(super) use console_vnet::{PlacementCache, network_offer};

/// The array under `key` of an ARM list body, empty when absent or unreadable.
fn list<T: serde::de::DeserializeOwned>(body: Option<Value>, key: &str) -> Vec<T> {
    body.and_then(|b| b.get(key).cloned())
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

pub async fn run(
    ctx: &StepContext,
    arm: &ArmClient,
    placement: &PlacementSource,
) -> Result<Value, StepError> {
    let spec = &ctx.spec;
    let mut checks = Checks::new(ctx);
    if subscription::credentials(ctx, arm, &mut checks).await? == subscription::Reached::No {
        // Everything else is about this subscription: nothing more to learn.
        return checks.finish();
    }
    subscription::region(ctx, arm, &mut checks).await?;
    providers::registered(ctx, arm, &mut checks).await?;
    permissions::role_assignments(ctx, arm, &mut checks).await?;
    if let Some(zone) = &spec.domain.dns_zone {
        dns_zone::writable(ctx, arm, zone, &mut checks).await?;
    }
    quota::vcpus(ctx, arm, &mut checks).await?;
    vm_sizes::offered(ctx, arm, &mut checks).await?;
    let (version, lts_only) = kubernetes_version::choose(ctx, arm, &mut checks).await?;
    from_spec::tls_mode(ctx, &mut checks).await?;
    if spec.cluster.mode == ClusterMode::Existing {
        existing_cluster::ready(ctx, arm, &mut checks).await?;
    }
    from_spec::subnet_capacity(ctx, &mut checks).await?;
    app_gateway::checks(ctx, arm, &mut checks).await?;
    backend_address::free(ctx, arm, &mut checks).await?;
    egress::default_route(ctx, arm, &mut checks).await?;
    let reach = reach_facts::resolve(ctx, arm, placement, &mut checks).await?;
    permissions::for_reach(ctx, arm, &reach, &mut checks).await?;

    let mut outputs = json!({
        "kubernetesVersion": version,
        "longTermSupportOnly": lts_only,
        "checks": checks.to_json(),
    });
    if let (Some(all), Some(more)) = (outputs.as_object_mut(), reach.as_object()) {
        all.extend(more.clone());
    }
    checks.finish()?;
    Ok(outputs)
}
