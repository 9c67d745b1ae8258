//! Long-running operations, followed as the ARM RPC specifies: `Azure-AsyncOperation` first,
//! then `Location`, then the resource's `provisioningState`. The polling state is plain data
//! ([`Pending`]) so a step checkpoints it the moment ARM hands it out, and a resumed step polls
//! the same operation instead of starting a second one. Status URLs are used exactly as given.
//! (Modelled on azure_core's `lro.rs`: `Canceled` and `Cancelled` both end an operation.)

use super::client::{ArmClient, ArmResponse};
use super::error::{ArmError, ErrorDetail};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// What the caller gets when the operation has finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FinalState {
    /// The resource, read again after success (PUT, PATCH).
    Resource,
    /// The last `Location` response's body (POST actions such as run-command).
    LocationBody,
    /// Nothing (DELETE).
    Nothing,
}

/// An operation in flight, as a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "via", rename_all = "camelCase")]
pub enum Pending {
    AsyncOperation {
        status_url: String,
        resource_url: String,
        final_state: FinalState,
    },
    Location {
        location_url: String,
        resource_url: String,
        final_state: FinalState,
    },
    ProvisioningState {
        resource_url: String,
    },
}

/// The first response of a mutating call.
#[derive(Debug, Clone)]
pub enum Started {
    /// Finished synchronously (with the response body, if any).
    Done(Option<Value>),
    /// Still running: follow it.
    Pending(Pending),
}

/// One look at an operation.
#[derive(Debug, Clone)]
pub enum Poll {
    Running {
        status: String,
        percent: Option<f64>,
        retry_after: Option<Duration>,
    },
    Done(Option<Value>),
}

/// Terminal statuses; anything else (`InProgress`, `Creating`, `Running`, `Accepted`…) runs.
pub(crate) fn is_terminal(status: &str) -> bool {
    matches!(
        status.to_ascii_lowercase().as_str(),
        "succeeded" | "failed" | "canceled" | "cancelled"
    )
}

fn provisioning_state(body: &Value) -> Option<&str> {
    body.pointer("/properties/provisioningState")
        .and_then(Value::as_str)
}

/// Interpret the first response of a PUT, DELETE or POST on `resource_url`.
pub fn started(response: &ArmResponse, resource_url: &str, final_state: FinalState) -> Started {
    if let Some(url) = response.header("azure-asyncoperation") {
        return Started::Pending(Pending::AsyncOperation {
            status_url: url.to_string(),
            resource_url: resource_url.to_string(),
            final_state,
        });
    }
    if response.status == 202
        && let Some(url) = response.header("location")
    {
        return Started::Pending(Pending::Location {
            location_url: url.to_string(),
            resource_url: resource_url.to_string(),
            final_state,
        });
    }
    match response.body.as_ref().and_then(provisioning_state) {
        Some(state) if !is_terminal(state) && final_state == FinalState::Resource => {
            Started::Pending(Pending::ProvisioningState {
                resource_url: resource_url.to_string(),
            })
        }
        _ => Started::Done(response.body.clone()),
    }
}

/// Look once at the operation.
pub async fn poll_once(client: &ArmClient, pending: &Pending) -> Result<Poll, ArmError> {
    match pending {
        Pending::AsyncOperation {
            status_url,
            resource_url,
            final_state,
        } => {
            let response = client.send(Method::GET, status_url, None).await?;
            let body = response.body.clone().unwrap_or(Value::Null);
            let status = body
                .get("status")
                .and_then(Value::as_str)
                .ok_or_else(|| ArmError::Protocol("operation status without `status`".into()))?
                .to_string();
            if !is_terminal(&status) {
                return Ok(Poll::Running {
                    percent: body.get("percentComplete").and_then(Value::as_f64),
                    status,
                    retry_after: response.retry_after(),
                });
            }
            if !status.eq_ignore_ascii_case("succeeded") {
                return Err(operation_error(&status, body.get("error")));
            }
            finish(client, resource_url, *final_state, response.body).await
        }
        Pending::Location {
            location_url,
            resource_url,
            final_state,
        } => {
            let response = client.send(Method::GET, location_url, None).await?;
            if response.status == 202 {
                return Ok(Poll::Running {
                    status: "InProgress".to_string(),
                    percent: None,
                    retry_after: response.retry_after(),
                });
            }
            match final_state {
                FinalState::LocationBody => Ok(Poll::Done(response.body)),
                FinalState::Nothing => Ok(Poll::Done(None)),
                // Legacy PUTs (Storage) answer the resource itself on the final Location read.
                FinalState::Resource if response.body.is_some() => Ok(Poll::Done(response.body)),
                FinalState::Resource => finish(client, resource_url, *final_state, None).await,
            }
        }
        Pending::ProvisioningState { resource_url } => {
            let response = client.send(Method::GET, resource_url, None).await?;
            let body = response.body.clone().unwrap_or(Value::Null);
            match provisioning_state(&body) {
                Some(state) if !is_terminal(state) => Ok(Poll::Running {
                    status: state.to_string(),
                    percent: None,
                    retry_after: response.retry_after(),
                }),
                Some(state) if !state.eq_ignore_ascii_case("succeeded") => Err(operation_error(
                    state,
                    body.pointer("/properties/status/provisioningError"),
                )),
                _ => Ok(Poll::Done(Some(body))),
            }
        }
    }
}

