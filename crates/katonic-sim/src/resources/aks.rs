//! AKS managed clusters and agent pools: create/update/delete as LROs with the preflight checks
//! of `aks_checks`, private-cluster fields, kubelet identity, node resource group, credentials,
//! Kubernetes versions; plus the node and subnet usage other resources read.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, ErrorDetail, Reply};
use crate::arm::lro::{self, Final, NewOp, OpAction, Operation, UrlStyle};
use crate::arm::router::ResPath;
use crate::catalog::{NETWORK_ROLES, version_key};
use crate::schema;
use crate::server::{Shared, list};
use crate::state::{Resource, State};

use super::aks_checks::{self as checks, Net, PoolSpec};
use super::common::{self, method_not_allowed, provisioning_state, set_provisioning_state};

pub(crate) const CLUSTER: &str = "Microsoft.ContainerService/managedClusters";
pub(crate) const CLUSTER_LC: &str = "microsoft.containerservice/managedclusters";
pub(crate) const POOL: &str = "Microsoft.ContainerService/managedClusters/agentPools";
const POOL_LC: &str = "microsoft.containerservice/managedclusters/agentpools";
const NS: &str = "Microsoft.ContainerService";
const CLUSTER_CREATE_SECS: f64 = 360.0;
const CLUSTER_UPDATE_SECS: f64 = 180.0;
const CLUSTER_DELETE_SECS: f64 = 300.0;
const POOL_CREATE_SECS: f64 = 180.0;
const POOL_UPDATE_SECS: f64 = 120.0;
const POOL_DELETE_SECS: f64 = 120.0;
const NODE_IMAGE: &str = "AKSUbuntu-2204gen2containerd-202511.10.0";

pub(crate) fn provider_op(ctx: &Ctx<'_>, st: &mut State, rest: &[String]) -> ArmResult {
    let _ = st;
    match (rest, ctx.method().as_str()) {
        ([l, loc, v], "GET")
            if l.eq_ignore_ascii_case("locations")
                && v.eq_ignore_ascii_case("kubernetesVersions") =>
        {
            versions(ctx, loc)
        }
        _ => Err(ArmError::bad_request(
            "InvalidResourceType",
            format!(
                "The resource type '{}' could not be found in the namespace 'Microsoft.ContainerService'.",
                rest.join("/")
            ),
        )),
    }
}

fn versions(ctx: &Ctx<'_>, loc: &str) -> ArmResult {
    let Some(region) = ctx.catalog().region(loc) else {
        return Err(ArmError::bad_request(
            "LocationNotAvailableForResourceType",
            format!(
                "The provided location '{loc}' is not available for resource type 'Microsoft.ContainerService/locations/kubernetesVersions'."
            ),
        ));
    };
    let offered = ctx.catalog().k8s_versions(&region.name);
    let values: Vec<Value> = offered
        .iter()
        .map(|v| {
            let next: Vec<String> = offered
                .iter()
                .filter(|o| {
                    version_key(&o.version) > version_key(&v.version)
                        && version_key(&o.version).get(1).copied().unwrap_or(0)
                            == version_key(&v.version).get(1).copied().unwrap_or(0) + 1
                })
                .flat_map(|o| o.patches.clone())
                .collect();
            let mut patches = Map::new();
            for p in &v.patches {
                let mut upgrades: Vec<String> = v
                    .patches
                    .iter()
                    .filter(|q| version_key(q) > version_key(p))
                    .cloned()
                    .collect();
                upgrades.extend(next.iter().cloned());
                patches.insert(p.clone(), json!({"upgrades": upgrades}));
            }
            let plans: Vec<&str> = if v.lts_only {
                vec!["AKSLongTermSupport"]
            } else {
                vec!["KubernetesOfficial", "AKSLongTermSupport"]
            };
            json!({
                "version": v.version,
                "capabilities": {"supportPlan": plans},
                "isDefault": v.is_default,
                "isPreview": false,
                "patchVersions": patches,
            })
        })
        .collect();
    Ok(Reply::ok(json!({"values": values})))
}

pub(crate) fn handle(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    common::require_rg(ctx, st, p)?;
    let m = ctx.method().as_str();
    match (p.pairs.len(), p.tail.as_deref()) {
        (1, None) => match m {
            "PUT" => put_cluster(ctx, st, p),
            "GET" => st
                .get(&p.id())
                .map(|r| Reply::ok(render_cluster(ctx, st, r)))
                .ok_or_else(|| common::not_found(p)),
            "DELETE" => delete_cluster(ctx, st, p),
            _ => Err(method_not_allowed(ctx)),
        },
        (1, Some(t))
            if m == "POST"
                && (t.eq_ignore_ascii_case("listClusterAdminCredential")
                    || t.eq_ignore_ascii_case("listClusterUserCredential")) =>
        {
            credentials(
                ctx,
                st,
                p,
                t.eq_ignore_ascii_case("listClusterAdminCredential"),
            )
        }
        (1, Some(t)) if m == "GET" && t.eq_ignore_ascii_case("agentPools") => {
            let cluster = st.get(&p.id()).ok_or_else(|| common::not_found(p))?;
            Ok(Reply::ok(list(
                pools_of(st, &cluster.id).map(|r| r.body.clone()).collect(),
            )))
        }
        (2, None) if p.pairs[1].0.eq_ignore_ascii_case("agentPools") => match m {
            "PUT" => put_pool(ctx, st, p),
            "GET" => {
                let cluster = st
                    .get(&p.id_upto(1))
                    .ok_or_else(|| common::parent_not_found(p, 1))?;
                let name = cluster.body["name"].as_str().unwrap_or("").to_string();
                st.get(&p.id())
                    .map(|r| Reply::ok(r.body.clone()))
                    .ok_or_else(|| {
                        ArmError::not_found(
                            "NotFound",
                            format!(
                                "Could not find agent pool {} in managed cluster {name}.",
                                p.name()
                            ),
                        )
                    })
            }
            "DELETE" => delete_pool(ctx, st, p),
            _ => Err(method_not_allowed(ctx)),
        },
        _ => Err(method_not_allowed(ctx)),
    }
}

