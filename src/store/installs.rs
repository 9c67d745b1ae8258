//! Install rows and their planned steps.

use super::{InstallStatus, Result, StepStatus, Store, StoreError, parse_stored};
use katonic_domain::plan::{InstallPlan, StepId};
use katonic_domain::spec::InstallDocument;
use serde::Serialize;
use sqlx::types::Json;
use time::OffsetDateTime;

pub use katonic_domain::InstallId;

/// An install id read back from a row; anything else means a hand-edited or foreign database.
pub(super) fn install_id_from_db(text: &str) -> Result<InstallId> {
    InstallId::parse(text).ok_or_else(|| StoreError::Corrupt(format!("install id {text:?}")))
}

/// A spec that passed validation, with its plan: what a draft carries once its answers are valid.
#[derive(Debug, Clone)]
pub struct Validated {
    /// The canonical document (defaults written out).
    pub spec: InstallDocument,
    pub plan: InstallPlan,
    pub subscription_id: String,
    pub resource_group: String,
    pub cluster_name: String,
}

/// What creating an install needs.
#[derive(Debug, Clone)]
pub struct NewInstall {
    pub name: String,
    pub answers: InstallDocument,
    pub wizard_step: String,
    pub validated: Option<Validated>,
    pub cloned_from: Option<InstallId>,
}

/// One install as stored.
#[derive(Debug, Clone)]
pub struct InstallRecord {
    pub id: InstallId,
    pub name: String,
    pub status: InstallStatus,
    pub answers: InstallDocument,
    pub wizard_step: String,
    pub spec: Option<InstallDocument>,
    pub plan: Option<InstallPlan>,
    pub subscription_id: Option<String>,
    pub resource_group: Option<String>,
    pub cluster_name: Option<String>,
    pub cloned_from: Option<InstallId>,
    pub run_count: i64,
    pub last_event_seq: i64,
    pub cancel_requested: bool,
    /// Why the last run ended badly: (step, code, message, hint).
    pub error: Option<RunError>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub started_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
}

/// Why a run ended badly, as the install page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunError {
    pub step: Option<super::FailedAt>,
    pub code: String,
    pub message: String,
    pub hint: String,
}

