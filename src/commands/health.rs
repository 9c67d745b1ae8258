//! `katonic-console health`: asks a running console's `/healthz`, for container health checks
//! and systemd watchdogs (the runtime image has no curl).

use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct HealthArgs {
    /// The console's health URL.
    #[arg(long, default_value = "http://127.0.0.1:8080/healthz")]
    pub url: String,
    /// Accept the console's self-signed certificate (an https URL on the same machine).
    #[arg(long)]
    pub insecure: bool,
}

/// Exit 0 when the console answers 200 within 3 s, else 1 with the reason on stderr.
pub async fn run(args: HealthArgs) -> ExitCode {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .no_proxy()
        .tls_danger_accept_invalid_certs(args.insecure)
        .build();
    let answer = match client {
        Ok(client) => client.get(&args.url).send().await,
        Err(e) => Err(e),
    };
    match answer {
        Ok(response) if response.status().is_success() => ExitCode::SUCCESS,
        Ok(response) => {
            eprintln!("{} answered {}", args.url, response.status());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{} did not answer: {e}", args.url);
            ExitCode::FAILURE
        }
    }
}
