//! The install wizard: one page per step, each field validated on change (htmx) by the same
//! rules as the API, answers autosaved as a draft, ending in the review of the plan.

mod certificate_page;
mod console_network;
mod guide;
mod panels;
mod steps;

use certificate_page::certificate_section;
pub use certificate_page::post_certificate;
pub use console_network::{ConsoleNetworkSection, post_console_vnet};
pub use guide::{Choice, Note, ShownWhen};
pub use steps::{STEPS, step_of};

use super::AppState;
use super::error::{WebError, render};
use super::form::{self, FieldValue};
use super::views::{self, FieldView, NavItem, OptionView};
use crate::app::certificate;
use crate::app::review::{self, Reviewed};
use crate::store::{InstallId, InstallRecord, InstallStatus};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use katonic_domain::spec::{FieldError, InstallDocument, SpecErrors, catalog};
use steps::{Kind, REVIEW, Step};

type FormPairs = Vec<(String, String)>;

/// An install id from a URL; anything else is a page that does not exist.
pub(super) fn parse_id(id: &str) -> Result<InstallId, WebError> {
    InstallId::parse(id).ok_or_else(|| WebError::NotFound(format!("no install with id {id}")))
}

/// Load a draft, or say why the wizard cannot edit it.
pub(super) async fn load_install(state: &AppState, id: &str) -> Result<InstallRecord, WebError> {
    let id = parse_id(id)?;
    state
        .store
        .install(id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("no install with id {id}")))
}

fn wizard_url(id: InstallId, page: &str) -> String {
    if page == REVIEW {
        format!("/installs/{id}/review")
    } else {
        format!("/installs/{id}/wizard/{page}")
    }
}

/// `GET /installs/{id}/wizard/{step}`
pub async fn get_step(
    State(state): State<AppState>,
    Path((id, page)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let install = load_install(&state, &id).await?;
    if install.status != InstallStatus::Draft {
        return Ok(Redirect::to(&format!("/installs/{}", install.id)).into_response());
    }
    let step = find_step(&page)?;
    let errors = review::review(&install.answers, review::today()).err();
    let mut page = step_page(&install, step, errors.as_ref(), false)?;
    page.simulated = state.simulated();
    if step.id == DOMAIN {
        page.certificate = Some(certificate_section(&state, &install, &install.answers).await?);
    }
    if step.id == console_network::CLUSTER {
        page.console_network = Some(console_network::section(&state, &install).await);
    }
    Ok(render(&page)?.into_response())
}

/// The wizard page that holds the certificate upload.
const DOMAIN: &str = "domain";

/// A page's form applied to a draft's answers, and the result checked (not yet saved).
struct Submission {
    install: InstallRecord,
    step: &'static Step,
    answers: InstallDocument,
    reviewed: Result<Reviewed, SpecErrors>,
}

async fn submit(
    state: &AppState,
    id: &str,
    page: &str,
    pairs: &FormPairs,
) -> Result<Submission, WebError> {
    let install = load_install(state, id).await?;
    let step = find_step(page)?;
    let answers = apply_form(&install.answers, step, pairs)?;
    let reviewed = review::review(&answers, review::today());
    Ok(Submission {
        install,
        step,
        answers,
        reviewed,
    })
}

fn find_step(page: &str) -> Result<&'static Step, WebError> {
    steps::step(page).ok_or_else(|| WebError::NotFound(format!("no wizard page {page}")))
}

