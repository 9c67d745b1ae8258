//! `ingress.gateway`, `ingress.applicationGateway` and the gateway's subnet (issue 17). Every
//! test sets `gateway` explicitly, so they hold whatever `DEFAULT_GATEWAY_ON` says.

use super::*;

mod properties;

fn gateway_on(d: &mut InstallDocument) {
    d.ingress.gateway = s("applicationGateway");
}

fn block(d: &mut InstallDocument) -> &mut AppGatewayDoc {
    gateway_on(d);
    d.ingress
        .application_gateway
        .get_or_insert_with(AppGatewayDoc::default)
}

fn existing_vnet(d: &mut InstallDocument, gateway_subnet: Option<&str>) {
    d.cluster.network.existing_vnet = Some(ExistingVnetDoc {
        resource_group: s("rg-net"),
        name: s("vnet-corp"),
        aks_subnet: s("snet-aks"),
        jumphost_subnet: s("snet-jump"),
        gateway_subnet: gateway_subnet.map(String::from),
    });
}

#[test]
fn the_gateway_defaults_and_derives_its_subnet_from_the_vnets_free_space() {
    let spec = ok(&with(gateway_on));
    let g = spec.ingress.gateway.clone().unwrap();
    assert_eq!(g, AppGatewaySpec::default());
    assert_eq!(
        (g.sku, g.waf_mode, g.min_capacity, g.max_capacity),
        (GatewaySku::StandardV2, None, 2, 10)
    );
    // AKS 10.20.0.0/26 and the jumphost 10.20.0.64/29 take the first /24.
    assert_eq!(
        spec.cluster.network.gateway_subnet_cidr,
        Some(Cidr::parse("10.20.1.0/24").unwrap())
    );
    // The canonical document writes the derived subnet down, and reads back the same.
    let doc = spec.to_document();
    assert_eq!(
        doc.cluster.network.gateway_subnet_cidr.as_deref(),
        Some("10.20.1.0/24")
    );
    assert_eq!(doc.ingress.gateway.as_deref(), Some("applicationGateway"));
    assert_eq!(InstallSpec::parse(&doc).unwrap(), spec);
    let yaml = to_yaml(&doc);
    assert_eq!(
        InstallSpec::parse(&from_yaml(&yaml).unwrap()).unwrap(),
        spec
    );
}

#[test]
fn none_round_trips_and_absent_follows_the_default() {
    let off = ok(&with(|d| d.ingress.gateway = s("none")));
    assert_eq!(off.ingress.gateway, None);
    assert_eq!(off.cluster.network.gateway_subnet_cidr, None);
    let doc = off.to_document();
    assert_eq!(doc.ingress.gateway.as_deref(), Some("none"));
    assert_eq!(doc.ingress.application_gateway, None);
    assert_eq!(InstallSpec::parse(&doc).unwrap(), off);
    // An existing VNet or cluster needs a named subnet: absent means none there.
    let existing = ok(&with(|d| existing_vnet(d, None)));
    assert_eq!(existing.ingress.gateway, None);
    let existing = ok(&with(|d| d.cluster.mode = s("existing")));
    assert_eq!(existing.ingress.gateway, None);
    let absent = ok(&sample_doc());
    assert_eq!(absent.ingress.gateway.is_some(), DEFAULT_GATEWAY_ON);
    assert_eq!(
        absent.cluster.network.gateway_subnet_cidr.is_some(),
        DEFAULT_GATEWAY_ON
    );
    let default_doc = default_document();
    assert_eq!(
        default_doc.ingress.gateway.as_deref(),
        Some(if DEFAULT_GATEWAY_ON {
            "applicationGateway"
        } else {
            "none"
        })
    );
}

#[test]
fn waf_settings_round_trip() {
    let spec = ok(&with(|d| {
        let b = block(d);
        b.sku = s("waf_v2");
        b.waf_mode = s("detection");
        b.min_capacity = int(0);
        b.max_capacity = Some(Scalar::Text("125".into()));
    }));
    let g = spec.ingress.gateway.clone().unwrap();
    assert_eq!(
        (g.sku, g.waf_mode, g.min_capacity, g.max_capacity),
        (GatewaySku::WafV2, Some(WafMode::Detection), 0, 125)
    );
    let doc = spec.to_document();
    let b = doc.ingress.application_gateway.clone().unwrap();
    assert_eq!(
        (b.sku.as_deref(), b.waf_mode.as_deref()),
        (Some("WAF_v2"), Some("Detection"))
    );
    assert_eq!(InstallSpec::parse(&doc).unwrap(), spec);
    // WAF_v2 without a mode blocks: Prevention.
    let spec = ok(&with(|d| block(d).sku = s("WAF_v2")));
    assert_eq!(
        spec.ingress.gateway.unwrap().waf_mode,
        Some(WafMode::Prevention)
    );
}

