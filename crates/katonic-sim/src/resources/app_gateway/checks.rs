//! What the Network RP refuses in an Application Gateway PUT, in the order it is checked.
//! Codes: `ApplicationGatewayFeatureCannotBeEnabledForSelectedSku` from Microsoft's recording
//! (azure-mgmt-network 19.3.0), `InvalidResourceReference`,
//! `ApplicationGatewaySubnetCannotHaveOtherResources` from real CLI output, `SubnetTooSmall`,
//! `InvalidSubnet` from Microsoft's troubleshooting guide (checked 2026-12-07); the others are
//! named in the simulator README as not seen in a recording.

use ipnet::IpNet;
use serde_json::Value;

use crate::arm::Ctx;
use crate::arm::errors::ArmError;
use crate::catalog::GATEWAY_ISOLATION;
use crate::resources::{aks, features, network, public_ip};
use crate::state::State;

pub(super) struct View<'a> {
    pub ctx: &'a Ctx<'a>,
    pub st: &'a State,
    /// The gateway's id.
    pub id: &'a str,
    pub location: &'a str,
    /// A create (not an update of an existing gateway).
    pub new: bool,
}

const V1_TIERS: [&str; 2] = ["Standard", "WAF"];

fn items<'a>(props: &'a Value, collection: &str) -> impl Iterator<Item = &'a Value> {
    props[collection].as_array().into_iter().flatten()
}

fn bad(code: &str, message: String) -> ArmError {
    ArmError::bad_request(code, message)
}

/// Azure's answer for a reference it cannot resolve (real CLI output, 2021).
fn unresolved(view: &View<'_>, reference: &str) -> ArmError {
    bad(
        "InvalidResourceReference",
        format!(
            "Resource {reference} referenced by resource {} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.",
            view.id
        ),
    )
}

pub(super) fn all(view: &View<'_>, request: &Value) -> Result<(), ArmError> {
    let props = &request["properties"];
    let tier = sku(view, props)?;
    frontends(view, request, &tier)?;
    let subnet = gateway_subnet(view, props)?;
    private_frontends(view, props, subnet.as_ref())?;
    references(view, props)?;
    priorities(view, props)?;
    certificates(view, props)?;
    firewall_policy(view, props, &tier)
}

/// The SKU tier; v1 (`Standard`, `WAF`) cannot be created any more (retired 2026-04-28,
/// creation stopped 2024-08-28: Microsoft's V1 retirement notice, checked 2026-12-07).
fn sku(view: &View<'_>, props: &Value) -> Result<String, ArmError> {
    let tier = props["sku"]["tier"]
        .as_str()
        .or_else(|| props["sku"]["name"].as_str())
        .unwrap_or("Standard")
        .to_string();
    if view.new && V1_TIERS.iter().any(|t| t.eq_ignore_ascii_case(&tier)) {
        return Err(bad(
            "ApplicationGatewayV1SkuCreationNotAllowed",
            format!(
                "Application Gateway {} cannot be created with the V1 SKU tier {tier}: V1 is retired. Use Standard_v2 or WAF_v2.",
                view.id
            ),
        ));
    }
    Ok(tier)
}

fn is_v2(tier: &str) -> bool {
    tier.eq_ignore_ascii_case("Standard_v2") || tier.eq_ignore_ascii_case("WAF_v2")
}

