//! The README's annotated sample spec, taken from the README itself, installs as written in a
//! rehearsal: Azure steps against the simulator (in the sample's own subscription, as
//! `serve --simulate` runs them), `tls: provided` with an uploaded certificate, to `succeeded`.

use crate::azure;

/// The ```yaml block of the README that is an install document.
fn readme_sample() -> String {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("```yaml\napiVersion: katonic.ai/v1")
        .expect("the README shows a sample spec")
        + "```yaml\n".len();
    let len = readme[start..].find("```").expect("the block ends");
    readme[start..start + len].to_string()
}

/// A certificate for the sample's hosts (the domain and both add-ons), with its key.
fn certificate() -> serde_json::Value {
    let mut params = rcgen::CertificateParams::new(vec!["*.example.com".to_string()]).unwrap();
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(90);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    serde_json::json!({ "certificate": cert.pem(), "key": key.serialize_pem() })
}

#[tokio::test]
async fn the_readme_sample_spec_installs_as_written_in_a_rehearsal() {
    let spec = readme_sample();
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&spec).unwrap();
    let subscription = doc["azure"]["subscriptionId"].as_str().unwrap();
    let world = azure::world().await;
    // What `serve --simulate` does before each step: the rehearsal runs in the spec's own
    // subscription.
    world.sim.subscriptions().add(subscription).unwrap();
    let app = azure::console(&world).await;
    let res = app
        .post_body("/api/v1/installs", "application/yaml", &spec)
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .client
        .put(app.url(&format!("/api/v1/installs/{id}/certificate")))
        .json(&certificate())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app
        .post_form(&format!("/api/v1/installs/{id}/start"), &[])
        .await;
    assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
    let detail = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(
        detail["status"],
        "succeeded",
        "the README's sample must install as written (a Kubernetes version past AKS support \
         needs the sample updated): {}",
        azure::log(&app, &id).await
    );
}
