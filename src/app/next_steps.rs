//! What comes after a success: the admin kubeconfig, fetched from Azure when an admin asks for
//! it (through the worker's executor, like the teardown preview), handed to the caller and never
//! stored; each download is audited.

use super::{Actor, App, AppError};
use crate::store::{AuditAction, InstallId, InstallStatus};
use crate::worker::kubeconfig::{AdminKubeconfig, KubeconfigError};
use katonic_domain::spec::InstallSpec;

/// Why no kubeconfig is given.
#[derive(Debug, thiserror::Error)]
pub enum KubeconfigRefused {
    #[error(
        "install {id} is {status}: only a succeeded install has a cluster to download the admin kubeconfig of"
    )]
    NotSucceeded {
        id: InstallId,
        status: InstallStatus,
    },
    #[error(
        "install {0} is torn down: its cluster no longer exists, so there is no kubeconfig to give; clone it to install again"
    )]
    TornDown(InstallId),
    #[error("install {0} is a teardown run: it has no cluster of its own")]
    IsTeardown(InstallId),
    #[error("the stored spec of install {0} no longer parses")]
    Spec(InstallId),
    #[error(transparent)]
    Fetch(#[from] KubeconfigError),
}

/// The admin kubeconfig as a download: the file name and the YAML (still secret).
pub struct KubeconfigDownload {
    pub file_name: String,
    pub kubeconfig: AdminKubeconfig,
}

impl App {
    /// The cluster's admin kubeconfig, fetched from Azure now, for a succeeded install that is
    /// not torn down; audited once given.
    pub async fn admin_kubeconfig(
        &self,
        by: &Actor,
        id: InstallId,
    ) -> Result<KubeconfigDownload, AppError> {
        let install = self.install(id).await?;
        if self.store.teardown_target(id).await?.is_some() {
            return Err(KubeconfigRefused::IsTeardown(id).into());
        }
        if install.status != InstallStatus::Succeeded {
            return Err(KubeconfigRefused::NotSucceeded {
                id,
                status: install.status,
            }
            .into());
        }
        if self.is_torn_down(id).await? {
            return Err(KubeconfigRefused::TornDown(id).into());
        }
        let spec = install
            .spec
            .as_ref()
            .and_then(|doc| InstallSpec::parse(doc).ok())
            .ok_or(KubeconfigRefused::Spec(id))?;
        let cluster = spec.cluster.name.to_string();
        let kubeconfig = self
            .worker
            .admin_kubeconfig(id, spec)
            .await
            .map_err(KubeconfigRefused::from)?;
        self.audit(
            by,
            AuditAction::KubeconfigDownload,
            Some(id),
            &format!("admin kubeconfig of cluster {cluster}, fetched from Azure, not stored"),
        )
        .await;
        Ok(KubeconfigDownload {
            file_name: format!("kubeconfig-{cluster}-admin.yaml"),
            kubeconfig,
        })
    }

    /// Whether a teardown of `id` succeeded: its resources are gone.
    pub async fn is_torn_down(&self, id: InstallId) -> Result<bool, AppError> {
        Ok(self
            .store
            .teardowns_of(id)
            .await?
            .iter()
            .any(|t| t.status == InstallStatus::Succeeded))
    }
}
