//! An install's uploaded certificate (`domain.tls: provided`): checked against the hosts it must
//! serve, stored sealed (certificate and key together), summarised for the pages, and checked
//! again before an install starts. Shared by the wizard, the API and the CLI, like `review`.

use crate::cluster::tls::{self, CERTIFICATE_FIELD, CertificateSummary, KEY_FIELD, TlsError};
use crate::store::{InstallId, SecretName, Store, StoreError};
use katonic_domain::spec::{FieldError, Fqdn, InstallDocument, InstallSpec, SpecErrors, TlsMode};
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

/// Why an upload was not stored.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    /// The certificate or key is refused; each error names its field and the fix.
    #[error(transparent)]
    Invalid(#[from] SpecErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An uploaded certificate as a field error of the spec.
pub fn field_error(e: &TlsError) -> FieldError {
    FieldError {
        field: e.field().to_string(),
        rule: e.rule().to_string(),
        message: e.problem(),
        fix: e.fix(),
    }
}

fn invalid(error: FieldError) -> SpecErrors {
    SpecErrors {
        errors: vec![error],
    }
}

/// Whether the answers ask for an uploaded certificate (`provided` is the spec's default).
pub fn wants_upload(answers: &InstallDocument) -> bool {
    answers
        .domain
        .tls
        .as_deref()
        .is_none_or(|t| TlsMode::parse(t).ok() == Some(TlsMode::Provided))
}

/// The hosts a certificate must cover, from a draft's answers (which may be incomplete
/// elsewhere): the domain and each enabled add-on's host, as the spec derives them.
pub fn hosts_of(answers: &InstallDocument) -> Result<Vec<Fqdn>, FieldError> {
    // A katonic.ai domain (`katonicSubdomain`) is checked like one of the admin's own.
    let katonic = answers.domain.katonic_subdomain.as_deref();
    let fqdn = match (answers.domain.fqdn.as_deref(), katonic) {
        (None, Some(name)) => {
            katonic_domain::spec::katonic_fqdn(name).map_err(|e| e.at("domain.katonicSubdomain"))?
        }
        (fqdn, _) => fqdn
            .ok_or_else(|| FieldError {
                field: "domain.fqdn".into(),
                rule: "required".into(),
                message: "no domain yet: a certificate is checked against the names it must serve"
                    .into(),
                fix: "enter the domain first, then upload its certificate".into(),
            })
            .and_then(|f| Fqdn::parse(f).map_err(|e| e.at("domain.fqdn")))?,
    };
    let mut hosts = vec![fqdn.clone()];
    for (enabled, prefix, field) in [
        (answers.addons.superset, "dash-", "addons.superset"),
        (answers.addons.airbyte, "connectors-", "addons.airbyte"),
    ] {
        if enabled.unwrap_or(false) {
            hosts.push(fqdn.with_prefix(prefix).map_err(|e| e.at(field))?);
        }
    }
    Ok(hosts)
}

/// The hosts of a valid spec.
pub fn hosts_of_spec(spec: &InstallSpec) -> Vec<Fqdn> {
    katonic_domain::plan::names::hosts(spec)
        .into_iter()
        .cloned()
        .collect()
}

/// Check `certificate` and `key` for `hosts`; an empty key keeps the stored one (a renewed
/// certificate for the same key). Nothing is stored.
pub async fn check(
    store: &Store,
    install: Option<InstallId>,
    hosts: &[Fqdn],
    certificate: &str,
    key: Option<SecretString>,
    now: OffsetDateTime,
) -> Result<(tls::TlsMaterial, CertificateSummary), CertificateError> {
    let certificate = pem_text(certificate);
    let mut errors = Vec::new();
    if certificate.trim().is_empty() {
        errors.push(field_error(&TlsError::NoCertificate));
    }
    let key = match (
        key.filter(|k| !k.expose_secret().trim().is_empty()),
        install,
    ) {
        (Some(k), _) => Some(SecretString::from(pem_text(k.expose_secret()))),
        (None, Some(id)) => store.secret(id, SecretName::TlsKey).await?,
        (None, None) => None,
    };
    let Some(key) = key else {
        errors.push(field_error(&TlsError::NoKey));
        return Err(SpecErrors { errors }.into());
    };
    if !errors.is_empty() {
        return Err(SpecErrors { errors }.into());
    }
    let material = tls::check_uploaded(&certificate, key.expose_secret(), hosts, now)
        .map_err(|e| invalid(field_error(&e)))?;
    let summary = tls::summarize(&certificate).map_err(|e| invalid(field_error(&e)))?;
    Ok((material, summary))
}

/// PEM as a file holds it: browsers send a textarea's lines with CRLF, and pasted text gains or
/// loses blank lines at its ends.
fn pem_text(pasted: &str) -> String {
    format!("{}\n", pasted.trim().replace("\r\n", "\n"))
}

/// Store checked material for `install`, sealed.
pub async fn store(
    store: &Store,
    install: InstallId,
    material: &tls::TlsMaterial,
) -> Result<(), StoreError> {
    let certificate = SecretString::from(material.cert_chain_pem.clone());
    store
        .put_secrets(
            install,
            &[
                (SecretName::TlsCertificate, &certificate),
                (SecretName::TlsKey, &material.key_pem),
            ],
        )
        .await
}

/// Check, then store: the upload of the wizard and the API.
pub async fn upload(
    store_: &Store,
    install: InstallId,
    hosts: &[Fqdn],
    certificate: &str,
    key: Option<SecretString>,
    now: OffsetDateTime,
) -> Result<CertificateSummary, CertificateError> {
    let (material, summary) = check(store_, Some(install), hosts, certificate, key, now).await?;
    store(store_, install, &material).await?;
    Ok(summary)
}

/// What the pages show of an install's certificate.
#[derive(Debug, Clone, Default)]
pub struct CertificateStatus {
    /// The stored certificate, if one was uploaded.
    pub summary: Option<CertificateSummary>,
    /// Whether a key is stored with it.
    pub key_stored: bool,
    /// Why the install cannot start with it (none uploaded, expired, or the domain or add-ons
    /// changed since the upload).
    pub problem: Option<FieldError>,
}

/// The stored certificate of `install`, checked against `hosts` at `now`.
pub async fn status(
    store: &Store,
    install: InstallId,
    hosts: Result<&[Fqdn], &FieldError>,
    now: OffsetDateTime,
) -> Result<CertificateStatus, StoreError> {
    let certificate = store.secret(install, SecretName::TlsCertificate).await?;
    let key = store.secret(install, SecretName::TlsKey).await?;
    let summary = certificate
        .as_ref()
        .and_then(|c| tls::summarize(c.expose_secret()).ok());
    let problem = match (&certificate, &key, hosts) {
        (None, _, _) | (_, None, _) => Some(not_uploaded(install)),
        (_, _, Err(e)) => Some(e.clone()),
        (Some(c), Some(k), Ok(hosts)) => {
            tls::check_uploaded(c.expose_secret(), k.expose_secret(), hosts, now)
                .err()
                .map(|e| field_error(&e))
        }
    };
    Ok(CertificateStatus {
        summary,
        key_stored: key.is_some(),
        problem,
    })
}

/// `tls: provided` with nothing uploaded.
pub fn not_uploaded(install: InstallId) -> FieldError {
    FieldError {
        field: CERTIFICATE_FIELD.to_string(),
        rule: "tls.not-uploaded".into(),
        message: "`tls: provided` but no certificate and key are uploaded for this install".into(),
        fix: format!(
            "upload them on the Domain page, with PUT /api/v1/installs/{install}/certificate, or \
             `katonic-console install --tls-cert FILE --tls-key FILE`; or choose `selfSigned` for a trial"
        ),
    }
}

/// Refuse to start an install whose spec wants an uploaded certificate that is missing, expired
/// or no longer covers its hosts.
pub async fn ensure_ready(
    store: &Store,
    install: InstallId,
    spec: &InstallSpec,
    now: OffsetDateTime,
) -> Result<(), CertificateError> {
    if spec.domain.tls != TlsMode::Provided {
        return Ok(());
    }
    let hosts = hosts_of_spec(spec);
    match status(store, install, Ok(&hosts), now).await?.problem {
        Some(problem) => Err(invalid(problem).into()),
        None => Ok(()),
    }
}

/// The field an error of [`check`] belongs to, for the pages.
pub fn is_key_field(e: &FieldError) -> bool {
    e.field == KEY_FIELD
}

impl super::App {
    /// Check an install's uploaded certificate against its hosts, store it sealed, and audit
    /// who did it (the wizard's paste and the API's PUT).
    pub async fn upload_certificate(
        &self,
        by: &super::Actor,
        install: &crate::store::InstallRecord,
        pem: &str,
        key: Option<SecretString>,
    ) -> Result<CertificateSummary, CertificateError> {
        let hosts = hosts_of(&install.answers).map_err(invalid)?;
        let now = OffsetDateTime::now_utc();
        let summary = upload(&self.store, install.id, &hosts, pem, key, now).await?;
        self.audit_upload(by, install.id, &summary.fingerprint)
            .await;
        Ok(summary)
    }

    /// Store material checked already (the CLI checks it before it records the install), and
    /// audit it like an upload.
    pub async fn store_certificate(
        &self,
        by: &super::Actor,
        install: InstallId,
        material: &tls::TlsMaterial,
    ) -> Result<(), CertificateError> {
        store(&self.store, install, material).await?;
        let fingerprint = tls::summarize(&material.cert_chain_pem)
            .map(|s| s.fingerprint)
            .unwrap_or_default();
        self.audit_upload(by, install, &fingerprint).await;
        Ok(())
    }

    async fn audit_upload(&self, by: &super::Actor, install: InstallId, fingerprint: &str) {
        let action = crate::store::AuditAction::CertificateUpload;
        self.audit(by, action, Some(install), fingerprint).await;
    }
}
