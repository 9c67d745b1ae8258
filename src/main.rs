//! `katonic-console`: thin entry point; everything else is in the library.

use clap::Parser;
use katonic_console::commands::{self, Cli};

#[tokio::main]
async fn main() -> anyhow::Result<std::process::ExitCode> {
    let cli = Cli::parse();
    commands::init_tracing(cli.log_format);
    Ok(commands::run(cli).await?)
}
