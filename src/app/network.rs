//! The wizard's network page (issue 14, item 3): what the console's own network offers a draft
//! (through the worker: the web makes no Azure call), and a draft moved into the console's VNet
//! with the subnets the admin picked, their ranges as Azure has them.

use crate::worker::{ConsoleVnet, NetworkOffer, OfferRequest, SubnetOffer, SubnetStatus};
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
    #[error(
        "gatewaySubnet: the Application Gateway needs a free subnet of {vnet} of its own (free: \
         {free}), or choose `none` to reach the cluster's load balancer directly"
    )]
    GatewayUnpicked { vnet: String, free: String },
    #[error(
        "gatewaySubnet: `{0}` is also the {1} subnet: the Application Gateway needs a subnet of its own"
    )]
    GatewayShared(String, &'static str),
    #[error(
        "gatewaySubnet: `{0}` is {1}: the Application Gateway needs a subnet nothing else uses"
    )]
    GatewayUnfit(String, &'static str),
}

/// What the admin picked in the console's VNet: its subnets by name. `gateway` is the
/// Application Gateway's subnet, `none` for no gateway, or empty when the form had no choice.
#[derive(Debug, Clone, Copy)]
pub struct ConsoleVnetPick<'a> {
    pub aks: &'a str,
    pub jumphost: &'a str,
    pub gateway: &'a str,
}

/// The form's value for "no gateway", as the spec writes it.
pub const NO_GATEWAY: &str = katonic_domain::spec::GATEWAY_OFF;

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

/// `answers` installing into the console's VNet: its group and name, the subnets picked, and the
/// VNet's and subnets' ranges as Azure reports them (the spec is checked against them).
pub fn into_console_vnet(
    answers: &InstallDocument,
    vnet: Option<&ConsoleVnet>,
    placement: &str,
    pick: ConsoleVnetPick<'_>,
) -> Result<InstallDocument, ConsoleVnetError> {
    let vnet = vnet.ok_or_else(|| ConsoleVnetError::NoVnet(placement.to_string()))?;
    let aks = find(vnet, "aksSubnet", pick.aks)?;
    let jump = find(vnet, "jumphostSubnet", pick.jumphost)?;
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
    let gateway = gateway_subnet(answers, vnet, pick)?;
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
    net.gateway_subnet_cidr = gateway.map(|g| g.prefix.clone());
    net.existing_vnet = Some(katonic_domain::spec::ExistingVnetDoc {
        gateway_subnet: gateway.map(|g| g.name.clone()),
        resource_group: Some(vnet.resource_group.clone()),
        name: Some(vnet.name.clone()),
        aks_subnet: Some(aks.name.clone()),
        jumphost_subnet: Some(jump.name.clone()),
    });
    if gateway.is_some() {
        doc.ingress.gateway = Some(katonic_domain::spec::GATEWAY_ON.to_string());
    } else {
        // The spec refuses gateway settings without a gateway.
        doc.ingress.gateway = Some(NO_GATEWAY.to_string());
        doc.ingress.application_gateway = None;
    }
    Ok(doc)
}

fn find<'v>(
    vnet: &'v ConsoleVnet,
    field: &'static str,
    name: &str,
) -> Result<&'v SubnetOffer, ConsoleVnetError> {
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
}

/// The gateway's subnet picked (`None`: no gateway). No pick keeps a draft without a gateway
/// as it is, and asks for one when the draft has the gateway on.
fn gateway_subnet<'v>(
    answers: &InstallDocument,
    vnet: &'v ConsoleVnet,
    pick: ConsoleVnetPick<'_>,
) -> Result<Option<&'v SubnetOffer>, ConsoleVnetError> {
    let off = answers.ingress.gateway.as_deref().map(str::trim) == Some(NO_GATEWAY);
    match pick.gateway.trim() {
        NO_GATEWAY => Ok(None),
        "" if off => Ok(None),
        "" => Err(ConsoleVnetError::GatewayUnpicked {
            vnet: vnet.name.clone(),
            free: free_names(vnet, pick.aks),
        }),
        name => {
            let g = find(vnet, "gatewaySubnet", name)?;
            for (other, role) in [(pick.aks, "AKS"), (pick.jumphost, "jumphost")] {
                if g.name.eq_ignore_ascii_case(other) {
                    return Err(ConsoleVnetError::GatewayShared(g.name.clone(), role));
                }
            }
            if g.status != SubnetStatus::Free {
                return Err(ConsoleVnetError::GatewayUnfit(
                    g.name.clone(),
                    g.status.label(),
                ));
            }
            if g.prefix.is_empty() {
                return Err(ConsoleVnetError::NoPrefix(g.name.clone()));
            }
            Ok(Some(g))
        }
    }
}

