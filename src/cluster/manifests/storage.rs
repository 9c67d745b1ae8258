//! Storage classes exactly as the vendor guide specifies them.

use std::collections::BTreeMap;

use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::ObjectMeta;
use serde_json::{Value, json};

use super::common_labels;

/// Standard SSD block storage, the cluster's only default class (named where the plan names it).
pub const STANDARD_CLASS: &str = katonic_domain::plan::names::DEFAULT_STORAGE_CLASS;
/// Azure Files, when shared storage is on.
pub const SHARED_CLASS: &str = katonic_domain::plan::names::SHARED_STORAGE_CLASS;

const DEFAULT_CLASS_ANNOTATION: &str = "storageclass.kubernetes.io/is-default-class";

/// Where `kfs-shared` provisions its file shares: the storage account the install created.
#[derive(Debug, Clone, Copy)]
pub struct SharedFilesAccount<'a> {
    pub account: &'a str,
    pub resource_group: &'a str,
}

/// `kfs` (always, default) and `kfs-shared` (when `shared` names the account).
pub fn storage_classes(shared: Option<SharedFilesAccount<'_>>) -> Vec<StorageClass> {
    let mut classes = vec![standard_class()];
    if let Some(account) = shared {
        classes.push(shared_class(account));
    }
    classes
}

fn standard_class() -> StorageClass {
    StorageClass {
        metadata: ObjectMeta {
            name: Some(STANDARD_CLASS.into()),
            annotations: Some(BTreeMap::from([(
                DEFAULT_CLASS_ANNOTATION.into(),
                "true".into(),
            )])),
            labels: Some(common_labels("storage")),
            ..Default::default()
        },
        provisioner: "disk.csi.azure.com".into(),
        parameters: Some(BTreeMap::from([(
            "skuname".into(),
            "StandardSSD_LRS".into(),
        )])),
        reclaim_policy: Some("Delete".into()),
        volume_binding_mode: Some("WaitForFirstConsumer".into()),
        allow_volume_expansion: Some(true),
        ..Default::default()
    }
}

// The vendor guide's YAML for the shared class is a copy of `kfs` (disk CSI, name `kfs`); its
// text says Azure Files, which is what a ReadWriteMany class needs, so that is what we build.
fn shared_class(target: SharedFilesAccount<'_>) -> StorageClass {
    StorageClass {
        metadata: ObjectMeta {
            name: Some(SHARED_CLASS.into()),
            labels: Some(common_labels("storage")),
            ..Default::default()
        },
        provisioner: "file.csi.azure.com".into(),
        parameters: Some(BTreeMap::from([
            ("skuName".into(), "Standard_LRS".into()),
            ("storageAccount".into(), target.account.into()),
            ("resourceGroup".into(), target.resource_group.into()),
        ])),
        // AKS's azurefile-csi options: world-writable mounts so non-root platform pods can write.
        mount_options: Some(
            [
                "dir_mode=0777",
                "file_mode=0777",
                "uid=0",
                "gid=0",
                "mfsymlinks",
                "cache=strict",
                "actimeo=30",
                "nosharesock",
            ]
            .map(String::from)
            .to_vec(),
        ),
        reclaim_policy: Some("Delete".into()),
        volume_binding_mode: Some("Immediate".into()),
        allow_volume_expansion: Some(true),
        ..Default::default()
    }
}

const BETA_DEFAULT_CLASS_ANNOTATION: &str = "storageclass.beta.kubernetes.io/is-default-class";

/// Merge patch that takes the default mark off another class (AKS marks `default`), or `None`
/// when it is not marked. A merge patch rather than an apply: the annotation belongs to AKS's
/// addon manager, and we only flip its value instead of taking the object over.
pub fn undefault_patch(class: &StorageClass) -> Option<Value> {
    let annotations = class.metadata.annotations.as_ref()?;
    let marked: serde_json::Map<String, Value> =
        [DEFAULT_CLASS_ANNOTATION, BETA_DEFAULT_CLASS_ANNOTATION]
            .into_iter()
            .filter(|key| annotations.get(*key).is_some_and(|v| v == "true"))
            .map(|key| (key.to_string(), Value::from("false")))
            .collect();
    (!marked.is_empty()).then(|| json!({"metadata": {"annotations": marked}}))
}

/// Whether a class is marked default (the GA or the beta annotation).
pub fn is_default(class: &StorageClass) -> bool {
    undefault_patch(class).is_some()
}
