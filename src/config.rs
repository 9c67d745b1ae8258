//! Console settings, from flags and `KATONIC_CONSOLE_*` environment variables.

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

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
}
