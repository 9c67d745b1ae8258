//! The stored gateway: the request's properties with each child given its `id`, `etag`, `type`
//! and `provisioningState`, a redirect's `requestRoutingRules`, certificates without
//! `data`/`password` but with `publicCertData`, and the collections Azure answers when empty.

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::state::Resource;

/// Child collections and the type segment Azure gives their items.
const CHILDREN: [&str; 14] = [
    "gatewayIPConfigurations",
    "authenticationCertificates",
    "trustedRootCertificates",
    "trustedClientCertificates",
    "sslCertificates",
    "frontendIPConfigurations",
    "frontendPorts",
    "probes",
    "backendAddressPools",
    "backendHttpSettingsCollection",
    "httpListeners",
    "requestRoutingRules",
    "redirectConfigurations",
    "urlPathMaps",
];

/// Collections Azure answers even when empty.
const ALWAYS: [&str; 12] = [
    "gatewayIPConfigurations",
    "sslCertificates",
    "frontendIPConfigurations",
    "frontendPorts",
    "backendAddressPools",
    "backendHttpSettingsCollection",
    "httpListeners",
    "urlPathMaps",
    "requestRoutingRules",
    "probes",
    "rewriteRuleSets",
    "redirectConfigurations",
];

pub(super) fn build(
    id: &str,
    name: &str,
    location: &str,
    request: &Value,
    existing: Option<&Resource>,
) -> Value {
    let mut props = request["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for c in ALWAYS {
        props.entry(c).or_insert_with(|| json!([]));
    }
    for c in CHILDREN {
        if let Some(items) = props.get_mut(c).and_then(Value::as_array_mut) {
            for item in items {
                child(id, c, item);
            }
        }
    }
    certificates(&mut props);
    back_references(&mut props);
    props.insert("provisioningState".into(), json!("Updating"));
    props.insert(
        "resourceGuid".into(),
        json!(crate::resources::common::resource_guid(existing)),
    );
    let mut gw = json!({
        "name": name,
        "id": id,
        "type": super::AGW,
        "location": location,
        "properties": Value::Object(props),
    });
    for k in ["zones", "identity"] {
        if let Some(v) = request.get(k).filter(|v| !v.is_null()) {
            gw[k] = v.clone();
        }
    }
    gw
}

fn child(gateway_id: &str, collection: &str, item: &mut Value) {
    let name = item["name"].as_str().unwrap_or_default().to_string();
    item["id"] = json!(format!("{gateway_id}/{collection}/{name}"));
    item["etag"] = json!(crate::resources::common::etag());
    item["type"] = json!(format!("{}/{collection}", super::AGW));
    if !item["properties"].is_object() {
        item["properties"] = json!({});
    }
    // Redirect configurations have no provisioning state in the spec.
    if collection != "redirectConfigurations" {
        item["properties"]["provisioningState"] = json!("Succeeded");
    }
}

/// Azure answers `publicCertData` for an uploaded PFX and never its `data` or `password`.
/// The simulator does not parse PKCS#12: its `publicCertData` is a stand-in derived from the
/// certificate's name and size, not the certificate.
fn certificates(props: &mut Map<String, Value>) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let certs = props
        .get_mut("sslCertificates")
        .and_then(Value::as_array_mut);
    for c in certs.into_iter().flatten() {
        let name = c["name"].as_str().unwrap_or_default().to_string();
        let p = &mut c["properties"];
        let size = p["data"].as_str().map(str::len).unwrap_or(0);
        if let Some(o) = p.as_object_mut() {
            o.remove("data");
            o.remove("password");
        }
        if p["keyVaultSecretId"].is_null() {
            p["publicCertData"] = json!(b64.encode(format!("katonic-sim:{name}:{size}")));
        }
    }
}

/// `target` items referenced by `source` items through `field` get `back` listing them.
fn link(props: &mut Map<String, Value>, source: &str, field: &str, target: &str, back: &str) {
    let sources: Vec<(String, String)> = props
        .get(source)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| {
            let referenced = s["properties"][field]["id"].as_str()?;
            Some((
                referenced.to_ascii_lowercase(),
                s["id"].as_str()?.to_string(),
            ))
        })
        .collect();
    let items = props.get_mut(target).and_then(Value::as_array_mut);
    for t in items.into_iter().flatten() {
        let tid = t["id"].as_str().unwrap_or_default().to_ascii_lowercase();
        let refs: Vec<Value> = sources
            .iter()
            .filter(|(r, _)| *r == tid)
            .map(|(_, s)| json!({"id": s}))
            .collect();
        if !refs.is_empty() {
            t["properties"][back] = Value::Array(refs);
        }
    }
}

/// Azure also answers back-references the spec does not have (a frontend's `httpListeners`, a
/// pool's `requestRoutingRules`); only the spec's one is answered, so answers stay valid and a
/// GET can be PUT back.
fn back_references(props: &mut Map<String, Value>) {
    let rules = "requestRoutingRules";
    link(
        props,
        rules,
        "redirectConfiguration",
        "redirectConfigurations",
        rules,
    );
}
