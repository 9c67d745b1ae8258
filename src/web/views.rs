//! View models: what each template shows, precomputed as display strings so templates stay
//! free of logic.

use super::filters;
use crate::app::review::Reviewed;
use crate::format::{duration, money, target, timestamp};
use crate::store::{InstallRecord, StepRecord};
use askama::Template;
use katonic_domain::plan::InstallPlan;
use katonic_domain::spec::{FieldError, IpBudget, SpecErrors, Warning};

/// A field path as a DOM id (`cluster.network.vnetCidr` → `f-cluster-network-vnetCidr`).
pub fn dom_id(path: &str) -> String {
    format!("f-{}", path.replace('.', "-"))
}

#[derive(Debug, Clone)]
pub struct OptionView {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl OptionView {
    pub fn new(value: &str, label: &str, selected: bool) -> Self {
        OptionView {
            value: value.to_string(),
            label: label.to_string(),
            selected,
        }
    }
}

#[derive(Debug, Clone)]
pub struct FieldView {
    pub path: String,
    pub id: String,
    pub label: String,
    pub help: String,
    pub placeholder: String,
    pub group: Option<String>,
    /// `text` | `number` | `select` | `checkbox` | `zones`
    pub kind: &'static str,
    pub value: String,
    pub checked: bool,
    pub options: Vec<OptionView>,
    pub datalist: Option<String>,
    pub error: Option<FieldError>,
    /// What the wizard says beside the field (a VM size's figures, a version's support).
    pub note: Option<super::wizard::Note>,
    /// The field applies only while another field has a given value.
    pub shown_when: Option<super::wizard::ShownWhen>,
    /// It does not apply with the current answers.
    pub hidden: bool,
}

#[derive(Debug, Clone)]
pub struct NavItem {
    pub title: String,
    pub url: String,
    pub current: bool,
    pub problems: usize,
}

#[derive(Debug, Clone)]
pub struct Override {
    pub field: String,
    pub vendor: String,
    pub why: String,
}

#[derive(Template)]
#[template(path = "wizard.html")]
pub struct WizardPage {
    /// Installs are rehearsed with simulated steps (a banner says so).
    pub simulated: bool,
    pub install_name: String,
    pub title: String,
    pub intro: String,
    pub action_url: String,
    pub check_url: String,
    pub back: bool,
    pub nav: Vec<NavItem>,
    pub fields: Vec<FieldView>,
    pub step_errors: Vec<FieldError>,
    pub panel: String,
    pub overrides: Vec<Override>,
    /// The VM size picker's choices (name, figures).
    pub vm_sizes: Vec<super::wizard::Choice>,
    /// The Kubernetes version picker's choices (release, support dates).
    pub k8s_versions: Vec<super::wizard::Choice>,
    /// The domain page's certificate upload (when the page has one).
    pub certificate: Option<CertificateSection>,
    /// The network page's first choice: the console's own VNet (issue 14).
    pub console_network: Option<super::wizard::ConsoleNetworkSection>,
}

/// A certificate as the pages show it: never anything of its key.
#[derive(Debug, Clone)]
pub struct CertificateView {
    pub subject: String,
    pub issuer: String,
    pub names: String,
    pub not_after: String,
    pub fingerprint: String,
    pub chain_len: usize,
}

impl CertificateView {
    pub fn new(s: &crate::cluster::tls::CertificateSummary) -> Self {
        CertificateView {
            subject: s.subject.clone(),
            issuer: s.issuer.clone(),
            names: s.names.join(", "),
            not_after: timestamp(s.not_after),
            fingerprint: s.fingerprint.clone(),
            chain_len: s.chain_len,
        }
    }
}

/// The certificate upload on the domain page (`tls: provided`). The key's text is never sent
/// back: a stored key is only said to be there.
#[derive(Debug, Clone)]
pub struct CertificateSection {
    /// Swapped in out of band (the TLS mode changed on the page).
    pub oob: bool,
    /// Shown only while the TLS mode is `provided`.
    pub visible: bool,
    pub action_url: String,
    pub stored: Option<CertificateView>,
    pub key_stored: bool,
    /// Why the stored certificate cannot be used now (domain or add-ons changed, expired).
    pub problem: Option<FieldError>,
    /// What was pasted, refilled after a refused upload (the certificate is public).
    pub certificate_pem: String,
    pub certificate_error: Option<FieldError>,
    pub key_error: Option<FieldError>,
}

/// The domain page's certificate section alone, swapped out of band.
#[derive(Template)]
#[template(path = "certificate.html")]
pub struct CertificateFragment<'a> {
    pub c: &'a CertificateSection,
}

