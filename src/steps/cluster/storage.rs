//! Storage classes: the console's own as the only default, replaced when their fixed fields
//! changed.

use k8s_openapi::api::storage::v1::StorageClass;
use serde_json::Value;

use super::{connect, kube_error, report};
use crate::azure::ArmClient;
use crate::cluster::manifests::{self, ClusterContext, SharedFilesAccount};
use crate::cluster::reach::ClusterReach;
use crate::worker::{StepContext, StepError};

/// `kfs` as the only default class (others lose the mark first), `kfs-shared` when shared
/// storage is on.
pub async fn storage_classes(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let reach = connect(ctx, arm).await?;
    let existing: Vec<StorageClass> = reach.list_cluster(None).await.map_err(kube_error)?;
    for class in &existing {
        let name = class.metadata.name.clone().unwrap_or_default();
        if name == manifests::STANDARD_CLASS {
            continue;
        }
        if let Some(patch) = manifests::undefault_patch(class) {
            ctx.guard()?;
            reach
                .merge_patch_cluster::<StorageClass>(&name, &patch)
                .await
                .map_err(kube_error)?;
            ctx.progress(format!("StorageClass/{name} is no longer the default"))
                .await?;
        }
    }
    let names = ClusterContext::for_install(&ctx.spec, ctx.install);
    let shared = ctx.spec.storage.shared_files.then_some(SharedFilesAccount {
        account: &names.storage_account,
        resource_group: &names.resource_group,
    });
    let mut applied = Vec::new();
    for class in manifests::storage_classes(shared) {
        ctx.guard()?;
        let outcome = match reach.apply_cluster(&class).await {
            Err(failure) if failure.is_immutable_field() => {
                replace_class(ctx, &reach, &existing, &class).await?;
                reach.apply_cluster(&class).await
            }
            other => other,
        };
        applied.push(outcome.map_err(kube_error)?);
    }
    report(ctx, &applied).await
}

/// A class's provisioner and parameters cannot change. One the console made earlier (for
/// another install on this cluster, or before a spec change) is replaced: existing volumes keep
/// their own settings, only new ones use the new class. Anyone else's class is left alone.
async fn replace_class(
    ctx: &StepContext,
    reach: &ClusterReach,
    existing: &[StorageClass],
    wanted: &StorageClass,
) -> Result<(), StepError> {
    let name = wanted.metadata.name.clone().unwrap_or_default();
    let ours = existing
        .iter()
        .find(|c| c.metadata.name.as_deref() == Some(name.as_str()))
        .and_then(|c| c.metadata.labels.as_ref())
        .and_then(|l| l.get("app.kubernetes.io/managed-by"))
        .is_some_and(|m| m == crate::cluster::FIELD_MANAGER);
    if !ours {
        return Err(StepError::terminal(
            "StorageClassDiffers",
            format!(
                "StorageClass/{name} exists with another provisioner or parameters, and was not created by the console"
            ),
            format!(
                "Compare it with `katonic-console manifests`; delete it (kubectl delete storageclass {name}; existing volumes are kept) and resume."
            ),
        ));
    }
    ctx.guard()?;
    reach
        .delete_cluster::<StorageClass>(&name)
        .await
        .map_err(kube_error)?;
    ctx.progress(format!(
        "StorageClass/{name} had other parameters (an earlier install): replaced; existing volumes keep theirs"
    ))
    .await
}
