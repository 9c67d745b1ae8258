//! Live panels beside the wizard's fields: the AKS subnet's IP budget, vCPU quota and cost, and
//! the host names the install will serve. Redrawn on every change (htmx out-of-band swap).

use super::steps::Panel;
use crate::app::review::{self, Reviewed};
use crate::web::error::WebError;
use crate::web::form::{self, FieldValue};
use crate::web::views::{CapacityPanel, HostsPanel, IpBudgetPanel};
use askama::Template;
use katonic_domain::spec::{Fqdn, InstallDocument, SpecErrors};

/// The panel's HTML (empty for pages without one).
pub fn render(panel: Panel, answers: &InstallDocument, oob: bool) -> Result<String, WebError> {
    let html = match panel {
        Panel::None => Ok(String::new()),
        Panel::IpBudget => {
            let (budget, problems) = match probe(answers) {
                Ok(r) => (Some(r.spec.ip_budget()), Vec::new()),
                Err(e) => (None, network_problems(&e)),
            };
            IpBudgetPanel {
                oob,
                budget,
                problems,
            }
            .render()
        }
        Panel::Capacity => {
            let plan = probe(answers)
                .ok()
                .map(|r| crate::web::views::PlanView::new(&r.plan, &[]));
            CapacityPanel { oob, plan }.render()
        }
        Panel::Hosts => hosts_panel(answers, oob).render(),
    };
    html.map_err(|e| WebError::internal("panel template", e))
}

/// The capacity errors, the reason a budget cannot be shown.
fn network_problems(errors: &SpecErrors) -> Vec<String> {
    errors
        .errors
        .iter()
        .filter(|e| e.field.starts_with("cluster.") || e.field == "ingress.loadBalancer")
        .map(|e| format!("{}: {} ({})", e.field, e.message, e.fix))
        .collect()
}

/// The answers made plannable by standing in for fields the current page does not depend on
/// (an empty subscription ID should not hide the IP budget). Only identity-like fields outside
/// the cluster section are replaced; the cluster, its network and pools are used as given.
fn probe(answers: &InstallDocument) -> Result<Reviewed, SpecErrors> {
    let today = review::today();
    let errors = match review::review(answers, today) {
        Ok(r) => return Ok(r),
        Err(e) => e,
    };
    let defaults = katonic_domain::spec::default_document();
    let stand_ins: Vec<(String, FieldValue)> = errors
        .errors
        .iter()
        .filter(|e| !e.field.starts_with("cluster.") && e.field != "ingress.loadBalancer")
        .map(|e| {
            let path = if e.field.starts_with("addons.") {
                "domain.fqdn"
            } else {
                e.field.as_str()
            };
            let stand_in = match path {
                "azure.subscriptionId" | "azure.tenantId" => {
                    "00000000-0000-4000-8000-000000000001".to_string()
                }
                "domain.fqdn" => "probe.example.com".to_string(),
                "name" => "probe".to_string(),
                "azure.resourceGroup" => "rg-probe".to_string(),
                other => form::get(&defaults, other),
            };
            let value = if stand_in.is_empty() {
                FieldValue::Remove
            } else {
                FieldValue::Text(Some(stand_in))
            };
            (path.to_string(), value)
        })
        .collect();
    let updates: Vec<(&str, FieldValue)> = stand_ins
        .iter()
        .map(|(p, v)| (p.as_str(), v.clone()))
        .collect();
    match form::apply(answers, &updates) {
        Ok(doc) => review::review(&doc, today),
        Err(_) => Err(errors),
    }
}

fn hosts_panel(answers: &InstallDocument, oob: bool) -> HostsPanel {
    let katonic = answers
        .domain
        .katonic_subdomain
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .and_then(|k| katonic_domain::spec::katonic_fqdn(k).ok());
    let fqdn = answers
        .domain
        .fqdn
        .as_deref()
        .and_then(|f| Fqdn::parse(f).ok())
        .or(katonic.clone());
    let internal = answers.ingress.load_balancer.as_deref() != Some("external");
    let gateway = match answers.ingress.gateway.as_deref().map(str::trim) {
        Some(g) if !g.is_empty() => g == "applicationGateway",
        _ => katonic_domain::spec::default_gateway_on(
            answers.cluster.network.existing_vnet.is_some()
                || answers.cluster.mode.as_deref() == Some("existing")
                || answers.domain.tls.as_deref() == Some("acme"),
        ),
    };
    let mut hosts = Vec::new();
    let mut problems = Vec::new();
    if let Some(fqdn) = &fqdn {
        hosts.push((fqdn.to_string(), "Katonic platform".to_string()));
        for (enabled, prefix, what) in [
            (
                answers.addons.superset == Some(true),
                "dash-",
                "Superset (data visualisation)",
            ),
            (
                answers.addons.airbyte == Some(true),
                "connectors-",
                "Airbyte (connectors)",
            ),
        ] {
            if enabled {
                match fqdn.with_prefix(prefix) {
                    Ok(host) => hosts.push((host.to_string(), what.to_string())),
                    Err(e) => problems.push(format!("{prefix}{fqdn}: {} ({})", e.message, e.fix)),
                }
            }
        }
    }
    HostsPanel {
        oob,
        hosts,
        problems,
        internal,
        gateway,
        katonic: katonic.is_some()
            && answers
                .domain
                .fqdn
                .as_deref()
                .is_none_or(|f| f.trim().is_empty()),
    }
}
