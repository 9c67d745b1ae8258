//! The Kubernetes API behind a simulated cluster's admin kubeconfig.

use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};

use super::harness::Sim;

/// A cluster's API server as the kubeconfig describes it.
pub(super) struct Kube {
    server: String,
    token: String,
    kubeconfig: String,
    client: reqwest::Client,
}

pub(super) struct R {
    pub(super) status: u16,
    pub(super) body: Value,
}

impl Kube {
    async fn call(&self, method: Method, path: &str, ct: Option<&str>, body: Option<String>) -> R {
        let mut b = self
            .client
            .request(method, format!("{}{path}", self.server))
            .bearer_auth(&self.token);
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        if let Some(body) = body {
            b = b.body(body);
        }
        let r = b.send().await.expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.expect("body");
        R {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    pub(super) async fn get(&self, path: &str) -> R {
        self.call(Method::GET, path, None, None).await
    }

    async fn apply(&self, path: &str, query: &str, body: &Value) -> R {
        self.call(
            Method::PATCH,
            &format!("{path}?{query}"),
            Some("application/apply-patch+yaml"),
            Some(body.to_string()),
        )
        .await
    }
}

/// A cluster `aks1` with a system pool (2 nodes, zones 1 and 2) and its kubeconfig.
pub(super) async fn cluster(sim: &Sim) -> Kube {
    sim.created_cluster().await;
    kube_for(sim).await
}

/// Namespace `katonic` and in it an internal LoadBalancer Service `ingress-nginx` asking for
/// `address` (what the console's ingress does); the Service is created (201).
pub(super) async fn internal_ingress_at(k: &Kube, address: &str) {
    k.post(
        "/api/v1/namespaces",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "katonic"}}),
    )
    .await;
    let r = k
        .post("/api/v1/namespaces/katonic/services", json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "ingress-nginx", "annotations": {"service.beta.kubernetes.io/azure-load-balancer-internal": "true",
                "service.beta.kubernetes.io/azure-load-balancer-ipv4": address}},
            "spec": {"type": "LoadBalancer", "ports": [{"name": "https", "port": 443}]}}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

