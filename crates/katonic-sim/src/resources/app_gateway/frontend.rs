//! The gateway's data plane: once a gateway is provisioned, HTTPS at each frontend address
//! (its public IP's address, or its private address at a loopback alias) on the simulator's
//! ingress port, and plain HTTP on its HTTP port (Azure's 443 and 80). TLS ends with the certificate of the listener whose host name is the SNI (the
//! uploaded PFX, read with its password, in memory only); a request is routed by its rule: a
//! redirect answers it, a backend answers through the cluster's ingress when the backend is
//! healthy, else 502 as Application Gateway does.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Weak};

use axum::extract::{Request, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use serde_json::Value;

use crate::server::Shared;
use crate::state::State;

/// Frontend listeners by address: (gateway id, HTTPS and HTTP server handles).
pub(crate) type Listeners = BTreeMap<Ipv4Addr, (String, Vec<axum_server::Handle<SocketAddr>>)>;

/// The frontend addresses of provisioned gateways, with the gateway's id.
fn frontends(st: &State) -> Vec<(Ipv4Addr, String)> {
    let mut out = Vec::new();
    for gw in st.of_kind(super::AGW) {
        if crate::resources::common::provisioning_state(&gw.body) != Some("Succeeded") {
            continue;
        }
        for f in gw.body["properties"]["frontendIPConfigurations"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let p = &f["properties"];
            let address = match p["publicIPAddress"]["id"].as_str() {
                Some(pip) => st.get(pip).and_then(|r| {
                    r.body["properties"]["ipAddress"]
                        .as_str()
                        .map(str::to_string)
                }),
                None => p["privateIPAddress"].as_str().map(str::to_string),
            };
            if let Some(ip) = address.and_then(|a| a.parse().ok()) {
                out.push((ip, gw.id.clone()));
            }
        }
    }
    out
}

/// Serve the frontends of provisioned gateways; stop those of gateways gone or changed.
pub(crate) fn sync(shared: &Arc<Shared>) {
    let wanted = frontends(&shared.lock());
    let mut listeners = shared
        .gateway_listeners
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    listeners.retain(|ip, (gw, handles)| {
        let keep = wanted.iter().any(|(w, g)| w == ip && g == gw);
        if !keep {
            handles.iter().for_each(|h| h.shutdown());
        }
        keep
    });
    for (ip, gw) in wanted {
        if listeners.contains_key(&ip) {
            continue;
        }
        let at = shared.loopback_for(ip);
        let addr = SocketAddr::from((at, shared.ingress_port));
        let plain = SocketAddr::from((at, shared.ingress_http_port));
        match listen(shared, &gw, addr, "Https")
            .and_then(|h| Ok(vec![h, listen(shared, &gw, plain, "Http")?]))
        {
            Ok(handles) => {
                listeners.insert(ip, (gw, handles));
            }
            Err(e) => tracing::warn!(%addr, error = %e, "cannot serve the gateway's frontend"),
        }
    }
}

#[derive(Clone)]
struct Site {
    shared: Weak<Shared>,
    gateway: String,
    /// The listener's protocol: `Https` or `Http`.
    protocol: &'static str,
}

impl Site {
    /// The gateway's stored body (no secrets in it).
    fn body(&self) -> Option<(Arc<Shared>, Value)> {
        let shared = self.shared.upgrade()?;
        let body = shared.lock().get(&self.gateway)?.body.clone();
        Some((shared, body))
    }
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site")
            .field("gateway", &self.gateway)
            .finish()
    }
}

fn host_matches(listener: &Value, host: &str) -> bool {
    let p = &listener["properties"];
    let mut names: Vec<&str> = p["hostNames"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    names.extend(p["hostName"].as_str());
    names.is_empty() || names.iter().any(|n| n.eq_ignore_ascii_case(host))
}

/// The `protocol` (`Https`, `Http`) listener for `host`: one naming it before a basic (no host
/// name) one.
fn listener_for<'a>(props: &'a Value, host: &str, protocol: &str) -> Option<&'a Value> {
    let https: Vec<&Value> = props["httpListeners"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| l["properties"]["protocol"] == protocol && host_matches(l, host))
        .collect();
    https
        .iter()
        .find(|l| !l["properties"]["hostName"].is_null() || !l["properties"]["hostNames"].is_null())
        .or(https.first())
        .copied()
}

