//! Installs come into being here: from a reviewed spec (the API and the CLI), as a wizard draft
//! (new, uploaded document), or as a clone of another install.

use super::review::{self, Reviewed};
use super::{App, AppError};
use crate::store::{InstallId, NewInstall};
use katonic_domain::spec::InstallDocument;

impl App {
    /// Record a valid spec as a new install, ready to start (status `draft`, on its review page).
    pub async fn create(&self, reviewed: &Reviewed) -> Result<InstallId, AppError> {
        let id = self
            .store
            .create_install(NewInstall {
                name: reviewed.spec.name.to_string(),
                answers: reviewed.document.clone(),
                wizard_step: "review".to_string(),
                validated: Some(reviewed.validated()),
                cloned_from: None,
            })
            .await?;
        Ok(id)
    }

    /// A draft from answers that may not be valid yet; its validated spec and plan are stored
    /// when they are.
    pub async fn create_draft(
        &self,
        answers: InstallDocument,
        cloned_from: Option<InstallId>,
    ) -> Result<InstallId, AppError> {
        let validated = review::review(&answers, review::today())
            .ok()
            .map(|r| r.validated());
        let id = self
            .store
            .create_install(NewInstall {
                name: answers
                    .name
                    .clone()
                    .unwrap_or_else(|| "untitled".to_string()),
                answers,
                wizard_step: "azure".to_string(),
                validated,
                cloned_from,
            })
            .await?;
        Ok(id)
    }
}
