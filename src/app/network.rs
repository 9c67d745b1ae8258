//! The wizard's network page (issue 14, item 3): what the console's own network offers a draft
//! (through the worker: the web makes no Azure call), and a draft moved into the console's VNet
//! with the subnets the admin picked, their ranges as Azure has them.

use crate::worker::{ConsoleVnet, NetworkOffer, OfferRequest, SubnetStatus};
use katonic_domain::spec::{Cidr, ClusterAccess, InstallDocument};

/// Why the draft cannot be moved into the console's VNet with the subnets picked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsoleVnetError {
    #[error("the console does not run in a VNet it can read: {0}")]
    NoVnet(String),
    #[error("{field}: VNet {vnet} has no subnet `{name}` (it has: {have})")]
    NoSubnet {
        field: &'static str,
        vnet: String,
        name: String,
        have: String,
    },
    #[error("the AKS subnet and the jumphost subnet are both `{0}`: AKS needs a subnet of its own")]
    Same(String),
    #[error("the AKS subnet `{0}` is {1}: AKS needs a subnet nothing else uses")]
    Unfit(String, &'static str),
    #[error("subnet `{0}` has no address prefix Azure reports, so its range cannot be checked")]
    NoPrefix(String),
}

impl super::App {
    /// Where the console runs, its VNet's subnets, and how the cluster would be reached with
    /// that VNet or with a new one (as preflight will decide it), for `answers`.
    pub async fn network_offer(&self, answers: &InstallDocument) -> NetworkOffer {
        let access = answers
            .cluster
            .access
            .as_deref()
            .and_then(|a| ClusterAccess::parse(a).ok())
            .unwrap_or(ClusterAccess::Auto);
        let space = answers
            .cluster
            .network
            .vnet_cidr
            .clone()
            .unwrap_or_default();
        let subscription = answers
            .azure
            .subscription_id
            .as_deref()
            .filter(|s| uuid::Uuid::parse_str(s).is_ok())
            .map(str::to_string);
        let request = OfferRequest {
            saved: None,
            subscription,
            access,
            new_vnet_id: format!("(a new VNet, {space})"),
            new_vnet_space: vec![space],
        };
        self.worker.network_offer(request).await
    }
}

/// `answers` installing into the console's VNet: its group and name, the two subnets, and the
/// VNet's and subnets' ranges as Azure reports them (the spec is checked against them).
pub fn into_console_vnet(
    answers: &InstallDocument,
    vnet: Option<&ConsoleVnet>,
    placement: &str,
    aks: &str,
    jumphost: &str,
) -> Result<InstallDocument, ConsoleVnetError> {
    let vnet = vnet.ok_or_else(|| ConsoleVnetError::NoVnet(placement.to_string()))?;
    let find = |field: &'static str, name: &str| {
        vnet.subnet(name).ok_or_else(|| ConsoleVnetError::NoSubnet {
            field,
            vnet: vnet.name.clone(),
            name: name.to_string(),
            have: vnet
                .subnets
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
    };
    let aks = find("aksSubnet", aks)?;
    let jump = find("jumphostSubnet", jumphost)?;
    if aks.name.eq_ignore_ascii_case(&jump.name) {
        return Err(ConsoleVnetError::Same(aks.name.clone()));
    }
    if aks.status != SubnetStatus::Free {
        return Err(ConsoleVnetError::Unfit(
            aks.name.clone(),
            aks.status.label(),
        ));
    }
    for s in [aks, jump] {
        if s.prefix.is_empty() {
            return Err(ConsoleVnetError::NoPrefix(s.name.clone()));
        }
    }
    // The VNet range the spec names: the address space holding the AKS subnet.
    let space = vnet
        .address_space
        .iter()
        .find(|space| contains(space, &aks.prefix))
        .or(vnet.address_space.first())
        .cloned()
        .unwrap_or_default();
    let mut doc = answers.clone();
    let net = &mut doc.cluster.network;
    net.vnet_cidr = Some(space);
    net.aks_subnet_cidr = Some(aks.prefix.clone());
    net.jumphost_subnet_cidr = Some(jump.prefix.clone());
    // A gateway subnet already named in the draft stays (the offer picks only these two).
    let gateway_subnet = net
        .existing_vnet
        .as_ref()
        .and_then(|e| e.gateway_subnet.clone());
    net.existing_vnet = Some(katonic_domain::spec::ExistingVnetDoc {
        gateway_subnet,
        resource_group: Some(vnet.resource_group.clone()),
        name: Some(vnet.name.clone()),
        aks_subnet: Some(aks.name.clone()),
        jumphost_subnet: Some(jump.name.clone()),
    });
    Ok(doc)
}

fn contains(space: &str, prefix: &str) -> bool {
    match (Cidr::parse(space), Cidr::parse(prefix)) {
        (Ok(outer), Ok(inner)) => outer.contains_net(&inner),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::SubnetOffer;

    fn vnet() -> ConsoleVnet {
        let s = |name: &str, prefix: &str, status| SubnetOffer {
            name: name.into(),
            prefix: prefix.into(),
            status,
        };
        ConsoleVnet {
            id: "/subscriptions/s/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-corp".into(),
            resource_group: "rg-net".into(),
            name: "vnet-corp".into(),
            address_space: vec!["10.9.0.0/16".into(), "10.20.0.0/16".into()],
            subnets: vec![
                s("snet-aks", "10.20.0.0/26", SubnetStatus::Free),
                s("snet-jump", "10.20.0.64/29", SubnetStatus::Console),
                s("snet-db", "10.20.1.0/24", SubnetStatus::InUse),
            ],
            console_subnet: "snet-jump".into(),
        }
    }

    #[test]
    fn the_draft_takes_the_vnet_its_subnets_and_their_ranges() {
        let doc = into_console_vnet(
            &InstallDocument::default(),
            Some(&vnet()),
            "",
            "snet-aks",
            "snet-jump",
        )
        .unwrap();
        let net = &doc.cluster.network;
        assert_eq!(net.vnet_cidr.as_deref(), Some("10.20.0.0/16"));
        assert_eq!(net.aks_subnet_cidr.as_deref(), Some("10.20.0.0/26"));
        assert_eq!(net.jumphost_subnet_cidr.as_deref(), Some("10.20.0.64/29"));
        let e = net.existing_vnet.as_ref().unwrap();
        assert_eq!(e.resource_group.as_deref(), Some("rg-net"));
        assert_eq!(e.name.as_deref(), Some("vnet-corp"));
        assert_eq!(e.aks_subnet.as_deref(), Some("snet-aks"));
    }

    #[test]
    fn unfit_subnets_are_refused_by_name() {
        let doc = InstallDocument::default();
        let v = vnet();
        let e = into_console_vnet(&doc, Some(&v), "", "snet-db", "snet-jump").unwrap_err();
        assert!(e.to_string().contains("`snet-db` is in use"), "{e}");
        let e = into_console_vnet(&doc, Some(&v), "", "snet-jump", "snet-jump").unwrap_err();
        assert_eq!(e, ConsoleVnetError::Same("snet-jump".into()));
        let e = into_console_vnet(&doc, Some(&v), "", "nope", "snet-jump").unwrap_err();
        assert!(
            e.to_string()
                .contains("has no subnet `nope` (it has: snet-aks, snet-jump, snet-db)"),
            "{e}"
        );
        let e =
            into_console_vnet(&doc, None, "the console runs outside Azure", "a", "b").unwrap_err();
        assert!(e.to_string().contains("outside Azure"), "{e}");
    }
}
