//! Tests of the document parser: every rule accepted and refused, defaults, round trips.

use super::super::testutil::{SUBSCRIPTION, TENANT, sample_doc, sample_spec, sample_yaml};
use super::super::*;
use proptest::prelude::*;
use std::net::Ipv4Addr;

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn int(n: i64) -> Option<Scalar> {
    Some(Scalar::Int(n))
}

/// The sample document with one change.
fn with(change: impl FnOnce(&mut InstallDocument)) -> InstallDocument {
    let mut d = sample_doc();
    change(&mut d);
    d
}

fn errors(doc: &InstallDocument) -> Vec<FieldError> {
    match InstallSpec::parse(doc) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.errors,
    }
}

/// The document fails with exactly this rule at this field (other errors allowed elsewhere).
#[track_caller]
fn refused(doc: &InstallDocument, field: &str, rule: &str) -> FieldError {
    let errs = errors(doc);
    errs.iter()
        .find(|e| e.field == field && e.rule == rule)
        .cloned()
        .unwrap_or_else(|| panic!("no {rule} at {field} in {errs:#?}"))
}

/// The document fails with this single error.
#[track_caller]
fn only(doc: &InstallDocument, field: &str, rule: &str) -> FieldError {
    let errs = errors(doc);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(
        (errs[0].field.as_str(), errs[0].rule.as_str()),
        (field, rule),
        "{errs:#?}"
    );
    errs[0].clone()
}

#[track_caller]
fn ok(doc: &InstallDocument) -> InstallSpec {
    InstallSpec::parse(doc).unwrap_or_else(|e| panic!("{:#?}", e.errors))
}

fn pool_mut<'a>(d: &'a mut InstallDocument, role: &str) -> &'a mut NodePoolDoc {
    let pools = &mut d.cluster.node_pools;
    let p = match role {
        "platform" => &mut pools.platform,
        "compute" => &mut pools.compute,
        _ => &mut pools.gpu,
    };
    p.get_or_insert_with(NodePoolDoc::default)
}

// ---- The sample, defaults and round trips ----

#[test]
fn the_issue_sample_parses() {
    let spec = sample_spec();
    assert_eq!(spec.name.as_str(), "prod");
    assert_eq!(spec.azure.subscription_id.as_str(), SUBSCRIPTION);
    assert_eq!(spec.azure.tenant_id.as_str(), TENANT);
    assert_eq!(spec.azure.location.as_str(), "eastus");
    let c = &spec.cluster;
    assert_eq!(c.mode, ClusterMode::Create);
    assert_eq!(c.tier, ClusterTier::Standard);
    assert_eq!(
        c.kubernetes_version.map(|v| v.to_string()).as_deref(),
        Some("1.30")
    );
    assert_eq!(c.zones.to_strings(), ["1", "2"]);
    let n = &c.network;
    assert_eq!(n.plugin, NetworkPlugin::AzureOverlay);
    assert_eq!(n.network_policy, NetworkPolicy::Calico);
    assert_eq!(
        n.pod_cidr.map(|p| p.to_string()).as_deref(),
        Some("192.168.0.0/16")
    );
    assert_eq!(n.dns_service_ip, Ipv4Addr::new(172, 16, 0, 10));
    assert_eq!(n.max_pods, 250);
    assert_eq!(n.outbound_type, OutboundType::LoadBalancer);
    let p = &c.node_pools;
    assert_eq!(p.platform.name.as_str(), "platform");
    assert_eq!(p.platform.scale, NodeScale::Fixed(2));
    assert_eq!(p.compute.scale, NodeScale::Auto { min: 1, max: 4 });
    assert_eq!(
        p.gpu.as_ref().map(|g| g.scale),
        Some(NodeScale::Auto { min: 0, max: 2 })
    );
    assert_eq!(p.platform.max_surge, 1);
    assert_eq!(p.platform.label(), ("katonic.ai/node-pool", "platform"));
    assert_eq!(spec.domain.tls, TlsMode::Provided);
    assert_eq!(spec.ingress.load_balancer, LbMode::Internal);
    assert!(spec.storage.shared_files);
    assert_eq!(spec.registry.sku, RegistrySku::Standard);
    assert_eq!(
        spec.addons.superset.as_ref().map(Fqdn::as_str),
        Some("dash-katonic.example.com")
    );
    assert_eq!(
        spec.addons.airbyte.as_ref().map(Fqdn::as_str),
        Some("connectors-katonic.example.com")
    );
    assert_eq!(spec.platform.version, "5.0.9");
    let budget = spec.ip_budget();
    assert!(budget.fits());
    assert_eq!((budget.needed, budget.usable), (12, 59));
}

