//! Parser tests: `cluster.network` ranges, defaults and subnet capacity.

use super::*;

#[test]
fn cidr_format_and_host_bits() {
    let e = only(
        &with(|d| d.cluster.network.vnet_cidr = s("10.20.0.1/16")),
        "cluster.network.vnetCidr",
        "cidr.host-bits",
    );
    assert_eq!(e.fix, "did you mean 10.20.0.0/16?");
    only(
        &with(|d| d.cluster.network.vnet_cidr = s("10.20.300.0/16")),
        "cluster.network.vnetCidr",
        "cidr.format",
    );
    only(
        &with(|d| d.cluster.network.pod_cidr = s("fd00::/8")),
        "cluster.network.podCidr",
        "cidr.format",
    );
    only(
        &with(|d| d.cluster.network.vnet_cidr = None),
        "cluster.network.vnetCidr",
        "required",
    );
}

#[test]
fn subnets_inside_the_vnet_without_overlap() {
    let e = only(
        &with(|d| d.cluster.network.aks_subnet_cidr = s("10.30.0.0/26")),
        "cluster.network.aksSubnetCidr",
        "cidr.outside-vnet",
    );
    assert!(e.message.contains("10.30.0.0/26") && e.message.contains("10.20.0.0/16"));
    assert!(e.fix.contains("10.20.0.0/26"), "{}", e.fix);
    only(
        &with(|d| d.cluster.network.jumphost_subnet_cidr = s("10.21.0.0/29")),
        "cluster.network.jumphostSubnetCidr",
        "cidr.outside-vnet",
    );
    let e = only(
        &with(|d| d.cluster.network.jumphost_subnet_cidr = s("10.20.0.32/29")),
        "cluster.network.jumphostSubnetCidr",
        "cidr.overlap",
    );
    assert_eq!(e.fix, "use a free range such as 10.20.0.64/29");
    only(
        &with(|d| d.cluster.network.jumphost_subnet_cidr = s("10.20.0.64/30")),
        "cluster.network.jumphostSubnetCidr",
        "cidr.too-small",
    );
    // A too-small AKS subnet is not also given capacity figures.
    only(
        &with(|d| d.cluster.network.aks_subnet_cidr = s("10.20.0.0/30")),
        "cluster.network.aksSubnetCidr",
        "cidr.too-small",
    );
    ok(&with(|d| {
        d.cluster.network.jumphost_subnet_cidr = s("10.20.1.0/24")
    }));
}

#[test]
fn service_and_pod_ranges() {
    let n = |f: fn(&mut NetworkDoc)| with(move |d| f(&mut d.cluster.network));
    let service = |cidr: &'static str| {
        with(move |d| {
            d.cluster.network.service_cidr = s(cidr);
            d.cluster.network.dns_service_ip = None;
        })
    };
    only(
        &service("10.20.128.0/17"),
        "cluster.network.serviceCidr",
        "service-cidr.in-vnet",
    );
    let e = only(
        &service("192.168.0.0/24"),
        "cluster.network.serviceCidr",
        "cidr.overlap",
    );
    assert!(
        e.message.contains("pod CIDR 192.168.0.0/16"),
        "{}",
        e.message
    );
    only(
        &n(|n| n.pod_cidr = s("10.0.0.0/8")),
        "cluster.network.podCidr",
        "cidr.overlap",
    );
    only(
        &service("10.128.0.0/11"),
        "cluster.network.serviceCidr",
        "service-cidr.size",
    );
    ok(&service("100.64.0.0/12"));
    // 172.16.0.0/12 holds the ranges AKS reserves.
    only(
        &service("172.16.0.0/12"),
        "cluster.network.serviceCidr",
        "cidr.forbidden",
    );
    // Classic CNI drops the pod CIDR: an overlap with it no longer matters.
    let spec = ok(&n(|n| {
        n.plugin = s("azure");
        n.aks_subnet_cidr = s("10.20.0.0/22");
        n.jumphost_subnet_cidr = s("10.20.4.0/29");
        n.pod_cidr = s("10.20.0.0/16");
    }));
    assert_eq!(spec.cluster.network.pod_cidr, None);
    assert_eq!(spec.cluster.network.max_pods, 30);
    assert_eq!(spec.to_document().cluster.network.pod_cidr, None);
}

