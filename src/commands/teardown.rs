//! `katonic-console teardown <id> [--yes]`: preview what an install created, confirm, then
//! delete it as a teardown run (same engine, journal and history as the web console), printing
//! its progress; exits 0 when the teardown succeeds, 1 otherwise, 2 for a malformed id.

use super::CommandError;
use crate::config::EngineFlags;
use crate::startup::{Core, Engine};
use crate::store::InstallId;
use crate::teardown::Preview;
use clap::Args;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct TeardownArgs {
    /// The install whose resources to delete (its id, as `history` lists it).
    pub id: String,

    /// Delete without asking for the install's name.
    #[arg(long)]
    pub yes: bool,

    /// Directory of the console's database.
    #[arg(long, env = "KATONIC_CONSOLE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    #[command(flatten)]
    pub engine: EngineFlags,

    #[command(flatten)]
    pub arm: crate::azure::ArmSettings,
}

/// The preview as a table.
pub fn print_preview(out: &mut impl Write, preview: &Preview) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<26} {:<48} {:<6} {:<6} WHY",
        "ACTION", "TYPE / NAME", "LEDGER", "TAGGED"
    )?;
    for t in &preview.targets {
        writeln!(
            out,
            "{:<26} {:<48} {:<6} {:<6} {}",
            t.action.label(),
            format!(
                "{} {}",
                t.kind.rsplit('/').next().unwrap_or(&t.kind),
                t.name
            ),
            if t.in_ledger { "yes" } else { "no" },
            t.tagged.label(),
            t.reason
        )?;
    }
    writeln!(out, "{} resource(s) to delete", preview.deleting())
}

pub async fn run(args: TeardownArgs) -> Result<ExitCode, CommandError> {
    let Some(id) = InstallId::parse(&args.id) else {
        eprintln!(
            "{:?} is not an install id (a UUID, as `katonic-console history` lists it)",
            args.id
        );
        return Ok(ExitCode::from(2));
    };
    let core = Core::start(
        &args.data_dir,
        Engine::new(&args.engine, &args.arm, &args.data_dir),
    )
    .await?;
    let mut out = std::io::stdout();
    let app = core.app();
    let (record, preview) = match app.teardown_preview(id).await {
        Ok(found) => found,
        Err(e) => {
            core.stop().await;
            eprintln!("cannot tear down install {id}: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    writeln!(out, "teardown of install {id} ({})", record.name)?;
    print_preview(&mut out, &preview)?;
    if preview.deleting() == 0 {
        core.stop().await;
        writeln!(out, "nothing to delete")?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut typed_name = record.name.clone();
    if !args.yes {
        write!(
            out,
            "type the install's name ({}) to delete these {} resources: ",
            record.name,
            preview.deleting()
        )?;
        out.flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if line.trim() != record.name {
            core.stop().await;
            writeln!(out, "not confirmed: nothing deleted")?;
            return Ok(ExitCode::from(1));
        }
        typed_name = line;
    }
    // Subscribe before queueing: no event of the run can be missed.
    let events = core.store.bus().subscribe();
    let approval = crate::app::Approval {
        typed_name,
        expected: Some(preview.deleting()),
    };
    let started = app
        .start_teardown(&crate::app::Actor::command_line(), id, &approval)
        .await;
    let teardown = match started {
        Ok((teardown, _)) => teardown,
        Err(e) => {
            core.stop().await;
            eprintln!("cannot tear down install {id}: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    writeln!(out, "teardown {teardown}: queued")?;
    super::install::follow(core, teardown, events, "teardown").await
}
