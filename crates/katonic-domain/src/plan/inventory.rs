//! Resource inventory: the vendor guide's "Resources Provisioned Post-Installation" table for this
//! install, plus what Azure creates along with it (node resource group, load balancers, public
//! IPs, private DNS zone, role assignments), so the review page shows every billable or
//! policy-relevant resource before anything is created.

use super::{PlannedResource, describe, names};
use crate::spec::{ClusterMode, InstallSpec, JumphostEgress, LbMode, OutboundType};

/// Size of the OS disk AKS gives each node by default (GiB).
pub const OS_DISK_GIB: u32 = 128;

/// What the install puts in Azure, counted once for the inventory and the cost estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Footprint {
    /// The console creates the cluster (and its VNet, identity, pools).
    pub create: bool,
    /// Nodes with every pool at its minimum / maximum (upgrade surge excluded).
    pub nodes_min: u32,
    pub nodes_max: u32,
    /// Extra nodes that exist during an upgrade.
    pub surge: u32,
    /// AKS's public load balancer `kubernetes`: egress rules and/or the external ingress.
    pub public_lb: bool,
    /// AKS's `kubernetes-internal` load balancer, for the internal ingress.
    pub internal_lb: bool,
    pub ingress_public_ip: bool,
    /// The ingress public IP is on AKS's load balancer (no gateway holds it).
    pub ingress_ip_on_lb: bool,
    pub egress_public_ip: bool,
    pub nat_gateway: bool,
    /// The jumphost subnet's NAT gateway and its public IP (a new VNet only).
    pub jumphost_nat: bool,
}

impl Footprint {
    pub fn of(spec: &InstallSpec) -> Footprint {
        let pools = &spec.cluster.node_pools;
        let sum = |f: &dyn Fn(&crate::spec::NodePool) -> u32| {
            pools.iter().fold(0u32, |acc, p| acc.saturating_add(f(p)))
        };
        let create = spec.cluster.mode == ClusterMode::Create;
        let external = spec.ingress.load_balancer == LbMode::External;
        let gateway = spec.ingress.gateway.is_some();
        let outbound = spec.cluster.network.outbound_type;
        // Egress resources of an existing cluster already exist: not this install's.
        let lb_egress = create && outbound == OutboundType::LoadBalancer;
        Footprint {
            create,
            nodes_min: sum(&|p| p.scale.min()),
            nodes_max: sum(&|p| p.scale.max()),
            surge: sum(&|p| p.max_surge),
            // Behind a gateway the cluster's ingress load balancer is internal in both modes.
            public_lb: lb_egress || (external && !gateway),
            internal_lb: !external || gateway,
            ingress_public_ip: external,
            ingress_ip_on_lb: external && !gateway,
            egress_public_ip: lb_egress,
            nat_gateway: create && outbound == OutboundType::ManagedNatGateway,
            jumphost_nat: create
                && spec.cluster.network.existing_vnet.is_none()
                && spec.cluster.network.jumphost_egress == JumphostEgress::NatGateway,
        }
    }

    /// Public IPs at any node count (ingress, load-balancer egress, NAT gateways).
    pub fn public_ips(&self) -> u32 {
        u32::from(self.ingress_public_ip) + u32::from(self.egress_public_ip) + self.nat_gateways()
    }

    /// NAT gateways: AKS's managed one, the jumphost subnet's.
    pub fn nat_gateways(&self) -> u32 {
        u32::from(self.nat_gateway) + u32::from(self.jumphost_nat)
    }

    pub fn load_balancers(&self) -> u32 {
        u32::from(self.public_lb) + u32::from(self.internal_lb)
    }
}

/// The inventory, in the vendor table's order first, then the rest by area.
pub(super) fn resources(spec: &InstallSpec) -> Vec<PlannedResource> {
    let fp = Footprint::of(spec);
    let mut out = Inventory::default();
    out.fixed(
        "Microsoft.Resources/resourceGroups",
        "Resource group",
        spec.azure.resource_group.to_string(),
        1,
        if fp.create {
            "Holds the console's resources (created or adopted; tagged managed-by=katonic-console)."
        } else {
            "Holds the existing cluster; the storage account and registry are added to it."
        },
        true,
    );
    if fp.create {
        nodes(spec, &fp, &mut out);
    }
    network(spec, &fp, &mut out);
    cluster(spec, &fp, &mut out);
    storage(spec, &mut out);
    load_balancing(spec, &fp, &mut out);
    out.0.extend(super::gateway_rows::resources(spec));
    role_assignments(spec, &fp, &mut out);
    out.0
}

