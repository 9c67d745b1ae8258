//! What the wizard tells an admin beside each field, before Review or preflight would: the
//! chosen VM size's vCPUs, memory and price (an unknown or retired size warned), the Kubernetes
//! version's support dates (a version preflight would refuse on this tier flagged), what Let's
//! Encrypt needs; and which fields only apply in some modes (hidden otherwise).

use super::form;
use katonic_domain::plan::{HOURS_PER_MONTH, prices};
use katonic_domain::spec::GATEWAY_ON;
use katonic_domain::spec::{InstallDocument, catalog};
use time::Date;

/// A line under a field: information, or a warning (something preflight or Azure would refuse).
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub warn: bool,
    pub text: String,
}

impl Note {
    fn info(text: String) -> Option<Note> {
        Some(Note { warn: false, text })
    }
    fn warn(text: String) -> Option<Note> {
        Some(Note { warn: true, text })
    }
}

/// A datalist option: the value and what the picker shows beside it.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// The note under the field at `path`, from the answers as they are now.
pub fn note(path: &str, answers: &InstallDocument, today: Date) -> Option<Note> {
    let value = form::get(answers, path);
    match path {
        p if p.ends_with(".vmSize") => vm_size_note(value.trim(), today)
            .map(|n| with_zones(n, &form::get(answers, "azure.location"), answers)),
        "cluster.kubernetesVersion" => {
            version_note(value.trim(), &form::get(answers, "cluster.tier"), today)
        }
        "domain.tls" if value == "acme" => acme_note(&form::get(answers, "ingress.loadBalancer")),
        _ => None,
    }
}

/// A field that applies only while another field has a given value (or, when `or` is set,
/// while a second field has its value).
#[derive(Debug, Clone, PartialEq)]
pub struct ShownWhen {
    pub field: &'static str,
    pub value: &'static str,
    pub or: Option<(&'static str, &'static str)>,
}

/// The Application Gateway's fields: they apply only with `ingress.gateway: applicationGateway`,
/// and are cleared while it is off (the spec refuses gateway settings without a gateway).
const GATEWAY_FIELDS: [&str; 6] = [
    "ingress.applicationGateway.sku",
    "ingress.applicationGateway.wafMode",
    "ingress.applicationGateway.minCapacity",
    "ingress.applicationGateway.maxCapacity",
    "cluster.network.gatewaySubnetCidr",
    "cluster.network.existingVnet.gatewaySubnet",
];

/// When the field at `path` applies, if not always.
pub fn shown_when(path: &str) -> Option<ShownWhen> {
    match path {
        // The cluster's internal load balancer: internal mode, and both modes behind a gateway.
        "ingress.staticIp" => Some(ShownWhen {
            field: "ingress.loadBalancer",
            value: "internal",
            or: Some(("ingress.gateway", GATEWAY_ON)),
        }),
        p if GATEWAY_FIELDS.contains(&p) => Some(ShownWhen {
            field: "ingress.gateway",
            value: GATEWAY_ON,
            or: None,
        }),
        _ => None,
    }
}

/// Whether the field at `path` applies with these answers.
pub fn applies(path: &str, answers: &InstallDocument) -> bool {
    let has = |field: &str, value: &str| {
        let current = form::get(answers, field);
        current == value || (current.is_empty() && value == default_of(field, answers))
    };
    shown_when(path).is_none_or(|w| {
        has(w.field, w.value) || w.or.is_some_and(|(field, value)| has(field, value))
    })
}

fn gateway_on(answers: &InstallDocument) -> bool {
    match form::get(answers, "ingress.gateway").trim() {
        "" => gateway_by_default(answers),
        g => g == GATEWAY_ON,
    }
}

/// What an unset controlling field means (the spec's default).
fn default_of(field: &str, answers: &InstallDocument) -> &'static str {
    match field {
        "ingress.gateway" if gateway_by_default(answers) => GATEWAY_ON,
        "ingress.gateway" => "none",
        _ => "internal",
    }
}

/// The spec's default for an unset `ingress.gateway` with these answers.
fn gateway_by_default(answers: &InstallDocument) -> bool {
    katonic_domain::spec::default_gateway_on(
        form::is_on(answers, "cluster.network.existingVnet")
            || form::get(answers, "cluster.mode") == "existing"
            || form::get(answers, "domain.tls") == "acme",
    )
}

