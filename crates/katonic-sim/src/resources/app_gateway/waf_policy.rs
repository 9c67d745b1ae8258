//! WAF policies (`Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies`) as
//! Microsoft's recording shows them (azure-mgmt-network 19.3.0,
//! `test_cli_mgmt_network_web_application_firewall_policy`): PUT 201 with
//! `Azure-AsyncOperation` and `Updating`, the provider's `policySettings` defaults
//! (`Detection`, `Disabled`, body check on, 128 kB, 100 MB), GET, DELETE 202 with `Location`.
//! The spec (`webapplicationfirewall.json`) is not in the simulator's schema yet: the body is
//! checked here (mode, state, managed rule sets).

use crate::resources::network_put::{self, NetworkPut};
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::router::ResPath;
use crate::state::{Resource, State};

use super::super::common::{self, etag, method_not_allowed};

pub(crate) const POLICY: &str =
    "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies";
pub(crate) const POLICY_LC: &str =
    "microsoft.network/applicationgatewaywebapplicationfirewallpolicies";
const SECS: f64 = 10.0;
const OP: &str = "WebApplicationFirewallPolicies_CreateOrUpdate";

/// Managed rule sets Application Gateway WAF offers (learn.microsoft.com, "Web Application
/// Firewall CRS rule groups and rules", checked 2026-12-07).
const RULE_SETS: [(&str, &[&str]); 3] = [
    ("OWASP", &["3.2", "3.1", "3.0"]),
    ("Microsoft_DefaultRuleSet", &["2.2", "2.1"]),
    ("Microsoft_BotManagerRuleSet", &["1.1", "1.0", "0.1"]),
];

pub(crate) fn handle(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    common::require_rg(ctx, st, p)?;
    match (p.pairs.len(), &p.tail, ctx.method().as_str()) {
        (1, None, "PUT") => put(ctx, st, p),
        (1, None, "GET") => {
            let r = st.get(&p.id()).ok_or_else(|| common::not_found(p))?;
            Ok(Reply::ok(render(st, r)))
        }
        (1, None, "DELETE") => {
            let id = p.id();
            if st.get(&id).is_none() {
                return Ok(Reply::empty(StatusCode::NO_CONTENT));
            }
            common::busy(ctx, st, &id, false)?;
            common::accept_delete(ctx, st, &id, super::NS, SECS)
        }
        _ => Err(method_not_allowed(ctx)),
    }
}

/// The policy with the gateways that use it.
pub(crate) fn render(st: &State, r: &Resource) -> Value {
    let mut v = r.body.clone();
    let users: Vec<Value> = st
        .of_kind(super::AGW)
        .filter(|g| {
            g.body["properties"]["firewallPolicy"]["id"]
                .as_str()
                .is_some_and(|x| x.eq_ignore_ascii_case(&r.id))
        })
        .map(|g| json!({"id": g.id}))
        .collect();
    if !users.is_empty() {
        v["properties"]["applicationGateways"] = Value::Array(users);
    }
    v
}

fn invalid(message: String) -> ArmError {
    ArmError::bad_request("InvalidRequestFormat", "Cannot parse the request.")
        .with_detail(crate::arm::errors::ErrorDetail::new("InvalidJson", message))
}

fn settings(given: &Value) -> Result<Value, ArmError> {
    let mode = given["mode"].as_str().unwrap_or("Detection");
    let state = given["state"].as_str().unwrap_or("Disabled");
    let pick = |v: &str, allowed: [&'static str; 2], what: &str| {
        allowed
            .into_iter()
            .find(|a| a.eq_ignore_ascii_case(v))
            .ok_or_else(|| {
                invalid(format!(
                    "Error converting value \"{v}\" to type '{what}'. Path 'properties.policySettings'; allowed: {}.",
                    allowed.join(", ")
                ))
            })
    };
    let mut out = given.as_object().cloned().unwrap_or_default();
    out.insert(
        "mode".into(),
        json!(pick(
            mode,
            ["Prevention", "Detection"],
            "WebApplicationFirewallMode"
        )?),
    );
    out.insert(
        "state".into(),
        json!(pick(
            state,
            ["Enabled", "Disabled"],
            "WebApplicationFirewallEnabledState"
        )?),
    );
    for (k, d) in [
        ("requestBodyCheck", json!(true)),
        ("maxRequestBodySizeInKb", json!(128)),
        ("fileUploadLimitInMb", json!(100)),
    ] {
        out.entry(k).or_insert(d);
    }
    Ok(Value::Object(out))
}

fn managed_rules(given: &Value) -> Result<Value, ArmError> {
    let sets = given["managedRuleSets"]
        .as_array()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            invalid("Required property 'managedRuleSets' not found in JSON. Path 'properties.managedRules'.".into())
        })?;
    let mut out = Vec::new();
    for s in sets {
        let t = s["ruleSetType"].as_str().unwrap_or("");
        let v = s["ruleSetVersion"].as_str().unwrap_or("");
        let known = RULE_SETS
            .iter()
            .any(|(name, versions)| name.eq_ignore_ascii_case(t) && versions.contains(&v));
        if !known {
            return Err(ArmError::bad_request(
                "ApplicationGatewayFirewallPolicyManagedRuleSetNotSupported",
                format!(
                    "Managed rule set {t} version {v} is not supported by Application Gateway WAF policies."
                ),
            ));
        }
        let mut s = s.clone();
        if s["ruleGroupOverrides"].is_null() {
            s["ruleGroupOverrides"] = json!([]);
        }
        out.push(s);
    }
    Ok(json!({
        "managedRuleSets": out,
        "exclusions": given["exclusions"].as_array().cloned().unwrap_or_default(),
    }))
}

fn put(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let NetworkPut {
        body: request,
        location,
        tags,
        id,
        existing,
        canonical_id,
        name,
    } = network_put::begin(ctx, st, p, OP, POLICY)?;
    let props = &request["properties"];
    let settings = settings(&props["policySettings"])?;
    let managed = managed_rules(&props["managedRules"])?;
    if common::identical(existing.as_ref(), &request) {
        let r = st.get(&id).ok_or_else(|| common::not_found(p))?;
        return Ok(Reply::ok(render(st, r)));
    }
    let mut policy = json!({
        "name": name,
        "id": canonical_id,
        "etag": etag(),
        "type": POLICY,
        "location": location,
        "properties": {
            "provisioningState": "Updating",
            "customRules": props["customRules"].as_array().cloned().unwrap_or_default(),
            "policySettings": settings,
            "managedRules": managed,
        },
    });
    if let Some(t) = tags {
        policy["tags"] = t;
    }
    let created = common::upsert(ctx, st, existing, &canonical_id, POLICY, policy, request);
    common::accept_put(
        ctx,
        st,
        &canonical_id,
        super::NS,
        &location,
        created,
        SECS,
        None,
    )
}