#[derive(Default)]
struct Inventory(Vec<PlannedResource>);

impl Inventory {
    fn row(
        &mut self,
        kind: &str,
        title: &str,
        name: String,
        count: (u32, u32),
        note: impl Into<String>,
        by_console: bool,
    ) {
        self.0.push(PlannedResource {
            kind: kind.to_string(),
            title: title.to_string(),
            name,
            count_min: count.0,
            count_max: count.1,
            note: note.into(),
            created_by_console: by_console,
        });
    }

    fn fixed(
        &mut self,
        kind: &str,
        title: &str,
        name: String,
        count: u32,
        note: impl Into<String>,
        by_console: bool,
    ) {
        self.row(kind, title, name, (count, count), note, by_console);
    }
}

/// Per-node resources (vendor table rows 1-3).
fn nodes(spec: &InstallSpec, fp: &Footprint, out: &mut Inventory) {
    let pools: Vec<String> = spec.cluster.node_pools.iter().map(describe::pool).collect();
    let per_pool = format!(
        "Pools {}. During an upgrade up to {} surge node(s) add one each for a while.",
        describe::and_list(&pools),
        fp.surge
    );
    let range = (fp.nodes_min, fp.nodes_max);
    out.row(
        "Microsoft.Network/networkInterfaces",
        "Network interface",
        "one per node (VM scale set instances)".to_string(),
        range,
        format!("Vendor table: 1 per node, always. {per_pool}"),
        false,
    );
    out.row(
        "Microsoft.Compute/disks",
        "OS disk (managed disk)",
        format!("one {OS_DISK_GIB} GiB OS disk per node"),
        range,
        format!(
            "Vendor table: 1 per node, always. Estimated as Premium SSD P10; a pool on an \
             ephemeral OS disk (kept in the VM's cache) has no disk charge. {per_pool}"
        ),
        false,
    );
    out.row(
        "Microsoft.Network/publicIPAddresses",
        "Public IP address per node",
        "none".to_string(),
        (0, 0),
        "Vendor table: 1 per node only when the platform has public IP addresses; nodes of a \
         private cluster have none.",
        false,
    );
    for pool in spec.cluster.node_pools.iter() {
        out.fixed(
            "Microsoft.Compute/virtualMachineScaleSets",
            "VM scale set",
            format!(
                "aks-{}-<id>-vmss in {}",
                pool.name,
                names::node_resource_group(spec)
            ),
            1,
            format!(
                "Node pool {}, labelled katonic.ai/node-pool={}{}.",
                describe::pool(pool),
                pool.role.as_str(),
                // Only pools the console creates get its taint.
                if fp.create {
                    format!(" and tainted {}", pool.taint())
                } else {
                    String::new()
                }
            ),
            false,
        );
    }
}

fn network(spec: &InstallSpec, fp: &Footprint, out: &mut Inventory) {
    if !fp.create {
        return;
    }
    let net = &spec.cluster.network;
    if let Some(e) = &net.existing_vnet {
        out.fixed(
            "Microsoft.Network/virtualNetworks",
            "Virtual network (existing)",
            format!("{} in {}", e.name, e.resource_group),
            0,
            format!(
                "Used as it is, not created or modified: {}; subnets {} {} and {} {}.",
                net.vnet_cidr,
                e.aks_subnet,
                net.aks_subnet_cidr,
                e.jumphost_subnet,
                net.jumphost_subnet_cidr
            ),
            false,
        );
        return;
    }
    out.fixed(
        "Microsoft.Network/virtualNetworks",
        "Virtual network",
        names::vnet(spec),
        1,
        format!(
            "Vendor table: 1 when deployed to a new VNet. {}; subnets {} {} and {} {}.",
            net.vnet_cidr,
            names::aks_subnet(spec),
            net.aks_subnet_cidr,
            names::jumphost_subnet(spec),
            net.jumphost_subnet_cidr
        ),
        true,
    );
    if fp.jumphost_nat {
        jumphost_nat(spec, out);
    }
    out.fixed(
        "Microsoft.Network/networkSecurityGroups",
        "Network security group",
        names::nsg(spec),
        1,
        format!(
            "Vendor table: 1, always. Attached to subnet {}.",
            names::aks_subnet(spec)
        ),
        true,
    );
    out.fixed(
        "Microsoft.Network/networkSecurityGroups",
        "Network security group (AKS)",
        format!(
            "aks-agentpool-<id>-nsg in {}",
            names::node_resource_group(spec)
        ),
        1,
        "Managed by AKS on the node NICs; holds the load balancer rules AKS opens.",
        false,
    );
}