/// htmx response to a field change: out-of-band swaps only.
#[derive(Template)]
#[template(path = "check.html")]
pub struct CheckFragment {
    pub fields: Vec<FieldView>,
    pub step_errors: Vec<FieldError>,
    pub panel: String,
    /// The certificate section, when a change showed or hid it.
    pub certificate: String,
}

#[derive(Template)]
#[template(path = "panels/ip_budget.html")]
pub struct IpBudgetPanel {
    pub oob: bool,
    pub budget: Option<IpBudget>,
    pub problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "panels/capacity.html")]
pub struct CapacityPanel {
    pub oob: bool,
    pub plan: Option<PlanView>,
}

#[derive(Template)]
#[template(path = "panels/hosts.html")]
pub struct HostsPanel {
    pub oob: bool,
    /// (host, what it serves)
    pub hosts: Vec<(String, String)>,
    pub problems: Vec<String>,
    pub internal: bool,
    /// The records point at the Application Gateway's frontend (else the load balancer's).
    pub gateway: bool,
    /// `<name>.katonic.ai`: Katonic publishes the records.
    pub katonic: bool,
}

/// A plan, as the review and install pages show it.
pub struct PlanView {
    pub steps: Vec<StepRow>,
    pub critical_path: String,
    pub critical_path_time: String,
    pub sequential_time: String,
    pub resources: Vec<ResourceRow>,
    pub budget: IpBudget,
    pub quota: Vec<(String, String, u32)>,
    pub cost_lines: Vec<(String, String, String, String)>,
    pub cost_min: String,
    pub cost_max: String,
    pub cost_basis: String,
    pub cost_as_of: String,
    pub usage_based: Vec<String>,
    pub warnings: Vec<Warning>,
    /// This install's topology (server-generated SVG), where the spec is at hand.
    pub topology: Option<String>,
}

pub struct StepRow {
    pub number: usize,
    pub id: String,
    pub title: String,
    pub detail: String,
    pub depends_on: String,
    pub expected: String,
    pub critical: bool,
    pub status: String,
    pub attempt: i64,
}

pub struct ResourceRow {
    pub title: String,
    pub kind: String,
    pub name: String,
    pub count: String,
    pub note: String,
    pub by_console: bool,
}

impl PlanView {
    /// With the picture of `spec`'s topology.
    pub fn with_topology(mut self, spec: &katonic_domain::spec::InstallSpec) -> PlanView {
        self.topology = Some(katonic_domain::plan::topology::svg(spec));
        self
    }

    pub fn new(plan: &InstallPlan, stored_steps: &[StepRecord]) -> PlanView {
        let currency = plan.cost.currency.as_str();
        PlanView {
            steps: step_rows(plan, stored_steps),
            critical_path: plan
                .critical_path
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" → "),
            critical_path_time: duration(plan.critical_path_secs),
            sequential_time: duration(plan.sequential_secs),
            resources: plan.resources.iter().map(resource_row).collect(),
            budget: plan.ip_budget.clone(),
            quota: plan
                .quota
                .iter()
                .map(|q| (q.family.clone(), q.vm_sizes.join(", "), q.vcpus_at_max))
                .collect(),
            cost_lines: cost_rows(plan, currency),
            cost_min: money(currency, plan.cost.monthly_min),
            cost_max: money(currency, plan.cost.monthly_max),
            cost_basis: plan.cost.basis.clone(),
            cost_as_of: plan.cost.prices_as_of.clone(),
            usage_based: plan.cost.usage_based.clone(),
            warnings: plan.warnings.clone(),
            topology: None,
        }
    }
}

