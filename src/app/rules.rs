//! What an install's state allows: the one rule the use cases enforce (409 with the reason and
//! what to do instead) and the install page asks before it shows a button, so a hidden button
//! and a refused request never disagree.
//!
//! - A torn-down install (or one a teardown has started on) runs nothing again: its steps would
//!   create its deleted resources again. Clone it to install the same spec again.
//! - A succeeded install runs no step again but verification (which only reads).
//! - A cancelled install stays cancelled (its run ended at the admin's request); clone it.
//! - A failed or interrupted install resumes, and retries only its failed or interrupted steps:
//!   a succeeded step keeps what it created, a pending one runs on resume.
//! - Teardown runs resume and retry their unfinished steps whatever ended them: they only delete.

use crate::store::{InstallId, InstallRecord, InstallStatus, StepStatus, Store, StoreError};
use katonic_domain::plan::StepId;

/// Where an install stands with its teardowns (its newest one decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeardownState {
    /// Never torn down.
    None,
    /// A teardown is queued or running.
    Active(InstallId),
    /// A teardown succeeded: its resources are gone.
    TornDown(InstallId),
    /// A teardown failed, was cancelled or interrupted: some resources may be gone.
    Partly(InstallId, InstallStatus),
}

/// The facts the rules need about one install.
#[derive(Debug, Clone)]
pub struct InstallState {
    pub id: InstallId,
    pub name: String,
    pub status: InstallStatus,
    /// This run is itself a teardown of another install.
    pub is_teardown: bool,
    pub teardown: TeardownState,
}

/// What an admin asks of an install.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Resume,
    Cancel,
    /// Correct the spec before a resume (`app::edit` then checks each changed field).
    EditSpec,
    /// Run one step again; `status` is the step's current status.
    RetryStep {
        step: StepId,
        status: StepStatus,
    },
}

/// Why an action does not fit the install's state, and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} {fix}")]
pub struct Refusal {
    pub reason: String,
    pub fix: String,
}

fn refuse(reason: String, fix: impl Into<String>) -> Result<(), Refusal> {
    Err(Refusal {
        reason,
        fix: fix.into(),
    })
}

/// The state of `install`, its teardowns read from the store.
pub async fn install_state(
    store: &Store,
    install: &InstallRecord,
) -> Result<InstallState, StoreError> {
    let is_teardown = store.teardown_target(install.id).await?.is_some();
    let newest = store.teardowns_of(install.id).await?.into_iter().next();
    let teardown = match newest {
        None => TeardownState::None,
        Some(t) if t.status.is_active() => TeardownState::Active(t.id),
        Some(t) if t.status == InstallStatus::Succeeded => TeardownState::TornDown(t.id),
        Some(t) if t.status == InstallStatus::Draft => TeardownState::None,
        Some(t) => TeardownState::Partly(t.id, t.status),
    };
    Ok(InstallState {
        id: install.id,
        name: install.name.clone(),
        status: install.status,
        is_teardown,
        teardown,
    })
}

impl InstallState {
    /// Whether the page may offer `action`.
    pub fn allows(&self, action: Action) -> bool {
        self.check(action).is_ok()
    }

    /// `Ok` when `action` fits the install's state, else why not and what to do.
    pub fn check(&self, action: Action) -> Result<(), Refusal> {
        if action == Action::Cancel {
            return self.check_cancel();
        }
        self.check_not_torn_down()?;
        self.check_run_ended()?;
        match action {
            Action::Cancel => Ok(()),
            Action::Resume => self.check_resume(),
            Action::EditSpec => self.check_edit(),
            Action::RetryStep { step, status } => self.check_retry(step, status),
        }
    }

    fn check_cancel(&self) -> Result<(), Refusal> {
        if self.status.is_active() {
            return Ok(());
        }
        refuse(
            format!(
                "Install {} {}: only a queued or running install can be cancelled.",
                self.name,
                crate::store::state_phrase(self.status)
            ),
            "There is nothing to cancel.",
        )
    }

