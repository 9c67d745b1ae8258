//! IPv4 CIDRs and the cluster network: VNet, subnets, plugin, pod/service ranges.

use super::Invalid;
use super::text::show;
use std::net::Ipv4Addr;

/// An IPv4 network in canonical form (no host bits set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr(ipnet::Ipv4Net);

impl Cidr {
    /// Parse `a.b.c.d/p`; host bits set is refused with the canonical form as the fix.
    pub fn parse(input: &str) -> Result<Cidr, Invalid> {
        if input.is_empty() {
            return Err(Invalid::new(
                "required",
                "the address range is empty",
                "give an IPv4 range in CIDR notation, e.g. `10.20.0.0/16`",
            ));
        }
        if input.contains(':') {
            return Err(format_error(
                input,
                "is IPv6; AKS networks here are IPv4 only",
            ));
        }
        let Some((addr, len)) = input.split_once('/') else {
            return Err(Invalid::new(
                "cidr.format",
                format!("{} has no prefix length", show(input)),
                format!("add one, e.g. `{input}/16`"),
            ));
        };
        let Ok(addr) = addr.parse::<Ipv4Addr>() else {
            return Err(format_error(input, "does not start with an IPv4 address"));
        };
        // Digits only: `u8::from_str` would also take `+16`.
        let len = match len.parse::<u8>() {
            Ok(n) if n <= 32 && !len.is_empty() && len.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => return Err(format_error(input, "has a prefix length that is not 0-32")),
        };
        let Ok(net) = ipnet::Ipv4Net::new(addr, len) else {
            return Err(format_error(input, "has a prefix length that is not 0-32"));
        };
        let canonical = net.trunc();
        if canonical != net {
            return Err(Invalid::new(
                "cidr.host-bits",
                format!(
                    "{} has host bits set: {addr} is not the start of a /{len}",
                    show(input)
                ),
                format!("did you mean {canonical}?"),
            ));
        }
        Ok(Cidr(net))
    }

    /// For built-in constants only (a prefix over 32 fails to compile; tests prove them canonical).
    const fn fixed(octets: [u8; 4], prefix: u8) -> Cidr {
        let [a, b, c, d] = octets;
        Cidr(ipnet::Ipv4Net::new_assert(
            Ipv4Addr::new(a, b, c, d),
            prefix,
        ))
    }

    /// The first address (the network address).
    pub fn network(&self) -> Ipv4Addr {
        self.0.network()
    }

    /// The last address (the broadcast address).
    pub fn broadcast(&self) -> Ipv4Addr {
        self.0.broadcast()
    }

    /// Position of `ip` in the range (0 = network address), when inside.
    pub fn offset_of(&self, ip: Ipv4Addr) -> Option<u64> {
        self.contains_ip(ip)
            .then(|| u64::from(u32::from(ip)) - u64::from(u32::from(self.network())))
    }

    /// The address `offset` places after the network address, when inside.
    pub fn nth(&self, offset: u64) -> Option<Ipv4Addr> {
        if offset >= self.size() {
            return None;
        }
        let ip = u64::from(u32::from(self.network())) + offset;
        u32::try_from(ip).ok().map(Ipv4Addr::from)
    }
    pub fn net(&self) -> ipnet::Ipv4Net {
        self.0
    }
    pub fn prefix(&self) -> u8 {
        self.0.prefix_len()
    }
    /// Number of addresses in the range (2^(32-prefix)).
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.0.prefix_len()))
    }
    pub fn contains_net(&self, other: &Cidr) -> bool {
        self.0.contains(&other.0)
    }
    pub fn contains_ip(&self, ip: Ipv4Addr) -> bool {
        self.0.contains(&ip)
    }
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.0.contains(&other.0.network()) || other.0.contains(&self.0.network())
    }
}

fn format_error(input: &str, what: &str) -> Invalid {
    Invalid::new(
        "cidr.format",
        format!("{} {what}", show(input)),
        "write an IPv4 range in CIDR notation, e.g. `10.20.0.0/16`",
    )
}

/// Ranges AKS refuses for the VNet, service and pod CIDRs: link-local, the two ranges AKS uses
/// internally, and the documentation range.
pub const AKS_FORBIDDEN_RANGES: [Cidr; 4] = [
    Cidr::fixed([169, 254, 0, 0], 16),
    Cidr::fixed([172, 30, 0, 0], 16),
    Cidr::fixed([172, 31, 0, 0], 16),
    Cidr::fixed([192, 0, 2, 0], 24),
];

/// Pod CIDR when the document gives none (overlay and kubenet; AKS's own default).
pub const DEFAULT_POD_CIDR: Cidr = Cidr::fixed([10, 244, 0, 0], 16);
/// Service CIDR when the document gives none (AKS's own default).
pub const DEFAULT_SERVICE_CIDR: Cidr = Cidr::fixed([10, 0, 0, 0], 16);
/// The DNS service IP's default position in the service CIDR (AKS: `.10`).
pub const DNS_SERVICE_IP_OFFSET: u64 = 10;

