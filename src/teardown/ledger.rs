//! The resources an install's recorded step outputs name (its ledger), with what it only used
//! marked `existing`. Pure.

use crate::azure::resources::{authorization, resource_group_id};
use katonic_domain::plan::StepId;
use serde_json::Value;
use std::collections::BTreeMap;

/// One resource the ledger names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub id: String,
    /// Used, not created, by the install (an adopted resource group, an existing VNet).
    pub existing: bool,
}

fn text<'a>(outputs: &'a BTreeMap<StepId, Value>, step: StepId, key: &str) -> Option<&'a str> {
    outputs
        .get(&step)
        .and_then(|o| o.get(key))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The entries so far, each id once (compared as Azure does, ignoring case).
#[derive(Default)]
struct Entries(Vec<LedgerEntry>);

impl Entries {
    fn push(&mut self, id: &str, existing: bool) {
        if !self.0.iter().any(|e| e.id.eq_ignore_ascii_case(id)) {
            self.0.push(LedgerEntry {
                id: id.to_string(),
                existing,
            });
        }
    }
}

/// The ledger of an install with these succeeded steps' outputs. `subscription` and
/// `resource_group` name the install's group (for the role assignment scoped to it).
pub fn ledger(
    outputs: &BTreeMap<StepId, Value>,
    subscription: &str,
    resource_group: &str,
) -> Vec<LedgerEntry> {
    let mut entries = Entries::default();
    resources(outputs, &mut entries);
    dns_records(outputs, &mut entries);
    // Peering mode: the zone link (before the peerings: it is deleted first) and both peerings.
    for (step, key) in [
        (StepId::DnsZoneLink, "linkId"),
        (StepId::Peering, "consoleSide"),
        (StepId::Peering, "clusterSide"),
    ] {
        if let Some(id) = text(outputs, step, key) {
            entries.push(id, false);
        }
    }
    role_assignments(outputs, subscription, resource_group, &mut entries);
    entries.0
}