/// The uploaded certificate of the listener for `host`, read from its PFX.
fn certificate(site: &Site, host: &str) -> Option<Arc<CertifiedKey>> {
    let (shared, body) = site.body()?;
    certificate_in(&shared, &site.gateway, &body, host)
}

fn certificate_in(
    shared: &Shared,
    gateway: &str,
    body: &Value,
    host: &str,
) -> Option<Arc<CertifiedKey>> {
    let listener = listener_for(&body["properties"], host, "Https")?;
    let cert_id = listener["properties"]["sslCertificate"]["id"].as_str()?;
    let name = cert_id.rsplit('/').next()?;
    let secrets = shared
        .gateway_secrets
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&gateway.to_ascii_lowercase())
        .cloned()?;
    let uploaded = secrets
        .certificates
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(name))?;
    super::secrets::certified_key(uploaded)
}

struct Resolver(Site);

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Resolver").field(&self.0).finish()
    }
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        certificate(&self.0, hello.server_name()?)
    }
}

/// The frontend's listener for `protocol` (`Https` with the listeners' certificates chosen by
/// SNI, or plain `Http`), answering by the gateway's rules.
fn listen(
    shared: &Arc<Shared>,
    gateway: &str,
    addr: SocketAddr,
    protocol: &'static str,
) -> Result<axum_server::Handle<SocketAddr>, String> {
    let site = Site {
        shared: Arc::downgrade(shared),
        gateway: gateway.to_string(),
        protocol,
    };
    let app = axum::Router::new()
        .fallback(answer)
        .with_state(site.clone());
    if protocol == "Https" {
        crate::tls::serve_sni(addr, Arc::new(Resolver(site)), app, "gateway frontend")
    } else {
        crate::tls::serve_plain(addr, app, "gateway HTTP frontend")
    }
}

const BAD_GATEWAY: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Microsoft-Azure-Application-Gateway/v2</center>\r\n</body>\r\n</html>\r\n";

fn by_id<'a>(props: &'a Value, collection: &str, id: &Value) -> Option<&'a Value> {
    let id = id["id"].as_str()?;
    props[collection]
        .as_array()?
        .iter()
        .find(|i| i["id"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(id)))
}

async fn answer(AxState(site): AxState<Site>, req: Request) -> Response {
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h).to_ascii_lowercase())
        .unwrap_or_default();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let Some((shared, body)) = site.body() else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let request = Asked {
        host: &host,
        path: &path,
        query: query.as_deref(),
        protocol: site.protocol,
    };
    match route(&shared, &body["properties"], &request) {
        Ok(answer) => answer.into_response(),
        Err(redirect) => *redirect,
    }
}

/// A request as the gateway routes it.
struct Asked<'a> {
    host: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    /// Of the listener it came to: `Https` or `Http`.
    protocol: &'a str,
}

/// What the gateway answers a request with: the backend's answer (or 502, 404), or a redirect
/// (`Err`, a whole response, boxed: it is large).
fn route(
    shared: &Shared,
    props: &Value,
    asked: &Asked<'_>,
) -> Result<(StatusCode, String), Box<Response>> {
    let host = asked.host.to_string();
    let path = asked.path.to_string();
    let not_found = |what: &str| Ok((StatusCode::NOT_FOUND, format!("no {what}\n")));
    let Some(listener) = listener_for(props, &host, asked.protocol) else {
        return not_found("listener for this host");
    };
    let rule = props["requestRoutingRules"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["properties"]["httpListener"]["id"] == listener["id"]);
    let Some(rule) = rule.map(|r| &r["properties"]) else {
        return not_found("rule for this listener");
    };
    if let Some(redirect) = by_id(
        props,
        "redirectConfigurations",
        &rule["redirectConfiguration"],
    ) {
        return Err(Box::new(redirect_answer(props, redirect, asked)));
    }
    let (Some(pool), Some(settings)) = (
        by_id(props, "backendAddressPools", &rule["backendAddressPool"]),
        by_id(
            props,
            "backendHttpSettingsCollection",
            &rule["backendHttpSettings"],
        ),
    ) else {
        return Ok((StatusCode::BAD_GATEWAY, BAD_GATEWAY.to_string()));
    };
    let probe = by_id(props, "probes", &settings["properties"]["probe"]);
    for backend in pool["properties"]["backendAddresses"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let Some(address) = backend["ipAddress"].as_str() else {
            continue;
        };
        if super::health::verdict(shared, props, settings, probe, address).is_err() {
            continue;
        }
        let Ok(ip) = address.parse::<Ipv4Addr>() else {
            continue;
        };
        let Some(cluster) = super::health::internal_lb_cluster(shared, ip) else {
            continue;
        };
        let backend_host = settings["properties"]["hostName"]
            .as_str()
            .unwrap_or(&host)
            .to_string();
        if let Some((leaf, status, text)) =
            crate::kube::ingress_tls::probe(shared, &cluster, ip, &backend_host, &path)
        {
            // v2 checks each request's backend certificate against the trusted roots and the
            // host name it sent (SNI), as the probe does: a host the ingress has no certificate
            // for gets its default one, so 502.
            if !super::health::trusted(
                props,
                &settings["properties"],
                leaf.as_deref(),
                &backend_host,
            ) {
                return Ok((StatusCode::BAD_GATEWAY, BAD_GATEWAY.to_string()));
            }
            return Ok((status, text));
        }
    }
    Ok((StatusCode::BAD_GATEWAY, BAD_GATEWAY.to_string()))
}

