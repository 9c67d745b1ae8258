//! The closed sets of the document (modes, tiers, plugins...): their written values and parsers.

use super::text::{one_of, show};
use super::{
    ClusterAccess, ClusterMode, ClusterTier, GatewaySku, Invalid, JumphostEgress, LbMode,
    NetworkPlugin, NetworkPolicy, OutboundType, RegistrySku, TlsMode, WafMode,
};

/// `as_str`, `VALUES` and a `parse` that accepts any letter case and says what is allowed.
macro_rules! closed_set {
    ($ty:ident, $rule:literal, $what:literal, [$($variant:ident => $text:literal),+ $(,)?]) => {
        impl $ty {
            /// Every value as written in the document.
            pub const VALUES: &'static [&'static str] = &[$($text),+];

            /// The value written in the document.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// Parse a written value; letter case is not significant.
            pub fn parse(input: &str) -> Result<Self, Invalid> {
                $(
                    if input.eq_ignore_ascii_case($text) {
                        return Ok(Self::$variant);
                    }
                )+
                Err(Invalid::new(
                    $rule,
                    format!("{} is not a valid {}", show(input), $what),
                    format!("use {}", one_of(Self::VALUES)),
                ))
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

closed_set!(ClusterMode, "enum.value", "cluster mode", [Create => "create", Existing => "existing"]);
closed_set!(ClusterTier, "enum.value", "AKS pricing tier", [
    Free => "free",
    Standard => "standard",
    Premium => "premium",
]);
closed_set!(ClusterAccess, "enum.value", "cluster access mode", [
    Auto => "auto",
    Direct => "direct",
    RunCommand => "runCommand",
    Peering => "peering",
]);
closed_set!(TlsMode, "enum.value", "TLS mode", [
    SelfSigned => "selfSigned",
    Provided => "provided",
    Acme => "acme",
]);
closed_set!(LbMode, "lb.mode", "load balancer mode", [Internal => "internal", External => "external"]);
closed_set!(RegistrySku, "enum.value", "container registry SKU", [
    Basic => "Basic",
    Standard => "Standard",
    Premium => "Premium",
]);
closed_set!(NetworkPlugin, "enum.value", "network plugin", [
    AzureOverlay => "azure-overlay",
    Azure => "azure",
    Kubenet => "kubenet",
]);
closed_set!(NetworkPolicy, "enum.value", "network policy engine", [
    Calico => "calico",
    Azure => "azure",
]);
closed_set!(OutboundType, "enum.value", "outbound type", [
    LoadBalancer => "loadBalancer",
    UserDefinedRouting => "userDefinedRouting",
    ManagedNatGateway => "managedNATGateway",
]);
closed_set!(GatewaySku, "enum.value", "Application Gateway SKU", [
    StandardV2 => "Standard_v2",
    WafV2 => "WAF_v2",
]);
closed_set!(WafMode, "enum.value", "WAF mode", [
    Prevention => "Prevention",
    Detection => "Detection",
]);
closed_set!(JumphostEgress, "enum.value", "jumphost egress", [
    None => "none",
    NatGateway => "natGateway",
]);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_every_value_and_round_trips() {
        for v in ClusterMode::VALUES {
            assert_eq!(ClusterMode::parse(v).unwrap().as_str(), *v);
        }
        for v in TlsMode::VALUES {
            assert_eq!(TlsMode::parse(v).unwrap().as_str(), *v);
        }
        for v in OutboundType::VALUES {
            assert_eq!(OutboundType::parse(v).unwrap().as_str(), *v);
        }
        for v in NetworkPlugin::VALUES {
            assert_eq!(NetworkPlugin::parse(v).unwrap().as_str(), *v);
        }
        for v in ClusterAccess::VALUES {
            assert_eq!(ClusterAccess::parse(v).unwrap().as_str(), *v);
        }
        assert_eq!(
            ClusterAccess::parse("RUNCOMMAND").unwrap(),
            ClusterAccess::RunCommand
        );
        let refused = ClusterAccess::parse("ssh").unwrap_err().fix;
        assert!(refused.contains("runCommand"), "{refused}");
        assert_eq!(
            RegistrySku::parse("standard").unwrap(),
            RegistrySku::Standard
        );
        assert_eq!(
            OutboundType::parse("managedNatGateway").unwrap(),
            OutboundType::ManagedNatGateway
        );
    }

    #[test]
    fn refuses_unknown_values_listing_the_allowed_ones() {
        let e = NetworkPlugin::parse("cilium").unwrap_err();
        assert_eq!(e.rule, "enum.value");
        assert!(e.message.contains("`cilium`"));
        assert_eq!(e.fix, "use `azure-overlay`, `azure` or `kubenet`");
        let e = LbMode::parse("public").unwrap_err();
        assert_eq!(e.rule, "lb.mode");
        assert_eq!(e.fix, "use `internal` or `external`");
        assert_eq!(ClusterTier::parse("").unwrap_err().rule, "enum.value");
    }

    proptest! {
        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = ClusterMode::parse(&s);
            let _ = ClusterTier::parse(&s);
            let _ = TlsMode::parse(&s);
            let _ = LbMode::parse(&s);
            let _ = RegistrySku::parse(&s);
            let _ = NetworkPlugin::parse(&s);
            let _ = NetworkPolicy::parse(&s);
            let _ = OutboundType::parse(&s);
            let _ = GatewaySku::parse(&s);
            let _ = WafMode::parse(&s);
        }
    }
}
