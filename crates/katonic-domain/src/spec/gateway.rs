//! The Application Gateway v2 in front of the cluster (issue 17): SKU, WAF mode, autoscaling.
//!
//! The gateway terminates TLS for the platform's hosts and forwards to the cluster's ingress,
//! which is then an internal load balancer in both modes (`ingress.loadBalancer` says where the
//! gateway's frontend faces).

/// Whether a document that says nothing about `ingress.gateway` gets the Application Gateway.
/// New installs get the gateway (issue 17): the vendor's architecture puts an SSL-terminating
/// Application Gateway in front of the cluster's load balancer. `ingress.gateway: none` keeps the
/// direct load balancer. See [`default_gateway_on`] for where the default does not apply.
pub const DEFAULT_GATEWAY_ON: bool = true;

/// The default of `ingress.gateway` for a document: [`DEFAULT_GATEWAY_ON`] when the console
/// creates the VNet (it derives the gateway's subnet), `none` when the install uses an existing
/// VNet or cluster (or ACME, whose HTTP-01 challenge the cluster's own load balancer answers), where the admin must name an existing dedicated subnet: a spec written
/// before the gateway existed stays valid (and means what it meant), and the canonical document
/// writes the choice out either way.
pub fn default_gateway_on(keeps_direct_load_balancer: bool) -> bool {
    DEFAULT_GATEWAY_ON && !keeps_direct_load_balancer
}

/// Autoscaling minimum when the document gives none: 2, so that a zone-redundant gateway keeps
/// an instance in each of two zones (learn.microsoft.com "Application Gateway autoscaling and
/// zone redundancy", checked 2026-12-07).
pub const DEFAULT_MIN_CAPACITY: u32 = 2;
/// Autoscaling maximum when the document gives none.
pub const DEFAULT_MAX_CAPACITY: u32 = 10;
/// Azure's bounds for v2 autoscaling: minimum 0-125, maximum 2-125 (ARM
/// `ApplicationGatewayAutoscaleConfiguration`, checked 2026-12-07).
pub const MIN_CAPACITY_RANGE: std::ops::RangeInclusive<u32> = 0..=125;
pub const MAX_CAPACITY_RANGE: std::ops::RangeInclusive<u32> = 2..=125;

/// `ingress.applicationGateway`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppGatewaySpec {
    pub sku: GatewaySku,
    /// Present exactly when `sku` is `WAF_v2`.
    pub waf_mode: Option<WafMode>,
    pub min_capacity: u32,
    pub max_capacity: u32,
}

impl Default for AppGatewaySpec {
    fn default() -> Self {
        AppGatewaySpec {
            sku: GatewaySku::StandardV2,
            waf_mode: None,
            min_capacity: DEFAULT_MIN_CAPACITY,
            max_capacity: DEFAULT_MAX_CAPACITY,
        }
    }
}

/// The gateway's SKU; `as_str` is ARM's `sku.name` and `sku.tier` alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewaySku {
    StandardV2,
    WafV2,
}

/// The WAF policy's mode (`WAF_v2` only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WafMode {
    /// Blocks what the managed rule set matches.
    Prevention,
    /// Logs what it matches and blocks nothing.
    Detection,
}
