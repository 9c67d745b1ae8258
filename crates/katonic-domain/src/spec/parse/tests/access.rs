//! Parser tests: domain, ingress, add-on hosts, storage, registry, platform, form input.

use super::*;

#[test]
fn domain_and_tls() {
    let spec = ok(&with(|d| d.domain.fqdn = s("Katonic.Example.COM.")));
    assert_eq!(spec.domain.fqdn.as_str(), "katonic.example.com");
    only(
        &with(|d| d.domain.fqdn = s("katonic")),
        "domain.fqdn",
        "fqdn.labels",
    );
    only(
        &with(|d| d.domain.fqdn = s(&format!("{}.com", "k".repeat(64)))),
        "domain.fqdn",
        "fqdn.label",
    );
    only(&with(|d| d.domain.fqdn = None), "domain.fqdn", "required");
    let e = only(
        &with(|d| {
            d.domain.tls = s("acme");
            d.ingress.gateway = s("none");
        }),
        "domain.tls",
        "tls.acme-internal",
    );
    assert!(e.message.contains("internet"));
    let spec = ok(&with(|d| {
        d.domain.tls = s("acme");
        d.ingress.load_balancer = s("external");
        d.ingress.gateway = s("none");
    }));
    assert_eq!(spec.domain.tls, TlsMode::Acme);
    assert_eq!(
        ok(&with(|d| d.domain.tls = s("selfSigned"))).domain.tls,
        TlsMode::SelfSigned
    );
    assert_eq!(
        ok(&with(|d| d.domain.tls = None)).domain.tls,
        TlsMode::Provided
    );
    only(
        &with(|d| d.domain.tls = s("letsencrypt")),
        "domain.tls",
        "enum.value",
    );
}

#[test]
fn addon_hosts() {
    // 58 characters is the longest first label Superset's `dash-` prefix leaves room for.
    let label = |n: usize| format!("{}.tesla.com", "k".repeat(n));
    let spec = ok(&with(|d| {
        d.domain.fqdn = s(&label(58));
        d.addons.airbyte = Some(false);
    }));
    assert_eq!(
        spec.addons.superset.map(|f| f.first_label().len()),
        Some(63)
    );
    let e = only(
        &with(|d| {
            d.domain.fqdn = s(&label(59));
            d.addons.airbyte = Some(false);
        }),
        "addons.superset",
        "addon.host",
    );
    assert!(e.message.contains("64 characters"), "{}", e.message);
    assert!(e.message.contains("dash-kkk"), "{}", e.message);
    assert!(e.fix.contains("at most 58"), "{}", e.fix);
    assert!(e.fix.contains("addons.superset: false"), "{}", e.fix);
    let errs = errors(&with(|d| d.domain.fqdn = s(&label(59))));
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["addons.superset", "addons.airbyte"]);
    assert!(errs[1].fix.contains("at most 52"), "{}", errs[1].fix);
    // Both off: no hosts, and the long label is fine.
    let spec = ok(&with(|d| {
        d.domain.fqdn = s(&label(63));
        d.addons.superset = None;
        d.addons.airbyte = Some(false);
    }));
    assert_eq!((spec.addons.superset, spec.addons.airbyte), (None, None));
    // Whole-name length: a 253-character domain leaves no room for a prefix.
    let long = [
        "a".repeat(50),
        "b".repeat(62),
        "c".repeat(62),
        "d".repeat(62),
        "e".repeat(9),
    ]
    .join(".")
        + ".com";
    assert_eq!(long.len(), 253);
    let e = refused(
        &with(|d| d.domain.fqdn = s(&long)),
        "addons.superset",
        "addon.host",
    );
    assert!(e.fix.contains("at most 248"), "{}", e.fix);
}

