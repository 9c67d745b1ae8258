//! Network security groups: rule validation as the Network RP does it (priority range and
//! uniqueness per direction, singular/plural exclusivity, prefixes, ports), default rules.

use std::str::FromStr;

use axum::http::StatusCode;
use ipnet::IpNet;
use serde_json::{Map, Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::router::ResPath;
use crate::schema;
use crate::state::{Resource, State};

use super::common::{self, etag, method_not_allowed};

pub(crate) const NSG: &str = "Microsoft.Network/networkSecurityGroups";
pub(crate) const NSG_LC: &str = "microsoft.network/networksecuritygroups";
const NS: &str = "Microsoft.Network";
const NSG_SECS: f64 = 10.0;

/// Service tags a rule may name instead of a prefix (regional variants `Tag.Region` too).
const SERVICE_TAGS: &[&str] = &[
    "VirtualNetwork",
    "AzureLoadBalancer",
    "Internet",
    "AzureCloud",
    "Storage",
    "Sql",
    "AzureMonitor",
    "AzureActiveDirectory",
    "AzureContainerRegistry",
    "AzureKubernetesService",
    "GatewayManager",
    "AzureFrontDoor.Backend",
    "AzureFrontDoor.Frontend",
    "ApiManagement",
    "AppService",
    "AzureKeyVault",
    "EventHub",
    "ServiceBus",
    "MicrosoftContainerRegistry",
    "AzureResourceManager",
    "AzureTrafficManager",
    "AzureBackup",
    "AzureDevOps",
    "GuestAndHybridManagement",
];

pub(crate) fn handle(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    common::require_rg(ctx, st, p)?;
    match (p.pairs.len(), &p.tail, ctx.method().as_str()) {
        (1, None, "PUT") => put(ctx, st, p),
        (1, None, "GET") => {
            let r = st.get(&p.id()).ok_or_else(|| common::not_found(p))?;
            Ok(Reply::ok(render(st, r)))
        }
        (1, None, "DELETE") => delete(ctx, st, p),
        _ => Err(method_not_allowed(ctx)),
    }
}

fn is_tag(v: &str) -> bool {
    let base = v.split('.').next().unwrap_or(v);
    SERVICE_TAGS
        .iter()
        .any(|t| t.eq_ignore_ascii_case(v) || t.eq_ignore_ascii_case(base))
}

fn valid_prefix(v: &str) -> bool {
    v == "*" || IpNet::from_str(v).is_ok() || std::net::IpAddr::from_str(v).is_ok() || is_tag(v)
}

fn valid_port_range(v: &str) -> bool {
    if v == "*" {
        return true;
    }
    let port = |s: &str| s.trim().parse::<u32>().ok().filter(|p| *p <= 65535);
    match v.split_once('-') {
        Some((a, b)) => matches!((port(a), port(b)), (Some(a), Some(b)) if a <= b),
        None => port(v).is_some(),
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

/// Canonical casing of an enum value.
fn canonical(v: &str, allowed: &[&str]) -> String {
    allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(v))
        .map(|a| (*a).to_string())
        .unwrap_or_else(|| v.to_string())
}

fn build_rule(nsg_id: &str, rule: &Value) -> Result<Value, ArmError> {
    let Some(name) = rule["name"].as_str().filter(|n| !n.is_empty()) else {
        return Err(ArmError::bad_request(
            "InvalidRequestFormat",
            "Cannot parse the request: a security rule has no name.",
        ));
    };
    let id = format!("{nsg_id}/securityRules/{name}");
    let p = &rule["properties"];
    if let Some(priority) = p["priority"].as_i64()
        && !(100..=4096).contains(&priority)
    {
        return Err(ArmError::bad_request(
            "SecurityRuleInvalidPriority",
            format!(
                "Security rule has invalid Priority. Value provided: {priority} Allowed values are from 100 to 4096."
            ),
        ));
    }
    let mut props = Map::new();
    for field in ENDPOINT_FIELDS {
        field.check_and_copy(&id, p, &mut props)?;
    }
    copy_settings(p, &mut props);
    props.insert("provisioningState".into(), json!("Updating"));
    Ok(json!({
        "name": name,
        "id": id,
        "etag": etag(),
        "type": "Microsoft.Network/networkSecurityGroups/securityRules",
        "properties": props,
    }))
}

/// One end of a rule, given as one value or a list (addresses also as application security
/// groups).
struct EndpointField {
    single: &'static str,
    plural: &'static str,
    /// Empty when the field has no application-security-group form.
    asg: &'static str,
    is_address: bool,
}

const ENDPOINT_FIELDS: [EndpointField; 4] = [
    EndpointField {
        single: "sourceAddressPrefix",
        plural: "sourceAddressPrefixes",
        asg: "sourceApplicationSecurityGroups",
        is_address: true,
    },
    EndpointField {
        single: "destinationAddressPrefix",
        plural: "destinationAddressPrefixes",
        asg: "destinationApplicationSecurityGroups",
        is_address: true,
    },
    EndpointField {
        single: "sourcePortRange",
        plural: "sourcePortRanges",
        asg: "",
        is_address: false,
    },
    EndpointField {
        single: "destinationPortRange",
        plural: "destinationPortRanges",
        asg: "",
        is_address: false,
    },
];

impl EndpointField {
    /// Check the field's forms in Azure's order, then copy them into `props`.
    fn check_and_copy(
        &self,
        id: &str,
        p: &Value,
        props: &mut Map<String, Value>,
    ) -> Result<(), ArmError> {
        let (single, plural, asg) = (self.single, self.plural, self.asg);
        let one = p[single].as_str().filter(|s| !s.is_empty());
        let many = strings(&p[plural]);
        let asgs = !asg.is_empty() && p[asg].as_array().is_some_and(|a| !a.is_empty());
        if one.is_some() && !many.is_empty() {
            return Err(ArmError::bad_request(
                "SecurityRuleParameterContainsUnsupportedValue",
                format!(
                    "Security rule parameter {single} for rule with Id {id} cannot be specified together with {plural}."
                ),
            ));
        }
        if one.is_none() && many.is_empty() && !asgs {
            return Err(ArmError::bad_request(
                "SecurityRuleParameterMissing",
                format!("Security rule {id} must specify {single} or {plural}."),
            ));
        }
        for v in one
            .iter()
            .map(|s| s.to_string())
            .chain(many.iter().cloned())
        {
            self.check_value(id, &v, !many.is_empty())?;
        }
        if let Some(o) = one {
            props.insert(single.into(), json!(o));
        }
        props.insert(plural.into(), json!(many));
        if asgs {
            props.insert(asg.into(), p[asg].clone());
        }
        Ok(())
    }

    /// An address prefix (tags and `*` only alone) or a port range.
    fn check_value(&self, id: &str, v: &str, in_list: bool) -> Result<(), ArmError> {
        let plural = self.plural;
        if !self.is_address {
            if valid_port_range(v) {
                return Ok(());
            }
            return Err(ArmError::bad_request(
                "SecurityRuleInvalidPortRange",
                format!(
                    "Security rule has invalid Port range. Value provided: {v}. Value should be an integer OR integer range with '-' delimiter. Valid range 0-65535."
                ),
            ));
        }
        if !valid_prefix(v) {
            return Err(ArmError::bad_request(
                "SecurityRuleInvalidAddressPrefix",
                format!("Security rule {id} has invalid Address prefix. Value provided: {v}"),
            ));
        }
        if in_list && (v == "*" || is_tag(v)) {
            return Err(ArmError::bad_request(
                "SecurityRuleParameterContainsUnsupportedValue",
                format!(
                    "Security rule parameter {plural} for rule with Id {id} cannot specify existing VIRTUALNETWORK, INTERNET, AZURELOADBALANCER, '*' or system tags. Unsupported value used: {v}."
                ),
            ));
        }
        Ok(())
    }
}

/// Description, protocol, access, direction and priority, enums in Azure's casing.
fn copy_settings(p: &Value, props: &mut Map<String, Value>) {
    if let Some(d) = p["description"].as_str() {
        props.insert("description".into(), json!(d));
    }
    if let Some(v) = p["protocol"].as_str() {
        props.insert(
            "protocol".into(),
            json!(canonical(v, &["Tcp", "Udp", "Icmp", "Esp", "*", "Ah"])),
        );
    }
    if let Some(v) = p["access"].as_str() {
        props.insert("access".into(), json!(canonical(v, &["Allow", "Deny"])));
    }
    if let Some(v) = p["direction"].as_str() {
        props.insert(
            "direction".into(),
            json!(canonical(v, &["Inbound", "Outbound"])),
        );
    }
    if let Some(v) = p["priority"].as_i64() {
        props.insert("priority".into(), json!(v));
    }
}

fn default_rules(nsg_id: &str) -> Vec<Value> {
    let rules = [
        (
            "AllowVnetInBound",
            "Allow inbound traffic from all VMs in VNET",
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
            65000,
            "Inbound",
        ),
        (
            "AllowAzureLoadBalancerInBound",
            "Allow inbound traffic from azure load balancer",
            "AzureLoadBalancer",
            "*",
            "Allow",
            65001,
            "Inbound",
        ),
        (
            "DenyAllInBound",
            "Deny all inbound traffic",
            "*",
            "*",
            "Deny",
            65500,
            "Inbound",
        ),
        (
            "AllowVnetOutBound",
            "Allow outbound traffic from all VMs to all VMs in VNET",
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
            65000,
            "Outbound",
        ),
        (
            "AllowInternetOutBound",
            "Allow outbound traffic from all VMs to Internet",
            "*",
            "Internet",
            "Allow",
            65001,
            "Outbound",
        ),
        (
            "DenyAllOutBound",
            "Deny all outbound traffic",
            "*",
            "*",
            "Deny",
            65500,
            "Outbound",
        ),
    ];
    rules
        .iter()
        .map(|(name, desc, src, dst, access, priority, direction)| {
            json!({
                "name": name,
                "id": format!("{nsg_id}/defaultSecurityRules/{name}"),
                "etag": etag(),
                "type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
                "properties": {
                    "provisioningState": "Succeeded", "description": desc, "protocol": "*",
                    "sourcePortRange": "*", "destinationPortRange": "*",
                    "sourceAddressPrefix": src, "destinationAddressPrefix": dst,
                    "access": access, "priority": priority, "direction": direction,
                    "sourcePortRanges": [], "destinationPortRanges": [],
                    "sourceAddressPrefixes": [], "destinationAddressPrefixes": []
                }
            })
        })
        .collect()
}

fn put(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let raw = common::body_object(ctx)?;
    schema::network_unknown_members("NetworkSecurityGroups_CreateOrUpdate", &raw)?;
    let checked = schema::check_request("NetworkSecurityGroups_CreateOrUpdate", &raw)?;
    let body = checked.body.clone();
    let location = common::location(ctx, &body, NSG)?;
    let tags = common::tags(&body)?;
    let id = p.id();
    let existing = st.get(&id).cloned();
    common::preconditions(ctx, existing.as_ref())?;
    common::busy(ctx, st, &id, false)?;
    common::same_location(existing.as_ref(), &location, p)?;
    let canonical_id = existing
        .as_ref()
        .map(|r| r.id.clone())
        .unwrap_or(id.clone());
    let mut rules = Vec::new();
    for r in body
        .pointer("/properties/securityRules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        rules.push(build_rule(&canonical_id, r)?);
    }
    check_rules_apart(&rules, p.name())?;
    checked.raise("InvalidRequestFormat")?;
    if common::identical(existing.as_ref(), &body) {
        let r = st.get(&id).ok_or_else(|| common::not_found(p))?;
        return Ok(Reply::ok(render(st, r)));
    }
    let guid = common::resource_guid(existing.as_ref());
    let mut nsg = json!({
        "name": existing.as_ref().and_then(|r| r.body["name"].as_str().map(str::to_string)).unwrap_or(p.name().to_string()),
        "id": canonical_id,
        "etag": etag(),
        "type": NSG,
        "location": location,
        "properties": {
            "provisioningState": "Updating",
            "resourceGuid": guid,
            "securityRules": rules,
            "defaultSecurityRules": default_rules(&canonical_id),
        }
    });
    if let Some(t) = tags {
        nsg["tags"] = t;
    }
    let created = common::upsert(ctx, st, existing, &canonical_id, NSG, nsg, body);
    common::accept_put(
        ctx,
        st,
        &canonical_id,
        NS,
        &location,
        created,
        NSG_SECS,
        None,
    )
}

/// No two rules share a name, nor a priority in the same direction.
fn check_rules_apart(rules: &[Value], nsg_name: &str) -> Result<(), ArmError> {
    for (i, a) in rules.iter().enumerate() {
        for b in rules.iter().skip(i + 1) {
            let (an, bn) = (
                a["name"].as_str().unwrap_or(""),
                b["name"].as_str().unwrap_or(""),
            );
            if an.eq_ignore_ascii_case(bn) {
                return Err(ArmError::bad_request(
                    "DuplicateResourceName",
                    format!(
                        "Network security group {nsg_name} has two security rules with the same name {an}."
                    ),
                ));
            }
            let same_priority = a["properties"]["priority"] == b["properties"]["priority"]
                && !a["properties"]["priority"].is_null();
            let same_direction = a["properties"]["direction"] == b["properties"]["direction"];
            if same_priority && same_direction {
                return Err(ArmError::bad_request(
                    "SecurityRuleConflict",
                    format!(
                        "Security rule {an} conflicts with rule {bn}. Rules cannot have the same Priority and Direction. To learn more, see aka.ms/nsgrules."
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Subnets that reference the NSG.
fn associated_subnets(st: &State, nsg_id: &str) -> Vec<String> {
    st.of_kind(super::network::VNET)
        .flat_map(|v| {
            v.body["properties"]["subnets"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|s| {
            s["properties"]["networkSecurityGroup"]["id"]
                .as_str()
                .is_some_and(|i| i.eq_ignore_ascii_case(nsg_id))
        })
        .filter_map(|s| s["id"].as_str().map(str::to_string))
        .collect()
}

fn delete(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let id = p.id();
    if st.get(&id).is_none() {
        return Ok(Reply::empty(StatusCode::NO_CONTENT));
    }
    common::busy(ctx, st, &id, false)?;
    let users = associated_subnets(st, &id);
    if !users.is_empty() {
        return Err(ArmError::bad_request(
            "InUseNetworkSecurityGroupCannotBeDeleted",
            format!(
                "Network security group {id} cannot be deleted because it is in use by the following resources: {}. In order to delete the Network security group, remove the association with the resource(s). To learn how to do this, see aka.ms/deletensg.",
                users.join(", ")
            ),
        ));
    }
    common::accept_delete(ctx, st, &id, NS, NSG_SECS)
}

/// The NSG with the subnets that use it, and its rules' state following the NSG's.
pub(crate) fn render(st: &State, r: &Resource) -> Value {
    let mut v = r.body.clone();
    let subnets = associated_subnets(st, &r.id);
    if !subnets.is_empty() {
        v["properties"]["subnets"] =
            Value::Array(subnets.into_iter().map(|s| json!({"id": s})).collect());
    }
    let state = v["properties"]["provisioningState"].clone();
    if let Some(rules) = v["properties"]["securityRules"].as_array_mut() {
        for rule in rules {
            rule["properties"]["provisioningState"] = state.clone();
        }
    }
    v
}
