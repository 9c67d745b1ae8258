//! The katonic.ai domain option (`domain.katonicSubdomain`), rehearsed: the platform at
//! `<name>.katonic.ai` with its add-on hosts, Katonic's certificate uploaded, the records listed
//! for Katonic (the console writes no zone), and verification warning until Katonic publishes.

use crate::azure::{console, log, puts, sample, world};
use crate::helpers::step;

/// Katonic's certificate for its domain (here: made for the test), PEM certificate and key.
fn katonic_certificate() -> (String, String) {
    let mut params = rcgen::CertificateParams::new(vec!["*.katonic.ai".to_string()]).unwrap();
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(90);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

#[tokio::test]
async fn a_katonic_subdomain_install_uses_katonics_certificate_and_lists_the_records_for_katonic() {
    let world = world().await;
    let app = console(&world).await;
    let spec = sample(&world.sim).replace(
        "domain: { fqdn: katonic.example.com, tls: selfSigned }",
        "domain: { katonicSubdomain: acme }",
    );
    assert!(spec.contains("katonicSubdomain: acme"));
    let res = app
        .post_body("/api/v1/installs", "application/yaml", &spec)
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let created: serde_json::Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let detail = app.detail(&id).await;
    let plan = &detail["plan"];
    let dns_detail = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "dns")
        .unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        dns_detail.contains("acme.katonic.ai")
            && dns_detail.contains("connectors-acme.katonic.ai")
            && dns_detail.contains("send to Katonic"),
        "{dns_detail}"
    );
    // Katonic's certificate is uploaded like any provided one; the start waits for it.
    let (cert, key) = katonic_certificate();
    let res = app
        .client
        .put(app.url(&format!("/api/v1/installs/{id}/certificate")))
        .json(&serde_json::json!({ "certificate": cert, "key": key }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app
        .post_form(&format!("/api/v1/installs/{id}/start"), &[])
        .await;
    assert_eq!(res.status(), 202);
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    let text = log(&app, &id).await;
    assert_eq!(done["status"], "succeeded", "{text}");
    assert!(
        text.contains("send these records to Katonic: the katonic.ai zone is theirs"),
        "{text}"
    );
    for host in [
        "acme.katonic.ai",
        "dash-acme.katonic.ai",
        "connectors-acme.katonic.ai",
    ] {
        assert!(
            text.contains(&format!("{host}. ")),
            "{host} not listed:\n{text}"
        );
    }
    let dns = step(&done, "dns");
    assert_eq!(dns["outputs"]["sendToKatonic"], true);
    assert_eq!(dns["outputs"]["createdByConsole"], false);
    // No zone was written.
    assert!(
        !puts(&world.sim)
            .keys()
            .any(|p| p.contains("/dnszones/") || p.contains("/privatednszones/")),
        "the console wrote a DNS zone"
    );
    // The install page tells the admin whom to send them to.
    let page = app
        .get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Send these records to Katonic"), "{page}");
    assert!(page.contains("send to Katonic"));
}
