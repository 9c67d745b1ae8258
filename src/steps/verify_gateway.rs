//! The Application Gateway's state as verification finds it: provisioning and operational
//! state, the listeners' hosts, and Azure's backend health (`POST .../backendhealth`, a
//! long-running action). Recorded in the verify step's outputs (and its log), so the support
//! bundle shows the gateway as it was: the GET body never carries the certificate's data or
//! password (Azure does not return them), and only the fields below are kept.

use serde_json::{Value, json};

use super::output;
use crate::azure::lro::{self, FinalState, Started};
use crate::azure::{ArmClient, api};
use crate::worker::{StepContext, StepError};
use katonic_domain::plan::StepId;

/// The gateway's state, or `None` without a gateway. Reading it never fails the verification:
/// what could not be read is said in the summary.
pub(super) async fn state(ctx: &StepContext, arm: &ArmClient) -> Result<Option<Value>, StepError> {
    if ctx.spec.ingress.gateway.is_none() {
        return Ok(None);
    }
    let id = output(ctx, StepId::AppGateway, "id")?.to_string();
    ctx.guard()?;
    let body = match arm.get(&id, api::APPLICATION_GATEWAY).await {
        Ok(Some(body)) => body,
        Ok(None) => {
            return Ok(Some(
                json!({"id": id, "error": "the gateway was not found"}),
            ));
        }
        Err(e) => return Ok(Some(json!({"id": id, "error": e.to_string()}))),
    };
    ctx.guard()?;
    // Azure takes a while to gather it; a cancelled install does not wait.
    let health = tokio::select! {
        health = backend_health(arm, &id) => health,
        () = ctx.stopped() => return Err(StepError::Stopped),
    };
    let state = summary(&id, &body, health);
    ctx.progress(format!(
        "application gateway: {}, {}; backend {}",
        state["provisioningState"].as_str().unwrap_or("?"),
        state["operationalState"].as_str().unwrap_or("?"),
        state["backendHealth"]["summary"]
            .as_str()
            .unwrap_or("not read"),
    ))
    .await?;
    Ok(Some(state))
}

/// How long verification waits for Azure's backend health report (it usually takes seconds to
/// a minute; a gateway under heavy load can take longer).
const HEALTH_WAIT: std::time::Duration = std::time::Duration::from_secs(180);

/// Azure's backend health (the action's final body), or why it could not be read.
async fn backend_health(arm: &ArmClient, id: &str) -> Result<Value, String> {
    let path = format!("{id}/backendhealth");
    let res = arm
        .call(reqwest::Method::POST, &path, api::APPLICATION_GATEWAY, None)
        .await
        .map_err(|e| e.to_string())?;
    let url = arm.url(&path, api::APPLICATION_GATEWAY);
    let body = match lro::started(&res, &url, FinalState::LocationBody) {
        Started::Done(body) => body,
        // Bounded: the health is a report, and verification must not hang on it.
        Started::Pending(p) => tokio::time::timeout(HEALTH_WAIT, lro::wait(arm, &p))
            .await
            .map_err(|_| {
                format!(
                    "Azure had not gathered it after {} s",
                    HEALTH_WAIT.as_secs()
                )
            })?
            .map_err(|e| e.to_string())?,
    };
    body.ok_or_else(|| "Azure returned no backend health".to_string())
}

/// The kept fields: states, listeners (name, protocol, host) and each backend server's health.
pub(super) fn summary(id: &str, body: &Value, health: Result<Value, String>) -> Value {
    let p = &body["properties"];
    let listeners: Vec<Value> = p["httpListeners"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            json!({
                "name": l["name"],
                "protocol": l["properties"]["protocol"],
                "hostName": l["properties"]["hostName"],
            })
        })
        .collect();
    json!({
        "id": id,
        "sku": p["sku"]["name"],
        "provisioningState": p["provisioningState"],
        "operationalState": p["operationalState"],
        "listeners": listeners,
        "backendHealth": match health {
            Ok(h) => servers(&h),
            Err(e) => json!({"summary": format!("not read: {e}")}),
        },
    })
}

/// Every backend server's address and health (Azure's `Up`, `Down`, `Partial`, `Draining`,
/// `Unknown`), once per backend setting that probes it, and a one-line count.
fn servers(health: &Value) -> Value {
    let servers: Vec<Value> = health["backendAddressPools"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|pool| pool["backendHttpSettingsCollection"].as_array().cloned().unwrap_or_default())
        .flat_map(|s| s["servers"].as_array().cloned().unwrap_or_default())
        .map(|s| json!({"address": s["address"], "health": s["health"], "probeLog": s["healthProbeLog"]}))
        .collect();
    let up = servers.iter().filter(|s| s["health"] == "Up").count();
    json!({
        "summary": format!("{up} of {} server probe(s) up", servers.len()),
        "servers": servers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_keeps_states_hosts_and_health_and_no_certificate() {
        let body = json!({"properties": {
            "sku": {"name": "WAF_v2"}, "provisioningState": "Succeeded", "operationalState": "Running",
            "sslCertificates": [{"name": "c", "properties": {"publicCertData": "MIIB", "data": "PFX", "password": "pw"}}],
            "httpListeners": [{"name": "https-0", "properties": {"protocol": "Https", "hostName": "a.example.com"}}]}});
        let health = json!({"backendAddressPools": [{"backendHttpSettingsCollection": [{"servers": [
            {"address": "10.20.0.62", "health": "Up", "healthProbeLog": "Success. Received 200 status code"}]}]}]});
        let s = summary("/gw", &body, Ok(health));
        assert_eq!(s["operationalState"], "Running");
        assert_eq!(s["listeners"][0]["hostName"], "a.example.com");
        assert_eq!(s["backendHealth"]["summary"], "1 of 1 server probe(s) up");
        let text = s.to_string();
        assert!(
            !text.contains("PFX") && !text.contains("pw") && !text.contains("MIIB"),
            "{text}"
        );
        let unread = summary("/gw", &body, Err("403".into()));
        assert_eq!(unread["backendHealth"]["summary"], "not read: 403");
    }
}