/// `POST /installs/{id}/wizard/{step}`: save the page's answers, then go back, stay or move on.
pub async fn post_step(
    State(state): State<AppState>,
    Path((id, page)): Path<(String, String)>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, WebError> {
    let Submission {
        mut install,
        step,
        answers,
        reviewed,
    } = submit(&state, &id, &page, &pairs).await?;
    let action = value(&pairs, "_action").unwrap_or("next");
    let target = match action {
        "back" => steps::previous(step.id).unwrap_or(step.id),
        "next" => steps::next(step.id),
        _ => step.id,
    };
    save(&state, &install, &answers, target, reviewed.as_ref().ok()).await?;
    let step_errors = reviewed
        .as_ref()
        .err()
        .filter(|e| e.errors.iter().any(|err| steps::owns(step, &err.field)));
    match (action, step_errors) {
        ("next", Some(errors)) => {
            install.answers = answers;
            let mut page = step_page(&install, step, Some(errors), true)?;
            page.simulated = state.simulated();
            if step.id == DOMAIN {
                page.certificate =
                    Some(certificate_section(&state, &install, &install.answers).await?);
            }
            if step.id == console_network::CLUSTER {
                page.console_network = Some(console_network::section(&state, &install).await);
            }
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        ("save", _) => Ok(Redirect::to(&format!("/installs/{}", install.id)).into_response()),
        _ => Ok(Redirect::to(&wizard_url(install.id, target)).into_response()),
    }
}

/// `POST /installs/{id}/wizard/{step}/check` (htmx, on change): autosave, then return the
/// page's field errors and live panel as out-of-band swaps.
pub async fn post_check(
    State(state): State<AppState>,
    Path((id, page)): Path<(String, String)>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, WebError> {
    let Submission {
        install,
        step,
        answers,
        reviewed,
    } = submit(&state, &id, &page, &pairs).await?;
    save(&state, &install, &answers, step.id, reviewed.as_ref().ok()).await?;
    let errors = reviewed.as_ref().err();
    // Show or hide the upload when the TLS mode changed; otherwise leave it (and whatever is
    // being pasted into it) alone.
    let certificate = if step.id == DOMAIN
        && certificate::wants_upload(&install.answers) != certificate::wants_upload(&answers)
    {
        let mut section = certificate_section(&state, &install, &answers).await?;
        section.oob = true;
        render(&views::CertificateFragment { c: &section })?.0
    } else {
        String::new()
    };
    let check = views::CheckFragment {
        fields: field_views(step, &answers, errors, false),
        step_errors: step_level_errors(step, errors),
        panel: panels::render(step.panel, &answers, true)?,
        certificate,
    };
    Ok(render(&check)?.into_response())
}

/// `GET /installs/{id}/review`: the plan, or every error with a link to the page that fixes it.
pub async fn get_review(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let install = load_install(&state, &id).await?;
    let reviewed = review::review(&install.answers, review::today());
    let mut page = views::ReviewPage::new(
        &install,
        reviewed.as_ref(),
        nav(&install, REVIEW, reviewed.as_ref().err()),
    )?;
    page.simulated = state.simulated();
    page.placement = super::settings::placement_note(&state);
    // Preflight's decision, when it has run (a failed or resumed install): read, never asked.
    page.reach = state
        .store
        .steps(install.id)
        .await?
        .iter()
        .find(|r| r.step_id == katonic_domain::plan::StepId::Preflight)
        .and_then(|r| r.outputs.as_ref())
        .and_then(super::run_pages::Reach::from_outputs);
    if let Ok(r) = &reviewed
        && r.spec.domain.tls == katonic_domain::spec::TlsMode::Provided
    {
        // Checked again on every review: the domain or add-ons may have changed since.
        let hosts = certificate::hosts_of_spec(&r.spec);
        let status = certificate::status(
            &state.store,
            install.id,
            Ok(&hosts),
            time::OffsetDateTime::now_utc(),
        )
        .await?;
        page = page.with_certificate(&status);
    }
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)?).into_response())
}

async fn save(
    state: &AppState,
    install: &InstallRecord,
    answers: &InstallDocument,
    page: &str,
    reviewed: Option<&Reviewed>,
) -> Result<(), WebError> {
    let name = answers
        .name
        .clone()
        .unwrap_or_else(|| "untitled".to_string());
    let validated = reviewed.map(Reviewed::validated);
    state
        .store
        .save_draft(install.id, &name, answers, page, validated.as_ref())
        .await?;
    Ok(())
}

fn value<'a>(pairs: &'a FormPairs, key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Write one page's form into the answers. Checkboxes absent from the form are off; an empty
/// text field means "not given" (the spec's default applies).
fn apply_form(
    answers: &InstallDocument,
    step: &Step,
    pairs: &FormPairs,
) -> Result<InstallDocument, WebError> {
    let mut updates: Vec<(&str, FieldValue)> = Vec::new();
    let mut removals: Vec<(&str, FieldValue)> = Vec::new();
    let gateway = value(pairs, "ingress.gateway")
        .map(str::to_string)
        .unwrap_or_else(|| form::get(answers, "ingress.gateway"));
    for f in step.fields {
        if guide::cleared(f.path, gateway.trim(), answers) {
            updates.push((f.path, FieldValue::Text(None)));
            continue;
        }
        match f.kind {
            Kind::Checkbox => {
                updates.push((f.path, FieldValue::Bool(value(pairs, f.path).is_some())))
            }
            Kind::Zones => updates.push((
                f.path,
                FieldValue::List(
                    pairs
                        .iter()
                        .filter(|(k, _)| k == f.path)
                        .map(|(_, v)| v.trim().to_string())
                        .collect(),
                ),
            )),
            Kind::Section => {
                if value(pairs, f.path).is_none() {
                    removals.push((f.path, FieldValue::Remove));
                }
            }
            _ => {
                let text = value(pairs, f.path)
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string);
                updates.push((f.path, FieldValue::Text(text)));
            }
        }
    }
    guide::clear_when_off(answers, gateway.trim(), &mut updates, &mut removals);
    updates.extend(removals);
    form::apply(answers, &updates)
        .map_err(|e| WebError::internal("wizard field does not fit the document", e))
}

/// The errors shown on a page. Before the admin presses Next, a still-empty field is not
/// reported as missing (that would greet every new page with a wall of red).
fn shown_error<'a>(
    errors: Option<&'a SpecErrors>,
    answers: &InstallDocument,
    path: &str,
    strict: bool,
) -> Option<&'a FieldError> {
    errors?.errors.iter().find(|e| {
        e.field == path && (strict || e.rule != "required" || !form::get(answers, path).is_empty())
    })
}

