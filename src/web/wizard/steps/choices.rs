//! The choices of the wizard's select fields: (value, label), the value as the spec writes it.

pub(super) const CLUSTER_MODES: &[(&str, &str)] = &[
    ("create", "Create a new private AKS cluster"),
    ("existing", "Use an existing AKS cluster (bring your own)"),
];
pub(super) const TIERS: &[(&str, &str)] = &[
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
pub(super) const PLUGINS: &[(&str, &str)] = &[
    (
        "azure-overlay",
        "Azure CNI Overlay (pods use the pod CIDR; recommended)",
    ),
    ("azure", "Azure CNI classic (every pod takes a subnet IP)"),
    ("kubenet", "kubenet (retiring 2028-03-31)"),
];
pub(super) const POLICIES: &[(&str, &str)] = &[
    ("calico", "Calico (vendor guide)"),
    ("azure", "Azure Network Policy Manager"),
];
pub(super) const ACCESS: &[(&str, &str)] = &[
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
pub(super) const JUMPHOST_EGRESS: &[(&str, &str)] = &[
    (
        "none",
        "None: new subnets are private by default, a VM there has no way out",
    ),
    (
        "natGateway",
        "A NAT gateway the install creates (Standard, with a static public IP)",
    ),
];
pub(super) const OUTBOUND: &[(&str, &str)] = &[
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
pub(super) const TLS_MODES: &[(&str, &str)] = &[
    ("provided", "Upload my certificate and key"),
    ("selfSigned", "Self-signed certificate (trials only)"),
    (
        "acme",
        "Let's Encrypt HTTP-01 (external load balancer only)",
    ),
];
pub(super) const LB_MODES: &[(&str, &str)] = &[
    ("internal", "Internal: a private IP inside the VNet"),
    (
        "external",
        "External: a public IP, reachable from the internet",
    ),
];
pub(super) const GATEWAYS: &[(&str, &str)] = &[
    (
        "applicationGateway",
        "Application Gateway v2 in front: TLS ends there (vendor architecture)",
    ),
    ("none", "None: the cluster's load balancer directly"),
];
// An empty choice leaves the spec's default, so the hidden block stays empty without a gateway.
pub(super) const GATEWAY_SKUS: &[(&str, &str)] = &[
    ("", "Standard_v2 (default)"),
    ("WAF_v2", "WAF_v2: with a web application firewall policy"),
];
pub(super) const WAF_MODES: &[(&str, &str)] = &[
    ("", "Prevention (default; WAF_v2 only)"),
    ("Prevention", "Prevention: block what the rules match"),
    ("Detection", "Detection: log only"),
];
pub(super) const REGISTRY_SKUS: &[(&str, &str)] = &[
    ("Standard", "Standard"),
    ("Basic", "Basic"),
    ("Premium", "Premium (private endpoints, geo-replication)"),
];
pub(super) const PLATFORM_VERSIONS: &[(&str, &str)] = &[("5.0.9", "Katonic 5.0.9")];

pub(super) const POOL_COUNT_HELP: &str = "Either a fixed count, or min and max for the autoscaler.";
