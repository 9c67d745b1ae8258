//! Spec -> canonical document (every default written out), and the wizard's pre-filled document.

use super::super::{
    API_VERSION, AddonsDoc, AppGatewayDoc, AzureDoc, ClusterDoc, DEFAULT_GATEWAY_ON, DomainDoc,
    IngressDoc, InstallDocument, InstallSpec, KIND, NetworkDoc, NodePool, NodePoolDoc,
    NodePoolsDoc, NodeScale, PlatformDoc, RegistryDoc, Scalar, StorageDoc,
};

/// `(field, vendor guide value, why the console's default differs)`.
pub const DEFAULT_OVERRIDES: &[(&str, &str, &str)] = &[
    (
        "cluster.network.plugin",
        "azure",
        "classic Azure CNI gives every node maxPods + 1 = 31 subnet addresses, so the guide's /26 \
         (59 usable) holds 1 node while its pools need 342 addresses; Azure CNI overlay needs one \
         address per node (12)",
    ),
    (
        "cluster.kubernetesVersion",
        "1.29.5",
        "1.29 is past AKS support; left out, the newest version >= 1.29 the region supports is \
         chosen at preflight",
    ),
    (
        "cluster.nodePools.gpu.vmSize",
        "Standard_NC6s_v3",
        "the NCv3 series was retired on 2025-09-30; Standard_NC4as_T4_v3 is the closest \
         single-GPU size",
    ),
];

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn int(n: u32) -> Option<Scalar> {
    Some(Scalar::Int(i64::from(n)))
}

pub fn to_document(spec: &InstallSpec) -> InstallDocument {
    let c = &spec.cluster;
    let n = &c.network;
    InstallDocument {
        api_version: s(API_VERSION),
        kind: s(KIND),
        name: s(spec.name.as_str()),
        azure: AzureDoc {
            subscription_id: s(spec.azure.subscription_id.as_str()),
            tenant_id: s(spec.azure.tenant_id.as_str()),
            location: s(spec.azure.location.as_str()),
            resource_group: s(spec.azure.resource_group.as_str()),
        },
        cluster: ClusterDoc {
            mode: s(c.mode.as_str()),
            name: s(c.name.as_str()),
            kubernetes_version: c.kubernetes_version.map(|v| Scalar::Text(v.to_string())),
            tier: s(c.tier.as_str()),
            access: s(c.access.as_str()),
            zones: Some(c.zones.to_strings().into_iter().map(Scalar::Text).collect()),
            network: NetworkDoc {
                vnet_cidr: Some(n.vnet_cidr.to_string()),
                aks_subnet_cidr: Some(n.aks_subnet_cidr.to_string()),
                jumphost_subnet_cidr: Some(n.jumphost_subnet_cidr.to_string()),
                plugin: s(n.plugin.as_str()),
                network_policy: s(n.network_policy.as_str()),
                pod_cidr: n.pod_range().map(|p| p.to_string()),
                service_cidr: Some(n.service_cidr.to_string()),
                dns_service_ip: Some(n.dns_service_ip.to_string()),
                max_pods: int(n.max_pods),
                outbound_type: s(n.outbound_type.as_str()),
                // Written only when asked for: `none` is the default.
                jumphost_egress: (n.jumphost_egress == crate::spec::JumphostEgress::NatGateway)
                    .then(|| n.jumphost_egress.as_str().to_string()),
                existing_vnet: n
                    .existing_vnet
                    .as_ref()
                    .map(|e| crate::spec::ExistingVnetDoc {
                        resource_group: s(e.resource_group.as_str()),
                        name: s(e.name.as_str()),
                        aks_subnet: s(e.aks_subnet.as_str()),
                        jumphost_subnet: s(e.jumphost_subnet.as_str()),
                        gateway_subnet: e.gateway_subnet.as_ref().map(|g| g.to_string()),
                    }),
                // Derived or given: written out, so the stored spec does not move when the
                // derivation's inputs (other subnets) change later.
                gateway_subnet_cidr: n.gateway_subnet_cidr.map(|c| c.to_string()),
            },
            node_pools: NodePoolsDoc {
                platform: Some(pool(&c.node_pools.platform)),
                compute: Some(pool(&c.node_pools.compute)),
                gpu: c.node_pools.gpu.as_ref().map(pool),
            },
        },
        domain: DomainDoc {
            // A katonic.ai domain is written as the option that made it.
            fqdn: (!spec.domain.katonic_subdomain).then(|| spec.domain.fqdn.as_str().to_string()),
            katonic_subdomain: spec
                .domain
                .katonic_subdomain
                .then(|| spec.domain.fqdn.first_label().to_string()),
            tls: s(spec.domain.tls.as_str()),
            dns_zone: spec.domain.dns_zone.as_ref().map(|z| z.arm_id()),
        },
        ingress: IngressDoc {
            load_balancer: s(spec.ingress.load_balancer.as_str()),
            static_ip: spec.ingress.static_ip.map(|ip| ip.to_string()),
            gateway: s(gateway_word(spec.ingress.gateway.is_some())),
            application_gateway: spec.ingress.gateway.as_ref().map(|g| AppGatewayDoc {
                sku: s(g.sku.as_str()),
                waf_mode: g.waf_mode.map(|m| m.as_str().to_string()),
                min_capacity: int(g.min_capacity),
                max_capacity: int(g.max_capacity),
            }),
        },
        storage: StorageDoc {
            shared_files: Some(spec.storage.shared_files),
            account_name: spec.storage.account_name.as_ref().map(|a| a.to_string()),
        },
        registry: RegistryDoc {
            name: spec.registry.name.as_ref().map(|r| r.to_string()),
            sku: s(spec.registry.sku.as_str()),
        },
        addons: AddonsDoc {
            superset: Some(spec.addons.superset.is_some()),
            airbyte: Some(spec.addons.airbyte.is_some()),
        },
        platform: PlatformDoc {
            version: Some(Scalar::Text(spec.platform.version.clone())),
        },
    }
}

