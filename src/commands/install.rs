//! `katonic-console install -f spec.yaml`: the whole install without a browser, its progress
//! printed as it happens. Same engine, same journal and history as the web console.

use super::{CommandError, print_spec_errors, read_spec};
use crate::config::EngineFlags;
use crate::events::{EventKind, Level};
use crate::startup::{Core, Engine};
use crate::store::{InstallStatus, NewInstall};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The install spec (YAML, or JSON when the name ends in .json); `-` reads stdin.
    #[arg(short = 'f', long = "file")]
    pub file: PathBuf,

    /// Directory of the console's database (the install joins its history).
    #[arg(long, env = "KATONIC_CONSOLE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    #[command(flatten)]
    pub engine: EngineFlags,

    #[command(flatten)]
    pub arm: crate::azure::ArmSettings,
}

pub async fn run(args: InstallArgs) -> Result<ExitCode, CommandError> {
    let reviewed = match read_spec(&args.file)? {
        Ok(r) => r,
        Err(errors) => return print_spec_errors(&args.file, &errors),
    };
    let core = Core::start(
        &args.data_dir,
        Engine::new(&args.engine, &args.arm, &args.data_dir),
    )
    .await?;
    // Subscribe before queueing: no event of the run can be missed.
    let mut events = core.store.bus().subscribe();
    let id = core
        .store
        .create_install(NewInstall {
            name: reviewed.spec.name.to_string(),
            answers: reviewed.document.clone(),
            wizard_step: "review".to_string(),
            validated: Some(reviewed.validated()),
            cloned_from: None,
        })
        .await?;
    let mut out = std::io::stdout();
    writeln!(out, "install {id} ({}): queued", reviewed.spec.name)?;
    core.store.queue_install(id).await?;
    core.worker.wake();
    let interrupt = crate::startup::shutdown_signal();
    tokio::pin!(interrupt);
    let status = loop {
        tokio::select! {
            received = events.recv() => {
                let event = match received {
                    Ok(event) => event,
                    // Lines were dropped from the live feed; the history keeps them all.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        writeln!(out, "({n} progress lines skipped; `history` and the console keep them all)")?;
                        continue;
                    }
                    Err(_) => break None,
                };
                if event.install_id != id {
                    continue;
                }
                let source = match (&event.step_id, event.attempt) {
                    (Some(step), Some(attempt)) => format!("{step}#{attempt}"),
                    _ => "install".to_string(),
                };
                let level = match event.level {
                    Level::Info => "",
                    Level::Warn => "WARN ",
                    Level::Error => "ERROR ",
                };
                if event.kind != EventKind::Progress || event.level != Level::Info {
                    writeln!(out, "{:>5} {source:<24} {level}{}", event.seq, event.message)?;
                } else {
                    writeln!(out, "{:>5} {source:<24} … {}", event.seq, event.message)?;
                }
                if event.ends_run() {
                    break event.status.clone();
                }
            }
            () = &mut interrupt => {
                writeln!(out, "interrupted: the install stops at a safe point and can be resumed")?;
                break None;
            }
        }
    };
    let record = core.store.install(id).await?;
    core.stop().await;
    match (status.as_deref(), record) {
        (Some("succeeded"), _) => {
            writeln!(out, "install {id} succeeded")?;
            Ok(ExitCode::SUCCESS)
        }
        (_, Some(r)) => {
            if let Some(e) = &r.error {
                writeln!(
                    out,
                    "install {id} is {}: {} ({})\n  {}",
                    r.status, e.message, e.code, e.hint
                )?;
            }
            if r.status != InstallStatus::Succeeded {
                writeln!(
                    out,
                    "resume it from the console, or: curl -X POST <console>/api/v1/installs/{id}/resume"
                )?;
            }
            Ok(ExitCode::from(1))
        }
        (_, None) => Ok(ExitCode::from(1)),
    }
}