/// Pools of a cluster, in creation order.
fn pools_of<'a>(st: &'a State, cluster_id: &str) -> impl Iterator<Item = &'a Resource> + 'a {
    let mut pools: Vec<&Resource> = st
        .children(cluster_id)
        .filter(|r| r.kind.eq_ignore_ascii_case(POOL))
        .collect();
    pools.sort_by_key(|r| r.created);
    pools.into_iter()
}

/// 409 while the cluster or any of its pools has an operation running.
fn busy(ctx: &Ctx<'_>, st: &State, cluster_id: &str) -> Result<(), ArmError> {
    common::busy(ctx, st, cluster_id, true)?;
    let pool_ids: Vec<String> = pools_of(st, cluster_id).map(|r| r.id.clone()).collect();
    for id in pool_ids {
        common::busy(ctx, st, &id, true)?;
    }
    Ok(())
}

fn short_hash(s: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        s.to_ascii_lowercase().as_bytes(),
    )
    .simple()
    .to_string()[..8]
        .to_string()
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
fn subnet_permission_failure(
    st: &State,
    identity: &Value,
    subnets: &[String],
) -> Option<ErrorDetail> {
    let principal = control_plane_principal(st, identity)?;
    let missing: Vec<&String> = subnets
        .iter()
        .filter(|s| !super::authorization::granted(st, &principal, s, NETWORK_ROLES))
        .collect();
    let first = missing.first()?;
    Some(ErrorDetail::new(
        "LinkedAuthorizationFailed",
        format!(
            "The cluster identity with object id '{principal}' does not have authorization to perform action 'Microsoft.Network/virtualNetworks/subnets/join/action' over scope '{first}' or the scope is invalid. Grant the identity the Network Contributor role on the subnet or its virtual network."
        ),
    ))
}

/// Address spaces of the VNets of the given subnets.
fn vnet_spaces(st: &State, subnets: &[String]) -> Vec<ipnet::IpNet> {
    let mut out = Vec::new();
    for s in subnets {
        if let Some((vnet, _)) = super::network::find_subnet(st, s) {
            for p in vnet.body["properties"]["addressSpace"]["addressPrefixes"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if let Some(n) = p.as_str().and_then(|x| x.parse().ok())
                    && !out.contains(&n)
                {
                    out.push(n);
                }
            }
        }
    }
    out
}

fn check_subnets_exist(st: &State, pools: &[PoolSpec]) -> Result<Vec<String>, ArmError> {
    let with: Vec<&PoolSpec> = pools.iter().filter(|p| p.subnet.is_some()).collect();
    if !with.is_empty() && with.len() != pools.len() {
        return Err(ArmError::bad_request(
            "InvalidParameter",
            "All agent pools must specify vnetSubnetID, or none of them.",
        )
        .target("properties.agentPoolProfiles.vnetSubnetID"));
    }
    let mut subnets: Vec<String> = Vec::new();
    let mut vnets: Vec<String> = Vec::new();
    for p in with {
        let id = p.subnet.clone().unwrap_or_default();
        let Some((vnet, subnet)) = super::network::find_subnet(st, &id) else {
            return Err(ArmError::bad_request(
                "InvalidParameter",
                format!("The value of parameter agentPoolProfile.vnetSubnetID is invalid: the subnet '{id}' of agent pool {} does not exist.", p.name),
            )
            .target("agentPoolProfile.vnetSubnetID"));
        };
        let canonical = subnet["id"].as_str().unwrap_or(&id).to_string();
        if !vnets.iter().any(|v| v.eq_ignore_ascii_case(&vnet.id)) {
            vnets.push(vnet.id.clone());
        }
        if !subnets.iter().any(|s| s.eq_ignore_ascii_case(&canonical)) {
            subnets.push(canonical);
        }
    }
    if vnets.len() > 1 {
        return Err(ArmError::bad_request(
            "InvalidParameter",
            "All agent pools of a cluster must use subnets of the same virtual network.",
        )
        .target("agentPoolProfile.vnetSubnetID"));
    }
    Ok(subnets)
}

/// Subnet demands of pools: (subnet, pool, nodes incl. surge, IPs per node).
fn demands(pools: &[PoolSpec], net: &Net) -> Vec<(String, String, i64, i64)> {
    pools
        .iter()
        .filter_map(|p| {
            let s = p.subnet.clone()?;
            Some((
                s,
                p.name.clone(),
                p.nodes_at_max() + p.surge(),
                net.ips_per_node(p.max_pods.or(Some(net.default_max_pods()))),
            ))
        })
        .collect()
}

