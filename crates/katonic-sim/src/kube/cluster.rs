//! What the Kubernetes side reads from the ARM state (the cluster, its agent pools), and the
//! objects derived from it: nodes, built-in namespaces, AKS's storage classes.

use serde_json::{Map, Value, json};

use crate::state::State;

/// A simulated AKS cluster as its API server sees it.
pub(crate) struct ClusterInfo {
    pub id: String,
    pub name: String,
    /// Creation time of the ARM resource; a recreated cluster gets a fresh store.
    pub incarnation: String,
    pub location: String,
    pub version: String,
    pub token: String,
    /// AKS-managed Entra ID: the API server accepts Entra tokens for the AKS server app.
    pub aad_managed: bool,
    /// Azure RBAC for Kubernetes authorization (`aadProfile.enableAzureRBAC`).
    pub azure_rbac: bool,
    /// DER of the kubeconfig's client certificate.
    pub cert_der: Option<Vec<u8>>,
    pub pools: Vec<PoolInfo>,
    /// Where AKS keeps the cluster's own resources (its identity is Contributor there).
    pub node_resource_group: String,
    /// The control-plane identity's principal, which the cloud provider acts as.
    pub principal: Option<String>,
}

pub(crate) struct PoolInfo {
    pub name: String,
    pub count: u64,
    pub vm_size: String,
    pub zones: Vec<String>,
    pub mode: String,
    pub labels: Map<String, Value>,
    /// `nodeTaints` as AKS takes them (`key=value:Effect`).
    pub taints: Vec<String>,
}

