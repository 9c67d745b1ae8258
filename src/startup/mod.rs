//! Builds the application: data-dir lock, database (migrated), crash recovery, worker, router,
//! bound listener; and shuts it all down in order.

use crate::config::ServeConfig;
use crate::lock::{DataDirLock, LockError};
use crate::store::{Store, StoreError};
use crate::web::{self, AppState};
use crate::worker::{ScriptedSteps, StepExecutor, Unavailable, WorkerConfig, WorkerHandle};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

mod simulated;

use simulated::InOwnSubscription;
pub use simulated::{simulated_verify, simulator_settings};

/// Why the console could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Config(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

/// What runs the steps, and how.
pub struct Engine {
    pub executor: Arc<dyn StepExecutor>,
    pub worker: WorkerConfig,
    /// The in-process ARM simulator of `--simulate`, alive as long as the engine.
    pub simulator: Option<katonic_sim::SimHandle>,
}

impl Engine {
    /// The engine the flags ask for.
    pub async fn from_config(config: &ServeConfig) -> Result<Engine, StartupError> {
        Self::new(&config.engine, &config.arm, &config.data_dir).await
    }

    pub async fn new(
        flags: &crate::config::EngineFlags,
        arm: &crate::azure::ArmSettings,
        data_dir: &std::path::Path,
    ) -> Result<Engine, StartupError> {
        let mut worker = WorkerConfig::new(data_dir.to_path_buf());
        worker.crash_before_journal = flags.crash_before_journal;
        let rehearsed =
            || -> Arc<dyn StepExecutor> { Arc::new(ScriptedSteps::rehearsal(flags.time_scale)) };
        if let (true, Some(path)) = (flags.simulate, &flags.step_script) {
            let scripted =
                ScriptedSteps::from_file(path, flags.time_scale).map_err(StartupError::Config)?;
            return Ok(Engine {
                executor: Arc::new(scripted),
                worker,
                simulator: None,
            });
        }
        if flags.simulate {
            let sim = katonic_sim::start(katonic_sim::SimConfig {
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                state_dir: data_dir.join("simulator"),
                time_scale: flags.time_scale,
                faults: flags.faults.clone(),
                record_dir: flags.record.clone(),
                client_secret: None,
                console_network: flags.simulate_console_network.0.clone(),
            })
            .await
            .map_err(|e| StartupError::Config(format!("the ARM simulator did not start: {e}")))?;
            let mut settings = simulator_settings(&sim);
            settings.console_subnet = arm.console_subnet.clone();
            let placement = crate::azure::placement::PlacementSource::from_settings(&settings);
            let mut arm = crate::azure::ArmClient::new(&settings)
                .map_err(|e| StartupError::Config(format!("cannot reach the simulator: {e}")))?;
            // Simulated operations take a fraction of Azure's time: poll as fast as they go.
            arm.timing.min_wait = std::time::Duration::from_millis(200);
            let executor = Arc::new(InOwnSubscription {
                subscriptions: sim.subscriptions(),
                inner: Arc::new(
                    crate::steps::AzureSteps::new(arm, rehearsed())
                        .with_timeouts(timeouts(flags, Some(flags.time_scale)))
                        .with_verify(simulated_verify(&sim))
                        .with_placement(placement),
                ),
            });
            return Ok(Engine {
                executor,
                worker,
                simulator: Some(sim),
            });
        }
        let rest: Arc<dyn StepExecutor> = if flags.rehearse_cluster_steps {
            rehearsed()
        } else {
            Arc::new(Unavailable)
        };
        let arm = arm.clone().with_secret_from_env();
        if let Some(secret) = &arm.client_secret {
            crate::redact::register(secret);
        }
        let mut verify = crate::steps::VerifySettings {
            https_port: flags.ingress_https_port,
            http_port: flags.ingress_http_port,
            ..Default::default()
        };
        if let Some(url) = &flags.rehearsal_dial_url {
            let client = crate::azure::client::http_client(arm.ca_file.as_deref())
                .map_err(|e| StartupError::Config(format!("--rehearsal-dial-url: {e}")))?;
            verify.dial = Arc::new(crate::cluster::access::SimulatorDial::new(
                client,
                url.clone(),
            ));
        }
        if let Some(url) = &flags.verify_dns_url {
            // The endpoint's certificate is trusted like ARM's (system roots plus the CA file).
            let client = crate::azure::client::http_client(arm.ca_file.as_deref())
                .map_err(|e| StartupError::Config(format!("--verify-dns-url: {e}")))?;
            verify.resolver = Arc::new(crate::cluster::access::DnsJsonResolver::new(
                client,
                url.clone(),
            ));
        }
        let executor =
            crate::steps::AzureSteps::from_settings(&arm, rest, timeouts(flags, None), verify);
        Ok(Engine {
            executor,
            worker,
            simulator: None,
        })
    }
}