/// The first of [`AKS_FORBIDDEN_RANGES`] that `cidr` overlaps.
pub fn forbidden_overlap(cidr: &Cidr) -> Option<Cidr> {
    AKS_FORBIDDEN_RANGES.into_iter().find(|r| r.overlaps(cidr))
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How pods get addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkPlugin {
    /// Azure CNI overlay: pods from `podCidr`, only nodes use subnet addresses (`azure-overlay`).
    AzureOverlay,
    /// Classic Azure CNI: every pod takes a subnet address (`azure`).
    Azure,
    /// kubenet (retiring): pods from `podCidr` behind route tables (`kubenet`).
    Kubenet,
}

impl NetworkPlugin {
    /// AKS's default `maxPods` for this plugin.
    pub fn default_max_pods(&self) -> u32 {
        match self {
            NetworkPlugin::AzureOverlay => 250,
            NetworkPlugin::Azure => 30,
            NetworkPlugin::Kubenet => 110,
        }
    }
    /// Whether pods take addresses from `podCidr` rather than the subnet.
    pub fn uses_pod_cidr(&self) -> bool {
        !matches!(self, NetworkPlugin::Azure)
    }
}

/// NetworkPolicy engine (the platform relies on NetworkPolicy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkPolicy {
    Calico,
    Azure,
}

/// Cluster egress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboundType {
    LoadBalancer,
    UserDefinedRouting,
    ManagedNatGateway,
}

/// How the jumphost subnet of a new VNet reaches the internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JumphostEgress {
    /// No way out (new subnets are private by default).
    #[default]
    None,
    /// Through a NAT gateway the install creates (with a Standard static public IP).
    NatGateway,
}

/// The cluster network, cross-checked (subnets inside the VNet, no overlaps, service range
/// outside the VNet, DNS service IP inside the service range, AKS-forbidden ranges avoided).
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSpec {
    pub vnet_cidr: Cidr,
    pub aks_subnet_cidr: Cidr,
    pub jumphost_subnet_cidr: Cidr,
    pub plugin: NetworkPlugin,
    pub network_policy: NetworkPolicy,
    /// Present exactly when the plugin uses a pod CIDR (overlay, kubenet).
    pub pod_cidr: Option<Cidr>,
    pub service_cidr: Cidr,
    pub dns_service_ip: Ipv4Addr,
    /// Pods per node, 10-250.
    pub max_pods: u32,
    pub outbound_type: OutboundType,
    /// The jumphost subnet's way out (a new VNet only).
    pub jumphost_egress: JumphostEgress,
    /// An existing VNet to install into (checked, never modified); `None`: create one.
    pub existing_vnet: Option<ExistingVnet>,
    /// The Application Gateway's dedicated subnet: `Some` exactly when the gateway is on
    /// (given, or derived from the new VNet's free space).
    pub gateway_subnet_cidr: Option<Cidr>,
}

/// An existing VNet and the subnets the install uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingVnet {
    pub resource_group: super::ResourceGroupName,
    pub name: super::NetworkName,
    pub aks_subnet: super::NetworkName,
    pub jumphost_subnet: super::NetworkName,
    /// The existing dedicated subnet of the Application Gateway (required when it is on).
    pub gateway_subnet: Option<super::NetworkName>,
}

impl NetworkSpec {
    /// Overlay and kubenet clusters only: the range pods take their addresses from.
    pub fn pod_range(&self) -> Option<Cidr> {
        self.pod_cidr.filter(|_| self.plugin.uses_pod_cidr())
    }
}

