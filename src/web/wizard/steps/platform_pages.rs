//! The wizard's later pages: node pools, domain with ingress and TLS, storage and add-ons.

use super::choices::*;
use super::{Kind, Panel, Step, field, group, placeholder};

pub(super) const POOLS: Step = Step {
    id: "pools",
    title: "Node pools",
    intro: "Nodes are labelled katonic.ai/node-pool=platform, compute or gpu, as the platform expects.",
    panel: Panel::Capacity,
    fields: &[
        group(
            field(
                "cluster.nodePools.platform.vmSize",
                "VM size",
                Kind::VmSize,
                "Hosts the platform itself (AKS system pool).",
            ),
            "Platform pool",
        ),
        field(
            "cluster.nodePools.platform.count",
            "Nodes",
            Kind::Number,
            "At least 2 (vendor guide); 3 or more for a resilient system pool.",
        ),
        field("cluster.nodePools.platform.min", "Min", Kind::Number, ""),
        field(
            "cluster.nodePools.platform.max",
            "Max",
            Kind::Number,
            POOL_COUNT_HELP,
        ),
        group(
            field(
                "cluster.nodePools.compute.vmSize",
                "VM size",
                Kind::VmSize,
                "Runs users' notebooks, pipelines and model serving.",
            ),
            "Compute pool",
        ),
        field("cluster.nodePools.compute.count", "Nodes", Kind::Number, ""),
        field("cluster.nodePools.compute.min", "Min", Kind::Number, ""),
        field(
            "cluster.nodePools.compute.max",
            "Max",
            Kind::Number,
            POOL_COUNT_HELP,
        ),
        group(
            field(
                "cluster.nodePools.gpu",
                "Add a GPU pool",
                Kind::Section,
                "Optional. Min 0 lets the autoscaler keep it empty until a GPU job runs.",
            ),
            "GPU pool",
        ),
        field(
            "cluster.nodePools.gpu.vmSize",
            "VM size",
            Kind::VmSize,
            "An N-series size.",
        ),
        field("cluster.nodePools.gpu.count", "Nodes", Kind::Number, ""),
        field("cluster.nodePools.gpu.min", "Min", Kind::Number, ""),
        field(
            "cluster.nodePools.gpu.max",
            "Max",
            Kind::Number,
            POOL_COUNT_HELP,
        ),
    ],
};

pub(super) const DOMAIN: Step = Step {
    id: "domain",
    title: "Domain, ingress & TLS",
    intro: "The name the platform is served at, how it is reached, and its certificate.",
    panel: Panel::Hosts,
    fields: &[
        placeholder(
            field(
                "domain.fqdn",
                "Domain (FQDN)",
                Kind::Text,
                "Add-ons get their own names: dash-<domain> and connectors-<domain>.",
            ),
            "katonic.example.com",
        ),
        placeholder(
            field(
                "domain.katonicSubdomain",
                "Or a katonic.ai name",
                Kind::Text,
                "Instead of a domain of your own: the platform at <name>.katonic.ai (add-ons \
                 at dash-<name>.katonic.ai and connectors-<name>.katonic.ai). Leave the domain \
                 above empty; Katonic provides the certificate (upload it below) and publishes \
                 the records the install page lists for them.",
            ),
            "e.g. acme for acme.katonic.ai",
        ),
        group(
            field(
                "ingress.gateway",
                "Front door",
                Kind::Select(GATEWAYS),
                "The vendor's architecture: an SSL-terminating Application Gateway v2 in \
                 front of the cluster's load balancer, which is then internal in both modes.",
            ),
            "Ingress",
        ),
        field(
            "ingress.loadBalancer",
            "Load balancer",
            Kind::Select(LB_MODES),
            "Where the front door faces (the gateway's frontend, or the load balancer's \
             without one). Either way the cluster's API server stays private.",
        ),
        placeholder(
            field(
                "ingress.staticIp",
                "Static private IP",
                Kind::Text,
                "Optional: the cluster's internal load balancer address inside the AKS subnet \
                 (with a gateway, its backend; empty: the subnet's last usable address).",
            ),
            "allocated by Azure",
        ),
        field(
            "ingress.applicationGateway.sku",
            "Gateway SKU",
            Kind::Select(GATEWAY_SKUS),
            "",
        ),
        field(
            "ingress.applicationGateway.wafMode",
            "WAF mode",
            Kind::Select(WAF_MODES),
            "WAF_v2 only: the policy runs Microsoft's default rule set.",
        ),
        placeholder(
            field(
                "ingress.applicationGateway.minCapacity",
                "Minimum instances",
                Kind::Number,
                "0-125; at least 2 keeps an instance in each of two zones.",
            ),
            "2",
        ),
        placeholder(
            field(
                "ingress.applicationGateway.maxCapacity",
                "Maximum instances",
                Kind::Number,
                "2-125, at least the minimum; the gateway subnet must hold it.",
            ),
            "10",
        ),
        field(
            "domain.tls",
            "TLS certificate",
            Kind::Select(TLS_MODES),
            "The certificate must cover the domain and every add-on host.",
        ),
        placeholder(
            field(
                "domain.dnsZone",
                "DNS zone (resource id)",
                Kind::Text,
                "Optional: an Azure Private DNS zone (internal load balancer) or Azure DNS zone \
                 (external) holding the domain and the add-on hosts, e.g. the domain's parent \
                 zone. The console then creates the A records there; empty: it shows them for \
                 you to create. Id from `az network private-dns zone show -g <group> -n <zone> --query id -o tsv`.",
            ),
            "/subscriptions/…/resourceGroups/…/providers/Microsoft.Network/privateDnsZones/example.com",
        ),
    ],
};

pub(super) const STORAGE: Step = Step {
    id: "storage",
    title: "Storage & add-ons",
    intro: "Blob storage for datasets and backups, a registry for images, shared files, and the add-ons.",
    panel: Panel::Hosts,
    fields: &[
        group(
            field(
                "storage.sharedFiles",
                "Shared storage (Azure Files share and the kfs-shared storage class)",
                Kind::Checkbox,
                "The kfs storage class (Standard SSD) is always created as the only default.",
            ),
            "Storage",
        ),
        placeholder(
            field(
                "storage.accountName",
                "Storage account name",
                Kind::Text,
                "3-24 lowercase letters and digits, unique across Azure. Empty: derived from the install.",
            ),
            "derived",
        ),
        placeholder(
            field(
                "registry.name",
                "Container registry name",
                Kind::Text,
                "5-50 letters and digits, unique across Azure. Empty: derived from the install.",
            ),
            "derived",
        ),
        field(
            "registry.sku",
            "Registry tier",
            Kind::Select(REGISTRY_SKUS),
            "",
        ),
        group(
            field(
                "addons.superset",
                "Superset 2.0.1 (data visualisation) at dash-<domain>",
                Kind::Checkbox,
                "",
            ),
            "Add-ons",
        ),
        field(
            "addons.airbyte",
            "Airbyte 0.40.32 (connectors) at connectors-<domain>",
            Kind::Checkbox,
            "",
        ),
        group(
            field(
                "platform.version",
                "Katonic platform",
                Kind::Select(PLATFORM_VERSIONS),
                "",
            ),
            "Platform",
        ),
    ],
};
