//! Monthly cost estimate from `prices.yaml`: node pools and OS disks at minimum and maximum node
//! counts, fixed items (control plane tier, load balancers, public IPs, registry, private DNS
//! zone) equal at both, and usage-based prices listed as text outside the totals. A VM size
//! missing from the table is shown as such, never guessed.

use super::inventory::Footprint;
use super::{CostEstimate, CostLine, describe};
use crate::spec::{ClusterTier, InstallSpec, NodePool, RegistrySku};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Hours in the estimate's month (8,760 / 12), as Azure's pricing pages use.
pub const HOURS_PER_MONTH: f64 = 730.0;
/// Unit price of a line whose VM size is not in the table; such a line counts 0 in the totals.
pub const PRICE_UNKNOWN: &str = "price unknown (not in price table)";
/// Region the table's prices are for.
const PRICES_REGION: &str = "eastus";

/// The price table (`crates/data/prices.yaml`), embedded at build time.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriceTable {
    /// `YYYY-MM-DD`.
    pub as_of: String,
    pub currency: String,
    pub basis: String,
    /// VM size (canonical casing) to price per hour.
    pub vm_hourly: BTreeMap<String, f64>,
    pub os_disk: DiskPrice,
    pub aks_tier_hourly: TierPrices,
    pub load_balancer_hourly: f64,
    pub public_ip_hourly: f64,
    pub nat_gateway_hourly: f64,
    pub app_gateway_hourly: GatewayPrices,
    pub registry_daily: SkuPrices,
    pub private_dns_zone_monthly: f64,
    pub usage: UsagePrices,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskPrice {
    pub name: String,
    pub monthly: f64,
}

/// Application Gateway v2 prices per SKU.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewayPrices {
    pub standard_v2: GatewaySkuPrices,
    pub waf_v2: GatewaySkuPrices,
}

/// Per gateway-hour (fixed) and per capacity unit-hour.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GatewaySkuPrices {
    pub fixed: f64,
    pub capacity_unit: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierPrices {
    pub free: f64,
    pub standard: f64,
    pub premium: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkuPrices {
    pub basic: f64,
    pub standard: f64,
    pub premium: f64,
}

/// Unit prices of what is billed by use, as the review page shows them.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsagePrices {
    pub blob_storage: String,
    pub azure_files: String,
    pub volume_disks: String,
    pub registry_storage: String,
    pub load_balancer_data: String,
    pub nat_gateway_data: String,
    pub app_gateway_capacity: String,
    pub internet_egress: String,
}

impl PriceTable {
    /// Hourly price of a VM size, looked up case-insensitively.
    pub fn vm_hourly(&self, size: &str) -> Option<f64> {
        self.vm_hourly
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(size))
            .map(|(_, price)| *price)
    }
}

// The file is compiled in and the test `prices_yaml_parses` proves it parses, so the `expect`
// cannot fire at run time.
#[allow(clippy::expect_used)]
static PRICES: LazyLock<PriceTable> = LazyLock::new(|| {
    serde_yaml_ng::from_str(include_str!("../../../data/prices.yaml"))
        .expect("crates/data/prices.yaml parses")
});

/// The embedded price table.
pub fn prices() -> &'static PriceTable {
    &PRICES
}

/// Estimate the monthly cost of this install with `table`'s prices.
pub(super) fn estimate(spec: &InstallSpec, table: &PriceTable) -> CostEstimate {
    let fp = Footprint::of(spec);
    let mut lines = if fp.create {
        created_cluster_lines(spec, &fp, table)
    } else {
        vec![fixed(
            format!(
                "Existing cluster {}: nodes, OS disks and control plane",
                spec.cluster.name
            ),
            "already billed; not part of this estimate".to_string(),
            0.0,
        )]
    };
    lines.extend(network_lines(&fp, table));
    lines.extend(super::gateway_rows::cost_line(spec, table));
    lines.push(registry_line(spec, table));

    let monthly_min = cents(lines.iter().map(|l| l.monthly_min).sum());
    let monthly_max = cents(lines.iter().map(|l| l.monthly_max).sum());
    CostEstimate {
        currency: table.currency.clone(),
        prices_as_of: table.as_of.clone(),
        basis: basis(spec, table),
        lines,
        monthly_min,
        monthly_max,
        usage_based: usage(spec, &fp, table),
    }
}

pub(super) fn money(table: &PriceTable, amount: f64) -> String {
    describe::money(&table.currency, amount)
}

/// What a cluster the console creates costs: its pools, their OS disks, the control plane and
/// the private API server's DNS zone.
fn created_cluster_lines(spec: &InstallSpec, fp: &Footprint, table: &PriceTable) -> Vec<CostLine> {
    let mut lines: Vec<CostLine> = spec
        .cluster
        .node_pools
        .iter()
        .map(|pool| node_pool_line(pool, table))
        .collect();
    let disk = table.os_disk.monthly;
    lines.push(CostLine {
        item: format!(
            "OS disks: {} x {}",
            table.os_disk.name,
            range(fp.nodes_min, fp.nodes_max)
        ),
        unit_price: format!("{}/month per disk", money(table, disk)),
        monthly_min: cents(disk * f64::from(fp.nodes_min)),
        monthly_max: cents(disk * f64::from(fp.nodes_max)),
    });
    let (tier, hourly) = match spec.cluster.tier {
        ClusterTier::Free => ("Free", table.aks_tier_hourly.free),
        ClusterTier::Standard => ("Standard", table.aks_tier_hourly.standard),
        ClusterTier::Premium => ("Premium", table.aks_tier_hourly.premium),
    };
    lines.push(fixed(
        format!("AKS control plane ({tier} tier)"),
        format!("{}/hour per cluster", money(table, hourly)),
        hourly * HOURS_PER_MONTH,
    ));
    lines.push(fixed(
        "Private DNS zone (private API server)".to_string(),
        format!(
            "{}/month per zone",
            money(table, table.private_dns_zone_monthly)
        ),
        table.private_dns_zone_monthly,
    ));
    lines
}

