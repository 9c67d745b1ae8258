//! Microsoft.Network 2025-07-01: an Application Gateway's WAF policy
//! (`ApplicationGatewayWebApplicationFirewallPolicies`, `webapplicationfirewall.json` in
//! `specs/extra`).

use super::Tags;
use serde::Serialize;

/// The managed rule set a new WAF policy runs: Microsoft's Default Rule Set 2.2, "the latest
/// recommended Azure WAF ruleset" (GA for Application Gateway on 2026-04-29; learn.microsoft.com
/// "Upgrade CRS or DRS ruleset version" says to always run the highest DRS, 2.2; checked
/// 2026-12-07). OWASP CRS 3.2 is the older generation DRS replaces.
pub const MANAGED_RULE_SET_TYPE: &str = katonic_domain::plan::MANAGED_RULE_SET.0;
pub const MANAGED_RULE_SET_VERSION: &str = katonic_domain::plan::MANAGED_RULE_SET.1;

/// `WebApplicationFirewallPolicy`: enabled, in the chosen mode, on the current managed rule set.
#[derive(Debug, Clone, Serialize)]
pub struct WafPolicy {
    pub location: String,
    pub tags: Tags,
    pub properties: WafPolicyProperties,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WafPolicyProperties {
    pub policy_settings: PolicySettings,
    pub managed_rules: ManagedRules,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicySettings {
    /// `Enabled`
    pub state: &'static str,
    /// `Prevention` | `Detection`
    pub mode: &'static str,
    pub request_body_check: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedRules {
    pub managed_rule_sets: Vec<ManagedRuleSet>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedRuleSet {
    pub rule_set_type: &'static str,
    pub rule_set_version: &'static str,
}

/// WAF mode as the policy spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WafModeName {
    Prevention,
    Detection,
}

impl WafModeName {
    pub fn as_str(self) -> &'static str {
        match self {
            WafModeName::Prevention => "Prevention",
            WafModeName::Detection => "Detection",
        }
    }
}

impl WafPolicy {
    pub fn new(location: String, tags: Tags, mode: WafModeName) -> Self {
        WafPolicy {
            location,
            tags,
            properties: WafPolicyProperties {
                policy_settings: PolicySettings {
                    state: "Enabled",
                    mode: mode.as_str(),
                    request_body_check: true,
                },
                managed_rules: ManagedRules {
                    managed_rule_sets: vec![ManagedRuleSet {
                        rule_set_type: MANAGED_RULE_SET_TYPE,
                        rule_set_version: MANAGED_RULE_SET_VERSION,
                    }],
                },
            },
        }
    }
}