/// The stored AgentPool body for a pool spec.
fn pool_body(
    cluster_id: &str,
    spec: &PoolSpec,
    version: &str,
    patch: &str,
    net: &Net,
    state: &str,
    existing: Option<&Value>,
) -> Value {
    let mut props = spec.props.as_object().cloned().unwrap_or_default();
    let set = |props: &mut Map<String, Value>, k: &str, v: Value| {
        if props.get(k).is_none_or(Value::is_null) {
            props.insert(k.to_string(), v);
        }
    };
    props.insert("count".into(), json!(spec.count));
    props.insert(
        "mode".into(),
        json!(canonical(&spec.mode, &["System", "User", "Gateway"])),
    );
    props.insert(
        "type".into(),
        json!(canonical(
            &spec.pool_type,
            &[
                "VirtualMachineScaleSets",
                "AvailabilitySet",
                "VirtualMachines"
            ]
        )),
    );
    set(&mut props, "osType", json!("Linux"));
    set(&mut props, "osSKU", json!("Ubuntu"));
    set(&mut props, "osDiskSizeGB", json!(128));
    set(&mut props, "osDiskType", json!("Managed"));
    set(&mut props, "kubeletDiskType", json!("OS"));
    set(&mut props, "maxPods", json!(net.default_max_pods()));
    set(&mut props, "enableAutoScaling", json!(false));
    set(&mut props, "enableNodePublicIP", json!(false));
    set(&mut props, "enableFIPS", json!(false));
    set(&mut props, "enableEncryptionAtHost", json!(false));
    set(&mut props, "enableUltraSSD", json!(false));
    set(&mut props, "scaleDownMode", json!("Delete"));
    set(&mut props, "upgradeSettings", json!({"maxSurge": "10%"}));
    props.insert("orchestratorVersion".into(), json!(version));
    props.insert("currentOrchestratorVersion".into(), json!(patch));
    props.insert("nodeImageVersion".into(), json!(NODE_IMAGE));
    props.insert("provisioningState".into(), json!(state));
    props.insert("powerState".into(), json!({"code": "Running"}));
    props.insert("eTag".into(), json!(uuid::Uuid::new_v4().to_string()));
    if spec.zones.is_empty() {
        props.remove("availabilityZones");
    }
    let _ = existing;
    json!({
        "id": format!("{cluster_id}/agentPools/{}", spec.name),
        "name": spec.name,
        "type": POOL,
        "properties": props,
    })
}

/// `aadProfile` as AKS keeps it (tenant defaulted, the legacy server secret never returned),
/// and `disableLocalAccounts`, which needs AKS-managed Entra ID since Kubernetes 1.25.
fn aad_profile(st: &State, props: &Value) -> Result<Option<Value>, ArmError> {
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

fn canonical(v: &str, allowed: &[&str]) -> String {
    allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(v))
        .map(|a| (*a).to_string())
        .unwrap_or_else(|| v.to_string())
}

