//! Microsoft.ManagedIdentity 2023-01-31: user-assigned identities.

use super::Tags;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize)]
pub struct UserAssignedIdentity {
    pub location: String,
    pub tags: Tags,
}

/// What the steps read back: the identity's principal (for role assignments) and client id.
#[derive(Debug, Clone, Deserialize)]
pub struct IdentityResponse {
    pub id: String,
    pub properties: IdentityProperties,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityProperties {
    pub principal_id: String,
    pub client_id: String,
    #[serde(default)]
    pub tenant_id: Option<String>,
}
