//! The private DNS zone AKS creates for a private cluster (`privateDNSZone: system`): the zone
//! `privatelink.<region>.azmk8s.io` in the node resource group, an A record for the API server's
//! private endpoint, and a link to the cluster's VNet. Only VNets linked to this zone resolve
//! the API server's name; the node resource group takes it away with the cluster.

use serde_json::{Value, json};

use crate::state::{Resource, State};

const ZONE: &str = "Microsoft.Network/privateDnsZones";
const RECORD: &str = "Microsoft.Network/privateDnsZones/A";
const LINK: &str = "Microsoft.Network/privateDnsZones/virtualNetworkLinks";

fn stored(id: &str, kind: &str, body: Value) -> Resource {
    Resource {
        id: id.to_string(),
        kind: kind.to_string(),
        body,
        request: Value::Null,
        op: None,
        private: Value::Null,
        created: time::OffsetDateTime::now_utc(),
    }
}

/// Create the zone, record and link of a new private cluster with an AKS-managed zone.
pub(super) fn create(st: &mut State, cluster_id: &str, node_rg: &str, subnet_id: Option<&str>) {
    let Some(cluster) = st.get(cluster_id) else {
        return;
    };
    let props = &cluster.body["properties"];
    let managed = props
        .pointer("/apiServerAccessProfile/privateDNSZone")
        .and_then(Value::as_str)
        .is_none_or(|z| z.eq_ignore_ascii_case("system"));
    let Some(fqdn) = props["privateFQDN"].as_str().map(str::to_ascii_lowercase) else {
        return;
    };
    let region = cluster.body["location"].as_str().unwrap_or_default();
    let zone = format!("privatelink.{}.azmk8s.io", region.to_ascii_lowercase());
    let (Some(relative), true) = (fqdn.strip_suffix(&format!(".{zone}")), managed) else {
        return;
    };
    let relative = relative.to_string();
    let sub = &st.account.subscription_id;
    let zone_id = format!("/subscriptions/{sub}/resourceGroups/{node_rg}/providers/{ZONE}/{zone}");
    let address = subnet_id
        .and_then(|s| crate::resources::network::find_subnet(st, s))
        .and_then(|(_, s)| crate::resources::network::subnet_prefix(s))
        .and_then(|net| match net {
            ipnet::IpNet::V4(v4) => v4.hosts().nth(3).map(|ip| ip.to_string()),
            ipnet::IpNet::V6(_) => None,
        })
        .unwrap_or_else(|| "10.224.0.4".to_string());
    st.insert(stored(
        &zone_id,
        ZONE,
        json!({"id": zone_id, "name": zone, "type": ZONE, "location": "global",
               "etag": uuid::Uuid::new_v4().to_string(),
               "properties": {"maxNumberOfRecordSets": 25000, "maxNumberOfVirtualNetworkLinks": 1000,
                              "maxNumberOfVirtualNetworkLinksWithRegistration": 100,
                              "provisioningState": "Succeeded",
                              "internalId": uuid::Uuid::new_v4().to_string()}}),
    ));
    let record_id = format!("{zone_id}/A/{relative}");
    st.insert(stored(
        &record_id,
        RECORD,
        json!({"id": record_id, "name": relative, "type": RECORD,
               "etag": uuid::Uuid::new_v4().to_string(),
               "properties": {"ttl": 300, "fqdn": format!("{fqdn}."), "isAutoRegistered": false,
                              "aRecords": [{"ipv4Address": address}]}}),
    ));
    let Some(vnet) = subnet_id.and_then(crate::placement::vnet_of) else {
        return;
    };
    let link_name = uuid::Uuid::new_v4().simple().to_string();
    let link_id = format!("{zone_id}/virtualNetworkLinks/{link_name}");
    st.insert(stored(
        &link_id,
        LINK,
        json!({"id": link_id, "name": link_name, "type": LINK, "location": "global",
               "etag": uuid::Uuid::new_v4().to_string(),
               "properties": {"virtualNetwork": {"id": vnet}, "registrationEnabled": false,
                              "virtualNetworkLinkState": "Completed", "provisioningState": "Succeeded"}}),
    ));
}
