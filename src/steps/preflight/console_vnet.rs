//! The wizard's network page (issue 14, item 3): where the console runs, its VNet's subnets
//! (each with its range and whether it is free or the console's own), and how the cluster
//! would be reached in that VNet or in a new one, by preflight's own decision ([`reach::decide`]).
//! ARM reads only.

use serde_json::Value;

use super::reach::{self, Line, Target};
use crate::azure::placement::{self, AzureNetwork, Placement, PlacementSource};
use crate::azure::{ArmClient, api};
use crate::worker::{
    ConsoleVnet, NetworkOffer, OfferRequest, ReachNote, SubnetOffer, SubnetStatus,
};

/// Where the console runs, kept a few minutes for the wizard: a VM does not move, and off Azure
/// each detection waits up to the metadata service's timeout. Preflight always detects afresh.
#[derive(Default)]
pub(crate) struct PlacementCache(tokio::sync::Mutex<Option<Cached>>);

struct Cached {
    source: PlacementSource,
    at: std::time::Instant,
    placement: Placement,
}

const CACHE_FOR: std::time::Duration = std::time::Duration::from_secs(300);

impl PlacementCache {
    async fn detect(&self, source: &PlacementSource, arm: &ArmClient) -> Placement {
        let mut cached = self.0.lock().await;
        if let Some(c) = cached.as_ref()
            && c.source == *source
            && c.at.elapsed() < CACHE_FOR
        {
            return c.placement.clone();
        }
        let placement = placement::detect(source, arm).await;
        // What could not be read may be fixed (a role granted): asked again next time.
        if !matches!(placement, Placement::Unresolved { .. }) {
            *cached = Some(Cached {
                source: source.clone(),
                at: std::time::Instant::now(),
                placement: placement.clone(),
            });
        }
        placement
    }
}

/// Where the console runs and what the page can offer.
pub(crate) async fn network_offer(
    arm: &ArmClient,
    source: &PlacementSource,
    cache: &PlacementCache,
    request: &OfferRequest,
) -> NetworkOffer {
    let placement = cache.detect(source, arm).await;
    let zone = "the cluster's private DNS zone (privatelink.<region>.azmk8s.io)".to_string();
    let new_vnet = Target {
        private: true,
        vnet_id: Some(request.new_vnet_id.clone()),
        vnet_exists: false,
        address_space: request.new_vnet_space.clone(),
        zone: zone.clone(),
        ..Target::default()
    };
    let mut offer = NetworkOffer {
        placement: placement.describe(),
        console_vnet: None,
        reach_console_vnet: None,
        reach_new_vnet: Some(note(reach::decide(request.access, &placement, &new_vnet))),
    };
    let Placement::Azure(network) = &placement else {
        return offer;
    };
    match console_vnet(arm, network).await {
        Ok(vnet) => {
            let own = Target {
                private: true,
                vnet_id: Some(vnet.id.clone()),
                vnet_exists: true,
                address_space: vnet.address_space.clone(),
                zone,
                ..Target::default()
            };
            offer.reach_console_vnet = Some(note(reach::decide(request.access, &placement, &own)));
            offer.console_vnet = Some(vnet);
        }
        Err(why) => {
            offer.placement = format!("{}; its subnets could not be read: {why}", offer.placement)
        }
    }
    offer
}

/// The decision in one line: the mode (none when refused) and why.
fn note(decision: reach::Decision) -> ReachNote {
    let text = decision
        .lines
        .into_iter()
        .map(|line| match line {
            Line::Pass(detail) => detail,
            Line::Warn(detail, fix) => format!("{detail} ({fix})"),
            Line::Fail(detail, fix) => format!("preflight would refuse it: {detail}. {fix}"),
        })
        .collect::<Vec<_>>()
        .join("; ");
    ReachNote {
        mode: decision.mode.map(|m| m.as_str().to_string()),
        text,
    }
}

/// The console's VNet with its subnets.
async fn console_vnet(arm: &ArmClient, network: &AzureNetwork) -> Result<ConsoleVnet, String> {
    let vnet = arm
        .get(&network.vnet_id, api::NETWORK)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("VNet {} does not exist", network.vnet_id))?;
    let console_subnet = network
        .subnet_id
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let subnets = vnet
        .pointer("/properties/subnets")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|s| subnet(s, &console_subnet))
                .collect()
        })
        .unwrap_or_default();
    Ok(ConsoleVnet {
        id: network.vnet_id.clone(),
        resource_group: segment_after(&network.vnet_id, "resourcegroups").unwrap_or_default(),
        name: segment_after(&network.vnet_id, "virtualnetworks").unwrap_or_default(),
        address_space: network.address_space.clone(),
        subnets,
        console_subnet,
    })
}

fn subnet(s: &Value, console_subnet: &str) -> Option<SubnetOffer> {
    let name = s["name"].as_str()?.to_string();
    let props = &s["properties"];
    let prefix = props["addressPrefix"]
        .as_str()
        .or_else(|| props.pointer("/addressPrefixes/0").and_then(Value::as_str))
        .unwrap_or_default()
        .to_string();
    // Anything attached (NICs, a delegation, a service's link, private endpoints) makes it
    // unfit for AKS, which wants its subnet's addresses for itself.
    let used = [
        "ipConfigurations",
        "delegations",
        "serviceAssociationLinks",
        "privateEndpoints",
    ]
    .iter()
    .any(|k| props[k].as_array().is_some_and(|a| !a.is_empty()));
    let status = if name.eq_ignore_ascii_case(console_subnet) {
        SubnetStatus::Console
    } else if used {
        SubnetStatus::InUse
    } else {
        SubnetStatus::Free
    };
    Some(SubnetOffer {
        name,
        prefix,
        status,
    })
}

/// The segment after `key` (case-insensitive) in an ARM id.
fn segment_after(id: &str, key: &str) -> Option<String> {
    let parts: Vec<&str> = id.split('/').collect();
    parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case(key))
        .and_then(|i| parts.get(i + 1))
        .map(|s| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subnets_are_the_consoles_own_in_use_or_free() {
        let own = subnet(
            &json!({"name": "snet-jump", "properties": {"addressPrefix": "10.20.0.64/29"}}),
            "SNET-JUMP",
        )
        .unwrap();
        assert_eq!(own.status, SubnetStatus::Console);
        let used = subnet(
            &json!({"name": "snet-db", "properties": {"addressPrefix": "10.20.1.0/24",
            "delegations": [{"name": "d"}]}}),
            "snet-jump",
        )
        .unwrap();
        assert_eq!(used.status, SubnetStatus::InUse);
        let free = subnet(
            &json!({"name": "snet-aks", "properties": {"addressPrefixes": ["10.20.0.0/26"]}}),
            "snet-jump",
        )
        .unwrap();
        assert_eq!(
            (free.status, free.prefix.as_str()),
            (SubnetStatus::Free, "10.20.0.0/26")
        );
    }

    #[test]
    fn a_vnet_id_names_its_group_and_vnet() {
        let id = "/subscriptions/s/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-corp";
        assert_eq!(
            segment_after(id, "resourcegroups").as_deref(),
            Some("rg-net")
        );
        assert_eq!(
            segment_after(id, "virtualNetworks").as_deref(),
            Some("vnet-corp")
        );
        assert_eq!(segment_after(id, "subnets"), None);
    }
}
