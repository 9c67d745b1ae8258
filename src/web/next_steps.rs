//! "What now" after a success, at the top of the install page: links to the platform and each
//! add-on, the DNS records still to publish, the first sign-in as the installer reported it,
//! and the admin kubeconfig as an on-demand, audited download (fetched from Azure when asked,
//! never stored). The live stream sends the same section when the run ends, so it shows
//! without a reload.

use super::error::{ApiError, WebError};
use super::run_views::DnsTable;
use super::{AppState, guard};
use crate::access::Principal;
use crate::events::Event;
use crate::store::{InstallRecord, InstallStatus, StepRecord};
use askama::Template;
use axum::extract::{Extension, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use katonic_domain::plan::StepId;
use katonic_domain::spec::{ClusterAccess, InstallSpec};
use secrecy::ExposeSecret;

/// One host the install serves.
pub struct HostLink {
    pub label: &'static str,
    pub url: String,
}

/// The section's content.
pub struct NextSteps {
    pub install_id: String,
    pub links: Vec<HostLink>,
    /// The DNS step's records; `dns.by_console` says whether any are left to publish.
    pub dns: Option<DnsTable>,
    /// The installer's own lines about the first sign-in (redacted), if it printed any.
    pub sign_in: Vec<String>,
    /// `az aks get-credentials …`: the same kubeconfig from a shell with the Azure CLI.
    pub az_get_credentials: String,
    /// The cluster is reached through AKS Run Command: this machine has no line of sight to
    /// its API server, so the downloaded kubeconfig works only from inside the VNet.
    pub run_command: bool,
}

#[derive(Template)]
#[template(path = "run/next_steps.html")]
pub struct NextStepsFragment<'a> {
    pub oob: bool,
    pub n: Option<&'a NextSteps>,
}

/// Words the installer uses when it tells how to sign in the first time.
const SIGN_IN_WORDS: [&str; 7] = [
    "sign in",
    "sign-in",
    "login",
    "log in",
    "username",
    "password",
    "credentials",
];

impl NextSteps {
    /// `None` unless the install succeeded and is not torn down.
    pub fn new(
        install: &InstallRecord,
        records: &[StepRecord],
        events: &[Event],
        torn_down: bool,
    ) -> Option<NextSteps> {
        if install.status != InstallStatus::Succeeded || torn_down {
            return None;
        }
        let spec = InstallSpec::parse(install.spec.as_ref()?).ok()?;
        let outputs = |step: StepId| {
            records
                .iter()
                .find(|r| r.step_id == step)
                .and_then(|r| r.outputs.as_ref())
        };
        Some(NextSteps {
            install_id: install.id.to_string(),
            links: links(&spec),
            dns: outputs(StepId::Dns).and_then(DnsTable::from_outputs),
            sign_in: sign_in_lines(events),
            az_get_credentials: format!(
                "az aks get-credentials --admin --resource-group {} --name {} --file kubeconfig-{}-admin.yaml",
                spec.azure.resource_group, spec.cluster.name, spec.cluster.name
            ),
            run_command: spec.cluster.access == ClusterAccess::RunCommand,
        })
    }
}

fn links(spec: &InstallSpec) -> Vec<HostLink> {
    let link = |label, host: &katonic_domain::spec::Fqdn| HostLink {
        label,
        url: format!("https://{host}/"),
    };
    std::iter::once(link("Katonic platform", &spec.domain.fqdn))
        .chain(spec.addons.superset.as_ref().map(|h| link("Superset", h)))
        .chain(spec.addons.airbyte.as_ref().map(|h| link("Airbyte", h)))
        .collect()
}

/// The platform step's log lines that speak of signing in (already redacted when stored;
/// redacted again in case a secret became known since).
fn sign_in_lines(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.step_id == Some(StepId::Platform))
        .filter(|e| {
            let lower = e.message.to_ascii_lowercase();
            SIGN_IN_WORDS.iter().any(|w| lower.contains(w))
        })
        .map(|e| crate::redact::redact(&e.message))
        .collect()
}

/// The section as HTML (`oob`: as an out-of-band swap for the live stream).
pub fn render(n: Option<&NextSteps>, oob: bool) -> Result<String, WebError> {
    NextStepsFragment { oob, n }
        .render()
        .map_err(|e| WebError::internal("template", e))
}

/// The section of `install` as it is now (from the store).
pub async fn of_install(
    state_store: &crate::store::Store,
    install: &InstallRecord,
) -> Result<Option<NextSteps>, WebError> {
    if install.status != InstallStatus::Succeeded {
        return Ok(None);
    }
    let records = state_store.steps(install.id).await?;
    let events = state_store.all_events(install.id).await?;
    let torn_down = state_store
        .teardowns_of(install.id)
        .await?
        .iter()
        .any(|t| t.status == InstallStatus::Succeeded);
    Ok(NextSteps::new(install, &records, &events, torn_down))
}

/// `POST /installs/{id}/kubeconfig` (and `POST /api/v1/installs/{id}/kubeconfig`): the admin
/// kubeconfig as a file, fetched from Azure now; audited, never stored, never logged.
pub async fn post_kubeconfig(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = super::wizard::parse_id(&id)?;
    let download = state
        .app()
        .admin_kubeconfig(&guard::actor(&principal), id)
        .await?;
    let yaml = download.kubeconfig.yaml.expose_secret().to_vec();
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/yaml; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", download.file_name),
            ),
        ],
        yaml,
    )
        .into_response())
}

/// The API's form of [`post_kubeconfig`]: errors as JSON.
pub async fn post_kubeconfig_api(
    state: State<AppState>,
    principal: Extension<Principal>,
    id: Path<String>,
) -> Result<Response, ApiError> {
    Ok(post_kubeconfig(state, principal, id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{EventKind, Level};
    use crate::store::InstallId;

    fn line(step: StepId, message: &str) -> Event {
        Event::new(
            InstallId::new(),
            1,
            time::OffsetDateTime::UNIX_EPOCH,
            EventKind::Log,
            Level::Info,
            Some(step),
            Some(1),
            None,
            message.to_string(),
        )
    }

    #[test]
    fn the_first_sign_in_is_the_installers_own_lines_about_it_redacted() {
        let secret = secrecy::SecretString::from("s3cr3t-initial-pw".to_string());
        crate::redact::register(&secret);
        let events = [
            line(StepId::Platform, "installer: step 3/8"),
            line(
                StepId::Platform,
                "installer: sign in at https://katonic.example.com as admin@example.com",
            ),
            line(
                StepId::Platform,
                "installer: initial password: s3cr3t-initial-pw",
            ),
            line(StepId::Verify, "login page answers 200"),
        ];
        let shown = sign_in_lines(&events);
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(shown[0].contains("admin@example.com"));
        assert!(!shown[1].contains("s3cr3t-initial-pw"), "{}", shown[1]);
    }
}
