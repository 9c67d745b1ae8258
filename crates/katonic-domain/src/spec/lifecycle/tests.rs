//! Tests of the lifecycle warnings.

use super::super::testutil::sample_doc;
use super::super::*;
use super::newest_supported;
use proptest::prelude::*;
use time::Date;
use time::macros::date;

fn spec(change: impl FnOnce(&mut InstallDocument)) -> InstallSpec {
    let mut d = sample_doc();
    change(&mut d);
    InstallSpec::parse(&d).unwrap_or_else(|e| panic!("{:#?}", e.errors))
}

fn codes(s: &InstallSpec, today: Date) -> Vec<(String, String)> {
    s.warnings(today)
        .into_iter()
        .map(|w| (w.field, w.code))
        .collect()
}

fn find(s: &InstallSpec, today: Date, code: &str) -> Option<Warning> {
    s.warnings(today).into_iter().find(|w| w.code == code)
}

fn version(v: &str) -> impl FnOnce(&mut InstallDocument) {
    let v = v.to_string();
    move |d| d.cluster.kubernetes_version = Some(Scalar::Text(v))
}

#[test]
fn the_sample_on_the_catalogue_date() {
    let s = spec(|_| {});
    let got = codes(&s, date!(2026 - 11 - 25));
    let got: Vec<(&str, &str)> = got.iter().map(|(f, c)| (f.as_str(), c.as_str())).collect();
    assert_eq!(
        got,
        [
            ("cluster.kubernetesVersion", "k8s.unsupported"),
            ("cluster.network.outboundType", "network.egress-ip"),
            ("cluster.nodePools.platform.count", "pool.system-size"),
            ("addons.superset", "addon.version"),
            ("addons.airbyte", "addon.version"),
        ]
    );
    let w = find(&s, date!(2026 - 11 - 25), "k8s.unsupported").unwrap();
    assert!(w.message.contains("1.30"), "{}", w.message);
    assert!(w.suggestion.contains("\"1.37\""), "{}", w.suggestion);
    let w = find(&s, date!(2026 - 11 - 25), "addon.version").unwrap();
    assert!(w.message.contains("Superset 2.0.1"), "{}", w.message);
    let w = s.warnings(date!(2026 - 11 - 25)).pop().unwrap();
    assert!(w.message.contains("Airbyte 0.40.32"), "{}", w.message);
}

#[test]
fn newest_supported_minor() {
    assert_eq!(
        newest_supported(date!(2026 - 11 - 25)).map(|r| r.minor.as_str()),
        Some("1.37")
    );
    assert_eq!(
        newest_supported(date!(2025 - 01 - 01)).map(|r| r.minor.as_str()),
        Some("1.31")
    );
    assert!(newest_supported(date!(2040 - 01 - 01)).is_none());
}

#[test]
fn retired_and_retiring_vm_sizes() {
    let today = date!(2026 - 11 - 25);
    let nc6 = spec(|d| {
        if let Some(g) = d.cluster.node_pools.gpu.as_mut() {
            g.vm_size = Some("Standard_NC6s_v3".into());
        }
    });
    let w = find(&nc6, today, "vm-size.retired").unwrap();
    assert_eq!(w.field, "cluster.nodePools.gpu.vmSize");
    assert_eq!(w.message, "`Standard_NC6s_v3` was retired on 2025-09-30");
    assert!(
        w.suggestion.contains("Standard_NC4as_T4_v3"),
        "{}",
        w.suggestion
    );
    assert!(
        w.suggestion.contains("standardNCASv3_T4Family"),
        "{}",
        w.suggestion
    );
    // DS3_v2 retires 2028-05-01: nothing 18 months ahead, a warning within 12 months.
    let s = spec(|_| {});
    assert!(find(&s, today, "vm-size.retired").is_none());
    let w = find(&s, date!(2027 - 06 - 01), "vm-size.retired").unwrap();
    assert_eq!(w.field, "cluster.nodePools.platform.vmSize");
    assert_eq!(w.message, "`Standard_DS3_v2` retires on 2028-05-01");
    assert!(w.suggestion.contains("Standard_D4s_v5"), "{}", w.suggestion);
}