/// `ingress.gateway` as written.
pub(super) fn gateway_word(on: bool) -> &'static str {
    if on { GATEWAY_ON } else { GATEWAY_OFF }
}

/// The written values of `ingress.gateway`.
pub const GATEWAY_ON: &str = "applicationGateway";
pub const GATEWAY_OFF: &str = "none";

fn pool(p: &NodePool) -> NodePoolDoc {
    let (count, min, max) = match p.scale {
        NodeScale::Fixed(n) => (int(n), None, None),
        NodeScale::Auto { min, max } => (None, int(min), int(max)),
    };
    NodePoolDoc {
        name: s(p.name.as_str()),
        vm_size: s(p.vm_size.as_str()),
        count,
        min,
        max,
        max_surge: int(p.max_surge),
    }
}

/// The vendor guide's values except [`DEFAULT_OVERRIDES`]; ids and the domain left for the admin.
pub fn default_document() -> InstallDocument {
    let scaled = |vm: &str, min: u32, max: u32| NodePoolDoc {
        vm_size: s(vm),
        min: int(min),
        max: int(max),
        ..NodePoolDoc::default()
    };
    InstallDocument {
        api_version: s(API_VERSION),
        kind: s(KIND),
        name: s("katonic"),
        azure: AzureDoc {
            subscription_id: None,
            tenant_id: None,
            location: s("eastus"),
            resource_group: s("rg-katonic"),
        },
        cluster: ClusterDoc {
            mode: s("create"),
            name: s("katonic-aks"),
            kubernetes_version: None,
            tier: s("standard"),
            access: s("auto"),
            zones: Some(vec![Scalar::Text("1".into()), Scalar::Text("2".into())]),
            network: NetworkDoc {
                vnet_cidr: s("10.20.0.0/16"),
                aks_subnet_cidr: s("10.20.0.0/26"),
                jumphost_subnet_cidr: s("10.20.0.64/29"),
                plugin: s("azure-overlay"),
                network_policy: s("calico"),
                pod_cidr: s("192.168.0.0/16"),
                service_cidr: s("172.16.0.0/16"),
                dns_service_ip: s("172.16.0.10"),
                max_pods: None,
                outbound_type: None,
                jumphost_egress: None,
                existing_vnet: None,
                gateway_subnet_cidr: None,
            },
            node_pools: NodePoolsDoc {
                platform: Some(NodePoolDoc {
                    vm_size: s("Standard_DS3_v2"),
                    count: int(2),
                    ..NodePoolDoc::default()
                }),
                compute: Some(scaled("Standard_D8s_v3", 1, 4)),
                gpu: Some(scaled("Standard_NC4as_T4_v3", 0, 2)),
            },
        },
        domain: DomainDoc {
            fqdn: None,
            katonic_subdomain: None,
            tls: s("provided"),
            dns_zone: None,
        },
        ingress: IngressDoc {
            load_balancer: s("internal"),
            static_ip: None,
            gateway: s(gateway_word(DEFAULT_GATEWAY_ON)),
            application_gateway: None,
        },
        storage: StorageDoc {
            shared_files: Some(true),
            account_name: None,
        },
        registry: RegistryDoc::default(),
        addons: AddonsDoc {
            superset: Some(true),
            airbyte: Some(true),
        },
        platform: PlatformDoc {
            version: Some(Scalar::Text("5.0.9".into())),
        },
    }
}
