//! `domain`, `ingress` and `addons`: how the platform is reached, and the add-ons' host names.

use super::super::fqdn::{MAX_FQDN_LEN, MAX_LABEL_LEN};
use super::super::text::show;
use super::super::{
    AddonsDoc, AddonsSpec, Cidr, DomainDoc, Fqdn, IngressDoc, Invalid, LbMode, TlsMode,
};
use super::ctx::{Ctx, ip};
use std::net::Ipv4Addr;

const STATIC_IP: &str = "ingress.staticIp";
/// Azure keeps a subnet's first 4 addresses (network, gateway, 2 DNS) and its last one.
const AZURE_RESERVED_AT_START: u64 = 4;

pub(super) fn domain(cx: &mut Ctx, doc: &DomainDoc) -> (Option<Fqdn>, Option<TlsMode>) {
    let fqdn = cx.required(
        "domain.fqdn",
        doc.fqdn.as_ref(),
        Fqdn::parse,
        "give the domain the platform is served at, e.g. `katonic.example.com`",
    );
    let tls = cx
        .optional("domain.tls", doc.tls.as_ref(), TlsMode::parse)
        .map(|t| t.unwrap_or(TlsMode::Provided));
    (fqdn, tls)
}

pub(super) fn ingress(
    cx: &mut Ctx,
    doc: &IngressDoc,
    aks_subnet: Option<Cidr>,
) -> (Option<LbMode>, Option<Option<Ipv4Addr>>) {
    let lb = cx
        .optional(
            "ingress.loadBalancer",
            doc.load_balancer.as_ref(),
            LbMode::parse,
        )
        .map(|l| l.unwrap_or(LbMode::Internal));
    let static_ip = cx.optional(STATIC_IP, doc.static_ip.as_ref(), ip);
    if let Some(Some(addr)) = static_ip {
        match (lb, aks_subnet) {
            (Some(LbMode::External), _) => cx.fail(
                STATIC_IP,
                Invalid::new(
                    "static-ip.mode",
                    format!("staticIp {addr} is only used by the internal load balancer"),
                    "remove staticIp, or use `loadBalancer: internal`",
                ),
            ),
            (Some(LbMode::Internal), Some(subnet)) => static_ip_checks(cx, addr, subnet),
            _ => {}
        }
    }
    (lb, static_ip)
}

fn static_ip_checks(cx: &mut Ctx, addr: Ipv4Addr, subnet: Cidr) {
    let last_usable = subnet.size().checked_sub(2);
    let suggestion = last_usable
        .filter(|l| *l >= AZURE_RESERVED_AT_START)
        .and_then(|l| subnet.nth(l))
        .map_or("use a larger AKS subnet".to_string(), |a| {
            format!(
                "use a free address of the subnet, e.g. {a} (nodes take addresses from the start)"
            )
        });
    match subnet.offset_of(addr) {
        None => cx.fail(
            STATIC_IP,
            Invalid::new(
                "static-ip.outside",
                format!("staticIp {addr} is outside the AKS subnet {subnet}"),
                suggestion,
            ),
        ),
        Some(offset) if offset < AZURE_RESERVED_AT_START || addr == subnet.broadcast() => cx.fail(
            STATIC_IP,
            Invalid::new(
                "static-ip.reserved",
                format!(
                    "staticIp {addr} is one of the addresses Azure reserves in {subnet} (the first 4 and the last)"
                ),
                suggestion,
            ),
        ),
        Some(_) => {}
    }
}

/// ACME's HTTP-01 challenge must reach the ingress from the internet.
pub(super) fn tls_reachability(cx: &mut Ctx, tls: Option<TlsMode>, lb: Option<LbMode>) {
    if tls == Some(TlsMode::Acme) && lb == Some(LbMode::Internal) {
        cx.fail(
            "domain.tls",
            Invalid::new(
                "tls.acme-internal",
                "`tls: acme` uses the HTTP-01 challenge, which needs the domain reachable from the internet; the internal load balancer is not",
                "use `tls: provided` (upload a certificate) or `selfSigned`, or `ingress.loadBalancer: external`",
            ),
        );
    }
}

pub(super) fn addons(cx: &mut Ctx, doc: &AddonsDoc, fqdn: Option<&Fqdn>) -> Option<AddonsSpec> {
    // Both are checked before either is unwrapped, so that both errors are reported.
    let superset = host(cx, doc.superset, "superset", "Superset", "dash-", fqdn);
    let airbyte = host(cx, doc.airbyte, "airbyte", "Airbyte", "connectors-", fqdn);
    Some(AddonsSpec {
        superset: superset?,
        airbyte: airbyte?,
    })
}

/// `Some(None)`: add-on off. `None`: its host name is invalid, or the domain is.
fn host(
    cx: &mut Ctx,
    enabled: Option<bool>,
    key: &str,
    addon: &str,
    prefix: &str,
    fqdn: Option<&Fqdn>,
) -> Option<Option<Fqdn>> {
    if !enabled.unwrap_or(false) {
        return Some(None);
    }
    let fqdn = fqdn?;
    match fqdn.with_prefix(prefix) {
        Ok(h) => Some(Some(h)),
        Err(e) => {
            let host = format!("{prefix}{fqdn}");
            let label = prefix.len() + fqdn.first_label().len();
            let (why, fix) = if label > MAX_LABEL_LEN {
                (
                    format!(
                        "its first label would be {label} characters (at most {MAX_LABEL_LEN})"
                    ),
                    format!(
                        "shorten the domain's first label {} to at most {} characters, or set `addons.{key}: false`",
                        show(fqdn.first_label()),
                        MAX_LABEL_LEN - prefix.len()
                    ),
                )
            } else if host.len() > MAX_FQDN_LEN {
                (
                    format!(
                        "it would be {} characters long (at most {MAX_FQDN_LEN})",
                        host.len()
                    ),
                    format!(
                        "use a domain of at most {} characters, or set `addons.{key}: false`",
                        MAX_FQDN_LEN - prefix.len()
                    ),
                )
            } else {
                (e.message, e.fix)
            };
            cx.fail(
                &format!("addons.{key}"),
                Invalid::new(
                    "addon.host",
                    format!(
                        "{addon} is served at {}, which is not a valid host name: {why}",
                        show(&host)
                    ),
                    fix,
                ),
            );
            None
        }
    }
}
