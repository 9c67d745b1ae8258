//! Throw-away objects of the verification: a pod per labelled pool (does it schedule there?) and
//! a pod on the platform pool that mounts a claim of each storage class (do they bind?).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource,
    Pod, PodSpec, ResourceRequirements, SecurityContext, Toleration, Volume, VolumeMount,
    VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::api::ObjectMeta;

use super::{SYSTEM_NAMESPACE, common_labels};
use katonic_domain::spec::{NodePool, PoolRole};

/// The pod sandbox image every AKS node already has (containerd's `sandbox_image`), so the
/// check needs no registry access from a private cluster and pulls nothing.
pub const VERIFY_IMAGE: &str = "mcr.microsoft.com/oss/kubernetes/pause:3.6";
/// `app.kubernetes.io/component` of every verification object, so leftovers can be found.
pub const VERIFY_COMPONENT: &str = "verification";
/// The pod that mounts one claim per storage class.
pub const STORAGE_PROBE: &str = "katonic-verify-storage";

/// Name of the scheduling probe for `pool`.
pub fn pool_probe_name(pool: &NodePool) -> String {
    format!("katonic-verify-pool-{}", pool.name)
}

/// Name of the claim of `class`.
pub fn claim_name(class: &str) -> String {
    format!("katonic-verify-{class}")
}

/// A pod that only runs where `pool`'s label is, tolerating the pool's taint.
pub fn pool_probe(pool: &NodePool) -> Pod {
    let (label, role) = pool.label();
    probe_pod(
        &pool_probe_name(pool),
        BTreeMap::from([(label.to_string(), role.to_string())]),
        Some(vec![super::pool_toleration(pool.role)]),
        Vec::new(),
    )
}

/// A claim of 1 GiB (the smallest Azure disk size class) of `class`, with `access_mode`.
pub fn claim(class: &str, access_mode: &str) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: meta(&claim_name(class)),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec![access_mode.into()]),
            storage_class_name: Some(class.into()),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    Quantity("1Gi".into()),
                )])),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The consumer that makes `WaitForFirstConsumer` claims bind: on the platform pool, mounting
/// each of `classes`' claims.
pub fn storage_probe(classes: &[&str]) -> Pod {
    let volumes = classes
        .iter()
        .map(|class| Volume {
            name: (*class).to_string(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim_name(class),
                read_only: Some(false),
            }),
            ..Default::default()
        })
        .collect();
    probe_pod(
        STORAGE_PROBE,
        BTreeMap::from([(
            "katonic.ai/node-pool".to_string(),
            PoolRole::Platform.as_str().to_string(),
        )]),
        Some(vec![super::pool_toleration(PoolRole::Platform)]),
        volumes,
    )
}

fn probe_pod(
    name: &str,
    node_selector: BTreeMap<String, String>,
    tolerations: Option<Vec<Toleration>>,
    volumes: Vec<Volume>,
) -> Pod {
    let mounts: Vec<VolumeMount> = volumes
        .iter()
        .map(|v| VolumeMount {
            name: v.name.clone(),
            mount_path: format!("/mnt/{}", v.name),
            ..Default::default()
        })
        .collect();
    let small = BTreeMap::from([
        ("cpu".to_string(), Quantity("10m".into())),
        ("memory".to_string(), Quantity("16Mi".into())),
    ]);
    Pod {
        metadata: meta(name),
        spec: Some(PodSpec {
            restart_policy: Some("Never".into()),
            node_selector: Some(node_selector),
            tolerations,
            automount_service_account_token: Some(false),
            termination_grace_period_seconds: Some(0),
            security_context: Some(super::restricted_pod(65535)),
            containers: vec![Container {
                name: "probe".into(),
                image: Some(VERIFY_IMAGE.into()),
                image_pull_policy: Some("IfNotPresent".into()),
                resources: Some(ResourceRequirements {
                    requests: Some(small.clone()),
                    limits: Some(small),
                    ..Default::default()
                }),
                security_context: Some(SecurityContext {
                    read_only_root_filesystem: Some(true),
                    ..super::restricted_container()
                }),
                volume_mounts: (!mounts.is_empty()).then_some(mounts),
                ..Default::default()
            }],
            volumes: (!volumes.is_empty()).then_some(volumes),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: Some(SYSTEM_NAMESPACE.into()),
        labels: Some(common_labels(VERIFY_COMPONENT)),
        ..Default::default()
    }
}
