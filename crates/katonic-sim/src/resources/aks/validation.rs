//! The validation phase of the managed-cluster PUT: the request itself (name, body, location,
//! preconditions, DNS prefix, fields that cannot change), tier, support plan and version, the
//! API server's access profile and the Entra ID profile. Nothing here writes to the state.

use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::ArmError;
use crate::arm::router::ResPath;
use crate::schema::{self, Checked};
use crate::state::{Resource, State};

use super::checks;
use super::{CLUSTER, busy};
use crate::resources::common;

/// A cluster PUT as received: the checked body and the cluster it replaces, if any.
pub(super) struct ClusterRequest {
    /// The name in the request path.
    pub name: String,
    /// The id in the request path (case as sent).
    pub id: String,
    /// The stored id when the cluster exists (its case wins), else `id`.
    pub canonical_id: String,
    pub existing: Option<Resource>,
    pub checked: Checked,
    pub body: Value,
    pub location: String,
    pub tags: Option<Value>,
}

impl ClusterRequest {
    pub fn props(&self) -> &Value {
        &self.body["properties"]
    }

    pub fn created(&self) -> bool {
        self.existing.is_none()
    }
}

/// Read and check the request, in the order AKS reports its errors.
pub(super) fn request(ctx: &Ctx<'_>, st: &State, p: &ResPath) -> Result<ClusterRequest, ArmError> {
    let name = p.name().to_string();
    checks::cluster_name(&name)?;
    let raw = common::body_object(ctx)?;
    let checked = schema::check_request("ManagedClusters_CreateOrUpdate", &raw)?;
    let body = checked.body.clone();
    let location = common::location(ctx, &body, CLUSTER)?;
    let tags = common::tags(&body)?;
    let id = p.id();
    let existing = st.get(&id).cloned();
    common::preconditions(ctx, existing.as_ref())?;
    busy(ctx, st, &id)?;
    common::same_location(existing.as_ref(), &location, p)?;
    dns_prefix(&body["properties"])?;
    if let Some(old) = &existing {
        unchanged_fields(old, &body["properties"])?;
    }
    let canonical_id = existing
        .as_ref()
        .map(|r| r.id.clone())
        .unwrap_or(id.clone());
    Ok(ClusterRequest {
        name,
        id,
        canonical_id,
        existing,
        checked,
        body,
        location,
        tags,
    })
}

/// `dnsPrefix` (checked) or `fqdnSubdomain`: one of them is required.
fn dns_prefix(props_in: &Value) -> Result<(), ArmError> {
    match (
        props_in["dnsPrefix"].as_str(),
        props_in["fqdnSubdomain"].as_str(),
    ) {
        (Some(d), _) => checks::dns_prefix(d),
        (None, Some(_)) => Ok(()),
        (None, None) => Err(ArmError::bad_request(
            "InvalidParameter",
            "The value of parameter dnsPrefix is required: specify dnsPrefix or fqdnSubdomain.",
        )
        .target("properties.dnsPrefix")),
    }
}

/// The DNS names, node resource group and private-cluster switch are fixed at creation.
fn unchanged_fields(old: &Resource, props_in: &Value) -> Result<(), ArmError> {
    for key in ["dnsPrefix", "nodeResourceGroup", "fqdnSubdomain"] {
        let (a, b) = (&old.body["properties"][key], &props_in[key]);
        if !b.is_null()
            && a.as_str().map(str::to_ascii_lowercase) != b.as_str().map(str::to_ascii_lowercase)
        {
            return Err(ArmError::bad_request(
                "PropertyChangeNotAllowed",
                format!("Changing property '{key}' is not allowed."),
            )
            .target(format!("properties.{key}")));
        }
    }
    let old_private = old
        .body
        .pointer("/properties/apiServerAccessProfile/enablePrivateCluster")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let new_private = props_in
        .pointer("/apiServerAccessProfile/enablePrivateCluster")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if old_private != new_private {
        return Err(ArmError::bad_request(
            "PropertyChangeNotAllowed",
            "Changing property 'enablePrivateCluster' is not allowed.",
        )
        .target("properties.apiServerAccessProfile.enablePrivateCluster"));
    }
    Ok(())
}