#[test]
fn the_vendor_guide_classic_cni_on_a_26_is_refused_with_the_figures() {
    let d = with(|d| d.cluster.network.plugin = s("azure"));
    let e = only(&d, "cluster.network.aksSubnetCidr", "subnet.capacity");
    assert!(e.message.contains("/26 gives 59"), "{}", e.message);
    assert_eq!(
        e.message,
        "needs 342 IPs with classic Azure CNI ((8 nodes + 3 surge) × (30 pods + 1) + 1 internal load balancer), /26 gives 59"
    );
    assert_eq!(e.fix, "use azure-overlay (needs 12 IPs) or a /23 subnet");
}

#[test]
fn the_canonical_document_round_trips() {
    let spec = sample_spec();
    let doc = spec.to_document();
    assert_eq!(InstallSpec::parse(&doc), Ok(spec.clone()));
    // Every default is written out.
    assert_eq!(doc.cluster.network.max_pods, int(250));
    assert_eq!(
        doc.cluster.network.outbound_type.as_deref(),
        Some("loadBalancer")
    );
    assert_eq!(
        doc.cluster.network.network_policy.as_deref(),
        Some("calico")
    );
    assert_eq!(doc.cluster.tier.as_deref(), Some("standard"));
    assert_eq!(
        doc.cluster.kubernetes_version,
        Some(Scalar::Text("1.30".into()))
    );
    assert_eq!(doc.registry.sku.as_deref(), Some("Standard"));
    assert_eq!(doc.platform.version, Some(Scalar::Text("5.0.9".into())));
    assert_eq!(pool_mut(&mut doc.clone(), "platform").max_surge, int(1));
    // Through YAML and JSON too.
    let yaml = to_yaml(&doc);
    assert_eq!(
        InstallSpec::parse(&from_yaml(&yaml).unwrap()),
        Ok(spec.clone())
    );
    let json = serde_json::to_string(&doc).unwrap();
    assert_eq!(InstallSpec::parse(&from_json(&json).unwrap()), Ok(spec));
}

#[test]
fn the_default_document_lacks_only_what_the_admin_must_give() {
    let doc = default_document();
    let errs = errors(&doc);
    let got: Vec<(&str, &str)> = errs
        .iter()
        .map(|e| (e.field.as_str(), e.rule.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("azure.subscriptionId", "required"),
            ("azure.tenantId", "required"),
            ("domain.fqdn", "required"),
        ]
    );
    let mut filled = doc.clone();
    filled.azure.subscription_id = s(SUBSCRIPTION);
    filled.azure.tenant_id = s(TENANT);
    filled.domain.fqdn = s("katonic.example.com");
    let spec = ok(&filled);
    assert_eq!(spec.cluster.kubernetes_version, None);
    assert_eq!(spec.cluster.network.plugin, NetworkPlugin::AzureOverlay);
    assert_eq!(
        spec.cluster.network.aks_subnet_cidr.to_string(),
        "10.20.0.0/26"
    );
    assert_eq!(
        spec.cluster
            .node_pools
            .gpu
            .as_ref()
            .map(|g| g.vm_size.as_str()),
        Some("Standard_NC4as_T4_v3")
    );
    assert_eq!(InstallSpec::parse(&spec.to_document()), Ok(spec));
}

#[test]
fn default_overrides_name_real_fields_and_differ_from_the_vendor() {
    let overrides = default_overrides();
    assert_eq!(overrides.len(), 3);
    let doc = default_document();
    for (field, vendor, why) in overrides {
        assert!(super::order::position(field) < usize::MAX, "{field}");
        assert!(!why.is_empty());
        let current = match *field {
            "cluster.network.plugin" => doc.cluster.network.plugin.clone(),
            "cluster.kubernetesVersion" => {
                doc.cluster.kubernetes_version.as_ref().map(Scalar::as_text)
            }
            "cluster.nodePools.gpu.vmSize" => doc
                .cluster
                .node_pools
                .gpu
                .as_ref()
                .and_then(|g| g.vm_size.clone()),
            other => panic!("untested override {other}"),
        };
        assert_ne!(current.as_deref(), Some(*vendor), "{field}");
    }
    // The vendor's values really are refused or warned about.
    let classic = with(|d| d.cluster.network.plugin = s("azure"));
    refused(&classic, "cluster.network.aksSubnetCidr", "subnet.capacity");
    let nc6 = ok(&with(|d| {
        pool_mut(d, "gpu").vm_size = s("Standard_NC6s_v3")
    }));
    let today = time::macros::date!(2026 - 11 - 25);
    assert!(
        nc6.warnings(today)
            .iter()
            .any(|w| w.code == "vm-size.retired")
    );
    let k129 = ok(&with(|d| {
        d.cluster.kubernetes_version = Some(Scalar::Text("1.29.5".into()))
    }));
    assert!(
        k129.warnings(today)
            .iter()
            .any(|w| w.code == "k8s.unsupported")
    );
}

