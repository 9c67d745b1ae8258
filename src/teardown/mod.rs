//! Teardown of what an install created: which resources, and whether each may be deleted.
//!
//! A resource is deleted only when the install's ledger (its steps' recorded outputs) or its
//! tags say it is this install's, and Azure still shows it tagged `katonic-install=<id>` (DNS
//! record sets carry the tags as metadata; role assignments cannot be tagged, so theirs is the
//! ledger's deterministic name). What the install only used (an existing VNet, an adopted
//! resource group, an existing cluster) is kept. Resources tagged with the install but missing
//! from its ledger (a crash between a PUT and its checkpoint) are leftovers: listed and deleted.
//!
//! Files: `ledger` (the resources an install's outputs name, pure), `preview` (the ledger
//! cross-checked with Azure, read by the worker for the pages). Starting a teardown run from an
//! approved preview is a use case (`app::teardown`).

mod ledger;
mod preview;

pub use ledger::{LedgerEntry, ledger};
pub use preview::{Preview, PreviewError, PreviewRequest, preview};
pub(crate) use preview::{foreign_reason, foreign_resources};

use crate::azure::api;
use crate::azure::resources::TAG_INSTALL;
use katonic_domain::plan::StepId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One resource of the preview (and of the approved list a teardown run deletes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// ARM type, e.g. `Microsoft.Network/virtualNetworks`.
    pub kind: String,
    pub name: String,
    pub id: String,
    pub in_ledger: bool,
    pub tagged: Tagged,
    pub action: Action,
    /// The teardown step that deletes it (when it is deleted on its own).
    pub step: Option<StepId>,
    /// Why it is kept, or how it goes.
    pub reason: String,
}

/// Whether Azure shows the resource tagged `katonic-install=<this install>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tagged {
    Yes,
    No,
    /// Role assignments have no tags.
    NotTaggable,
    /// Gone: nothing to read.
    Unknown,
}

impl Tagged {
    pub fn label(&self) -> &'static str {
        match self {
            Tagged::Yes => "yes",
            Tagged::No => "no",
            Tagged::NotTaggable => "n/a",
            Tagged::Unknown => "–",
        }
    }
}

/// What the teardown does with a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Delete,
    /// Goes with its parent (agent pools with their cluster).
    WithParent,
    KeepExisting,
    KeepNotOurs,
    /// Tagged with the install but of a type the console never creates: left for the admin.
    KeepUnknownType,
    /// In the ledger, no longer in Azure.
    Gone,
}

impl Action {
    pub fn label(&self) -> &'static str {
        match self {
            Action::Delete => "delete",
            Action::WithParent => "delete (with its parent)",
            Action::KeepExisting => "keep: existing",
            Action::KeepNotOurs => "keep: not ours",
            Action::KeepUnknownType => "keep: unknown type",
            Action::Gone => "gone",
        }
    }

    /// Deleted by this teardown (on its own or with its parent).
    pub fn deletes(&self) -> bool {
        matches!(self, Action::Delete | Action::WithParent)
    }
}

/// The resource families the console creates: the step that deletes each and its api-version.
pub(crate) fn family(kind: &str) -> Option<(Option<StepId>, &'static str)> {
    let step = |s| Some(Some(s));
    let (step, version) = match kind.to_ascii_lowercase().as_str() {
        "microsoft.network/dnszones/a" => (step(StepId::DeleteDns), api::DNS),
        "microsoft.network/privatednszones/a" => (step(StepId::DeleteDns), api::PRIVATE_DNS),
        "microsoft.containerservice/managedclusters" => {
            (step(StepId::DeleteCluster), api::CONTAINER_SERVICE)
        }
        "microsoft.containerservice/managedclusters/agentpools" => {
            (Some(None), api::CONTAINER_SERVICE)
        }
        "microsoft.authorization/roleassignments" => {
            (step(StepId::DeleteRoleAssignments), api::AUTHORIZATION)
        }
        "microsoft.network/publicipaddresses" => (step(StepId::DeleteIngressIp), api::NETWORK),
        "microsoft.network/applicationgateways"
        | "microsoft.network/applicationgatewaywebapplicationfirewallpolicies" => {
            (step(StepId::DeleteAppGateway), api::APPLICATION_GATEWAY)
        }
        "microsoft.containerregistry/registries" => {
            (step(StepId::DeleteRegistry), api::CONTAINER_REGISTRY)
        }
        "microsoft.storage/storageaccounts" => (step(StepId::DeleteStorage), api::STORAGE),
        "microsoft.managedidentity/userassignedidentities" => {
            (step(StepId::DeleteIdentity), api::MANAGED_IDENTITY)
        }
        "microsoft.network/virtualnetworks/virtualnetworkpeerings" => {
            (step(StepId::DeletePeering), api::NETWORK)
        }
        "microsoft.network/privatednszones/virtualnetworklinks" => {
            (step(StepId::DeletePeering), api::PRIVATE_DNS)
        }
        "microsoft.network/virtualnetworks"
        | "microsoft.network/networksecuritygroups"
        | "microsoft.network/natgateways" => (step(StepId::DeleteNetwork), api::NETWORK),
        "microsoft.resources/resourcegroups" => (step(StepId::DeleteResourceGroup), api::RESOURCES),
        _ => (None, ""),
    };
    step.map(|s| (s, version))
}