    /// Refused on an install a teardown has started on: anything run would re-create.
    fn check_not_torn_down(&self) -> Result<(), Refusal> {
        let clone = format!(
            "To install the same spec again, clone it (Clone on its page, or POST \
             /api/v1/installs/{}/clone) and start the clone.",
            self.id
        );
        match self.teardown {
            TeardownState::None => Ok(()),
            TeardownState::TornDown(t) => refuse(
                format!(
                    "Install {} was torn down (teardown {t}): its Azure resources are deleted, \
                     and running its steps again would create them again.",
                    self.name
                ),
                clone,
            ),
            TeardownState::Active(t) => refuse(
                format!(
                    "Install {} is being torn down (teardown {t}): running its steps would \
                     create what the teardown deletes.",
                    self.name
                ),
                format!("Wait for the teardown to end. {clone}"),
            ),
            TeardownState::Partly(t, status) => refuse(
                format!(
                    "A teardown of install {} started (teardown {t} {}): some of its resources \
                     may be deleted, and running its steps again would create them again.",
                    self.name,
                    crate::store::state_phrase(status)
                ),
                format!("Resume the teardown from its page to finish it. {clone}"),
            ),
        }
    }

    fn check_run_ended(&self) -> Result<(), Refusal> {
        match self.status {
            InstallStatus::Draft => refuse(
                format!("Install {} is a draft: it has not run yet.", self.name),
                "Queue it from its review page (Queue install).",
            ),
            InstallStatus::Queued | InstallStatus::Running => refuse(
                format!(
                    "Install {} {}: its run has not ended.",
                    self.name,
                    crate::store::state_phrase(self.status)
                ),
                "Wait for it to end, or cancel it first.",
            ),
            _ => Ok(()),
        }
    }

    fn check_resume(&self) -> Result<(), Refusal> {
        match self.status {
            InstallStatus::Failed | InstallStatus::Interrupted => Ok(()),
            InstallStatus::Cancelled if self.is_teardown => Ok(()),
            InstallStatus::Succeeded => refuse(
                format!(
                    "Install {} has succeeded: there is nothing to resume.",
                    self.name
                ),
                "To check it again, run verification again (retry step verify); to change it, \
                 clone it.",
            ),
            InstallStatus::Cancelled => refuse(self.cancelled_reason(), self.clone_fix()),
            _ => Ok(()),
        }
    }

    fn check_edit(&self) -> Result<(), Refusal> {
        let ended_badly = matches!(
            self.status,
            InstallStatus::Failed | InstallStatus::Interrupted
        );
        if ended_badly && !self.is_teardown {
            return Ok(());
        }
        refuse(
            format!(
                "Install {} {}: only a failed or interrupted install's spec can be corrected \
                 before a resume.",
                self.name,
                crate::store::state_phrase(self.status)
            ),
            self.clone_fix(),
        )
    }

    fn check_retry(&self, step: StepId, status: StepStatus) -> Result<(), Refusal> {
        match self.status {
            InstallStatus::Succeeded if step == StepId::Verify => Ok(()),
            InstallStatus::Succeeded => refuse(
                format!(
                    "Install {} has succeeded: its steps do not run again (step {step} would \
                     change resources in use); only verification, which only reads, does.",
                    self.name
                ),
                "To check the install, run verification again (retry step verify); to change \
                 it, clone it.",
            ),
            InstallStatus::Cancelled if !self.is_teardown => {
                refuse(self.cancelled_reason(), self.clone_fix())
            }
            _ if retryable_step(status, self.is_teardown) => Ok(()),
            _ => refuse(
                format!(
                    "Step {step} of install {} is {status}: only its failed or interrupted steps \
                     are retried (a succeeded step keeps what it created; a pending one runs on \
                     resume).",
                    self.name
                ),
                "Retry a failed step, or Resume to run every unfinished step.",
            ),
        }
    }

