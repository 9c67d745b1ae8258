//! Names and identifiers against Azure's rules: examples and properties.

use super::*;
use proptest::prelude::*;

#[test]
fn install_name() {
    assert_eq!(InstallName::parse("prod").unwrap().as_str(), "prod");
    assert!(InstallName::parse("katonic-prod-2").is_ok());
    assert!(InstallName::parse(&"a".repeat(32)).is_ok());
    for bad in [
        "Prod",
        "2prod",
        "prod-",
        "-prod",
        "pr od",
        "pröd",
        &"a".repeat(33),
    ] {
        assert_eq!(
            InstallName::parse(bad).unwrap_err().rule,
            "name.format",
            "{bad}"
        );
    }
    assert_eq!(InstallName::parse("").unwrap_err().rule, "required");
    assert!(
        InstallName::parse("My_Prod")
            .unwrap_err()
            .fix
            .contains("`myprod`")
    );
}

#[test]
fn guid() {
    let g = Guid::parse("0F8FAD5B-D9CB-469F-A165-70867728950E").unwrap();
    assert_eq!(g.as_str(), "0f8fad5b-d9cb-469f-a165-70867728950e");
    assert_eq!(
        Guid::parse("{0f8fad5b-d9cb-469f-a165-70867728950e}").unwrap(),
        g
    );
    for bad in [
        "0f8fad5b-d9cb-469f-a165-70867728950",
        "0f8fad5bd9cb469fa16570867728950e",
        "0f8fad5b-d9cb-469f-a165-70867728950g",
        "0f8fad5b-d9cb-469f-a165_70867728950e",
        "{0f8fad5b-d9cb-469f-a165-70867728950e",
        "<guid>",
    ] {
        let e = Guid::parse(bad).unwrap_err();
        assert_eq!(e.rule, "guid.format", "{bad}");
        assert!(e.message.contains(bad), "{}", e.message);
    }
    assert_eq!(
        Guid::parse("00000000-0000-0000-0000-000000000000")
            .unwrap_err()
            .rule,
        "guid.nil"
    );
}

#[test]
fn region() {
    assert_eq!(Region::parse("eastus").unwrap().as_str(), "eastus");
    assert_eq!(Region::parse("East US").unwrap().as_str(), "eastus");
    assert_eq!(Region::parse("East US 2").unwrap().as_str(), "eastus2");
    assert_eq!(Region::parse("WestEurope").unwrap().as_str(), "westeurope");
    assert_eq!(Region::parse("eastus").unwrap().zone_count(), 3);
    assert_eq!(Region::parse("westus").unwrap().zone_count(), 0);
    let e = Region::parse("eastus5").unwrap_err();
    assert_eq!(e.rule, "region.unknown");
    assert!(e.message.contains("`eastus5`"));
    assert!(e.fix.starts_with("did you mean `eastus"), "{}", e.fix);
    assert!(
        e.fix.matches('`').count() <= 6,
        "at most 3 suggestions: {}",
        e.fix
    );
    let e = Region::parse("mars-olympus-mons").unwrap_err();
    assert!(e.fix.contains("az account list-locations"), "{}", e.fix);
    assert_eq!(Region::parse("  ").unwrap_err().rule, "required");
}

#[test]
fn resource_group() {
    assert!(ResourceGroupName::parse("rg-katonic_prod.(1)").is_ok());
    assert!(ResourceGroupName::parse(&"r".repeat(90)).is_ok());
    for bad in ["rg.", "rg katonic", "rg/katonic", &"r".repeat(91)] {
        assert_eq!(
            ResourceGroupName::parse(bad).unwrap_err().rule,
            "resource-group.name"
        );
    }
}

#[test]
fn cluster_name() {
    assert!(ClusterName::parse("katonic-prod").is_ok());
    assert!(ClusterName::parse("Katonic_AKS1").is_ok());
    assert!(ClusterName::parse(&"a".repeat(63)).is_ok());
    for bad in [
        "-aks",
        "aks-",
        "_aks",
        "aks.prod",
        "aks prod",
        &"a".repeat(64),
    ] {
        assert_eq!(
            ClusterName::parse(bad).unwrap_err().rule,
            "cluster.name",
            "{bad}"
        );
    }
}

