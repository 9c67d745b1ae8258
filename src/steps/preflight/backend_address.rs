//! The cluster's internal ingress load balancer takes a fixed address in the AKS subnet (the
//! gateway's backend: the subnet's last usable address, or `ingress.staticIp`). In a VNet the
//! console creates nothing else is there; in the admin's existing subnet something may hold it,
//! and Azure would refuse the load balancer (`PrivateIPAddressInUse`) only after the cluster is
//! built. So preflight asks Azure (`CheckIPAddressAvailability`, the one API that knows every
//! holder: a subnet's `ipConfigurations` name their users, not their addresses) and, when the
//! address is taken, looks among the subnet's NICs and load balancers for who holds it. AKS's
//! own `kubernetes-internal` load balancer holding it (an earlier install on this cluster) is
//! only a warning: the ingress Service keeps its frontend.

use std::net::Ipv4Addr;

use serde_json::Value;

use super::verdict::Checks;
use crate::azure::resources::vnet_id;
use crate::azure::{ArmClient, api};
use crate::steps::errors::step_error;
use crate::worker::{StepContext, StepError};
use katonic_domain::spec::ExistingVnet;

const CHECK: &str = "ingress address";
/// NICs and load balancers read at most to find the holder (a subnet may have hundreds of
/// users).
const READS: usize = 20;
/// The internal load balancer cloud-provider-azure creates for a cluster's internal Services.
const AKS_INTERNAL_LB: &str = "kubernetes-internal";

/// Azure's answer for one address.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Availability {
    Free,
    /// One of the five addresses Azure keeps in every subnet.
    Reserved,
    /// Held by another IP configuration; Azure offers these free ones instead.
    Taken {
        offered: Vec<Ipv4Addr>,
    },
}

/// `CheckIPAddressAvailability`'s body, read.
pub(super) fn availability(answer: &Value) -> Availability {
    if answer["available"].as_bool() == Some(true) {
        return Availability::Free;
    }
    if answer["isPlatformReserved"].as_bool() == Some(true) {
        return Availability::Reserved;
    }
    let offered = answer["availableIPAddresses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str()?.parse().ok())
        .collect();
    Availability::Taken { offered }
}

/// The problem and the fix for an address that is not free.
pub(super) fn refusal(
    address: Ipv4Addr,
    subnet: &str,
    holder: Option<&str>,
    offered: &[Ipv4Addr],
) -> (String, String) {
    let who = holder.map_or_else(
        || format!("another resource in subnet {subnet} (see `az network vnet subnet show`: its ipConfigurations)"),
        str::to_string,
    );
    let problem = format!(
        "{address}, where the cluster's internal ingress load balancer (the gateway's backend) must sit, is taken by {who}; Azure would refuse the load balancer (PrivateIPAddressInUse) after the cluster is built"
    );
    let fix = match offered.first() {
        Some(free) => format!(
            "Set `ingress.staticIp: {free}` (free now in {subnet}; Azure also offers {}), or free {address}.",
            offered
                .iter()
                .skip(1)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => format!("Set `ingress.staticIp` to a free address of {subnet}, or free {address}."),
    };
    (problem, fix)
}

/// Whether the backend's address is free in the admin's AKS subnet (existing VNets only).
pub(super) async fn free(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    let (Some(existing), Some(address)) = (
        &ctx.spec.cluster.network.existing_vnet,
        katonic_domain::plan::ingress_address(&ctx.spec),
    ) else {
        return Ok(());
    };
    let vnet = vnet_id(&ctx.spec);
    ctx.guard()?;
    let answer = arm
        .get(
            &format!("{vnet}/CheckIPAddressAvailability?ipAddress={address}"),
            api::NETWORK,
        )
        .await
        .map_err(|e| step_error("asking Azure whether the ingress address is free", e))?;
    // No VNet: the network step names that (with the fix), nothing to add here.
    let Some(answer) = answer else { return Ok(()) };
    let subnet = existing.aks_subnet.as_str();
    match availability(&answer) {
        Availability::Free => {
            let found = format!(
                "{address} is free in subnet {subnet} for the cluster's internal ingress load balancer"
            );
            checks.pass(CHECK, found).await
        }
        Availability::Reserved => {
            let problem = format!("{address} is one Azure reserves in subnet {subnet}");
            let fix = "Set `ingress.staticIp` to a usable address of the subnet (not its first four or its last).";
            checks.fail(CHECK, problem, fix).await
        }
        Availability::Taken { offered } => {
            let holder = holder(ctx, arm, &vnet, existing, address).await?;
            if let Some(Holder::AksInternal(lb)) = &holder {
                let found = format!(
                    "{address} is held by {lb}, AKS's internal load balancer: the ingress Service of an earlier install on this cluster keeps it, and this install's takes it over"
                );
                let fix = format!(
                    "Nothing, if {lb} is this install's cluster's; if it belongs to another cluster in subnet {subnet}, set `ingress.staticIp` to a free address."
                );
                return checks.warn(CHECK, found, fix).await;
            }
            let named = holder.map(|h| h.to_string());
            let (problem, fix) = refusal(address, subnet, named.as_deref(), &offered);
            checks.fail(CHECK, problem, fix).await
        }
    }
}

/// Who holds an address.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Holder {
    /// "NIC <name> of VM <vm>", "load balancer <name> in <group>".
    Named(String),
    /// AKS's `kubernetes-internal` load balancer ("kubernetes-internal in <group>").
    AksInternal(String),
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Holder::Named(s) => f.write_str(s),
            Holder::AksInternal(s) => write!(f, "load balancer {s}"),
        }
    }
}

