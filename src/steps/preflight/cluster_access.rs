//! Which way the console will sign in to an existing cluster, and whether that identity may then
//! configure it: with Azure RBAC for Kubernetes, only an Azure role grants that (Owner does not:
//! it has no data actions).

use serde_json::Value;

use super::list;
use super::verdict::Checks;
use crate::azure::resources::aks::ClusterResponseProperties;
use crate::azure::{ArmClient, api};
use crate::cluster::access::AccessMode;
use crate::steps::aks;
use crate::steps::errors::step_error;
use crate::worker::{StepContext, StepError};

const CHECK: &str = "cluster access";

/// The role an identity needs to configure a cluster under Azure RBAC for Kubernetes.
const AKS_RBAC_CLUSTER_ADMIN: &str = "Azure Kubernetes Service RBAC Cluster Admin";

/// The sign-in mode (from the cluster's GET body), then what it needs of the console's identity.
pub(super) async fn check(
    ctx: &StepContext,
    arm: &ArmClient,
    cluster: &Value,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    let name = ctx.spec.cluster.name.as_str();
    let props: ClusterResponseProperties = match cluster
        .get("properties")
        .cloned()
        .map(serde_json::from_value)
    {
        Some(Ok(p)) => p,
        _ => {
            return checks
                .fail(
                    CHECK,
                    format!("cluster {name} has no readable properties"),
                    "Check the cluster in the Azure portal, then resume.",
                )
                .await;
        }
    };
    let mode = match aks::access_mode(name, &props) {
        Ok(mode) => mode,
        Err(e) => {
            return checks.fail(CHECK, e.message, e.hint).await;
        }
    };
    checks
        .pass(CHECK, format!("the console will sign in with {mode}"))
        .await?;
    match mode {
        AccessMode::EntraToken { azure_rbac: false } => kubernetes_rbac(ctx, &props, checks).await,
        AccessMode::EntraToken { azure_rbac: true } => azure_rbac(ctx, arm, checks).await,
        AccessMode::LocalAdmin => Ok(()),
    }
}

/// Kubernetes RBAC with Entra ID: the grant lives inside the cluster, so Azure cannot show it;
/// a warning naming the admin groups.
async fn kubernetes_rbac(
    ctx: &StepContext,
    props: &ClusterResponseProperties,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    let name = ctx.spec.cluster.name.as_str();
    let groups = props
        .aad_profile
        .as_ref()
        .and_then(|a| a.admin_group_object_ids.clone())
        .unwrap_or_default();
    let groups = if groups.is_empty() {
        "none is set".to_string()
    } else {
        groups.join(", ")
    };
    checks
        .warn(
            CHECK,
            format!(
                "cluster {name} uses Kubernetes RBAC with Entra ID: the console's identity needs \
                 cluster-admin through one of the cluster's admin groups (adminGroupObjectIDs: {groups}) \
                 or a ClusterRoleBinding, which Azure cannot show"
            ),
            format!(
                "Add the console's identity to an admin group (az ad group member add), or set one: \
                 az aks update --resource-group {} --name {name} --aad-admin-group-object-ids <group id>",
                ctx.spec.azure.resource_group
            ),
        )
        .await
}

/// Azure RBAC for Kubernetes: the console's identity must hold every Kubernetes data action on
/// the cluster, else it can sign in but its changes are refused.
async fn azure_rbac(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    let name = ctx.spec.cluster.name.as_str();
    let cluster_id = aks::cluster_path(ctx);
    ctx.guard()?;
    let path = format!("{cluster_id}/providers/Microsoft.Authorization/permissions");
    let permissions = arm
        .get(&path, api::AUTHORIZATION)
        .await
        .map_err(|e| step_error("reading the console's permissions on the cluster", e))?;
    let fix = format!(
        "Grant it the role on the cluster: az role assignment create --role \"{AKS_RBAC_CLUSTER_ADMIN}\" \
         --assignee <the console's client id or object id> --scope {cluster_id}"
    );
    if is_kubernetes_admin(&list::<Value>(permissions, "value")) {
        checks
            .pass(
                CHECK,
                format!(
                    "Azure RBAC for Kubernetes: the console's identity holds every Kubernetes data action on cluster {name} ({AKS_RBAC_CLUSTER_ADMIN})"
                ),
            )
            .await
    } else {
        checks
            .warn(
                CHECK,
                format!(
                    "Azure RBAC for Kubernetes is enabled on cluster {name} and the console's identity \
                     lacks \"{AKS_RBAC_CLUSTER_ADMIN}\" there: it can sign in but the cluster will refuse \
                     its changes"
                ),
                fix,
            )
            .await
    }
}

/// Whether the permissions (`Microsoft.Authorization/permissions` entries) grant every
/// Kubernetes data action of the cluster, as "Azure Kubernetes Service RBAC Cluster Admin" does
/// (`Microsoft.ContainerService/managedClusters/*`, nothing excluded).
fn is_kubernetes_admin(permissions: &[Value]) -> bool {
    const PREFIX: &str = "microsoft.containerservice/managedclusters/";
    let strings = |p: &Value, key: &str| -> Vec<String> {
        p.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .collect()
            })
            .unwrap_or_default()
    };
    permissions.iter().any(|p| {
        let covers = strings(p, "dataActions").iter().any(|a| {
            a == "*" || (a.ends_with("/*") && PREFIX.starts_with(a.trim_end_matches('*')))
        });
        let excludes = strings(p, "notDataActions")
            .iter()
            .any(|a| a.starts_with(PREFIX) || a == "*");
        covers && !excludes
    })
}

#[cfg(test)]
mod access_tests {
    use super::is_kubernetes_admin;
    use serde_json::json;

    #[test]
    fn only_every_kubernetes_data_action_counts_as_cluster_admin() {
        let cluster_admin = json!({"actions": ["Microsoft.Authorization/*/read"], "dataActions": ["Microsoft.ContainerService/managedClusters/*"], "notDataActions": []});
        let owner =
            json!({"actions": ["*"], "notActions": [], "dataActions": [], "notDataActions": []});
        // "Azure Kubernetes Service RBAC Admin": the same data actions minus quotas and namespaces.
        let rbac_admin = json!({"dataActions": ["Microsoft.ContainerService/managedClusters/*"], "notDataActions": ["Microsoft.ContainerService/managedClusters/resourcequotas/write", "Microsoft.ContainerService/managedClusters/namespaces/write"]});
        let reader =
            json!({"dataActions": ["Microsoft.ContainerService/managedClusters/pods/read"]});
        assert!(is_kubernetes_admin(&[owner.clone(), cluster_admin]));
        assert!(is_kubernetes_admin(&[json!({"dataActions": ["*"]})]));
        assert!(!is_kubernetes_admin(&[owner]));
        assert!(!is_kubernetes_admin(&[rbac_admin]));
        assert!(!is_kubernetes_admin(&[reader]));
        assert!(!is_kubernetes_admin(&[]));
    }
}
