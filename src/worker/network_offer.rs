//! The wizard's network page (issue 14, item 3): where the console runs, its VNet's subnets when
//! it runs in one, and how the cluster would be reached with that VNet or with a new one. The
//! executor learns them through ARM (reads only); the web makes no Azure call itself.

use super::WorkerHandle;
use katonic_domain::spec::ClusterAccess;
use serde::Serialize;

/// What the network page asks.
#[derive(Debug, Clone)]
pub struct OfferRequest {
    /// The saved Azure settings (filled in by the worker handle).
    pub saved: Option<crate::azure::connection::SavedConnection>,
    /// The draft's subscription, when it is a subscription id (a rehearsal's simulator takes it
    /// as its own, as it does when a step runs).
    pub subscription: Option<String>,
    /// The draft's `cluster.access` (default `auto`).
    pub access: ClusterAccess,
    /// The VNet a new-VNet install would create (its ARM id, or a description when the draft
    /// cannot name it yet) and its address space (for the peering overlap check).
    pub new_vnet_id: String,
    pub new_vnet_space: Vec<String>,
}

/// A subnet of the console's VNet, as the page offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubnetOffer {
    pub name: String,
    /// Its address prefix (empty when Azure gives none, e.g. a multi-prefix subnet).
    pub prefix: String,
    pub status: SubnetStatus,
}

/// Whether a subnet can take the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SubnetStatus {
    /// The console's own subnet (the vendor guide's jumphost subnet).
    Console,
    /// Holds network interfaces, a delegation or a service link: not free for AKS.
    InUse,
    Free,
}

impl SubnetStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubnetStatus::Console => "console",
            SubnetStatus::InUse => "inUse",
            SubnetStatus::Free => "free",
        }
    }

    /// How the page says it.
    pub fn label(self) -> &'static str {
        match self {
            SubnetStatus::Console => "the console's own subnet",
            SubnetStatus::InUse => "in use",
            SubnetStatus::Free => "free",
        }
    }
}

/// The console's VNet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsoleVnet {
    pub id: String,
    pub resource_group: String,
    pub name: String,
    pub address_space: Vec<String>,
    pub subnets: Vec<SubnetOffer>,
    /// The console's own subnet's name.
    pub console_subnet: String,
}

impl ConsoleVnet {
    pub fn subnet(&self, name: &str) -> Option<&SubnetOffer> {
        self.subnets
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }

    /// The subnet the page proposes for AKS: the first free one.
    pub fn proposed_aks(&self) -> Option<&SubnetOffer> {
        self.subnets.iter().find(|s| s.status == SubnetStatus::Free)
    }

    /// The subnet the page proposes for the Application Gateway: a free one besides `aks` with
    /// room for `max_capacity` instances; `None`: no gateway (none fits).
    pub fn proposed_gateway(&self, aks: &str, max_capacity: u32) -> Option<&SubnetOffer> {
        let needs = katonic_domain::spec::gateway_subnet_needs(max_capacity);
        self.subnets.iter().find(|s| {
            s.status == SubnetStatus::Free
                && !s.name.eq_ignore_ascii_case(aks)
                && katonic_domain::spec::Cidr::parse(&s.prefix).is_ok_and(|c| c.size() >= needs)
        })
    }
}

/// How the cluster would be reached, as preflight's decision says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReachNote {
    /// `direct`, `runCommand` or `peering`; `None`: preflight would refuse the choice.
    pub mode: Option<String>,
    pub text: String,
}

/// The whole answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkOffer {
    /// Where the console runs, in one line.
    pub placement: String,
    /// The console's VNet when it runs in one (and it could be read).
    pub console_vnet: Option<ConsoleVnet>,
    /// Installing into the console's VNet.
    pub reach_console_vnet: Option<ReachNote>,
    /// Installing into a new VNet; `None` when not known (no Azure connection).
    pub reach_new_vnet: Option<ReachNote>,
}

impl NetworkOffer {
    /// Nothing could be learned (why in one line).
    pub fn unknown(why: impl Into<String>) -> Self {
        NetworkOffer {
            placement: why.into(),
            console_vnet: None,
            reach_console_vnet: None,
            reach_new_vnet: None,
        }
    }
}

/// Reading a VNet takes a second or two; a page must not hang on a silent network.
const LIMIT: std::time::Duration = std::time::Duration::from_secs(15);

impl WorkerHandle {
    /// The network page's offer, with the saved Azure settings as they are now.
    pub async fn network_offer(&self, mut request: OfferRequest) -> NetworkOffer {
        request.saved = match self.inner.store.azure_connection().await {
            Ok(saved) => saved,
            Err(e) => {
                return NetworkOffer::unknown(format!(
                    "where the console runs is not known: the saved Azure settings could not be read ({e})"
                ));
            }
        };
        match tokio::time::timeout(LIMIT, self.inner.executor.network_offer(request)).await {
            Ok(offer) => offer,
            Err(_) => NetworkOffer::unknown(format!(
                "where the console runs is not known: Azure did not answer within {} s",
                LIMIT.as_secs()
            )),
        }
    }
}