/// The cluster named `name` (AKS names are unique per resource group; the first match wins).
pub(crate) fn find(st: &State, name: &str) -> Option<ClusterInfo> {
    let c = st.of_kind(crate::resources::aks::CLUSTER).find(|r| {
        r.body["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })?;
    info(st, c)
}

/// The cluster with this ARM id (any case).
pub(crate) fn find_by_id(st: &State, id: &str) -> Option<ClusterInfo> {
    info(st, st.get(id)?)
}

fn info(st: &State, c: &crate::state::Resource) -> Option<ClusterInfo> {
    let name = c.body["name"].as_str().unwrap_or("");
    let props = &c.body["properties"];
    if props["provisioningState"].as_str() == Some("Creating") {
        return None;
    }
    let mut pools: Vec<_> = st
        .children(&c.id)
        .filter(|r| r.kind.eq_ignore_ascii_case(crate::resources::aks::POOL))
        .collect();
    pools.sort_by_key(|r| r.created);
    let pools = pools
        .into_iter()
        // Nodes exist once a pool's create finished, and until its delete does.
        .filter(|p| p.body["properties"]["provisioningState"].as_str() != Some("Creating"))
        .map(|p| {
            let pp = &p.body["properties"];
            let count = pp["count"]
                .as_u64()
                .or_else(|| pp["minCount"].as_u64())
                .unwrap_or(0);
            PoolInfo {
                name: p.body["name"].as_str().unwrap_or("").to_string(),
                count,
                vm_size: pp["vmSize"].as_str().unwrap_or("").to_string(),
                zones: pp["availabilityZones"]
                    .as_array()
                    .map(|z| {
                        z.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                mode: pp["mode"].as_str().unwrap_or("User").to_string(),
                labels: pp["nodeLabels"].as_object().cloned().unwrap_or_default(),
                taints: pp["nodeTaints"]
                    .as_array()
                    .map(|t| {
                        t.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    let version = props["currentKubernetesVersion"]
        .as_str()
        .or_else(|| props["kubernetesVersion"].as_str())
        .unwrap_or("1.29.9")
        .to_string();
    Some(ClusterInfo {
        id: c.id.clone(),
        name: c.body["name"].as_str().unwrap_or(name).to_string(),
        incarnation: c.created.unix_timestamp_nanos().to_string(),
        location: c.body["location"].as_str().unwrap_or("").to_string(),
        version,
        token: c.private["token"].as_str().unwrap_or("").to_string(),
        aad_managed: props
            .pointer("/aadProfile/managed")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        azure_rbac: props
            .pointer("/aadProfile/enableAzureRBAC")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        cert_der: {
            use rustls::pki_types::CertificateDer;
            use rustls::pki_types::pem::PemObject;
            CertificateDer::from_pem_slice(c.private["certPem"].as_str().unwrap_or("").as_bytes())
                .ok()
                .map(|c| c.to_vec())
        },
        pools,
        node_resource_group: props["nodeResourceGroup"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        principal: c
            .body
            .pointer("/identity/principalId")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| crate::resources::aks::control_plane_principal(st, &c.body["identity"])),
    })
}

/// Stable 8-digit number from a string (AKS puts a hash of the cluster in node names).
fn hash8(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    10_000_000 + h % 90_000_000
}

/// vCPUs from a size name like `Standard_D4s_v5` (4); 2 when the name has no number.
fn vcpus(vm_size: &str) -> u64 {
    let after = vm_size.split('_').nth(1).unwrap_or("");
    let digits: String = after
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap_or(2)
}

/// The nodes the pools should have, by name.
pub(crate) fn nodes(info: &ClusterInfo, now: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut ip = 4u32;
    for pool in &info.pools {
        let hash = hash8(&format!("{}/{}", info.id.to_ascii_lowercase(), pool.name));
        for i in 0..pool.count {
            let name = format!("aks-{}-{hash}-vmss{i:06}", pool.name);
            let zone = if pool.zones.is_empty() {
                "0".to_string()
            } else {
                format!(
                    "{}-{}",
                    info.location,
                    pool.zones[(i as usize) % pool.zones.len()]
                )
            };
            let mut labels = json!({
                "agentpool": pool.name,
                "kubernetes.azure.com/agentpool": pool.name,
                "kubernetes.azure.com/mode": pool.mode.to_ascii_lowercase(),
                "kubernetes.azure.com/cluster": info.name,
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "beta.kubernetes.io/os": "linux",
                "node.kubernetes.io/instance-type": pool.vm_size,
                "beta.kubernetes.io/instance-type": pool.vm_size,
                "topology.kubernetes.io/region": info.location,
                "topology.kubernetes.io/zone": zone,
                "failure-domain.beta.kubernetes.io/zone": zone,
            });
            for (k, v) in &pool.labels {
                labels[k] = v.clone();
            }
            let cpu = vcpus(&pool.vm_size);
            let capacity = json!({"cpu": cpu.to_string(), "memory": format!("{}Ki", cpu * 4 * 1024 * 1024), "pods": "110", "ephemeral-storage": "129886128Ki"});
            let address = format!("10.224.0.{ip}");
            ip += 1;
            let node = json!({
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": name, "labels": labels, "annotations": {"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
                "spec": node_spec(&format!("azure://{}/virtualMachineScaleSets/aks-{}-{hash}-vmss/virtualMachines/{i}", info.id, pool.name), ip, &pool.taints),
                "status": {
                    "capacity": capacity,
                    "allocatable": capacity,
                    "conditions": [
                        {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory", "message": "kubelet has sufficient memory available", "lastHeartbeatTime": now, "lastTransitionTime": now},
                        {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure", "message": "kubelet has no disk pressure", "lastHeartbeatTime": now, "lastTransitionTime": now},
                        {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID", "message": "kubelet has sufficient PID available", "lastHeartbeatTime": now, "lastTransitionTime": now},
                        {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status", "lastHeartbeatTime": now, "lastTransitionTime": now}
                    ],
                    "addresses": [{"type": "InternalIP", "address": address}, {"type": "Hostname", "address": name}],
                    "nodeInfo": {
                        "architecture": "amd64", "operatingSystem": "linux", "osImage": "Ubuntu 22.04.5 LTS",
                        "kernelVersion": "5.15.0-1074-azure", "containerRuntimeVersion": "containerd://1.7.23-1",
                        "kubeletVersion": format!("v{}", info.version.trim_start_matches('v')),
                        "kubeProxyVersion": format!("v{}", info.version.trim_start_matches('v')),
                        "machineID": format!("{hash}{i:024}"), "systemUUID": format!("{hash}-{i}"), "bootID": format!("{hash}-{i}-boot")
                    }
                }
            });
            out.push((name, node));
        }
    }
    out
}

/// A node's spec: provider id, pod CIDR, and the pool's taints as the kubelet registers them.
fn node_spec(provider_id: &str, ip: u32, taints: &[String]) -> Value {
    let mut spec = json!({"providerID": provider_id, "podCIDR": format!("10.244.{ip}.0/24")});
    let taints: Vec<Value> = taints.iter().filter_map(|t| taint(t)).collect();
    if !taints.is_empty() {
        spec["taints"] = Value::Array(taints);
    }
    spec
}

/// `key=value:Effect` (or `key:Effect`) as a Node's taint object.
fn taint(text: &str) -> Option<Value> {
    let (key_value, effect) = text.rsplit_once(':')?;
    let (key, value) = key_value.split_once('=').unwrap_or((key_value, ""));
    let mut t = json!({"key": key, "effect": effect});
    if !value.is_empty() {
        t["value"] = json!(value);
    }
    Some(t)
}

/// Namespaces every cluster starts with.
pub(crate) const BUILTIN_NAMESPACES: &[&str] =
    &["default", "kube-system", "kube-public", "kube-node-lease"];

pub(crate) fn namespace(name: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"}
    })
}

/// The storage classes AKS installs on 1.29 (all CSI; `default` is the default class).
pub(crate) fn storage_classes() -> Vec<Value> {
    let disk = |name: &str, sku: &str| {
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": name, "labels": {"addonmanager.kubernetes.io/mode": "EnsureExists", "kubernetes.io/cluster-service": "true"}},
            "provisioner": "disk.csi.azure.com", "parameters": {"skuname": sku},
            "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": true})
    };
    let file = |name: &str, sku: &str| {
        json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": name, "labels": {"addonmanager.kubernetes.io/mode": "EnsureExists", "kubernetes.io/cluster-service": "true"}},
            "provisioner": "file.csi.azure.com", "parameters": {"skuName": sku},
            "mountOptions": ["mfsymlinks", "actimeo=30", "nosharesock"],
            "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate", "allowVolumeExpansion": true})
    };
    let mut default = disk("default", "StandardSSD_LRS");
    default["metadata"]["annotations"] =
        json!({"storageclass.kubernetes.io/is-default-class": "true"});
    vec![
        file("azurefile", "Standard_LRS"),
        file("azurefile-csi", "Standard_LRS"),
        file("azurefile-csi-premium", "Premium_LRS"),
        file("azurefile-premium", "Premium_LRS"),
        default,
        disk("managed", "StandardSSD_LRS"),
        disk("managed-csi", "StandardSSD_LRS"),
        disk("managed-csi-premium", "Premium_LRS"),
        disk("managed-premium", "Premium_LRS"),
    ]
}
