//! `cluster.network`: the VNet, subnets and pod/service ranges, cross-checked.

use super::super::capacity::SMALLEST_SUBNET_PREFIX;
use super::super::network::{
    DEFAULT_POD_CIDR, DEFAULT_SERVICE_CIDR, DNS_SERVICE_IP_OFFSET, forbidden_overlap,
};
use super::super::{
    Cidr, Invalid, JumphostEgress, NetworkDoc, NetworkPlugin, NetworkPolicy, NetworkSpec,
    OutboundType,
};
use super::ctx::{Ctx, ip, scalar, text, whole};

const VNET: &str = "cluster.network.vnetCidr";
const AKS: &str = "cluster.network.aksSubnetCidr";
const JUMP: &str = "cluster.network.jumphostSubnetCidr";
const PLUGIN: &str = "cluster.network.plugin";
const POLICY: &str = "cluster.network.networkPolicy";
const POD: &str = "cluster.network.podCidr";
const SERVICE: &str = "cluster.network.serviceCidr";
const DNS: &str = "cluster.network.dnsServiceIp";
const MAX_PODS: &str = "cluster.network.maxPods";
const OUTBOUND: &str = "cluster.network.outboundType";
const JUMP_EGRESS: &str = "cluster.network.jumphostEgress";

/// Pods per node AKS accepts.
pub const MAX_PODS_RANGE: std::ops::RangeInclusive<u32> = 10..=250;
/// Largest service CIDR AKS accepts.
const LARGEST_SERVICE_PREFIX: u8 = 12;

/// What the network section yielded: the AKS subnet on its own (the ingress static IP needs it)
/// and the whole spec when every value parsed (cross-check errors do not withhold it).
pub(super) struct NetworkParts {
    pub aks: Option<Cidr>,
    pub spec: Option<NetworkSpec>,
}

pub(super) fn parse(cx: &mut Ctx, doc: &NetworkDoc) -> NetworkParts {
    let vnet = vnet_cidr(cx, doc);
    let aks = aks_subnet(cx, doc, vnet);
    let jump = jumphost_subnet(cx, doc, vnet, aks);
    let (plugin, policy) = plugin_and_policy(cx, doc);
    let pod = pod_cidr(cx, doc, plugin, vnet);
    let service = cx
        .optional(SERVICE, doc.service_cidr.as_ref(), Cidr::parse)
        .map(|s| s.unwrap_or(DEFAULT_SERVICE_CIDR));
    if let Some(s) = service {
        service_checks(cx, s, vnet, pod.flatten());
    }
    let dns = dns_service_ip(cx, doc, service);
    let max_pods = match (scalar(doc.max_pods.as_ref()), plugin) {
        (Some(value), _) => cx.check(MAX_PODS, whole(value).and_then(max_pods_in_range)),
        (None, Some(p)) => Some(p.default_max_pods()),
        (None, None) => None,
    };
    let outbound = cx
        .optional(OUTBOUND, doc.outbound_type.as_ref(), OutboundType::parse)
        .map(|o| o.unwrap_or(OutboundType::LoadBalancer));
    let existing = match &doc.existing_vnet {
        None => Some(None),
        Some(e) => existing_vnet(cx, e).map(Some),
    };
    let jumphost_egress = jumphost_egress(cx, doc);

    let spec = (|| {
        Some(NetworkSpec {
            vnet_cidr: vnet?,
            aks_subnet_cidr: aks?,
            jumphost_subnet_cidr: jump?,
            plugin: plugin?,
            network_policy: policy?,
            pod_cidr: pod?,
            service_cidr: service?,
            dns_service_ip: dns?,
            max_pods: max_pods?,
            outbound_type: outbound?,
            jumphost_egress: jumphost_egress?,
            existing_vnet: existing?,
            gateway_subnet_cidr: None,
        })
    })();
    NetworkParts { aks, spec }
}

/// `none` by default; a NAT gateway only for the jumphost subnet a new VNet creates: an existing
/// VNet is never modified, and its subnets keep their own outbound path.
fn jumphost_egress(cx: &mut Ctx, doc: &NetworkDoc) -> Option<JumphostEgress> {
    let egress = cx
        .optional(
            JUMP_EGRESS,
            doc.jumphost_egress.as_ref(),
            JumphostEgress::parse,
        )
        .map(Option::unwrap_or_default)?;
    if egress == JumphostEgress::NatGateway && doc.existing_vnet.is_some() {
        cx.fail(
            JUMP_EGRESS,
            Invalid::new(
                "jumphost-egress.existing-vnet",
                "a NAT gateway for the jumphost subnet is created only with a new VNet: an existing VNet is never modified, and its subnets keep their own outbound path",
                "remove `jumphostEgress` (or set it to `none`), or let the install create its VNet (no `existingVnet`)",
            ),
        );
        return None;
    }
    Some(egress)
}

