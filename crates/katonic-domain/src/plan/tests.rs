//! Plans of whole specs, parsed from YAML as an admin would write them.

use super::*;
use crate::spec::{InstallDocument, NodePoolDoc, Scalar, catalog, from_yaml};
use proptest::prelude::*;
use std::collections::HashSet;
use time::macros::date;

/// The issue's sample install.
const SAMPLE: &str = r#"
apiVersion: katonic.ai/v1
kind: Install
name: prod
azure: { subscriptionId: 3f2c1a9e-8b7d-4c6e-9f01-23456789abcd, tenantId: 0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d, location: eastus, resourceGroup: rg-katonic-prod }
cluster:
  mode: create
  name: katonic-prod
  kubernetesVersion: "1.30"
  zones: ["1", "2"]
  network: { vnetCidr: 10.20.0.0/16, aksSubnetCidr: 10.20.0.0/26, jumphostSubnetCidr: 10.20.0.64/29,
             plugin: azure-overlay, podCidr: 192.168.0.0/16, serviceCidr: 172.16.0.0/16, dnsServiceIp: 172.16.0.10 }
  nodePools:
    platform: { vmSize: Standard_DS3_v2, count: 2 }
    compute:  { vmSize: Standard_D8s_v3, min: 1, max: 4 }
    gpu:      { vmSize: Standard_NC4as_T4_v3, min: 0, max: 2 }
domain: { fqdn: katonic.example.com }
ingress: { loadBalancer: internal }
storage: { sharedFiles: true }
addons: { superset: true, airbyte: true }
platform: { version: 5.0.9 }
"#;

const TODAY: time::Date = date!(2026 - 11 - 25);

fn sample_doc() -> InstallDocument {
    from_yaml(SAMPLE).expect("sample YAML reads")
}

fn spec_of(doc: &InstallDocument) -> InstallSpec {
    InstallSpec::parse(doc).unwrap_or_else(|e| panic!("spec refused: {:#?}", e.errors))
}

/// The sample with `edit` applied.
fn variant(edit: impl FnOnce(&mut InstallDocument)) -> InstallSpec {
    let mut doc = sample_doc();
    edit(&mut doc);
    spec_of(&doc)
}

fn plan_of(spec: &InstallSpec) -> InstallPlan {
    InstallPlan::from_spec(spec, TODAY)
}

fn sample_plan() -> InstallPlan {
    plan_of(&spec_of(&sample_doc()))
}

fn ids(plan: &InstallPlan) -> Vec<StepId> {
    plan.steps.iter().map(|s| s.id).collect()
}

fn existing(doc: &mut InstallDocument) {
    doc.cluster.mode = Some("existing".into());
}

fn pool(size: &str, min: i64, max: i64) -> NodePoolDoc {
    NodePoolDoc {
        vm_size: Some(size.into()),
        min: Some(Scalar::Int(min)),
        max: Some(Scalar::Int(max)),
        ..NodePoolDoc::default()
    }
}

/// Steps are unique, each comes after its dependencies, and those are in the plan.
fn assert_well_formed(plan: &InstallPlan) {
    let mut seen = HashSet::new();
    for step in &plan.steps {
        for dep in &step.depends_on {
            assert!(
                seen.contains(dep),
                "{} depends on {dep}, which is absent or later",
                step.id
            );
        }
        assert!(seen.insert(step.id), "{} twice", step.id);
        assert!(!step.title.is_empty() && !step.detail.is_empty());
    }
    assert_eq!(plan.steps.first().map(|s| s.id), Some(StepId::Preflight));
    assert_eq!(plan.steps.last().map(|s| s.id), Some(StepId::Verify));
    // The critical path is a chain of dependencies whose durations add up.
    for pair in plan.critical_path.windows(2) {
        let later = plan.step(pair[1]).expect("path step in plan");
        assert!(later.depends_on.contains(&pair[0]), "{pair:?} is no edge");
    }
    let path_secs: u32 = plan
        .critical_path
        .iter()
        .map(|id| plan.step(*id).expect("in plan").expected_secs)
        .sum();
    assert_eq!(plan.critical_path_secs, path_secs);
    for step in &plan.steps {
        assert_eq!(step.on_critical_path, plan.critical_path.contains(&step.id));
    }
    let sum: u32 = plan.steps.iter().map(|s| s.expected_secs).sum();
    assert_eq!(plan.sequential_secs, sum);
    assert!(plan.critical_path_secs <= plan.sequential_secs);
    assert_costs_add_up(&plan.cost);
}

