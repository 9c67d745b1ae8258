//! Which api-versions each provider namespace accepts, and ARM's errors for missing/unknown ones.

use super::errors::ArmError;
use super::router::Route;

/// Newest first; the first is the one the console uses (azure-brief §0).
// One piece: a flat table of api-versions per resource type.
pub(crate) fn supported(ns: &str, route: &Route) -> &'static [&'static str] {
    let ns = ns.to_ascii_lowercase();
    // Subscriptions and their locations (`SubscriptionClient`) keep ARM's older versions too.
    if ns == "microsoft.resources"
        && matches!(
            route,
            Route::SubscriptionList | Route::Subscription | Route::Locations
        )
    {
        return &[
            "2025-04-01",
            "2025-03-01",
            "2024-11-01",
            "2024-07-01",
            "2024-03-01",
            "2023-07-01",
            "2022-12-01",
            "2022-09-01",
            "2022-01-01",
            "2021-04-01",
            "2021-01-01",
            "2020-01-01",
            "2019-11-01",
            "2019-06-01",
            "2018-06-01",
            "2016-06-01",
        ];
    }
    // Provider reads and registration: the SDKs' automatic registration still sends 2016-02-01.
    if ns == "microsoft.resources"
        && matches!(
            route,
            Route::ProviderList | Route::Provider { .. } | Route::ProviderRegister { .. }
        )
    {
        return &[
            "2025-04-01",
            "2025-03-01",
            "2024-11-01",
            "2024-07-01",
            "2024-03-01",
            "2023-07-01",
            "2022-12-01",
            "2022-09-01",
            "2021-04-01",
            "2021-01-01",
            "2020-01-01",
            "2019-10-01",
            "2019-07-01",
            "2018-05-01",
            "2017-05-10",
            "2016-09-01",
            "2016-02-01",
        ];
    }
    // DNS zones have versions of their own within Microsoft.Network.
    if ns == "microsoft.network"
        && let Some(t) = first_type(route)
    {
        if t.eq_ignore_ascii_case("dnsZones") {
            return &[
                "2018-05-01",
                "2017-10-01",
                "2017-09-01",
                "2016-04-01",
                "2023-07-01-preview",
            ];
        }
        if t.eq_ignore_ascii_case("privateDnsZones") {
            return &["2024-06-01", "2020-06-01", "2020-01-01", "2018-09-01"];
        }
    }
    match ns.as_str() {
        "microsoft.resources" => &[
            "2025-04-01",
            "2025-03-01",
            "2024-11-01",
            "2024-07-01",
            "2024-03-01",
            "2023-07-01",
            "2022-12-01",
            "2022-09-01",
            "2021-04-01",
            "2021-01-01",
            "2020-01-01",
        ],
        "microsoft.network" => &[
            "2025-07-01",
            "2025-05-01",
            "2025-03-01",
            "2025-01-01",
            "2024-10-01",
            "2024-07-01",
            "2024-05-01",
            "2024-03-01",
            "2024-01-01",
            "2023-11-01",
            "2023-09-01",
            "2023-06-01",
            // Older stable versions Azure still serves; the Azure CLI's network commands send
            // some of them (az 2.67: network security groups at 2022-01-01).
            "2023-05-01",
            "2023-04-01",
            "2023-02-01",
            "2022-11-01",
            "2022-09-01",
            "2022-07-01",
            "2022-05-01",
            "2022-01-01",
            "2021-08-01",
            "2021-05-01",
            "2021-03-01",
            "2021-02-01",
            "2020-11-01",
            // Older stable folders of Microsoft's spec (specification/network/…/stable), still
            // served; Microsoft's own SDK recordings send 2020-04-01 and 2021-05-01 (checked
            // 2026-12-07, issue 15).
            "2020-08-01",
            "2020-07-01",
            "2020-06-01",
            "2020-05-01",
            "2020-04-01",
            "2020-03-01",
            "2019-12-01",
            "2019-11-01",
            "2019-09-01",
            "2019-08-01",
            "2019-07-01",
            "2019-06-01",
            "2019-04-01",
            "2019-02-01",
        ],
        "microsoft.storage" => &[
            "2025-06-01",
            "2025-01-01",
            "2024-01-01",
            "2023-05-01",
            "2023-04-01",
            "2023-01-01",
            "2022-09-01",
            // Still served and still sent by clients (issue 15; checked 2026-12-07).
            "2022-05-01",
            "2021-09-01",
            "2021-08-01",
            "2021-06-01",
            "2021-04-01",
            "2021-02-01",
            "2021-01-01",
            // Older stable versions, still served: Microsoft's SDK recordings send 2019-06-01
            // (azure-mgmt-storage 11.2.0; issue 15, checked 2026-12-07).
            "2020-08-01-preview",
            "2019-06-01",
            "2019-04-01",
            "2018-11-01",
            "2018-07-01",
            "2018-02-01",
        ],
        "microsoft.containerregistry" => &[
            "2025-04-01",
            "2024-11-01-preview",
            "2023-11-01-preview",
            "2023-08-01-preview",
            "2023-07-01",
            "2023-06-01-preview",
            "2023-01-01-preview",
            "2022-12-01",
            // The Azure CLI's registry commands send previews (az 2.45: 2022-02-01-preview).
            "2022-02-01-preview",
            "2021-12-01-preview",
            "2021-09-01",
            "2021-08-01-preview",
            "2021-06-01-preview",
            "2019-05-01",
        ],
        "microsoft.containerservice" => &[
            "2025-10-01",
            "2025-09-01",
            "2025-08-01",
            "2025-07-01",
            "2025-05-01",
            "2025-04-01",
            "2025-03-01",
            "2025-02-01",
            "2025-01-01",
            "2024-10-01",
            "2024-09-01",
            "2024-08-01",
            "2024-07-01",
            "2024-05-01",
            "2024-02-01",
            "2024-01-01",
            "2023-11-01",
            "2023-10-01",
            "2023-09-01",
            "2023-08-01",
            "2023-07-01",
            "2023-06-01",
            "2023-05-01",
            "2023-04-01",
            "2023-03-01",
            "2023-02-01",
            "2023-01-01",
            "2022-11-01",
            // Still served and still sent by the Azure CLI (issue 15; checked 2026-12-07).
            "2022-09-01",
            "2022-07-01",
            "2022-06-01",
            "2022-04-01",
            "2022-03-01",
            "2022-02-01",
            "2022-01-01",
            "2021-10-01",
            // Stable versions AKS still serves: ARM's own NoRegisteredProviderFound of
            // 2025-02-21 lists every stable one from 2017-08-31 (hashicorp/terraform-provider-
            // azurerm#27921); Microsoft's SDK recordings send 2021-02-01 (issue 15).
            "2021-09-01",
            "2021-08-01",
            "2021-07-01",
            "2021-05-01",
            "2021-03-01",
            "2021-02-01",
            "2020-12-01",
            "2020-11-01",
        ],
        // `az feature show/register` (2021-07-01); older clients 2015-12-01.
        "microsoft.features" => &["2021-07-01", "2015-12-01"],
        "microsoft.managedidentity" => &[
            "2024-11-30",
            "2023-07-31-preview",
            "2023-01-31",
            "2022-01-31-preview",
            "2021-09-30-preview",
            "2018-11-30",
        ],
        "microsoft.authorization" => &[
            "2022-05-01-preview",
            "2022-04-01",
            "2022-01-01-preview",
            "2020-10-01-preview",
            "2020-04-01-preview",
            "2018-09-01-preview",
            "2018-01-01-preview",
            "2015-07-01",
        ],
        "microsoft.compute" => {
            let skus = matches!(route, Route::ProviderOp { rest, .. } if rest.first().is_some_and(|r| r.eq_ignore_ascii_case("skus")));
            if skus {
                &["2021-07-01", "2021-03-01", "2019-04-01", "2017-09-01"]
            } else {
                &[
                    "2025-04-01",
                    "2024-11-01",
                    "2024-07-01",
                    "2024-03-01",
                    "2024-03-02",
                    "2023-09-01",
                    "2023-07-01",
                    "2023-03-01",
                    "2022-11-01",
                    "2022-08-01",
                ]
            }
        }
        _ => &[],
    }
}