fn vnet_cidr(cx: &mut Ctx, doc: &NetworkDoc) -> Option<Cidr> {
    let vnet = cx.required(
        VNET,
        doc.vnet_cidr.as_ref(),
        Cidr::parse,
        "give the VNet's range, e.g. `10.20.0.0/16`",
    );
    if let Some(v) = vnet {
        forbidden(cx, VNET, "the VNet", &v);
    }
    vnet
}

fn aks_subnet(cx: &mut Ctx, doc: &NetworkDoc, vnet: Option<Cidr>) -> Option<Cidr> {
    let aks = cx.required(
        AKS,
        doc.aks_subnet_cidr.as_ref(),
        Cidr::parse,
        "give the AKS nodes' subnet inside the VNet, e.g. `10.20.0.0/26`",
    );
    if let Some(a) = aks {
        subnet(cx, AKS, "the AKS subnet", a, vnet, &[]);
    }
    aks
}

/// The jumphost subnet: inside the VNet and clear of the AKS subnet.
fn jumphost_subnet(
    cx: &mut Ctx,
    doc: &NetworkDoc,
    vnet: Option<Cidr>,
    aks: Option<Cidr>,
) -> Option<Cidr> {
    let jump = cx.required(
        JUMP,
        doc.jumphost_subnet_cidr.as_ref(),
        Cidr::parse,
        "give the jumphost's subnet inside the VNet, e.g. `10.20.0.64/29`",
    );
    if let Some(j) = jump {
        let taken: Vec<Cidr> = aks.into_iter().collect();
        subnet(cx, JUMP, "the jumphost subnet", j, vnet, &taken);
        if let Some(a) = aks
            && j.overlaps(&a)
        {
            let fix = vnet
                .and_then(|v| free_block(&v, j.prefix(), &taken))
                .map_or(
                    "use a range that does not overlap the AKS subnet".to_string(),
                    |f| format!("use a free range such as {f}"),
                );
            cx.fail(
                JUMP,
                Invalid::new(
                    "cidr.overlap",
                    format!("the jumphost subnet {j} overlaps the AKS subnet {a}"),
                    fix,
                ),
            );
        }
    }
    jump
}

fn plugin_and_policy(
    cx: &mut Ctx,
    doc: &NetworkDoc,
) -> (Option<NetworkPlugin>, Option<NetworkPolicy>) {
    let plugin = cx
        .optional(PLUGIN, doc.plugin.as_ref(), NetworkPlugin::parse)
        .map(|p| p.unwrap_or(NetworkPlugin::AzureOverlay));
    let policy = cx
        .optional(POLICY, doc.network_policy.as_ref(), NetworkPolicy::parse)
        .map(|p| p.unwrap_or(NetworkPolicy::Calico));
    if plugin == Some(NetworkPlugin::Kubenet) && policy == Some(NetworkPolicy::Azure) {
        cx.fail(
            POLICY,
            Invalid::new(
                "network-policy.plugin",
                "the `azure` network policy engine does not work with kubenet",
                "use `networkPolicy: calico` with kubenet, or `plugin: azure-overlay`",
            ),
        );
    }
    (plugin, policy)
}

/// `Some(None)`: the plugin takes no pod CIDR; `None`: it did not parse.
fn pod_cidr(
    cx: &mut Ctx,
    doc: &NetworkDoc,
    plugin: Option<NetworkPlugin>,
    vnet: Option<Cidr>,
) -> Option<Option<Cidr>> {
    // Classic Azure CNI gives pods subnet addresses: a pod CIDR would be ignored, so it is dropped.
    let pod = match plugin {
        Some(p) if !p.uses_pod_cidr() => Some(None),
        _ => cx
            .optional(POD, doc.pod_cidr.as_ref(), Cidr::parse)
            .map(|p| Some(p.unwrap_or(DEFAULT_POD_CIDR))),
    };
    if let (Some(Some(p)), Some(_)) = (pod, plugin) {
        forbidden(cx, POD, "the pod CIDR", &p);
        if let Some(v) = vnet
            && p.overlaps(&v)
        {
            cx.fail(
                POD,
                Invalid::new(
                    "cidr.overlap",
                    format!("the pod CIDR {p} overlaps the VNet {v}"),
                    outside_fix(&[v], "192.168.0.0/16"),
                ),
            );
        }
    }
    pod
}

