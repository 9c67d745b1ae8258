//! The history list: one row per install (teardowns are runs of their install, not rows),
//! without the untouched drafts a click on **New install** leaves; drafts can be deleted.
//!
//! Runtime `sqlx::query` (not `query!`) here: sqlx-cli was not available to regenerate `.sqlx`
//! when these were written; each query is covered by the history tests.

use super::installs::install_id_from_db;
use super::{InstallId, InstallStatus, Result, Store, StoreError, parse_stored};
use katonic_domain::spec::InstallDocument;
use sqlx::Row;
use sqlx::types::Json;
use time::OffsetDateTime;

/// A history line: an install, and what its latest teardown did.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub id: InstallId,
    pub name: String,
    pub status: InstallStatus,
    pub subscription_id: Option<String>,
    pub resource_group: Option<String>,
    pub cluster_name: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// The status of its newest teardown run, if it has one.
    pub teardown: Option<InstallStatus>,
}

/// Untouched: a draft that is not a clone and still holds exactly the wizard's defaults (the
/// JSON text compares equal because both sides are serialised by the same code). A macro, so
/// the queries stay literal strings (sqlx refuses SQL built at run time).
macro_rules! untouched {
    () => {
        "i.status = 'draft' AND i.cloned_from IS NULL AND i.answers = ?"
    };
}

impl Store {
    /// Every install (not teardowns, not untouched drafts), most recently updated first.
    /// `defaults`: the wizard's default answers.
    pub async fn history(&self, defaults: &InstallDocument) -> Result<Vec<HistoryEntry>> {
        let sql = concat!(
            "SELECT i.id, i.name, i.status, i.subscription_id, i.resource_group, i.cluster_name,
                    i.created_at, i.updated_at,
                    (SELECT t.status FROM installs t
                      WHERE t.teardown_of = i.id AND t.kind = 'teardown'
                      ORDER BY t.id DESC LIMIT 1) AS teardown
               FROM installs i
              WHERE i.kind = 'install' AND NOT (",
            untouched!(),
            ") ORDER BY i.updated_at DESC, i.id DESC"
        );
        let rows = sqlx::query(sql)
            .bind(Json(defaults))
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(HistoryEntry {
                    id: install_id_from_db(&row.try_get::<String, _>("id")?)?,
                    name: row.try_get("name")?,
                    status: parse_stored(&row.try_get::<String, _>("status")?)?,
                    subscription_id: row.try_get("subscription_id")?,
                    resource_group: row.try_get("resource_group")?,
                    cluster_name: row.try_get("cluster_name")?,
                    created_at: row.try_get("created_at")?,
                    updated_at: row.try_get("updated_at")?,
                    teardown: row
                        .try_get::<Option<String>, _>("teardown")?
                        .as_deref()
                        .map(parse_stored)
                        .transpose()?,
                })
            })
            .collect()
    }

    /// The newest untouched draft, to reuse instead of saving another empty one.
    pub async fn untouched_draft(&self, defaults: &InstallDocument) -> Result<Option<InstallId>> {
        let sql = concat!(
            "SELECT i.id FROM installs i WHERE i.kind = 'install' AND ",
            untouched!(),
            " ORDER BY i.id DESC LIMIT 1"
        );
        let row = sqlx::query(sql)
            .bind(Json(defaults))
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| install_id_from_db(&r.try_get::<String, _>("id")?))
            .transpose()
    }

    /// Every install's name (to name a clone).
    pub async fn install_names(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT name FROM installs WHERE kind = 'install'")
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("name")?))
            .collect()
    }

    /// Delete a draft with its steps, events and secrets (cascade); clones of it forget where
    /// they came from. Refused for anything that left the draft state, and for teardowns.
    pub async fn delete_draft(&self, id: InstallId) -> Result<()> {
        let id_text = id.to_string();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query("SELECT status, kind FROM installs WHERE id = ?")
            .bind(&id_text)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(id));
        };
        let status: InstallStatus = parse_stored(&row.try_get::<String, _>("status")?)?;
        if status != InstallStatus::Draft || row.try_get::<String, _>("kind")? != "install" {
            return Err(StoreError::NotActionable {
                id,
                status,
                action: "delete it (only a draft that never ran can be deleted; an install that \
                         ran stays in the history)"
                    .to_string(),
            });
        }
        sqlx::query("UPDATE installs SET cloned_from = NULL WHERE cloned_from = ?")
            .bind(&id_text)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM installs WHERE id = ? AND status = 'draft'")
            .bind(&id_text)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
