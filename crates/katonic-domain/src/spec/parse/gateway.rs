//! `ingress.gateway` and `ingress.applicationGateway` (the Application Gateway v2 in front of the
//! cluster), and the gateway's subnet: `cluster.network.gatewaySubnetCidr` and
//! `cluster.network.existingVnet.gatewaySubnet`.

use super::super::capacity::AZURE_RESERVED_PER_SUBNET;
use super::super::text::show;
use super::super::{
    AppGatewayDoc, AppGatewaySpec, Cidr, DEFAULT_GATEWAY_ON, DEFAULT_MAX_CAPACITY,
    DEFAULT_MIN_CAPACITY, GatewaySku, IngressDoc, Invalid, MAX_CAPACITY_RANGE, MIN_CAPACITY_RANGE,
    NetworkDoc, NetworkName, NetworkSpec, Scalar, WafMode,
};
use super::ctx::{Ctx, scalar, text, whole};
use super::export::{GATEWAY_OFF, GATEWAY_ON};
use super::network::free_block;

const GATEWAY: &str = "ingress.gateway";
const BLOCK: &str = "ingress.applicationGateway";
const SKU: &str = "ingress.applicationGateway.sku";
const WAF: &str = "ingress.applicationGateway.wafMode";
const MIN: &str = "ingress.applicationGateway.minCapacity";
const MAX: &str = "ingress.applicationGateway.maxCapacity";
const SUBNET: &str = "cluster.network.gatewaySubnetCidr";
const SUBNET_NAME: &str = "cluster.network.existingVnet.gatewaySubnet";

/// Addresses a v2 gateway's subnet needs besides one per instance: the private frontend (1) and
/// Azure's 5 reserved (learn.microsoft.com "Application Gateway infrastructure configuration",
/// checked 2026-12-07: "one private IP per instance, and another private IP if a private
/// frontend IP is configured").
pub const GATEWAY_SUBNET_OVERHEAD: u64 = 1 + AZURE_RESERVED_PER_SUBNET;
/// Microsoft recommends a /24 for v2 (room for its 125 instances); the derived subnet's size.
pub const RECOMMENDED_GATEWAY_PREFIX: u8 = 24;

/// Addresses a gateway subnet needs for `max_capacity` instances.
pub fn gateway_subnet_needs(max_capacity: u32) -> u64 {
    u64::from(max_capacity) + GATEWAY_SUBNET_OVERHEAD
}

/// `Some(None)`: the gateway is off; `None`: a value was refused (the reason is recorded).
pub(super) fn gateway(cx: &mut Ctx, doc: &IngressDoc) -> Option<Option<AppGatewaySpec>> {
    let on = match text(doc.gateway.as_ref()) {
        None => DEFAULT_GATEWAY_ON,
        Some(t) if t.eq_ignore_ascii_case(GATEWAY_ON) => true,
        Some(t) if t.eq_ignore_ascii_case(GATEWAY_OFF) => false,
        Some(t) => {
            cx.fail(
                GATEWAY,
                Invalid::new(
                    "enum.value",
                    format!("{} is not a valid gateway", show(t)),
                    "use `applicationGateway` (an SSL-terminating Application Gateway v2 in front \
                     of the cluster) or `none` (the cluster's load balancer directly)",
                ),
            );
            return None;
        }
    };
    let block = doc.application_gateway.as_ref();
    if !on {
        if block.is_some_and(|b| !b.is_blank()) {
            cx.fail(
                BLOCK,
                Invalid::new(
                    "gateway.off",
                    "`applicationGateway` settings are given, but `gateway: none` turns the gateway off",
                    "remove `ingress.applicationGateway`, or set `ingress.gateway: applicationGateway`",
                ),
            );
        }
        return Some(None);
    }
    settings(cx, block.unwrap_or(&AppGatewayDoc::default())).map(Some)
}

/// The gateway's SKU, WAF mode and autoscaling bounds (each defaulted).
fn settings(cx: &mut Ctx, b: &AppGatewayDoc) -> Option<AppGatewaySpec> {
    let sku = cx
        .optional(SKU, b.sku.as_ref(), GatewaySku::parse)
        .map(|s| s.unwrap_or(GatewaySku::StandardV2));
    let waf = cx.optional(WAF, b.waf_mode.as_ref(), WafMode::parse);
    let waf_mode = match (sku, waf) {
        (Some(GatewaySku::StandardV2), Some(Some(m))) => {
            cx.fail(
                WAF,
                Invalid::new(
                    "gateway.waf-sku",
                    format!("wafMode {m} needs the WAF_v2 SKU; Standard_v2 has no firewall"),
                    "set `sku: WAF_v2`, or remove `wafMode`",
                ),
            );
            None
        }
        (Some(GatewaySku::StandardV2), Some(None)) => Some(None),
        (Some(GatewaySku::WafV2), Some(m)) => Some(Some(m.unwrap_or(WafMode::Prevention))),
        _ => None,
    };
    let min = capacity(cx, MIN, b.min_capacity.as_ref(), DEFAULT_MIN_CAPACITY, true);
    let max = capacity(
        cx,
        MAX,
        b.max_capacity.as_ref(),
        DEFAULT_MAX_CAPACITY,
        false,
    );
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        let default = if scalar(b.max_capacity.as_ref()).is_none() {
            " (the default)"
        } else {
            ""
        };
        cx.fail(
            MAX,
            Invalid::new(
                "gateway.capacity-order",
                format!("maxCapacity {hi}{default} is below minCapacity {lo}"),
                format!("use a maxCapacity of at least {lo}, or a lower minCapacity"),
            ),
        );
        return None;
    }
    Some(AppGatewaySpec {
        sku: sku?,
        waf_mode: waf_mode?,
        min_capacity: min?,
        max_capacity: max?,
    })
}