fn free_names(vnet: &ConsoleVnet, aks: &str) -> String {
    let free: Vec<&str> = vnet
        .subnets
        .iter()
        .filter(|s| s.status == SubnetStatus::Free && !s.name.eq_ignore_ascii_case(aks))
        .map(|s| s.name.as_str())
        .collect();
    if free.is_empty() {
        "none besides the AKS subnet".into()
    } else {
        free.join(", ")
    }
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
                s("snet-small", "10.20.2.0/29", SubnetStatus::Free),
                s("snet-appgw", "10.20.3.0/24", SubnetStatus::Free),
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
            pick("snet-aks", "snet-jump", "snet-appgw"),
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
        assert_eq!(e.gateway_subnet.as_deref(), Some("snet-appgw"));
        assert_eq!(net.gateway_subnet_cidr.as_deref(), Some("10.20.3.0/24"));
        assert_eq!(doc.ingress.gateway.as_deref(), Some("applicationGateway"));
        // The whole move is a valid spec (the gateway subnet included).
        let mut full = katonic_domain::spec::default_document();
        full.azure.subscription_id = Some("3f2c1a9e-8b7d-4c6e-9f01-23456789abcd".into());
        full.azure.tenant_id = Some("0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d".into());
        full.domain.fqdn = Some("katonic.example.com".into());
        let moved = into_console_vnet(
            &full,
            Some(&vnet()),
            "",
            pick("snet-aks", "snet-jump", "snet-appgw"),
        )
        .unwrap();
        let spec = katonic_domain::spec::InstallSpec::parse(&moved);
        assert!(spec.is_ok(), "{:?}", spec.err());
    }

    fn pick<'a>(aks: &'a str, jumphost: &'a str, gateway: &'a str) -> ConsoleVnetPick<'a> {
        ConsoleVnetPick {
            aks,
            jumphost,
            gateway,
        }
    }

    #[test]
    fn the_gateway_takes_a_free_subnet_of_its_own_or_none() {
        let v = vnet();
        assert_eq!(
            v.proposed_gateway("snet-aks", 10).map(|s| s.name.as_str()),
            Some("snet-appgw"),
            "snet-small (/29, 8 addresses) has no room for 10 instances + 6"
        );
        assert_eq!(
            v.proposed_gateway("snet-aks", 2).map(|s| s.name.as_str()),
            Some("snet-small")
        );
        assert!(v.proposed_gateway("snet-appgw", 125).is_none());

        let mut doc = InstallDocument::default();
        doc.ingress.application_gateway = Some(Default::default());
        let none =
            into_console_vnet(&doc, Some(&v), "", pick("snet-aks", "snet-jump", "none")).unwrap();
        assert_eq!(none.ingress.gateway.as_deref(), Some("none"));
        assert!(none.ingress.application_gateway.is_none());
        assert!(none.cluster.network.gateway_subnet_cidr.is_none());

        let e =
            into_console_vnet(&doc, Some(&v), "", pick("snet-aks", "snet-jump", "")).unwrap_err();
        assert!(
            e.to_string()
                .contains("free subnet of vnet-corp of its own (free: snet-small, snet-appgw)"),
            "{e}"
        );
        let e = into_console_vnet(
            &doc,
            Some(&v),
            "",
            pick("snet-aks", "snet-jump", "snet-aks"),
        )
        .unwrap_err();
        assert_eq!(e, ConsoleVnetError::GatewayShared("snet-aks".into(), "AKS"));
        let e = into_console_vnet(&doc, Some(&v), "", pick("snet-aks", "snet-jump", "snet-db"))
            .unwrap_err();
        assert!(e.to_string().contains("`snet-db` is in use"), "{e}");
        // A draft without a gateway keeps none when the form has no choice.
        doc.ingress.gateway = Some("none".into());
        let kept =
            into_console_vnet(&doc, Some(&v), "", pick("snet-aks", "snet-jump", "")).unwrap();
        assert!(
            kept.cluster
                .network
                .existing_vnet
                .unwrap()
                .gateway_subnet
                .is_none()
        );
    }

    #[test]
    fn unfit_subnets_are_refused_by_name() {
        let doc = InstallDocument::default();
        let v = vnet();
        let e = into_console_vnet(&doc, Some(&v), "", pick("snet-db", "snet-jump", "none"))
            .unwrap_err();
        assert!(e.to_string().contains("`snet-db` is in use"), "{e}");
        let e = into_console_vnet(&doc, Some(&v), "", pick("snet-jump", "snet-jump", "none"))
            .unwrap_err();
        assert_eq!(e, ConsoleVnetError::Same("snet-jump".into()));
        let e =
            into_console_vnet(&doc, Some(&v), "", pick("nope", "snet-jump", "none")).unwrap_err();
        assert!(
            e.to_string()
                .contains("has no subnet `nope` (it has: snet-aks, snet-jump, snet-db, snet-small"),
            "{e}"
        );
        let e = into_console_vnet(
            &doc,
            None,
            "the console runs outside Azure",
            pick("a", "b", "none"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("outside Azure"), "{e}");
    }
}