fn assert_costs_add_up(cost: &CostEstimate) {
    let min: f64 = cost.lines.iter().map(|l| l.monthly_min).sum();
    let max: f64 = cost.lines.iter().map(|l| l.monthly_max).sum();
    assert!(
        (min - cost.monthly_min).abs() < 0.005,
        "{min} vs {}",
        cost.monthly_min
    );
    assert!(
        (max - cost.monthly_max).abs() < 0.005,
        "{max} vs {}",
        cost.monthly_max
    );
    assert!(cost.monthly_min <= cost.monthly_max);
    for line in &cost.lines {
        assert!(
            0.0 <= line.monthly_min && line.monthly_min <= line.monthly_max,
            "{line:?}"
        );
    }
}

fn resource<'a>(plan: &'a InstallPlan, title: &str) -> Option<&'a PlannedResource> {
    plan.resources.iter().find(|r| r.title == title)
}

fn counts(plan: &InstallPlan, title: &str) -> (u32, u32) {
    resource(plan, title).map_or((0, 0), |r| (r.count_min, r.count_max))
}

#[test]
fn sample_plan_is_a_well_formed_dag() {
    let plan = sample_plan();
    assert_well_formed(&plan);
    use StepId::*;
    assert_eq!(
        ids(&plan),
        vec![
            Preflight,
            ResourceGroup,
            Network,
            Identity,
            Storage,
            Registry,
            AksCluster,
            RoleAssignments,
            Kubeconfig,
            StorageClasses,
            Namespaces,
            NetworkPolicies,
            IngressLoadBalancer,
            Tls,
            Platform,
            Superset,
            Airbyte,
            Dns,
            Verify,
        ]
        .into_iter()
        // The README sample says nothing of the gateway: it follows the default.
        .filter(|id| *id != IngressLoadBalancer || !crate::spec::DEFAULT_GATEWAY_ON)
        .flat_map(
            |id| if id == NetworkPolicies && crate::spec::DEFAULT_GATEWAY_ON {
                vec![NetworkPolicies, AppGateway, IngressLoadBalancer]
            } else {
                vec![id]
            }
        )
        .collect::<Vec<_>>()
    );
}

#[test]
fn sample_critical_path_runs_through_the_cluster_with_its_pools_platform_and_airbyte() {
    let plan = sample_plan();
    use StepId::*;
    assert_eq!(
        plan.critical_path,
        vec![
            Preflight,
            ResourceGroup,
            Network,
            AksCluster,
            Kubeconfig,
            Namespaces,
            Tls,
            Platform,
            Airbyte,
            Verify
        ]
    );
    // The sample's GPU pool scales from 0: no driver install in the cluster's operation.
    assert_eq!(
        plan.critical_path_secs,
        45 + 5 + 30 + 425 + 10 + 5 + 15 + 600 + 240 + 60
    );
    // Issue 17: at most 24 minutes (it was 31m 35s with a pool operation per pool).
    assert!(plan.critical_path_secs <= 24 * 60);
    // The gateway (on by default, issue 17) runs beside the cluster: on the sum, off the path.
    let gateway = if crate::spec::DEFAULT_GATEWAY_ON {
        expected_secs(StepId::AppGateway)
    } else {
        0
    };
    assert_eq!(plan.sequential_secs, 1_890 + gateway);
}

