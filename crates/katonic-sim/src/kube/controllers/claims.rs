//! PVC binding: a claim of an existing storage class gets a volume and is Bound.

use serde_json::{Value, json};

use super::super::store::KubeState;
use super::{event, key_of, now};

pub(super) fn claims(ks: &mut KubeState, cluster: &str) {
    let classes = ks.list(cluster, "storageclasses.storage.k8s.io", None);
    let pods = ks.list(cluster, "pods", None);
    for pvc in ks.list(cluster, "persistentvolumeclaims", None) {
        if pvc["status"]["phase"] != "Pending" {
            continue;
        }
        let Some(class_name) = class_name(&pvc, &classes) else {
            continue;
        };
        let Some(class) = classes
            .iter()
            .find(|c| c["metadata"]["name"] == class_name.as_str())
        else {
            claim_event(
                ks,
                cluster,
                &pvc,
                "Warning",
                "ProvisioningFailed",
                &format!("storageclass.storage.k8s.io \"{class_name}\" not found"),
            );
            continue;
        };
        if class["volumeBindingMode"] == "WaitForFirstConsumer" && !consumed(&pvc, &pods) {
            claim_event(
                ks,
                cluster,
                &pvc,
                "Normal",
                "WaitForFirstConsumer",
                "waiting for first consumer to be created before binding",
            );
            continue;
        }
        bind(ks, cluster, &pvc, class, &class_name);
    }
}

/// The claim's storage class, else the default class.
fn class_name(pvc: &Value, classes: &[Value]) -> Option<String> {
    pvc["spec"]["storageClassName"]
        .as_str()
        .map(str::to_string)
        .or_else(|| {
            classes
                .iter()
                .find(|c| {
                    c["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"]
                        == "true"
                })
                .and_then(|c| c["metadata"]["name"].as_str().map(str::to_string))
        })
}

/// Whether a scheduled pod of the claim's namespace mounts it.
fn consumed(pvc: &Value, pods: &[Value]) -> bool {
    let ns = pvc["metadata"]["namespace"].as_str().unwrap_or("");
    let name = pvc["metadata"]["name"].as_str().unwrap_or("");
    pods.iter().any(|p| {
        p["metadata"]["namespace"] == ns
            && p["spec"]["nodeName"].is_string()
            && p["spec"]["volumes"].as_array().is_some_and(|v| {
                v.iter()
                    .any(|v| v["persistentVolumeClaim"]["claimName"] == name)
            })
    })
}

/// A new volume of `class` for the claim, and the claim Bound to it.
fn bind(ks: &mut KubeState, cluster: &str, pvc: &Value, class: &Value, class_name: &str) {
    let ns = pvc["metadata"]["namespace"].as_str().unwrap_or("");
    let name = pvc["metadata"]["name"].as_str().unwrap_or("");
    let pv_name = format!("pvc-{}", pvc["metadata"]["uid"].as_str().unwrap_or(""));
    let size = pvc["spec"]["resources"]["requests"]["storage"].clone();
    let pv = json!({
        "apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": pv_name, "uid": uuid::Uuid::new_v4().to_string(), "creationTimestamp": now(),
            "annotations": {"pv.kubernetes.io/provisioned-by": class["provisioner"]}},
        "spec": {"capacity": {"storage": size}, "accessModes": pvc["spec"]["accessModes"], "storageClassName": class_name,
            "persistentVolumeReclaimPolicy": class["reclaimPolicy"], "volumeMode": "Filesystem",
            "claimRef": {"kind": "PersistentVolumeClaim", "namespace": ns, "name": name, "uid": pvc["metadata"]["uid"], "apiVersion": "v1"},
            "csi": {"driver": class["provisioner"], "volumeHandle": format!("/subscriptions/sim/{pv_name}")}},
        "status": {"phase": "Bound"}
    });
    ks.put(
        cluster,
        ("persistentvolumes".into(), String::new(), pv_name.clone()),
        pv,
        true,
    );
    let mut p = pvc.clone();
    p["spec"]["volumeName"] = json!(pv_name);
    p["spec"]["storageClassName"] = json!(class_name);
    p["status"] = json!({"phase": "Bound", "accessModes": pvc["spec"]["accessModes"], "capacity": {"storage": size}});
    claim_event(
        ks,
        cluster,
        pvc,
        "Normal",
        "ProvisioningSucceeded",
        &format!("Successfully provisioned volume {pv_name}"),
    );
    ks.put(cluster, key_of("persistentvolumeclaims", &p), p, false);
}

fn claim_event(
    ks: &mut KubeState,
    cluster: &str,
    pvc: &Value,
    type_: &str,
    reason: &str,
    message: &str,
) {
    event(
        ks,
        cluster,
        pvc,
        type_,
        reason,
        message,
        "persistentvolume-controller",
    );
}
