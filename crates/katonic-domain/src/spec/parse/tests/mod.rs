//! Tests of the document parser: every rule accepted and refused, defaults, round trips.
//!
//! Shared helpers and whole-document tests here; one file per section beside it.

mod access;
mod gateway;
mod katonic_domain;
mod names;
mod network;
mod pools;
mod properties;

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
        d.ingress.gateway = s("none");
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
