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
    let upload_hint = format!(
        "Upload the certificate and key (PUT /api/v1/installs/{}/certificate), then retry step tls.",
        ctx.install
    );
    let Some((certificate, key)) = ctx.uploaded_certificate().await? else {
        return Err(StepError::terminal(
            "CertificateNotUploaded",
            "`tls: provided` but no certificate and key are stored for this install",
            upload_hint,
        ));
    };
    let hosts = katonic_domain::plan::names::hosts(&ctx.spec)
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    let now = time::OffsetDateTime::now_utc();
    let material = tls::check_uploaded(
        certificate.expose_secret(),
        key.expose_secret(),
        &hosts,
        now,
    )
    .map_err(|e| {
        StepError::terminal(
            &format!("Certificate{}", code_suffix(&e)),
            e.to_string(),
            format!("{} {upload_hint}", capitalised(&e.fix())),
        )
    })?;
    let summary = tls::summarize(&material.cert_chain_pem).map_err(|e| {
        StepError::terminal("CertificateUnreadable", e.to_string(), upload_hint.clone())
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