// ---- Collecting every error, in document order ----

#[test]
fn an_empty_document_lists_every_missing_field_in_order() {
    let errs = errors(&InstallDocument::default());
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "apiVersion",
            "kind",
            "name",
            "azure.subscriptionId",
            "azure.tenantId",
            "azure.location",
            "azure.resourceGroup",
            "cluster.name",
            "cluster.network.vnetCidr",
            "cluster.network.aksSubnetCidr",
            "cluster.network.jumphostSubnetCidr",
            "cluster.nodePools.platform",
            "cluster.nodePools.compute",
            "domain.fqdn",
        ]
    );
    assert!(
        errs.iter()
            .all(|e| e.rule == "required" && !e.fix.is_empty())
    );
}

#[test]
fn every_error_is_collected_in_document_order() {
    let d = with(|d| {
        d.platform.version = Some(Scalar::Text("4.0".into()));
        d.domain.tls = s("acme"); // with the internal LB: refused at domain.tls
        d.domain.fqdn = s("katonic_example.com");
        pool_mut(d, "compute").min = int(5); // above max 4
        d.cluster.network.dns_service_ip = s("172.16.0.1");
        d.cluster.network.aks_subnet_cidr = s("10.30.0.0/26");
        d.azure.location = s("mars");
        d.name = s("Prod");
    });
    let errs = errors(&d);
    let got: Vec<(&str, &str)> = errs
        .iter()
        .map(|e| (e.field.as_str(), e.rule.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("name", "name.format"),
            ("azure.location", "region.unknown"),
            ("cluster.network.aksSubnetCidr", "cidr.outside-vnet"),
            ("cluster.network.dnsServiceIp", "dns-service-ip.reserved"),
            ("cluster.nodePools.compute.max", "pool.min-max"),
            ("domain.fqdn", "fqdn.label"),
            ("domain.tls", "tls.acme-internal"),
            ("platform.version", "platform.version"),
        ]
    );
    for e in &errs {
        assert!(!e.message.is_empty() && !e.fix.is_empty(), "{e}");
    }
    let err = InstallSpec::parse(&d).unwrap_err();
    assert_eq!(err.under("cluster.network").count(), 2);
    assert_eq!(err.to_string(), "the install spec has 8 error(s)");
}

#[test]
fn cross_field_checks_skip_inputs_that_failed() {
    // The VNet is garbage: subnets are not also reported as outside it.
    only(
        &with(|d| d.cluster.network.vnet_cidr = s("10.20.0.0")),
        "cluster.network.vnetCidr",
        "cidr.format",
    );
    // The domain is invalid: add-on hosts are not also reported.
    only(
        &with(|d| d.domain.fqdn = s("-bad.example.com")),
        "domain.fqdn",
        "fqdn.label",
    );
    // A pool failed: no capacity figure is computed from a partial pool set.
    only(
        &with(|d| pool_mut(d, "compute").max = Some(Scalar::Bool(true))),
        "cluster.nodePools.compute.max",
        "number.format",
    );
    // The service CIDR failed: the DNS IP is not checked against it.
    only(
        &with(|d| d.cluster.network.service_cidr = s("172.16.0.1/16")),
        "cluster.network.serviceCidr",
        "cidr.host-bits",
    );
}

// ---- Header and names ----

#[test]
fn api_version_and_kind() {
    only(
        &with(|d| d.api_version = s("katonic.ai/v2")),
        "apiVersion",
        "enum.value",
    );
    only(&with(|d| d.kind = s("Installation")), "kind", "enum.value");
    only(&with(|d| d.kind = None), "kind", "required");
}

#[test]
fn install_name() {
    assert_eq!(
        ok(&with(|d| d.name = s("katonic-prod-2"))).name.as_str(),
        "katonic-prod-2"
    );
    let e = only(&with(|d| d.name = s("prod-")), "name", "name.format");
    assert!(e.message.contains("`prod-`"));
    only(
        &with(|d| d.name = s(&"a".repeat(33))),
        "name",
        "name.format",
    );
    only(&with(|d| d.name = s("  ")), "name", "required");
}

