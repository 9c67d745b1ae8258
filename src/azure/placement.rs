//! Where the console runs: on an Azure VM, its subnet and VNet (from the instance metadata
//! service, then ARM: VM → NIC → subnet → VNet with its peerings and DNS servers), or outside
//! Azure. An explicit subnet (`--console-subnet`) overrides detection.
//!
//! The metadata service's address is configuration: the real link-local 169.254.169.254 is
//! probed only against a real Azure cloud (public, China, US Gov) with no explicit subnet, so
//! a rehearsal or a test asks only the simulator (or nothing) and never leaves loopback.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::settings::{ArmSettings, Cloud};
use super::{ArmClient, ArmError, api};

/// Azure's instance metadata service, reachable from an Azure VM only.
pub const AZURE_IMDS: &str = "http://169.254.169.254";
/// The instance document's api-version (GA; 2021-02-01 is served by every region).
const IMDS_VERSION: &str = "2021-02-01";
/// IMDS answers in milliseconds on a VM; off Azure the address gives no answer at all.
const IMDS_TIMEOUT: Duration = Duration::from_secs(2);

/// How the console finds out where it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlacementSource {
    /// `--console-subnet`: taken as given (checked through ARM), no metadata service asked.
    pub console_subnet: Option<String>,
    /// The metadata service's base URL; `None`: not asked (the console is taken to be outside).
    pub imds: Option<String>,
    /// A CA file the metadata endpoint's certificate chains to (a simulator's HTTPS).
    pub ca_file: Option<std::path::PathBuf>,
    /// `--line-of-sight`: the console's network reaches the cluster's by means it cannot see
    /// (VPN, ExpressRoute, a hub VNet; or an unplaced rehearsal), so nothing is asked.
    pub line_of_sight: bool,
}

impl PlacementSource {
    /// From the settings in effect: an explicit subnet wins; an explicit metadata endpoint is
    /// asked; otherwise the real one only against a real Azure cloud (public, China, US Gov,
    /// at its own ARM endpoint: an overridden endpoint may be a simulator or Azure Stack).
    pub fn from_settings(settings: &ArmSettings) -> Self {
        let console_subnet = settings.console_subnet.clone();
        let own_endpoint = match (settings.cloud.endpoints(), &settings.arm_endpoint) {
            (Some(_), None) => true,
            (Some((arm, _)), Some(given)) => given.trim_end_matches('/') == arm,
            (None, _) => false,
        };
        let real_cloud =
            own_endpoint && matches!(settings.cloud, Cloud::Public | Cloud::China | Cloud::UsGov);
        let imds = match (&settings.imds_endpoint, &console_subnet) {
            (_, Some(_)) => None,
            (Some(url), None) => Some(url.clone()),
            (None, None) => real_cloud.then(|| AZURE_IMDS.to_string()),
        };
        PlacementSource {
            console_subnet,
            imds,
            ca_file: settings.ca_file.clone(),
            line_of_sight: settings.line_of_sight,
        }
    }
}

/// How the console learned its placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Detected {
    /// The instance metadata service.
    Imds,
    /// `--console-subnet` / `KATONIC_CONSOLE_SUBNET`.
    Flag,
}

/// A peering of the console's VNet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Peering {
    pub remote_vnet: String,
    /// `Initiated` until the remote side peers back, then `Connected`.
    pub state: String,
}

/// The console's network on Azure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureNetwork {
    pub detected: Detected,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vm_id: Option<String>,
    pub subnet_id: String,
    pub vnet_id: String,
    pub address_space: Vec<String>,
    /// Custom DNS servers of the VNet; empty: Azure DNS (168.63.129.16).
    pub dns_servers: Vec<String>,
    pub peerings: Vec<Peering>,
}

impl AzureNetwork {
    /// Whether this VNet is peered with `vnet_id` and traffic flows (both sides peered).
    pub fn connected_to(&self, vnet_id: &str) -> bool {
        self.peerings
            .iter()
            .any(|p| p.remote_vnet.eq_ignore_ascii_case(vnet_id) && p.state == "Connected")
    }
}

/// Where the console runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "where",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Placement {
    /// In an Azure VNet.
    Azure(AzureNetwork),
    /// Not on an Azure VM (or not asked).
    Outside { why: String },
    /// On Azure, but its subnet or VNet could not be read (permissions, a wrong id).
    Unresolved {
        subnet_id: Option<String>,
        why: String,
    },
    /// Declared to reach the cluster's network (`--line-of-sight`): direct access is taken to
    /// work, and the first cluster step says plainly if it does not.
    LineOfSight,
}