/// The type and name of an ARM resource id: `Microsoft.Resources/resourceGroups` for a group,
/// else the provider namespace with every type segment after the last `/providers/`.
pub fn kind_and_name(id: &str) -> (String, String) {
    let lower = id.to_ascii_lowercase();
    let Some(at) = lower.rfind("/providers/") else {
        let segs: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
        let name = segs.get(3).copied().unwrap_or_default().to_string();
        return ("Microsoft.Resources/resourceGroups".to_string(), name);
    };
    let segs: Vec<&str> = id[at + "/providers/".len()..]
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let Some((namespace, rest)) = segs.split_first() else {
        return (String::new(), String::new());
    };
    let types: Vec<&str> = rest.iter().step_by(2).copied().collect();
    let name = rest.chunks(2).last().and_then(|c| c.get(1)).copied();
    (
        format!("{namespace}/{}", types.join("/")),
        name.unwrap_or_default().to_string(),
    )
}

/// The install a resource body says it belongs to: its `katonic-install` tag (record sets: in
/// their metadata; agent pools: in their properties). Tag names are case-insensitive in ARM.
pub fn install_tag(body: &Value) -> Option<&str> {
    let tags = ["/tags", "/properties/metadata", "/properties/tags"]
        .iter()
        .find_map(|p| body.pointer(p).and_then(Value::as_object))?;
    tags.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(TAG_INSTALL))
        .and_then(|(_, v)| v.as_str())
}

/// What Azure showed for one resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed {
    Missing,
    /// Present, with its `katonic-install` tag (if any).
    Present {
        install_tag: Option<String>,
    },
}

/// Decide what happens to one resource. `entry` is its ledger entry (None for a resource found
/// only by its tags). Pure: the ownership rule in one place.
pub fn decide(install: &str, id: &str, entry: Option<&LedgerEntry>, observed: &Observed) -> Target {
    let (kind, name) = kind_and_name(id);
    let fam = family(&kind);
    // Role assignments and VNet peerings carry no tags: they are ours only through the ledger.
    let taggable = !kind.eq_ignore_ascii_case("Microsoft.Authorization/roleAssignments")
        && !kind.eq_ignore_ascii_case("Microsoft.Network/virtualNetworks/virtualNetworkPeerings");
    let tagged = match (observed, taggable) {
        (Observed::Missing, _) => Tagged::Unknown,
        (_, false) => Tagged::NotTaggable,
        (Observed::Present { install_tag }, true) => {
            if install_tag.as_deref() == Some(install) {
                Tagged::Yes
            } else {
                Tagged::No
            }
        }
    };
    let (action, reason) = match (observed, entry, tagged, fam) {
        (Observed::Missing, _, _, _) => (Action::Gone, "no longer in Azure".to_string()),
        (_, Some(e), _, _) if e.existing => (
            Action::KeepExisting,
            "existing: this install used it but did not create it".to_string(),
        ),
        (Observed::Present { install_tag }, _, Tagged::No, _) => (
            Action::KeepNotOurs,
            match install_tag {
                Some(other) => format!("not ours: tagged katonic-install={other}"),
                None => "not ours: no katonic-install tag".to_string(),
            },
        ),
        // An untaggable resource is this install's only through its ledger.
        (_, None, Tagged::NotTaggable, _) => (
            Action::KeepNotOurs,
            "not ours: not in the ledger and cannot be tagged".to_string(),
        ),
        (_, _, _, None) => (
            Action::KeepUnknownType,
            format!(
                "tagged with this install, but the console never creates a {kind}: delete it yourself if you no longer need it"
            ),
        ),
        (_, _, _, Some((None, _))) => (
            Action::WithParent,
            "goes with its parent resource".to_string(),
        ),
        (_, None, _, Some(_)) => (
            Action::Delete,
            "leftover: tagged with this install but missing from its ledger".to_string(),
        ),
        (_, Some(_), _, Some(_)) => (Action::Delete, String::new()),
    };
    let step = fam
        .and_then(|(s, _)| s)
        .map(|s| network_owned(s, &kind, &name))
        .filter(|_| action == Action::Delete);
    Target {
        kind,
        name,
        id: id.to_string(),
        in_ledger: entry.is_some(),
        tagged,
        action,
        step,
        reason,
    }
}