#[test]
fn guids() {
    let spec = ok(&with(|d| {
        d.azure.subscription_id = s(&format!("{{{}}}", SUBSCRIPTION.to_uppercase()))
    }));
    assert_eq!(spec.azure.subscription_id.as_str(), SUBSCRIPTION);
    let e = only(
        &with(|d| d.azure.subscription_id = s("<guid>")),
        "azure.subscriptionId",
        "guid.format",
    );
    assert!(e.message.contains("`<guid>`"));
    only(
        &with(|d| d.azure.tenant_id = s("00000000-0000-0000-0000-000000000000")),
        "azure.tenantId",
        "guid.nil",
    );
}

#[test]
fn regions() {
    assert_eq!(
        ok(&with(|d| d.azure.location = s("East US 2")))
            .azure
            .location
            .as_str(),
        "eastus2"
    );
    let e = only(
        &with(|d| d.azure.location = s("eastsu")),
        "azure.location",
        "region.unknown",
    );
    assert!(e.fix.contains("`eastus`"), "{}", e.fix);
    let e = only(
        &with(|d| d.azure.location = s("westus")),
        "cluster.zones",
        "region.no-zones",
    );
    assert!(e.message.contains("`westus`"));
    assert!(
        e.fix.contains("`westus2`") || e.fix.contains("`westus3`"),
        "{}",
        e.fix
    );
    // No zones given: the default pair still needs a zonal region.
    only(
        &with(|d| {
            d.azure.location = s("ukwest");
            d.cluster.zones = None;
        }),
        "cluster.zones",
        "region.no-zones",
    );
}

#[test]
fn zones() {
    let spec = ok(&with(|d| {
        d.cluster.zones = Some(vec![Scalar::Int(3), Scalar::Text(" 1 ".into())])
    }));
    assert_eq!(spec.cluster.zones.to_strings(), ["1", "3"]);
    assert_eq!(
        ok(&with(|d| d.cluster.zones = None))
            .cluster
            .zones
            .to_strings(),
        ["1", "2"]
    );
    let z = |v: Vec<Scalar>| with(move |d| d.cluster.zones = Some(v));
    only(
        &z(vec![Scalar::Text("1".into())]),
        "cluster.zones",
        "zones.count",
    );
    only(&z(vec![]), "cluster.zones", "zones.count");
    only(
        &z(vec![Scalar::Int(1), Scalar::Text("1".into())]),
        "cluster.zones",
        "zones.duplicate",
    );
    only(
        &z(vec![Scalar::Int(1), Scalar::Int(4)]),
        "cluster.zones",
        "zones.value",
    );
    only(
        &z(vec![Scalar::Int(1), Scalar::Float(2.5)]),
        "cluster.zones",
        "zones.value",
    );
    only(
        &z(vec![Scalar::Int(1), Scalar::Bool(true)]),
        "cluster.zones",
        "zones.value",
    );
}

#[test]
fn resource_group_and_cluster_name() {
    ok(&with(|d| d.azure.resource_group = s("rg_katonic.(prod)")));
    only(
        &with(|d| d.azure.resource_group = s("rg-katonic.")),
        "azure.resourceGroup",
        "resource-group.name",
    );
    only(
        &with(|d| d.azure.resource_group = s("rg katonic")),
        "azure.resourceGroup",
        "resource-group.name",
    );
    ok(&with(|d| d.cluster.name = s("Katonic_Prod-1")));
    only(
        &with(|d| d.cluster.name = s("katonic-prod-")),
        "cluster.name",
        "cluster.name",
    );
    only(
        &with(|d| d.cluster.name = s(&"k".repeat(64))),
        "cluster.name",
        "cluster.name",
    );
    only(&with(|d| d.cluster.name = None), "cluster.name", "required");
}

#[test]
fn cluster_mode_and_tier() {
    let spec = ok(&with(|d| {
        d.cluster.mode = s("existing");
        d.cluster.tier = s("premium");
    }));
    assert_eq!(
        (spec.cluster.mode, spec.cluster.tier),
        (ClusterMode::Existing, ClusterTier::Premium)
    );
    let spec = ok(&with(|d| {
        d.cluster.mode = None;
        d.cluster.tier = None;
    }));
    assert_eq!(
        (spec.cluster.mode, spec.cluster.tier),
        (ClusterMode::Create, ClusterTier::Standard)
    );
    let e = only(
        &with(|d| d.cluster.mode = s("import")),
        "cluster.mode",
        "enum.value",
    );
    assert_eq!(e.fix, "use `create` or `existing`");
    let e = only(
        &with(|d| d.cluster.tier = s("gold")),
        "cluster.tier",
        "enum.value",
    );
    assert_eq!(e.fix, "use `free`, `standard` or `premium`");
}

