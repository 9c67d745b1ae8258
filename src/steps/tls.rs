//! The `tls` step for an uploaded certificate (`domain.tls: provided`): the sealed certificate
//! and key are opened, checked again (a certificate may have expired, or the hosts changed,
//! since the upload), and applied as the same `kubernetes.io/tls` Secret the trial certificate
//! uses. `acme` is not built yet: it still goes to the other executor (a note in `mod.rs`).

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::cluster::{apply_tls_secret, connect, host_list};
use crate::azure::ArmClient;
use crate::cluster::tls;
use crate::worker::{StepContext, StepError};

pub async fn tls_provided(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let hosts = katonic_domain::plan::names::hosts(&ctx.spec)
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    let now = time::OffsetDateTime::now_utc();
    let material = uploaded(ctx, &hosts, now).await?;
    let summary = tls::summarize(&material.cert_chain_pem).map_err(|e| {
        StepError::terminal("CertificateUnreadable", e.to_string(), upload_hint(ctx))
    })?;
    if tls::expires_soon(&material, now) {
        ctx.log(
            crate::events::Level::Warn,
            format!(
                "the uploaded certificate expires on {}: renew it soon",
                crate::format::timestamp(material.not_after)
            ),
        )
        .await?;
    }
    let reach = connect(ctx, arm).await?;
    ctx.guard()?;
    let applied = apply_tls_secret(&reach, &material).await?;
    ctx.progress(format!(
        "{applied}: the uploaded certificate for {} (issuer {}, valid until {}, SHA-256 {})",
        host_list(&hosts),
        summary.issuer,
        crate::format::timestamp(material.not_after),
        summary.fingerprint
    ))
    .await?;
    Ok(json!({
        "selfSigned": false,
        "notAfter": crate::format::timestamp(material.not_after),
        "fingerprint": summary.fingerprint,
    }))
}

fn upload_hint(ctx: &StepContext) -> String {
    format!(
        "Upload the certificate and key (PUT /api/v1/installs/{}/certificate), then retry step {}.",
        ctx.install, ctx.step
    )
}

/// The uploaded certificate and key, opened and checked again (a certificate may have expired,
/// or the hosts changed, since the upload).
pub(super) async fn uploaded(
    ctx: &StepContext,
    hosts: &[katonic_domain::spec::Fqdn],
    now: time::OffsetDateTime,
) -> Result<tls::TlsMaterial, StepError> {
    let Some((certificate, key)) = ctx.uploaded_certificate().await? else {
        return Err(StepError::terminal(
            "CertificateNotUploaded",
            "`tls: provided` but no certificate and key are stored for this install",
            upload_hint(ctx),
        ));
    };
    tls::check_uploaded(certificate.expose_secret(), key.expose_secret(), hosts, now).map_err(|e| {
        StepError::terminal(
            &format!("Certificate{}", code_suffix(&e)),
            e.to_string(),
            format!("{} {}", capitalised(&e.fix()), upload_hint(ctx)),
        )
    })
}

/// The trial certificate kept for this install behind an Application Gateway: the gateway
/// serves it and trusts it as the backend's root, and the cluster serves the same one. Made
/// once (the first of the gateway and tls steps to need it keeps it; the other reads it), and
/// made again only when it no longer covers the hosts or expires soon.
pub(super) async fn trial_certificate(
    ctx: &StepContext,
    hosts: &[katonic_domain::spec::Fqdn],
    now: time::OffsetDateTime,
) -> Result<tls::TlsMaterial, StepError> {
    let kept = |pair: Option<(secrecy::SecretString, secrecy::SecretString)>| {
        pair.and_then(|(c, k)| {
            tls::check_uploaded(c.expose_secret(), k.expose_secret(), hosts, now).ok()
        })
        .filter(|m| !tls::expires_soon(m, now))
        .map(|m| tls::TlsMaterial {
            self_signed: true,
            ..m
        })
    };
    let existing = ctx.trial_certificate().await?;
    let stale = existing.is_some();
    if let Some(material) = kept(existing) {
        return Ok(material);
    }
    let made = tls::self_signed(hosts, now).map_err(|e| {
        StepError::terminal("CertificateGeneration", e.to_string(), "Retry the step.")
    })?;
    let chain = secrecy::SecretString::from(made.cert_chain_pem.clone());
    ctx.keep_trial_certificate(&chain, &made.key_pem, stale)
        .await?;
    kept(ctx.trial_certificate().await?).ok_or_else(|| {
        StepError::retryable(
            "TrialCertificateRace",
            "the kept trial certificate does not serve every host yet",
            None,
        )
    })
}

/// `Expired`, `HostsNotCovered`, …: the error's rule as a step error code.
fn code_suffix(e: &tls::TlsError) -> String {
    e.rule()
        .trim_start_matches("tls.")
        .split('-')
        .map(capitalised)
        .collect()
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_read_like_the_other_step_codes() {
        assert_eq!(code_suffix(&tls::TlsError::Expired("x".into())), "Expired");
        assert_eq!(code_suffix(&tls::TlsError::KeyMismatch), "KeyMismatch");
        assert_eq!(capitalised("renew it"), "Renew it");
    }
}
