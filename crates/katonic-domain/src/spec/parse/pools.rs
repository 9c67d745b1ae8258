//! `cluster.nodePools`: the platform (system), compute and optional GPU pools.

use super::super::text::show;
use super::super::{
    Invalid, NodePool, NodePoolDoc, NodePools, NodePoolsDoc, NodeScale, PoolName, PoolRole, Scalar,
    VmSize,
};
use super::ctx::{Ctx, scalar, text, whole};

/// AKS's limit on nodes in one pool.
pub const MAX_NODES_PER_POOL: u32 = 1000;
/// Upgrade surge nodes allowed per pool.
pub const MAX_SURGE_RANGE: std::ops::RangeInclusive<u32> = 1..=100;
/// AKS system pools need at least this much per node.
const SYSTEM_MIN_VCPUS: u32 = 2;
const SYSTEM_MIN_MEMORY_GIB: f64 = 4.0;

pub(super) fn parse(cx: &mut Ctx, doc: &NodePoolsDoc) -> Option<NodePools> {
    let mut names: Vec<(PoolRole, PoolName)> = Vec::new();
    let platform = required_pool(cx, PoolRole::Platform, doc.platform.as_ref(), &mut names);
    let compute = required_pool(cx, PoolRole::Compute, doc.compute.as_ref(), &mut names);
    let gpu = match &doc.gpu {
        None => Some(None),
        Some(d) => pool(cx, PoolRole::Gpu, d, &mut names).map(Some),
    };
    Some(NodePools {
        platform: platform?,
        compute: compute?,
        gpu: gpu?,
    })
}

fn required_pool(
    cx: &mut Ctx,
    role: PoolRole,
    doc: Option<&NodePoolDoc>,
    names: &mut Vec<(PoolRole, PoolName)>,
) -> Option<NodePool> {
    match doc {
        Some(d) => pool(cx, role, d, names),
        None => {
            let example = match role {
                PoolRole::Platform => "{ vmSize: Standard_DS3_v2, count: 2 }",
                _ => "{ vmSize: Standard_D8s_v3, min: 1, max: 4 }",
            };
            cx.fail(
                &format!("cluster.nodePools.{}", role.as_str()),
                Invalid::new(
                    "required",
                    format!("the {} pool is missing", role.as_str()),
                    format!("add `{}: {example}`", role.as_str()),
                ),
            );
            None
        }
    }
}

fn pool(
    cx: &mut Ctx,
    role: PoolRole,
    doc: &NodePoolDoc,
    names: &mut Vec<(PoolRole, PoolName)>,
) -> Option<NodePool> {
    let base = format!("cluster.nodePools.{}", role.as_str());
    let field = |f: &str| format!("{base}.{f}");

    let name = match text(doc.name.as_ref()) {
        Some(n) => cx.check(&field("name"), PoolName::parse(n)),
        // The role names are valid pool names; parsing keeps the newtype's only door.
        None => cx.check(&field("name"), PoolName::parse(role.as_str())),
    };
    if let Some(n) = &name {
        if let Some((other, _)) = names.iter().find(|(_, taken)| taken == n) {
            cx.fail(
                &field("name"),
                Invalid::new(
                    "pool.name",
                    format!(
                        "the pool name {} is already used by the {} pool",
                        show(n.as_str()),
                        other.as_str()
                    ),
                    format!("give each pool its own name, e.g. `{}`", role.as_str()),
                ),
            );
        }
        names.push((role, n.clone()));
    }

    let example = match role {
        PoolRole::Platform => "Standard_DS3_v2",
        PoolRole::Compute => "Standard_D8s_v3",
        PoolRole::Gpu => "Standard_NC4as_T4_v3",
    };
    let vm_size = cx.required(
        &field("vmSize"),
        doc.vm_size.as_ref(),
        VmSize::parse,
        &format!("give the pool's VM size, e.g. `{example}`"),
    );
    if let Some(size) = &vm_size {
        size_checks(cx, role, size, &field("vmSize"));
    }

    let scale = scale(cx, role, doc, &field);
    let max_surge = match scalar(doc.max_surge.as_ref()) {
        None => Some(1),
        Some(v) => cx.check(
            &field("maxSurge"),
            whole(v).and_then(|n| {
                if MAX_SURGE_RANGE.contains(&n) {
                    Ok(n)
                } else {
                    Err(Invalid::new(
                        "pool.surge",
                        format!("maxSurge {n} is outside 1-100"),
                        "use 1 (one extra node during upgrades) up to 100",
                    ))
                }
            }),
        ),
    };
    Some(NodePool {
        role,
        name: name?,
        vm_size: vm_size?,
        scale: scale?,
        max_surge: max_surge?,
    })
}

fn size_checks(cx: &mut Ctx, role: PoolRole, size: &VmSize, field: &str) {
    let info = size.info();
    match role {
        PoolRole::Gpu => {
            let has_gpu = size.is_gpu_family() && info.is_none_or(|i| i.gpus > 0);
            if !has_gpu {
                cx.fail(
                    field,
                    Invalid::new(
                        "pool.gpu-size",
                        format!("{} is not a GPU size (N-series)", show(size.as_str())),
                        "use an N-series size such as `Standard_NC4as_T4_v3` or `Standard_NC24ads_A100_v4`",
                    ),
                );
            }
        }
        PoolRole::Platform => {
            if let Some(i) = info
                && (i.vcpus < SYSTEM_MIN_VCPUS || i.memory_gib < SYSTEM_MIN_MEMORY_GIB)
            {
                cx.fail(
                    field,
                    Invalid::new(
                        "pool.system-vm",
                        format!(
                            "{} has {} vCPU and {} GiB; AKS system pools need at least 2 vCPUs and 4 GiB",
                            show(size.as_str()),
                            i.vcpus,
                            i.memory_gib
                        ),
                        "use e.g. `Standard_DS3_v2` or `Standard_D4s_v5`",
                    ),
                );
            }
        }
        PoolRole::Compute => {}
    }
}

