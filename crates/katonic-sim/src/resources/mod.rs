//! Resource handlers: routes a parsed ARM request to its resource type, renders stored
//! resources with their dynamic parts, and applies the effects of finished operations.

pub(crate) mod acr;
pub(crate) mod aks;
pub(crate) mod app_gateway;
pub(crate) mod authorization;
pub(crate) mod common;
pub(crate) mod compute;
pub(crate) mod dns;
pub(crate) mod features;
pub(crate) mod groups;
mod lists;
pub(crate) mod msi;
mod namespaces;
pub(crate) mod nat_gateway;
pub(crate) mod network;
pub(crate) mod network_put;
mod nsg;
pub(crate) mod public_ip;
pub(crate) mod regions;
pub(crate) mod storage;
mod subscription;

use axum::http::Method;
use serde_json::Value;

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult};
use crate::arm::lro::{self, Operation};
use crate::arm::router::Route;
use crate::server::Shared;
use crate::state::{Resource, State};

pub(crate) fn dispatch(ctx: &Ctx<'_>, st: &mut State, route: &Route) -> ArmResult {
    match route {
        Route::SubscriptionList
        | Route::Subscription
        | Route::Locations
        | Route::ProviderList
        | Route::Provider { .. }
        | Route::ProviderRegister { .. } => subscription::handle(ctx, st, route),
        Route::ResourceGroups
        | Route::ResourceGroup { .. }
        | Route::RgResources { .. }
        | Route::SubResources => groups::handle(ctx, st, route),
        Route::Permissions { .. }
        | Route::RoleAssignment { .. }
        | Route::RoleAssignments { .. }
        | Route::RoleDefinitions { .. }
        | Route::RoleDefinition { .. } => authorization::handle(ctx, st, route),
        Route::OpStatus { id, .. } if *ctx.method() == Method::GET => lro::status(ctx, st, id),
        Route::OpResult { id, .. } | Route::RgOpResult { id } if *ctx.method() == Method::GET => {
            lro::result(ctx, st, id)
        }
        Route::OpStatus { .. } | Route::OpResult { .. } | Route::RgOpResult { .. } => {
            Err(common::method_not_allowed(ctx))
        }
        Route::RgCollection { rg, ns, kind } => lists::in_group(ctx, st, rg, ns, kind),
        Route::ProviderOp { ns, rest } if lists::is_collection(ctx, ns, rest) => {
            lists::in_subscription(ctx, st, ns, &rest[0])
        }
        Route::ProviderOp { ns, rest } => match ns.to_ascii_lowercase().as_str() {
            "microsoft.storage" => storage::provider_op(ctx, st, rest),
            "microsoft.containerregistry" => acr::provider_op(ctx, st, rest),
            "microsoft.compute" => compute::provider_op(ctx, st, rest),
            "microsoft.containerservice" => aks::provider_op(ctx, st, rest),
            "microsoft.features" => features::provider_op(ctx, st, rest),
            _ => Err(unknown_type(ns, rest)),
        },
        Route::Resource(p) => {
            let kind = p.kind();
            if let Some(ns) = st.providers.get(&p.ns.to_ascii_lowercase()) {
                let _ = ns;
            } else {
                return Err(ArmError::bad_request(
                    "InvalidResourceNamespace",
                    format!("The resource namespace '{}' is invalid.", p.ns),
                ));
            }
            if *ctx.method() != Method::GET && *ctx.method() != Method::HEAD {
                common::require_registered(ctx, st, &p.ns)?;
            }
            match kind.as_str() {
                k if k.starts_with("microsoft.network/networksecuritygroups") => {
                    nsg::handle(ctx, st, p)
                }
                k if k.starts_with("microsoft.network/publicipaddresses") => {
                    public_ip::handle(ctx, st, p)
                }
                k if k.starts_with(app_gateway::AGW_LC) => app_gateway::handle(ctx, st, p),
                k if k.starts_with(app_gateway::waf_policy::POLICY_LC) => {
                    app_gateway::waf_policy::handle(ctx, st, p)
                }
                k if k.starts_with(nat_gateway::NAT_LC) => nat_gateway::handle(ctx, st, p),
                k if k.starts_with(dns::PUBLIC_LC) || k.starts_with(dns::PRIVATE_LC) => {
                    dns::handle(ctx, st, p)
                }
                k if k.starts_with("microsoft.network/virtualnetworks") => {
                    network::handle(ctx, st, p)
                }
                // The console's own VM and NIC (placed by the simulator): read only.
                "microsoft.compute/virtualmachines" | "microsoft.network/networkinterfaces" => {
                    read_only(ctx, st, p)
                }
                k if k.starts_with("microsoft.managedidentity/userassignedidentities") => {
                    msi::handle(ctx, st, p)
                }
                k if k.starts_with("microsoft.storage/storageaccounts") => {
                    storage::handle(ctx, st, p)
                }
                k if k.starts_with("microsoft.containerregistry/registries") => {
                    acr::handle(ctx, st, p)
                }
                k if k.starts_with("microsoft.containerservice/managedclusters") => {
                    aks::handle(ctx, st, p)
                }
                _ => Err(unknown_type(
                    &p.ns,
                    &p.pairs.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>(),
                )),
            }
        }
    }
}

