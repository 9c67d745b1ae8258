//! The wizard guides before Review or preflight would: a VM size's figures or a warning for an
//! unknown or retired size, a Kubernetes version preflight would refuse on the chosen tier, the
//! static IP only with the internal load balancer, the certificate upload before Next.

use crate::helpers::TestApp;

async fn check(app: &TestApp, id: &str, page: &str, form: &[(&str, &str)]) -> String {
    let res = app
        .post_form(&format!("/installs/{id}/wizard/{page}/check"), form)
        .await;
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

/// The note element for `path` in a check answer (an out-of-band swap).
fn note<'a>(html: &'a str, path: &str) -> &'a str {
    let id = format!(r#"id="note-f-{}""#, path.replace('.', "-"));
    let at = html
        .find(&id)
        .unwrap_or_else(|| panic!("no note for {path}: {html}"));
    let start = html[..at].rfind("<p").unwrap();
    let end = at + html[at..].find("</p>").unwrap();
    &html[start..end]
}

#[tokio::test]
async fn vm_sizes_and_versions_are_described_or_warned_as_they_are_typed() {
    let app = TestApp::spawn().await;
    let id = app.new_draft().await;
    let field = "cluster.nodePools.compute.vmSize";
    for (size, says, warn) in [
        (
            "Standard_D8s_v9",
            "not in the console&#39;s catalogue",
            true,
        ),
        ("Standard_NC6s_v3", "retired by Azure on 2025-09-30", true),
        ("Standard_D8s_v3", "8 vCPUs · 32 GiB · $0.384/h", false),
    ] {
        let html = check(&app, &id, "pools", &[(field, size)]).await;
        let note = note(&html, field);
        assert!(note.contains(says), "{size}: {note}");
        assert_eq!(note.contains(r#"class="field-note warn""#), warn, "{note}");
    }
    // With a region and zones chosen, the note says which zones preflight checks the size in.
    app.post_form(
        &format!("/installs/{id}/wizard/azure/check"),
        &[("azure.location", "eastus")],
    )
    .await;
    app.post_form(
        &format!("/installs/{id}/wizard/cluster/check"),
        &[("cluster.zones", "1"), ("cluster.zones", "2")],
    )
    .await;
    let html = check(&app, &id, "pools", &[(field, "Standard_D8s_v3")]).await;
    let zoned = note(&html, field);
    assert!(
        zoned.contains("eastus has zones 1–3; preflight checks the size is offered in zones 1, 2"),
        "{zoned}"
    );
    let page = app
        .get(&format!("/installs/{id}/wizard/pools"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"<option value="Standard_NC6s_v3" label="6 vCPU"#));
    assert!(page.contains("RETIRED 2025-09-30"));

    let html = check(
        &app,
        &id,
        "cluster",
        &[
            ("cluster.kubernetesVersion", "1.32"),
            ("cluster.tier", "standard"),
        ],
    )
    .await;
    let lts = note(&html, "cluster.kubernetesVersion");
    assert!(
        lts.contains("preflight will refuse it on this tier"),
        "{lts}"
    );
    let page = app
        .get(&format!("/installs/{id}/wizard/cluster"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"<datalist id="k8s-versions">"#));
    assert!(page.contains(r#"list="k8s-versions""#));
}

#[tokio::test]
async fn fields_follow_the_mode_and_the_upload_comes_before_next() {
    let app = TestApp::spawn().await;
    let id = app.new_draft().await;
    // The static IP is the cluster's internal load balancer's: it applies in internal mode,
    // and in both modes behind the gateway (the default); hidden only external without one.
    let static_ip = r#"id="f-ingress-staticIp" data-shown-when="ingress.loadBalancer" data-shown-value="internal" data-shown-or-when="ingress.gateway" data-shown-or-value="applicationGateway""#;
    let domain_page = || async {
        app.get(&format!("/installs/{id}/wizard/domain"))
            .await
            .text()
            .await
            .unwrap()
    };
    check(&app, &id, "domain", &[("ingress.loadBalancer", "external")]).await;
    let page = domain_page().await;
    assert!(page.contains(&format!("{static_ip}>")), "{page}");
    check(
        &app,
        &id,
        "domain",
        &[
            ("ingress.loadBalancer", "external"),
            ("ingress.gateway", "none"),
        ],
    )
    .await;
    let page = domain_page().await;
    assert!(page.contains(&format!("{static_ip} hidden>")), "{page}");
    // TLS defaults to `provided`: its upload sits above the page's Next.
    let upload = page
        .find(r#"<section id="certificate""#)
        .expect("the upload");
    let next = page.find(r#"value="next""#).unwrap();
    assert!(upload < next, "the upload is above Next");
    assert!(page.contains(r#"form="wizard-form" name="_action" value="next""#));

    let html = check(
        &app,
        &id,
        "domain",
        &[("ingress.loadBalancer", "internal"), ("domain.tls", "acme")],
    )
    .await;
    let acme = note(&html, "domain.tls");
    assert!(acme.contains("HTTP-01") && acme.contains("warn"), "{acme}");
    // Help texts render their backticks as code, like every other message.
    assert!(
        page.contains("<code>az network private-dns zone show"),
        "help as code"
    );
}