/// The jumphost NAT gateway's public IP (`pip-<cluster>-jumphost-nat`, a deterministic name)
/// goes with the network, after its gateway: Azure does not delete an address a NAT gateway
/// still holds, and the gateway goes only after the VNet let go of it.
fn network_owned(step: StepId, kind: &str, name: &str) -> StepId {
    let nat_ip = kind.eq_ignore_ascii_case("Microsoft.Network/publicIPAddresses")
        && name.ends_with("-jumphost-nat");
    if nat_ip { StepId::DeleteNetwork } else { step }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: &str = "0190a1b2-0000-7000-8000-000000000001";
    const SUB: &str = "/subscriptions/s/resourceGroups/rg-katonic-prod";

    fn present(tag: Option<&str>) -> Observed {
        Observed::Present {
            install_tag: tag.map(str::to_string),
        }
    }

    fn entry(id: &str, existing: bool) -> LedgerEntry {
        LedgerEntry {
            id: id.to_string(),
            existing,
        }
    }

    #[test]
    fn ids_give_their_type_and_name() {
        assert_eq!(
            kind_and_name(SUB),
            (
                "Microsoft.Resources/resourceGroups".into(),
                "rg-katonic-prod".into()
            )
        );
        assert_eq!(
            kind_and_name(&format!(
                "{SUB}/providers/Microsoft.ContainerService/managedClusters/k/agentPools/gpu"
            )),
            (
                "Microsoft.ContainerService/managedClusters/agentPools".into(),
                "gpu".into()
            )
        );
        assert_eq!(
            kind_and_name(&format!(
                "{SUB}/providers/Microsoft.Network/virtualNetworks/v/subnets/aks/providers/Microsoft.Authorization/roleAssignments/abc"
            )),
            (
                "Microsoft.Authorization/roleAssignments".into(),
                "abc".into()
            )
        );
        assert_eq!(
            kind_and_name(&format!(
                "{SUB}/providers/Microsoft.Network/privateDnsZones/example.com/A/dash"
            ))
            .0,
            "Microsoft.Network/privateDnsZones/A"
        );
    }

    #[test]
    fn only_what_is_tagged_with_this_install_is_deleted() {
        let id = format!("{SUB}/providers/Microsoft.Storage/storageAccounts/st1");
        let ours = decide(ME, &id, Some(&entry(&id, false)), &present(Some(ME)));
        assert_eq!(ours.action, Action::Delete);
        assert_eq!(ours.step, Some(StepId::DeleteStorage));
        assert_eq!(ours.tagged, Tagged::Yes);

        let other = decide(ME, &id, Some(&entry(&id, false)), &present(Some("someone")));
        assert_eq!(other.action, Action::KeepNotOurs);
        assert_eq!(other.step, None);
        assert!(other.reason.contains("someone"), "{}", other.reason);

        let untagged = decide(ME, &id, Some(&entry(&id, false)), &present(None));
        assert_eq!(untagged.action, Action::KeepNotOurs);
    }

    #[test]
    fn existing_resources_are_kept_even_when_tagged() {
        let id = format!("{SUB}/providers/Microsoft.Network/virtualNetworks/corp");
        let t = decide(ME, &id, Some(&entry(&id, true)), &present(Some(ME)));
        assert_eq!(t.action, Action::KeepExisting);
        assert_eq!(t.step, None);
    }

    #[test]
    fn leftovers_gone_pools_and_unknown_types() {
        let id = format!("{SUB}/providers/Microsoft.ContainerRegistry/registries/acr1");
        let leftover = decide(ME, &id, None, &present(Some(ME)));
        assert_eq!(leftover.action, Action::Delete);
        assert!(!leftover.in_ledger);
        assert!(leftover.reason.starts_with("leftover"));

        let gone = decide(ME, &id, Some(&entry(&id, false)), &Observed::Missing);
        assert_eq!(gone.action, Action::Gone);
        assert_eq!(gone.tagged, Tagged::Unknown);

        let pool = format!(
            "{SUB}/providers/Microsoft.ContainerService/managedClusters/k/agentPools/compute"
        );
        let p = decide(ME, &pool, Some(&entry(&pool, false)), &present(Some(ME)));
        assert_eq!(p.action, Action::WithParent);
        assert_eq!(p.step, None);

        let vm = format!("{SUB}/providers/Microsoft.Compute/virtualMachines/jump");
        let v = decide(ME, &vm, None, &present(Some(ME)));
        assert_eq!(v.action, Action::KeepUnknownType);
    }

    #[test]
    fn role_assignments_are_ours_only_through_the_ledger() {
        let ra = format!("{SUB}/providers/Microsoft.Authorization/roleAssignments/abc");
        let t = decide(ME, &ra, Some(&entry(&ra, false)), &present(None));
        assert_eq!(t.action, Action::Delete);
        assert_eq!(t.tagged, Tagged::NotTaggable);
        let stranger = decide(ME, &ra, None, &present(None));
        assert_eq!(stranger.action, Action::KeepNotOurs);
    }

    #[test]
    fn record_sets_carry_the_tag_in_their_metadata() {
        let body = serde_json::json!({"properties": {"metadata": {"Katonic-Install": ME}}});
        assert_eq!(install_tag(&body), Some(ME));
        let body = serde_json::json!({"tags": {"katonic-install": "x"}});
        assert_eq!(install_tag(&body), Some("x"));
        assert_eq!(install_tag(&serde_json::json!({})), None);
    }
}
