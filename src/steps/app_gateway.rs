//! The `app-gateway` step (issue 17): the WAF policy (WAF_v2), then the Application Gateway v2
//! in front of the cluster's internal ingress load balancer. It runs beside the cluster's create:
//! its backend is the address the plan chose for that load balancer, not the cluster itself.
//!
//! The certificate goes up as a PFX made here from the install's certificate and key, under a
//! fresh random password; both are registered with the redactor at once and live only in the
//! request body (Azure never returns them). What the gateway serves is named by a tag (the
//! leaf's SHA-256), so a re-run adopts a gateway serving the same certificate without a PUT.

use super::ensure::{ensure, ensure_shaped, id_of};
use super::output;
use crate::azure::resources::app_gateway::{
    self as agw, ApplicationGateway, Frontend, GatewayCertificate, GatewayDesign, GatewaySkuName,
    WafModeName, WafPolicy,
};
use crate::azure::resources::{install_tags, resource_id};
use crate::azure::{ArmClient, api, pfx};
use crate::cluster::tls::{self, TlsMaterial};
use crate::worker::{StepContext, StepError};
use katonic_domain::plan::{GatewayFrontend, GatewayPlan, StepId};
use katonic_domain::spec::{GatewaySku, TlsMode, WafMode};
use serde_json::{Value, json};

/// The tag naming the certificate a gateway serves (SHA-256 of the leaf).
pub const CERTIFICATE_TAG: &str = "katonic-certificate-sha256";

pub async fn app_gateway(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let g = GatewayPlan::from_spec(&ctx.spec).ok_or_else(|| {
        StepError::terminal(
            "GatewayNotPlanned",
            "this install's spec has `ingress.gateway: none`, so there is no gateway to create",
            "This is a console bug: the step is planned only with a gateway.",
        )
    })?;
    let a = &ctx.spec.azure;
    let (sub, rg) = (a.subscription_id.to_string(), a.resource_group.to_string());
    let policy_id = match &g.waf_policy_name {
        Some(name) => Some(waf_policy(ctx, arm, &g, name).await?),
        None => None,
    };
    let material = certificate(ctx).await?;
    let fingerprint = tls::summarize(&material.cert_chain_pem)
        .map_err(|e| {
            StepError::terminal(
                "CertificateUnreadable",
                e.to_string(),
                "Upload the certificate again, then retry step app-gateway.",
            )
        })?
        .fingerprint;
    let path = resource_id(&sub, &rg, agw::GATEWAY_TYPE, &g.name);
    let design = design(ctx, &g, &path, &material, &fingerprint, policy_id.clone())?;
    let body = super::resources::body(&ApplicationGateway::build(&design))?;
    let mut shape = agw::shape_without_secrets(&body);
    shape["tags"] = json!({ CERTIFICATE_TAG: fingerprint });
    let created = ensure_shaped(
        ctx,
        arm,
        &path,
        api::APPLICATION_GATEWAY,
        &body,
        &shape,
        &format!("application gateway {}", g.name),
    )
    .await?;
    let frontend_address = match &g.frontend {
        GatewayFrontend::Public { .. } => output(ctx, StepId::IngressIp, "address")?.to_string(),
        GatewayFrontend::Private { address } => address.to_string(),
    };
    let state = created
        .pointer("/properties/operationalState")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_string();
    ctx.progress(format!(
        "application gateway {} ({}, {}-{} instances): {} hosts on {frontend_address}, backend {} over HTTPS; {state}",
        g.name,
        g.sku.as_str(),
        g.min_capacity,
        g.max_capacity,
        g.hosts.len(),
        g.backend_address,
    ))
    .await?;
    Ok(json!({
        "id": id_of(&created, &path),
        "name": g.name,
        "frontendAddress": frontend_address,
        "frontend": if g.private_address().is_some() { "private" } else { "public" },
        "backendAddress": g.backend_address.to_string(),
        "wafPolicyId": policy_id,
        "certificateSha256": fingerprint,
        "operationalState": state,
    }))
}

