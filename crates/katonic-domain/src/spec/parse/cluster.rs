//! `cluster`: mode, name, Kubernetes version, tier and zones (network and pools have their own files).

use super::super::text::{closest, show};
use super::super::{
    ClusterAccess, ClusterDoc, ClusterMode, ClusterName, ClusterTier, Invalid, KubernetesVersion,
    NodePools, Region, Scalar, Zone, Zones, catalog,
};
use super::ctx::{Ctx, scalar};
use super::network::{self, NetworkParts};
use super::pools;

const ZONES: &str = "cluster.zones";
const VERSION: &str = "cluster.kubernetesVersion";

pub(super) struct ClusterParts {
    pub mode: Option<ClusterMode>,
    pub name: Option<ClusterName>,
    pub kubernetes_version: Option<Option<KubernetesVersion>>,
    pub tier: Option<ClusterTier>,
    pub access: Option<ClusterAccess>,
    pub zones: Option<Zones>,
    pub network: NetworkParts,
    pub pools: Option<NodePools>,
}

pub(super) fn parse(cx: &mut Ctx, doc: &ClusterDoc, region: Option<&Region>) -> ClusterParts {
    let mode = cx
        .optional("cluster.mode", doc.mode.as_ref(), ClusterMode::parse)
        .map(|m| m.unwrap_or(ClusterMode::Create));
    let name = cx.required(
        "cluster.name",
        doc.name.as_ref(),
        ClusterName::parse,
        "give the AKS cluster's name, e.g. `katonic-aks`",
    );
    let kubernetes_version = version(cx, doc.kubernetes_version.as_ref());
    let tier = cx
        .optional("cluster.tier", doc.tier.as_ref(), ClusterTier::parse)
        .map(|t| t.unwrap_or(ClusterTier::Standard));
    let access = cx
        .optional("cluster.access", doc.access.as_ref(), ClusterAccess::parse)
        .map(Option::unwrap_or_default);
    let zones = zones(cx, doc.zones.as_deref(), region);
    let network = network::parse(cx, &doc.network);
    let pools = pools::parse(cx, &doc.node_pools);
    ClusterParts {
        mode,
        name,
        kubernetes_version,
        tier,
        access,
        zones,
        network,
        pools,
    }
}

/// `Some(None)`: absent (newest supported, chosen at preflight).
fn version(cx: &mut Ctx, value: Option<&Scalar>) -> Option<Option<KubernetesVersion>> {
    let refused = |value: &Scalar, why: &str, quoted: String| {
        Invalid::new(
            "k8s.format",
            format!("kubernetesVersion {} {why}", show(&value.as_text())),
            format!("quote it: `kubernetesVersion: \"{quoted}\"`"),
        )
    };
    match scalar(value) {
        None => Some(None),
        Some(Scalar::Text(t)) => cx
            .check(VERSION, KubernetesVersion::parse(t.trim()))
            .map(Some),
        Some(v @ Scalar::Float(f)) => {
            // YAML reads unquoted `1.30` as the number 1.3: give the trailing zero back.
            let text = f.to_string();
            let quoted = match text.split_once('.') {
                Some((_, minor)) if minor.len() == 1 => format!("{text}0"),
                _ => text,
            };
            cx.fail(
                VERSION,
                refused(
                    v,
                    "is a number: YAML reads unquoted versions as numbers (`1.30` becomes 1.3)",
                    quoted,
                ),
            );
            None
        }
        Some(v) => {
            cx.fail(
                VERSION,
                refused(v, "is not a `major.minor` version", "1.30".to_string()),
            );
            None
        }
    }
}

fn zones(cx: &mut Ctx, value: Option<&[Scalar]>, region: Option<&Region>) -> Option<Zones> {
    let zones = match value {
        None => Some(Zones::default()),
        Some(list) => {
            let parsed: Vec<Option<Zone>> = list
                .iter()
                .map(|z| {
                    let zone = match z {
                        Scalar::Int(i) => Zone::parse(&i.to_string()),
                        Scalar::Text(t) => Zone::parse(t.trim()),
                        other => Err(Invalid::new(
                            "zones.value",
                            format!("{} is not an availability zone", show(&other.as_text())),
                            "use zones `1`, `2` and `3`, e.g. `[\"1\", \"2\"]`",
                        )),
                    };
                    cx.check(ZONES, zone)
                })
                .collect();
            let parsed: Option<Vec<Zone>> = parsed.into_iter().collect();
            parsed.and_then(|p| cx.check(ZONES, Zones::new(p)))
        }
    };
    let region = region?;
    let available = region.zone_count();
    if available == 0 {
        let zonal = catalog::regions()
            .iter()
            .filter(|r| r.zones > 0)
            .map(|r| r.name.as_str());
        let near: Vec<String> = closest(region.as_str(), zonal, usize::MAX, 3)
            .into_iter()
            .map(|n| format!("`{n}`"))
            .collect();
        cx.fail(
            ZONES,
            Invalid::new(
                "region.no-zones",
                format!("the region `{region}` has no availability zones; the platform spreads its nodes over at least 2"),
                format!("choose a region with zones, e.g. {}", near.join(", ")),
            ),
        );
        return None;
    }
    let zones = zones?;
    if let Some(z) = zones.as_slice().iter().find(|z| z.number() > available) {
        cx.fail(
            ZONES,
            Invalid::new(
                "zones.unavailable",
                format!("zone {z} does not exist in `{region}`, which has {available}"),
                format!("use zones 1 to {available}"),
            ),
        );
        return None;
    }
    Some(zones)
}
