//! Fix and resume (issue 16): a failed install's spec is corrected where nothing was created
//! yet, and Resume continues; a field whose resource exists is refused, naming it and its step.

use crate::azure::{console, log, start, world};
use crate::helpers::{SAMPLE_YAML, TestApp, step};
use katonic_sim::{FaultAction, FaultPlan, FaultRule};

/// The sample as written (1.30 on the default tier), in the simulator's subscription.
fn lts_sample(sim: &katonic_sim::SimHandle) -> String {
    SAMPLE_YAML
        .replace("3f2c1a9e-8b7d-4c6e-9f01-23456789abcd", &sim.subscription_id)
        .replace("0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d", &sim.tenant_id)
}

async fn put_spec(app: &TestApp, id: &str, yaml: &str) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/v1/installs/{id}/spec")))
        .header("content-type", "application/yaml")
        .body(yaml.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_lts_version_refused_at_preflight_is_fixed_by_the_tier_and_resumed_to_success() {
    let world = world().await;
    let app = console(&world).await;
    let spec = lts_sample(&world.sim);
    let id = start(&app, &spec).await;
    let failed = app.wait_status(&id, &["failed"]).await;
    assert_eq!(step(&failed, "preflight")["status"], "failed");
    let page = app
        .get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("href=\"/installs/{id}/edit\"")),
        "Edit and resume offered"
    );
    let form = app
        .get(&format!("/installs/{id}/edit"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        form.contains("kubernetesVersion"),
        "the form holds the spec's YAML"
    );

    let premium = spec.replace(
        "  kubernetesVersion: \"1.30\"\n",
        "  kubernetesVersion: \"1.30\"\n  tier: premium\n",
    );
    assert_ne!(premium, spec);
    let res = put_spec(&app, &id, &premium).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["changed"], serde_json::json!(["cluster.tier"]));
    let edited = app.detail(&id).await;
    assert_eq!(edited["spec"]["cluster"]["tier"], "premium");
    assert_eq!(
        step(&edited, "preflight")["status"],
        "pending",
        "preflight checks again"
    );

    let res = app
        .post_form(&format!("/api/v1/installs/{id}/resume"), &[])
        .await;
    assert_eq!(res.status(), 202);
    let done = app.wait_status(&id, &["succeeded", "failed"]).await;
    assert_eq!(done["status"], "succeeded", "{}", log(&app, &id).await);
    let audit = app
        .get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        audit.contains("spec edited: cluster.tier"),
        "the edit is audited"
    );
}

#[tokio::test]
async fn a_field_whose_resource_exists_is_refused_naming_it_its_step_and_clone() {
    let world = world().await;
    // The step after the cluster's create (which now makes every pool) fails.
    world.sim.set_faults(FaultPlan::single(FaultRule::new(
        "POST",
        ".*/listClusterAdminCredential$",
        FaultAction::Error {
            status: 403,
            code: "AuthorizationFailed".into(),
            message: "The client does not have authorization to perform action 'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action'".into(),
        },
    )));
    let app = console(&world).await;
    let spec = crate::azure::sample(&world.sim);
    let id = start(&app, &spec).await;
    let failed = app.wait_status(&id, &["failed"]).await;
    assert_eq!(
        step(&failed, "aks-cluster")["status"],
        "succeeded",
        "{}",
        log(&app, &id).await
    );

    let renamed = spec.replace("name: katonic-prod", "name: katonic-other");
    assert_ne!(renamed, spec);
    let res = put_spec(&app, &id, &renamed).await;
    assert_eq!(res.status(), 409);
    let text = res.text().await.unwrap();
    assert!(
        text.contains("cluster.name") && text.contains("aks-cluster"),
        "{text}"
    );
    assert!(text.contains("clone"), "{text}");
    let form = app
        .post_form(
            &format!("/installs/{id}/edit"),
            &[("spec", renamed.as_str())],
        )
        .await;
    assert_eq!(form.status(), 422);
    let page = form.text().await.unwrap();
    assert!(
        page.contains("cluster.name cannot change"),
        "the page names the field"
    );
    assert_eq!(
        app.detail(&id).await["spec"]["cluster"]["name"],
        "katonic-prod",
        "nothing stored"
    );

    let bad = spec.replace("tls: selfSigned", "tls: sometimes");
    let res = put_spec(&app, &id, &bad).await;
    assert_eq!(res.status(), 422, "field errors as on create");
    assert!(res.text().await.unwrap().contains("domain.tls"));
}

#[tokio::test]
async fn a_succeeded_install_cannot_be_edited() {
    let app = TestApp::spawn().await;
    let id = app.start_sample().await;
    app.wait_status(&id, &["succeeded"]).await;
    let res = put_spec(&app, &id, SAMPLE_YAML).await;
    assert_eq!(res.status(), 409);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("only a failed or interrupted install")
    );
    let page = app
        .get(&format!("/installs/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Edit and resume"));
}