/// The kubeconfig of the existing cluster `aks1`.
pub(super) async fn kube_for(sim: &Sim) -> Kube {
    let url = sim.cluster_url("rg-a", "aks1");
    let creds = sim
        .post(
            &format!("{url}/listClusterAdminCredential?api-version=2025-10-01"),
            None,
        )
        .await;
    assert_eq!(creds.status, 200, "{}", creds.body);
    let kubeconfig = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(creds.body["kubeconfigs"][0]["value"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let doc: Value = serde_yaml_ng::from_str(&kubeconfig).unwrap();
    Kube {
        server: doc["clusters"][0]["cluster"]["server"]
            .as_str()
            .unwrap()
            .to_string(),
        token: doc["users"][0]["user"]["token"]
            .as_str()
            .unwrap()
            .to_string(),
        kubeconfig,
        client: sim.client.clone(),
    }
}

#[tokio::test]
async fn discovery_auth_nodes_and_storage_classes() {
    let sim = Sim::start().await;
    let k = cluster(&sim).await;
    assert_eq!(k.server, format!("{}/kubernetes/aks1", sim.h.arm_endpoint));

    // No token: 401 Status; ARM still answers without a client certificate.
    let r = sim
        .client
        .get(format!("{}/api", k.server))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        (body["kind"].as_str(), body["reason"].as_str()),
        (Some("Status"), Some("Unauthorized"))
    );

    // The kubeconfig's client certificate alone authenticates; ARM still works with it absent.
    let doc: Value = serde_yaml_ng::from_str(&k.kubeconfig).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut pem = b64
        .decode(
            doc["users"][0]["user"]["client-certificate-data"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    pem.extend(
        b64.decode(doc["users"][0]["user"]["client-key-data"].as_str().unwrap())
            .unwrap(),
    );
    let with_cert = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(sim.h.ca_pem.as_bytes()).unwrap()])
        .identity(reqwest::Identity::from_pem(&pem).unwrap())
        .build()
        .unwrap();
    let r = with_cert
        .get(format!("{}/api/v1/namespaces/default", k.server))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = with_cert
        .get(format!(
            "{}/subscriptions?api-version=2022-12-01",
            sim.h.arm_endpoint
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "ARM wants its own token, a client certificate is no ARM identity"
    );
    assert_eq!(
        sim.get("/subscriptions?api-version=2022-12-01")
            .await
            .status,
        200
    );

    let v = k.get("/version").await;
    assert!(
        v.body["gitVersion"].as_str().unwrap().starts_with("v1.34."),
        "{}",
        v.body
    );
    assert_eq!(k.get("/api").await.body["versions"], json!(["v1"]));
    let groups = k.get("/apis").await.body;
    let names: Vec<&str> = groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "apps",
            "batch",
            "networking.k8s.io",
            "rbac.authorization.k8s.io",
            "storage.k8s.io"
        ]
    );
    let core = k.get("/api/v1").await.body;
    let pods = core["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "pods")
        .unwrap();
    assert_eq!(
        (pods["kind"].as_str(), pods["namespaced"].as_bool()),
        (Some("Pod"), Some(true))
    );
    assert_eq!(pods["shortNames"], json!(["po"]));
    assert!(
        core["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "pods/log")
    );
    assert_eq!(
        k.get("/apis/storage.k8s.io/v1").await.body["resources"][0]["name"],
        "storageclasses"
    );
    assert_eq!(k.get("/apis/foo.io/v1").await.status, 404);
    let unknown = k.get("/api/v1/widgets").await;
    assert_eq!(
        (unknown.status, unknown.body["reason"].as_str()),
        (404, Some("NotFound"))
    );

    // Nodes follow the pools.
    let nodes = k.get("/api/v1/nodes").await.body;
    assert_eq!(nodes["kind"], "NodeList");
    let items = nodes["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let n0 = &items[0];
    let name = n0["metadata"]["name"].as_str().unwrap();
    assert!(
        name.starts_with("aks-system-") && name.ends_with("-vmss000000"),
        "{name}"
    );
    let labels = &n0["metadata"]["labels"];
    assert_eq!(labels["kubernetes.azure.com/agentpool"], "system");
    assert_eq!(labels["agentpool"], "system");
    assert_eq!(
        labels["node.kubernetes.io/instance-type"],
        "Standard_D4s_v5"
    );
    assert_eq!(labels["topology.kubernetes.io/zone"], "eastus-1");
    assert_eq!(
        items[1]["metadata"]["labels"]["topology.kubernetes.io/zone"],
        "eastus-2"
    );
    assert_eq!(labels["kubernetes.io/os"], "linux");
    assert_eq!(labels["katonic.ai/node-pool"], "platform");
    assert!(
        n0["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    );

    let url = sim.cluster_url("rg-a", "aks1");
    // A watch on nodes sees the new pool's node without any other Kubernetes request.
    let list_rv = k.get("/api/v1/nodes").await.body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let mut node_watch = k
        .client
        .get(format!(
            "{}/api/v1/nodes?watch=1&resourceVersion={list_rv}&timeoutSeconds=5",
            k.server
        ))
        .bearer_auth(&k.token)
        .send()
        .await
        .unwrap();
    let subnet = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet-aks",
        sim.rg("rg-a")
    );
    let pool = sim
        .put(
            &format!("{url}/agentPools/compute?api-version=2025-10-01"),
            &json!({"properties": {"mode": "User", "vmSize": "Standard_D8s_v5", "count": 1, "vnetSubnetID": subnet,
                "availabilityZones": ["3"], "nodeLabels": {"katonic.ai/node-pool": "compute"}}}),
        )
        .await;
    assert_eq!(pool.status, 201, "{}", pool.body);
    assert_eq!(sim.wait_async(&pool).await["status"], "Succeeded");
    let chunk = node_watch.chunk().await.unwrap().unwrap();
    let event: Value = serde_json::from_slice(&chunk).unwrap();
    assert_eq!(event["type"], "ADDED");
    assert_eq!(
        event["object"]["metadata"]["labels"]["agentpool"],
        "compute"
    );
    let compute = k
        .get("/api/v1/nodes?labelSelector=katonic.ai%2Fnode-pool%3Dcompute")
        .await
        .body;
    let items = compute["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0]["metadata"]["labels"]["topology.kubernetes.io/zone"],
        "eastus-3"
    );
    assert_eq!(items[0]["status"]["capacity"]["cpu"], "8");
    let by_name = k
        .get(&format!(
            "/api/v1/nodes?fieldSelector=metadata.name%3D{name}"
        ))
        .await
        .body;
    assert_eq!(by_name["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        k.get("/api/v1/pods?fieldSelector=spec.bogus%3Dx")
            .await
            .status,
        400
    );
    let del = sim
        .delete(&format!("{url}/agentPools/compute?api-version=2025-10-01"))
        .await;
    assert!(del.status == 202 || del.status == 200, "{}", del.body);
    sim.wait_location(&del).await;
    assert_eq!(
        k.get("/api/v1/nodes").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // AKS's storage classes; `default` is the default one, owned by the addon manager.
    let scs = k.get("/apis/storage.k8s.io/v1/storageclasses").await.body;
    let names: Vec<&str> = scs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["metadata"]["name"].as_str().unwrap())
        .collect();
    for n in [
        "default",
        "managed-csi",
        "managed-csi-premium",
        "azurefile-csi",
        "azurefile-csi-premium",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    let sc = k
        .get("/apis/storage.k8s.io/v1/storageclasses/default")
        .await
        .body;
    assert_eq!(
        sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"],
        "true"
    );
    assert_eq!(sc["parameters"]["skuname"], "StandardSSD_LRS");
    assert_eq!(
        sc["metadata"]["managedFields"][0]["manager"],
        "addon-manager"
    );
    // Parameters are immutable.
    let r = k
        .call(
            Method::PATCH,
            "/apis/storage.k8s.io/v1/storageclasses/default",
            Some("application/merge-patch+json"),
            Some(json!({"parameters": {"skuname": "Premium_LRS"}}).to_string()),
        )
        .await;
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (422, Some("Invalid")),
        "{}",
        r.body
    );
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("parameters: Forbidden")
    );
    // The addon manager owns the annotation: an apply that changes it conflicts unless forced.
    let undefault = json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "default",
        "annotations": {"storageclass.kubernetes.io/is-default-class": "false"}}, "provisioner": "disk.csi.azure.com", "parameters": {"skuname": "StandardSSD_LRS"}});
    let r = k
        .apply(
            "/apis/storage.k8s.io/v1/storageclasses/default",
            "fieldManager=katonic-console",
            &undefault,
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("conflict with \"addon-manager\""),
        "{}",
        r.body
    );
    assert_eq!(
        r.body["details"]["causes"][0]["field"],
        ".metadata.annotations.storageclass.kubernetes.io/is-default-class"
    );
    // Taking the default away is a real change: the annotation goes, the owner moves.
    let r = k
        .call(Method::PATCH, "/apis/storage.k8s.io/v1/storageclasses/default?fieldManager=katonic-console", Some("application/merge-patch+json"),
            Some(json!({"metadata": {"annotations": {"storageclass.kubernetes.io/is-default-class": "false"}}}).to_string()))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"],
        "false"
    );
    assert_ne!(
        r.body["metadata"]["resourceVersion"],
        sc["metadata"]["resourceVersion"]
    );
    let console = r.body["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["manager"] == "katonic-console")
        .unwrap()
        .clone();
    assert_eq!(console["operation"], "Update");
    assert_eq!(
        console["fieldsV1"],
        json!({"f:metadata": {"f:annotations": {"f:storageclass.kubernetes.io/is-default-class": {}}}})
    );
}

#[tokio::test]
async fn writes_are_checked_and_server_side_apply_tracks_owners() {
    let sim = Sim::start().await;
    let k = cluster(&sim).await;
    let cms = "/api/v1/namespaces/katonic/configmaps";
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "labels": {"app": "k"}}, "data": {"a": "1"}});

    // Namespace missing, then created; built-ins exist.
    let r = k
        .call(
            Method::POST,
            cms,
            Some("application/json"),
            Some(cm.to_string()),
        )
        .await;
    assert_eq!(
        (r.status, r.body["message"].as_str()),
        (404, Some("namespaces \"katonic\" not found"))
    );
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert_eq!(k.get(&format!("/api/v1/namespaces/{ns}")).await.status, 200);
    }
    let r = k
        .call(
            Method::POST,
            "/api/v1/namespaces",
            Some("application/json"),
            Some(
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "katonic"}})
                    .to_string(),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"]["phase"], "Active");

    // Content type, missing name, bad name, duplicates.
    let r = k
        .call(Method::POST, cms, Some("text/plain"), Some(cm.to_string()))
        .await;
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (415, Some("UnsupportedMediaType"))
    );
    let r = k
        .call(
            Method::POST,
            cms,
            Some("application/json"),
            Some(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}).to_string()),
        )
        .await;
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (422, Some("Invalid")),
        "{}",
        r.body
    );
    assert_eq!(r.body["details"]["causes"][0]["field"], "metadata.name");
    let r = k
        .call(
            Method::POST,
            cms,
            Some("application/json"),
            Some(
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"}})
                    .to_string(),
            ),
        )
        .await;
    assert_eq!(r.status, 422);
    let r = k
        .call(
            Method::POST,
            &format!("{cms}?dryRun=All"),
            Some("application/json"),
            Some(cm.to_string()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        k.get(&format!("{cms}/cfg")).await.status,
        404,
        "a dry run stores nothing"
    );
    let r = k
        .call(
            Method::POST,
            cms,
            Some("application/json"),
            Some(cm.to_string()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["metadata"]["namespace"], "katonic");
    assert!(
        r.body["metadata"]["uid"].is_string() && r.body["metadata"]["resourceVersion"].is_string()
    );
    let r = k
        .call(
            Method::POST,
            cms,
            Some("application/json"),
            Some(cm.to_string()),
        )
        .await;
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (409, Some("AlreadyExists"))
    );
    let r = k
        .call(
            Method::POST,
            cms,
            Some("application/json"),
            Some(
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}})
                    .to_string(),
            ),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        k.get(&format!("{cms}?labelSelector=app%3Dk")).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        k.get(&format!("{cms}?labelSelector=app%3Dz")).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // Server-side apply.
    let sa = "/api/v1/namespaces/katonic/configmaps/settings";
    let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "labels": {"app": "k"}}, "data": {"mode": "prod", "x": "1"}});
    let r = k.apply(sa, "force=false", &body).await;
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (422, Some("Invalid")),
        "fieldManager is required: {}",
        r.body
    );
    let r = k.apply(sa, "fieldManager=katonic", &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let rv = r.body["metadata"]["resourceVersion"].clone();
    let mf = &r.body["metadata"]["managedFields"][0];
    assert_eq!(
        (mf["manager"].as_str(), mf["operation"].as_str()),
        (Some("katonic"), Some("Apply"))
    );
    assert_eq!(
        mf["fieldsV1"],
        json!({"f:data": {"f:mode": {}, "f:x": {}}, "f:metadata": {"f:labels": {"f:app": {}}}})
    );
    let again = k.apply(sa, "fieldManager=katonic", &body).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        again.body["metadata"]["resourceVersion"], rv,
        "an unchanged apply writes nothing"
    );
    // Someone else changes a field the console owns: conflict naming manager and field.
    let other = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"mode": "dev"}});
    let r = k.apply(sa, "fieldManager=helm", &other).await;
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (409, Some("Conflict")),
        "{}",
        r.body
    );
    assert_eq!(r.body["kind"], "Status");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("conflict with \"katonic\""),
        "{}",
        r.body
    );
    assert_eq!(r.body["details"]["causes"][0]["field"], ".data.mode");
    // The same value is shared ownership, no conflict.
    let same = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"mode": "prod"}});
    assert_eq!(k.apply(sa, "fieldManager=helm", &same).await.status, 200);
    // Force takes the field over.
    let r = k.apply(sa, "fieldManager=helm&force=true", &other).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"]["mode"], "dev");
    // The console stops applying `x`: it goes; `mode` belongs to helm now and stays.
    let less = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "labels": {"app": "k"}}});
    let r = k.apply(sa, "fieldManager=katonic", &less).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["data"], json!({"mode": "dev"}));

    // Update with a stale resourceVersion is a conflict; delete answers a Status.
    let mut stale = r.body.clone();
    stale["metadata"]["resourceVersion"] = json!("1");
    let u = k
        .call(
            Method::PUT,
            sa,
            Some("application/json"),
            Some(stale.to_string()),
        )
        .await;
    assert_eq!(
        (u.status, u.body["reason"].as_str()),
        (409, Some("Conflict"))
    );
    let d = k.call(Method::DELETE, sa, None, None).await;
    assert_eq!(
        (d.status, d.body["status"].as_str()),
        (200, Some("Success"))
    );
    assert_eq!(k.get(sa).await.status, 404);

    // Ingress validation.
    let ing = json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
        "spec": {"rules": [{"host": "Bad_Host", "http": {"paths": [{"path": "/", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}});
    let r = k
        .apply(
            "/apis/networking.k8s.io/v1/namespaces/katonic/ingresses/web",
            "fieldManager=katonic",
            &ing,
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let fields = cause_fields(&r.body);
    assert_eq!(
        fields,
        ["spec.rules[0].host", "spec.rules[0].http.paths[0].pathType"]
    );

    // NetworkPolicy validation.
    let np = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Sideways"],
            "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/33"}}], "ports": [{"protocol": "HTTP", "port": 80}]}]}});
    let r = k
        .apply(
            "/apis/networking.k8s.io/v1/namespaces/katonic/networkpolicies/deny",
            "fieldManager=katonic",
            &np,
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let fields = cause_fields(&r.body);
    assert_eq!(
        fields,
        [
            "spec.policyTypes[1]",
            "spec.ingress[0].ports[0].protocol",
            "spec.ingress[0].from[0].ipBlock.cidr"
        ]
    );
    let ok = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}});
    assert_eq!(
        k.apply(
            "/apis/networking.k8s.io/v1/namespaces/katonic/networkpolicies/deny",
            "fieldManager=katonic",
            &ok
        )
        .await
        .status,
        201
    );

    // Namespace deletion goes through Terminating; built-ins cannot be deleted.
    let d = k
        .call(Method::DELETE, "/api/v1/namespaces/katonic", None, None)
        .await;
    assert_eq!(
        (d.status, d.body["status"]["phase"].as_str()),
        (200, Some("Terminating"))
    );
    assert_eq!(k.get("/api/v1/namespaces/katonic").await.status, 404);
    assert_eq!(k.get(&format!("{cms}/cfg")).await.status, 404);
    assert_eq!(
        k.call(Method::DELETE, "/api/v1/namespaces/default", None, None)
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn kubectl_reads_and_applies_against_the_simulator() {
    let Ok(out) = std::process::Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "kubectl is not on PATH in CI: .ci/run installs Debian's kubernetes-client"
        );
        println!("skipped: kubectl is not on PATH");
        return;
    };
    assert!(out.status.success());
    let sim = Sim::start().await;
    let k = cluster(&sim).await;
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    // Without the token line kubectl must authenticate with the client certificate.
    let cert_only: String = k
        .kubeconfig
        .lines()
        .filter(|l| !l.trim_start().starts_with("token:"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(cert_only, k.kubeconfig);
    std::fs::write(&kc, &cert_only).unwrap();
    let kubectl = |args: Vec<String>| {
        let kc = kc.clone();
        let home = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let out = std::process::Command::new("kubectl")
                .env("KUBECONFIG", &kc)
                .env("HOME", &home)
                .args(&args)
                .output()
                .unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        })
    };
    let (ok, out, err) = kubectl(vec![
        "get".into(),
        "nodes".into(),
        "-o".into(),
        "json".into(),
    ])
    .await
    .unwrap();
    assert!(ok, "{err}");
    let nodes: Value = serde_json::from_str(&out).unwrap();
    let name = nodes["items"][0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(nodes["items"].as_array().unwrap().len(), 2);
    let (ok, out, err) = kubectl(vec!["describe".into(), "node".into(), name.clone()])
        .await
        .unwrap();
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("Name:               {name}")),
        "{out}"
    );
    assert!(out.contains("katonic.ai/node-pool=platform"), "{out}");
    let manifest = dir.path().join("cm.yaml");
    std::fs::write(&manifest, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-kubectl\n  namespace: default\ndata:\n  k: v\n").unwrap();
    let apply = vec![
        "apply".into(),
        "--server-side".into(),
        "--validate=false".into(),
        "-f".into(),
        manifest.display().to_string(),
    ];
    let (ok, out, err) = kubectl(apply.clone()).await.unwrap();
    assert!(ok, "{err}");
    assert!(
        out.contains("configmap/from-kubectl serverside-applied"),
        "{out}"
    );
    let cm = k
        .get("/api/v1/namespaces/default/configmaps/from-kubectl")
        .await
        .body;
    assert_eq!(cm["data"]["k"], "v");
    assert_eq!(cm["metadata"]["managedFields"][0]["manager"], "kubectl");
    let (ok, _, err) = kubectl(apply).await.unwrap();
    assert!(ok, "{err}");
    // Plain table output (kubectl asks for a Table and prints the list itself).
    let (ok, out, err) = kubectl(vec!["get".into(), "nodes".into()]).await.unwrap();
    assert!(ok, "{err}");
    assert!(out.contains(&name), "{out}");
    let (ok, out, err) = kubectl(vec!["get".into(), "storageclass".into()])
        .await
        .unwrap();
    assert!(ok, "{err}");
    assert!(out.contains("managed-csi-premium"), "{out}");
    let (ok, out, err) = kubectl(vec![
        "get".into(),
        "cm".into(),
        "-n".into(),
        "default".into(),
        "from-kubectl".into(),
        "-o".into(),
        "jsonpath={.data.k}".into(),
    ])
    .await
    .unwrap();
    assert!(ok, "{err}");
    assert_eq!(out, "v");
    let job = dir.path().join("job.yaml");
    std::fs::write(&job, "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: hello\n  namespace: default\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: hello\n        image: busybox\n").unwrap();
    let (ok, _, err) = kubectl(vec![
        "apply".into(),
        "--server-side".into(),
        "--validate=false".into(),
        "-f".into(),
        job.display().to_string(),
    ])
    .await
    .unwrap();
    assert!(ok, "{err}");
    let (ok, _, err) = kubectl(vec![
        "wait".into(),
        "--for=condition=complete".into(),
        "job/hello".into(),
        "--timeout=20s".into(),
    ])
    .await
    .unwrap();
    assert!(ok, "{err}");
    let (ok, out, err) = kubectl(vec!["logs".into(), "job/hello".into()])
        .await
        .unwrap();
    assert!(ok, "{err}");
    assert!(
        out.starts_with("hello: starting (busybox)") && out.trim_end().ends_with("hello: done"),
        "{out}"
    );
    let (ok, _, err) = kubectl(vec!["get".into(), "widgets".into()]).await.unwrap();
    assert!(!ok);
    assert!(
        err.contains("the server doesn't have a resource type \"widgets\""),
        "{err}"
    );
}