/// `jumphostEgress: natGateway`: the jumphost subnet's way out.
fn jumphost_nat(spec: &InstallSpec, out: &mut Inventory) {
    out.fixed(
        "Microsoft.Network/natGateways",
        "NAT gateway (jumphost subnet)",
        names::jumphost_nat_gateway(spec),
        1,
        format!(
            "Standard; associated with subnet {}, which is private by default: its only way out.",
            names::jumphost_subnet(spec)
        ),
        true,
    );
    out.fixed(
        "Microsoft.Network/publicIPAddresses",
        "Public IP address (jumphost NAT gateway)",
        names::jumphost_nat_public_ip(spec),
        1,
        "Standard static IPv4 (a NAT gateway takes no Basic address): the jumphost subnet's egress address.",
        true,
    );
}

fn cluster(spec: &InstallSpec, fp: &Footprint, out: &mut Inventory) {
    let basics = format!(
        "Kubernetes {}, {} tier, private API server.",
        describe::kubernetes_version(spec),
        describe::tier(spec.cluster.tier)
    );
    if !fp.create {
        out.fixed(
            "Microsoft.ContainerService/managedClusters",
            "AKS cluster (existing)",
            spec.cluster.name.to_string(),
            1,
            "Existing cluster: not created; its nodes, disks and network stay as they are. The \
             install adds storage classes, namespaces, policies, the ingress and the platform.",
            false,
        );
        return;
    }
    out.fixed(
        "Microsoft.ContainerService/managedClusters",
        "AKS cluster",
        spec.cluster.name.to_string(),
        1,
        format!("Vendor table: 1 when AKS is the application cluster. {basics}"),
        true,
    );
    out.fixed(
        "Microsoft.Resources/resourceGroups",
        "Node resource group",
        names::node_resource_group(spec),
        1,
        "Created and managed by AKS for the scale sets, disks, NICs, load balancers and public IPs.",
        false,
    );
    out.fixed(
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "Managed identity (cluster)",
        names::cluster_identity(spec),
        1,
        "The cluster's control-plane identity, created before the cluster so its subnet role exists in time.",
        true,
    );
    out.fixed(
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "Managed identity (kubelet)",
        names::kubelet_identity(spec),
        1,
        "Created by AKS in the node resource group; nodes pull images with it.",
        false,
    );
    out.fixed(
        "Microsoft.Network/privateEndpoints",
        "Private endpoint (API server)",
        format!("kube-apiserver in {}", names::node_resource_group(spec)),
        1,
        format!(
            "Created by AKS; takes one address of subnet {}.",
            names::aks_subnet(spec)
        ),
        false,
    );
    out.fixed(
        "Microsoft.Network/privateDnsZones",
        "Private DNS zone",
        names::private_dns_zone(spec),
        1,
        format!(
            "Created by AKS for the private API server and linked to {}.",
            names::vnet(spec)
        ),
        false,
    );
}

fn storage(spec: &InstallSpec, out: &mut Inventory) {
    out.fixed(
        "Microsoft.Storage/storageAccounts",
        "Storage account",
        names::storage_account(spec),
        1,
        "Vendor guide: datasets, shared files and backups.",
        true,
    );
    out.fixed(
        "Microsoft.Storage/storageAccounts/blobServices/containers",
        "Blob container",
        format!(
            "{} and {}",
            names::DATASETS_CONTAINER,
            names::BACKUPS_CONTAINER
        ),
        2,
        format!("In {}.", describe::storage_account(spec)),
        true,
    );
    if spec.storage.shared_files {
        out.fixed(
            "Microsoft.Storage/storageAccounts/fileServices/shares",
            "Azure Files share",
            names::SHARED_FILE_SHARE.to_string(),
            1,
            format!(
                "Vendor table: 1 when shared storage is enabled. Backs storage class {}.",
                names::SHARED_STORAGE_CLASS
            ),
            true,
        );
    }
    out.fixed(
        "Microsoft.ContainerRegistry/registries",
        "Container registry",
        names::registry(spec),
        1,
        format!(
            "{} SKU; environment and model images.",
            describe::registry_sku(spec.registry.sku)
        ),
        true,
    );
}

fn load_balancing(spec: &InstallSpec, fp: &Footprint, out: &mut Inventory) {
    load_balancers(spec, fp, out);
    public_addresses(spec, fp, out);
}