/// A v2 gateway without a public frontend needs the subscription's network-isolation feature;
/// a public frontend's IP must exist in the region, Standard, static, in every gateway zone.
fn frontends(view: &View<'_>, request: &Value, tier: &str) -> Result<(), ArmError> {
    let props = &request["properties"];
    let mut public = 0;
    for f in items(props, "frontendIPConfigurations") {
        let Some(pip) = f["properties"]["publicIPAddress"]["id"].as_str() else {
            continue;
        };
        public += 1;
        if f["properties"]["subnet"]["id"].is_string() {
            return Err(bad(
                "ApplicationGatewayFrontendIpCannotHavePublicIpAndSubnet",
                format!(
                    "Frontend IP configuration {}/frontendIPConfigurations/{} of application gateway {} cannot reference both a public IP address and a subnet.",
                    view.id,
                    f["name"].as_str().unwrap_or(""),
                    view.id
                ),
            ));
        }
        public_ip(view, request, pip)?;
    }
    let (ns, name) = GATEWAY_ISOLATION.split_once('/').unwrap_or_default();
    let isolated =
        features::state_of(view.ctx.catalog(), view.st, ns, name, view.ctx.now()) == "Registered";
    if public == 0 && is_v2(tier) && !isolated {
        // Microsoft's recording (azure-mgmt-network 19.3.0, test_cli_mgmt_network_application).
        return Err(bad(
            "ApplicationGatewayFeatureCannotBeEnabledForSelectedSku",
            format!(
                "Application Gateway {} does not support Application Gateway without Public IP for the selected SKU tier {tier}. Supported SKU tiers are Standard,WAF.",
                view.id
            ),
        ));
    }
    Ok(())
}

fn public_ip(view: &View<'_>, request: &Value, pip_id: &str) -> Result<(), ArmError> {
    let pip = view.st.get(pip_id).filter(|r| {
        r.body["location"]
            .as_str()
            .is_some_and(|l| l.eq_ignore_ascii_case(view.location))
    });
    let Some(pip) = pip.filter(|r| r.kind.eq_ignore_ascii_case(public_ip::PIP)) else {
        return Err(unresolved(view, pip_id));
    };
    let standard = pip.body["sku"]["name"]
        .as_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("Standard"));
    let static_ = pip.body["properties"]["publicIPAllocationMethod"]
        .as_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("Static"));
    if !standard || !static_ {
        return Err(bad(
            "ApplicationGatewayV2SkuPublicIpMustBeStandardStatic",
            format!(
                "Public IP address {pip_id} used by application gateway {} with a V2 SKU must have the Standard SKU and the Static allocation method.",
                view.id
            ),
        ));
    }
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    };
    let gw_zones = strings(&request["zones"]);
    let pip_zones = strings(&pip.body["zones"]);
    let missing: Vec<&String> = gw_zones.iter().filter(|z| !pip_zones.contains(z)).collect();
    if !missing.is_empty() {
        return Err(bad(
            "ApplicationGatewayPublicIpZonesNotSupersetOfGatewayZones",
            format!(
                "Public IP address {pip_id} is in zones [{}] but application gateway {} is in zones [{}]: the public IP's zones must include every zone of the gateway.",
                pip_zones.join(","),
                view.id,
                gw_zones.join(",")
            ),
        ));
    }
    Ok(())
}

/// The one gateway subnet: it exists in the region, is not delegated, holds nothing but
/// application gateways, and has room for the maximum instances and the private frontends.
fn gateway_subnet(view: &View<'_>, props: &Value) -> Result<Option<IpNet>, ArmError> {
    let Some(subnet_id) = items(props, "gatewayIPConfigurations")
        .find_map(|g| g["properties"]["subnet"]["id"].as_str())
    else {
        return Err(bad(
            "ApplicationGatewayIpConfigurationIsRequired",
            format!(
                "Application gateway {} must have a gateway IP configuration referencing its subnet.",
                view.id
            ),
        ));
    };
    let Some((vnet, subnet)) = network::find_subnet(view.st, subnet_id) else {
        return Err(unresolved(view, subnet_id));
    };
    if !vnet.body["location"]
        .as_str()
        .is_some_and(|l| l.eq_ignore_ascii_case(view.location))
    {
        return Err(unresolved(view, subnet_id));
    }
    if subnet["properties"]["delegations"]
        .as_array()
        .is_some_and(|d| !d.is_empty())
    {
        return Err(bad(
            "InvalidSubnet",
            format!(
                "Subnet '{}' is delegated to a different service and can't be used by Application Gateway.",
                subnet["name"].as_str().unwrap_or("")
            ),
        ));
    }
    if other_user(view.st, subnet_id).is_some() {
        return Err(bad(
            "ApplicationGatewaySubnetCannotHaveOtherResources",
            format!(
                "Subnet {subnet_id} cannot be used for application gateway {} since it has other resources deployed. Subnet used for application gateway can only have other application gateways.",
                view.id
            ),
        ));
    }
    let prefix = network::subnet_prefix(subnet);
    if let Some(p) = prefix {
        size(view, props, subnet_id, &p)?;
    }
    Ok(prefix)
}

