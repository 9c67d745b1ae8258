//! Uploaded certificates (`sslCertificates[].properties.data` and `password`): split from the
//! request before anything is stored, kept in memory for the gateway's listeners, and redacted
//! from the request log and recordings (`redact_request`).

use serde_json::{Value, json};

use crate::server::Shared;

/// One uploaded certificate: the PFX (base64, as sent) and its password.
// Read by the gateway's frontend listener (its data plane), which is not served yet.
#[allow(dead_code)]
#[derive(Clone)]
pub(crate) struct Uploaded {
    pub name: String,
    pub pfx_base64: String,
    pub password: String,
}

impl std::fmt::Debug for Uploaded {
    // Hand-written: the PFX and its password never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploaded")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A gateway's uploaded certificates, by certificate name.
#[allow(dead_code)]
#[derive(Debug, Clone, Default)]
pub(crate) struct Secrets {
    pub certificates: Vec<Uploaded>,
}

const SECRET_FIELDS: [&str; 2] = ["data", "password"];

/// The request without secrets (what is stored and compared), and the secrets it carried.
pub(super) fn split(request: &Value) -> (Value, Vec<Uploaded>) {
    let mut redacted = request.clone();
    let mut uploaded = Vec::new();
    let certs = redacted
        .pointer_mut("/properties/sslCertificates")
        .and_then(Value::as_array_mut);
    for c in certs.into_iter().flatten() {
        let name = c["name"].as_str().unwrap_or_default().to_string();
        let props = &mut c["properties"];
        if let (Some(data), Some(password)) = (props["data"].as_str(), props["password"].as_str()) {
            uploaded.push(Uploaded {
                name,
                pfx_base64: data.to_string(),
                password: password.to_string(),
            });
        }
        if let Some(p) = props.as_object_mut() {
            for f in SECRET_FIELDS {
                p.remove(f);
            }
        }
    }
    (redacted, uploaded)
}

/// Keep a gateway's certificates (an update without new data keeps the earlier ones).
pub(super) fn keep(shared: &Shared, gateway_id: &str, uploaded: Vec<Uploaded>) {
    if uploaded.is_empty() {
        return;
    }
    shared
        .gateway_secrets
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(
            gateway_id.to_ascii_lowercase(),
            Secrets {
                certificates: uploaded,
            },
        );
}

/// A gateway PUT's body as the request log and recordings show it: certificate data and
/// passwords replaced. `None` when the body is not JSON.
pub(crate) fn redact_request(body: &[u8]) -> Option<Value> {
    let mut v: Value = serde_json::from_slice(body).ok()?;
    let certs = v
        .pointer_mut("/properties/sslCertificates")
        .and_then(Value::as_array_mut);
    for c in certs.into_iter().flatten() {
        if let Some(p) = c.get_mut("properties").and_then(Value::as_object_mut) {
            for f in SECRET_FIELDS {
                if p.contains_key(f) {
                    p.insert(f.into(), json!("[redacted]"));
                }
            }
        }
    }
    Some(v)
}
