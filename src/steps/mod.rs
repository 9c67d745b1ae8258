//! The install's steps against Azure: preflight, then every Azure resource, each idempotent
//! (deterministic names, create-or-adopt, resumable operations) and tagged with the install id.
//! Cluster configuration (storage classes onwards) arrives with the Kubernetes work; until then
//! those steps are delegated to another executor (simulated in `--simulate`).

mod aks;
mod app_gateway;
mod cluster;
pub mod diagnostics;
mod dns;
mod ensure;
mod errors;
pub use katonic_domain::plan::names;
mod connection_test;
mod preflight;
mod qualify;
mod resources;
mod teardown;
mod tls;
mod verify;
mod verify_gateway;
mod verify_hosts;

pub use errors::step_error;
pub use verify::VerifySettings;

use crate::azure::ArmClient;
use crate::azure::connection::SavedConnection;
use crate::worker::{StepContext, StepError, StepExecutor};
use katonic_domain::plan::StepId;
use std::sync::Arc;

/// Runs the Azure steps with an ARM client; other steps go to `rest`.
pub struct AzureSteps {
    arm: ArmSource,
    rest: Arc<dyn StepExecutor>,
    timeouts: ClusterTimeouts,
    verify: VerifySettings,
    /// Where preflight learns where the console runs; `None`: from the settings in effect.
    placement: Option<crate::azure::placement::PlacementSource>,
    /// The wizard's network page's last detection (preflight always detects afresh).
    offer_placement: preflight::PlacementCache,
}

/// How long the cluster steps wait for Kubernetes to reach a state before failing the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterTimeouts {
    /// Azure usually assigns a load-balancer address within a minute or two.
    pub load_balancer: std::time::Duration,
    /// The vendor's installer takes 20-40 minutes; two hours means something is stuck.
    pub platform: std::time::Duration,
    /// Failing verification checks are retried this long: the platform's pods may still be
    /// starting when its installer Job ends, and new DNS records take a while to be seen.
    pub verify: std::time::Duration,
}

impl Default for ClusterTimeouts {
    fn default() -> Self {
        ClusterTimeouts {
            load_balancer: std::time::Duration::from_secs(10 * 60),
            platform: std::time::Duration::from_secs(2 * 60 * 60),
            verify: std::time::Duration::from_secs(10 * 60),
        }
    }
}

impl ClusterTimeouts {
    /// The defaults at a simulator's time scale (never under 5 s, so a slow test machine still
    /// sees the address arrive).
    pub fn scaled(time_scale: f64) -> Self {
        let scale = |d: std::time::Duration| {
            d.mul_f64(time_scale.clamp(0.0, 1.0))
                .max(std::time::Duration::from_secs(5))
        };
        let d = ClusterTimeouts::default();
        ClusterTimeouts {
            load_balancer: scale(d.load_balancer),
            platform: scale(d.platform),
            verify: scale(d.verify),
        }
    }
}

/// Where the steps get their ARM client.
pub enum ArmSource {
    /// One client for the console's life (a simulator's, tests').
    Fixed(ArmClient),
    /// Built from the flags joined with the settings page's saved settings, as they are when a
    /// step starts: a change on the page applies from the next step on, no restart needed. The
    /// client (and its token cache) is kept while the saved settings' revision stays the same.
    Settings(Box<SettingsSource>),
}

/// See [`ArmSource::Settings`].
pub struct SettingsSource {
    flags: crate::azure::ArmSettings,
    timing: Option<crate::azure::Timing>,
    cached: tokio::sync::Mutex<Option<(i64, ArmClient)>>,
}

