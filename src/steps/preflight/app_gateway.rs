//! The Application Gateway's preflight (issue 17), before anything is written:
//! - a private-only gateway (`loadBalancer: internal`) needs the subscription feature
//!   `Microsoft.Network/EnableApplicationGatewayNetworkIsolation` registered; without it Azure
//!   refuses the gateway ("Application Gateway without Public IP is not supported for the
//!   selected SKU tier", learn.microsoft.com "Private Application Gateway deployment", checked
//!   2026-12-07);
//! - in an existing VNet, the named gateway subnet exists, has the CIDR given, is dedicated
//!   (nothing but a gateway in it) and its NSG, if any, allows what v2 needs.

use serde_json::Value;

use super::verdict::Checks;
use crate::azure::resources::vnet_id;
use crate::azure::{ArmClient, api};
use crate::steps::errors::step_error;
use crate::worker::{StepContext, StepError};
use katonic_domain::spec::{ExistingVnet, LbMode};

pub const FEATURE: &str = "EnableApplicationGatewayNetworkIsolation";
const FEATURE_CHECK: &str = "gateway network isolation";
const SUBNET_CHECK: &str = "gateway subnet";

/// Every gateway check this spec needs.
pub(super) async fn checks(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    if ctx.spec.ingress.gateway.is_none() {
        return Ok(());
    }
    if ctx.spec.ingress.load_balancer == LbMode::Internal {
        network_isolation(ctx, arm, checks).await?;
    }
    if let Some(existing) = &ctx.spec.cluster.network.existing_vnet {
        existing_subnet(ctx, arm, existing, checks).await?;
    }
    Ok(())
}

/// `GET .../providers/Microsoft.Features/providers/Microsoft.Network/features/<FEATURE>`:
/// `properties.state` must be `Registered`.
async fn network_isolation(
    ctx: &StepContext,
    arm: &ArmClient,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    let sub = ctx.spec.azure.subscription_id.as_str();
    let path = format!(
        "/subscriptions/{sub}/providers/Microsoft.Features/providers/Microsoft.Network/features/{FEATURE}"
    );
    ctx.guard()?;
    let feature = arm
        .get(&path, api::FEATURES)
        .await
        .map_err(|e| step_error("reading the subscription's features", e))?;
    let state = feature
        .as_ref()
        .and_then(|f| f.pointer("/properties/state"))
        .and_then(Value::as_str)
        .unwrap_or("NotRegistered");
    if state.eq_ignore_ascii_case("Registered") {
        return checks
            .pass(
                FEATURE_CHECK,
                format!(
                    "Microsoft.Network/{FEATURE} is registered: a private-only gateway is allowed"
                ),
            )
            .await;
    }
    checks
        .fail(
            FEATURE_CHECK,
            format!(
                "the internal front door is a private-only Application Gateway, which needs the subscription feature Microsoft.Network/{FEATURE}; it is {state}"
            ),
            format!(
                "Run `az feature register --namespace Microsoft.Network --name {FEATURE}` (then `az provider register -n Microsoft.Network`), wait until `az feature show` says Registered, and resume; or use `ingress.loadBalancer: external`."
            ),
        )
        .await
}

/// The admin's gateway subnet: there, as given, dedicated, and not closed by its NSG.
async fn existing_subnet(
    ctx: &StepContext,
    arm: &ArmClient,
    existing: &ExistingVnet,
    checks: &mut Checks<'_>,
) -> Result<(), StepError> {
    let Some(name) = &existing.gateway_subnet else {
        return Ok(());
    };
    let vnet = vnet_id(&ctx.spec);
    ctx.guard()?;
    let subnet = arm
        .get(&format!("{vnet}/subnets/{name}"), api::NETWORK)
        .await
        .map_err(|e| step_error("reading the gateway subnet", e))?;
    let Some(subnet) = subnet else {
        let problem = format!("VNet {} has no subnet {name}", existing.name);
        let fix = "Create a dedicated subnet for the gateway (Microsoft recommends /24) and name it in cluster.network.existingVnet.gatewaySubnet.";
        return checks.fail(SUBNET_CHECK, problem, fix).await;
    };
    let nsg = match nsg_of(&subnet) {
        Some(id) => {
            ctx.guard()?;
            arm.get(id, api::NETWORK)
                .await
                .map_err(|e| step_error("reading the gateway subnet's NSG", e))?
        }
        None => None,
    };
    let wanted = ctx
        .spec
        .cluster
        .network
        .gateway_subnet_cidr
        .map(|c| c.to_string());
    let public = ctx.spec.ingress.load_balancer == LbMode::External;
    match problems(&subnet, nsg.as_ref(), wanted.as_deref(), public) {
        None => {
            let found = format!("subnet {name} is dedicated and its NSG lets the gateway work");
            checks.pass(SUBNET_CHECK, found).await
        }
        Some((problem, fix)) => checks.fail(SUBNET_CHECK, problem, fix).await,
    }
}