#[test]
fn ingress() {
    let e = only(
        &with(|d| d.ingress.load_balancer = s("public")),
        "ingress.loadBalancer",
        "lb.mode",
    );
    assert_eq!(e.fix, "use `internal` or `external`");
    assert_eq!(
        ok(&with(|d| d.ingress.load_balancer = None))
            .ingress
            .load_balancer,
        LbMode::Internal
    );
    let ip = |v: &'static str| with(move |d| d.ingress.static_ip = s(v));
    assert_eq!(
        ok(&ip("10.20.0.50")).ingress.static_ip,
        Some(Ipv4Addr::new(10, 20, 0, 50))
    );
    only(&ip("10.20.1.50"), "ingress.staticIp", "static-ip.outside");
    for reserved in ["10.20.0.0", "10.20.0.1", "10.20.0.3", "10.20.0.63"] {
        let e = only(&ip(reserved), "ingress.staticIp", "static-ip.reserved");
        assert_eq!(
            e.fix,
            "use a free address of the subnet, e.g. 10.20.0.62 (nodes take addresses from the start)"
        );
    }
    ok(&ip("10.20.0.4"));
    only(&ip("10.20.0.500"), "ingress.staticIp", "ip.format");
    only(
        &with(|d| {
            d.ingress.load_balancer = s("external");
            d.ingress.static_ip = s("10.20.0.50");
            d.ingress.gateway = s("none");
        }),
        "ingress.staticIp",
        "static-ip.mode",
    );
    assert_eq!(ok(&ip("")).ingress.static_ip, None);
}

#[test]
fn storage_registry_platform() {
    let spec = ok(&with(|d| {
        d.storage = StorageDoc::default();
        d.registry = RegistryDoc {
            name: s("KatonicAcr01"),
            sku: s("premium"),
        };
    }));
    assert!(!spec.storage.shared_files);
    assert_eq!(spec.storage.account_name, None);
    assert_eq!(
        spec.registry.name.as_ref().map(RegistryName::as_str),
        Some("KatonicAcr01")
    );
    assert_eq!(spec.registry.sku, RegistrySku::Premium);
    let spec = ok(&with(|d| d.storage.account_name = s("katonicfiles")));
    assert_eq!(
        spec.storage.account_name.as_ref().map(|a| a.as_str()),
        Some("katonicfiles")
    );
    only(
        &with(|d| d.storage.account_name = s("Katonic-Files")),
        "storage.accountName",
        "storage.account-name",
    );
    only(
        &with(|d| d.registry.name = s("acr")),
        "registry.name",
        "registry.name",
    );
    let e = only(
        &with(|d| d.registry.sku = s("Gold")),
        "registry.sku",
        "enum.value",
    );
    assert_eq!(e.fix, "use `Basic`, `Standard` or `Premium`");
    assert_eq!(
        ok(&with(|d| d.platform.version = None)).platform.version,
        "5.0.9"
    );
    let e = only(
        &with(|d| d.platform.version = Some(Scalar::Text("5.1.0".into()))),
        "platform.version",
        "platform.version",
    );
    assert_eq!(e.fix, "use `5.0.9`");
    only(
        &with(|d| d.platform.version = Some(Scalar::Float(5.0))),
        "platform.version",
        "platform.version",
    );
    let spec = ok(&with(|d| d.addons = AddonsDoc::default()));
    assert_eq!((spec.addons.superset, spec.addons.airbyte), (None, None));
}

#[test]
fn form_values_arrive_as_text() {
    // What the wizard posts: every number as text, untouched optional fields as "".
    let json = format!(
        r#"{{"apiVersion":"katonic.ai/v1","kind":"Install","name":" prod ",
        "azure":{{"subscriptionId":"{SUBSCRIPTION}","tenantId":"{TENANT}","location":"East US","resourceGroup":"rg-katonic"}},
        "cluster":{{"mode":"","name":"katonic-aks","kubernetesVersion":"","tier":"","zones":["1","3"],
          "network":{{"vnetCidr":"10.20.0.0/16","aksSubnetCidr":"10.20.0.0/26","jumphostSubnetCidr":"10.20.0.64/29",
            "plugin":"","networkPolicy":"","podCidr":"","serviceCidr":"","dnsServiceIp":"","maxPods":"","outboundType":""}},
          "nodePools":{{"platform":{{"name":"","vmSize":"Standard_DS3_v2","count":"3","min":"","max":"","maxSurge":""}},
                       "compute":{{"vmSize":"Standard_D8s_v3","count":"","min":"1","max":"4"}}}}}},
        "domain":{{"fqdn":"katonic.example.com","tls":""}},"ingress":{{"loadBalancer":"","staticIp":""}},
        "storage":{{"sharedFiles":false,"accountName":""}},"registry":{{"name":"","sku":""}},
        "addons":{{"superset":false,"airbyte":false}},"platform":{{"version":""}}}}"#
    );
    let doc = from_json(&json).unwrap();
    let spec = ok(&doc);
    assert_eq!(spec.name.as_str(), "prod");
    assert_eq!(spec.cluster.zones.to_strings(), ["1", "3"]);
    assert_eq!(spec.cluster.node_pools.platform.scale, NodeScale::Fixed(3));
    assert_eq!(spec.cluster.network.max_pods, 250);
    assert_eq!(InstallSpec::parse(&spec.to_document()), Ok(spec));
}