#[test]
fn the_identity_is_created_beside_the_network_and_the_cluster_waits_for_both() {
    let plan = sample_plan();
    let deps = |id| plan.step(id).expect("in plan").depends_on.clone();
    assert_eq!(deps(StepId::Identity), vec![StepId::ResourceGroup]);
    assert_eq!(deps(StepId::Network), vec![StepId::ResourceGroup]);
    assert_eq!(
        deps(StepId::AksCluster),
        vec![StepId::Network, StepId::Identity]
    );
    assert!(
        plan.step(StepId::ComputePool).is_none() && plan.step(StepId::GpuPool).is_none(),
        "no separate pool operations for a new cluster"
    );
    let without_gpu = plan_of(&variant(|d| d.cluster.node_pools.gpu = None));
    let cluster = without_gpu.step(StepId::AksCluster).expect("in plan");
    assert_eq!(
        cluster.expected_secs, 425,
        "no driver install without a GPU pool"
    );
    let gpu_nodes = plan_of(&variant(|d| {
        d.cluster.node_pools.gpu = Some(pool("Standard_NC4as_T4_v3", 1, 2))
    }));
    let cluster = gpu_nodes.step(StepId::AksCluster).expect("in plan");
    assert_eq!(
        cluster.expected_secs,
        425 + GPU_DRIVER_SECS,
        "GPU nodes from the start: their driver install is in the operation"
    );
    // The platform install does not wait for the load balancer's address; DNS does.
    let platform = &plan.step(StepId::Platform).expect("in plan").depends_on;
    assert!(
        !platform.contains(&StepId::IngressLoadBalancer),
        "{platform:?}"
    );
    assert!(
        plan.step(StepId::Dns)
            .expect("in plan")
            .depends_on
            .contains(&StepId::IngressLoadBalancer)
    );
}

#[test]
fn optional_steps_appear_only_when_configured() {
    let full = sample_plan();
    for id in [StepId::Superset, StepId::Airbyte] {
        assert!(full.step(id).is_some(), "{id} missing");
    }
    assert!(
        full.step(StepId::AksCluster)
            .expect("in plan")
            .detail
            .contains("user pool gpu")
    );
    let bare = plan_of(&variant(|d| {
        d.cluster.node_pools.gpu = None;
        d.addons.superset = Some(false);
        d.addons.airbyte = Some(false);
    }));
    assert_well_formed(&bare);
    for id in [StepId::Superset, StepId::Airbyte] {
        assert!(bare.step(id).is_none(), "{id} present");
    }
    assert!(
        !bare
            .step(StepId::AksCluster)
            .expect("in plan")
            .detail
            .contains("pool gpu")
    );
    let only_superset = plan_of(&variant(|d| d.addons.airbyte = Some(false)));
    assert!(only_superset.step(StepId::Superset).is_some());
    assert!(only_superset.step(StepId::Airbyte).is_none());
}

#[test]
fn existing_mode_creates_no_cluster_network_or_pools() {
    let plan = plan_of(&variant(existing));
    assert_well_formed(&plan);
    for id in [
        StepId::Network,
        StepId::Identity,
        StepId::AksCluster,
        StepId::ComputePool,
        StepId::GpuPool,
    ] {
        assert!(plan.step(id).is_none(), "{id} in existing mode");
    }
    for id in [
        StepId::ResourceGroup,
        StepId::Storage,
        StepId::Registry,
        StepId::Kubeconfig,
        StepId::RoleAssignments,
        StepId::Platform,
    ] {
        assert!(plan.step(id).is_some(), "{id} missing in existing mode");
    }
    let kinds: Vec<&str> = plan.resources.iter().map(|r| r.kind.as_str()).collect();
    assert!(!kinds.contains(&"Microsoft.Network/virtualNetworks"));
    let cluster = resource(&plan, "AKS cluster (existing)").expect("existing cluster listed");
    assert!(!cluster.created_by_console);
}