#[test]
fn unknown_vm_size() {
    let s = spec(|d| {
        if let Some(p) = d.cluster.node_pools.compute.as_mut() {
            p.vm_size = Some("Standard_D8as_v6".into());
        }
    });
    let w = find(&s, date!(2026 - 11 - 25), "vm-size.unknown").unwrap();
    assert_eq!(w.field, "cluster.nodePools.compute.vmSize");
    assert!(w.message.contains("`Standard_D8as_v6`"));
    assert!(w.suggestion.contains("az vm list-skus"));
}

#[test]
fn kubernetes_support_windows() {
    let jan26 = date!(2026 - 01 - 01);
    // 1.31 left community support 2025-11-30; LTS until 2026-11-30 needs premium.
    let s = spec(version("1.31"));
    let w = find(&s, jan26, "k8s.unsupported").unwrap();
    assert!(w.message.contains("tier: premium"), "{}", w.message);
    assert!(w.suggestion.contains("tier: premium"), "{}", w.suggestion);
    let premium = spec(|d| {
        version("1.31")(d);
        d.cluster.tier = Some("premium".into());
    });
    assert!(find(&premium, jan26, "k8s.unsupported").is_none());
    // Past LTS too: premium does not help.
    let w = find(&premium, date!(2027 - 01 - 01), "k8s.unsupported").unwrap();
    assert!(w.message.contains("past AKS support"), "{}", w.message);
    // In community support: no warning.
    assert!(find(&spec(version("1.34")), jan26, "k8s.unsupported").is_none());
    assert!(find(&spec(version("1.34.2")), jan26, "k8s.preview").is_none());
    // Not yet GA on AKS.
    let w = find(&spec(version("1.36")), jan26, "k8s.preview").unwrap();
    assert!(w.message.contains("1.36"));
    // Unknown future minor.
    let w = find(&spec(version("1.40")), jan26, "k8s.unknown").unwrap();
    assert_eq!(w.field, "cluster.kubernetesVersion");
    assert!(w.suggestion.contains("\"1.34\""), "{}", w.suggestion);
    // Left out: resolved at preflight, nothing to say.
    let s = spec(|d| d.cluster.kubernetes_version = None);
    assert!(
        s.warnings(jan26)
            .iter()
            .all(|w| !w.code.starts_with("k8s."))
    );
}

#[test]
fn network_advice() {
    let today = date!(2026 - 11 - 25);
    let w = find(
        &spec(|d| d.cluster.network.plugin = Some("kubenet".into())),
        today,
        "network.kubenet",
    )
    .unwrap();
    assert_eq!(w.field, "cluster.network.plugin");
    assert!(w.message.contains("2028-03-31"));
    assert!(find(&spec(|_| {}), today, "network.kubenet").is_none());
    let udr = spec(|d| d.cluster.network.outbound_type = Some("userDefinedRouting".into()));
    assert!(find(&udr, today, "network.egress-ip").is_none());
}

#[test]
fn system_pool_size_and_addons() {
    let today = date!(2026 - 11 - 25);
    let three = spec(|d| {
        if let Some(p) = d.cluster.node_pools.platform.as_mut() {
            p.count = Some(Scalar::Int(3));
        }
        d.addons = AddonsDoc::default();
    });
    assert!(find(&three, today, "pool.system-size").is_none());
    assert!(find(&three, today, "addon.version").is_none());
    let auto = spec(|d| {
        if let Some(p) = d.cluster.node_pools.platform.as_mut() {
            p.count = None;
            p.min = Some(Scalar::Int(2));
            p.max = Some(Scalar::Int(5));
        }
    });
    let w = find(&auto, today, "pool.system-size").unwrap();
    assert_eq!(w.field, "cluster.nodePools.platform.min");
}

proptest! {
    #[test]
    fn warnings_never_panic_and_stay_in_order(
        day in Date::MIN.to_julian_day()..=Date::MAX.to_julian_day(),
        minor in 29u32..60,
        tier in proptest::sample::select(vec!["free", "standard", "premium"]),
    ) {
        let today = Date::from_julian_day(day).unwrap();
        let s = spec(|d| {
            version(&format!("1.{minor}"))(d);
            d.cluster.tier = Some(tier.to_string());
        });
        let ws = s.warnings(today);
        prop_assert!(ws.iter().all(|w| !w.message.is_empty() && !w.suggestion.is_empty()));
        let positions: Vec<usize> = ws.iter().map(|w| super::super::parse::position_of(&w.field)).collect();
        prop_assert!(positions.windows(2).all(|p| p[0] <= p[1]));
    }
}
