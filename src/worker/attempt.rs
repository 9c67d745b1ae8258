//! One attempt of one step: call the executor, retry what may clear (bounded backoff honouring
//! `Retry-After`), and say how it ended. Panics in the executor are caught and fail the step.

use super::run::RunDeps;
use super::step::{StepContext, StepError};
use crate::events::Level;
use crate::store::{ErrorClass, Failure};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

/// How one attempt ended, before it is recorded.
pub(super) enum AttemptEnd {
    Succeeded(serde_json::Value),
    Failed(Failure),
    Stopped,
    Unrecorded(String),
}

impl AttemptEnd {
    /// The outcome label of the step duration metric.
    fn label(&self) -> &'static str {
        match self {
            AttemptEnd::Succeeded(_) => "succeeded",
            AttemptEnd::Failed(_) => "failed",
            AttemptEnd::Stopped => "stopped",
            AttemptEnd::Unrecorded(_) => "unrecorded",
        }
    }
}

/// One attempt, in a span naming the install, step and attempt (every log line inside carries
/// them), timed for the step duration metric.
pub(super) async fn run_attempt(deps: &RunDeps, ctx: StepContext) -> AttemptEnd {
    use tracing::Instrument;
    let span = tracing::info_span!(
        "step",
        install = %ctx.install,
        step = %ctx.step,
        attempt = ctx.attempt
    );
    let step = ctx.step;
    let started = std::time::Instant::now();
    let end = try_until_done(deps, ctx).instrument(span).await;
    let elapsed = started.elapsed().as_secs_f64();
    crate::metrics::global().step_finished(step.as_str(), end.label(), elapsed);
    end
}

/// Try, and retry what may clear, until it succeeds, fails or must stop.
async fn try_until_done(deps: &RunDeps, mut ctx: StepContext) -> AttemptEnd {
    let mut delays = deps.retry.delays();
    loop {
        if ctx.stop.is_cancelled() {
            return AttemptEnd::Stopped;
        }
        let result = AssertUnwindSafe(deps.executor.run(&ctx))
            .catch_unwind()
            .await;
        let error = match result {
            Ok(Ok(outputs)) => return AttemptEnd::Succeeded(outputs),
            Ok(Err(error)) => error,
            Err(panic) => return AttemptEnd::Failed(crashed(panic.as_ref())),
        };
        let (code, message, retry_after) = match error {
            StepError::Retryable {
                code,
                message,
                retry_after,
            } => (code, message, retry_after),
            StepError::Terminal {
                code,
                message,
                hint,
            } => {
                let class = ErrorClass::Terminal;
                return AttemptEnd::Failed(Failure {
                    class,
                    code,
                    message,
                    hint,
                });
            }
            StepError::Stopped => return AttemptEnd::Stopped,
            StepError::Unrecorded(message) => return AttemptEnd::Unrecorded(message),
        };
        // Another step failed for good: the run ends now, not after this step's retries.
        if ctx.run_failing.is_cancelled() {
            return AttemptEnd::Stopped;
        }
        let Some(delay) = delays.next(retry_after) else {
            return AttemptEnd::Failed(still_failing(&ctx, code, message));
        };
        if let Some(end) = wait_to_retry(&ctx, &code, &message, delay).await {
            return end;
        }
        ctx.try_number += 1;
    }
}

/// Say why the try will be retried, then wait; `Some` when the attempt must end instead.
async fn wait_to_retry(
    ctx: &StepContext,
    code: &str,
    message: &str,
    delay: Duration,
) -> Option<AttemptEnd> {
    let line = format!(
        "try {} failed: {code}: {message}; retrying in {:.1}s",
        ctx.try_number,
        delay.as_secs_f64()
    );
    if let Err(e) = ctx.log(Level::Warn, line).await {
        return Some(AttemptEnd::Unrecorded(e.to_string()));
    }
    tokio::select! {
        () = tokio::time::sleep(delay) => None,
        () = ctx.stop.cancelled() => Some(AttemptEnd::Stopped),
        () = ctx.run_failing.cancelled() => Some(AttemptEnd::Stopped),
    }
}

/// A retryable error that outlasted the retry budget.
fn still_failing(ctx: &StepContext, code: String, message: String) -> Failure {
    Failure {
        class: ErrorClass::Retryable,
        code,
        message,
        hint: format!(
            "It still failed after {} tries. Resume to try again; if it persists, check the service's health.",
            ctx.try_number
        ),
    }
}

/// A panic in the executor, as the step's failure.
fn crashed(panic: &(dyn std::any::Any + Send)) -> Failure {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    Failure {
        class: ErrorClass::Terminal,
        code: "internal".to_string(),
        message: format!("the step crashed: {what}"),
        hint: "This is a console bug; resume to try again and report it with the support bundle."
            .to_string(),
    }
}
