//! The wizard's first pages: the Azure target, the cluster and its network.

use super::choices::*;
use super::{Kind, Panel, Step, field, group, placeholder};

pub(super) const AZURE: Step = Step {
    id: "azure",
    title: "Azure target",
    intro: "Where the install goes: the subscription, region and resource group.",
    panel: Panel::None,
    fields: &[
        placeholder(
            field(
                "name",
                "Install name",
                Kind::Text,
                "Lowercase letters, digits and '-'; names this install in the history.",
            ),
            "prod",
        ),
        placeholder(
            field(
                "azure.subscriptionId",
                "Subscription ID",
                Kind::Text,
                "The subscription's GUID (az account show --query id).",
            ),
            "00000000-0000-0000-0000-000000000000",
        ),
        placeholder(
            field(
                "azure.tenantId",
                "Tenant ID",
                Kind::Text,
                "The Entra ID tenant's GUID (az account show --query tenantId).",
            ),
            "00000000-0000-0000-0000-000000000000",
        ),
        field(
            "azure.location",
            "Region",
            Kind::Region,
            "The cluster spans two availability zones, so the region must have zones.",
        ),
        placeholder(
            field(
                "azure.resourceGroup",
                "Resource group",
                Kind::Text,
                "A separate resource group for this install (the vendor guide's advice); created if missing.",
            ),
            "rg-katonic-prod",
        ),
    ],
};

pub(super) const CLUSTER: Step = Step {
    id: "cluster",
    title: "Cluster & network",
    intro: "The private AKS cluster and the VNet it lives in: one subnet for the cluster, one for the jumphost.",
    panel: Panel::IpBudget,
    fields: &[
        group(
            field("cluster.mode", "Cluster", Kind::Select(CLUSTER_MODES), ""),
            "Cluster",
        ),
        field(
            "cluster.name",
            "Cluster name",
            Kind::Text,
            "1-63 letters, digits, '-' or '_', starting and ending with a letter or digit.",
        ),
        placeholder(
            field(
                "cluster.kubernetesVersion",
                "Kubernetes version",
                Kind::K8sVersion,
                "Leave empty for the newest version AKS supports in the region (1.29 or later).",
            ),
            "newest supported",
        ),
        field("cluster.tier", "AKS tier", Kind::Select(TIERS), ""),
        field(
            "cluster.zones",
            "Availability zones",
            Kind::Zones,
            "At least two; the vendor guide deploys across 2 zones.",
        ),
        group(
            field(
                "cluster.network.vnetCidr",
                "VNet address space",
                Kind::Text,
                "The vendor guide uses a /16.",
            ),
            "Network",
        ),
        field(
            "cluster.network.aksSubnetCidr",
            "AKS subnet",
            Kind::Text,
            "Inside the VNet. Azure reserves 5 addresses in every subnet.",
        ),
        field(
            "cluster.network.jumphostSubnetCidr",
            "Jumphost subnet",
            Kind::Text,
            "Inside the VNet, not overlapping the AKS subnet (the vendor guide uses a /29).",
        ),
        field(
            "cluster.network.gatewaySubnetCidr",
            "Application Gateway subnet",
            Kind::Text,
            "The gateway's own subnet, nothing else in it: at least maxCapacity + 6 addresses \
             (one per instance, its private frontend, Azure's 5); Microsoft recommends a /24. \
             Empty with a new VNet: the first free /24 (shown). With an existing VNet: the \
             range of the subnet named below.",
        ),
        field(
            "cluster.network.plugin",
            "Network plugin",
            Kind::Select(PLUGINS),
            "Decides how many subnet addresses each node needs.",
        ),
        field(
            "cluster.network.networkPolicy",
            "Network policy",
            Kind::Select(POLICIES),
            "The platform relies on Kubernetes NetworkPolicy.",
        ),
        field(
            "cluster.network.podCidr",
            "Pod CIDR",
            Kind::Text,
            "Overlay and kubenet only: each node takes a /24 of it. Must not overlap the VNet.",
        ),
        field(
            "cluster.network.serviceCidr",
            "Service CIDR",
            Kind::Text,
            "Cluster-internal service addresses; outside the VNet and any network it peers with.",
        ),
        field(
            "cluster.network.dnsServiceIp",
            "DNS service IP",
            Kind::Text,
            "Inside the service CIDR, not its first address.",
        ),
        placeholder(
            field(
                "cluster.network.maxPods",
                "Max pods per node",
                Kind::Number,
                "10-250. Empty: the plugin's default (overlay 250, classic 30, kubenet 110).",
            ),
            "plugin default",
        ),
        field(
            "cluster.network.outboundType",
            "Egress",
            Kind::Select(OUTBOUND),
            "",
        ),
        field(
            "cluster.network.jumphostEgress",
            "Jumphost subnet's way out",
            Kind::Select(JUMPHOST_EGRESS),
            "A new VNet only: an existing VNet's subnets keep their own outbound path.",
        ),
        group(
            field(
                "cluster.network.existingVnet",
                "Use an existing VNet (e.g. the jumphost's) instead of creating one",
                Kind::Section,
                "It is checked against the ranges above and never modified.",
            ),
            "Existing VNet",
        ),
        field(
            "cluster.network.existingVnet.resourceGroup",
            "VNet resource group",
            Kind::Text,
            "",
        ),
        field(
            "cluster.network.existingVnet.name",
            "VNet name",
            Kind::Text,
            "",
        ),
        field(
            "cluster.network.existingVnet.aksSubnet",
            "AKS subnet name",
            Kind::Text,
            "",
        ),
        field(
            "cluster.network.existingVnet.jumphostSubnet",
            "Jumphost subnet name",
            Kind::Text,
            "",
        ),
        field(
            "cluster.network.existingVnet.gatewaySubnet",
            "Application Gateway subnet name",
            Kind::Text,
            "An existing subnet dedicated to the gateway (the console never changes the VNet).",
        ),
        group(
            field(
                "cluster.access",
                "How the console reaches the cluster",
                Kind::Select(ACCESS),
                "Its API server is private: preflight decides before anything is created, and refuses a choice that cannot work.",
            ),
            "Reaching the cluster",
        ),
    ],
};
