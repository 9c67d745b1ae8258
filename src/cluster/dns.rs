//! The DNS records an admin publishes once the load balancer has its address: one A record per
//! host, rendered as a table, zone-file lines and `az` commands for a public or private zone.

use std::net::Ipv4Addr;

use katonic_domain::spec::{Fqdn, LbMode};

/// TTL of the records we suggest: short, so a re-install with a new address heals quickly.
pub const RECORD_TTL_SECS: u32 = 300;

/// One A record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ARecord {
    /// The full host name.
    pub host: String,
    /// The record-set name relative to the zone (`@` for the apex).
    pub relative_name: String,
    pub address: Ipv4Addr,
}

/// Every record of an install, and the zone they belong in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DnsPlan {
    pub zone: String,
    /// Internal load balancer: the records go in an Azure Private DNS zone linked to the VNet.
    pub private: bool,
    pub records: Vec<ARecord>,
}

impl DnsPlan {
    /// Records for `hosts` in `zone` (default: the domain's parent, e.g. `example.com` for
    /// `katonic.example.com`, which also holds `dash-katonic.example.com`).
    pub fn new(hosts: &[Fqdn], zone: Option<&str>, address: Ipv4Addr, mode: LbMode) -> DnsPlan {
        let zone = zone.map(str::to_string).unwrap_or_else(|| {
            hosts
                .first()
                .and_then(|h| h.as_str().split_once('.'))
                .map_or_else(String::new, |(_, parent)| parent.to_string())
        });
        let records = hosts
            .iter()
            .map(|host| ARecord {
                host: host.as_str().to_string(),
                relative_name: relative_name(host.as_str(), &zone),
                address,
            })
            .collect();
        DnsPlan {
            zone,
            private: mode == LbMode::Internal,
            records,
        }
    }

    /// Hosts that do not sit inside the zone: they need a zone of their own.
    pub fn hosts_outside_zone(&self) -> Vec<&str> {
        self.records
            .iter()
            .filter(|r| r.relative_name == r.host)
            .map(|r| r.host.as_str())
            .collect()
    }

    /// Lines for a BIND zone file.
    pub fn zone_file_lines(&self) -> Vec<String> {
        self.records
            .iter()
            .map(|r| format!("{}. {RECORD_TTL_SECS} IN A {}", r.host, r.address))
            .collect()
    }

    /// `az` commands that create the records in an Azure DNS or Private DNS zone: the first
    /// finds the zone's resource group in the subscription (the console was not told it), the
    /// others use it.
    pub fn az_commands(&self) -> Vec<String> {
        let group = if self.private { "private-dns" } else { "dns" };
        let find = format!(
            "ZONE_RG=$(az network {group} zone list --query \"[?name=='{}'].resourceGroup | [0]\" -o tsv)",
            self.zone
        );
        let records = self.records.iter().map(|r| {
            format!(
                "az network {group} record-set a add-record --resource-group \"$ZONE_RG\" \
                 --zone-name {} --record-set-name {} --ipv4-address {}",
                self.zone, r.relative_name, r.address
            )
        });
        std::iter::once(find).chain(records).collect()
    }
}

fn relative_name(host: &str, zone: &str) -> String {
    if host == zone {
        return "@".into();
    }
    host.strip_suffix(zone)
        .and_then(|prefix| prefix.strip_suffix('.'))
        .unwrap_or(host)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts() -> Vec<Fqdn> {
        ["katonic.example.com", "dash-katonic.example.com"]
            .iter()
            .map(|h| Fqdn::parse(h).unwrap())
            .collect()
    }

    #[test]
    fn records_live_in_the_parent_zone_by_default() {
        let plan = DnsPlan::new(
            &hosts(),
            None,
            Ipv4Addr::new(10, 20, 0, 50),
            LbMode::Internal,
        );
        assert_eq!(plan.zone, "example.com");
        assert!(plan.private);
        assert_eq!(plan.records[1].relative_name, "dash-katonic");
        assert_eq!(
            plan.zone_file_lines()[0],
            "katonic.example.com. 300 IN A 10.20.0.50"
        );
        let commands = plan.az_commands();
        assert_eq!(
            commands[0],
            "ZONE_RG=$(az network private-dns zone list --query \"[?name=='example.com'].resourceGroup | [0]\" -o tsv)"
        );
        assert!(commands[2].starts_with(
            "az network private-dns record-set a add-record --resource-group \"$ZONE_RG\" --zone-name example.com --record-set-name dash-katonic"
        ));
    }

    #[test]
    fn a_zone_equal_to_the_domain_uses_the_apex() {
        let plan = DnsPlan::new(
            &hosts(),
            Some("katonic.example.com"),
            Ipv4Addr::new(20, 1, 2, 3),
            LbMode::External,
        );
        assert_eq!(plan.records[0].relative_name, "@");
        // dash-katonic.example.com is not inside katonic.example.com: it needs its own zone.
        assert_eq!(plan.hosts_outside_zone(), ["dash-katonic.example.com"]);
        let commands = plan.az_commands();
        assert!(commands[0].starts_with("ZONE_RG=$(az network dns zone list"));
        assert!(commands[1].starts_with("az network dns record-set"));
    }
}