#[test]
fn bad_gateway_values_are_refused_with_what_is_allowed() {
    let e = only(
        &with(|d| d.ingress.gateway = s("appgw")),
        "ingress.gateway",
        "enum.value",
    );
    assert!(
        e.fix.contains("applicationGateway") && e.fix.contains("none"),
        "{e:?}"
    );
    let e = only(
        &with(|d| block(d).sku = s("Standard")),
        "ingress.applicationGateway.sku",
        "enum.value",
    );
    assert_eq!(e.fix, "use `Standard_v2` or `WAF_v2`");
    let e = only(
        &with(|d| block(d).waf_mode = s("Prevention")),
        "ingress.applicationGateway.wafMode",
        "gateway.waf-sku",
    );
    assert!(e.fix.contains("WAF_v2"), "{e:?}");
    only(
        &with(|d| {
            let b = block(d);
            b.sku = s("WAF_v2");
            b.waf_mode = s("block");
        }),
        "ingress.applicationGateway.wafMode",
        "enum.value",
    );
}

#[test]
fn capacities_are_in_azures_ranges_and_ordered() {
    let e = only(
        &with(|d| block(d).min_capacity = int(126)),
        "ingress.applicationGateway.minCapacity",
        "gateway.capacity",
    );
    assert!(e.message.contains("0-125"), "{e:?}");
    let e = only(
        &with(|d| block(d).max_capacity = int(1)),
        "ingress.applicationGateway.maxCapacity",
        "gateway.capacity",
    );
    assert!(e.message.contains("2-125"), "{e:?}");
    only(
        &with(|d| block(d).max_capacity = Some(Scalar::Text("ten".into()))),
        "ingress.applicationGateway.maxCapacity",
        "number.format",
    );
    let e = only(
        &with(|d| {
            let b = block(d);
            b.min_capacity = int(5);
            b.max_capacity = int(3);
        }),
        "ingress.applicationGateway.maxCapacity",
        "gateway.capacity-order",
    );
    assert_eq!(e.message, "maxCapacity 3 is below minCapacity 5");
    let e = only(
        &with(|d| block(d).min_capacity = int(20)),
        "ingress.applicationGateway.maxCapacity",
        "gateway.capacity-order",
    );
    assert!(e.message.contains("10 (the default)"), "{e:?}");
}

#[test]
fn gateway_fields_are_refused_when_the_gateway_is_off() {
    let doc = with(|d| {
        d.ingress.gateway = s("none");
        d.ingress.application_gateway = Some(AppGatewayDoc {
            sku: s("WAF_v2"),
            ..AppGatewayDoc::default()
        });
        d.cluster.network.gateway_subnet_cidr = s("10.20.1.0/24");
    });
    let errs = errors(&doc);
    let rules: Vec<(&str, &str)> = errs
        .iter()
        .map(|e| (e.field.as_str(), e.rule.as_str()))
        .collect();
    assert_eq!(
        rules,
        [
            ("cluster.network.gatewaySubnetCidr", "gateway.off"),
            ("ingress.applicationGateway", "gateway.off"),
        ]
    );
    // Blank form fields are not "given".
    ok(&with(|d| {
        d.ingress.gateway = s("none");
        d.ingress.application_gateway = Some(AppGatewayDoc {
            sku: s(" "),
            min_capacity: Some(Scalar::Text(String::new())),
            ..AppGatewayDoc::default()
        });
        d.cluster.network.gateway_subnet_cidr = s("");
    }));
    let e = only(
        &with(|d| {
            d.ingress.gateway = s("none");
            existing_vnet(d, Some("snet-appgw"));
        }),
        "cluster.network.existingVnet.gatewaySubnet",
        "gateway.off",
    );
    assert!(e.message.contains("snet-appgw"), "{e:?}");
}