fn put_cluster(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
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
    let props_in = &body["properties"];
    let dns = props_in["dnsPrefix"].as_str();
    match (dns, props_in["fqdnSubdomain"].as_str()) {
        (Some(d), _) => checks::dns_prefix(d)?,
        (None, Some(_)) => {}
        (None, None) => {
            return Err(ArmError::bad_request(
                "InvalidParameter",
                "The value of parameter dnsPrefix is required: specify dnsPrefix or fqdnSubdomain.",
            )
            .target("properties.dnsPrefix"));
        }
    }
    if let Some(old) = &existing {
        for key in ["dnsPrefix", "nodeResourceGroup", "fqdnSubdomain"] {
            let (a, b) = (&old.body["properties"][key], &props_in[key]);
            if !b.is_null()
                && a.as_str().map(str::to_ascii_lowercase)
                    != b.as_str().map(str::to_ascii_lowercase)
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
    }
    // Identity: default system-assigned; a user-assigned one must exist.
    let mut identity = body
        .get("identity")
        .cloned()
        .unwrap_or(json!({"type": "SystemAssigned"}));
    let id_type = identity["type"]
        .as_str()
        .unwrap_or("SystemAssigned")
        .to_string();
    if id_type.eq_ignore_ascii_case("UserAssigned") {
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
                .filter(|r| r.kind.eq_ignore_ascii_case(super::msi::IDENTITY))
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
        identity = json!({"type": "UserAssigned", "userAssignedIdentities": resolved});
    } else if id_type.eq_ignore_ascii_case("SystemAssigned") {
        let principal = existing
            .as_ref()
            .and_then(|r| {
                r.body
                    .pointer("/identity/principalId")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| st.new_principal("ServicePrincipal", &name));
        identity = json!({"type": "SystemAssigned", "principalId": principal, "tenantId": st.account.tenant_id});
    }
    let sku = body
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
        &location,
        props_in["kubernetesVersion"].as_str(),
        &tier,
        &plan,
    )?;
    // Pools: those in the body; on update, existing pools not listed are kept.
    let profiles = props_in["agentPoolProfiles"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if existing.is_none() && profiles.is_empty() {
        return Err(ArmError::bad_request("InvalidParameter", "The value of parameter agentPoolProfiles is required: a cluster needs at least one agent pool.").target("properties.agentPoolProfiles"));
    }
    let mut specs = Vec::new();
    for prof in &profiles {
        let pname = prof["name"].as_str().unwrap_or("");
        let mut props = prof.clone();
        if let Some(o) = props.as_object_mut() {
            o.remove("name");
        }
        let spec = checks::pool(pname, &props)?;
        if specs.iter().any(|s: &PoolSpec| s.name == spec.name) {
            return Err(ArmError::bad_request(
                "InvalidParameter",
                format!("Agent pool name {} is used more than once.", spec.name),
            )
            .target("properties.agentPoolProfiles"));
        }
        specs.push(spec);
    }
    let canonical_id = existing
        .as_ref()
        .map(|r| r.id.clone())
        .unwrap_or(id.clone());
    let kept: Vec<Resource> = pools_of(st, &canonical_id)
        .filter(|r| {
            !specs
                .iter()
                .any(|s| r.body["name"].as_str().is_some_and(|n| n == s.name))
        })
        .cloned()
        .collect();
    let system = specs.iter().any(|s| s.mode.eq_ignore_ascii_case("System"))
        || kept
            .iter()
            .any(|r| r.body["properties"]["mode"].as_str() == Some("System"));
    if !system {
        return Err(ArmError::bad_request(
            "MustDefineAtLeastOneSystemPool",
            "Must define at least one system pool.",
        ));
    }
    for s in &specs {
        checks::size_and_zones(ctx, s, &location)?;
        checks::pool_version(
            ctx,
            &location,
            s.props["orchestratorVersion"].as_str(),
            &minor,
        )?;
        if let Some(old) = st.get(&format!("{canonical_id}/agentPools/{}", s.name)) {
            immutable_pool_fields(old, s)?;
        }
    }
    let subnets = check_subnets_exist(st, &specs)?;
    let mut network = props_in.get("networkProfile").cloned().unwrap_or(json!({}));
    if network["networkPlugin"].is_null() {
        network["networkPlugin"] = json!("azure");
        if network["networkPluginMode"].is_null() {
            network["networkPluginMode"] = json!("overlay");
        }
    }
    checks::network_profile(&network, &vnet_spaces(st, &subnets))?;
    let net = Net::from_profile(&network);
    let access = props_in
        .get("apiServerAccessProfile")
        .cloned()
        .unwrap_or(json!({}));
    let private = access["enablePrivateCluster"].as_bool().unwrap_or(false);
    let public_fqdn = access["enablePrivateClusterPublicFQDN"]
        .as_bool()
        .unwrap_or(true);
    if private
        && access["privateDNSZone"]
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
    let aad = aad_profile(st, props_in)?;
    let replaced: Vec<String> = specs
        .iter()
        .map(|s| format!("{canonical_id}/agentPools/{}", s.name))
        .collect();
    checks::subnet_capacity(st, &demands(&specs, &net), &replaced)?;
    checks::quota(ctx, st, &name, &p.rg, &location, &specs, &replaced)?;
    checked.raise("InvalidParameter")?;
    if common::identical(existing.as_ref(), &body) {
        let r = st.get(&id).ok_or_else(|| common::not_found(p))?;
        return Ok(Reply::ok(render_cluster(ctx, st, r)));
    }
    let failure = if existing.is_none() {
        subnet_permission_failure(st, &identity, &subnets)
    } else {
        None
    };
    let created = existing.is_none();
    let state = if created { "Creating" } else { "Updating" };
    let cluster_name = existing
        .as_ref()
        .and_then(|r| r.body["name"].as_str().map(str::to_string))
        .unwrap_or(name.clone());
    let node_rg = existing
        .as_ref()
        .and_then(|r| {
            r.body["properties"]["nodeResourceGroup"]
                .as_str()
                .map(str::to_string)
        })
        .or_else(|| props_in["nodeResourceGroup"].as_str().map(str::to_string))
        .unwrap_or_else(|| format!("MC_{}_{}_{}", p.rg, cluster_name, location));
    let hash = short_hash(&canonical_id);
    let prefix = dns
        .map(str::to_string)
        .unwrap_or_else(|| props_in["fqdnSubdomain"].as_str().unwrap_or("").to_string());
    // Kubelet identity: a user-assigned identity AKS creates in the node resource group.
    let kubelet = match existing.as_ref().and_then(|r| {
        r.body
            .pointer("/properties/identityProfile/kubeletidentity")
            .cloned()
    }) {
        Some(k) => k,
        None => {
            super::groups::create_managed(ctx, st, &node_rg, &location, &canonical_id);
            let kid = format!(
                "/subscriptions/{}/resourceGroups/{node_rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{cluster_name}-agentpool",
                st.account.subscription_id
            );
            let object_id =
                st.new_principal("ServicePrincipal", &format!("{cluster_name}-agentpool"));
            let client_id = uuid::Uuid::new_v4().to_string();
            let msi = json!({
                "id": kid, "name": format!("{cluster_name}-agentpool"), "type": super::msi::IDENTITY, "location": location,
                "properties": {"tenantId": st.account.tenant_id, "principalId": object_id, "clientId": client_id},
            });
            st.insert(common::new_resource(
                ctx,
                &kid,
                super::msi::IDENTITY,
                msi,
                Value::Null,
            ));
            json!({"resourceId": kid, "clientId": client_id, "objectId": object_id})
        }
    };
    let mut props = props_in.as_object().cloned().unwrap_or_default();
    props.remove("agentPoolProfiles");
    props.insert("provisioningState".into(), json!(state));
    props.insert("powerState".into(), json!({"code": "Running"}));
    props.insert(
        "kubernetesVersion".into(),
        json!(props_in["kubernetesVersion"].as_str().unwrap_or(&minor)),
    );
    props.insert("currentKubernetesVersion".into(), json!(patch));
    props.insert("nodeResourceGroup".into(), json!(node_rg));
    props.insert(
        "enableRBAC".into(),
        json!(props_in["enableRBAC"].as_bool().unwrap_or(true)),
    );
    props.insert("supportPlan".into(), json!(plan));
    match aad {
        Some(a) => props.insert("aadProfile".into(), a),
        None => props.remove("aadProfile"),
    };
    props.insert("maxAgentPools".into(), json!(100));
    props.insert(
        "identityProfile".into(),
        json!({"kubeletidentity": kubelet}),
    );
    // A managed-identity cluster reports the placeholder service principal `msi`; a secret is
    // never returned.
    let mut sp = props_in
        .get("servicePrincipalProfile")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or(json!({}));
    if let Some(o) = sp.as_object_mut() {
        o.remove("secret");
    }
    if sp["clientId"].is_null() {
        sp["clientId"] = json!("msi");
    }
    props.insert("servicePrincipalProfile".into(), sp);
    props.insert(
        "resourceUID".into(),
        json!(
            existing
                .as_ref()
                .and_then(|r| r.body["properties"]["resourceUID"]
                    .as_str()
                    .map(str::to_string))
                .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..24].to_string())
        ),
    );
    let region = location.clone();
    if !private || public_fqdn {
        props.insert(
            "fqdn".into(),
            json!(format!("{prefix}-{hash}.hcp.{region}.azmk8s.io")),
        );
    }
    props.insert(
        "azurePortalFQDN".into(),
        json!(format!("{prefix}-{hash}.portal.hcp.{region}.azmk8s.io")),
    );
    if private {
        let guid = existing
            .as_ref()
            .and_then(|r| {
                r.body["properties"]["privateFQDN"]
                    .as_str()
                    .and_then(|f| f.split('.').nth(1))
                    .map(str::to_string)
            })
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        props.insert(
            "privateFQDN".into(),
            json!(format!(
                "{prefix}-{hash}.{guid}.privatelink.{region}.azmk8s.io"
            )),
        );
        let mut a = access.clone();
        if a["privateDNSZone"].is_null() {
            a["privateDNSZone"] = json!("system");
        }
        a["enablePrivateClusterPublicFQDN"] = json!(public_fqdn);
        props.insert("apiServerAccessProfile".into(), a);
    }
    let mut netp = network.clone();
    if netp["networkPolicy"].is_null() {
        netp["networkPolicy"] = json!("none");
    }
    if netp["serviceCidr"].is_null() {
        netp["serviceCidr"] = json!("10.0.0.0/16");
        netp["dnsServiceIP"] = json!("10.0.0.10");
    }
    if (net.overlay || net.plugin == "kubenet") && netp["podCidr"].is_null() {
        netp["podCidr"] = json!("10.244.0.0/16");
    }
    if netp["outboundType"].is_null() {
        netp["outboundType"] = json!("loadBalancer");
    }
    if netp["loadBalancerSku"].is_null() {
        netp["loadBalancerSku"] = json!("standard");
    }
    if netp["outboundType"].as_str() == Some("loadBalancer")
        && netp["loadBalancerProfile"].is_null()
    {
        let sub = st.account.subscription_id.clone();
        netp["loadBalancerProfile"] = json!({
            "managedOutboundIPs": {"count": 1},
            "effectiveOutboundIPs": [{"id": format!("/subscriptions/{sub}/resourceGroups/{node_rg}/providers/Microsoft.Network/publicIPAddresses/{}", uuid::Uuid::new_v4())}],
            "backendPoolType": "NodeIPConfiguration",
        });
    }
    if let Some(pod) = netp["podCidr"].as_str().map(str::to_string) {
        netp["podCidrs"] = json!([pod]);
    }
    if let Some(svc) = netp["serviceCidr"].as_str().map(str::to_string) {
        netp["serviceCidrs"] = json!([svc]);
    }
    netp["ipFamilies"] = json!(["IPv4"]);
    props.insert("networkProfile".into(), netp);
    let mut cluster = json!({
        "id": canonical_id,
        "location": location,
        "name": cluster_name,
        "type": "Microsoft.ContainerService/ManagedClusters",
        "eTag": uuid::Uuid::new_v4().to_string(),
        "sku": sku,
        "identity": identity,
        "properties": props,
    });
    if let Some(t) = tags {
        cluster["tags"] = t;
    }
    match existing {
        Some(mut r) => {
            r.body = cluster;
            r.request = body.clone();
            st.insert(r);
        }
        None => {
            let mut r = common::new_resource(ctx, &canonical_id, CLUSTER, cluster, body.clone());
            let leaf = ctx
                .shared
                .ca
                .client_leaf("masterclient", "system:masters")
                .map_err(|e| {
                    ArmError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "InternalServerError",
                        format!("certificate generation failed: {e}"),
                    )
                })?;
            r.private = json!({"certPem": leaf.cert_pem, "keyPem": leaf.key_pem, "token": uuid::Uuid::new_v4().simple().to_string()});
            st.insert(r);
        }
    }
    for s in &specs {
        let pid = format!("{canonical_id}/agentPools/{}", s.name);
        let pool_minor = checks::pool_version(
            ctx,
            &location,
            s.props["orchestratorVersion"].as_str(),
            &minor,
        )?;
        let pool_patch = if pool_minor == minor {
            patch.clone()
        } else {
            latest_patch(ctx, &location, &pool_minor)
        };
        let old = st.get(&pid).cloned();
        let pbody = pool_body(
            &canonical_id,
            s,
            &pool_minor,
            &pool_patch,
            &net,
            state,
            old.as_ref().map(|r| &r.body),
        );
        match old {
            Some(mut r) => {
                r.body = pbody;
                st.insert(r);
            }
            None => {
                let mut r = common::new_resource(ctx, &pid, POOL, pbody, Value::Null);
                // Creation order must follow the body's order for agentPoolProfiles.
                r.created = ctx.now()
                    + time::Duration::nanoseconds(
                        specs.iter().position(|x| x.name == s.name).unwrap_or(0) as i64,
                    );
                st.insert(r);
            }
        }
    }
    let op = lro::start(
        ctx,
        st,
        NewOp {
            resource_id: &canonical_id,
            kind: CLUSTER,
            action: if created {
                OpAction::Create
            } else {
                OpAction::Update
            },
            namespace: NS,
            location: &location,
            nominal_secs: if created {
                CLUSTER_CREATE_SECS
            } else {
                CLUSTER_UPDATE_SECS
            },
            style: UrlStyle::Provider,
            on_success: Final::Resource,
            failure,
        },
    );
    let r = st.get(&canonical_id).ok_or_else(|| common::not_found(p))?;
    let mut reply = Reply::upserted(created, render_cluster(ctx, st, r));
    for (k, v) in lro::headers(ctx.shared, st, &op, ctx.now(), true, false) {
        reply = reply.header(k, v);
    }
    Ok(reply)
}

