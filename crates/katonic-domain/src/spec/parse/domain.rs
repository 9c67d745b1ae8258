//! `domain`, `ingress` and `addons`: how the platform is reached, and the add-ons' host names.

use super::super::fqdn::{MAX_FQDN_LEN, MAX_LABEL_LEN};
use super::super::text::show;
use super::super::{
    AddonsDoc, AddonsSpec, Cidr, DnsZoneId, DomainDoc, Fqdn, IngressDoc, Invalid, LbMode, TlsMode,
};
use super::ctx::{Ctx, ip};
use std::net::Ipv4Addr;

const STATIC_IP: &str = "ingress.staticIp";
/// Azure keeps a subnet's first 4 addresses (network, gateway, 2 DNS) and its last one.
const AZURE_RESERVED_AT_START: u64 = 4;

const DNS_ZONE: &str = "domain.dnsZone";
const KATONIC_SUBDOMAIN: &str = "domain.katonicSubdomain";
/// The vendor's domain, under which `katonicSubdomain` names the platform.
const KATONIC_DOMAIN: &str = "katonic.ai";

/// The domain, its TLS mode and the optional DNS zone (`None` when refused), and whether the
/// domain is Katonic's (`katonicSubdomain`).
pub(super) struct DomainParts {
    pub fqdn: Option<Fqdn>,
    pub tls: Option<TlsMode>,
    pub dns_zone: Option<Option<DnsZoneId>>,
    pub katonic: bool,
}

pub(super) fn domain(cx: &mut Ctx, doc: &DomainDoc) -> DomainParts {
    let katonic = cx.optional(
        KATONIC_SUBDOMAIN,
        doc.katonic_subdomain.as_ref(),
        katonic_fqdn,
    );
    let own = doc.fqdn.as_ref().filter(|f| !f.trim().is_empty());
    let fqdn = match (katonic.clone(), own) {
        (Some(Some(_)), Some(_)) => {
            cx.fail(
                "domain.fqdn",
                Invalid::new(
                    "domain.both",
                    "`fqdn` and `katonicSubdomain` both name the platform's domain",
                    "keep `fqdn` for your own domain, or `katonicSubdomain` for <name>.katonic.ai",
                ),
            );
            None
        }
        (Some(Some(f)), None) => Some(f),
        // Refused above, with its reason.
        (None, _) => None,
        (Some(None), _) => cx.required(
            "domain.fqdn",
            doc.fqdn.as_ref(),
            Fqdn::parse,
            "give the domain the platform is served at, e.g. `katonic.example.com`, or `katonicSubdomain: <name>` for <name>.katonic.ai",
        ),
    };
    let is_katonic = matches!(katonic, Some(Some(_)));
    let tls = cx
        .optional("domain.tls", doc.tls.as_ref(), TlsMode::parse)
        .map(|t| t.unwrap_or(TlsMode::Provided));
    let dns_zone = cx.optional(DNS_ZONE, doc.dns_zone.as_ref(), DnsZoneId::parse);
    if is_katonic {
        katonic_rules(cx, tls, dns_zone.as_ref().and_then(Option::as_ref));
    }
    DomainParts {
        fqdn,
        tls,
        dns_zone,
        katonic: is_katonic,
    }
}

/// `<name>.katonic.ai` from `katonicSubdomain: <name>`: one DNS label, no dots.
pub fn katonic_fqdn(name: &str) -> Result<Fqdn, Invalid> {
    if name.contains('.') {
        let first = name.split('.').next().unwrap_or(name);
        return Err(Invalid::new(
            "katonic-subdomain.label",
            format!(
                "{} has dots; katonicSubdomain is one name, the part before .{KATONIC_DOMAIN}",
                show(name)
            ),
            format!("use e.g. `katonicSubdomain: {first}`, or `fqdn` for a domain of your own"),
        ));
    }
    Fqdn::parse(&format!("{name}.{KATONIC_DOMAIN}")).map_err(|e| {
        Invalid::new(
            "katonic-subdomain.label",
            format!(
                "{} is not a valid name under {KATONIC_DOMAIN}: {}",
                show(name),
                e.message
            ),
            "use lowercase letters, digits and inner hyphens, at most 63 characters",
        )
    })
}

