//! Plans with the Application Gateway (issue 17): its plan data, its place in the DAG, and its
//! rows in the inventory, the cost, the topology and the egress plan. The gateway is set
//! explicitly, so these hold whatever `DEFAULT_GATEWAY_ON` says.

use super::*;
use crate::spec::testutil::sample_doc;
use crate::spec::{AppGatewayDoc, Fqdn, GatewaySku, InstallDocument, WafMode};
use std::net::Ipv4Addr;

const TODAY: time::Date = time::macros::date!(2026 - 12 - 07);

fn spec_with(edit: impl FnOnce(&mut InstallDocument)) -> InstallSpec {
    let mut doc = sample_doc();
    doc.ingress.gateway = Some("applicationGateway".into());
    edit(&mut doc);
    InstallSpec::parse(&doc).unwrap_or_else(|e| panic!("{:#?}", e.errors))
}

fn external(doc: &mut InstallDocument) {
    doc.ingress.load_balancer = Some("external".into());
}

fn waf(doc: &mut InstallDocument) {
    doc.ingress.application_gateway = Some(AppGatewayDoc {
        sku: Some("WAF_v2".into()),
        ..AppGatewayDoc::default()
    });
}

#[test]
fn an_internal_gateway_is_private_only_in_its_subnet_with_the_chosen_backend() {
    let plan = InstallPlan::from_spec(&spec_with(|_| {}), TODAY);
    let g = plan.gateway().expect("the gateway is planned");
    assert_eq!(g.name, "agw-katonic-katonic-prod");
    assert_eq!(g.waf_policy_name, None);
    assert_eq!(
        (g.sku, g.min_capacity, g.max_capacity),
        (GatewaySku::StandardV2, 2, 10)
    );
    assert_eq!(g.zones, ["1", "2"]);
    assert_eq!(g.subnet_name, "snet-appgw");
    assert_eq!(g.subnet_cidr.to_string(), "10.20.1.0/24");
    // The gateway subnet's and the AKS subnet's last usable addresses (broadcast - 1).
    assert_eq!(
        g.frontend,
        GatewayFrontend::Private {
            address: Ipv4Addr::new(10, 20, 1, 254)
        }
    );
    assert_eq!(g.backend_address, Ipv4Addr::new(10, 20, 0, 62));
    let hosts: Vec<&str> = g.hosts.iter().map(Fqdn::as_str).collect();
    assert_eq!(
        hosts,
        [
            "katonic.example.com",
            "dash-katonic.example.com",
            "connectors-katonic.example.com"
        ]
    );
    assert_eq!(g.health_path, "/healthz");
    // Stored as JSON and read back whole.
    let json = serde_json::to_string(&plan).unwrap();
    assert!(json.contains(r#""kind":"private""#), "{json}");
    let back: InstallPlan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, plan);
}

#[test]
fn an_external_gateway_takes_the_ingress_public_ip_and_a_waf_policy() {
    let spec = spec_with(|d| {
        external(d);
        waf(d);
        d.ingress.static_ip = Some("10.20.0.40".into());
    });
    let plan = InstallPlan::from_spec(&spec, TODAY);
    let g = plan.gateway().unwrap();
    assert_eq!(
        g.frontend,
        GatewayFrontend::Public {
            public_ip_name: "pip-katonic-prod-ingress".into()
        }
    );
    assert_eq!(g.private_address(), None);
    assert_eq!(
        g.waf_policy_name.as_deref(),
        Some("waf-katonic-katonic-prod")
    );
    assert_eq!(g.waf_mode, Some(WafMode::Prevention));
    assert_eq!(g.backend_address, Ipv4Addr::new(10, 20, 0, 40));
    assert_eq!(ingress_address(&spec), Some(Ipv4Addr::new(10, 20, 0, 40)));
    let json = serde_json::to_string(&plan).unwrap();
    assert!(
        json.contains(r#""publicIpName":"pip-katonic-prod-ingress""#),
        "{json}"
    );
    assert_eq!(serde_json::from_str::<InstallPlan>(&json).unwrap(), plan);
}

#[test]
fn no_gateway_no_gateway_plan_and_stored_plans_without_one_still_read() {
    let mut doc = sample_doc();
    doc.ingress.gateway = Some("none".into());
    let spec = InstallSpec::parse(&doc).unwrap();
    let plan = InstallPlan::from_spec(&spec, TODAY);
    assert!(plan.gateway().is_none());
    assert!(plan.step(StepId::AppGateway).is_none());
    assert_eq!(ingress_address(&spec), None);
    let json = serde_json::to_string(&plan).unwrap();
    assert!(!json.contains(r#""gateway":"#));
    assert_eq!(serde_json::from_str::<InstallPlan>(&json).unwrap(), plan);
}

#[test]
fn the_gateway_is_created_beside_the_cluster_off_the_critical_path() {
    for edit in [
        (|_: &mut InstallDocument| {}) as fn(&mut InstallDocument),
        external,
    ] {
        let spec = spec_with(edit);
        let plan = InstallPlan::from_spec(&spec, TODAY);
        let gw = plan.step(StepId::AppGateway).unwrap();
        let mut deps = gw.depends_on.clone();
        deps.sort();
        let mut want = vec![StepId::ResourceGroup, StepId::Network];
        if spec.ingress.load_balancer == crate::spec::LbMode::External {
            want.push(StepId::IngressIp);
        }
        want.sort();
        assert_eq!(deps, want);
        assert!(!gw.on_critical_path);
        assert!(
            !plan
                .step(StepId::AksCluster)
                .unwrap()
                .depends_on
                .contains(&StepId::AppGateway)
        );
        // The cluster's load balancer is internal behind the gateway: no public IP, no grant.
        assert_eq!(
            plan.step(StepId::IngressLoadBalancer).unwrap().depends_on,
            [StepId::Namespaces]
        );
        assert!(
            plan.step(StepId::Dns)
                .unwrap()
                .depends_on
                .contains(&StepId::AppGateway)
        );
        assert!(
            plan.step(StepId::Verify)
                .unwrap()
                .depends_on
                .contains(&StepId::AppGateway)
        );
        // The README sample's path stays within issue 17's 24 minutes, gateway or not.
        assert!(
            plan.critical_path_secs <= 24 * 60,
            "{}",
            plan.critical_path_secs
        );
        assert_eq!(plan.critical_path_secs, 1_435);
        assert_eq!(gw.expected_secs, 360);
        assert!(
            gw.detail.contains("agw-katonic-katonic-prod"),
            "{}",
            gw.detail
        );
        assert!(gw.detail.contains("10.20.0.62"), "{}", gw.detail);
    }
}

#[test]
fn the_review_page_names_the_gateway_in_every_step_it_touches() {
    let plan = InstallPlan::from_spec(&spec_with(waf), TODAY);
    let detail = |id| plan.step(id).unwrap().detail.clone();
    let gw = detail(StepId::AppGateway);
    assert!(
        gw.contains("waf-katonic-katonic-prod") && gw.contains("Prevention"),
        "{gw}"
    );
    assert!(gw.contains("private frontend only, at 10.20.1.254"), "{gw}");
    assert!(
        gw.contains("EnableApplicationGatewayNetworkIsolation"),
        "{gw}"
    );
    let net = detail(StepId::Network);
    assert!(
        net.contains("snet-appgw (10.20.1.0/24)") && net.contains("nsg-appgw-katonic-prod"),
        "{net}"
    );
    assert!(detail(StepId::Preflight).contains("EnableApplicationGatewayNetworkIsolation"));
    assert!(detail(StepId::IngressLoadBalancer).contains("at 10.20.0.62"));
    assert!(detail(StepId::Dns).contains("Application Gateway's private address"));
    assert!(detail(StepId::Verify).contains("Application Gateway"));
}

#[test]
fn inventory_cost_topology_and_egress_show_the_gateway() {
    let spec = spec_with(|d| {
        external(d);
        waf(d);
    });
    let plan = InstallPlan::from_spec(&spec, TODAY);
    let row = |kind: &str| {
        plan.resources
            .iter()
            .filter(|r| r.kind == kind)
            .cloned()
            .collect::<Vec<_>>()
    };
    let gw = row("Microsoft.Network/applicationGateways");
    assert_eq!(gw.len(), 1);
    assert!(gw[0].name.starts_with("agw-katonic-katonic-prod") && gw[0].created_by_console);
    assert_eq!(
        row("Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies").len(),
        1
    );
    let subnets = row("Microsoft.Network/virtualNetworks/subnets");
    assert!(
        subnets[0].name.contains("snet-appgw (10.20.1.0/24)"),
        "{subnets:?}"
    );
    let nsgs = row("Microsoft.Network/networkSecurityGroups");
    let appgw_nsg = nsgs
        .iter()
        .find(|r| r.name == "nsg-appgw-katonic-prod")
        .unwrap();
    assert!(
        appgw_nsg.note.contains("GatewayManager to Tcp 65200-65535")
            && appgw_nsg.note.contains("Internet to Tcp 80,443"),
        "{}",
        appgw_nsg.note
    );
    let rules = plan.gateway().unwrap().nsg_rules();
    assert_eq!(rules.len(), 3);
    // A private-only gateway: clients from the VNet, and no GatewayManager (network isolation).
    let internal = InstallPlan::from_spec(&spec_with(|_| {}), TODAY);
    let rules = internal.gateway().unwrap().nsg_rules();
    let sources: Vec<&str> = rules.iter().map(|r| r.source).collect();
    assert_eq!(sources, ["VirtualNetwork", "AzureLoadBalancer"]);
    assert_eq!(rules[0].destination_ports, &["80", "443"][..]);
    // External behind a gateway: the cluster's ingress LB is internal, the public IP the gateway's.
    let lbs: Vec<String> = row("Microsoft.Network/loadBalancers")
        .into_iter()
        .map(|r| r.title)
        .collect();
    assert!(
        lbs.contains(&"Standard load balancer (internal)".to_string()),
        "{lbs:?}"
    );
    let public_lb = row("Microsoft.Network/loadBalancers")
        .into_iter()
        .find(|r| r.title == "Standard load balancer (public)")
        .unwrap();
    assert_eq!(
        public_lb.note,
        "Created by AKS for outbound (egress) rules."
    );
    assert!(
        !plan
            .resources
            .iter()
            .any(|r| r.name.contains("on resource group")),
        "AKS attaches no public IP behind the gateway: no grant on the resource group"
    );
    let ip_step = &plan.step(StepId::IngressIp).unwrap().detail;
    assert!(
        ip_step.ends_with("for the Application Gateway's frontend."),
        "{ip_step}"
    );
    let ips = row("Microsoft.Network/publicIPAddresses");
    assert!(
        ips.iter()
            .any(|r| r.note.contains("Application Gateway's frontend")),
        "{ips:?}"
    );
    assert_eq!(
        public_ips(&spec),
        2,
        "the ingress IP and the default egress IP"
    );

    let line = plan
        .cost
        .lines
        .iter()
        .find(|l| l.item.starts_with("Application Gateway"))
        .unwrap();
    // WAF_v2 at 2 and 10 instances: (0.443 + n x 10 x 0.0144) x 730.
    assert_eq!((line.monthly_min, line.monthly_max), (533.63, 1_374.59));
    let standard = InstallPlan::from_spec(&spec_with(|_| {}), TODAY);
    let line = standard
        .cost
        .lines
        .iter()
        .find(|l| l.item.starts_with("Application Gateway"))
        .unwrap();
    assert_eq!((line.monthly_min, line.monthly_max), (296.38, 763.58));
    assert!(
        standard
            .cost
            .usage_based
            .iter()
            .any(|u| u.contains("capacity unit"))
    );

    let svg = topology::svg(&spec);
    assert!(
        svg.contains("Application Gateway · WAF_v2")
            && svg.contains("public IP pip-katonic-prod-ingress")
    );
    let subnets = egress::subnets(&spec);
    let g = subnets.iter().find(|s| s.subnet == "snet-appgw").unwrap();
    assert!(g.route.contains("outbound internet"), "{g:?}");
    let internal = egress::subnets(&spec_with(|_| {}));
    assert!(
        internal
            .iter()
            .any(|s| s.subnet == "snet-appgw" && s.route.starts_with("none needed"))
    );
}

#[test]
fn an_existing_vnets_gateway_subnet_is_used_as_it_is() {
    let spec = spec_with(|d| {
        d.cluster.network.existing_vnet = Some(crate::spec::ExistingVnetDoc {
            resource_group: Some("rg-net".into()),
            name: Some("vnet-corp".into()),
            aks_subnet: Some("snet-aks".into()),
            jumphost_subnet: Some("snet-jump".into()),
            gateway_subnet: Some("snet-edge".into()),
        });
        d.cluster.network.gateway_subnet_cidr = Some("10.20.4.0/26".into());
    });
    let plan = InstallPlan::from_spec(&spec, TODAY);
    let g = plan.gateway().unwrap();
    assert_eq!(
        (g.subnet_name.as_str(), g.subnet_cidr.to_string().as_str()),
        ("snet-edge", "10.20.4.0/26")
    );
    assert_eq!(g.private_address(), Some(Ipv4Addr::new(10, 20, 4, 62)));
    let rows: Vec<&PlannedResource> = plan
        .resources
        .iter()
        .filter(|r| r.name.contains("snet-edge"))
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].count_min, rows[0].created_by_console), (0, false));
    assert!(
        !plan
            .resources
            .iter()
            .any(|r| r.name.starts_with("nsg-appgw"))
    );
    assert!(
        plan.step(StepId::Preflight)
            .unwrap()
            .detail
            .contains("existing subnet snet-edge is 10.20.4.0/26")
    );
}

#[test]
fn teardown_deletes_the_gateway_before_its_ip_and_network() {
    let plan = InstallPlan::from_spec(&spec_with(external), TODAY);
    let down = teardown::plan(&plan, &teardown::DELETE_STEPS);
    let at = |id| down.steps.iter().position(|s| s.id == id).unwrap();
    assert!(at(StepId::DeleteAppGateway) < at(StepId::DeleteIngressIp));
    assert!(at(StepId::DeleteAppGateway) < at(StepId::DeleteNetwork));
    assert!(
        down.step(StepId::DeleteNetwork)
            .unwrap()
            .depends_on
            .contains(&StepId::DeleteAppGateway)
    );
    assert!(
        down.step(StepId::DeleteIngressIp)
            .unwrap()
            .depends_on
            .contains(&StepId::DeleteAppGateway)
    );
    assert_eq!(
        "delete-app-gateway".parse::<StepId>().unwrap(),
        StepId::DeleteAppGateway
    );
    assert_eq!("app-gateway".parse::<StepId>().unwrap(), StepId::AppGateway);
    assert_eq!(StepId::AppGateway.as_str(), "app-gateway");
    assert!(teardown::is_teardown_step(StepId::DeleteAppGateway));
    assert!(!teardown::is_teardown_step(StepId::AppGateway));
}