impl Kube {
    pub(super) async fn post(&self, path: &str, body: Value) -> R {
        self.call(
            Method::POST,
            path,
            Some("application/json"),
            Some(body.to_string()),
        )
        .await
    }

    /// GET `path` until `f` accepts the body (5 s at most).
    pub(super) async fn until(&self, path: &str, f: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..100 {
            let r = self.get(path).await;
            if r.status == 200 && f(&r.body) {
                return r.body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{path} never got there: {}", self.get(path).await.body);
    }
}

fn job(name: &str, labels: Value, node_selector: Value, backoff: u64) -> Value {
    json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "labels": labels},
        "spec": {"backoffLimit": backoff, "template": {"metadata": {"labels": labels}, "spec": {"restartPolicy": "Never",
            "nodeSelector": node_selector,
            "containers": [{"name": "installer", "image": "katonic/installer:6.0"}]}}}})
}

fn complete(j: &Value, ty: &str) -> bool {
    j["status"]["conditions"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["type"] == ty && c["status"] == "True"))
}

#[tokio::test]
async fn load_balancer_ingress_tls_jobs_and_health() {
    let sim = Sim::start().await;
    let k = cluster(&sim).await;
    k.post(
        "/api/v1/namespaces",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "katonic"}}),
    )
    .await;
    let host = "katonic.example.com";
    let cert = rcgen::generate_simple_self_signed(vec![host.to_string()]).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let r = k
        .post("/api/v1/namespaces/katonic/secrets", json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": "web-tls"}, "data": {"tls.crt": b64.encode(cert.cert.pem()), "tls.key": b64.encode(cert.signing_key.serialize_pem())}}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let logged = sim
        .h
        .requests()
        .into_iter()
        .rev()
        .find(|l| l.path.ends_with("/secrets"))
        .unwrap();
    assert!(
        !format!("{:?}", logged.request_body).contains("tls.key"),
        "Secret bodies stay out of the request log"
    );
    let r = k
        .post("/api/v1/namespaces/katonic/services", json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "ingress-nginx", "annotations": {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"}},
            "spec": {"type": "LoadBalancer", "selector": {"app": "nginx"}, "ports": [{"name": "https", "port": 443, "targetPort": 443}]}}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.body["spec"]["clusterIP"].is_string());
    let svc = k
        .until("/api/v1/namespaces/katonic/services/ingress-nginx", |s| {
            s["status"]["loadBalancer"]["ingress"][0]["ip"].is_string()
        })
        .await;
    let ip: std::net::Ipv4Addr = svc["status"]["loadBalancer"]["ingress"][0]["ip"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        ip.octets()[..2],
        [127, 77],
        "internal load balancers get 127.77.x.y"
    );
    let events = k
        .get("/api/v1/namespaces/katonic/events?fieldSelector=involvedObject.name%3Dingress-nginx")
        .await
        .body;
    let reasons: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    assert!(reasons.contains(&"EnsuredLoadBalancer"), "{reasons:?}");
    // A static address outside 127.0.0.0/8 cannot be served: the Service reports why.
    k.post("/api/v1/namespaces/katonic/services", json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "static"},
        "spec": {"type": "LoadBalancer", "loadBalancerIP": "10.20.0.100", "ports": [{"port": 443}]}})).await;
    k.until("/api/v1/namespaces/katonic/events?fieldSelector=involvedObject.name%3Dstatic,reason%3DSyncLoadBalancerFailed", |e| e["items"].as_array().is_some_and(|i| !i.is_empty())).await;

    let r = k
        .post("/apis/networking.k8s.io/v1/namespaces/katonic/ingresses", json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "platform"}, "spec": {"ingressClassName": "nginx", "tls": [{"hosts": [host], "secretName": "web-tls"}],
            "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // HTTPS at the address, certificate picked by SNI (the client trusts only the Secret's cert).
    let port = sim.h.ingress_https_port();
    assert!(
        sim.h
            .env_file_contents()
            .contains(&format!("KATONIC_SIM_INGRESS_PORT={port}"))
    );
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap()])
        .resolve(host, std::net::SocketAddr::from((ip, port)))
        .build()
        .unwrap();
    let r = client
        .get(format!("https://{host}:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .get(format!("https://{host}:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);

    // The installer Job runs on a platform node, logs, completes; then the platform is healthy.
    let installer = job(
        "katonic-installer",
        json!({"app.kubernetes.io/name": "katonic-platform-installer"}),
        json!({"katonic.ai/node-pool": "platform"}),
        2,
    );
    let r = k
        .post("/apis/batch/v1/namespaces/katonic/jobs", installer)
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["spec"]["backoffLimit"], 2);
    let pods = k
        .until(
            "/api/v1/namespaces/katonic/pods?labelSelector=job-name%3Dkatonic-installer",
            |p| p["items"][0]["status"]["phase"] == "Running",
        )
        .await;
    let pod = pods["items"][0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        pods["items"][0]["spec"]["nodeName"]
            .as_str()
            .unwrap()
            .starts_with("aks-system-")
    );
    // Follow the log to the end of the pod.
    let follow = k
        .client
        .get(format!(
            "{}/api/v1/namespaces/katonic/pods/{pod}/log?follow=true",
            k.server
        ))
        .bearer_auth(&k.token)
        .send()
        .await
        .unwrap();
    assert_eq!(follow.status(), 200);
    let text = follow.text().await.unwrap();
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains("installer: starting (katonic/installer:6.0)"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("installer: done"), "{text}");
    let j = k
        .until(
            "/apis/batch/v1/namespaces/katonic/jobs/katonic-installer",
            |j| complete(j, "Complete"),
        )
        .await;
    assert_eq!(j["status"]["succeeded"], 1);
    let tail = k
        .get(&format!(
            "/api/v1/namespaces/katonic/pods/{pod}/log?tailLines=1"
        ))
        .await;
    assert_eq!(tail.body.as_str().unwrap(), "installer: done\n");
    let stamped = k
        .get(&format!(
            "/api/v1/namespaces/katonic/pods/{pod}/log?timestamps=true"
        ))
        .await;
    let first = stamped
        .body
        .as_str()
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let (ts, rest) = first.split_once(' ').unwrap();
    assert!(
        time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339).is_ok(),
        "{first}"
    );
    assert!(rest.starts_with("installer: starting"));
    let later = k
        .get(&format!(
            "/api/v1/namespaces/katonic/pods/{pod}/log?sinceTime=2999-01-01T00:00:00Z"
        ))
        .await;
    assert_eq!(later.body, Value::String(String::new()));
    let r = client
        .get(format!("https://{host}:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok");
    let unknown = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .resolve("other.example.com", std::net::SocketAddr::from((ip, port)))
        .build()
        .unwrap();
    let r = unknown
        .get(format!("https://other.example.com:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn faults_scheduling_and_watch() {
    let sim = Sim::start().await;
    let k = cluster(&sim).await;
    let jobs = "/apis/batch/v1/namespaces/default/jobs";

    // No node with the selector: the pod stays Pending with FailedScheduling.
    k.post(
        jobs,
        job("gpu", json!({}), json!({"katonic.ai/node-pool": "gpu"}), 0),
    )
    .await;
    let pods = k
        .until(
            "/api/v1/namespaces/default/pods?labelSelector=job-name%3Dgpu",
            |p| p["items"][0]["status"]["conditions"].is_array(),
        )
        .await;
    assert_eq!(pods["items"][0]["status"]["phase"], "Pending");
    let ev = k
        .until(
            "/api/v1/namespaces/default/events?fieldSelector=reason%3DFailedScheduling",
            |e| e["items"].as_array().is_some_and(|i| !i.is_empty()),
        )
        .await;
    assert!(
        ev["items"][0]["message"]
            .as_str()
            .unwrap()
            .contains("didn't match Pod's node affinity/selector")
    );

    // failJob: the first Job's pod fails with the message; the next Job works.
    sim.h.set_faults(crate::FaultPlan::from_yaml(
        "rules:\n- method: POST\n  path: /kubernetes/aks1/apis/batch/v1/.*/jobs$\n  times: 1\n  action:\n    failJob: {message: \"helm: chart not found\"}\n",
    ).unwrap());
    k.post(jobs, job("bad", json!({}), json!({}), 0)).await;
    let j = k
        .until(&format!("{jobs}/bad"), |j| complete(j, "Failed"))
        .await;
    assert_eq!(
        j["status"]["conditions"][0]["reason"],
        "BackoffLimitExceeded"
    );
    assert_eq!(j["status"]["failed"], 1);
    let pods = k
        .get("/api/v1/namespaces/default/pods?labelSelector=job-name%3Dbad")
        .await
        .body;
    let pod = pods["items"][0]["metadata"]["name"].as_str().unwrap();
    assert_eq!(pods["items"][0]["status"]["phase"], "Failed");
    let log = k
        .get(&format!("/api/v1/namespaces/default/pods/{pod}/log"))
        .await;
    assert!(
        log.body
            .as_str()
            .unwrap()
            .contains("error: helm: chart not found"),
        "{}",
        log.body
    );
    k.post(jobs, job("good", json!({}), json!({}), 0)).await;
    k.until(&format!("{jobs}/good"), |j| complete(j, "Complete"))
        .await;

    // noLoadBalancer: the Service never gets an address.
    sim.h.set_faults(
        crate::FaultPlan::from_yaml(
            "rules:\n- method: POST\n  path: /services$\n  action:\n    noLoadBalancer: {}\n",
        )
        .unwrap(),
    );
    k.post(
        "/api/v1/namespaces/default/services",
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 443}]}}),
    )
    .await;
    // The service controller reports the load balancer it withholds, as Kubernetes does when it
    // cannot ensure one.
    k.until("/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dlb,reason%3DSyncLoadBalancerFailed", |e| e["items"].as_array().is_some_and(|i| !i.is_empty())).await;
    assert!(k.get("/api/v1/namespaces/default/services/lb").await.body["status"]["loadBalancer"]["ingress"].is_null());

    // An unreachable API server: dropped connections and 503s.
    sim.h.set_faults(crate::FaultPlan::from_yaml(
        "rules:\n- path: ^/kubernetes/\n  times: 1\n  action:\n    drop: {}\n- path: ^/kubernetes/\n  times: 1\n  action:\n    error: {status: 503, code: ServiceUnavailable, message: apiserver down}\n",
    ).unwrap());
    let dropped = k
        .client
        .get(format!("{}/api/v1/nodes", k.server))
        .bearer_auth(&k.token)
        .send()
        .await;
    assert!(dropped.is_err());
    let r = k.get("/api/v1/nodes").await;
    assert_eq!(
        (r.status, r.body["kind"].as_str(), r.body["reason"].as_str()),
        (503, Some("Status"), Some("ServiceUnavailable"))
    );
    assert_eq!(k.get("/api/v1/nodes").await.status, 200);
    sim.h.set_faults(
        crate::FaultPlan::from_yaml(
            "rules:\n- path: ^/kubernetes/\n  times: 1\n  action:\n    throttle: {retryAfter: 3}\n",
        )
        .unwrap(),
    );
    let r = k.get("/api/v1/nodes").await;
    assert_eq!(
        (r.status, r.body["reason"].as_str()),
        (429, Some("TooManyRequests"))
    );
    sim.h.set_faults(crate::FaultPlan::default());

    // Watch from a list's resourceVersion: later changes only, as JSON lines.
    let cms = "/api/v1/namespaces/default/configmaps";
    k.post(
        cms,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "before"}}),
    )
    .await;
    let rv = k.get(cms).await.body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let mut watch = k
        .client
        .get(format!(
            "{}{cms}?watch=1&resourceVersion={rv}&timeoutSeconds=2",
            k.server
        ))
        .bearer_auth(&k.token)
        .send()
        .await
        .unwrap();
    assert_eq!(watch.status(), 200);
    k.post(cms, json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "after"}, "data": {"a": "1"}})).await;
    k.call(
        Method::PATCH,
        &format!("{cms}/after"),
        Some("application/merge-patch+json"),
        Some(json!({"data": {"a": "2"}}).to_string()),
    )
    .await;
    k.call(Method::DELETE, &format!("{cms}/after"), None, None)
        .await;
    let mut text = String::new();
    while let Some(chunk) = watch.chunk().await.unwrap() {
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        if text.lines().count() >= 3 {
            break;
        }
    }
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap(),
                e["object"]["metadata"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("ADDED", "after"),
            ("MODIFIED", "after"),
            ("DELETED", "after")
        ]
    );
    assert_eq!(events[1]["object"]["data"]["a"], "2");
    // Without a resourceVersion a watch starts with the current objects; timeoutSeconds ends it.
    let started = std::time::Instant::now();
    let all = k
        .client
        .get(format!("{}{cms}?watch=true&timeoutSeconds=1", k.server))
        .bearer_auth(&k.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
    assert!(
        all.lines()
            .any(|l| l.contains("\"ADDED\"") && l.contains("\"before\"")),
        "{all}"
    );
}