/// Anything in the subnet that is not an application gateway: AKS pools, the console's NIC.
fn other_user(st: &State, subnet_id: &str) -> Option<String> {
    aks::subnet_user(st, subnet_id).or_else(|| {
        st.of_kind(crate::placement::NIC_KIND)
            .find(|n| super::in_subnet(&n.body["properties"]["ipConfigurations"], subnet_id))
            .map(|n| n.id.clone())
    })
}

/// One private address per instance at the maximum scale, plus each private frontend, within
/// the subnet's usable addresses (Azure keeps five per subnet).
fn size(view: &View<'_>, props: &Value, subnet_id: &str, prefix: &IpNet) -> Result<(), ArmError> {
    let autoscale_max = props["autoscaleConfiguration"]["maxCapacity"].as_u64();
    let autoscale_min = props["autoscaleConfiguration"]["minCapacity"].as_u64();
    let instances = autoscale_max
        .or(autoscale_min)
        .or(props["sku"]["capacity"].as_u64())
        .unwrap_or(2);
    let private = items(props, "frontendIPConfigurations")
        .filter(|f| f["properties"]["subnet"]["id"].is_string())
        .count() as u64;
    let needed = instances + private;
    let usable = network::usable_ips(prefix);
    if needed > usable {
        return Err(bad(
            "SubnetTooSmall",
            format!(
                "Subnet {subnet_id} ({prefix}) has {usable} usable addresses; application gateway {} needs {needed} ({instances} instances at its maximum scale and {private} private frontend address). Use a /24 subnet for Application Gateway V2.",
                view.id
            ),
        ));
    }
    Ok(())
}

/// A private frontend sits in the gateway's subnet, at a static address inside it.
fn private_frontends(
    view: &View<'_>,
    props: &Value,
    gateway_prefix: Option<&IpNet>,
) -> Result<(), ArmError> {
    for f in items(props, "frontendIPConfigurations") {
        let p = &f["properties"];
        let Some(subnet_id) = p["subnet"]["id"].as_str() else {
            continue;
        };
        let Some((_, subnet)) = network::find_subnet(view.st, subnet_id) else {
            return Err(unresolved(view, subnet_id));
        };
        let prefix = network::subnet_prefix(subnet).or(gateway_prefix.copied());
        let Some(addr) = p["privateIPAddress"].as_str().filter(|a| !a.is_empty()) else {
            continue;
        };
        let inside = addr
            .parse::<std::net::IpAddr>()
            .ok()
            .zip(prefix)
            .is_some_and(|(a, n)| n.contains(&a));
        if !inside {
            return Err(bad(
                "PrivateIPAddressNotInSubnet",
                format!(
                    "Private static IP address {addr} does not belong to the range of subnet prefix {} of subnet {subnet_id}.",
                    prefix.map(|n| n.to_string()).unwrap_or_default()
                ),
            ));
        }
    }
    Ok(())
}

