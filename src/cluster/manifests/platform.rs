//! The platform installer: a Job (with its service account and binding) that reads the install's
//! settings from a ConfigMap.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapEnvSource, Container, EnvFromSource, PodSpec, PodTemplateSpec,
    ServiceAccount,
};
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleRef, Subject};
use kube::api::ObjectMeta;

use super::{
    INSTALLER_APP, INSTALLER_CONFIG, INSTALLER_JOB, SHARED_CLASS, STANDARD_CLASS, SYSTEM_NAMESPACE,
    TLS_SECRET, common_labels,
};
use katonic_domain::spec::{InstallSpec, PoolRole};

/// Default image repository of the vendor's installer; the tag is the platform version.
pub const DEFAULT_INSTALLER_REPOSITORY: &str = "docker.io/katonic/katonic-installer";

/// What the Job runs and where the platform's images come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformInstaller {
    /// Full image reference, e.g. `docker.io/katonic/katonic-installer:5.0.9`.
    pub image: String,
    /// Registry the platform pulls its images from (the install's ACR login server).
    pub registry: String,
    /// Storage account of the shared file shares and backups.
    pub storage_account: String,
}

impl PlatformInstaller {
    /// The vendor's image for the spec's platform version.
    pub fn default_image(spec: &InstallSpec) -> String {
        format!("{DEFAULT_INSTALLER_REPOSITORY}:{}", spec.platform.version)
    }
}

/// The installer's settings: everything it needs to know about this install, as plain keys.
pub fn platform_config(spec: &InstallSpec, installer: &PlatformInstaller) -> ConfigMap {
    let mut data = BTreeMap::from([
        ("PLATFORM_VERSION", spec.platform.version.clone()),
        ("DOMAIN", spec.domain.fqdn.as_str().to_string()),
        (
            "TLS_SECRET",
            format!("{}/{TLS_SECRET}", super::PLATFORM_NAMESPACE),
        ),
        ("STORAGE_CLASS", STANDARD_CLASS.to_string()),
        ("REGISTRY", installer.registry.clone()),
        ("STORAGE_ACCOUNT", installer.storage_account.clone()),
        ("INGRESS_CLASS", super::INGRESS_CLASS.to_string()),
        ("NODE_POOL_LABEL", "katonic.ai/node-pool".to_string()),
        (
            "SUPERSET_ENABLED",
            spec.addons.superset.is_some().to_string(),
        ),
        ("AIRBYTE_ENABLED", spec.addons.airbyte.is_some().to_string()),
    ]);
    if spec.storage.shared_files {
        data.insert("SHARED_STORAGE_CLASS", SHARED_CLASS.to_string());
    }
    if let Some(host) = &spec.addons.superset {
        data.insert("SUPERSET_HOST", host.as_str().to_string());
        data.insert(
            "SUPERSET_VERSION",
            katonic_domain::spec::SUPERSET_VERSION.to_string(),
        );
    }
    if let Some(host) = &spec.addons.airbyte {
        data.insert("AIRBYTE_HOST", host.as_str().to_string());
        data.insert(
            "AIRBYTE_VERSION",
            katonic_domain::spec::AIRBYTE_VERSION.to_string(),
        );
    }
    for pool in spec.cluster.node_pools.iter() {
        let key = match pool.role {
            PoolRole::Platform => "PLATFORM_POOL",
            PoolRole::Compute => "COMPUTE_POOL",
            PoolRole::Gpu => "GPU_POOL",
        };
        data.insert(key, pool.role.as_str().to_string());
    }
    ConfigMap {
        metadata: meta(INSTALLER_CONFIG),
        data: Some(data.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
        ..Default::default()
    }
}

/// The installer's identity: it installs cluster-wide objects (CRDs, operators), so it is bound
/// to `cluster-admin`, like any platform installer. The binding is named so an admin can remove
/// it after the install.
pub fn installer_rbac() -> (ServiceAccount, ClusterRoleBinding) {
    let account = ServiceAccount {
        metadata: meta(INSTALLER_JOB),
        ..Default::default()
    };
    let binding = ClusterRoleBinding {
        metadata: ObjectMeta {
            name: Some(INSTALLER_JOB.into()),
            labels: Some(common_labels("platform-installer")),
            ..Default::default()
        },
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: "cluster-admin".into(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: INSTALLER_JOB.into(),
            namespace: Some(SYSTEM_NAMESPACE.into()),
            ..Default::default()
        }]),
    };
    (account, binding)
}

/// The Job: one attempt (the console's resume is the retry, with the admin watching), on the
/// platform pool (tolerating its taint), settings from the ConfigMap.
pub fn platform_job(installer: &PlatformInstaller) -> Job {
    let mut pod_labels = common_labels("platform-installer");
    pod_labels.insert("app.kubernetes.io/name".into(), INSTALLER_APP.into());
    Job {
        metadata: ObjectMeta {
            labels: Some(pod_labels.clone()),
            ..meta(INSTALLER_JOB)
        },
        spec: Some(JobSpec {
            backoff_limit: Some(0),
            active_deadline_seconds: Some(2 * 60 * 60),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(pod_labels),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    restart_policy: Some("Never".into()),
                    service_account_name: Some(INSTALLER_JOB.into()),
                    node_selector: Some(BTreeMap::from([(
                        "katonic.ai/node-pool".to_string(),
                        PoolRole::Platform.as_str().to_string(),
                    )])),
                    tolerations: Some(vec![super::pool_toleration(PoolRole::Platform)]),
                    security_context: Some(super::restricted_pod(10001)),
                    containers: vec![Container {
                        name: "installer".into(),
                        image: Some(installer.image.clone()),
                        image_pull_policy: Some("IfNotPresent".into()),
                        env_from: Some(vec![EnvFromSource {
                            config_map_ref: Some(ConfigMapEnvSource {
                                name: INSTALLER_CONFIG.into(),
                                optional: Some(false),
                            }),
                            ..Default::default()
                        }]),
                        security_context: Some(super::restricted_container()),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: Some(SYSTEM_NAMESPACE.into()),
        labels: Some(common_labels("platform-installer")),
        ..Default::default()
    }
}
