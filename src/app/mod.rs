//! The use cases the pages, the JSON API and the CLI share: create an install, clone it, upload
//! its certificate, start, resume, retry a step, cancel, preview and start a teardown. Each is
//! one function with one error type ([`AppError`]); each checks what the install's state allows
//! and writes its audit record the same way, whoever calls it. What a caller shows (HTML, JSON,
//! terminal lines) stays with the caller.
//!
//! Files: `review` (answers → spec + plan), `certificate` (the uploaded certificate's checks and
//! sealed storage), `installs` (create, clone), `runs` (start, resume, retry, cancel), `rules`
//! (what each install state allows: the use cases refuse, the pages hide, from one rule), `edit`
//! (a failed install's spec corrected where nothing was created yet),
//! `teardown` (preview through the worker, start).

pub mod certificate;
pub mod edit;
pub mod history;
mod installs;
pub mod network;
pub mod next_steps;
pub mod review;
pub mod rules;
mod runs;
mod teardown;

pub use teardown::{Approval, TeardownError};

use crate::store::{AuditAction, InstallId, Store, StoreError};
use crate::worker::WorkerHandle;
use katonic_domain::spec::SpecErrors;

/// The console's use cases over its store and worker. Cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Store,
    worker: WorkerHandle,
}

/// Who asks, as the audit log names them (never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    /// `label`: e.g. `session 3f2a…` or `api token`, as the access layer names the principal.
    pub fn new(label: impl Into<String>) -> Actor {
        Actor(label.into())
    }

    /// The command line on the console's host (`katonic-console install`, `teardown`).
    pub fn command_line() -> Actor {
        Actor("command line".to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a use case refused or failed. Every variant says what is wrong in words an admin can act
/// on; the web maps them to statuses in one place (`web/error.rs`).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No install with this id.
    #[error("no install with id {0}")]
    NotFound(InstallId),
    /// The spec or an upload has field errors, each naming its field and the fix.
    #[error(transparent)]
    Invalid(#[from] SpecErrors),
    /// The store refused (the install's state does not allow it) or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A teardown could not be previewed or started.
    #[error(transparent)]
    Teardown(#[from] TeardownError),
    /// The action does not fit the install's state (see [`rules`]): the reason and what to do.
    #[error(transparent)]
    Refused(#[from] rules::Refusal),
    /// The admin kubeconfig was refused or could not be fetched.
    #[error(transparent)]
    Kubeconfig(#[from] next_steps::KubeconfigRefused),
    /// A spec edit changes fields whose resources exist (each named with its step).
    #[error(transparent)]
    EditRefused(#[from] edit::EditRefused),
}

impl From<certificate::CertificateError> for AppError {
    fn from(e: certificate::CertificateError) -> Self {
        match e {
            certificate::CertificateError::Invalid(errors) => AppError::Invalid(errors),
            certificate::CertificateError::Store(e) => AppError::Store(e),
        }
    }
}

impl App {
    pub fn new(store: Store, worker: WorkerHandle) -> App {
        App { store, worker }
    }

    /// The install, or [`AppError::NotFound`].
    pub async fn install(&self, id: InstallId) -> Result<crate::store::InstallRecord, AppError> {
        self.store.install(id).await?.ok_or(AppError::NotFound(id))
    }

    /// What the install's state allows now (the page's buttons ask this too).
    pub async fn state(&self, id: InstallId) -> Result<rules::InstallState, AppError> {
        let install = self.install(id).await?;
        Ok(rules::install_state(&self.store, &install).await?)
    }

    /// Write the audit record of an action that took effect. A failed audit write is logged,
    /// not returned: the action already happened, and saying it failed would mislead.
    async fn audit(
        &self,
        by: &Actor,
        action: AuditAction,
        install: Option<InstallId>,
        detail: &str,
    ) {
        if let Err(e) =
            crate::store::audit::record(&self.store, by.as_str(), action, install, detail).await
        {
            tracing::error!(error = %e, action = action.as_str(), "audit entry not written");
        }
    }
}