/// Errors of a page that belong to no single field (e.g. a whole pool missing).
fn step_level_errors(step: &Step, errors: Option<&SpecErrors>) -> Vec<FieldError> {
    errors
        .map(|e| {
            e.errors
                .iter()
                .filter(|err| steps::owns(step, &err.field))
                .filter(|err| !step.fields.iter().any(|f| f.path == err.field))
                .filter(|err| err.rule != "required")
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn field_views(
    step: &Step,
    answers: &InstallDocument,
    errors: Option<&SpecErrors>,
    strict: bool,
) -> Vec<FieldView> {
    step.fields
        .iter()
        .map(|f| {
            let value = form::get(answers, f.path);
            let (kind, options, datalist) = match f.kind {
                Kind::Text => ("text", Vec::new(), None),
                Kind::Number => ("number", Vec::new(), None),
                Kind::Checkbox => ("checkbox", Vec::new(), None),
                Kind::Section => ("checkbox", Vec::new(), None),
                Kind::Select(choices) => (
                    "select",
                    choices
                        .iter()
                        .map(|(v, label)| OptionView::new(v, label, *v == value))
                        .collect(),
                    None,
                ),
                Kind::Region => ("select", region_options(&value), None),
                Kind::VmSize => ("text", Vec::new(), Some("vm-sizes".to_string())),
                Kind::K8sVersion => ("text", Vec::new(), Some("k8s-versions".to_string())),
                Kind::Zones => {
                    let chosen = form::get_list(answers, f.path);
                    (
                        "zones",
                        ["1", "2", "3"]
                            .iter()
                            .map(|z| {
                                OptionView::new(
                                    z,
                                    &format!("Zone {z}"),
                                    chosen.iter().any(|c| c == z),
                                )
                            })
                            .collect(),
                        None,
                    )
                }
            };
            FieldView {
                path: f.path.to_string(),
                id: views::dom_id(f.path),
                label: f.label.to_string(),
                help: f.help.to_string(),
                placeholder: guide::placeholder(f.path, answers)
                    .unwrap_or_else(|| f.placeholder.to_string()),
                group: f.group.map(str::to_string),
                kind,
                checked: form::is_on(answers, f.path),
                value,
                options,
                datalist,
                error: shown_error(errors, answers, f.path, strict).cloned(),
                note: guide::note(f.path, answers, review::today()),
                shown_when: guide::shown_when(f.path),
                hidden: !guide::applies(f.path, answers),
            }
        })
        .collect()
}

fn region_options(current: &str) -> Vec<OptionView> {
    let mut options = vec![OptionView::new("", "Choose a region", current.is_empty())];
    let mut regions: Vec<_> = catalog::regions().iter().collect();
    regions.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    options.extend(regions.into_iter().map(|r| {
        let label = if r.zones == 0 {
            format!("{} ({}) - no availability zones", r.display_name, r.name)
        } else {
            format!("{} ({})", r.display_name, r.name)
        };
        OptionView::new(&r.name, &label, r.name == current)
    }));
    if !current.is_empty() && catalog::region(current).is_none() {
        options.push(OptionView::new(
            current,
            &format!("{current} (unknown)"),
            true,
        ));
    }
    options
}

fn nav(install: &InstallRecord, current: &str, errors: Option<&SpecErrors>) -> Vec<NavItem> {
    let pages = STEPS
        .iter()
        .map(|s| (s.id, s.title))
        .chain([(REVIEW, "Review")]);
    let current_pos = STEPS
        .iter()
        .position(|s| s.id == current)
        .unwrap_or(STEPS.len());
    pages
        .enumerate()
        .map(|(i, (id, title))| {
            let problems = errors.map_or(0, |e| {
                e.errors
                    .iter()
                    .filter(|err| step_of(&err.field) == id)
                    .count()
            });
            NavItem {
                title: title.to_string(),
                url: wizard_url(install.id, id),
                current: id == current,
                // Only pages already passed are flagged: the ones ahead are not filled in yet.
                problems: if i < current_pos { problems } else { 0 },
            }
        })
        .collect()
}

fn step_page(
    install: &InstallRecord,
    step: &'static Step,
    errors: Option<&SpecErrors>,
    strict: bool,
) -> Result<views::WizardPage, WebError> {
    let overrides = katonic_domain::spec::default_overrides()
        .iter()
        .filter(|(field, _, _)| steps::owns(step, field))
        .map(|(field, vendor, why)| views::Override {
            field: field.to_string(),
            vendor: vendor.to_string(),
            why: why.to_string(),
        })
        .collect();
    Ok(views::WizardPage {
        simulated: false,
        install_name: install.name.clone(),
        title: step.title.to_string(),
        intro: step.intro.to_string(),
        action_url: wizard_url(install.id, step.id),
        check_url: format!("{}/check", wizard_url(install.id, step.id)),
        back: steps::previous(step.id).is_some(),
        nav: nav(install, step.id, errors),
        fields: field_views(step, &install.answers, errors, strict),
        step_errors: step_level_errors(step, errors),
        panel: panels::render(step.panel, &install.answers, false)?,
        overrides,
        vm_sizes: guide::vm_size_choices(review::today()),
        k8s_versions: guide::version_choices(review::today()),
        certificate: None,
        console_network: None,
    })
}
