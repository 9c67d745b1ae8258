//! `katonic-console install -f spec.yaml`: the whole install without a browser, its progress
//! printed as it happens. Same engine, same journal and history as the web console.

use super::{CommandError, print_spec_errors, read_spec};
use crate::config::EngineFlags;
use crate::events::{EventKind, EventStatus, Level};
use crate::startup::{Core, Engine};
use crate::store::InstallStatus;
use clap::Args;
use katonic_domain::spec::{FieldError, SpecErrors};
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

    /// The certificate chain (PEM, leaf first) for `domain.tls: provided`; stored encrypted.
    #[arg(long = "tls-cert", value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The certificate's unencrypted private key (PEM), with `--tls-cert`.
    #[arg(long = "tls-key", value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

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
    // The certificate is checked before anything is recorded: a refused one leaves no install.
    let material = match certificate(&args, &reviewed.spec)? {
        Ok(material) => material,
        Err(errors) => return print_spec_errors(&args.file, &errors),
    };
    let core = Core::start(
        &args.data_dir,
        Engine::new(&args.engine, &args.arm, &args.data_dir),
    )
    .await?;
    // Subscribe before queueing: no event of the run can be missed.
    let events = core.store.bus().subscribe();
    let app = core.app();
    let id = app.create(&reviewed).await?;
    let mut out = std::io::stdout();
    if let Some(material) = &material {
        app.store_certificate(&crate::app::Actor::command_line(), id, material)
            .await
            .map_err(crate::app::AppError::from)?;
        let summary = crate::cluster::tls::summarize(&material.cert_chain_pem).ok();
        writeln!(
            out,
            "certificate stored encrypted: {} (valid until {}, SHA-256 {})",
            summary
                .as_ref()
                .map_or(String::new(), |s| s.names.join(", ")),
            crate::format::timestamp(material.not_after),
            summary.as_ref().map_or("", |s| s.fingerprint.as_str()),
        )?;
    }
    app.start(&crate::app::Actor::command_line(), id).await?;
    writeln!(out, "install {id} ({}): queued", reviewed.spec.name)?;
    follow(core, id, events, "install").await
}

/// The uploaded certificate of `--tls-cert`/`--tls-key`, checked against the spec's hosts; a
/// spec that wants one and got none (or got one it does not use) is a field error.
fn certificate(
    args: &InstallArgs,
    spec: &katonic_domain::spec::InstallSpec,
) -> Result<Result<Option<crate::cluster::tls::TlsMaterial>, SpecErrors>, CommandError> {
    use crate::cluster::tls::CERTIFICATE_FIELD;
    let provided = spec.domain.tls == katonic_domain::spec::TlsMode::Provided;
    let refuse = |rule: &str, message: &str, fix: &str| {
        Ok(Err(SpecErrors {
            errors: vec![FieldError {
                field: CERTIFICATE_FIELD.to_string(),
                rule: rule.to_string(),
                message: message.to_string(),
                fix: fix.to_string(),
            }],
        }))
    };
    let (cert, key) = match (&args.tls_cert, &args.tls_key, provided) {
        (Some(cert), Some(key), true) => (cert, key),
        (None, _, false) | (_, None, false) => return Ok(Ok(None)),
        (Some(_), _, false) => {
            return refuse(
                "tls.not-provided",
                &format!(
                    "--tls-cert is given but the spec's domain.tls is `{}`",
                    spec.domain.tls.as_str()
                ),
                "set `domain.tls: provided` to use the certificate, or leave out --tls-cert and --tls-key",
            );
        }
        _ => {
            return refuse(
                "tls.not-uploaded",
                "`tls: provided` needs the certificate and its key",
                "pass --tls-cert FILE --tls-key FILE (PEM), or set `domain.tls: selfSigned` for a trial",
            );
        }
    };
    let read = |path: &PathBuf| {
        std::fs::read_to_string(path).map_err(|source| CommandError::Read {
            path: path.clone(),
            source,
        })
    };
    let cert_pem = read(cert)?;
    let key_pem = secrecy::SecretString::from(read(key)?);
    let hosts = crate::app::certificate::hosts_of_spec(spec);
    Ok(crate::cluster::tls::check_uploaded(
        &cert_pem,
        secrecy::ExposeSecret::expose_secret(&key_pem),
        &hosts,
        time::OffsetDateTime::now_utc(),
    )
    .map(Some)
    .map_err(|e| SpecErrors {
        errors: vec![crate::app::certificate::field_error(&e)],
    }))
}

/// Print a queued run's progress until it ends (or Ctrl-C); exit 0 when it succeeded, else 1.
/// `events` was subscribed before the run was queued, so nothing is missed.
pub(super) async fn follow(
    core: Core,
    id: crate::store::InstallId,
    mut events: tokio::sync::broadcast::Receiver<std::sync::Arc<crate::events::Event>>,
    what: &str,
) -> Result<ExitCode, CommandError> {
    let mut out = std::io::stdout();
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
                // Check lines carry their verdict already ("WARN permissions: …").
                let has_verdict = ["PASS ", "WARN ", "FAIL ", "SKIP "]
                    .iter()
                    .any(|v| event.message.starts_with(v));
                let level = match event.level {
                    _ if has_verdict => "",
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
                    break event.status;
                }
            }
            () = &mut interrupt => {
                writeln!(out, "interrupted: the {what} stops at a safe point and can be resumed")?;
                break None;
            }
        }
    };
    let record = core.store.install(id).await?;
    core.stop().await;
    match (status, record) {
        (Some(EventStatus::Install(InstallStatus::Succeeded)), _) => {
            writeln!(out, "{what} {id} succeeded")?;
            Ok(ExitCode::SUCCESS)
        }
        (_, Some(r)) => {
            if let Some(e) = &r.error {
                writeln!(
                    out,
                    "{what} {id} is {}: {} ({})\n  {}",
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
