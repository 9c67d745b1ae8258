//! The subscription, its locations, and resource provider registration (`Registering` → `Registered`).

use serde_json::{Value, json};
use time::Duration;

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::router::Route;
use crate::arm::versions::supported;
use crate::server::list;
use crate::state::State;

use super::common::method_not_allowed;

/// The subscription the request names (the account's own when it names none).
fn requested(ctx: &Ctx<'_>, st: &State) -> String {
    ctx.req
        .segs
        .get(1)
        .cloned()
        .unwrap_or_else(|| st.account.subscription_id.clone())
}

fn subscription_body(st: &State, sub: &str) -> Value {
    let a = &st.account;
    json!({
        "id": format!("/subscriptions/{sub}"),
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": sub,
        "tenantId": a.tenant_id,
        "displayName": a.subscription_name,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off"
        }
    })
}

/// Resource types each provider publishes (subset), for `GET /providers/{ns}`.
fn resource_types(ns: &str) -> &'static [&'static str] {
    match ns.to_ascii_lowercase().as_str() {
        "microsoft.network" => &[
            "virtualNetworks",
            "virtualNetworks/subnets",
            "networkSecurityGroups",
            "publicIPAddresses",
            "applicationGateways",
            "ApplicationGatewayWebApplicationFirewallPolicies",
            "locations",
            "locations/operations",
            "locations/operationResults",
        ],
        "microsoft.containerservice" => &[
            "managedClusters",
            "managedClusters/agentPools",
            "locations",
            "locations/operations",
            "locations/operationresults",
            "locations/kubernetesVersions",
        ],
        "microsoft.storage" => &[
            "storageAccounts",
            "storageAccounts/blobServices",
            "storageAccounts/fileServices",
            "checkNameAvailability",
            "locations",
            "locations/asyncoperations",
        ],
        "microsoft.containerregistry" => &[
            "registries",
            "checkNameAvailability",
            "locations",
            "locations/operationResults",
        ],
        "microsoft.managedidentity" => &["userAssignedIdentities", "operations"],
        "microsoft.compute" => &[
            "virtualMachines",
            "virtualMachineScaleSets",
            "locations",
            "locations/usages",
            "skus",
        ],
        "microsoft.authorization" => &["roleAssignments", "roleDefinitions", "permissions"],
        "microsoft.resources" => &[
            "resourceGroups",
            "subscriptions",
            "subscriptions/resources",
            "subscriptions/resourceGroups",
        ],
        "microsoft.operationsmanagement" => &["solutions"],
        "microsoft.operationalinsights" => &["workspaces"],
        _ => &[],
    }
}

fn provider_body(ctx: &Ctx<'_>, st: &State, ns_key: &str) -> Option<Value> {
    let reg = st.providers.get(ns_key)?;
    let regions: Vec<&str> = ctx
        .catalog()
        .regions
        .iter()
        .map(|r| r.display_name.as_str())
        .collect();
    let route = Route::ProviderList;
    let versions = supported(&reg.namespace, &route);
    let types: Vec<Value> = resource_types(&reg.namespace)
        .iter()
        .map(|t| {
            let mut v = json!({
                "resourceType": t,
                "locations": regions,
                "apiVersions": versions,
                "capabilities": "None",
            });
            if t.eq_ignore_ascii_case("virtualMachines")
                || t.eq_ignore_ascii_case("managedClusters")
            {
                let mappings: Vec<Value> = ctx
                    .catalog()
                    .regions
                    .iter()
                    .filter(|r| !r.zones.is_empty())
                    .map(|r| json!({"location": r.display_name, "zones": r.zones}))
                    .collect();
                v["zoneMappings"] = Value::Array(mappings);
            }
            v
        })
        .collect();
    Some(json!({
        "id": format!("/subscriptions/{}/providers/{}", st.account.subscription_id, reg.namespace),
        "namespace": reg.namespace,
        "registrationState": reg.state,
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": types,
    }))
}

fn unknown_namespace(ns: &str) -> ArmError {
    ArmError::not_found(
        "InvalidResourceNamespace",
        format!("The resource namespace '{ns}' is invalid."),
    )
}

