//! The preview: the ledger's resources read back from Azure, plus what a tag query of the
//! install's resource group finds that the ledger lacks (leftovers), each with its decision.

use super::{Action, LedgerEntry, Observed, Target, decide, family, install_tag, ledger};
use crate::azure::resources::{TAG_INSTALL, resource_group_id, resource_id};
use crate::azure::{ArmClient, ArmError, api};
use katonic_domain::plan::StepId;
use katonic_domain::plan::teardown::DELETE_STEPS;
use katonic_domain::spec::{ClusterMode, InstallSpec};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// What a teardown of one install would do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// The install torn down.
    pub install: String,
    pub subscription_id: String,
    pub resource_group: String,
    pub targets: Vec<Target>,
}

impl Preview {
    /// Resources deleted (on their own or with their parent).
    pub fn deleting(&self) -> usize {
        self.targets.iter().filter(|t| t.action.deletes()).count()
    }

    /// The delete steps the teardown needs.
    pub fn steps(&self) -> Vec<StepId> {
        DELETE_STEPS
            .iter()
            .copied()
            .filter(|s| self.targets.iter().any(|t| t.step == Some(*s)))
            .collect()
    }
}

/// What the worker needs to read a teardown's preview: the install, its spec, its ledger (its
/// succeeded steps' outputs) and the Azure settings saved when the read is asked for.
pub struct PreviewRequest {
    pub install: katonic_domain::InstallId,
    pub spec: InstallSpec,
    pub outputs: BTreeMap<StepId, Value>,
    pub saved: Option<crate::azure::connection::SavedConnection>,
}

/// Why a preview could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error(
        "this console has no Azure client (its steps are scripted), so it cannot read what to delete"
    )]
    NoAzure,
    #[error("reading the install's resources from Azure: {0}")]
    Azure(#[from] ArmError),
    /// The settings the client is built from do not make a client (a step would fail the same).
    #[error("{0}")]
    Settings(String),
}

/// Read the install's resources from Azure and decide each. `outputs` are the install's
/// succeeded steps' outputs (its ledger).
pub async fn preview(
    arm: &ArmClient,
    install: &str,
    spec: &InstallSpec,
    outputs: &BTreeMap<StepId, Value>,
) -> Result<Preview, ArmError> {
    let sub = spec.azure.subscription_id.as_str();
    let rg = spec.azure.resource_group.as_str();
    let mut entries = ledger(outputs, sub, rg);
    if spec.cluster.mode == ClusterMode::Existing {
        // Shown so the admin sees it is kept: the install only connected to it.
        entries.push(LedgerEntry {
            id: resource_id(
                sub,
                rg,
                "Microsoft.ContainerService/managedClusters",
                spec.cluster.name.as_str(),
            ),
            existing: true,
        });
    }
    let mut targets = Vec::new();
    for entry in &entries {
        let observed = observe(arm, &entry.id).await?;
        targets.push(decide(install, &entry.id, Some(entry), &observed));
    }
    for found in tagged_resources(arm, sub, rg, install).await? {
        let Some(id) = found.get("id").and_then(Value::as_str) else {
            continue;
        };
        if targets.iter().any(|t| t.id.eq_ignore_ascii_case(id)) {
            continue;
        }
        let observed = Observed::Present {
            install_tag: install_tag(&found).map(str::to_string),
        };
        targets.push(decide(install, id, None, &observed));
    }
    // The group goes only when nothing but this install's resources is in it.
    if let Some(group) = targets
        .iter_mut()
        .find(|t| t.step == Some(StepId::DeleteResourceGroup))
    {
        let foreign = foreign_resources(arm, sub, rg, install).await?;
        if !foreign.is_empty() {
            group.action = Action::KeepNotOurs;
            group.step = None;
            group.reason = foreign_reason(&foreign);
        }
    }
    targets.sort_by_key(|t| {
        let family_step = family(&t.kind).and_then(|(s, _)| s);
        // The step that deletes it (a NAT gateway's address goes with the network), else its
        // family's.
        let order = t
            .step
            .or(family_step)
            .and_then(|s| DELETE_STEPS.iter().position(|d| *d == s))
            .unwrap_or(DELETE_STEPS.len());
        (order, t.kind.to_ascii_lowercase(), t.name.clone())
    });
    Ok(Preview {
        install: install.to_string(),
        subscription_id: sub.to_string(),
        resource_group: rg.to_string(),
        targets,
    })
}

/// Why a resource group is kept.
pub(crate) fn foreign_reason(foreign: &[String]) -> String {
    let shown: Vec<&str> = foreign.iter().take(5).map(String::as_str).collect();
    let more = foreign.len().saturating_sub(shown.len());
    format!(
        "not only ours: it also holds {} ({}{})",
        if foreign.len() == 1 {
            "1 resource that is not this install's".to_string()
        } else {
            format!("{} resources that are not this install's", foreign.len())
        },
        shown.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}

/// The resource as Azure shows it now.
async fn observe(arm: &ArmClient, id: &str) -> Result<Observed, ArmError> {
    let (kind, _) = super::kind_and_name(id);
    let Some((_, version)) = family(&kind) else {
        return Ok(Observed::Missing);
    };
    Ok(match arm.get(id, version).await? {
        None => Observed::Missing,
        Some(body) => Observed::Present {
            install_tag: install_tag(&body).map(str::to_string),
        },
    })
}

/// Every page of a resource list (`value` + `nextLink`); a missing group lists nothing.
async fn list_all(arm: &ArmClient, path: &str) -> Result<Vec<Value>, ArmError> {
    let first = match arm.call(Method::GET, path, api::RESOURCES, None).await {
        Ok(r) => r,
        Err(e) if e.is_not_found() => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    let mut page = first.body.unwrap_or(Value::Null);
    loop {
        out.extend(
            page.get("value")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .cloned(),
        );
        let Some(next) = page.get("nextLink").and_then(Value::as_str) else {
            break;
        };
        // nextLink is opaque and complete (api-version included): used as given.
        page = arm
            .send(Method::GET, next, None)
            .await?
            .body
            .unwrap_or(Value::Null);
    }
    Ok(out)
}

/// `GET …/resourceGroups/{rg}/resources?$filter=tagName eq 'katonic-install' and tagValue eq '<id>'`
pub(crate) async fn tagged_resources(
    arm: &ArmClient,
    sub: &str,
    rg: &str,
    install: &str,
) -> Result<Vec<Value>, ArmError> {
    let filter = format!("tagName eq '{TAG_INSTALL}' and tagValue eq '{install}'");
    let path = format!(
        "{}/resources?$filter={}",
        resource_group_id(sub, rg),
        filter.replace(' ', "%20").replace('\'', "%27")
    );
    list_all(arm, &path).await
}

/// Names of the resources in the group that are not tagged with this install.
pub(crate) async fn foreign_resources(
    arm: &ArmClient,
    sub: &str,
    rg: &str,
    install: &str,
) -> Result<Vec<String>, ArmError> {
    let path = format!("{}/resources", resource_group_id(sub, rg));
    Ok(list_all(arm, &path)
        .await?
        .iter()
        .filter(|r| install_tag(r) != Some(install))
        .map(|r| {
            r.get("name")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string()
        })
        .collect())
}