async fn finish(
    client: &ArmClient,
    resource_url: &str,
    final_state: FinalState,
    status_body: Option<Value>,
) -> Result<Poll, ArmError> {
    match final_state {
        FinalState::Resource => {
            let response = client.send(Method::GET, resource_url, None).await?;
            Ok(Poll::Done(response.body))
        }
        FinalState::LocationBody => Ok(Poll::Done(status_body)),
        FinalState::Nothing => Ok(Poll::Done(None)),
    }
}

fn operation_error(status: &str, error: Option<&Value>) -> ArmError {
    let detail = error.and_then(|e| serde_json::from_value::<ErrorDetail>(e.clone()).ok());
    match detail {
        Some(d) => {
            let inner = d.innermost();
            ArmError::Operation {
                status: status.to_string(),
                code: inner.code.clone(),
                message: inner.message.clone(),
            }
        }
        None => ArmError::Operation {
            status: status.to_string(),
            code: format!("Operation{status}"),
            message: format!("the operation ended {status} without error details"),
        },
    }
}

/// Follow an operation to its end (for callers that need no progress reports).
pub async fn wait(client: &ArmClient, pending: &Pending) -> Result<Option<Value>, ArmError> {
    loop {
        match poll_once(client, pending).await? {
            Poll::Done(body) => return Ok(body),
            Poll::Running { retry_after, .. } => {
                tokio::time::sleep(client.timing.clamp(retry_after)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn response(status: u16, headers: &[(&'static str, &str)], body: Option<Value>) -> ArmResponse {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        ArmResponse {
            status,
            headers: map,
            body,
        }
    }

    const RES: &str = "https://arm/sub/x?api-version=1";

    #[test]
    fn azure_async_operation_wins_over_location_and_state() {
        let r = response(
            201,
            &[
                ("azure-asyncoperation", "https://arm/op/1?a=b"),
                ("location", "https://arm/loc/1"),
            ],
            Some(serde_json::json!({"properties": {"provisioningState": "Creating"}})),
        );
        match started(&r, RES, FinalState::Resource) {
            Started::Pending(Pending::AsyncOperation { status_url, .. }) => {
                assert_eq!(status_url, "https://arm/op/1?a=b", "used exactly as given")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn legacy_202_follows_location_and_state_is_the_last_resort() {
        let r = response(
            202,
            &[("location", "https://arm/loc/1"), ("retry-after", "17")],
            None,
        );
        assert_eq!(r.retry_after(), Some(Duration::from_secs(17)));
        assert!(matches!(
            started(&r, RES, FinalState::Resource),
            Started::Pending(Pending::Location { .. })
        ));
        let r = response(
            200,
            &[],
            Some(serde_json::json!({"properties": {"provisioningState": "Updating"}})),
        );
        assert!(matches!(
            started(&r, RES, FinalState::Resource),
            Started::Pending(Pending::ProvisioningState { .. })
        ));
        let r = response(
            200,
            &[],
            Some(serde_json::json!({"properties": {"provisioningState": "Succeeded"}})),
        );
        assert!(matches!(
            started(&r, RES, FinalState::Resource),
            Started::Done(Some(_))
        ));
        let r = response(
            201,
            &[],
            Some(serde_json::json!({"name": "no state means done"})),
        );
        assert!(matches!(
            started(&r, RES, FinalState::Resource),
            Started::Done(Some(_))
        ));
    }

    #[test]
    fn terminal_states_include_both_spellings_of_cancelled() {
        for s in ["Succeeded", "failed", "Canceled", "Cancelled"] {
            assert!(is_terminal(s), "{s}");
        }
        for s in ["InProgress", "Creating", "Running", "Accepted", "Updating"] {
            assert!(!is_terminal(s), "{s}");
        }
    }

    #[test]
    fn pending_operations_round_trip_as_checkpoints() {
        let p = Pending::Location {
            location_url: "https://arm/loc?x=1".into(),
            resource_url: RES.into(),
            final_state: FinalState::Resource,
        };
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["via"], "location");
        assert_eq!(serde_json::from_value::<Pending>(json).unwrap(), p);
    }

    #[test]
    fn failed_operations_surface_the_innermost_code() {
        let error = serde_json::json!({"code": "DeploymentFailed", "message": "outer",
            "details": [{"code": "QuotaExceeded", "message": "standardDSv3Family: 40 needed, 10 free"}]});
        let e = operation_error("Failed", Some(&error));
        assert_eq!(e.code(), "QuotaExceeded");
        assert!(e.message().contains("40 needed"));
        assert!(!e.is_retryable());
    }
}