/// Given, or address 10 of the service CIDR; either way checked against that CIDR.
fn dns_service_ip(
    cx: &mut Ctx,
    doc: &NetworkDoc,
    service: Option<Cidr>,
) -> Option<std::net::Ipv4Addr> {
    let dns = match (text(doc.dns_service_ip.as_ref()), service) {
        (Some(t), _) => cx.check(DNS, ip(t)),
        (None, Some(s)) => {
            let default = s.nth(DNS_SERVICE_IP_OFFSET);
            if default.is_none() {
                cx.fail(
                    DNS,
                    Invalid::new(
                        "dns-service-ip.outside",
                        format!("the default DNS service IP (address 10 of the service CIDR) is outside {s}"),
                        "give `dnsServiceIp`, or use a service CIDR of /28 or larger",
                    ),
                );
            }
            default
        }
        (None, None) => None,
    };
    if let (Some(ip), Some(s)) = (dns, service) {
        dns_checks(cx, ip, s);
    }
    dns
}

/// `cluster.network.existingVnet`: where the VNet is and which subnets to use.
fn existing_vnet(
    cx: &mut Ctx,
    doc: &super::super::ExistingVnetDoc,
) -> Option<super::super::ExistingVnet> {
    use super::super::{ExistingVnet, NetworkName, ResourceGroupName};
    const BASE: &str = "cluster.network.existingVnet";
    let rg = cx.required(
        &format!("{BASE}.resourceGroup"),
        doc.resource_group.as_ref(),
        ResourceGroupName::parse,
        "give the VNet's resource group",
    );
    let name = cx.required(
        &format!("{BASE}.name"),
        doc.name.as_ref(),
        NetworkName::vnet,
        "give the VNet's name",
    );
    let aks = cx.required(
        &format!("{BASE}.aksSubnet"),
        doc.aks_subnet.as_ref(),
        NetworkName::subnet,
        "give the name of the subnet for the AKS nodes",
    );
    let jump = cx.required(
        &format!("{BASE}.jumphostSubnet"),
        doc.jumphost_subnet.as_ref(),
        NetworkName::subnet,
        "give the name of the jumphost's subnet",
    );
    if let (Some(a), Some(j)) = (&aks, &jump)
        && a.as_str().eq_ignore_ascii_case(j.as_str())
    {
        cx.fail(
            &format!("{BASE}.jumphostSubnet"),
            Invalid::new(
                "network.same-subnet",
                format!("the jumphost subnet is the AKS subnet `{a}`"),
                "give the jumphost its own subnet: AKS needs its subnet's addresses",
            ),
        );
        return None;
    }
    Some(ExistingVnet {
        resource_group: rg?,
        name: name?,
        aks_subnet: aks?,
        jumphost_subnet: jump?,
        gateway_subnet: None,
    })
}

fn max_pods_in_range(n: u32) -> Result<u32, Invalid> {
    if MAX_PODS_RANGE.contains(&n) {
        Ok(n)
    } else {
        Err(Invalid::new(
            "max-pods.range",
            format!("maxPods {n} is outside what AKS allows"),
            format!(
                "use {} to {} pods per node, or leave it out for the plugin's default",
                MAX_PODS_RANGE.start(),
                MAX_PODS_RANGE.end()
            ),
        ))
    }
}

fn forbidden(cx: &mut Ctx, field: &str, what: &str, cidr: &Cidr) {
    if let Some(f) = forbidden_overlap(cidr) {
        cx.fail(
            field,
            Invalid::new(
                "cidr.forbidden",
                format!("{what} {cidr} overlaps {f}, a range AKS reserves"),
                "avoid 169.254.0.0/16, 172.30.0.0/16, 172.31.0.0/16 and 192.0.2.0/24",
            ),
        );
    }
}

/// A subnet: at least /29, inside the VNet.
fn subnet(cx: &mut Ctx, field: &str, what: &str, c: Cidr, vnet: Option<Cidr>, taken: &[Cidr]) {
    if c.prefix() > SMALLEST_SUBNET_PREFIX {
        cx.fail(
            field,
            Invalid::new(
                "cidr.too-small",
                format!(
                    "{what} {c} is a /{}; Azure subnets are at least /29",
                    c.prefix()
                ),
                "use a /29 or larger range",
            ),
        );
    }
    if let Some(v) = vnet
        && !v.contains_net(&c)
    {
        let fix = free_block(&v, c.prefix(), taken).map_or_else(
            || format!("use a range inside the VNet {v}"),
            |f| format!("use a range inside the VNet {v}, e.g. {f}"),
        );
        cx.fail(
            field,
            Invalid::new(
                "cidr.outside-vnet",
                format!("{what} {c} is not inside the VNet {v}"),
                fix,
            ),
        );
    }
}

