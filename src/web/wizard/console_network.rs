//! The network page's first choice (issue 14, item 3): when the console runs in an Azure VNet,
//! "install into the VNet this console runs in" with that VNet's subnets (range, free or the
//! console's own), before the new-VNet fields; each option says how the cluster will then be
//! reached (preflight's own decision). Outside Azure the page says so. What is offered comes from
//! the worker (ARM reads); the web makes no Azure call itself.

use super::{FormPairs, load_install, save, step_page, value, wizard_url};
use crate::app::network::{ConsoleVnetPick, NO_GATEWAY, into_console_vnet};
use crate::app::review;
use crate::store::{InstallRecord, InstallStatus};
use crate::web::AppState;
use crate::web::error::{WebError, render};
use crate::web::views::OptionView;
use crate::worker::{ConsoleVnet, NetworkOffer, ReachNote};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

/// The wizard page that holds the network.
pub(super) const CLUSTER: &str = "cluster";

/// The section above the network fields.
#[derive(Debug, Clone)]
pub struct ConsoleNetworkSection {
    /// Where the console runs, in one line.
    pub placement: String,
    pub vnet: Option<VnetView>,
    /// How a new VNet's cluster would be reached (absent when nothing is known).
    pub new_vnet: Option<ReachView>,
    /// Why the last "install into this VNet" was refused.
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct VnetView {
    pub name: String,
    pub resource_group: String,
    pub address_space: String,
    pub action_url: String,
    /// The draft installs into it already.
    pub chosen: bool,
    pub subnets: Vec<SubnetView>,
    pub aks_options: Vec<OptionView>,
    pub jumphost_options: Vec<OptionView>,
    /// `none` first (no gateway), then the subnets; the proposal selected.
    pub gateway_options: Vec<OptionView>,
    pub reach: Option<ReachView>,
}

#[derive(Debug, Clone)]
pub struct SubnetView {
    pub name: String,
    pub prefix: String,
    /// `console` | `inUse` | `free`
    pub status: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Clone)]
pub struct ReachView {
    /// `direct` | `runCommand` | `peering` | `refused`
    pub mode: String,
    pub how: &'static str,
    pub why: String,
}

impl ReachView {
    fn new(note: &ReachNote) -> Self {
        let mode = note.mode.clone().unwrap_or_else(|| "refused".into());
        let how = match mode.as_str() {
            "direct" => "directly",
            "runCommand" => "through AKS Run Command (over ARM)",
            "peering" => "through a VNet peering the install creates",
            _ => "not at all: preflight would refuse this choice",
        };
        ReachView {
            mode,
            how,
            why: note.text.clone(),
        }
    }
}

/// The section for `install`'s answers, as the console's network is now.
pub(super) async fn section(state: &AppState, install: &InstallRecord) -> ConsoleNetworkSection {
    let offer = state.app().network_offer(&install.answers).await;
    view(install, &offer, None)
}

