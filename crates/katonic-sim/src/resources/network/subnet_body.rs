//! One subnet of a VNet, validated and built in its stored form: shared by the VNet PUT (which
//! carries its subnets) and the subnet PUT.

use ipnet::IpNet;
use serde_json::{Map, Value, json};

use crate::arm::errors::{ArmError, ErrorDetail};
use crate::resources::common::etag;
use crate::resources::nsg;
use crate::state::State;

use super::{parse_prefix, subnet_prefixes};

/// The VNet a subnet is built into.
pub(super) struct Vnet<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub spaces: &'a [IpNet],
    /// Its region: a NAT gateway a subnet names must be in it.
    pub location: &'a str,
}

/// Validate one subnet of a VNet body and build its stored form, in provisioning `state`;
/// returns it with its ranges.
pub(super) fn build_subnet(
    st: &State,
    vnet: &Vnet<'_>,
    s: &Value,
    state: &str,
) -> Result<(Value, Vec<IpNet>), ArmError> {
    let Some(name) = s["name"].as_str().filter(|n| !n.is_empty()) else {
        return Err(
            ArmError::bad_request("InvalidRequestFormat", "Cannot parse the request.").with_detail(
                ErrorDetail::new("MissingJsonReferenceId", "Subnet name is missing."),
            ),
        );
    };
    let id = format!("{}/subnets/{name}", vnet.id);
    let nets = ranges(vnet, name, &id, s)?;
    let mut props = properties(st, &id, s, state)?;
    if let Some(nat) = super::super::nat_gateway::subnet_reference(st, &id, vnet.location, s)? {
        props.insert("natGateway".into(), nat);
    }
    Ok((
        json!({
            "name": name,
            "id": id,
            "etag": etag(),
            "type": "Microsoft.Network/virtualNetworks/subnets",
            "properties": props,
        }),
        nets,
    ))
}

/// At least one prefix, each inside the VNet's address space and no smaller than /29.
fn ranges(vnet: &Vnet<'_>, name: &str, id: &str, s: &Value) -> Result<Vec<IpNet>, ArmError> {
    let vnet_name = vnet.name;
    let prefixes = subnet_prefixes(s);
    if prefixes.is_empty() {
        return Err(ArmError::bad_request(
            "NetcfgInvalidSubnet",
            format!(
                "Subnet '{name}' is not valid in virtual network '{vnet_name}'. It has no address prefix."
            ),
        ));
    }
    let mut nets = Vec::new();
    for p in &prefixes {
        let net = parse_prefix(p, id)?;
        let inside = vnet.spaces.iter().any(|space| space.contains(&net));
        if !inside {
            return Err(ArmError::bad_request(
                "NetcfgInvalidSubnet",
                format!("Subnet '{name}' is not valid in virtual network '{vnet_name}'."),
            ));
        }
        if net.prefix_len() > net.max_prefix_len().saturating_sub(3) {
            return Err(ArmError::bad_request(
                "NetcfgInvalidSubnet",
                format!(
                    "Subnet '{name}' is not valid in virtual network '{vnet_name}': the smallest supported subnet is /29."
                ),
            ));
        }
        nets.push(net);
    }
    Ok(nets)
}

/// The stored properties: prefixes as sent, the NSG (which must exist), and Azure's defaults.
fn properties(
    st: &State,
    id: &str,
    s: &Value,
    state: &str,
) -> Result<Map<String, Value>, ArmError> {
    let mut props = Map::new();
    props.insert("provisioningState".into(), json!(state));
    if let Some(p) = s["properties"]["addressPrefix"].as_str() {
        props.insert("addressPrefix".into(), json!(p));
    }
    if let Some(p) = s["properties"]
        .get("addressPrefixes")
        .filter(|v| v.is_array())
    {
        props.insert("addressPrefixes".into(), p.clone());
    }
    if let Some(nsg) = s["properties"]
        .get("networkSecurityGroup")
        .filter(|v| !v.is_null())
    {
        let nsg_id = nsg["id"].as_str().unwrap_or("");
        let Some(found) = st
            .get(nsg_id)
            .filter(|r| r.kind.eq_ignore_ascii_case(nsg::NSG))
        else {
            return Err(ArmError::bad_request(
                "InvalidResourceReference",
                format!(
                    "Resource {nsg_id} referenced by resource {id} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region."
                ),
            ));
        };
        props.insert("networkSecurityGroup".into(), json!({"id": found.id}));
    }
    for key in ["delegations", "serviceEndpoints"] {
        props.insert(
            key.into(),
            s["properties"]
                .get(key)
                .filter(|v| v.is_array())
                .cloned()
                .unwrap_or(json!([])),
        );
    }
    props.insert(
        "privateEndpointNetworkPolicies".into(),
        s["properties"]
            .get("privateEndpointNetworkPolicies")
            .cloned()
            .unwrap_or(json!("Disabled")),
    );
    props.insert(
        "privateLinkServiceNetworkPolicies".into(),
        s["properties"]
            .get("privateLinkServiceNetworkPolicies")
            .cloned()
            .unwrap_or(json!("Enabled")),
    );
    if let Some(v) = s["properties"]
        .get("defaultOutboundAccess")
        .filter(|v| v.is_boolean())
    {
        props.insert("defaultOutboundAccess".into(), v.clone());
    }
    Ok(props)
}