#[test]
fn a_given_subnet_must_be_inside_the_vnet_and_dedicated() {
    let field = "cluster.network.gatewaySubnetCidr";
    let e = only(
        &with(|d| {
            gateway_on(d);
            d.cluster.network.gateway_subnet_cidr = s("10.30.0.0/24");
        }),
        field,
        "cidr.outside-vnet",
    );
    assert!(e.fix.contains("e.g. 10.20.1.0/24"), "{e:?}");
    for (overlapping, what) in [
        ("10.20.0.0/24", "the AKS subnet"),
        ("10.20.0.64/29", "the jumphost subnet"),
    ] {
        let errs = errors(&with(|d| {
            gateway_on(d);
            d.cluster.network.gateway_subnet_cidr = s(overlapping);
        }));
        let e = errs
            .iter()
            .find(|e| e.rule == "gateway-subnet.dedicated" && e.message.contains(what))
            .unwrap_or_else(|| panic!("{errs:#?}"));
        assert_eq!(e.field, field);
    }
    only(
        &with(|d| {
            gateway_on(d);
            d.cluster.network.gateway_subnet_cidr = s("10.20.1.1/24");
        }),
        field,
        "cidr.host-bits",
    );
}

#[test]
fn a_given_subnet_must_hold_max_capacity_plus_frontend_plus_reserved() {
    let field = "cluster.network.gatewaySubnetCidr";
    // A /28 holds 16 = 10 instances + 1 frontend + 5 reserved: just enough, with a warning.
    let spec = ok(&with(|d| {
        gateway_on(d);
        d.cluster.network.gateway_subnet_cidr = s("10.20.1.0/28");
    }));
    let warnings = spec.warnings(time::macros::date!(2026 - 12 - 07));
    assert!(
        warnings
            .iter()
            .any(|w| w.code == "gateway-subnet.small" && w.field == field),
        "{warnings:#?}"
    );
    let e = only(
        &with(|d| {
            block(d).max_capacity = int(11);
            d.cluster.network.gateway_subnet_cidr = s("10.20.1.0/28");
        }),
        field,
        "gateway-subnet.size",
    );
    assert!(e.message.contains("needs 17"), "{e:?}");
    assert!(
        e.fix.contains("/27") && e.fix.contains("lower maxCapacity to 10"),
        "{e:?}"
    );
    let e = only(
        &with(|d| {
            gateway_on(d);
            d.cluster.network.gateway_subnet_cidr = s("10.20.1.0/29");
        }),
        field,
        "gateway-subnet.size",
    );
    assert!(e.message.contains("has 8 addresses"), "{e:?}");
    assert!(e.fix.contains("lower maxCapacity to 2"), "{e:?}");
    let none = spec_without_small_warning();
    assert!(!none.iter().any(|w| w.code == "gateway-subnet.small"));
}

fn spec_without_small_warning() -> Vec<Warning> {
    ok(&with(gateway_on)).warnings(time::macros::date!(2026 - 12 - 07))
}

#[test]
fn a_full_vnet_gets_the_smallest_fitting_subnet_or_a_clear_error() {
    // No /24 is free in a /24 VNet: the smallest range for 16 addresses (a /28) that is free.
    let spec = ok(&with(|d| {
        gateway_on(d);
        d.cluster.network.vnet_cidr = s("10.20.0.0/24");
    }));
    assert_eq!(
        spec.cluster.network.gateway_subnet_cidr,
        Some(Cidr::parse("10.20.0.80/28").unwrap())
    );
    let e = only(
        &with(|d| {
            gateway_on(d);
            d.cluster.network.vnet_cidr = s("10.20.0.0/25");
            d.cluster.network.jumphost_subnet_cidr = s("10.20.0.64/26");
        }),
        "cluster.network.gatewaySubnetCidr",
        "gateway-subnet.no-room",
    );
    assert!(e.message.contains("16 addresses"), "{e:?}");
    assert!(e.fix.contains("gatewaySubnetCidr"), "{e:?}");
}

