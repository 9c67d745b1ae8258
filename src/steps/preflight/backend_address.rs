//! The cluster's internal ingress load balancer takes a fixed address in the AKS subnet (the
//! gateway's backend: the subnet's last usable address, or `ingress.staticIp`). In a VNet the
//! console creates nothing else is there; in the admin's existing subnet something may hold it,
//! and Azure would refuse the load balancer (`PrivateIPAddressInUse`) only after the cluster is
//! built. So preflight asks Azure (`CheckIPAddressAvailability`, the one API that knows every
//! holder: a subnet's `ipConfigurations` name their users, not their addresses) and, when the
//! address is taken, looks among the subnet's NICs for who holds it.

use std::net::Ipv4Addr;

use serde_json::Value;

use super::verdict::Checks;
use crate::azure::resources::resource_id;
use crate::azure::{ArmClient, api};
use crate::steps::errors::step_error;
use crate::worker::{StepContext, StepError};
use katonic_domain::spec::ExistingVnet;

const CHECK: &str = "ingress address";
/// NICs read at most to find the holder (a subnet may have hundreds of users).
const NICS_READ: usize = 20;

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
    let vnet = resource_id(
        ctx.spec.azure.subscription_id.as_str(),
        existing.resource_group.as_str(),
        "Microsoft.Network/virtualNetworks",
        existing.name.as_str(),
    );
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
            let (problem, fix) = refusal(address, subnet, holder.as_deref(), &offered);
            checks.fail(CHECK, problem, fix).await
        }
    }
}

/// Who holds `address` in the AKS subnet: a NIC among its users (and its VM), if one does.
async fn holder(
    ctx: &StepContext,
    arm: &ArmClient,
    vnet: &str,
    existing: &ExistingVnet,
    address: Ipv4Addr,
) -> Result<Option<String>, StepError> {
    ctx.guard()?;
    let subnet = arm
        .get(
            &format!("{vnet}/subnets/{}", existing.aks_subnet),
            api::NETWORK,
        )
        .await
        .map_err(|e| step_error("reading the AKS subnet", e))?;
    let nics: Vec<String> = subnet
        .as_ref()
        .and_then(|s| s.pointer("/properties/ipConfigurations"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| nic_of(c["id"].as_str()?))
        .take(NICS_READ)
        .collect();
    for nic in nics {
        ctx.guard()?;
        let body = arm
            .get(&nic, api::NETWORK)
            .await
            .map_err(|e| step_error("reading a NIC of the AKS subnet", e))?;
        if let Some(found) = body.as_ref().and_then(|b| holding(b, address)) {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The NIC of a NIC's IP configuration id (`.../networkInterfaces/<nic>/ipConfigurations/<c>`);
/// `None` for other users (a VM scale set's, a load balancer's, a private endpoint's).
pub(super) fn nic_of(config_id: &str) -> Option<String> {
    let lower = config_id.to_ascii_lowercase();
    let at = lower.find("/ipconfigurations/")?;
    let nic = &config_id[..at];
    let parent = nic.rsplit('/').nth(1)?;
    let is_nic = parent.eq_ignore_ascii_case("networkInterfaces")
        && lower.contains("/providers/microsoft.network/networkinterfaces/");
    is_nic.then(|| nic.to_string())
}

/// "NIC <name> of VM <vm>" when this NIC's configuration holds `address`.
pub(super) fn holding(nic: &Value, address: Ipv4Addr) -> Option<String> {
    let text = address.to_string();
    let holds = nic
        .pointer("/properties/ipConfigurations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            c.pointer("/properties/privateIPAddress")
                .and_then(Value::as_str)
                == Some(&text)
        });
    if !holds {
        return None;
    }
    let name = nic["name"].as_str().unwrap_or("?");
    let vm = nic
        .pointer("/properties/virtualMachine/id")
        .and_then(Value::as_str)
        .and_then(|id| id.rsplit('/').next());
    Some(match vm {
        Some(vm) => format!("NIC {name} of VM {vm}"),
        None => format!("NIC {name}"),
    })
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
    fn the_holder_is_found_among_nics_only() {
        let nic = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic-1";
        assert_eq!(
            nic_of(&format!("{nic}/ipConfigurations/ipconfig1")).as_deref(),
            Some(nic)
        );
        let vmss = "/subscriptions/s/resourceGroups/mc/providers/Microsoft.Compute/virtualMachineScaleSets/aks-x/virtualMachines/0/networkInterfaces/aks-x/ipConfigurations/ipconfig1";
        assert_eq!(nic_of(vmss), None);
        let body = json!({"name": "nic-1", "properties": {
            "virtualMachine": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-1"},
            "ipConfigurations": [{"properties": {"privateIPAddress": "10.20.0.62"}}]}});
        assert_eq!(
            holding(&body, Ipv4Addr::new(10, 20, 0, 62)).as_deref(),
            Some("NIC nic-1 of VM vm-1")
        );
        assert_eq!(holding(&body, Ipv4Addr::new(10, 20, 0, 61)), None);
    }
}
