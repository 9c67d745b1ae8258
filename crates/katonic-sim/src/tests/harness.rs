//! Test harness: a simulator in a temp dir, a reqwest client trusting its CA, ARM helpers.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Certificate, Client, Method};
use serde_json::Value;

use crate::{SimConfig, SimHandle, start};

pub(crate) struct Sim {
    pub h: SimHandle,
    pub client: Client,
    pub token: String,
    pub dir: tempfile::TempDir,
}

pub(crate) struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body
            .pointer("/error/code")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    pub fn state(&self) -> &str {
        self.body
            .pointer("/properties/provisioningState")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

pub(crate) fn client_for(ca_pem: &str) -> Client {
    let cert = Certificate::from_pem(ca_pem.as_bytes()).expect("CA parses");
    Client::builder()
        .tls_certs_only([cert])
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client builds")
}

impl Sim {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(f: impl FnOnce(&mut SimConfig)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::start_in(dir, f).await
    }

    /// Start on a catalogue changed by `cat`.
    pub async fn start_with_catalog(
        cat: impl FnOnce(&mut crate::catalog::Catalog),
        f: impl FnOnce(&mut SimConfig),
    ) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = crate::catalog::Catalog::default_catalog().expect("default catalogue");
        cat(&mut c);
        std::fs::write(
            dir.path().join("catalog.yaml"),
            serde_yaml_ng::to_string(&c).expect("yaml"),
        )
        .expect("write catalogue");
        Self::start_in(dir, f).await
    }

    pub async fn start_in(dir: tempfile::TempDir, f: impl FnOnce(&mut SimConfig)) -> Self {
        let mut config = SimConfig::for_dir(dir.path());
        f(&mut config);
        let h = start(config).await.expect("simulator starts");
        let client = client_for(&h.ca_pem);
        let mut sim = Self {
            h,
            client,
            token: String::new(),
            dir,
        };
        sim.token = sim.get_token().await;
        sim
    }

    /// Stop and start again on the same state dir.
    pub async fn restart(self) -> Self {
        let Sim { h, dir, .. } = self;
        h.shutdown().await;
        Self::start_in(dir, |_| {}).await
    }

    pub async fn get_token(&self) -> String {
        self.get_token_for("https://management.azure.com/.default")
            .await
    }

    /// A client-credentials token of the console's service principal for `scope`.
    pub async fn get_token_for(&self, scope: &str) -> String {
        let r = self
            .client
            .post(format!(
                "{}/{}/oauth2/v2.0/token",
                self.h.authority_host, self.h.tenant_id
            ))
            .form(&[
                ("client_id", self.h.client_id.as_str()),
                ("client_secret", self.h.client_secret.as_str()),
                ("grant_type", "client_credentials"),
                ("scope", scope),
            ])
            .send()
            .await
            .expect("token request");
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("token json");
        v["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    pub fn sub(&self) -> String {
        format!("/subscriptions/{}", self.h.subscription_id)
    }

    pub fn rg(&self, rg: &str) -> String {
        format!("{}/resourceGroups/{rg}", self.sub())
    }

    /// A raw call; `url` is a path (prefixed with the endpoint) or an absolute URL.
    pub async fn raw(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
        auth: bool,
    ) -> Result<Resp, reqwest::Error> {
        let full = if url.starts_with("https://") {
            url.to_string()
        } else {
            format!("{}{url}", self.h.arm_endpoint)
        };
        let mut b = self.client.request(method, full);
        if auth {
            b = b.bearer_auth(&self.token);
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        if let Some(body) = body {
            b = b.json(body);
        }
        let r = b.send().await?;
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok(Resp {
            status,
            headers,
            body,
        })
    }

    pub async fn call(&self, method: Method, url: &str, body: Option<&Value>) -> Resp {
        self.raw(method, url, body, &[], true)
            .await
            .expect("request succeeds")
    }

    pub async fn get(&self, url: &str) -> Resp {
        self.call(Method::GET, url, None).await
    }

    pub async fn put(&self, url: &str, body: &Value) -> Resp {
        self.call(Method::PUT, url, Some(body)).await
    }

    pub async fn post(&self, url: &str, body: Option<&Value>) -> Resp {
        self.call(Method::POST, url, body).await
    }

    pub async fn delete(&self, url: &str) -> Resp {
        self.call(Method::DELETE, url, None).await
    }

    /// Poll an `Azure-AsyncOperation` URL until the status is terminal; returns the status body.
    pub async fn wait_async(&self, resp: &Resp) -> Value {
        let url = resp
            .header("azure-asyncoperation")
            .expect("Azure-AsyncOperation header");
        for _ in 0..200 {
            let r = self.get(&url).await;
            assert_eq!(r.status, 200, "status URL answers 200: {:?}", r.body);
            let s = r.body["status"].as_str().unwrap_or("").to_string();
            if ["Succeeded", "Failed", "Canceled"].contains(&s.as_str()) {
                return r.body;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("operation did not finish");
    }

    /// Poll an operation status URL until it reports `want` (4 s at most); returns the status
    /// body. Tests wait on this fact rather than on a fixed time.
    pub async fn until_status(&self, url: &str, want: &str) -> Value {
        for _ in 0..200 {
            let r = self.get(url).await;
            if r.body["status"] == want {
                return r.body;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "{url} never reported {want}: {:?}",
            self.get(url).await.body
        );
    }

    /// Poll a `Location` URL until it stops answering 202; returns the final response.
    pub async fn wait_location(&self, resp: &Resp) -> Resp {
        let mut url = resp.header("location").expect("Location header");
        for _ in 0..200 {
            let r = self.get(&url).await;
            if r.status != 202 {
                return r;
            }
            if let Some(next) = r.header("location") {
                url = next;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("operation did not finish");
    }

    /// Register the providers Azure needs registered for the install.
    pub async fn register_all(&self) {
        for ns in ["Microsoft.ContainerService", "Microsoft.ContainerRegistry"] {
            let r = self
                .post(
                    &format!(
                        "{}/providers/{ns}/register?api-version=2025-04-01",
                        self.sub()
                    ),
                    None,
                )
                .await;
            assert_eq!(r.status, 200);
        }
    }

    pub async fn create_rg(&self, rg: &str) {
        let r = self
            .put(&format!("{}?api-version=2025-04-01", self.rg(rg)), &serde_json::json!({"location": "eastus", "tags": {"managed-by": "katonic-console"}}))
            .await;
        assert!(r.status == 201 || r.status == 200, "{:?}", r.body);
    }
}

/// Check a response body against Microsoft's schema for the operation, as `oav` would.
pub(crate) fn assert_valid(op: &str, r: &Resp) {
    let issues = crate::schema::validate_response(op, r.status, &r.body);
    assert!(
        issues.is_empty(),
        "{op} {} response does not match the spec:\n{}\nbody: {}",
        r.status,
        issues
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        r.body
    );
}

pub(crate) const NETWORK_CONTRIBUTOR: &str = "4d97b98b-1d4f-4787-a291-c67834d212e7";

impl Sim {
    /// RG, VNet 10.20.0.0/16 with `snet-aks` (given prefix) and `snet-jump`, an identity with
    /// Network Contributor on the subnet, providers registered. Returns (identity id, subnet id).
    pub async fn network_env(&self, rg: &str, aks_prefix: &str) -> (String, String) {
        self.register_all().await;
        self.create_rg(rg).await;
        let vnet = format!(
            "{}/providers/Microsoft.Network/virtualNetworks/vnet",
            self.rg(rg)
        );
        let r = self
            .put(
                &format!("{vnet}?api-version=2025-07-01"),
                &serde_json::json!({"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.20.0.0/16"]},
                    "subnets": [{"name": "snet-aks", "properties": {"addressPrefix": aks_prefix}},
                                {"name": "snet-jump", "properties": {"addressPrefix": "10.20.1.64/29"}}]}}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(self.wait_async(&r).await["status"], "Succeeded");
        let id = format!(
            "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aks",
            self.rg(rg)
        );
        let r = self
            .put(
                &format!("{id}?api-version=2023-01-31"),
                &serde_json::json!({"location": "eastus"}),
            )
            .await;
        assert_eq!(r.status, 201);
        let principal = r.body["properties"]["principalId"]
            .as_str()
            .unwrap()
            .to_string();
        let subnet = format!("{vnet}/subnets/snet-aks");
        self.assign(&subnet, NETWORK_CONTRIBUTOR, &principal).await;
        (id, subnet)
    }

    pub async fn assign(&self, scope: &str, role: &str, principal: &str) -> Resp {
        let name = uuid::Uuid::new_v4();
        let r = self
            .put(
                &format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01"),
                &serde_json::json!({"properties": {"roleDefinitionId": format!("{}/providers/Microsoft.Authorization/roleDefinitions/{role}", self.sub()), "principalId": principal, "principalType": "ServicePrincipal"}}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r
    }

    /// Cluster `aks1` in `rg-a` (subnet 10.20.0.0/24), created (201) and succeeded; its URL.
    pub async fn created_cluster(&self) -> String {
        let (identity, subnet) = self.network_env("rg-a", "10.20.0.0/24").await;
        let url = self.cluster_url("rg-a", "aks1");
        let r = self
            .put(
                &format!("{url}?api-version=2025-10-01"),
                &cluster_body(&identity, &subnet),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(self.wait_async(&r).await["status"], "Succeeded");
        url
    }

    pub fn cluster_url(&self, rg: &str, name: &str) -> String {
        format!(
            "{}/providers/Microsoft.ContainerService/managedClusters/{name}",
            self.rg(rg)
        )
    }
}

/// A private cluster body like the brief's, with one system pool in `subnet`.
pub(crate) fn cluster_body(identity: &str, subnet: &str) -> Value {
    serde_json::json!({
        "location": "eastus",
        "sku": {"name": "Base", "tier": "Standard"},
        "identity": {"type": "UserAssigned", "userAssignedIdentities": {identity: {}}},
        "tags": {"managed-by": "katonic-console", "install": "prod"},
        "properties": {
            "kubernetesVersion": "1.34",
            "dnsPrefix": "katonic-aks",
            "enableRBAC": true,
            "apiServerAccessProfile": {"enablePrivateCluster": true, "privateDNSZone": "system", "enablePrivateClusterPublicFQDN": false},
            "networkProfile": {"networkPlugin": "azure", "networkPluginMode": "overlay", "networkPolicy": "calico",
                "loadBalancerSku": "standard", "outboundType": "loadBalancer",
                "podCidr": "192.168.0.0/16", "serviceCidr": "172.16.0.0/16", "dnsServiceIP": "172.16.0.10"},
            "agentPoolProfiles": [{
                "name": "system", "mode": "System", "type": "VirtualMachineScaleSets", "osType": "Linux", "osSKU": "Ubuntu",
                "vmSize": "Standard_D4s_v5", "count": 2, "enableAutoScaling": true, "minCount": 2, "maxCount": 3,
                "availabilityZones": ["1", "2"], "orchestratorVersion": "1.34",
                "vnetSubnetID": subnet, "nodeLabels": {"katonic.ai/node-pool": "platform"}, "maxPods": 110}]
        }
    })
}