#[test]
fn an_existing_vnet_names_its_gateway_subnet_and_range() {
    let e = only(
        &with(|d| {
            gateway_on(d);
            existing_vnet(d, None);
            d.cluster.network.gateway_subnet_cidr = s("10.20.1.0/24");
        }),
        "cluster.network.existingVnet.gatewaySubnet",
        "required",
    );
    assert!(e.fix.contains("never changes"), "{e:?}");
    only(
        &with(|d| {
            gateway_on(d);
            existing_vnet(d, Some("snet-appgw"));
        }),
        "cluster.network.gatewaySubnetCidr",
        "required",
    );
    only(
        &with(|d| {
            gateway_on(d);
            existing_vnet(d, Some("SNET-AKS"));
            d.cluster.network.gateway_subnet_cidr = s("10.20.1.0/24");
        }),
        "cluster.network.existingVnet.gatewaySubnet",
        "network.same-subnet",
    );
    let spec = ok(&with(|d| {
        gateway_on(d);
        existing_vnet(d, Some("snet-appgw"));
        d.cluster.network.gateway_subnet_cidr = s("10.20.2.0/24");
    }));
    let e = spec.cluster.network.existing_vnet.clone().unwrap();
    assert_eq!(e.gateway_subnet.unwrap().as_str(), "snet-appgw");
    assert_eq!(InstallSpec::parse(&spec.to_document()).unwrap(), spec);
}

#[test]
fn an_existing_cluster_names_its_vnets_gateway_subnet() {
    let e = only(
        &with(|d| {
            gateway_on(d);
            d.cluster.mode = s("existing");
        }),
        "cluster.network.existingVnet.gatewaySubnet",
        "required",
    );
    assert!(e.fix.contains("existingVnet"), "{e:?}");
    let spec = ok(&with(|d| {
        gateway_on(d);
        d.cluster.mode = s("existing");
        existing_vnet(d, Some("snet-appgw"));
        d.cluster.network.gateway_subnet_cidr = s("10.20.1.0/24");
    }));
    assert_eq!(spec.cluster.mode, ClusterMode::Existing);
    assert_eq!(InstallSpec::parse(&spec.to_document()).unwrap(), spec);
}

#[test]
fn behind_a_gateway_the_static_ip_is_the_internal_load_balancers_in_both_modes() {
    let spec = ok(&with(|d| {
        gateway_on(d);
        d.ingress.load_balancer = s("external");
        d.ingress.static_ip = s("10.20.0.50");
    }));
    assert_eq!(spec.ingress.static_ip, Some(Ipv4Addr::new(10, 20, 0, 50)));
    assert_eq!(spec.ingress.cluster_load_balancer(), LbMode::Internal);
    assert_eq!(spec.ip_budget().load_balancer_ips, 1);
    only(
        &with(|d| {
            gateway_on(d);
            d.ingress.load_balancer = s("external");
            d.ingress.static_ip = s("10.20.0.200");
        }),
        "ingress.staticIp",
        "static-ip.outside",
    );
    let e = only(
        &with(|d| {
            d.ingress.gateway = s("none");
            d.ingress.load_balancer = s("external");
            d.ingress.static_ip = s("10.20.0.50");
        }),
        "ingress.staticIp",
        "static-ip.mode",
    );
    assert!(e.fix.contains("applicationGateway"), "{e:?}");
}

#[test]
fn acme_does_not_go_with_the_gateway() {
    let e = only(
        &with(|d| {
            gateway_on(d);
            d.ingress.load_balancer = s("external");
            d.domain.tls = s("acme");
        }),
        "domain.tls",
        "tls.acme-gateway",
    );
    assert!(e.fix.contains("provided"), "{e:?}");
}

#[test]
fn unknown_gateway_keys_are_refused() {
    let yaml = sample_yaml().replace(
        "ingress: { loadBalancer: internal }",
        "ingress: { loadBalancer: internal, gateway: applicationGateway, applicationGateway: { skuName: WAF_v2 } }",
    );
    assert!(from_yaml(&yaml).is_err());
    let yaml = sample_yaml().replace(
        "ingress: { loadBalancer: internal }",
        "ingress: { loadBalancer: internal, gateway: applicationGateway, applicationGateway: { sku: WAF_v2, wafMode: Detection, minCapacity: 1, maxCapacity: 3 } }",
    );
    let spec = ok(&from_yaml(&yaml).unwrap());
    assert_eq!(spec.ingress.gateway.unwrap().max_capacity, 3);
}
