//! A record sets in Azure DNS (Microsoft.Network/dnsZones, 2018-05-01) and Azure Private DNS
//! (Microsoft.Network/privateDnsZones, 2024-06-01), from the specs in `specs/extra`. The two
//! spell the same fields differently: public DNS writes `TTL` and `ARecords`, Private DNS `ttl`
//! and `aRecords`; each body below follows its own spec.

use super::Tags;
use crate::azure::api;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::net::Ipv4Addr;

/// TTL of the records the console writes: short, so a re-install with a new address heals quickly.
pub const DEFAULT_TTL_SECS: u32 = 300;

/// Which DNS service a zone belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneService {
    Public,
    Private,
}

impl ZoneService {
    pub fn api_version(self) -> &'static str {
        match self {
            ZoneService::Public => api::DNS,
            ZoneService::Private => api::PRIVATE_DNS,
        }
    }

    /// `Microsoft.Network/<type>` as Azure spells it, and as RBAC actions name it.
    pub fn resource_type(self) -> &'static str {
        match self {
            ZoneService::Public => "Microsoft.Network/dnsZones",
            ZoneService::Private => "Microsoft.Network/privateDnsZones",
        }
    }

    /// The RBAC action that creates or changes an A record set in such a zone.
    pub fn a_write_action(self) -> String {
        format!("{}/A/write", self.resource_type())
    }
}

/// `{zone id}/A/{relative name}`: the A record set's path.
pub fn a_record_set_path(zone_id: &str, relative_name: &str) -> String {
    format!("{zone_id}/A/{relative_name}")
}

/// `ARecord` (identical in both specs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ARecord {
    pub ipv4_address: String,
}

/// Public DNS `RecordSet` with only the A records set.
#[derive(Debug, Clone, Serialize)]
pub struct PublicARecordSet {
    pub properties: PublicARecordSetProperties,
}

/// Public DNS `RecordSetProperties`.
#[derive(Debug, Clone, Serialize)]
pub struct PublicARecordSetProperties {
    pub metadata: Tags,
    #[serde(rename = "TTL")]
    pub ttl: u32,
    #[serde(rename = "ARecords")]
    pub a_records: Vec<ARecord>,
}

/// Private DNS `RecordSet` with only the A records set.
#[derive(Debug, Clone, Serialize)]
pub struct PrivateARecordSet {
    pub properties: PrivateARecordSetProperties,
}

/// Private DNS `RecordSetProperties`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateARecordSetProperties {
    pub metadata: Tags,
    pub ttl: u32,
    pub a_records: Vec<ARecord>,
}

/// The request body of an A record set holding `addresses`, in `service`'s spelling.
pub fn a_record_set_body(
    service: ZoneService,
    addresses: &[Ipv4Addr],
    ttl: u32,
    metadata: Tags,
) -> Value {
    let a_records: Vec<ARecord> = addresses
        .iter()
        .map(|a| ARecord {
            ipv4_address: a.to_string(),
        })
        .collect();
    // Serialising plain structs of strings and numbers cannot fail.
    let body = match service {
        ZoneService::Public => serde_json::to_value(PublicARecordSet {
            properties: PublicARecordSetProperties {
                metadata,
                ttl,
                a_records,
            },
        }),
        ZoneService::Private => serde_json::to_value(PrivateARecordSet {
            properties: PrivateARecordSetProperties {
                metadata,
                ttl,
                a_records,
            },
        }),
    };
    body.unwrap_or(Value::Null)
}

/// What the steps read of an existing A record set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExistingARecordSet {
    pub addresses: Vec<String>,
    pub ttl: Option<u64>,
    pub metadata: Tags,
}

/// Read a record set as `service` returns it.
pub fn read_a_record_set(service: ZoneService, body: &Value) -> ExistingARecordSet {
    let (ttl_key, records_key) = match service {
        ZoneService::Public => ("TTL", "ARecords"),
        ZoneService::Private => ("ttl", "aRecords"),
    };
    let props = &body["properties"];
    let addresses = props[records_key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["ipv4Address"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let metadata = props["metadata"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    ExistingARecordSet {
        addresses,
        ttl: props[ttl_key].as_u64(),
        metadata,
    }
}

/// The VNet ids a Private DNS zone's `virtualNetworkLinks` list names.
pub fn linked_vnets(list: &Value) -> Vec<String> {
    list["value"]
        .as_array()
        .map(|links| {
            links
                .iter()
                .filter_map(|l| l.pointer("/properties/virtualNetwork/id")?.as_str())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta() -> Tags {
        super::super::install_tags("0190-abc")
    }

    #[test]
    fn each_service_gets_its_own_spelling() {
        let a = [Ipv4Addr::new(10, 20, 0, 50)];
        assert_eq!(
            a_record_set_body(ZoneService::Public, &a, DEFAULT_TTL_SECS, meta()),
            json!({"properties": {"TTL": 300, "ARecords": [{"ipv4Address": "10.20.0.50"}],
                "metadata": {"katonic-install": "0190-abc", "managed-by": "katonic-console"}}})
        );
        assert_eq!(
            a_record_set_body(ZoneService::Private, &a, DEFAULT_TTL_SECS, meta()),
            json!({"properties": {"ttl": 300, "aRecords": [{"ipv4Address": "10.20.0.50"}],
                "metadata": {"katonic-install": "0190-abc", "managed-by": "katonic-console"}}})
        );
    }

    #[test]
    fn reads_back_what_each_service_returns() {
        for service in [ZoneService::Public, ZoneService::Private] {
            let body = a_record_set_body(service, &[Ipv4Addr::new(1, 2, 3, 4)], 60, meta());
            let read = read_a_record_set(service, &body);
            assert_eq!(read.addresses, ["1.2.3.4"]);
            assert_eq!(read.ttl, Some(60));
            assert_eq!(read.metadata, meta());
        }
        // The other service's spelling is not read as ours.
        let public = a_record_set_body(
            ZoneService::Public,
            &[Ipv4Addr::new(1, 2, 3, 4)],
            60,
            meta(),
        );
        assert!(
            read_a_record_set(ZoneService::Private, &public)
                .addresses
                .is_empty()
        );
    }

    #[test]
    fn paths_versions_and_links() {
        assert_eq!(a_record_set_path("/z", "@"), "/z/A/@");
        assert_eq!(ZoneService::Private.api_version(), "2024-06-01");
        assert_eq!(
            ZoneService::Public.a_write_action(),
            "Microsoft.Network/dnsZones/A/write"
        );
        let list = json!({"value": [{"properties": {"virtualNetwork": {"id": "/v1"}}}, {"properties": {}}]});
        assert_eq!(linked_vnets(&list), ["/v1"]);
    }
}
