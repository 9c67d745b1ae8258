//! Fix and resume (issue 16): a failed or interrupted install's spec may change where the change
//! touches nothing created yet. Each field belongs to the steps that create what it describes;
//! a field may change only while none of its steps has succeeded or started an Azure operation
//! (a checkpoint). The new spec is planned again and stored; the journal stays, so Resume
//! continues where the run stopped.

use super::review::{self, Reviewed};
use super::rules::Action;
use super::{Actor, App, AppError};
use crate::store::{AuditAction, InstallId, StepRecord, StepStatus};
use katonic_domain::plan::StepId;
use katonic_domain::spec::InstallDocument;
use serde_json::Value;
use std::collections::BTreeMap;

/// A changed field whose resources already exist.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LockedField {
    /// The field's path in the spec, e.g. `cluster.name`.
    pub field: String,
    /// The step that created what the field describes.
    pub step: StepId,
}

/// Why an edit was refused: every locked field, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe(.fields, .install))]
pub struct EditRefused {
    pub install: InstallId,
    pub fields: Vec<LockedField>,
}

fn describe(fields: &[LockedField], install: &InstallId) -> String {
    let each: Vec<String> = fields
        .iter()
        .map(|f| {
            format!(
                "{} cannot change: step {} already created it",
                f.field, f.step
            )
        })
        .collect();
    format!(
        "{}. Fields whose resources exist cannot change on this install; to install with them \
         changed, clone it (POST /api/v1/installs/{install}/clone) and edit the clone.",
        each.join("; ")
    )
}

/// The steps that create what the field at `path` (dotted, camelCase) describes. The first
/// matching prefix decides; anything unlisted belongs to the first step that creates anything.
fn owners(path: &str) -> &'static [StepId] {
    use StepId::*;
    const TABLE: &[(&str, &[StepId])] = &[
        ("cluster.network.vnetCidr", &[Network]),
        ("cluster.network.aksSubnetCidr", &[Network]),
        ("cluster.network.jumphostSubnetCidr", &[Network]),
        ("cluster.network.existingVnet", &[Network]),
        ("cluster.nodePools.compute", &[ComputePool]),
        ("cluster.nodePools.gpu", &[GpuPool]),
        ("cluster.mode", &[ResourceGroup]),
        // The system pool, versions, tier and networking are set when the cluster is created.
        ("cluster.", &[AksCluster]),
        ("domain.fqdn", &[Tls, Platform, Dns]),
        ("domain.tls", &[Tls]),
        ("domain.dnsZone", &[Dns]),
        ("ingress.", &[IngressIp, IngressLoadBalancer]),
        ("storage.sharedFiles", &[Storage, StorageClasses]),
        ("storage.", &[Storage]),
        ("registry.", &[Registry]),
        ("addons.superset", &[Superset]),
        ("addons.airbyte", &[Airbyte]),
        ("platform.", &[Platform]),
    ];
    TABLE
        .iter()
        .find(|(prefix, _)| path.starts_with(prefix))
        .map(|(_, steps)| *steps)
        .unwrap_or(&[ResourceGroup])
}

/// A new cluster's create makes every pool (no pool step in its plan); an existing cluster's
/// pools, and plans made before that, have their own step.
fn pool_owner(step: StepId, journal: &[StepRecord]) -> StepId {
    let pool_step = matches!(step, StepId::ComputePool | StepId::GpuPool);
    if pool_step && !journal.iter().any(|r| r.step_id == step) {
        StepId::AksCluster
    } else {
        step
    }
}

/// Whether `step` may have created something: it succeeded, or started an Azure operation.
fn created(journal: &[StepRecord], step: StepId) -> bool {
    journal
        .iter()
        .find(|r| r.step_id == step)
        .is_some_and(|r| r.status == StepStatus::Succeeded || r.checkpoint.is_some())
}

/// The changed fields of `old` → `new` whose steps already created something.
pub fn locked_fields(
    old: &InstallDocument,
    new: &InstallDocument,
    journal: &[StepRecord],
) -> Vec<LockedField> {
    changed_paths(old, new)
        .into_iter()
        .filter_map(|field| {
            let step = owners(&field)
                .iter()
                .copied()
                .map(|s| pool_owner(s, journal))
                .find(|s| created(journal, *s))?;
            Some(LockedField { field, step })
        })
        .collect()
}