/// A pool at its minimum and maximum node counts; a VM size missing from the table counts 0.
fn node_pool_line(pool: &NodePool, table: &PriceTable) -> CostLine {
    let (min, max) = (pool.scale.min(), pool.scale.max());
    let what = format!(
        "Node pool {}: {} x {}",
        pool.name,
        pool.vm_size,
        range(min, max)
    );
    match table.vm_hourly(pool.vm_size.as_str()) {
        Some(hourly) => CostLine {
            item: what,
            unit_price: format!("{}/hour per node", money(table, hourly)),
            monthly_min: cents(hourly * HOURS_PER_MONTH * f64::from(min)),
            monthly_max: cents(hourly * HOURS_PER_MONTH * f64::from(max)),
        },
        None => CostLine {
            item: format!("{what}: {PRICE_UNKNOWN}, excluded from the totals"),
            unit_price: PRICE_UNKNOWN.to_string(),
            monthly_min: 0.0,
            monthly_max: 0.0,
        },
    }
}

/// Load balancers, public IPs and the NAT gateway the install runs.
fn network_lines(fp: &Footprint, table: &PriceTable) -> Vec<CostLine> {
    let mut lines = Vec::new();
    let lbs = fp.load_balancers();
    if lbs > 0 {
        lines.push(fixed(
            format!("Standard load balancer x {lbs}"),
            format!(
                "{}/hour each (first 5 rules)",
                money(table, table.load_balancer_hourly)
            ),
            table.load_balancer_hourly * HOURS_PER_MONTH * f64::from(lbs),
        ));
    }
    let ips = fp.public_ips();
    if ips > 0 {
        lines.push(fixed(
            format!("Public IP address (Standard, static) x {ips}"),
            format!("{}/hour each", money(table, table.public_ip_hourly)),
            table.public_ip_hourly * HOURS_PER_MONTH * f64::from(ips),
        ));
    }
    let nats = fp.nat_gateways();
    if nats > 0 {
        lines.push(fixed(
            if nats == 1 {
                "NAT gateway".to_string()
            } else {
                format!("NAT gateway x {nats}")
            },
            format!(
                "{}/hour{}",
                money(table, table.nat_gateway_hourly),
                if nats == 1 { "" } else { " each" }
            ),
            table.nat_gateway_hourly * HOURS_PER_MONTH * f64::from(nats),
        ));
    }
    lines
}

fn registry_line(spec: &InstallSpec, table: &PriceTable) -> CostLine {
    let (sku, daily) = match spec.registry.sku {
        RegistrySku::Basic => ("Basic", table.registry_daily.basic),
        RegistrySku::Standard => ("Standard", table.registry_daily.standard),
        RegistrySku::Premium => ("Premium", table.registry_daily.premium),
    };
    fixed(
        format!("Container registry ({sku})"),
        format!("{}/day", money(table, daily)),
        daily * HOURS_PER_MONTH / 24.0,
    )
}

/// A line that costs the same at any node count.
fn fixed(item: String, unit_price: String, monthly: f64) -> CostLine {
    let monthly = cents(monthly);
    CostLine {
        item,
        unit_price,
        monthly_min: monthly,
        monthly_max: monthly,
    }
}

/// "2" or "1 to 4".
fn range(min: u32, max: u32) -> String {
    if min == max {
        min.to_string()
    } else {
        format!("{min} to {max}")
    }
}

/// Round to cents, so lines and totals show (and store) as money.
pub(super) fn cents(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

fn basis(spec: &InstallSpec, table: &PriceTable) -> String {
    let location = spec.azure.location.as_str();
    if location == PRICES_REGION {
        table.basis.clone()
    } else {
        format!(
            "{} This install is in {location}, where prices differ.",
            table.basis
        )
    }
}

fn usage(spec: &InstallSpec, fp: &Footprint, table: &PriceTable) -> Vec<String> {
    let u = &table.usage;
    let mut out = vec![u.blob_storage.clone()];
    if spec.storage.shared_files {
        out.push(u.azure_files.clone());
    }
    out.push(u.volume_disks.clone());
    out.push(u.registry_storage.clone());
    if fp.load_balancers() > 0 {
        out.push(u.load_balancer_data.clone());
    }
    if fp.nat_gateways() > 0 {
        out.push(u.nat_gateway_data.clone());
    }
    if spec.ingress.gateway.is_some() {
        out.push(u.app_gateway_capacity.clone());
    }
    out.push(u.internet_egress.clone());
    out
}
