//! How the console will reach the cluster's API server, decided before anything is created
//! (`cluster.access`): `direct` needs line of sight (the console in the cluster's VNet, or in a
//! VNet peered with it whose DNS resolves the cluster's private zone); `runCommand` needs none
//! (AKS Run Command over ARM); `peering` peers the console's VNet with the cluster's; `auto`
//! picks `direct` when it will work, else `runCommand`.
//!
//! The decision is pure ([`decide`]) over the facts preflight gathered ([`Target`], the
//! console's [`Placement`]); `reach_facts` gathers them with ARM reads only.

use crate::azure::placement::Placement;
use katonic_domain::spec::{Cidr, ClusterAccess};

/// The cluster's network as preflight sees it.
#[derive(Debug, Clone, Default)]
pub(super) struct Target {
    /// A private API server (every cluster the console creates is private).
    pub private: bool,
    /// The cluster's VNet; `None` when unknown (an existing cluster on an AKS-managed VNet).
    pub vnet_id: Option<String>,
    /// Whether that VNet exists already (a new VNet is created by the install).
    pub vnet_exists: bool,
    pub address_space: Vec<String>,
    /// The cluster's private DNS zone (`privatelink.<region>.azmk8s.io`) is linked to the
    /// console's VNet (only an existing cluster has its zone yet).
    pub zone_linked_to_console: bool,
    /// The region's private zone name, for messages.
    pub zone: String,
    /// `apiServerAccessProfile.disableRunCommand` of an existing cluster.
    pub run_command_disabled: bool,
}

/// One verdict line of the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Line {
    Pass(String),
    Warn(String, String),
    Fail(String, String),
}

/// The mode decided (never `Auto`), or `None` when the choice cannot work; with the lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Decision {
    pub mode: Option<ClusterAccess>,
    pub lines: Vec<Line>,
}

const DIRECT_FIX: &str = "Run the console on a VM in the cluster's VNet (the vendor guide's path: \
     cluster.network.existingVnet with the jumphost subnet), or set cluster.access to runCommand \
     (every cluster step through AKS Run Command over ARM: no line of sight needed) or peering \
     (the console peers its VNet with the cluster's and links the private DNS zone)";

/// Whether the console will reach the API server directly: `Ok(why)` or `Err(why not)`.
pub(super) fn direct(placement: &Placement, target: &Target) -> Result<String, String> {
    if !target.private {
        return Ok("the cluster's API server is public".into());
    }
    let network = match placement {
        Placement::Azure(n) => n,
        Placement::LineOfSight => return Ok(placement.describe()),
        other => {
            return Err(format!(
                "{}, and a private API server answers only inside its VNet or a peered VNet that resolves its private DNS zone",
                other.describe()
            ));
        }
    };
    let Some(cluster_vnet) = &target.vnet_id else {
        return Err("the cluster's VNet is not known (an AKS-managed VNet), so line of sight cannot be checked".into());
    };
    if network.vnet_id.eq_ignore_ascii_case(cluster_vnet) {
        return Ok(format!(
            "the console runs in the cluster's VNet {cluster_vnet}"
        ));
    }
    if !target.vnet_exists {
        return Err(format!(
            "the cluster's VNet {cluster_vnet} does not exist yet (the install creates it), so the console's VNet {} is neither it nor peered with it",
            network.vnet_id
        ));
    }
    if !network.connected_to(cluster_vnet) {
        return Err(format!(
            "the console's VNet {} is not peered (both ways, Connected) with the cluster's VNet {cluster_vnet}",
            network.vnet_id
        ));
    }
    if target.zone_linked_to_console {
        return Ok(format!(
            "the console's VNet is peered with the cluster's and the private DNS zone {} is linked to it",
            target.zone
        ));
    }
    if !network.dns_servers.is_empty() {
        return Ok(format!(
            "the console's VNet is peered with the cluster's and uses custom DNS servers ({}), which must forward {} to Azure DNS (168.63.129.16)",
            network.dns_servers.join(", "),
            target.zone
        ));
    }
    Err(format!(
        "the console's VNet is peered with the cluster's, but the private DNS zone {} is not linked to it (and it uses Azure DNS): the API server's name will not resolve",
        target.zone
    ))
}