/// Who holds `address` in the AKS subnet: a NIC (and its VM) or a load balancer among its
/// users, if one does.
async fn holder(
    ctx: &StepContext,
    arm: &ArmClient,
    vnet: &str,
    existing: &ExistingVnet,
    address: Ipv4Addr,
) -> Result<Option<Holder>, StepError> {
    ctx.guard()?;
    let subnet = arm
        .get(
            &format!("{vnet}/subnets/{}", existing.aks_subnet),
            api::NETWORK,
        )
        .await
        .map_err(|e| step_error("reading the AKS subnet", e))?;
    let mut owners: Vec<String> = subnet
        .as_ref()
        .and_then(|s| s.pointer("/properties/ipConfigurations"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| owner_of(c["id"].as_str()?))
        .collect();
    owners.sort();
    owners.dedup();
    for owner in owners.into_iter().take(READS) {
        ctx.guard()?;
        let body = arm
            .get(&owner, api::NETWORK)
            .await
            .map_err(|e| step_error("reading a user of the AKS subnet", e))?;
        if let Some(found) = body.as_ref().and_then(|b| holding(b, address)) {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The NIC or load balancer of an IP configuration id (`.../networkInterfaces/<nic>/
/// ipConfigurations/<c>`, `.../loadBalancers/<lb>/frontendIPConfigurations/<f>`); `None` for
/// other users (a VM scale set's NICs, a private endpoint's, whose addresses AKS hands out).
pub(super) fn owner_of(config_id: &str) -> Option<String> {
    let lower = config_id.to_ascii_lowercase();
    let (kind, child) = if lower.contains("/providers/microsoft.network/networkinterfaces/") {
        ("networkinterfaces", "/ipconfigurations/")
    } else if lower.contains("/providers/microsoft.network/loadbalancers/") {
        ("loadbalancers", "/frontendipconfigurations/")
    } else {
        return None;
    };
    let owner = &config_id[..lower.find(child)?];
    let parent = owner.rsplit('/').nth(1)?;
    parent.eq_ignore_ascii_case(kind).then(|| owner.to_string())
}

/// Who this NIC or load balancer (its GET body) is, when one of its configurations holds
/// `address`.
pub(super) fn holding(owner: &Value, address: Ipv4Addr) -> Option<Holder> {
    let text = address.to_string();
    let configs = [
        "/properties/ipConfigurations",
        "/properties/frontendIPConfigurations",
    ];
    let holds = configs
        .iter()
        .filter_map(|p| owner.pointer(p).and_then(Value::as_array))
        .flatten()
        .any(|c| {
            c.pointer("/properties/privateIPAddress")
                .and_then(Value::as_str)
                == Some(&text)
        });
    if !holds {
        return None;
    }
    let name = owner["name"].as_str().unwrap_or("?");
    let id = owner["id"].as_str().unwrap_or_default();
    let group = id.split('/').nth(4).unwrap_or("?");
    if id.to_ascii_lowercase().contains("/loadbalancers/") {
        let lb = format!("{name} in {group}");
        return Some(if name.eq_ignore_ascii_case(AKS_INTERNAL_LB) {
            Holder::AksInternal(lb)
        } else {
            Holder::Named(format!("load balancer {lb}"))
        });
    }
    let vm = owner
        .pointer("/properties/virtualMachine/id")
        .and_then(Value::as_str)
        .and_then(|id| id.rsplit('/').next());
    Some(Holder::Named(match vm {
        Some(vm) => format!("NIC {name} of VM {vm}"),
        None => format!("NIC {name}"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn azures_answer_is_read_and_a_refusal_names_the_holder_and_a_free_address() {
        let free = json!({"available": true, "isPlatformReserved": false});
        assert_eq!(availability(&free), Availability::Free);
        let reserved = json!({"available": false, "isPlatformReserved": true});
        assert_eq!(availability(&reserved), Availability::Reserved);
        let taken = json!({"available": false, "isPlatformReserved": false,
            "availableIPAddresses": ["10.20.0.8", "10.20.0.9"]});
        let Availability::Taken { offered } = availability(&taken) else {
            panic!("taken")
        };
        assert_eq!(
            offered,
            [Ipv4Addr::new(10, 20, 0, 8), Ipv4Addr::new(10, 20, 0, 9)]
        );
        let address = Ipv4Addr::new(10, 20, 0, 62);
        let (p, fix) = refusal(address, "snet-aks", Some("NIC nic-1 of VM vm-1"), &offered);
        assert!(
            p.starts_with("10.20.0.62,") && p.contains("NIC nic-1 of VM vm-1"),
            "{p}"
        );
        assert!(
            fix.starts_with("Set `ingress.staticIp: 10.20.0.8`"),
            "{fix}"
        );
        let (p, fix) = refusal(address, "snet-aks", None, &[]);
        assert!(p.contains("another resource in subnet snet-aks"), "{p}");
        assert!(fix.contains("a free address of snet-aks"), "{fix}");
    }

    #[test]
    fn the_holder_is_found_among_nics_and_load_balancers() {
        let nic = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic-1";
        assert_eq!(
            owner_of(&format!("{nic}/ipConfigurations/ipconfig1")).as_deref(),
            Some(nic)
        );
        let lb = "/subscriptions/s/resourceGroups/MC_rg/providers/Microsoft.Network/loadBalancers/kubernetes-internal";
        assert_eq!(
            owner_of(&format!("{lb}/frontendIPConfigurations/a1b2")).as_deref(),
            Some(lb)
        );
        let vmss = "/subscriptions/s/resourceGroups/mc/providers/Microsoft.Compute/virtualMachineScaleSets/aks-x/virtualMachines/0/networkInterfaces/aks-x/ipConfigurations/ipconfig1";
        assert_eq!(owner_of(vmss), None);
        let body = json!({"name": "nic-1", "id": nic, "properties": {
            "virtualMachine": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-1"},
            "ipConfigurations": [{"properties": {"privateIPAddress": "10.20.0.62"}}]}});
        let at = Ipv4Addr::new(10, 20, 0, 62);
        assert_eq!(
            holding(&body, at),
            Some(Holder::Named("NIC nic-1 of VM vm-1".into()))
        );
        assert_eq!(holding(&body, Ipv4Addr::new(10, 20, 0, 61)), None);
        // AKS's own internal load balancer: told apart (a warning, not a refusal).
        let aks = json!({"name": "kubernetes-internal", "id": lb, "properties": {
            "frontendIPConfigurations": [{"properties": {"privateIPAddress": "10.20.0.62"}}]}});
        assert_eq!(
            holding(&aks, at),
            Some(Holder::AksInternal("kubernetes-internal in MC_rg".into()))
        );
        let other = json!({"name": "lb-app", "id": lb.replace("kubernetes-internal", "lb-app"),
            "properties": {"frontendIPConfigurations": [{"properties": {"privateIPAddress": "10.20.0.62"}}]}});
        assert_eq!(
            holding(&other, at).map(|h| h.to_string()).as_deref(),
            Some("load balancer lb-app in MC_rg")
        );
    }
}