/// Tier, support plan and the resolved Kubernetes version.
pub(super) struct Settings {
    pub sku: Value,
    pub plan: String,
    /// major.minor
    pub minor: String,
    pub patch: String,
}

/// The LTS plan needs the Premium tier; the version must be offered for the tier and plan.
pub(super) fn settings(ctx: &Ctx<'_>, req: &ClusterRequest) -> Result<Settings, ArmError> {
    let props_in = req.props();
    let sku = req
        .body
        .get("sku")
        .cloned()
        .unwrap_or(json!({"name": "Base", "tier": "Free"}));
    let tier = sku["tier"].as_str().unwrap_or("Free").to_string();
    let plan = props_in["supportPlan"]
        .as_str()
        .unwrap_or("KubernetesOfficial")
        .to_string();
    if plan.eq_ignore_ascii_case("AKSLongTermSupport") && !tier.eq_ignore_ascii_case("Premium") {
        return Err(ArmError::bad_request(
            "InvalidParameter",
            "The AKSLongTermSupport support plan requires the Premium tier.",
        )
        .target("properties.supportPlan"));
    }
    let (minor, patch) = checks::version(
        ctx,
        &req.location,
        props_in["kubernetesVersion"].as_str(),
        &tier,
        &plan,
    )?;
    Ok(Settings {
        sku,
        plan,
        minor,
        patch,
    })
}

/// The API server's access profile as requested.
pub(super) struct Access {
    pub profile: Value,
    pub private: bool,
    pub public_fqdn: bool,
}

/// A private cluster without a private DNS zone (`none`) is reachable only by its public FQDN.
pub(super) fn access(props_in: &Value) -> Result<Access, ArmError> {
    let profile = props_in
        .get("apiServerAccessProfile")
        .cloned()
        .unwrap_or(json!({}));
    let private = profile["enablePrivateCluster"].as_bool().unwrap_or(false);
    let public_fqdn = profile["enablePrivateClusterPublicFQDN"]
        .as_bool()
        .unwrap_or(true);
    if private
        && profile["privateDNSZone"]
            .as_str()
            .is_some_and(|z| z.eq_ignore_ascii_case("none"))
        && !public_fqdn
    {
        return Err(ArmError::bad_request(
            "InvalidParameter",
            "privateDNSZone 'none' requires enablePrivateClusterPublicFQDN to be true.",
        )
        .target("properties.apiServerAccessProfile.privateDNSZone"));
    }
    Ok(Access {
        profile,
        private,
        public_fqdn,
    })
}

/// `aadProfile` as AKS keeps it (tenant defaulted, the legacy server secret never returned),
/// and `disableLocalAccounts`, which needs AKS-managed Entra ID since Kubernetes 1.25.
pub(super) fn aad_profile(st: &State, props: &Value) -> Result<Option<Value>, ArmError> {
    let managed = props
        .pointer("/aadProfile/managed")
        .and_then(Value::as_bool)
        == Some(true);
    if props["disableLocalAccounts"].as_bool() == Some(true) && !managed {
        return Err(ArmError::bad_request(
            "BadRequest",
            "Since kubernetes version 1.25, disableLocalAccounts can only be set on Azure AD integration enabled cluster. Please integrate your cluster with AAD.",
        )
        .target("properties.disableLocalAccounts"));
    }
    let Some(aad) = props.get("aadProfile").filter(|a| a.is_object()) else {
        return Ok(None);
    };
    // Assumed wording: Azure RBAC for Kubernetes exists only with AKS-managed Entra ID.
    if aad["enableAzureRBAC"].as_bool() == Some(true) && !managed {
        return Err(ArmError::bad_request(
            "InvalidParameter",
            "Azure RBAC for Kubernetes authorization can only be enabled on a cluster with AKS-managed Azure AD integration (aadProfile.managed).",
        )
        .target("properties.aadProfile.enableAzureRBAC"));
    }
    let mut out = aad.clone();
    if let Some(o) = out.as_object_mut() {
        o.remove("serverAppSecret");
        if o.get("tenantID").is_none_or(Value::is_null) {
            o.insert("tenantID".into(), json!(st.account.tenant_id));
        }
        if managed && o.get("enableAzureRBAC").is_none_or(Value::is_null) {
            o.insert("enableAzureRBAC".into(), json!(false));
        }
    }
    Ok(Some(out))
}
