//! The admin's requests on runs: queue a draft, resume, retry one step, cancel (the worker
//! picks a running install's cancel up through `cancel_requested`).

use super::CancelOutcome;
use crate::events::{Level, NewEvent};
use crate::store::events::append;
use crate::store::installs::install_id_from_db;
use crate::store::{InstallId, InstallStatus, Result, Store, StoreError, parse_stored};
use katonic_domain::plan::StepId;
use sqlx::SqliteConnection;
use time::OffsetDateTime;

use InstallStatus::{Cancelled, Draft, Failed, Interrupted, Succeeded};

/// Which steps a requeue sets back to `pending`.
enum Reset {
    /// Every unfinished step (a start or a resume).
    Unfinished,
    /// One step, the failed steps downstream of it, and the steps only stopped along the way.
    Step {
        step: StepId,
        failed_dependents: Vec<StepId>,
    },
}

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
        let action = "be queued (only a draft can be)";
        self.requeue(id, &[Draft], Reset::Unfinished, ("install queued", action))
            .await
    }

    /// Queue a failed, cancelled or interrupted install again: its unfinished steps run again
    /// (attempt + 1), completed ones keep their outputs.
    pub async fn request_resume(&self, id: InstallId) -> Result<()> {
        let from = [Failed, Cancelled, Interrupted];
        let action = "be resumed (only a failed, cancelled or interrupted install can be)";
        self.requeue(id, &from, Reset::Unfinished, ("resume requested", action))
            .await
    }

    /// Queue an install that is not running to run one step again (and what depends on it and
    /// has not run). Any step that is not running may be retried, a succeeded one included.
    pub async fn request_retry_step(&self, id: InstallId, step: StepId) -> Result<()> {
        let from = [Failed, Cancelled, Interrupted, Succeeded];
        let message = format!("retry of step {step} requested");
        let action = format!("run step {step} again (only an install whose run has ended can)");
        let failed_dependents = self.failed_dependents(id, step).await?;
        let reset = Reset::Step {
            step,
            failed_dependents,
        };
        self.requeue(id, &from, reset, (&message, &action)).await
    }

    /// The failed steps that depend on `step`, directly or through others: a retry of `step`
    /// runs them again too (a verification that failed because of it, say), or the run would
    /// end at once on their old failure. Dependents that succeeded keep their outputs; those
    /// that never ran are pending already.
    async fn failed_dependents(&self, id: InstallId, step: StepId) -> Result<Vec<StepId>> {
        let steps = self.steps(id).await?;
        let mut downstream = std::collections::BTreeSet::from([step]);
        // The plan is a DAG of a few dozen steps: repeat until no step joins.
        loop {
            let before = downstream.len();
            for s in &steps {
                if s.depends_on.iter().any(|d| downstream.contains(d)) {
                    downstream.insert(s.step_id);
                }
            }
            if downstream.len() == before {
                break;
            }
        }
        Ok(steps
            .iter()
            .filter(|s| s.step_id != step && downstream.contains(&s.step_id))
            .filter(|s| s.status == crate::store::StepStatus::Failed)
            .map(|s| s.step_id)
            .collect())
    }

    async fn requeue(
        &self,
        id: InstallId,
        from: &[InstallStatus],
        reset: Reset,
        (message, action): (&str, &str),
    ) -> Result<()> {
        let now = OffsetDateTime::now_utc();
        let id_text = id.to_string();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        self.check_requeue(&mut tx, id, from, action).await?;
        match reset {
            Reset::Unfinished => reset_unfinished_steps(&mut tx, &id_text).await?,
            Reset::Step {
                step,
                failed_dependents,
            } => reset_one_step(&mut tx, id, step, &failed_dependents).await?,
        }
        sqlx::query!(
            "UPDATE installs SET status = 'queued', cancel_requested = 0, updated_at = ? WHERE id = ?",
            now,
            id_text
        )
        .execute(&mut *tx)
        .await?;
        let queued = NewEvent::install_status(InstallStatus::Queued, Level::Info, message.into());
        let event = append(&mut tx, id, &queued, now).await?;
        tx.commit().await?;
        self.bus.publish([event]);
        Ok(())
    }

    /// Refuses a requeue unless the install is in one of `from`, has a valid spec and no other
    /// active install holds its target.
    async fn check_requeue(
        &self,
        conn: &mut SqliteConnection,
        id: InstallId,
        from: &[InstallStatus],
        action: &str,
    ) -> Result<()> {
        let id_text = id.to_string();
        let current = sqlx::query!(
            r#"SELECT status, spec IS NOT NULL as "has_spec!: bool",
                   subscription_id, resource_group, cluster_name
               FROM installs WHERE id = ?"#,
            id_text
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound(id))?;
        let status: InstallStatus = parse_stored(&current.status)?;
        if !from.contains(&status) {
            return Err(StoreError::NotActionable {
                id,
                status,
                action: action.to_string(),
            });
        }
        if !current.has_spec {
            return Err(StoreError::NotReady(id));
        }
        let target = [
            &current.subscription_id,
            &current.resource_group,
            &current.cluster_name,
        ];
        match self.active_holder(conn, id, target).await? {
            Some(holder) => Err(holder),
            None => Ok(()),
        }
    }

    /// The active install (queued or running) holding the same target (subscription, resource
    /// group, cluster), as an error.
    async fn active_holder(
        &self,
        conn: &mut SqliteConnection,
        id: InstallId,
        [subscription, resource_group, cluster]: [&Option<String>; 3],
    ) -> Result<Option<StoreError>> {
        let id_text = id.to_string();
        let holder = sqlx::query!(
            r#"SELECT id, name, status FROM installs
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
                holder: install_id_from_db(&h.id)?,
                name: h.name,
                status: parse_stored(&h.status)?,
            })),
        }
    }

    /// Cancel: a queued install stops at once; a running one is asked to stop.
    pub async fn request_cancel(&self, id: InstallId) -> Result<CancelOutcome> {
        let now = OffsetDateTime::now_utc();
        let id_text = id.to_string();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let status = sqlx::query_scalar!("SELECT status FROM installs WHERE id = ?", id_text)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound(id))?;
        let (outcome, event) = match parse_stored(&status)? {
            InstallStatus::Queued => {
                sqlx::query!(
                    "UPDATE installs SET status = 'cancelled', finished_at = ?, updated_at = ? WHERE id = ?",
                    now,
                    now,
                    id_text
                )
                .execute(&mut *tx)
                .await?;
                let why = "install cancelled before it started".to_string();
                let cancelled = NewEvent::install_status(Cancelled, Level::Warn, why);
                (CancelOutcome::Cancelled, cancelled)
            }
            InstallStatus::Running => {
                sqlx::query!(
                    "UPDATE installs SET cancel_requested = 1, updated_at = ? WHERE id = ?",
                    now,
                    id_text
                )
                .execute(&mut *tx)
                .await?;
                let requested = NewEvent::install_log(
                    Level::Warn,
                    "cancel requested: no new steps start; running ones stop at a safe point",
                );
                (CancelOutcome::Requested, requested)
            }
            status => {
                return Err(StoreError::NotActionable {
                    id,
                    status,
                    action: "be cancelled (only a queued or running install can be)".to_string(),
                });
            }
        };
        let event = append(&mut tx, id, &event, now).await?;
        tx.commit().await?;
        self.bus.publish([event]);
        Ok(outcome)
    }
}

