//! The Azure DNS or Private DNS zone the install writes its A records into, named by its ARM
//! resource id: `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/dnsZones/{zone}`
//! (or `privateDnsZones`). ARM treats the provider and type segments case-insensitively; so do we,
//! and the id is written back in Azure's canonical casing.

use super::text::show;
use super::{Fqdn, Guid, InstallSpec, Invalid, LbMode, ResourceGroupName, Warning};

const EXAMPLE: &str = "/subscriptions/<subscription id>/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/example.com";

/// Public Azure DNS (`Microsoft.Network/dnsZones`) or Azure Private DNS
/// (`Microsoft.Network/privateDnsZones`, answered only inside linked VNets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsZoneKind {
    Public,
    Private,
}

impl DnsZoneKind {
    /// The resource type segment as Azure spells it.
    pub fn resource_type(self) -> &'static str {
        match self {
            DnsZoneKind::Public => "dnsZones",
            DnsZoneKind::Private => "privateDnsZones",
        }
    }

    /// `az network dns` or `az network private-dns`.
    pub fn cli_group(self) -> &'static str {
        match self {
            DnsZoneKind::Public => "dns",
            DnsZoneKind::Private => "private-dns",
        }
    }
}

/// A parsed zone resource id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsZoneId {
    pub subscription_id: Guid,
    pub resource_group: ResourceGroupName,
    pub kind: DnsZoneKind,
    /// The zone's name, e.g. `example.com` (lowercase, no trailing dot).
    pub name: Fqdn,
}

impl DnsZoneId {
    pub fn parse(input: &str) -> Result<DnsZoneId, Invalid> {
        let malformed = |why: String| {
            Invalid::new(
                "dns-zone.id",
                format!("{} is not a DNS zone's resource id: {why}", show(input)),
                format!(
                    "copy the zone's id from the Azure portal (zone → Properties → Resource ID) or \
                     `az network private-dns zone show -g <group> -n <zone> --query id -o tsv`, e.g. `{EXAMPLE}`"
                ),
            )
        };
        let trimmed = input.trim().trim_end_matches('/');
        let Some(rest) = trimmed.strip_prefix('/') else {
            return Err(malformed("it must start with `/subscriptions/`".into()));
        };
        let parts: Vec<&str> = rest.split('/').collect();
        let [sub_key, sub, rg_key, rg, providers, ns, kind, zone] = parts.as_slice() else {
            return Err(malformed(format!(
                "it has {} segments; a zone id has 8 (`/subscriptions/…/resourceGroups/…/providers/Microsoft.Network/<dnsZones|privateDnsZones>/<zone>`)",
                parts.len()
            )));
        };
        let key = |actual: &str, expected: &str| -> Result<(), Invalid> {
            if actual.eq_ignore_ascii_case(expected) {
                Ok(())
            } else {
                Err(malformed(format!(
                    "found {} where `{expected}` belongs",
                    show(actual)
                )))
            }
        };
        key(sub_key, "subscriptions")?;
        key(rg_key, "resourceGroups")?;
        key(providers, "providers")?;
        key(ns, "Microsoft.Network")?;
        let kind = if kind.eq_ignore_ascii_case("dnsZones") {
            DnsZoneKind::Public
        } else if kind.eq_ignore_ascii_case("privateDnsZones") {
            DnsZoneKind::Private
        } else {
            return Err(malformed(format!(
                "its type is {}; only `dnsZones` (Azure DNS) and `privateDnsZones` (Private DNS) hold records",
                show(kind)
            )));
        };
        let subscription_id = Guid::parse(sub).map_err(|e| malformed(e.message))?;
        let resource_group = ResourceGroupName::parse(rg).map_err(|e| malformed(e.message))?;
        let name = Fqdn::parse(zone).map_err(|e| malformed(e.message))?;
        Ok(DnsZoneId {
            subscription_id,
            resource_group,
            kind,
            name,
        })
    }

