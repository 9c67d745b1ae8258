//! The words of each step: a detail naming the concrete resources and values of this install
//! (names, CIDRs, pool sizes, host names), so the review page says exactly what will happen.

use super::{QuotaNeed, StepId, describe, names};
use crate::spec::{ClusterMode, InstallSpec, LbMode, NodePool, PoolRole, TlsMode};

/// The step's title (the resource group step only checks in existing mode).
pub(super) fn title(spec: &InstallSpec, id: StepId) -> String {
    match id {
        StepId::IngressIp => format!(
            "Create public IP {} in {}",
            names::ingress_public_ip(spec),
            spec.azure.resource_group
        ),
        _ => fixed_title(spec, id).to_string(),
    }
}

fn fixed_title(spec: &InstallSpec, id: StepId) -> &'static str {
    let create = spec.cluster.mode == ClusterMode::Create;
    match id {
        StepId::Preflight => "Check Azure before changing anything",
        StepId::ResourceGroup if create => "Create the resource group",
        StepId::ResourceGroup => "Check the resource group",
        StepId::Network if spec.cluster.network.existing_vnet.is_some() => {
            "Check the existing virtual network"
        }
        StepId::Network => "Create the virtual network",
        StepId::Identity => "Create the cluster identity",
        StepId::Peering => "Peer the console's network with the cluster's",
        StepId::DnsZoneLink => "Link the cluster's private DNS zone to the console's network",
        StepId::Storage => "Create the storage account",
        StepId::Registry => "Create the container registry",
        StepId::AksCluster => "Create the private AKS cluster",
        StepId::ComputePool => "Add the compute node pool",
        StepId::GpuPool => "Add the GPU node pool",
        StepId::RoleAssignments => "Grant the cluster access",
        StepId::Kubeconfig => "Connect to the cluster",
        StepId::StorageClasses => "Create the storage classes",
        StepId::Namespaces => "Create the namespaces",
        StepId::NetworkPolicies => "Apply the network policies",
        StepId::IngressIp => "Create the ingress public IP",
        StepId::AppGateway => "Create the Application Gateway",
        StepId::IngressLoadBalancer => "Expose the ingress",
        StepId::Tls => "Install the TLS certificate",
        StepId::Platform => "Install the Katonic platform",
        StepId::Superset => "Install Superset",
        StepId::Airbyte => "Install Airbyte",
        StepId::Dns => "Publish the DNS records",
        StepId::Verify => "Verify the installation",
        teardown => super::teardown::title(teardown),
    }
}