fn latest_patch(ctx: &Ctx<'_>, location: &str, minor: &str) -> String {
    ctx.catalog()
        .k8s_versions(location)
        .iter()
        .find(|v| v.version == minor)
        .and_then(|v| v.patches.iter().max_by_key(|p| version_key(p)).cloned())
        .unwrap_or_else(|| format!("{minor}.0"))
}

/// vmSize, zones, type, OS and subnet of a pool cannot change.
fn immutable_pool_fields(old: &Resource, new: &PoolSpec) -> Result<(), ArmError> {
    let o = &old.body["properties"];
    let same_str = |k: &str, v: Option<&str>| match (o[k].as_str(), v) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (_, None) => true,
        (None, Some(_)) => false,
    };
    let zones_old: Vec<String> = o["availabilityZones"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let checks = [
        ("vmSize", same_str("vmSize", Some(&new.vm_size))),
        ("availabilityZones", zones_old == new.zones),
        ("type", same_str("type", Some(&new.pool_type))),
        (
            "vnetSubnetID",
            same_str("vnetSubnetID", new.subnet.as_deref()),
        ),
        ("osType", same_str("osType", new.props["osType"].as_str())),
    ];
    for (k, ok) in checks {
        if !ok {
            return Err(ArmError::bad_request(
                "PropertyChangeNotAllowed",
                format!(
                    "Changing property '{k}' of agent pool {} is not allowed.",
                    new.name
                ),
            )
            .target(k));
        }
    }
    Ok(())
}

