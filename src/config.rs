//! Console settings, from flags and `KATONIC_CONSOLE_*` environment variables.

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Event streams open at once across the console.
pub const MAX_STREAMS: usize = 256;

/// Event streams one session (or the API token) may hold open at once.
pub const STREAMS_PER_SESSION: usize = 16;

/// Settings of `katonic-console serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on. Loopback by default: admins reach the jumphost's console through
    /// an SSH tunnel or Azure Bastion. Port 0 picks a free port (printed at start-up).
    #[arg(long, env = "KATONIC_CONSOLE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory for the SQLite database and the console's files (created 0700).
    #[arg(long, env = "KATONIC_CONSOLE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    #[command(flatten)]
    pub engine: EngineFlags,

    #[command(flatten)]
    pub arm: crate::azure::ArmSettings,

    #[command(flatten)]
    pub access: AccessFlags,
}

/// Who may reach the console and how (see `access`): HTTPS, the `Host` allow-list, the
/// admin password.
#[derive(Debug, Clone, Args)]
pub struct AccessFlags {
    /// Serve HTTPS with a self-signed certificate generated at the first start (stored 0600 in
    /// the data dir, reused; its SHA-256 fingerprint is printed). Required, with
    /// --allowed-host, to listen on a non-loopback address.
    #[arg(long, env = "KATONIC_CONSOLE_TLS")]
    pub tls: bool,

    /// Serve HTTPS with this certificate chain (PEM) instead of a generated one.
    #[arg(long, env = "KATONIC_CONSOLE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "KATONIC_CONSOLE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// A name (or name:port) browsers use to reach the console; requests naming any other host
    /// get 403. localhost, 127.0.0.1 and [::1] on the listening port are always allowed.
    #[arg(
        long = "allowed-host",
        env = "KATONIC_CONSOLE_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,

    /// The admin password as an argon2id hash (from `katonic-console hash-password`), for
    /// signing in at /login when the access URL is gone.
    #[arg(
        long,
        env = "KATONIC_CONSOLE_ADMIN_PASSWORD_HASH",
        hide_env_values = true
    )]
    pub admin_password_hash: Option<String>,

    /// Live event streams the console serves at once (further ones get 503 + Retry-After).
    #[arg(long, env = "KATONIC_CONSOLE_MAX_STREAMS", default_value_t = MAX_STREAMS)]
    pub max_streams: usize,

    /// Live event streams the API token may hold at once (a session has 16).
    #[arg(long, env = "KATONIC_CONSOLE_MAX_API_STREAMS", default_value_t = STREAMS_PER_SESSION)]
    pub max_api_streams: usize,
}

impl Default for AccessFlags {
    /// What the command line gives when no access flag is set.
    fn default() -> Self {
        AccessFlags {
            tls: false,
            tls_cert: None,
            tls_key: None,
            allowed_hosts: Vec::new(),
            admin_password_hash: None,
            max_streams: MAX_STREAMS,
            max_api_streams: STREAMS_PER_SESSION,
        }
    }
}

impl AccessFlags {
    pub fn tls_enabled(&self) -> bool {
        self.tls || self.tls_cert.is_some()
    }
}

/// Where a simulated console runs: a [`katonic_sim::ConsoleNetwork`], or `unplaced` (`None`:
/// the simulator does not model the console's network).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedPlacement(pub Option<katonic_sim::ConsoleNetwork>);

impl std::str::FromStr for SimulatedPlacement {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim().eq_ignore_ascii_case("unplaced") {
            return Ok(SimulatedPlacement(None));
        }
        s.parse::<katonic_sim::ConsoleNetwork>()
            .map(|n| SimulatedPlacement(Some(n)))
            .map_err(|e| format!("{e}, or `unplaced`"))
    }
}

impl std::fmt::Display for SimulatedPlacement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(n) => n.fmt(f),
            None => f.write_str("unplaced"),
        }
    }
}