#[test]
fn steps_name_the_spec_values() {
    let plan = sample_plan();
    let detail = |id| plan.step(id).expect("in plan").detail.clone();
    assert!(detail(StepId::Network).contains("vnet-katonic-prod"));
    assert!(detail(StepId::Network).contains("10.20.0.0/26"));
    assert!(detail(StepId::Network).contains("10.20.0.64/29"));
    assert!(detail(StepId::AksCluster).contains("katonic.ai/node-pool=platform"));
    assert!(detail(StepId::AksCluster).contains("Kubernetes 1.30"));
    assert!(detail(StepId::AksCluster).contains("1 to 4 nodes"));
    assert!(detail(StepId::AksCluster).contains("Standard_NC4as_T4_v3"));
    assert!(detail(StepId::AksCluster).contains("katonic.ai/node-pool=gpu"));
    assert!(
        detail(StepId::AksCluster).contains(
            "user pool compute: Standard_D8s_v3, 1 to 4 nodes (autoscaling) labelled \
             katonic.ai/node-pool=compute and tainted katonic.ai/node-pool=compute:NoSchedule"
        ),
        "{}",
        detail(StepId::AksCluster)
    );
    assert!(
        detail(StepId::AksCluster)
            .contains("tainted katonic.ai/node-pool=platform:PreferNoSchedule")
    );
    assert!(detail(StepId::Storage).contains("datasets"));
    assert!(detail(StepId::Storage).contains("backups"));
    assert!(detail(StepId::Storage).contains("kfs-shared"));
    assert!(detail(StepId::StorageClasses).contains("kfs-shared"));
    assert!(detail(StepId::Superset).contains("dash-katonic.example.com"));
    assert!(detail(StepId::Airbyte).contains("connectors-katonic.example.com"));
    assert!(detail(StepId::Platform).contains("5.0.9"));
    for host in [
        "katonic.example.com",
        "dash-katonic.example.com",
        "connectors-katonic.example.com",
    ] {
        assert!(detail(StepId::Dns).contains(host), "{host} not in dns");
    }
    let unshared = plan_of(&variant(|d| d.storage.shared_files = Some(false)));
    let classes = &unshared
        .step(StepId::StorageClasses)
        .expect("in plan")
        .detail;
    assert!(!classes.contains("kfs-shared"));
}

#[test]
fn durations_are_in_one_table() {
    let plan = sample_plan();
    for step in &plan.steps {
        assert_eq!(
            step.expected_secs,
            planned_secs(&spec_of(&sample_doc()), step.id)
        );
    }
    assert_eq!(expected_secs(StepId::AksCluster), 425);
    assert_eq!(expected_secs(StepId::Platform), 600);
}

#[test]
fn sample_resources_follow_the_vendor_table() {
    let plan = sample_plan();
    // Nodes: platform 2, compute 1 to 4, GPU 0 to 2.
    assert_eq!(counts(&plan, "Network interface"), (3, 8));
    assert_eq!(counts(&plan, "OS disk (managed disk)"), (3, 8));
    assert_eq!(counts(&plan, "Public IP address per node"), (0, 0));
    assert!(
        resource(&plan, "Public IP address per node")
            .expect("listed")
            .note
            .contains("private cluster")
    );
    let vnet = resource(&plan, "Virtual network").expect("create mode has a VNet");
    assert_eq!(
        (vnet.name.as_str(), vnet.count_min),
        ("vnet-katonic-prod", 1)
    );
    assert_eq!(
        resource(&plan, "Network security group").map(|r| r.name.as_str()),
        Some("nsg-katonic-prod")
    );
    let aks = resource(&plan, "AKS cluster").expect("listed");
    assert!(aks.note.contains("1.30") && aks.created_by_console);
    let scale_sets = plan
        .resources
        .iter()
        .filter(|r| r.kind == "Microsoft.Compute/virtualMachineScaleSets")
        .count();
    assert_eq!(scale_sets, 3);
    assert_eq!(counts(&plan, "Azure Files share"), (1, 1));
    assert_eq!(counts(&plan, "Blob container"), (2, 2));
    // Internal ingress: no ingress public IP, but the egress IP of outbound type loadBalancer.
    assert_eq!(counts(&plan, "Public IP address (ingress)"), (0, 0));
    assert_eq!(counts(&plan, "Public IP address (egress)"), (1, 1));
    assert_eq!(counts(&plan, "Standard load balancer (internal)"), (1, 1));
    for r in &plan.resources {
        assert!(r.count_min <= r.count_max, "{r:?}");
    }
}