/// The resources the steps created or adopted (an existing group or VNet is marked so).
fn resources(outputs: &BTreeMap<StepId, Value>, entries: &mut Entries) {
    if let Some(id) = text(outputs, StepId::ResourceGroup, "id") {
        let created = outputs
            .get(&StepId::ResourceGroup)
            .and_then(|o| o.get("created"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        entries.push(id, !created);
    }
    let vnet_existing = outputs
        .get(&StepId::Network)
        .and_then(|o| o.get("existing"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if let Some(id) = text(outputs, StepId::Network, "vnetId") {
        entries.push(id, vnet_existing);
    }
    if let Some(id) = text(outputs, StepId::Network, "nsgId") {
        entries.push(id, vnet_existing);
    }
    // The gateway subnet's NSG exists only in a VNet the console made.
    if let Some(id) = text(outputs, StepId::Network, "gatewayNsgId") {
        entries.push(id, false);
    }
    // The gateway, then its WAF policy (the gateway names the policy: it goes first).
    for key in ["id", "wafPolicyId"] {
        if let Some(id) = text(outputs, StepId::AppGateway, key) {
            entries.push(id, false);
        }
    }
    // The jumphost subnet's NAT gateway and its address (a new VNet only).
    for key in ["jumphostNatGatewayId", "jumphostNatPublicIpId"] {
        if let Some(id) = text(outputs, StepId::Network, key) {
            entries.push(id, false);
        }
    }
    for step in [
        StepId::Identity,
        StepId::Storage,
        StepId::Registry,
        StepId::AksCluster,
        StepId::ComputePool,
        StepId::GpuPool,
        StepId::IngressIp,
    ] {
        if let Some(id) = text(outputs, step, "id") {
            entries.push(id, false);
        }
    }
    // The pools the cluster's create made (plans before that recorded them per pool step).
    let pools = outputs
        .get(&StepId::AksCluster)
        .and_then(|o| o.get("pools"))
        .and_then(Value::as_array);
    for pool in pools.into_iter().flatten().filter_map(Value::as_str) {
        entries.push(pool, false);
    }
}

fn dns_records(outputs: &BTreeMap<StepId, Value>, entries: &mut Entries) {
    // Record sets in the zone the console wrote to ("unchanged" ones too: a resumed step finds
    // its own record; a hand-made one it left is kept by its metadata, which lacks our tag).
    if let Some(dns) = outputs.get(&StepId::Dns)
        && dns.get("createdByConsole").and_then(Value::as_bool) == Some(true)
        && let Some(zone) = dns.get("zoneId").and_then(Value::as_str)
    {
        for record in dns
            .get("records")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let status = record.get("status").and_then(Value::as_str);
            if let (Some(name), true) = (
                record.get("relativeName").and_then(Value::as_str),
                matches!(status, Some("created" | "updated" | "unchanged")),
            ) {
                entries.push(&format!("{zone}/A/{name}"), false);
            }
        }
    }
}

fn role_assignments(
    outputs: &BTreeMap<StepId, Value>,
    subscription: &str,
    resource_group: &str,
    entries: &mut Entries,
) {
    // Role assignments have deterministic names (scope, role, principal): rebuilt from the
    // outputs that named their principals and scopes.
    let identity = text(outputs, StepId::Identity, "principalId");
    if let (Some(principal), Some(subnet)) =
        (identity, text(outputs, StepId::Network, "aksSubnetId"))
    {
        entries.push(
            &authorization::assignment_path(subnet, authorization::NETWORK_CONTRIBUTOR, principal),
            false,
        );
    }
    if let Some(done) = outputs.get(&StepId::RoleAssignments) {
        let assigned: Vec<&str> = done
            .get("assigned")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let kubelet = text(outputs, StepId::AksCluster, "kubeletObjectId");
        if let (Some(k), Some(registry), true) = (
            kubelet,
            text(outputs, StepId::Registry, "id"),
            assigned.contains(&"AcrPull"),
        ) {
            entries.push(
                &authorization::assignment_path(registry, authorization::ACR_PULL, k),
                false,
            );
        }
        if let (Some(i), Some(account), true) = (
            identity,
            text(outputs, StepId::Storage, "id"),
            assigned.contains(&"Storage Account Contributor"),
        ) {
            entries.push(
                &authorization::assignment_path(
                    account,
                    authorization::STORAGE_ACCOUNT_CONTRIBUTOR,
                    i,
                ),
                false,
            );
        }
        if let (Some(i), true) = (identity, assigned.contains(&"Network Contributor")) {
            let group = resource_group_id(subscription, resource_group);
            entries.push(
                &authorization::assignment_path(&group, authorization::NETWORK_CONTRIBUTOR, i),
                false,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RG: &str = "/subscriptions/s/resourceGroups/rg";

    fn p(rest: &str) -> String {
        format!("{RG}/providers/{rest}")
    }

    #[test]
    fn a_new_cluster_install_names_everything_it_created() {
        let outputs = BTreeMap::from([
            (StepId::ResourceGroup, json!({"id": RG, "created": true})),
            (
                StepId::Network,
                json!({"nsgId": p("Microsoft.Network/networkSecurityGroups/n"),
                       "vnetId": p("Microsoft.Network/virtualNetworks/v"),
                       "aksSubnetId": p("Microsoft.Network/virtualNetworks/v/subnets/aks")}),
            ),
            (
                StepId::Identity,
                json!({"id": p("Microsoft.ManagedIdentity/userAssignedIdentities/i"), "principalId": "pi"}),
            ),
            (
                StepId::Registry,
                json!({"id": p("Microsoft.ContainerRegistry/registries/r")}),
            ),
            (
                StepId::Storage,
                json!({"id": p("Microsoft.Storage/storageAccounts/st")}),
            ),
            (
                StepId::AksCluster,
                json!({"id": p("Microsoft.ContainerService/managedClusters/k"), "kubeletObjectId": "ko"}),
            ),
            (
                StepId::RoleAssignments,
                json!({"assigned": ["AcrPull", "Storage Account Contributor"]}),
            ),
            (
                StepId::Dns,
                json!({"createdByConsole": true, "zoneId": p("Microsoft.Network/dnsZones/example.com"),
                       "records": [{"relativeName": "dash", "status": "created"},
                                   {"relativeName": "hand", "status": "unchanged"}]}),
            ),
        ]);
        let ledger = ledger(&outputs, "s", "rg");
        let ids: Vec<&str> = ledger.iter().map(|e| e.id.as_str()).collect();
        assert!(ledger.iter().all(|e| !e.existing), "{ledger:?}");
        assert!(ids.contains(&RG));
        assert!(ids.contains(&p("Microsoft.Network/dnsZones/example.com/A/dash").as_str()));
        // Listed; its metadata decides whether it is ours (`decide`).
        assert!(ids.iter().any(|i| i.ends_with("/A/hand")));
        let assignments = ids.iter().filter(|i| i.contains("roleAssignments")).count();
        assert_eq!(assignments, 3, "{ids:#?}");
        assert!(
            ids.contains(
                &authorization::assignment_path(
                    &p("Microsoft.ContainerRegistry/registries/r"),
                    authorization::ACR_PULL,
                    "ko"
                )
                .as_str()
            )
        );
    }

    #[test]
    fn what_an_install_only_used_is_marked_existing() {
        let outputs = BTreeMap::from([
            (StepId::ResourceGroup, json!({"id": RG, "created": false})),
            (
                StepId::Network,
                json!({"vnetId": "/subscriptions/s/resourceGroups/corp/providers/Microsoft.Network/virtualNetworks/corp",
                       "aksSubnetId": "x", "existing": true}),
            ),
            (
                StepId::Registry,
                json!({"id": p("Microsoft.ContainerRegistry/registries/r")}),
            ),
        ]);
        let ledger = ledger(&outputs, "s", "rg");
        assert_eq!(ledger.len(), 3);
        assert!(ledger[0].existing && ledger[1].existing && !ledger[2].existing);
    }

    #[test]
    fn the_gateway_its_waf_policy_and_its_subnets_nsg_are_in_the_ledger() {
        let gw = p("Microsoft.Network/applicationGateways/agw-katonic-c");
        let waf =
            p("Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies/waf-katonic-c");
        let nsg = p("Microsoft.Network/networkSecurityGroups/nsg-appgw-c");
        let outputs = BTreeMap::from([
            (
                StepId::Network,
                json!({"vnetId": p("Microsoft.Network/virtualNetworks/v"), "gatewayNsgId": nsg}),
            ),
            (
                StepId::AppGateway,
                json!({"id": gw, "wafPolicyId": waf, "frontendAddress": "10.20.1.254"}),
            ),
        ]);
        let ids: Vec<String> = ledger(&outputs, "s", "rg")
            .into_iter()
            .map(|e| e.id)
            .collect();
        for id in [&gw, &waf, &nsg] {
            assert!(ids.contains(id), "{id} missing: {ids:?}");
        }
        // Both go in the delete-app-gateway step.
        for id in [&gw, &waf] {
            let (kind, _) = crate::teardown::kind_and_name(id);
            assert_eq!(
                crate::teardown::family(&kind).map(|f| f.0),
                Some(Some(StepId::DeleteAppGateway)),
                "{kind}"
            );
        }
        // A Standard_v2 gateway has no policy: nothing named for it.
        let outputs =
            BTreeMap::from([(StepId::AppGateway, json!({"id": gw, "wafPolicyId": null}))]);
        assert_eq!(ledger(&outputs, "s", "rg").len(), 1);
    }
}
