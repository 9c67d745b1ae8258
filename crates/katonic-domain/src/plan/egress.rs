//! Egress planned, not assumed: how each subnet the install creates reaches the internet, and
//! the allow-list a firewall team needs (AKS's required destinations, the installer image's
//! registry, the platform's registry), as a downloadable text file.
//!
//! AKS's required outbound rules for global Azure, checked 2026-12-07 against Microsoft Learn
//! "Outbound network and FQDN rules for AKS clusters" and Azure/AKS#4792 (`packages.aks.azure.com`
//! replaced `acs-mirror.azureedge.net`, retired 2025-05-31). Private subnets by default: Network
//! API 2025-07-01 and later (released after 2026-03-31) create subnets with
//! `defaultOutboundAccess: false` (Azure networking blog, checked 2026-12-07).

use crate::spec::{InstallSpec, JumphostEgress, OutboundType};

use super::names;

/// How one subnet of the install reaches the internet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetEgress {
    pub subnet: String,
    pub route: String,
    /// What the admin must know or do (a VM with no way out).
    pub warning: Option<String>,
}

/// One destination the cluster or the install needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub destination: String,
    /// `443/TCP`, `123/UDP`.
    pub port: &'static str,
    pub why: String,
}

const PRIVATE_SUBNETS: &str = "new subnets are private by default since 2026-03-31 (Network API \
     2025-07-01: defaultOutboundAccess false): a VM there has no outbound access unless a NAT \
     gateway, a public IP or a route to a firewall gives it one";

/// Per subnet: the AKS subnet through the cluster's outbound type; the jumphost subnet (created
/// only with a new VNet) through the NAT gateway the install creates, or with no way out.
pub fn subnets(spec: &InstallSpec) -> Vec<SubnetEgress> {
    let net = &spec.cluster.network;
    let aks = match net.outbound_type {
        OutboundType::LoadBalancer => {
            "through the cluster's Standard load balancer (outbound rules, an AKS-managed public IP)"
        }
        OutboundType::ManagedNatGateway => "through an AKS-managed NAT gateway",
        OutboundType::UserDefinedRouting => {
            "through the subnet's route table: 0.0.0.0/0 to your firewall, which must allow the list below"
        }
    };
    let mut out = vec![SubnetEgress {
        subnet: names::aks_subnet(spec),
        route: aks.to_string(),
        warning: None,
    }];
    out.extend(gateway_subnet(spec));
    if net.existing_vnet.is_some() {
        out.push(SubnetEgress {
            subnet: names::jumphost_subnet(spec),
            route: "unchanged: an existing subnet keeps its own outbound path".into(),
            warning: None,
        });
    } else if net.jumphost_egress == JumphostEgress::NatGateway {
        out.push(SubnetEgress {
            subnet: names::jumphost_subnet(spec),
            route: format!(
                "through the NAT gateway {} the install creates (public IP {}, Standard, static)",
                names::jumphost_nat_gateway(spec),
                names::jumphost_nat_public_ip(spec)
            ),
            warning: None,
        });
    } else {
        out.push(SubnetEgress {
            subnet: names::jumphost_subnet(spec),
            route: "none".into(),
            warning: Some(PRIVATE_SUBNETS.into()),
        });
    }
    out
}

/// The Application Gateway's subnet. A v2 gateway without network isolation talks to Azure's
/// control plane over the internet through its public IP: its subnet needs outbound internet,
/// and a 0.0.0.0/0 route elsewhere fails it. With the subscription feature
/// `EnableApplicationGatewayNetworkIsolation` (required for the private-only frontend of
/// `loadBalancer: internal`) management stays on Azure's backbone: no internet dependency,
/// deny-all outbound and forced tunnelling work (learn.microsoft.com "Private Application
/// Gateway deployment", GA 2026-04-03, checked 2026-12-07).
fn gateway_subnet(spec: &InstallSpec) -> Option<SubnetEgress> {
    spec.ingress.gateway.as_ref()?;
    let route = match spec.ingress.load_balancer {
        crate::spec::LbMode::External => {
            "through the gateway's public IP; without network isolation the gateway needs \
             outbound internet for its management (do not route 0.0.0.0/0 from this subnet to a \
             firewall)"
        }
        crate::spec::LbMode::Internal => {
            "none needed: a network-isolated (private-only) gateway is managed over Azure's \
             backbone; it only reaches its backend in the AKS subnet"
        }
    };
    Some(SubnetEgress {
        subnet: names::gateway_subnet(spec),
        route: route.to_string(),
        warning: None,
    })
}

