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
}

impl Engine {
    /// The engine the flags ask for: simulated steps under `--simulate`, else the real ones.
    pub fn from_config(config: &ServeConfig) -> Result<Engine, StartupError> {
        Self::new(&config.engine, &config.arm, &config.data_dir)
    }

    pub fn new(
        flags: &crate::config::EngineFlags,
        arm: &crate::azure::ArmSettings,
        data_dir: &std::path::Path,
    ) -> Result<Engine, StartupError> {
        let executor: Arc<dyn StepExecutor> = match (flags.simulate, &flags.step_script) {
            (true, Some(path)) => Arc::new(
                ScriptedSteps::from_file(path, flags.time_scale).map_err(StartupError::Config)?,
            ),
            (true, None) => Arc::new(ScriptedSteps::rehearsal(flags.time_scale)),
            // Azure steps for real; the cluster configuration arrives with the Kubernetes work.
            (false, _) => crate::steps::AzureSteps::from_settings(
                &arm.clone().with_secret_from_env(),
                Arc::new(Unavailable),
            ),
        };
        Ok(Engine {
            executor,
            worker: WorkerConfig::new(data_dir.to_path_buf()),
        })
    }
}

/// What every console process needs, with or without HTTP: the data dir locked, the database
/// open and migrated, runs cut off by a crash marked interrupted, and the worker started.
pub struct Core {
    pub store: Store,
    pub worker: WorkerHandle,
    lock: DataDirLock,
}

impl Core {
    pub async fn start(data_dir: &std::path::Path, engine: Engine) -> Result<Core, StartupError> {
        let lock = DataDirLock::acquire(data_dir)?;
        let store = Store::open(data_dir).await?;
        // This process holds the lock, so no worker is alive: whatever was running was cut off.
        let interrupted = store
            .interrupt_orphans(false, "the console stopped while it was running")
            .await?;
        for id in &interrupted {
            tracing::warn!(install = %id, "install was running when the console stopped; marked interrupted (resumable)");
        }
        let worker = WorkerHandle::spawn(store.clone(), engine.executor, engine.worker);
        Ok(Core {
            store,
            worker,
            lock,
        })
    }

    /// Let running installs stop at a safe point, then close the database.
    pub async fn stop(self) {
        self.worker.shutdown().await;
        self.store.close().await;
        drop(self.lock);
    }
}

/// A console ready to serve: the core started, listener bound.
pub struct Application {
    listener: tokio::net::TcpListener,
    local_addr: SocketAddr,
    state: AppState,
    lock: DataDirLock,
}

impl Application {
    /// Build with the engine the configuration asks for.
    pub async fn build(config: ServeConfig) -> Result<Application, StartupError> {
        let engine = Engine::from_config(&config)?;
        Self::build_with(config, engine).await
    }

    /// Build with a given engine (tests script their steps this way).
    pub async fn build_with(
        config: ServeConfig,
        engine: Engine,
    ) -> Result<Application, StartupError> {
        let Core {
            store,
            worker,
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
        let state = AppState::new(store, worker, config);
        Ok(Application {
            listener,
            local_addr,
            state,
            lock,
        })
    }

    /// The database handle (tests inspect and break it).
    pub fn store(&self) -> Store {
        self.state.store.clone()
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
        let lock = self.lock;
        let router = web::router(self.state);
        let signal = async move {
            shutdown.await;
            // Live event streams never end by themselves: end them so the server can stop.
            closing.cancel();
        };
        let served = axum::serve(self.listener, router)
            .with_graceful_shutdown(signal)
            .await;
        Core {
            store: state.store,
            worker: state.worker,
            lock,
        }
        .stop()
        .await;
        served.map_err(StartupError::Serve)
    }
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