/// Every reference between the gateway's own parts resolves.
fn references(view: &View<'_>, props: &Value) -> Result<(), ArmError> {
    let declared = |collection: &str, reference: &str| {
        items(props, collection).any(|i| {
            i["name"].as_str().is_some_and(|n| {
                reference
                    .to_ascii_lowercase()
                    .ends_with(&format!("/{}/{}", collection, n).to_ascii_lowercase())
            })
        })
    };
    let pairs: [(&str, &str, &str); 10] = [
        (
            "httpListeners",
            "frontendIPConfiguration",
            "frontendIPConfigurations",
        ),
        ("httpListeners", "frontendPort", "frontendPorts"),
        ("httpListeners", "sslCertificate", "sslCertificates"),
        ("requestRoutingRules", "httpListener", "httpListeners"),
        (
            "requestRoutingRules",
            "backendAddressPool",
            "backendAddressPools",
        ),
        (
            "requestRoutingRules",
            "backendHttpSettings",
            "backendHttpSettingsCollection",
        ),
        (
            "requestRoutingRules",
            "redirectConfiguration",
            "redirectConfigurations",
        ),
        ("backendHttpSettingsCollection", "probe", "probes"),
        ("redirectConfigurations", "targetListener", "httpListeners"),
        ("httpListeners", "sslProfile", "sslProfiles"),
    ];
    for (source, field, target) in pairs {
        for item in items(props, source) {
            if let Some(r) = item["properties"][field]["id"].as_str()
                && !declared(target, r)
            {
                return Err(unresolved(view, r));
            }
        }
    }
    for s in items(props, "backendHttpSettingsCollection") {
        for t in items(&s["properties"], "trustedRootCertificates") {
            if let Some(r) = t["id"].as_str()
                && !declared("trustedRootCertificates", r)
            {
                return Err(unresolved(view, r));
            }
        }
    }
    Ok(())
}

/// Since api-version 2021-08-01 every rule of a v2 gateway carries a priority.
fn priorities(view: &View<'_>, props: &Value) -> Result<(), ArmError> {
    if view.ctx.api_version.as_str() < "2021-08-01" {
        return Ok(());
    }
    for r in items(props, "requestRoutingRules") {
        if r["properties"]["priority"].is_null() {
            return Err(bad(
                "ApplicationGatewayRequestRoutingRulePriorityCannotBeEmpty",
                format!(
                    "Priority for the request routing rule {}/requestRoutingRules/{} cannot be empty. All request routing rules should have a priority defined starting from api-version 2021-08-01",
                    view.id,
                    r["name"].as_str().unwrap_or("")
                ),
            ));
        }
    }
    Ok(())
}

/// An uploaded certificate has its PFX data (base64) and password; else a Key Vault secret.
fn certificates(view: &View<'_>, props: &Value) -> Result<(), ArmError> {
    use base64::Engine;
    for c in items(props, "sslCertificates") {
        let p = &c["properties"];
        let name = format!(
            "{}/sslCertificates/{}",
            view.id,
            c["name"].as_str().unwrap_or("")
        );
        if p["keyVaultSecretId"].is_string() {
            continue;
        }
        let Some(data) = p["data"].as_str().filter(|d| !d.is_empty()) else {
            return Err(bad(
                "ApplicationGatewaySslCertificateDataMustBeSpecified",
                format!("Data must be specified for Certificate {name}."),
            ));
        };
        if base64::engine::general_purpose::STANDARD
            .decode(data)
            .is_err()
        {
            return Err(bad(
                "ApplicationGatewaySslCertificateInvalidData",
                format!("Data for Certificate {name} is invalid: it is not base64."),
            ));
        }
        if p["password"].as_str().is_none_or(str::is_empty) {
            return Err(bad(
                "ApplicationGatewaySslCertificatePasswordMustBeSpecified",
                format!("Password must be specified for Certificate {name}."),
            ));
        }
    }
    Ok(())
}

/// A WAF policy must exist in the gateway's region.
fn firewall_policy(view: &View<'_>, props: &Value, tier: &str) -> Result<(), ArmError> {
    let Some(policy) = props["firewallPolicy"]["id"].as_str() else {
        return Ok(());
    };
    let found = view.st.get(policy).filter(|r| {
        r.kind.eq_ignore_ascii_case(super::waf_policy::POLICY)
            && r.body["location"]
                .as_str()
                .is_some_and(|l| l.eq_ignore_ascii_case(view.location))
    });
    if found.is_none() {
        return Err(unresolved(view, policy));
    }
    if !tier.eq_ignore_ascii_case("WAF_v2") {
        return Err(bad(
            "ApplicationGatewayFirewallPolicyNotSupportedForSku",
            format!(
                "Application gateway {} with SKU tier {tier} cannot have a firewall policy: use WAF_v2.",
                view.id
            ),
        ));
    }
    Ok(())
}