#[test]
fn azure_files_only_with_shared_storage() {
    let plan = plan_of(&variant(|d| d.storage.shared_files = Some(false)));
    assert!(resource(&plan, "Azure Files share").is_none());
    assert!(
        !plan
            .resources
            .iter()
            .any(|r| r.name.contains("Storage Account Contributor"))
    );
}

#[test]
fn ingress_public_ip_only_in_external_mode() {
    let plan = plan_of(&variant(|d| {
        d.ingress.load_balancer = Some("external".into());
        d.ingress.gateway = Some("none".into());
    }));
    assert_well_formed(&plan);
    assert_eq!(counts(&plan, "Public IP address (ingress)"), (1, 1));
    assert!(resource(&plan, "Standard load balancer (internal)").is_none());
    assert!(resource(&plan, "Standard load balancer (public)").is_some());
}

#[test]
fn external_ingress_creates_its_public_ip_before_the_service() {
    let plan = plan_of(&variant(|d| {
        d.ingress.load_balancer = Some("external".into());
        d.ingress.gateway = Some("none".into());
    }));
    let ip = plan
        .steps
        .iter()
        .find(|s| s.id == StepId::IngressIp)
        .expect("an ingress-ip step in external mode");
    assert_eq!(ip.depends_on, vec![StepId::ResourceGroup]);
    assert_eq!(
        ip.title,
        "Create public IP pip-katonic-prod-ingress in rg-katonic-prod"
    );
    assert!(
        ip.detail.contains("Standard SKU, static IPv4"),
        "{}",
        ip.detail
    );
    let lb = plan
        .steps
        .iter()
        .find(|s| s.id == StepId::IngressLoadBalancer)
        .unwrap();
    for dep in [StepId::IngressIp, StepId::RoleAssignments] {
        assert!(lb.depends_on.contains(&dep), "{:?}", lb.depends_on);
    }
    // The IP is the console's now, in the install's resource group, not AKS's node group.
    let pip = resource(&plan, "Public IP address (ingress)").unwrap();
    assert_eq!(pip.name, "pip-katonic-prod-ingress in rg-katonic-prod");
    assert!(pip.created_by_console);
    assert!(plan.resources.iter().any(|r| r.title == "Role assignment"
        && r.name == "Network Contributor: cluster identity on resource group rg-katonic-prod"));

    // Internal mode has neither the step nor the grant.
    let internal = sample_plan();
    assert!(!ids(&internal).contains(&StepId::IngressIp));
    assert!(
        !internal
            .resources
            .iter()
            .any(|r| r.name.contains("on resource group"))
    );
}

#[test]
fn quota_per_family_at_max_plus_surge() {
    let plan = sample_plan();
    let need = |family: &str| {
        plan.quota
            .iter()
            .find(|q| q.family == family)
            .unwrap_or_else(|| panic!("{family} missing from {:?}", plan.quota))
    };
    let surge = |role: &str| {
        let spec = spec_of(&sample_doc());
        let pool = spec
            .cluster
            .node_pools
            .iter()
            .find(|p| p.role.as_str() == role);
        pool.expect("pool").max_surge
    };
    // DS3_v2: 4 vCPUs x (2 + surge); D8s_v3: 8 x (4 + surge); NC4as_T4_v3: 4 x (2 + surge).
    assert_eq!(
        need("standardDSv2Family").vcpus_at_max,
        4 * (2 + surge("platform"))
    );
    assert_eq!(
        need("standardDSv3Family").vcpus_at_max,
        8 * (4 + surge("compute"))
    );
    assert_eq!(
        need("standardNCASv3_T4Family").vcpus_at_max,
        4 * (2 + surge("gpu"))
    );
    assert_eq!(plan.quota.len(), 3);
    assert_eq!(need("standardDSv3Family").vm_sizes, vec!["Standard_D8s_v3"]);
}

