//! The ingress load balancer (a `LoadBalancer` service in front of the controller) and the
//! Ingress objects for the domain and each enabled add-on host.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec as K8sIngressSpec, IngressTLS, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::ObjectMeta;

use super::{
    INGRESS_CLASS, INGRESS_CONTROLLER_SELECTOR, INGRESS_NAMESPACE, LB_SERVICE, PLATFORM_NAMESPACE,
    TLS_SECRET, common_labels,
};
use katonic_domain::spec::{AddonsSpec, Fqdn};

const INTERNAL: &str = "service.beta.kubernetes.io/azure-load-balancer-internal";
const INTERNAL_SUBNET: &str = "service.beta.kubernetes.io/azure-load-balancer-internal-subnet";
const IPV4: &str = "service.beta.kubernetes.io/azure-load-balancer-ipv4";
const PIP_NAME: &str = "service.beta.kubernetes.io/azure-pip-name";
const PIP_RESOURCE_GROUP: &str = "service.beta.kubernetes.io/azure-load-balancer-resource-group";

/// Where the load balancer takes its front-end address.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadBalancerFrontend {
    /// A private address in the VNet: from `subnet` (default: the nodes' subnet), fixed when
    /// `ip` is given.
    Internal {
        subnet: Option<String>,
        ip: Option<Ipv4Addr>,
    },
    /// A static public IP the install created, by name and resource group.
    External {
        public_ip_name: String,
        resource_group: String,
    },
}

/// The `LoadBalancer` service in front of the ingress controller.
pub fn load_balancer_service(frontend: &LoadBalancerFrontend) -> Service {
    let mut annotations = BTreeMap::new();
    match frontend {
        LoadBalancerFrontend::Internal { subnet, ip } => {
            annotations.insert(INTERNAL.to_string(), "true".to_string());
            if let Some(subnet) = subnet {
                annotations.insert(INTERNAL_SUBNET.to_string(), subnet.clone());
            }
            if let Some(ip) = ip {
                annotations.insert(IPV4.to_string(), ip.to_string());
            }
        }
        LoadBalancerFrontend::External {
            public_ip_name,
            resource_group,
        } => {
            annotations.insert(PIP_NAME.to_string(), public_ip_name.clone());
            annotations.insert(PIP_RESOURCE_GROUP.to_string(), resource_group.clone());
        }
    }
    let port = |name: &str, number: i32| ServicePort {
        name: Some(name.into()),
        port: number,
        target_port: Some(IntOrString::String(name.into())),
        protocol: Some("TCP".into()),
        ..Default::default()
    };
    Service {
        metadata: ObjectMeta {
            name: Some(LB_SERVICE.into()),
            namespace: Some(INGRESS_NAMESPACE.into()),
            labels: Some(common_labels("ingress")),
            annotations: Some(annotations),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            type_: Some("LoadBalancer".into()),
            selector: Some(BTreeMap::from([(
                INGRESS_CONTROLLER_SELECTOR.0.to_string(),
                INGRESS_CONTROLLER_SELECTOR.1.to_string(),
            )])),
            ports: Some(vec![port("http", 80), port("https", 443)]),
            // Keeps clients' source addresses visible to the platform (audit logs).
            external_traffic_policy: Some("Local".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// One host the console routes: which Ingress, which backend service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRoute {
    pub ingress_name: &'static str,
    pub host: Fqdn,
    pub service: &'static str,
    pub port: i32,
}

/// The platform host and each enabled add-on's host.
pub fn ingress_routes(domain: &Fqdn, addons: &AddonsSpec) -> Vec<HostRoute> {
    let mut routes = vec![HostRoute {
        ingress_name: "katonic-platform",
        host: domain.clone(),
        service: "katonic-web",
        port: 80,
    }];
    if let Some(host) = &addons.superset {
        routes.push(HostRoute {
            ingress_name: "katonic-superset",
            host: host.clone(),
            service: "superset",
            port: 8088,
        });
    }
    if let Some(host) = &addons.airbyte {
        routes.push(HostRoute {
            ingress_name: "katonic-airbyte",
            host: host.clone(),
            service: "airbyte-webapp",
            port: 80,
        });
    }
    routes
}

/// One Ingress per host, each terminating TLS with the platform certificate.
pub fn ingresses(routes: &[HostRoute]) -> Vec<Ingress> {
    routes.iter().map(ingress).collect()
}

fn ingress(route: &HostRoute) -> Ingress {
    let host = route.host.as_str().to_string();
    Ingress {
        metadata: ObjectMeta {
            name: Some(route.ingress_name.into()),
            namespace: Some(PLATFORM_NAMESPACE.into()),
            labels: Some(common_labels("ingress")),
            ..Default::default()
        },
        spec: Some(K8sIngressSpec {
            ingress_class_name: Some(INGRESS_CLASS.into()),
            tls: Some(vec![IngressTLS {
                hosts: Some(vec![host.clone()]),
                secret_name: Some(TLS_SECRET.into()),
            }]),
            rules: Some(vec![IngressRule {
                host: Some(host),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        path: Some("/".into()),
                        path_type: "Prefix".into(),
                        backend: IngressBackend {
                            service: Some(IngressServiceBackend {
                                name: route.service.into(),
                                port: Some(ServiceBackendPort {
                                    number: Some(route.port),
                                    name: None,
                                }),
                            }),
                            resource: None,
                        },
                    }],
                }),
            }]),
            default_backend: None,
        }),
        ..Default::default()
    }
}
