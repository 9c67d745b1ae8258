//! Public IP addresses: SKU, allocation and zone rules as the Network RP applies them, immutable
//! SKU and zones, a static address assigned on create. The Kubernetes side reads them
//! ([`lookup`]) to give a Service that names one (`azure-pip-name`) its address.

use crate::resources::network_put::{self, NetworkPut};
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::router::ResPath;
use crate::catalog::NETWORK_ROLES;
use crate::state::State;

use super::common::{self, etag, method_not_allowed};

pub(crate) const PIP: &str = "Microsoft.Network/publicIPAddresses";
const NS: &str = "Microsoft.Network";
const OP: &str = "PublicIPAddresses_CreateOrUpdate";
const PIP_SECS: f64 = 5.0;
/// Static addresses come from 127.79.0.0/16: loopback (the ingress listener can bind them) and
/// apart from the blocks the Kubernetes side hands out itself (127.77 internal, 127.78 external).
const BLOCK: u8 = 79;

pub(crate) fn handle(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    common::require_rg(ctx, st, p)?;
    match (p.pairs.len(), &p.tail, ctx.method().as_str()) {
        (1, None, "PUT") => put(ctx, st, p),
        (1, None, "GET") => {
            let r = st.get(&p.id()).ok_or_else(|| common::not_found(p))?;
            Ok(Reply::ok(r.body.clone()))
        }
        (1, None, "DELETE") => {
            let id = p.id();
            let Some(id) = st.get(&id).map(|r| r.id.clone()) else {
                return Ok(Reply::empty(StatusCode::NO_CONTENT));
            };
            // Message as Azure gives it (Terraform and Packer logs, checked 2026-12-07).
            if let Some(holder) = super::nat_gateway::holding(st, &id) {
                return Err(ArmError::bad_request(
                    "PublicIPAddressCannotBeDeleted",
                    format!(
                        "Public IP address {id} can not be deleted since it is still allocated to resource {holder}."
                    ),
                ));
            }
            common::busy(ctx, st, &id, false)?;
            if let Some(user) = super::app_gateway::public_ip_user(st, &id) {
                return Err(ArmError::bad_request(
                    "PublicIPAddressCannotBeDeleted",
                    format!(
                        "Public IP address {id} can not be deleted since it is still allocated to resource {user}. In order to delete the public IP, disassociate/detach the Public IP address from the resource."
                    ),
                ));
            }
            common::accept_delete(ctx, st, &id, NS, PIP_SECS)
        }
        _ => Err(method_not_allowed(ctx)),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The SKU, allocation method and zones of a request, with the provider's defaults (Basic SKU;
/// Dynamic for Basic, Static for Standard), checked as the provider checks them.
struct Shape {
    sku: String,
    tier: String,
    allocation: String,
    version: String,
    zones: Vec<String>,
}

fn shape(
    ctx: &Ctx<'_>,
    body: &Value,
    id: &str,
    name: &str,
    location: &str,
) -> Result<Shape, ArmError> {
    let sku = body
        .pointer("/sku/name")
        .and_then(Value::as_str)
        .unwrap_or("Basic")
        .to_string();
    let standard = !sku.eq_ignore_ascii_case("Basic");
    let allocation = body
        .pointer("/properties/publicIPAllocationMethod")
        .and_then(Value::as_str)
        .unwrap_or(if standard { "Static" } else { "Dynamic" })
        .to_string();
    if standard && allocation.eq_ignore_ascii_case("Dynamic") {
        return Err(ArmError::bad_request(
            "StandardAndStandardV2SkuPublicIPAddressesMustBeStatic",
            format!(
                "Standard sku publicIp {id} must have AllocationMethod set to Static. Dynamic allocation is only supported for Basic sku."
            ),
        ));
    }
    let zones = strings(&body["zones"]);
    if !zones.is_empty() {
        if !standard {
            return Err(ArmError::bad_request(
                "ZonesNotAllowedInBasicSkuResource",
                format!(
                    "Request for resource {id} is invalid as it is Basic sku and in an Availability Zone which is a deprecated configuration.  Please change your resource to Standard sku for Availability Zone support."
                ),
            ));
        }
        let offered = ctx
            .catalog()
            .region(location)
            .map(|r| r.zones.clone())
            .unwrap_or_default();
        if offered.is_empty() {
            return Err(ArmError::bad_request(
                "LocationNotSupportAvailabilityZones",
                format!(
                    "The resource '{PIP}/{name}' does not support availability zones at location '{location}'."
                ),
            ));
        }
        if zones.iter().any(|z| !offered.contains(z)) {
            return Err(ArmError::bad_request(
                "InvalidAvailabilityZone",
                format!(
                    "The zone(s) '{}' for resource '{PIP}/{name}' is not supported. The supported zones for location '{location}' are '{}'",
                    zones.join(","),
                    offered.join(",")
                ),
            ));
        }
    }
    Ok(Shape {
        sku,
        tier: body
            .pointer("/sku/tier")
            .and_then(Value::as_str)
            .unwrap_or("Regional")
            .to_string(),
        allocation,
        version: body
            .pointer("/properties/publicIPAddressVersion")
            .and_then(Value::as_str)
            .unwrap_or("IPv4")
            .to_string(),
        zones,
    })
}

/// SKU and zones are fixed once the address exists.
fn immutable(existing: &Value, new: &Shape, id: &str) -> Result<(), ArmError> {
    let old_sku = existing
        .pointer("/sku/name")
        .and_then(Value::as_str)
        .unwrap_or("Basic");
    if !old_sku.eq_ignore_ascii_case(&new.sku) {
        return Err(ArmError::bad_request(
            "SkuCannotBeChangedOnUpdate",
            format!(
                "Cannot change the SKU of public IP address {id} from {old_sku} to {}: delete the resource and create it again with the new SKU.",
                new.sku
            ),
        ));
    }
    let mut old = strings(&existing["zones"]);
    let mut wanted = new.zones.clone();
    old.sort();
    wanted.sort();
    if old != wanted {
        let show = |z: &[String]| {
            if z.is_empty() {
                "Regional".to_string()
            } else {
                z.join(", ")
            }
        };
        return Err(ArmError::bad_request(
            "ResourceAvailabilityZonesCannotBeModified",
            format!(
                "Resource {id} has an existing availability zone constraint {} and the request has availability zone constraint {}, which do not match. Zones cannot be added/updated/removed once the resource is created.",
                show(&old),
                show(&wanted)
            ),
        ));
    }
    Ok(())
}

/// The first free address of the block (addresses of deleted IPs are reused, as Azure may).
fn free_address(st: &State) -> String {
    let used: Vec<String> = st
        .of_kind(PIP)
        .filter_map(|r| {
            r.body
                .pointer("/properties/ipAddress")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    (0u32..62_500)
        .map(|n| format!("127.{BLOCK}.{}.{}", n / 250, n % 250 + 1))
        .find(|a| !used.contains(a))
        .unwrap_or_else(|| format!("127.{BLOCK}.255.255"))
}

fn put(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let NetworkPut {
        body,
        location,
        tags,
        id,
        existing,
        canonical_id,
        name,
    } = network_put::begin(ctx, st, p, OP, PIP)?;
    let shape = shape(ctx, &body, &canonical_id, &name, &location)?;
    if let Some(r) = &existing {
        immutable(&r.body, &shape, &canonical_id)?;
    }
    if common::identical(existing.as_ref(), &body) {
        let r = st.get(&id).ok_or_else(|| common::not_found(p))?;
        return Ok(Reply::ok(r.body.clone()));
    }
    let kept = |key: &str| {
        existing
            .as_ref()
            .and_then(|r| r.body["properties"][key].as_str().map(str::to_string))
    };
    let guid = kept("resourceGuid").unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let static_ = shape.allocation.eq_ignore_ascii_case("Static");
    // Static: the address is reserved at create and kept; Dynamic: none until associated.
    let address = static_.then(|| kept("ipAddress").unwrap_or_else(|| free_address(st)));
    let props_in = &body["properties"];
    let mut props = json!({
        "provisioningState": "Updating",
        "resourceGuid": guid,
        "publicIPAllocationMethod": if static_ { "Static" } else { "Dynamic" },
        "publicIPAddressVersion": shape.version,
        "idleTimeoutInMinutes": props_in["idleTimeoutInMinutes"].as_i64().unwrap_or(4),
        "ipTags": props_in["ipTags"].as_array().cloned().unwrap_or_default(),
    });
    if let Some(a) = address {
        props["ipAddress"] = json!(a);
    }
    if let Some(dns) = props_in.get("dnsSettings").filter(|d| d.is_object()) {
        props["dnsSettings"] = dns.clone();
        // Azure answers the name it registered: `<label>.<region>.cloudapp.azure.com` (issue 15).
        if let Some(label) = dns.get("domainNameLabel").and_then(Value::as_str) {
            props["dnsSettings"]["fqdn"] = json!(format!(
                "{}.{location}.cloudapp.azure.com",
                label.to_ascii_lowercase()
            ));
        }
    }
    let mut pip = json!({
        "name": name,
        "id": canonical_id,
        "etag": etag(),
        "type": PIP,
        "location": location,
        "sku": {"name": shape.sku, "tier": shape.tier},
        "properties": props,
    });
    if !shape.zones.is_empty() {
        pip["zones"] = json!(shape.zones);
    }
    if let Some(t) = tags {
        pip["tags"] = t;
    }
    let created = common::upsert(ctx, st, existing, &canonical_id, PIP, pip, body);
    common::accept_put(
        ctx,
        st,
        &canonical_id,
        NS,
        &location,
        created,
        PIP_SECS,
        None,
    )
}

/// What the cloud provider finds for a Service's `azure-pip-name` in `resource_group`.
pub(crate) enum Lookup {
    /// No such public IP (or it is being deleted).
    Missing,
    /// It exists, but `principal` holds no role on it that lets it join a load balancer.
    Forbidden { id: String },
    /// Usable: its id and static address (`None` for a Dynamic IP not yet associated).
    Usable { id: String, address: Option<String> },
}

/// The public IP `name` in `resource_group`, as the cluster identity `principal` sees it. AKS
/// holds Contributor on its own node resource group, so `node_rg` needs no grant.
pub(crate) fn lookup(
    st: &State,
    resource_group: &str,
    name: &str,
    principal: Option<&str>,
    node_rg: &str,
) -> Lookup {
    let id = format!(
        "/subscriptions/{}/resourceGroups/{resource_group}/providers/{PIP}/{name}",
        st.account.subscription_id
    );
    let Some(r) = st.get(&id) else {
        return Lookup::Missing;
    };
    if common::provisioning_state(&r.body) == Some("Deleting") {
        return Lookup::Missing;
    }
    let own_group = resource_group.eq_ignore_ascii_case(node_rg);
    let allowed = own_group
        || principal.is_some_and(|p| super::authorization::granted(st, p, &r.id, NETWORK_ROLES));
    if !allowed {
        return Lookup::Forbidden { id: r.id.clone() };
    }
    Lookup::Usable {
        id: r.id.clone(),
        address: r
            .body
            .pointer("/properties/ipAddress")
            .and_then(Value::as_str)
            .map(str::to_string),
    }
}