#[test]
fn pools_of_one_family_share_a_quota_line() {
    let plan = plan_of(&variant(|d| {
        d.cluster.node_pools.platform = Some(pool("Standard_D4s_v3", 2, 3));
        d.cluster.node_pools.compute = Some(pool("Standard_D16s_v3", 0, 1));
    }));
    let dsv3: Vec<&QuotaNeed> = plan
        .quota
        .iter()
        .filter(|q| q.family == "standardDSv3Family")
        .collect();
    assert_eq!(dsv3.len(), 1);
    assert_eq!(
        dsv3[0].vm_sizes,
        vec!["Standard_D4s_v3", "Standard_D16s_v3"]
    );
}

/// A well-formed size the catalogue does not know (the spec accepts it, with a warning).
const UNCATALOGUED: &str = "Standard_D8as_v5";

#[test]
fn unknown_size_is_flagged_not_guessed() {
    assert!(
        catalog::vm_size(UNCATALOGUED).is_none(),
        "pick another size"
    );
    let mut doc = sample_doc();
    doc.cluster.node_pools.compute = Some(pool(UNCATALOGUED, 1, 4));
    let plan = plan_of(&spec_of(&doc));
    assert_well_formed(&plan);
    let unknown = plan
        .quota
        .iter()
        .find(|q| q.family == UNKNOWN_FAMILY)
        .expect("unknown family listed");
    assert_eq!(unknown.vcpus_at_max, 0);
    assert_eq!(unknown.vm_sizes, vec![UNCATALOGUED]);
    let unpriced: Vec<&CostLine> = plan.cost.unpriced().collect();
    assert_eq!(unpriced.len(), 1);
    assert!(unpriced[0].item.contains(UNCATALOGUED));
    assert_eq!(
        (unpriced[0].monthly_min, unpriced[0].monthly_max),
        (0.0, 0.0)
    );
}

#[test]
fn catalogued_size_without_price_is_flagged_not_guessed() {
    // Retired before 2025, so deliberately absent from the price table.
    let size = "Standard_NC6";
    assert!(prices().vm_hourly(size).is_none());
    let plan = plan_of(&variant(|d| {
        d.cluster.node_pools.gpu = Some(pool(size, 0, 1))
    }));
    assert_well_formed(&plan);
    let unpriced: Vec<&CostLine> = plan.cost.unpriced().collect();
    assert_eq!(unpriced.len(), 1);
    assert!(unpriced[0].item.contains(size) && unpriced[0].item.contains(PRICE_UNKNOWN));
    // Its vCPUs still count towards quota: the catalogue knows them.
    assert!(
        plan.quota
            .iter()
            .any(|q| q.family == "standardNCFamily" && q.vcpus_at_max > 0)
    );
}

