//! Parser property tests: generated documents round trip; no input panics.

use super::*;

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?"
}

fn doc_strategy() -> impl Strategy<Value = InstallDocument> {
    let zonal: Vec<String> = catalog::regions()
        .iter()
        .filter(|r| r.zones >= 2)
        .map(|r| r.name.clone())
        .collect();
    let sizes = [
        "Standard_DS3_v2",
        "Standard_D4s_v5",
        "Standard_E8s_v5",
        "Standard_F8s_v2",
    ];
    let guid = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
    let pool = |min_floor: u32| {
        (
            min_floor..4u32,
            0u32..6,
            any::<bool>(),
            1u32..3,
            proptest::sample::select(sizes.to_vec()),
        )
            .prop_map(|(lo, extra, fixed, surge, size)| NodePoolDoc {
                name: None,
                vm_size: Some(size.to_string()),
                count: fixed.then(|| Scalar::Int(i64::from(lo.max(1) + extra))),
                min: (!fixed).then_some(Scalar::Int(i64::from(lo))),
                max: (!fixed).then(|| Scalar::Int(i64::from((lo + extra).max(1)))),
                max_surge: Some(Scalar::Int(i64::from(surge))),
            })
    };
    (
        (
            "[a-z][a-z0-9-]{0,20}[a-z0-9]",
            guid,
            guid,
            proptest::sample::select(zonal),
            "[A-Za-z0-9_-]{1,30}",
        ),
        (
            proptest::option::of(29u32..40),
            proptest::sample::select(vec!["free", "standard", "premium"]),
            proptest::sample::subsequence(vec!["1", "2", "3"], 2..=3),
            proptest::sample::select(vec!["azure-overlay", "azure", "kubenet"]),
            proptest::option::of(10u32..=60),
            proptest::sample::select(vec![
                "loadBalancer",
                "userDefinedRouting",
                "managedNATGateway",
            ]),
        ),
        (pool(2), pool(0), proptest::option::of(pool(0))),
        (
            proptest::collection::vec(label(), 1..3),
            any::<bool>(),
            proptest::option::of(4u8..200),
            proptest::option::of("[a-z0-9]{3,24}"),
            proptest::option::of("[A-Za-z0-9]{5,50}"),
            any::<(bool, bool, bool)>(),
        ),
    )
        .prop_map(|(head, cluster, pools, rest)| {
            let (name, sub, tenant, location, rg) = head;
            let (k8s, tier, zones, plugin, max_pods, outbound) = cluster;
            let (platform, compute, gpu) = pools;
            let (labels, external, static_ip, account, registry, (shared, superset, airbyte)) =
                rest;
            let gpu = gpu.map(|mut g| {
                g.vm_size = Some("Standard_NC4as_T4_v3".to_string());
                g
            });
            InstallDocument {
                api_version: s(API_VERSION),
                kind: s(KIND),
                name: Some(name),
                azure: AzureDoc {
                    subscription_id: Some(sub),
                    tenant_id: Some(tenant),
                    location: Some(location),
                    resource_group: Some(rg),
                },
                cluster: ClusterDoc {
                    mode: s("create"),
                    name: s("katonic-aks"),
                    kubernetes_version: k8s.map(|m| Scalar::Text(format!("1.{m}"))),
                    tier: s(tier),
                    access: None,
                    zones: Some(zones.into_iter().map(|z| Scalar::Text(z.into())).collect()),
                    network: NetworkDoc {
                        vnet_cidr: s("10.20.0.0/16"),
                        // Room for classic CNI at 60 pods: (12 nodes + 9 surge) × 61 + 1.
                        aks_subnet_cidr: s("10.20.0.0/21"),
                        jumphost_subnet_cidr: s("10.20.8.0/29"),
                        plugin: s(plugin),
                        network_policy: None,
                        pod_cidr: s("192.168.0.0/16"),
                        service_cidr: s("172.16.0.0/16"),
                        dns_service_ip: None,
                        max_pods: max_pods.map(|m| Scalar::Int(i64::from(m))),
                        outbound_type: s(outbound),
                        jumphost_egress: None,
                        existing_vnet: None,
                        gateway_subnet_cidr: None,
                    },
                    node_pools: NodePoolsDoc {
                        platform: Some(platform),
                        compute: Some(compute),
                        gpu,
                    },
                },
                domain: DomainDoc {
                    fqdn: Some(format!("{}.com", labels.join("."))),
                    katonic_subdomain: None,
                    tls: s(if external { "acme" } else { "provided" }),
                    dns_zone: None,
                },
                ingress: IngressDoc {
                    load_balancer: s(if external { "external" } else { "internal" }),
                    static_ip: static_ip
                        .filter(|_| !external)
                        .map(|o| format!("10.20.7.{o}")),
                    // Explicit, so the property holds whatever DEFAULT_GATEWAY_ON says (ACME and
                    // the gateway do not go together).
                    gateway: s("none"),
                    application_gateway: None,
                },
                storage: StorageDoc {
                    shared_files: Some(shared),
                    account_name: account,
                },
                registry: RegistryDoc {
                    name: registry,
                    sku: None,
                },
                addons: AddonsDoc {
                    superset: Some(superset),
                    airbyte: Some(airbyte),
                },
                platform: PlatformDoc::default(),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn generated_documents_parse_and_round_trip(doc in doc_strategy()) {
        let spec = InstallSpec::parse(&doc).map_err(|e| TestCaseError::fail(format!("{:#?}", e.errors)))?;
        let canonical = spec.to_document();
        prop_assert_eq!(InstallSpec::parse(&canonical), Ok(spec.clone()));
        prop_assert_eq!(InstallSpec::parse(&canonical).map(|s| s.to_document()), Ok(canonical.clone()));
        let yaml = to_yaml(&canonical);
        prop_assert_eq!(from_yaml(&yaml).map(|d| InstallSpec::parse(&d)), Ok(Ok(spec.clone())));
        prop_assert!(spec.ip_budget().fits());
        let _ = spec.warnings(time::macros::date!(2026 - 11 - 25));
    }

    #[test]
    fn a_host_bit_in_any_range_is_refused(bit in 0u32..8, which in 0usize..4) {
        let mut d = sample_doc();
        let n = &mut d.cluster.network;
        let (field, value) = match which {
            0 => ("cluster.network.vnetCidr", format!("10.20.{}.0/16", 1u32 << bit)),
            1 => ("cluster.network.aksSubnetCidr", format!("10.20.0.{}/26", (1u32 << bit) % 64)),
            2 => ("cluster.network.podCidr", format!("192.168.{}.0/16", 1u32 << bit)),
            _ => ("cluster.network.serviceCidr", format!("172.16.{}.0/16", 1u32 << bit)),
        };
        prop_assume!(!value.contains(".0/26") || which != 1);
        match which {
            0 => n.vnet_cidr = Some(value),
            1 => n.aks_subnet_cidr = Some(value),
            2 => n.pod_cidr = Some(value),
            _ => n.service_cidr = Some(value),
        }
        let errs = errors(&d);
        prop_assert_eq!(errs.len(), 1);
        prop_assert_eq!(errs[0].field.as_str(), field);
        prop_assert_eq!(errs[0].rule.as_str(), "cidr.host-bits");
    }

    #[test]
    fn arbitrary_text_never_panics(s in any::<String>()) {
        let _ = from_yaml(&s).map(|d| InstallSpec::parse(&d));
        let _ = from_json(&s).map(|d| InstallSpec::parse(&d));
    }

    #[test]
    fn arbitrary_field_values_never_panic(
        values in proptest::collection::vec(any::<String>(), 12),
        numbers in proptest::collection::vec(any::<i64>(), 4),
    ) {
        let mut d = sample_doc();
        let v = |i: usize| Some(values[i].clone());
        d.name = v(0);
        d.azure.subscription_id = v(1);
        d.azure.location = v(2);
        d.cluster.name = v(3);
        d.cluster.kubernetes_version = Some(Scalar::Text(values[4].clone()));
        d.cluster.network.vnet_cidr = v(5);
        d.cluster.network.aks_subnet_cidr = v(6);
        d.cluster.network.dns_service_ip = v(7);
        d.domain.fqdn = v(8);
        d.ingress.static_ip = v(9);
        pool_mut(&mut d, "compute").vm_size = v(10);
        d.cluster.zones = Some(vec![Scalar::Text(values[11].clone()), Scalar::Int(numbers[0])]);
        pool_mut(&mut d, "platform").count = Some(Scalar::Int(numbers[1]));
        pool_mut(&mut d, "compute").max = Some(Scalar::Int(numbers[2]));
        d.cluster.network.max_pods = Some(Scalar::Int(numbers[3]));
        if let Err(e) = InstallSpec::parse(&d) {
            prop_assert!(!e.errors.is_empty());
            for w in e.errors.windows(2) {
                prop_assert!(super::super::order::position(&w[0].field) <= super::super::order::position(&w[1].field));
            }
        }
    }

    #[test]
    fn yaml_of_arbitrary_scalars_never_panics(k in "[a-zA-Z]{1,12}", v in any::<String>()) {
        let yaml = format!("{}\ncluster:\n  {k}: {v:?}\n", sample_yaml());
        let _ = from_yaml(&yaml).map(|d| InstallSpec::parse(&d));
    }
}