/// How installs are executed, from `serve`'s and `install`'s flags.
#[derive(Debug, Clone, Args)]
pub struct EngineFlags {
    /// Rehearse installs without an Azure account: an ARM simulator starts inside the console
    /// (its state in `<data-dir>/simulator`) and the Azure and cluster steps run against it
    /// through the real clients (steps this build lacks are simulated). A banner says so.
    #[arg(long, env = "KATONIC_CONSOLE_SIMULATE")]
    pub simulate: bool,

    /// How fast simulated time runs, for --simulate and --rehearse-cluster-steps (0.01 turns the
    /// 30-minute plan into ~20 s).
    #[arg(long, default_value_t = 0.01)]
    pub time_scale: f64,

    /// With --simulate: where the simulated console runs, `outside` Azure (the default: no
    /// metadata service, no line of sight to a private API server) or on a VM in this subnet
    /// (an ARM subnet id; the simulator creates the subnet if missing). The simulated network
    /// then refuses what Azure's would. `unplaced` does not model the network at all (every
    /// API server answers), for rehearsals about something else.
    #[arg(long, default_value = "outside")]
    pub simulate_console_network: SimulatedPlacement,

    /// With --simulate: the simulator's fault plan (YAML; see README).
    #[arg(long, requires = "simulate")]
    pub faults: Option<PathBuf>,

    /// With --simulate: record every ARM request the simulator answers, with its response, as
    /// numbered JSON files in this directory (the traffic format of Azure's `oav` validator; no
    /// credentials): what the install would send to Azure.
    #[arg(long, requires = "simulate")]
    pub record: Option<PathBuf>,

    /// With --simulate: script every step instead (no simulator): delays, failures, retries,
    /// to rehearse what the engine does when things go wrong. See README.
    #[arg(long, requires = "simulate")]
    pub step_script: Option<PathBuf>,

    /// How long the ingress step waits for the load balancer's address, in seconds (default
    /// 600; with --simulate, scaled by --time-scale).
    #[arg(long, env = "KATONIC_LOAD_BALANCER_TIMEOUT_SECS")]
    pub load_balancer_timeout: Option<u64>,

    /// Port the verification expects the ingress's HTTPS on (443; a standalone simulator's
    /// env file sets its own, as it cannot take 443 without root).
    #[arg(long, env = "KATONIC_INGRESS_HTTPS_PORT", default_value_t = 443)]
    pub ingress_https_port: u16,

    /// Port the verification expects an Application Gateway's HTTP listener on (80, which
    /// redirects to HTTPS; a standalone simulator's env file sets its own).
    #[arg(long, env = "KATONIC_INGRESS_HTTP_PORT", default_value_t = 80)]
    pub ingress_http_port: u16,

    /// Resolve the host names the verification checks through this DNS-over-HTTPS JSON
    /// endpoint (`application/dns-json`, as Cloudflare and Google serve it) instead of this
    /// machine's resolver; a standalone simulator's env file sets its own.
    #[arg(long, env = "KATONIC_VERIFY_DNS_URL")]
    pub verify_dns_url: Option<reqwest::Url>,

    /// A standalone simulator's endpoint telling where it serves a private VNet address
    /// (rehearsals only; its env file sets it), so verification dials no address off loopback.
    #[arg(long, env = "KATONIC_REHEARSAL_DIAL_URL", hide = true)]
    pub rehearsal_dial_url: Option<reqwest::Url>,

    /// Simulate the cluster steps this build does not run yet while the others go to the
    /// configured (real or simulated) Azure.
    #[arg(long)]
    pub rehearse_cluster_steps: bool,

    /// With --simulate: abort the process the moment this step has succeeded, before its
    /// journal entry is written. A fault injection for the crash matrix's "just before the
    /// journal entry" kill point (issue 13), which a kill from outside cannot time for a step
    /// that lasts milliseconds; hidden, and refused without --simulate.
    #[arg(long, hide = true, requires = "simulate")]
    pub crash_before_journal: Option<katonic_domain::plan::StepId>,
}