/// GET of a resource the simulator places but does not let clients create.
fn read_only(ctx: &Ctx<'_>, st: &State, p: &crate::arm::router::ResPath) -> ArmResult {
    if *ctx.method() != Method::GET {
        return Err(common::method_not_allowed(ctx));
    }
    common::require_rg(ctx, st, p)?;
    st.get(&p.id())
        .map(|r| crate::arm::errors::Reply::ok(r.body.clone()))
        .ok_or_else(|| common::not_found(p))
}

fn unknown_type(ns: &str, types: &[String]) -> ArmError {
    ArmError::bad_request(
        "InvalidResourceType",
        format!(
            "The resource type '{}' could not be found in the namespace '{ns}' for api version.",
            types.join("/")
        ),
    )
}

/// The GET representation of a stored resource, with parts computed from other resources.
pub(crate) fn render(ctx: &Ctx<'_>, st: &State, r: &Resource) -> Value {
    match r.kind.to_ascii_lowercase().as_str() {
        network::VNET_LC => network::render_vnet(st, r),
        nsg::NSG_LC => nsg::render(st, r),
        nat_gateway::NAT_LC => nat_gateway::render(st, r),
        aks::CLUSTER_LC => aks::render_cluster(ctx, st, r),
        dns::PUBLIC_LC | dns::PRIVATE_LC => dns::render(st, &r.body),
        app_gateway::AGW_LC => app_gateway::render(r),
        app_gateway::waf_policy::POLICY_LC => app_gateway::waf_policy::render(st, r),
        _ => r.body.clone(),
    }
}

/// Apply the effects of a finished operation.
pub(crate) fn complete(shared: &Shared, st: &mut State, op: &Operation, ok: bool) {
    let kind = op.kind.to_ascii_lowercase();
    if kind == groups::KIND.to_ascii_lowercase() {
        return groups::complete(shared, st, op, ok);
    }
    if kind.starts_with(network::VNET_LC) {
        return network::complete(st, op, ok);
    }
    if kind.starts_with("microsoft.containerservice/") {
        return aks::complete(shared, st, op, ok);
    }
    generic_complete(st, op, ok);
}

/// Most resources: a finished delete removes the resource; a finished create or update sets
/// `provisioningState`.
pub(crate) fn generic_complete(st: &mut State, op: &Operation, ok: bool) {
    match (op.action, ok) {
        (lro::OpAction::Delete, true) => {
            st.remove_tree(&op.resource_id);
        }
        (lro::OpAction::Delete, false) => {
            if let Some(r) = st.get_mut(&op.resource_id) {
                common::set_provisioning_state(&mut r.body, "Succeeded");
            }
        }
        (_, ok) => {
            if let Some(r) = st.get_mut(&op.resource_id) {
                common::set_provisioning_state(
                    &mut r.body,
                    if ok { "Succeeded" } else { "Failed" },
                );
            }
        }
    }
}
