use super::*;
use crate::azure::placement::{AzureNetwork, Detected, Peering};

const CLUSTER_VNET: &str =
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-katonic";
const CONSOLE_VNET: &str =
    "/subscriptions/s/resourceGroups/rg-jump/providers/Microsoft.Network/virtualNetworks/vnet-jump";

fn azure(vnet: &str, space: &str, peerings: Vec<Peering>, dns: Vec<String>) -> Placement {
    Placement::Azure(AzureNetwork {
        detected: Detected::Imds,
        vm_id: None,
        subnet_id: format!("{vnet}/subnets/snet-jump"),
        vnet_id: vnet.to_string(),
        address_space: vec![space.to_string()],
        dns_servers: dns,
        peerings,
    })
}

fn outside() -> Placement {
    Placement::Outside {
        why: "no instance metadata service answers".into(),
    }
}

fn new_vnet() -> Target {
    Target {
        private: true,
        vnet_id: Some(CLUSTER_VNET.into()),
        vnet_exists: false,
        address_space: vec!["10.20.0.0/16".into()],
        zone: "privatelink.eastus.azmk8s.io".into(),
        ..Target::default()
    }
}

fn peered() -> Vec<Peering> {
    vec![Peering {
        remote_vnet: CLUSTER_VNET.to_lowercase(),
        state: "Connected".into(),
    }]
}

#[test]
fn auto_goes_direct_inside_the_cluster_vnet_and_through_run_command_elsewhere() {
    let inside = azure(CLUSTER_VNET, "10.20.0.0/16", vec![], vec![]);
    let existing = Target {
        vnet_exists: true,
        ..new_vnet()
    };
    assert_eq!(
        decide(ClusterAccess::Auto, &inside, &existing).mode,
        Some(ClusterAccess::Direct)
    );
    for placement in [
        outside(),
        azure(CONSOLE_VNET, "10.50.0.0/16", vec![], vec![]),
    ] {
        let d = decide(ClusterAccess::Auto, &placement, &new_vnet());
        assert_eq!(d.mode, Some(ClusterAccess::RunCommand), "{d:?}");
    }
}

#[test]
fn direct_is_refused_with_why_and_what_would_work() {
    let d = decide(
        ClusterAccess::Direct,
        &azure(CONSOLE_VNET, "10.50.0.0/16", vec![], vec![]),
        &new_vnet(),
    );
    assert_eq!(d.mode, None);
    let Line::Fail(detail, fix) = &d.lines[0] else {
        panic!("{d:?}")
    };
    assert!(detail.contains("does not exist yet"), "{detail}");
    assert!(
        fix.contains("runCommand") && fix.contains("existingVnet"),
        "{fix}"
    );
    let d = decide(ClusterAccess::Direct, &outside(), &new_vnet());
    assert!(
        matches!(&d.lines[0], Line::Fail(m, _) if m.contains("outside Azure")),
        "{d:?}"
    );
}

#[test]
fn a_peered_vnet_needs_the_zone_linked_or_custom_dns() {
    let existing = Target {
        vnet_exists: true,
        ..new_vnet()
    };
    let plain = azure(CONSOLE_VNET, "10.50.0.0/16", peered(), vec![]);
    assert!(
        direct(&plain, &existing)
            .unwrap_err()
            .contains("not linked")
    );
    let linked = Target {
        zone_linked_to_console: true,
        ..existing.clone()
    };
    assert!(direct(&plain, &linked).is_ok());
    let custom = azure(
        CONSOLE_VNET,
        "10.50.0.0/16",
        peered(),
        vec!["10.50.0.4".into()],
    );
    assert!(
        direct(&custom, &existing)
            .unwrap()
            .contains("168.63.129.16")
    );
    let initiated = azure(
        CONSOLE_VNET,
        "10.50.0.0/16",
        vec![Peering {
            remote_vnet: CLUSTER_VNET.into(),
            state: "Initiated".into(),
        }],
        vec![],
    );
    assert!(
        direct(&initiated, &linked)
            .unwrap_err()
            .contains("not peered")
    );
}

#[test]
fn peering_refuses_overlapping_spaces_and_outside_azure() {
    let clash = azure(CONSOLE_VNET, "10.20.128.0/17", vec![], vec![]);
    let d = decide(ClusterAccess::Peering, &clash, &new_vnet());
    assert!(
        matches!(&d.lines[0], Line::Fail(m, _) if m.contains("overlaps")),
        "{d:?}"
    );
    let d = decide(ClusterAccess::Peering, &outside(), &new_vnet());
    assert_eq!(d.mode, None);
    let same = azure(CLUSTER_VNET, "10.20.0.0/16", vec![], vec![]);
    assert_eq!(
        decide(ClusterAccess::Peering, &same, &new_vnet()).mode,
        Some(ClusterAccess::Direct)
    );
}

#[test]
fn run_command_is_refused_when_the_cluster_disables_it() {
    let target = Target {
        run_command_disabled: true,
        ..new_vnet()
    };
    assert_eq!(
        decide(ClusterAccess::RunCommand, &outside(), &target).mode,
        None
    );
    assert_eq!(decide(ClusterAccess::Auto, &outside(), &target).mode, None);
    let public = Target {
        private: false,
        ..target
    };
    assert_eq!(
        decide(ClusterAccess::Auto, &outside(), &public).mode,
        Some(ClusterAccess::Direct)
    );
}

#[test]
fn peering_is_chosen_when_the_spaces_do_not_overlap() {
    let apart = azure(CONSOLE_VNET, "10.99.0.0/16", vec![], vec![]);
    let d = decide(ClusterAccess::Peering, &apart, &new_vnet());
    assert_eq!(d.mode, Some(ClusterAccess::Peering), "{d:?}");
    assert!(
        matches!(&d.lines[0], Line::Pass(m) if m.contains("links the cluster's private DNS zone")),
        "{d:?}"
    );
}
