//! How a check reports its verdict: one PASS / WARN / FAIL line in the step's log (with the fix
//! for a warning or failure) and one entry in the step's outputs. Every check file goes through
//! [`Checks`], so the wording and levels of the log stay the same for all of them.

use serde::Serialize;
use serde_json::{Value, json};

use crate::events::Level;
use crate::worker::{StepContext, StepError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Outcome {
    Pass,
    Warn,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
struct Check {
    check: &'static str,
    outcome: Outcome,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

/// The verdicts so far, in the order the checks ran.
pub(super) struct Checks<'a> {
    ctx: &'a StepContext,
    list: Vec<Check>,
}

impl<'a> Checks<'a> {
    pub(super) fn new(ctx: &'a StepContext) -> Self {
        Checks {
            ctx,
            list: Vec::new(),
        }
    }

    async fn record(
        &mut self,
        check: &'static str,
        outcome: Outcome,
        detail: String,
        fix: Option<String>,
    ) -> Result<(), StepError> {
        let (label, level) = match outcome {
            Outcome::Pass => ("PASS", Level::Info),
            Outcome::Warn => ("WARN", Level::Warn),
            Outcome::Fail => ("FAIL", Level::Error),
        };
        let line = match &fix {
            Some(fix) => format!("{label} {check}: {detail}. Fix: {fix}"),
            None => format!("{label} {check}: {detail}"),
        };
        self.ctx.log(level, line).await?;
        self.ctx.report_check(crate::worker::CheckVerdict {
            check: check.to_string(),
            verdict: match outcome {
                Outcome::Pass => crate::worker::Verdict::Pass,
                Outcome::Warn => crate::worker::Verdict::Warn,
                Outcome::Fail => crate::worker::Verdict::Fail,
            },
            message: detail.clone(),
            fix: fix.clone(),
        });
        self.list.push(Check {
            check,
            outcome,
            detail,
            fix,
        });
        Ok(())
    }

    pub(super) async fn pass(
        &mut self,
        check: &'static str,
        detail: String,
    ) -> Result<(), StepError> {
        self.record(check, Outcome::Pass, detail, None).await
    }

    pub(super) async fn warn(
        &mut self,
        check: &'static str,
        detail: String,
        fix: impl Into<String>,
    ) -> Result<(), StepError> {
        self.record(check, Outcome::Warn, detail, Some(fix.into()))
            .await
    }

    pub(super) async fn fail(
        &mut self,
        check: &'static str,
        detail: String,
        fix: impl Into<String>,
    ) -> Result<(), StepError> {
        self.record(check, Outcome::Fail, detail, Some(fix.into()))
            .await
    }

    /// Whether `check` has failed at least once so far.
    pub(super) fn has_failed(&self, check: &str) -> bool {
        self.list
            .iter()
            .any(|c| c.check == check && c.outcome == Outcome::Fail)
    }

    /// Every verdict, as the step's outputs show them.
    pub(super) fn to_json(&self) -> Value {
        json!(self.list)
    }

    /// The step's result: the verdicts if nothing failed, else one error naming every failure,
    /// so the admin fixes them in one go.
    pub(super) fn finish(self) -> Result<Value, StepError> {
        let failed: Vec<&Check> = self
            .list
            .iter()
            .filter(|c| c.outcome == Outcome::Fail)
            .collect();
        if failed.is_empty() {
            return Ok(json!({ "checks": self.list }));
        }
        Err(StepError::terminal(
            "PreflightFailed",
            failed
                .iter()
                .map(|c| format!("{}: {}", c.check, c.detail))
                .collect::<Vec<_>>()
                .join("; "),
            "Fix each failed check (the step's log says how), then resume the install.",
        ))
    }
}