fn nsg_of(subnet: &Value) -> Option<&str> {
    subnet
        .pointer("/properties/networkSecurityGroup/id")
        .and_then(Value::as_str)
}

/// What is wrong with an existing gateway subnet (its GET body and its NSG's), with the fix.
pub(super) fn problems(
    subnet: &Value,
    nsg: Option<&Value>,
    wanted_cidr: Option<&str>,
    public: bool,
) -> Option<(String, String)> {
    let name = subnet["name"].as_str().unwrap_or("the gateway subnet");
    let prefix = subnet
        .pointer("/properties/addressPrefix")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if let Some(wanted) = wanted_cidr
        && prefix != wanted
    {
        return Some((
            format!("subnet {name} is {prefix}, not {wanted}"),
            format!("Set cluster.network.gatewaySubnetCidr to {prefix}."),
        ));
    }
    // Dedicated: NICs (VMs, nodes, private endpoints) or a delegation mean something else is there.
    let nics = subnet
        .pointer("/properties/ipConfigurations")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let delegated = subnet
        .pointer("/properties/delegations")
        .and_then(Value::as_array)
        .is_some_and(|d| !d.is_empty());
    if nics > 0 || delegated {
        return Some((
            format!("subnet {name} is not dedicated: {nics} network interface(s) or a delegation use it"),
            "An Application Gateway needs a subnet of its own: name an empty subnet in cluster.network.existingVnet.gatewaySubnet.".to_string(),
        ));
    }
    // No NSG on the subnet: nothing is filtered.
    let nsg = nsg?;
    let rules = inbound_rules(nsg);
    let denied = |source: &str, port: u32| denies(&rules, source, port);
    if public && denied("GatewayManager", 65200) {
        return Some((
            format!("the NSG of subnet {name} denies GatewayManager on TCP 65200-65535, which Application Gateway v2 requires"),
            "Add an inbound rule allowing source GatewayManager, destination any, TCP 65200-65535, before the deny.".to_string(),
        ));
    }
    let clients = if public { "Internet" } else { "VirtualNetwork" };
    if denied(clients, 443) {
        return Some((
            format!(
                "the NSG of subnet {name} denies {clients} on TCP 443, where the gateway listens"
            ),
            format!(
                "Add an inbound rule allowing source {clients} to the subnet on TCP 80 and 443."
            ),
        ));
    }
    if denied("AzureLoadBalancer", 80) {
        return Some((
            format!(
                "the NSG of subnet {name} denies AzureLoadBalancer, whose probes the gateway needs"
            ),
            "Allow inbound from source AzureLoadBalancer (Azure's default rule does).".to_string(),
        ));
    }
    None
}

/// An inbound rule as it decides: priority, allow, source, port ranges.
struct Rule {
    priority: u64,
    allow: bool,
    source: String,
    ports: Vec<(u32, u32)>,
}

fn inbound_rules(nsg: &Value) -> Vec<Rule> {
    let mut rules: Vec<Rule> = nsg
        .pointer("/properties/securityRules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let p = r.get("properties")?;
            if !p["direction"].as_str()?.eq_ignore_ascii_case("Inbound") {
                return None;
            }
            let mut ports: Vec<&str> = p["destinationPortRanges"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            ports.extend(p["destinationPortRange"].as_str());
            Some(Rule {
                priority: p["priority"].as_u64()?,
                allow: p["access"].as_str()?.eq_ignore_ascii_case("Allow"),
                source: p["sourceAddressPrefix"].as_str().unwrap_or("*").to_string(),
                ports: ports.into_iter().filter_map(range).collect(),
            })
        })
        .collect();
    rules.sort_by_key(|r| r.priority);
    rules
}

