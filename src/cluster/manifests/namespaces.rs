use k8s_openapi::api::core::v1::Namespace;
use kube::api::ObjectMeta;

use super::{INGRESS_NAMESPACE, PLATFORM_NAMESPACE, SYSTEM_NAMESPACE, common_labels};

/// The platform namespaces, labelled so network policies can select them by name.
pub fn namespaces() -> Vec<Namespace> {
    [SYSTEM_NAMESPACE, PLATFORM_NAMESPACE, INGRESS_NAMESPACE]
        .into_iter()
        .map(|name| {
            let mut labels = common_labels("namespace");
            labels.insert("katonic.ai/namespace".into(), name.into());
            Namespace {
                metadata: ObjectMeta {
                    name: Some(name.into()),
                    labels: Some(labels),
                    ..Default::default()
                },
                ..Default::default()
            }
        })
        .collect()
}
