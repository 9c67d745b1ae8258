//! Microsoft.Compute reads for preflight: regional vCPU usages and resource SKUs.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub current_value: i64,
    pub limit: i64,
    pub name: UsageName,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageName {
    pub value: String,
    #[serde(default)]
    pub localized_value: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSku {
    #[serde(default)]
    pub resource_type: Option<String>,
    pub name: String,
    #[serde(default)]
    pub family: Option<String>,
    #[serde(default)]
    pub location_info: Vec<LocationInfo>,
    #[serde(default)]
    pub restrictions: Vec<Restriction>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LocationInfo {
    pub location: String,
    #[serde(default)]
    pub zones: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Restriction {
    /// `Location` | `Zone`
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub restriction_info: Option<RestrictionInfo>,
    #[serde(default)]
    pub reason_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RestrictionInfo {
    #[serde(default)]
    pub locations: Vec<String>,
    #[serde(default)]
    pub zones: Vec<String>,
}

impl ResourceSku {
    /// Zones of `location` where this size may be deployed (offered and not restricted).
    pub fn usable_zones(&self, location: &str) -> Vec<String> {
        if self.restrictions.iter().any(|r| {
            r.kind == "Location" && r.values.iter().any(|v| v.eq_ignore_ascii_case(location))
        }) {
            return Vec::new();
        }
        let restricted: Vec<&String> = self
            .restrictions
            .iter()
            .filter(|r| r.kind == "Zone")
            .filter_map(|r| r.restriction_info.as_ref())
            .flat_map(|i| i.zones.iter())
            .collect();
        self.location_info
            .iter()
            .filter(|l| l.location.eq_ignore_ascii_case(location))
            .flat_map(|l| l.zones.iter())
            .filter(|z| !restricted.contains(z))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sku(json: serde_json::Value) -> ResourceSku {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn usable_zones_drop_restricted_zones_and_locations() {
        let s = sku(
            serde_json::json!({"resourceType": "virtualMachines", "name": "Standard_D8s_v3",
            "locationInfo": [{"location": "eastus", "zones": ["1", "2", "3"]}],
            "restrictions": [{"type": "Zone", "values": ["eastus"], "restrictionInfo": {"locations": ["eastus"], "zones": ["3"]},
                              "reasonCode": "NotAvailableForSubscription"}]}),
        );
        assert_eq!(s.usable_zones("EastUS"), vec!["1", "2"]);
        let blocked = sku(serde_json::json!({"name": "Standard_NC6s_v3",
            "locationInfo": [{"location": "eastus", "zones": ["1"]}],
            "restrictions": [{"type": "Location", "values": ["eastus"]}]}));
        assert!(blocked.usable_zones("eastus").is_empty());
    }
}