/// What the step does for this spec, naming its resources and values.
pub(super) fn detail(spec: &InstallSpec, id: StepId, quota: &[QuotaNeed]) -> String {
    let pools = &spec.cluster.node_pools;
    match id {
        StepId::Preflight => preflight(spec, quota),
        StepId::ResourceGroup => resource_group(spec),
        StepId::Network => network(spec),
        StepId::Identity => format!(
            "Create user-assigned identity {} for the cluster's control plane, beside the \
             network; the cluster step grants it Network Contributor on subnet {}, so AKS can \
             place node NICs and the internal load balancer there.",
            names::cluster_identity(spec),
            names::aks_subnet(spec)
        ),
        StepId::Storage => storage(spec),
        StepId::Registry => format!(
            "Create {} ({} SKU) for environment and model images.",
            describe::registry(spec),
            describe::registry_sku(spec.registry.sku)
        ),
        StepId::AksCluster => aks(spec),
        StepId::ComputePool => user_pool(spec, &pools.compute),
        StepId::GpuPool => match &pools.gpu {
            Some(pool) => user_pool(spec, pool),
            None => "No GPU pool is configured.".to_string(),
        },
        StepId::RoleAssignments => role_assignments(spec),
        StepId::Kubeconfig => format!(
            "Fetch the admin kubeconfig of {} (listClusterAdminCredential) and check that its \
             private API server answers from this host. A cluster with local accounts disabled \
             is reached with an Entra ID token for the AKS server application instead (server \
             and CA from listClusterUserCredential).",
            spec.cluster.name
        ),
        StepId::StorageClasses => storage_classes(spec),
        StepId::Namespaces => "Create and label the namespaces of the installer job, the ingress \
             controller, the platform and its add-ons (the network policies select them by label)."
            .to_string(),
        StepId::NetworkPolicies => format!(
            "Apply the platform's baseline NetworkPolicies to its namespaces, enforced by {}.",
            describe::policy(spec.cluster.network.network_policy)
        ),
        StepId::IngressIp => format!(
            "Create public IP {} in {} (Standard SKU, static IPv4, zone-redundant over {}) for \
             the external ingress; the cluster identity gets Network Contributor on {} so AKS \
             can attach it to its load balancer.",
            names::ingress_public_ip(spec),
            spec.azure.resource_group,
            describe::zones(spec),
            spec.azure.resource_group
        ),
        StepId::AppGateway => super::gateway::detail(spec),
        StepId::IngressLoadBalancer => ingress(spec),
        StepId::Tls => tls(spec),
        StepId::Platform => platform(spec),
        StepId::Superset => match &spec.addons.superset {
            Some(host) => format!(
                "Install Superset {} (data visualisation) at https://{host}.",
                crate::spec::SUPERSET_VERSION
            ),
            None => "Superset is not enabled.".to_string(),
        },
        StepId::Airbyte => match &spec.addons.airbyte {
            Some(host) => format!(
                "Install Airbyte {} (connectors) at https://{host}.",
                crate::spec::AIRBYTE_VERSION
            ),
            None => "Airbyte is not enabled.".to_string(),
        },
        StepId::Dns => dns(spec),
        StepId::Verify => verify(spec),
        StepId::Peering => format!(
            "Peer the console's VNet with the cluster's VNet in both directions (virtual network \
             access on, forwarded traffic and remote gateways off), named {} on each side, so \
             the console reaches the private API server.",
            names::peering(spec)
        ),
        StepId::DnsZoneLink => format!(
            "Link the cluster's private DNS zone (privatelink.{}.azmk8s.io, in its node \
             resource group) to the console's VNet as {} (auto-registration off), so the API \
             server's private name resolves from the console.",
            spec.azure.location,
            names::peering(spec)
        ),
        teardown => super::teardown::detail(teardown).to_string(),
    }
}

fn preflight(spec: &InstallSpec, quota: &[QuotaNeed]) -> String {
    let sizes: Vec<String> = spec
        .cluster
        .node_pools
        .iter()
        .map(|p| p.vm_size.to_string())
        .collect();
    let quota: Vec<String> = quota
        .iter()
        .map(|q| format!("{} vCPUs of {}", q.vcpus_at_max, q.family))
        .collect();
    let budget = spec.ip_budget();
    let common = format!(
        "Check the credentials for tenant {} and subscription {}, the permission to create \
         resources and role assignments in {}, the resource providers' registration, vCPU quota \
         in {} ({}), VM sizes {} in {}",
        spec.azure.tenant_id,
        spec.azure.subscription_id,
        spec.azure.resource_group,
        spec.azure.location,
        describe::and_list(&quota),
        describe::and_list(&sizes),
        describe::zones(spec),
    );
    match spec.cluster.mode {
        ClusterMode::Create => format!(
            "{common}, Kubernetes {} in AKS's supported versions, and that subnet {} fits \
             ({} of {} usable addresses needed).",
            describe::kubernetes_version(spec),
            spec.cluster.network.aks_subnet_cidr,
            budget.needed,
            budget.usable
        ),
        ClusterMode::Existing => format!(
            "{common}, and that existing cluster {} is private, runs a supported Kubernetes \
             version >= 1.29, enforces NetworkPolicy, has pools labelled katonic.ai/node-pool, \
             and that its identity can manage the load balancer in its subnet.",
            spec.cluster.name
        ),
    }
}

fn network(spec: &InstallSpec) -> String {
    format!(
        "{}{}",
        network_main(spec),
        super::gateway::network_detail(spec)
    )
}