/// A request to a gateway's frontend from inside a cluster (`curl` in a Run Command pod): the
/// certificate the listener for `host` serves, the status and the body, or `None` when no
/// provisioned gateway has a frontend at `ip`. A pod reaches a private frontend in its VNet and
/// a public one through its outbound path, as in Azure.
pub(crate) fn probe(
    shared: &Shared,
    ip: Ipv4Addr,
    host: &str,
    path: &str,
) -> Option<(Option<Vec<u8>>, StatusCode, String)> {
    let (gateway, body) = {
        let st = shared.lock();
        let gateway = frontends(&st)
            .into_iter()
            .find(|(address, _)| *address == ip)?
            .1;
        let body = st.get(&gateway)?.body.clone();
        (gateway, body)
    };
    let leaf = certificate_in(shared, &gateway, &body, host)
        .and_then(|ck| ck.cert.first().map(|c| c.to_vec()));
    let asked = Asked {
        host,
        path,
        query: None,
        protocol: "Https",
    };
    let (status, text) = match route(shared, &body["properties"], &asked) {
        Ok(answer) => answer,
        Err(redirect) => (redirect.status(), String::new()),
    };
    Some((leaf, status, text))
}

/// A plain-HTTP request to a gateway's frontend from inside a cluster (`curl http://` in a Run
/// Command pod): the status, the `Location` of a redirect and the body, or `None` when no
/// provisioned gateway has a frontend at `ip`. `path` may carry a query.
pub(crate) fn probe_http(
    shared: &Shared,
    ip: Ipv4Addr,
    host: &str,
    path: &str,
) -> Option<(StatusCode, Option<String>, String)> {
    let body = {
        let st = shared.lock();
        let gateway = frontends(&st)
            .into_iter()
            .find(|(address, _)| *address == ip)?
            .1;
        st.get(&gateway)?.body.clone()
    };
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let asked = Asked {
        host,
        path,
        query,
        protocol: "Http",
    };
    Some(match route(shared, &body["properties"], &asked) {
        Ok((status, text)) => (status, None, text),
        Err(redirect) => {
            let location = redirect
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .map(str::to_string);
            (redirect.status(), location, String::new())
        }
    })
}

/// A redirect configuration's answer: its status and `Location`, the path and query kept as
/// `includePath` and `includeQueryString` say.
fn redirect_answer(props: &Value, redirect: &Value, asked: &Asked<'_>) -> Response {
    let host = asked.host;
    let r = &redirect["properties"];
    let status = match r["redirectType"].as_str().unwrap_or("Permanent") {
        "Found" => StatusCode::FOUND,
        "SeeOther" => StatusCode::SEE_OTHER,
        "Temporary" => StatusCode::TEMPORARY_REDIRECT,
        _ => StatusCode::MOVED_PERMANENTLY,
    };
    let base = match r["targetUrl"].as_str() {
        Some(url) => url.to_string(),
        None => {
            let target = by_id(props, "httpListeners", &r["targetListener"]);
            let https = target.is_some_and(|t| t["properties"]["protocol"] == "Https");
            format!("{}://{host}", if https { "https" } else { "http" })
        }
    };
    let mut location = if r["includePath"] == true {
        format!("{base}{}", asked.path)
    } else {
        base
    };
    if let (true, Some(q)) = (r["includeQueryString"] == true, asked.query) {
        location = format!("{location}?{q}");
    }
    Response::builder()
        .status(status)
        .header("location", location)
        .body(axum::body::Body::empty())
        .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}
