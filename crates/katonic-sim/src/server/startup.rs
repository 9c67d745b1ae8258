//! Start-up: certificates, catalogue, state, fault plan, listeners, then the server and the
//! controllers in spawned tasks.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

use super::{MakeSim, Shared};
use crate::catalog::Catalog;
use crate::faults::{FaultPlan, Faults};
use crate::log::RequestLog;
use crate::record::Recorder;
use crate::state::{Account, Store};
use crate::tls::Ca;
use crate::{SimConfig, SimError, SimHandle};

/// Where the ingress port is held while no load balancer listens on it.
const INGRESS_RESERVE_IP: [u8; 4] = [127, 77, 255, 254];

/// Bind, build the shared state and serve in a spawned task.
pub(crate) async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
    if !config.listen.ip().is_loopback() {
        return Err(SimError::NotLoopback(config.listen));
    }
    let dir = config.state_dir.clone();
    std::fs::create_dir_all(&dir).map_err(|e| SimError::io(&dir, e))?;
    let ca = Ca::load_or_create(&dir)?;
    let leaf = ca.server_leaf()?;
    let tls = crate::tls::server_config(&leaf, &ca.pem)?;
    let catalog = Catalog::load_or_create(&dir)?;
    let (store, state) = Store::open(&dir, &catalog, config.client_secret.as_deref())?;
    let faults = match &config.faults {
        Some(path) => FaultPlan::load(path)?,
        None => FaultPlan::default(),
    };
    let recorder = match &config.record_dir {
        Some(d) => Some(Recorder::new(d)?),
        None => None,
    };
    let (listener, addr) = listen(config.listen)?;
    let base = format!("https://{addr}");
    let kube_file = dir.join("kube.json");
    let saved = crate::kube::persist::load(&kube_file)?;
    // The same ingress port as before a restart when it is still free.
    let (ingress_reserve, ingress_port) =
        reserve_ingress(saved.as_ref().map_or(0, |s| s.ingress_port))?;
    let (ingress_http_reserve, ingress_http_port) =
        reserve_ingress(saved.as_ref().map_or(0, |s| s.ingress_http_port))?;
    let account = state.account.clone();
    let shared = Arc::new(Shared {
        base: base.clone(),
        time_scale: config.time_scale.max(0.0),
        catalog,
        ca,
        state: Mutex::new(state),
        store,
        log: RequestLog::default(),
        faults: Faults::new(faults),
        recorder,
        limits: Mutex::new(crate::arm::throttle::Buckets::new(OffsetDateTime::now_utc())),
        kube: Mutex::new(
            saved
                .map(crate::kube::store::KubeState::restore)
                .unwrap_or_default(),
        ),
        kube_file,
        ingress_port,
        _ingress_reserve: ingress_reserve,
        ingress_http_port,
        _ingress_http_reserve: ingress_http_reserve,
        ingress: Mutex::new(BTreeMap::new()),
        console: Mutex::new(None),
        gateway_secrets: Mutex::new(crate::resources::app_gateway::secrets_kept(&dir)),
        aliases: Mutex::new(BTreeMap::new()),
        gateway_listeners: Mutex::new(BTreeMap::new()),
    });
    shared.place_console(config.console_network.clone())?;
    let (server, task) = serve(listener, tls, config.listen, &shared)?;
    tracing::info!(endpoint = %base, "Azure simulator listening");
    Ok(handle(shared, account, addr, server, task))
}

fn bind_error(addr: SocketAddr) -> impl FnOnce(std::io::Error) -> SimError {
    move |source| SimError::Bind { addr, source }
}

/// The non-blocking listener for ARM, Entra ID and the Kubernetes API, and its address.
fn listen(at: SocketAddr) -> Result<(TcpListener, SocketAddr), SimError> {
    let listener = TcpListener::bind(at).map_err(bind_error(at))?;
    listener.set_nonblocking(true).map_err(bind_error(at))?;
    let addr = listener.local_addr().map_err(bind_error(at))?;
    Ok((listener, addr))
}

/// Hold the load balancers' port (`previous_port` when free, else any) so no other program
/// takes it.
fn reserve_ingress(previous_port: u16) -> Result<(TcpListener, u16), SimError> {
    let reserve_addr = SocketAddr::from((INGRESS_RESERVE_IP, 0));
    let reserve = TcpListener::bind(SocketAddr::from((INGRESS_RESERVE_IP, previous_port)))
        .or_else(|_| TcpListener::bind(reserve_addr))
        .map_err(bind_error(reserve_addr))?;
    let port = reserve
        .local_addr()
        .map_err(bind_error(reserve_addr))?
        .port();
    Ok((reserve, port))
}

/// Serve TLS on `listener` and start the controllers and the saved load-balancer listeners.
fn serve(
    listener: TcpListener,
    tls: rustls::ServerConfig,
    listen: SocketAddr,
    shared: &Arc<Shared>,
) -> Result<(axum_server::Handle<SocketAddr>, tokio::task::JoinHandle<()>), SimError> {
    let handle = axum_server::Handle::new();
    let rustls = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(tls));
    let server = axum_server::from_tcp_rustls(listener, rustls)
        .map_err(bind_error(listen))?
        .handle(handle.clone());
    crate::kube::controllers::spawn(shared);
    crate::kube::restore_listeners(shared);
    let make = MakeSim(shared.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = server.serve(make).await {
            tracing::error!(error = %e, "simulator server stopped");
        }
    });
    Ok((handle, task))
}

fn handle(
    shared: Arc<Shared>,
    account: Account,
    addr: SocketAddr,
    server: axum_server::Handle<SocketAddr>,
    task: tokio::task::JoinHandle<()>,
) -> SimHandle {
    let base = shared.base.clone();
    SimHandle {
        arm_endpoint: base.clone(),
        authority_host: base.clone(),
        tenant_id: account.tenant_id,
        subscription_id: account.subscription_id,
        client_id: account.client_id,
        client_secret: account.client_secret,
        ca_pem: shared.ca.pem.clone(),
        ca_file: shared.ca.file.clone(),
        managed_identity_endpoint: format!("{base}/msi/token"),
        managed_identity_header: account.mi_header,
        addr,
        shared,
        server,
        task,
    }
}
