//! The wizard's pages and their fields. A field's `path` is at once the form field name, the
//! document key and the spec's error path, so errors land next to the input that caused them.

/// How a field is rendered and read back from the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Select(&'static [(&'static str, &'static str)]),
    /// Azure region picker (from the catalogue).
    Region,
    /// VM size input with the catalogue's sizes as suggestions.
    VmSize,
    /// Kubernetes version input with the catalogue's releases and support dates as suggestions.
    K8sVersion,
    Checkbox,
    /// Availability zone checkboxes.
    Zones,
    /// Checkbox that adds or removes an optional section (the GPU pool).
    Section,
}

#[derive(Debug)]
pub struct Field {
    pub path: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub help: &'static str,
    pub placeholder: &'static str,
    /// Heading shown before this field (starts a group).
    pub group: Option<&'static str>,
}

/// Which live panel a page shows beside its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    None,
    IpBudget,
    Capacity,
    Hosts,
}

#[derive(Debug)]
pub struct Step {
    pub id: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub fields: &'static [Field],
    pub panel: Panel,
}

const fn field(path: &'static str, label: &'static str, kind: Kind, help: &'static str) -> Field {
    Field {
        path,
        label,
        kind,
        help,
        placeholder: "",
        group: None,
    }
}

const fn placeholder(mut f: Field, text: &'static str) -> Field {
    f.placeholder = text;
    f
}

const fn group(mut f: Field, heading: &'static str) -> Field {
    f.group = Some(heading);
    f
}

const CLUSTER_MODES: &[(&str, &str)] = &[
    ("create", "Create a new private AKS cluster"),
    ("existing", "Use an existing AKS cluster (bring your own)"),
];
const TIERS: &[(&str, &str)] = &[
    (
        "standard",
        "Standard (uptime SLA, recommended for production)",
    ),
    ("free", "Free (no SLA, trials)"),
    (
        "premium",
        "Premium (required for long-term-support versions)",
    ),
];
const PLUGINS: &[(&str, &str)] = &[
    (
        "azure-overlay",
        "Azure CNI Overlay (pods use the pod CIDR; recommended)",
    ),
    ("azure", "Azure CNI classic (every pod takes a subnet IP)"),
    ("kubenet", "kubenet (retiring 2028-03-31)"),
];
const POLICIES: &[(&str, &str)] = &[
    ("calico", "Calico (vendor guide)"),
    ("azure", "Azure Network Policy Manager"),
];
const ACCESS: &[(&str, &str)] = &[
    (
        "auto",
        "Auto: directly when the console sees the cluster's VNet, else AKS Run Command",
    ),
    ("direct", "Directly (the console is in the cluster's VNet)"),
    (
        "runCommand",
        "AKS Run Command over ARM (no line of sight needed)",
    ),
    ("peering", "Peer the console's VNet with the cluster's"),
];
const JUMPHOST_EGRESS: &[(&str, &str)] = &[
    (
        "none",
        "None: new subnets are private by default, a VM there has no way out",
    ),
    (
        "natGateway",
        "A NAT gateway the install creates (Standard, with a static public IP)",
    ),
];
const OUTBOUND: &[(&str, &str)] = &[
    (
        "loadBalancer",
        "Load balancer (AKS creates a public egress IP)",
    ),
    (
        "userDefinedRouting",
        "User-defined routing (your firewall / route table)",
    ),
    ("managedNATGateway", "Managed NAT gateway"),
];
const TLS_MODES: &[(&str, &str)] = &[
    ("provided", "Upload my certificate and key"),
    ("selfSigned", "Self-signed certificate (trials only)"),
    (
        "acme",
        "Let's Encrypt HTTP-01 (external load balancer only)",
    ),
];
const LB_MODES: &[(&str, &str)] = &[
    ("internal", "Internal: a private IP inside the VNet"),
    (
        "external",
        "External: a public IP, reachable from the internet",
    ),
];
const GATEWAYS: &[(&str, &str)] = &[
    (
        "applicationGateway",
        "Application Gateway v2 in front: TLS ends there (vendor architecture)",
    ),
    ("none", "None: the cluster's load balancer directly"),
];
// An empty choice leaves the spec's default, so the hidden block stays empty without a gateway.
const GATEWAY_SKUS: &[(&str, &str)] = &[
    ("", "Standard_v2 (default)"),
    ("WAF_v2", "WAF_v2: with a web application firewall policy"),
];
const WAF_MODES: &[(&str, &str)] = &[
    ("", "Prevention (default; WAF_v2 only)"),
    ("Prevention", "Prevention: block what the rules match"),
    ("Detection", "Detection: log only"),
];
const REGISTRY_SKUS: &[(&str, &str)] = &[
    ("Standard", "Standard"),
    ("Basic", "Basic"),
    ("Premium", "Premium (private endpoints, geo-replication)"),
];
const PLATFORM_VERSIONS: &[(&str, &str)] = &[("5.0.9", "Katonic 5.0.9")];

