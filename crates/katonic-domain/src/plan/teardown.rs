//! The plan of a teardown: deletes in dependency order, one step per resource family, only for
//! the families that have something to delete. Pure: which resources each step deletes is
//! decided by the console's `teardown` module (the approved preview), not here.
//!
//! Order: Kubernetes objects are not deleted one by one, the cluster goes (its agent pools and
//! node resource group with it). What the cluster uses (the ingress public IP, the subnet, its
//! identity) goes after it; role assignments go before the resources they are scoped to (an
//! assignment on a deleted scope lingers as an orphan); the VNet before its NSG; the resource
//! group last, and only when nothing else is in it.

use super::{CostEstimate, InstallPlan, PlannedStep, StepId, expected_secs, schedule};

/// The delete steps, in the order the page lists them.
pub const DELETE_STEPS: [StepId; 11] = [
    StepId::DeleteDns,
    StepId::DeletePeering,
    StepId::DeleteCluster,
    StepId::DeleteRoleAssignments,
    StepId::DeleteAppGateway,
    StepId::DeleteIngressIp,
    StepId::DeleteRegistry,
    StepId::DeleteStorage,
    StepId::DeleteIdentity,
    StepId::DeleteNetwork,
    StepId::DeleteResourceGroup,
];

/// Whether `id` is a step of a teardown (not of an install).
pub fn is_teardown_step(id: StepId) -> bool {
    id == StepId::TeardownInventory || DELETE_STEPS.contains(&id)
}

/// What a delete step must wait for (before filtering to the steps present).
fn prerequisites(id: StepId) -> Vec<StepId> {
    use StepId::*;
    match id {
        DeleteDns | DeletePeering => vec![TeardownInventory],
        // The zone link lives in the cluster's node resource group: it goes before the cluster
        // (and its zone) do, so a zone is never deleted with a link still on it.
        DeleteCluster => vec![TeardownInventory, DeletePeering],
        DeleteRoleAssignments => vec![TeardownInventory, DeleteCluster],
        // The gateway holds the public IP (external mode) and sits in a subnet of the VNet: it
        // goes before both. It does not wait for the cluster (its backend is only an address).
        DeleteAppGateway => vec![TeardownInventory],
        DeleteIngressIp => vec![TeardownInventory, DeleteCluster, DeleteAppGateway],
        DeleteRegistry | DeleteStorage | DeleteIdentity => {
            vec![TeardownInventory, DeleteCluster, DeleteRoleAssignments]
        }
        DeleteNetwork => vec![
            TeardownInventory,
            DeleteCluster,
            DeleteRoleAssignments,
            DeleteIngressIp,
            DeleteAppGateway,
            DeleteIdentity,
            // A VNet with a peering to the console's VNet: its peering goes first.
            DeletePeering,
        ],
        DeleteResourceGroup => [
            vec![TeardownInventory],
            DELETE_STEPS[..DELETE_STEPS.len() - 1].to_vec(),
        ]
        .concat(),
        _ => vec![],
    }
}

pub(super) fn title(id: StepId) -> &'static str {
    match id {
        StepId::TeardownInventory => "Confirm what will be deleted",
        StepId::DeleteDns => "Delete the DNS records",
        StepId::DeletePeering => "Delete the DNS zone link and the VNet peerings",
        StepId::DeleteCluster => "Delete the AKS cluster",
        StepId::DeleteRoleAssignments => "Delete the role assignments",
        StepId::DeleteAppGateway => "Delete the Application Gateway",
        StepId::DeleteIngressIp => "Delete the ingress public IP",
        StepId::DeleteRegistry => "Delete the container registry",
        StepId::DeleteStorage => "Delete the storage account",
        StepId::DeleteIdentity => "Delete the cluster identity",
        StepId::DeleteNetwork => "Delete the virtual network and NSG",
        StepId::DeleteResourceGroup => "Delete the resource group",
        _ => "",
    }
}

pub(super) fn detail(id: StepId) -> &'static str {
    match id {
        StepId::TeardownInventory => {
            "Records the approved list of resources (the install's ledger cross-checked with its tags)."
        }
        StepId::DeleteDns => "Deletes the A record sets this install wrote into its DNS zone.",
        StepId::DeletePeering => {
            "Deletes the private DNS zone link to the console's VNet and the peerings in both directions (the console's VNet stays)."
        }
        StepId::DeleteCluster => {
            "Deletes the AKS cluster; its agent pools and node resource group go with it."
        }
        StepId::DeleteRoleAssignments => "Deletes the role assignments this install granted.",
        StepId::DeleteAppGateway => {
            "Deletes the Application Gateway, then its WAF policy (the gateway's subnet goes with the VNet)."
        }
        StepId::DeleteIngressIp => "Deletes the ingress's static public IP.",
        StepId::DeleteRegistry => "Deletes the container registry and its images.",
        StepId::DeleteStorage => {
            "Deletes the storage account with its containers and file share (their data is lost)."
        }
        StepId::DeleteIdentity => "Deletes the cluster's user-assigned identity.",
        StepId::DeleteNetwork => "Deletes the virtual network (with its subnets), then its NSG.",
        StepId::DeleteResourceGroup => {
            "Deletes the resource group this install created, only if nothing else is left in it."
        }
        _ => "",
    }
}

