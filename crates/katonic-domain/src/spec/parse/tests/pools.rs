//! Parser tests: `cluster.nodePools` shapes, bounds, names and VM sizes.

use super::*;

#[test]
fn pool_scale_shapes() {
    let p = |f: fn(&mut NodePoolDoc)| with(move |d| f(pool_mut(d, "compute")));
    let spec = ok(&p(|p| {
        p.min = None;
        p.max = None;
        p.count = Some(Scalar::Text(" 3 ".into()));
    }));
    assert_eq!(spec.cluster.node_pools.compute.scale, NodeScale::Fixed(3));
    only(
        &p(|p| p.count = int(3)),
        "cluster.nodePools.compute.count",
        "pool.scale",
    );
    only(
        &p(|p| {
            p.min = None;
            p.max = None;
        }),
        "cluster.nodePools.compute.count",
        "required",
    );
    only(
        &p(|p| p.max = None),
        "cluster.nodePools.compute.max",
        "required",
    );
    only(
        &p(|p| p.min = None),
        "cluster.nodePools.compute.min",
        "required",
    );
    only(
        &p(|p| p.min = Some(Scalar::Float(1.5))),
        "cluster.nodePools.compute.min",
        "number.format",
    );
    only(
        &p(|p| p.min = int(-1)),
        "cluster.nodePools.compute.min",
        "number.format",
    );
}

#[test]
fn pool_bounds() {
    // Platform is the system pool: at least 2 nodes.
    let e = only(
        &with(|d| pool_mut(d, "platform").count = int(1)),
        "cluster.nodePools.platform.count",
        "pool.count",
    );
    assert!(e.message.contains("count 1"), "{}", e.message);
    only(
        &with(|d| {
            let p = pool_mut(d, "platform");
            p.count = None;
            p.min = int(1);
            p.max = int(3);
        }),
        "cluster.nodePools.platform.min",
        "pool.count",
    );
    // Compute may scale from zero but must be able to run a node.
    ok(&with(|d| pool_mut(d, "compute").min = int(0)));
    only(
        &with(|d| {
            let p = pool_mut(d, "compute");
            p.min = int(0);
            p.max = int(0);
        }),
        "cluster.nodePools.compute.max",
        "pool.count",
    );
    let e = only(
        &with(|d| pool_mut(d, "compute").min = int(5)),
        "cluster.nodePools.compute.max",
        "pool.min-max",
    );
    assert_eq!(e.message, "max 4 is below min 5 in the compute pool");
    only(
        &with(|d| pool_mut(d, "compute").max = int(1001)),
        "cluster.nodePools.compute.max",
        "pool.count",
    );
    // GPU may scale from zero; a fixed GPU pool of 0 is refused.
    only(
        &with(|d| {
            let p = pool_mut(d, "gpu");
            p.min = None;
            p.max = None;
            p.count = int(0);
        }),
        "cluster.nodePools.gpu.count",
        "pool.count",
    );
    // Surge.
    let spec = ok(&with(|d| pool_mut(d, "compute").max_surge = int(3)));
    assert_eq!(spec.cluster.node_pools.compute.max_surge, 3);
    only(
        &with(|d| pool_mut(d, "compute").max_surge = int(0)),
        "cluster.nodePools.compute.maxSurge",
        "pool.surge",
    );
    only(
        &with(|d| pool_mut(d, "compute").max_surge = int(101)),
        "cluster.nodePools.compute.maxSurge",
        "pool.surge",
    );
}

#[test]
fn pool_names_and_presence() {
    let spec = ok(&with(|d| pool_mut(d, "compute").name = s("work1")));
    assert_eq!(spec.cluster.node_pools.compute.name.as_str(), "work1");
    assert_eq!(spec.cluster.node_pools.compute.label().1, "compute");
    only(
        &with(|d| pool_mut(d, "compute").name = s("Work")),
        "cluster.nodePools.compute.name",
        "pool.name",
    );
    only(
        &with(|d| pool_mut(d, "gpu").name = s("gpupoolnumber1")),
        "cluster.nodePools.gpu.name",
        "pool.name",
    );
    let e = only(
        &with(|d| pool_mut(d, "gpu").name = s("compute")),
        "cluster.nodePools.gpu.name",
        "pool.name",
    );
    assert!(e.message.contains("compute pool"), "{}", e.message);
    only(
        &with(|d| d.cluster.node_pools.platform = None),
        "cluster.nodePools.platform",
        "required",
    );
    only(
        &with(|d| d.cluster.node_pools.compute = None),
        "cluster.nodePools.compute",
        "required",
    );
    let spec = ok(&with(|d| d.cluster.node_pools.gpu = None));
    assert!(spec.cluster.node_pools.gpu.is_none());
    assert_eq!(spec.cluster.node_pools.iter().count(), 2);
}

#[test]
fn vm_sizes() {
    let spec = ok(&with(|d| {
        pool_mut(d, "platform").vm_size = s("standard_ds3_v2")
    }));
    assert_eq!(
        spec.cluster.node_pools.platform.vm_size.as_str(),
        "Standard_DS3_v2"
    );
    ok(&with(|d| {
        pool_mut(d, "compute").vm_size = s("Standard_D8as_v6")
    }));
    let e = only(
        &with(|d| pool_mut(d, "compute").vm_size = s("D8s_v3")),
        "cluster.nodePools.compute.vmSize",
        "vm-size.format",
    );
    assert_eq!(e.fix, "write the full size name: `Standard_D8s_v3`");
    only(
        &with(|d| pool_mut(d, "compute").vm_size = None),
        "cluster.nodePools.compute.vmSize",
        "required",
    );
    let e = only(
        &with(|d| pool_mut(d, "gpu").vm_size = s("Standard_D8s_v3")),
        "cluster.nodePools.gpu.vmSize",
        "pool.gpu-size",
    );
    assert!(e.message.contains("`Standard_D8s_v3`"));
    ok(&with(|d| {
        pool_mut(d, "gpu").vm_size = s("Standard_NC24ads_A100_v4")
    }));
    only(
        &with(|d| pool_mut(d, "platform").vm_size = s("Standard_DS1_v2")),
        "cluster.nodePools.platform.vmSize",
        "pool.system-vm",
    );
}