/// The gateway's body inputs; the PFX is made here and registered with the redactor at once.
fn design(
    ctx: &StepContext,
    g: &GatewayPlan,
    path: &str,
    material: &TlsMaterial,
    fingerprint: &str,
    firewall_policy_id: Option<String>,
) -> Result<GatewayDesign, StepError> {
    let frontend = match &g.frontend {
        GatewayFrontend::Public { .. } => Frontend::Public {
            public_ip_id: output(ctx, StepId::IngressIp, "id")?.to_string(),
        },
        GatewayFrontend::Private { address } => Frontend::Private { address: *address },
    };
    let made = pfx::build(&material.cert_chain_pem, &material.key_pem).map_err(|e| {
        StepError::terminal(
            "CertificateNotConvertible",
            format!("the certificate cannot be made into the gateway's PFX: {e}"),
            "Upload the certificate and key again (PEM), then retry step app-gateway.",
        )
    })?;
    crate::redact::register(&made.base64);
    crate::redact::register(&made.password);
    let mut tags = install_tags(&ctx.install.to_string());
    tags.insert(CERTIFICATE_TAG.to_string(), fingerprint.to_string());
    Ok(GatewayDesign {
        gateway_id: path.to_string(),
        location: ctx.spec.azure.location.to_string(),
        tags,
        zones: g.zones.clone(),
        sku: match g.sku {
            GatewaySku::StandardV2 => GatewaySkuName::StandardV2,
            GatewaySku::WafV2 => GatewaySkuName::WafV2,
        },
        min_capacity: g.min_capacity,
        max_capacity: g.max_capacity,
        subnet_id: output(ctx, StepId::Network, "gatewaySubnetId")?.to_string(),
        frontend,
        backend_address: g.backend_address,
        hosts: g.hosts.iter().map(|h| h.as_str().to_string()).collect(),
        health_path: g.health_path.to_string(),
        certificate: GatewayCertificate {
            pfx_base64: made.base64,
            password: made.password,
        },
        trusted_root_der_base64: pfx::trusted_root(&material.cert_chain_pem),
        firewall_policy_id,
    })
}

/// The WAF policy (before the gateway that names it).
async fn waf_policy(
    ctx: &StepContext,
    arm: &ArmClient,
    g: &GatewayPlan,
    name: &str,
) -> Result<String, StepError> {
    let a = &ctx.spec.azure;
    let path = resource_id(
        a.subscription_id.as_str(),
        a.resource_group.as_str(),
        agw::WAF_POLICY_TYPE,
        name,
    );
    let mode = match g.waf_mode {
        Some(WafMode::Detection) => WafModeName::Detection,
        _ => WafModeName::Prevention,
    };
    let policy = WafPolicy::new(
        a.location.to_string(),
        install_tags(&ctx.install.to_string()),
        mode,
    );
    let created = ensure(
        ctx,
        arm,
        &path,
        api::APPLICATION_GATEWAY,
        &super::resources::body(&policy)?,
        &format!("WAF policy {name} ({})", mode.as_str()),
    )
    .await?;
    Ok(id_of(&created, &path))
}

/// The certificate the gateway serves: the uploaded one, or the trial certificate kept for this
/// install (the same one the cluster will serve, so the gateway trusts its backend).
async fn certificate(ctx: &StepContext) -> Result<TlsMaterial, StepError> {
    let hosts: Vec<katonic_domain::spec::Fqdn> = katonic_domain::plan::names::hosts(&ctx.spec)
        .into_iter()
        .cloned()
        .collect();
    let now = time::OffsetDateTime::now_utc();
    match ctx.spec.domain.tls {
        TlsMode::SelfSigned => super::tls::trial_certificate(ctx, &hosts, now).await,
        TlsMode::Provided => super::tls::uploaded(ctx, &hosts, now).await,
        TlsMode::Acme => Err(StepError::terminal(
            "AcmeBehindGateway",
            "`domain.tls: acme` is not available behind the Application Gateway yet",
            "Clone this install with `domain.tls: provided` (upload the certificate) or `ingress.gateway: none`.",
        )),
    }
}