/// A history line.
#[derive(Debug, Clone)]
pub struct InstallSummary {
    pub id: InstallId,
    pub name: String,
    pub status: InstallStatus,
    pub subscription_id: Option<String>,
    pub resource_group: Option<String>,
    pub cluster_name: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A planned step as stored.
#[derive(Debug, Clone)]
pub struct StepRecord {
    pub step_id: StepId,
    pub position: i64,
    pub title: String,
    pub depends_on: Vec<StepId>,
    pub status: StepStatus,
    pub attempt: i64,
    pub outputs: Option<serde_json::Value>,
    pub checkpoint: Option<serde_json::Value>,
    pub error: Option<super::Failure>,
    pub started_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
}

impl Store {
    /// Create an install (a draft) and, when its spec is valid, its planned steps.
    pub async fn create_install(&self, new: NewInstall) -> Result<InstallId> {
        let id = InstallId::new();
        let id_text = id.to_string();
        let now = OffsetDateTime::now_utc();
        let answers = Json(&new.answers);
        let (spec, plan, sub, rg, cluster) = validated_columns(new.validated.as_ref());
        let cloned_from = new.cloned_from.map(|c| c.to_string());
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query!(
            "INSERT INTO installs (id, name, status, answers, wizard_step, spec, plan,
                 subscription_id, resource_group, cluster_name, cloned_from, created_at, updated_at)
             VALUES (?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            id_text,
            new.name,
            answers,
            new.wizard_step,
            spec,
            plan,
            sub,
            rg,
            cluster,
            cloned_from,
            now,
            now,
        )
        .execute(&mut *tx)
        .await?;
        if let Some(validated) = &new.validated {
            replace_steps(&mut tx, &id_text, &validated.plan).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Save a draft's answers (and its spec and plan once valid); refused once it left `draft`.
    pub async fn save_draft(
        &self,
        id: InstallId,
        name: &str,
        answers: &InstallDocument,
        wizard_step: &str,
        validated: Option<&Validated>,
    ) -> Result<()> {
        let id_text = id.to_string();
        let now = OffsetDateTime::now_utc();
        let answers = Json(answers);
        let (spec, plan, sub, rg, cluster) = validated_columns(validated);
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let updated = sqlx::query!(
            "UPDATE installs SET name = ?, answers = ?, wizard_step = ?, spec = ?, plan = ?,
                 subscription_id = ?, resource_group = ?, cluster_name = ?, updated_at = ?
             WHERE id = ? AND status = 'draft'",
            name,
            answers,
            wizard_step,
            spec,
            plan,
            sub,
            rg,
            cluster,
            now,
            id_text,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            drop(tx);
            return Err(self.not_draft(id).await);
        }
        match validated {
            Some(v) => replace_steps(&mut tx, &id_text, &v.plan).await?,
            None => {
                sqlx::query!("DELETE FROM install_steps WHERE install_id = ?", id_text)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// One install, or `None`.
    pub async fn install(&self, id: InstallId) -> Result<Option<InstallRecord>> {
        let id_text = id.to_string();
        let row = sqlx::query!(
            r#"SELECT id, name, status,
                   answers as "answers: Json<InstallDocument>", wizard_step,
                   spec as "spec: Json<InstallDocument>", plan as "plan: Json<InstallPlan>",
                   subscription_id, resource_group, cluster_name, cloned_from,
                   run_count, last_event_seq, cancel_requested,
                   error_step, error_code, error_message, error_hint,
                   created_at as "created_at: OffsetDateTime",
                   updated_at as "updated_at: OffsetDateTime",
                   started_at as "started_at: OffsetDateTime",
                   finished_at as "finished_at: OffsetDateTime"
               FROM installs WHERE id = ?"#,
            id_text,
        )
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(InstallRecord {
            id: install_id_from_db(&row.id)?,
            name: row.name,
            status: parse_stored(&row.status)?,
            answers: row.answers.0,
            wizard_step: row.wizard_step,
            spec: row.spec.map(|s| s.0),
            plan: row.plan.map(|p| p.0),
            subscription_id: row.subscription_id,
            resource_group: row.resource_group,
            cluster_name: row.cluster_name,
            cloned_from: row
                .cloned_from
                .as_deref()
                .map(install_id_from_db)
                .transpose()?,
            run_count: row.run_count,
            last_event_seq: row.last_event_seq,
            cancel_requested: row.cancel_requested == 1,
            error: row
                .error_code
                .map(|code| {
                    Ok::<_, StoreError>(RunError {
                        step: row.error_step.as_deref().map(parse_stored).transpose()?,
                        code,
                        message: row.error_message.unwrap_or_default(),
                        hint: row.error_hint.unwrap_or_default(),
                    })
                })
                .transpose()?,
            created_at: row.created_at,
            updated_at: row.updated_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
        }))
    }

    /// Every install, most recently updated first.
    pub async fn installs(&self) -> Result<Vec<InstallSummary>> {
        let rows = sqlx::query!(
            r#"SELECT id, name, status,
                   subscription_id, resource_group, cluster_name,
                   created_at as "created_at: OffsetDateTime",
                   updated_at as "updated_at: OffsetDateTime"
               FROM installs ORDER BY updated_at DESC, id DESC"#
        )
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(InstallSummary {
                    id: install_id_from_db(&row.id)?,
                    name: row.name,
                    status: parse_stored(&row.status)?,
                    subscription_id: row.subscription_id,
                    resource_group: row.resource_group,
                    cluster_name: row.cluster_name,
                    created_at: row.created_at,
                    updated_at: row.updated_at,
                })
            })
            .collect()
    }

    /// An install's planned steps in plan order.
    pub async fn steps(&self, id: InstallId) -> Result<Vec<StepRecord>> {
        let id_text = id.to_string();
        let rows = sqlx::query!(
            r#"SELECT step_id, position, title, depends_on as "depends_on: Json<Vec<String>>",
                   status, attempt,
                   outputs as "outputs: Json<serde_json::Value>",
                   checkpoint as "checkpoint: Json<serde_json::Value>",
                   error_class as "error_class: super::ErrorClass",
                   error_code, error_message, error_hint,
                   started_at as "started_at: OffsetDateTime",
                   finished_at as "finished_at: OffsetDateTime"
               FROM install_steps WHERE install_id = ? ORDER BY position"#,
            id_text,
        )
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(StepRecord {
                    step_id: parse_stored(&row.step_id)?,
                    position: row.position,
                    title: row.title,
                    depends_on: row
                        .depends_on
                        .0
                        .iter()
                        .map(|d| parse_stored(d))
                        .collect::<Result<_>>()?,
                    status: parse_stored(&row.status)?,
                    attempt: row.attempt,
                    outputs: row.outputs.map(|o| o.0),
                    checkpoint: row.checkpoint.map(|c| c.0),
                    error: match (row.error_class, row.error_code) {
                        (Some(class), Some(code)) => Some(super::Failure {
                            class,
                            code,
                            message: row.error_message.unwrap_or_default(),
                            hint: row.error_hint.unwrap_or_default(),
                        }),
                        _ => None,
                    },
                    started_at: row.started_at,
                    finished_at: row.finished_at,
                })
            })
            .collect()
    }

    /// The right error for a write that matched no draft row.
    async fn not_draft(&self, id: InstallId) -> StoreError {
        match self.install(id).await {
            Ok(Some(r)) => StoreError::NotDraft {
                id,
                status: r.status,
            },
            Ok(None) => StoreError::NotFound(id),
            Err(e) => e,
        }
    }
}

type ValidatedColumns<'a> = (
    Option<Json<&'a InstallDocument>>,
    Option<Json<&'a InstallPlan>>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

fn validated_columns(validated: Option<&Validated>) -> ValidatedColumns<'_> {
    match validated {
        Some(v) => (
            Some(Json(&v.spec)),
            Some(Json(&v.plan)),
            Some(v.subscription_id.as_str()),
            Some(v.resource_group.as_str()),
            Some(v.cluster_name.as_str()),
        ),
        None => (None, None, None, None, None),
    }
}

/// A draft's steps follow its latest plan.
pub(super) async fn replace_steps(
    tx: &mut sqlx::SqliteConnection,
    install_id: &str,
    plan: &InstallPlan,
) -> Result<()> {
    sqlx::query!("DELETE FROM install_steps WHERE install_id = ?", install_id)
        .execute(&mut *tx)
        .await?;
    for (position, step) in plan.steps.iter().enumerate() {
        let position = i64::try_from(position).unwrap_or(i64::MAX);
        let step_id = step.id.as_str();
        let depends_on = Json(
            step.depends_on
                .iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>(),
        );
        sqlx::query!(
            "INSERT INTO install_steps (install_id, step_id, position, title, depends_on)
             VALUES (?, ?, ?, ?, ?)",
            install_id,
            step_id,
            position,
            step.title,
            depends_on,
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
