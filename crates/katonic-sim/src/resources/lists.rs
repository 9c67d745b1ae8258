//! Collection GETs as ARM serves them for every resource type: the resources of one type in a
//! resource group (`…/resourceGroups/{rg}/providers/{ns}/{type}`) or in the subscription
//! (`…/providers/{ns}/{type}`), `{"value": [...]}` with each item as its GET shows it.

use axum::http::Method;
use serde_json::json;

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::state::State;

use super::common::method_not_allowed;

/// The top-level types the simulator stores, as ARM spells them.
const LISTABLE: [&str; 11] = [
    "Microsoft.Network/virtualNetworks",
    "Microsoft.Network/publicIPAddresses",
    "Microsoft.Network/networkSecurityGroups",
    "Microsoft.Network/applicationGateways",
    "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies",
    "Microsoft.Network/dnsZones",
    "Microsoft.Network/privateDnsZones",
    "Microsoft.ManagedIdentity/userAssignedIdentities",
    "Microsoft.Storage/storageAccounts",
    "Microsoft.ContainerRegistry/registries",
    "Microsoft.ContainerService/managedClusters",
];

fn listable(ns: &str, kind: &str) -> Option<&'static str> {
    let wanted = format!("{ns}/{kind}");
    LISTABLE
        .into_iter()
        .find(|k| k.eq_ignore_ascii_case(&wanted))
}

/// Whether a subscription-level provider call is a GET of a listable type.
pub(crate) fn is_collection(ctx: &Ctx<'_>, ns: &str, rest: &[String]) -> bool {
    *ctx.method() == Method::GET && rest.len() == 1 && listable(ns, &rest[0]).is_some()
}

fn unknown(ns: &str, kind: &str) -> ArmError {
    ArmError::bad_request(
        "InvalidResourceType",
        format!(
            "The resource type '{kind}' could not be found in the namespace '{ns}' for api version."
        ),
    )
}

pub(crate) fn in_group(ctx: &Ctx<'_>, st: &State, rg: &str, ns: &str, kind: &str) -> ArmResult {
    let Some(kind) = listable(ns, kind) else {
        return Err(unknown(ns, kind));
    };
    if *ctx.method() != Method::GET {
        return Err(method_not_allowed(ctx));
    }
    let rg_id = format!(
        "/subscriptions/{}/resourceGroups/{rg}",
        st.account.subscription_id
    );
    if st.get(&rg_id).is_none() {
        return Err(ArmError::not_found(
            "ResourceGroupNotFound",
            format!("Resource group '{rg}' could not be found."),
        ));
    }
    Ok(list(ctx, st, kind, Some(&format!("{rg_id}/"))))
}

pub(crate) fn in_subscription(ctx: &Ctx<'_>, st: &State, ns: &str, kind: &str) -> ArmResult {
    let kind = listable(ns, kind).ok_or_else(|| unknown(ns, kind))?;
    Ok(list(ctx, st, kind, None))
}

fn list(ctx: &Ctx<'_>, st: &State, kind: &str, prefix: Option<&str>) -> Reply {
    let prefix = prefix.map(str::to_ascii_lowercase);
    let value: Vec<_> = st
        .of_kind(kind)
        .filter(|r| {
            prefix
                .as_deref()
                .is_none_or(|p| r.id.to_ascii_lowercase().starts_with(p))
        })
        .map(|r| super::render(ctx, st, r))
        .collect();
    Reply::ok(json!({ "value": value }))
}
