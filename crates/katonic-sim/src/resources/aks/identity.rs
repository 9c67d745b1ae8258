//! The identity phase of the managed-cluster PUT: the control-plane identity (system-assigned by
//! default; a user-assigned one must exist), whether it may join the pools' subnets, and the
//! kubelet identity AKS creates in the node resource group.

use serde_json::{Map, Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ErrorDetail};
use crate::catalog::NETWORK_ROLES;
use crate::resources::{authorization, common, groups, msi};
use crate::state::State;

use super::rendering::Names;
use super::validation::ClusterRequest;

/// The cluster's `identity` as stored: user-assigned ones resolved to their principal and
/// client ids; a system-assigned one keeps its principal across updates.
pub(super) fn cluster_identity(st: &mut State, req: &ClusterRequest) -> Result<Value, ArmError> {
    let identity = req
        .body
        .get("identity")
        .cloned()
        .unwrap_or(json!({"type": "SystemAssigned"}));
    let id_type = identity["type"].as_str().unwrap_or("SystemAssigned");
    if id_type.eq_ignore_ascii_case("UserAssigned") {
        user_assigned(st, &identity)
    } else if id_type.eq_ignore_ascii_case("SystemAssigned") {
        let principal = req
            .existing
            .as_ref()
            .and_then(|r| {
                r.body
                    .pointer("/identity/principalId")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| st.new_principal("ServicePrincipal", &req.name));
        Ok(
            json!({"type": "SystemAssigned", "principalId": principal, "tenantId": st.account.tenant_id}),
        )
    } else {
        Ok(identity)
    }
}

/// Exactly one user-assigned identity, and it must exist.
fn user_assigned(st: &State, identity: &Value) -> Result<Value, ArmError> {
    let ids = identity["userAssignedIdentities"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if ids.len() != 1 {
        return Err(ArmError::bad_request("InvalidParameter", "The cluster must have exactly one user-assigned identity in identity.userAssignedIdentities.").target("identity.userAssignedIdentities"));
    }
    let mut resolved = Map::new();
    for uid in ids.keys() {
        let Some(r) = st
            .get(uid)
            .filter(|r| r.kind.eq_ignore_ascii_case(msi::IDENTITY))
        else {
            return Err(ArmError::bad_request(
                "InvalidParameter",
                format!("The user-assigned identity '{uid}' of the cluster does not exist."),
            )
            .target("identity.userAssignedIdentities"));
        };
        resolved.insert(
            r.id.clone(),
            json!({"principalId": r.body["properties"]["principalId"], "clientId": r.body["properties"]["clientId"]}),
        );
    }
    Ok(json!({"type": "UserAssigned", "userAssignedIdentities": resolved}))
}

/// The cluster's control-plane identity principal (user-assigned identities only).
pub(crate) fn control_plane_principal(st: &State, identity: &Value) -> Option<String> {
    let ids = identity["userAssignedIdentities"].as_object()?;
    let (id, _) = ids.iter().next()?;
    st.get(id).and_then(|r| {
        r.body
            .pointer("/properties/principalId")
            .and_then(Value::as_str)
            .map(str::to_string)
    })
}

/// Check that the cluster identity may join the pools' subnets (Network Contributor on the
/// subnet, its VNet or above); without it the create fails late, as in Azure.
pub(super) fn subnet_permission_failure(
    st: &State,
    identity: &Value,
    subnets: &[String],
) -> Option<ErrorDetail> {
    let principal = control_plane_principal(st, identity)?;
    let missing: Vec<&String> = subnets
        .iter()
        .filter(|s| !authorization::granted(st, &principal, s, NETWORK_ROLES))
        .collect();
    let first = missing.first()?;
    Some(ErrorDetail::new(
        "LinkedAuthorizationFailed",
        format!(
            "The cluster identity with object id '{principal}' does not have authorization to perform action 'Microsoft.Network/virtualNetworks/subnets/join/action' over scope '{first}' or the scope is invalid. Grant the identity the Network Contributor role on the subnet or its virtual network."
        ),
    ))
}

/// The kubelet identity: kept on update; on create a user-assigned identity AKS makes in the
/// node resource group (which it creates too).
pub(super) fn kubelet(ctx: &Ctx<'_>, st: &mut State, req: &ClusterRequest, names: &Names) -> Value {
    if let Some(k) = req.existing.as_ref().and_then(|r| {
        r.body
            .pointer("/properties/identityProfile/kubeletidentity")
            .cloned()
    }) {
        return k;
    }
    let (node_rg, cluster_name) = (&names.node_rg, &names.cluster);
    groups::create_managed(ctx, st, node_rg, &req.location, &req.canonical_id);
    let kid = format!(
        "/subscriptions/{}/resourceGroups/{node_rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{cluster_name}-agentpool",
        st.account.subscription_id
    );
    let object_id = st.new_principal("ServicePrincipal", &format!("{cluster_name}-agentpool"));
    let client_id = uuid::Uuid::new_v4().to_string();
    let msi = json!({
        "id": kid, "name": format!("{cluster_name}-agentpool"), "type": msi::IDENTITY, "location": req.location,
        "properties": {"tenantId": st.account.tenant_id, "principalId": object_id, "clientId": client_id},
    });
    st.insert(common::new_resource(
        ctx,
        &kid,
        msi::IDENTITY,
        msi,
        Value::Null,
    ));
    json!({"resourceId": kid, "clientId": client_id, "objectId": object_id})
}