fn zone_id(kind: &str, zone: &str) -> Option<String> {
    s(&format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-dns/providers/Microsoft.Network/{kind}/{zone}"
    ))
}

#[test]
fn dns_zone() {
    // Absent: the records are shown, not created.
    assert_eq!(ok(&with(|_| {})).domain.dns_zone, None);
    let spec = ok(&with(|d| {
        d.domain.dns_zone = zone_id("privatednszones", "Example.com");
    }));
    let zone = spec.domain.dns_zone.clone().unwrap();
    assert_eq!(zone.kind, DnsZoneKind::Private);
    assert_eq!(zone.name.as_str(), "example.com");
    // Round trip, in Azure's casing.
    let doc = spec.to_document();
    assert_eq!(
        doc.domain.dns_zone,
        zone_id("privateDnsZones", "example.com")
    );
    assert_eq!(InstallSpec::parse(&doc), Ok(spec.clone()));
    assert_eq!(
        InstallSpec::parse(&from_yaml(&to_yaml(&doc)).unwrap()),
        Ok(spec)
    );

    let e = only(
        &with(|d| d.domain.dns_zone = s("example.com")),
        "domain.dnsZone",
        "dns-zone.id",
    );
    assert!(e.message.contains("`example.com`"), "{}", e.message);

    // A zone equal to the domain holds it, but not the add-on hosts beside it.
    let e = only(
        &with(|d| d.domain.dns_zone = zone_id("dnsZones", "katonic.example.com")),
        "domain.dnsZone",
        "dns-zone.hosts",
    );
    assert!(
        e.message
            .contains("dash-katonic.example.com, connectors-katonic.example.com"),
        "{}",
        e.message
    );
    assert!(e.fix.contains("`example.com`"), "{}", e.fix);
    // ...which is fine once the add-ons are off.
    ok(&with(|d| {
        d.domain.dns_zone = zone_id("privateDnsZones", "katonic.example.com");
        d.addons.superset = Some(false);
        d.addons.airbyte = Some(false);
    }));
    let e = only(
        &with(|d| d.domain.dns_zone = zone_id("privateDnsZones", "example.org")),
        "domain.dnsZone",
        "dns-zone.hosts",
    );
    assert!(e.message.contains("katonic.example.com,"), "{}", e.message);
}

#[test]
fn dns_zone_visibility_warnings() {
    let today = time::macros::date!(2025 - 06 - 01);
    let warned = |doc: &InstallDocument| {
        ok(doc)
            .warnings(today)
            .into_iter()
            .filter(|w| w.code == "dns-zone.visibility")
            .map(|w| w.message)
            .collect::<Vec<_>>()
    };
    assert!(
        warned(&with(
            |d| d.domain.dns_zone = zone_id("privateDnsZones", "example.com")
        ))
        .is_empty()
    );
    let public_internal = warned(&with(|d| {
        d.domain.dns_zone = zone_id("dnsZones", "example.com")
    }));
    assert!(
        public_internal[0].contains("private address on the internet"),
        "{public_internal:?}"
    );
    let private_external = warned(&with(|d| {
        d.domain.dns_zone = zone_id("privateDnsZones", "example.com");
        d.ingress.load_balancer = s("external");
    }));
    assert!(
        private_external[0].contains("only linked VNets resolve it"),
        "{private_external:?}"
    );
    assert!(
        warned(&with(|d| {
            d.domain.dns_zone = zone_id("dnsZones", "example.com");
            d.ingress.load_balancer = s("external");
        }))
        .is_empty()
    );
}