#[test]
fn aks_forbidden_ranges() {
    let n = |f: fn(&mut NetworkDoc)| with(move |d| f(&mut d.cluster.network));
    refused(
        &n(|n| n.vnet_cidr = s("172.30.0.0/16")),
        "cluster.network.vnetCidr",
        "cidr.forbidden",
    );
    only(
        &n(|n| {
            n.service_cidr = s("169.254.0.0/16");
            n.dns_service_ip = None;
        }),
        "cluster.network.serviceCidr",
        "cidr.forbidden",
    );
    only(
        &n(|n| n.pod_cidr = s("172.31.0.0/16")),
        "cluster.network.podCidr",
        "cidr.forbidden",
    );
    // (Also too small for the nodes: refused with both rules.)
    let e = refused(
        &n(|n| n.pod_cidr = s("192.0.2.0/24")),
        "cluster.network.podCidr",
        "cidr.forbidden",
    );
    assert!(e.message.contains("192.0.2.0/24"));
}

#[test]
fn dns_service_ip() {
    let dns = |ip: &'static str| with(move |d| d.cluster.network.dns_service_ip = s(ip));
    ok(&dns("172.16.0.53"));
    let e = only(
        &dns("10.0.0.10"),
        "cluster.network.dnsServiceIp",
        "dns-service-ip.outside",
    );
    assert_eq!(e.fix, "use 172.16.0.10");
    for reserved in ["172.16.0.0", "172.16.0.1", "172.16.255.255"] {
        only(
            &dns(reserved),
            "cluster.network.dnsServiceIp",
            "dns-service-ip.reserved",
        );
    }
    only(
        &dns("172.16.0"),
        "cluster.network.dnsServiceIp",
        "ip.format",
    );
    // Absent: base + 10 of the service CIDR.
    let spec = ok(&with(|d| {
        d.cluster.network.service_cidr = s("172.20.0.0/16");
        d.cluster.network.dns_service_ip = None;
    }));
    assert_eq!(
        spec.cluster.network.dns_service_ip,
        Ipv4Addr::new(172, 20, 0, 10)
    );
    only(
        &with(|d| {
            d.cluster.network.service_cidr = s("172.20.0.0/29");
            d.cluster.network.dns_service_ip = None;
        }),
        "cluster.network.dnsServiceIp",
        "dns-service-ip.outside",
    );
}

#[test]
fn network_defaults() {
    let spec = ok(&with(|d| {
        let n = &mut d.cluster.network;
        n.plugin = None;
        n.network_policy = None;
        n.pod_cidr = None;
        n.service_cidr = None;
        n.dns_service_ip = None;
        n.max_pods = None;
        n.outbound_type = None;
    }));
    let n = &spec.cluster.network;
    assert_eq!(n.plugin, NetworkPlugin::AzureOverlay);
    assert_eq!(n.network_policy, NetworkPolicy::Calico);
    assert_eq!(
        n.pod_cidr.map(|c| c.to_string()).as_deref(),
        Some("10.244.0.0/16")
    );
    assert_eq!(n.service_cidr.to_string(), "10.0.0.0/16");
    assert_eq!(n.dns_service_ip, Ipv4Addr::new(10, 0, 0, 10));
    assert_eq!(n.max_pods, 250);
    assert_eq!(n.outbound_type, OutboundType::LoadBalancer);
    let kubenet = ok(&with(|d| d.cluster.network.plugin = s("kubenet")));
    assert_eq!(kubenet.cluster.network.max_pods, 110);
}

#[test]
fn plugin_policy_outbound_and_max_pods() {
    let n = |f: fn(&mut NetworkDoc)| with(move |d| f(&mut d.cluster.network));
    let e = only(
        &n(|n| n.plugin = s("cilium")),
        "cluster.network.plugin",
        "enum.value",
    );
    assert!(e.fix.contains("`azure-overlay`"));
    only(
        &n(|n| n.network_policy = s("cilium")),
        "cluster.network.networkPolicy",
        "enum.value",
    );
    ok(&n(|n| n.network_policy = s("azure")));
    only(
        &n(|n| {
            n.plugin = s("kubenet");
            n.network_policy = s("azure");
        }),
        "cluster.network.networkPolicy",
        "network-policy.plugin",
    );
    let e = only(
        &n(|n| n.outbound_type = s("nat")),
        "cluster.network.outboundType",
        "enum.value",
    );
    assert_eq!(
        e.fix,
        "use `loadBalancer`, `userDefinedRouting` or `managedNATGateway`"
    );
    assert_eq!(
        ok(&n(|n| n.outbound_type = s("userDefinedRouting")))
            .cluster
            .network
            .outbound_type,
        OutboundType::UserDefinedRouting
    );
    assert_eq!(
        ok(&n(|n| n.max_pods = Some(Scalar::Text("40".into()))))
            .cluster
            .network
            .max_pods,
        40
    );
    only(
        &n(|n| n.max_pods = int(5)),
        "cluster.network.maxPods",
        "max-pods.range",
    );
    only(
        &n(|n| n.max_pods = int(251)),
        "cluster.network.maxPods",
        "max-pods.range",
    );
    only(
        &n(|n| n.max_pods = Some(Scalar::Float(30.5))),
        "cluster.network.maxPods",
        "number.format",
    );
}

