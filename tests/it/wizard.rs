//! The wizard as a browser drives it: pages, field errors on change, autosaved drafts,
//! review, YAML download/upload, clone.

use crate::helpers::{SAMPLE_YAML, TestApp, location};
use serde_json::Value;

const SUB: &str = "3f2c1a9e-8b7d-4c6e-9f01-23456789abcd";
const TENANT: &str = "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d";

async fn fill_valid_answers(app: &TestApp, id: &str) {
    let pages: [(&str, Vec<(&str, &str)>); 5] = [
        (
            "azure",
            vec![
                ("name", "trial"),
                ("azure.subscriptionId", SUB),
                ("azure.tenantId", TENANT),
                ("azure.location", "eastus"),
                ("azure.resourceGroup", "rg-katonic-trial"),
            ],
        ),
        (
            "cluster",
            vec![
                ("cluster.mode", "create"),
                ("cluster.name", "katonic-trial"),
                ("cluster.tier", "standard"),
                ("cluster.zones", "1"),
                ("cluster.zones", "2"),
                ("cluster.network.vnetCidr", "10.20.0.0/16"),
                ("cluster.network.aksSubnetCidr", "10.20.0.0/26"),
                ("cluster.network.jumphostSubnetCidr", "10.20.0.64/29"),
                ("cluster.network.plugin", "azure-overlay"),
                ("cluster.network.networkPolicy", "calico"),
                ("cluster.network.podCidr", "192.168.0.0/16"),
                ("cluster.network.serviceCidr", "172.16.0.0/16"),
                ("cluster.network.dnsServiceIp", "172.16.0.10"),
                ("cluster.network.outboundType", "loadBalancer"),
            ],
        ),
        (
            "pools",
            vec![
                ("cluster.nodePools.platform.vmSize", "Standard_DS3_v2"),
                ("cluster.nodePools.platform.count", "2"),
                ("cluster.nodePools.compute.vmSize", "Standard_D8s_v3"),
                ("cluster.nodePools.compute.min", "1"),
                ("cluster.nodePools.compute.max", "4"),
                ("cluster.nodePools.gpu", "true"),
                ("cluster.nodePools.gpu.vmSize", "Standard_NC4as_T4_v3"),
                ("cluster.nodePools.gpu.min", "0"),
                ("cluster.nodePools.gpu.max", "2"),
            ],
        ),
        (
            "domain",
            vec![
                ("domain.fqdn", "katonic.example.com"),
                ("ingress.loadBalancer", "internal"),
                // A trial certificate: an upload is tested in certificate.rs.
                ("domain.tls", "selfSigned"),
            ],
        ),
        (
            "storage",
            vec![
                ("storage.sharedFiles", "true"),
                ("registry.sku", "Standard"),
                ("addons.superset", "true"),
                ("addons.airbyte", "true"),
                ("platform.version", "5.0.9"),
            ],
        ),
    ];
    let mut expected_next = ["cluster", "pools", "domain", "storage", "review"].iter();
    for (page, fields) in pages {
        let mut form = fields.clone();
        form.push(("_action", "next"));
        let res = app
            .post_form(&format!("/installs/{id}/wizard/{page}"), &form)
            .await;
        let status = res.status();
        let next = expected_next.next().unwrap();
        let to = if status == 303 {
            location(&res)
        } else {
            res.text().await.unwrap()
        };
        assert_eq!(status, 303, "page {page}: {to}");
        if *next == "review" {
            assert_eq!(to, format!("/installs/{id}/review"));
        } else {
            assert_eq!(to, format!("/installs/{id}/wizard/{next}"));
        }
    }
}