/// The plan's steps, numbered, each with where the journal has it (`pending` before it ran).
fn step_rows(plan: &InstallPlan, stored_steps: &[StepRecord]) -> Vec<StepRow> {
    plan.steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let stored = stored_steps.iter().find(|r| r.step_id == s.id);
            StepRow {
                number: i + 1,
                id: s.id.to_string(),
                title: s.title.clone(),
                detail: s.detail.clone(),
                depends_on: s
                    .depends_on
                    .iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                expected: duration(s.expected_secs),
                critical: s.on_critical_path,
                status: stored.map_or("pending".to_string(), |r| {
                    serde_json::to_value(r.status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                }),
                attempt: stored.map_or(0, |r| r.attempt),
            }
        })
        .collect()
}

fn resource_row(r: &katonic_domain::plan::PlannedResource) -> ResourceRow {
    ResourceRow {
        title: r.title.clone(),
        kind: r.kind.clone(),
        name: r.name.clone(),
        count: if r.count_min == r.count_max {
            r.count_min.to_string()
        } else {
            format!("{}–{}", r.count_min, r.count_max)
        },
        note: r.note.clone(),
        by_console: r.created_by_console,
    }
}

/// Item, unit price, monthly minimum and maximum.
fn cost_rows(plan: &InstallPlan, currency: &str) -> Vec<(String, String, String, String)> {
    plan.cost
        .lines
        .iter()
        .map(|l| {
            (
                l.item.clone(),
                l.unit_price.clone(),
                money(currency, l.monthly_min),
                money(currency, l.monthly_max),
            )
        })
        .collect()
}

/// An error on the review page, with the page that fixes it.
pub struct ErrorRow {
    pub error: FieldError,
    pub url: String,
    pub page: String,
}

#[derive(Template)]
#[template(path = "review.html")]
pub struct ReviewPage {
    /// Installs are rehearsed with simulated steps (a banner says so).
    pub simulated: bool,
    pub install_id: String,
    pub install_name: String,
    pub nav: Vec<NavItem>,
    pub errors: Vec<ErrorRow>,
    pub plan: Option<PlanView>,
    pub yaml: String,
    pub is_draft: bool,
    /// The uploaded certificate (`tls: provided`).
    pub certificate: Option<CertificateView>,
    /// The lead: what goes where, how long, what it costs (valid specs only).
    pub summary: Vec<super::review_summary::SummaryRow>,
    /// Where the console runs, as the settings say (no Azure call from the web layer).
    pub placement: String,
    /// `cluster.access` as asked (`auto` when absent).
    pub access: String,
    /// Preflight's decision, once it has run (`panels/placement.html`).
    pub reach: Option<super::run_pages::Reach>,
}

impl ReviewPage {
    pub fn new(
        install: &InstallRecord,
        reviewed: Result<&Reviewed, &SpecErrors>,
        nav: Vec<NavItem>,
    ) -> Result<ReviewPage, super::WebError> {
        let id = install.id;
        let summary = reviewed.ok().map(|r| {
            let view = PlanView::new(&r.plan, &[]);
            let cost = format!("{} – {}", view.cost_min, view.cost_max);
            super::review_summary::summary(&r.document, &view.critical_path_time, &cost)
        });
        let (errors, plan, yaml) = match reviewed {
            Ok(r) => (
                Vec::new(),
                Some(PlanView::new(&r.plan, &[]).with_topology(&r.spec)),
                katonic_domain::spec::to_yaml(&r.document),
            ),
            Err(e) => (
                e.errors
                    .iter()
                    .map(|err| {
                        let page = super::wizard::step_of(&err.field);
                        let title = super::wizard::STEPS
                            .iter()
                            .find(|s| s.id == page)
                            .map_or("Review", |s| s.title);
                        ErrorRow {
                            error: err.clone(),
                            url: if page == "review" {
                                format!("/installs/{id}/review")
                            } else {
                                format!("/installs/{id}/wizard/{page}#{}", dom_id(&err.field))
                            },
                            page: title.to_string(),
                        }
                    })
                    .collect(),
                None,
                katonic_domain::spec::to_yaml(&install.answers),
            ),
        };
        Ok(ReviewPage {
            simulated: false,
            install_id: id.to_string(),
            install_name: install.name.clone(),
            nav,
            errors,
            plan,
            yaml,
            is_draft: install.status == crate::store::InstallStatus::Draft,
            certificate: None,
            summary: summary.unwrap_or_default(),
            placement: String::new(),
            access: install
                .answers
                .cluster
                .access
                .clone()
                .unwrap_or_else(|| "auto".to_string()),
            reach: None,
        })
    }