/// Katonic's zone and certificate: the console cannot write the zone, and the certificate is
/// the one Katonic provides (uploaded), so neither a zone nor another TLS mode fits.
fn katonic_rules(cx: &mut Ctx, tls: Option<TlsMode>, dns_zone: Option<&DnsZoneId>) {
    if let Some(t) = tls.filter(|t| *t != TlsMode::Provided) {
        cx.fail(
            "domain.tls",
            Invalid::new(
                "tls.katonic",
                format!(
                    "`tls: {}` does not fit a {KATONIC_DOMAIN} domain: its certificate is the one Katonic provides",
                    t.as_str()
                ),
                "use `tls: provided` (or leave it out) and upload the certificate and key Katonic sends",
            ),
        );
    }
    if dns_zone.is_some() {
        cx.fail(
            DNS_ZONE,
            Invalid::new(
                "dns-zone.katonic",
                format!(
                    "the {KATONIC_DOMAIN} zone is Katonic's: the console cannot write records into it"
                ),
                "remove `dnsZone`: the install page lists the records to send to Katonic",
            ),
        );
    }
}

/// Every host the console publishes (the domain and each enabled add-on's) must lie inside the
/// zone: Azure refuses a record set whose name leaves its zone.
pub(super) fn dns_zone_covers(
    cx: &mut Ctx,
    zone: Option<&DnsZoneId>,
    fqdn: Option<&Fqdn>,
    addons: Option<&AddonsSpec>,
) {
    let (Some(zone), Some(fqdn)) = (zone, fqdn) else {
        return;
    };
    let mut hosts = vec![fqdn];
    if let Some(a) = addons {
        hosts.extend(a.superset.iter().chain(a.airbyte.iter()));
    }
    let outside: Vec<&str> = hosts
        .into_iter()
        .filter(|h| !zone.contains(h))
        .map(Fqdn::as_str)
        .collect();
    if outside.is_empty() {
        return;
    }
    // The add-on hosts are siblings of the domain: its parent holds them all.
    let parent = fqdn
        .as_str()
        .split_once('.')
        .map(|(_, p)| p)
        .filter(|p| p.contains('.'));
    let fix = match parent {
        Some(p) => format!(
            "name a zone that holds every host, e.g. the domain's parent zone `{p}` (add-on hosts `dash-` / `connectors-` are siblings of the domain), or leave `dnsZone` out and create the records yourself"
        ),
        None => "name a zone that holds every host, or leave `dnsZone` out and create the records yourself".to_string(),
    };
    cx.fail(
        DNS_ZONE,
        Invalid::new(
            "dns-zone.hosts",
            format!(
                "zone {} does not hold {} (a record set's name must end in its zone's name)",
                zone.name,
                outside.join(", ")
            ),
            fix,
        ),
    );
}

/// `gateway_on`: `None` when `ingress.gateway` was refused (the static IP is then not judged
/// against the mode).
pub(super) fn ingress(
    cx: &mut Ctx,
    doc: &IngressDoc,
    aks_subnet: Option<Cidr>,
    gateway_on: Option<bool>,
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
        // Behind a gateway the cluster's load balancer is internal whatever the front faces.
        match (lb, aks_subnet, gateway_on) {
            (_, _, None) => {}
            (Some(LbMode::External), _, Some(false)) => cx.fail(
                STATIC_IP,
                Invalid::new(
                    "static-ip.mode",
                    format!("staticIp {addr} is only used by the internal load balancer"),
                    "remove staticIp, use `loadBalancer: internal`, or put the Application \
                     Gateway in front (`gateway: applicationGateway`)",
                ),
            ),
            (Some(_), Some(subnet), Some(_)) => static_ip_checks(cx, addr, subnet),
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

/// ACME's HTTP-01 challenge must reach the ingress from the internet; the gateway serves the
/// install's certificate itself, which an in-cluster ACME issuer does not reach.
pub(super) fn tls_reachability(
    cx: &mut Ctx,
    tls: Option<TlsMode>,
    lb: Option<LbMode>,
    gateway_on: Option<bool>,
) {
    if tls == Some(TlsMode::Acme) && gateway_on == Some(true) {
        cx.fail(
            "domain.tls",
            Invalid::new(
                "tls.acme-gateway",
                "`tls: acme` issues the certificate inside the cluster, but the Application \
                 Gateway terminates TLS with the install's certificate",
                "use `tls: provided` (upload a certificate) or `selfSigned`, or `ingress.gateway: none`",
            ),
        );
        return;
    }
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
