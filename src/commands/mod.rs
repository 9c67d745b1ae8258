//! The command line: `serve`, `plan`, `history`. Each command is the same operation the web
//! console offers, for scripts and for admins without a browser.

mod access_link;
mod health;
mod install;
mod plan_text;
mod simulate;
mod teardown;

use crate::app::review;
use crate::config::ServeConfig;
use crate::startup::{self, Application, StartupError};
use crate::store::{Store, StoreError};
use clap::{Parser, Subcommand};
use katonic_domain::spec::{self, DocumentFormat};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Installs the Katonic MLOps platform on a private AKS cluster, from a jumphost.
#[derive(Debug, Parser)]
#[command(name = "katonic-console", version, about)]
pub struct Cli {
    /// Log lines on stderr as text or as JSON (one object per line, with the install id, step
    /// and attempt of the step that wrote it: for journald, Loki or Azure Monitor).
    #[arg(long, global = true, env = "KATONIC_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web console.
    Serve(ServeConfig),
    /// Validate a spec and print its plan; exits 2 listing every field error when invalid.
    Plan {
        /// The install spec (YAML, or JSON when the name ends in .json); `-` reads stdin.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// Print the plan as JSON (the API's format) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print every Kubernetes object the console would apply for a spec, as a YAML stream
    /// (names that depend on the install id use a placeholder id; the TLS secret is left out).
    Manifests {
        /// The install spec (YAML, or JSON when the name ends in .json); `-` reads stdin.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
    },
    /// Run an install without the web console, printing its progress; exits 0 when it
    /// succeeds, 1 when it fails (resume it later from the console or the API), 2 when the
    /// spec is invalid.
    Install(install::InstallArgs),
    /// Preview what an install created, then delete it (asks for the install's name unless
    /// --yes), printing progress; exits 0 when the teardown succeeds, 1 when it does not.
    Teardown(teardown::TeardownArgs),
    /// Run the ARM simulator (HTTPS on loopback) and print how to point clients at it.
    Simulate(simulate::SimulateArgs),
    /// Exit 0 when a running console answers its health check (container HEALTHCHECK).
    Health(health::HealthArgs),
    /// Hash an admin password for `serve --admin-password-hash` (argon2id): reads the password
    /// from stdin (one line), prints the hash.
    HashPassword,
    /// Print a fresh one-time access link into the console running on a data dir (for an
    /// admin who signed out or whose session ended; the console keeps running).
    AccessLink(access_link::AccessLinkArgs),
    /// List the installs recorded in a data dir.
    History {
        #[arg(long, env = "KATONIC_CONSOLE_DATA_DIR", default_value = "./data")]
        data_dir: PathBuf,
    },
}

/// Why a command failed (invalid specs are not errors: they print and exit 2).
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    App(#[from] crate::app::AppError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write output: {0}")]
    Write(#[from] std::io::Error),
    #[error("cannot encode the plan: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("{0}")]
    Simulator(String),
    #[error(transparent)]
    AccessLink(#[from] crate::access::links::LinkError),
}

/// Logs go to stderr, so `plan --json` output stays clean on stdout.
pub fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Every line passes the redactor: no registered secret reaches the log.
        .with_writer(crate::redact::RedactingMakeWriter(std::io::stderr));
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        // The current span's fields (install, step, attempt) go on every line, flattened.
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

pub async fn run(cli: Cli) -> Result<ExitCode, CommandError> {
    match cli.command {
        Command::Serve(config) => serve(config).await,
        Command::Plan { file, json } => plan(&file, json),
        Command::Manifests { file } => manifests(&file),
        Command::Install(args) => install::run(args).await,
        Command::Teardown(args) => teardown::run(args).await,
        Command::Simulate(args) => simulate::run(args).await,
        Command::History { data_dir } => history(data_dir).await,
        Command::Health(args) => Ok(health::run(args).await),
        Command::HashPassword => hash_password(),
        Command::AccessLink(args) => access_link::run(args).await,
    }
}

fn config_api_token_path(app: &Application) -> PathBuf {
    app.data_dir().join(crate::access::API_TOKEN_FILE)
}

async fn serve(config: ServeConfig) -> Result<ExitCode, CommandError> {
    let app = Application::build(config).await?;
    let shutdown = startup::shutdown_signal();
    // Tests and scripts wait for this exact line to learn the real port.
    let mut out = std::io::stdout();
    let scheme = if app.https() { "https" } else { "http" };
    writeln!(out, "Listening on {scheme}://{}", app.local_addr())?;
    // The terminal only, never the log: the URL holds a live (one-time) token.
    let announce = app.announcement();
    writeln!(
        out,
        "Open the console (this link works once, for 15 minutes):\n  {}",
        announce.access_url
    )?;
    if let (Some(fingerprint), Some(file)) = (&announce.tls_fingerprint, &announce.tls_cert_file) {
        writeln!(
            out,
            "HTTPS certificate {} (SHA-256 fingerprint {fingerprint}): check that your browser \
             shows this fingerprint",
            file.display()
        )?;
    }
    writeln!(
        out,
        "Scripts: send the token in {} as `Authorization: Bearer <token>`",
        config_api_token_path(&app).display()
    )?;
    out.flush()?;
    app.run_until(shutdown).await?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

fn hash_password() -> Result<ExitCode, CommandError> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.chars().count() < 12 {
        writeln!(
            std::io::stderr(),
            "the password is shorter than 12 characters; choose a longer one"
        )?;
        return Ok(ExitCode::from(2));
    }
    let hash = crate::access::password::hash(password).map_err(CommandError::Simulator)?;
    writeln!(std::io::stdout(), "{hash}")?;
    Ok(ExitCode::SUCCESS)
}

/// Read and review a spec file (`-` is stdin; `.json` is JSON, anything else YAML).
pub(super) fn read_spec(
    file: &PathBuf,
) -> Result<Result<review::Reviewed, spec::SpecErrors>, CommandError> {
    let read = |source| CommandError::Read {
        path: file.clone(),
        source,
    };
    let text = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(read)?
    } else {
        std::fs::read_to_string(file).map_err(read)?
    };
    let format = match file.extension().and_then(|e| e.to_str()) {
        Some("json") => DocumentFormat::Json,
        _ => DocumentFormat::Yaml,
    };
    Ok(spec::from_text(&text, format).and_then(|doc| review::review(&doc, review::today())))
}

/// Every field error, on stderr; the exit code of an invalid spec.
pub(super) fn print_spec_errors(
    file: &std::path::Path,
    errors: &spec::SpecErrors,
) -> Result<ExitCode, CommandError> {
    let mut err = std::io::stderr().lock();
    writeln!(err, "{}: {} error(s)", file.display(), errors.errors.len())?;
    for e in &errors.errors {
        writeln!(
            err,
            "  {}: {} [{}]\n    fix: {}",
            e.field, e.message, e.rule, e.fix
        )?;
    }
    Ok(ExitCode::from(2))
}

fn plan(file: &PathBuf, json: bool) -> Result<ExitCode, CommandError> {
    let reviewed = read_spec(file)?;
    let mut out = std::io::stdout().lock();
    match reviewed {
        Ok(r) if json => {
            serde_json::to_writer_pretty(&mut out, &r.plan)?;
            writeln!(out)?;
            Ok(ExitCode::SUCCESS)
        }
        Ok(r) => {
            plan_text::write(&mut out, &r)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => print_spec_errors(file, &errors),
    }
}

fn manifests(file: &PathBuf) -> Result<ExitCode, CommandError> {
    let reviewed = match read_spec(file)? {
        Ok(reviewed) => reviewed,
        Err(errors) => return print_spec_errors(file, &errors),
    };
    // A fixed placeholder keeps the output stable for reviews and diffs.
    let install = crate::store::InstallId::nil();
    let ctx = crate::cluster::manifests::ClusterContext::for_install(&reviewed.spec, install);
    let objects = crate::cluster::manifests::render_all(&reviewed.spec, &ctx)?;
    let mut out = std::io::stdout().lock();
    for object in objects {
        let yaml = serde_yaml_ng::to_string(&object)
            .map_err(|e| CommandError::Simulator(format!("cannot encode a manifest: {e}")))?;
        write!(out, "---\n{yaml}")?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn history(data_dir: PathBuf) -> Result<ExitCode, CommandError> {
    let store = Store::open(&data_dir).await?;
    // As the history page lists them: one line per install, teardowns as its status.
    let installs = store
        .history(&katonic_domain::spec::default_document())
        .await?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<36}  {:<20}  {:<10}  {:<20}  TARGET",
        "ID", "NAME", "STATUS", "UPDATED"
    )?;
    for i in &installs {
        writeln!(
            out,
            "{:<36}  {:<20}  {:<10}  {:<20}  {}",
            i.id,
            i.name,
            match i.teardown {
                Some(crate::store::InstallStatus::Succeeded) => "torn down".to_string(),
                _ => i.status.to_string(),
            },
            crate::format::timestamp(i.updated_at),
            crate::format::target(
                i.subscription_id.as_deref(),
                i.resource_group.as_deref(),
                i.cluster_name.as_deref()
            ),
        )?;
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