    /// Show the uploaded certificate; a reason it cannot be used becomes one more error to fix.
    pub fn with_certificate(mut self, status: &crate::app::certificate::CertificateStatus) -> Self {
        self.certificate = status.summary.as_ref().map(CertificateView::new);
        if let Some(problem) = &status.problem {
            self.errors.push(ErrorRow {
                error: problem.clone(),
                url: format!("/installs/{}/wizard/domain#certificate", self.install_id),
                page: "Domain, ingress & TLS".to_string(),
            });
        }
        self
    }
}

pub struct HistoryRow {
    pub id: String,
    pub name: String,
    /// The status as a CSS class suffix (`torn-down` once a teardown succeeded).
    pub status: String,
    /// The status as read (`torn down`, `succeeded`…).
    pub status_label: String,
    /// A teardown run that has not (yet) succeeded: `teardown running`, `teardown failed`…
    pub teardown_note: Option<String>,
    pub is_draft: bool,
    pub target: String,
    pub created: String,
    pub updated: String,
}

impl From<&crate::store::HistoryEntry> for HistoryRow {
    fn from(s: &crate::store::HistoryEntry) -> Self {
        let torn_down = s.teardown == Some(crate::store::InstallStatus::Succeeded);
        HistoryRow {
            id: s.id.to_string(),
            name: s.name.clone(),
            status: if torn_down {
                "torn-down".to_string()
            } else {
                s.status.to_string()
            },
            status_label: if torn_down {
                "torn down".to_string()
            } else {
                s.status.to_string()
            },
            teardown_note: s
                .teardown
                .filter(|_| !torn_down)
                .map(|t| format!("teardown {t}")),
            is_draft: s.status == crate::store::InstallStatus::Draft,
            target: target(
                s.subscription_id.as_deref(),
                s.resource_group.as_deref(),
                s.cluster_name.as_deref(),
            ),
            created: timestamp(s.created_at),
            updated: timestamp(s.updated_at),
        }
    }
}

#[derive(Template)]
#[template(path = "history.html")]
pub struct HistoryPage {
    /// Installs are rehearsed with simulated steps (a banner says so).
    pub simulated: bool,
    pub rows: Vec<HistoryRow>,
    pub upload_errors: Vec<FieldError>,
}

#[derive(Template)]
#[template(path = "install.html")]
pub struct InstallPage {
    /// Installs are rehearsed with simulated steps (a banner says so).
    pub simulated: bool,
    pub id: String,
    pub name: String,
    pub status: String,
    pub is_draft: bool,
    pub target: String,
    pub created: String,
    pub updated: String,
    pub cloned_from: Option<String>,
    pub wizard_url: String,
    pub has_spec: bool,
    pub plan: Option<PlanView>,
    pub run: Option<super::run_pages::RunPage>,
    /// Who did what to this install, oldest first.
    pub audit: Vec<AuditRow>,
    pub teardown: super::teardown::TeardownLinks,
    /// In a rehearsal, how the simulated clock relates to Azure's (steps' "took" vs "expected").
    pub rehearsal_clock: Option<String>,
}

/// One line of the install page's audit list.
pub struct AuditRow {
    pub when: String,
    pub who: String,
    pub what: String,
}

impl AuditRow {
    pub fn new(e: &crate::store::AuditEntry) -> AuditRow {
        let what = if e.detail.is_empty() {
            e.action.clone()
        } else {
            format!("{} ({})", e.action, e.detail)
        };
        AuditRow {
            when: crate::format::timestamp(e.at),
            who: e.actor.clone(),
            what,
        }
    }
}