#[test]
fn kubernetes_versions() {
    let v = |x: Option<Scalar>| with(move |d| d.cluster.kubernetes_version = x);
    assert_eq!(ok(&v(None)).cluster.kubernetes_version, None);
    assert_eq!(
        ok(&v(Some(Scalar::Text(String::new()))))
            .cluster
            .kubernetes_version,
        None
    );
    assert_eq!(
        ok(&v(Some(Scalar::Text("1.31.2".into()))))
            .cluster
            .kubernetes_version,
        Some(KubernetesVersion {
            major: 1,
            minor: 31,
            patch: Some(2)
        })
    );
    only(
        &v(Some(Scalar::Text("1.28".into()))),
        "cluster.kubernetesVersion",
        "k8s.too-old",
    );
    only(
        &v(Some(Scalar::Text("latest".into()))),
        "cluster.kubernetesVersion",
        "k8s.format",
    );
    only(
        &v(Some(Scalar::Int(1))),
        "cluster.kubernetesVersion",
        "k8s.format",
    );
    // Unquoted 1.30 in YAML is the float 1.3.
    let yaml = sample_yaml().replace("kubernetesVersion: \"1.30\"", "kubernetesVersion: 1.30");
    let doc = from_yaml(&yaml).unwrap();
    assert_eq!(doc.cluster.kubernetes_version, Some(Scalar::Float(1.3)));
    let e = only(&doc, "cluster.kubernetesVersion", "k8s.format");
    assert!(e.message.contains("1.3"), "{}", e.message);
    assert_eq!(e.fix, "quote it: `kubernetesVersion: \"1.30\"`");
    let e = only(
        &v(Some(Scalar::Float(1.31))),
        "cluster.kubernetesVersion",
        "k8s.format",
    );
    assert_eq!(e.fix, "quote it: `kubernetesVersion: \"1.31\"`");
}

// ---- Network ----

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

// ---- Node pools ----

#[test]
fn pool_scale_shapes() {
    let p = |f: fn(&mut NodePoolDoc)| with(move |d| f(pool_mut(d, "compute")));
    let spec = ok(&p(|p| {
        p.min = None;
        p.max = None;
        p.count = Some(Scalar::Text(" 3 ".into()));
    }));
    assert_eq!(spec.cluster.node_pools.compute.scale, NodeScale::Fixed(3));
    only(
        &p(|p| p.count = int(3)),
        "cluster.nodePools.compute.count",
        "pool.scale",
    );
    only(
        &p(|p| {
            p.min = None;
            p.max = None;
        }),
        "cluster.nodePools.compute.count",
        "required",
    );
    only(
        &p(|p| p.max = None),
        "cluster.nodePools.compute.max",
        "required",
    );
    only(
        &p(|p| p.min = None),
        "cluster.nodePools.compute.min",
        "required",
    );
    only(
        &p(|p| p.min = Some(Scalar::Float(1.5))),
        "cluster.nodePools.compute.min",
        "number.format",
    );
    only(
        &p(|p| p.min = int(-1)),
        "cluster.nodePools.compute.min",
        "number.format",
    );
}

