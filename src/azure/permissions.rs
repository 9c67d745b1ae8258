//! Reading a `Microsoft.Authorization/permissions` answer: whether the caller may perform an
//! action, with Azure's wildcard and `notActions` rules (preflight and the DNS checks).

use serde_json::Value;

/// An RBAC action pattern (`*` anywhere, case-insensitive) grants `action`.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    let (pattern, action) = (pattern.to_ascii_lowercase(), action.to_ascii_lowercase());
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == action;
    }
    let mut rest = action.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(pos) = rest.find(part) {
            rest = &rest[pos + part.len()..];
        } else {
            return false;
        }
    }
    true
}

/// Whether the entries of a `permissions` answer grant `action`: one entry allows it and does
/// not exclude it (`notActions` win within their entry).
pub fn granted(entries: &[Value], action: &str) -> bool {
    let strings = |p: &Value, key: &str| -> Vec<String> {
        p[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    entries.iter().any(|p| {
        strings(p, "actions")
            .iter()
            .any(|a| action_matches(a, action))
            && !strings(p, "notActions")
                .iter()
                .any(|a| action_matches(a, action))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rbac_patterns_match_like_azure() {
        let a = "Microsoft.Network/privateDnsZones/A/write";
        for yes in [
            "*",
            "Microsoft.Network/*",
            "microsoft.network/privatednszones/*",
            "Microsoft.Network/privateDnsZones/*/write",
            a,
        ] {
            assert!(action_matches(yes, a), "{yes}");
        }
        for no in [
            "*/read",
            "Microsoft.Network/dnsZones/*",
            "Microsoft.Network/privateDnsZones/A/read",
        ] {
            assert!(!action_matches(no, a), "{no}");
        }
    }

    #[test]
    fn not_actions_take_precedence() {
        let a = "Microsoft.Network/dnsZones/A/write";
        let p = [json!({"actions": ["*"], "notActions": ["Microsoft.Network/dnsZones/*"]})];
        assert!(!granted(&p, a));
        let p = [
            json!({"actions": ["*/read"]}),
            json!({"actions": ["Microsoft.Network/dnsZones/A/*"]}),
        ];
        assert!(granted(&p, a));
        assert!(!granted(&[], a));
    }

    #[test]
    fn contributor_may_not_write_role_assignments() {
        // Contributor's documented exclusion, with a wildcard in the middle.
        let contributor = [json!({
            "actions": ["*"],
            "notActions": ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write"],
        })];
        assert!(!granted(
            &contributor,
            "Microsoft.Authorization/roleAssignments/write"
        ));
        assert!(granted(
            &contributor,
            "Microsoft.Network/virtualNetworks/write"
        ));
    }
}
