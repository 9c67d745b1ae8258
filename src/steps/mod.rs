//! The install's steps against Azure: preflight, then every Azure resource, each idempotent
//! (deterministic names, create-or-adopt, resumable operations) and tagged with the install id.
//! Cluster configuration (storage classes onwards) arrives with the Kubernetes work; until then
//! those steps are delegated to another executor (simulated in `--simulate`).

mod aks;
mod cluster;
mod dns;
mod ensure;
mod errors;
pub mod names;
mod preflight;
mod qualify;
mod resources;
mod teardown;
mod tls;
mod verify;

pub use errors::step_error;
pub use verify::VerifySettings;

use crate::azure::ArmClient;
use crate::plan::StepId;
use crate::worker::{StepContext, StepError, StepExecutor};
use std::sync::Arc;

/// Runs the Azure steps with an ARM client; other steps go to `rest`.
pub struct AzureSteps {
    arm: ArmClient,
    rest: Arc<dyn StepExecutor>,
    timeouts: ClusterTimeouts,
    verify: VerifySettings,
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

impl AzureSteps {
    pub fn new(arm: ArmClient, rest: Arc<dyn StepExecutor>) -> Self {
        AzureSteps {
            arm,
            rest,
            timeouts: ClusterTimeouts::default(),
            verify: VerifySettings::default(),
        }
    }

    pub fn with_timeouts(mut self, timeouts: ClusterTimeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    pub fn with_verify(mut self, verify: VerifySettings) -> Self {
        self.verify = verify;
        self
    }

    /// The Azure steps for `settings`. A settings problem (no secret, bad CA file) does not stop
    /// the console: the wizard still works, and preflight fails naming the problem.
    pub fn from_settings(
        settings: &crate::azure::ArmSettings,
        rest: Arc<dyn StepExecutor>,
        timeouts: ClusterTimeouts,
        verify: VerifySettings,
    ) -> Arc<dyn StepExecutor> {
        match ArmClient::new(settings) {
            Ok(arm) => Arc::new(
                AzureSteps::new(arm, rest)
                    .with_timeouts(timeouts)
                    .with_verify(verify),
            ),
            Err(e) => Arc::new(Misconfigured(e.to_string())),
        }
    }
}

/// Every step fails with the reason the ARM client could not be built.
struct Misconfigured(String);

#[async_trait::async_trait]
impl StepExecutor for Misconfigured {
    async fn run(&self, _ctx: &StepContext) -> Result<serde_json::Value, StepError> {
        Err(StepError::terminal(
            "ConsoleConfiguration",
            format!("the console cannot reach Azure as configured: {}", self.0),
            "Fix the setting named (flags or KATONIC_* / AZURE_* environment variables), restart the console and resume.",
        ))
    }
}

#[async_trait::async_trait]
impl StepExecutor for AzureSteps {
    async fn run(&self, ctx: &StepContext) -> Result<serde_json::Value, StepError> {
        // Every call of an install carries its id: Azure support can find them all.
        let arm = self.arm.for_install(&ctx.install.to_string());
        match ctx.step {
            StepId::Preflight => preflight::run(ctx, &arm).await,
            StepId::ResourceGroup => resources::resource_group(ctx, &arm).await,
            StepId::Network => resources::network(ctx, &arm).await,
            StepId::Identity => resources::identity(ctx, &arm).await,
            StepId::Storage => resources::storage(ctx, &arm).await,
            StepId::Registry => resources::registry(ctx, &arm).await,
            StepId::AksCluster => aks::cluster(ctx, &arm).await,
            StepId::ComputePool => aks::user_pool(ctx, &arm, crate::spec::PoolRole::Compute).await,
            StepId::GpuPool => aks::user_pool(ctx, &arm, crate::spec::PoolRole::Gpu).await,
            StepId::RoleAssignments => aks::role_assignments(ctx, &arm).await,
            StepId::Kubeconfig => aks::kubeconfig(ctx, &arm).await,
            StepId::StorageClasses => cluster::storage_classes(ctx, &arm).await,
            StepId::Namespaces => cluster::namespaces(ctx, &arm).await,
            StepId::NetworkPolicies => cluster::network_policies(ctx, &arm).await,
            StepId::Tls if ctx.spec.domain.tls == crate::spec::TlsMode::SelfSigned => {
                cluster::tls_self_signed(ctx, &arm).await
            }
            // `acme` is not built yet: it falls through to `rest` (rehearsed or unavailable).
            StepId::Tls if ctx.spec.domain.tls == crate::spec::TlsMode::Provided => {
                tls::tls_provided(ctx, &arm).await
            }
            StepId::Dns => dns::records(ctx, &arm).await,
            StepId::Platform => cluster::platform(ctx, &arm, self.timeouts.platform).await,
            StepId::Superset => cluster::addon(ctx, &arm, "katonic-superset").await,
            StepId::Airbyte => cluster::addon(ctx, &arm, "katonic-airbyte").await,
            StepId::IngressIp => resources::ingress_ip(ctx, &arm).await,
            StepId::IngressLoadBalancer => {
                cluster::ingress_load_balancer(ctx, &arm, self.timeouts.load_balancer).await
            }
            StepId::Verify => verify::run(ctx, &arm, &self.verify, self.timeouts.verify).await,
            id if crate::plan::teardown::is_teardown_step(id) => teardown::run(ctx, &arm).await,
            _ => self.rest.run(ctx).await,
        }
    }

    fn arm(&self) -> Option<ArmClient> {
        Some(self.arm.clone())
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
