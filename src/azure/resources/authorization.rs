//! Microsoft.Authorization 2022-04-01: role assignments, with names derived from (scope, role,
//! principal) so a repeated step PUTs the same assignment instead of creating another.

use serde::Serialize;

/// Built-in role definition ids.
pub const NETWORK_CONTRIBUTOR: &str = "4d97b98b-1d4f-4787-a291-c67834d212e7";
pub const ACR_PULL: &str = "7f951dda-4ed3-4680-a7ca-43fe172d538d";
pub const STORAGE_ACCOUNT_CONTRIBUTOR: &str = "17d1049b-9a84-46fb-8f53-869881c3d3ab";

#[derive(Debug, Clone, Serialize)]
pub struct RoleAssignment {
    pub properties: RoleAssignmentProperties,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentProperties {
    pub role_definition_id: String,
    pub principal_id: String,
    /// Set so a principal created moments ago is accepted before it has replicated.
    pub principal_type: &'static str,
}

impl RoleAssignment {
    pub fn service_principal(subscription: &str, role: &str, principal_id: &str) -> Self {
        RoleAssignment {
            properties: RoleAssignmentProperties {
                role_definition_id: format!(
                    "/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role}"
                ),
                principal_id: principal_id.to_string(),
                principal_type: "ServicePrincipal",
            },
        }
    }
}

/// A deterministic assignment name (UUIDv5 of scope, role and principal).
pub fn assignment_name(scope: &str, role: &str, principal_id: &str) -> String {
    let key = format!("{}|{role}|{principal_id}", scope.to_ascii_lowercase());
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, key.as_bytes()).to_string()
}

/// `{scope}/providers/Microsoft.Authorization/roleAssignments/{name}`
pub fn assignment_path(scope: &str, role: &str, principal_id: &str) -> String {
    format!(
        "{scope}/providers/Microsoft.Authorization/roleAssignments/{}",
        assignment_name(scope, role, principal_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_names_are_deterministic_guids() {
        let a = assignment_name(
            "/subscriptions/s/resourceGroups/RG",
            NETWORK_CONTRIBUTOR,
            "p1",
        );
        let b = assignment_name(
            "/subscriptions/s/resourcegroups/rg",
            NETWORK_CONTRIBUTOR,
            "p1",
        );
        assert_eq!(a, b, "scopes are case-insensitive in Azure");
        assert_ne!(
            a,
            assignment_name("/subscriptions/s/resourceGroups/RG", ACR_PULL, "p1")
        );
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }
}
