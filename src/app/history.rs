//! History reads like a log of one install each: **New install** reuses the untouched draft
//! instead of saving another empty one, a clone gets the next free name (`prod-2`, `prod-3`…)
//! and the uploaded certificate (re-sealed for the clone, never decrypted to disk), and drafts
//! can be deleted.

use super::{Actor, App, AppError};
use crate::store::{AuditAction, InstallId, SecretName};
use katonic_domain::spec::{self, InstallDocument};
use std::collections::HashSet;

/// Longest install name (`InstallName`'s rule).
const NAME_MAX: usize = 32;

/// What happened to the source's uploaded certificate when it was cloned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateCarry {
    /// Copied, still encrypted (re-sealed for the clone's row).
    CarriedOver,
    /// The source needs one (`tls: provided`) but has none: upload it on the clone.
    UploadAgain,
    /// The source's TLS mode needs no upload.
    NotNeeded,
}

/// A new clone, and what became of the certificate.
#[derive(Debug, Clone)]
pub struct Cloned {
    pub id: InstallId,
    pub name: String,
    pub certificate: CertificateCarry,
}

/// The next free name for a clone of `source`: `prod` → `prod-2`, `prod-2` → `prod-3` (the
/// number counts up from the name it was cloned from), kept within the name's 32 characters.
pub fn clone_name(source: &str, taken: &HashSet<String>) -> String {
    let base = match source.rsplit_once('-') {
        Some((stem, n)) if !stem.is_empty() && n.parse::<u32>().is_ok_and(|n| n >= 2) => stem,
        _ => source,
    };
    (2u32..)
        .map(|n| {
            let suffix = format!("-{n}");
            let room = NAME_MAX.saturating_sub(suffix.len());
            let stem: String = base.chars().take(room).collect();
            format!("{}{suffix}", stem.trim_end_matches('-'))
        })
        .find(|name| !taken.contains(name))
        // The range is unbounded and `taken` finite, so a free name is always found.
        .unwrap_or_else(|| format!("{base}-clone"))
}

impl App {
    /// The draft **New install** opens: the untouched one if there is one, else a new one.
    pub async fn new_draft(&self) -> Result<InstallId, AppError> {
        let defaults = spec::default_document();
        if let Some(id) = self.store.untouched_draft(&defaults).await? {
            return Ok(id);
        }
        self.create_draft(defaults, None).await
    }

    /// Delete a draft (refused for anything that ran); audited.
    pub async fn delete_draft(&self, by: &Actor, id: InstallId) -> Result<(), AppError> {
        let install = self.install(id).await?;
        self.store.delete_draft(id).await?;
        self.audit(
            by,
            AuditAction::DeleteDraft,
            Some(id),
            &format!("draft {:?}", install.name),
        )
        .await;
        Ok(())
    }

    /// A new draft with `source`'s answers under the next free name, with its uploaded
    /// certificate carried over; audited on both installs.
    pub async fn clone_install(&self, by: &Actor, source: InstallId) -> Result<Cloned, AppError> {
        let source = self.install(source).await?;
        let mut answers: InstallDocument = source.spec.clone().unwrap_or(source.answers.clone());
        let taken: HashSet<String> = self.store.install_names().await?.into_iter().collect();
        let name = clone_name(&source.name, &taken);
        answers.name = Some(name.clone());
        let wants_upload = super::certificate::wants_upload(&answers);
        let id = self.create_draft(answers, Some(source.id)).await?;
        let certificate = self.carry_certificate(source.id, id, wants_upload).await?;
        let carried = match certificate {
            CertificateCarry::CarriedOver => "; its certificate carried over, still encrypted",
            CertificateCarry::UploadAgain => "; it has no certificate: upload one on the clone",
            CertificateCarry::NotNeeded => "",
        };
        self.audit(
            by,
            AuditAction::Clone,
            Some(source.id),
            &format!("into {name} ({id}){carried}"),
        )
        .await;
        self.audit(
            by,
            AuditAction::Clone,
            Some(id),
            &format!("from {} ({}){carried}", source.name, source.id),
        )
        .await;
        Ok(Cloned {
            id,
            name,
            certificate,
        })
    }

    /// Copy the uploaded certificate and key of `from` to `to`: opened and sealed again in
    /// memory (a ciphertext is bound to its row), never written in the clear.
    async fn carry_certificate(
        &self,
        from: InstallId,
        to: InstallId,
        wants_upload: bool,
    ) -> Result<CertificateCarry, AppError> {
        let certificate = self.store.secret(from, SecretName::TlsCertificate).await?;
        let key = self.store.secret(from, SecretName::TlsKey).await?;
        match (certificate, key) {
            (Some(certificate), Some(key)) => {
                self.store
                    .put_secrets(
                        to,
                        &[
                            (SecretName::TlsCertificate, &certificate),
                            (SecretName::TlsKey, &key),
                        ],
                    )
                    .await?;
                Ok(CertificateCarry::CarriedOver)
            }
            _ if wants_upload => Ok(CertificateCarry::UploadAgain),
            _ => Ok(CertificateCarry::NotNeeded),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken(names: &[&str]) -> HashSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn clones_count_up_from_the_name_they_came_from() {
        assert_eq!(clone_name("prod", &taken(&["prod"])), "prod-2");
        assert_eq!(clone_name("prod", &taken(&["prod", "prod-2"])), "prod-3");
        assert_eq!(clone_name("prod-2", &taken(&["prod", "prod-2"])), "prod-3");
        // A number that is part of the name (a `-1`) is kept.
        assert_eq!(clone_name("team-1", &taken(&["team-1"])), "team-1-2");
        let long = "a".repeat(32);
        let name = clone_name(&long, &taken(&[&long]));
        assert_eq!(name.len(), 32);
        assert!(name.ends_with("-2"));
    }
}