fn network_main(spec: &InstallSpec) -> String {
    let net = &spec.cluster.network;
    if let Some(e) = &net.existing_vnet {
        return format!(
            "Check the existing virtual network {} in resource group {}: address space {}, \
             subnets {} ({}) for the cluster and {} ({}) for the jump host. It is used as it is, \
             never modified.",
            e.name,
            e.resource_group,
            net.vnet_cidr,
            e.aks_subnet,
            net.aks_subnet_cidr,
            e.jumphost_subnet,
            net.jumphost_subnet_cidr
        );
    }
    format!(
        "Create network security group {} and virtual network {} ({}) with subnets {} ({}, NSG \
         attached) for the cluster and {} ({}) for the jump host.",
        names::nsg(spec),
        names::vnet(spec),
        net.vnet_cidr,
        names::aks_subnet(spec),
        net.aks_subnet_cidr,
        names::jumphost_subnet(spec),
        net.jumphost_subnet_cidr
    )
}

fn storage(spec: &InstallSpec) -> String {
    let share = if spec.storage.shared_files {
        format!(" and Azure Files share {}", names::SHARED_FILE_SHARE)
    } else {
        String::new()
    };
    format!(
        "Create {} (StorageV2, HTTPS only, no public blob access) with blob containers {} and \
         {}{share}.",
        describe::storage_account(spec),
        names::DATASETS_CONTAINER,
        names::BACKUPS_CONTAINER
    )
}

fn aks(spec: &InstallSpec) -> String {
    let net = &spec.cluster.network;
    let pods = match &net.pod_cidr {
        Some(cidr) => format!("pod CIDR {cidr}, "),
        None => String::new(),
    };
    format!(
        "Grant cluster identity {} Network Contributor on subnet {}, then create private \
         cluster {} (Kubernetes {}, {} tier) on VM scale sets in {}: {}, {} network policy, \
         standard load balancer, outbound {}, {pods}service CIDR {}, DNS service IP {}, max {} \
         pods per node; with every node pool in the same operation: {}.",
        names::cluster_identity(spec),
        names::aks_subnet(spec),
        spec.cluster.name,
        describe::kubernetes_version(spec),
        describe::tier(spec.cluster.tier),
        describe::zones(spec),
        describe::plugin(net.plugin),
        describe::policy(net.network_policy),
        describe::outbound(net.outbound_type),
        net.service_cidr,
        net.dns_service_ip,
        net.max_pods,
        describe::and_list(&cluster_pools(spec)),
    )
}

/// Each pool of the cluster's create request: mode, size, scale and its label.
fn cluster_pools(spec: &InstallSpec) -> Vec<String> {
    spec.cluster
        .node_pools
        .iter()
        .map(|pool| {
            let mode = if pool.role == PoolRole::Platform {
                "system"
            } else {
                "user"
            };
            format!(
                "{mode} pool {} labelled katonic.ai/node-pool={} and tainted {}",
                describe::pool(pool),
                pool.role.as_str(),
                pool.taint()
            )
        })
        .collect()
}

fn user_pool(spec: &InstallSpec, pool: &NodePool) -> String {
    format!(
        "Add user pool {} with max surge {} in {}, labelled katonic.ai/node-pool={}.",
        describe::pool(pool),
        pool.max_surge,
        describe::zones(spec),
        pool.role.as_str()
    )
}

fn role_assignments(spec: &InstallSpec) -> String {
    let mut grants = vec![format!(
        "AcrPull on {} to the kubelet identity (nodes pull images)",
        describe::registry(spec)
    )];
    if spec.storage.shared_files {
        grants.push(format!(
            "Storage Account Contributor on {} to the cluster identity (the Azure Files driver \
             creates shares for {} volumes)",
            describe::storage_account(spec),
            names::SHARED_STORAGE_CLASS
        ));
    }
    format!("Grant {}.", describe::and_list(&grants))
}

fn storage_classes(spec: &InstallSpec) -> String {
    let shared = if spec.storage.shared_files {
        format!(
            ", and {} on Azure Files (file.csi.azure.com) in {}",
            names::SHARED_STORAGE_CLASS,
            describe::storage_account(spec)
        )
    } else {
        String::new()
    };
    format!(
        "Create storage class {} (disk.csi.azure.com, StandardSSD_LRS, WaitForFirstConsumer, \
         expandable) as the only default class{shared}.",
        names::DEFAULT_STORAGE_CLASS
    )
}

