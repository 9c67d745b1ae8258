//! The ingress load balancer: its service, and the address Azure gives it.

use k8s_openapi::api::core::v1::Service;
use kube::api::Api;
use serde_json::{Value, json};

use super::{connect, kube_error, poll_until, run_command_poll};
use crate::azure::ArmClient;
use crate::cluster::manifests::{self, ClusterContext};
use crate::cluster::reach::ClusterReach;
use crate::worker::{StepContext, StepError};

/// The ingress load balancer: the service applied, then its address awaited (a watch, not a
/// sleep) for at most `timeout`; the address is the step's output for DNS and verification.
pub async fn ingress_load_balancer(
    ctx: &StepContext,
    arm: &ArmClient,
    timeout: std::time::Duration,
) -> Result<Value, StepError> {
    let reach = connect(ctx, arm).await?;
    let names = ClusterContext::for_install(&ctx.spec, ctx.install);
    let service = manifests::load_balancer_service(&names.frontend);
    let applied = reach.apply_namespaced(&service).await.map_err(kube_error)?;
    ctx.progress(applied.to_string()).await?;
    ctx.progress(format!(
        "waiting for the load balancer's address (up to {})",
        crate::format::duration(u32::try_from(timeout.as_secs()).unwrap_or(u32::MAX))
    ))
    .await?;
    let service = match &reach {
        ClusterReach::Direct(client) => {
            watch_address(ctx, client, timeout, &applied.object).await?
        }
        ClusterReach::RunCommand(_) => {
            let reach = &reach;
            poll_until(
                ctx,
                timeout,
                run_command_poll(timeout),
                move || async move {
                    let found: Option<Service> = reach
                        .get(manifests::INGRESS_NAMESPACE, manifests::LB_SERVICE)
                        .await
                        .map_err(kube_error)?;
                    Ok(found.filter(|s| lb_address(Some(s)).is_some()))
                },
            )
            .await?
        }
    };
    let Some(service) = service else {
        return Err(no_address(ctx, timeout));
    };
    let address = lb_address(Some(&service)).unwrap_or_default();
    ctx.progress(format!("load balancer address: {address}"))
        .await?;
    Ok(json!({ "address": address, "service": applied.object }))
}

/// The service once it has an address (a watch, not a sleep), `None` after `timeout`.
async fn watch_address(
    ctx: &StepContext,
    client: &kube::Client,
    timeout: std::time::Duration,
    object: &str,
) -> Result<Option<Service>, StepError> {
    use kube::runtime::wait::await_condition;

    let api: Api<Service> = Api::namespaced(client.clone(), manifests::INGRESS_NAMESPACE);
    let has_address = |s: Option<&Service>| lb_address(s).is_some();
    let waited = tokio::select! {
        waited = tokio::time::timeout(
            timeout,
            await_condition(api, manifests::LB_SERVICE, has_address),
        ) => waited,
        () = ctx.stopped() => return Err(StepError::Stopped),
    };
    match waited {
        Ok(Ok(service)) => Ok(service),
        Ok(Err(e)) => Err(StepError::retryable(
            "WatchFailed",
            format!("watching {object}: {e}"),
            None,
        )),
        Err(_) => Ok(None),
    }
}

fn lb_address(service: Option<&Service>) -> Option<String> {
    service?
        .status
        .as_ref()?
        .load_balancer
        .as_ref()?
        .ingress
        .as_ref()?
        .iter()
        .find_map(|i| i.ip.clone().or_else(|| i.hostname.clone()))
}

fn no_address(ctx: &StepContext, timeout: std::time::Duration) -> StepError {
    let describe = format!(
        "kubectl describe service -n {} {}",
        manifests::INGRESS_NAMESPACE,
        manifests::LB_SERVICE
    );
    let behind_gateway = ctx.spec.ingress.gateway.is_some();
    let hint = match ctx.spec.ingress.load_balancer {
        _ if behind_gateway => format!(
            "See the service's events ({describe}): behind the Application Gateway it asks for \
             {} in the AKS subnet; that address may be taken, or the cluster identity may lack \
             Network Contributor on the subnet. Fix it, then resume (the service is kept).",
            katonic_domain::plan::ingress_address(&ctx.spec)
                .map_or_else(|| "its planned address".to_string(), |a| a.to_string())
        ),
        katonic_domain::spec::LbMode::Internal => format!(
            "See the service's events ({describe}): the subnet may be full, the static IP taken or \
             outside the subnet, or the cluster identity may lack Network Contributor on the \
             subnet. Fix it, then resume (the service is kept)."
        ),
        katonic_domain::spec::LbMode::External => format!(
            "See the service's events ({describe}): public IP {} in resource group {} may be \
             missing, or the cluster identity may lack Network Contributor on that group. Fix \
             it, then resume (the service is kept).",
            katonic_domain::plan::names::ingress_public_ip(&ctx.spec),
            ctx.spec.azure.resource_group
        ),
    };
    let frontend = match ctx.spec.ingress.load_balancer {
        _ if behind_gateway => String::new(),
        katonic_domain::spec::LbMode::Internal => String::new(),
        katonic_domain::spec::LbMode::External => format!(
            " from public IP {}",
            katonic_domain::plan::names::ingress_public_ip(&ctx.spec)
        ),
    };
    StepError::terminal(
        "LoadBalancerNoAddress",
        format!(
            "the load balancer got no address{frontend} within {}",
            crate::format::duration(u32::try_from(timeout.as_secs()).unwrap_or(u32::MAX))
        ),
        hint,
    )
}