/// A namespace ARM knows but the catalogue does not: answered `NotRegistered` and
/// registrable, as ARM does (issue 15).
fn learn_namespace(st: &mut State, ns: &str) {
    let key = ns.to_ascii_lowercase();
    if st.providers.contains_key(&key) {
        return;
    }
    if let Some(namespace) = super::namespaces::known(ns) {
        st.providers.insert(
            key,
            crate::state::ProviderReg {
                namespace: namespace.to_string(),
                state: "NotRegistered".into(),
                registered_at: None,
            },
        );
    }
}

pub(crate) fn handle(ctx: &Ctx<'_>, st: &mut State, route: &Route) -> ArmResult {
    let get = *ctx.method() == axum::http::Method::GET;
    if let Route::Provider { ns } | Route::ProviderRegister { ns } = route {
        learn_namespace(st, ns);
    }
    match route {
        Route::SubscriptionList if get => {
            let own = st.account.subscription_id.clone();
            let mut subs = vec![subscription_body(st, &own)];
            let others = st.account.other_subscriptions.clone();
            subs.extend(others.iter().map(|s| subscription_body(st, s)));
            // ARM counts the list (`count`, since 2020-01-01; seen in Microsoft's recordings).
            let count = json!({"type": "Total", "value": subs.len()});
            let mut body = list(subs);
            body["count"] = count;
            Ok(Reply::ok(body))
        }
        Route::Subscription if get => Ok(Reply::ok(subscription_body(st, &requested(ctx, st)))),
        Route::Locations if get => {
            let sub = requested(ctx, st);
            let value = ctx
                .catalog()
                .regions
                .iter()
                .map(|r| {
                    let mut metadata = json!({"regionType": "Physical", "regionCategory": "Recommended", "pairedRegion": []});
                    if let Some(place) = super::regions::metadata(&r.name) {
                        for (k, v) in place.as_object().into_iter().flatten() {
                            metadata[k] = v.clone();
                        }
                    }
                    if let Some(pair) = super::regions::paired(&r.name) {
                        metadata["pairedRegion"] = json!([{"name": pair, "id": format!("/subscriptions/{sub}/locations/{pair}")}]);
                    }
                    json!({
                        "id": format!("/subscriptions/{sub}/locations/{}", r.name),
                        "name": r.name,
                        "type": "Region",
                        "displayName": r.display_name,
                        "regionalDisplayName": r.display_name,
                        "metadata": metadata,
                        "availabilityZoneMappings": r.zones.iter().map(|z| json!({"logicalZone": z, "physicalZone": format!("{}-az{z}", r.name)})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            Ok(Reply::ok(list(value)))
        }
        Route::ProviderList if get => {
            let keys: Vec<String> = st.providers.keys().cloned().collect();
            let value = keys
                .iter()
                .filter_map(|k| provider_body(ctx, st, k))
                .collect();
            Ok(Reply::ok(list(value)))
        }
        Route::Provider { ns } if get => provider_body(ctx, st, &ns.to_ascii_lowercase())
            .map(Reply::ok)
            .ok_or_else(|| unknown_namespace(ns)),
        Route::ProviderRegister { ns } if *ctx.method() == axum::http::Method::POST => {
            let key = ns.to_ascii_lowercase();
            let secs = ctx.catalog().providers.registration_seconds * ctx.shared.time_scale;
            let reg = st
                .providers
                .get_mut(&key)
                .ok_or_else(|| unknown_namespace(ns))?;
            if reg.state != "Registered" && reg.state != "Registering" {
                reg.state = "Registering".into();
                // Clamped: a catalogue value of `.inf` or NaN must not panic.
                let secs = if secs.is_finite() {
                    secs.clamp(0.0, 86_400.0)
                } else {
                    0.0
                };
                reg.registered_at = Some(ctx.now() + Duration::seconds_f64(secs));
            }
            provider_body(ctx, st, &key)
                .map(Reply::ok)
                .ok_or_else(|| unknown_namespace(ns))
        }
        _ => Err(method_not_allowed(ctx)),
    }
}
