//! A failed or interrupted install's spec replaced by a corrected one (`app::edit` decides which
//! fields may change). The journal stays: a succeeded step stays succeeded with its outputs; steps
//! the new plan adds start pending; unfinished steps the new plan drops are removed; preflight
//! runs again on resume, since it checked the old spec.
//!
//! Runtime `sqlx::query` (not `query!`) here: these statements are new, and keeping them out of
//! `.sqlx/` avoids regenerating it for every branch merging into main.

use crate::store::installs::Validated;
use crate::store::{InstallId, InstallStatus, Result, Store, StoreError, parse_stored};
use katonic_domain::plan::{InstallPlan, StepId};
use sqlx::types::Json;
use sqlx::{Row, SqliteConnection};
use time::OffsetDateTime;

impl Store {
    /// Store `validated` as the spec and plan of install `id`, which must be failed or
    /// interrupted (anything else: [`StoreError::NotActionable`]).
    pub async fn replace_spec_of_ended_run(
        &self,
        id: InstallId,
        name: &str,
        validated: &Validated,
    ) -> Result<()> {
        let id_text = id.to_string();
        let now = OffsetDateTime::now_utc();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM installs WHERE id = ?")
            .bind(&id_text)
            .fetch_optional(&mut *tx)
            .await?;
        let status: InstallStatus = parse_stored(&status.ok_or(StoreError::NotFound(id))?)?;
        if !matches!(status, InstallStatus::Failed | InstallStatus::Interrupted) {
            return Err(StoreError::NotActionable {
                id,
                status,
                action: "have its spec edited (only a failed or interrupted install can)".into(),
            });
        }
        sqlx::query(
            "UPDATE installs SET name = ?, spec = ?, plan = ?, subscription_id = ?,
                 resource_group = ?, cluster_name = ?, updated_at = ? WHERE id = ?",
        )
        .bind(name)
        .bind(Json(&validated.spec))
        .bind(Json(&validated.plan))
        .bind(&validated.subscription_id)
        .bind(&validated.resource_group)
        .bind(&validated.cluster_name)
        .bind(now)
        .bind(&id_text)
        .execute(&mut *tx)
        .await?;
        merge_steps(&mut tx, &id_text, &validated.plan).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The journal follows the new plan: kept steps keep their status and outputs (their position,
/// title and dependencies follow the plan), new ones are pending, dropped unfinished ones go.
async fn merge_steps(conn: &mut SqliteConnection, install: &str, plan: &InstallPlan) -> Result<()> {
    let rows = sqlx::query("SELECT step_id, status FROM install_steps WHERE install_id = ?")
        .bind(install)
        .fetch_all(&mut *conn)
        .await?;
    let planned: Vec<&str> = plan.steps.iter().map(|s| s.id.as_str()).collect();
    for row in rows {
        let step: String = row.try_get("step_id")?;
        let status: String = row.try_get("status")?;
        // A succeeded step the plan no longer has stays in the journal: it created something.
        if !planned.contains(&step.as_str()) && status != "succeeded" {
            sqlx::query("DELETE FROM install_steps WHERE install_id = ? AND step_id = ?")
                .bind(install)
                .bind(&step)
                .execute(&mut *conn)
                .await?;
        }
    }
    for (position, step) in plan.steps.iter().enumerate() {
        let position = i64::try_from(position).unwrap_or(i64::MAX);
        let depends_on = Json(
            step.depends_on
                .iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>(),
        );
        sqlx::query(
            "INSERT INTO install_steps (install_id, step_id, position, title, depends_on)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (install_id, step_id) DO UPDATE SET
                 position = excluded.position, title = excluded.title,
                 depends_on = excluded.depends_on",
        )
        .bind(install)
        .bind(step.id.as_str())
        .bind(position)
        .bind(&step.title)
        .bind(depends_on)
        .execute(&mut *conn)
        .await?;
    }
    // Preflight checked the old spec; it only reads, so it runs again on resume.
    sqlx::query("UPDATE install_steps SET status = 'pending' WHERE install_id = ? AND step_id = ?")
        .bind(install)
        .bind(StepId::Preflight.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