/// Resolve `requested` against the facts.
pub(super) fn decide(requested: ClusterAccess, placement: &Placement, target: &Target) -> Decision {
    let decided = |mode, line| Decision {
        mode: Some(mode),
        lines: vec![line],
    };
    let refused = |detail: String, fix: &str| Decision {
        mode: None,
        lines: vec![Line::Fail(detail, fix.to_string())],
    };
    match requested {
        ClusterAccess::Direct => match direct(placement, target) {
            Ok(why) => decided(ClusterAccess::Direct, Line::Pass(format!("direct: {why}"))),
            Err(why) => refused(format!("direct access cannot work: {why}"), DIRECT_FIX),
        },
        ClusterAccess::RunCommand => run_command(target, "runCommand (asked for)".into()),
        ClusterAccess::Auto => match direct(placement, target) {
            Ok(why) => decided(
                ClusterAccess::Direct,
                Line::Pass(format!("auto chose direct: {why}")),
            ),
            Err(why) => run_command(
                target,
                format!("auto chose runCommand, as direct access cannot work: {why}"),
            ),
        },
        ClusterAccess::Peering => peering(placement, target),
    }
}

fn run_command(target: &Target, why: String) -> Decision {
    if target.run_command_disabled {
        return Decision {
            mode: None,
            lines: vec![Line::Fail(
                format!("{why}; but the cluster has Run Command disabled (apiServerAccessProfile.disableRunCommand)"),
                "Enable it (az aks update --enable-run-command), or run the console in the cluster's VNet".into(),
            )],
        };
    }
    Decision {
        mode: Some(ClusterAccess::RunCommand),
        lines: vec![Line::Pass(format!(
            "{why}; every cluster step goes through AKS Run Command over ARM"
        ))],
    }
}

/// Peering needs the console in an Azure VNet whose address space does not overlap the
/// cluster's; in the cluster's own VNet no peering is needed.
fn peering(placement: &Placement, target: &Target) -> Decision {
    let refused = |detail: String, fix: String| Decision {
        mode: None,
        lines: vec![Line::Fail(detail, fix)],
    };
    let Placement::Azure(network) = placement else {
        return refused(
            format!("peering needs the console in an Azure VNet: {}", placement.describe()),
            "Set cluster.access to runCommand, or run the console on an Azure VM (or give --console-subnet)".into(),
        );
    };
    let cluster_vnet = target.vnet_id.clone().unwrap_or_default();
    if network.vnet_id.eq_ignore_ascii_case(&cluster_vnet) {
        return Decision {
            mode: Some(ClusterAccess::Direct),
            lines: vec![Line::Warn(
                "peering: the console already runs in the cluster's VNet, so it is reached directly".into(),
                "Set cluster.access to direct (or auto)".into(),
            )],
        };
    }
    if let Some((a, b)) = overlap(&network.address_space, &target.address_space) {
        return refused(
            format!(
                "peering cannot work: the console's VNet ({a}) overlaps the cluster's VNet ({b}), and Azure refuses to peer overlapping address spaces"
            ),
            "Give the cluster a VNet range that does not overlap the console's (cluster.network.vnetCidr), or set cluster.access to runCommand".into(),
        );
    }
    Decision {
        mode: Some(ClusterAccess::Peering),
        lines: vec![Line::Pass(format!(
            "peering: the address spaces do not overlap; the install peers the console's VNet {} with the cluster's VNet {cluster_vnet} (both directions) and links the cluster's private DNS zone {} to the console's VNet",
            network.vnet_id, target.zone
        ))],
    }
}

/// The first pair of overlapping ranges (unparsable ones are skipped).
fn overlap(a: &[String], b: &[String]) -> Option<(String, String)> {
    a.iter().find_map(|x| {
        let cx = Cidr::parse(x).ok()?;
        b.iter()
            .find(|y| Cidr::parse(y).is_ok_and(|cy| cx.overlaps(&cy)))
            .map(|y| (x.clone(), y.clone()))
    })
}

#[cfg(test)]
#[path = "reach_tests.rs"]
mod tests;