#[test]
fn pool_bounds() {
    // Platform is the system pool: at least 2 nodes.
    let e = only(
        &with(|d| pool_mut(d, "platform").count = int(1)),
        "cluster.nodePools.platform.count",
        "pool.count",
    );
    assert!(e.message.contains("count 1"), "{}", e.message);
    only(
        &with(|d| {
            let p = pool_mut(d, "platform");
            p.count = None;
            p.min = int(1);
            p.max = int(3);
        }),
        "cluster.nodePools.platform.min",
        "pool.count",
    );
    // Compute may scale from zero but must be able to run a node.
    ok(&with(|d| pool_mut(d, "compute").min = int(0)));
    only(
        &with(|d| {
            let p = pool_mut(d, "compute");
            p.min = int(0);
            p.max = int(0);
        }),
        "cluster.nodePools.compute.max",
        "pool.count",
    );
    let e = only(
        &with(|d| pool_mut(d, "compute").min = int(5)),
        "cluster.nodePools.compute.max",
        "pool.min-max",
    );
    assert_eq!(e.message, "max 4 is below min 5 in the compute pool");
    only(
        &with(|d| pool_mut(d, "compute").max = int(1001)),
        "cluster.nodePools.compute.max",
        "pool.count",
    );
    // GPU may scale from zero; a fixed GPU pool of 0 is refused.
    only(
        &with(|d| {
            let p = pool_mut(d, "gpu");
            p.min = None;
            p.max = None;
            p.count = int(0);
        }),
        "cluster.nodePools.gpu.count",
        "pool.count",
    );
    // Surge.
    let spec = ok(&with(|d| pool_mut(d, "compute").max_surge = int(3)));
    assert_eq!(spec.cluster.node_pools.compute.max_surge, 3);
    only(
        &with(|d| pool_mut(d, "compute").max_surge = int(0)),
        "cluster.nodePools.compute.maxSurge",
        "pool.surge",
    );
    only(
        &with(|d| pool_mut(d, "compute").max_surge = int(101)),
        "cluster.nodePools.compute.maxSurge",
        "pool.surge",
    );
}

#[test]
fn pool_names_and_presence() {
    let spec = ok(&with(|d| pool_mut(d, "compute").name = s("work1")));
    assert_eq!(spec.cluster.node_pools.compute.name.as_str(), "work1");
    assert_eq!(spec.cluster.node_pools.compute.label().1, "compute");
    only(
        &with(|d| pool_mut(d, "compute").name = s("Work")),
        "cluster.nodePools.compute.name",
        "pool.name",
    );
    only(
        &with(|d| pool_mut(d, "gpu").name = s("gpupoolnumber1")),
        "cluster.nodePools.gpu.name",
        "pool.name",
    );
    let e = only(
        &with(|d| pool_mut(d, "gpu").name = s("compute")),
        "cluster.nodePools.gpu.name",
        "pool.name",
    );
    assert!(e.message.contains("compute pool"), "{}", e.message);
    only(
        &with(|d| d.cluster.node_pools.platform = None),
        "cluster.nodePools.platform",
        "required",
    );
    only(
        &with(|d| d.cluster.node_pools.compute = None),
        "cluster.nodePools.compute",
        "required",
    );
    let spec = ok(&with(|d| d.cluster.node_pools.gpu = None));
    assert!(spec.cluster.node_pools.gpu.is_none());
    assert_eq!(spec.cluster.node_pools.iter().count(), 2);
}

#[test]
fn vm_sizes() {
    let spec = ok(&with(|d| {
        pool_mut(d, "platform").vm_size = s("standard_ds3_v2")
    }));
    assert_eq!(
        spec.cluster.node_pools.platform.vm_size.as_str(),
        "Standard_DS3_v2"
    );
    ok(&with(|d| {
        pool_mut(d, "compute").vm_size = s("Standard_D8as_v6")
    }));
    let e = only(
        &with(|d| pool_mut(d, "compute").vm_size = s("D8s_v3")),
        "cluster.nodePools.compute.vmSize",
        "vm-size.format",
    );
    assert_eq!(e.fix, "write the full size name: `Standard_D8s_v3`");
    only(
        &with(|d| pool_mut(d, "compute").vm_size = None),
        "cluster.nodePools.compute.vmSize",
        "required",
    );
    let e = only(
        &with(|d| pool_mut(d, "gpu").vm_size = s("Standard_D8s_v3")),
        "cluster.nodePools.gpu.vmSize",
        "pool.gpu-size",
    );
    assert!(e.message.contains("`Standard_D8s_v3`"));
    ok(&with(|d| {
        pool_mut(d, "gpu").vm_size = s("Standard_NC24ads_A100_v4")
    }));
    only(
        &with(|d| pool_mut(d, "platform").vm_size = s("Standard_DS1_v2")),
        "cluster.nodePools.platform.vmSize",
        "pool.system-vm",
    );
}

// ---- Domain, ingress, add-ons ----

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
        &with(|d| d.domain.tls = s("acme")),
        "domain.tls",
        "tls.acme-internal",
    );
    assert!(e.message.contains("internet"));
    let spec = ok(&with(|d| {
        d.domain.tls = s("acme");
        d.ingress.load_balancer = s("external");
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
        }),
        "ingress.staticIp",
        "static-ip.mode",
    );
    assert_eq!(ok(&ip("")).ingress.static_ip, None);
}

// ---- Storage, registry, platform ----

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