fn delete_cluster(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let id = p.id();
    let Some(cluster) = st.get(&id).cloned() else {
        return Ok(Reply::empty(StatusCode::NO_CONTENT));
    };
    if provisioning_state(&cluster.body) == Some("Deleting")
        && let Some(op) = lro::running(st, &id).map(|o| o.id.clone())
    {
        let mut reply = Reply::empty(StatusCode::ACCEPTED);
        for (k, v) in lro::headers(ctx.shared, st, &op, ctx.now(), true, true) {
            reply = reply.header(k, v);
        }
        return Ok(reply);
    }
    // A delete preempts running operations on the cluster and its pools.
    let mut running: Vec<String> = Vec::new();
    if let Some(o) = lro::running(st, &id) {
        running.push(o.id.clone());
    }
    for pool in pools_of(st, &id) {
        if let Some(o) = lro::running(st, &pool.id) {
            running.push(o.id.clone());
        }
    }
    for op in running {
        lro::cancel(st, &op, ctx.now());
        if let Some(o) = st.operations.get_mut(&op) {
            o.error = Some(ErrorDetail::new(
                "OperationPreemptedByDelete",
                "The operation was preempted by a delete of the managed cluster.",
            ));
        }
    }
    for pool_id in pools_of(st, &id).map(|r| r.id.clone()).collect::<Vec<_>>() {
        if let Some(r) = st.get_mut(&pool_id) {
            set_provisioning_state(&mut r.body, "Deleting");
            r.op = None;
        }
    }
    common::accept_delete(ctx, st, &id, NS, CLUSTER_DELETE_SECS)
}

