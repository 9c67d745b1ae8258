//! The install plan: what an install will do and create, derived from a spec. Pure: no I/O.
//!
//! [`InstallPlan::from_spec`] gives the DAG of named steps with their dependencies and expected
//! durations (and so the critical path), the inventory of Azure resources (the vendor guide's
//! table: NIC and OS disk per node, VNet, NSG, AKS, storage, registry, Azure Files, load
//! balancer, public IPs), the AKS subnet's IP budget, the vCPU quota needed per VM family, and the
//! estimated monthly cost at minimum and maximum node counts from `prices.yaml`.
//!
//! Files: `steps` (which steps, their dependencies and durations), `details` (their words),
//! `critical` (topological order and longest path), `inventory`, `quota`, `cost`, `names` (the
//! names the console gives what it creates, shared with the steps that create them) and
//! `describe` (how spec values read on the page).

mod cost;
mod critical;
mod describe;
mod details;
pub mod egress;
mod gateway;
mod gateway_rows;
#[cfg(test)]
mod gateway_tests;
mod inventory;
#[cfg(test)]
mod jumphost_nat_tests;
pub mod names;
mod quota;
mod steps;
pub mod teardown;
#[cfg(test)]
mod tests;
pub mod topology;

pub use crate::status::StepStatus;
pub use cost::{
    DiskPrice, HOURS_PER_MONTH, PRICE_UNKNOWN, PriceTable, SkuPrices, TierPrices, UsagePrices,
    prices,
};
pub use gateway::{
    GatewayFrontend, GatewayNsgRule, GatewayPlan, HEALTH_PATH, MANAGED_RULE_SET,
    NETWORK_ISOLATION_FEATURE, ingress_address,
};
pub use inventory::OS_DISK_GIB;
pub use quota::{UNKNOWN_FAMILY, public_ips};
pub use steps::{GPU_DRIVER_SECS, StepId, UnknownStepId, expected_secs, planned_secs};

use crate::spec::{InstallSpec, IpBudget, Warning};
use serde::{Deserialize, Serialize};

/// Everything the review page shows, and what the worker will run. Stored with the install (as
/// JSON) so history shows the plan as it was, even after the price table changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstallPlan {
    /// Steps in a topological order (every step after its dependencies).
    pub steps: Vec<PlannedStep>,
    /// The longest chain of expected durations through the DAG, first step first.
    pub critical_path: Vec<StepId>,
    /// Expected wall time if independent steps run in parallel (length of the critical path).
    pub critical_path_secs: u32,
    /// Expected wall time if steps ran one after another (sum of all steps).
    pub sequential_secs: u32,
    pub resources: Vec<PlannedResource>,
    pub ip_budget: IpBudget,
    pub quota: Vec<QuotaNeed>,
    pub cost: CostEstimate,
    /// Lifecycle warnings at planning time.
    pub warnings: Vec<Warning>,
    /// The Application Gateway, when the install has one (absent in plans stored before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<GatewayPlan>,
}

/// A step of the install DAG.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedStep {
    pub id: StepId,
    /// Human title, e.g. "Create the private AKS cluster".
    pub title: String,
    /// What it does, in one or two sentences naming the resources.
    pub detail: String,
    pub depends_on: Vec<StepId>,
    /// Expected duration in seconds (the basis of the critical path and the progress estimate).
    pub expected_secs: u32,
    pub on_critical_path: bool,
}

/// One line of the resource inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedResource {
    /// Azure resource type, e.g. `Microsoft.Network/virtualNetworks`.
    pub kind: String,
    /// Human name of the type, e.g. "Virtual network".
    pub title: String,
    /// Resource name when the console chooses it (deterministic), else a description.
    pub name: String,
    /// Count at minimum node counts.
    pub count_min: u32,
    /// Count at maximum node counts (equal to `count_min` for fixed resources).
    pub count_max: u32,
    /// Why it exists / when (the vendor table's "when" and "notes" columns).
    pub note: String,
    /// Created by the console (true) or by AKS inside its node resource group (false).
    pub created_by_console: bool,
}

