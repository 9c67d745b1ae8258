//! `katonic-console simulate`: the ARM simulator on its own, for rehearsals and for pointing
//! other clients (the Azure CLI, a second console) at it.

use super::CommandError;
use clap::Args;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Loopback address to listen on (HTTPS); port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Where the simulator keeps its CA, catalogue (editable) and resources.
    #[arg(long, default_value = "./data/simulator")]
    pub state_dir: PathBuf,
    /// How fast simulated operations run (1 = as long as Azure's, 0 = done at the first poll).
    #[arg(long, default_value_t = 0.01)]
    pub time_scale: f64,
    /// Fault plan (YAML; see README).
    #[arg(long)]
    pub faults: Option<PathBuf>,
    /// Record every request and response here, in the traffic format of Azure's oav validator.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Where the console that uses this simulator runs: `outside` Azure (default) or on a VM in
    /// this subnet (an ARM subnet id, created if missing). The simulated metadata service and
    /// network answer accordingly (see README); `unplaced` does not model the network.
    #[arg(long, default_value = "outside")]
    pub console_network: crate::config::SimulatedPlacement,
    /// Also write the client settings as a dotenv file (`set -a; . ./FILE` before `serve`).
    #[arg(long)]
    pub env_file: Option<PathBuf>,
}

pub async fn run(args: SimulateArgs) -> Result<ExitCode, CommandError> {
    let shutdown = crate::startup::shutdown_signal();
    let sim = katonic_sim::start(katonic_sim::SimConfig {
        listen: args.listen,
        state_dir: args.state_dir,
        time_scale: args.time_scale,
        faults: args.faults,
        record_dir: args.record,
        client_secret: None,
        console_network: args.console_network.0,
    })
    .await
    .map_err(|e| CommandError::Simulator(e.to_string()))?;
    if let Some(path) = &args.env_file {
        crate::store::write_private(path, sim.env_file_contents().as_bytes()).map_err(
            |source| CommandError::Read {
                path: path.clone(),
                source,
            },
        )?;
    }
    // The client secret is a secret even here: it goes only into the env file (0600), never to
    // the terminal, where scrollback and screen recordings keep it.
    let secret_line = match &args.env_file {
        Some(path) => format!("in {} (AZURE_CLIENT_SECRET)", path.display()),
        None => "not shown; pass --env-file FILE to have it written there".to_string(),
    };
    let mut banner = format!(
        "ARM simulator listening\n  ARM endpoint:    {}\n  authority host:  {}\n  tenant:          {}\n  subscription:    {}\n  client id:       {}\n  client secret:   {}\n  CA file:         {}\n",
        sim.arm_endpoint,
        sim.authority_host,
        sim.tenant_id,
        sim.subscription_id,
        sim.client_id,
        secret_line,
        sim.ca_file.display()
    );
    if let Some(path) = &args.env_file {
        banner.push_str(&format!(
            "  settings written to {} (set -a; . {0})\n",
            path.display()
        ));
    }
    // A reader that closed stdout after the first line (a script waiting for readiness) must
    // not take the simulator down with it.
    let mut out = std::io::stdout();
    if let Err(e) = out.write_all(banner.as_bytes()).and_then(|()| out.flush()) {
        tracing::warn!("could not print the simulator banner: {e}");
    }
    shutdown.await;
    sim.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
