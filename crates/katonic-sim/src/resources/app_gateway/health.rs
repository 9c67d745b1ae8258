//! `POST …/applicationGateways/{name}/backendhealth`: 202 with `Location`; the result (when
//! polled) names each backend server `Up` when a simulated cluster has an internal
//! LoadBalancer Service at that address whose ingress answers the probe over HTTPS with a
//! certificate the settings trust, `Down` otherwise, with Azure's kind of probe log.

use std::net::Ipv4Addr;
use std::sync::Arc;

use axum::http::StatusCode;
use base64::Engine;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmResult, Reply};
use crate::arm::lro::{self, Final, NewOp, OpAction, UrlStyle};
use crate::arm::router::ResPath;
use crate::server::Shared;
use crate::state::State;

use super::super::common;

const INTERNAL: &str = "service.beta.kubernetes.io/azure-load-balancer-internal";
/// Azure takes a few seconds to gather the health.
const HEALTH_SECS: f64 = 5.0;

pub(crate) fn start(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let r = st.get(&p.id()).ok_or_else(|| common::not_found(p))?;
    let id = r.id.clone();
    let location = r.body["location"].as_str().unwrap_or("eastus").to_string();
    // The operation is about the gateway but must not mark it busy: Azure serves reads and
    // health while the gateway runs.
    let op = lro::start(
        ctx,
        st,
        NewOp {
            resource_id: &id,
            kind: super::AGW,
            action: OpAction::Update,
            namespace: super::NS,
            location: &location,
            nominal_secs: HEALTH_SECS,
            style: UrlStyle::Provider,
            on_success: Final::BackendHealth,
            failure: None,
        },
    );
    if let Some(r) = st.get_mut(&id) {
        r.op = None;
    }
    let mut reply = Reply::empty(StatusCode::ACCEPTED);
    for (k, v) in lro::headers(ctx.shared, st, &op, ctx.now(), false, true) {
        reply = reply.header(k, v);
    }
    Ok(reply)
}

/// The backend health of gateway `id` now.
pub(crate) fn report(shared: &Shared, st: &State, id: &str) -> Value {
    let Some(gw) = st.get(id) else {
        return json!({"backendAddressPools": []});
    };
    let props = &gw.body["properties"];
    let by_id = |collection: &str, rid: &str| -> Option<Value> {
        props[collection]
            .as_array()?
            .iter()
            .find(|i| {
                i["id"]
                    .as_str()
                    .is_some_and(|x| x.eq_ignore_ascii_case(rid))
            })
            .cloned()
    };
    let mut pools = Vec::new();
    for pool in props["backendAddressPools"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let pool_id = pool["id"].as_str().unwrap_or_default();
        let settings: Vec<Value> = props["requestRoutingRules"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| {
                r["properties"]["backendAddressPool"]["id"]
                    .as_str()
                    .is_some_and(|x| x.eq_ignore_ascii_case(pool_id))
            })
            .filter_map(|r| r["properties"]["backendHttpSettings"]["id"].as_str())
            .filter_map(|s| by_id("backendHttpSettingsCollection", s))
            .collect();
        let mut entries = Vec::new();
        for s in &settings {
            let probe = s["properties"]["probe"]["id"]
                .as_str()
                .and_then(|p| by_id("probes", p));
            let servers: Vec<Value> = pool["properties"]["backendAddresses"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| server(shared, props, s, probe.as_ref(), a))
                .collect();
            entries.push(json!({"backendHttpSettings": {"id": s["id"]}, "servers": servers}));
        }
        pools.push(json!({
            "backendAddressPool": {"id": pool_id},
            "backendHttpSettingsCollection": entries,
        }));
    }
    json!({ "backendAddressPools": pools })
}

fn server(
    shared: &Shared,
    props: &Value,
    settings: &Value,
    probe: Option<&Value>,
    backend: &Value,
) -> Value {
    let address = backend["ipAddress"]
        .as_str()
        .or_else(|| backend["fqdn"].as_str())
        .unwrap_or_default()
        .to_string();
    let (health, log) = match verdict(shared, props, settings, probe, &address) {
        Ok(status) => ("Up", format!("Success. Received {status} status code")),
        Err(log) => ("Down", log),
    };
    json!({"address": address, "health": health, "healthProbeLog": log})
}

const UNREACHABLE: &str = "Cannot connect to backend server. Check whether any NSG/UDR/Firewall is blocking access to the server. Check if application is running on correct port.";