fn put_pool(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let cluster_id = p.id_upto(1);
    let cluster = st
        .get(&cluster_id)
        .cloned()
        .ok_or_else(|| common::parent_not_found(p, 1))?;
    let raw = common::body_object(ctx)?;
    let checked = schema::check_request("AgentPools_CreateOrUpdate", &raw)?;
    let body = checked.body.clone();
    busy(ctx, st, &cluster.id)?;
    if provisioning_state(&cluster.body) == Some("Deleting") {
        return Err(ArmError::conflict(
            "OperationNotAllowed",
            "Operation is not allowed because the managed cluster is being deleted.",
        ));
    }
    let props_in = body.get("properties").cloned().unwrap_or(json!({}));
    let spec = checks::pool(p.name(), &props_in)?;
    let pid = format!("{}/agentPools/{}", cluster.id, spec.name);
    let existing = st.get(&pid).cloned();
    common::preconditions(ctx, existing.as_ref())?;
    let location = cluster.body["location"]
        .as_str()
        .unwrap_or("eastus")
        .to_string();
    let minor = cluster.body["properties"]["kubernetesVersion"]
        .as_str()
        .unwrap_or("")
        .split('.')
        .take(2)
        .collect::<Vec<_>>()
        .join(".");
    checks::size_and_zones(ctx, &spec, &location)?;
    let pool_minor = checks::pool_version(
        ctx,
        &location,
        spec.props["orchestratorVersion"].as_str(),
        &minor,
    )?;
    if let Some(old) = &existing {
        immutable_pool_fields(old, &spec)?;
        let other_system = pools_of(st, &cluster.id)
            .any(|r| r.id != old.id && r.body["properties"]["mode"].as_str() == Some("System"));
        if old.body["properties"]["mode"].as_str() == Some("System")
            && !spec.mode.eq_ignore_ascii_case("System")
            && !other_system
        {
            return Err(ArmError::bad_request(
                "MustDefineAtLeastOneSystemPool",
                "Must define at least one system pool.",
            ));
        }
    }
    let subnets = check_subnets_exist(st, std::slice::from_ref(&spec))?;
    // Pools of a cluster share its VNet.
    if let (Some(s), Some(other)) = (
        subnets.first(),
        pools_of(st, &cluster.id).find_map(|r| {
            r.body["properties"]["vnetSubnetID"]
                .as_str()
                .map(str::to_string)
        }),
    ) {
        let vnet_of = |x: &str| {
            x.to_ascii_lowercase()
                .rsplit_once("/subnets/")
                .map(|(v, _)| v.to_string())
        };
        if vnet_of(s) != vnet_of(&other) {
            return Err(ArmError::bad_request(
                "InvalidParameter",
                "All agent pools of a cluster must use subnets of the same virtual network.",
            )
            .target("properties.vnetSubnetID"));
        }
    }
    let net = Net::from_profile(&cluster.body["properties"]["networkProfile"]);
    checks::subnet_capacity(
        st,
        &demands(std::slice::from_ref(&spec), &net),
        std::slice::from_ref(&pid),
    )?;
    checks::quota(
        ctx,
        st,
        cluster.body["name"].as_str().unwrap_or(""),
        &p.rg,
        &location,
        std::slice::from_ref(&spec),
        std::slice::from_ref(&pid),
    )?;
    checked.raise("InvalidParameter")?;
    if common::identical(existing.as_ref(), &body) {
        return Ok(Reply::ok(existing.map(|r| r.body).unwrap_or_default()));
    }
    let failure = if existing.is_none() {
        subnet_permission_failure(st, &cluster.body["identity"], &subnets)
    } else {
        None
    };
    let created = existing.is_none();
    let patch = latest_patch(ctx, &location, &pool_minor);
    let pbody = pool_body(
        &cluster.id,
        &spec,
        &pool_minor,
        &patch,
        &net,
        if created { "Creating" } else { "Updating" },
        existing.as_ref().map(|r| &r.body),
    );
    common::upsert(ctx, st, existing, &pid, POOL, pbody, body);
    let op = lro::start(
        ctx,
        st,
        NewOp {
            resource_id: &pid,
            kind: POOL,
            action: if created {
                OpAction::Create
            } else {
                OpAction::Update
            },
            namespace: NS,
            location: &location,
            nominal_secs: if created {
                POOL_CREATE_SECS
            } else {
                POOL_UPDATE_SECS
            },
            style: UrlStyle::Provider,
            on_success: Final::Resource,
            failure,
        },
    );
    let r = st.get(&pid).ok_or_else(|| common::not_found(p))?;
    let mut reply = Reply::upserted(created, r.body.clone());
    for (k, v) in lro::headers(ctx.shared, st, &op, ctx.now(), true, false) {
        reply = reply.header(k, v);
    }
    Ok(reply)
}

fn delete_pool(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let cluster_id = p.id_upto(1);
    let cluster = st
        .get(&cluster_id)
        .cloned()
        .ok_or_else(|| common::parent_not_found(p, 1))?;
    let pid = p.id();
    let Some(pool) = st.get(&pid).cloned() else {
        return Ok(Reply::empty(StatusCode::NO_CONTENT));
    };
    busy(ctx, st, &cluster.id)?;
    let other_system = pools_of(st, &cluster.id)
        .any(|r| r.id != pool.id && r.body["properties"]["mode"].as_str() == Some("System"));
    if pool.body["properties"]["mode"].as_str() == Some("System") && !other_system {
        return Err(ArmError::bad_request(
            "OperationNotAllowed",
            "The last system agent pool of a cluster cannot be deleted: a cluster must have at least one system pool.",
        ));
    }
    common::accept_delete(ctx, st, &pool.id, NS, POOL_DELETE_SECS)
}

fn credentials(ctx: &Ctx<'_>, st: &State, p: &ResPath, admin: bool) -> ArmResult {
    let cluster = st.get(&p.id()).ok_or_else(|| common::not_found(p))?;
    if provisioning_state(&cluster.body) == Some("Creating") {
        return Err(ArmError::conflict(
            "OperationNotAllowed",
            "The managed cluster is still being created; credentials are available once it is created.",
        ));
    }
    if admin && cluster.body["properties"]["disableLocalAccounts"].as_bool() == Some(true) {
        return Err(ArmError::bad_request(
            "BadRequest",
            "Getting static credential is not allowed because this cluster is set to disable local accounts.",
        ));
    }
    let format = ctx.req.q("format");
    if let Some(f) = format.filter(|f| !["azure", "exec"].iter().any(|a| a.eq_ignore_ascii_case(f)))
    {
        return Err(ArmError::bad_request(
            "InvalidParameter",
            format!("The value '{f}' of parameter format is invalid: allowed values are 'azure' and 'exec'."),
        )
        .target("format"));
    }
    let name = cluster.body["name"].as_str().unwrap_or("");
    let server = format!("{}/kubernetes/{name}", ctx.shared.base);
    let user = format!(
        "{}_{}_{name}",
        if admin { "clusterAdmin" } else { "clusterUser" },
        p.rg
    );
    let aad = cluster.body["properties"]["aadProfile"]["managed"].as_bool() == Some(true);
    let text = if aad && !admin {
        // An Entra ID cluster's user kubeconfig carries no credential: kubelogin gets a token.
        // (`format=azure`, the removed auth-provider form, is answered the same way here.)
        crate::kubeconfig::render_exec(&crate::kubeconfig::ExecParts {
            cluster: name,
            user: &user,
            server: &server,
            ca_pem: &ctx.shared.ca.pem,
            tenant: cluster.body["properties"]["aadProfile"]["tenantID"]
                .as_str()
                .unwrap_or(&st.account.tenant_id),
        })
    } else {
        crate::kubeconfig::render(&crate::kubeconfig::KubeconfigParts {
            cluster: name,
            user: &user,
            server: &server,
            ca_pem: &ctx.shared.ca.pem,
            cert_pem: cluster.private["certPem"].as_str().unwrap_or(""),
            key_pem: cluster.private["keyPem"].as_str().unwrap_or(""),
            token: cluster.private["token"].as_str().unwrap_or(""),
        })
    };
    use base64::Engine;
    let value = base64::engine::general_purpose::STANDARD.encode(text);
    Ok(Reply::ok(
        json!({"kubeconfigs": [{"name": if admin { "clusterAdmin" } else { "clusterUser" }, "value": value}]}),
    ))
}