impl Placement {
    /// One line for logs and pages.
    pub fn describe(&self) -> String {
        match self {
            Placement::Azure(n) => {
                let how = match n.detected {
                    Detected::Imds => "detected from the instance metadata service",
                    Detected::Flag => "given by --console-subnet",
                };
                format!(
                    "the console runs in subnet {} of VNet {} ({}; {how})",
                    last(&n.subnet_id),
                    n.vnet_id,
                    n.address_space.join(", ")
                )
            }
            Placement::Outside { why } => format!("the console runs outside Azure ({why})"),
            Placement::Unresolved { why, .. } => {
                format!("where the console runs in Azure could not be read: {why}")
            }
            Placement::LineOfSight => "the console's network is declared to reach the \
                cluster's (--line-of-sight: VPN, ExpressRoute or a hub VNet; an unplaced rehearsal \
                declares it)"
                .into(),
        }
    }
}

impl Placement {
    /// Where the console runs, as the phrase after "the console runs" on the install and review
    /// pages. Preflight stores it (`consolePlacementSummary`), so a page never re-derives it.
    pub fn summary(&self) -> String {
        match self {
            Placement::Azure(n) => format!("in subnet {} of VNet {}", n.subnet_id, n.vnet_id),
            Placement::LineOfSight => {
                "on a network declared to reach the cluster's (--line-of-sight)".into()
            }
            Placement::Outside { why } => format!("outside Azure ({why})"),
            Placement::Unresolved { why, .. } => format!("unknown ({why})"),
        }
    }
}

fn last(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

/// `…/virtualNetworks/<vnet>` of a subnet id, when it is one.
pub fn vnet_of(subnet_id: &str) -> Option<&str> {
    let at = subnet_id.to_ascii_lowercase().rfind("/subnets/")?;
    Some(&subnet_id[..at])
}

/// Find out where the console runs. Never fails: what cannot be learned is said in the result.
pub async fn detect(source: &PlacementSource, arm: &ArmClient) -> Placement {
    if source.line_of_sight {
        return Placement::LineOfSight;
    }
    if let Some(subnet) = &source.console_subnet {
        return resolve(arm, subnet, Detected::Flag, None).await;
    }
    let Some(imds) = &source.imds else {
        return Placement::Outside {
            why: "no metadata service asked: the cloud is custom and no --console-subnet is given"
                .into(),
        };
    };
    match instance(imds, source.ca_file.as_deref()).await {
        Err(why) => Placement::Outside { why },
        Ok(vm_id) => match nic_subnet(arm, &vm_id).await {
            Ok(subnet) => resolve(arm, &subnet, Detected::Imds, Some(vm_id)).await,
            Err(why) => Placement::Unresolved {
                subnet_id: None,
                why,
            },
        },
    }
}

/// The VM's resource id from the metadata service's instance document.
async fn instance(base: &str, ca_file: Option<&std::path::Path>) -> Result<String, String> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(IMDS_TIMEOUT)
        .timeout(IMDS_TIMEOUT);
    if let Some(path) = ca_file
        && let Ok(pem) = std::fs::read(path)
        && let Ok(certs) = reqwest::Certificate::from_pem_bundle(&pem)
    {
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    let client = builder
        .build()
        .map_err(|e| format!("cannot build the metadata client: {e}"))?;
    let url = format!(
        "{}/metadata/instance?api-version={IMDS_VERSION}",
        base.trim_end_matches('/')
    );
    let response = client
        .get(&url)
        .header("Metadata", "true")
        .send()
        .await
        .map_err(|_| format!("no instance metadata service answers at {base}: not an Azure VM"))?;
    if !response.status().is_success() {
        return Err(format!(
            "the instance metadata service at {base} answered {}",
            response.status()
        ));
    }
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("the instance metadata document is not JSON: {e}"))?;
    body.pointer("/compute/resourceId")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .ok_or_else(|| "the instance metadata document has no compute.resourceId".into())
}

fn arm_reason(what: &str, e: &ArmError) -> String {
    format!("reading {what}: {e}")
}