/// An autoscaling bound: absent is `default`; else a whole number in Azure's range.
fn capacity(
    cx: &mut Ctx,
    field: &str,
    value: Option<&Scalar>,
    default: u32,
    is_min: bool,
) -> Option<u32> {
    let Some(v) = scalar(value) else {
        return Some(default);
    };
    let n = cx.check(field, whole(v))?;
    let (range, what) = if is_min {
        (MIN_CAPACITY_RANGE, "minCapacity")
    } else {
        (MAX_CAPACITY_RANGE, "maxCapacity")
    };
    if range.contains(&n) {
        return Some(n);
    }
    cx.fail(
        field,
        Invalid::new(
            "gateway.capacity",
            format!(
                "{what} {n} is outside what Azure allows for a v2 gateway ({}-{})",
                range.start(),
                range.end()
            ),
            format!("use {} to {} instances", range.start(), range.end()),
        ),
    );
    None
}

/// The gateway's subnet range and, in an existing VNet, its name. `Some(None)`: no gateway;
/// `None`: refused. `net` is the rest of the network when it parsed; `gateway` is `None` when
/// `ingress.gateway` was refused (then only the range's format is checked).
pub(super) fn subnet(
    cx: &mut Ctx,
    doc: &NetworkDoc,
    net: Option<&NetworkSpec>,
    gateway: Option<Option<&AppGatewaySpec>>,
) -> (Option<Option<Cidr>>, Option<Option<NetworkName>>) {
    let given = cx.optional(SUBNET, doc.gateway_subnet_cidr.as_ref(), Cidr::parse);
    let name_text = doc
        .existing_vnet
        .as_ref()
        .and_then(|e| e.gateway_subnet.as_ref());
    let g = match gateway {
        None => return (None, None),
        Some(None) => {
            gateway_off(cx, text(doc.gateway_subnet_cidr.as_ref()), text(name_text));
            return (Some(None), Some(None));
        }
        Some(Some(g)) => g,
    };
    let name = if doc.existing_vnet.is_some() {
        existing_name(cx, name_text, net).map(Some)
    } else {
        Some(None)
    };
    let cidr = match (given, net) {
        (None, _) => None,
        (Some(Some(c)), Some(n)) => {
            checks(cx, c, n, g.max_capacity);
            Some(c)
        }
        (Some(Some(c)), None) => Some(c),
        (Some(None), _) if doc.existing_vnet.is_some() => {
            cx.fail(
                SUBNET,
                Invalid::new(
                    "required",
                    format!("`{SUBNET}` is missing"),
                    "give the range of the existing gateway subnet (`existingVnet.gatewaySubnet`); preflight checks it against Azure",
                ),
            );
            None
        }
        (Some(None), Some(n)) => derive(cx, n, g.max_capacity),
        (Some(None), None) => None,
    };
    (cidr.map(Some), name)
}

/// Gateway fields given with `gateway: none`.
fn gateway_off(cx: &mut Ctx, cidr: Option<&str>, name: Option<&str>) {
    let fix = "remove it, or set `ingress.gateway: applicationGateway`";
    if let Some(c) = cidr {
        cx.fail(
            SUBNET,
            Invalid::new(
                "gateway.off",
                format!(
                    "gatewaySubnetCidr {} is given, but `ingress.gateway: none` creates no gateway",
                    show(c)
                ),
                fix,
            ),
        );
    }
    if let Some(n) = name {
        cx.fail(
            SUBNET_NAME,
            Invalid::new(
                "gateway.off",
                format!(
                    "gatewaySubnet {} is given, but `ingress.gateway: none` uses no gateway",
                    show(n)
                ),
                fix,
            ),
        );
    }
}