/// Whether a hidden field's value is dropped when its page is saved: the gateway's settings
/// while the gateway is off (`gateway` is the value being saved, or the stored one).
pub fn cleared(path: &str, gateway: &str, answers: &InstallDocument) -> bool {
    GATEWAY_FIELDS.contains(&path)
        && if gateway.is_empty() {
            !gateway_by_default(answers)
        } else {
            gateway != GATEWAY_ON
        }
}

/// Gateway off: its settings on every page go (they would be refused as given).
pub fn clear_when_off(
    answers: &InstallDocument,
    gateway: &str,
    updates: &mut Vec<(&'static str, form::FieldValue)>,
    removals: &mut Vec<(&'static str, form::FieldValue)>,
) {
    if !cleared(GATEWAY_FIELDS[0], gateway, answers) {
        return;
    }
    updates.push((
        "cluster.network.gatewaySubnetCidr",
        form::FieldValue::Text(None),
    ));
    // Only when the section exists: writing into it would create it.
    if form::is_on(answers, "cluster.network.existingVnet") {
        updates.push((
            "cluster.network.existingVnet.gatewaySubnet",
            form::FieldValue::Text(None),
        ));
    }
    removals.push(("ingress.applicationGateway", form::FieldValue::Remove));
}

/// A placeholder computed from the answers: the gateway subnet a new VNet would get.
pub fn placeholder(path: &str, answers: &InstallDocument) -> Option<String> {
    use katonic_domain::spec::{Cidr, DEFAULT_MAX_CAPACITY, derived_gateway_subnet};
    let cidr = |p: &str| Cidr::parse(form::get(answers, p).trim()).ok();
    if path == "ingress.staticIp" {
        // Behind a gateway the plan chooses the AKS subnet's last usable address.
        let aks = cidr("cluster.network.aksSubnetCidr").filter(|_| gateway_on(answers))?;
        return aks
            .size()
            .checked_sub(2)
            .and_then(|last| aks.nth(last))
            .map(|ip| format!("{ip} (chosen: the AKS subnet's last usable address)"));
    }
    if path != "cluster.network.gatewaySubnetCidr" {
        return None;
    }
    if form::is_on(answers, "cluster.network.existingVnet") {
        return Some("the existing subnet's range".to_string());
    }
    let vnet = cidr("cluster.network.vnetCidr")?;
    let taken: Vec<Cidr> = [
        "cluster.network.aksSubnetCidr",
        "cluster.network.jumphostSubnetCidr",
    ]
    .into_iter()
    .filter_map(cidr)
    .collect();
    let max = form::get(answers, "ingress.applicationGateway.maxCapacity")
        .trim()
        .parse()
        .unwrap_or(DEFAULT_MAX_CAPACITY);
    derived_gateway_subnet(vnet, &taken, max).map(|c| format!("{c} (derived)"))
}

/// A size's zones: which the region has and which the install asks for; whether the size is
/// offered in each is the region's live SKU list, which preflight reads.
fn with_zones(note: Note, location: &str, answers: &InstallDocument) -> Note {
    if note.warn {
        return note;
    }
    let Some(region) = catalog::region(location.trim()) else {
        return note;
    };
    let chosen = form::get_list(answers, "cluster.zones");
    let zones = match (region.zones, chosen.is_empty()) {
        (0, _) => format!("{} has no availability zones", region.name),
        (n, true) => format!("{} has zones 1–{n}", region.name),
        (n, false) => format!(
            "{} has zones 1–{n}; preflight checks the size is offered in zones {}",
            region.name,
            chosen.join(", ")
        ),
    };
    Note {
        warn: false,
        text: format!("{} · {zones}", note.text),
    }
}

fn hourly_text(name: &str) -> String {
    match prices().vm_hourly(name) {
        Some(h) => format!(
            "${h:.3}/h (about ${:.0}/month per node)",
            h * HOURS_PER_MONTH
        ),
        None => "price not in the console's table".to_string(),
    }
}

fn vm_size_note(value: &str, today: Date) -> Option<Note> {
    if value.is_empty() {
        return None;
    }
    let Some(size) = catalog::vm_size(value) else {
        return Note::warn(format!(
            "`{value}` is not in the console's catalogue of VM sizes (as of {}): check the name \
             (e.g. `Standard_D8s_v5`); preflight checks it against the region and will refuse a \
             size Azure does not offer",
            catalog::as_of()
        ));
    };
    let gpus = if size.gpus > 0 {
        format!(
            " · {} GPU{}",
            size.gpus,
            size.gpu_model
                .as_deref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default()
        )
    } else {
        String::new()
    };
    let facts = format!(
        "{} vCPUs · {} GiB{gpus} · {}",
        size.vcpus,
        size.memory_gib,
        hourly_text(&size.name)
    );
    let instead = size
        .replacement
        .as_deref()
        .map(|r| format!("; use `{r}` instead"))
        .unwrap_or_default();
    match size.retired_date() {
        Some(on) if on <= today => Note::warn(format!(
            "`{}` was retired by Azure on {on}: new nodes of it cannot be created{instead}",
            size.name
        )),
        Some(on) => Note::info(format!("{facts} · Azure retires it on {on}{instead}")),
        None => Note::info(facts),
    }
}

fn version_note(value: &str, tier: &str, today: Date) -> Option<Note> {
    if value.is_empty() {
        return Note::info(support_summary(today));
    }
    let parsed: Option<(u32, u32)> = value
        .split_once('.')
        .and_then(|(a, b)| Some((a.parse().ok()?, b.split('.').next()?.parse().ok()?)));
    let Some(release) = parsed.and_then(|(major, minor)| catalog::kubernetes_release(major, minor))
    else {
        return Note::warn(format!(
            "{value} is not in the console's list of AKS releases (as of {}): choose one of the listed versions",
            catalog::as_of()
        ));
    };
    let end = catalog::parse_date(&release.end_of_support);
    let lts_end = release.lts_end.as_deref().and_then(catalog::parse_date);
    let premium = tier == "premium";
    match (end, lts_end) {
        (Some(end), Some(lts)) if end < today && lts < today => Note::warn(format!(
            "{} is out of support, long-term support included (ended {lts}): preflight will refuse it; choose a newer version",
            release.minor
        )),
        (Some(end), Some(lts)) if end < today && !premium => Note::warn(format!(
            "{}'s community support ended on {end}; only long-term support (Premium tier) remains, until {lts}: \
             preflight will refuse it on this tier. Set the AKS tier to Premium, or choose a newer version",
            release.minor
        )),
        (Some(end), _) => Note::info(format!(
            "{}: generally available since {}, supported until {end}{}",
            release.minor,
            release.ga,
            release
                .lts_end
                .as_deref()
                .map(|l| format!(" (long-term support with Premium until {l})"))
                .unwrap_or_default()
        )),
        _ => None,
    }
}

/// Which releases AKS supports today, newest first: community support, then LTS only.
fn support_summary(today: Date) -> String {
    let mut releases: Vec<_> = catalog::kubernetes_releases().iter().collect();
    releases.sort_by_key(|r| std::cmp::Reverse(r.version()));
    let until = |date: &str| catalog::parse_date(date).is_some_and(|d| d >= today);
    let supported: Vec<String> = releases
        .iter()
        .filter(|r| until(&r.end_of_support))
        .map(|r| format!("{} (until {})", r.minor, r.end_of_support))
        .collect();
    let lts: Vec<String> = releases
        .iter()
        .filter(|r| !until(&r.end_of_support))
        .filter_map(|r| {
            let end = r.lts_end.as_deref().filter(|l| until(l))?;
            Some(format!("{} (until {end})", r.minor))
        })
        .collect();
    let mut text = format!("Supported now: {}", supported.join(", "));
    if !lts.is_empty() {
        text.push_str(&format!(
            "; long-term support only (Premium tier): {}",
            lts.join(", ")
        ));
    }
    format!(
        "{text} (AKS calendar as of {}; preflight reads the region's live list)",
        catalog::as_of()
    )
}

fn acme_note(load_balancer: &str) -> Option<Note> {
    let text = "Let's Encrypt proves the domain with its HTTP-01 challenge: it must reach the \
                ingress from the internet on port 80";
    if load_balancer == "external" {
        Note::info(format!(
            "{text}, which the external load balancer allows. The DNS records must be public before the TLS step."
        ))
    } else {
        Note::warn(format!(
            "{text}, which the internal load balancer does not: choose an external load balancer, \
             or upload a certificate"
        ))
    }
}

/// The VM size picker's choices: every catalogued size with its figures; retired ones marked.
pub fn vm_size_choices(today: Date) -> Vec<Choice> {
    catalog::vm_sizes()
        .iter()
        .map(|s| {
            let retired = match s.retired_date() {
                Some(on) if on <= today => format!(" · RETIRED {on}"),
                Some(on) => format!(" · retires {on}"),
                None => String::new(),
            };
            let price = prices()
                .vm_hourly(&s.name)
                .map(|h| format!(" · ${h:.3}/h"))
                .unwrap_or_default();
            Choice {
                value: s.name.clone(),
                label: format!("{} vCPU · {} GiB{price}{retired}", s.vcpus, s.memory_gib),
            }
        })
        .collect()
}

/// The Kubernetes version picker's choices, newest first, with their support dates.
pub fn version_choices(today: Date) -> Vec<Choice> {
    let mut releases: Vec<_> = catalog::kubernetes_releases().iter().collect();
    releases.sort_by_key(|r| std::cmp::Reverse(r.version()));
    releases
        .into_iter()
        .map(|r| {
            let community = catalog::parse_date(&r.end_of_support).is_some_and(|d| d >= today);
            let support = if community {
                format!("supported until {}", r.end_of_support)
            } else {
                match &r.lts_end {
                    Some(l) => format!("LTS only (Premium) until {l}"),
                    None => "out of support".to_string(),
                }
            };
            Choice {
                value: r.minor.clone(),
                label: format!("GA {} · {support}", r.ga),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 12 - 07);

    #[test]
    fn unknown_and_retired_sizes_are_warned_known_ones_described() {
        let unknown = vm_size_note("Standard_D8s_v9", TODAY).unwrap();
        assert!(unknown.warn && unknown.text.contains("not in the console's catalogue"));
        let retired = vm_size_note("Standard_NC6s_v3", TODAY).unwrap();
        assert!(retired.warn && retired.text.contains("retired by Azure on 2025-09-30"));
        let known = vm_size_note("Standard_D8s_v3", TODAY).unwrap();
        assert!(!known.warn);
        assert!(
            known.text.contains("8 vCPUs · 32 GiB · $0.384/h"),
            "{}",
            known.text
        );
    }

    #[test]
    fn a_version_preflight_would_refuse_on_the_tier_is_flagged() {
        // 1.32: community support ended 2026-03-31, long-term support runs to 2027-03-31.
        let lts = version_note("1.32", "standard", TODAY).unwrap();
        assert!(lts.warn && lts.text.contains("Premium"), "{}", lts.text);
        let gone = version_note("1.30", "premium", TODAY).unwrap();
        assert!(
            gone.warn && gone.text.contains("out of support"),
            "{}",
            gone.text
        );
        let premium = version_note("1.31", "premium", date!(2026 - 06 - 01)).unwrap();
        assert!(!premium.warn, "{}", premium.text);
        assert!(version_note("1.36", "standard", TODAY).is_some_and(|n| !n.warn));
        let summary = version_note("", "standard", TODAY).unwrap().text;
        assert!(
            summary.starts_with("Supported now: 1.37 (until 2027-10-31), 1.36 (until 2027-06-30)")
                && summary
                    .contains("long-term support only (Premium tier): 1.34 (until 2027-11-30)"),
            "{summary}"
        );
        let choices = version_choices(TODAY);
        assert_eq!(choices[0].value, "1.37");
        assert!(choices.iter().any(|c| c.label.contains("LTS only")));
    }

    #[test]
    fn lets_encrypt_is_explained_and_warned_with_an_internal_load_balancer() {
        assert!(acme_note("internal").unwrap().warn);
        assert!(!acme_note("external").unwrap().warn);
    }
}