#[tokio::test]
async fn every_wizard_page_renders_with_its_fields_and_vendor_defaults() {
    let app = TestApp::spawn().await;
    let id = app.new_draft().await;
    let azure = app.get(&format!("/installs/{id}/wizard/azure")).await;
    assert_eq!(azure.status(), 200);
    let html = azure.text().await.unwrap();
    assert!(html.contains(r#"name="azure.subscriptionId""#));
    assert!(html.contains("East US (eastus)"));

    let cluster = app
        .get(&format!("/installs/{id}/wizard/cluster"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        cluster.contains(r#"value="10.20.0.0/26""#),
        "vendor /26 prefilled"
    );
    assert!(cluster.contains("azure-overlay"));
    assert!(
        cluster.contains("differ from the vendor guide"),
        "overrides explained"
    );
    assert!(cluster.contains("IP budget"));

    let pools = app
        .get(&format!("/installs/{id}/wizard/pools"))
        .await
        .text()
        .await
        .unwrap();
    assert!(pools.contains("Standard_DS3_v2") && pools.contains("Standard_D8s_v3"));
    assert!(
        pools.contains("Standard_NC4as_T4_v3"),
        "retired NC6s_v3 replaced"
    );
    assert!(
        pools.contains("Standard_NC6s_v3"),
        "the override names the vendor's size"
    );

    for page in ["domain", "storage"] {
        let res = app.get(&format!("/installs/{id}/wizard/{page}")).await;
        assert_eq!(res.status(), 200, "{page}");
    }
    assert_eq!(
        app.get(&format!("/installs/{id}/wizard/nope"))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn a_field_change_returns_its_error_out_of_band_and_autosaves() {
    let app = TestApp::spawn().await;
    let id = app.new_draft().await;
    let res = app
        .post_form(
            &format!("/installs/{id}/wizard/azure/check"),
            &[("azure.subscriptionId", "1234"), ("name", "my-install")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"id="err-f-azure-subscriptionId""#));
    assert!(html.contains(r#"hx-swap-oob="true""#));
    let error_line = html
        .lines()
        .find(|l| l.contains("err-f-azure-subscriptionId"))
        .unwrap();
    assert!(
        error_line.contains("1234"),
        "error names the value: {error_line}"
    );
    // Empty fields are not yet reported as missing while the admin is typing.
    let tenant_line = html
        .lines()
        .find(|l| l.contains("err-f-azure-tenantId"))
        .unwrap();
    assert!(!tenant_line.contains("Fix:"), "{tenant_line}");

    // Autosaved: a plain reload shows the answers.
    let page = app
        .get(&format!("/installs/{id}/wizard/azure"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"value="my-install""#));
    assert!(page.contains(r#"value="1234""#));
}

#[tokio::test]
async fn next_with_errors_stays_on_the_page_with_422() {
    let app = TestApp::spawn().await;
    let id = app.new_draft().await;
    let res = app
        .post_form(
            &format!("/installs/{id}/wizard/cluster"),
            &[
                ("cluster.name", "-bad-"),
                ("cluster.network.vnetCidr", "10.20.0.0/16"),
                ("cluster.network.aksSubnetCidr", "10.30.0.0/26"),
                ("cluster.network.jumphostSubnetCidr", "10.20.0.64/29"),
                ("cluster.zones", "1"),
                ("cluster.zones", "2"),
                ("_action", "next"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    let aks = html
        .lines()
        .find(|l| l.contains("err-f-cluster-network-aksSubnetCidr"))
        .unwrap();
    assert!(aks.contains("10.30.0.0/26"), "{aks}");
    let name = html
        .lines()
        .find(|l| l.contains("err-f-cluster-name"))
        .unwrap();
    assert!(name.contains("Fix:"), "{name}");
}

/// The cluster page's form with the vendor guide's network and the given plugin.
fn vendor_network(plugin: &str) -> Vec<(&str, &str)> {
    vec![
        ("cluster.name", "katonic-aks"),
        ("cluster.zones", "1"),
        ("cluster.zones", "2"),
        ("cluster.network.vnetCidr", "10.20.0.0/16"),
        ("cluster.network.aksSubnetCidr", "10.20.0.0/26"),
        ("cluster.network.jumphostSubnetCidr", "10.20.0.64/29"),
        ("cluster.network.plugin", plugin),
        ("cluster.network.podCidr", "192.168.0.0/16"),
        ("cluster.network.serviceCidr", "172.16.0.0/16"),
        ("cluster.network.dnsServiceIp", "172.16.0.10"),
    ]
}

#[tokio::test]
async fn the_ip_budget_panel_flags_classic_cni_on_the_vendor_subnet() {
    let app = TestApp::spawn().await;
    let id = app.new_draft().await;
    let check = format!("/installs/{id}/wizard/cluster/check");
    let ok = app
        .post_form(&check, &vendor_network("azure-overlay"))
        .await
        .text()
        .await
        .unwrap();
    assert!(ok.contains("Fits"), "overlay on /26 fits: {ok}");
    let classic = app
        .post_form(&check, &vendor_network("azure"))
        .await
        .text()
        .await
        .unwrap();
    assert!(classic.contains("/26 gives 59"), "{classic}");
    assert!(!classic.contains("Fits"), "{classic}");
}

#[tokio::test]
async fn full_wizard_flow_reaches_a_review_that_queues() {
    let app = TestApp::spawn().await;
    let id = app.new_draft().await;
    fill_valid_answers(&app, &id).await;

    let review = app.get(&format!("/installs/{id}/review")).await;
    assert_eq!(review.status(), 200);
    let html = review.text().await.unwrap();
    for expected in [
        "Critical path",
        "aks-cluster",
        "Network interface",
        "Estimated monthly cost",
        "dash-katonic.example.com",
        "apiVersion: katonic.ai/v1",
        "Queue install",
        // The lead (issue 16): what goes where, then Queue install, details below.
        r#"id="review-summary""#,
        "resource group rg-katonic-trial",
        // The topology picture of these answers.
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"topology\"",
        "Subnet snet-aks",
        "connectors-katonic.example.com → A",
    ] {
        assert!(html.contains(expected), "review lacks {expected}");
    }

    let detail = app.detail(&id).await;
    assert_eq!(detail["name"], "trial");
    assert_eq!(
        detail["spec"]["cluster"]["nodePools"]["gpu"]["vmSize"],
        "Standard_NC4as_T4_v3"
    );
    assert!(!detail["steps"].as_array().unwrap().is_empty());

    let res = app.post_form(&format!("/installs/{id}/start"), &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/installs/{id}"));
    let page = app
        .get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    // Queued, or already claimed by the worker the start woke.
    assert!(page.contains("status-queued") || page.contains("status-running"));
    // A queued install is no longer edited by the wizard.
    let res = app.get(&format!("/installs/{id}/wizard/azure")).await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn unchecking_the_gpu_pool_removes_it() {
    let app = TestApp::spawn().await;
    let id = app.new_draft().await;
    fill_valid_answers(&app, &id).await;
    let res = app
        .post_form(
            &format!("/installs/{id}/wizard/pools"),
            &[
                ("cluster.nodePools.platform.vmSize", "Standard_DS3_v2"),
                ("cluster.nodePools.platform.count", "3"),
                ("cluster.nodePools.compute.vmSize", "Standard_D8s_v3"),
                ("cluster.nodePools.compute.min", "1"),
                ("cluster.nodePools.compute.max", "4"),
                ("_action", "next"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let detail = app.detail(&id).await;
    assert!(detail["spec"]["cluster"]["nodePools"]["gpu"].is_null());
    let steps: Vec<&str> = detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(!steps.contains(&"gpu-pool"), "{steps:?}");
    let cluster = detail["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "aks-cluster")
        .unwrap();
    let pools = cluster["detail"].as_str().unwrap();
    assert!(
        pools.contains("pool compute") && !pools.contains("pool gpu"),
        "{pools}"
    );
}

#[tokio::test]
async fn review_of_an_incomplete_draft_links_each_error_to_its_page() {
    let app = TestApp::spawn().await;
    let id = app.new_draft().await;
    let res = app.get(&format!("/installs/{id}/review")).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!(
        "/installs/{id}/wizard/azure#f-azure-subscriptionId"
    )));
    assert!(html.contains(&format!("/installs/{id}/wizard/domain#f-domain-fqdn")));
    assert!(!html.contains("Queue install"));
}

#[tokio::test]
async fn downloaded_yaml_round_trips_through_upload_and_the_api() {
    let app = TestApp::spawn().await;
    let id = app.create_sample().await;
    let res = app.get(&format!("/installs/{id}/spec.yaml")).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("katonic-prod.yaml")
    );
    let yaml = res.text().await.unwrap();

    let original: Value = app
        .post_body("/api/v1/plan", "application/yaml", SAMPLE_YAML)
        .await
        .json()
        .await
        .unwrap();
    let again: Value = app
        .post_body("/api/v1/plan", "application/yaml", &yaml)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(original, again, "exported YAML plans identically");

    let form = reqwest::multipart::Form::new().text("yaml", yaml.clone());
    let res = app
        .client
        .post(app.url("/installs/upload"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let review = location(&res);
    let new_id = review
        .trim_start_matches("/installs/")
        .trim_end_matches("/review")
        .to_string();
    assert_ne!(new_id, id);
    let exported = app
        .get(&format!("/installs/{new_id}/spec.yaml"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(exported, yaml);
}

#[tokio::test]
async fn uploading_a_broken_document_shows_the_error_on_the_history_page() {
    let app = TestApp::spawn().await;
    let form = reqwest::multipart::Form::new().text("yaml", "apiVersion: [unclosed");
    let res = app
        .client
        .post(app.url("/installs/upload"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("document.syntax") || html.contains("Fix:"),
        "{html}"
    );
}

#[tokio::test]
async fn cloning_copies_the_answers_into_a_new_draft() {
    let app = TestApp::spawn().await;
    let id = app.create_sample().await;
    let res = app.post_form(&format!("/installs/{id}/clone"), &[]).await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    let clone_id = to
        .trim_start_matches("/installs/")
        .trim_end_matches("/wizard/azure")
        .to_string();
    let clone: Value = app
        .get(&format!("/api/v1/installs/{clone_id}"))
        .await
        .json()
        .await
        .unwrap();
    let original: Value = app
        .get(&format!("/api/v1/installs/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(clone["status"], "draft");
    assert_eq!(clone["clonedFrom"], id.as_str());
    // The same answers under the next free name (history: one name per install).
    let mut expected = original["spec"].clone();
    expected["name"] = Value::from("prod-2");
    assert_eq!(clone["spec"], expected);
}

/// The domain page's answers of `fill_valid_answers` with `extra` fields, saved with Next.
async fn save_domain_page(app: &TestApp, id: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![
        ("domain.fqdn", "katonic.example.com"),
        ("ingress.loadBalancer", "internal"),
        ("domain.tls", "selfSigned"),
        ("_action", "next"),
    ];
    for (k, v) in extra {
        form.retain(|(key, _)| key != k);
        form.push((k, v));
    }
    app.post_form(&format!("/installs/{id}/wizard/domain"), &form)
        .await
}

#[tokio::test]
async fn the_application_gateway_is_chosen_on_the_domain_page_and_its_subnet_derived() {
    let app = TestApp::spawn().await;
    let id = app.new_draft().await;
    fill_valid_answers(&app, &id).await;
    let page = app
        .get(&format!("/installs/{id}/wizard/domain"))
        .await
        .text()
        .await
        .unwrap();
    for name in [
        "ingress.gateway",
        "ingress.applicationGateway.sku",
        "ingress.applicationGateway.wafMode",
        "ingress.applicationGateway.minCapacity",
        "ingress.applicationGateway.maxCapacity",
        "domain.katonicSubdomain",
    ] {
        assert!(
            page.contains(&format!(r#"name="{name}""#)),
            "{name} missing"
        );
    }
    assert!(page.contains(r#"data-shown-when="ingress.gateway""#));

    let res = save_domain_page(
        &app,
        &id,
        &[
            ("ingress.gateway", "applicationGateway"),
            ("ingress.applicationGateway.sku", "WAF_v2"),
            ("ingress.applicationGateway.wafMode", "Detection"),
            ("ingress.applicationGateway.minCapacity", "2"),
            ("ingress.applicationGateway.maxCapacity", "4"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let detail = app.detail(&id).await;
    let ingress = &detail["spec"]["ingress"];
    assert_eq!(ingress["gateway"], "applicationGateway", "{ingress}");
    assert_eq!(ingress["applicationGateway"]["sku"], "WAF_v2");
    assert_eq!(ingress["applicationGateway"]["wafMode"], "Detection");
    assert_eq!(
        detail["spec"]["cluster"]["network"]["gatewaySubnetCidr"],
        "10.20.1.0/24"
    );
    let steps: Vec<&str> = detail["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(steps.contains(&"app-gateway"), "{steps:?}");
    let domain = app
        .get(&format!("/installs/{id}/wizard/domain"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        domain.contains(r#"placeholder="10.20.0.62 (chosen"#),
        "the backend address"
    );
    // Behind the gateway the static IP applies whichever way the front door faces.
    assert!(domain.contains(
        r#"<div class="field field-text" id="f-ingress-staticIp" data-shown-when="ingress.loadBalancer" data-shown-value="internal" data-shown-or-when="ingress.gateway" data-shown-or-value="applicationGateway">"#
    ));

    // The cluster page shows the gateway subnet, the derived range as its placeholder.
    let cluster = app
        .get(&format!("/installs/{id}/wizard/cluster"))
        .await
        .text()
        .await
        .unwrap();
    assert!(cluster.contains(r#"placeholder="10.20.1.0/24 (derived)""#));

    // Turned off: the (still posted, now hidden) settings are dropped, not refused.
    let res = save_domain_page(
        &app,
        &id,
        &[
            ("ingress.gateway", "none"),
            ("ingress.applicationGateway.sku", "WAF_v2"),
            ("ingress.applicationGateway.maxCapacity", "4"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let detail = app.detail(&id).await;
    assert_eq!(detail["spec"]["ingress"]["gateway"], "none");
    assert!(detail["spec"]["ingress"]["applicationGateway"].is_null());
    assert!(detail["spec"]["cluster"]["network"]["gatewaySubnetCidr"].is_null());
}

#[tokio::test]
async fn a_bad_gateway_answer_is_shown_beside_its_field() {
    let app = TestApp::spawn().await;
    let id = app.new_draft().await;
    fill_valid_answers(&app, &id).await;
    let res = save_domain_page(
        &app,
        &id,
        &[
            ("ingress.gateway", "applicationGateway"),
            ("ingress.applicationGateway.minCapacity", "5"),
            ("ingress.applicationGateway.maxCapacity", "3"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    let line = html
        .lines()
        .find(|l| l.contains("err-f-ingress-applicationGateway-maxCapacity"))
        .unwrap_or_else(|| panic!("{html}"));
    assert!(line.contains("below minCapacity 5"), "{line}");
}

#[tokio::test]
async fn the_katonic_ai_option_is_a_wizard_field() {
    let app = TestApp::spawn().await;
    let id = app.new_draft().await;
    fill_valid_answers(&app, &id).await;
    let res = save_domain_page(
        &app,
        &id,
        &[
            ("domain.fqdn", ""),
            ("domain.katonicSubdomain", "acme"),
            ("domain.tls", "provided"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let detail = app.detail(&id).await;
    assert_eq!(detail["spec"]["domain"]["katonicSubdomain"], "acme");
    assert!(detail["spec"]["domain"]["fqdn"].is_null());
    // The host names panel names the katonic.ai hosts and who publishes their records.
    let page = app
        .get(&format!("/installs/{id}/wizard/domain"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<code>connectors-acme.katonic.ai</code>"),
        "{page}"
    );
    assert!(page.contains("send to Katonic"));
    let review = app
        .get(&format!("/installs/{id}/review"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        review.contains("dash-acme.katonic.ai"),
        "add-on hosts follow"
    );
    // Both a domain and a katonic.ai name: refused beside the domain field.
    let res = save_domain_page(&app, &id, &[("domain.katonicSubdomain", "acme")]).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("both name the platform&#39;s domain"),
        "{html}"
    );
}