/// The plan of a teardown of an install planned as `original`, deleting with the steps in
/// `deleting` (the inventory step is always there).
pub fn plan(original: &InstallPlan, deleting: &[StepId]) -> InstallPlan {
    let present: Vec<StepId> = std::iter::once(StepId::TeardownInventory)
        .chain(
            DELETE_STEPS
                .iter()
                .copied()
                .filter(|s| deleting.contains(s)),
        )
        .collect();
    let steps = present
        .iter()
        .map(|&id| PlannedStep {
            id,
            title: title(id).to_string(),
            detail: detail(id).to_string(),
            depends_on: prerequisites(id)
                .into_iter()
                .filter(|d| present.contains(d))
                .collect(),
            expected_secs: expected_secs(id),
            on_critical_path: false,
        })
        .collect();
    let (steps, critical_path, critical_path_secs) = schedule(steps);
    let sequential_secs = steps
        .iter()
        .fold(0u32, |sum, s| sum.saturating_add(s.expected_secs));
    InstallPlan {
        steps,
        critical_path,
        critical_path_secs,
        sequential_secs,
        resources: Vec::new(),
        ip_budget: original.ip_budget.clone(),
        quota: Vec::new(),
        cost: CostEstimate {
            currency: original.cost.currency.clone(),
            prices_as_of: original.cost.prices_as_of.clone(),
            basis: "A teardown adds no cost.".to_string(),
            lines: Vec::new(),
            monthly_min: 0.0,
            monthly_max: 0.0,
            usage_based: Vec::new(),
        },
        warnings: Vec::new(),
        gateway: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::testutil;

    fn position(plan: &InstallPlan, id: StepId) -> usize {
        plan.steps.iter().position(|s| s.id == id).unwrap()
    }

    #[test]
    fn every_delete_step_comes_after_what_must_go_first() {
        let original = InstallPlan::from_spec(
            &testutil::sample_spec(),
            time::macros::date!(2026 - 11 - 25),
        );
        let plan = plan(&original, &DELETE_STEPS);
        assert_eq!(plan.steps.len(), 12);
        assert_eq!(plan.steps[0].id, StepId::TeardownInventory);
        for (before, after) in [
            (StepId::DeletePeering, StepId::DeleteCluster),
            (StepId::DeletePeering, StepId::DeleteNetwork),
            (StepId::DeleteCluster, StepId::DeleteNetwork),
            (StepId::DeleteCluster, StepId::DeleteIngressIp),
            (StepId::DeleteCluster, StepId::DeleteIdentity),
            (StepId::DeleteRoleAssignments, StepId::DeleteRegistry),
            (StepId::DeleteRoleAssignments, StepId::DeleteStorage),
            (StepId::DeleteIngressIp, StepId::DeleteNetwork),
            (StepId::DeleteAppGateway, StepId::DeleteIngressIp),
            (StepId::DeleteAppGateway, StepId::DeleteNetwork),
            (StepId::DeleteNetwork, StepId::DeleteResourceGroup),
            (StepId::DeleteDns, StepId::DeleteResourceGroup),
        ] {
            assert!(
                position(&plan, before) < position(&plan, after),
                "{before} must come before {after}"
            );
        }
        let rg = plan.step(StepId::DeleteResourceGroup).unwrap();
        assert_eq!(rg.depends_on.len(), 11, "{:?}", rg.depends_on);
    }

    #[test]
    fn absent_families_drop_out_without_breaking_the_order() {
        let original = InstallPlan::from_spec(
            &testutil::sample_spec(),
            time::macros::date!(2026 - 11 - 25),
        );
        // An existing-cluster install: nothing of the cluster or network to delete.
        let plan = plan(&original, &[StepId::DeleteRegistry, StepId::DeleteStorage]);
        let ids: Vec<StepId> = plan.steps.iter().map(|s| s.id).collect();
        assert_eq!(
            ids,
            [
                StepId::TeardownInventory,
                StepId::DeleteRegistry,
                StepId::DeleteStorage
            ]
        );
        assert_eq!(
            plan.step(StepId::DeleteStorage).unwrap().depends_on,
            [StepId::TeardownInventory]
        );
        assert!(plan.steps.iter().all(|s| is_teardown_step(s.id)));
        assert!(!is_teardown_step(StepId::AksCluster));
    }
}
