//! Preflight on demand (issue 16, "check before queueing"): the preflight step's checks run by
//! the executor outside any run, as the teardown preview is: no lease, no journal, no event;
//! the checks only read, and their verdicts come back to the caller.

use super::WorkerHandle;
use super::step::{StepContext, StepError};
use crate::store::{InstallId, Lease};
use katonic_domain::plan::{InstallPlan, StepId};
use katonic_domain::spec::InstallSpec;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

/// One check: what was checked, its verdict, what was found, and the fix (warn and fail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckVerdict {
    pub check: String,
    pub verdict: Verdict,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// What a detached step collects instead of journalling.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub(crate) verdicts: Vec<CheckVerdict>,
}

/// The checks' result: every verdict, and whether the install may be queued.
#[derive(Debug, Clone, Serialize)]
pub struct PreflightReport {
    /// No check failed (warnings do not block).
    pub passed: bool,
    pub checks: Vec<CheckVerdict>,
    /// Why the checks stopped or failed as a whole (the step's error), when they did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// False when this console's steps do not talk to Azure (a scripted rehearsal): nothing was
    /// checked.
    pub checked: bool,
}

/// The longest the checks may take: each ARM read retries within seconds, and the token
/// request within 10 s; past this the answer says the checks did not finish. Under the web's
/// 30 s request timeout, so the admin reads why rather than a bare timeout.
const LIMIT: Duration = Duration::from_secs(25);

impl WorkerHandle {
    /// Run the preflight checks of `spec` (planned as `plan`) now, creating nothing.
    pub async fn preflight_on_demand(
        &self,
        install: InstallId,
        spec: InstallSpec,
        plan: &InstallPlan,
    ) -> PreflightReport {
        let Some(planned) = plan.step(StepId::Preflight).cloned() else {
            return report(vec![], Some("the plan has no preflight step".into()));
        };
        let stop = self.inner.shutdown.child_token();
        let ctx = StepContext {
            install,
            step: StepId::Preflight,
            attempt: 0,
            try_number: 1,
            spec: Arc::new(spec),
            planned,
            outputs: Arc::new(BTreeMap::new()),
            saved: Mutex::new(None),
            checkpoint_writes: tokio::sync::Mutex::new(()),
            store: self.inner.store.clone(),
            // Never used to write: a detached context journals nothing.
            lease: Lease {
                install,
                owner: "preflight on demand".to_string(),
                ttl: LIMIT,
            },
            stop: stop.clone(),
            run_failing: CancellationToken::new(),
            detached: Some(Mutex::new(Collected::default())),
        };
        let result = tokio::time::timeout(LIMIT, self.inner.executor.run(&ctx)).await;
        stop.cancel();
        let collected = ctx
            .detached
            .and_then(|c| c.into_inner().ok())
            .unwrap_or_default();
        let error = match result {
            Err(_) => Some(format!(
                "the checks did not finish within {} s",
                LIMIT.as_secs()
            )),
            Ok(Ok(_)) => None,
            Ok(Err(StepError::Terminal { message, hint, .. })) => Some(format!("{message} {hint}")),
            Ok(Err(e)) => Some(e.to_string()),
        };
        report(collected.verdicts, error)
    }
}

fn report(checks: Vec<CheckVerdict>, error: Option<String>) -> PreflightReport {
    let failed = checks.iter().any(|c| c.verdict == Verdict::Fail);
    PreflightReport {
        passed: !failed && error.is_none(),
        checked: !checks.is_empty(),
        checks,
        error,
    }
}

/// Settings' **Test connection**: a token and a subscription list, as Azure answers them with
/// the saved settings now.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionTest {
    pub ok: bool,
    /// `subscriptionId (displayName)` of each subscription the identity sees.
    pub subscriptions: Vec<String>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// `NoRoute`, `TlsInterception`, an `AADSTS…` code, ARM's code; absent when it worked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl WorkerHandle {
    /// Ask Azure for a token and the subscriptions the console's identity sees, with the saved
    /// settings as they are now (through the executor: the web makes no Azure call).
    pub async fn test_connection(&self) -> ConnectionTest {
        let saved = match self.inner.store.azure_connection().await {
            Ok(saved) => saved,
            Err(e) => {
                return ConnectionTest {
                    ok: false,
                    subscriptions: vec![],
                    message: format!("the saved Azure settings could not be read: {e}"),
                    fix: None,
                    code: None,
                };
            }
        };
        match tokio::time::timeout(LIMIT, self.inner.executor.test_connection(saved)).await {
            Ok(test) => test,
            Err(_) => ConnectionTest {
                ok: false,
                subscriptions: vec![],
                message: format!("Azure did not answer within {} s", LIMIT.as_secs()),
                fix: Some("Check the jumphost's route (or proxy) to Entra ID and ARM.".into()),
                code: Some("NoRoute".into()),
            },
        }
    }
}
