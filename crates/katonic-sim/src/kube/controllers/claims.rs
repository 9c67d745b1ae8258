//! PVC binding: a claim of an existing storage class gets a volume and is Bound.

use super::*;

// One piece: one pass over PVCs; binding mode, class, volume and events of a claim are decided
// together.
pub(super) fn claims(ks: &mut KubeState, cluster: &str) {
    let classes = ks.list(cluster, "storageclasses.storage.k8s.io", None);
    let pods = ks.list(cluster, "pods", None);
    for pvc in ks.list(cluster, "persistentvolumeclaims", None) {
        if pvc["status"]["phase"] != "Pending" {
            continue;
        }
        let class_name = pvc["spec"]["storageClassName"]
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
            });
        let Some(class_name) = class_name else {
            continue;
        };
        let Some(class) = classes
            .iter()
            .find(|c| c["metadata"]["name"] == class_name.as_str())
        else {
            event(
                ks,
                cluster,
                &pvc,
                "Warning",
                "ProvisioningFailed",
                &format!("storageclass.storage.k8s.io \"{class_name}\" not found"),
                "persistentvolume-controller",
            );
            continue;
        };
        let ns = pvc["metadata"]["namespace"].as_str().unwrap_or("");
        let name = pvc["metadata"]["name"].as_str().unwrap_or("");
        if class["volumeBindingMode"] == "WaitForFirstConsumer" {
            let used = pods.iter().any(|p| {
                p["metadata"]["namespace"] == ns
                    && p["spec"]["nodeName"].is_string()
                    && p["spec"]["volumes"].as_array().is_some_and(|v| {
                        v.iter()
                            .any(|v| v["persistentVolumeClaim"]["claimName"] == name)
                    })
            });
            if !used {
                event(
                    ks,
                    cluster,
                    &pvc,
                    "Normal",
                    "WaitForFirstConsumer",
                    "waiting for first consumer to be created before binding",
                    "persistentvolume-controller",
                );
                continue;
            }
        }
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
        event(
            ks,
            cluster,
            &pvc,
            "Normal",
            "ProvisioningSucceeded",
            &format!("Successfully provisioned volume {pv_name}"),
            "persistentvolume-controller",
        );
        ks.put(cluster, key_of("persistentvolumeclaims", &p), p, false);
    }
}