const POOL_COUNT_HELP: &str = "Either a fixed count, or min and max for the autoscaler.";

pub const STEPS: &[Step] = &[
    Step {
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
    },
    Step {
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
    },
    Step {
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
    },
    Step {
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
    },
    Step {
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
    },
];

/// Id of the last page, after the field pages.
pub const REVIEW: &str = "review";

pub fn step(id: &str) -> Option<&'static Step> {
    STEPS.iter().find(|s| s.id == id)
}

/// The page after `id` (`review` after the last).
pub fn next(id: &str) -> &'static str {
    let pos = STEPS.iter().position(|s| s.id == id);
    match pos.and_then(|p| STEPS.get(p + 1)) {
        Some(s) => s.id,
        None => REVIEW,
    }
}

/// The page before `id`.
pub fn previous(id: &str) -> Option<&'static str> {
    if id == REVIEW {
        return STEPS.last().map(|s| s.id);
    }
    let pos = STEPS.iter().position(|s| s.id == id)?;
    pos.checked_sub(1).and_then(|p| STEPS.get(p)).map(|s| s.id)
}

/// Whether an error at `error_path` belongs to `step` (its field, a part of one, or a section
/// containing one, like `cluster.nodePools.platform`).
pub fn owns(step: &Step, error_path: &str) -> bool {
    step.fields.iter().any(|f| related(f.path, error_path))
}

fn related(a: &str, b: &str) -> bool {
    a == b
        || (a.starts_with(b) && a[b.len()..].starts_with('.'))
        || (b.starts_with(a) && b[a.len()..].starts_with('.'))
}

/// The page an error is fixed on (`review` for document-level errors such as `apiVersion`).
pub fn step_of(error_path: &str) -> &'static str {
    STEPS
        .iter()
        .find(|s| s.fields.iter().any(|f| f.path == error_path))
        .or_else(|| STEPS.iter().find(|s| owns(s, error_path)))
        .map_or(REVIEW, |s| s.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_path_is_a_document_path() {
        let doc = katonic_domain::spec::default_document();
        for step in STEPS {
            for f in step.fields {
                let value = match f.kind {
                    Kind::Checkbox => crate::web::form::FieldValue::Bool(true),
                    Kind::Zones => crate::web::form::FieldValue::List(vec!["1".into()]),
                    Kind::Section => crate::web::form::FieldValue::Remove,
                    _ => crate::web::form::FieldValue::Text(Some("x".into())),
                };
                crate::web::form::apply(&doc, &[(f.path, value)])
                    .unwrap_or_else(|e| panic!("{} is not a document path: {e}", f.path));
            }
        }
    }

    #[test]
    fn errors_map_to_the_page_that_fixes_them() {
        assert_eq!(step_of("cluster.network.aksSubnetCidr"), "cluster");
        assert_eq!(step_of("cluster.nodePools.platform"), "pools");
        assert_eq!(step_of("addons.superset"), "storage");
        assert_eq!(step_of("apiVersion"), REVIEW);
        assert_eq!(next("storage"), REVIEW);
        assert_eq!(previous(REVIEW), Some("storage"));
        assert_eq!(previous("azure"), None);
    }
}