/// `existingVnet.gatewaySubnet`: required, and neither the AKS nor the jumphost subnet.
fn existing_name(
    cx: &mut Ctx,
    value: Option<&String>,
    net: Option<&NetworkSpec>,
) -> Option<NetworkName> {
    let name = cx.required(
        SUBNET_NAME,
        value,
        NetworkName::subnet,
        "give the name of the existing subnet dedicated to the Application Gateway (the console never changes an existing VNet)",
    )?;
    let existing = net.and_then(|n| n.existing_vnet.as_ref());
    if let Some(e) = existing {
        let taken = [(&e.aks_subnet, "AKS"), (&e.jumphost_subnet, "jumphost")];
        if let Some((_, what)) = taken
            .iter()
            .find(|(t, _)| t.as_str().eq_ignore_ascii_case(name.as_str()))
        {
            cx.fail(
                SUBNET_NAME,
                Invalid::new(
                    "network.same-subnet",
                    format!("the gateway subnet is the {what} subnet `{name}`"),
                    "give the Application Gateway a subnet of its own: nothing else may be in it",
                ),
            );
            return None;
        }
    }
    Some(name)
}

/// A new VNet without `gatewaySubnetCidr`: its first free /24 (clear of the AKS and jumphost
/// subnets); when none is free, the smallest range that fits, and if none does, an error asking
/// for the field.
fn derive(cx: &mut Ctx, net: &NetworkSpec, max_capacity: u32) -> Option<Cidr> {
    let taken = [net.aks_subnet_cidr, net.jumphost_subnet_cidr];
    let vnet = net.vnet_cidr;
    let fitting = fitting_prefix(gateway_subnet_needs(max_capacity));
    let derived = free_block(&vnet, RECOMMENDED_GATEWAY_PREFIX, &taken)
        .or_else(|| free_block(&vnet, fitting, &taken));
    if derived.is_none() {
        cx.fail(
            SUBNET,
            Invalid::new(
                "gateway-subnet.no-room",
                format!(
                    "the VNet {vnet} has no free /{fitting} left for the Application Gateway's subnet ({} addresses: maxCapacity {max_capacity} + 1 private frontend + 5 Azure reserves)",
                    gateway_subnet_needs(max_capacity)
                ),
                "give `gatewaySubnetCidr` (a free range inside the VNet), use a larger VNet, or lower maxCapacity",
            ),
        );
    }
    derived
}

/// The largest prefix length (smallest subnet) with at least `needed` addresses, at most /29.
fn fitting_prefix(needed: u64) -> u8 {
    (0..=29u8)
        .rev()
        .find(|p| (1u64 << (32 - u32::from(*p))) >= needed)
        .unwrap_or(0)
}

/// A given gateway subnet: inside the VNet, dedicated, large enough for `max_capacity`.
fn checks(cx: &mut Ctx, c: Cidr, net: &NetworkSpec, max_capacity: u32) {
    let taken = [net.aks_subnet_cidr, net.jumphost_subnet_cidr];
    let vnet = net.vnet_cidr;
    let needed = gateway_subnet_needs(max_capacity);
    if c.size() < needed {
        let fitting = fitting_prefix(needed);
        let instead =
            free_block(&vnet, fitting, &taken).map_or_else(String::new, |f| format!(", e.g. {f}"));
        let lower = c
            .size()
            .checked_sub(GATEWAY_SUBNET_OVERHEAD)
            .filter(|n| *n >= 2)
            .map_or_else(String::new, |n| format!(", or lower maxCapacity to {n}"));
        cx.fail(
            SUBNET,
            Invalid::new(
                "gateway-subnet.size",
                format!(
                    "the gateway subnet {c} has {} addresses; a gateway scaling to {max_capacity} instances needs {needed} (one per instance, 1 private frontend, 5 Azure reserves)",
                    c.size()
                ),
                format!("use a /{fitting} or larger{instead} (Microsoft recommends a /24 for v2){lower}"),
            ),
        );
    }
    if !vnet.contains_net(&c) {
        let example = free_block(&vnet, c.prefix(), &taken)
            .map_or_else(String::new, |f| format!(", e.g. {f}"));
        cx.fail(
            SUBNET,
            Invalid::new(
                "cidr.outside-vnet",
                format!("the gateway subnet {c} is not inside the VNet {vnet}"),
                format!("use a range inside the VNet {vnet}{example}"),
            ),
        );
    }
    let others = [
        (Some(net.aks_subnet_cidr), "the AKS subnet"),
        (Some(net.jumphost_subnet_cidr), "the jumphost subnet"),
        (net.pod_range(), "the pod CIDR"),
        (Some(net.service_cidr), "the service CIDR"),
    ];
    for (other, what) in others {
        if let Some(o) = other.filter(|o| o.overlaps(&c)) {
            let example = free_block(&vnet, c.prefix(), &taken)
                .map_or_else(String::new, |f| format!(" such as {f}"));
            cx.fail(
                SUBNET,
                Invalid::new(
                    "gateway-subnet.dedicated",
                    format!("the gateway subnet {c} overlaps {what} {o}; an Application Gateway's subnet holds nothing else"),
                    format!("use a free range of the VNet{example}"),
                ),
            );
        }
    }
}