/// What every console process needs, with or without HTTP: the data dir locked, the database
/// open and migrated, runs cut off by a crash marked interrupted, and the worker started.
pub struct Core {
    pub store: Store,
    pub worker: WorkerHandle,
    simulator: Option<katonic_sim::SimHandle>,
    lock: DataDirLock,
}

impl Core {
    /// The use cases over this process's store and worker.
    pub fn app(&self) -> crate::app::App {
        crate::app::App::new(self.store.clone(), self.worker.clone())
    }

    /// `engine` builds the engine once the data dir is locked (the simulator's state lives there).
    pub async fn start<F>(data_dir: &std::path::Path, engine: F) -> Result<Core, StartupError>
    where
        F: std::future::Future<Output = Result<Engine, StartupError>>,
    {
        let lock = DataDirLock::acquire(data_dir)?;
        let store = Store::open(data_dir).await?;
        // This process holds the lock, so no worker is alive: whatever was running was cut off.
        let interrupted = store
            .interrupt_orphans(false, "the console stopped while it was running")
            .await?;
        for id in &interrupted {
            tracing::warn!(install = %id, "install was running when the console stopped; marked interrupted (resumable)");
        }
        let engine = engine.await?;
        let worker = WorkerHandle::spawn(store.clone(), engine.executor, engine.worker);
        Ok(Core {
            store,
            worker,
            simulator: engine.simulator,
            lock,
        })
    }

    /// Let running installs stop at a safe point, then close the database.
    pub async fn stop(self) {
        self.worker.shutdown().await;
        self.store.close().await;
        if let Some(sim) = self.simulator {
            sim.shutdown().await;
        }
        drop(self.lock);
    }

    /// The in-process simulator, under `--simulate`.
    pub fn simulator(&self) -> Option<&katonic_sim::SimHandle> {
        self.simulator.as_ref()
    }
}

/// A console ready to serve: the core started, listener bound.
pub struct Application {
    listener: tokio::net::TcpListener,
    local_addr: SocketAddr,
    state: AppState,
    simulator: Option<katonic_sim::SimHandle>,
    lock: DataDirLock,
    /// What the terminal is told: the access URL and, under HTTPS, the certificate.
    announce: Announcement,
    tls: Option<Arc<rustls::ServerConfig>>,
}

/// Printed by `serve` on its terminal only (never logged: the URL holds a live token).
pub struct Announcement {
    /// `http(s)://host:port/?token=…`: works once, for 15 minutes.
    pub access_url: String,
    /// SHA-256 of the served certificate, under HTTPS.
    pub tls_fingerprint: Option<String>,
    /// Where the served certificate is (to give browsers or `curl --cacert`).
    pub tls_cert_file: Option<std::path::PathBuf>,
}

/// The access side of start-up, once the port is known: allowed hosts, API token, password,
/// HTTPS material, and the first one-time access token.
fn prepare_access(
    config: &ServeConfig,
    bound: SocketAddr,
) -> Result<
    (
        crate::access::Access,
        Option<crate::access::tls::TlsMaterial>,
        String,
    ),
    StartupError,
