//! Run state: the effects of a finished cluster or pool operation (provisioning states, the
//! provisioning error, and on delete the node resource group going with the cluster).

use serde_json::json;

use crate::arm::lro::{OpAction, Operation};
use crate::resources::common::{provisioning_state, set_provisioning_state};
use crate::resources::groups;
use crate::server::Shared;
use crate::state::State;

use super::{POOL_LC, pools_of};

/// Effects of a finished cluster or pool operation.
pub(crate) fn complete(shared: &Shared, st: &mut State, op: &Operation, ok: bool) {
    let _ = shared;
    let is_pool = op.kind.eq_ignore_ascii_case(POOL_LC);
    match (op.action, ok) {
        (OpAction::Delete, true) => {
            st.remove_tree(&op.resource_id);
            if !is_pool {
                // AKS deletes its node resource group with the cluster.
                let managed: Vec<String> = st
                    .of_kind(groups::KIND)
                    .filter(|g| {
                        g.body["managedBy"]
                            .as_str()
                            .is_some_and(|m| m.eq_ignore_ascii_case(&op.resource_id))
                    })
                    .map(|g| g.id.clone())
                    .collect();
                for g in managed {
                    st.remove_tree(&g);
                }
            }
        }
        (_, ok) => {
            let state = if ok { "Succeeded" } else { "Failed" };
            let (cluster_id, pool_ids): (String, Vec<String>) = if is_pool {
                (
                    op.resource_id
                        .rsplit_once("/agentPools/")
                        .map(|(c, _)| c.to_string())
                        .unwrap_or_default(),
                    vec![op.resource_id.clone()],
                )
            } else {
                let ids = pools_of(st, &op.resource_id)
                    .filter(|r| {
                        matches!(
                            provisioning_state(&r.body),
                            Some("Creating" | "Updating" | "Deleting")
                        )
                    })
                    .map(|r| r.id.clone())
                    .collect();
                (op.resource_id.clone(), ids)
            };
            for pid in pool_ids {
                if let Some(r) = st.get_mut(&pid) {
                    if op.action == OpAction::Delete {
                        set_provisioning_state(&mut r.body, "Succeeded");
                    } else {
                        set_provisioning_state(&mut r.body, state);
                    }
                }
            }
            if !is_pool && let Some(r) = st.get_mut(&cluster_id) {
                set_provisioning_state(
                    &mut r.body,
                    if op.action == OpAction::Delete {
                        "Succeeded"
                    } else {
                        state
                    },
                );
                if let (false, Some(e)) = (ok, &op.error) {
                    r.body["properties"]["status"] = json!({"provisioningError": e.to_json()});
                } else if let Some(o) = r.body["properties"].as_object_mut() {
                    o.remove("status");
                }
            }
        }
    }
}
