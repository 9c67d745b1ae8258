//! Parser tests: header, install name, Azure target, cluster name, mode, tier, zones, version.

use super::*;

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
        &z(vec![Scalar::Int(1), Scalar::Float(2.0)]),
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