#[tokio::test]
async fn deployments_become_ready_and_claims_bind() {
    let sim = Sim::start().await;
    let k = cluster(&sim).await;
    let deploys = "/apis/apps/v1/namespaces/default/deployments";
    let d = |name: &str, pool: &str, claim: Option<&str>| {
        let volumes = claim.map_or(
            json!([]),
            |c| json!([{"name": "data", "persistentVolumeClaim": {"claimName": c}}]),
        );
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}},
                "spec": {"nodeSelector": {"katonic.ai/node-pool": pool}, "volumes": volumes, "containers": [{"name": "web", "image": "nginx"}]}}}})
    };
    // Selector not matching the template is invalid.
    let mut bad = d("bad", "platform", None);
    bad["spec"]["selector"]["matchLabels"]["app"] = json!("other");
    assert_eq!(k.post(deploys, bad).await.status, 422);

    // A WaitForFirstConsumer claim stays Pending until a scheduled pod uses it.
    let pvcs = "/api/v1/namespaces/default/persistentvolumeclaims";
    let claim = |name: &str, class: Option<&str>| {
        let mut c = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}});
        if let Some(class) = class {
            c["spec"]["storageClassName"] = json!(class);
        }
        c
    };
    assert_eq!(k.post(pvcs, claim("data", None)).await.status, 201);
    assert_eq!(
        k.post(pvcs, claim("files", Some("azurefile-csi")))
            .await
            .status,
        201
    );
    assert_eq!(
        k.post(pvcs, claim("nowhere", Some("no-such-class")))
            .await
            .status,
        201
    );
    let files = k
        .until(&format!("{pvcs}/files"), |c| {
            c["status"]["phase"] == "Bound"
        })
        .await;
    let pv = files["spec"]["volumeName"].as_str().unwrap();
    let pv = k.get(&format!("/api/v1/persistentvolumes/{pv}")).await.body;
    assert_eq!(pv["spec"]["claimRef"]["name"], "files");
    assert_eq!(pv["spec"]["csi"]["driver"], "file.csi.azure.com");
    // The provisioner has passed over every claim once it has refused "nowhere".
    k.until("/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dnowhere,reason%3DProvisioningFailed", |e| e["items"].as_array().is_some_and(|i| !i.is_empty())).await;
    let data = k.get(&format!("{pvcs}/data")).await.body;
    assert_eq!(
        data["status"]["phase"], "Pending",
        "WaitForFirstConsumer: no pod yet"
    );

    let r = k.post(deploys, d("web", "platform", Some("data"))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let ready = k
        .until(&format!("{deploys}/web"), |d| {
            d["status"]["readyReplicas"] == 2
        })
        .await;
    assert_eq!(ready["status"]["conditions"][0]["type"], "Available");
    assert_eq!(ready["status"]["conditions"][0]["status"], "True");
    let data = k
        .until(&format!("{pvcs}/data"), |c| c["status"]["phase"] == "Bound")
        .await;
    assert_eq!(data["spec"]["storageClassName"], "default");

    // No gpu nodes: never ready.
    k.post(deploys, d("gpu", "gpu", None)).await;
    // The scheduler has refused every gpu pod once each says PodScheduled=False.
    k.until(
        "/api/v1/namespaces/default/pods?labelSelector=app%3Dgpu",
        |p| {
            p["items"].as_array().is_some_and(|i| {
                i.len() == 2
                    && i.iter().all(|p| {
                        p["status"]["conditions"][0]["type"] == "PodScheduled"
                            && p["status"]["conditions"][0]["status"] == "False"
                    })
            })
        },
    )
    .await;
    let gpu = k.get(&format!("{deploys}/gpu")).await.body;
    assert!(
        gpu["status"]["readyReplicas"].is_null(),
        "{}",
        gpu["status"]
    );
    assert_eq!(gpu["status"]["conditions"][0]["status"], "False");
    // Scaling down removes pods.
    let r = k
        .call(
            Method::PATCH,
            &format!("{deploys}/web"),
            Some("application/strategic-merge-patch+json"),
            Some(json!({"spec": {"replicas": 1}}).to_string()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["metadata"]["generation"], 2);
    k.until(
        "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb",
        |p| p["items"].as_array().is_some_and(|i| i.len() == 1),
    )
    .await;
}

#[tokio::test]
async fn objects_and_load_balancers_survive_a_restart() {
    let sim = Sim::start().await;
    let k = cluster(&sim).await;
    let cms = "/api/v1/namespaces/default/configmaps";
    let r = k.post(cms, json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kept"}, "data": {"a": "1"}})).await;
    assert_eq!(r.status, 201);
    let rv = r.body["metadata"]["resourceVersion"].clone();
    k.post(
        "/api/v1/namespaces/default/services",
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 443}]}}),
    )
    .await;
    let svc = k
        .until("/api/v1/namespaces/default/services/lb", |s| {
            s["status"]["loadBalancer"]["ingress"][0]["ip"].is_string()
        })
        .await;
    let ip: std::net::Ipv4Addr = svc["status"]["loadBalancer"]["ingress"][0]["ip"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        ip.octets()[..2],
        [127, 78],
        "public load balancers get 127.78.x.y"
    );
    let port = sim.h.ingress_https_port();
    let list_rv = k.get(cms).await.body["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();

    let sim = sim.restart().await;
    let k = kube_for(&sim).await;
    let kept = k.get(&format!("{cms}/kept")).await;
    assert_eq!(
        (kept.status, &kept.body["metadata"]["resourceVersion"]),
        (200, &rv)
    );
    assert_eq!(
        k.get("/api/v1/namespaces/default/services/lb").await.body["status"]["loadBalancer"]["ingress"]
            [0]["ip"],
        ip.to_string()
    );
    assert_eq!(
        sim.h.ingress_https_port(),
        port,
        "the ingress port is kept when free"
    );
    let insecure = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let r = insecure
        .get(format!("https://{ip}:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        404,
        "the address is served again (no Ingress: default backend)"
    );
    // New objects get higher resourceVersions; a watch from changes before the restart must relist.
    let r = k
        .post(
            cms,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "new"}}),
        )
        .await;
    assert!(
        r.body["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > list_rv.parse::<u64>().unwrap()
    );
    let w = k
        .get(&format!(
            "{cms}?watch=1&resourceVersion={}",
            rv.as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (w.status, w.body["reason"].as_str()),
        (410, Some("Expired"))
    );
}

/// The fields a 422 `Status` names, in order.
fn cause_fields(status: &Value) -> Vec<&str> {
    status["details"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect()
}

/// An acknowledged write is already on disk (as etcd's are): a kill -9 right after the answer
/// cannot lose it. Read straight from `kube.json` after each answer, without waiting.
#[tokio::test]
async fn writes_are_persisted_before_they_are_acknowledged() {
    let sim = Sim::start().await;
    let k = cluster(&sim).await;
    let state = sim.h.ca_file.parent().unwrap().join("kube.json");
    let on_disk = || std::fs::read_to_string(&state).unwrap_or_default();
    let cms = "/api/v1/namespaces/default/configmaps";
    let created = k
        .post(cms, json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "acknowledged"}, "data": {"a": "1"}}))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(
        on_disk().contains("acknowledged"),
        "the created object is on disk"
    );
    let deleted = k
        .call(Method::DELETE, &format!("{cms}/acknowledged"), None, None)
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert!(
        !on_disk().contains("acknowledged"),
        "the deletion is on disk"
    );
}