/// The subnet of the VM's primary NIC (its first, when none is marked primary).
async fn nic_subnet(arm: &ArmClient, vm_id: &str) -> Result<String, String> {
    let vm = arm
        .get(vm_id, api::COMPUTE_VMS)
        .await
        .map_err(|e| arm_reason("the console's VM", &e))?
        .ok_or_else(|| format!("the console's VM {vm_id} is not visible to its identity"))?;
    let nics = vm
        .pointer("/properties/networkProfile/networkInterfaces")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let nic_id = primary(&nics)
        .and_then(|n| n["id"].as_str())
        .ok_or_else(|| format!("the console's VM {vm_id} lists no network interface"))?
        .to_string();
    let nic = arm
        .get(&nic_id, api::NETWORK)
        .await
        .map_err(|e| arm_reason("the console's network interface", &e))?
        .ok_or_else(|| format!("the network interface {nic_id} is not visible"))?;
    let configs = nic
        .pointer("/properties/ipConfigurations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    primary(&configs)
        .and_then(|c| c.pointer("/properties/subnet/id"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("the network interface {nic_id} has no subnet"))
}

/// The entry marked `properties.primary`, else the first.
fn primary(list: &[Value]) -> Option<&Value> {
    list.iter()
        .find(|v| v.pointer("/properties/primary").and_then(Value::as_bool) == Some(true))
        .or_else(|| list.first())
}

/// The subnet's VNet: address space, DNS servers, peerings.
async fn resolve(
    arm: &ArmClient,
    subnet_id: &str,
    detected: Detected,
    vm_id: Option<String>,
) -> Placement {
    let unresolved = |why: String| Placement::Unresolved {
        subnet_id: Some(subnet_id.to_string()),
        why,
    };
    let Some(vnet_id) = vnet_of(subnet_id) else {
        return unresolved(format!(
            "{subnet_id} is not a subnet id (…/virtualNetworks/<vnet>/subnets/<subnet>)"
        ));
    };
    let vnet = match arm.get(vnet_id, api::NETWORK).await {
        Ok(Some(v)) => v,
        Ok(None) => return unresolved(format!("VNet {vnet_id} does not exist")),
        Err(e) => return unresolved(arm_reason("the console's VNet", &e)),
    };
    let name = subnet_id.rsplit('/').next().unwrap_or_default();
    let has_subnet = vnet
        .pointer("/properties/subnets")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter().any(|s| {
                s["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
        });
    if !has_subnet {
        return unresolved(format!("VNet {vnet_id} has no subnet {name}"));
    }
    let strings = |pointer: &str| -> Vec<String> {
        vnet.pointer(pointer)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let peerings = vnet
        .pointer("/properties/virtualNetworkPeerings")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|p| {
                    Some(Peering {
                        remote_vnet: p
                            .pointer("/properties/remoteVirtualNetwork/id")?
                            .as_str()?
                            .to_string(),
                        state: p.pointer("/properties/peeringState")?.as_str()?.to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Placement::Azure(AzureNetwork {
        detected,
        vm_id,
        subnet_id: subnet_id.to_string(),
        vnet_id: vnet["id"].as_str().unwrap_or(vnet_id).to_string(),
        address_space: strings("/properties/addressSpace/addressPrefixes"),
        dns_servers: strings("/properties/dhcpOptions/dnsServers"),
        peerings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn settings(args: &[&str]) -> ArmSettings {
        #[derive(clap::Parser)]
        struct Wrapper {
            #[command(flatten)]
            arm: ArmSettings,
        }
        let mut all = vec!["test"];
        all.extend_from_slice(args);
        Wrapper::parse_from(all).arm
    }

    #[test]
    fn the_real_metadata_service_is_asked_only_on_a_real_cloud_without_a_subnet() {
        assert_eq!(
            PlacementSource::from_settings(&settings(&[]))
                .imds
                .as_deref(),
            Some(AZURE_IMDS)
        );
        assert_eq!(
            PlacementSource::from_settings(&settings(&["--cloud", "china"]))
                .imds
                .as_deref(),
            Some(AZURE_IMDS)
        );
        let custom = PlacementSource::from_settings(&settings(&["--cloud", "custom"]));
        assert_eq!(custom.imds, None);
        // A public cloud at another ARM endpoint (a simulator, a proxy) is not Azure's network.
        let redirected = PlacementSource::from_settings(&settings(&[
            "--arm-endpoint",
            "https://127.0.0.1:8443",
        ]));
        assert_eq!(redirected.imds, None);
        let subnet = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/j";
        let given = PlacementSource::from_settings(&settings(&["--console-subnet", subnet]));
        assert_eq!(given.imds, None);
        assert_eq!(given.console_subnet.as_deref(), Some(subnet));
        let sim = PlacementSource::from_settings(&settings(&[
            "--cloud",
            "custom",
            "--imds-endpoint",
            "https://127.0.0.1:9",
        ]));
        assert_eq!(sim.imds.as_deref(), Some("https://127.0.0.1:9"));
    }

    #[test]
    fn a_vnet_is_the_subnet_id_up_to_its_subnets() {
        assert_eq!(
            vnet_of("/s/x/providers/Microsoft.Network/virtualNetworks/v/Subnets/j"),
            Some("/s/x/providers/Microsoft.Network/virtualNetworks/v")
        );
        assert_eq!(vnet_of("/s/x/virtualNetworks/v"), None);
    }
}