pub(super) fn verdict(
    shared: &Shared,
    props: &Value,
    settings: &Value,
    probe: Option<&Value>,
    address: &str,
) -> Result<u16, String> {
    let sp = &settings["properties"];
    let ip: Ipv4Addr = address.parse().map_err(|_| UNREACHABLE.to_string())?;
    if !sp["protocol"]
        .as_str()
        .is_some_and(|p| p.eq_ignore_ascii_case("Https"))
    {
        // The simulated ingress answers HTTPS only.
        return Err(UNREACHABLE.into());
    }
    let pp = probe.map(|p| &p["properties"]);
    let host = pp
        .and_then(|p| p["host"].as_str())
        .or_else(|| sp["hostName"].as_str())
        .unwrap_or(address)
        .to_string();
    let path = pp.and_then(|p| p["path"].as_str()).unwrap_or("/");
    let cluster = internal_lb_cluster(shared, ip).ok_or_else(|| UNREACHABLE.to_string())?;
    let (leaf, status, _) = crate::kube::ingress_tls::probe(shared, &cluster, ip, &host, path)
        .ok_or_else(|| UNREACHABLE.to_string())?;
    if !trusted(props, sp, leaf.as_deref(), &host) {
        return Err("The root certificate of the server certificate used by the backend does not match the trusted root certificate added to the application gateway. Ensure that you add the correct root certificate to whitelist the backend.".into());
    }
    if !(200..400).contains(&status.as_u16()) {
        return Err(format!(
            "Received invalid status code: {} in the backend server's HTTP response. As per the health probe configuration, 200-399 is the acceptable status code.",
            status.as_u16()
        ));
    }
    Ok(status.as_u16())
}

/// The cluster with an internal LoadBalancer Service at `ip` (its address assigned).
pub(super) fn internal_lb_cluster(shared: &Shared, ip: Ipv4Addr) -> Option<String> {
    let ks = crate::kube::lock(shared);
    let wanted = ip.to_string();
    ks.clusters.keys().find_map(|c| {
        ks.list(c, "services", None)
            .iter()
            .any(|s| {
                s["spec"]["type"] == "LoadBalancer"
                    && s["metadata"]["annotations"][INTERNAL] == "true"
                    && s["status"]["loadBalancer"]["ingress"][0]["ip"].as_str() == Some(&wanted)
            })
            .then(|| c.clone())
    })
}

/// The settings' trusted root certificates cover the backend's leaf: the leaf itself
/// (self-signed) or its issuing chain, for the probed host name.
pub(super) fn trusted(props: &Value, sp: &Value, leaf: Option<&[u8]>, host: &str) -> bool {
    let Some(leaf) = leaf else { return false };
    // The simulator knows no well-known CA: a backend is trusted through the settings' roots.
    let roots: Vec<Vec<u8>> = sp["trustedRootCertificates"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str())
        .filter_map(|rid| {
            props["trustedRootCertificates"]
                .as_array()?
                .iter()
                .find(|t| {
                    t["id"]
                        .as_str()
                        .is_some_and(|x| x.eq_ignore_ascii_case(rid))
                })
        })
        .filter_map(|t| t["properties"]["data"].as_str())
        .flat_map(der_certificates)
        .collect();
    if roots.iter().any(|r| r.as_slice() == leaf) {
        return true;
    }
    let mut store = rustls::RootCertStore::empty();
    for r in &roots {
        let _ = store.add(CertificateDer::from(r.clone()));
    }
    if store.is_empty() {
        return false;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let Ok(verifier) =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
            .build()
    else {
        return false;
    };
    let Ok(name) = ServerName::try_from(host.to_string()) else {
        return false;
    };
    use rustls::client::danger::ServerCertVerifier;
    verifier
        .verify_server_cert(
            &CertificateDer::from(leaf.to_vec()),
            &[],
            &name,
            &[],
            UnixTime::now(),
        )
        .is_ok()
}

/// A trusted root's `data`: base64 of DER, or of PEM text holding certificates.
fn der_certificates(data: &str) -> Vec<Vec<u8>> {
    use rustls::pki_types::pem::PemObject;
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data.trim()) else {
        return Vec::new();
    };
    if bytes.starts_with(b"-----BEGIN") {
        return CertificateDer::pem_slice_iter(&bytes)
            .filter_map(Result::ok)
            .map(|c| c.to_vec())
            .collect();
    }
    vec![bytes]
}