/// As its text; read back through its parser (a stored plan cannot smuggle in a bad value).
impl serde::Serialize for Cidr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Cidr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        Cidr::parse(&text).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cidr(s: &str) -> Cidr {
        Cidr::parse(s).unwrap()
    }

    #[test]
    fn parses_canonical_ranges() {
        let c = cidr("10.20.0.0/16");
        assert_eq!(c.to_string(), "10.20.0.0/16");
        assert_eq!(c.prefix(), 16);
        assert_eq!(c.size(), 65_536);
        assert_eq!(cidr("0.0.0.0/0").size(), 1 << 32);
        assert_eq!(cidr("10.0.0.7/32").size(), 1);
        assert_eq!(c.broadcast(), Ipv4Addr::new(10, 20, 255, 255));
        assert_eq!(c.nth(10), Some(Ipv4Addr::new(10, 20, 0, 10)));
        assert_eq!(c.nth(65_536), None);
        assert_eq!(c.offset_of(Ipv4Addr::new(10, 20, 1, 0)), Some(256));
        assert_eq!(c.offset_of(Ipv4Addr::new(10, 21, 0, 0)), None);
    }

    #[test]
    fn refuses_garbage_with_cidr_format() {
        for bad in [
            "10.20.0.0",
            "10.20.0/16",
            "10.20.0.0/33",
            "10.20.0.0/+16",
            "10.20.0.0/",
            "10.20.0.0/1a",
            "fd00::/8",
            "x/16",
            "010.20.0.0/16",
            " 10.20.0.0/16",
        ] {
            let e = Cidr::parse(bad).unwrap_err();
            assert_eq!(e.rule, "cidr.format", "{bad}");
            assert!(e.message.contains(bad.trim()), "{}", e.message);
        }
        assert_eq!(Cidr::parse("").unwrap_err().rule, "required");
    }

    #[test]
    fn host_bits_suggest_the_canonical_range() {
        let e = Cidr::parse("10.20.0.1/16").unwrap_err();
        assert_eq!(e.rule, "cidr.host-bits");
        assert!(e.message.contains("10.20.0.1/16"));
        assert_eq!(e.fix, "did you mean 10.20.0.0/16?");
    }

    #[test]
    fn constants_are_canonical() {
        for c in AKS_FORBIDDEN_RANGES
            .iter()
            .chain([&DEFAULT_POD_CIDR, &DEFAULT_SERVICE_CIDR])
        {
            assert_eq!(Cidr::parse(&c.to_string()).unwrap(), *c);
        }
    }

    #[test]
    fn forbidden_ranges() {
        assert_eq!(
            forbidden_overlap(&cidr("172.30.0.0/24")),
            Some(cidr("172.30.0.0/16"))
        );
        assert_eq!(
            forbidden_overlap(&cidr("172.16.0.0/12")),
            Some(cidr("172.30.0.0/16"))
        );
        assert_eq!(
            forbidden_overlap(&cidr("169.254.1.0/24")),
            Some(cidr("169.254.0.0/16"))
        );
        assert_eq!(
            forbidden_overlap(&cidr("192.0.2.128/25")),
            Some(cidr("192.0.2.0/24"))
        );
        assert_eq!(forbidden_overlap(&cidr("172.16.0.0/16")), None);
        assert_eq!(forbidden_overlap(&cidr("10.0.0.0/8")), None);
    }

    fn addresses(c: &Cidr) -> std::collections::BTreeSet<u32> {
        let base = u32::from(c.network());
        (0..c.size()).map(|i| base + i as u32).collect()
    }

    /// Networks of /24 to /30 inside 10.1.2.0/24.
    fn small() -> impl Strategy<Value = Cidr> {
        (24u8..=30, any::<u8>()).prop_map(|(p, host)| {
            let net = ipnet::Ipv4Net::new(Ipv4Addr::new(10, 1, 2, host), p)
                .unwrap()
                .trunc();
            Cidr::parse(&net.to_string()).unwrap()
        })
    }

    proptest! {
        #[test]
        fn valid_ranges_round_trip(a in any::<u32>(), p in 0u8..=32) {
            let net = ipnet::Ipv4Net::new(Ipv4Addr::from(a), p).unwrap().trunc();
            let parsed = Cidr::parse(&net.to_string()).unwrap();
            prop_assert_eq!(parsed.net(), net);
            prop_assert_eq!(Cidr::parse(&parsed.to_string()).unwrap(), parsed);
        }

        #[test]
        fn a_host_bit_is_refused_with_the_canonical_fix(
            a in any::<u32>(),
            p in 0u8..32,
            seed in any::<u32>(),
        ) {
            // One of the 32 - p host bits.
            let bit = seed % (32 - u32::from(p));
            let net = ipnet::Ipv4Net::new(Ipv4Addr::from(a), p).unwrap().trunc();
            let with_bit = Ipv4Addr::from(u32::from(net.network()) | (1 << bit));
            let e = Cidr::parse(&format!("{with_bit}/{p}")).unwrap_err();
            prop_assert_eq!(e.rule, "cidr.host-bits");
            prop_assert_eq!(e.fix, format!("did you mean {net}?"));
        }

        #[test]
        fn overlap_and_containment_match_set_arithmetic(a in small(), b in small()) {
            let (sa, sb) = (addresses(&a), addresses(&b));
            prop_assert_eq!(a.overlaps(&b), !sa.is_disjoint(&sb));
            prop_assert_eq!(a.contains_net(&b), sb.is_subset(&sa));
            prop_assert_eq!(a.size() as usize, sa.len());
        }

        #[test]
        fn never_panics(s in any::<String>(), t in "[0-9./:a-f]{0,24}") {
            let _ = Cidr::parse(&s);
            let _ = Cidr::parse(&t);
        }
    }
}