/// A DNS zone's operation is polled at the zone's api-version, under Microsoft.Network.
fn dns_operation(route: &Route, version: &str) -> bool {
    matches!(route, Route::OpStatus { ns, .. } | Route::OpResult { ns, .. } if ns.eq_ignore_ascii_case("Microsoft.Network"))
        && ["dnsZones", "privateDnsZones"].into_iter().any(|t| {
            let zone = Route::RgCollection {
                rg: String::new(),
                ns: "Microsoft.Network".into(),
                kind: t.into(),
            };
            supported("microsoft.network", &zone)
                .iter()
                .any(|v| v.eq_ignore_ascii_case(version))
        })
}

/// The resource type a provider route is about (its first type segment).
fn first_type(route: &Route) -> Option<&str> {
    match route {
        Route::Resource(p) => p.pairs.first().map(|(t, _)| t.as_str()),
        Route::RgCollection { kind, .. } => Some(kind),
        Route::ProviderOp { rest, .. } => rest.first().map(String::as_str),
        _ => None,
    }
}

/// Check `api-version`; returns the accepted version.
pub(crate) fn check(
    route: &Route,
    version: Option<&str>,
    location: &str,
) -> Result<String, ArmError> {
    let Some(version) = version.filter(|v| !v.is_empty()) else {
        return Err(ArmError::bad_request(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    };
    let ns = route.namespace();
    let list = supported(&ns, route);
    if list.iter().any(|v| v.eq_ignore_ascii_case(version)) || dns_operation(route, version) {
        return Ok(version.to_string());
    }
    let joined = list.join(",");
    // ARM answers NoRegisteredProviderFound for provider resource types and
    // InvalidApiVersionParameter for its own (subscriptions, resource groups, providers).
    Err(match route {
        Route::Resource(p) => ArmError::bad_request(
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider found for location '{location}' and API version '{version}' for type '{}'. The supported api-versions are '{joined}'. The supported locations are '{location}'.",
                p.pairs
                    .iter()
                    .map(|(t, _)| t.as_str())
                    .collect::<Vec<_>>()
                    .join("/")
            ),
        ),
        _ if list.is_empty() => ArmError::bad_request(
            "InvalidResourceNamespace",
            format!("The resource namespace '{ns}' is invalid."),
        ),
        _ => ArmError::bad_request(
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{version}' is invalid. The supported versions are '{joined}'. The supported locations are ''."
            ),
        ),
    })
}