#[test]
fn sample_cost_is_priced_per_pool_and_disk() {
    let plan = sample_plan();
    let cost = &plan.cost;
    assert_costs_add_up(cost);
    assert_eq!(cost.unpriced().count(), 0);
    assert_eq!(cost.currency, "USD");
    assert_eq!(cost.prices_as_of, "2026-12-07");
    let line = |prefix: &str| {
        cost.lines
            .iter()
            .find(|l| l.item.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix}: {:#?}", cost.lines))
    };
    // D8s_v3 at 0.384/hour x 730 hours: 1 node to 4 nodes.
    let compute = line("Node pool compute");
    assert_eq!(
        (compute.monthly_min, compute.monthly_max),
        (280.32, 1121.28)
    );
    let gpu = line("Node pool gpu");
    assert_eq!(gpu.monthly_min, 0.0);
    assert!(gpu.monthly_max > 0.0);
    let disks = line("OS disks");
    assert_eq!((disks.monthly_min, disks.monthly_max), (59.13, 157.68));
    let registry = line("Container registry");
    assert_eq!(registry.monthly_min, registry.monthly_max);
    assert!(cost.usage_based.iter().any(|u| u.contains("Azure Files")));
    assert!(cost.usage_based.iter().any(|u| u.contains("egress")));
    let unshared = plan_of(&variant(|d| d.storage.shared_files = Some(false)));
    assert!(
        !unshared
            .cost
            .usage_based
            .iter()
            .any(|u| u.contains("Azure Files"))
    );
}

#[test]
fn existing_cluster_costs_only_what_the_install_adds() {
    let plan = plan_of(&variant(existing));
    assert!(
        !plan
            .cost
            .lines
            .iter()
            .any(|l| l.item.starts_with("Node pool"))
    );
    assert!(
        plan.cost
            .lines
            .iter()
            .any(|l| l.item.starts_with("Existing cluster"))
    );
    assert_costs_add_up(&plan.cost);
}

#[test]
fn prices_yaml_parses_with_a_date_and_known_sizes() {
    let table = prices();
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let as_of = time::Date::parse(&table.as_of, &format).expect("asOf is YYYY-MM-DD");
    assert_eq!(as_of, date!(2026 - 12 - 07));
    assert_eq!(table.currency, "USD");
    assert!(table.basis.contains("indicative") || table.basis.contains("Indicative"));
    for (size, price) in &table.vm_hourly {
        let info = catalog::vm_size(size).unwrap_or_else(|| panic!("{size} not in catalogue"));
        assert_eq!(&info.name, size, "casing");
        assert!(*price > 0.0, "{size}");
    }
    let required = [
        "DS2_v2",
        "DS3_v2",
        "DS4_v2",
        "DS5_v2",
        "D2s_v3",
        "D4s_v3",
        "D8s_v3",
        "D16s_v3",
        "D32s_v3",
        "D48s_v3",
        "D64s_v3",
        "D2s_v5",
        "D4s_v5",
        "D8s_v5",
        "D16s_v5",
        "D32s_v5",
        "D48s_v5",
        "D64s_v5",
        "E4s_v5",
        "E8s_v5",
        "E16s_v5",
        "E20s_v5",
        "E32s_v5",
        "F4s_v2",
        "F8s_v2",
        "F16s_v2",
        "NC4as_T4_v3",
        "NC8as_T4_v3",
        "NC16as_T4_v3",
        "NC64as_T4_v3",
        "NC24ads_A100_v4",
        "NC48ads_A100_v4",
        "NC96ads_A100_v4",
        "NC6s_v3",
        "NC12s_v3",
        "NC24s_v3",
    ];
    for size in required {
        assert!(
            table.vm_hourly(&format!("Standard_{size}")).is_some(),
            "{size}"
        );
    }
    assert_eq!(table.aks_tier_hourly.free, 0.0);
    assert!(table.aks_tier_hourly.standard < table.aks_tier_hourly.premium);
    assert!(table.registry_daily.basic < table.registry_daily.standard);
    assert!(table.registry_daily.standard < table.registry_daily.premium);
}

#[test]
fn plan_round_trips_through_json() {
    for plan in [sample_plan(), plan_of(&variant(existing))] {
        let json = serde_json::to_string(&plan).expect("serializes");
        let back: InstallPlan = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, plan);
    }
    let json = serde_json::to_value(sample_plan()).expect("serializes");
    assert_eq!(json["steps"][0]["id"], "preflight");
    assert!(json["criticalPathSecs"].is_u64());
    assert!(json["steps"][0]["dependsOn"].is_array());
}