fn ingress(spec: &InstallSpec) -> String {
    if let Some(address) =
        super::gateway::ingress_address(spec).filter(|_| spec.ingress.gateway.is_some())
    {
        return format!(
            "Deploy the ingress controller behind an internal Standard load balancer in {} at \
             {address}, the Application Gateway's backend (HTTPS, host names kept), and wait \
             for its address.",
            describe::aks_subnet(spec)
        );
    }
    match spec.ingress.load_balancer {
        LbMode::Internal => {
            let ip = match spec.ingress.static_ip {
                Some(ip) => format!(" at {ip}"),
                None => String::new(),
            };
            format!(
                "Deploy the ingress controller behind an internal Standard load balancer in {}{ip}: \
                 reachable from the VNet only, and wait for its address.",
                describe::aks_subnet(spec)
            )
        }
        LbMode::External => format!(
            "Deploy the ingress controller behind a Standard load balancer with public IP {} \
             (the cluster itself stays private), and wait for its address.",
            names::ingress_public_ip(spec)
        ),
    }
}

fn host_list(spec: &InstallSpec) -> String {
    let hosts: Vec<&str> = names::hosts(spec).iter().map(|h| h.as_str()).collect();
    describe::and_list(&hosts)
}

fn tls(spec: &InstallSpec) -> String {
    let hosts = host_list(spec);
    match spec.domain.tls {
        TlsMode::SelfSigned => format!(
            "Generate a self-signed certificate for {hosts} and store it as the ingress TLS secret."
        ),
        TlsMode::Provided if spec.domain.katonic_subdomain => format!(
            "Store the certificate and key Katonic provides for {hosts} (uploaded) as the \
             ingress TLS secret."
        ),
        TlsMode::Provided => {
            format!("Store the uploaded certificate and key for {hosts} as the ingress TLS secret.")
        }
        TlsMode::Acme => format!(
            "Obtain a certificate for {hosts} by ACME HTTP-01 through the public load balancer."
        ),
    }
}

fn dns(spec: &InstallSpec) -> String {
    let front = if spec.ingress.gateway.is_some() {
        "Application Gateway"
    } else {
        "ingress load balancer"
    };
    let address = match spec.ingress.load_balancer {
        LbMode::Internal => "private address",
        LbMode::External => "public IP",
    };
    let address = format!("{front}'s {address}");
    if spec.domain.katonic_subdomain {
        // The console cannot write Katonic's zone.
        return format!(
            "List the A records pointing {} at the {address}, to send \
             to Katonic, who publish them in the katonic.ai zone.",
            host_list(spec)
        );
    }
    format!("Point {} at the {address}.", host_list(spec))
}

fn verify(spec: &InstallSpec) -> String {
    let urls: Vec<String> = names::hosts(spec)
        .iter()
        .map(|h| format!("https://{h}"))
        .collect();
    format!(
        "Check that every pool has Ready nodes with its katonic.ai/node-pool label, that {} is \
         the only default storage class, and that the {} serves {}.",
        names::DEFAULT_STORAGE_CLASS,
        if spec.ingress.gateway.is_some() {
            "Application Gateway (with the install's certificate)"
        } else {
            "load balancer"
        },
        describe::and_list(&urls)
    )
}

fn resource_group(spec: &InstallSpec) -> String {
    let (rg, location) = (&spec.azure.resource_group, &spec.azure.location);
    match spec.cluster.mode {
        ClusterMode::Create => {
            format!(
                "Create or adopt resource group {rg} in {location}, tagged managed-by=katonic-console."
            )
        }
        ClusterMode::Existing => format!(
            "Ensure resource group {rg} exists in {location}; the storage account and registry go \
             there, the cluster's own resources are left as they are."
        ),
    }
}

fn platform(spec: &InstallSpec) -> String {
    format!(
        "Run the Katonic {} installer job for https://{} on the platform pool, with storage class \
         {}, blob containers {} and {} in {}, and {}.",
        spec.platform.version,
        spec.domain.fqdn,
        names::DEFAULT_STORAGE_CLASS,
        names::DATASETS_CONTAINER,
        names::BACKUPS_CONTAINER,
        describe::storage_account(spec),
        describe::registry(spec)
    )
}
