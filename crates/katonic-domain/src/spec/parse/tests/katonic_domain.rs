//! Parser tests: the katonic.ai domain option (`domain.katonicSubdomain`).

use super::*;

/// The sample served at `<name>.katonic.ai` instead of its own domain.
fn katonic(name: &str) -> InstallDocument {
    with(|d| {
        d.domain.fqdn = None;
        d.domain.katonic_subdomain = s(name);
    })
}

#[test]
fn a_katonic_subdomain_serves_the_platform_and_its_add_ons_under_katonic_ai() {
    let spec = ok(&katonic("Acme-ML"));
    assert_eq!(spec.domain.fqdn.as_str(), "acme-ml.katonic.ai");
    assert!(spec.domain.katonic_subdomain);
    assert_eq!(spec.domain.tls, TlsMode::Provided, "Katonic's certificate");
    assert_eq!(
        spec.addons.superset.as_ref().map(Fqdn::as_str),
        Some("dash-acme-ml.katonic.ai")
    );
    assert_eq!(
        spec.addons.airbyte.as_ref().map(Fqdn::as_str),
        Some("connectors-acme-ml.katonic.ai")
    );
    // Written back as the option that made it, and read again to the same spec.
    let doc = spec.to_document();
    assert_eq!(doc.domain.katonic_subdomain.as_deref(), Some("acme-ml"));
    assert_eq!(doc.domain.fqdn, None);
    assert_eq!(InstallSpec::parse(&doc), Ok(spec));
    assert!(!ok(&sample_doc()).domain.katonic_subdomain);
}

#[test]
fn a_katonic_subdomain_is_refused_with_what_does_not_fit() {
    let both = with(|d| d.domain.katonic_subdomain = s("acme"));
    let e = only(&both, "domain.fqdn", "domain.both");
    assert!(e.fix.contains("katonicSubdomain"), "{e:?}");
    let e = only(
        &katonic("acme.example"),
        "domain.katonicSubdomain",
        "katonic-subdomain.label",
    );
    assert!(e.fix.contains("katonicSubdomain: acme"), "{e:?}");
    only(
        &katonic("-acme"),
        "domain.katonicSubdomain",
        "katonic-subdomain.label",
    );
    let mut self_signed = katonic("acme");
    self_signed.domain.tls = s("selfSigned");
    let e = only(&self_signed, "domain.tls", "tls.katonic");
    assert!(e.message.contains("Katonic provides"), "{e:?}");
    let mut zoned = katonic("acme");
    zoned.domain.dns_zone = s(&format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-dns/providers/Microsoft.Network/dnsZones/katonic.ai"
    ));
    let e = refused(&zoned, "domain.dnsZone", "dns-zone.katonic");
    assert!(e.fix.contains("send to Katonic"), "{e:?}");
    // Neither: the missing domain names both ways to give it.
    let mut neither = katonic("acme");
    neither.domain.katonic_subdomain = None;
    let e = only(&neither, "domain.fqdn", "required");
    assert!(e.fix.contains("katonicSubdomain"), "{e:?}");
    // A name too long for the Airbyte host (connectors-<name> is one label of at most 63).
    refused(&katonic(&"a".repeat(60)), "addons.airbyte", "addon.host");
}