/// Dotted paths of the leaves that differ (added, removed or changed).
pub fn changed_paths(old: &InstallDocument, new: &InstallDocument) -> Vec<String> {
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    flatten(
        "",
        &serde_json::to_value(old).unwrap_or(Value::Null),
        &mut a,
    );
    flatten(
        "",
        &serde_json::to_value(new).unwrap_or(Value::Null),
        &mut b,
    );
    let mut paths: Vec<String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, v, out);
            }
        }
        leaf => {
            out.insert(prefix.to_string(), leaf.clone());
        }
    }
}

impl App {
    /// Replace the spec of a failed or interrupted install with `answers`, if every changed
    /// field's resources do not exist yet; the plan is made again and Resume continues.
    /// Returns the changed fields.
    pub async fn edit_spec(
        &self,
        by: &Actor,
        id: InstallId,
        answers: &InstallDocument,
    ) -> Result<Vec<String>, AppError> {
        let install = self.install(id).await?;
        self.state(id).await?.check(Action::EditSpec)?;
        let reviewed: Reviewed = review::review(answers, review::today())?;
        let old = install.spec.clone().unwrap_or(install.answers.clone());
        let journal = self.store.steps(id).await?;
        let locked = locked_fields(&old, &reviewed.document, &journal);
        if !locked.is_empty() {
            return Err(EditRefused {
                install: id,
                fields: locked,
            }
            .into());
        }
        let changed = changed_paths(&old, &reviewed.document);
        let name = reviewed.spec.name.to_string();
        self.store
            .replace_spec_of_ended_run(id, &name, &reviewed.validated())
            .await?;
        let detail = format!("spec edited: {}", changed.join(", "));
        self.audit(by, AuditAction::EditSpec, Some(id), &detail)
            .await;
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(yaml: &str) -> InstallDocument {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    fn record(step: StepId, status: StepStatus) -> StepRecord {
        StepRecord {
            step_id: step,
            position: 0,
            title: String::new(),
            depends_on: vec![],
            status,
            attempt: 1,
            outputs: None,
            checkpoint: None,
            error: None,
            started_at: None,
            finished_at: None,
        }
    }

    #[test]
    fn fields_of_steps_not_yet_run_change_and_others_are_named() {
        let old = doc("cluster: {name: aks1, tier: standard, kubernetesVersion: '1.30'}");
        let new = doc("cluster: {name: aks2, tier: premium, kubernetesVersion: '1.30'}");
        assert_eq!(changed_paths(&old, &new), ["cluster.name", "cluster.tier"]);
        let before_cluster = [record(StepId::AksCluster, StepStatus::Pending)];
        assert!(locked_fields(&old, &new, &before_cluster).is_empty());
        let after_cluster = [record(StepId::AksCluster, StepStatus::Succeeded)];
        let locked = locked_fields(&old, &new, &after_cluster);
        assert_eq!(locked.len(), 2);
        assert_eq!(locked[0].field, "cluster.name");
        assert_eq!(locked[0].step, StepId::AksCluster);
    }

    #[test]
    fn a_pool_and_the_tls_mode_belong_to_their_own_steps() {
        let old = doc("cluster: {nodePools: {compute: {vmSize: a}}}\ndomain: {tls: selfSigned}");
        let new = doc("cluster: {nodePools: {compute: {vmSize: b}}}\ndomain: {tls: acme}");
        let journal = [
            record(StepId::AksCluster, StepStatus::Succeeded),
            record(StepId::ComputePool, StepStatus::Failed),
            record(StepId::Tls, StepStatus::Pending),
        ];
        assert!(locked_fields(&old, &new, &journal).is_empty());
        let mut started = record(StepId::ComputePool, StepStatus::Failed);
        started.checkpoint = Some(serde_json::json!({"operation": "x"}));
        let locked = locked_fields(&old, &new, &[started]);
        assert_eq!(locked[0].field, "cluster.nodePools.compute.vmSize");
        // A plan without pool steps: the cluster's create made the pools.
        let created_with_cluster = [record(StepId::AksCluster, StepStatus::Succeeded)];
        let locked = locked_fields(&old, &new, &created_with_cluster);
        assert_eq!(locked[0].field, "cluster.nodePools.compute.vmSize");
        assert_eq!(locked[0].step, StepId::AksCluster);
    }
}
