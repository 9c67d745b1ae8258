//! The admin's requests on runs: queue a draft, resume, retry one step, cancel (the worker
//! picks a running install's cancel up through `cancel_requested`).

use super::{CancelOutcome, install_status_event};
use crate::events::{Level, NewEvent};
use crate::store::events::append;
use crate::store::{InstallId, InstallStatus, Result, Store, StoreError};
use sqlx::SqliteConnection;
use time::OffsetDateTime;

impl Store {
    /// Whether the admin asked this install to stop.
    pub async fn cancel_requested(&self, install: InstallId) -> Result<bool> {
        let id = install.to_string();
        let flag = sqlx::query_scalar!("SELECT cancel_requested FROM installs WHERE id = ?", id)
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound(install))?;
        Ok(flag == 1)
    }

    /// Move a valid draft to `queued`, for the worker to pick up.
    pub async fn queue_install(&self, id: InstallId) -> Result<()> {
        self.requeue(id, &["draft"], None, "install queued").await
    }

    /// Queue a failed, cancelled or interrupted install again: its unfinished steps run again
    /// (attempt + 1), completed ones keep their outputs.
    pub async fn request_resume(&self, id: InstallId) -> Result<()> {
        self.requeue(
            id,
            &["failed", "cancelled", "interrupted"],
            None,
            "resume requested",
        )
        .await
    }

    /// Queue an install that is not running to run one step again (and what depends on it and
    /// has not run). Any step that is not running may be retried, a succeeded one included.
    pub async fn request_retry_step(&self, id: InstallId, step: &str) -> Result<()> {
        self.requeue(
            id,
            &["failed", "cancelled", "interrupted", "succeeded"],
            Some(step),
            &format!("retry of step {step} requested"),
        )
        .await
    }

    async fn requeue(
        &self,
        id: InstallId,
        from: &[&str],
        only_step: Option<&str>,
        message: &str,
    ) -> Result<()> {
        let now = OffsetDateTime::now_utc();
        let id_text = id.to_string();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let current = sqlx::query!(
            r#"SELECT status as "status: InstallStatus", spec IS NOT NULL as "has_spec!: bool",
                   subscription_id, resource_group, cluster_name
               FROM installs WHERE id = ?"#,
            id_text
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound(id))?;
        if !from.contains(&current.status.as_str()) {
            return Err(StoreError::NotActionable {
                id,
                status: current.status,
                action: message.to_string(),
            });
        }
        if !current.has_spec {
            return Err(StoreError::NotReady(id));
        }
        if let Some(holder) = self
            .active_holder(
                &mut tx,
                id,
                &current.subscription_id,
                &current.resource_group,
                &current.cluster_name,
            )
            .await?
        {
            return Err(holder);
        }
        match only_step {
            None => {
                sqlx::query!(
                    "UPDATE install_steps SET status = 'pending'
                     WHERE install_id = ? AND status IN ('failed', 'cancelled', 'interrupted', 'running')",
                    id_text
                )
                .execute(&mut *tx)
                .await?;
            }
            Some(step) => {
                let reset = sqlx::query!(
                    "UPDATE install_steps SET status = 'pending'
                     WHERE install_id = ? AND step_id = ? AND status != 'pending'",
                    id_text,
                    step
                )
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if reset == 0 {
                    return Err(StoreError::NoSuchStep {
                        id,
                        step: step.to_string(),
                    });
                }
                // Steps that were only stopped along the way (not failed themselves) carry on
                // too; other failed steps wait for their own retry or a resume.
                sqlx::query!(
                    "UPDATE install_steps SET status = 'pending'
                     WHERE install_id = ? AND status IN ('cancelled', 'interrupted', 'running')",
                    id_text
                )
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query!(
            "UPDATE installs SET status = 'queued', cancel_requested = 0, updated_at = ? WHERE id = ?",
            now,
            id_text
        )
        .execute(&mut *tx)
        .await?;
        let event = append(
            &mut tx,
            id,
            &install_status_event(InstallStatus::Queued, Level::Info, message.to_string()),
            now,
        )
        .await?;
        tx.commit().await?;
        self.bus.publish([event]);
        Ok(())
    }

    /// The active install (queued or running) holding the same target, as an error.
    async fn active_holder(
        &self,
        conn: &mut SqliteConnection,
        id: InstallId,
        subscription: &Option<String>,
        resource_group: &Option<String>,
        cluster: &Option<String>,
    ) -> Result<Option<StoreError>> {
        let id_text = id.to_string();
        let holder = sqlx::query!(
            r#"SELECT id, name, status as "status: InstallStatus" FROM installs
               WHERE id != ? AND status IN ('queued', 'running')
                 AND lower(subscription_id) = lower(?) AND lower(resource_group) = lower(?)
                 AND lower(cluster_name) = lower(?)
               LIMIT 1"#,
            id_text,
            subscription,
            resource_group,
            cluster,
        )
        .fetch_optional(&mut *conn)
        .await?;
        match holder {
            None => Ok(None),
            Some(h) => Ok(Some(StoreError::TargetBusy {
                holder: crate::store::installs::install_id_from_db(&h.id)?,
                name: h.name,
                status: h.status,
            })),
        }
    }

    /// Cancel: a queued install stops at once; a running one is asked to stop.
    pub async fn request_cancel(&self, id: InstallId) -> Result<CancelOutcome> {
        let now = OffsetDateTime::now_utc();
        let id_text = id.to_string();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let status = sqlx::query_scalar!(
            r#"SELECT status as "status: InstallStatus" FROM installs WHERE id = ?"#,
            id_text
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound(id))?;
        let (outcome, event) = match status {
            InstallStatus::Queued => {
                sqlx::query!(
                    "UPDATE installs SET status = 'cancelled', finished_at = ?, updated_at = ? WHERE id = ?",
                    now,
                    now,
                    id_text
                )
                .execute(&mut *tx)
                .await?;
                (
                    CancelOutcome::Cancelled,
                    install_status_event(
                        InstallStatus::Cancelled,
                        Level::Warn,
                        "install cancelled before it started".to_string(),
                    ),
                )
            }
            InstallStatus::Running => {
                sqlx::query!(
                    "UPDATE installs SET cancel_requested = 1, updated_at = ? WHERE id = ?",
                    now,
                    id_text
                )
                .execute(&mut *tx)
                .await?;
                (
                    CancelOutcome::Requested,
                    NewEvent::install_log(
                        Level::Warn,
                        "cancel requested: no new steps start; running ones stop at a safe point",
                    ),
                )
            }
            status => {
                return Err(StoreError::NotActionable {
                    id,
                    status,
                    action: "cancel".to_string(),
                });
            }
        };
        let event = append(&mut tx, id, &event, now).await?;
        tx.commit().await?;
        self.bus.publish([event]);
        Ok(outcome)
    }
}
