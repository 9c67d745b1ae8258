//! Property tests of the gateway's parsing and planning.

use super::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Any gateway the parser accepts round-trips, lies in the VNet clear of the other subnets,
    /// holds its maximum, and is planned with both addresses inside their subnets.
    #[test]
    fn accepted_gateways_round_trip_and_fit(
        min in 0i64..130,
        max in 0i64..130,
        waf in any::<bool>(),
        external in any::<bool>(),
        subnet in proptest::option::of((0u32..=255, 24u8..=29)),
    ) {
        let doc = with(|d| {
            let b = block(d);
            b.min_capacity = int(min);
            b.max_capacity = int(max);
            if waf {
                b.sku = s("WAF_v2");
            }
            if external {
                d.ingress.load_balancer = s("external");
            }
            if let Some((third, prefix)) = subnet {
                d.cluster.network.gateway_subnet_cidr = Some(format!("10.20.{third}.0/{prefix}"));
            }
        });
        let Ok(spec) = InstallSpec::parse(&doc) else {
            return Ok(());
        };
        let g = spec.ingress.gateway.clone().unwrap();
        prop_assert!(g.min_capacity <= g.max_capacity && g.max_capacity >= 2);
        let net = &spec.cluster.network;
        let c = net.gateway_subnet_cidr.unwrap();
        prop_assert!(net.vnet_cidr.contains_net(&c));
        prop_assert!(!c.overlaps(&net.aks_subnet_cidr) && !c.overlaps(&net.jumphost_subnet_cidr));
        prop_assert!(c.size() >= gateway_subnet_needs(g.max_capacity));
        prop_assert_eq!(InstallSpec::parse(&spec.to_document()), Ok(spec.clone()));
        let plan = crate::plan::InstallPlan::from_spec(&spec, time::macros::date!(2026 - 12 - 07));
        let gp = plan.gateway().unwrap();
        prop_assert!(net.aks_subnet_cidr.contains_ip(gp.backend_address));
        if let Some(address) = gp.private_address() {
            prop_assert!(c.contains_ip(address) && address != c.broadcast());
        }
    }

    #[test]
    fn arbitrary_gateway_values_never_panic(values in proptest::collection::vec(any::<String>(), 6)) {
        let d = with(|d| {
            d.ingress.gateway = Some(values[0].clone());
            d.ingress.application_gateway = Some(AppGatewayDoc {
                sku: Some(values[1].clone()),
                waf_mode: Some(values[2].clone()),
                min_capacity: Some(Scalar::Text(values[3].clone())),
                max_capacity: Some(Scalar::Text(values[4].clone())),
            });
            d.cluster.network.gateway_subnet_cidr = Some(values[5].clone());
        });
        if let Err(e) = InstallSpec::parse(&d) {
            prop_assert!(!e.errors.is_empty());
        }
    }
}
