//! An Application Gateway's backend health and data plane over a simulated cluster's internal
//! load balancer (issue 17).

use base64::Engine;
use serde_json::{Value, json};

use super::app_gateway::{NET, gateway_body, gateway_network, gw_url, pfx};
use super::harness::{Sim, assert_valid};
use super::kube::{cluster, internal_ingress_at};

fn backend_servers(health: &Value) -> Vec<(String, String)> {
    health["backendAddressPools"][0]["backendHttpSettingsCollection"][0]["servers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["health"].as_str().unwrap_or("").to_string(),
                s["healthProbeLog"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The frontend's answer at `front` for `host`, once the controllers' next tick serves it.
async fn frontend_answer(
    root_pem: &str,
    front: std::net::Ipv4Addr,
    host: &str,
    port: u16,
) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(root_pem.as_bytes()).unwrap()])
        .resolve(host, std::net::SocketAddr::from((front, port)))
        .build()
        .unwrap();
    for _ in 0..100 {
        if let Ok(r) = client.get(format!("https://{host}:{port}/")).send().await {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the gateway's frontend at {front} never answered");
}

async fn backend_health(sim: &Sim, gw: &str) -> Value {
    let r = sim.post(&format!("{gw}/backendhealth?{NET}"), None).await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert!(r.header("location").is_some());
    let done = sim.wait_location(&r).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_valid("ApplicationGateways_BackendHealth", &done);
    done.body
}

#[tokio::test]
async fn backend_health_follows_the_clusters_internal_load_balancer() {
    let sim = Sim::start().await;
    let k = cluster(&sim).await;
    let host = "katonic.example.com";
    let cert = rcgen::generate_simple_self_signed(vec![host.to_string()]).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    internal_ingress_at(&k, "10.20.0.50").await;
    // A static address outside the nodes' subnet is refused as Azure refuses it.
    k.post("/api/v1/namespaces/katonic/services", json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "elsewhere", "annotations": {"service.beta.kubernetes.io/azure-load-balancer-internal": "true",
            "service.beta.kubernetes.io/azure-load-balancer-ipv4": "10.20.9.9"}},
        "spec": {"type": "LoadBalancer", "ports": [{"name": "https", "port": 443}]}})).await;
    let events = k
        .until("/api/v1/namespaces/katonic/events?fieldSelector=involvedObject.name%3Delsewhere,reason%3DSyncLoadBalancerFailed", |e| {
            e["items"].as_array().is_some_and(|i| !i.is_empty())
        })
        .await;
    assert!(
        events.to_string().contains("PrivateIPAddressNotInSubnet"),
        "{events}"
    );
    let svc = k
        .until("/api/v1/namespaces/katonic/services/ingress-nginx", |s| {
            s["status"]["loadBalancer"]["ingress"][0]["ip"].is_string()
        })
        .await;
    let ip = svc["status"]["loadBalancer"]["ingress"][0]["ip"]
        .as_str()
        .unwrap()
        .to_string();
    let (subnet, pip) = gateway_network(&sim, "10.20.2.0/24", json!(["1", "2", "3"])).await;
    let gw = gw_url(&sim, "rg-a", "agw");
    let root = b64.encode(cert.cert.der());
    let r = sim
        .put(
            &format!("{gw}?{NET}"),
            &gateway_body(&gw, (&subnet, &pip), host, &ip, (&pfx(&cert), &root)),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    sim.wait_async(&r).await;
    // A load balancer, but no Ingress for the host yet: the probe gets the fallback answer.
    let servers = backend_servers(&backend_health(&sim, &gw).await);
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0].0, "Down", "{servers:?}");
    k.post("/api/v1/namespaces/katonic/secrets", json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
        "metadata": {"name": "web-tls"}, "data": {"tls.crt": b64.encode(cert.cert.pem()), "tls.key": b64.encode(cert.signing_key.serialize_pem())}})).await;
    k.post("/apis/networking.k8s.io/v1/namespaces/katonic/ingresses", json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "platform"}, "spec": {"ingressClassName": "nginx", "tls": [{"hosts": [host], "secretName": "web-tls"}],
        "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}})).await;
    // The platform's health answers 503 until its installer completed.
    let servers = backend_servers(&backend_health(&sim, &gw).await);
    assert_eq!(servers[0].0, "Down");
    assert!(servers[0].1.contains("503"), "{servers:?}");
    let labels = json!({"app.kubernetes.io/name": "katonic-platform-installer"});
    k.post("/apis/batch/v1/namespaces/katonic/jobs", json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "installer", "labels": labels},
        "spec": {"backoffLimit": 0, "template": {"metadata": {"labels": labels}, "spec": {"restartPolicy": "Never",
        "containers": [{"name": "installer", "image": "katonic/installer:6.0"}]}}}})).await;
    k.until("/apis/batch/v1/namespaces/katonic/jobs/installer", |j| {
        j["status"]["conditions"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["type"] == "Complete"))
    })
    .await;
    let servers = backend_servers(&backend_health(&sim, &gw).await);
    assert_eq!(servers[0].0, "Up", "{servers:?}");
    assert_eq!(ip, "10.20.0.50", "the static address in the nodes' subnet");
    // The load balancer's private address answers at its loopback alias.
    let port = sim.h.ingress_https_port();
    let lb = sim.h.reachable_address(ip.parse().unwrap());
    assert_eq!(lb.octets()[..2], [127, 76]);
    let trusting = |addr: std::net::Ipv4Addr| {
        reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap()])
            .resolve(host, std::net::SocketAddr::from((addr, port)))
            .build()
            .unwrap()
    };
    let r = trusting(lb)
        .get(format!("https://{host}:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Through the gateway: its public IP serves the uploaded certificate and forwards.
    let front: std::net::Ipv4Addr =
        sim.get(&format!("{pip}?{NET}")).await.body["properties"]["ipAddress"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
    let r = frontend_answer(&cert.cert.pem(), front, host, port).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("katonic simulator ingress")
    );
    // A restart keeps the uploaded certificate, as Azure does (a console that restarts its
    // in-process simulator still verifies through the gateway): beside state.json, private,
    // never in it.
    let http_port = sim.h.ingress_http_port();
    let mut sim = sim.restart().await;
    let port = sim.h.ingress_https_port();
    let r = frontend_answer(&cert.cert.pem(), front, host, port).await;
    assert_eq!(r.status(), 200);
    // Plain HTTP, on the same port as before the restart: the HTTP listener's rule redirects
    // to the HTTPS listener, keeping the path and the query (includePath, includeQueryString).
    assert_eq!(sim.h.ingress_http_port(), http_port);
    let plain = std::net::SocketAddr::from((front, http_port));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve(host, plain)
        .resolve("other.example.com", plain)
        .build()
        .unwrap();
    let r = client
        .get(format!("http://{host}:{http_port}/a/b?c=d"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 301);
    assert_eq!(r.headers()["location"], format!("https://{host}/a/b?c=d"));
    // A host no HTTP listener names: the gateway's 404.
    let r = client
        .get(format!("http://other.example.com:{http_port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let kept = sim.dir.path().join("gateway-certificates.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&kept).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", kept.display());
    }
    let state = std::fs::read_to_string(sim.dir.path().join("state.json")).unwrap();
    assert!(!state.contains(super::app_gateway::PASSWORD));
    sim.token = sim.get_token().await;
    // Settings that trust another root: the backend's certificate is not trusted.
    let other = rcgen::generate_simple_self_signed(vec![host.to_string()]).unwrap();
    let r = sim
        .put(
            &format!("{gw}?{NET}"),
            &gateway_body(
                &gw,
                (&subnet, &pip),
                host,
                &ip,
                (&pfx(&cert), &b64.encode(other.cert.der())),
            ),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    sim.wait_async(&r).await;
    let servers = backend_servers(&backend_health(&sim, &gw).await);
    assert_eq!(servers[0].0, "Down");
    assert!(servers[0].1.contains("root certificate"), "{servers:?}");
    // An unhealthy backend: the gateway answers 502.
    let r = frontend_answer(&cert.cert.pem(), front, host, port).await;
    assert_eq!(r.status(), 502);
}
