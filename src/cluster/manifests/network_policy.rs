//! Network policies: default deny of incoming traffic in every platform namespace, then what the
//! platform needs. Egress stays open: the platform pulls images and reaches Azure Storage and the
//! API server, whose addresses a policy cannot name portably.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::ObjectMeta;

use super::{
    INGRESS_CONTROLLER_SELECTOR, INGRESS_NAMESPACE, PLATFORM_NAMESPACE, SYSTEM_NAMESPACE,
    common_labels,
};

/// Every policy, namespace by namespace.
pub fn network_policies() -> Vec<NetworkPolicy> {
    let mut policies = Vec::new();
    for namespace in [SYSTEM_NAMESPACE, PLATFORM_NAMESPACE, INGRESS_NAMESPACE] {
        policies.push(policy(
            namespace,
            "default-deny-ingress",
            LabelSelector::default(),
            vec![],
        ));
        policies.push(policy(
            namespace,
            "allow-same-namespace",
            LabelSelector::default(),
            vec![from(vec![NetworkPolicyPeer {
                pod_selector: Some(LabelSelector::default()),
                ..Default::default()
            }])],
        ));
    }
    // The controller receives the load balancer's traffic from anywhere (clients, health probes).
    policies.push(policy(
        INGRESS_NAMESPACE,
        "allow-https-to-controller",
        selector([INGRESS_CONTROLLER_SELECTOR]),
        vec![NetworkPolicyIngressRule {
            from: None,
            ports: Some(vec![tcp(80), tcp(443)]),
        }],
    ));
    // The controller forwards to the platform's and the add-ons' services.
    policies.push(policy(
        PLATFORM_NAMESPACE,
        "allow-from-ingress-controller",
        LabelSelector::default(),
        vec![from(vec![NetworkPolicyPeer {
            namespace_selector: Some(selector([(
                "kubernetes.io/metadata.name",
                INGRESS_NAMESPACE,
            )])),
            pod_selector: Some(selector([INGRESS_CONTROLLER_SELECTOR])),
            ..Default::default()
        }])],
    ));
    // The installer configures the platform's services while it runs.
    policies.push(policy(
        PLATFORM_NAMESPACE,
        "allow-from-installer",
        LabelSelector::default(),
        vec![from(vec![NetworkPolicyPeer {
            namespace_selector: Some(selector([(
                "kubernetes.io/metadata.name",
                SYSTEM_NAMESPACE,
            )])),
            ..Default::default()
        }])],
    ));
    policies
}

fn policy(
    namespace: &str,
    name: &str,
    pod_selector: LabelSelector,
    ingress: Vec<NetworkPolicyIngressRule>,
) -> NetworkPolicy {
    NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(namespace.into()),
            labels: Some(common_labels("network-policy")),
            ..Default::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(pod_selector),
            policy_types: Some(vec!["Ingress".into()]),
            // An empty list denies everything; `None` would mean the same but reads ambiguously.
            ingress: Some(ingress),
            ..Default::default()
        }),
    }
}

fn from(peers: Vec<NetworkPolicyPeer>) -> NetworkPolicyIngressRule {
    NetworkPolicyIngressRule {
        from: Some(peers),
        ports: None,
    }
}

fn selector<const N: usize>(labels: [(&str, &str); N]) -> LabelSelector {
    LabelSelector {
        match_labels: Some(
            labels
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        ),
        ..Default::default()
    }
}

fn tcp(port: i32) -> NetworkPolicyPort {
    NetworkPolicyPort {
        protocol: Some("TCP".into()),
        port: Some(IntOrString::Int(port)),
        ..Default::default()
    }
}