// ---- Properties ----

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?"
}

fn doc_strategy() -> impl Strategy<Value = InstallDocument> {
    let zonal: Vec<String> = catalog::regions()
        .iter()
        .filter(|r| r.zones >= 2)
        .map(|r| r.name.clone())
        .collect();
    let sizes = [
        "Standard_DS3_v2",
        "Standard_D4s_v5",
        "Standard_E8s_v5",
        "Standard_F8s_v2",
    ];
    let guid = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
    let pool = |min_floor: u32| {
        (
            min_floor..4u32,
            0u32..6,
            any::<bool>(),
            1u32..3,
            proptest::sample::select(sizes.to_vec()),
        )
            .prop_map(|(lo, extra, fixed, surge, size)| NodePoolDoc {
                name: None,
                vm_size: Some(size.to_string()),
                count: fixed.then(|| Scalar::Int(i64::from(lo.max(1) + extra))),
                min: (!fixed).then_some(Scalar::Int(i64::from(lo))),
                max: (!fixed).then(|| Scalar::Int(i64::from((lo + extra).max(1)))),
                max_surge: Some(Scalar::Int(i64::from(surge))),
            })
    };
    (
        (
            "[a-z][a-z0-9-]{0,20}[a-z0-9]",
            guid,
            guid,
            proptest::sample::select(zonal),
            "[A-Za-z0-9_-]{1,30}",
        ),
        (
            proptest::option::of(29u32..40),
            proptest::sample::select(vec!["free", "standard", "premium"]),
            proptest::sample::subsequence(vec!["1", "2", "3"], 2..=3),
            proptest::sample::select(vec!["azure-overlay", "azure", "kubenet"]),
            proptest::option::of(10u32..=60),
            proptest::sample::select(vec![
                "loadBalancer",
                "userDefinedRouting",
                "managedNATGateway",
            ]),
        ),
        (pool(2), pool(0), proptest::option::of(pool(0))),
        (
            proptest::collection::vec(label(), 1..3),
            any::<bool>(),
            proptest::option::of(4u8..200),
            proptest::option::of("[a-z0-9]{3,24}"),
            proptest::option::of("[A-Za-z0-9]{5,50}"),
            any::<(bool, bool, bool)>(),
        ),
    )
        .prop_map(|(head, cluster, pools, rest)| {
            let (name, sub, tenant, location, rg) = head;
            let (k8s, tier, zones, plugin, max_pods, outbound) = cluster;
            let (platform, compute, gpu) = pools;
            let (labels, external, static_ip, account, registry, (shared, superset, airbyte)) =
                rest;
            let gpu = gpu.map(|mut g| {
                g.vm_size = Some("Standard_NC4as_T4_v3".to_string());
                g
            });
            InstallDocument {
                api_version: s(API_VERSION),
                kind: s(KIND),
                name: Some(name),
                azure: AzureDoc {
                    subscription_id: Some(sub),
                    tenant_id: Some(tenant),
                    location: Some(location),
                    resource_group: Some(rg),
                },
                cluster: ClusterDoc {
                    mode: s("create"),
                    name: s("katonic-aks"),
                    kubernetes_version: k8s.map(|m| Scalar::Text(format!("1.{m}"))),
                    tier: s(tier),
                    zones: Some(zones.into_iter().map(|z| Scalar::Text(z.into())).collect()),
                    network: NetworkDoc {
                        vnet_cidr: s("10.20.0.0/16"),
                        // Room for classic CNI at 60 pods: (12 nodes + 9 surge) × 61 + 1.
                        aks_subnet_cidr: s("10.20.0.0/21"),
                        jumphost_subnet_cidr: s("10.20.8.0/29"),
                        plugin: s(plugin),
                        network_policy: None,
                        pod_cidr: s("192.168.0.0/16"),
                        service_cidr: s("172.16.0.0/16"),
                        dns_service_ip: None,
                        max_pods: max_pods.map(|m| Scalar::Int(i64::from(m))),
                        outbound_type: s(outbound),
                    },
                    node_pools: NodePoolsDoc {
                        platform: Some(platform),
                        compute: Some(compute),
                        gpu,
                    },
                },
                domain: DomainDoc {
                    fqdn: Some(format!("{}.com", labels.join("."))),
                    tls: s(if external { "acme" } else { "provided" }),
                },
                ingress: IngressDoc {
                    load_balancer: s(if external { "external" } else { "internal" }),
                    static_ip: static_ip
                        .filter(|_| !external)
                        .map(|o| format!("10.20.7.{o}")),
                },
                storage: StorageDoc {
                    shared_files: Some(shared),
                    account_name: account,
                },
                registry: RegistryDoc {
                    name: registry,
                    sku: None,
                },
                addons: AddonsDoc {
                    superset: Some(superset),
                    airbyte: Some(airbyte),
                },
                platform: PlatformDoc::default(),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn generated_documents_parse_and_round_trip(doc in doc_strategy()) {
        let spec = InstallSpec::parse(&doc).map_err(|e| TestCaseError::fail(format!("{:#?}", e.errors)))?;
        let canonical = spec.to_document();
        prop_assert_eq!(InstallSpec::parse(&canonical), Ok(spec.clone()));
        prop_assert_eq!(InstallSpec::parse(&canonical).map(|s| s.to_document()), Ok(canonical.clone()));
        let yaml = to_yaml(&canonical);
        prop_assert_eq!(from_yaml(&yaml).map(|d| InstallSpec::parse(&d)), Ok(Ok(spec.clone())));
        prop_assert!(spec.ip_budget().fits());
        let _ = spec.warnings(time::macros::date!(2026 - 11 - 25));
    }

    #[test]
    fn a_host_bit_in_any_range_is_refused(bit in 0u32..8, which in 0usize..4) {
        let mut d = sample_doc();
        let n = &mut d.cluster.network;
        let (field, value) = match which {
            0 => ("cluster.network.vnetCidr", format!("10.20.{}.0/16", 1u32 << bit)),
            1 => ("cluster.network.aksSubnetCidr", format!("10.20.0.{}/26", (1u32 << bit) % 64)),
            2 => ("cluster.network.podCidr", format!("192.168.{}.0/16", 1u32 << bit)),
            _ => ("cluster.network.serviceCidr", format!("172.16.{}.0/16", 1u32 << bit)),
        };
        prop_assume!(!value.contains(".0/26") || which != 1);
        match which {
            0 => n.vnet_cidr = Some(value),
            1 => n.aks_subnet_cidr = Some(value),
            2 => n.pod_cidr = Some(value),
            _ => n.service_cidr = Some(value),
        }
        let errs = errors(&d);
        prop_assert_eq!(errs.len(), 1);
        prop_assert_eq!(errs[0].field.as_str(), field);
        prop_assert_eq!(errs[0].rule.as_str(), "cidr.host-bits");
    }

    #[test]
    fn arbitrary_text_never_panics(s in any::<String>()) {
        let _ = from_yaml(&s).map(|d| InstallSpec::parse(&d));
        let _ = from_json(&s).map(|d| InstallSpec::parse(&d));
    }

    #[test]
    fn arbitrary_field_values_never_panic(
        values in proptest::collection::vec(any::<String>(), 12),
        numbers in proptest::collection::vec(any::<i64>(), 4),
    ) {
        let mut d = sample_doc();
        let v = |i: usize| Some(values[i].clone());
        d.name = v(0);
        d.azure.subscription_id = v(1);
        d.azure.location = v(2);
        d.cluster.name = v(3);
        d.cluster.kubernetes_version = Some(Scalar::Text(values[4].clone()));
        d.cluster.network.vnet_cidr = v(5);
        d.cluster.network.aks_subnet_cidr = v(6);
        d.cluster.network.dns_service_ip = v(7);
        d.domain.fqdn = v(8);
        d.ingress.static_ip = v(9);
        pool_mut(&mut d, "compute").vm_size = v(10);
        d.cluster.zones = Some(vec![Scalar::Text(values[11].clone()), Scalar::Int(numbers[0])]);
        pool_mut(&mut d, "platform").count = Some(Scalar::Int(numbers[1]));
        pool_mut(&mut d, "compute").max = Some(Scalar::Int(numbers[2]));
        d.cluster.network.max_pods = Some(Scalar::Int(numbers[3]));
        if let Err(e) = InstallSpec::parse(&d) {
            prop_assert!(!e.errors.is_empty());
            for w in e.errors.windows(2) {
                prop_assert!(super::order::position(&w[0].field) <= super::order::position(&w[1].field));
            }
        }
    }

    #[test]
    fn yaml_of_arbitrary_scalars_never_panics(k in "[a-zA-Z]{1,12}", v in any::<String>()) {
        let yaml = format!("{}\ncluster:\n  {k}: {v:?}\n", sample_yaml());
        let _ = from_yaml(&yaml).map(|d| InstallSpec::parse(&d));
    }
}