impl SettingsSource {
    /// `flags` should already hold the environment's secret (`with_secret_from_env`).
    pub fn new(flags: crate::azure::ArmSettings) -> Self {
        SettingsSource {
            flags,
            timing: None,
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// Poll and retry at this pace (simulators, tests).
    pub fn with_timing(mut self, timing: crate::azure::Timing) -> Self {
        self.timing = Some(timing);
        self
    }

    /// The client for these saved settings; `Err` says why the settings make no client.
    async fn client(&self, saved: Option<SavedConnection>) -> Result<ArmClient, String> {
        let revision = saved.as_ref().map_or(0, |s| s.revision);
        let mut cached = self.cached.lock().await;
        if let Some((rev, arm)) = cached.as_ref()
            && *rev == revision
        {
            return Ok(arm.clone());
        }
        let settings = crate::azure::connection::effective(&self.flags, saved.as_ref());
        let mut arm = ArmClient::new(&settings).map_err(|e| unreachable_as_configured(&e))?;
        if let Some(timing) = self.timing {
            arm.timing = timing;
        }
        *cached = Some((revision, arm.clone()));
        Ok(arm)
    }
}

impl ArmSource {
    /// Where the console's placement is learned: a fixed client learns nothing unless told
    /// (`with_placement`); settings decide whether the metadata service is asked.
    async fn placement(
        &self,
        ctx: &StepContext,
    ) -> Result<crate::azure::placement::PlacementSource, StepError> {
        match self {
            ArmSource::Fixed(_) => Ok(Default::default()),
            ArmSource::Settings(source) => {
                let saved = ctx.saved_azure_connection().await?;
                let settings = crate::azure::connection::effective(&source.flags, saved.as_ref());
                Ok(crate::azure::placement::PlacementSource::from_settings(
                    &settings,
                ))
            }
        }
    }

    async fn client(&self, ctx: &StepContext) -> Result<ArmClient, StepError> {
        match self {
            ArmSource::Fixed(arm) => Ok(arm.clone()),
            ArmSource::Settings(source) => {
                let saved = ctx.saved_azure_connection().await?;
                source.client(saved).await.map_err(misconfigured)
            }
        }
    }
}

impl AzureSteps {
    pub fn new(arm: ArmClient, rest: Arc<dyn StepExecutor>) -> Self {
        Self::with_source(ArmSource::Fixed(arm), rest)
    }

    pub fn with_source(arm: ArmSource, rest: Arc<dyn StepExecutor>) -> Self {
        AzureSteps {
            arm,
            rest,
            timeouts: ClusterTimeouts::default(),
            verify: VerifySettings::default(),
            placement: None,
            offer_placement: Default::default(),
        }
    }

    /// Learn where the console runs this way (a simulator's metadata service, a given subnet).
    pub fn with_placement(mut self, placement: crate::azure::placement::PlacementSource) -> Self {
        self.placement = Some(placement);
        self
    }

    pub fn with_timeouts(mut self, timeouts: ClusterTimeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    pub fn with_verify(mut self, verify: VerifySettings) -> Self {
        self.verify = verify;
        self
    }

    /// The Azure steps for the flags joined with the settings page's. A settings problem (no
    /// secret, bad CA file) does not stop the console: the wizard still works, and the first
    /// Azure step fails naming the problem.
    pub fn from_settings(
        flags: &crate::azure::ArmSettings,
        rest: Arc<dyn StepExecutor>,
        timeouts: ClusterTimeouts,
        verify: VerifySettings,
    ) -> Arc<dyn StepExecutor> {
        Arc::new(
            AzureSteps::with_source(
                ArmSource::Settings(Box::new(SettingsSource::new(flags.clone()))),
                rest,
            )
            .with_timeouts(timeouts)
            .with_verify(verify),
        )
    }
}

/// The step fails with the reason the ARM client could not be built.
fn misconfigured(message: String) -> StepError {
    StepError::terminal(
        "ConsoleConfiguration",
        message,
        "Fix it on the Azure settings page (/settings), or in the flags or KATONIC_* / AZURE_* environment variables (then restart the console), and resume.",
    )
}

fn unreachable_as_configured(reason: &dyn std::fmt::Display) -> String {
    format!("the console cannot reach Azure as configured: {reason}")
}

#[async_trait::async_trait]
impl StepExecutor for AzureSteps {
    async fn run(&self, ctx: &StepContext) -> Result<serde_json::Value, StepError> {
        // Every call of an install carries its id: Azure support can find them all.
        // Every step but an `acme` certificate talks to Azure (through its cluster).
        let arm = self.arm.client(ctx).await?;
        let arm = arm
            .for_install(&ctx.install.to_string())
            .for_step(ctx.step.as_str());
        let result = self.dispatch(ctx, &arm).await;
        // A cluster step that fails for good leaves the cluster's own account of why.
        if let Err(StepError::Terminal { code, .. }) = &result
            && is_cluster_step(ctx.step)
            && code != "APIServerUnreachable"
        {
            diagnostics::record(ctx, &arm).await?;
        }
        result
    }

    async fn preview_teardown(
        &self,
        request: crate::teardown::PreviewRequest,
    ) -> Result<crate::teardown::Preview, crate::teardown::PreviewError> {
        let arm = match &self.arm {
            ArmSource::Fixed(arm) => arm.clone(),
            ArmSource::Settings(source) => source
                .client(request.saved)
                .await
                .map_err(crate::teardown::PreviewError::Settings)?,
        };
        let install = request.install.to_string();
        let arm = arm.for_install(&install);
        let preview =
            crate::teardown::preview(&arm, &install, &request.spec, &request.outputs).await?;
        Ok(preview)
    }

    async fn admin_kubeconfig(
        &self,
        request: crate::worker::kubeconfig::KubeconfigRequest,
    ) -> Result<
        crate::worker::kubeconfig::AdminKubeconfig,
        crate::worker::kubeconfig::KubeconfigError,
    > {
        use crate::worker::kubeconfig::{AdminKubeconfig, KubeconfigError};
        let arm = match &self.arm {
            ArmSource::Fixed(arm) => arm.clone(),
            ArmSource::Settings(source) => source
                .client(request.saved)
                .await
                .map_err(KubeconfigError::Settings)?,
        };
        let arm = arm.for_install(&request.install.to_string());
        match aks::admin_kubeconfig_for(&arm, &request.spec).await {
            Ok(k) => Ok(AdminKubeconfig {
                name: k.name,
                yaml: k.yaml,
            }),
            Err(StepError::Terminal {
                code,
                message,
                hint,
            }) => Err(KubeconfigError::Azure {
                code,
                message,
                hint,
            }),
            Err(other) => Err(KubeconfigError::Azure {
                code: "Unavailable".to_string(),
                message: other.to_string(),
                hint: "Try again in a minute.".to_string(),
            }),
        }
    }

    async fn test_connection(
        &self,
        saved: Option<crate::azure::connection::SavedConnection>,
    ) -> crate::worker::ConnectionTest {
        let arm = match &self.arm {
            ArmSource::Fixed(arm) => Ok(arm.clone()),
            ArmSource::Settings(source) => source.client(saved).await,
        };
        match arm {
            Ok(arm) => connection_test::run(&arm).await,
            Err(message) => connection_test::misconfigured(message),
        }
    }

    async fn network_offer(
        &self,
        request: crate::worker::OfferRequest,
    ) -> crate::worker::NetworkOffer {
        let (arm, source) = match &self.arm {
            ArmSource::Fixed(arm) => (Ok(arm.clone()), Default::default()),
            ArmSource::Settings(source) => {
                let settings =
                    crate::azure::connection::effective(&source.flags, request.saved.as_ref());
                (
                    source.client(request.saved.clone()).await,
                    crate::azure::placement::PlacementSource::from_settings(&settings),
                )
            }
        };
        let source = self.placement.clone().unwrap_or(source);
        match arm {
            Ok(arm) => {
                preflight::network_offer(&arm, &source, &self.offer_placement, &request).await
            }
            Err(message) => crate::worker::NetworkOffer::unknown(format!(
                "where the console runs is not known: {message}"
            )),
        }
    }
}

/// Steps that talk to the cluster's API (after its credentials exist).
fn is_cluster_step(step: StepId) -> bool {
    matches!(
        step,
        StepId::StorageClasses
            | StepId::Namespaces
            | StepId::NetworkPolicies
            | StepId::IngressLoadBalancer
            | StepId::Tls
            | StepId::Platform
            | StepId::Superset
            | StepId::Airbyte
            | StepId::Verify
    )
}

impl AzureSteps {
    async fn dispatch(
        &self,
        ctx: &StepContext,
        arm: &ArmClient,
    ) -> Result<serde_json::Value, StepError> {
        match ctx.step {
            StepId::Preflight => {
                let placement = match &self.placement {
                    Some(p) => p.clone(),
                    None => self.arm.placement(ctx).await?,
                };
                preflight::run(ctx, arm, &placement).await
            }
            StepId::ResourceGroup => resources::resource_group(ctx, arm).await,
            StepId::Network => resources::network(ctx, arm).await,
            StepId::Identity => resources::identity(ctx, arm).await,
            StepId::Peering => resources::peering(ctx, arm).await,
            StepId::DnsZoneLink => resources::dns_zone_link(ctx, arm).await,
            StepId::Storage => resources::storage(ctx, arm).await,
            StepId::Registry => resources::registry(ctx, arm).await,
            StepId::AksCluster => aks::cluster(ctx, arm).await,
            StepId::ComputePool => {
                aks::user_pool(ctx, arm, katonic_domain::spec::PoolRole::Compute).await
            }
            StepId::GpuPool => aks::user_pool(ctx, arm, katonic_domain::spec::PoolRole::Gpu).await,
            StepId::RoleAssignments => aks::role_assignments(ctx, arm).await,
            StepId::Kubeconfig => aks::kubeconfig(ctx, arm).await,
            StepId::StorageClasses => cluster::storage_classes(ctx, arm).await,
            StepId::Namespaces => cluster::namespaces(ctx, arm).await,
            StepId::NetworkPolicies => cluster::network_policies(ctx, arm).await,
            StepId::Tls if ctx.spec.domain.tls == katonic_domain::spec::TlsMode::SelfSigned => {
                cluster::tls_self_signed(ctx, arm).await
            }
            // `acme` is not built yet: it falls through to `rest` (rehearsed or unavailable).
            StepId::Tls if ctx.spec.domain.tls == katonic_domain::spec::TlsMode::Provided => {
                tls::tls_provided(ctx, arm).await
            }
            StepId::Dns => dns::records(ctx, arm).await,
            StepId::Platform => cluster::platform(ctx, arm, self.timeouts.platform).await,
            StepId::Superset => cluster::addon(ctx, arm, "katonic-superset").await,
            StepId::Airbyte => cluster::addon(ctx, arm, "katonic-airbyte").await,
            StepId::IngressIp => resources::ingress_ip(ctx, arm).await,
            StepId::IngressLoadBalancer => {
                cluster::ingress_load_balancer(ctx, arm, self.timeouts.load_balancer).await
            }
            StepId::Verify => verify::run(ctx, arm, &self.verify, self.timeouts.verify).await,
            StepId::AppGateway => app_gateway::app_gateway(ctx, arm).await,
            id if katonic_domain::plan::teardown::is_teardown_step(id) => {
                teardown::run(ctx, arm).await
            }
            _ => self.rest.run(ctx).await,
        }
    }
}

/// A value an earlier step produced (its outputs are committed before this step starts).
pub(crate) fn output<'a>(
    ctx: &'a StepContext,
    step: StepId,
    key: &str,
) -> Result<&'a str, StepError> {
    ctx.outputs
        .get(&step)
        .and_then(|o| o.get(key))
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| {
            StepError::terminal(
                "missing-output",
                format!("step {step} recorded no `{key}`"),
                format!("Retry step {step}, then resume."),
            )
        })
}

/// Where the install's hosts answer: the Application Gateway's frontend when there is one,
/// else the ingress load balancer (DNS records point there; verification dials it).
pub(crate) fn front_door_address(ctx: &StepContext) -> Result<&str, StepError> {
    if ctx.spec.ingress.gateway.is_some() {
        output(ctx, StepId::AppGateway, "frontendAddress")
    } else {
        output(ctx, StepId::IngressLoadBalancer, "address")
    }
}
