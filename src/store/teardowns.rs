//! Teardown runs: `installs` rows of kind `teardown` pointing at the install they tear down.
//! They run in the same engine (journal, events, resume) as installs.

use super::{InstallId, InstallStatus, Result, Store, StoreError};
use katonic_domain::plan::InstallPlan;
use sqlx::types::Json;
use time::OffsetDateTime;

/// A teardown of an install, as its page lists it.
#[derive(Debug, Clone)]
pub struct TeardownSummary {
    pub id: InstallId,
    pub status: InstallStatus,
    pub created_at: OffsetDateTime,
}

impl Store {
    /// Create a teardown of `of` (a draft with `plan`'s steps), its first step holding the
    /// approved list of resources, then queue it. Refused while `of` is queued or running, while
    /// another teardown of it is, and for drafts and teardowns themselves.
    pub async fn create_teardown(
        &self,
        of: InstallId,
        plan: &InstallPlan,
        inventory_step: katonic_domain::plan::StepId,
        approved: &serde_json::Value,
    ) -> Result<InstallId> {
        let original = self.install(of).await?.ok_or(StoreError::NotFound(of))?;
        if !matches!(
            original.status,
            InstallStatus::Succeeded
                | InstallStatus::Failed
                | InstallStatus::Cancelled
                | InstallStatus::Interrupted
        ) {
            return Err(StoreError::NotActionable {
                id: of,
                status: original.status,
                action: "be torn down (only an install that has run, and is not running, can be)"
                    .to_string(),
            });
        }
        if self.teardown_target(of).await?.is_some() {
            return Err(StoreError::NotActionable {
                id: of,
                status: original.status,
                action: "be torn down: it is itself a teardown; tear down the install it names"
                    .to_string(),
            });
        }
        let id = InstallId::new();
        let id_text = id.to_string();
        let of_text = of.to_string();
        let name = format!("teardown of {}", original.name);
        let now = OffsetDateTime::now_utc();
        let answers = Json(&original.answers);
        let spec = original.spec.as_ref().map(Json);
        let plan_json = Json(plan);
        let approved = Json(approved);
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query!(
            "INSERT INTO installs (id, name, status, answers, wizard_step, spec, plan,
                 subscription_id, resource_group, cluster_name, kind, teardown_of,
                 created_at, updated_at)
             VALUES (?, ?, 'draft', ?, 'review', ?, ?, ?, ?, ?, 'teardown', ?, ?, ?)",
            id_text,
            name,
            answers,
            spec,
            plan_json,
            original.subscription_id,
            original.resource_group,
            original.cluster_name,
            of_text,
            now,
            now,
        )
        .execute(&mut *tx)
        .await?;
        super::installs::replace_steps(&mut tx, &id_text, plan).await?;
        sqlx::query!(
            "UPDATE install_steps SET checkpoint = ? WHERE install_id = ? AND step_id = ?",
            approved,
            id_text,
            inventory_step.as_str(),
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if let Err(e) = self.queue_install(id).await {
            // Not queued (another run holds the target): the draft would only confuse history.
            sqlx::query!(
                "DELETE FROM installs WHERE id = ? AND status = 'draft'",
                id_text
            )
            .execute(&self.writer)
            .await?;
            return Err(e);
        }
        Ok(id)
    }

    /// Teardowns of an install, newest first.
    pub async fn teardowns_of(&self, of: InstallId) -> Result<Vec<TeardownSummary>> {
        let of_text = of.to_string();
        let rows = sqlx::query!(
            r#"SELECT id, status,
                   created_at as "created_at: OffsetDateTime"
               FROM installs WHERE teardown_of = ? AND kind = 'teardown'
               ORDER BY id DESC"#,
            of_text
        )
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(TeardownSummary {
                    id: super::installs::install_id_from_db(&r.id)?,
                    status: super::parse_stored(&r.status)?,
                    created_at: r.created_at,
                })
            })
            .collect()
    }

    /// The install this one tears down, when it is a teardown.
    pub async fn teardown_target(&self, id: InstallId) -> Result<Option<InstallId>> {
        let id_text = id.to_string();
        let row = sqlx::query!(
            "SELECT teardown_of FROM installs WHERE id = ? AND kind = 'teardown'",
            id_text
        )
        .fetch_optional(&self.reader)
        .await?;
        row.and_then(|r| r.teardown_of)
            .as_deref()
            .map(super::installs::install_id_from_db)
            .transpose()
    }
}