#[test]
fn long_cluster_names_give_valid_vnet_names() {
    let long = format!("k{}", "-a".repeat(31)); // 63 characters
    let spec = variant(|d| d.cluster.name = Some(long.clone()));
    let vnet = names::vnet(&spec);
    assert!(vnet.len() <= 64, "{vnet}");
    assert!(!vnet.ends_with('-'));
    assert!(vnet.starts_with("vnet-k"));
    assert_eq!(names::nsg(&spec), format!("nsg-{long}"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any combination of the options gives a well-formed plan (or a spec the parser refuses).
    #[test]
    fn every_option_combination_plans(
        existing_mode in any::<bool>(),
        gpu in any::<bool>(),
        superset in any::<bool>(),
        airbyte in any::<bool>(),
        external in any::<bool>(),
        shared in any::<bool>(),
        tls in prop::sample::select(vec!["selfSigned", "provided", "acme"]),
        outbound in prop::sample::select(vec!["loadBalancer", "userDefinedRouting", "managedNATGateway"]),
        tier in prop::sample::select(vec!["free", "standard", "premium"]),
        sku in prop::sample::select(vec!["Basic", "Standard", "Premium"]),
        compute_max in 1i64..6,
    ) {
        let mut doc = sample_doc();
        if existing_mode {
            existing(&mut doc);
        }
        if !gpu {
            doc.cluster.node_pools.gpu = None;
        }
        doc.addons.superset = Some(superset);
        doc.addons.airbyte = Some(airbyte);
        doc.ingress.load_balancer = Some(if external { "external" } else { "internal" }.into());
        doc.storage.shared_files = Some(shared);
        doc.domain.tls = Some(tls.into());
        doc.cluster.network.outbound_type = Some(outbound.into());
        doc.cluster.tier = Some(tier.into());
        doc.registry.sku = Some(sku.into());
        doc.cluster.node_pools.compute = Some(pool("Standard_D8s_v3", 1, compute_max));
        let spec = InstallSpec::parse(&doc);
        prop_assume!(spec.is_ok());
        let Ok(spec) = spec else { return Ok(()) };
        let plan = plan_of(&spec);
        assert_well_formed(&plan);
        prop_assert!(plan.step(StepId::GpuPool).is_none() && plan.step(StepId::ComputePool).is_none());
        let gpu_in_cluster = plan
            .step(StepId::AksCluster)
            .is_some_and(|s| s.detail.contains("katonic.ai/node-pool=gpu"));
        prop_assert_eq!(gpu_in_cluster, gpu && !existing_mode);
        prop_assert_eq!(plan.step(StepId::Superset).is_some(), superset);
        prop_assert_eq!(plan.step(StepId::Airbyte).is_some(), airbyte);
        prop_assert_eq!(plan.step(StepId::AksCluster).is_some(), !existing_mode);
        prop_assert_eq!(counts(&plan, "Azure Files share"), if shared { (1, 1) } else { (0, 0) });
        prop_assert_eq!(
            counts(&plan, "Public IP address (ingress)"),
            if external { (1, 1) } else { (0, 0) }
        );
        if tls == "acme" {
            let deps = &plan.step(StepId::Tls).expect("tls").depends_on;
            prop_assert!(deps.contains(&StepId::Dns));
        }
    }
}

#[test]
fn step_ids_read_back_from_their_stored_text_and_unknown_ones_name_the_allowed() {
    let plan = sample_plan();
    for s in &plan.steps {
        assert_eq!(s.id.as_str().parse::<StepId>(), Ok(s.id));
    }
    assert_eq!(
        "delete-resource-group".parse(),
        Ok(StepId::DeleteResourceGroup)
    );
    let Err(e) = "nope".parse::<StepId>() else {
        panic!("nope is no step");
    };
    let text = e.to_string();
    assert!(text.starts_with("unknown step `nope`"), "{text}");
    assert!(text.contains("`aks-cluster`"), "{text}");
}

#[test]
fn peering_steps_only_in_peering_mode_between_the_vnet_and_the_first_cluster_call() {
    assert!(sample_plan().step(StepId::Peering).is_none());
    assert!(sample_plan().step(StepId::DnsZoneLink).is_none());
    let plan = plan_of(&variant(|d| d.cluster.access = Some("peering".into())));
    assert_well_formed(&plan);
    let deps = |id| plan.step(id).unwrap().depends_on.clone();
    assert_eq!(deps(StepId::Peering), vec![StepId::Network]);
    assert!(deps(StepId::AksCluster).contains(&StepId::Peering));
    assert!(deps(StepId::DnsZoneLink).contains(&StepId::AksCluster));
    assert!(deps(StepId::Kubeconfig).contains(&StepId::DnsZoneLink));
    assert!(
        plan.step(StepId::Peering)
            .unwrap()
            .detail
            .contains("peer-katonic-"),
        "{:?}",
        plan.step(StepId::Peering)
    );
    let existing = plan_of(&variant(|d| {
        existing(d);
        d.cluster.access = Some("peering".into());
    }));
    assert_well_formed(&existing);
    assert_eq!(
        existing.step(StepId::Peering).unwrap().depends_on,
        vec![StepId::Preflight]
    );
    assert!(existing.step(StepId::DnsZoneLink).is_some());
}
