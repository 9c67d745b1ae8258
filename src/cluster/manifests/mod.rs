//! The Kubernetes objects the console owns, built from the install spec.
//!
//! Objects are built with `k8s-openapi` types (so a misspelt field cannot compile) and use only
//! fields that Kubernetes 1.29 knows, the oldest version the vendor supports.

mod ingress;
mod names;
mod namespaces;
mod network_policy;
mod platform;
mod storage;
mod verify;

pub use ingress::{
    HostRoute, LoadBalancerFrontend, ingress_routes, ingresses, load_balancer_service,
};
pub use names::*;
pub use namespaces::namespaces;
pub use network_policy::network_policies;
pub use platform::{
    DEFAULT_INSTALLER_REPOSITORY, PlatformInstaller, installer_rbac, platform_config, platform_job,
};
pub use storage::{
    SHARED_CLASS, STANDARD_CLASS, SharedFilesAccount, is_default, storage_classes, undefault_patch,
};
pub use verify::{
    STORAGE_PROBE, VERIFY_COMPONENT, VERIFY_IMAGE, claim, claim_name, pool_probe, pool_probe_name,
    storage_probe,
};

use std::collections::BTreeMap;

use serde_json::Value;

use katonic_domain::InstallId;
use katonic_domain::spec::{InstallSpec, LbMode};

/// What the manifests need beyond the spec: names the Azure steps chose.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterContext {
    pub storage_account: String,
    pub resource_group: String,
    pub installer: PlatformInstaller,
    pub frontend: LoadBalancerFrontend,
}

impl ClusterContext {
    /// The names an install of `spec` uses (the same derivation the Azure steps use).
    pub fn for_install(spec: &InstallSpec, install: InstallId) -> ClusterContext {
        let storage_account = katonic_domain::plan::names::storage_account_for(spec, install);
        let registry = katonic_domain::plan::names::registry_for(spec, install);
        let resource_group = spec.azure.resource_group.to_string();
        let frontend = match spec.ingress.load_balancer {
            // Behind an Application Gateway the load balancer is internal in both modes, on the
            // address the plan chose (the gateway's backend, named before the cluster existed).
            _ if spec.ingress.gateway.is_some() => LoadBalancerFrontend::Internal {
                subnet: Some(katonic_domain::plan::names::AKS_SUBNET.to_string()),
                ip: katonic_domain::plan::ingress_address(spec),
            },
            LbMode::Internal => LoadBalancerFrontend::Internal {
                subnet: Some(katonic_domain::plan::names::AKS_SUBNET.to_string()),
                ip: spec.ingress.static_ip,
            },
            LbMode::External => LoadBalancerFrontend::External {
                public_ip_name: ingress_public_ip_name(spec),
                resource_group: resource_group.clone(),
            },
        };
        ClusterContext {
            installer: PlatformInstaller {
                image: PlatformInstaller::default_image(spec),
                registry: format!("{registry}.azurecr.io"),
                storage_account: storage_account.clone(),
            },
            storage_account,
            resource_group,
            frontend,
        }
    }
}

/// The toleration of `role`'s pool taint (`katonic.ai/node-pool=<role>`), any effect: the
/// console's own pods on a pool tolerate the taint the console gives it (`NoSchedule` on the
/// dedicated pools, `PreferNoSchedule` on the system pool) and the vendor's `NoSchedule` on an
/// existing cluster's pools.
pub fn pool_toleration(
    role: katonic_domain::spec::PoolRole,
) -> k8s_openapi::api::core::v1::Toleration {
    k8s_openapi::api::core::v1::Toleration {
        key: Some("katonic.ai/node-pool".into()),
        operator: Some("Equal".into()),
        value: Some(role.as_str().into()),
        ..Default::default()
    }
}

/// The static public IP of the external load balancer.
pub fn ingress_public_ip_name(spec: &InstallSpec) -> String {
    katonic_domain::plan::names::ingress_public_ip(spec)
}

/// Every object the console applies, in apply order, as JSON with `apiVersion` and `kind`
/// (the TLS secret is left out: it holds the key). `katonic-console manifests` prints these.
pub fn render_all(
    spec: &InstallSpec,
    ctx: &ClusterContext,
) -> Result<Vec<Value>, serde_json::Error> {
    use k8s_openapi::Resource;
    fn typed<K: Resource + serde::Serialize>(object: &K) -> Result<Value, serde_json::Error> {
        let mut value = serde_json::to_value(object)?;
        value["apiVersion"] = K::API_VERSION.into();
        value["kind"] = K::KIND.into();
        Ok(value)
    }
    let mut out = Vec::new();
    for ns in namespaces() {
        out.push(typed(&ns)?);
    }
    let shared = spec.storage.shared_files.then_some(SharedFilesAccount {
        account: &ctx.storage_account,
        resource_group: &ctx.resource_group,
    });
    for class in storage_classes(shared) {
        out.push(typed(&class)?);
    }
    for policy in network_policies() {
        out.push(typed(&policy)?);
    }
    let (account, binding) = installer_rbac();
    out.push(typed(&account)?);
    out.push(typed(&binding)?);
    out.push(typed(&platform_config(spec, &ctx.installer))?);
    out.push(typed(&load_balancer_service(&ctx.frontend))?);
    for ingress in ingresses(&ingress_routes(&spec.domain.fqdn, &spec.addons)) {
        out.push(typed(&ingress)?);
    }
    out.push(typed(&platform_job(&ctx.installer))?);
    // The verification's throw-away objects (deleted after the check).
    for (class, mode) in verification_claims(spec) {
        out.push(typed(&claim(class, mode))?);
    }
    let classes: Vec<&str> = verification_claims(spec).iter().map(|(c, _)| *c).collect();
    out.push(typed(&storage_probe(&classes))?);
    for pool in spec.cluster.node_pools.iter() {
        out.push(typed(&pool_probe(pool))?);
    }
    Ok(out)
}

/// The storage classes the verification claims a volume of, with the access mode the platform
/// uses each for: block disks are single-writer, the Azure Files share is shared.
pub fn verification_claims(spec: &InstallSpec) -> Vec<(&'static str, &'static str)> {
    let mut claims = vec![(STANDARD_CLASS, "ReadWriteOnce")];
    if spec.storage.shared_files {
        claims.push((SHARED_CLASS, "ReadWriteMany"));
    }
    claims
}

/// Labels every object the console creates carries, so an admin can find them with one selector.
pub(crate) fn common_labels(component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "app.kubernetes.io/managed-by".to_string(),
            super::FIELD_MANAGER.to_string(),
        ),
        (
            "app.kubernetes.io/part-of".to_string(),
            "katonic".to_string(),
        ),
        (
            "app.kubernetes.io/component".to_string(),
            component.to_string(),
        ),
    ])
}

#[cfg(test)]
mod tests;

/// The pod-level half of the "restricted" Pod Security Standard the console's own pods meet:
/// a non-root user (`uid`) and the runtime's default seccomp profile.
pub(crate) fn restricted_pod(uid: i64) -> k8s_openapi::api::core::v1::PodSecurityContext {
    k8s_openapi::api::core::v1::PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(uid),
        seccomp_profile: Some(k8s_openapi::api::core::v1::SeccompProfile {
            type_: "RuntimeDefault".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The container-level half: no privilege escalation, every capability dropped.
pub(crate) fn restricted_container() -> k8s_openapi::api::core::v1::SecurityContext {
    k8s_openapi::api::core::v1::SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(k8s_openapi::api::core::v1::Capabilities {
            drop: Some(vec!["ALL".into()]),
            ..Default::default()
        }),
        ..Default::default()
    }
}
