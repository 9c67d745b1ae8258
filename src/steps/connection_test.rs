//! Settings' Test connection (issue 16): a token and `GET /subscriptions`, its failure
//! classified by `azure::diagnose` (no route, TLS interception, Entra ID's AADSTS refusal, ARM
//! authorization).

use crate::azure::{ArmClient, api};
use crate::worker::ConnectionTest;
use serde_json::Value;

pub(super) async fn run(arm: &ArmClient) -> ConnectionTest {
    match arm.get("/subscriptions", api::SUBSCRIPTIONS).await {
        Ok(body) => listed(body),
        Err(e) => {
            let d = crate::azure::diagnose::diagnose(&e);
            ConnectionTest {
                ok: false,
                subscriptions: vec![],
                message: d.message,
                fix: Some(d.fix),
                code: Some(d.code),
            }
        }
    }
}

fn listed(body: Option<Value>) -> ConnectionTest {
    let subscriptions: Vec<String> = body
        .as_ref()
        .and_then(|b| b.get("value"))
        .and_then(Value::as_array)
        .map(|subs| subs.iter().filter_map(describe).collect())
        .unwrap_or_default();
    if subscriptions.is_empty() {
        return ConnectionTest {
            ok: false,
            subscriptions,
            message: "Entra ID issued a token, but the console's identity sees no subscription"
                .into(),
            fix: Some(
                "Assign the identity a role (Contributor and User Access Administrator, or \
                 Owner) on the install's subscription or resource group."
                    .into(),
            ),
            code: Some("NoSubscription".into()),
        };
    }
    ConnectionTest {
        ok: true,
        message: format!(
            "a token was issued and {} subscription(s) are visible",
            subscriptions.len()
        ),
        subscriptions,
        fix: None,
        code: None,
    }
}

fn describe(sub: &Value) -> Option<String> {
    let id = sub.get("subscriptionId")?.as_str()?;
    Some(match sub.get("displayName").and_then(Value::as_str) {
        Some(name) => format!("{id} ({name})"),
        None => id.to_string(),
    })
}

/// The settings do not make a client (e.g. a missing value).
pub(super) fn misconfigured(message: String) -> ConnectionTest {
    ConnectionTest {
        ok: false,
        subscriptions: vec![],
        message,
        fix: Some("Complete the settings on this page (each missing value is named).".into()),
        code: Some("Misconfigured".into()),
    }
}
