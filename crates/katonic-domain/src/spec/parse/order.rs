//! Document order of the fields, so that errors and warnings read top to bottom.

use super::super::{FieldError, Warning};

const POOL_FIELDS: [&str; 6] = ["name", "vmSize", "count", "min", "max", "maxSurge"];

/// Every field path, in the order the canonical document writes them.
fn fields() -> impl Iterator<Item = String> {
    let head = [
        "document",
        "apiVersion",
        "kind",
        "name",
        "azure.subscriptionId",
        "azure.tenantId",
        "azure.location",
        "azure.resourceGroup",
        "cluster.mode",
        "cluster.name",
        "cluster.kubernetesVersion",
        "cluster.tier",
        "cluster.access",
        "cluster.zones",
        "cluster.network.vnetCidr",
        "cluster.network.aksSubnetCidr",
        "cluster.network.jumphostSubnetCidr",
        "cluster.network.plugin",
        "cluster.network.networkPolicy",
        "cluster.network.podCidr",
        "cluster.network.serviceCidr",
        "cluster.network.dnsServiceIp",
        "cluster.network.maxPods",
        "cluster.network.outboundType",
        "cluster.network.existingVnet.resourceGroup",
        "cluster.network.existingVnet.name",
        "cluster.network.existingVnet.aksSubnet",
        "cluster.network.existingVnet.jumphostSubnet",
        "cluster.network.existingVnet.gatewaySubnet",
        "cluster.network.gatewaySubnetCidr",
        "cluster.network.jumphostEgress",
    ];
    let pools = ["platform", "compute", "gpu"].into_iter().flat_map(|role| {
        POOL_FIELDS
            .into_iter()
            .map(move |f| format!("cluster.nodePools.{role}.{f}"))
    });
    let tail = [
        "domain.fqdn",
        "domain.katonicSubdomain",
        "domain.tls",
        "domain.dnsZone",
        "ingress.loadBalancer",
        "ingress.staticIp",
        "ingress.gateway",
        "ingress.applicationGateway",
        "ingress.applicationGateway.sku",
        "ingress.applicationGateway.wafMode",
        "ingress.applicationGateway.minCapacity",
        "ingress.applicationGateway.maxCapacity",
        "storage.sharedFiles",
        "storage.accountName",
        "registry.name",
        "registry.sku",
        "addons.superset",
        "addons.airbyte",
        "platform.version",
    ];
    head.into_iter()
        .map(String::from)
        .chain(pools)
        .chain(tail.into_iter().map(String::from))
}

/// Position of `field` (or of the first field under it); unknown paths go last.
pub(crate) fn position(field: &str) -> usize {
    fields()
        .position(|f| f == field || (f.starts_with(field) && f[field.len()..].starts_with('.')))
        .unwrap_or(usize::MAX)
}

/// Stable: errors of one field keep the order they were found in.
pub(super) fn sort(errors: &mut [FieldError]) {
    errors.sort_by_cached_key(|e| position(&e.field));
}

pub(crate) fn sort_warnings(warnings: &mut [Warning]) {
    warnings.sort_by_cached_key(|w| position(&w.field));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_the_document() {
        assert!(position("apiVersion") < position("name"));
        assert!(position("cluster.zones") < position("cluster.network.vnetCidr"));
        assert!(
            position("cluster.network.aksSubnetCidr")
                < position("cluster.nodePools.platform.count")
        );
        assert_eq!(
            position("cluster.nodePools.gpu"),
            position("cluster.nodePools.gpu.name")
        );
        assert_eq!(
            position("cluster.network"),
            position("cluster.network.vnetCidr")
        );
        assert!(position("domain.tls") < position("ingress.loadBalancer"));
        assert_eq!(position("nonsense"), usize::MAX);
        assert_eq!(position("cluster.nodePools.gp"), usize::MAX);
    }
}
