//! `cluster.network.jumphostEgress: natGateway` (issue 14, item 5): accepted with a new VNet and
//! refused with an existing one; planned as the jumphost subnet's way out, with the NAT gateway
//! and its Standard static public IP in the inventory and the cost.

use super::egress::subnets;
use super::{InstallPlan, names};
use crate::spec::testutil::sample_doc;
use crate::spec::{ExistingVnetDoc, InstallDocument, InstallSpec, JumphostEgress};

fn with(edit: impl FnOnce(&mut InstallDocument)) -> Result<InstallSpec, crate::spec::SpecErrors> {
    let mut doc = sample_doc();
    edit(&mut doc);
    InstallSpec::parse(&doc)
}

fn nat(doc: &mut InstallDocument) {
    doc.cluster.network.jumphost_egress = Some("natGateway".into());
}

/// The jumphost subnet's egress line (the gateway's subnet, when planned, has its own).
fn jumphost(spec: &InstallSpec) -> super::egress::SubnetEgress {
    subnets(spec)
        .into_iter()
        .find(|s| s.subnet == names::JUMPHOST_SUBNET)
        .expect("the jumphost subnet is always planned")
}

fn plan(spec: &InstallSpec) -> InstallPlan {
    InstallPlan::from_spec(spec, time::macros::date!(2026 - 12 - 07))
}

#[test]
fn none_is_the_default_and_keeps_todays_warning() {
    let spec = with(|_| {}).unwrap();
    assert_eq!(spec.cluster.network.jumphost_egress, JumphostEgress::None);
    let jump = &jumphost(&spec);
    assert_eq!(jump.route, "none");
    assert!(
        jump.warning
            .as_deref()
            .is_some_and(|w| w.contains("private by default")),
        "{jump:?}"
    );
    assert!(
        !plan(&spec)
            .resources
            .iter()
            .any(|r| r.kind == "Microsoft.Network/natGateways")
    );
}

#[test]
fn a_nat_gateway_is_the_new_jumphost_subnets_way_out_with_its_public_ip_and_cost() {
    let spec = with(nat).unwrap();
    assert_eq!(
        spec.cluster.network.jumphost_egress,
        JumphostEgress::NatGateway
    );
    let jump = &jumphost(&spec);
    assert_eq!(jump.warning, None);
    assert!(
        jump.route.contains("ng-katonic-prod-jumphost") && jump.route.contains("Standard"),
        "{jump:?}"
    );
    let plan = plan(&spec);
    let row = |kind: &str, name: &str| {
        plan.resources
            .iter()
            .find(|r| r.kind == kind && r.name == name)
            .unwrap_or_else(|| panic!("no {kind} {name} in {:#?}", plan.resources))
    };
    let gateway = row(
        "Microsoft.Network/natGateways",
        &names::jumphost_nat_gateway(&spec),
    );
    assert!(gateway.created_by_console && gateway.count_max == 1);
    let ip = row(
        "Microsoft.Network/publicIPAddresses",
        "pip-katonic-prod-jumphost-nat",
    );
    assert!(ip.created_by_console && ip.note.contains("Standard static"));
    let without =
        super::InstallPlan::from_spec(&with(|_| {}).unwrap(), time::macros::date!(2026 - 12 - 07));
    let line = |p: &InstallPlan, item: &str| {
        p.cost
            .lines
            .iter()
            .find(|l| l.item.starts_with(item))
            .cloned()
    };
    assert!(
        line(&plan, "NAT gateway").is_some(),
        "{:#?}",
        plan.cost.lines
    );
    assert!(line(&without, "NAT gateway").is_none());
    // One more public IP and one NAT gateway, by the table's hourly prices.
    let table = super::cost::prices();
    let added = (table.nat_gateway_hourly + table.public_ip_hourly) * super::cost::HOURS_PER_MONTH;
    let delta = plan.cost.monthly_min - without.cost.monthly_min;
    assert!((delta - added).abs() < 0.02, "{delta} != {added}");
    // Written back only when asked for.
    assert_eq!(
        spec.to_document()
            .cluster
            .network
            .jumphost_egress
            .as_deref(),
        Some("natGateway")
    );
}

#[test]
fn a_nat_gateway_with_an_existing_vnet_is_refused_by_name() {
    let errors = with(|doc| {
        nat(doc);
        doc.cluster.network.existing_vnet = Some(ExistingVnetDoc {
            resource_group: Some("rg-net".into()),
            name: Some("vnet-corp".into()),
            aks_subnet: Some("snet-aks".into()),
            jumphost_subnet: Some("snet-jump".into()),
            gateway_subnet: None,
        });
    })
    .unwrap_err();
    let e = errors
        .errors
        .iter()
        .find(|e| e.field == "cluster.network.jumphostEgress")
        .unwrap_or_else(|| panic!("{errors:#?}"));
    assert!(e.message.contains("only with a new VNet"), "{e:?}");
    assert!(e.fix.contains("existingVnet"), "{e:?}");
    let bad =
        with(|doc| doc.cluster.network.jumphost_egress = Some("firewall".into())).unwrap_err();
    assert!(
        bad.errors
            .iter()
            .any(|e| e.field == "cluster.network.jumphostEgress" && e.fix.contains("natGateway")),
        "{bad:#?}"
    );
}