    fn cancelled_reason(&self) -> String {
        format!(
            "Install {} was cancelled and its run has ended: running it again would start \
             creating resources the admin stopped.",
            self.name
        )
    }

    fn clone_fix(&self) -> String {
        format!(
            "To install the same spec, clone it (Clone on its page, or POST \
             /api/v1/installs/{}/clone) and start the clone.",
            self.id
        )
    }
}

/// A step a retry may run again: failed or interrupted (a teardown's cancelled steps too).
fn retryable_step(status: StepStatus, is_teardown: bool) -> bool {
    match status {
        StepStatus::Failed | StepStatus::Interrupted => true,
        StepStatus::Cancelled => is_teardown,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(status: InstallStatus, teardown: TeardownState) -> InstallState {
        InstallState {
            id: InstallId::nil(),
            name: "prod".into(),
            status,
            is_teardown: false,
            teardown,
        }
    }

    fn retry(step: StepId, status: StepStatus) -> Action {
        Action::RetryStep { step, status }
    }

    #[test]
    fn a_torn_down_install_runs_nothing_again_and_says_clone() {
        let torn = state(
            InstallStatus::Succeeded,
            TeardownState::TornDown(InstallId::nil()),
        );
        for action in [
            Action::Resume,
            retry(StepId::ResourceGroup, StepStatus::Succeeded),
            retry(StepId::Verify, StepStatus::Succeeded),
        ] {
            let refusal = torn.check(action).unwrap_err();
            assert!(refusal.reason.contains("torn down"), "{refusal}");
            assert!(refusal.fix.contains("clone"), "{refusal}");
        }
        let failed_then_torn = state(
            InstallStatus::Failed,
            TeardownState::Partly(InstallId::nil(), InstallStatus::Failed),
        );
        assert!(!failed_then_torn.allows(Action::Resume));
        assert!(!failed_then_torn.allows(retry(StepId::Dns, StepStatus::Failed)));
    }

    #[test]
    fn a_succeeded_install_only_verifies_again() {
        let done = state(InstallStatus::Succeeded, TeardownState::None);
        assert!(done.allows(retry(StepId::Verify, StepStatus::Succeeded)));
        assert!(!done.allows(retry(StepId::ResourceGroup, StepStatus::Succeeded)));
        assert!(!done.allows(Action::Resume));
        assert!(!done.allows(Action::Cancel));
    }

    #[test]
    fn a_failed_run_retries_only_failed_or_interrupted_steps() {
        let failed = state(InstallStatus::Failed, TeardownState::None);
        assert!(failed.allows(Action::Resume));
        assert!(failed.allows(retry(StepId::Dns, StepStatus::Failed)));
        assert!(failed.allows(retry(StepId::Storage, StepStatus::Interrupted)));
        assert!(!failed.allows(retry(StepId::ResourceGroup, StepStatus::Succeeded)));
        assert!(!failed.allows(retry(StepId::Verify, StepStatus::Pending)));
        assert!(failed.allows(Action::EditSpec));
        let done = state(InstallStatus::Succeeded, TeardownState::None);
        assert!(!done.allows(Action::EditSpec));
    }

    #[test]
    fn a_cancelled_install_stays_cancelled_but_a_cancelled_teardown_resumes() {
        let cancelled = state(InstallStatus::Cancelled, TeardownState::None);
        assert!(!cancelled.allows(Action::Resume));
        assert!(!cancelled.allows(retry(StepId::Dns, StepStatus::Cancelled)));
        let teardown = InstallState {
            is_teardown: true,
            ..cancelled
        };
        assert!(teardown.allows(Action::Resume));
    }

    #[test]
    fn a_running_install_only_cancels() {
        let running = state(InstallStatus::Running, TeardownState::None);
        assert!(running.allows(Action::Cancel));
        assert!(!running.allows(Action::Resume));
        assert!(!running.allows(retry(StepId::Dns, StepStatus::Failed)));
    }
}