fn view(
    install: &InstallRecord,
    offer: &NetworkOffer,
    error: Option<String>,
) -> ConsoleNetworkSection {
    let existing = install.answers.cluster.network.existing_vnet.as_ref();
    let vnet = offer.console_vnet.as_ref().map(|v| {
        let chosen = existing.is_some_and(|e| {
            e.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(&v.name))
                && e.resource_group
                    .as_deref()
                    .is_some_and(|g| g.eq_ignore_ascii_case(&v.resource_group))
        });
        let picked = |current: Option<&String>, proposed: Option<&str>| {
            current
                .filter(|_| chosen)
                .map(String::as_str)
                .or(proposed)
                .unwrap_or_default()
                .to_string()
        };
        let aks = picked(
            existing.and_then(|e| e.aks_subnet.as_ref()),
            v.proposed_aks().map(|s| s.name.as_str()),
        );
        let jump = picked(
            existing.and_then(|e| e.jumphost_subnet.as_ref()),
            Some(v.console_subnet.as_str()),
        );
        let gateway = gateway_choice(install, v, chosen, &aks);
        let options = |selected: &str| {
            v.subnets
                .iter()
                .map(|s| {
                    let label = format!("{} ({}, {})", s.name, s.prefix, s.status.label());
                    OptionView::new(&s.name, &label, s.name.eq_ignore_ascii_case(selected))
                })
                .collect::<Vec<_>>()
        };
        let mut gateway_options = vec![OptionView::new(
            NO_GATEWAY,
            "none: no gateway, the cluster's load balancer directly",
            gateway == NO_GATEWAY,
        )];
        gateway_options.extend(options(&gateway));
        VnetView {
            name: v.name.clone(),
            resource_group: v.resource_group.clone(),
            address_space: v.address_space.join(", "),
            action_url: format!("/installs/{}/console-vnet", install.id),
            chosen,
            subnets: v
                .subnets
                .iter()
                .map(|s| SubnetView {
                    name: s.name.clone(),
                    prefix: s.prefix.clone(),
                    status: s.status.as_str(),
                    label: s.status.label(),
                })
                .collect(),
            aks_options: options(&aks),
            jumphost_options: options(&jump),
            gateway_options,
            reach: offer.reach_console_vnet.as_ref().map(ReachView::new),
        }
    });
    ConsoleNetworkSection {
        placement: offer.placement.clone(),
        vnet,
        new_vnet: offer.reach_new_vnet.as_ref().map(ReachView::new),
        error,
    }
}

/// The gateway subnet shown selected: the draft's own once it uses this VNet, else the
/// proposal (none when the draft has no gateway or no free subnet has room for it).
fn gateway_choice(install: &InstallRecord, v: &ConsoleVnet, chosen: bool, aks: &str) -> String {
    let answers = &install.answers;
    let off = answers.ingress.gateway.as_deref().map(str::trim) == Some(NO_GATEWAY);
    let existing = answers.cluster.network.existing_vnet.as_ref();
    if let Some(name) = existing
        .and_then(|e| e.gateway_subnet.as_ref())
        .filter(|_| chosen)
    {
        return name.clone();
    }
    if off || chosen {
        return NO_GATEWAY.to_string();
    }
    let max = answers
        .ingress
        .application_gateway
        .as_ref()
        .and_then(|g| g.max_capacity.as_ref())
        .and_then(|m| m.as_text().trim().parse().ok())
        .unwrap_or(katonic_domain::spec::DEFAULT_MAX_CAPACITY);
    v.proposed_gateway(aks, max)
        .map_or_else(|| NO_GATEWAY.to_string(), |s| s.name.clone())
}

/// `POST /installs/{id}/console-vnet` (`aksSubnet`, `jumphostSubnet`): the
/// draft installs into the console's VNet with these subnets, their ranges as Azure reports
/// them; a refusal shows the page again with why.
pub async fn post_console_vnet(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, WebError> {
    let install = load_install(&state, &id).await?;
    if install.status != InstallStatus::Draft {
        return Ok(Redirect::to(&format!("/installs/{}", install.id)).into_response());
    }
    let pick = ConsoleVnetPick {
        aks: value(&pairs, "aksSubnet").unwrap_or_default().trim(),
        jumphost: value(&pairs, "jumphostSubnet").unwrap_or_default().trim(),
        gateway: value(&pairs, "gatewaySubnet").unwrap_or_default().trim(),
    };
    let offer = state.app().network_offer(&install.answers).await;
    let moved = into_console_vnet(
        &install.answers,
        offer.console_vnet.as_ref(),
        &offer.placement,
        pick,
    );
    match moved {
        Ok(answers) => {
            let reviewed = review::review(&answers, review::today());
            save(&state, &install, &answers, CLUSTER, reviewed.as_ref().ok()).await?;
            let url = format!("{}#console-network", wizard_url(install.id, CLUSTER));
            Ok(Redirect::to(&url).into_response())
        }
        Err(e) => {
            let step = super::find_step(CLUSTER)?;
            let errors = review::review(&install.answers, review::today()).err();
            let mut page = step_page(&install, step, errors.as_ref(), false)?;
            page.simulated = state.simulated();
            page.console_network = Some(view(&install, &offer, Some(e.to_string())));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}