#[test]
fn capacity() {
    // Overlay on the guide's /26 fits (the sample); a /29 does not.
    let e = only(
        &with(|d| d.cluster.network.aks_subnet_cidr = s("10.20.0.0/29")),
        "cluster.network.aksSubnetCidr",
        "subnet.capacity",
    );
    assert!(e.message.ends_with("/29 gives 3"), "{}", e.message);
    assert_eq!(e.fix, "use a /27 subnet (or lower the node pools' max)");
    // Classic CNI fits a /23 with the guide's pools.
    ok(&with(|d| {
        d.cluster.network.plugin = s("azure");
        d.cluster.network.aks_subnet_cidr = s("10.20.0.0/23");
        d.cluster.network.jumphost_subnet_cidr = s("10.20.2.0/29");
    }));
    // Big figures get thousands separators.
    let e = only(
        &with(|d| {
            d.cluster.network.plugin = s("azure");
            d.cluster.network.aks_subnet_cidr = s("10.20.0.0/24");
            d.cluster.network.jumphost_subnet_cidr = s("10.20.1.0/29");
            pool_mut(d, "compute").max = int(60);
        }),
        "cluster.network.aksSubnetCidr",
        "subnet.capacity",
    );
    // (2 + 60 + 2 nodes + 3 surge) × 31 + 1
    assert!(e.message.starts_with("needs 2,078 IPs"), "{}", e.message);
    // Each overlay node takes a /24 of the pod CIDR.
    let e = only(
        &with(|d| d.cluster.network.pod_cidr = s("192.168.0.0/22")),
        "cluster.network.podCidr",
        "pod-cidr.capacity",
    );
    assert!(e.message.contains("4 node blocks"), "{}", e.message);
    ok(&with(|d| d.cluster.network.pod_cidr = s("192.168.0.0/20")));
    // External load balancer: no frontend address in the subnet.
    let spec = ok(&with(|d| d.ingress.load_balancer = s("external")));
    assert_eq!(spec.ip_budget().load_balancer_ips, 0);
}

#[test]
fn an_existing_vnet_is_named_by_resource_group_vnet_and_subnets() {
    let mut doc = crate::spec::from_yaml(include_str!(
        "../../../../../../tests/it/fixtures/sample.yaml"
    ))
    .unwrap();
    doc.cluster.network.existing_vnet = Some(crate::spec::ExistingVnetDoc {
        resource_group: Some("rg-net".into()),
        name: Some("vnet-corp".into()),
        aks_subnet: Some("snet-aks".into()),
        jumphost_subnet: Some("snet-jump".into()),
        gateway_subnet: None,
    });
    let spec = crate::spec::InstallSpec::parse(&doc).unwrap();
    let e = spec.cluster.network.existing_vnet.clone().unwrap();
    assert_eq!(
        (e.resource_group.as_str(), e.name.as_str()),
        ("rg-net", "vnet-corp")
    );
    assert_eq!(
        crate::spec::InstallSpec::parse(&spec.to_document()).unwrap(),
        spec,
        "round trip"
    );

    doc.cluster
        .network
        .existing_vnet
        .as_mut()
        .unwrap()
        .jumphost_subnet = Some("SNET-AKS".into());
    doc.cluster.network.existing_vnet.as_mut().unwrap().name = Some("-vnet".into());
    let errors = crate::spec::InstallSpec::parse(&doc).unwrap_err();
    let rules: Vec<(&str, &str)> = errors
        .errors
        .iter()
        .map(|e| (e.field.as_str(), e.rule.as_str()))
        .collect();
    assert!(
        rules.contains(&("cluster.network.existingVnet.name", "network.name")),
        "{rules:?}"
    );
    assert!(
        rules.contains(&(
            "cluster.network.existingVnet.jumphostSubnet",
            "network.same-subnet"
        )),
        "{rules:?}"
    );
}