/// vCPUs a VM family needs with every pool at its maximum (plus upgrade surge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotaNeed {
    pub family: String,
    pub vm_sizes: Vec<String>,
    pub vcpus_at_max: u32,
}

/// Estimated monthly cost in the price table's currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CostEstimate {
    pub currency: String,
    /// Date of the price table.
    pub prices_as_of: String,
    /// What the prices are (region basis, OS, pay-as-you-go).
    pub basis: String,
    pub lines: Vec<CostLine>,
    pub monthly_min: f64,
    pub monthly_max: f64,
    /// Items whose cost depends on use (storage GB, egress), listed with their unit price.
    pub usage_based: Vec<String>,
}

impl CostEstimate {
    /// Lines whose VM size has no price (counted as 0 in the totals, which are then too low).
    pub fn unpriced(&self) -> impl Iterator<Item = &CostLine> {
        self.lines.iter().filter(|l| l.unit_price == PRICE_UNKNOWN)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CostLine {
    pub item: String,
    pub unit_price: String,
    pub monthly_min: f64,
    pub monthly_max: f64,
}

impl InstallPlan {
    /// Plan an install. `today` dates the lifecycle warnings.
    pub fn from_spec(spec: &InstallSpec, today: time::Date) -> InstallPlan {
        let quota = quota::needs(spec);
        let (steps, critical_path, critical_path_secs) = schedule(steps::steps(spec, &quota));
        let sequential_secs = steps
            .iter()
            .fold(0u32, |sum, s| sum.saturating_add(s.expected_secs));
        InstallPlan {
            steps,
            critical_path,
            critical_path_secs,
            sequential_secs,
            resources: inventory::resources(spec),
            ip_budget: spec.ip_budget(),
            quota,
            cost: cost::estimate(spec, prices()),
            warnings: spec.warnings(today),
            gateway: GatewayPlan::from_spec(spec),
        }
    }

    /// The Application Gateway, when the install has one.
    pub fn gateway(&self) -> Option<&GatewayPlan> {
        self.gateway.as_ref()
    }

    /// The step with this id, when the plan has it.
    pub fn step(&self, id: StepId) -> Option<&PlannedStep> {
        self.steps.iter().find(|s| s.id == id)
    }
}

/// Sort the steps topologically and mark the critical path.
fn schedule(mut steps: Vec<PlannedStep>) -> (Vec<PlannedStep>, Vec<StepId>, u32) {
    let ids: Vec<StepId> = steps.iter().map(|s| s.id).collect();
    let weights: Vec<u32> = steps.iter().map(|s| s.expected_secs).collect();
    // A dependency outside the plan maps out of range, which the analysis refuses.
    let deps: Vec<Vec<usize>> = steps
        .iter()
        .map(|s| {
            s.depends_on
                .iter()
                .map(|d| ids.iter().position(|i| i == d).unwrap_or(usize::MAX))
                .collect()
        })
        .collect();
    let Some(analysis) = critical::analyse(&weights, &deps) else {
        // Not reachable: `steps::steps` keeps only dependencies inside the plan and builds no
        // cycle (tested for every mode and option). Keep the declared order and claim no
        // critical path rather than fail the review page.
        return (steps, Vec::new(), 0);
    };
    for &i in &analysis.path {
        steps[i].on_critical_path = true;
    }
    let critical_path = analysis.path.iter().map(|&i| ids[i]).collect();
    let mut slots: Vec<Option<PlannedStep>> = steps.into_iter().map(Some).collect();
    let ordered = analysis
        .order
        .iter()
        .filter_map(|&i| slots[i].take())
        .collect();
    let secs = u32::try_from(analysis.length).unwrap_or(u32::MAX);
    (ordered, critical_path, secs)
}