/// AKS's required destinations (global Azure) for a private cluster: no tunnel to a public API
/// server is needed, as the API server is a private endpoint in the VNet.
fn aks_rules() -> Vec<Rule> {
    let r = |destination: &str, port: &'static str, why: &str| Rule {
        destination: destination.into(),
        port,
        why: why.into(),
    };
    vec![
        r(
            "mcr.microsoft.com",
            "443/TCP",
            "AKS system images (Microsoft Artifact Registry)",
        ),
        r(
            "*.data.mcr.microsoft.com",
            "443/TCP",
            "Microsoft Artifact Registry content (CDN)",
        ),
        r(
            "mcr-0001.mcr-msedge.net",
            "443/TCP",
            "Microsoft Artifact Registry content",
        ),
        r(
            "management.azure.com",
            "443/TCP",
            "Kubernetes operations against Azure Resource Manager",
        ),
        r(
            "login.microsoftonline.com",
            "443/TCP",
            "Entra ID authentication",
        ),
        r(
            "packages.microsoft.com",
            "443/TCP",
            "Microsoft packages (cached apt-get, Moby)",
        ),
        r(
            "packages.aks.azure.com",
            "443/TCP",
            "AKS binaries (CNI, kubelet); replaced acs-mirror.azureedge.net",
        ),
        r("ntp.ubuntu.com", "123/UDP", "node time synchronisation"),
    ]
}

/// The hosts a registry reference (`docker.io/katonic/x`, `ghcr.io/a/b`) pulls from.
fn registry_hosts(repository: &str) -> Vec<String> {
    let first = repository.split('/').next().unwrap_or_default();
    let host = if first.contains('.') || first.contains(':') {
        first
    } else {
        "docker.io"
    };
    if host == "docker.io" || host == "index.docker.io" {
        return [
            "registry-1.docker.io",
            "auth.docker.io",
            "production.cloudflare.docker.com",
        ]
        .map(String::from)
        .to_vec();
    }
    vec![host.to_string()]
}

/// Every destination, AKS's first, then the installer's registry and the platform's (the
/// install's Azure Container Registry, its data endpoint in the region).
pub fn allow_list(spec: &InstallSpec, installer_repository: &str) -> Vec<Rule> {
    let mut rules = aks_rules();
    for host in registry_hosts(installer_repository) {
        rules.push(Rule {
            destination: host,
            port: "443/TCP",
            why: format!("the platform installer image ({installer_repository})"),
        });
    }
    let name = names::registry(spec);
    let name = if name == names::DERIVED_AT_PROVISIONING {
        "*".to_string()
    } else {
        name.to_ascii_lowercase()
    };
    let region = spec.azure.location.as_str().to_ascii_lowercase();
    for host in [
        format!("{name}.azurecr.io"),
        format!("{name}.{region}.data.azurecr.io"),
    ] {
        rules.push(Rule {
            destination: host,
            port: "443/TCP",
            why: "the platform's images (the install's Azure Container Registry)".into(),
        });
    }
    rules
}

/// The downloadable file: the subnets' egress, then one rule a line.
pub fn allow_list_text(spec: &InstallSpec, installer_repository: &str) -> String {
    let mut text = format!(
        "# Egress of install cluster {} (region {}), for a firewall team.\n\
         # AKS requirements as of 2026-12-07 (Microsoft Learn, global Azure); private API server.\n#\n",
        spec.cluster.name, spec.azure.location
    );
    for s in subnets(spec) {
        text.push_str(&format!("# subnet {}: {}\n", s.subnet, s.route));
        if let Some(w) = s.warning {
            text.push_str(&format!("#   warning: {w}\n"));
        }
    }
    text.push_str("#\n# destination\tport\twhy\n");
    for r in allow_list(spec, installer_repository) {
        text.push_str(&format!("{}\t{}\t{}\n", r.destination, r.port, r.why));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_images_need_its_three_hosts_and_others_their_own() {
        assert_eq!(
            registry_hosts("docker.io/katonic/katonic-installer").len(),
            3
        );
        assert_eq!(
            registry_hosts("katonic/installer")[0],
            "registry-1.docker.io"
        );
        assert_eq!(registry_hosts("ghcr.io/katonic/installer"), vec!["ghcr.io"]);
        assert_eq!(
            registry_hosts("myacr.azurecr.io/katonic/installer"),
            vec!["myacr.azurecr.io"]
        );
    }

    #[test]
    fn the_list_has_aks_the_installer_and_the_platform_registry() {
        let mut spec = crate::spec::testutil::sample_spec();
        // Without a gateway: the AKS and jumphost subnets only.
        spec.ingress.gateway = None;
        let text = allow_list_text(&spec, "docker.io/katonic/katonic-installer");
        for needed in [
            "mcr.microsoft.com\t443/TCP",
            "packages.aks.azure.com\t443/TCP",
            "login.microsoftonline.com",
            "registry-1.docker.io",
            ".azurecr.io\t443/TCP",
            ".data.azurecr.io",
        ] {
            assert!(text.contains(needed), "{needed} missing from:\n{text}");
        }
        assert!(!text.contains("acs-mirror.azureedge.net\t"), "{text}");
        let subnets = subnets(&spec);
        assert_eq!(subnets.len(), 2);
        assert!(
            subnets[1]
                .warning
                .as_deref()
                .is_some_and(|w| w.contains("2026-03-31")),
            "{subnets:?}"
        );
    }
}
