//! Simulator of the parts of Azure Resource Manager and Entra ID the console uses, served over HTTPS on loopback.
//!
//! The simulator reads JSON the way Azure does (its own serde structs and JSON values, no types
//! shared with the client code), keeps its resources in a state directory, and rejects what
//! real Azure rejects. See `README.md` beside this file for the fault-plan format.

mod arm;
mod catalog;
mod faults;
mod identity;
mod kube;
mod kubeconfig;
mod log;
mod placement;
mod record;
mod resources;
mod schema;
mod server;
mod state;
mod tls;
mod urlencoded;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use faults::{FaultAction, FaultPlan, FaultRule};
pub use log::LoggedRequest;
pub use placement::ConsoleNetwork;

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Loopback address to bind (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Directory for `ca.pem`, `catalog.yaml` and `state.json`; created if missing.
    pub state_dir: PathBuf,
    /// Multiplier for simulated operation durations (1.0 = Azure-like, 0 = done at the first poll).
    pub time_scale: f64,
    /// Optional fault plan (YAML) loaded at start.
    pub faults: Option<PathBuf>,
    /// Optional directory to record request/response pairs in `oav` traffic format.
    pub record_dir: Option<PathBuf>,
    /// The account's client secret when the state is first created (tests use a canary);
    /// `None` generates one. An existing state keeps its own.
    pub client_secret: Option<String>,
    /// Where the console runs (see `placement`): `None` leaves it unplaced (no metadata
    /// service; every API server answers), for tests that do not study the network.
    pub console_network: Option<ConsoleNetwork>,
}

impl SimConfig {
    /// A config for tests: random loopback port, instant operations, no faults, no recording.
    pub fn for_dir(state_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            state_dir: state_dir.into(),
            time_scale: 0.0,
            faults: None,
            record_dir: None,
            client_secret: None,
            console_network: None,
        }
    }
}

/// Errors starting the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("simulator I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the simulator only listens on loopback, not {0}")]
    NotLoopback(SocketAddr),
    #[error("certificate generation failed: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("TLS configuration failed: {0}")]
    Tls(String),
    #[error("invalid {what} in {path}: {message}")]
    Invalid {
        what: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error("invalid fault plan: {0}")]
    Faults(String),
}