/// A resume runs every step that did not finish (failed, stopped, or running when it stopped).
/// (This and the next SQL text keep the indentation they had inside `requeue`: `.sqlx/` is
/// keyed by the exact text.)
async fn reset_unfinished_steps(conn: &mut SqliteConnection, install: &str) -> Result<()> {
    sqlx::query!(
        "UPDATE install_steps SET status = 'pending'
                     WHERE install_id = ? AND status IN ('failed', 'cancelled', 'interrupted', 'running')",
        install
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A retry runs `step` again, the failed steps downstream of it, and the steps that were only
/// stopped along the way; other failed steps wait for their own retry or a resume.
async fn reset_one_step(
    conn: &mut SqliteConnection,
    id: InstallId,
    step: StepId,
    failed_dependents: &[StepId],
) -> Result<()> {
    let install = id.to_string();
    if reset_step(conn, &install, step).await? == 0 {
        return Err(StoreError::NoSuchStep { id, step });
    }
    for dependent in failed_dependents {
        reset_step(conn, &install, *dependent).await?;
    }
    sqlx::query!(
        "UPDATE install_steps SET status = 'pending'
                     WHERE install_id = ? AND status IN ('cancelled', 'interrupted', 'running')",
        install
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Set one step back to `pending`; the number of rows changed (0: no such step, or pending).
async fn reset_step(conn: &mut SqliteConnection, install: &str, step: StepId) -> Result<u64> {
    let step_text = step.as_str();
    let reset = sqlx::query!(
        "UPDATE install_steps SET status = 'pending'
                     WHERE install_id = ? AND step_id = ? AND status != 'pending'",
        install,
        step_text
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(reset)
}