#[test]
fn pool_name() {
    assert!(PoolName::parse("platform").is_ok());
    assert!(PoolName::parse("gpu1").is_ok());
    assert!(PoolName::parse("abcdefghijkl").is_ok());
    for bad in ["Platform", "1gpu", "gpu-pool", "abcdefghijklm", "gpu_1"] {
        assert_eq!(PoolName::parse(bad).unwrap_err().rule, "pool.name", "{bad}");
    }
    assert!(
        PoolName::parse("gpu-pool")
            .unwrap_err()
            .fix
            .contains("`gpupool`")
    );
}

#[test]
fn storage_and_registry() {
    assert!(StorageAccountName::parse("katonicfiles01").is_ok());
    for bad in ["ab", "Katonic", "katonic-files", &"a".repeat(25)] {
        assert_eq!(
            StorageAccountName::parse(bad).unwrap_err().rule,
            "storage.account-name"
        );
    }
    assert!(RegistryName::parse("KatonicAcr1").is_ok());
    for bad in ["acr1", "katonic-acr", &"a".repeat(51)] {
        assert_eq!(RegistryName::parse(bad).unwrap_err().rule, "registry.name");
    }
}

proptest! {
    #[test]
    fn valid_names_round_trip(
        install in "[a-z]([a-z0-9-]{0,30}[a-z0-9])?",
        cluster in "[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?",
        pool in "[a-z][a-z0-9]{0,11}",
        rg in "[A-Za-z0-9_().-]{0,89}[A-Za-z0-9_()-]",
        storage in "[a-z0-9]{3,24}",
        registry in "[A-Za-z0-9]{5,50}",
    ) {
        prop_assert_eq!(InstallName::parse(&install).unwrap().to_string(), install);
        prop_assert_eq!(ClusterName::parse(&cluster).unwrap().to_string(), cluster);
        prop_assert_eq!(PoolName::parse(&pool).unwrap().to_string(), pool);
        prop_assert_eq!(ResourceGroupName::parse(&rg).unwrap().to_string(), rg);
        prop_assert_eq!(StorageAccountName::parse(&storage).unwrap().to_string(), storage);
        prop_assert_eq!(RegistryName::parse(&registry).unwrap().to_string(), registry);
    }

    #[test]
    fn valid_guids_round_trip(g in "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}") {
        prop_assume!(g.bytes().any(|b| b != b'0' && b != b'-'));
        let parsed = Guid::parse(&g).unwrap();
        prop_assert_eq!(parsed.as_str(), g.to_ascii_lowercase());
        let shown = format!("{parsed}");
        prop_assert_eq!(Guid::parse(&shown).unwrap(), parsed);
    }

    #[test]
    fn a_bad_character_is_refused(
        pool in "[a-z][a-z0-9]{0,10}",
        cluster in "[a-z][a-z0-9]{0,20}[a-z]",
        at in any::<prop::sample::Index>(),
        bad in "[ !@#$%^&*+=/\\\\:;,?~é.]",
    ) {
        let i = at.index(pool.len()) + 1;
        let mutated = format!("{}{}{}", &pool[..i.min(pool.len())], bad, &pool[i.min(pool.len())..]);
        prop_assert_eq!(PoolName::parse(&mutated).unwrap_err().rule, "pool.name");
        let i = at.index(cluster.len());
        let mutated = format!("{}{}{}", &cluster[..i], bad, &cluster[i..]);
        prop_assert_eq!(ClusterName::parse(&mutated).unwrap_err().rule, "cluster.name");
        let mutated = format!("{}{}{}", &pool[..1], bad, &pool[1..]);
        prop_assert_eq!(StorageAccountName::parse(&format!("{mutated}xyz")).unwrap_err().rule, "storage.account-name");
    }

    #[test]
    fn a_bad_guid_digit_is_refused(
        g in "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        at in 0usize..36,
        bad in "[g-zG-Z_ ]",
    ) {
        let mut chars: Vec<char> = g.chars().collect();
        chars[at] = bad.chars().next().unwrap();
        let mutated: String = chars.into_iter().collect();
        prop_assert_eq!(Guid::parse(&mutated).unwrap_err().rule, "guid.format");
    }

    #[test]
    fn never_panics(s in any::<String>()) {
        let _ = InstallName::parse(&s);
        let _ = Guid::parse(&s);
        let _ = Region::parse(&s);
        let _ = ResourceGroupName::parse(&s);
        let _ = ClusterName::parse(&s);
        let _ = PoolName::parse(&s);
        let _ = StorageAccountName::parse(&s);
        let _ = RegistryName::parse(&s);
    }
}