impl SimError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A running simulator. Dropping it leaves the server running until the runtime ends;
/// call [`SimHandle::shutdown`] to stop it.
pub struct SimHandle {
    /// ARM base URL, e.g. `https://127.0.0.1:41234`.
    pub arm_endpoint: String,
    /// Entra ID authority host (the tenant is appended by the client).
    pub authority_host: String,
    pub tenant_id: String,
    pub subscription_id: String,
    pub client_id: String,
    pub client_secret: String,
    /// PEM of the CA that signed the server certificate.
    pub ca_pem: String,
    /// `ca.pem` in the state directory.
    pub ca_file: PathBuf,
    /// App-Service-style managed identity endpoint (`IDENTITY_ENDPOINT`).
    pub managed_identity_endpoint: String,
    /// Value of `IDENTITY_HEADER` / the `X-IDENTITY-HEADER` request header.
    pub managed_identity_header: String,
    /// The bound socket address.
    pub addr: SocketAddr,
    shared: Arc<server::Shared>,
    server: axum_server::Handle<SocketAddr>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for SimHandle {
    // Hand-written so the client secret never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("arm_endpoint", &self.arm_endpoint)
            .field("tenant_id", &self.tenant_id)
            .field("subscription_id", &self.subscription_id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl SimHandle {
    /// Every request served so far, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.log.snapshot()
    }

    /// Forget the request log (tests that assert on a later phase only).
    pub fn clear_requests(&self) {
        self.shared.log.clear();
    }

    /// Move the console (tests place it after creating its network): a subnet gets the
    /// console's VM and NIC (and is created, with its VNet, if missing).
    pub fn place_console(&self, network: Option<ConsoleNetwork>) -> Result<(), SimError> {
        self.shared.place_console(network)
    }

    /// Where the console runs now.
    pub fn console_network(&self) -> Option<ConsoleNetwork> {
        self.shared.console_network()
    }

    /// The metadata service's base URL (`{endpoint}/metadata/instance` answers a placed console).
    pub fn imds_endpoint(&self) -> String {
        self.arm_endpoint.clone()
    }

    /// Replace the fault plan; counters of the previous plan are discarded.
    pub fn set_faults(&self, plan: FaultPlan) {
        self.shared.faults.replace(plan);
    }

    /// Register or unregister a subscription feature (`namespace`, `name`), e.g.
    /// `Microsoft.Network`/`EnableApplicationGatewayNetworkIsolation` to rehearse a
    /// subscription without it (the catalogue's `features.registered` sets the start).
    pub fn set_feature(
        &self,
        namespace: &str,
        name: &str,
        registered: bool,
    ) -> Result<(), SimError> {
        let mut st = self.shared.lock();
        resources::features::set(&mut st, namespace, name, registered);
        self.shared.store.save(&st)
    }

    /// Make `id` the simulated account's subscription; see [`Subscriptions::add`].
    pub fn add_subscription(&self, id: &str) -> Result<(), SimError> {
        self.subscriptions().add(id)
    }

    /// A cheap handle that can add subscriptions from elsewhere (the console's engine).
    pub fn subscriptions(&self) -> Subscriptions {
        Subscriptions(self.shared.clone())
    }

    /// Dotenv text a client can load to talk to this simulator.
    pub fn env_file_contents(&self) -> String {
        format!(
            "# katonic-console simulator ({})\n\
             AZURE_TENANT_ID={}\n\
             AZURE_CLIENT_ID={}\n\
             AZURE_CLIENT_SECRET={}\n\
             AZURE_SUBSCRIPTION_ID={}\n\
             KATONIC_ARM_ENDPOINT={}\n\
             KATONIC_AUTHORITY_HOST={}\n\
             KATONIC_CA_FILE={}\n\
             KATONIC_SIM_INGRESS_PORT={}\n\
             KATONIC_INGRESS_HTTPS_PORT={}\n\
             KATONIC_INGRESS_HTTP_PORT={}\n\
             KATONIC_VERIFY_DNS_URL={}/dns-query\n\
             KATONIC_REHEARSAL_DIAL_URL={}/reachable\n\
             KATONIC_IMDS_ENDPOINT={}\n",
            self.arm_endpoint,
            self.tenant_id,
            self.client_id,
            self.client_secret,
            self.subscription_id,
            self.arm_endpoint,
            self.authority_host,
            self.ca_file.display(),
            self.shared.ingress_port,
            self.shared.ingress_port,
            self.shared.ingress_http_port,
            self.arm_endpoint.trim_end_matches('/'),
            self.arm_endpoint.trim_end_matches('/'),
            self.arm_endpoint.trim_end_matches('/')
        )
    }

    /// Port of the HTTPS listener at every LoadBalancer Service address (127.77.x.y); the
    /// simulator cannot take 443 without root. The same port on every address.
    pub fn ingress_https_port(&self) -> u16 {
        self.shared.ingress_port
    }

    /// Port of the Application Gateways' plain-HTTP listeners (Azure's 80) at their frontend
    /// addresses; the same port on every address.
    pub fn ingress_http_port(&self) -> u16 {
        self.shared.ingress_http_port
    }

    /// The loopback address where the simulator serves `ip`: `ip` itself when it is loopback
    /// (the load-balancer and public-IP blocks), else the alias (127.76.x.y) of a private VNet
    /// address (an internal load balancer's or an application gateway's static address). A
    /// rehearsal dials this where Azure's network would reach `ip`.
    pub fn reachable_address(&self, ip: std::net::Ipv4Addr) -> std::net::Ipv4Addr {
        self.shared.loopback_for(ip)
    }

    /// The simulated zones as a resolver in the install's VNet sees them.
    pub fn dns(&self) -> Dns {
        Dns(self.shared.clone())
    }

    /// Stop serving and wait for the server task to end. State is already on disk.
    pub async fn shutdown(self) {
        kube::save_if_dirty(&self.shared);
        for (_, h) in std::mem::take(
            &mut *self
                .shared
                .ingress
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        ) {
            h.shutdown();
        }
        for (_, (_, handles)) in std::mem::take(
            &mut *self
                .shared
                .gateway_listeners
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        ) {
            handles.iter().for_each(|h| h.shutdown());
        }
        self.server.shutdown();
        let _ = self.task.await;
    }
}

/// Name lookups against a running simulator's DNS zones.
#[derive(Clone)]
pub struct Dns(Arc<server::Shared>);

impl Dns {
    /// The A records a resolver in the install's VNet would return for `host`: from public
    /// zones, and from private zones linked to a VNet. Rehearsals verify names with it.
    pub fn resolve_a(&self, host: &str) -> Vec<std::net::Ipv4Addr> {
        let console = self.0.console_network();
        resources::dns::resolve_a(&self.0.lock(), console.as_ref(), host)
    }

    /// Where the simulator serves `ip` (see [`SimHandle::reachable_address`]); the handle itself
    /// cannot move into a rehearsal's dial hook, this cheap clone can.
    pub fn reachable_address(&self, ip: std::net::Ipv4Addr) -> std::net::Ipv4Addr {
        self.0.loopback_for(ip)
    }
}

/// Gives a running simulator's account other subscriptions.
#[derive(Clone)]
pub struct Subscriptions(Arc<server::Shared>);

impl Subscriptions {
    /// Make `id` the account's subscription (a rehearsal in the admin's own subscription id);
    /// earlier ones stay accepted. The simulator builds resource ids from one current
    /// subscription, so rehearsals in different subscriptions should not run at the same time.
    pub fn add(&self, id: &str) -> Result<(), SimError> {
        let mut state = self.0.lock();
        let account = &mut state.account;
        if account.subscription_id.eq_ignore_ascii_case(id) {
            return Ok(());
        }
        let previous = std::mem::replace(&mut account.subscription_id, id.to_string());
        account
            .other_subscriptions
            .retain(|s| !s.eq_ignore_ascii_case(id));
        account.other_subscriptions.push(previous);
        self.0.store.save(&state)?;
        Ok(())
    }
}

/// Start a simulator: load or create the state directory, bind, and serve in a spawned task.
pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
    server::start(config).await
}
