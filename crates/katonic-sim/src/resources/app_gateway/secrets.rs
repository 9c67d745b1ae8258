//! Uploaded certificates (`sslCertificates[].properties.data` and `password`): split from the
//! request before anything is stored, kept in memory for the gateway's listeners, and redacted
//! from the request log and recordings (`redact_request`).

use std::sync::Arc;

use base64::Engine;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::CertifiedKey;
use serde_json::{Value, json};

use crate::server::Shared;

/// One uploaded certificate: the PFX (base64, as sent) and its password.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
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

/// Whether `uploaded` are the certificates already kept for the gateway.
pub(super) fn unchanged(shared: &Shared, gateway_id: &str, uploaded: &[Uploaded]) -> bool {
    if uploaded.is_empty() {
        return true;
    }
    let kept = shared
        .gateway_secrets
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&gateway_id.to_ascii_lowercase())
        .map(|s| s.certificates.clone())
        .unwrap_or_default();
    kept.len() == uploaded.len()
        && kept.iter().zip(uploaded).all(|(a, b)| {
            a.name == b.name && a.pfx_base64 == b.pfx_base64 && a.password == b.password
        })
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
    persist(shared);
}

/// The file beside `state.json` where the simulator keeps uploaded certificates across its
/// restarts, as Azure keeps them: mode 0600 like `state.json`, never in `state.json` itself, the
/// request log or recordings (a rehearsal's console restarts its in-process simulator, and a
/// gateway must still answer with its certificate afterwards).
const FILE: &str = "gateway-certificates.json";

fn file(shared: &Shared) -> Option<std::path::PathBuf> {
    shared.kube_file.parent().map(|dir| dir.join(FILE))
}

/// Write every gateway's certificates (after a change).
pub(crate) fn persist(shared: &Shared) {
    let Some(path) = file(shared) else { return };
    let all = shared
        .gateway_secrets
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let written = serde_json::to_vec(&all)
        .map_err(|e| e.to_string())
        .and_then(|bytes| {
            crate::state::write_atomic(&path, &bytes, true).map_err(|e| e.to_string())
        });
    if let Err(error) = written {
        tracing::warn!(%error, "the gateways' certificates were not saved");
    }
}

/// The certificates kept before a restart (none when the file is missing or unreadable).
pub(crate) fn load(dir: &std::path::Path) -> std::collections::BTreeMap<String, Secrets> {
    std::fs::read(dir.join(FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
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

/// PBES2 (`1.2.840.113549.1.5.13`), the AES-based PKCS#12 encryption OpenSSL 3 writes by default.
const PBES2_OID: [u8; 11] = [
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d,
];

/// Why an uploaded PFX cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PfxProblem {
    #[error("it is not base64")]
    NotBase64,
    #[error(
        "it is encrypted with PBES2/AES, which Application Gateway refuses as an incorrect password: export it with the legacy suite (openssl pkcs12 -export -legacy)"
    )]
    Aes,
    #[error("it cannot be read with the given password")]
    Unreadable,
    #[error("it holds no private key with its certificate")]
    NoKey,
}

/// The certificate chain (DER, leaf first) and PKCS#8 key of a PFX, read as Azure reads it.
pub(crate) fn read_pfx(
    pfx_base64: &str,
    password: &str,
) -> Result<(Vec<Vec<u8>>, Vec<u8>), PfxProblem> {
    let der = base64::engine::general_purpose::STANDARD
        .decode(pfx_base64.trim())
        .map_err(|_| PfxProblem::NotBase64)?;
    if der.windows(PBES2_OID.len()).any(|w| w == PBES2_OID) {
        return Err(PfxProblem::Aes);
    }
    let store = p12_keystore::KeyStore::from_pkcs12(
        &der,
        password,
        p12_keystore::Pkcs12ImportPolicy::Strict,
    )
    .map_err(|_| PfxProblem::Unreadable)?;
    let (_, chain) = store.private_key_chain().ok_or(PfxProblem::NoKey)?;
    let certs: Vec<Vec<u8>> = chain.certs().iter().map(|c| c.as_der().to_vec()).collect();
    if certs.is_empty() {
        return Err(PfxProblem::NoKey);
    }
    Ok((certs, chain.key().as_der().to_vec()))
}

/// A TLS server key from an uploaded certificate.
pub(crate) fn certified_key(u: &Uploaded) -> Option<Arc<CertifiedKey>> {
    let (certs, key) = read_pfx(&u.pfx_base64, &u.password).ok()?;
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let signing = provider
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)))
        .ok()?;
    let chain = certs.into_iter().map(CertificateDer::from).collect();
    Some(Arc::new(CertifiedKey::new(chain, signing)))
}