/// The cluster with `agentPoolProfiles` from its pools and, if it failed, the error.
pub(crate) fn render_cluster(ctx: &Ctx<'_>, st: &State, r: &Resource) -> Value {
    let _ = ctx;
    let mut v = r.body.clone();
    let profiles: Vec<Value> = pools_of(st, &r.id)
        .map(|pool| {
            let mut props = pool.body["properties"].clone();
            if let Some(o) = props.as_object_mut() {
                o.insert("name".into(), pool.body["name"].clone());
            }
            props
        })
        .collect();
    v["properties"]["agentPoolProfiles"] = Value::Array(profiles);
    v
}

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
                    .of_kind(super::groups::KIND)
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

/// Node counts per pool in a region: (pool id, VM size, nodes).
pub(crate) fn node_usage(st: &State, location: &str) -> Vec<(String, String, u64)> {
    let mut out = Vec::new();
    for cluster in st.of_kind(CLUSTER) {
        if !cluster.body["location"]
            .as_str()
            .is_some_and(|l| l.eq_ignore_ascii_case(location))
        {
            continue;
        }
        for pool in pools_of(st, &cluster.id) {
            let props = &pool.body["properties"];
            // A pool whose create failed holds no VMs.
            if props["provisioningState"].as_str() == Some("Failed") {
                continue;
            }
            let nodes = props["count"].as_u64().unwrap_or(0);
            out.push((
                pool.id.clone(),
                props["vmSize"].as_str().unwrap_or("").to_string(),
                nodes,
            ));
        }
    }
    out
}

/// Which cluster uses a subnet, if any.
pub(crate) fn subnet_user(st: &State, subnet_id: &str) -> Option<String> {
    st.of_kind(POOL)
        .find(|p| {
            p.body["properties"]["vnetSubnetID"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(subnet_id))
        })
        .map(|p| {
            p.id.rsplit_once("/agentPools/")
                .map(|(c, _)| c.to_string())
                .unwrap_or_else(|| p.id.clone())
        })
}

fn cluster_of(st: &State, pool: &Resource) -> Option<Resource> {
    let cid = pool.id.rsplit_once("/agentPools/")?.0;
    st.get(cid).cloned()
}

/// IPs taken in a subnet by pools other than `exclude` (nodes × IPs per node, plus the API
/// server's private endpoint of private clusters whose first pool is there).
pub(crate) fn subnet_ips_used(st: &State, subnet_id: &str, exclude: &[String]) -> i64 {
    subnet_ip_configurations_filtered(st, subnet_id, exclude).len() as i64
}

pub(crate) fn subnet_ip_configurations(st: &State, subnet_id: &str) -> Vec<String> {
    subnet_ip_configurations_filtered(st, subnet_id, &[])
}

fn subnet_ip_configurations_filtered(
    st: &State,
    subnet_id: &str,
    exclude: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    let sub = &st.account.subscription_id;
    for pool in st.of_kind(POOL) {
        let props = &pool.body["properties"];
        if !props["vnetSubnetID"]
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case(subnet_id))
        {
            continue;
        }
        let Some(cluster) = cluster_of(st, pool) else {
            continue;
        };
        let node_rg = cluster.body["properties"]["nodeResourceGroup"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let first_pool = pools_of(st, &cluster.id).next().map(|r| r.id.clone());
        let private = cluster
            .body
            .pointer("/properties/apiServerAccessProfile/enablePrivateCluster")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if private && first_pool.as_deref() == Some(pool.id.as_str()) {
            let guid = short_hash(&cluster.id);
            out.push(format!("/subscriptions/{sub}/resourceGroups/{node_rg}/providers/Microsoft.Network/networkInterfaces/kube-apiserver.nic.{guid}/ipConfigurations/privateEndpointIpConfig.{guid}"));
        }
        if exclude.iter().any(|e| e.eq_ignore_ascii_case(&pool.id)) {
            continue;
        }
        let net = Net::from_profile(&cluster.body["properties"]["networkProfile"]);
        let per_node = net.ips_per_node(props["maxPods"].as_i64());
        let nodes = props["count"].as_i64().unwrap_or(0);
        let name = pool.body["name"].as_str().unwrap_or("pool");
        let vmss = format!("aks-{name}-{}-vmss", &short_hash(&pool.id)[..8]);
        for n in 0..nodes {
            for c in 0..per_node {
                out.push(format!(
                    "/subscriptions/{sub}/resourceGroups/{node_rg}/providers/Microsoft.Compute/virtualMachineScaleSets/{vmss}/virtualMachines/{n}/networkInterfaces/{vmss}/ipConfigurations/ipconfig{}",
                    c + 1
                ));
            }
        }
    }
    out
}
