//! The review page's lead: what will be installed where, in a few lines, read from the
//! canonical document (the same words the YAML below uses), so the admin can decide and press
//! **Queue install** without scrolling through the details.

use katonic_domain::spec::InstallDocument;
use serde_json::Value;

/// One line of the summary: what, and its value.
pub struct SummaryRow {
    pub label: &'static str,
    pub value: String,
}

/// The text at `path` (dotted) of `doc`, or `default`.
fn text(doc: &Value, path: &str, default: &str) -> String {
    let found = path.split('.').try_fold(doc, |v, key| v.get(key));
    match found {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.to_string(),
        _ => default.to_string(),
    }
}

/// A node pool as "Standard_D8s_v3 × 1–4" (or "× 2" for a fixed count); `None` when absent.
fn pool(doc: &Value, name: &str) -> Option<String> {
    let p = doc.get("cluster")?.get("nodePools")?.get(name)?;
    let size = p.get("vmSize")?.as_str()?;
    let count = match (p.get("count"), p.get("min"), p.get("max")) {
        (Some(c), _, _) => c.to_string(),
        (None, Some(min), Some(max)) => format!("{min}–{max}"),
        _ => "?".to_string(),
    };
    Some(format!("{name} {size} × {count}"))
}

/// The summary of a valid document, with the plan's duration and cost.
pub fn summary(doc: &InstallDocument, duration: &str, cost: &str) -> Vec<SummaryRow> {
    let doc = serde_json::to_value(doc).unwrap_or_default();
    let pools: Vec<String> = ["platform", "compute", "gpu"]
        .iter()
        .filter_map(|p| pool(&doc, p))
        .collect();
    let addons: Vec<&str> = ["superset", "airbyte"]
        .into_iter()
        .filter(|a| text(&doc, &format!("addons.{a}"), "no") == "yes")
        .collect();
    // The katonic.ai option names the host by its label (issue 17).
    let host = match text(&doc, "domain.katonicSubdomain", "") {
        k if k.is_empty() => text(&doc, "domain.fqdn", "?"),
        k => format!("{k}.katonic.ai"),
    };
    let front_door = match text(&doc, "ingress.gateway", "none").as_str() {
        "applicationGateway" => format!(
            "{} Application Gateway ({}) in front of an internal load balancer",
            text(&doc, "ingress.loadBalancer", "internal"),
            text(&doc, "ingress.applicationGateway.sku", "Standard_v2"),
        ),
        _ => format!(
            "{} load balancer",
            text(&doc, "ingress.loadBalancer", "internal")
        ),
    };
    let row = |label, value| SummaryRow { label, value };
    vec![
        row(
            "Where",
            format!(
                "subscription {} · resource group {} · {}",
                text(&doc, "azure.subscriptionId", "?"),
                text(&doc, "azure.resourceGroup", "?"),
                text(&doc, "azure.location", "?"),
            ),
        ),
        row(
            "Cluster",
            format!(
                "{} ({} cluster) · Kubernetes {} · {} tier",
                text(&doc, "cluster.name", "?"),
                text(&doc, "cluster.mode", "create"),
                text(
                    &doc,
                    "cluster.kubernetesVersion",
                    "(newest the region supports)"
                ),
                text(&doc, "cluster.tier", "free"),
            ),
        ),
        row("Node pools", pools.join(" · ")),
        row(
            "Platform",
            format!(
                "https://{host} · TLS {} · {front_door} · add-ons: {}",
                text(&doc, "domain.tls", "?"),
                if addons.is_empty() {
                    "none".to_string()
                } else {
                    addons.join(", ")
                },
            ),
        ),
        row("Takes", format!("about {duration} (critical path)")),
        row("Costs", format!("{cost} a month")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_reads_in_six_lines() {
        let doc =
            katonic_domain::spec::from_yaml(include_str!("../../tests/it/fixtures/sample.yaml"))
                .unwrap();
        let rows = summary(&doc, "25m", "$1 – $2");
        let text: Vec<String> = rows
            .iter()
            .map(|r| format!("{}: {}", r.label, r.value))
            .collect();
        assert!(
            text[0].contains("resource group rg-katonic-prod · eastus"),
            "{text:?}"
        );
        assert!(
            text[1].contains("katonic-prod (create cluster) · Kubernetes 1.30"),
            "{text:?}"
        );
        assert!(
            text[2].contains("platform Standard_DS3_v2 × 2")
                && text[2].contains("compute Standard_D8s_v3 × 1–4"),
            "{text:?}"
        );
        assert!(
            text[3].contains("https://katonic.example.com · TLS selfSigned"),
            "{text:?}"
        );
        assert!(text[3].contains("add-ons: superset, airbyte"), "{text:?}");
    }

    #[test]
    fn the_gateway_and_the_katonic_ai_name_are_in_the_platform_line() {
        let mut doc =
            katonic_domain::spec::from_yaml(include_str!("../../tests/it/fixtures/sample.yaml"))
                .unwrap();
        doc.domain.fqdn = None;
        doc.domain.katonic_subdomain = Some("acme".into());
        doc.ingress.gateway = Some("applicationGateway".into());
        doc.ingress.load_balancer = Some("external".into());
        doc.ingress.application_gateway = Some(katonic_domain::spec::AppGatewayDoc {
            sku: Some("WAF_v2".into()),
            ..Default::default()
        });
        let platform = &summary(&doc, "25m", "$1")[3].value;
        assert!(
            platform.starts_with("https://acme.katonic.ai · "),
            "{platform}"
        );
        assert!(
            platform.contains(
                "external Application Gateway (WAF_v2) in front of an internal load balancer"
            ),
            "{platform}"
        );
        doc.ingress.gateway = Some("none".into());
        let platform = &summary(&doc, "25m", "$1")[3].value;
        assert!(
            platform.contains("· external load balancer ·"),
            "{platform}"
        );
    }
}