    /// The id in Azure's canonical casing.
    pub fn arm_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/{}/{}",
            self.subscription_id,
            self.resource_group,
            self.kind.resource_type(),
            self.name
        )
    }

    /// `host` is the zone's apex or lies inside it.
    pub fn contains(&self, host: &Fqdn) -> bool {
        let (host, zone) = (host.as_str(), self.name.as_str());
        host == zone
            || host
                .strip_suffix(zone)
                .is_some_and(|prefix| prefix.ends_with('.'))
    }
}

/// A zone whose kind does not fit the load balancer works, but is rarely what the admin means.
pub(super) fn warning(spec: &InstallSpec) -> Option<Warning> {
    let zone = spec.domain.dns_zone.as_ref()?;
    let (message, suggestion) = match (zone.kind, spec.ingress.load_balancer) {
        (DnsZoneKind::Public, LbMode::Internal) => (
            format!(
                "zone {} is a public Azure DNS zone, but the internal load balancer's address is \
                 private: the records would publish a private address on the internet, and resolve \
                 to nothing reachable from outside the VNet",
                zone.name
            ),
            "use a Private DNS zone (`…/privateDnsZones/…`) linked to the VNet, or \
             `ingress.loadBalancer: external`"
                .to_string(),
        ),
        (DnsZoneKind::Private, LbMode::External) => (
            format!(
                "zone {} is a Private DNS zone: only linked VNets resolve it, so users on the \
                 internet will not find the external load balancer by name",
                zone.name
            ),
            "use a public Azure DNS zone (`…/dnsZones/…`) for an external load balancer, or \
             `ingress.loadBalancer: internal`"
                .to_string(),
        ),
        _ => return None,
    };
    Some(Warning {
        field: "domain.dnsZone".into(),
        code: "dns-zone.visibility".into(),
        message,
        suggestion,
    })
}

impl std::fmt::Display for DnsZoneId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.arm_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUB: &str = "3f2c1a9e-8b7d-4c6e-9f01-23456789abcd";

    #[test]
    fn parses_both_kinds_case_insensitively_and_writes_canonical_casing() {
        let id = DnsZoneId::parse(&format!(
            "/SUBSCRIPTIONS/{SUB}/resourcegroups/rg-dns/PROVIDERS/microsoft.network/privatednszones/Example.COM/"
        ))
        .unwrap();
        assert_eq!(id.kind, DnsZoneKind::Private);
        assert_eq!(id.name.as_str(), "example.com");
        assert_eq!(id.resource_group.as_str(), "rg-dns");
        assert_eq!(
            id.arm_id(),
            format!(
                "/subscriptions/{SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/example.com"
            )
        );
        let public = DnsZoneId::parse(&format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/dnsZones/katonic.example.com"
        ))
        .unwrap();
        assert_eq!(public.kind, DnsZoneKind::Public);
        assert_eq!(DnsZoneId::parse(&public.arm_id()).unwrap(), public);
    }

    #[test]
    fn refuses_malformed_ids_saying_what_is_wrong() {
        for (bad, says) in [
            ("example.com", "must start with"),
            (
                &format!(
                    "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/dnsZones"
                ) as &str,
                "7 segments",
            ),
            (
                &format!(
                    "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet"
                ),
                "only `dnsZones`",
            ),
            (
                &format!(
                    "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Dns/dnsZones/example.com"
                ),
                "`Microsoft.Network` belongs",
            ),
            (
                "/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.Network/dnsZones/example.com",
                "not-a-guid",
            ),
            (
                &format!(
                    "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/dnsZones/com"
                ),
                "single label",
            ),
        ] {
            let e = DnsZoneId::parse(bad).unwrap_err();
            assert_eq!(e.rule, "dns-zone.id", "{bad}");
            assert!(e.message.contains(says), "{bad}: {}", e.message);
            assert!(e.fix.contains("az network private-dns zone show"));
        }
    }

    #[test]
    fn a_zone_contains_its_apex_and_names_below_it_only() {
        let id = DnsZoneId::parse(&format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/dnsZones/example.com"
        ))
        .unwrap();
        let host = |h: &str| Fqdn::parse(h).unwrap();
        assert!(id.contains(&host("example.com")));
        assert!(id.contains(&host("dash-katonic.example.com")));
        assert!(!id.contains(&host("badexample.com")));
        assert!(!id.contains(&host("example.org")));
    }
}
