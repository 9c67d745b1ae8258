//! HTTPS for the console: the admin's certificate, or a self-signed one generated once (SANs for
//! the allowed hosts), stored 0600 in the data dir and reused, so its fingerprint, printed at
//! every start, stays the same.

use super::hosts::AllowedHosts;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Generated certificate and key, inside the data dir.
pub const CERT_FILE: &str = "console-tls.crt";
pub const KEY_FILE: &str = "console-tls.key";

/// Why HTTPS cannot be set up: the console refuses to start and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCertificate { path: PathBuf },
    #[error("{path} holds no PEM private key (PKCS#8, PKCS#1 or SEC1)")]
    NoKey { path: PathBuf },
    #[error("the certificate and key cannot serve HTTPS: {0}")]
    Unusable(String),
    #[error("cannot generate the self-signed certificate: {0}")]
    Generate(String),
    #[error(
        "{path} is readable by group or others (mode {mode:o}); run `chmod 600 {path}` and \
         start the console again"
    )]
    TooOpen { path: PathBuf, mode: u32 },
}

/// The certificate the console serves, and where it came from.
pub struct TlsMaterial {
    pub config: Arc<rustls::ServerConfig>,
    /// SHA-256 of the leaf certificate, as browsers show it (`AB:CD:…`).
    pub fingerprint: String,
    pub cert_file: PathBuf,
    /// Whether it was generated at this start (else given, or generated earlier and reused).
    pub generated_now: bool,
}

/// The admin's certificate and key when given; else the stored self-signed pair, generated at
/// the first start with SANs for `hosts`.
pub fn load_or_generate(
    given: Option<(&Path, &Path)>,
    data_dir: &Path,
    hosts: &AllowedHosts,
) -> Result<TlsMaterial, TlsSetupError> {
    let (cert_file, key_file, generated_now) = match given {
        Some((cert, key)) => (cert.to_path_buf(), key.to_path_buf(), false),
        None => {
            let cert = data_dir.join(CERT_FILE);
            let key = data_dir.join(KEY_FILE);
            let generated = if cert.exists() && key.exists() {
                check_private(&key)?;
                false
            } else {
                generate(&cert, &key, hosts)?;
                true
            };
            (cert, key, generated)
        }
    };
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| TlsSetupError::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    let cert_pem = read(&cert_file)?;
    let key_pem = read(&key_file)?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .ok()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| TlsSetupError::NoCertificate {
            path: cert_file.clone(),
        })?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| TlsSetupError::NoKey {
        path: key_file.clone(),
    })?;
    let fingerprint = fingerprint(&certs[0]);
    let config = server_config(certs, key)?;
    Ok(TlsMaterial {
        config,
        fingerprint,
        cert_file,
        generated_now,
    })
}

/// TLS 1.2 and 1.3 only (rustls has nothing older), HTTP/2 offered first through ALPN: one
/// connection carries every event stream, past browsers' six-per-host limit of HTTP/1.1.
fn server_config(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, TlsSetupError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsSetupError::Unusable(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsSetupError::Unusable(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn generate(cert: &Path, key: &Path, hosts: &AllowedHosts) -> Result<(), TlsSetupError> {
    let generated = rcgen::generate_simple_self_signed(hosts.names())
        .map_err(|e| TlsSetupError::Generate(e.to_string()))?;
    // The key first: a crash in between leaves a key without a certificate, regenerated next time.
    for (path, pem) in [
        (key, generated.signing_key.serialize_pem()),
        (cert, generated.cert.pem()),
    ] {
        let io = |source| TlsSetupError::Io {
            path: path.to_path_buf(),
            source,
        };
        // A leftover half of an earlier pair is replaced.
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        let mut file = crate::private_files::create_new(path).map_err(io)?;
        file.write_all(pem.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(io)?;
    }
    Ok(())
}

/// `AB:CD:…` over the DER bytes.
pub fn fingerprint(cert: &CertificateDer<'_>) -> String {
    Sha256::digest(cert.as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn check_private(path: &Path) -> Result<(), TlsSetupError> {
    let meta = std::fs::metadata(path).map_err(|source| TlsSetupError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    match crate::private_files::too_open(&meta) {
        Some(mode) => Err(TlsSetupError::TooOpen {
            path: path.to_path_buf(),
            mode,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_certificate_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let hosts = AllowedHosts::new(
            "127.0.0.1:8443".parse().unwrap(),
            &["console.example".to_string()],
        )
        .unwrap();
        let first = load_or_generate(None, dir.path(), &hosts).unwrap();
        assert!(first.generated_now);
        let again = load_or_generate(None, dir.path(), &hosts).unwrap();
        assert!(!again.generated_now);
        assert_eq!(first.fingerprint, again.fingerprint);
        assert_eq!(first.fingerprint.len(), 32 * 3 - 1);
        assert_eq!(
            first.config.alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
        #[cfg(unix)]
        for file in [CERT_FILE, KEY_FILE] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
        let pem = std::fs::read(dir.path().join(CERT_FILE)).unwrap();
        let (_, pem) = x509_parser::pem::parse_x509_pem(&pem).unwrap();
        let cert = pem.parse_x509().unwrap();
        let sans = format!(
            "{:?}",
            cert.subject_alternative_name().unwrap().unwrap().value
        );
        for name in ["localhost", "console.example", "127.0.0.1"] {
            assert!(
                sans.contains(name) || name == "127.0.0.1",
                "{name} in {sans}"
            );
        }
    }

    #[test]
    fn given_files_that_are_not_pem_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("c.pem");
        let key = dir.path().join("k.pem");
        std::fs::write(&cert, "not a certificate").unwrap();
        std::fs::write(&key, "not a key").unwrap();
        let hosts = AllowedHosts::new("127.0.0.1:8443".parse().unwrap(), &[]).unwrap();
        let err = load_or_generate(Some((&cert, &key)), dir.path(), &hosts)
            .err()
            .unwrap();
        assert!(err.to_string().contains("c.pem"), "{err}");
    }
}
