//! Document -> spec (collecting every error) and spec -> canonical document.
//!
//! Each section has its own file; this one runs them in document order, then the checks that
//! span sections (subnet capacity needs the network, the pools and the load-balancer mode).

mod cluster;
mod ctx;
mod domain;
mod export;
mod gateway;
mod network;
mod order;
mod pools;
mod services;
#[cfg(test)]
mod tests;

pub use domain::katonic_fqdn;
pub use export::{DEFAULT_OVERRIDES, GATEWAY_OFF, GATEWAY_ON, default_document, to_document};
pub use gateway::{
    GATEWAY_SUBNET_OVERHEAD, RECOMMENDED_GATEWAY_PREFIX, derived_gateway_subnet,
    gateway_subnet_needs,
};
#[cfg(test)]
pub(crate) use order::position as position_of;
pub(crate) use order::sort_warnings;

use super::capacity;
use super::{
    API_VERSION, AzureDoc, AzureTarget, ClusterSpec, DomainSpec, Guid, IngressSpec,
    InstallDocument, InstallName, InstallSpec, Invalid, KIND, LbMode, Region, ResourceGroupName,
    SpecErrors,
};
use ctx::{Ctx, text};

pub fn parse(doc: &InstallDocument) -> Result<InstallSpec, SpecErrors> {
    let mut cx = Ctx::default();
    header(&mut cx, "apiVersion", doc.api_version.as_ref(), API_VERSION);
    header(&mut cx, "kind", doc.kind.as_ref(), KIND);
    let name = cx.required(
        "name",
        doc.name.as_ref(),
        InstallName::parse,
        "give the install a short name, e.g. `prod`",
    );
    let azure = azure(&mut cx, &doc.azure);
    let mut cluster = cluster::parse(&mut cx, &doc.cluster, azure.location.as_ref());
    let domain::DomainParts {
        fqdn,
        tls,
        dns_zone,
        katonic,
    } = domain::domain(&mut cx, &doc.domain);
    let existing_cluster = cluster.mode == Some(super::ClusterMode::Existing);
    // An unset `ingress.gateway` keeps the direct load balancer where a spec written before the
    // gateway cannot have one: an existing VNet or cluster (no named gateway subnet) and ACME
    // (HTTP-01 is answered by the cluster's own public load balancer).
    let gateway = gateway::gateway(
        &mut cx,
        &doc.ingress,
        existing_cluster
            || doc.cluster.network.existing_vnet.is_some()
            || tls == Some(super::TlsMode::Acme),
    );
    let gateway_on = gateway.as_ref().map(Option::is_some);
    let (lb, static_ip) = domain::ingress(&mut cx, &doc.ingress, cluster.network.aks, gateway_on);
    domain::tls_reachability(&mut cx, tls, lb, gateway_on);
    let (gateway_subnet, gateway_subnet_name) = gateway::subnet(
        &mut cx,
        &doc.cluster.network,
        cluster.network.spec.as_ref(),
        gateway.as_ref().map(Option::as_ref),
        existing_cluster,
    );
    if let Some(net) = cluster.network.spec.as_mut() {
        // `None` here comes with a recorded error, so no spec is built from it.
        net.gateway_subnet_cidr = gateway_subnet.flatten();
        if let Some(e) = net.existing_vnet.as_mut() {
            e.gateway_subnet = gateway_subnet_name.flatten();
        }
    }
    let storage = services::storage(&mut cx, &doc.storage);
    let registry = services::registry(&mut cx, &doc.registry);
    let addons = domain::addons(&mut cx, &doc.addons, fqdn.as_ref());
    domain::dns_zone_covers(
        &mut cx,
        dns_zone.as_ref().and_then(Option::as_ref),
        fqdn.as_ref(),
        addons.as_ref(),
    );
    let platform = services::platform(&mut cx, &doc.platform);

    // A subnet already refused as smaller than /29 gets no capacity figures on top.
    // Behind a gateway the cluster's load balancer is internal (in the AKS subnet) in both modes.
    let cluster_lb = lb.map(|l| {
        if gateway_on == Some(true) {
            LbMode::Internal
        } else {
            l
        }
    });
    if let (Some(net), Some(pools), Some(lb)) = (&cluster.network.spec, &cluster.pools, cluster_lb)
        && net.aks_subnet_cidr.prefix() <= capacity::SMALLEST_SUBNET_PREFIX
    {
        let budget = capacity::ip_budget(net, pools, lb);
        if let Some(e) = capacity::subnet_problem(&budget) {
            cx.fail("cluster.network.aksSubnetCidr", e);
        }
        if let Some(pod) = net.pod_cidr
            && let Some(e) = capacity::pod_cidr_problem(&budget, &pod.to_string())
        {
            cx.fail("cluster.network.podCidr", e);
        }
    }

    cx.finish(|| {
        Some(InstallSpec {
            name: name?,
            azure: AzureTarget {
                subscription_id: azure.subscription_id?,
                tenant_id: azure.tenant_id?,
                location: azure.location?,
                resource_group: azure.resource_group?,
            },
            cluster: ClusterSpec {
                mode: cluster.mode?,
                name: cluster.name?,
                kubernetes_version: cluster.kubernetes_version?,
                tier: cluster.tier?,
                access: cluster.access?,
                zones: cluster.zones?,
                network: cluster.network.spec?,
                node_pools: cluster.pools?,
            },
            domain: DomainSpec {
                fqdn: fqdn?,
                katonic_subdomain: katonic,
                tls: tls?,
                dns_zone: dns_zone?,
            },
            ingress: IngressSpec {
                load_balancer: lb?,
                static_ip: static_ip?,
                gateway: gateway?,
            },
            storage: storage?,
            registry: registry?,
            addons: addons?,
            platform: platform?,
        })
    })
}

/// `apiVersion` and `kind`: required, and exactly the one value this build reads.
fn header(cx: &mut Ctx, field: &str, value: Option<&String>, expected: &str) {
    let fix = format!("use `{field}: {expected}`");
    match text(value) {
        None => cx.fail(
            field,
            Invalid::new("required", format!("`{field}` is missing"), fix),
        ),
        Some(v) if v == expected => {}
        Some(v) => cx.fail(
            field,
            Invalid::new(
                "enum.value",
                format!("{field} `{v}` is not one this console reads"),
                fix,
            ),
        ),
    }
}

struct AzureParts {
    subscription_id: Option<Guid>,
    tenant_id: Option<Guid>,
    location: Option<Region>,
    resource_group: Option<ResourceGroupName>,
}

fn azure(cx: &mut Ctx, doc: &AzureDoc) -> AzureParts {
    AzureParts {
        subscription_id: cx.required(
            "azure.subscriptionId",
            doc.subscription_id.as_ref(),
            Guid::parse,
            "give the subscription's id (`az account show --query id -o tsv`)",
        ),
        tenant_id: cx.required(
            "azure.tenantId",
            doc.tenant_id.as_ref(),
            Guid::parse,
            "give the Entra ID tenant's id (`az account show --query tenantId -o tsv`)",
        ),
        location: cx.required(
            "azure.location",
            doc.location.as_ref(),
            Region::parse,
            "give the region's programmatic name, e.g. `eastus`",
        ),
        resource_group: cx.required(
            "azure.resourceGroup",
            doc.resource_group.as_ref(),
            ResourceGroupName::parse,
            "give the resource group to install into, e.g. `rg-katonic`",
        ),
    }
}