/// `count` (fixed) or `min` and `max` (autoscaling), with the role's lower bounds.
fn scale(
    cx: &mut Ctx,
    role: PoolRole,
    doc: &NodePoolDoc,
    field: &dyn Fn(&str) -> String,
) -> Option<NodeScale> {
    let count = scalar(doc.count.as_ref());
    let min = scalar(doc.min.as_ref());
    let max = scalar(doc.max.as_ref());
    let role_name = role.as_str();
    match (count, min, max) {
        (Some(c), None, None) => fixed_scale(cx, role, c, &field("count")),
        (None, Some(lo), Some(hi)) => auto_scale(cx, role, lo, hi, field),
        (Some(_), _, _) => {
            cx.fail(
                &field("count"),
                Invalid::new(
                    "pool.scale",
                    format!("the {role_name} pool gives both count and min/max"),
                    "give either `count` (fixed size) or `min` and `max` (autoscaling), not both",
                ),
            );
            None
        }
        (None, None, None) => {
            cx.fail(
                &field("count"),
                Invalid::new(
                    "required",
                    format!("the {role_name} pool has no size"),
                    "give `count` (fixed size) or `min` and `max` (autoscaling)",
                ),
            );
            None
        }
        (None, lo, _) => {
            let missing = if lo.is_some() { "max" } else { "min" };
            cx.fail(
                &field(missing),
                Invalid::new(
                    "required",
                    format!("the {role_name} pool gives one autoscaling bound without `{missing}`"),
                    "give both `min` and `max`, or a fixed `count`",
                ),
            );
            None
        }
    }
}

/// A fixed `count`: at least the role's floor, at most AKS's per-pool limit.
fn fixed_scale(cx: &mut Ctx, role: PoolRole, count: &Scalar, field: &str) -> Option<NodeScale> {
    let n = cx.check(field, whole(count))?;
    let floor = match role {
        PoolRole::Platform => 2,
        PoolRole::Compute | PoolRole::Gpu => 1,
    };
    if n < floor {
        let (why, fix) = match role {
            PoolRole::Platform => (
                "the platform pool is AKS's system pool and needs at least 2 nodes",
                "use `count: 2` or more (3 for high availability)".to_string(),
            ),
            PoolRole::Gpu => (
                "a fixed-size GPU pool needs at least 1 node",
                "use `count: 1` or more, autoscale with `min: 0`, or remove the gpu pool"
                    .to_string(),
            ),
            PoolRole::Compute => (
                "the compute pool needs at least 1 node",
                "use `count: 1` or more".to_string(),
            ),
        };
        cx.fail(
            field,
            Invalid::new("pool.count", format!("count {n}: {why}"), fix),
        );
        return None;
    }
    if n > MAX_NODES_PER_POOL {
        cx.fail(field, too_many("count", n));
        return None;
    }
    Some(NodeScale::Fixed(n))
}

/// Autoscaling bounds: `min` at least the role's floor, `max` from 1 to AKS's per-pool limit
/// and not below `min`. Every problem is reported, not just the first.
fn auto_scale(
    cx: &mut Ctx,
    role: PoolRole,
    lo: &Scalar,
    hi: &Scalar,
    field: &dyn Fn(&str) -> String,
) -> Option<NodeScale> {
    let role_name = role.as_str();
    let min_floor = match role {
        PoolRole::Platform => 2,
        PoolRole::Compute | PoolRole::Gpu => 0,
    };
    let lo = cx.check(&field("min"), whole(lo));
    let hi = cx.check(&field("max"), whole(hi));
    let mut ok = true;
    if let Some(lo) = lo
        && lo < min_floor
    {
        cx.fail(
            &field("min"),
            Invalid::new(
                "pool.count",
                format!(
                    "min {lo}: the platform pool is AKS's system pool and needs at least 2 nodes"
                ),
                "use `min: 2` or more",
            ),
        );
        ok = false;
    }
    if let Some(hi) = hi {
        if hi < 1 {
            cx.fail(
                &field("max"),
                Invalid::new(
                    "pool.count",
                    format!("max {hi}: the {role_name} pool could never run a node"),
                    "use `max: 1` or more",
                ),
            );
            ok = false;
        } else if hi > MAX_NODES_PER_POOL {
            cx.fail(&field("max"), too_many("max", hi));
            ok = false;
        }
    }
    if let (Some(lo), Some(hi)) = (lo, hi)
        && lo > hi
    {
        cx.fail(
            &field("max"),
            Invalid::new(
                "pool.min-max",
                format!("max {hi} is below min {lo} in the {role_name} pool"),
                format!("raise max to at least {lo}, or lower min"),
            ),
        );
        ok = false;
    }
    match (lo, hi) {
        (Some(min), Some(max)) if ok => Some(NodeScale::Auto { min, max }),
        _ => None,
    }
}

fn too_many(what: &str, n: u32) -> Invalid {
    Invalid::new(
        "pool.count",
        format!("{what} {n} is more than the {MAX_NODES_PER_POOL} nodes AKS allows per pool"),
        format!("use at most {MAX_NODES_PER_POOL}"),
    )
}
