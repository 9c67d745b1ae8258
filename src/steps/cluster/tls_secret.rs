//! The platform's TLS secret: read, applied, and a trial certificate kept while it serves.

use k8s_openapi::api::core::v1::Secret;
use serde_json::{Value, json};

use super::{connect, kube_error};
use crate::azure::ArmClient;
use crate::cluster::apply::Applied;
use crate::cluster::manifests::{self};
use crate::cluster::reach::ClusterReach;
use crate::worker::{StepContext, StepError};

/// The platform's TLS secret as the cluster has it now, if any.
pub(in crate::steps) async fn read_tls_secret(
    reach: &ClusterReach,
) -> Result<Option<Secret>, StepError> {
    match reach {
        ClusterReach::Direct(_) => reach
            .get::<Secret>(manifests::PLATFORM_NAMESPACE, manifests::TLS_SECRET)
            .await
            .map_err(kube_error),
        // Its labels and certificate only: a command's output is kept by Azure as the command
        // result, so the private key is never read back through Run Command.
        ClusterReach::RunCommand(rc) => rc
            .secret_certificate(manifests::PLATFORM_NAMESPACE, manifests::TLS_SECRET)
            .await
            .map_err(kube_error),
    }
}

/// The platform certificate as the TLS secret every Ingress uses. A trial (self-signed)
/// certificate is generated once and kept while it still covers every host for more than
/// [`tls::EXPIRY_WARNING_DAYS`](crate::cluster::tls::EXPIRY_WARNING_DAYS) days, so a re-run
/// changes nothing.
pub async fn tls_self_signed(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    use crate::cluster::tls;

    let reach = connect(ctx, arm).await?;
    let hosts: Vec<katonic_domain::spec::Fqdn> = katonic_domain::plan::names::hosts(&ctx.spec)
        .into_iter()
        .cloned()
        .collect();
    let now = time::OffsetDateTime::now_utc();
    if ctx.spec.ingress.gateway.is_some() {
        // Behind the gateway the cluster serves the trial certificate the gateway trusts.
        let material = crate::steps::tls::trial_certificate(ctx, &hosts, now).await?;
        let applied = apply_tls_secret(&reach, &material).await?;
        ctx.progress(format!(
            "{applied}: the install's trial certificate for {}, the one the Application Gateway trusts (valid until {})",
            host_list(&hosts),
            crate::format::timestamp(material.not_after)
        ))
        .await?;
        return Ok(
            json!({ "selfSigned": true, "notAfter": crate::format::timestamp(material.not_after) }),
        );
    }
    let existing = read_tls_secret(&reach).await?;
    if let Some(kept) = existing.as_ref().and_then(|s| reusable(s, &hosts, now)) {
        ctx.progress(format!(
            "kept the self-signed certificate for {} (valid until {})",
            host_list(&hosts),
            crate::format::timestamp(kept.not_after)
        ))
        .await?;
        return Ok(
            json!({ "selfSigned": true, "notAfter": crate::format::timestamp(kept.not_after) }),
        );
    }
    let material = tls::self_signed(&hosts, now).map_err(|e| {
        StepError::terminal("CertificateGeneration", e.to_string(), "Retry the step.")
    })?;
    let applied = apply_tls_secret(&reach, &material).await?;
    ctx.progress(format!(
        "{applied}: a self-signed certificate for {} (trial only: browsers will warn; valid until {})",
        host_list(&hosts),
        crate::format::timestamp(material.not_after)
    ))
    .await?;
    Ok(json!({ "selfSigned": true, "notAfter": crate::format::timestamp(material.not_after) }))
}

/// The certificate as the `kubernetes.io/tls` Secret every Ingress names (server-side apply:
/// the same material applied again changes nothing).
pub(in crate::steps) async fn apply_tls_secret(
    reach: &ClusterReach,
    material: &crate::cluster::tls::TlsMaterial,
) -> Result<Applied, StepError> {
    use k8s_openapi::ByteString;
    use k8s_openapi::api::core::v1::Secret;

    let key = secrecy::ExposeSecret::expose_secret(&material.key_pem);
    let secret = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(manifests::TLS_SECRET.into()),
            namespace: Some(manifests::PLATFORM_NAMESPACE.into()),
            labels: Some(manifests::common_labels("tls")),
            annotations: Some(
                [(
                    "katonic.ai/self-signed".to_string(),
                    material.self_signed.to_string(),
                )]
                .into(),
            ),
            ..Default::default()
        },
        type_: Some("kubernetes.io/tls".into()),
        data: Some(
            [
                (
                    "tls.crt".to_string(),
                    ByteString(material.cert_chain_pem.clone().into_bytes()),
                ),
                ("tls.key".to_string(), ByteString(key.as_bytes().to_vec())),
            ]
            .into(),
        ),
        ..Default::default()
    };
    reach.apply_namespaced(&secret).await.map_err(kube_error)
}

/// The secret's certificate when the console made it and it still serves every host.
fn reusable(
    secret: &k8s_openapi::api::core::v1::Secret,
    hosts: &[katonic_domain::spec::Fqdn],
    now: time::OffsetDateTime,
) -> Option<crate::cluster::tls::TlsMaterial> {
    let ours = secret
        .metadata
        .labels
        .as_ref()?
        .get("app.kubernetes.io/managed-by")
        .is_some_and(|m| m == crate::cluster::FIELD_MANAGER);
    if !ours {
        return None;
    }
    let data = secret.data.as_ref()?;
    let cert = std::str::from_utf8(&data.get("tls.crt")?.0).ok()?;
    let Some(key) = data.get("tls.key") else {
        return reusable_certificate(cert, hosts, now);
    };
    let key = std::str::from_utf8(&key.0).ok()?;
    let material = crate::cluster::tls::check_uploaded(cert, key, hosts, now).ok()?;
    (!crate::cluster::tls::expires_soon(&material, now)).then_some(material)
}

/// Read through Run Command, the secret comes without its key (the console wrote the pair):
/// the certificate alone must still cover every host and not expire soon.
fn reusable_certificate(
    cert: &str,
    hosts: &[katonic_domain::spec::Fqdn],
    now: time::OffsetDateTime,
) -> Option<crate::cluster::tls::TlsMaterial> {
    use crate::cluster::tls::{self, LeafFacts};
    let facts = LeafFacts::from_der(&tls::leaf_der(cert.as_bytes())?)?;
    let covers = hosts.iter().all(|h| facts.covers(h.as_str())) && facts.valid_at(now);
    let material = tls::TlsMaterial {
        cert_chain_pem: cert.to_string(),
        key_pem: String::new().into(),
        not_after: facts.not_after,
        self_signed: true,
    };
    (covers && !tls::expires_soon(&material, now)).then_some(material)
}

pub(in crate::steps) fn host_list(hosts: &[katonic_domain::spec::Fqdn]) -> String {
    hosts
        .iter()
        .map(katonic_domain::spec::Fqdn::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}