/// The load balancers AKS creates: internal for an internal ingress, public for egress or an
/// external ingress.
fn load_balancers(spec: &InstallSpec, fp: &Footprint, out: &mut Inventory) {
    let node_rg = describe::node_resource_group(spec);
    if fp.internal_lb {
        out.fixed(
            "Microsoft.Network/loadBalancers",
            "Standard load balancer (internal)",
            format!("kubernetes-internal in {node_rg}"),
            1,
            format!(
                "Created by AKS for the ingress Service; frontend on a private address of {}.",
                describe::aks_subnet(spec)
            ),
            false,
        );
    }
    if fp.public_lb {
        let mut roles = Vec::new();
        if fp.egress_public_ip {
            roles.push("outbound (egress) rules");
        }
        if fp.ingress_ip_on_lb {
            roles.push("the ingress Service's public frontend");
        }
        out.fixed(
            "Microsoft.Network/loadBalancers",
            "Standard load balancer (public)",
            format!("kubernetes in {node_rg}"),
            1,
            format!("Created by AKS for {}.", describe::and_list(&roles)),
            false,
        );
    }
}

/// Public IPs (the ingress's, egress) and the managed NAT gateway with its address.
fn public_addresses(spec: &InstallSpec, fp: &Footprint, out: &mut Inventory) {
    let node_rg = describe::node_resource_group(spec);
    if fp.ingress_public_ip {
        out.fixed(
            "Microsoft.Network/publicIPAddresses",
            "Public IP address (ingress)",
            format!(
                "{} in {}",
                names::ingress_public_ip(spec),
                spec.azure.resource_group
            ),
            1,
            format!(
                "Standard static IPv4, zone-redundant over {}, {} (created by the console); the \
                 cluster itself stays private.",
                describe::zones(spec),
                if spec.ingress.gateway.is_some() {
                    "the Application Gateway's frontend"
                } else {
                    "for the external ingress, outliving its Service"
                }
            ),
            true,
        );
    }
    if fp.egress_public_ip {
        out.fixed(
            "Microsoft.Network/publicIPAddresses",
            "Public IP address (egress)",
            format!("<id> in {node_rg}"),
            1,
            "Outbound type loadBalancer gives the nodes a public egress IP, even on a private \
             cluster (no inbound exposure); choose userDefinedRouting or a NAT gateway where \
             policy forbids public IPs.",
            false,
        );
    }
    if fp.nat_gateway {
        out.fixed(
            "Microsoft.Network/natGateways",
            "NAT gateway",
            format!("created by AKS in {node_rg}"),
            1,
            "Outbound type managedNATGateway: AKS creates the gateway and one public egress IP.",
            false,
        );
        out.fixed(
            "Microsoft.Network/publicIPAddresses",
            "Public IP address (NAT gateway)",
            format!("<id> in {node_rg}"),
            1,
            "Egress address of the managed NAT gateway.",
            false,
        );
    }
}

fn role_assignments(spec: &InstallSpec, fp: &Footprint, out: &mut Inventory) {
    let kind = "Microsoft.Authorization/roleAssignments";
    if fp.create {
        out.fixed(
            kind,
            "Role assignment",
            format!(
                "Network Contributor: {} on subnet {}",
                names::cluster_identity(spec),
                names::aks_subnet(spec)
            ),
            1,
            "Lets AKS place node NICs and the internal load balancer in the subnet.",
            true,
        );
    }
    // Behind a gateway AKS never attaches the IP: no grant on the resource group.
    if fp.ingress_ip_on_lb {
        out.fixed(
            kind,
            "Role assignment",
            format!(
                "Network Contributor: cluster identity on resource group {}",
                spec.azure.resource_group
            ),
            1,
            format!(
                "Lets AKS attach public IP {} to its load balancer.",
                names::ingress_public_ip(spec)
            ),
            true,
        );
    }
    out.fixed(
        kind,
        "Role assignment",
        format!("AcrPull: kubelet identity on {}", describe::registry(spec)),
        1,
        "Lets nodes pull images from the registry.",
        true,
    );
    if spec.storage.shared_files {
        out.fixed(
            kind,
            "Role assignment",
            format!(
                "Storage Account Contributor: cluster identity on {}",
                describe::storage_account(spec)
            ),
            1,
            format!(
                "Lets the Azure Files driver create shares for {} volumes.",
                names::SHARED_STORAGE_CLASS
            ),
            true,
        );
    }
}