> {
    use crate::access::{Access, AdminPassword, AllowedHosts, ApiToken};
    let flags = &config.access;
    let config_error = |e: &dyn std::fmt::Display| StartupError::Config(e.to_string());
    let hosts = AllowedHosts::new(bound, &flags.allowed_hosts).map_err(|e| config_error(&e))?;
    let api_token = ApiToken::load_or_create(&config.data_dir).map_err(|e| config_error(&e))?;
    let password = flags
        .admin_password_hash
        .as_deref()
        .map(AdminPassword::parse)
        .transpose()
        .map_err(|e| config_error(&e))?;
    let tls = if flags.tls_enabled() {
        let given = flags.tls_cert.as_deref().zip(flags.tls_key.as_deref());
        Some(
            crate::access::tls::load_or_generate(given, &config.data_dir, &hosts)
                .map_err(|e| config_error(&e))?,
        )
    } else {
        None
    };
    let access = Access::new(api_token, hosts, tls.is_some(), password)
        .with_stream_limits(flags.max_streams, flags.max_api_streams);
    let token = access
        .sessions
        .issue_access_token()
        .map_err(|e| config_error(&e))?;
    let host = if bound.ip().is_unspecified() {
        flags
            .allowed_hosts
            .first()
            .map(|h| h.split(':').next().unwrap_or(h).to_string())
            .unwrap_or_else(|| "127.0.0.1".to_string())
    } else {
        match bound.ip() {
            std::net::IpAddr::V4(v4) => v4.to_string(),
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        }
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base = format!("{scheme}://{host}:{}", bound.port());
    // For `katonic-console access-link`, another process, to print links to this console.
    if let Err(e) = crate::access::links::write_console_url(&config.data_dir, &base) {
        tracing::warn!(error = %e, "cannot record the console's URL; `access-link` will not know it");
    }
    Ok((access, tls, format!("{base}/?token={token}")))
}

impl Application {
    /// Build with the engine the configuration asks for.
    pub async fn build(config: ServeConfig) -> Result<Application, StartupError> {
        let engine_config = config.clone();
        Self::build_with(
            config,
            async move { Engine::from_config(&engine_config).await },
        )
        .await
    }

    /// Build with a given engine (tests script their steps this way).
    pub async fn build_with<F>(config: ServeConfig, engine: F) -> Result<Application, StartupError>
    where
        F: std::future::Future<Output = Result<Engine, StartupError>>,
    {
        // Before anything else: a refused bind touches nothing.
        crate::access::check_bind(config.listen, &config.access).map_err(StartupError::Config)?;
        let Core {
            store,
            worker,
            simulator,
            lock,
        } = Core::start(&config.data_dir, engine).await?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartupError::Bind {
                addr: config.listen,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: config.listen,
            source,
        })?;
        let (access, tls, access_url) = match prepare_access(&config, local_addr) {
            Ok(prepared) => prepared,
            Err(e) => {
                Core {
                    store,
                    worker,
                    simulator,
                    lock,
                }
                .stop()
                .await;
                return Err(e);
            }
        };
        let announce = Announcement {
            access_url,
            tls_fingerprint: tls.as_ref().map(|t| t.fingerprint.clone()),
            tls_cert_file: tls.as_ref().map(|t| t.cert_file.clone()),
        };
        let state = AppState::new(store, worker, config, access);
        Ok(Application {
            listener,
            local_addr,
            state,
            simulator,
            lock,
            announce,
            tls: tls.map(|t| t.config),
        })
    }

    /// What to print on the terminal (the access URL holds a one-time token).
    pub fn announcement(&self) -> &Announcement {
        &self.announce
    }

    /// Whether the console serves HTTPS.
    pub fn https(&self) -> bool {
        self.tls.is_some()
    }

    /// The database handle (tests inspect and break it).
    pub fn store(&self) -> Store {
        self.state.store.clone()
    }

    /// The in-process ARM simulator, under `--simulate` (tests read its request log).
    pub fn simulator(&self) -> Option<&katonic_sim::SimHandle> {
        self.simulator.as_ref()
    }

    /// The data dir (the API token is there).
    pub fn data_dir(&self) -> &std::path::Path {
        &self.state.config.data_dir
    }

    /// The address actually bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serve until `shutdown` completes; then close live streams, let running installs stop at
    /// a safe point (they end `interrupted`, resumable), and close the database.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let state = self.state.clone();
        let closing = state.shutdown.clone();
        let router = web::router(self.state);
        let signal = async move {
            shutdown.await;
            // Live event streams never end by themselves: end them so the server can stop.
            closing.cancel();
        };
        let served = match self.tls {
            None => {
                // `into_make_service`: the router itself as the connection service would
                // deep-clone every route per connection (axum's eager `with_state(())`), about
                // 70 KiB held by each open event stream; this shares them.
                axum::serve(self.listener, router.into_make_service())
                    .with_graceful_shutdown(signal)
                    .await
            }
            Some(tls) => serve_tls(self.listener, tls, router, signal).await,
        };
        Core {
            store: state.store,
            worker: state.worker,
            simulator: self.simulator,
            lock: self.lock,
        }
        .stop()
        .await;
        served.map_err(StartupError::Serve)
    }
}

/// HTTPS (HTTP/2 or 1.1 by ALPN) until `signal` completes, then a graceful stop.
async fn serve_tls(
    listener: tokio::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    router: axum::Router,
    signal: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = listener.into_std()?;
    let handle = axum_server::Handle::new();
    let server = axum_server::from_tcp_rustls(
        listener,
        axum_server::tls_rustls::RustlsConfig::from_config(tls),
    )?
    .handle(handle.clone());
    let stopper = handle.clone();
    tokio::spawn(async move {
        signal.await;
        // Event streams were ended by the signal; other requests get a moment to finish.
        stopper.graceful_shutdown(Some(std::time::Duration::from_secs(30)));
    });
    server.serve(router.into_make_service()).await
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when this is called, not
/// when the future is first polled: call it before announcing that the console is ready, so a
/// signal sent right after the announcement is never lost to the default action.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let terminate = signal(SignalKind::terminate());
        let interrupt = signal(SignalKind::interrupt());
        async move {
            match (terminate, interrupt) {
                (Ok(mut terminate), Ok(mut interrupt)) => {
                    tokio::select! {
                        _ = terminate.recv() => {}
                        _ = interrupt.recv() => {}
                    }
                }
                // Without signal handlers the console still stops on the default action.
                _ => std::future::pending::<()>().await,
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The cluster steps' waits: the flag when given, else the defaults (scaled for a simulator).
fn timeouts(
    flags: &crate::config::EngineFlags,
    time_scale: Option<f64>,
) -> crate::steps::ClusterTimeouts {
    let mut timeouts = time_scale.map_or_else(
        crate::steps::ClusterTimeouts::default,
        crate::steps::ClusterTimeouts::scaled,
    );
    if let Some(secs) = flags.load_balancer_timeout {
        timeouts.load_balancer = std::time::Duration::from_secs(secs);
    }
    timeouts
}