fn service_checks(cx: &mut Ctx, s: Cidr, vnet: Option<Cidr>, pod: Option<Cidr>) {
    forbidden(cx, SERVICE, "the service CIDR", &s);
    if s.prefix() < LARGEST_SERVICE_PREFIX {
        cx.fail(
            SERVICE,
            Invalid::new(
                "service-cidr.size",
                format!("the service CIDR {s} is larger than /12, which AKS refuses"),
                "use a /12 or smaller range, e.g. `172.16.0.0/16`",
            ),
        );
    }
    if let Some(v) = vnet
        && s.overlaps(&v)
    {
        cx.fail(
            SERVICE,
            Invalid::new(
                "service-cidr.in-vnet",
                format!("the service CIDR {s} overlaps the VNet {v}; Kubernetes service addresses must not be routable in it"),
                outside_fix(&[Some(v), pod].into_iter().flatten().collect::<Vec<_>>(), "172.16.0.0/16"),
            ),
        );
    }
    if let Some(p) = pod
        && s.overlaps(&p)
    {
        cx.fail(
            SERVICE,
            Invalid::new(
                "cidr.overlap",
                format!("the service CIDR {s} overlaps the pod CIDR {p}"),
                outside_fix(
                    &[Some(p), vnet].into_iter().flatten().collect::<Vec<_>>(),
                    "172.16.0.0/16",
                ),
            ),
        );
    }
}

fn dns_checks(cx: &mut Ctx, ip: std::net::Ipv4Addr, s: Cidr) {
    let suggestion = s
        .nth(DNS_SERVICE_IP_OFFSET)
        .filter(|a| *a != s.broadcast())
        .or_else(|| s.nth(2).filter(|a| *a != s.broadcast()))
        .map_or("use a larger service CIDR".to_string(), |a| {
            format!("use {a}")
        });
    match s.offset_of(ip) {
        None => cx.fail(
            DNS,
            Invalid::new(
                "dns-service-ip.outside",
                format!("the DNS service IP {ip} is outside the service CIDR {s}"),
                suggestion,
            ),
        ),
        Some(offset) => {
            let why = if offset == 0 {
                Some("the network address")
            } else if ip == s.broadcast() {
                Some("the broadcast address")
            } else if offset == 1 {
                Some("the first address, which the `kubernetes` API service takes")
            } else {
                None
            };
            if let Some(why) = why {
                cx.fail(
                    DNS,
                    Invalid::new(
                        "dns-service-ip.reserved",
                        format!("the DNS service IP {ip} is {why} of {s}"),
                        suggestion,
                    ),
                );
            }
        }
    }
}

/// "use a range outside ..., e.g. X": the first usual private range clear of `avoid`.
fn outside_fix(avoid: &[Cidr], usual: &str) -> String {
    let candidates = [
        usual,
        "192.168.0.0/16",
        "172.16.0.0/16",
        "10.244.0.0/16",
        "100.64.0.0/16",
    ];
    let free = candidates
        .iter()
        .filter_map(|c| Cidr::parse(c).ok())
        .find(|c| avoid.iter().all(|a| !a.overlaps(c)));
    let avoided: Vec<String> = avoid.iter().map(Cidr::to_string).collect();
    match free {
        Some(f) => format!(
            "use a range that overlaps none of {}, e.g. {f}",
            avoided.join(", ")
        ),
        None => format!("use a range that overlaps none of {}", avoided.join(", ")),
    }
}

/// The first block of this prefix inside `vnet` that overlaps none of `taken`.
pub(super) fn free_block(vnet: &Cidr, prefix: u8, taken: &[Cidr]) -> Option<Cidr> {
    if prefix < vnet.prefix() || prefix > 32 {
        return None;
    }
    let step = 1u64 << (32 - u32::from(prefix));
    // Bounded: a /8 VNet holds 2^21 /29s; looking at the first 4096 blocks is plenty.
    (0..vnet.size() / step)
        .take(4096)
        .filter_map(|i| vnet.nth(i * step))
        .filter_map(|a| Cidr::parse(&format!("{a}/{prefix}")).ok())
        .find(|c| taken.iter().all(|t| !t.overlaps(c)))
}

#[cfg(test)]
#[path = "network_tests.rs"]
mod tests;
