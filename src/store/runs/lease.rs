//! The worker's claim on an install and its lease: claiming the next queued install, renewing
//! the lease by heartbeat, and interrupting runs whose lease expired (or every run, at start-up).

use super::{Claimed, Lease, now_ms, ttl_ms};
use crate::events::{Level, NewEvent};
use crate::store::events::append;
use crate::store::{InstallId, InstallStatus, Result, StepStatus, Store, StoreError};
use std::time::Duration;
use time::OffsetDateTime;

impl Store {
    /// Claim the longest-waiting queued install, if any, with a fresh lease.
    pub async fn claim_next(&self, owner: &str, ttl: Duration) -> Result<Option<Claimed>> {
        let now = OffsetDateTime::now_utc();
        let expires = now_ms(now) + ttl_ms(ttl);
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query!(
            "UPDATE installs SET status = 'running', lease_owner = ?, lease_expires_ms = ?,
                 run_count = run_count + 1, cancel_requested = 0, error_step = NULL,
                 error_code = NULL, error_message = NULL, error_hint = NULL,
                 started_at = COALESCE(started_at, ?), finished_at = NULL, updated_at = ?
             WHERE status = 'queued' AND id = (
                 SELECT id FROM installs WHERE status = 'queued' ORDER BY updated_at, id LIMIT 1)
             RETURNING id, run_count",
            owner,
            expires,
            now,
            now,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let install = crate::store::installs::install_id_from_db(&row.id)?;
        let event = append(
            &mut tx,
            install,
            &NewEvent::install_status(
                InstallStatus::Running,
                Level::Info,
                format!("run {} started", row.run_count),
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        self.bus.publish([event]);
        Ok(Some(Claimed {
            lease: Lease {
                install,
                owner: owner.to_string(),
                ttl,
            },
            run: row.run_count,
        }))
    }

    /// Extend the lease; `LeaseLost` if it is no longer held.
    pub async fn renew_lease(&self, lease: &Lease) -> Result<()> {
        let now = OffsetDateTime::now_utc();
        let expires = now_ms(now) + ttl_ms(lease.ttl);
        let now = now_ms(now);
        let id = lease.install.to_string();
        let renewed = sqlx::query!(
            "UPDATE installs SET lease_expires_ms = ?
             WHERE id = ? AND status = 'running' AND lease_owner = ? AND lease_expires_ms > ?",
            expires,
            id,
            lease.owner,
            now,
        )
        .execute(&self.writer)
        .await?
        .rows_affected();
        if renewed == 1 {
            Ok(())
        } else {
            Err(StoreError::LeaseLost(lease.install))
        }
    }

    /// Mark `running` installs as `interrupted` (and their running steps too): all of them at
    /// start-up (this process holds the data dir's lock, so no worker is alive), or only those
    /// whose lease has expired (`expired_only`) while running.
    pub async fn interrupt_orphans(
        &self,
        expired_only: bool,
        reason: &str,
    ) -> Result<Vec<InstallId>> {
        let now = OffsetDateTime::now_utc();
        let cutoff = if expired_only { now_ms(now) } else { i64::MAX };
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let ids = sqlx::query_scalar!(
            "UPDATE installs SET status = 'interrupted', lease_owner = NULL, lease_expires_ms = NULL,
                 error_step = NULL, error_code = 'interrupted', error_message = ?,
                 error_hint = 'Resume it: completed steps are kept and not run again.',
                 finished_at = ?, updated_at = ?
             WHERE status = 'running' AND COALESCE(lease_expires_ms, 0) < ?
             RETURNING id",
            reason,
            now,
            now,
            cutoff,
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut events = Vec::new();
        let mut installs = Vec::new();
        for id in ids {
            let install = crate::store::installs::install_id_from_db(&id)?;
            let steps = sqlx::query!(
                "UPDATE install_steps SET status = 'interrupted', finished_at = ?
                 WHERE install_id = ? AND status = 'running' RETURNING step_id, attempt",
                now,
                id,
            )
            .fetch_all(&mut *tx)
            .await?;
            for s in steps {
                let e = NewEvent::step_status(
                    crate::store::parse_stored(&s.step_id)?,
                    s.attempt,
                    StepStatus::Interrupted,
                    Level::Warn,
                    format!("attempt {} interrupted: {reason}", s.attempt),
                );
                events.push(append(&mut tx, install, &e, now).await?);
            }
            let e = NewEvent::install_status(
                InstallStatus::Interrupted,
                Level::Warn,
                format!("install interrupted: {reason}"),
            );
            events.push(append(&mut tx, install, &e, now).await?);
            installs.push(install);
        }
        tx.commit().await?;
        self.bus.publish(events);
        Ok(installs)
    }
}
