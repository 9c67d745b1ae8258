//! The audit log: who (a session's label or "api token") did what, to which install, when.
//! Written by the web handlers after an action took effect; shown on the install page.

use super::{InstallId, Result, Store};
use time::OffsetDateTime;

/// What an admin did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    Start,
    Resume,
    RetryStep,
    /// A failed install's spec corrected before a resume.
    EditSpec,
    Cancel,
    Clone,
    CertificateUpload,
    Teardown,
    Settings,
    SignIn,
    SignOut,
    /// A one-time access link issued on the host (`katonic-console access-link`).
    AccessLink,
    KubeconfigDownload,
    DeleteDraft,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Start => "start",
            AuditAction::Resume => "resume",
            AuditAction::RetryStep => "retry step",
            AuditAction::EditSpec => "edit spec",
            AuditAction::Cancel => "cancel",
            AuditAction::Clone => "clone",
            AuditAction::CertificateUpload => "certificate upload",
            AuditAction::Teardown => "teardown",
            AuditAction::Settings => "settings",
            AuditAction::SignIn => "sign in",
            AuditAction::SignOut => "sign out",
            AuditAction::AccessLink => "access link issued",
            AuditAction::KubeconfigDownload => "kubeconfig download",
            AuditAction::DeleteDraft => "delete draft",
        }
    }
}

/// One recorded action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    pub install_id: Option<String>,
    pub detail: String,
}

/// Record that `actor` did `action` (to `install`, if it concerns one). `detail` is shown as
/// is: never put a secret in it.
pub async fn record(
    store: &Store,
    actor: &str,
    action: AuditAction,
    install: Option<InstallId>,
    detail: &str,
) -> Result<()> {
    let now = OffsetDateTime::now_utc();
    let action = action.as_str();
    let install = install.map(|id| id.to_string());
    let mut tx = store.writer.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::query!(
        "INSERT INTO audit_log (at, actor, action, install_id, detail) VALUES (?, ?, ?, ?, ?)",
        now,
        actor,
        action,
        install,
        detail,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

impl Store {
    /// An install's audit entries, oldest first.
    pub async fn audit_of_install(&self, install: InstallId) -> Result<Vec<AuditEntry>> {
        let id = install.to_string();
        Ok(sqlx::query_as!(
            AuditEntry,
            r#"SELECT at as "at: OffsetDateTime", actor, action, install_id, detail
               FROM audit_log WHERE install_id = ? ORDER BY id"#,
            id
        )
        .fetch_all(&self.reader)
        .await?)
    }

    /// The latest `limit` entries of the whole console, newest first.
    pub async fn audit_recent(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        Ok(sqlx::query_as!(
            AuditEntry,
            r#"SELECT at as "at: OffsetDateTime", actor, action, install_id, detail
               FROM audit_log ORDER BY id DESC LIMIT ?"#,
            limit
        )
        .fetch_all(&self.reader)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn entries_are_kept_per_install_in_order() {
        let temp = tempfile::tempdir().unwrap();
        let store = Store::open(temp.path()).await.unwrap();
        let install = InstallId::nil();
        record(
            &store,
            "session ab12cd34",
            AuditAction::Start,
            Some(install),
            "",
        )
        .await
        .unwrap();
        record(
            &store,
            "api token",
            AuditAction::RetryStep,
            Some(install),
            "aks",
        )
        .await
        .unwrap();
        record(&store, "api token", AuditAction::SignIn, None, "password")
            .await
            .unwrap();
        let entries = store.audit_of_install(install).await.unwrap();
        let seen: Vec<_> = entries
            .iter()
            .map(|e| (e.actor.as_str(), e.action.as_str(), e.detail.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("session ab12cd34", "start", ""),
                ("api token", "retry step", "aks")
            ]
        );
        assert_eq!(store.audit_recent(1).await.unwrap()[0].action, "sign in");
        store.close().await;
    }
}