fn range(text: &str) -> Option<(u32, u32)> {
    if text == "*" {
        return Some((0, 65535));
    }
    match text.split_once('-') {
        Some((a, b)) => Some((a.trim().parse().ok()?, b.trim().parse().ok()?)),
        None => text.trim().parse().ok().map(|p| (p, p)),
    }
}

/// The first matching rule (by priority) denies `source` on `port`; with no match, Azure's
/// defaults decide (they allow VirtualNetwork and AzureLoadBalancer, and deny the rest — the
/// Internet and GatewayManager then need a rule).
fn denies(rules: &[Rule], source: &str, port: u32) -> bool {
    let first = rules.iter().find(|r| {
        (r.source == "*" || r.source.eq_ignore_ascii_case(source))
            && r.ports.iter().any(|(a, b)| (*a..=*b).contains(&port))
    });
    match first {
        Some(rule) => !rule.allow,
        None => !matches!(source, "VirtualNetwork" | "AzureLoadBalancer"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn subnet(extra: Value) -> Value {
        let mut s = json!({"name": "snet-appgw", "properties": {"addressPrefix": "10.20.1.0/24"}});
        if let (Some(p), Some(e)) = (s["properties"].as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        s
    }

    fn nsg(rules: Value) -> Value {
        json!({"properties": {"securityRules": rules}})
    }

    fn rule(priority: u64, access: &str, source: &str, ports: &[&str]) -> Value {
        json!({"properties": {"priority": priority, "direction": "Inbound", "access": access,
            "sourceAddressPrefix": source, "destinationPortRanges": ports}})
    }

    #[test]
    fn a_dedicated_subnet_with_the_v2_rules_passes_and_each_gap_is_named() {
        let good = nsg(json!([
            rule(100, "Allow", "Internet", &["80", "443"]),
            rule(110, "Allow", "GatewayManager", &["65200-65535"]),
            rule(120, "Allow", "AzureLoadBalancer", &["*"]),
            rule(4000, "Deny", "*", &["*"]),
        ]));
        assert!(problems(&subnet(json!({})), Some(&good), Some("10.20.1.0/24"), true).is_none());
        // A deny-all without the load balancer's allow shuts out its probes.
        let no_lb = nsg(json!([
            rule(100, "Allow", "Internet", &["80", "443"]),
            rule(110, "Allow", "GatewayManager", &["65200-65535"]),
            rule(4000, "Deny", "*", &["*"]),
        ]));
        let (p, _) = problems(&subnet(json!({})), Some(&no_lb), None, true).unwrap();
        assert!(p.contains("AzureLoadBalancer"), "{p}");
        // No NSG: nothing filtered. An empty NSG: Azure's defaults, enough for a private
        // gateway; a public one needs GatewayManager and the Internet allowed.
        assert!(problems(&subnet(json!({})), None, None, true).is_none());
        let empty = nsg(json!([]));
        assert!(problems(&subnet(json!({})), Some(&empty), None, false).is_none());
        let (p, _) = problems(&subnet(json!({})), Some(&empty), None, true).unwrap();
        assert!(p.contains("GatewayManager"), "{p}");
        // Wrong CIDR, not dedicated.
        let (p, fix) = problems(&subnet(json!({})), None, Some("10.20.2.0/24"), false).unwrap();
        assert!(
            p.contains("not 10.20.2.0/24") && fix.contains("10.20.1.0/24"),
            "{p}"
        );
        let used = subnet(json!({"ipConfigurations": [{"id": "/nic"}]}));
        assert!(
            problems(&used, None, None, false)
                .unwrap()
                .0
                .contains("not dedicated")
        );
        let delegated = subnet(json!({"delegations": [{"name": "d"}]}));
        assert!(
            problems(&delegated, None, None, false)
                .unwrap()
                .0
                .contains("not dedicated")
        );
        // A deny before the allow wins.
        let shadowed = nsg(json!([
            rule(90, "Deny", "VirtualNetwork", &["443"]),
            rule(100, "Allow", "VirtualNetwork", &["80", "443"]),
        ]));
        let (p, _) = problems(&subnet(json!({})), Some(&shadowed), None, false).unwrap();
        assert!(p.contains("VirtualNetwork on TCP 443"), "{p}");
        let no_probes = nsg(json!([rule(100, "Deny", "AzureLoadBalancer", &["*"])]));
        assert!(
            problems(&subnet(json!({})), Some(&no_probes), None, false)
                .unwrap()
                .0
                .contains("AzureLoadBalancer")
        );
    }
}
