//! What a rehearsal puts in place of Azure and the network: the simulator's subscription given
//! to each install, ARM settings pointing at the simulator, and verification that resolves and
//! dials through the simulator (no rehearsal packet leaves the machine).

use crate::worker::StepExecutor;
use std::net::SocketAddr;
use std::sync::Arc;

/// A rehearsal runs in the subscription the admin entered: the simulated account is given it
/// before the install's steps run.
pub(super) struct InOwnSubscription {
    pub(super) subscriptions: katonic_sim::Subscriptions,
    pub(super) inner: Arc<dyn StepExecutor>,
}

#[async_trait::async_trait]
impl StepExecutor for InOwnSubscription {
    async fn run(
        &self,
        ctx: &crate::worker::StepContext,
    ) -> Result<serde_json::Value, crate::worker::StepError> {
        self.subscriptions
            .add(ctx.spec.azure.subscription_id.as_str())
            .map_err(|e| {
                crate::worker::StepError::terminal(
                    "simulator",
                    e.to_string(),
                    "Restart the console.",
                )
            })?;
        self.inner.run(ctx).await
    }

    async fn preview_teardown(
        &self,
        request: crate::teardown::PreviewRequest,
    ) -> Result<crate::teardown::Preview, crate::teardown::PreviewError> {
        self.inner.preview_teardown(request).await
    }

    async fn admin_kubeconfig(
        &self,
        request: crate::worker::kubeconfig::KubeconfigRequest,
    ) -> Result<
        crate::worker::kubeconfig::AdminKubeconfig,
        crate::worker::kubeconfig::KubeconfigError,
    > {
        self.inner.admin_kubeconfig(request).await
    }

    async fn test_connection(
        &self,
        saved: Option<crate::azure::connection::SavedConnection>,
    ) -> crate::worker::ConnectionTest {
        self.inner.test_connection(saved).await
    }

    async fn network_offer(
        &self,
        request: crate::worker::OfferRequest,
    ) -> crate::worker::NetworkOffer {
        if let Some(id) = &request.subscription
            && let Err(e) = self.subscriptions.add(id)
        {
            return crate::worker::NetworkOffer::unknown(format!(
                "where the console runs is not known: the simulator did not take subscription {id}: {e}"
            ));
        }
        self.inner.network_offer(request).await
    }
}

/// Verification against a simulator: its load balancers answer HTTPS on its own port (it cannot
/// take 443 without root).
pub fn simulated_verify(sim: &katonic_sim::SimHandle) -> crate::steps::VerifySettings {
    crate::steps::VerifySettings {
        https_port: sim.ingress_https_port(),
        http_port: sim.ingress_http_port(),
        resolver: Arc::new(SimulatedDns(sim.dns())),
        // A private VNet address (internal load balancer, gateway frontend) is served at a
        // loopback alias: dial that, so no rehearsal packet leaves the machine.
        dial: Arc::new(SimulatedDial(sim.dns())),
    }
}

/// The in-process simulator's loopback alias for a private VNet address.
struct SimulatedDial(katonic_sim::Dns);

#[async_trait::async_trait]
impl crate::cluster::access::Dial for SimulatedDial {
    async fn dial(&self, address: std::net::IpAddr) -> std::net::IpAddr {
        match address {
            std::net::IpAddr::V4(v4) => std::net::IpAddr::V4(self.0.reachable_address(v4)),
            other => other,
        }
    }
}

/// Names resolved the way a jumphost in the install's VNet would: from the simulator's DNS
/// zones (the machine's own resolver knows nothing of them).
struct SimulatedDns(katonic_sim::Dns);

#[async_trait::async_trait]
impl crate::cluster::access::Resolve for SimulatedDns {
    async fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        Ok(self
            .0
            .resolve_a(host)
            .into_iter()
            .map(|ip| SocketAddr::from((ip, port)))
            .collect())
    }
}

/// ARM settings that point at a simulator: a custom cloud with its CA and service principal.
pub fn simulator_settings(sim: &katonic_sim::SimHandle) -> crate::azure::ArmSettings {
    crate::azure::ArmSettings {
        cloud: crate::azure::Cloud::Custom,
        arm_endpoint: Some(sim.arm_endpoint.clone()),
        authority_host: Some(sim.authority_host.clone()),
        ca_file: Some(sim.ca_file.clone()),
        credential: crate::azure::CredentialKind::ServicePrincipal,
        managed_identity_client_id: None,
        tenant_id: Some(sim.tenant_id.clone()),
        client_id: Some(sim.client_id.clone()),
        client_secret: Some(simulator_secret(sim)),
        console_subnet: None,
        imds_endpoint: Some(sim.imds_endpoint()),
        // An unplaced simulator does not model the network: every API server answers.
        line_of_sight: sim.console_network().is_none(),
    }
}

/// The simulator's client secret, registered for redaction: the console never prints it.
fn simulator_secret(sim: &katonic_sim::SimHandle) -> secrecy::SecretString {
    let secret = secrecy::SecretString::from(sim.client_secret.clone());
    crate::redact::register(&secret);
    secret
}
